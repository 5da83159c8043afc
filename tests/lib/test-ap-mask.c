// SPDX-License-Identifier: GPL-2.0-or-later
#include <errno.h>

#include "ap-mask.h"
#include "tap.h"

int main(void)
{
	ap_mask a, b, c;
	char buf[APQN_STR_MAX];
	int n;

	ap_mask_zero(&a);
	tap_ok(ap_mask_is_empty(&a), "zeroed mask is empty");
	tap_is_int(ap_mask_next(&a, 0), -1, "next on empty is -1");
	tap_is_int(ap_mask_last(&a), -1, "last on empty is -1");
	tap_ok(!ap_mask_is_full(&a), "an empty mask is not full");
	ap_mask_fill(&b);
	tap_ok(ap_mask_is_full(&b), "a filled mask is full");
	ap_mask_clear(&b, 255);
	tap_ok(!ap_mask_is_full(&b), "one id short of full is not full");

	ap_mask_set(&a, 0);
	tap_ok(a.w[0] == UINT64_C(1) << 63, "id 0 is the most significant bit of word 0");
	ap_mask_set(&a, 255);
	tap_ok(a.w[3] == 1, "id 255 is the least significant bit of word 3");
	ap_mask_set(&a, 256);
	tap_is_int(ap_mask_count(&a), 2, "id 256 is ignored");
	tap_ok(ap_mask_test(&a, 0) && ap_mask_test(&a, 255) && !ap_mask_test(&a, 1), "test");
	tap_ok(!ap_mask_test(&a, 256), "test 256 is false");
	tap_is_int(ap_mask_next(&a, 1), 255, "next skips to 255");
	tap_is_int(ap_mask_next(&a, 256), -1, "next past the end");
	tap_is_int(ap_mask_last(&a), 255, "last");

	ap_mask_clear(&a, 0);
	tap_is_int(ap_mask_next(&a, 0), 255, "clear");

	ap_mask_zero(&a);
	ap_mask_set_range(&a, 60, 70);
	tap_is_int(ap_mask_count(&a), 11, "range across a word boundary");
	n = 0;
	AP_MASK_FOREACH(id, &a)
		n += id;
	tap_is_int(n, 715, "foreach visits 60..70");

	ap_mask_zero(&b);
	ap_mask_set_range(&b, 65, 100);
	ap_mask_and(&c, &a, &b);
	tap_is_int(ap_mask_count(&c), 6, "and");
	ap_mask_or(&c, &a, &b);
	tap_is_int(ap_mask_count(&c), 41, "or");
	ap_mask_andnot(&c, &a, &b);
	tap_is_int(ap_mask_count(&c), 5, "andnot");
	tap_ok(ap_mask_intersects(&a, &b), "intersects");
	tap_ok(!ap_mask_equal(&a, &b), "not equal");
	b = a;
	tap_ok(ap_mask_equal(&a, &b), "equal");

	ap_mask_fill(&a);
	tap_is_int(ap_mask_count(&a), 256, "fill");
	ap_mask_limit(&a, 15);
	tap_is_int(ap_mask_count(&a), 16, "limit to 15");

	tap_is_str(apqn_to_string((apqn){ .apid = 0x05, .apqi = 0xab }, buf), "05.00ab", "apqn");
	tap_is_str(apqn_to_string((apqn){ .apid = 0xff, .apqi = 0xff }, buf), "ff.00ff",
		   "apqn max");

	{
		const uint32_t ids[] = { 0, 5, 255, 5 };
		const uint32_t bad[] = { 1, 16 };
		size_t at = 99;

		tap_is_int(ap_mask_from_ids(ids, 4, 255, &a, NULL), 0, "mask from ids");
		tap_is_int(ap_mask_count(&a), 3, "repeats count once");
		b = a;
		tap_is_int(ap_mask_from_ids(bad, 2, 15, &a, &at), -ERANGE, "id above max");
		tap_is_int(at, 1, "the offending index");
		tap_ok(ap_mask_equal(&a, &b), "the mask is untouched on error");
		tap_is_int(ap_mask_from_ids(NULL, 0, 255, &a, NULL), 0, "no ids");
		tap_ok(ap_mask_is_empty(&a), "empty");
	}

	return tap_done();
}
