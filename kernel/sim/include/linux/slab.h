/* SPDX-License-Identifier: GPL-2.0 */
/* User-space shim: kmalloc and friends on malloc; GFP flags are ignored. */
#ifndef _SIM_LINUX_SLAB_H
#define _SIM_LINUX_SLAB_H

#include <stdlib.h>
#include <string.h>

#include <linux/types.h>

typedef unsigned int gfp_t;
#define GFP_KERNEL 0u
#define GFP_KERNEL_ACCOUNT 0u

static inline void *kmalloc(size_t n, gfp_t gfp)
{
	return malloc(n ? n : 1);
}

static inline void *kzalloc(size_t n, gfp_t gfp)
{
	return calloc(1, n ? n : 1);
}

static inline void *kcalloc(size_t n, size_t size, gfp_t gfp)
{
	return calloc(n ? n : 1, size ? size : 1);
}

static inline void *kmalloc_array(size_t n, size_t size, gfp_t gfp)
{
	return calloc(n ? n : 1, size ? size : 1);
}

static inline void kfree(const void *p)
{
	free((void *)p);
}

static inline char *kstrndup(const char *s, size_t max, gfp_t gfp)
{
	return strndup(s, max);
}

#define kvcalloc kcalloc
#define kvfree kfree

#endif
