/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The arguments of the org.apmatrix1.Manager methods: parsing and the static
 * checks that need no batch (syntax, id ranges, the control domain rule, the
 * limits of apm-limits.h). Each helper returns 0, or a negative errno with
 * error set to the name and message the caller gets: InvalidArgs for malformed
 * input, .OutOfRange for an id above the host's maximum, .LimitExceeded (which
 * limit, the value, the maximum) for input over a limit. They run only after
 * the sender is authorised (auth.h), so an unprivileged caller learns nothing
 * about its arguments.
 */
#ifndef APMATRIXD_BUS_ARGS_H
#define APMATRIXD_BUS_ARGS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <systemd/sd-bus.h>

#include "apm-limits.h"
#include "matrix-json.h"
#include "request.h"

#define ERR_OUT_OF_RANGE "org.apmatrix1.Error.OutOfRange"
#define ERR_LIMIT_EXCEEDED APM_ERROR_LIMIT_EXCEEDED

/* "FIELD: VALUE UNIT, over the limit NAME=MAX" as .LimitExceeded. */
int bus_error_limit(sd_bus_error *error, const char *field, size_t value, const char *unit,
		    const char *name, size_t max);

int bus_check_flags(uint64_t flags, sd_bus_error *error);

/* A UUID, canonicalised to lower case into out. */
int bus_parse_uuid(const char *s, const char *field, char out[static UUID_STR_LEN + 1],
		   sd_bus_error *error);

/* "adapter", "domain" and, unless ids_only, "control-domain". */
int bus_parse_kind(const char *s, bool ids_only, enum id_kind *ret, sd_bus_error *error);

/* The "au ids" argument: not empty, at most IdsPerCall entries, within the host's maximum. */
int bus_read_ids(Manager *m, sd_bus_message *msg, enum id_kind kind, ap_mask *ret,
		 sd_bus_error *error);

/*
 * A JSON object argument of at most max_bytes (limit limit_name) and
 * JsonDepth levels; anything else (malformed, trailing data, not an object:
 * null, 42, "x", []) is InvalidArgs naming the field.
 */
int bus_parse_json_object(const char *s, const char *field, size_t max_bytes,
			  const char *limit_name, struct json_object **ret, sd_bus_error *error);

/* Map a libapm/store JSON error (-EINVAL, -ERANGE, -E2BIG, message) to the bus; frees msg. */
int bus_json_error(int r, const char *field, char *msg, sd_bus_error *error);

/* Control domains need at least one usage domain (InvalidArgs naming field). */
int bus_check_matrix(const ap_matrix *mx, const char *field, sd_bus_error *error);

#endif
