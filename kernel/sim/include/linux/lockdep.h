/* SPDX-License-Identifier: GPL-2.0 */
/*
 * User-space shim of lockdep: every lock carries a lockdep_map whose class
 * is its lock_class_key (one static key per init site, like the kernel) or,
 * for statically defined locks, the map itself. kernel/sim/lockdep.c keeps
 * per-thread held stacks and the class dependency graph; see there.
 */
#ifndef _SIM_LINUX_LOCKDEP_H
#define _SIM_LINUX_LOCKDEP_H

#include <linux/types.h>

struct lock_class_key {
	char dummy;
};

struct lockdep_map {
	const char *name;
	const struct lock_class_key *key;
	int class_id; /* assigned lazily by lockdep.c, 0 = not yet */
};

#define STATIC_LOCKDEP_MAP_INIT(lockname)                      \
	{                                                      \
		.name = (lockname), .key = NULL, .class_id = 0 \
	}

void lockdep_init_map(struct lockdep_map *map, const char *name, const struct lock_class_key *key);
/*
 * @subclass: mutex_lock_nested()'s (a class of its own); @read: an rwsem's
 * down_read(); @nest: mutex_lock_nest_lock()'s, under which locks of one
 * class may nest.
 */
void lock_acquire(struct lockdep_map *map, unsigned int subclass, bool trylock, bool read,
		  const struct lockdep_map *nest);
void lock_release(struct lockdep_map *map);
bool lock_is_held(const struct lockdep_map *map);
bool lock_is_held_read(const struct lockdep_map *map);
/* spin_lock(): the thread is atomic while @map (just acquired) is held. */
void lockdep_sim_enter_atomic(struct lockdep_map *map);
/* might_sleep(): a violation in atomic context (a spinlock held). */
void lockdep_sim_might_block(const char *what);
void lockdep_assert_fail(const char *what, const char *file, int line);

#define lockdep_assert_held(l)                                               \
	do {                                                                 \
		if (!lock_is_held(&(l)->dep_map))                            \
			lockdep_assert_fail(#l " held", __FILE__, __LINE__); \
	} while (0)
#define lockdep_is_held(l) lock_is_held(&(l)->dep_map)
#define lockdep_assert_held_write(l)                                                     \
	do {                                                                             \
		if (!lock_is_held(&(l)->dep_map) || lock_is_held_read(&(l)->dep_map))    \
			lockdep_assert_fail(#l " held for writing", __FILE__, __LINE__); \
	} while (0)
#define lockdep_assert_held_read(l)                                                      \
	do {                                                                             \
		if (!lock_is_held_read(&(l)->dep_map))                                   \
			lockdep_assert_fail(#l " held for reading", __FILE__, __LINE__); \
	} while (0)
#define lockdep_assert(c)                                            \
	do {                                                         \
		if (!(c))                                            \
			lockdep_assert_fail(#c, __FILE__, __LINE__); \
	} while (0)
#define lockdep_assert_not_held(l)                                               \
	do {                                                                     \
		if (lock_is_held(&(l)->dep_map))                                 \
			lockdep_assert_fail(#l " not held", __FILE__, __LINE__); \
	} while (0)

#endif
