/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The apply stage: the batch's journal of intent, its kernel writes and
 * readback (apply.c), or only the journal when it changes definitions but no
 * kernel state; then the commit point (batch-commit.h). A failed write of
 * one device's mdev is retried group by group (batch-isolate.h).
 */
#ifndef APMATRIXD_BATCH_APPLY_H
#define APMATRIXD_BATCH_APPLY_H

#include <json-c/json.h>
#include <stdint.h>

#include "batch.h"

/* batch_apply(): every request was answered already (isolated retry). */
#define BATCH_ANSWERED 1

/* The journal of a batch: its items and their definitions before and after. NULL: no memory. */
struct json_object *batch_journal(const struct plan_input *in, struct want **map, uint64_t batch);

/*
 * Apply planned batch b and commit it: 0 (b->outcome holds what the kernel
 * has), BATCH_ANSWERED, or a negative errno with b->error set (the kernel
 * and the definitions are as before, or the journal says how to get there).
 */
int batch_apply(struct batch *b);

#endif
