// SPDX-License-Identifier: GPL-2.0-or-later
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hex.h"
#include "macro.h"
#include "sysfs-format.h"

static int fail_at(size_t *reterr_pos, size_t pos, int r)
{
	if (reterr_pos)
		*reterr_pos = pos;
	return r;
}

/* Parse one absolute mask in s[*pos..end), stopping at end, ',' or '\n'. */
static int mask_parse_field(const char *s, size_t end, size_t *pos, ap_mask *ret)
{
	size_t p = *pos;
	unsigned int digits = 0;
	ap_mask m;

	ap_mask_zero(&m);
	/* As the kernel's hex2bitmap: "0x" or a bare "x", lower case only. */
	if (end - p >= 2 && s[p] == '0' && s[p + 1] == 'x')
		p += 2;
	else if (p < end && s[p] == 'x')
		p++;
	for (; p < end && hex_digit_value(s[p]) >= 0; p++) {
		unsigned int d = (unsigned int)hex_digit_value(s[p]);

		if (digits == AP_MASK_HEX_DIGITS) {
			*pos = p;
			return -EINVAL;
		}
		for (unsigned int b = 0; b < 4; b++)
			if (d & (0x8u >> b))
				ap_mask_set(&m, digits * 4 + b);
		digits++;
	}
	*pos = p;
	*ret = m;
	return 0;
}

int sysfs_mask_parse(const char *s, size_t len, ap_mask *ret, size_t *reterr_pos)
{
	size_t pos = 0;
	ap_mask m;
	int r;

	r = mask_parse_field(s, len, &pos, &m);
	if (r < 0)
		return fail_at(reterr_pos, pos, r);
	if (pos < len && s[pos] == '\n')
		pos++;
	if (pos != len)
		return fail_at(reterr_pos, pos, -EINVAL);
	*ret = m;
	return 0;
}

/* The kernel's base-0 number: "0x" hex, leading "0" octal, else decimal. */
static int parse_base0(const char *s, size_t len, size_t *pos, unsigned long *ret)
{
	size_t p = *pos;
	unsigned int base = 10, ndigits = 0;
	unsigned long v = 0;

	if (p < len && s[p] == '0') {
		base = 8;
		if (len - p >= 3 && (s[p + 1] == 'x' || s[p + 1] == 'X') &&
		    hex_digit_value(s[p + 2]) >= 0) {
			base = 16;
			p += 2;
		}
	}
	for (; p < len; p++) {
		int d = hex_digit_value(s[p]);

		if (d < 0 || (unsigned int)d >= base)
			break;
		if (v <= 0xffff)
			v = v * base + (unsigned long)d;
		ndigits++;
	}
	if (!ndigits)
		return -EINVAL;
	*pos = p;
	*ret = v;
	return 0;
}

int sysfs_mask_parse_relative(const char *s, size_t len, const ap_mask *base, ap_mask *ret,
			      size_t *reterr_pos)
{
	ap_mask m = *base;
	size_t pos = 0;

	while (pos < len) {
		size_t term = pos;
		unsigned long a, z;
		char sign = s[pos++];

		if (sign != '+' && sign != '-')
			return fail_at(reterr_pos, term, -EINVAL);
		if (parse_base0(s, len, &pos, &a) < 0 || a > AP_ID_MAX)
			return fail_at(reterr_pos, term, -EINVAL);
		z = a;
		if (pos < len && s[pos] == '-') {
			pos++;
			if (parse_base0(s, len, &pos, &z) < 0 || z > AP_ID_MAX || a > z)
				return fail_at(reterr_pos, term, -EINVAL);
		}
		for (unsigned long id = a; id <= z; id++) {
			if (sign == '+')
				ap_mask_set(&m, (unsigned int)id);
			else
				ap_mask_clear(&m, (unsigned int)id);
		}
		if (pos < len && s[pos] != ',' && s[pos] != '\n')
			return fail_at(reterr_pos, pos, -EINVAL);
		while (pos < len && (s[pos] == ',' || s[pos] == '\n'))
			pos++;
	}

	*ret = m;
	return 0;
}

int sysfs_mask_parse_write(const char *s, size_t len, const ap_mask *base, ap_mask *ret,
			   size_t *reterr_pos)
{
	if (len > 0 && (s[0] == '+' || s[0] == '-'))
		return sysfs_mask_parse_relative(s, len, base, ret, reterr_pos);
	return sysfs_mask_parse(s, len, ret, reterr_pos);
}

