/* SPDX-License-Identifier: GPL-2.0 */
/*
 * User-space shim: kmalloc and friends on malloc. A GFP_KERNEL allocation
 * may sleep (direct reclaim): might_sleep() checks it is not atomic.
 */
#ifndef _SIM_LINUX_SLAB_H
#define _SIM_LINUX_SLAB_H

#include <stdlib.h>
#include <string.h>

#include <linux/types.h>

typedef unsigned int gfp_t;
#define __GFP_DIRECT_RECLAIM 0x400u
#define GFP_ATOMIC 0u
#define GFP_NOWAIT 0u
#define GFP_KERNEL __GFP_DIRECT_RECLAIM
#define GFP_KERNEL_ACCOUNT __GFP_DIRECT_RECLAIM

void lockdep_sim_might_block(const char *what);

static inline void gfp_might_sleep(gfp_t gfp)
{
	if (gfp & __GFP_DIRECT_RECLAIM)
		lockdep_sim_might_block("GFP_KERNEL allocation");
}

static inline void *kmalloc(size_t n, gfp_t gfp)
{
	gfp_might_sleep(gfp);
	return malloc(n ? n : 1);
}

static inline void *kzalloc(size_t n, gfp_t gfp)
{
	gfp_might_sleep(gfp);
	return calloc(1, n ? n : 1);
}

static inline void *kcalloc(size_t n, size_t size, gfp_t gfp)
{
	gfp_might_sleep(gfp);
	return calloc(n ? n : 1, size ? size : 1);
}

static inline void *kmalloc_array(size_t n, size_t size, gfp_t gfp)
{
	gfp_might_sleep(gfp);
	return calloc(n ? n : 1, size ? size : 1);
}

static inline void kfree(const void *p)
{
	free((void *)p);
}

static inline char *kstrndup(const char *s, size_t max, gfp_t gfp)
{
	gfp_might_sleep(gfp);
	return strndup(s, max);
}

#define kvcalloc kcalloc
#define kvfree kfree

#endif
