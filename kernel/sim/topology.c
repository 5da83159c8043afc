// SPDX-License-Identifier: GPL-2.0-or-later
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <json-c/json.h>

#include "id-list.h"
#include "log.h"
#include "matrix-json.h"
#include "topology.h"

static const char *const mode_names[] = {
	[SIM_MODE_ACCEL] = "accel",
	[SIM_MODE_CCA] = "cca",
	[SIM_MODE_EP11] = "ep11",
};

const char *sim_mode_to_string(enum sim_card_mode m)
{
	return (size_t)m < ELEMENTSOF(mode_names) ? mode_names[m] : "unknown";
}

static const struct {
	const char *name, *release;
} kernel_levels[] = {
	[SIM_KERNEL_6_1] = { "6.1", "6.1.0-apsim" },
	[SIM_KERNEL_6_10] = { "6.10", "6.10.0-apsim" },
	[SIM_KERNEL_6_12] = { "6.12", "6.12.0-apsim" },
	[SIM_KERNEL_6_15] = { "6.15", "6.15.0-apsim" },
	[SIM_KERNEL_6_19] = { "6.19", "6.19.0-apsim" },
	[SIM_KERNEL_APMATRIX] = { "apmatrix", "6.12.0-apmatrix" },
};

int sim_kernel_level_from_string(const char *s)
{
	for (size_t i = 0; i < ELEMENTSOF(kernel_levels); i++)
		if (strcmp(s, kernel_levels[i].name) == 0)
			return (int)i;
	return -EINVAL;
}

const char *sim_kernel_level_release(enum sim_kernel_level l)
{
	return (size_t)l < ELEMENTSOF(kernel_levels) ? kernel_levels[l].release : "unknown";
}

int sim_hwtype_from_string(const char *s)
{
	if (strncmp(s, "CEX", 3) == 0 && s[3] >= '4' && s[3] <= '8' && s[4] == 0)
		return 10 + (s[3] - '4');
	return -EINVAL;
}

_printf_(3, 4) static int fail(char **reterr_msg, int r, const char *fmt, ...)
{
	va_list ap;
	char *msg = NULL;

	if (reterr_msg) {
		va_start(ap, fmt);
		if (vasprintf(&msg, fmt, ap) < 0)
			msg = NULL;
		va_end(ap);
		*reterr_msg = msg;
	}
	return r;
}

static void topology_base(struct sim_topology *t)
{
	*t = (struct sim_topology){ 0 };
	t->apxa = true;
	t->max_apid = 255;
	t->max_apqi = 255;
	ap_mask_fill(&t->apmask);
	ap_mask_fill(&t->aqmask);
	t->kernel = SIM_KERNEL_APMATRIX;
	t->vfio_ap = true;
}

int topology_default(struct sim_topology *ret)
{
	static const struct {
		unsigned int hwtype;
		enum sim_card_mode mode;
	} cards[4] = {
		{ 14, SIM_MODE_CCA },
		{ 14, SIM_MODE_EP11 },
		{ 13, SIM_MODE_CCA },
		{ 13, SIM_MODE_ACCEL },
	};
	struct sim_topology t;

	topology_base(&t);
	/* A z16-like LPAR: APXA, 85 domains, of which this LPAR may use 0-15. */
	t.max_apqi = 84;
	for (unsigned int i = 0; i < 4; i++)
		t.adapters[i] = (struct sim_topo_adapter){
			.present = true,
			.configured = true,
			.hwtype = cards[i].hwtype,
			.mode = cards[i].mode,
		};
	ap_mask_set_range(&t.domains, 0, 15);
	ap_mask_set_range(&t.control_domains, 0, 15);
	/* Adapters 0-1 stay with the host's zcrypt drivers, 2-3 go to vfio_ap. */
	ap_mask_clear(&t.apmask, 2);
	ap_mask_clear(&t.apmask, 3);
	*ret = t;
	return 0;
}

static int get_uint(struct json_object *o, const char *field, unsigned int max, unsigned int *v,
		    char **reterr_msg)
{
	int64_t x;

	if (!json_object_is_type(o, json_type_int))
		return fail(reterr_msg, -EINVAL, "%s: expected an integer", field);
	x = json_object_get_int64(o);
	if (x < 0 || x > (int64_t)max)
		return fail(reterr_msg, -ERANGE, "%s: %lld is out of range 0-%u", field,
			    (long long)x, max);
	*v = (unsigned int)x;
	return 0;
}

