// SPDX-License-Identifier: GPL-2.0-or-later
#include <errno.h>
#include <stdlib.h>

#include "sysfs-format.h"
#include "tap.h"

static const char *fmt(const ap_mask *m)
{
	static char buf[AP_MASK_STR_MAX];

	sysfs_mask_format(m, buf);
	return buf;
}

static void test_abs_mask(void)
{
	char in[80];
	ap_mask m;
	size_t pos;

	tap_is_int(sysfs_mask_parse("0x8", 3, &m, NULL), 0, "0x8 parses");
	tap_ok(ap_mask_test(&m, 0) && ap_mask_count(&m) == 1, "0x8 is id 0: padded on the right");
	tap_is_int(sysfs_mask_parse("8\n", 2, &m, NULL), 0, "no prefix, trailing newline");
	tap_ok(ap_mask_test(&m, 0), "8 is id 0");
	tap_is_int(sysfs_mask_parse("0x", 2, &m, NULL), 0, "bare 0x is an empty mask");
	tap_ok(ap_mask_is_empty(&m), "bare 0x empty");

	memset(in, 'f', sizeof(in));
	in[0] = '0';
	in[1] = 'x';
	tap_is_int(sysfs_mask_parse(in, 66, &m, NULL), 0, "64 digits");
	tap_is_int(ap_mask_count(&m), 256, "64 f's set every id");
	tap_is_str(fmt(&m), "0xffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
		   "format of a full mask");
	tap_is_int(sysfs_mask_parse(in, 67, &m, &pos), -EINVAL, "65 digits is EINVAL");
	tap_is_int(pos, 66, "65th digit is the offending position");
	tap_is_int(sysfs_mask_parse("0x1g", 4, &m, &pos), -EINVAL, "garbage");
	tap_is_int(pos, 3, "garbage position");
	tap_is_int(sysfs_mask_parse("0x1\n\n", 5, &m, NULL), -EINVAL, "two newlines");
	tap_is_int(sysfs_mask_parse(" 0x1", 4, &m, NULL), -EINVAL, "leading space");
	tap_is_int(sysfs_mask_parse("", 0, &m, NULL), 0, "empty write is an empty mask");
	tap_is_int(sysfs_mask_parse("0X8", 3, &m, NULL), -EINVAL,
		   "0X is not a prefix for the kernel");
	tap_is_int(sysfs_mask_parse("x8", 2, &m, NULL), 0, "a bare x prefix is");
	tap_ok(ap_mask_test(&m, 0) && ap_mask_count(&m) == 1, "x8 is id 0");

	ap_mask_zero(&m);
	ap_mask_set(&m, 4);
	ap_mask_set(&m, 255);
	tap_is_str(fmt(&m), "0x0800000000000000000000000000000000000000000000000000000000000001",
		   "ids 4 and 255");
}

static void test_rel_mask(void)
{
	ap_mask base, m;
	size_t pos;

	ap_mask_fill(&base);
	tap_is_int(sysfs_mask_parse_write("-0-3,+2", 7, &base, &m, NULL), 0, "relative form");
	tap_ok(!ap_mask_test(&m, 0) && !ap_mask_test(&m, 1) && ap_mask_test(&m, 2) &&
		       !ap_mask_test(&m, 3) && ap_mask_test(&m, 4),
	       "later terms win");
	tap_is_int(sysfs_mask_parse_write("-010\n", 5, &base, &m, NULL), 0, "octal term");
	tap_ok(!ap_mask_test(&m, 8) && ap_mask_test(&m, 10), "leading 0 is octal for the kernel");
	tap_is_int(sysfs_mask_parse_write("-0x10", 5, &base, &m, NULL), 0, "hex term");
	tap_ok(!ap_mask_test(&m, 16), "0x10 is 16");
	tap_is_int(sysfs_mask_parse_write("+256", 4, &base, &m, NULL), -EINVAL, "256 is EINVAL");
	tap_is_int(sysfs_mask_parse_write("+5-3", 4, &base, &m, NULL), -EINVAL, "reversed");
	tap_is_int(sysfs_mask_parse_write("+1,2", 4, &base, &m, &pos), -EINVAL, "unsigned term");
	tap_is_int(pos, 3, "unsigned term position");
	tap_is_int(sysfs_mask_parse_write("+", 1, &base, &m, NULL), -EINVAL, "sign alone");
	tap_is_int(sysfs_mask_parse_write("+1x", 3, &base, &m, NULL), -EINVAL, "junk after number");
}

static void test_ap_config(void)
{
	const char *s = "0x8000000000000000000000000000000000000000000000000000000000000000,"
			"0x4000000000000000000000000000000000000000000000000000000000000000,"
			"0x2000000000000000000000000000000000000000000000000000000000000000\n";
	char out[AP_CONFIG_STR_MAX];
	ap_mask a, q, d;

	tap_is_int(ap_config_parse(s, strlen(s), &a, &q, &d, NULL), 0, "ap_config parses");
	tap_ok(ap_mask_test(&a, 0) && ap_mask_test(&q, 1) && ap_mask_test(&d, 2), "fields");
	ap_config_format(&a, &q, &d, out);
	tap_is_str(out, s, "ap_config round trip");
	tap_is_int(ap_config_parse(s, strlen(s) - 1, &a, &q, &d, NULL), 0, "without newline");
	tap_is_int(ap_config_parse("0x1,0x2", 7, &a, &q, &d, NULL), -EINVAL, "two fields");
	tap_is_int(ap_config_parse("0x1,0x2,0x3,0x4", 15, &a, &q, &d, NULL), -EINVAL,
		   "four fields");
	tap_is_int(ap_config_parse("0x1,0xz,0x3", 11, &a, &q, &d, NULL), -EINVAL, "bad hex");
}

