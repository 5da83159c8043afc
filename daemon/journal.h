/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The journal of intent (journal.json in the state directory): what a batch
 * is about to change, per mdev the kernel state and the definition before and
 * after, and the AP bus masks. The batch writes it before its first kernel
 * write (or before saving more than nothing when it writes no kernel state)
 * and removes it only once the new definitions are durable; the reply goes
 * out after that. So a journal on disk always means "not acknowledged", and
 * whoever finds one may settle it in either direction:
 *
 *   forward  when every definition on disk is already the new one (the crash
 *            came after the definitions): the kernel is brought to "after";
 *   back     otherwise: definitions and kernel are put back to "before".
 *
 * A journal of another boot settles only the definitions: the kernel state
 * it describes is gone and autostart rebuilds it.
 */
#ifndef APMATRIXD_JOURNAL_H
#define APMATRIXD_JOURNAL_H

#include <json-c/json.h>
#include <stdbool.h>
#include <stdint.h>

#include "plan.h"
#include "store.h"

typedef struct Manager Manager;

/*
 * The journal of a batch: before[i] / after[i] are item i's definitions
 * (NULL: none) before and after the batch.
 */
struct json_object *journal_new(uint64_t batch, const struct plan_input *in,
				const struct definition *const *before,
				const struct definition *const *after);

/*
 * Settle a journal left on disk, as described above (prefer_back: always
 * back, for a batch whose definitions could not be saved). 1 when a journal
 * was settled (a rescan is scheduled), 0 when there was none; a negative
 * errno when it could not be settled (the storage failed again): it stays and
 * m->journal_pending is set.
 */
int manager_settle_journal(Manager *m, bool prefer_back);

#endif
