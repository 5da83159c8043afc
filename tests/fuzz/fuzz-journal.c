// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * journal_parse() (daemon/journal-parse.c) on whatever json-c makes of the
 * input, as the daemon reads journal.json at start. Properties: the result
 * is 0, -EINVAL or -E2BIG; an accepted journal has at most
 * JOURNAL_ITEMS_MAX items, each with a valid UUID, definitions only where
 * the journal names them, and ids within AP_ID_MAX.
 */
#include <json-c/json.h>

#include "domain-xml.h"
#include "fuzz-util.h"
#include "journal-parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct json_tokener *tok;
	struct json_object *o;
	struct journal jn;
	ap_mask apm, aqm;
	char *s;
	int r;

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
	ap_mask_zero(&apm);
	ap_mask_zero(&aqm);
	ap_mask_set(&apm, 0);
	r = journal_parse(o, size % 2 ? "" : "00000000-0000-4000-8000-000000000000", &apm, &aqm,
			  &jn);
	json_object_put(o);
	if (r < 0) {
		FUZZ_CHECK(r == -EINVAL || r == -E2BIG);
		return 0;
	}
	FUZZ_CHECK(jn.n <= JOURNAL_ITEMS_MAX);
	for (size_t i = 0; i < jn.n; i++) {
		const struct jitem *it = &jn.items[i];

		FUZZ_CHECK(uuid_is_valid(it->uuid));
		FUZZ_CHECK(!it->before.defined || it->before.def_known);
		FUZZ_CHECK(!it->after.defined || it->after.def_known);
		FUZZ_CHECK(ap_mask_last(&it->after.m.apm) <= AP_ID_MAX);
	}
	free(jn.items);
	return 0;
}
