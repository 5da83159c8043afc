/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The commit point of a batch, once the kernel has its result: the
 * definitions it leaves made durable and its journal dropped
 * (batch_persist()), then the device objects made what the working copy
 * says (batch_commit()). When the definitions cannot be saved, the batch is
 * unwound instead (batch_unwind()).
 */
#ifndef APMATRIXD_BATCH_COMMIT_H
#define APMATRIXD_BATCH_COMMIT_H

#include <stdint.h>

#include "apply.h"
#include "batch-working.h"
#include "plan.h"

/*
 * Save the definitions of map[0 .. in->n_items - 1] that change, drop those
 * that go, then clear the journal. Only the files that change are written.
 * 0, or the store's negative errno with every old definition still in place.
 */
int batch_persist(Manager *m, const struct plan_input *in, struct want **map);

/*
 * The kernel has a batch's result but the definitions could not be saved:
 * tell the host cache what the kernel has, then settle the journal back to
 * where the batch started (kernel and definitions). If the disk refuses that
 * too, the journal stays pending and the health check finishes it.
 */
void batch_unwind(Manager *m, const struct plan_input *in, const struct apply_outcome *o);

/*
 * Make the device objects what the wants say (after batch_persist()), with
 * the kernel state o read back; a device neither defined nor active goes.
 * Emits DeviceAdded/DeviceChanged.
 */
void batch_commit(Manager *m, const struct plan_input *in, struct want **map,
		  const struct apply_outcome *o);

/* The guests whose matrix the batch changed start a new pacing interval at now. */
void batch_mark_updated(Manager *m, const struct plan_input *in, uint64_t now);

#endif
