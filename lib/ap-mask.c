// SPDX-License-Identifier: GPL-2.0-or-later
#include <errno.h>
#include <stdio.h>

#include "ap-mask.h"

#define WORDS (AP_ID_COUNT / 64)

void ap_mask_set_range(ap_mask *m, unsigned int first, unsigned int last)
{
	if (last > AP_ID_MAX)
		last = AP_ID_MAX;
	for (unsigned int id = first; id <= last; id++)
		ap_mask_set(m, id);
}

void ap_mask_limit(ap_mask *m, unsigned int max)
{
	for (unsigned int id = max + 1; id <= AP_ID_MAX; id++)
		ap_mask_clear(m, id);
}

unsigned int ap_mask_count(const ap_mask *m)
{
	unsigned int n = 0;

	for (unsigned int i = 0; i < WORDS; i++)
		n += (unsigned int)__builtin_popcountll(m->w[i]);
	return n;
}

bool ap_mask_is_empty(const ap_mask *m)
{
	for (unsigned int i = 0; i < WORDS; i++)
		if (m->w[i])
			return false;
	return true;
}

bool ap_mask_is_full(const ap_mask *m)
{
	for (unsigned int i = 0; i < WORDS; i++)
		if (m->w[i] != UINT64_MAX)
			return false;
	return true;
}

bool ap_mask_equal(const ap_mask *a, const ap_mask *b)
{
	for (unsigned int i = 0; i < WORDS; i++)
		if (a->w[i] != b->w[i])
			return false;
	return true;
}

bool ap_mask_intersects(const ap_mask *a, const ap_mask *b)
{
	for (unsigned int i = 0; i < WORDS; i++)
		if (a->w[i] & b->w[i])
			return true;
	return false;
}

int ap_mask_next(const ap_mask *m, int from)
{
	if (from < 0)
		from = 0;
	for (unsigned int i = (unsigned int)from / 64; i < WORDS; i++) {
		uint64_t w = m->w[i];

		/* Drop the bits of ids below "from" in the first word. */
		if (i == (unsigned int)from / 64 && from % 64)
			w &= UINT64_MAX >> (from % 64);
		if (w)
			return (int)(i * 64) + __builtin_clzll(w);
	}
	return -1;
}

int ap_mask_last(const ap_mask *m)
{
	for (int i = WORDS - 1; i >= 0; i--)
		if (m->w[i])
			return i * 64 + 63 - __builtin_ctzll(m->w[i]);
	return -1;
}

void ap_mask_and(ap_mask *ret, const ap_mask *a, const ap_mask *b)
{
	for (unsigned int i = 0; i < WORDS; i++)
		ret->w[i] = a->w[i] & b->w[i];
}

void ap_mask_or(ap_mask *ret, const ap_mask *a, const ap_mask *b)
{
	for (unsigned int i = 0; i < WORDS; i++)
		ret->w[i] = a->w[i] | b->w[i];
}

void ap_mask_andnot(ap_mask *ret, const ap_mask *a, const ap_mask *b)
{
	for (unsigned int i = 0; i < WORDS; i++)
		ret->w[i] = a->w[i] & ~b->w[i];
}

const char *apqn_to_string(apqn q, char buf[static APQN_STR_MAX])
{
	snprintf(buf, APQN_STR_MAX, "%02x.%04x", q.apid, q.apqi);
	return buf;
}

int ap_mask_from_ids(const uint32_t *ids, size_t n, unsigned int max, ap_mask *ret,
		     size_t *reterr_index)
{
	ap_mask m;

	ap_mask_zero(&m);
	for (size_t i = 0; i < n; i++) {
		if (ids[i] > max || ids[i] > AP_ID_MAX) {
			if (reterr_index)
				*reterr_index = i;
			return -ERANGE;
		}
		ap_mask_set(&m, ids[i]);
	}
	*ret = m;
	return 0;
}
