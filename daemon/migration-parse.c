// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The export of a guest's device (migration.h), parsed: pure, no host, no
 * bus (fuzzed: tests/fuzz/fuzz-migration.c).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error-msg.h"
#include "migration.h"

void migration_spec_free(struct migration_spec *s)
{
	if (!s)
		return;
	free(s->queues);
	free(s);
}

/* "CEX8" for hwtype 14 (AP_DEVICE_TYPE_CEX4 is 10); NULL when it has no name. */
const char *migration_type_name(int hwtype, char buf[static 16])
{
	if (hwtype < 10 || hwtype > 20)
		return NULL;
	snprintf(buf, 16, "CEX%d", hwtype - 6);
	return buf;
}

static bool only_fields(struct json_object *o, const char *const *known, size_t n,
			const char *where, char **reterr_msg)
{
	json_object_object_foreach(o, key, val)
	{
		bool ok = false;

		(void)val;
		for (size_t i = 0; i < n; i++)
			ok = ok || strcmp(key, known[i]) == 0;
		if (!ok) {
			error_msgf(reterr_msg, -EINVAL, "%s%s: unknown field", where, key);
			return false;
		}
	}
	return true;
}

/* An optional int field in lo..hi; -1 when absent or null. */
static int int_field(struct json_object *o, const char *key, int lo, int hi, const char *where,
		     int *ret, char **reterr_msg)
{
	struct json_object *f;

	*ret = -1;
	if (!json_object_object_get_ex(o, key, &f) || json_object_is_type(f, json_type_null))
		return 0;
	if (!json_object_is_type(f, json_type_int) || json_object_get_int64(f) < lo ||
	    json_object_get_int64(f) > hi)
		return error_msgf(reterr_msg, -EINVAL, "%s%s: expected an integer %d-%d", where,
				  key, lo, hi);
	*ret = (int)json_object_get_int64(f);
	return 0;
}

static int parse_queue(struct json_object *e, const ap_matrix *mx, size_t i,
		       struct migration_queue *ret, char **reterr_msg)
{
	static const char *const known[] = { "apqn",   "adapter",    "domain", "type",
					     "hwtype", "raw_hwtype", "mode",   "functions" };
	struct migration_queue q = { .hwtype = -1, .raw_hwtype = -1 };
	struct json_object *f;
	char where[40], s[APQN_STR_MAX];
	int a, d, r;

