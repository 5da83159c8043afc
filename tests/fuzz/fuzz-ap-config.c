// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * ap_config_parse(): no read past len; ap_config_format(parse(x)) (what the
 * attribute reads) reparses to the same three masks, also without its
 * trailing newline.
 */
#include "fuzz-util.h"
#include "sysfs-format.h"

static void check_reparse(const ap_mask m[3], const char *text)
{
	ap_mask r[3];
	size_t len;
	char *s = fuzz_copy_str(text, &len);

	FUZZ_CHECK(ap_config_parse(s, len, &r[0], &r[1], &r[2], NULL) == 0);
	for (unsigned int i = 0; i < 3; i++)
		FUZZ_CHECK(ap_mask_equal(&m[i], &r[i]));
	free(s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = fuzz_copy(data, size), buf[AP_CONFIG_STR_MAX];
	size_t pos = SIZE_MAX, n;
	ap_mask m[3];
	int r;

	r = ap_config_parse(s, size, &m[0], &m[1], &m[2], &pos);
	if (r < 0) {
		fuzz_check_error(r, pos, size);
		free(s);
		return 0;
	}
	ap_config_format(&m[0], &m[1], &m[2], buf);
	n = strlen(buf);
	FUZZ_CHECK(n == AP_CONFIG_STR_MAX - 1 && buf[n - 1] == '\n');
	check_reparse(m, buf);
	buf[n - 1] = '\0';
	check_reparse(m, buf);
	free(s);
	return 0;
}
