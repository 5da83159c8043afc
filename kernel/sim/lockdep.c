// SPDX-License-Identifier: GPL-2.0
/*
 * A small lockdep for the user-space build (see lockdep_sim.h).
 *
 * Classes are identified by their lock_class_key (one per init site) or,
 * for statically defined locks, by the lockdep_map itself. Each thread
 * keeps a stack of held locks. Taking a lock B while holding A adds the
 * class edge A -> B; before it is added, a depth-first search looks for a
 * path B -> ... -> A, which would close a cycle (a possible deadlock). The
 * check runs before the thread blocks, so an inversion is reported even
 * when the interleaving that would hang does not happen.
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
#define STACK_TEXT 768

struct lock_class {
	const void *key;
	const char *name;
	int rank; /* 0: not in the documented order */
	bool no_sleep; /* sleeping while holding it is a violation */
};

struct held_lock {
	struct lockdep_map *map;
	int class_id;
};

/* The documented order (kernel/vfio_ap/LOCKING), matched on name suffixes. */
static const struct {
	const char *suffix;
	int rank;
} documented_order[] = {
	{ "ap_perms_mutex", 10 }, { "guests_lock", 20 },     { "kvm->lock", 30 },
	{ "vcpu->mutex", 40 },	  { "pqap_hook_rwsem", 45 }, { "mdevs_lock", 50 },
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
			edge[a][b] = false;
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

/* Locks no thread may sleep under (see lockdep_sim.h). */
static const char *const no_sleep_suffix[] = { "kvm->lock", "mdevs_lock" };

static bool suffix_is(const char *name, const char *suffix)
{
	size_t n = strlen(name), m = strlen(suffix);

	return n >= m && strcmp(name + n - m, suffix) == 0;
}

static bool no_sleep_of(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(no_sleep_suffix); i++)
		if (suffix_is(name, no_sleep_suffix[i]))
			return true;
	return false;
}

static int rank_of(const char *name)
{
	size_t n = strlen(name);

	for (size_t i = 0; i < ARRAY_SIZE(documented_order); i++) {
		size_t m = strlen(documented_order[i].suffix);

		if (n >= m && strcmp(name + n - m, documented_order[i].suffix) == 0)
			return documented_order[i].rank;
	}
	return 0;
}

void lockdep_init_map(struct lockdep_map *map, const char *name, const struct lock_class_key *key)
{
	map->name = name;
	map->key = key;
	__atomic_store_n(&map->class_id, 0, __ATOMIC_RELAXED);
}

/* Called with graph_lock held. */
static int class_of_locked(struct lockdep_map *map)
{
	const void *key = map->key ? (const void *)map->key : (const void *)map;
	int id = __atomic_load_n(&map->class_id, __ATOMIC_RELAXED);

	if (id)
		return id;
	for (id = 1; id <= nr_classes; id++)
		if (classes[id].key == key)
			goto found;
	if (nr_classes == MAX_CLASSES) {
		fprintf(stderr, "lockdep: too many lock classes\n");
		abort();
	}
	id = ++nr_classes;
	classes[id].key = key;
	classes[id].name = map->name;
	classes[id].rank = rank_of(map->name);
	classes[id].no_sleep = no_sleep_of(map->name);
found:
	__atomic_store_n(&map->class_id, id, __ATOMIC_RELAXED);
	return id;
}

static void format_stack(char *buf, size_t size, const char *taking)
{
	size_t off = 0;

	buf[0] = '\0';
	for (unsigned int i = 0; i < depth && off < size; i++)
		off += snprintf(buf + off, size - off, "    #%u %s\n", i,
				classes[held[i].class_id].name);
	if (taking && off < size)
		snprintf(buf + off, size - off, "    -> taking %s\n", taking);
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
		"documented order: ap_perms_mutex -> guests_lock -> kvm->lock -> vcpu->mutex -> "
		"pqap_hook_rwsem -> mdevs_lock\n"
		"======================================================\n",
		what, this_stack, other_title, other_stack ? other_stack : "    (none)\n");
	fflush(stderr);
	if (!nonfatal)
		abort();
}

void lock_acquire(struct lockdep_map *map, bool trylock, bool read)
{
	char now[STACK_TEXT];
	int cls;

	pthread_mutex_lock(&graph_lock);
	cls = class_of_locked(map);
	for (unsigned int i = 0; i < depth; i++) {
		if (held[i].map == map) {
			format_stack(now, sizeof(now), map->name);
			report("recursive locking of one lock instance", now, "the same thread",
			       NULL);
		}
	}
	for (unsigned int i = 0; i < depth && !trylock; i++) {
		int h = held[i].class_id;
		bool seen[MAX_CLASSES + 1] = { false };
		int hop = cls;
		char msg[256];

		if (h == cls)
			continue; /* nesting within one class: kvm->lock, every vcpu->mutex */
		if (classes[h].rank && classes[cls].rank && classes[h].rank > classes[cls].rank) {
			format_stack(now, sizeof(now), map->name);
			snprintf(msg, sizeof(msg), "order against the documented one: %s after %s",
				 classes[cls].name, classes[h].name);
			report(msg, now, "the documented order puts the lock being taken first",
			       edge_stack[cls][h]);
		}
		if (edge[h][cls])
			continue;
		if (path_exists(cls, h, seen, &hop)) {
			format_stack(now, sizeof(now), map->name);
			snprintf(msg, sizeof(msg), "circular dependency: %s -> %s closes a cycle",
				 classes[h].name, classes[cls].name);
			report(msg, now, "stack that recorded the dependency it inverts",
			       edge_stack[cls][hop]);
		}
		edge[h][cls] = true;
		format_stack(now, sizeof(now), map->name);
		edge_stack[h][cls] = strdup(now);
	}
	pthread_mutex_unlock(&graph_lock);
	(void)read;
	if (depth == MAX_HELD) {
		fprintf(stderr, "lockdep: too many held locks\n");
		abort();
	}
	held[depth].map = map;
	held[depth].class_id = cls;
	depth++;
}

void lockdep_sim_might_sleep(const char *what)
{
	char now[STACK_TEXT];
	char msg[256];

	pthread_mutex_lock(&graph_lock);
	for (unsigned int i = 0; i < depth; i++) {
		if (!classes[held[i].class_id].no_sleep)
			continue;
		format_stack(now, sizeof(now), NULL);
		snprintf(msg, sizeof(msg), "%s while holding %s", what,
			 classes[held[i].class_id].name);
		report(msg, now, "no-sleep locks", "    kvm->lock, mdevs_lock\n");
		break;
	}
	pthread_mutex_unlock(&graph_lock);
}

void lock_release(struct lockdep_map *map)
{
	for (unsigned int i = depth; i-- > 0;) {
		if (held[i].map != map)
			continue;
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

void lockdep_assert_fail(const char *what, const char *file, int line)
{
	fprintf(stderr, "lockdep: assertion failed: %s at %s:%d\n", what, file, line);
	abort();
}
