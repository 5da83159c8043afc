/* SPDX-License-Identifier: GPL-2.0 */
/*
 * sim_hist: latency histograms for apsim's per-event timings (kvm->lock
 * hold and wait, vCPU stall per APCB update, PQAP intercept latency).
 *
 * Log-linear buckets: each power of two of nanoseconds is split into
 * SIM_HIST_SUB sub-buckets, so a reported percentile is within 1/SIM_HIST_SUB
 * (12.5 %) above the true value; count, sum and max are exact. Recording is
 * a few atomic adds, so it can sit inside the critical sections it measures
 * without taking a lock of its own.
 */
#ifndef _SIM_HIST_H
#define _SIM_HIST_H

#include <stdint.h>

#define SIM_HIST_SUB_BITS 3
#define SIM_HIST_SUB (1u << SIM_HIST_SUB_BITS)
#define SIM_HIST_BUCKETS (64 * SIM_HIST_SUB)

struct sim_hist {
	uint64_t count;
	uint64_t sum_ns;
	uint64_t max_ns;
	uint64_t bucket[SIM_HIST_BUCKETS];
};

/* A consistent-enough copy with the figures stats.json reports. */
struct sim_hist_summary {
	uint64_t count;
	uint64_t sum_ns;
	uint64_t p50_ns;
	uint64_t p99_ns;
	uint64_t max_ns;
};

void sim_hist_record(struct sim_hist *h, uint64_t ns);
void sim_hist_reset(struct sim_hist *h);
/* dst += src, bucket by bucket (totals over guests). */
void sim_hist_add(struct sim_hist *dst, const struct sim_hist *src);
void sim_hist_summarize(const struct sim_hist *h, struct sim_hist_summary *ret);

#endif
