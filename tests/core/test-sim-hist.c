/* SPDX-License-Identifier: GPL-2.0-or-later */
/* apsim's latency histograms: exact count, sum and max, percentiles within 12.5 %. */
#include <string.h>

#include "tap.h"
#include "sim_hist.h"

static struct sim_hist h, sum;

int main(void)
{
	struct sim_hist_summary s;

	sim_hist_summarize(&h, &s);
	tap_ok(s.count == 0 && s.p50_ns == 0 && s.p99_ns == 0 && s.max_ns == 0, "empty");
	for (uint64_t v = 0; v < 8; v++)
		sim_hist_record(&h, v);
	sim_hist_summarize(&h, &s);
	tap_ok(s.count == 8 && s.sum_ns == 28 && s.max_ns == 7, "small values exact");
	tap_is_int(s.p50_ns, 3, "p50 of 0..7 is 3");

	sim_hist_reset(&h);
	for (uint64_t v = 1; v <= 1000; v++)
		sim_hist_record(&h, v * 1000);
	sim_hist_summarize(&h, &s);
	tap_is_int(s.count, 1000, "count");
	tap_ok(s.sum_ns == 500500000ull, "sum exact");
	tap_ok(s.max_ns == 1000000, "max exact");
	tap_ok(s.p50_ns >= 500000 && s.p50_ns <= 500000 * 9 / 8,
	       "p50 %llu within 12.5 %% of 500 us", (unsigned long long)s.p50_ns);
	tap_ok(s.p99_ns >= 990000 && s.p99_ns <= 1000000, "p99 %llu within 12.5 %%, not above max",
	       (unsigned long long)s.p99_ns);

	sim_hist_record(&h, UINT64_MAX / 2);
	sim_hist_summarize(&h, &s);
	tap_ok(s.max_ns == UINT64_MAX / 2, "a huge value has a bucket");

	sim_hist_add(&sum, &h);
	sim_hist_add(&sum, &h);
	sim_hist_summarize(&sum, &s);
	tap_ok(s.count == 2002 && s.max_ns == UINT64_MAX / 2, "add merges counts and max");
	return tap_done();
}
