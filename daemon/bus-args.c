// SPDX-License-Identifier: GPL-2.0-or-later
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "bus-args.h"
#include "domain-xml.h"
#include "manager.h"

int bus_error_limit(sd_bus_error *error, const char *field, size_t value, const char *unit,
		    const char *name, size_t max)
{
	return sd_bus_error_setf(error, ERR_LIMIT_EXCEEDED, "%s: %zu %s, over the limit %s=%zu",
				 field, value, unit, name, max);
}

int bus_check_flags(uint64_t flags, sd_bus_error *error)
{
	if (flags & ~REQUEST_FLAGS_ALL)
		return sd_bus_error_setf(error, SD_BUS_ERROR_INVALID_ARGS,
					 "flags: unknown bits 0x%llx",
					 (unsigned long long)(flags & ~REQUEST_FLAGS_ALL));
	return 0;
}

int bus_parse_uuid(const char *s, const char *field, char out[static UUID_STR_LEN + 1],
		   sd_bus_error *error)
{
	if (strlen(s) != UUID_STR_LEN || !uuid_is_valid(s))
		return sd_bus_error_setf(error, SD_BUS_ERROR_INVALID_ARGS,
					 "%s: \"%.64s\" is not a UUID", field, s);
	for (size_t i = 0; i <= UUID_STR_LEN; i++)
		out[i] = (char)tolower((unsigned char)s[i]);
	return 0;
}

int bus_parse_kind(const char *s, bool ids_only, enum id_kind *ret, sd_bus_error *error)
{
	if (strcmp(s, "adapter") == 0)
		*ret = KIND_ADAPTER;
	else if (strcmp(s, "domain") == 0)
		*ret = KIND_DOMAIN;
	else if (!ids_only && strcmp(s, "control-domain") == 0)
		*ret = KIND_CONTROL_DOMAIN;
	else
		return sd_bus_error_setf(
			error, SD_BUS_ERROR_INVALID_ARGS, "kind: \"%.32s\" is not one of %s", s,
			ids_only ? "adapter, domain" : "adapter, domain, control-domain");
	return 0;
}

int bus_read_ids(Manager *m, sd_bus_message *msg, enum id_kind kind, ap_mask *ret,
		 sd_bus_error *error)
{
	unsigned int max = kind == KIND_ADAPTER ? m->host->max_apid : m->host->max_apqi;
	const uint32_t *ids;
	size_t size, bad = 0;
	int r;

	r = sd_bus_message_read_array(msg, 'u', (const void **)&ids, &size);
	if (r < 0)
		return r;
	size /= sizeof(uint32_t);
	if (size == 0)
		return sd_bus_error_setf(error, SD_BUS_ERROR_INVALID_ARGS, "ids: empty list");
	if (size > APM_LIMIT_IDS_PER_CALL)
		return bus_error_limit(error, "ids", size, "entries", "IdsPerCall",
				       APM_LIMIT_IDS_PER_CALL);
	if (ap_mask_from_ids(ids, size, max, ret, &bad) < 0)
		return sd_bus_error_setf(error, ERR_OUT_OF_RANGE,
					 "ids[%zu]: %s %u is out of range 0-%u", bad,
					 kind == KIND_ADAPTER ? "adapter" :
					 kind == KIND_DOMAIN  ? "domain" :
								"control domain",
					 ids[bad], max);
	return 0;
}

int bus_parse_json_object(const char *s, const char *field, size_t max_bytes,
			  const char *limit_name, struct json_object **ret, sd_bus_error *error)
{
	struct json_tokener *tok;
	struct json_object *o;
	enum json_tokener_error e;
	size_t len = strlen(s), off;

	if (len > max_bytes)
		return bus_error_limit(error, field, len, "bytes", limit_name, max_bytes);
	tok = json_tokener_new_ex(APM_LIMIT_JSON_DEPTH);
	if (!tok)
		return -ENOMEM;
	/*
	 * With the terminating NUL in the length json-c knows the input ends
	 * there, so a bare number or literal ("42", "null") is complete
	 * rather than json_tokener_continue.
	 */
	o = json_tokener_parse_ex(tok, s, (int)len + 1);
	e = json_tokener_get_error(tok);
	off = (size_t)tok->char_offset;
	json_tokener_free(tok);
	if (e == json_tokener_error_depth) {
		json_object_put(o);
		return sd_bus_error_setf(
			error, ERR_LIMIT_EXCEEDED,
			"%s: nesting deeper than %d levels at offset %zu, over the "
			"limit JsonDepth=%d",
			field, APM_LIMIT_JSON_DEPTH, off, APM_LIMIT_JSON_DEPTH);
	}
	if (e != json_tokener_success)
		return sd_bus_error_setf(error, SD_BUS_ERROR_INVALID_ARGS,
					 "%s: malformed JSON at offset %zu: %s", field, off,
					 json_tokener_error_desc(e));
	if (off != len) {
		json_object_put(o);
		return sd_bus_error_setf(error, SD_BUS_ERROR_INVALID_ARGS,
					 "%s: malformed JSON at offset %zu: trailing data", field,
					 off);
	}
	if (!json_object_is_type(o, json_type_object)) {
		int k = sd_bus_error_setf(error, SD_BUS_ERROR_INVALID_ARGS,
					  "%s: expected a JSON object, got %s", field,
					  json_type_to_name(json_object_get_type(o)));

		json_object_put(o);
		return k;
	}
	*ret = o;
	return 0;
}

int bus_json_error(int r, const char *field, char *msg, sd_bus_error *error)
{
	const char *name = r == -ERANGE ? ERR_OUT_OF_RANGE :
			   r == -E2BIG	? ERR_LIMIT_EXCEEDED :
					  SD_BUS_ERROR_INVALID_ARGS;
	int k = sd_bus_error_setf(error, name, "%s: %s", field, msg ? msg : "invalid");

	free(msg);
	return k;
}

int bus_check_matrix(const ap_matrix *mx, const char *field, sd_bus_error *error)
{
	if (!ap_mask_is_empty(&mx->adm) && ap_mask_is_empty(&mx->aqm))
		return sd_bus_error_setf(error, SD_BUS_ERROR_INVALID_ARGS,
					 "%s: control_domains without domains: control domain %d "
					 "needs at least one usage domain",
					 field, ap_mask_next(&mx->adm, 0));
	return 0;
}
