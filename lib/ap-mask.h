/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * APQNs and 256-bit AP masks as user space sees them.
 *
 * Bit order follows the architecture and the sysfs formats: id 0 is the most
 * significant bit of the first word, so a mask prints as 64 hex digits in
 * word order without any bit reversal.
 */
#ifndef APM_AP_MASK_H
#define APM_AP_MASK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define AP_ID_COUNT 256
#define AP_ID_MAX (AP_ID_COUNT - 1)
#define AP_MASK_HEX_DIGITS (AP_ID_COUNT / 4)
/* "0x" + 64 digits + NUL */
#define AP_MASK_STR_MAX (2 + AP_MASK_HEX_DIGITS + 1)

typedef struct ap_mask {
	uint64_t w[AP_ID_COUNT / 64];
} ap_mask;

/* An APQN: adapter id (APID) and domain id (APQI), printed "aa.dddd". */
typedef struct apqn {
	uint8_t apid;
	uint8_t apqi;
} apqn;

#define APQN_STR_MAX sizeof("ff.00ff")

static inline uint64_t ap_mask_bit_(unsigned int id)
{
	return UINT64_C(1) << (63 - (id % 64));
}

static inline void ap_mask_zero(ap_mask *m)
{
	*m = (ap_mask){ { 0 } };
}

static inline void ap_mask_fill(ap_mask *m)
{
	for (unsigned int i = 0; i < AP_ID_COUNT / 64; i++)
		m->w[i] = UINT64_MAX;
}

static inline void ap_mask_set(ap_mask *m, unsigned int id)
{
	if (id <= AP_ID_MAX)
		m->w[id / 64] |= ap_mask_bit_(id);
}

static inline void ap_mask_clear(ap_mask *m, unsigned int id)
{
	if (id <= AP_ID_MAX)
		m->w[id / 64] &= ~ap_mask_bit_(id);
}

static inline bool ap_mask_test(const ap_mask *m, unsigned int id)
{
	return id <= AP_ID_MAX && (m->w[id / 64] & ap_mask_bit_(id));
}

/* Set ids first..last (inclusive); out-of-range parts are ignored. */
void ap_mask_set_range(ap_mask *m, unsigned int first, unsigned int last);
/* Keep only ids 0..max. */
void ap_mask_limit(ap_mask *m, unsigned int max);

unsigned int ap_mask_count(const ap_mask *m);
bool ap_mask_is_empty(const ap_mask *m);
/* Every id set: all ones, as the AP bus's masks are by default. */
bool ap_mask_is_full(const ap_mask *m);
bool ap_mask_equal(const ap_mask *a, const ap_mask *b);
bool ap_mask_intersects(const ap_mask *a, const ap_mask *b);
/* Highest set id, or -1 when empty. */
int ap_mask_last(const ap_mask *m);

/* Smallest set id >= from, or -1. */
int ap_mask_next(const ap_mask *m, int from);

void ap_mask_and(ap_mask *ret, const ap_mask *a, const ap_mask *b);
void ap_mask_or(ap_mask *ret, const ap_mask *a, const ap_mask *b);
void ap_mask_andnot(ap_mask *ret, const ap_mask *a, const ap_mask *b);

#define AP_MASK_FOREACH(id, m) \
	for (int id = ap_mask_next((m), 0); id >= 0; id = ap_mask_next((m), id + 1))

/*
 * A mask from an id array (a D-Bus "au"). -ERANGE for an id above max, with
 * its index in *reterr_index; ret is written only on success.
 */
int ap_mask_from_ids(const uint32_t *ids, size_t n, unsigned int max, ap_mask *ret,
		     size_t *reterr_index);

/* "aa.dddd" into buf of at least APQN_STR_MAX bytes; returns buf. */
const char *apqn_to_string(apqn q, char buf[static APQN_STR_MAX]);

#endif
