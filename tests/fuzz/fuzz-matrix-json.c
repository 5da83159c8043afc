// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * matrix_from_json() on whatever json_tokener makes of the input (read with
 * an explicit length from an unterminated buffer): errors are -EINVAL or
 * -ERANGE with a message; a matrix it accepts goes through matrix_to_json()
 * and back unchanged; lower maximums accept exactly the matrices whose ids
 * fit, with the same result.
 */
#include <json-c/json.h>

#include "fuzz-util.h"
#include "matrix-json.h"

static bool fits(const ap_matrix *m, int max_apid, int max_apqi)
{
	return ap_mask_last(&m->apm) <= max_apid && ap_mask_last(&m->aqm) <= max_apqi &&
	       ap_mask_last(&m->adm) <= max_apqi;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s, *msg = NULL, *msg2 = NULL;
	struct json_tokener *tok;
	struct json_object *o, *back, *reparsed;
	ap_matrix m, m2, small;
	int r, r2;

	if (size > 1 << 16)
		return 0;
	s = fuzz_copy(data, size);
	tok = json_tokener_new();
	FUZZ_CHECK(tok);
	o = json_tokener_parse_ex(tok, s, (int)size);
	json_tokener_free(tok);
	free(s);
	if (!o)
		return 0;

	r = matrix_from_json(o, AP_ID_MAX, AP_ID_MAX, &m, &msg);
	r2 = matrix_from_json(o, 63, 15, &small, &msg2);
	if (r < 0) {
		FUZZ_CHECK(r == -EINVAL || r == -ERANGE || r == -E2BIG);
		FUZZ_CHECK(msg && *msg);
		FUZZ_CHECK(r2 < 0);
	} else if (fits(&m, 63, 15)) {
		FUZZ_CHECK(r2 == 0 && ap_matrix_equal(&m, &small));
	} else {
		FUZZ_CHECK(r2 == -ERANGE);
	}
	free(msg);
	free(msg2);
	msg = NULL;

	if (r == 0) {
		const char *text;

		back = matrix_to_json(&m);
		FUZZ_CHECK(back);
		text = json_object_to_json_string_ext(back, JSON_C_TO_STRING_PLAIN);
		reparsed = json_tokener_parse(text);
		FUZZ_CHECK(reparsed);
		FUZZ_CHECK(matrix_from_json(reparsed, AP_ID_MAX, AP_ID_MAX, &m2, &msg) == 0);
		FUZZ_CHECK(ap_matrix_equal(&m, &m2));
		json_object_put(reparsed);
		json_object_put(back);
	}
	json_object_put(o);
	return 0;
}
