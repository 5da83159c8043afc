// SPDX-License-Identifier: GPL-2.0-or-later
/* apctl's tables and id lists as people read them. */
#include <stdlib.h>
#include <string.h>

#include "output.h"
#include "tap.h"

static char *print_table(const table *t, bool headers)
{
	char *buf = NULL;
	size_t size = 0;
	FILE *f = open_memstream(&buf, &size);

	if (!f)
		return NULL;
	table_print(t, f, headers);
	fclose(f);
	return buf;
}

int main(void)
{
	static const char *const headers[] = { "CARD.DOM", "TYPE", "REQUESTS" };
	_cleanup_(table_freep) table *t = table_new(ELEMENTSOF(headers), headers);
	_cleanup_free_ char *out = NULL, *quiet = NULL, *ids = NULL, *none = NULL;
	ap_mask m;

	tap_ok(t != NULL, "table_new");
	table_align_right(t, 2);
	table_add(t, "05");
	table_add(t, "CEX8C");
	table_addf(t, "%d", 12345);
	table_add(t, "05.0004");
	table_add(t, NULL);
	table_addf(t, "%d", 7);
	tap_is_int(table_rows(t), 2, "two rows");

	out = print_table(t, true);
	tap_is_str(out,
		   "CARD.DOM TYPE  REQUESTS\n"
		   "-----------------------\n"
		   "05       CEX8C    12345\n"
		   "05.0004  -            7\n",
		   "columns padded to the widest cell, numbers right-aligned, empty cells \"-\"");
	quiet = print_table(t, false);
	tap_is_str(quiet,
		   "05       CEX8C    12345\n"
		   "05.0004  -            7\n",
		   "without headers only the rows (--quiet)");

	tap_ok(table_new(0, headers) == NULL, "a table needs columns");

	ap_mask_zero(&m);
	tap_ok(format_ids(&m, &none) == 0, "format an empty mask");
	tap_is_str(none, "-", "an empty id list prints as -");
	ap_mask_set(&m, 1);
	ap_mask_set_range(&m, 3, 5);
	ap_mask_set(&m, 255);
	tap_ok(format_ids(&m, &ids) == 0, "format a mask");
	tap_is_str(ids, "1,3-5,255", "ids as the shortest id list");

	return tap_done();
}
