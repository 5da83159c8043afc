/* SPDX-License-Identifier: GPL-2.0 */
/* User-space shim of the bitmap operations the core uses. */
#ifndef _SIM_LINUX_BITMAP_H
#define _SIM_LINUX_BITMAP_H

#include <string.h>

#include <linux/bitops.h>

#define BITMAP_LAST_WORD_MASK(nbits) (~0UL >> (-(nbits) & (BITS_PER_LONG - 1)))

static inline void bitmap_zero(unsigned long *dst, unsigned int nbits)
{
	memset(dst, 0, BITS_TO_LONGS(nbits) * sizeof(unsigned long));
}

static inline void bitmap_fill(unsigned long *dst, unsigned int nbits)
{
	memset(dst, 0xff, BITS_TO_LONGS(nbits) * sizeof(unsigned long));
}

static inline void bitmap_copy(unsigned long *dst, const unsigned long *src, unsigned int nbits)
{
	memcpy(dst, src, BITS_TO_LONGS(nbits) * sizeof(unsigned long));
}

bool bitmap_and(unsigned long *dst, const unsigned long *a, const unsigned long *b,
		unsigned int nbits);
void bitmap_or(unsigned long *dst, const unsigned long *a, const unsigned long *b,
	       unsigned int nbits);
void bitmap_xor(unsigned long *dst, const unsigned long *a, const unsigned long *b,
		unsigned int nbits);
bool bitmap_andnot(unsigned long *dst, const unsigned long *a, const unsigned long *b,
		   unsigned int nbits);
bool bitmap_equal(const unsigned long *a, const unsigned long *b, unsigned int nbits);
bool bitmap_intersects(const unsigned long *a, const unsigned long *b, unsigned int nbits);
bool bitmap_subset(const unsigned long *a, const unsigned long *b, unsigned int nbits);
bool bitmap_empty(const unsigned long *a, unsigned int nbits);
bool bitmap_full(const unsigned long *a, unsigned int nbits);
unsigned int bitmap_weight(const unsigned long *a, unsigned int nbits);

#endif
