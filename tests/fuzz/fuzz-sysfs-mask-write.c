// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * sysfs_mask_parse_relative() and sysfs_mask_parse_write(): no read past
 * len; the result formats and reparses to the same mask; a relative write
 * is idempotent (applying it again to its own result changes nothing, since
 * the last term naming an id decides it); ids no term names keep the base
 * (the result on an all-zero and an all-one base differ exactly there).
 * The first input byte picks the base, the rest is the write.
 */
#include "fuzz-util.h"
#include "sysfs-format.h"

static void pick_base(uint8_t sel, ap_mask *base)
{
	ap_mask_zero(base);
	for (unsigned int id = 0; id < AP_ID_COUNT; id++) {
		if ((sel & 3) == 1 || ((sel & 3) == 2 && id % 2) || ((sel & 3) == 3 && id % 7 == 0))
			ap_mask_set(base, id);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char buf[AP_MASK_STR_MAX], *s, *f;
	ap_mask base, m, again, zero, ones, w, x, y;
	size_t len, flen, pos = SIZE_MAX;
	int r;

	if (size < 1)
		return 0;
	pick_base(data[0], &base);
	len = size - 1;
	s = fuzz_copy(data + 1, len);

	r = sysfs_mask_parse_write(s, len, &base, &w, &pos);
	if (len > 0 && (s[0] == '+' || s[0] == '-')) {
		size_t pos2 = SIZE_MAX;
		int r2 = sysfs_mask_parse_relative(s, len, &base, &m, &pos2);

		FUZZ_CHECK(r == r2);
		FUZZ_CHECK(r < 0 || ap_mask_equal(&m, &w));
		FUZZ_CHECK(r == 0 || pos == pos2);
	}
	if (r < 0) {
		fuzz_check_error(r, pos, len);
		free(s);
		return 0;
	}

	sysfs_mask_format(&w, buf);
	f = fuzz_copy_str(buf, &flen);
	FUZZ_CHECK(sysfs_mask_parse(f, flen, &x, NULL) == 0);
	FUZZ_CHECK(ap_mask_equal(&w, &x));
	free(f);

	if (len > 0 && (s[0] == '+' || s[0] == '-')) {
		FUZZ_CHECK(sysfs_mask_parse_relative(s, len, &w, &again, NULL) == 0);
		FUZZ_CHECK(ap_mask_equal(&w, &again));

		ap_mask_zero(&zero);
		ap_mask_fill(&ones);
		FUZZ_CHECK(sysfs_mask_parse_relative(s, len, &zero, &x, NULL) == 0);
		FUZZ_CHECK(sysfs_mask_parse_relative(s, len, &ones, &y, NULL) == 0);
		/* Ids named by some term agree; the others are 0 in x, 1 in y. */
		for (unsigned int id = 0; id < AP_ID_COUNT; id++) {
			bool named = ap_mask_test(&x, id) == ap_mask_test(&y, id);

			if (named)
				FUZZ_CHECK(ap_mask_test(&w, id) == ap_mask_test(&x, id));
			else
				FUZZ_CHECK(ap_mask_test(&w, id) == ap_mask_test(&base, id));
		}
	}
	free(s);
	return 0;
}
