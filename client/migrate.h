/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * apctl's migration preflight: export-guest (ExportGuest), migrate-check
 * (CheckMigration, a readable report) and migrate-prepare
 * (PrepareMigration), and the libvirt hook's prepare of an incoming
 * migration from the export an orchestrator placed in MIGRATE_DIR_DEFAULT.
 */
#ifndef APCTL_MIGRATE_H
#define APCTL_MIGRATE_H

#include <stdbool.h>
#include <stdio.h>

#include <systemd/sd-bus.h>

/* Where the hook looks for UUID.json (APCTL_MIGRATE_DIR overrides it). */
#define MIGRATE_DIR_DEFAULT "/run/apmatrixd/migrate"

/* ExportGuest(uuid) printed on out (one JSON document and a newline). */
int migrate_export(sd_bus *bus, const char *uuid, FILE *out);

/*
 * CheckMigration(text) printed (the report as JSON, or a table). 0 when the
 * migration may come, -EMEDIUMTYPE (one line on stderr) when it may not.
 */
int migrate_check(sd_bus *bus, const char *text, bool json, bool quiet);

/* PrepareMigration(text); what it did is printed unless quiet. */
int migrate_prepare(sd_bus *bus, const char *text, bool json, bool quiet);

/*
 * The hook at migrate begin: when DIR/UUID.json exists, PrepareMigration of
 * it with guest as the guest. 0 (also when there is none) or -errno (logged).
 */
int migrate_hook_prepare(sd_bus *bus, const char *uuid, const char *guest);

/* The directory the hook reads. */
const char *migrate_dir(void);

#endif