void sysfs_mask_format(const ap_mask *m, char buf[static AP_MASK_STR_MAX])
{
	snprintf(buf, AP_MASK_STR_MAX, "0x%016llx%016llx%016llx%016llx",
		 (unsigned long long)m->w[0], (unsigned long long)m->w[1],
		 (unsigned long long)m->w[2], (unsigned long long)m->w[3]);
}

int ap_config_parse(const char *s, size_t len, ap_mask *ret_apm, ap_mask *ret_aqm, ap_mask *ret_adm,
		    size_t *reterr_pos)
{
	ap_mask m[3];
	size_t pos = 0;

	for (unsigned int i = 0; i < 3; i++) {
		if (i > 0) {
			if (pos >= len || s[pos] != ',')
				return fail_at(reterr_pos, pos, -EINVAL);
			pos++;
		}
		if (mask_parse_field(s, len, &pos, &m[i]) < 0)
			return fail_at(reterr_pos, pos, -EINVAL);
	}
	if (pos < len && s[pos] == '\n')
		pos++;
	if (pos != len)
		return fail_at(reterr_pos, pos, -EINVAL);

	*ret_apm = m[0];
	*ret_aqm = m[1];
	*ret_adm = m[2];
	return 0;
}

void ap_config_format(const ap_mask *apm, const ap_mask *aqm, const ap_mask *adm,
		      char buf[static AP_CONFIG_STR_MAX])
{
	char a[AP_MASK_STR_MAX], q[AP_MASK_STR_MAX], d[AP_MASK_STR_MAX];

	sysfs_mask_format(apm, a);
	sysfs_mask_format(aqm, q);
	sysfs_mask_format(adm, d);
	snprintf(buf, AP_CONFIG_STR_MAX, "%s,%s,%s\n", a, q, d);
}

/* Parse exactly n hex digits at s[*pos]. */
static int parse_hex_fixed(const char *s, size_t len, size_t *pos, unsigned int n,
			   unsigned int *ret)
{
	unsigned int v = 0;

	if (len - *pos < n)
		return -EINVAL;
	for (unsigned int i = 0; i < n; i++) {
		int d = hex_digit_value(s[*pos + i]);

		if (d < 0)
			return -EINVAL;
		v = v * 16 + (unsigned int)d;
	}
	*pos += n;
	*ret = v;
	return 0;
}

int matrix_lines_parse(const char *s, size_t len, ap_mask *ret_apm, ap_mask *ret_aqm,
		       size_t *reterr_pos)
{
	/* APQNs listed so far: a repeated line would fake the cross product count. */
	uint64_t seen[AP_ID_COUNT * AP_ID_COUNT / 64] = { 0 };
	ap_mask apm, aqm;
	unsigned int napqn = 0, nad = 0, ndom = 0;
	size_t pos = 0;

	ap_mask_zero(&apm);
	ap_mask_zero(&aqm);
	while (pos < len) {
		size_t line = pos;
		unsigned int apid = 0, apqi = 0;
		bool has_a = false, has_d = false;

		if (s[pos] != '.') {
			if (parse_hex_fixed(s, len, &pos, 2, &apid) < 0)
				return fail_at(reterr_pos, line, -EINVAL);
			has_a = true;
		}
		if (pos >= len || s[pos] != '.')
			return fail_at(reterr_pos, pos, -EINVAL);
		pos++;
		if (pos < len && s[pos] != '\n') {
			if (parse_hex_fixed(s, len, &pos, 4, &apqi) < 0 || apqi > AP_ID_MAX)
				return fail_at(reterr_pos, line, -EINVAL);
			has_d = true;
		}
		if (pos >= len || s[pos] != '\n' || (!has_a && !has_d))
			return fail_at(reterr_pos, line, -EINVAL);
		pos++;

		if (has_a && has_d) {
			unsigned int bit = apid * AP_ID_COUNT + apqi;

			if (seen[bit / 64] & (UINT64_C(1) << (bit % 64)))
				return fail_at(reterr_pos, line, -EINVAL);
			seen[bit / 64] |= UINT64_C(1) << (bit % 64);
		} else if ((has_a && ap_mask_test(&apm, apid)) ||
			   (has_d && ap_mask_test(&aqm, apqi))) {
			return fail_at(reterr_pos, line, -EINVAL);
		}
		if (has_a)
			ap_mask_set(&apm, apid);
		if (has_d)
			ap_mask_set(&aqm, apqi);
		if (has_a && has_d)
			napqn++;
		else if (has_a)
			nad++;
		else
			ndom++;
		/* The three line shapes never mix in one listing. */
		if ((napqn && (nad || ndom)) || (nad && ndom))
			return fail_at(reterr_pos, line, -EINVAL);
	}
	if (napqn && napqn != ap_mask_count(&apm) * ap_mask_count(&aqm))
		return fail_at(reterr_pos, len, -EINVAL);

	*ret_apm = apm;
	*ret_aqm = aqm;
	return 0;
}

