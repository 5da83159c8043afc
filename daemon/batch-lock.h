/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The AP configuration lock (s390apconfig.lock, apply.h) around a batch's
 * kernel writes, without blocking the event loop: one attempt when the
 * batch is planned. When another process holds it, the batch's accepted
 * requests go back to the head of their senders' FIFOs and a timer runs
 * the batch again (retries back off from 5 ms to 250 ms; inotify on the
 * lock's directory runs it at once when the file goes); meanwhile reads
 * are answered and new requests queue. A request that has waited
 * ApConfigLockTimeoutSec= gets .Busy naming the holder (PID, command line).
 */
#ifndef APMATRIXD_BATCH_LOCK_H
#define APMATRIXD_BATCH_LOCK_H

#include "batch.h"

/* The batch's requests wait for the lock: nothing to answer now. */
#define BATCH_LOCK_WAIT 1

#define BATCH_LOCK_RETRY_MIN_USEC 5000
#define BATCH_LOCK_RETRY_MAX_USEC 250000

/*
 * Take the lock for batch b: 0 (m->lock_held), BATCH_LOCK_WAIT (b->accepted
 * is empty: requeued, or answered with .Busy when out of time), or a
 * negative errno with b->error set.
 */
int batch_lock(struct batch *b);
/* Release it after the batch's writes (nothing when not held). */
void batch_unlock(Manager *m);

#endif
