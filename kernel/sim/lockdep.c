// SPDX-License-Identifier: GPL-2.0
/*
 * A small lockdep for the user-space build (see lockdep_sim.h).
 *
 * Classes are identified by their lock_class_key (one per init site) or,
 * for statically defined locks, by the lockdep_map itself; a subclass
 * (mutex_lock_nested()) is a class of its own, as in lockdep. Each thread
 * keeps a stack of held locks with the mode they were taken in (write, or
 * read for an rwsem). Taking a lock B while holding A adds the class edge
 * A -> B; before it is added, a depth-first search looks for a path
 * B -> ... -> A, which would close a cycle (a possible deadlock). The
 * check runs before the thread blocks, so an inversion is reported even
 * when the interleaving that would hang does not happen.
 *
 * An rwsem's readers are not recursive (a reader queues behind a waiting
 * writer), so a read acquisition is an edge like a write one, as lockdep
 * treats down_read(): a cycle through read acquisitions deadlocks too.
 * Within one thread, taking a class it already holds is "recursive
 * locking" unless the lock is taken with mutex_lock_nest_lock() under its
 * nest lock; read after read (a writer waiting in between hangs both) and
 * write after read (the upgrade waits for itself) are named as such.
 *
 * Sleeping: spin_lock() makes the thread atomic; anything that may block
 * (might_sleep(): mutexes, rwsems, GFP_KERNEL allocations, msleep) is then
 * a violation, as with CONFIG_DEBUG_ATOMIC_SLEEP. The documented order
 * also marks locks no thread may sleep under (msleep: a vCPU or every
 * guest waits for them) and leaves, under which no lock may be taken.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <linux/kernel.h>
#include <linux/lockdep.h>

#include "lockdep_sim.h"

#define MAX_CLASSES 128
#define MAX_HELD 64
#define STACK_TEXT 1024

struct lock_class {
	const void *key;
	unsigned int subclass;
	const char *name;
	int rank; /* 0: not in the documented order */
	unsigned int flags; /* LD_* */
};

struct held_lock {
	struct lockdep_map *map;
	int class_id;
	bool read;
	bool atomic; /* a spinlock: the thread is atomic while it is held */
};

/* No sleeping (msleep) while holding it; no lock may be taken under a leaf. */
#define LD_NO_SLEEP 0x1u
#define LD_LEAF 0x2u

/*
 * The documented order (kernel/vfio_ap/LOCKING), matched on the class name
 * (a suffix of it: kvm->lock is "s->kvm.lock" nowhere, "kvm->lock" here).
 */
static const struct {
	const char *suffix;
	int rank;
	unsigned int flags;
} documented_order[] = {
	{ "kn->active", 1, 0 },
	{ "mask_lock", 2, 0 },
	{ "ap_scan_bus_mutex", 5, 0 },
	{ "dev_lock", 7, 0 },
	{ "device->mutex", 8, 0 },
	{ "ap_perms_mutex", 10, 0 },
	{ "mdev_lock", 15, 0 },
	{ "guests_lock", 20, 0 },
	{ "kvm->lock", 30, LD_NO_SLEEP },
	{ "vcpu->mutex", 40, 0 },
	{ "pqap_hook_rwsem", 45, 0 },
	{ "mdevs_lock", 50, LD_NO_SLEEP },
	{ "trigger_lock", 55, 0 },
	{ "list_lock", 60, 0 },
	{ "bus->lock", 70, LD_LEAF },
	{ "hw_lock", 70, LD_LEAF },
	{ "sie_lock", 70, LD_LEAF },
	{ "owners_lock", 70, LD_LEAF },
	{ "write_count_lock", 70, LD_LEAF },
};

static pthread_mutex_t graph_lock = PTHREAD_MUTEX_INITIALIZER;
static struct lock_class classes[MAX_CLASSES + 1]; /* index 0 unused */
static int nr_classes;
static bool edge[MAX_CLASSES + 1][MAX_CLASSES + 1];
static char *edge_stack[MAX_CLASSES + 1][MAX_CLASSES + 1];
static u64 violations;
static char last_report[4096];
static bool nonfatal;

static __thread struct held_lock held[MAX_HELD];
static __thread unsigned int depth;
static __thread unsigned int atomic_depth;

void lockdep_sim_set_fatal(bool fatal)
{
	pthread_mutex_lock(&graph_lock);
	nonfatal = !fatal;
	pthread_mutex_unlock(&graph_lock);
}

