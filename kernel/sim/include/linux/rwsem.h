/* SPDX-License-Identifier: GPL-2.0 */
/* User-space shim: rw_semaphore on a pthread rwlock, checked by lockdep. */
#ifndef _SIM_LINUX_RWSEM_H
#define _SIM_LINUX_RWSEM_H

#include <pthread.h>

#include <linux/lockdep.h>
#include <linux/types.h>

struct rw_semaphore {
	pthread_rwlock_t l;
	struct lockdep_map dep_map;
};

void __init_rwsem(struct rw_semaphore *sem, const char *name, const struct lock_class_key *key);
#define init_rwsem(sem)                             \
	do {                                        \
		static struct lock_class_key __key; \
		__init_rwsem((sem), #sem, &__key);  \
	} while (0)
void down_read(struct rw_semaphore *sem);
void up_read(struct rw_semaphore *sem);
void down_write(struct rw_semaphore *sem);
void up_write(struct rw_semaphore *sem);

#endif
