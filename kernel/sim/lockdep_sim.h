/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The user-space lock-order checker behind include/linux/lockdep.h.
 *
 * Every lock class gets a rank from the documented order when its name
 * matches (kernel/vfio_ap/LOCKING: the AP bus's, apsim's, the core's, the
 * simulated KVM's and the leaves). A violation is: acquiring a lock while
 * holding one of a higher rank; a dependency edge that closes a cycle in
 * the class graph (rwsem reads count: their readers are not recursive);
 * a class without rank nesting with one that has a rank; any lock taken
 * under a leaf; taking a class the thread holds (recursive locking, named
 * recursive read or read-then-write for an rwsem held for reading), unless
 * it is nested under its nest lock (mutex_lock_nest_lock(): every
 * vcpu->mutex under kvm->lock); blocking (might_sleep(): mutexes, rwsems,
 * GFP_KERNEL, msleep) with a spinlock held; msleep with kvm->lock or
 * mdevs_lock held. Both stacks (this thread's held locks and the held
 * locks recorded with the conflicting edge) are printed and, when fatal
 * (the default), the process aborts.
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
/*
 * Classes seen so far that have no rank in the documented order: their
 * names, space-separated, into buf; returns how many.
 */
size_t lockdep_sim_unranked_classes(char *buf, size_t size);
/*
 * kernfs's active reference (kn->active) as lockdep models it: get before a
 * show/store runs (a read trylock: it never waits), put after it; drain
 * before a removal waits for the running ones (a write: it waits for every
 * reader; @self: a store removing its own node lets its read go first, as
 * kernfs_remove_self()). Removing a node while holding a lock its stores
 * take closes a cycle through the read.
 */
void lockdep_sim_active_get(struct lockdep_map *map);
void lockdep_sim_active_put(struct lockdep_map *map);
void lockdep_sim_active_drain(struct lockdep_map *map, bool self);
/* Number of locks the calling thread holds. */
unsigned int lockdep_sim_held_count(void);

#endif
