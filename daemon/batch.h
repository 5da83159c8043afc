/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * One batch on its way through the pipeline of manager_run_batch()
 * (batch.c):
 *
 *   collect   the queued requests, and those already on the bus socket
 *   validate  each against the working copy (batch-working.c,
 *             batch-validate.c): a rejected one is answered at once and
 *             undone, a dry run is planned and answered and leaves no trace
 *   plan      the touched devices, as the kernel has them -> as the working
 *             copy says (batch-plan.c)
 *   apply     journal, kernel writes, readback (apply.c); the commit point
 *             (batch-commit.c); when one device's write fails, the batch
 *             again group by group (batch-isolate.c) (batch-apply.c)
 *   answer    every accepted request, with the result or the batch's error
 *             (batch-answer.c)
 */
#ifndef APMATRIXD_BATCH_H
#define APMATRIXD_BATCH_H

#include <stdint.h>
#include <systemd/sd-bus.h>

#include "apply.h"
#include "batch-working.h"
#include "plan.h"
#include "request.h"

struct batch {
	Manager *m;
	uint64_t seq; /* m->batch_seq of this batch */
	struct working ws;
	/* The accepted requests in order, with which wants each changed (r->touched). */
	struct request *accepted;
	size_t n_accepted;
	/* plan: in.items[i] is the device of want map[i] */
	struct plan_input in;
	struct plan_item *items;
	struct want **map;
	struct plan *plan;
	/* apply */
	struct apply_outcome outcome;
	sd_bus_error error; /* why the batch failed: each accepted request is answered with it */
	uint64_t t_start, t_plan, t_apply, t_commit;
};

uint64_t batch_now_usec(void);

#endif
