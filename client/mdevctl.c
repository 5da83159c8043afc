// SPDX-License-Identifier: GPL-2.0-or-later
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error-msg.h"
#include "id-list.h"
#include "json-text.h"
#include "sysfs-format.h"
#include "mdevctl.h"

/* One kind of mdevctl attribute: which mask it touches, and how. */
struct attr_kind {
	const char *name;
	size_t offset; /* of the ap_mask in ap_matrix */
	bool assign;
};

static const struct attr_kind attr_kinds[] = {
	{ "assign_adapter", offsetof(ap_matrix, apm), true },
	{ "unassign_adapter", offsetof(ap_matrix, apm), false },
	{ "assign_domain", offsetof(ap_matrix, aqm), true },
	{ "unassign_domain", offsetof(ap_matrix, aqm), false },
	{ "assign_control_domain", offsetof(ap_matrix, adm), true },
	{ "unassign_control_domain", offsetof(ap_matrix, adm), false },
};

/* More attributes than a definition can meaningfully hold (3 x 256 ids). */
#define MDEVCTL_ATTRS_MAX 4096

/*
 * One id the way the kernel's kstrtouint(s, 0) reads it, since mdevctl writes
 * the string to sysfs unchanged: "0x" hex, leading "0" octal, else decimal,
 * one optional trailing newline, nothing else.
 */
static int parse_attr(struct json_object *a, size_t index, ap_matrix *m, char **reterr_msg)
{
	const struct attr_kind *kind = NULL;
	const char *key = NULL, *value;
	struct json_object *v = NULL;
	unsigned int id;
	int r;

	if (!json_object_is_type(a, json_type_object) || json_object_object_length(a) != 1)
		return error_msgf(reterr_msg, -EINVAL,
				  "attrs[%zu]: expected an object with one key", index);
	json_object_object_foreach(a, k, val)
	{
		key = k;
		v = val;
	}
	for (size_t i = 0; i < ELEMENTSOF(attr_kinds); i++)
		if (strcmp(attr_kinds[i].name, key) == 0)
			kind = &attr_kinds[i];
	if (!kind)
		return error_msgf(reterr_msg, -EINVAL,
				  "attrs[%zu]: unknown vfio-ap attribute \"%s\"", index, key);
	if (!json_object_is_type(v, json_type_string))
		return error_msgf(reterr_msg, -EINVAL, "attrs[%zu].%s: expected a string, got %s",
				  index, key, json_type_to_name(json_object_get_type(v)));
	value = json_object_get_string(v);
	r = kernel_id_parse(value, strlen(value), &id);
	if (r == -ERANGE)
		return error_msgf(reterr_msg, r, "attrs[%zu].%s: id \"%s\" is out of range 0-%u",
				  index, key, value, AP_ID_MAX);
	if (r < 0)
		return error_msgf(reterr_msg, r, "attrs[%zu].%s: \"%s\" is not an id", index, key,
				  value);

	ap_mask *mask = (ap_mask *)((char *)m + kind->offset);
	if (kind->assign)
		ap_mask_set(mask, id);
	else
		ap_mask_clear(mask, id);
	return 0;
}