int matrix_lines_format(const ap_mask *apm, const ap_mask *aqm, char **ret, size_t *ret_len)
{
	unsigned int na = ap_mask_count(apm), nd = ap_mask_count(aqm);
	size_t size = (size_t)(na ? na : 1) * (nd ? nd : 1) * 8 + 1, n = 0;
	char *buf;

	buf = malloc(size);
	if (!buf)
		return -ENOMEM;
	buf[0] = '\0';
	if (na && nd) {
		AP_MASK_FOREACH(a, apm)
			AP_MASK_FOREACH(d, aqm)
				n += (size_t)snprintf(buf + n, size - n, "%02x.%04x\n", a, d);
	} else if (na) {
		AP_MASK_FOREACH(a, apm)
			n += (size_t)snprintf(buf + n, size - n, "%02x.\n", a);
	} else if (nd) {
		AP_MASK_FOREACH(d, aqm)
			n += (size_t)snprintf(buf + n, size - n, ".%04x\n", d);
	}
	*ret = buf;
	if (ret_len)
		*ret_len = n;
	return 0;
}

int control_domains_parse(const char *s, size_t len, ap_mask *ret, size_t *reterr_pos)
{
	ap_mask m;
	size_t pos = 0;

	ap_mask_zero(&m);
	while (pos < len) {
		size_t line = pos;
		unsigned int id;

		if (parse_hex_fixed(s, len, &pos, 4, &id) < 0 || id > AP_ID_MAX || pos >= len ||
		    s[pos] != '\n')
			return fail_at(reterr_pos, line, -EINVAL);
		/* The kernel lists each id once; a repeat is not its output. */
		if (ap_mask_test(&m, id))
			return fail_at(reterr_pos, line, -EINVAL);
		pos++;
		ap_mask_set(&m, id);
	}
	*ret = m;
	return 0;
}

int control_domains_format(const ap_mask *adm, char **ret, size_t *ret_len)
{
	size_t size = (size_t)ap_mask_count(adm) * 5 + 1, n = 0;
	char *buf;

	buf = malloc(size);
	if (!buf)
		return -ENOMEM;
	buf[0] = '\0';
	AP_MASK_FOREACH(d, adm)
		n += (size_t)snprintf(buf + n, size - n, "%04x\n", d);
	*ret = buf;
	if (ret_len)
		*ret_len = n;
	return 0;
}

static int parse_hex_exact(const char *s, size_t len, size_t *pos, unsigned int n,
			   unsigned int *ret)
{
	/* Fixed-width names are lower case, as the kernel prints them. */
	for (unsigned int i = 0; i < n && *pos + i < len; i++)
		if (s[*pos + i] >= 'A' && s[*pos + i] <= 'F')
			return -EINVAL;
	return parse_hex_fixed(s, len, pos, n, ret);
}

int ap_card_name_parse(const char *s, size_t len, unsigned int *ret_apid)
{
	size_t pos = 4;
	unsigned int id;

	if (len != 6 || memcmp(s, "card", 4) != 0 || parse_hex_exact(s, len, &pos, 2, &id) < 0)
		return -EINVAL;
	*ret_apid = id;
	return 0;
}

int ap_queue_name_parse(const char *s, size_t len, apqn *ret)
{
	size_t pos = 0;
	unsigned int a, d;

	if (len != 7 || parse_hex_exact(s, len, &pos, 2, &a) < 0 || s[pos++] != '.' ||
	    parse_hex_exact(s, len, &pos, 4, &d) < 0 || d > AP_ID_MAX)
		return -EINVAL;
	*ret = (apqn){ .apid = (uint8_t)a, .apqi = (uint8_t)d };
	return 0;
}

const char *ap_queue_path(apqn q, const char *attr, char buf[static AP_QUEUE_PATH_MAX])
{
	snprintf(buf, AP_QUEUE_PATH_MAX, "devices/ap/card%02x/%02x.%04x%s%s", q.apid, q.apid,
		 q.apqi, attr ? "/" : "", attr ? attr : "");
	return buf;
}

int kernel_id_parse(const char *s, size_t len, unsigned int *ret)
{
	unsigned long v;
	size_t pos = 0;

	if (len > 0 && s[len - 1] == '\n')
		len--;
	if (parse_base0(s, len, &pos, &v) < 0 || pos != len)
		return -EINVAL;
	if (v > AP_ID_MAX)
		return -ERANGE;
	*ret = (unsigned int)v;
	return 0;
}
