// SPDX-License-Identifier: GPL-2.0-or-later
#include <errno.h>
#include <stdlib.h>

#include "matrix-json.h"
#include "tap.h"

static int parse(const char *json, ap_matrix *m, char **err)
{
	_cleanup_json_ struct json_object *o = json_tokener_parse(json);

	if (!o)
		return -EBADMSG;
	return matrix_from_json(o, 255, 15, m, err);
}

int main(void)
{
	_cleanup_json_ struct json_object *out = NULL;
	ap_matrix m;
	char *err = NULL;

	tap_is_int(parse("{\"adapters\":[1,\"3-5\"],\"domains\":\"0x0a\",\"control_domains\":[]}",
			 &m, &err),
		   0, "mixed ints and id lists");
	tap_is_int(ap_mask_count(&m.apm), 4, "adapters");
	tap_ok(ap_mask_test(&m.aqm, 10) && ap_mask_count(&m.aqm) == 1, "domains from a string");
	out = matrix_to_json(&m);
	tap_is_str(json_object_to_json_string_ext(out, JSON_C_TO_STRING_PLAIN),
		   "{\"adapters\":[1,3,4,5],\"domains\":[10],\"control_domains\":[]}",
		   "canonical output");

	tap_is_int(parse("{\"domains\":[1,16]}", &m, &err), -ERANGE, "domain above max");
	tap_is_str(err, "domains[1]: id 16 is out of range 0-15", "error names field and index");
	free(err);
	err = NULL;
	tap_is_int(parse("{\"adapters\":[true]}", &m, &err), -EINVAL, "wrong type");
	tap_is_str(err, "adapters[0]: expected an integer or an id-list string, got boolean",
		   "type error message");
	free(err);
	err = NULL;
	tap_is_int(parse("{\"adapters\":[-1]}", &m, &err), -ERANGE, "negative id");
	free(err);
	err = NULL;
	tap_is_int(parse("{\"adapters\":\"1-\"}", &m, &err), -EINVAL, "bad id list");
	tap_ok(err && strstr(err, "adapters") != NULL, "id list error names the field: %s", err);
	free(err);
	err = NULL;
	tap_is_int(parse("[1]", &m, &err), -EINVAL, "not an object");
	free(err);
	tap_is_int(parse("{}", &m, NULL), 0, "empty object");
	tap_ok(ap_mask_is_empty(&m.apm) && ap_mask_is_empty(&m.adm), "missing fields are empty");

	return tap_done();
}