int mdevctl_def_parse(const char *text, size_t len, mdevctl_def *ret, char **reterr_msg)
{
	_cleanup_json_ struct json_object *root = NULL;
	mdevctl_def def = {};
	bool have_type = false;
	int r;

	r = json_text_parse(text, len, &root, reterr_msg);
	if (r < 0)
		return r;
	if (!json_object_is_type(root, json_type_object))
		return error_msgf(reterr_msg, -EINVAL, "expected a JSON object, got %s",
				  json_type_to_name(json_object_get_type(root)));

	json_object_object_foreach(root, key, val)
	{
		if (strcmp(key, "mdev_type") == 0) {
			if (!json_object_is_type(val, json_type_string) ||
			    strcmp(json_object_get_string(val), MDEVCTL_VFIO_AP_TYPE) != 0)
				return error_msgf(
					reterr_msg, -EINVAL, "mdev_type: expected \"%s\", got %s",
					MDEVCTL_VFIO_AP_TYPE, json_object_to_json_string(val));
			have_type = true;
		} else if (strcmp(key, "start") == 0) {
			const char *s = json_object_is_type(val, json_type_string) ?
						json_object_get_string(val) :
						"";

			if (strcmp(s, "auto") == 0)
				def.autostart = true;
			else if (strcmp(s, "manual") == 0)
				def.autostart = false;
			else
				return error_msgf(reterr_msg, -EINVAL,
						  "start: expected \"auto\" or \"manual\", got %s",
						  json_object_to_json_string(val));
		} else if (strcmp(key, "attrs") == 0) {
			size_t n;

			if (!json_object_is_type(val, json_type_array))
				return error_msgf(reterr_msg, -EINVAL,
						  "attrs: expected an array, got %s",
						  json_type_to_name(json_object_get_type(val)));
			n = json_object_array_length(val);
			if (n > MDEVCTL_ATTRS_MAX)
				return error_msgf(reterr_msg, -EINVAL,
						  "attrs: %zu entries, at most %d are accepted", n,
						  MDEVCTL_ATTRS_MAX);
			for (size_t i = 0; i < n; i++) {
				r = parse_attr(json_object_array_get_idx(val, i), i, &def.matrix,
					       reterr_msg);
				if (r < 0)
					return r;
			}
		} else {
			return error_msgf(reterr_msg, -EINVAL, "unknown key \"%s\"", key);
		}
	}
	if (!have_type)
		return error_msgf(reterr_msg, -EINVAL, "mdev_type: missing");

	*ret = def;
	return 0;
}

static int append_attrs(struct json_object *attrs, const char *name, const ap_mask *m)
{
	AP_MASK_FOREACH(id, m) {
		struct json_object *a, *v;
		char buf[8];
		int r;

		r = ap_id_format_kernel((unsigned int)id, buf, sizeof(buf));
		if (r < 0)
			return r;
		a = json_object_new_object();
		v = json_object_new_string(buf);
		if (!a || !v || json_object_object_add(a, name, v) < 0) {
			json_object_put(a);
			json_object_put(v);
			return -ENOMEM;
		}
		if (json_object_array_add(attrs, a) < 0) {
			json_object_put(a);
			return -ENOMEM;
		}
	}
	return 0;
}

int mdevctl_def_format(const mdevctl_def *def, char **ret)
{
	_cleanup_json_ struct json_object *root = json_object_new_object();
	struct json_object *attrs = json_object_new_array();
	const char *s;
	char *text;
	int r;

	if (!root || !attrs) {
		json_object_put(attrs);
		return -ENOMEM;
	}
	if (json_object_object_add(root, "mdev_type",
				   json_object_new_string(MDEVCTL_VFIO_AP_TYPE)) < 0 ||
	    json_object_object_add(root, "start",
				   json_object_new_string(def->autostart ? "auto" : "manual")) <
		    0 ||
	    json_object_object_add(root, "attrs", attrs) < 0) {
		json_object_put(attrs);
		return -ENOMEM;
	}

	/* The order a replay needs: adapters and domains first, then control domains. */
	r = append_attrs(attrs, "assign_adapter", &def->matrix.apm);
	if (r >= 0)
		r = append_attrs(attrs, "assign_domain", &def->matrix.aqm);
	if (r >= 0)
		r = append_attrs(attrs, "assign_control_domain", &def->matrix.adm);
	if (r < 0)
		return r;

	s = json_object_to_json_string_ext(root, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
							 JSON_C_TO_STRING_NOSLASHESCAPE);
	if (!s || asprintf(&text, "%s\n", s) < 0)
		return -ENOMEM;
	*ret = text;
	return 0;
}

struct json_object *mdevctl_def_to_config(const mdevctl_def *def)
{
	_cleanup_json_ struct json_object *config = matrix_to_json(&def->matrix);

	if (!config)
		return NULL;
	if (json_object_object_add(config, "autostart", json_object_new_boolean(def->autostart)) <
	    0)
		return NULL;
	return TAKE_PTR(config);
}
