/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Foreign devices: mdevs below the vfio_ap matrix device that apmatrixd has
 * no definition of. Who owns one is a guess from what is on the host:
 * mdevctl (a definition <MdevctlDirectory>/<parent>/<uuid>; libvirt's
 * nodedev-define writes its persistent mdevs there through mdevctl too),
 * libvirt (no definition, but a libvirt domain uses it: nodedev-create makes
 * transient mdevs through "mdevctl start" without one), else unknown.
 */
#ifndef APMATRIXD_FOREIGN_H
#define APMATRIXD_FOREIGN_H

#include <stdbool.h>
#include <stddef.h>

#include "device.h"

/* Subdirectories (parents) of the mdevctl directory looked at, at most. */
#define MDEVCTL_PARENTS_MAX 256

/*
 * Whether mdevctl has a definition of uuid below dir (any parent); the
 * path found goes into ret_path (may be NULL) when it has.
 */
bool mdevctl_has_definition(const char *dir, const char *uuid, char *ret_path, size_t size);

/* Re-read who owns d when it is foreign: true when that changed. */
bool manager_refresh_owner(Manager *m, Device *d);

/*
 * "device UUID (foreign: owner mdevctl, definition PATH, in use by a guest)"
 * for error messages; d may be NULL (an mdev this batch made); buf is returned.
 */
const char *foreign_describe(Manager *m, const char *uuid, Device *d, char *buf, size_t size);

#endif
