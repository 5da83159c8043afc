/* SPDX-License-Identifier: GPL-2.0 */
/*
 * User-space shim: printk goes to a hook (stderr by default), so tests can
 * capture what the core logs, e.g. the failing line of an ap_config_batch.
 */
#ifndef _SIM_LINUX_PRINTK_H
#define _SIM_LINUX_PRINTK_H

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include <linux/types.h>

#define KERN_ERR "3"
#define KERN_WARNING "4"
#define KERN_NOTICE "5"
#define KERN_INFO "6"
#define KERN_DEBUG "7"

#ifndef pr_fmt
#define pr_fmt(fmt) fmt
#endif

/* Receives every message with its level (the digit of KERN_*). */
typedef void (*sim_printk_hook_t)(int level, const char *msg);
void sim_printk_set_hook(sim_printk_hook_t hook);
__printf(2, 3) void sim_printk(int level, const char *fmt, ...);

#define pr_err(fmt, ...) sim_printk(3, pr_fmt(fmt), ##__VA_ARGS__)
#define pr_warn(fmt, ...) sim_printk(4, pr_fmt(fmt), ##__VA_ARGS__)
#define pr_notice(fmt, ...) sim_printk(5, pr_fmt(fmt), ##__VA_ARGS__)
#define pr_info(fmt, ...) sim_printk(6, pr_fmt(fmt), ##__VA_ARGS__)
#define pr_debug(fmt, ...)                                         \
	do {                                                       \
		if (0)                                             \
			sim_printk(7, pr_fmt(fmt), ##__VA_ARGS__); \
	} while (0)

/*
 * Like the kernel's printk_ratelimited(): at most 10 messages a call site
 * every 5 seconds (DEFAULT_RATELIMIT_BURST / DEFAULT_RATELIMIT_INTERVAL).
 */
bool sim_printk_ratelimit(unsigned long *state);
#define sim_printk_ratelimited(level, fmt, ...)                        \
	do {                                                           \
		static unsigned long rs_[2];                           \
		if (sim_printk_ratelimit(rs_))                         \
			sim_printk(level, pr_fmt(fmt), ##__VA_ARGS__); \
	} while (0)
#define pr_warn_ratelimited(fmt, ...) sim_printk_ratelimited(4, fmt, ##__VA_ARGS__)
#define pr_notice_ratelimited(fmt, ...) sim_printk_ratelimited(5, fmt, ##__VA_ARGS__)

#define WARN_ON(c)                                                                       \
	({                                                                               \
		bool w_ = !!(c);                                                         \
		if (w_)                                                                  \
			sim_printk(4, "WARN_ON(%s) at %s:%d\n", #c, __FILE__, __LINE__); \
		w_;                                                                      \
	})
#define WARN_ON_ONCE(c) WARN_ON(c)
#define BUG_ON(c)                                                                       \
	do {                                                                            \
		if (c) {                                                                \
			sim_printk(0, "BUG_ON(%s) at %s:%d\n", #c, __FILE__, __LINE__); \
			abort();                                                        \
		}                                                                       \
	} while (0)

#endif
