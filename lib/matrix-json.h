/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Matrices in JSON (json-c): what D-Bus callers, definitions on disk and
 * apctl exchange. Input may be an array of integers and id-list strings, or a
 * single id-list string; output is always the canonical sorted int array.
 */
#ifndef APM_MATRIX_JSON_H
#define APM_MATRIX_JSON_H

#include <json-c/json.h>

#include "ap-mask.h"
#include "macro.h"

typedef struct ap_matrix {
	ap_mask apm; /* adapters */
	ap_mask aqm; /* usage domains */
	ap_mask adm; /* control domains */
} ap_matrix;

/*
 * Parse one field. On error returns -EINVAL (malformed), -ERANGE (an id out
 * of range) or -E2BIG (over APM_LIMIT_JSON_ID_ELEMENTS, apm-limits.h) and, if
 * reterr_msg is given, a malloc'ed message naming the field, the element
 * index and the problem, e.g. "domains[2]: id 300 is out of range 0-255".
 */
int mask_from_json(struct json_object *o, const char *field, unsigned int max, ap_mask *ret,
		   char **reterr_msg);

/* New json array of ints; NULL on OOM. */
struct json_object *mask_to_json(const ap_mask *m);

/* "adapters", "domains", "control_domains"; missing fields are empty. */
int matrix_from_json(struct json_object *o, unsigned int max_apid, unsigned int max_apqi,
		     ap_matrix *ret, char **reterr_msg);
struct json_object *matrix_to_json(const ap_matrix *m);

static inline bool ap_matrix_equal(const ap_matrix *a, const ap_matrix *b)
{
	return ap_mask_equal(&a->apm, &b->apm) && ap_mask_equal(&a->aqm, &b->aqm) &&
	       ap_mask_equal(&a->adm, &b->adm);
}

DEFINE_TRIVIAL_CLEANUP_FUNC(struct json_object *, json_object_put)
#define _cleanup_json_ _cleanup_(json_object_putp)

#endif
