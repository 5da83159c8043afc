/* SPDX-License-Identifier: GPL-2.0 */
/*
 * User-space shim: struct mutex on a pthread mutex, checked by the small
 * lockdep of kernel/sim/lockdep.c before blocking (so a bad order is reported
 * instead of hanging), and counting acquisitions and hold time (the
 * simulated KVM reports these for kvm->lock).
 */
#ifndef _SIM_LINUX_MUTEX_H
#define _SIM_LINUX_MUTEX_H

#include <pthread.h>

#include <linux/lockdep.h>
#include <linux/types.h>

struct sim_hist;

struct mutex {
	pthread_mutex_t m;
	struct lockdep_map dep_map;
	/* Statistics, written by the holder only. */
	u64 acquisitions;
	u64 hold_ns;
	u64 acquired_at_ns;
	/* Per-acquisition histograms (kvm->lock only; NULL elsewhere). */
	struct sim_hist *hold_hist[2];
	struct sim_hist *wait_hist[2];
};

#define __MUTEX_INITIALIZER(lockname)                                                         \
	{                                                                                     \
		.m = PTHREAD_MUTEX_INITIALIZER, .dep_map = STATIC_LOCKDEP_MAP_INIT(#lockname) \
	}
#define DEFINE_MUTEX(lockname) struct mutex lockname = __MUTEX_INITIALIZER(lockname)

void __mutex_init(struct mutex *lock, const char *name, const struct lock_class_key *key);
#define mutex_init(lock)                             \
	do {                                         \
		static struct lock_class_key __key;  \
		__mutex_init((lock), #lock, &__key); \
	} while (0)
void mutex_destroy(struct mutex *lock);
void mutex_lock(struct mutex *lock);
/* A class of its own per subclass, as lockdep's (at most 8). */
void mutex_lock_nested(struct mutex *lock, unsigned int subclass);
/* Locks of one class may nest while @nest is held (kvm_lock_all_vcpus()). */
void _mutex_lock_nest_lock(struct mutex *lock, const struct lockdep_map *nest);
#define mutex_lock_nest_lock(lock, nest) _mutex_lock_nest_lock(lock, &(nest)->dep_map)
int mutex_trylock(struct mutex *lock);
void mutex_unlock(struct mutex *lock);
bool mutex_is_locked(struct mutex *lock);

#endif
