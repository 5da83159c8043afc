/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Validation of one request against the working copy of a batch, as if the
 * requests before it were applied already. What each request type names,
 * needs and checks is one row of a table (batch-validate.c, request_rules[]):
 * the device it names is looked up (or created, for a definition), its
 * preconditions are checked, the change is made on the working copy, and the
 * sharing and reservation rules are checked on every device it changed.
 */
#ifndef APMATRIXD_BATCH_VALIDATE_H
#define APMATRIXD_BATCH_VALIDATE_H

#include <systemd/sd-bus.h>

#include "batch-working.h"
#include "request.h"

/*
 * Validate r and make its change on ws: 0, or a negative errno (err set
 * unless it is -ENOMEM or -EINVAL) with ws as it was before.
 */
int batch_validate(struct working *ws, const struct request *r, sd_bus_error *err);

#endif
