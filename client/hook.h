/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The libvirt QEMU hook (installed as /etc/libvirt/hooks/qemu.d/50-apmatrix,
 * which runs "apctl hook -- GUEST OP SUBOP EXTRA" with the domain XML on
 * stdin):
 *
 *   prepare begin  every vfio-ap mdev of the guest is defined (from mdevctl's
 *                  definition if apmatrixd has none), started, validated and
 *                  applied before QEMU opens it; a conflict is one line on
 *                  stderr and a non-zero exit, so libvirt refuses to start
 *                  the guest;
 *   migrate begin  (the destination of an incoming migration, before its
 *                  prepare begin) remembered in STATE_DIR/UUID.migrate;
 *                  prepare begin then, once the device is set up, takes a
 *                  block inhibitor of it (hook-inhibit.h) that lasts until
 *                  the guest runs here or release end; nothing on stdout
 *                  (libvirt reads the domain XML from it, empty: unchanged);
 *   release end    the migration's inhibitor is released, devices this hook
 *                  started for the guest are stopped;
 *   anything else  exit 0 at once, without reading stdin or touching the bus.
 *
 * It never calls libvirt: libvirt waits for the hook, so that would deadlock.
 */
#ifndef APCTL_HOOK_H
#define APCTL_HOOK_H

#include <stdio.h>

/* Where the hook remembers which devices it started, one file per uuid. */
#define HOOK_STATE_DIR_DEFAULT "/run/apctl/hook"

/* args: GUEST OP SUBOP [EXTRA]. Returns 0 or -errno (the reason already logged). */
int hook_run(int n_args, char **args, FILE *in, const char *mdevctl_dir);

#endif
