/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * mdevctl's persistent vfio-ap definitions (/etc/mdevctl.d/matrix/<uuid>):
 *
 *   { "mdev_type": "vfio_ap-passthrough", "start": "auto" | "manual",
 *     "attrs": [ { "assign_adapter": "5" }, { "assign_domain": "0x4" }, ... ] }
 *
 * mdevctl replays attrs as ordered single sysfs writes, so a value is one id in
 * the kernel's base-0 syntax (a leading 0 is octal there) and unassign_* entries
 * undo earlier assign_* ones. Converting in both directions is pure: no files,
 * no bus.
 */
#ifndef APCTL_MDEVCTL_H
#define APCTL_MDEVCTL_H

#include <stdbool.h>
#include <stddef.h>

#include "matrix-json.h"

#define MDEVCTL_VFIO_AP_TYPE "vfio_ap-passthrough"
#define MDEVCTL_MATRIX_DIR "/etc/mdevctl.d/matrix"
/* Far above any definition mdevctl writes. */
#define MDEVCTL_FILE_SIZE_MAX (1024u * 1024)

typedef struct mdevctl_def {
	bool autostart;
	ap_matrix matrix;
} mdevctl_def;

/*
 * Parse one definition file's text. Returns 0, -EINVAL (not JSON, wrong type,
 * unknown key or attribute, bad value) or -ERANGE (id above 255); on error
 * *reterr_msg (if given) is a malloc'ed one-line reason naming the field.
 */
int mdevctl_def_parse(const char *text, size_t len, mdevctl_def *ret, char **reterr_msg);

/* The definition as mdevctl writes it (pretty JSON, trailing newline). malloc'ed. */
int mdevctl_def_format(const mdevctl_def *def, char **ret);

/*
 * The DefineDevice config JSON for a definition: adapters, domains,
 * control_domains, autostart. New reference; NULL on OOM.
 */
struct json_object *mdevctl_def_to_config(const mdevctl_def *def);

#endif
