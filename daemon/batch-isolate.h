/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Isolating a failed kernel write: after a batch whose write failed was
 * rolled back, it is applied again one group at a time, so that a device
 * the kernel refuses fails only the requests that changed it.
 */
#ifndef APMATRIXD_BATCH_ISOLATE_H
#define APMATRIXD_BATCH_ISOLATE_H

#include <stdbool.h>
#include <stddef.h>

#include "batch-working.h"
#include "batch.h"
#include "plan.h"
#include "request.h"

/*
 * The groups of in's items that must move together: devices that give
 * APQNs to each other (one's current matrix shares an APQN with the other's
 * desired one) and devices changed by one request of accepted (r->touched,
 * want indices into ws; map[i] is the want of item i). ret_group[i] (n_items
 * entries, the caller's) is the lowest item index of item i's group. Pure.
 */
void batch_isolate_groups(const struct working *ws, const struct plan_input *in,
			  struct want *const *map, const struct request *accepted,
			  size_t *ret_group);

/*
 * Apply b (its first run failed on a write, b->outcome) again group by
 * group, each group its own run (journal, writes, readback, rollback) with
 * the per-device interface when the driver has it, then commit what
 * succeeded and answer every accepted request: .Kernel (or .Storage) for
 * those whose group failed, the group's result for the others. At most one
 * extra run per item. false when the batch cannot be split (masks change,
 * the rollback did not restore every device, out of memory): nothing was
 * done and the caller fails every request.
 */
bool batch_isolate_retry(struct batch *b);

#endif
