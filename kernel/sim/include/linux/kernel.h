/* SPDX-License-Identifier: GPL-2.0 */
/* User-space shim: the grab bag of linux/kernel.h the core uses. */
#ifndef _SIM_LINUX_KERNEL_H
#define _SIM_LINUX_KERNEL_H

#include <linux/compiler.h>
#include <linux/types.h>
#include <linux/printk.h>
#include <linux/kstrtox.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define container_of(ptr, type, member) ((type *)((char *)(ptr)-offsetof(type, member)))
#define DIV_ROUND_UP(n, d) (((n) + (d)-1) / (d))
#define min(a, b) ((a) < (b) ? (a) : (b))
#define max(a, b) ((a) > (b) ? (a) : (b))
#define min_t(t, a, b) ((t)(a) < (t)(b) ? (t)(a) : (t)(b))
#define max_t(t, a, b) ((t)(a) > (t)(b) ? (t)(a) : (t)(b))
#define BUILD_BUG_ON(c) _Static_assert(!(c), #c)
#define PAGE_SIZE 4096UL

/* CONFIG_DEBUG_ATOMIC_SLEEP: blocking in atomic context is a violation (lockdep.c). */
void lockdep_sim_might_block(const char *what);
#define might_sleep() lockdep_sim_might_block("might_sleep")

#endif