	snprintf(where, sizeof(where), "queues[%zu].", i);
	if (!json_object_is_type(e, json_type_object))
		return error_msgf(reterr_msg, -EINVAL, "queues[%zu]: expected an object", i);
	if (!only_fields(e, known, ELEMENTSOF(known), where, reterr_msg))
		return -EINVAL;
	r = int_field(e, "adapter", 0, AP_ID_MAX, where, &a, reterr_msg);
	if (r >= 0)
		r = int_field(e, "domain", 0, AP_ID_MAX, where, &d, reterr_msg);
	if (r < 0)
		return r;
	if (a < 0 || d < 0)
		return error_msgf(reterr_msg, -EINVAL, "queues[%zu]: needs adapter and domain", i);
	q.apid = (uint8_t)a;
	q.apqi = (uint8_t)d;
	apqn_to_string((apqn){ q.apid, q.apqi }, s);
	if (json_object_object_get_ex(e, "apqn", &f) &&
	    (!json_object_is_type(f, json_type_string) ||
	     strcmp(json_object_get_string(f), s) != 0))
		return error_msgf(reterr_msg, -EINVAL,
				  "%sapqn: expected \"%s\" (adapter %d, domain %d)", where, s, a,
				  d);
	if (!ap_mask_test(&mx->apm, q.apid) || !ap_mask_test(&mx->aqm, q.apqi))
		return error_msgf(reterr_msg, -EINVAL, "queues[%zu]: APQN %s is not in the matrix",
				  i, s);
	r = int_field(e, "hwtype", 0, 255, where, &q.hwtype, reterr_msg);
	if (r >= 0)
		r = int_field(e, "raw_hwtype", -1, 255, where, &q.raw_hwtype, reterr_msg);
	if (r < 0)
		return r;
	if (json_object_object_get_ex(e, "mode", &f) && !json_object_is_type(f, json_type_null)) {
		const char *m = json_object_get_string(f);

		if (!json_object_is_type(f, json_type_string) ||
		    (strcmp(m, "cca") && strcmp(m, "ep11") && strcmp(m, "accel") && *m))
			return error_msgf(reterr_msg, -EINVAL,
					  "%smode: expected cca, ep11 or accel", where);
		snprintf(q.mode, sizeof(q.mode), "%s", m);
	}
	if (json_object_object_get_ex(e, "functions", &f) &&
	    !json_object_is_type(f, json_type_null)) {
		const char *v = json_object_get_string(f);
		unsigned long x;
		char *end;

		errno = 0;
		x = json_object_is_type(f, json_type_string) ? strtoul(v, &end, 16) : 0;
		if (!json_object_is_type(f, json_type_string) || errno || end == v || *end ||
		    x > UINT32_MAX || strncmp(v, "0x", 2) != 0)
			return error_msgf(reterr_msg, -EINVAL,
					  "%sfunctions: expected 0x and 8 hex digits", where);
		q.functions = (uint32_t)x;
		q.has_functions = true;
	}
	if (json_object_object_get_ex(e, "type", &f) && !json_object_is_type(f, json_type_null)) {
		char t[16];

		if (!json_object_is_type(f, json_type_string))
			return error_msgf(reterr_msg, -EINVAL, "%stype: expected a string", where);
		/* Informative; hwtype decides, but the two must not disagree. */
		if (q.hwtype >= 0 && migration_type_name(q.hwtype, t) &&
		    strcmp(t, json_object_get_string(f)) != 0)
			return error_msgf(reterr_msg, -EINVAL,
					  "%stype: \"%.16s\" but hwtype %d is %s", where,
					  json_object_get_string(f), q.hwtype, t);
	}
	*ret = q;
	return 0;
}

static int parse_host(struct json_object *o, struct migration_spec *s, char **reterr_msg)
{
	static const char *const known[] = { "max_adapter_id", "max_domain_id",
					     "configured_control_domains" };
	struct json_object *h, *f;
	int a, d, r;

	s->src_max_apid = s->src_max_apqi = AP_ID_MAX;
	if (!json_object_object_get_ex(o, "host", &h) || json_object_is_type(h, json_type_null))
		return 0;
	if (!json_object_is_type(h, json_type_object))
		return error_msgf(reterr_msg, -EINVAL, "host: expected an object");
	if (!only_fields(h, known, ELEMENTSOF(known), "host.", reterr_msg))
		return -EINVAL;
	r = int_field(h, "max_adapter_id", 0, AP_ID_MAX, "host.", &a, reterr_msg);
	if (r >= 0)
		r = int_field(h, "max_domain_id", 0, AP_ID_MAX, "host.", &d, reterr_msg);
	if (r < 0)
		return r;
	if (a >= 0)
		s->src_max_apid = (unsigned int)a;
	if (d >= 0)
		s->src_max_apqi = (unsigned int)d;
	if (json_object_object_get_ex(h, "configured_control_domains", &f))
		return mask_from_json(f, "host.configured_control_domains", AP_ID_MAX, &s->src_adm,
				      reterr_msg);
	return 0;
}

