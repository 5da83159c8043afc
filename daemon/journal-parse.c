// SPDX-License-Identifier: GPL-2.0-or-later
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "domain-xml.h"
#include "journal-parse.h"

static int parse_side(struct json_object *it, const char *exists, const char *matrix,
		      const char *def, struct side *ret)
{
	struct json_object *f;

	*ret = (struct side){ 0 };
	if (!json_object_object_get_ex(it, exists, &f) ||
	    !json_object_is_type(f, json_type_boolean))
		return -EINVAL;
	ret->exists = json_object_get_boolean(f);
	if (!json_object_object_get_ex(it, matrix, &f) ||
	    matrix_from_json(f, AP_ID_MAX, AP_ID_MAX, &ret->m, NULL) < 0)
		return -EINVAL;
	if (!json_object_object_get_ex(it, def, &f))
		return 0;
	ret->def_known = true;
	if (f) {
		if (definition_from_json(f, AP_ID_MAX, AP_ID_MAX, &ret->def, NULL) < 0)
			return -EINVAL;
		ret->defined = true;
	}
	return 0;
}

static int parse_mask(struct json_object *j, const char *field, ap_mask *ret)
{
	struct json_object *f;

	if (!json_object_object_get_ex(j, field, &f))
		return 0; /* older journals: masks untouched */
	return mask_from_json(f, field, AP_ID_MAX, ret, NULL);
}

int journal_parse(struct json_object *j, const char *boot_id, const ap_mask *apmask,
		  const ap_mask *aqmask, struct journal *ret)
{
	struct json_object *items, *f;
	struct journal jn = { .same_boot = true };
	size_t n;

	if (!json_object_object_get_ex(j, "items", &items) ||
	    !json_object_is_type(items, json_type_array))
		return -EINVAL;
	n = json_object_array_length(items);
	if (n > JOURNAL_ITEMS_MAX)
		return -E2BIG;
	if (json_object_object_get_ex(j, "boot_id", &f) && json_object_get_string_len(f) &&
	    boot_id[0])
		jn.same_boot = strcmp(json_object_get_string(f), boot_id) == 0;
	jn.apmask[0] = jn.apmask[1] = *apmask;
	jn.aqmask[0] = jn.aqmask[1] = *aqmask;
	if (parse_mask(j, "apmask_before", &jn.apmask[0]) < 0 ||
	    parse_mask(j, "apmask_after", &jn.apmask[1]) < 0 ||
	    parse_mask(j, "aqmask_before", &jn.aqmask[0]) < 0 ||
	    parse_mask(j, "aqmask_after", &jn.aqmask[1]) < 0)
		return -EINVAL;
	jn.items = calloc(n ? n : 1, sizeof(*jn.items));
	if (!jn.items)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		struct json_object *it = json_object_array_get_idx(items, i);
		struct jitem *ji = &jn.items[i];

		if (!json_object_object_get_ex(it, "uuid", &f) ||
		    !uuid_is_valid(json_object_get_string(f)) ||
		    parse_side(it, "before_exists", "before", "definition_before", &ji->before) <
			    0 ||
		    parse_side(it, "after_exists", "after", "definition", &ji->after) < 0) {
			free(jn.items);
			return -EINVAL;
		}
		snprintf(ji->uuid, sizeof(ji->uuid), "%s", json_object_get_string(f));
		if (!ji->before.def_known)
			jn.legacy = true;
	}
	jn.n = n;
	*ret = jn;
	return 0;
}
