// SPDX-License-Identifier: GPL-2.0-or-later
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "apm-limits.h"
#include "error-msg.h"
#include "id-list.h"
#include "matrix-json.h"

static int element_into(struct json_object *e, const char *field, int index, unsigned int max,
			ap_mask *m, char **reterr_msg)
{
	char where[128];

	if (index >= 0)
		snprintf(where, sizeof(where), "%s[%d]", field, index);
	else
		snprintf(where, sizeof(where), "%s", field);

	if (json_object_is_type(e, json_type_int)) {
		int64_t v = json_object_get_int64(e);

		if (v < 0 || v > (int64_t)max)
			return error_msgf(reterr_msg, -ERANGE, "%s: id %lld is out of range 0-%u",
					  where, (long long)v, max);
		ap_mask_set(m, (unsigned int)v);
		return 0;
	}
	if (json_object_is_type(e, json_type_string)) {
		const char *s = json_object_get_string(e);
		size_t len = (size_t)json_object_get_string_len(e), pos = 0;
		ap_mask part;
		int r;

		r = id_list_parse(s, len, max, &part, &pos);
		if (r == -ERANGE)
			return error_msgf(reterr_msg, r,
					  "%s: id at offset %zu of \"%s\" is out of range 0-%u",
					  where, pos, s, max);
		if (r < 0)
			return error_msgf(reterr_msg, r, "%s: bad id list \"%s\" at offset %zu",
					  where, s, pos);
		ap_mask_or(m, m, &part);
		return 0;
	}
	return error_msgf(reterr_msg, -EINVAL,
			  "%s: expected an integer or an id-list string, got %s", where,
			  json_type_to_name(json_object_get_type(e)));
}

int mask_from_json(struct json_object *o, const char *field, unsigned int max, ap_mask *ret,
		   char **reterr_msg)
{
	ap_mask m;
	int r;

	ap_mask_zero(&m);
	if (max > AP_ID_MAX)
		max = AP_ID_MAX;
	if (!o) {
		*ret = m;
		return 0;
	}
	if (json_object_is_type(o, json_type_array)) {
		size_t n = json_object_array_length(o);

		/* An id list cannot meaningfully hold more entries than ids. */
		if (n > APM_LIMIT_JSON_ID_ELEMENTS)
			return error_msgf(reterr_msg, -E2BIG,
					  "%s: %zu elements, over the limit JsonIdElements=%d",
					  field, n, APM_LIMIT_JSON_ID_ELEMENTS);
		for (size_t i = 0; i < n; i++) {
			r = element_into(json_object_array_get_idx(o, i), field, (int)i, max, &m,
					 reterr_msg);
			if (r < 0)
				return r;
		}
	} else {
		r = element_into(o, field, -1, max, &m, reterr_msg);
		if (r < 0)
			return r;
	}
	*ret = m;
	return 0;
}

struct json_object *mask_to_json(const ap_mask *m)
{
	struct json_object *a = json_object_new_array();

	if (!a)
		return NULL;
	AP_MASK_FOREACH(id, m) {
		if (json_object_array_add(a, json_object_new_int(id)) < 0) {
			json_object_put(a);
			return NULL;
		}
	}
	return a;
}

int matrix_from_json(struct json_object *o, unsigned int max_apid, unsigned int max_apqi,
		     ap_matrix *ret, char **reterr_msg)
{
	struct json_object *f;
	ap_matrix m;
	int r;

	if (!json_object_is_type(o, json_type_object))
		return error_msgf(reterr_msg, -EINVAL, "matrix: expected a JSON object");

	f = NULL;
	json_object_object_get_ex(o, "adapters", &f);
	r = mask_from_json(f, "adapters", max_apid, &m.apm, reterr_msg);
	if (r < 0)
		return r;
	f = NULL;
	json_object_object_get_ex(o, "domains", &f);
	r = mask_from_json(f, "domains", max_apqi, &m.aqm, reterr_msg);
	if (r < 0)
		return r;
	f = NULL;
	json_object_object_get_ex(o, "control_domains", &f);
	r = mask_from_json(f, "control_domains", max_apqi, &m.adm, reterr_msg);
	if (r < 0)
		return r;

	*ret = m;
	return 0;
}

struct json_object *matrix_to_json(const ap_matrix *m)
{
	_cleanup_json_ struct json_object *o = json_object_new_object();

	if (!o)
		return NULL;
	if (json_object_object_add(o, "adapters", mask_to_json(&m->apm)) < 0 ||
	    json_object_object_add(o, "domains", mask_to_json(&m->aqm)) < 0 ||
	    json_object_object_add(o, "control_domains", mask_to_json(&m->adm)) < 0)
		return NULL;
	return TAKE_PTR(o);
}
