/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Id lists as administrators type them: "5", "1,3-5", "0x1f", "0x10-0x1f".
 *
 * Numbers are decimal or 0x-prefixed hex. Unlike the kernel's base-0 parsing,
 * a leading zero is decimal here ("010" is ten), because that is what a person
 * means; whatever libapm writes to the kernel is canonical (see
 * ap_id_format_kernel()) and never carries a leading zero.
 */
#ifndef APM_ID_LIST_H
#define APM_ID_LIST_H

#include <stddef.h>

#include "ap-mask.h"

/*
 * Parse len bytes of s (need not be NUL-terminated). Spaces and tabs around
 * items and one trailing newline are accepted. Returns 0, -EINVAL (syntax,
 * reversed range, empty list) or -ERANGE (id above max); on error *reterr_pos
 * (if given) is the byte offset of the offending item.
 */
int id_list_parse(const char *s, size_t len, unsigned int max, ap_mask *ret, size_t *reterr_pos);

/* Canonical, shortest form: "1,3-5,31". Empty mask gives "". malloc'ed. */
int id_list_format(const ap_mask *m, char **ret);

/* One id as the kernel's base-0 kstrtoul reads it: plain decimal. */
int ap_id_format_kernel(unsigned int id, char *buf, size_t size);

#endif
