/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The applier, the only code that writes sysfs: takes the s390-tools AP
 * configuration lock, writes the journal of intent, executes a plan write by
 * write, reads back every mdev it touched, and on a failure restores what the
 * touched mdevs and masks were before, reporting the kernel's errno with the
 * attribute.
 */
#ifndef APMATRIXD_APPLY_H
#define APMATRIXD_APPLY_H

#include <json-c/json.h>
#include <stdint.h>
#include <sys/types.h>

#include "host.h"
#include "plan.h"
#include "store.h"

#define AP_LOCK_PATH_DEFAULT "/run/lock/s390apconfig.lock"

/*
 * The lock file protocol of s390-tools (libutil's util_lockfile, liblockfile
 * style; not flock/fcntl): our PID goes into a temp file beside the lock,
 * which is link()ed to the lock path; a lock whose PID is dead is stale and
 * removed. The holder is the PID in the file (the ap mdevctl callout writes
 * its parent's, mdevctl's).
 *
 * ap_lock_try(): one attempt, never waits: 0, or -EBUSY with the holder's
 * PID (0 while it has not written one yet) in *ret_holder, or another
 * negative errno (logged).
 */
int ap_lock_try(const char *path, pid_t *ret_holder);
/* Tries until timeout_usec has passed, sleeping in between (startup only), then -EBUSY. */
int ap_lock_acquire(const char *path, uint64_t timeout_usec);
void ap_lock_release(const char *path);
/* "PID 123, command \"chzdev ...\"" for messages; buf is returned. */
const char *ap_lock_holder_describe(pid_t pid, char *buf, size_t size);

struct apply_outcome {
	size_t writes_done;
	char *failed_attr; /* on failure: the attribute whose write failed */
	char *message; /* on failure: one line for the caller */
	bool rolled_back;
	bool storage_failed; /* the journal could not be written: the kernel was not touched */
	bool read_back; /* readback, exists, guest, masks hold what the kernel says */
	ap_matrix *readback; /* n_items: kernel matrix after the run */
	bool *exists; /* n_items: mdev exists after the run */
	ap_matrix *guest; /* n_items: its guest matrix after the run */
	ap_mask apmask, aqmask;
};

void apply_outcome_done(struct apply_outcome *o);

/*
 * Run plan p for input in, under the AP configuration lock: lock_path is
 * taken (waiting up to lock_timeout_usec) and released; NULL: the caller
 * holds it already (a batch, batch-lock.h). intent (may be NULL) is written as the journal
 * before the first write. Returns 0 or the negative errno of the failed write
 * (outcome describes it; the touched mdevs are rolled back to
 * in->items[].cur and the journal is removed). On success the journal stays:
 * the caller removes it once the definitions are durable, so that a crash in
 * between is rolled forward from it at the next start.
 */
int apply_run(const char *lock_path, uint64_t lock_timeout_usec, struct store *store,
	      const struct host *h, const struct plan_input *in, const struct plan *p,
	      struct json_object *intent, struct apply_outcome *ret);

/*
 * Driver_override mode: give the queues that appeared in a reserved adapter
 * or domain their override (reservation_has_pending()) under the AP
 * configuration lock, taken without waiting unless lock_held. 0, -EBUSY
 * (the lock is another's: the next refresh tries again) or the errno of a
 * failed write (logged).
 */
int apply_claim_queues(const char *lock_path, bool lock_held, struct host *h);

#endif
