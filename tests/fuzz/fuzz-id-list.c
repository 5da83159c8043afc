// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * id_list_parse(): no read past len; what it accepts formats canonically and
 * reparses to the same mask; a lower maximum accepts exactly the lists whose
 * ids all fit, with the same result.
 */
#include "fuzz-util.h"
#include "id-list.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = fuzz_copy(data, size), *f = NULL, *fs;
	ap_mask m, m2, small;
	size_t pos = SIZE_MAX, flen;
	int r, r2;

	r = id_list_parse(s, size, AP_ID_MAX, &m, &pos);
	r2 = id_list_parse(s, size, 15, &small, &pos);
	if (r < 0) {
		fuzz_check_error(r, pos, size);
		FUZZ_CHECK(r2 < 0);
		free(s);
		return 0;
	}
	FUZZ_CHECK(!ap_mask_is_empty(&m));
	if (ap_mask_last(&m) <= 15) {
		FUZZ_CHECK(r2 == 0);
		FUZZ_CHECK(ap_mask_equal(&m, &small));
	} else {
		FUZZ_CHECK(r2 == -ERANGE);
	}

	FUZZ_CHECK(id_list_format(&m, &f) == 0);
	fs = fuzz_copy_str(f, &flen);
	FUZZ_CHECK(id_list_parse(fs, flen, AP_ID_MAX, &m2, NULL) == 0);
	FUZZ_CHECK(ap_mask_equal(&m, &m2));
	free(fs);
	free(f);
	free(s);
	return 0;
}
