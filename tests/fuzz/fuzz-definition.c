// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The daemon's definition JSON, as DefineDevice takes it: the argument
 * checks of daemon/bus-args.c (size, depth, an object), definition_from_json()
 * of daemon/store.c and the control domain rule. Properties: a refusal is
 * InvalidArgs, .OutOfRange or .LimitExceeded with a message naming
 * config_json; an accepted definition survives definition_to_json() and
 * back unchanged (the form the state directory stores).
 */
#include <json-c/json.h>

#include "bus-args.h"
#include "fuzz-util.h"
#include "store.h"

#define UUID "11111111-2222-4333-8444-555555555555"

static void check_error(const sd_bus_error *e)
{
	FUZZ_CHECK(sd_bus_error_is_set(e));
	FUZZ_CHECK(sd_bus_error_has_names(e, SD_BUS_ERROR_INVALID_ARGS, ERR_OUT_OF_RANGE,
					  ERR_LIMIT_EXCEEDED));
	FUZZ_CHECK(e->message && strncmp(e->message, "config_json: ", 13) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	_cleanup_(sd_bus_error_free) sd_bus_error e = SD_BUS_ERROR_NULL;
	struct json_object *o = NULL, *back;
	struct definition d, d2;
	char *s, *msg = NULL;
	int r;

	if (size > 2 * APM_LIMIT_CONFIG_JSON_BYTES)
		return 0;
	/* A D-Bus string: NUL-terminated, no NUL inside. */
	s = malloc(size + 1);
	FUZZ_CHECK(s);
	memcpy(s, data, size);
	s[size] = '\0';
	if (strlen(s) != size) {
		free(s);
		return 0;
	}
	r = bus_parse_json_object(s, "config_json", APM_LIMIT_CONFIG_JSON_BYTES, "ConfigJsonBytes",
				  &o, &e);
	free(s);
	if (r < 0) {
		check_error(&e);
		return 0;
	}
	FUZZ_CHECK(json_object_is_type(o, json_type_object));
	r = definition_from_json(o, 63, 15, &d, &msg);
	if (r < 0) {
		FUZZ_CHECK(r == -EINVAL || r == -ERANGE || r == -E2BIG);
		FUZZ_CHECK(msg && *msg);
		r = bus_json_error(r, "config_json", msg, &e);
		FUZZ_CHECK(r < 0);
		check_error(&e);
		json_object_put(o);
		return 0;
	}
	json_object_put(o);
	if (bus_check_matrix(&d.m, "config_json", &e) < 0) {
		check_error(&e);
		return 0;
	}
	FUZZ_CHECK(ap_mask_last(&d.m.apm) <= 63 && ap_mask_last(&d.m.aqm) <= 15 &&
		   ap_mask_last(&d.m.adm) <= 15);
	snprintf(d.uuid, sizeof(d.uuid), "%s", UUID);
	back = definition_to_json(&d);
	FUZZ_CHECK(back);
	FUZZ_CHECK(definition_from_json(back, 63, 15, &d2, NULL) == 0);
	FUZZ_CHECK(ap_matrix_equal(&d.m, &d2.m) && d.autostart == d2.autostart &&
		   strcmp(d.guest, d2.guest) == 0 && strcmp(d.uuid, d2.uuid) == 0);
	json_object_put(back);
	return 0;
}
