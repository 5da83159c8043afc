// SPDX-License-Identifier: GPL-2.0-or-later
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "id-list.h"
#include "hex.h"
#include "macro.h"

struct cursor {
	const char *s;
	size_t len;
	size_t pos;
};

static bool at_end(const struct cursor *c)
{
	return c->pos >= c->len;
}

static void skip_blanks(struct cursor *c)
{
	while (!at_end(c) && (c->s[c->pos] == ' ' || c->s[c->pos] == '\t'))
		c->pos++;
}

/* One number; digits are bounded so that the value never overflows. */
static int parse_number(struct cursor *c, unsigned int max, unsigned int *ret)
{
	unsigned int base = 10, value = 0, ndigits = 0;
	size_t start = c->pos;

	if (c->len - c->pos >= 2 && c->s[c->pos] == '0' &&
	    (c->s[c->pos + 1] == 'x' || c->s[c->pos + 1] == 'X')) {
		base = 16;
		c->pos += 2;
	}
	while (!at_end(c)) {
		int d = hex_digit_value(c->s[c->pos]);

		if (d < 0 || (unsigned int)d >= base)
			break;
		/* Anything this long is out of range whatever the digits. */
		if (value > 0xffff)
			return c->pos = start, -ERANGE;
		value = value * base + (unsigned int)d;
		ndigits++;
		c->pos++;
	}
	if (ndigits == 0)
		return c->pos = start, -EINVAL;
	if (value > max)
		return c->pos = start, -ERANGE;
	*ret = value;
	return 0;
}

int id_list_parse(const char *s, size_t len, unsigned int max, ap_mask *ret, size_t *reterr_pos)
{
	struct cursor c = { .s = s, .len = len };
	ap_mask m;
	int r;

	ap_mask_zero(&m);
	if (max > AP_ID_MAX)
		max = AP_ID_MAX;
	if (c.len > 0 && c.s[c.len - 1] == '\n')
		c.len--;

	for (unsigned int items = 0;; items++) {
		unsigned int first, last;
		size_t item_pos;

		skip_blanks(&c);
		item_pos = c.pos;
		if (at_end(&c) && items == 0) {
			r = -EINVAL; /* empty list */
			goto fail;
		}
		r = parse_number(&c, max, &first);
		if (r < 0)
			goto fail;
		last = first;
		skip_blanks(&c);
		if (!at_end(&c) && c.s[c.pos] == '-') {
			c.pos++;
			skip_blanks(&c);
			r = parse_number(&c, max, &last);
			if (r < 0)
				goto fail;
			if (last < first) {
				c.pos = item_pos;
				r = -EINVAL;
				goto fail;
			}
			skip_blanks(&c);
		}
		ap_mask_set_range(&m, first, last);
		if (at_end(&c))
			break;
		if (c.s[c.pos] != ',') {
			r = -EINVAL;
			goto fail;
		}
		c.pos++;
	}

	*ret = m;
	return 0;
fail:
	if (reterr_pos)
		*reterr_pos = c.pos;
	return r;
}

int id_list_format(const ap_mask *m, char **ret)
{
	/* Worst case "0,2,4,...": 128 items of at most 4 bytes each. */
	char buf[AP_ID_COUNT * 5 + 1];
	size_t n = 0;
	char *s;

	buf[0] = '\0';
	for (int id = ap_mask_next(m, 0); id >= 0;) {
		int last = id;

		while (last < AP_ID_MAX && ap_mask_test(m, (unsigned int)last + 1))
			last++;
		if (last == id)
			n += (size_t)snprintf(buf + n, sizeof(buf) - n, "%s%d", n ? "," : "", id);
		else
			n += (size_t)snprintf(buf + n, sizeof(buf) - n, "%s%d-%d", n ? "," : "", id,
					      last);
		id = ap_mask_next(m, last + 1);
	}

	s = strdup(buf);
	if (!s)
		return -ENOMEM;
	*ret = s;
	return 0;
}

int ap_id_format_kernel(unsigned int id, char *buf, size_t size)
{
	int n;

	if (id > AP_ID_MAX)
		return -ERANGE;
	n = snprintf(buf, size, "%u", id);
	if (n < 0 || (size_t)n >= size)
		return -ENOBUFS;
	return 0;
}
