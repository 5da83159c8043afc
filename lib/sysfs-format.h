/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The text formats of the AP bus and vfio_ap sysfs attributes, byte for byte
 * as in docs/sysfs-contract.md. Parsers take (s, len), never read past len,
 * and report the byte offset of the first offending character in
 * *reterr_pos on failure.
 */
#ifndef APM_SYSFS_FORMAT_H
#define APM_SYSFS_FORMAT_H

#include <stddef.h>

#include "ap-mask.h"

/*
 * Absolute mask as apmask/aqmask/ap_config take it: optional "0x" (or a bare
 * "x", as the kernel allows; "0X" is not accepted), up to 64
 * hex digits, zero-padded on the right (so "0x8" is id 0 alone), optional
 * trailing newline. More than 64 digits or any other byte is -EINVAL.
 */
int sysfs_mask_parse(const char *s, size_t len, ap_mask *ret, size_t *reterr_pos);

/*
 * Relative apmask/aqmask form: "+N", "-N", "+A-B", "-A-B", comma separated,
 * applied in order to base. Numbers are read with base 0 like the kernel:
 * "0x" hex, leading "0" octal, else decimal. N > 255 or A > B is -EINVAL.
 */
int sysfs_mask_parse_relative(const char *s, size_t len, const ap_mask *base, ap_mask *ret,
			      size_t *reterr_pos);

/* What a write to apmask/aqmask means: relative if it starts with a sign. */
int sysfs_mask_parse_write(const char *s, size_t len, const ap_mask *base, ap_mask *ret,
			   size_t *reterr_pos);

/* "0x" + 64 hex digits, no newline. */
void sysfs_mask_format(const ap_mask *m, char buf[static AP_MASK_STR_MAX]);

/* The ap_config triple "0x<64>,0x<64>,0x<64>" with optional newline. */
int ap_config_parse(const char *s, size_t len, ap_mask *ret_apm, ap_mask *ret_aqm, ap_mask *ret_adm,
		    size_t *reterr_pos);
#define AP_CONFIG_STR_MAX (3 * AP_MASK_STR_MAX + 1)
/* With the trailing newline, as the attribute reads. */
void ap_config_format(const ap_mask *apm, const ap_mask *aqm, const ap_mask *adm,
		      char buf[static AP_CONFIG_STR_MAX]);

/*
 * matrix / guest_matrix: "%02x.%04x\n" per APQN, "%02x.\n" per adapter when
 * no domain is set, ".%04x\n" per domain when no adapter is set, empty when
 * neither. The parser rebuilds the two masks; a set of lines that is not a
 * full cross product is -EINVAL.
 */
int matrix_lines_parse(const char *s, size_t len, ap_mask *ret_apm, ap_mask *ret_aqm,
		       size_t *reterr_pos);
/* malloc'ed; up to 256*256 lines of 8 bytes. */
int matrix_lines_format(const ap_mask *apm, const ap_mask *aqm, char **ret, size_t *ret_len);

/* control_domains: "%04x\n" per set id. */
int control_domains_parse(const char *s, size_t len, ap_mask *ret, size_t *reterr_pos);
int control_domains_format(const ap_mask *adm, char **ret, size_t *ret_len);

/*
 * AP bus device names: "card%02x" and "%02x.%04x" exactly (lower-case hex,
 * fixed width), the whole of len bytes. -EINVAL otherwise.
 */
int ap_card_name_parse(const char *s, size_t len, unsigned int *ret_apid);
int ap_queue_name_parse(const char *s, size_t len, apqn *ret);

/*
 * A queue device's directory under the sysfs root, "devices/ap/cardAA/AA.DDDD",
 * or an attribute in it when attr is not NULL; returns buf.
 */
#define AP_QUEUE_PATH_MAX sizeof("devices/ap/cardff/ff.00ff/driver_override")
const char *ap_queue_path(apqn q, const char *attr, char buf[static AP_QUEUE_PATH_MAX]);

/*
 * One id as the kernel's kstrtouint(base 0) reads an attribute write: "0x" hex,
 * a leading "0" octal, else decimal; one trailing newline. -EINVAL for
 * anything else, -ERANGE above 255.
 */
int kernel_id_parse(const char *s, size_t len, unsigned int *ret);

#endif