u64 lockdep_sim_violations(void)
{
	u64 v;

	pthread_mutex_lock(&graph_lock);
	v = violations;
	pthread_mutex_unlock(&graph_lock);
	return v;
}

void lockdep_sim_reset(void)
{
	pthread_mutex_lock(&graph_lock);
	for (int a = 0; a <= MAX_CLASSES; a++) {
		for (int b = 0; b <= MAX_CLASSES; b++) {
			__atomic_store_n(&edge[a][b], false, __ATOMIC_RELAXED);
			free(edge_stack[a][b]);
			edge_stack[a][b] = NULL;
		}
	}
	violations = 0;
	last_report[0] = '\0';
	pthread_mutex_unlock(&graph_lock);
}

void lockdep_sim_last_report(char *buf, size_t size)
{
	pthread_mutex_lock(&graph_lock);
	snprintf(buf, size, "%s", last_report);
	pthread_mutex_unlock(&graph_lock);
}

unsigned int lockdep_sim_held_count(void)
{
	return depth;
}

size_t lockdep_sim_unranked_classes(char *buf, size_t size)
{
	size_t off = 0, n = 0;

	pthread_mutex_lock(&graph_lock);
	buf[0] = '\0';
	for (int id = 1; id <= nr_classes; id++) {
		if (classes[id].rank)
			continue;
		n++;
		if (off < size)
			off += snprintf(buf + off, size - off, "%s%s", off ? " " : "",
					classes[id].name);
	}
	pthread_mutex_unlock(&graph_lock);
	return n;
}

static void rank_of(const char *name, int *ret_rank, unsigned int *ret_flags)
{
	size_t n = strlen(name);

	*ret_rank = 0;
	*ret_flags = 0;
	for (size_t i = 0; i < ARRAY_SIZE(documented_order); i++) {
		size_t m = strlen(documented_order[i].suffix);

		if (n >= m && strcmp(name + n - m, documented_order[i].suffix) == 0) {
			*ret_rank = documented_order[i].rank;
			*ret_flags = documented_order[i].flags;
			return;
		}
	}
}

void lockdep_init_map(struct lockdep_map *map, const char *name, const struct lock_class_key *key)
{
	map->name = name;
	map->key = key;
	__atomic_store_n(&map->class_id, 0, __ATOMIC_RELAXED);
}

/* Called with graph_lock held. */
static int class_of_locked(struct lockdep_map *map, unsigned int subclass)
{
	const void *key = map->key ? (const void *)map->key : (const void *)map;
	int id = subclass ? 0 : __atomic_load_n(&map->class_id, __ATOMIC_RELAXED);

	if (id)
		return id;
	for (id = 1; id <= nr_classes; id++)
		if (classes[id].key == key && classes[id].subclass == subclass)
			goto found;
	if (nr_classes == MAX_CLASSES) {
		fprintf(stderr, "lockdep: too many lock classes\n");
		abort();
	}
	id = ++nr_classes;
	classes[id].key = key;
	classes[id].subclass = subclass;
	classes[id].name = map->name;
	rank_of(map->name, &classes[id].rank, &classes[id].flags);
found:
	if (!subclass)
		__atomic_store_n(&map->class_id, id, __ATOMIC_RELEASE);
	return id;
}

static int format_class(char *buf, size_t size, int cls, bool read)
{
	if (classes[cls].subclass)
		return snprintf(buf, size, "%s/%u%s", classes[cls].name, classes[cls].subclass,
				read ? " (read)" : "");
	return snprintf(buf, size, "%s%s", classes[cls].name, read ? " (read)" : "");
}

static void format_stack(char *buf, size_t size, int taking, bool taking_read)
{
	size_t off = 0;

	buf[0] = '\0';
	for (unsigned int i = 0; i < depth && off < size; i++) {
		off += snprintf(buf + off, size - off, "    #%u ", i);
		if (off < size)
			off += format_class(buf + off, size - off, held[i].class_id, held[i].read);
		if (off < size)
			off += snprintf(buf + off, size - off, "\n");
	}
	if (taking && off < size) {
		off += snprintf(buf + off, size - off, "    -> taking ");
		if (off < size)
			off += format_class(buf + off, size - off, taking, taking_read);
		if (off < size)
			snprintf(buf + off, size - off, "\n");
	}
}

static bool path_exists(int from, int to, bool *seen, int *first_hop)
{
	if (from == to)
		return true;
	seen[from] = true;
	for (int n = 1; n <= nr_classes; n++) {
		if (!edge[from][n] || seen[n])
			continue;
		if (path_exists(n, to, seen, NULL)) {
			if (first_hop)
				*first_hop = n;
			return true;
		}
	}
	return false;
}

