// SPDX-License-Identifier: GPL-2.0
/*
 * Runtime of the user-space shim headers in include/: kstrtox, bitmaps,
 * printk, the tracepoint hook, sysfs_emit, guid_parse and the mutex/rwsem
 * wrappers that feed the lock-order checker (lockdep.c).
 */
#include <ctype.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <linux/bitmap.h>
#include <linux/errno.h>
#include <linux/kernel.h>
#include <linux/kstrtox.h>
#include <linux/mutex.h>
#include <linux/rwsem.h>
#include <linux/spinlock.h>
#include <linux/sysfs.h>
#include <linux/tracepoint.h>
#include <linux/uuid.h>
#include "sim_hist.h"

/* kstrtox: one optional trailing newline, base 0 autodetect, no sign. */
int kstrtoull(const char *s, unsigned int base, unsigned long long *res)
{
	unsigned long long v = 0;
	bool any = false;

	if (base == 0) {
		if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X') && isxdigit((unsigned char)s[2])) {
			base = 16;
			s += 2;
		} else if (s[0] == '0') {
			base = 8;
		} else {
			base = 10;
		}
	} else if (base == 16 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		s += 2;
	}
	for (; *s; s++) {
		unsigned int d;
		char c = *s;

		if (c >= '0' && c <= '9')
			d = c - '0';
		else if (c >= 'a' && c <= 'f')
			d = c - 'a' + 10;
		else if (c >= 'A' && c <= 'F')
			d = c - 'A' + 10;
		else
			break;
		if (d >= base)
			break;
		if (v > (ULLONG_MAX - d) / base)
			return -ERANGE;
		v = v * base + d;
		any = true;
	}
	if (!any)
		return -EINVAL;
	if (*s == '\n')
		s++;
	if (*s)
		return -EINVAL;
	*res = v;
	return 0;
}

int kstrtoll(const char *s, unsigned int base, long long *res)
{
	unsigned long long v;
	int r;

	if (s[0] == '-') {
		r = kstrtoull(s + 1, base, &v);
		if (r < 0)
			return r;
		if (v > (unsigned long long)LLONG_MAX + 1)
			return -ERANGE;
		*res = -(long long)v;
		return 0;
	}
	if (s[0] == '+')
		s++;
	r = kstrtoull(s, base, &v);
	if (r < 0)
		return r;
	if (v > LLONG_MAX)
		return -ERANGE;
	*res = (long long)v;
	return 0;
}

int kstrtoul(const char *s, unsigned int base, unsigned long *res)
{
	unsigned long long v;
	int r = kstrtoull(s[0] == '+' ? s + 1 : s, base, &v);

	if (r < 0)
		return r;
	*res = v;
	return 0;
}

int kstrtol(const char *s, unsigned int base, long *res)
{
	long long v;
	int r = kstrtoll(s, base, &v);

	if (r < 0)
		return r;
	*res = v;
	return 0;
}

int kstrtouint(const char *s, unsigned int base, unsigned int *res)
{
	unsigned long long v;
	int r = kstrtoull(s[0] == '+' ? s + 1 : s, base, &v);

	if (r < 0)
		return r;
	if (v > UINT_MAX)
		return -ERANGE;
	*res = v;
	return 0;
}

int kstrtoint(const char *s, unsigned int base, int *res)
{
	long long v;
	int r = kstrtoll(s, base, &v);

	if (r < 0)
		return r;
	if (v > INT_MAX || v < INT_MIN)
		return -ERANGE;
	*res = v;
	return 0;
}

int kstrtobool(const char *s, bool *res)
{
	switch (s[0]) {
	case 'y':
	case 'Y':
	case 't':
	case 'T':
	case '1':
		*res = true;
		return 0;
	case 'n':
	case 'N':
	case 'f':
	case 'F':
	case '0':
		*res = false;
		return 0;
	default:
		return -EINVAL;
	}
}

