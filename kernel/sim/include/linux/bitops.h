/* SPDX-License-Identifier: GPL-2.0 */
/*
 * User-space shim of the bit operations, including s390's MSB-first "_inv"
 * helpers: bit nr of an _inv bitmap is bit (nr ^ (BITS_PER_LONG - 1)) of the
 * long array, so bit 0 is the most significant bit of the first long, which
 * is how AP masks (and "0x..." sysfs strings) number APIDs and APQIs.
 */
#ifndef _SIM_LINUX_BITOPS_H
#define _SIM_LINUX_BITOPS_H

#include <linux/kernel.h>

#define BITS_PER_LONG 64
#define BIT(nr) (1UL << (nr))
#define BIT_MASK(nr) (1UL << ((nr) % BITS_PER_LONG))
#define BIT_WORD(nr) ((nr) / BITS_PER_LONG)
#define BITS_TO_LONGS(nr) DIV_ROUND_UP(nr, BITS_PER_LONG)
#define DECLARE_BITMAP(name, bits) unsigned long name[BITS_TO_LONGS(bits)]

static inline void set_bit(unsigned long nr, unsigned long *addr)
{
	__atomic_fetch_or(&addr[BIT_WORD(nr)], BIT_MASK(nr), __ATOMIC_RELAXED);
}

static inline void clear_bit(unsigned long nr, unsigned long *addr)
{
	__atomic_fetch_and(&addr[BIT_WORD(nr)], ~BIT_MASK(nr), __ATOMIC_RELAXED);
}

static inline void __set_bit(unsigned long nr, unsigned long *addr)
{
	addr[BIT_WORD(nr)] |= BIT_MASK(nr);
}

static inline void __clear_bit(unsigned long nr, unsigned long *addr)
{
	addr[BIT_WORD(nr)] &= ~BIT_MASK(nr);
}

static inline bool test_bit(unsigned long nr, const unsigned long *addr)
{
	return (addr[BIT_WORD(nr)] >> (nr % BITS_PER_LONG)) & 1;
}

static inline void set_bit_inv(unsigned long nr, unsigned long *addr)
{
	set_bit(nr ^ (BITS_PER_LONG - 1), addr);
}

static inline void clear_bit_inv(unsigned long nr, unsigned long *addr)
{
	clear_bit(nr ^ (BITS_PER_LONG - 1), addr);
}

static inline void __set_bit_inv(unsigned long nr, unsigned long *addr)
{
	__set_bit(nr ^ (BITS_PER_LONG - 1), addr);
}

static inline void __clear_bit_inv(unsigned long nr, unsigned long *addr)
{
	__clear_bit(nr ^ (BITS_PER_LONG - 1), addr);
}

static inline bool test_bit_inv(unsigned long nr, const unsigned long *addr)
{
	return test_bit(nr ^ (BITS_PER_LONG - 1), addr);
}

unsigned long find_next_bit(const unsigned long *addr, unsigned long size, unsigned long offset);
unsigned long find_next_bit_inv(const unsigned long *addr, unsigned long size,
				unsigned long offset);

static inline unsigned long find_first_bit(const unsigned long *addr, unsigned long size)
{
	return find_next_bit(addr, size, 0);
}

static inline unsigned long find_first_bit_inv(const unsigned long *addr, unsigned long size)
{
	return find_next_bit_inv(addr, size, 0);
}

#define for_each_set_bit(bit, addr, size)                            \
	for ((bit) = find_first_bit((addr), (size)); (bit) < (size); \
	     (bit) = find_next_bit((addr), (size), (bit) + 1))

#define for_each_set_bit_inv(bit, addr, size)                            \
	for ((bit) = find_first_bit_inv((addr), (size)); (bit) < (size); \
	     (bit) = find_next_bit_inv((addr), (size), (bit) + 1))

#endif