static void report(const char *what, const char *this_stack, const char *other_title,
		   const char *other_stack)
{
	violations++;
	snprintf(last_report, sizeof(last_report), "lockdep: %s\nthis thread holds:\n%s%s:\n%s",
		 what, this_stack, other_title, other_stack ? other_stack : "    (none)\n");
	fprintf(stderr,
		"\n======================================================\n"
		"lockdep: %s\n"
		"this thread holds:\n%s"
		"%s:\n%s"
		"documented order: kernel/vfio_ap/LOCKING\n"
		"======================================================\n",
		what, this_stack, other_title, other_stack ? other_stack : "    (none)\n");
	fflush(stderr);
	if (!nonfatal)
		abort();
}

/* Same class held: recursive locking, unless nested under its nest lock. */
static void check_recursion(struct lockdep_map *map, int cls, bool read,
			    const struct lockdep_map *nest)
{
	char now[STACK_TEXT], msg[256], name[128];

	for (unsigned int i = 0; i < depth; i++) {
		const char *what;

		if (held[i].class_id != cls)
			continue;
		if (held[i].map != map && nest && lock_is_held(nest))
			continue;
		if (held[i].read && read)
			what = "recursive read: a writer waiting between the two down_read()s "
			       "blocks both";
		else if (held[i].read)
			what = "read-then-write: the write waits for this thread's own read";
		else
			what = held[i].map == map ? "recursive locking of one lock instance" :
						    "recursive locking of one class";
		format_class(name, sizeof(name), cls, read);
		format_stack(now, sizeof(now), cls, read);
		snprintf(msg, sizeof(msg), "%s (%s%s)", what, name,
			 held[i].map == map ? "" : ", another instance");
		report(msg, now, "the same thread", NULL);
		return;
	}
}

/*
 * A chain seen before needs no check again, as the kernel's lockdep keeps a
 * hash of the chains it validated: the class is known and the edge from
 * every held lock to it is recorded (each edge was checked against the
 * documented order when it was recorded). Without this every lock
 * operation of every simulated thread took graph_lock, and a preempted
 * holder of it stalled all of them: in the storm benchmark PQAPs waited up
 * to 1.5 ms for the matrix lock held by a PQAP stuck in the checker.
 */
static int known_chain_class(const struct lockdep_map *map, unsigned int subclass, bool trylock)
{
	int cls = subclass ? 0 : __atomic_load_n(&map->class_id, __ATOMIC_ACQUIRE);

	if (!cls)
		return 0;
	for (unsigned int i = 0; i < depth; i++) {
		/* Recursion, or nesting under a nest lock: the full check. */
		if (held[i].class_id == cls)
			return 0;
		if (!trylock && !__atomic_load_n(&edge[held[i].class_id][cls], __ATOMIC_ACQUIRE))
			return 0;
	}
	return cls;
}

void lock_acquire(struct lockdep_map *map, unsigned int subclass, bool trylock, bool read,
		  const struct lockdep_map *nest)
{
	char now[STACK_TEXT];
	int cls;

	cls = known_chain_class(map, subclass, trylock);
	if (cls)
		goto push;
	pthread_mutex_lock(&graph_lock);
	cls = class_of_locked(map, subclass);
	if (!trylock)
		check_recursion(map, cls, read, nest);
	for (unsigned int i = 0; i < depth && !trylock; i++) {
		int h = held[i].class_id;
		bool seen[MAX_CLASSES + 1] = { false };
		int hop = cls;
		char msg[384], a[128], b[128];

		if (h == cls)
			continue; /* reported above, or nested under its nest lock */
		format_class(a, sizeof(a), h, held[i].read);
		format_class(b, sizeof(b), cls, read);
		if (classes[h].flags & LD_LEAF) {
			format_stack(now, sizeof(now), cls, read);
			snprintf(msg, sizeof(msg), "%s taken under %s, a leaf", b, a);
			report(msg, now, "the documented order says",
			       "    nothing nests in a leaf\n");
		}
		if (!classes[h].rank != !classes[cls].rank) {
			format_stack(now, sizeof(now), cls, read);
			snprintf(msg, sizeof(msg), "lock class %s is not in the documented order",
				 classes[h].rank ? b : a);
			report(msg, now, "every class nesting with a documented one needs a rank",
			       NULL);
		}
		if (classes[h].rank && classes[cls].rank && classes[h].rank > classes[cls].rank) {
			format_stack(now, sizeof(now), cls, read);
			snprintf(msg, sizeof(msg), "order against the documented one: %s after %s",
				 b, a);
			report(msg, now, "the documented order puts the lock being taken first",
			       edge_stack[cls][h]);
		}
		if (edge[h][cls])
			continue;
		if (path_exists(cls, h, seen, &hop)) {
			format_stack(now, sizeof(now), cls, read);
			snprintf(msg, sizeof(msg), "circular dependency: %s -> %s closes a cycle",
				 a, b);
			report(msg, now, "stack that recorded the dependency it inverts",
			       edge_stack[cls][hop]);
		}
		format_stack(now, sizeof(now), cls, read);
		edge_stack[h][cls] = strdup(now);
		__atomic_store_n(&edge[h][cls], true, __ATOMIC_RELEASE);
	}
	pthread_mutex_unlock(&graph_lock);
push:
	if (depth == MAX_HELD) {
		fprintf(stderr, "lockdep: too many held locks\n");
		abort();
	}
	held[depth].map = map;
	held[depth].class_id = cls;
	held[depth].read = read;
	held[depth].atomic = false;
	depth++;
}

