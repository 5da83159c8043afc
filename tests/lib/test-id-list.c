// SPDX-License-Identifier: GPL-2.0-or-later
#include <errno.h>
#include <stdlib.h>

#include "id-list.h"
#include "tap.h"

static void parses_to(const char *in, const char *canonical)
{
	ap_mask m;
	char *out = NULL;
	int r;

	r = id_list_parse(in, strlen(in), AP_ID_MAX, &m, NULL);
	if (!tap_is_int(r, 0, "parse \"%s\"", in))
		return;
	id_list_format(&m, &out);
	tap_is_str(out, canonical, "\"%s\" formats as \"%s\"", in, canonical);
	free(out);
}

static void fails(const char *in, unsigned int max, int err, size_t pos)
{
	ap_mask m;
	size_t p = 9999;
	int r;

	ap_mask_zero(&m);
	r = id_list_parse(in, strlen(in), max, &m, &p);
	tap_is_int(r, err, "\"%s\" fails with %d", in, err);
	tap_is_int(p, pos, "\"%s\" error offset", in);
}

int main(void)
{
	ap_mask m;
	char *out = NULL;

	parses_to("5", "5");
	parses_to("0", "0");
	parses_to("255", "255");
	parses_to("1,3-5", "1,3-5");
	parses_to("0x1f", "31");
	parses_to("0x10-0x1f", "16-31");
	parses_to("5,4,3", "3-5");
	parses_to(" 1 , 2 - 3 ", "1-3");
	parses_to("7\n", "7");
	parses_to("010", "10"); /* a leading zero is decimal for users */
	parses_to("0-255", "0-255");
	parses_to("0X0A", "10");

	fails("", AP_ID_MAX, -EINVAL, 0);
	fails("\n", AP_ID_MAX, -EINVAL, 0);
	fails("256", AP_ID_MAX, -ERANGE, 0);
	fails("1,256", AP_ID_MAX, -ERANGE, 2);
	fails("5-3", AP_ID_MAX, -EINVAL, 0);
	fails("1,,2", AP_ID_MAX, -EINVAL, 2);
	fails("1,", AP_ID_MAX, -EINVAL, 2);
	fails("abc", AP_ID_MAX, -EINVAL, 0);
	fails("0x", AP_ID_MAX, -EINVAL, 0);
	fails("-1", AP_ID_MAX, -EINVAL, 0);
	fails("1 2", AP_ID_MAX, -EINVAL, 2);
	fails("16", 15, -ERANGE, 0);
	fails("99999999999999999999", AP_ID_MAX, -ERANGE, 0);
	fails("3\n\n", AP_ID_MAX, -EINVAL, 1);

	/* Never reads past len: "12" with len 1 is "1". */
	tap_is_int(id_list_parse("12", 1, AP_ID_MAX, &m, NULL), 0, "length-bounded parse");
	tap_ok(ap_mask_test(&m, 1) && ap_mask_count(&m) == 1, "only the first byte was read");

	ap_mask_zero(&m);
	id_list_format(&m, &out);
	tap_is_str(out, "", "empty mask formats as empty string");
	free(out);
	ap_mask_zero(&m);
	for (unsigned int i = 0; i < 256; i += 2)
		ap_mask_set(&m, i);
	id_list_format(&m, &out);
	tap_ok(out && strlen(out) > 400 && strncmp(out, "0,2,4,", 6) == 0, "worst-case list");
	free(out);

	{
		char buf[8];

		tap_is_int(ap_id_format_kernel(8, buf, sizeof(buf)), 0, "kernel id format");
		tap_is_str(buf, "8", "kernel id is plain decimal, never octal");
		tap_is_int(ap_id_format_kernel(256, buf, sizeof(buf)), -ERANGE,
			   "256 is out of range");
	}

	return tap_done();
}