static int parse_adapter(struct json_object *a, size_t idx, struct sim_topology *t,
			 char **reterr_msg)
{
	struct json_object *f;
	struct sim_topo_adapter ad = {
		.present = true, .configured = true, .hwtype = 14, .mode = SIM_MODE_CCA
	};
	char field[64];
	ap_mask ids;
	int r;

	if (!json_object_is_type(a, json_type_object))
		return fail(reterr_msg, -EINVAL, "adapters[%zu]: expected an object", idx);
	ap_mask_zero(&ids);
	if (json_object_object_get_ex(a, "id", &f)) {
		unsigned int id;

		snprintf(field, sizeof(field), "adapters[%zu].id", idx);
		r = get_uint(f, field, t->max_apid, &id, reterr_msg);
		if (r < 0)
			return r;
		ap_mask_set(&ids, id);
	} else if (json_object_object_get_ex(a, "ids", &f)) {
		snprintf(field, sizeof(field), "adapters[%zu].ids", idx);
		r = mask_from_json(f, field, t->max_apid, &ids, reterr_msg);
		if (r < 0)
			return r;
	} else
		return fail(reterr_msg, -EINVAL, "adapters[%zu]: needs \"id\" or \"ids\"", idx);

	if (json_object_object_get_ex(a, "type", &f)) {
		const char *s = json_object_get_string(f);

		r = json_object_is_type(f, json_type_string) ? sim_hwtype_from_string(s) : -EINVAL;
		if (r < 0)
			return fail(reterr_msg, -EINVAL,
				    "adapters[%zu].type: \"%s\" is not one of CEX4..CEX8", idx, s);
		ad.hwtype = (unsigned int)r;
	}
	if (json_object_object_get_ex(a, "mode", &f)) {
		const char *s = json_object_get_string(f);
		bool found = false;

		for (size_t i = 0; i < ELEMENTSOF(mode_names); i++)
			if (json_object_is_type(f, json_type_string) &&
			    strcmp(s, mode_names[i]) == 0) {
				ad.mode = (enum sim_card_mode)i;
				found = true;
			}
		if (!found)
			return fail(reterr_msg, -EINVAL,
				    "adapters[%zu].mode: \"%s\" is not one of accel, cca, ep11",
				    idx, s);
	}
	if (json_object_object_get_ex(a, "configured", &f)) {
		if (!json_object_is_type(f, json_type_boolean))
			return fail(reterr_msg, -EINVAL,
				    "adapters[%zu].configured: expected a boolean", idx);
		ad.configured = json_object_get_boolean(f);
	}
	AP_MASK_FOREACH(id, &ids) {
		if (t->adapters[id].present)
			return fail(reterr_msg, -EEXIST, "adapters[%zu]: adapter %d listed twice",
				    idx, id);
		t->adapters[id] = ad;
	}
	return 0;
}

static int parse_mdev(struct json_object *o, size_t idx, struct sim_topology *t, char **reterr_msg)
{
	struct sim_topo_mdev *m = &t->mdevs[idx];
	_cleanup_free_ char *msg = NULL;
	ap_matrix mx;
	struct json_object *f;
	const char *u;
	int r;

	if (!json_object_is_type(o, json_type_object))
		return fail(reterr_msg, -EINVAL, "mdevs[%zu]: expected an object", idx);
	if (!json_object_object_get_ex(o, "uuid", &f) || !json_object_is_type(f, json_type_string))
		return fail(reterr_msg, -EINVAL, "mdevs[%zu].uuid: missing or not a string", idx);
	u = json_object_get_string(f);
	if (strlen(u) != 36)
		return fail(reterr_msg, -EINVAL, "mdevs[%zu].uuid: \"%s\" is not a UUID", idx, u);
	for (size_t i = 0; i < 36; i++) {
		bool dash = i == 8 || i == 13 || i == 18 || i == 23;

		if (dash ? u[i] != '-' : !strchr("0123456789abcdefABCDEF", u[i]))
			return fail(reterr_msg, -EINVAL, "mdevs[%zu].uuid: \"%s\" is not a UUID",
				    idx, u);
	}
	for (size_t i = 0; i < 37; i++)
		m->uuid[i] = (char)(u[i] >= 'A' && u[i] <= 'F' ? u[i] - 'A' + 'a' : u[i]);
	for (size_t i = 0; i < idx; i++)
		if (strcmp(t->mdevs[i].uuid, m->uuid) == 0)
			return fail(reterr_msg, -EEXIST, "mdevs[%zu].uuid: %s listed twice", idx,
				    m->uuid);
	r = matrix_from_json(o, t->max_apid, t->max_apqi, &mx, &msg);
	if (r < 0)
		return fail(reterr_msg, r, "mdevs[%zu].%s", idx, msg ? msg : "bad matrix");
	m->apm = mx.apm;
	m->aqm = mx.aqm;
	m->adm = mx.adm;
	return 0;
}