/* The lock just acquired is a spinlock: the thread is atomic until its release. */
void lockdep_sim_enter_atomic(struct lockdep_map *map)
{
	for (unsigned int i = depth; i-- > 0;) {
		if (held[i].map == map) {
			held[i].atomic = true;
			atomic_depth++;
			return;
		}
	}
}

void lockdep_sim_might_block(const char *what)
{
	char now[STACK_TEXT];
	char msg[256];

	if (!atomic_depth)
		return;
	pthread_mutex_lock(&graph_lock);
	for (unsigned int i = 0; i < depth; i++) {
		if (!held[i].atomic)
			continue;
		format_stack(now, sizeof(now), 0, false);
		snprintf(msg, sizeof(msg),
			 "sleeping function called from invalid context: %s while holding "
			 "spinlock %s",
			 what, classes[held[i].class_id].name);
		report(msg, now, "atomic context", "    a spinlock is held\n");
		break;
	}
	pthread_mutex_unlock(&graph_lock);
}

void lockdep_sim_might_sleep(const char *what)
{
	char now[STACK_TEXT];
	char msg[256];

	lockdep_sim_might_block(what);
	/* A held class's entry is final once its id was handed out. */
	for (unsigned int i = 0; i < depth; i++) {
		if (!(classes[held[i].class_id].flags & LD_NO_SLEEP))
			continue;
		pthread_mutex_lock(&graph_lock);
		format_stack(now, sizeof(now), 0, false);
		snprintf(msg, sizeof(msg), "%s while holding %s", what,
			 classes[held[i].class_id].name);
		report(msg, now, "no-sleep locks", "    kvm->lock, mdevs_lock\n");
		pthread_mutex_unlock(&graph_lock);
		break;
	}
}

void lock_release(struct lockdep_map *map)
{
	for (unsigned int i = depth; i-- > 0;) {
		if (held[i].map != map)
			continue;
		if (held[i].atomic)
			atomic_depth--;
		memmove(&held[i], &held[i + 1], (depth - i - 1) * sizeof(held[0]));
		depth--;
		return;
	}
	fprintf(stderr, "lockdep: releasing %s which is not held\n", map->name);
	abort();
}

bool lock_is_held(const struct lockdep_map *map)
{
	for (unsigned int i = 0; i < depth; i++)
		if (held[i].map == map)
			return true;
	return false;
}

bool lock_is_held_read(const struct lockdep_map *map)
{
	for (unsigned int i = 0; i < depth; i++)
		if (held[i].map == map)
			return held[i].read;
	return false;
}

void lockdep_sim_active_get(struct lockdep_map *map)
{
	/* kernfs_get_active(): a read that never waits, so no edge leads to it. */
	lock_acquire(map, 0, true, true, NULL);
}

void lockdep_sim_active_put(struct lockdep_map *map)
{
	if (lock_is_held(map))
		lock_release(map);
}

void lockdep_sim_active_drain(struct lockdep_map *map, bool self)
{
	/* kernfs_break_active_protection(): a node removing itself lets its own read go. */
	if (self && lock_is_held(map))
		lock_release(map);
	/* kernfs_drain(): a write that waits for every reader. */
	lockdep_sim_might_block("kernfs drain");
	lock_acquire(map, 0, false, false, NULL);
	lock_release(map);
}

void lockdep_assert_fail(const char *what, const char *file, int line)
{
	fprintf(stderr, "lockdep: assertion failed: %s at %s:%d\n", what, file, line);
	abort();
}