/* Bitmaps: all sizes used are multiples of BITS_PER_LONG or masked below. */
#define FOR_WORDS(i, nbits) for (unsigned int i = 0; i < BITS_TO_LONGS(nbits); i++)

static unsigned long last_mask(unsigned int i, unsigned int nbits)
{
	return i == BITS_TO_LONGS(nbits) - 1 ? BITMAP_LAST_WORD_MASK(nbits) : ~0UL;
}

bool bitmap_and(unsigned long *dst, const unsigned long *a, const unsigned long *b,
		unsigned int nbits)
{
	unsigned long any = 0;

	FOR_WORDS(i, nbits)
	any |= (dst[i] = a[i] & b[i]) & last_mask(i, nbits);
	return any != 0;
}

void bitmap_or(unsigned long *dst, const unsigned long *a, const unsigned long *b,
	       unsigned int nbits)
{
	FOR_WORDS(i, nbits)
	dst[i] = a[i] | b[i];
}

void bitmap_xor(unsigned long *dst, const unsigned long *a, const unsigned long *b,
		unsigned int nbits)
{
	FOR_WORDS(i, nbits)
	dst[i] = a[i] ^ b[i];
}

bool bitmap_andnot(unsigned long *dst, const unsigned long *a, const unsigned long *b,
		   unsigned int nbits)
{
	unsigned long any = 0;

	FOR_WORDS(i, nbits)
	any |= (dst[i] = a[i] & ~b[i]) & last_mask(i, nbits);
	return any != 0;
}

bool bitmap_equal(const unsigned long *a, const unsigned long *b, unsigned int nbits)
{
	FOR_WORDS(i, nbits)
	if ((a[i] ^ b[i]) & last_mask(i, nbits))
		return false;
	return true;
}

bool bitmap_intersects(const unsigned long *a, const unsigned long *b, unsigned int nbits)
{
	FOR_WORDS(i, nbits)
	if (a[i] & b[i] & last_mask(i, nbits))
		return true;
	return false;
}

bool bitmap_subset(const unsigned long *a, const unsigned long *b, unsigned int nbits)
{
	FOR_WORDS(i, nbits)
	if (a[i] & ~b[i] & last_mask(i, nbits))
		return false;
	return true;
}

bool bitmap_empty(const unsigned long *a, unsigned int nbits)
{
	FOR_WORDS(i, nbits)
	if (a[i] & last_mask(i, nbits))
		return false;
	return true;
}

bool bitmap_full(const unsigned long *a, unsigned int nbits)
{
	FOR_WORDS(i, nbits)
	if (~a[i] & last_mask(i, nbits))
		return false;
	return true;
}

unsigned int bitmap_weight(const unsigned long *a, unsigned int nbits)
{
	unsigned int w = 0;

	FOR_WORDS(i, nbits)
	w += __builtin_popcountl(a[i] & last_mask(i, nbits));
	return w;
}

unsigned long find_next_bit(const unsigned long *addr, unsigned long size, unsigned long offset)
{
	while (offset < size) {
		unsigned long w = addr[BIT_WORD(offset)] & (~0UL << (offset % BITS_PER_LONG));

		if (w) {
			unsigned long bit = BIT_WORD(offset) * BITS_PER_LONG + __builtin_ctzl(w);

			return bit < size ? bit : size;
		}
		offset = (BIT_WORD(offset) + 1) * BITS_PER_LONG;
	}
	return size;
}

unsigned long find_next_bit_inv(const unsigned long *addr, unsigned long size, unsigned long offset)
{
	while (offset < size) {
		unsigned long w = addr[BIT_WORD(offset)] & (~0UL >> (offset % BITS_PER_LONG));

		if (w) {
			unsigned long bit = BIT_WORD(offset) * BITS_PER_LONG + __builtin_clzl(w);

			return bit < size ? bit : size;
		}
		offset = (BIT_WORD(offset) + 1) * BITS_PER_LONG;
	}
	return size;
}

/* printk */
static sim_printk_hook_t printk_hook;

