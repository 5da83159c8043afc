// SPDX-License-Identifier: GPL-2.0-or-later
#include <stdio.h>
#include <stdlib.h>

#include "ap-mask.h"
#include "json-field.h"
#include "macro.h"
#include "matrix-json.h"
#include "output.h"

struct json_object *jget(struct json_object *o, const char *key)
{
	struct json_object *v = NULL;

	if (!o || !json_object_is_type(o, json_type_object))
		return NULL;
	return json_object_object_get_ex(o, key, &v) ? v : NULL;
}

const char *jstr(struct json_object *o, const char *key)
{
	struct json_object *v = jget(o, key);

	if (!v || json_object_is_type(v, json_type_null))
		return NULL;
	return json_object_get_string(v);
}

long long jint(struct json_object *o, const char *key)
{
	struct json_object *v = jget(o, key);

	return v ? json_object_get_int64(v) : 0;
}

size_t jlen(struct json_object *o, const char *key)
{
	struct json_object *a = jget(o, key);

	return json_object_is_type(a, json_type_array) ? json_object_array_length(a) : 0;
}

char *jjoin(struct json_object *o, const char *key)
{
	struct json_object *a = jget(o, key);
	size_t n = jlen(o, key);
	char *buf = NULL;
	size_t size = 0;
	FILE *f = open_memstream(&buf, &size);

	if (!f)
		return NULL;
	for (size_t i = 0; i < n; i++)
		fprintf(f, "%s%s", i ? " " : "",
			json_object_get_string(json_object_array_get_idx(a, i)));
	if (n == 0)
		fputs("-", f);
	fclose(f);
	return buf;
}

char *jids(struct json_object *o, const char *key)
{
	_cleanup_free_ char *msg = NULL;
	char *s = NULL;
	ap_mask m;

	if (mask_from_json(jget(o, key), key, AP_ID_MAX, &m, &msg) < 0)
		ap_mask_zero(&m);
	if (format_ids(&m, &s) < 0)
		return NULL;
	return s;
}

void jcopy(struct json_object *to, const char *key, struct json_object *from)
{
	struct json_object *v = jget(from, key);

	if (v)
		json_object_object_add(to, key, json_object_get(v));
}