static int parse_mask_field(struct json_object *root, const char *field, unsigned int max,
			    ap_mask *m, char **reterr_msg)
{
	struct json_object *f;

	if (!json_object_object_get_ex(root, field, &f))
		return 0; /* keep the default */
	return mask_from_json(f, field, max, m, reterr_msg);
}

int topology_from_json(const char *text, struct sim_topology *ret, char **reterr_msg)
{
	_cleanup_json_ struct json_object *root = NULL;
	struct json_tokener *tok;
	enum json_tokener_error jerr;
	struct sim_topology t;
	struct json_object *f;
	static const char *const known[] = {
		"apxa",	   "max_adapter_id",  "max_domain_id", "adapters",
		"domains", "control_domains", "apmask",	       "aqmask",
		"mdevs",   "kernel",	      "bindings_held", "se",
		"vfio_ap",
	};
	int r;

	tok = json_tokener_new();
	if (!tok)
		return -ENOMEM;
	root = json_tokener_parse_ex(tok, text, (int)strlen(text));
	jerr = json_tokener_get_error(tok);
	json_tokener_free(tok);
	if (!root || jerr != json_tokener_success)
		return fail(reterr_msg, -EINVAL, "not valid JSON: %s",
			    json_tokener_error_desc(jerr));
	if (!json_object_is_type(root, json_type_object))
		return fail(reterr_msg, -EINVAL, "top level: expected an object");

	json_object_object_foreach(root, key, val)
	{
		bool ok = false;

		(void)val;
		for (size_t i = 0; i < ELEMENTSOF(known); i++)
			ok = ok || strcmp(key, known[i]) == 0;
		if (!ok)
			return fail(reterr_msg, -EINVAL, "%s: unknown field", key);
	}

	topology_base(&t);
	if (json_object_object_get_ex(root, "kernel", &f)) {
		r = json_object_is_type(f, json_type_string) ?
			    sim_kernel_level_from_string(json_object_get_string(f)) :
			    -EINVAL;
		if (r < 0)
			return fail(reterr_msg, -EINVAL,
				    "kernel: expected \"6.1\", \"6.10\", \"6.12\", \"6.15\", "
				    "\"6.19\" or \"apmatrix\"");
		t.kernel = (enum sim_kernel_level)r;
	}
	if (json_object_object_get_ex(root, "bindings_held", &f)) {
		if (!json_object_is_type(f, json_type_boolean))
			return fail(reterr_msg, -EINVAL, "bindings_held: expected a boolean");
		t.bindings_held = json_object_get_boolean(f);
	}
	if (json_object_object_get_ex(root, "vfio_ap", &f)) {
		if (!json_object_is_type(f, json_type_boolean))
			return fail(reterr_msg, -EINVAL, "vfio_ap: expected a boolean");
		t.vfio_ap = json_object_get_boolean(f);
		if (!t.vfio_ap && json_object_object_get_ex(root, "mdevs", NULL))
			return fail(reterr_msg, -EINVAL, "mdevs: need the vfio_ap driver loaded");
	}
	if (json_object_object_get_ex(root, "se", &f)) {
		if (!json_object_is_type(f, json_type_boolean))
			return fail(reterr_msg, -EINVAL, "se: expected a boolean");
		t.se = json_object_get_boolean(f);
	}
	if (json_object_object_get_ex(root, "apxa", &f)) {
		if (!json_object_is_type(f, json_type_boolean))
			return fail(reterr_msg, -EINVAL, "apxa: expected a boolean");
		t.apxa = json_object_get_boolean(f);
		t.max_apid = t.apxa ? 255 : 63;
		t.max_apqi = t.apxa ? 255 : 15;
	}
	if (json_object_object_get_ex(root, "max_adapter_id", &f)) {
		r = get_uint(f, "max_adapter_id", t.apxa ? 255 : 63, &t.max_apid, reterr_msg);
		if (r < 0)
			return r;
	}
	if (json_object_object_get_ex(root, "max_domain_id", &f)) {
		r = get_uint(f, "max_domain_id", t.apxa ? 255 : 15, &t.max_apqi, reterr_msg);
		if (r < 0)
			return r;
	}
	if (json_object_object_get_ex(root, "adapters", &f)) {
		size_t n;

		if (!json_object_is_type(f, json_type_array))
			return fail(reterr_msg, -EINVAL, "adapters: expected an array");
		n = json_object_array_length(f);
		if (n > AP_ID_COUNT)
			return fail(reterr_msg, -EINVAL, "adapters: more than %d entries",
				    AP_ID_COUNT);
		for (size_t i = 0; i < n; i++) {
			r = parse_adapter(json_object_array_get_idx(f, i), i, &t, reterr_msg);
			if (r < 0)
				return r;
		}
	}
	r = parse_mask_field(root, "domains", t.max_apqi, &t.domains, reterr_msg);
	if (r < 0)
		return r;
	t.control_domains = t.domains;
	r = parse_mask_field(root, "control_domains", t.max_apqi, &t.control_domains, reterr_msg);
	if (r < 0)
		return r;
	r = parse_mask_field(root, "apmask", AP_ID_MAX, &t.apmask, reterr_msg);
	if (r < 0)
		return r;
	r = parse_mask_field(root, "aqmask", AP_ID_MAX, &t.aqmask, reterr_msg);
	if (r < 0)
		return r;

	if (json_object_object_get_ex(root, "mdevs", &f)) {
		size_t n;

		if (!json_object_is_type(f, json_type_array))
			return fail(reterr_msg, -EINVAL, "mdevs: expected an array");
		n = json_object_array_length(f);
		if (n > 65536)
			return fail(reterr_msg, -EINVAL, "mdevs: more than 65536 entries");
		t.mdevs = calloc(n ? n : 1, sizeof(*t.mdevs));
		if (!t.mdevs)
			return -ENOMEM;
		t.n_mdevs = n;
		for (size_t i = 0; i < n; i++) {
			r = parse_mdev(json_object_array_get_idx(f, i), i, &t, reterr_msg);
			if (r < 0) {
				topology_done(&t);
				return r;
			}
		}
	}
	*ret = t;
	return 0;
}

int topology_load(const char *path, struct sim_topology *ret, char **reterr_msg)
{
	_cleanup_fclose_ FILE *f = NULL;
	_cleanup_free_ char *text = NULL;
	size_t len = 0, cap = 0;

	f = fopen(path, "re");
	if (!f)
		return fail(reterr_msg, negative_errno(), "%s: %s", path, strerror(errno));
	for (;;) {
		size_t n;

		if (cap - len < 4096) {
			char *nt;

			if (cap > (64u << 20))
				return fail(reterr_msg, -EFBIG, "%s: larger than 64 MiB", path);
			cap = cap ? cap * 2 : 65536;
			nt = realloc(text, cap + 1);
			if (!nt)
				return -ENOMEM;
			text = nt;
		}
		n = fread(text + len, 1, cap - len, f);
		len += n;
		if (n == 0)
			break;
	}
	if (ferror(f))
		return fail(reterr_msg, -EIO, "%s: read error", path);
	text[len] = 0;
	return topology_from_json(text, ret, reterr_msg);
}

void topology_done(struct sim_topology *t)
{
	free(t->mdevs);
	t->mdevs = NULL;
	t->n_mdevs = 0;
}