/* state[0]: start of the interval (s), state[1]: messages in it. */
bool sim_printk_ratelimit(unsigned long *state)
{
	static pthread_mutex_t rl_lock = PTHREAD_MUTEX_INITIALIZER;
	struct timespec ts;
	bool ok;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	pthread_mutex_lock(&rl_lock);
	if (!state[0] || (unsigned long)ts.tv_sec >= state[0] + 5) {
		state[0] = (unsigned long)ts.tv_sec ? (unsigned long)ts.tv_sec : 1;
		state[1] = 0;
	}
	ok = state[1]++ < 10;
	pthread_mutex_unlock(&rl_lock);
	return ok;
}

static sim_trace_hook_t trace_hook;

void sim_trace_set_hook(sim_trace_hook_t hook)
{
	__atomic_store_n(&trace_hook, hook, __ATOMIC_RELEASE);
}

bool sim_trace_on(void)
{
	return __atomic_load_n(&trace_hook, __ATOMIC_ACQUIRE) != NULL;
}

/* One event: its TP_printk line to the hook (if it is still set). */
void sim_trace_emit(const char *event, const char *fmt, ...)
{
	sim_trace_hook_t hook = __atomic_load_n(&trace_hook, __ATOMIC_ACQUIRE);
	char line[512];
	va_list ap;

	if (!hook)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	hook(event, line);
}

void sim_printk_set_hook(sim_printk_hook_t hook)
{
	__atomic_store_n(&printk_hook, hook, __ATOMIC_RELEASE);
}

void sim_printk(int level, const char *fmt, ...)
{
	sim_printk_hook_t hook = __atomic_load_n(&printk_hook, __ATOMIC_ACQUIRE);
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (hook)
		hook(level, msg);
	else
		fprintf(stderr, "<%d>%s", level, msg);
}

/* sysfs_emit: never writes past PAGE_SIZE. */
static int vsysfs_emit_at(char *buf, int at, const char *fmt, va_list ap)
{
	int n;

	if (at < 0 || (size_t)at >= PAGE_SIZE)
		return 0;
	n = vsnprintf(buf + at, PAGE_SIZE - at, fmt, ap);
	if (n < 0)
		return 0;
	return min_t(int, n, (int)(PAGE_SIZE - at - 1));
}

int sysfs_emit_at(char *buf, int at, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsysfs_emit_at(buf, at, fmt, ap);
	va_end(ap);
	return n;
}

int sysfs_emit(char *buf, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsysfs_emit_at(buf, 0, fmt, ap);
	va_end(ap);
	return n;
}

/* guid_parse: exactly "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx". */
int guid_parse(const char *uuid, guid_t *u)
{
	static const u8 dash[] = { 8, 13, 18, 23 };
	unsigned int i, n = 0, d = 0;

	for (i = 0; i < UUID_STRING_LEN; i++) {
		char c = uuid[i];
		int v;

		if (d < ARRAY_SIZE(dash) && i == dash[d]) {
			if (c != '-')
				return -EINVAL;
			d++;
			continue;
		}
		if (c >= '0' && c <= '9')
			v = c - '0';
		else if (c >= 'a' && c <= 'f')
			v = c - 'a' + 10;
		else if (c >= 'A' && c <= 'F')
			v = c - 'A' + 10;
		else
			return -EINVAL;
		if (n % 2 == 0)
			u->b[n / 2] = v << 4;
		else
			u->b[n / 2] |= v;
		n++;
	}
	return 0;
}

/* Mutexes and rwsems: check the order before blocking, then lock. */
static u64 now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (u64)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

void __mutex_init(struct mutex *lock, const char *name, const struct lock_class_key *key)
{
	pthread_mutex_init(&lock->m, NULL);
	lockdep_init_map(&lock->dep_map, name, key);
	lock->acquisitions = 0;
	lock->hold_ns = 0;
	lock->acquired_at_ns = 0;
	memset(lock->hold_hist, 0, sizeof(lock->hold_hist));
	memset(lock->wait_hist, 0, sizeof(lock->wait_hist));
}