int migration_spec_from_json(struct json_object *o, struct migration_spec **ret, char **reterr_msg)
{
	static const char *const known[] = { "version",	 "uuid",    "guest",
					     "adapters", "domains", "control_domains",
					     "host",	 "queues",  "reserve" };
	_cleanup_(migration_spec_freep) struct migration_spec *s = calloc(1, sizeof(*s));
	_cleanup_json_ struct json_object *def = json_object_new_object();
	struct json_object *f;
	size_t n;
	int r;

	if (!s || !def)
		return -ENOMEM;
	if (!json_object_is_type(o, json_type_object))
		return error_msgf(reterr_msg, -EINVAL, "expected a JSON object");
	if (!only_fields(o, known, ELEMENTSOF(known), "", reterr_msg))
		return -EINVAL;
	if (!json_object_object_get_ex(o, "version", &f) || !json_object_is_type(f, json_type_int))
		return error_msgf(reterr_msg, -EINVAL, "version: expected %d", MIGRATION_VERSION);
	if (json_object_get_int64(f) != MIGRATION_VERSION)
		return error_msgf(reterr_msg, -EINVAL,
				  "version: %lld is not supported (this daemon reads version %d)",
				  (long long)json_object_get_int64(f), MIGRATION_VERSION);
	if (!json_object_object_get_ex(o, "uuid", &f))
		return error_msgf(reterr_msg, -EINVAL, "uuid: missing");
	/* The definition's own parser checks uuid, guest and the matrix. */
	for (size_t i = 1; i < 6; i++)
		if (json_object_object_get_ex(o, known[i], &f))
			json_object_object_add(def, known[i], json_object_get(f));
	r = definition_from_json(def, AP_ID_MAX, AP_ID_MAX, &s->def, reterr_msg);
	if (r < 0)
		return r;
	for (char *p = s->def.uuid; *p; p++)
		if (*p >= 'A' && *p <= 'F')
			*p = (char)(*p - 'A' + 'a');
	s->def.autostart = false;
	if (!ap_mask_is_empty(&s->def.m.adm) && ap_mask_is_empty(&s->def.m.aqm))
		return error_msgf(reterr_msg, -EINVAL,
				  "control_domains without domains: control domain %d needs at "
				  "least one usage domain",
				  ap_mask_next(&s->def.m.adm, 0));
	s->reserve = KIND_ADAPTER;
	if (json_object_object_get_ex(o, "reserve", &f) &&
	    !json_object_is_type(f, json_type_null)) {
		if (json_object_is_type(f, json_type_string) &&
		    strcmp(json_object_get_string(f), "domain") == 0)
			s->reserve = KIND_DOMAIN;
		else if (!json_object_is_type(f, json_type_string) ||
			 strcmp(json_object_get_string(f), "adapter") != 0)
			return error_msgf(reterr_msg, -EINVAL,
					  "reserve: expected \"adapter\" or \"domain\"");
	}
	r = parse_host(o, s, reterr_msg);
	if (r < 0)
		return r;
	if (!json_object_object_get_ex(o, "queues", &f) || json_object_is_type(f, json_type_null)) {
		*ret = TAKE_PTR(s);
		return 0;
	}
	if (!json_object_is_type(f, json_type_array))
		return error_msgf(reterr_msg, -EINVAL, "queues: expected an array");
	n = json_object_array_length(f);
	/* Each APQN once: never more than the matrix has. */
	if (n > (size_t)ap_mask_count(&s->def.m.apm) * ap_mask_count(&s->def.m.aqm))
		return error_msgf(reterr_msg, -EINVAL,
				  "queues: %zu entries, more than the %u APQNs of the matrix", n,
				  ap_mask_count(&s->def.m.apm) * ap_mask_count(&s->def.m.aqm));
	s->queues = calloc(n ? n : 1, sizeof(*s->queues));
	if (!s->queues)
		return -ENOMEM;
	{
		/* Which APQNs are listed already: one bit per APQN. */
		_cleanup_free_ ap_mask *seen = calloc(AP_ID_COUNT, sizeof(*seen));

		if (!seen)
			return -ENOMEM;
		for (size_t i = 0; i < n; i++) {
			struct migration_queue *q = &s->queues[i];
			char a[APQN_STR_MAX];

			r = parse_queue(json_object_array_get_idx(f, i), &s->def.m, i, q,
					reterr_msg);
			if (r < 0)
				return r;
			if (ap_mask_test(&seen[q->apid], q->apqi))
				return error_msgf(reterr_msg, -EINVAL,
						  "queues[%zu]: APQN %s is listed twice", i,
						  apqn_to_string((apqn){ q->apid, q->apqi }, a));
			ap_mask_set(&seen[q->apid], q->apqi);
			s->n_queues++;
		}
	}
	*ret = TAKE_PTR(s);
	return 0;
}
