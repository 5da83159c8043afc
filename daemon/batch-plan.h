/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The plan stage: the devices a batch touched, from what the kernel has to
 * what the working copy says, planned by plan.c; the JSON result callers
 * and BatchApplied get; dry runs.
 */
#ifndef APMATRIXD_BATCH_PLAN_H
#define APMATRIXD_BATCH_PLAN_H

#include <json-c/json.h>
#include <stdbool.h>
#include <stdint.h>

#include "apply.h"
#include "batch-working.h"
#include "batch.h"
#include "plan.h"
#include "request.h"

/*
 * Plan input from the touched wants of ws: the kernel as it is -> as ws
 * says. *ret_map[i] is the want of item i; both arrays are the caller's to
 * free. 0 or -ENOMEM.
 */
int build_plan_input(struct working *ws, struct plan_input *in, struct plan_item **ret_items,
		     struct want ***ret_map);

/*
 * The result of a batch (or a dry run): its writes, their cost, and per
 * device the matrix it has afterwards: what the kernel read back (o), or
 * what the plan makes it (o NULL); its definition while it is not active.
 */
struct json_object *batch_plan_to_json(const struct plan_input *in, const struct plan *p,
				       uint64_t batch, size_t n_requests, bool dry_run,
				       const struct apply_outcome *o, struct want *const *map);

/*
 * A dry run within a batch: r is validated and planned on top of the
 * requests before it, answered with the plan, and leaves ws as it was.
 */
void batch_dry_run(struct working *ws, struct request *r);

/*
 * The plan stage of b (its requests validated): an earlier batch's journal
 * settled first, then b->in, b->map and b->plan. 0, or a negative errno
 * with b->error set.
 */
int batch_plan(struct batch *b);

#endif
