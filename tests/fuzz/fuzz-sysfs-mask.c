// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * sysfs_mask_parse(): no read past len; format(parse(x)) reparses to the
 * same mask, with and without the trailing newline the attribute reads
 * with; a write that does not start with a sign means the same through
 * sysfs_mask_parse_write().
 */
#include "fuzz-util.h"
#include "sysfs-format.h"

static void check_reparse(const ap_mask *m, const char *text)
{
	size_t len;
	char *s = fuzz_copy_str(text, &len);
	ap_mask m2;

	FUZZ_CHECK(sysfs_mask_parse(s, len, &m2, NULL) == 0);
	FUZZ_CHECK(ap_mask_equal(m, &m2));
	free(s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = fuzz_copy(data, size);
	char buf[AP_MASK_STR_MAX], nl[AP_MASK_STR_MAX + 1];
	ap_mask m, w, base;
	size_t pos = SIZE_MAX;
	int r;

	r = sysfs_mask_parse(s, size, &m, &pos);
	if (size == 0 || (s[0] != '+' && s[0] != '-')) {
		ap_mask_fill(&base);
		FUZZ_CHECK(sysfs_mask_parse_write(s, size, &base, &w, NULL) == r);
		FUZZ_CHECK(r < 0 || ap_mask_equal(&m, &w));
	}
	if (r < 0) {
		fuzz_check_error(r, pos, size);
		free(s);
		return 0;
	}

	sysfs_mask_format(&m, buf);
	FUZZ_CHECK(strlen(buf) == AP_MASK_STR_MAX - 1);
	check_reparse(&m, buf);
	snprintf(nl, sizeof(nl), "%s\n", buf);
	check_reparse(&m, nl);
	free(s);
	return 0;
}
