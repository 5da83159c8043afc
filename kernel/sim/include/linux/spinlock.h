/* SPDX-License-Identifier: GPL-2.0 */
/*
 * User-space shim: spinlock_t on a pthread mutex, checked by lockdep. While
 * a spinlock is held the thread is atomic: whatever may sleep (mutexes,
 * rwsems, GFP_KERNEL allocations, msleep, might_sleep()) is a violation, as
 * with CONFIG_DEBUG_ATOMIC_SLEEP. The _irqsave forms only add the flags.
 */
#ifndef _SIM_LINUX_SPINLOCK_H
#define _SIM_LINUX_SPINLOCK_H

#include <pthread.h>

#include <linux/lockdep.h>
#include <linux/types.h>

typedef struct spinlock {
	pthread_mutex_t m;
	struct lockdep_map dep_map;
} spinlock_t;

#define __SPIN_LOCK_UNLOCKED(lockname)                                                        \
	{                                                                                     \
		.m = PTHREAD_MUTEX_INITIALIZER, .dep_map = STATIC_LOCKDEP_MAP_INIT(#lockname) \
	}
#define DEFINE_SPINLOCK(x) spinlock_t x = __SPIN_LOCK_UNLOCKED(x)

void __spin_lock_init(spinlock_t *lock, const char *name, const struct lock_class_key *key);
#define spin_lock_init(lock)                             \
	do {                                             \
		static struct lock_class_key __key;      \
		__spin_lock_init((lock), #lock, &__key); \
	} while (0)
void spin_lock(spinlock_t *lock);
void spin_unlock(spinlock_t *lock);
#define spin_lock_irqsave(lock, flags) \
	do {                           \
		(flags) = 0;           \
		spin_lock(lock);       \
	} while (0)
#define spin_unlock_irqrestore(lock, flags) \
	do {                                \
		(void)(flags);              \
		spin_unlock(lock);          \
	} while (0)

#endif
