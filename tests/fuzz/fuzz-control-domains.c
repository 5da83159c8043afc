// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * control_domains_parse(): no read past len; control_domains_format(parse(x))
 * reparses to the same mask and has one line per id.
 */
#include "fuzz-util.h"
#include "sysfs-format.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = fuzz_copy(data, size), *f = NULL, *fs;
	size_t pos = SIZE_MAX, flen = 0, fslen;
	ap_mask m, m2;
	int r;

	r = control_domains_parse(s, size, &m, &pos);
	if (r < 0) {
		fuzz_check_error(r, pos, size);
		free(s);
		return 0;
	}
	FUZZ_CHECK(control_domains_format(&m, &f, &flen) == 0);
	FUZZ_CHECK(flen == strlen(f) && flen == 5 * (size_t)ap_mask_count(&m));
	fs = fuzz_copy_str(f, &fslen);
	FUZZ_CHECK(control_domains_parse(fs, fslen, &m2, NULL) == 0);
	FUZZ_CHECK(ap_mask_equal(&m, &m2));
	free(fs);
	free(f);
	free(s);
	return 0;
}
