/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Migration preflight (ExportGuest, CheckMigration, PrepareMigration): a
 * vfio-ap guest migrates only to a host that has the same mdev UUID with the
 * same APQNs, each a queue of the same type, mode and functions.
 *
 * The export (version 1) says what the guest has on the source:
 *
 *   { "version": 1, "uuid", "guest", "adapters", "domains", "control_domains",
 *     "reserve": "adapter" | "domain",
 *     "host": { "max_adapter_id", "max_domain_id", "configured_control_domains" },
 *     "queues": [ { "apqn", "adapter", "domain", "type", "hwtype", "raw_hwtype",
 *                   "mode", "functions" }, ... ] }
 *
 * "queues" lists the APQNs of the matrix the source host has (an
 * over-provisioned APQN that no queue backs is not listed, and need not
 * exist on the destination either). The check holds it against this host's
 * inventory and the working copy of the desired state (batch-working.h):
 * what it reports is a list of problems, each naming the APQN and why.
 * PrepareMigration runs the same check in its batch (batch-validate.c).
 */
#ifndef APMATRIXD_MIGRATION_H
#define APMATRIXD_MIGRATION_H

#include <json-c/json.h>
#include <stdbool.h>
#include <stdint.h>

#include "batch-working.h"
#include "request.h"
#include "store.h"

#define MIGRATION_VERSION 1
/* Problems a report lists at most (all are counted in "n_problems"). */
#define MIGRATION_PROBLEMS_MAX 1024
/* Problems an error message of PrepareMigration names at most. */
#define MIGRATION_MESSAGE_PROBLEMS 8

/* A migration check found a problem (dbus/, org.apmatrix1(5)). */
#define ERR_INCOMPATIBLE "org.apmatrix1.Error.Incompatible"

struct migration_queue {
	uint8_t apid, apqi;
	int hwtype, raw_hwtype; /* -1: not said */
	char mode[8]; /* "" : not said */
	uint32_t functions;
	bool has_functions;
};

struct migration_spec {
	struct definition def; /* uuid, guest and matrix; autostart false */
	enum id_kind reserve; /* how this host reserves the APQNs still kept by the host */
	unsigned int src_max_apid, src_max_apqi;
	ap_mask src_adm; /* control domains the source host had configured */
	struct migration_queue *queues;
	size_t n_queues;
	/* Filled in by the validation of a PrepareMigration request. */
	ap_mask reserved; /* ids of kind reserve it reserved */
	bool changed; /* the definition was new or changed */
};

void migration_spec_free(struct migration_spec *s);
/* "CEX8" for hwtype 14 (AP_DEVICE_TYPE_CEX4 is 10) into buf; NULL when it has no name. */
const char *migration_type_name(int hwtype, char buf[static 16]);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct migration_spec *, migration_spec_free)

/*
 * An export from JSON: 0, or -EINVAL/-ERANGE/-E2BIG with a message naming
 * the field in *reterr_msg. Pure (migration-parse.c).
 */
int migration_spec_from_json(struct json_object *o, struct migration_spec **ret, char **reterr_msg);

/* The export of device d of m (version 1); NULL on OOM. */
struct json_object *migration_export(Manager *m, const Device *d);

struct migration_report {
	struct json_object *problems; /* [{"apqn", "reason", "message", "owner", "owner_guest"}] */
	size_t n_problems;
	char *summary; /* the first MIGRATION_MESSAGE_PROBLEMS messages, "; " between */
	struct json_object *notes; /* strings */
	struct json_object *host_reserved; /* APQN strings */
	size_t n_host_reserved;
	bool prepared; /* a definition of the uuid with this matrix exists here */
	enum id_kind reserve_kind;
	ap_mask reserve; /* ids a prepare reserves for vfio_ap */
};

void migration_report_done(struct migration_report *rep);

/* Check s against ws (and its manager's host): 0 or -ENOMEM; changes nothing. */
int migration_check(struct working *ws, const struct migration_spec *s,
		    struct migration_report *ret);

/* The report as CheckMigration returns it; NULL on OOM. Takes rep's JSON parts. */
struct json_object *migration_report_to_json(const struct migration_spec *s,
					     struct migration_report *rep);

/*
 * The validation of a PrepareMigration request (batch-validate.c): the check,
 * .Incompatible naming the problems, else the ids to reserve in s->reserved.
 */
int migration_validate(struct working *ws, struct migration_spec *s, sd_bus_error *err);

/* The reply of an accepted PrepareMigration request r, once its batch is durable. */
void migration_reply_prepared(Manager *m, struct request *r, const char *result_json);

/* The ExportGuest, CheckMigration and PrepareMigration methods (migration-dbus.c). */
int migration_bus_register(Manager *m);

#endif