static void record_both(struct sim_hist *const *h, u64 ns)
{
	for (unsigned int i = 0; i < 2; i++)
		if (h[i])
			sim_hist_record(h[i], ns);
}

void mutex_destroy(struct mutex *lock)
{
	pthread_mutex_destroy(&lock->m);
}

static void mutex_lock_common(struct mutex *lock, unsigned int subclass,
			      const struct lockdep_map *nest)
{
	u64 asked;

	lockdep_sim_might_block("mutex_lock");
	lock_acquire(&lock->dep_map, subclass, false, false, nest);
	asked = now_ns();
	pthread_mutex_lock(&lock->m);
	__atomic_fetch_add(&lock->acquisitions, 1, __ATOMIC_RELAXED);
	lock->acquired_at_ns = now_ns();
	record_both(lock->wait_hist, lock->acquired_at_ns - asked);
}

void mutex_lock(struct mutex *lock)
{
	mutex_lock_common(lock, 0, NULL);
}

void mutex_lock_nested(struct mutex *lock, unsigned int subclass)
{
	mutex_lock_common(lock, subclass, NULL);
}

void _mutex_lock_nest_lock(struct mutex *lock, const struct lockdep_map *nest)
{
	mutex_lock_common(lock, 0, nest);
}

int mutex_trylock(struct mutex *lock)
{
	if (pthread_mutex_trylock(&lock->m))
		return 0;
	lock_acquire(&lock->dep_map, 0, true, false, NULL);
	__atomic_fetch_add(&lock->acquisitions, 1, __ATOMIC_RELAXED);
	lock->acquired_at_ns = now_ns();
	record_both(lock->wait_hist, 0);
	return 1;
}

void mutex_unlock(struct mutex *lock)
{
	u64 held = now_ns() - lock->acquired_at_ns;

	__atomic_fetch_add(&lock->hold_ns, held, __ATOMIC_RELAXED);
	record_both(lock->hold_hist, held);
	lock_release(&lock->dep_map);
	pthread_mutex_unlock(&lock->m);
}

bool mutex_is_locked(struct mutex *lock)
{
	if (pthread_mutex_trylock(&lock->m))
		return true;
	pthread_mutex_unlock(&lock->m);
	return false;
}

void __init_rwsem(struct rw_semaphore *sem, const char *name, const struct lock_class_key *key)
{
	pthread_rwlock_init(&sem->l, NULL);
	lockdep_init_map(&sem->dep_map, name, key);
}

void down_read(struct rw_semaphore *sem)
{
	lockdep_sim_might_block("down_read");
	lock_acquire(&sem->dep_map, 0, false, true, NULL);
	pthread_rwlock_rdlock(&sem->l);
}

void up_read(struct rw_semaphore *sem)
{
	lock_release(&sem->dep_map);
	pthread_rwlock_unlock(&sem->l);
}

void down_write(struct rw_semaphore *sem)
{
	lockdep_sim_might_block("down_write");
	lock_acquire(&sem->dep_map, 0, false, false, NULL);
	pthread_rwlock_wrlock(&sem->l);
}

void up_write(struct rw_semaphore *sem)
{
	lock_release(&sem->dep_map);
	pthread_rwlock_unlock(&sem->l);
}

void __spin_lock_init(spinlock_t *lock, const char *name, const struct lock_class_key *key)
{
	pthread_mutex_init(&lock->m, NULL);
	lockdep_init_map(&lock->dep_map, name, key);
}

void spin_lock(spinlock_t *lock)
{
	lock_acquire(&lock->dep_map, 0, false, false, NULL);
	lockdep_sim_enter_atomic(&lock->dep_map);
	pthread_mutex_lock(&lock->m);
}

void spin_unlock(spinlock_t *lock)
{
	lock_release(&lock->dep_map);
	pthread_mutex_unlock(&lock->m);
}
