// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The export of a guest's device, as CheckMigration and PrepareMigration
 * take it: the argument checks of daemon/bus-args.c (size, depth, an
 * object) and migration_spec_from_json() of daemon/migration-parse.c.
 * Properties: a refusal is -EINVAL, -ERANGE or -E2BIG with a message; an
 * accepted export has a UUID, no autostart, control domains only with
 * usage domains, and each queue once and inside the matrix.
 */
#include <json-c/json.h>

#include "bus-args.h"
#include "domain-xml.h"
#include "fuzz-util.h"
#include "migration.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	_cleanup_(sd_bus_error_free) sd_bus_error e = SD_BUS_ERROR_NULL;
	struct migration_spec *s = NULL;
	struct json_object *o = NULL;
	char *text, *msg = NULL;
	int r;

	if (size > 1024 * 1024)
		return 0;
	/* A D-Bus string: NUL-terminated, no NUL inside. */
	text = malloc(size + 1);
	FUZZ_CHECK(text);
	memcpy(text, data, size);
	text[size] = '\0';
	if (strlen(text) != size) {
		free(text);
		return 0;
	}
	r = bus_parse_json_object(text, "json", APM_LIMIT_MIGRATION_JSON_BYTES,
				  "MigrationJsonBytes", &o, &e);
	free(text);
	if (r < 0) {
		FUZZ_CHECK(sd_bus_error_is_set(&e) && e.message &&
			   strncmp(e.message, "json: ", 6) == 0);
		return 0;
	}
	r = migration_spec_from_json(o, &s, &msg);
	json_object_put(o);
	if (r < 0) {
		FUZZ_CHECK(r == -EINVAL || r == -ERANGE || r == -E2BIG);
		FUZZ_CHECK(msg && *msg);
		free(msg);
		return 0;
	}
	FUZZ_CHECK(s && !msg);
	FUZZ_CHECK(uuid_is_valid(s->def.uuid) && !s->def.autostart);
	FUZZ_CHECK(ap_mask_is_empty(&s->def.m.adm) || !ap_mask_is_empty(&s->def.m.aqm));
	FUZZ_CHECK(s->reserve == KIND_ADAPTER || s->reserve == KIND_DOMAIN);
	for (size_t i = 0; i < s->n_queues; i++) {
		FUZZ_CHECK(ap_mask_test(&s->def.m.apm, s->queues[i].apid) &&
			   ap_mask_test(&s->def.m.aqm, s->queues[i].apqi));
		for (size_t k = 0; k < i; k++)
			FUZZ_CHECK(s->queues[k].apid != s->queues[i].apid ||
				   s->queues[k].apqi != s->queues[i].apqi);
	}
	migration_spec_free(s);
	return 0;
}
