/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The user-space lock-order checker behind include/linux/lockdep.h.
 *
 * Every lock class gets a rank from the documented order when its name
 * matches (ap_perms_mutex < guests_lock < kvm->lock < vcpu->mutex <
 * pqap_hook_rwsem < mdevs_lock). Acquiring a lock while holding one of a
 * higher rank, or adding a dependency edge that closes a cycle in the class
 * graph, is a violation: both stacks (this thread's held locks and the held
 * locks recorded with the conflicting edge) are printed and, when fatal
 * (the default), the process aborts. Re-acquiring a held lock instance is a
 * violation too; nesting two locks of one class (kvm->lock then every
 * vcpu->mutex) is not.
 */
#ifndef _LOCKDEP_SIM_H
#define _LOCKDEP_SIM_H

#include <linux/types.h>

void lockdep_sim_set_fatal(bool fatal);
u64 lockdep_sim_violations(void);
/* Copy the text of the last violation report ("" if none) into buf. */
void lockdep_sim_last_report(char *buf, size_t size);
/* Forget the dependency graph (classes stay); for tests. */
void lockdep_sim_reset(void);
/* Called before every sleep: a violation if a no-sleep lock is held. */
void lockdep_sim_might_sleep(const char *what);
/* Number of locks the calling thread holds. */
unsigned int lockdep_sim_held_count(void);

#endif
