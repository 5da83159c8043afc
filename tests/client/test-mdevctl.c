// SPDX-License-Identifier: GPL-2.0-or-later
/* mdevctl vfio-ap definitions <-> apmatrixd matrices, both directions. */
#include <stdlib.h>
#include <string.h>

#include "id-list.h"
#include "mdevctl.h"
#include "tap.h"

static char *ids(const ap_mask *m)
{
	char *s = NULL;

	if (id_list_format(m, &s) < 0)
		return NULL;
	return s;
}

static int parse(const char *text, mdevctl_def *def, char **msg)
{
	*msg = NULL;
	return mdevctl_def_parse(text, strlen(text), def, msg);
}

static void expect_error(const char *text, int err, const char *needle, const char *what)
{
	_cleanup_free_ char *msg = NULL;
	mdevctl_def def;
	int r = parse(text, &def, &msg);

	tap_is_int(r, err, "%s: error code", what);
	tap_ok(msg && strstr(msg, needle), "%s: message names \"%s\" (got \"%s\")", what, needle,
	       msg ?: "(null)");
}

int main(void)
{
	_cleanup_free_ char *msg = NULL, *a = NULL, *d = NULL, *c = NULL, *out = NULL;
	mdevctl_def def, back;
	int r;

	/* What mdevctl writes for "mdevctl define ... --addattr assign_adapter=5 ..." */
	r = parse("{\n"
		  "  \"mdev_type\": \"vfio_ap-passthrough\",\n"
		  "  \"start\": \"auto\",\n"
		  "  \"attrs\": [\n"
		  "    {\"assign_adapter\": \"5\"},\n"
		  "    {\"assign_adapter\": \"0x10\"},\n"
		  "    {\"assign_domain\": \"4\"},\n"
		  "    {\"assign_domain\": \"010\"},\n"
		  "    {\"assign_domain\": \"0xab\\n\"},\n"
		  "    {\"assign_control_domain\": \"4\"},\n"
		  "    {\"assign_adapter\": \"6\"},\n"
		  "    {\"unassign_adapter\": \"6\"}\n"
		  "  ]\n"
		  "}\n",
		  &def, &msg);
	tap_is_int(r, 0, "mdevctl definition parses (%s)", msg ?: "no error");
	a = ids(&def.matrix.apm);
	d = ids(&def.matrix.aqm);
	c = ids(&def.matrix.adm);
	tap_is_str(a, "5,16", "adapters: 5 and 0x10; 6 assigned then unassigned");
	tap_is_str(d, "4,8,171", "domains: \"010\" is octal like the kernel reads it, 0xab\\n ok");
	tap_is_str(c, "4", "control domains");
	tap_ok(def.autostart, "start auto -> autostart");

	r = parse("{\"mdev_type\":\"vfio_ap-passthrough\",\"start\":\"manual\"}", &def, &msg);
	tap_ok(r == 0 && !def.autostart && ap_mask_is_empty(&def.matrix.apm),
	       "manual start, no attrs: empty matrix");

	/* Export and parse back: the same definition. */
	def.autostart = true;
	ap_mask_zero(&def.matrix.apm);
	ap_mask_set(&def.matrix.apm, 0);
	ap_mask_set(&def.matrix.apm, 255);
	ap_mask_set(&def.matrix.aqm, 8);
	ap_mask_set(&def.matrix.adm, 9);
	r = mdevctl_def_format(&def, &out);
	tap_is_int(r, 0, "format");
	tap_ok(out && strstr(out, "\"assign_adapter\": \"255\"") &&
		       strstr(out, "\"assign_domain\": \"8\"") &&
		       strstr(out, "\"mdev_type\": \"vfio_ap-passthrough\"") &&
		       strstr(out, "\"start\": \"auto\""),
	       "exported text has mdevctl's keys and kernel-decimal values");
	tap_ok(out && strstr(out, "assign_adapter") < strstr(out, "assign_domain") &&
		       strstr(out, "assign_domain") < strstr(out, "assign_control_domain"),
	       "adapters, then domains, then control domains");
	free(msg);
	msg = NULL;
	r = out ? mdevctl_def_parse(out, strlen(out), &back, &msg) : -1;
	tap_ok(r == 0 && back.autostart == def.autostart &&
		       ap_matrix_equal(&back.matrix, &def.matrix),
	       "export then import gives the same definition");

	/* The DefineDevice config. */
	{
		_cleanup_json_ struct json_object *cfg = mdevctl_def_to_config(&def);

		tap_is_str(cfg ? json_object_to_json_string_ext(cfg, JSON_C_TO_STRING_PLAIN) : NULL,
			   "{\"adapters\":[0,255],\"domains\":[8],\"control_domains\":[9],"
			   "\"autostart\":true}",
			   "config JSON for DefineDevice");
	}

	/* Bad files: each names what is wrong. */
	expect_error("{", -EINVAL, "invalid JSON at offset 1: unexpected end of input",
		     "truncated JSON");
	expect_error("[]", -EINVAL, "expected a JSON object", "array root");
	{
		/* Nesting far deeper than any definition: refused, not recursed into. */
		char deep[2 * 200 + 1];

		memset(deep, '[', 200);
		memset(deep + 200, ']', 200);
		deep[400] = '\0';
		expect_error(deep, -EINVAL, "invalid JSON at offset", "nesting 200 deep");
	}

	expect_error("{\"mdev_type\":\"vfio_ap-passthrough\"} x", -EINVAL, "trailing data",
		     "trailing garbage");
	expect_error("{\"start\":\"auto\"}", -EINVAL, "mdev_type: missing", "no mdev_type");
	expect_error("{\"mdev_type\":\"i915-GVTg_V5_4\"}", -EINVAL, "mdev_type", "wrong type");
	expect_error("{\"mdev_type\":\"vfio_ap-passthrough\",\"start\":\"sometimes\"}", -EINVAL,
		     "start", "bad start");
	expect_error("{\"mdev_type\":\"vfio_ap-passthrough\",\"colour\":1}", -EINVAL,
		     "unknown key \"colour\"", "unknown key");
	expect_error("{\"mdev_type\":\"vfio_ap-passthrough\",\"attrs\":{}}", -EINVAL,
		     "attrs: expected an array", "attrs not an array");
	expect_error("{\"mdev_type\":\"vfio_ap-passthrough\",\"attrs\":[{\"assign_adapter\":5}]}",
		     -EINVAL, "attrs[0].assign_adapter: expected a string", "number value");
	expect_error("{\"mdev_type\":\"vfio_ap-passthrough\",\"attrs\":[{\"assign_adapter\":\"1\","
		     "\"assign_domain\":\"2\"}]}",
		     -EINVAL, "attrs[0]: expected an object with one key", "two keys");
	expect_error("{\"mdev_type\":\"vfio_ap-passthrough\",\"attrs\":[{\"assign_domain\":\"1\"},"
		     "{\"bogus\":\"1\"}]}",
		     -EINVAL, "attrs[1]: unknown vfio-ap attribute \"bogus\"", "unknown attr");
	/* One attribute value each, read as the kernel reads it. */
	static const struct {
		const char *value;
		int err;
		const char *needle, *what;
	} values[] = {
		{ "256", -ERANGE, "out of range", "id 256" },
		{ "-1", -EINVAL, "is not an id", "negative" },
		{ "08", -EINVAL, "is not an id", "08 is bad octal, as for the kernel" },
		{ "1,2", -EINVAL, "is not an id", "an id list is not one id" },
		{ "", -EINVAL, "is not an id", "empty value" },
		{ "5 ", -EINVAL, "is not an id", "trailing space" },
	};
	for (size_t i = 0; i < ELEMENTSOF(values); i++) {
		char text[256];

		snprintf(
			text, sizeof(text),
			"{\"mdev_type\":\"vfio_ap-passthrough\",\"attrs\":[{\"assign_domain\":\"%s\"}]}",
			values[i].value);
		expect_error(text, values[i].err, values[i].needle, values[i].what);
	}

	return tap_done();
}
