/* SPDX-License-Identifier: GPL-2.0 */
/* User-space shim: ktime_get_ns() on CLOCK_MONOTONIC, as in the kernel. */
#ifndef _SIM_LINUX_TIMEKEEPING_H
#define _SIM_LINUX_TIMEKEEPING_H

#include <time.h>

#include <linux/types.h>

static inline u64 ktime_get_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (u64)ts.tv_sec * 1000000000ull + (u64)ts.tv_nsec;
}

#endif