static void test_matrix_lines(void)
{
	ap_mask a, q, d;
	char *out = NULL;
	size_t len, pos;

	ap_mask_zero(&a);
	ap_mask_zero(&q);
	tap_is_int(matrix_lines_format(&a, &q, &out, &len), 0, "empty matrix");
	tap_is_int(len, 0, "empty matrix is empty");
	free(out);

	ap_mask_set(&a, 5);
	ap_mask_set(&a, 0x1f);
	tap_is_int(matrix_lines_format(&a, &q, &out, &len), 0, "adapters only");
	tap_is_str(out, "05.\n1f.\n", "adapters only lines");
	free(out);
	ap_mask_set(&q, 0xab);
	ap_mask_set(&q, 1);
	matrix_lines_format(&a, &q, &out, &len);
	tap_is_str(out, "05.0001\n05.00ab\n1f.0001\n1f.00ab\n", "full matrix lines");
	tap_is_int(matrix_lines_parse(out, len, &a, &q, NULL), 0, "matrix lines parse");
	tap_ok(ap_mask_count(&a) == 2 && ap_mask_count(&q) == 2, "matrix round trip");
	free(out);
	ap_mask_zero(&a);
	matrix_lines_format(&a, &q, &out, &len);
	tap_is_str(out, ".0001\n.00ab\n", "domains only lines");
	tap_is_int(matrix_lines_parse(out, len, &a, &q, NULL), 0, "domains only parse");
	tap_ok(ap_mask_is_empty(&a) && ap_mask_count(&q) == 2, "domains only round trip");
	free(out);
	tap_is_int(matrix_lines_parse("05.0001\n06.0002\n", 16, &a, &q, &pos), -EINVAL,
		   "not a cross product");
	tap_is_int(matrix_lines_parse("05.0001", 7, &a, &q, &pos), -EINVAL, "missing newline");
	tap_is_int(matrix_lines_parse("05.0100\n", 8, &a, &q, &pos), -EINVAL, "domain 256");

	ap_mask_zero(&d);
	ap_mask_set(&d, 0);
	ap_mask_set(&d, 255);
	control_domains_format(&d, &out, &len);
	tap_is_str(out, "0000\n00ff\n", "control domains lines");
	ap_mask_zero(&d);
	tap_is_int(control_domains_parse(out, len, &d, NULL), 0, "control domains parse");
	tap_is_int(ap_mask_count(&d), 2, "control domains round trip");
	free(out);
	tap_is_int(control_domains_parse("00f\n", 4, &d, NULL), -EINVAL, "short line");
	tap_is_int(control_domains_parse("0001\n0001\n", 10, &d, NULL), -EINVAL, "repeated id");
	tap_is_int(matrix_lines_parse("00.0000\n00.0001\n01.0000\n00.0000\n", 32, &a, &q, NULL),
		   -EINVAL, "repeated APQN is not a full matrix");
}

static void test_names_and_ids(void)
{
	unsigned int id = 999;
	apqn q;

	tap_is_int(ap_card_name_parse("card1f", 6, &id), 0, "card1f");
	tap_is_int(id, 31, "card1f is adapter 31");
	tap_is_int(ap_card_name_parse("card1F", 6, &id), -EINVAL,
		   "upper case is not a kernel name");
	tap_is_int(ap_card_name_parse("card1", 5, &id), -EINVAL, "short card name");
	tap_is_int(ap_card_name_parse("card1f0", 7, &id), -EINVAL, "long card name");
	tap_is_int(ap_queue_name_parse("1f.00ab", 7, &q), 0, "queue name");
	tap_ok(q.apid == 0x1f && q.apqi == 0xab, "1f.00ab");
	tap_is_int(ap_queue_name_parse("1f.0100", 7, &q), -EINVAL, "domain 256");
	tap_is_int(ap_queue_name_parse("1f-00ab", 7, &q), -EINVAL, "no dot");
	{
		char path[AP_QUEUE_PATH_MAX];

		tap_is_str(ap_queue_path((apqn){ 0x1f, 0xab }, NULL, path),
			   "devices/ap/card1f/1f.00ab", "queue directory");
		tap_is_str(ap_queue_path((apqn){ 0xff, 0xff }, "driver_override", path),
			   "devices/ap/cardff/ff.00ff/driver_override",
			   "the longest attribute path fits");
	}
	tap_is_int(kernel_id_parse("010\n", 4, &id), 0, "kernel id with newline");
	tap_is_int(id, 8, "a leading 0 is octal for the kernel");
	tap_is_int(kernel_id_parse("0x1f", 4, &id), 0, "hex kernel id");
	tap_is_int(id, 31, "0x1f");
	tap_is_int(kernel_id_parse("256", 3, &id), -ERANGE, "256 is out of range");
	tap_is_int(kernel_id_parse("08", 2, &id), -EINVAL, "8 is not an octal digit");
	tap_is_int(kernel_id_parse("", 0, &id), -EINVAL, "empty");
	tap_is_int(kernel_id_parse("5 ", 2, &id), -EINVAL, "trailing space");
}

int main(void)
{
	test_names_and_ids();
	test_abs_mask();
	test_rel_mask();
	test_ap_config();
	test_matrix_lines();
	return tap_done();
}
