// SPDX-License-Identifier: GPL-2.0
/* sim_hist: log-linear latency histograms (see sim_hist.h). */
#include <string.h>

#include "sim_hist.h"

static unsigned int bucket_of(uint64_t ns)
{
	unsigned int msb, sub;

	if (ns < SIM_HIST_SUB)
		return (unsigned int)ns;
	msb = 63 - (unsigned int)__builtin_clzll(ns);
	sub = (unsigned int)(ns >> (msb - SIM_HIST_SUB_BITS)) & (SIM_HIST_SUB - 1);
	return (msb - SIM_HIST_SUB_BITS + 1) * SIM_HIST_SUB + sub;
}

/* The largest value that falls into bucket b. */
static uint64_t bucket_upper(unsigned int b)
{
	unsigned int shift;

	if (b < SIM_HIST_SUB)
		return b;
	shift = b / SIM_HIST_SUB - 1;
	return (((uint64_t)(SIM_HIST_SUB + b % SIM_HIST_SUB) + 1) << shift) - 1;
}

void sim_hist_record(struct sim_hist *h, uint64_t ns)
{
	uint64_t max = __atomic_load_n(&h->max_ns, __ATOMIC_RELAXED);

	__atomic_fetch_add(&h->bucket[bucket_of(ns)], 1, __ATOMIC_RELAXED);
	__atomic_fetch_add(&h->sum_ns, ns, __ATOMIC_RELAXED);
	__atomic_fetch_add(&h->count, 1, __ATOMIC_RELAXED);
	while (ns > max && !__atomic_compare_exchange_n(&h->max_ns, &max, ns, 1, __ATOMIC_RELAXED,
							__ATOMIC_RELAXED))
		;
}

void sim_hist_reset(struct sim_hist *h)
{
	__atomic_store_n(&h->count, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&h->sum_ns, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&h->max_ns, 0, __ATOMIC_RELAXED);
	for (unsigned int b = 0; b < SIM_HIST_BUCKETS; b++)
		__atomic_store_n(&h->bucket[b], 0, __ATOMIC_RELAXED);
}

void sim_hist_add(struct sim_hist *dst, const struct sim_hist *src)
{
	uint64_t m = __atomic_load_n(&src->max_ns, __ATOMIC_RELAXED);

	dst->count += __atomic_load_n(&src->count, __ATOMIC_RELAXED);
	dst->sum_ns += __atomic_load_n(&src->sum_ns, __ATOMIC_RELAXED);
	if (m > dst->max_ns)
		dst->max_ns = m;
	for (unsigned int b = 0; b < SIM_HIST_BUCKETS; b++)
		dst->bucket[b] += __atomic_load_n(&src->bucket[b], __ATOMIC_RELAXED);
}

/* The value below which a fraction num/den of the samples fall. */
static uint64_t percentile(const uint64_t *bucket, uint64_t total, uint64_t max, uint64_t num,
			   uint64_t den)
{
	uint64_t rank = (total * num + den - 1) / den, seen = 0;

	if (!rank)
		rank = 1;
	for (unsigned int b = 0; b < SIM_HIST_BUCKETS; b++) {
		seen += bucket[b];
		if (seen >= rank) {
			uint64_t up = bucket_upper(b);

			return up < max ? up : max;
		}
	}
	return max;
}

void sim_hist_summarize(const struct sim_hist *h, struct sim_hist_summary *ret)
{
	uint64_t bucket[SIM_HIST_BUCKETS], total = 0;
	struct sim_hist_summary s;

	/* Percentiles from the buckets as read, so they agree with each other. */
	for (unsigned int b = 0; b < SIM_HIST_BUCKETS; b++) {
		bucket[b] = __atomic_load_n(&h->bucket[b], __ATOMIC_RELAXED);
		total += bucket[b];
	}
	memset(&s, 0, sizeof(s));
	s.count = total;
	s.sum_ns = __atomic_load_n(&h->sum_ns, __ATOMIC_RELAXED);
	s.max_ns = __atomic_load_n(&h->max_ns, __ATOMIC_RELAXED);
	if (total) {
		s.p50_ns = percentile(bucket, total, s.max_ns, 50, 100);
		s.p99_ns = percentile(bucket, total, s.max_ns, 99, 100);
	}
	*ret = s;
}
