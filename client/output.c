// SPDX-License-Identifier: GPL-2.0-or-later
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "id-list.h"
#include "output.h"

struct table {
	size_t n_columns;
	char **cells; /* headers first, row major */
	size_t n_cells, allocated;
	bool right[TABLE_COLUMNS_MAX];
};

void table_free(table *t)
{
	if (!t)
		return;
	for (size_t i = 0; i < t->n_cells; i++)
		free(t->cells[i]);
	free(t->cells);
	free(t);
}

static int table_push(table *t, char *cell)
{
	if (t->n_cells == t->allocated) {
		size_t n = t->allocated ? t->allocated * 2 : 64;
		char **c = reallocarray(t->cells, n, sizeof(char *));

		if (!c)
			return -ENOMEM;
		t->cells = c;
		t->allocated = n;
	}
	t->cells[t->n_cells++] = cell;
	return 0;
}

table *table_new(size_t n_columns, const char *const *headers)
{
	_cleanup_(table_freep) table *t = NULL;

	if (n_columns == 0 || n_columns > TABLE_COLUMNS_MAX)
		return NULL;
	t = calloc(1, sizeof(*t));
	if (!t)
		return NULL;
	t->n_columns = n_columns;
	for (size_t i = 0; i < n_columns; i++)
		if (table_add(t, headers[i]) < 0)
			return NULL;
	return TAKE_PTR(t);
}

void table_align_right(table *t, size_t column)
{
	if (column < t->n_columns)
		t->right[column] = true;
}

int table_add(table *t, const char *cell)
{
	char *c = strdup(cell && cell[0] ? cell : "-");
	int r;

	if (!c)
		return -ENOMEM;
	r = table_push(t, c);
	if (r < 0)
		free(c);
	return r;
}

int table_addf(table *t, const char *fmt, ...)
{
	char *c;
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = vasprintf(&c, fmt, ap);
	va_end(ap);
	if (r < 0)
		return -ENOMEM;
	r = table_push(t, c);
	if (r < 0)
		free(c);
	return r;
}

size_t table_rows(const table *t)
{
	return t->n_cells / t->n_columns - 1;
}

int table_print(const table *t, FILE *f, bool headers)
{
	size_t width[TABLE_COLUMNS_MAX] = {}, total = 0;
	size_t first = headers ? 0 : t->n_columns;

	for (size_t i = 0; i < t->n_cells; i++) {
		size_t l = strlen(t->cells[i]);

		if (l > width[i % t->n_columns])
			width[i % t->n_columns] = l;
	}
	for (size_t c = 0; c < t->n_columns; c++)
		total += width[c] + (c ? 1 : 0);

	for (size_t i = first; i < t->n_cells; i++) {
		size_t c = i % t->n_columns;
		bool last = c == t->n_columns - 1;

		if (c)
			fputc(' ', f);
		if (t->right[c])
			fprintf(f, "%*s", (int)width[c], t->cells[i]);
		else if (last)
			fputs(t->cells[i], f);
		else
			fprintf(f, "%-*s", (int)width[c], t->cells[i]);
		if (last) {
			fputc('\n', f);
			if (headers && i == t->n_columns - 1) {
				for (size_t k = 0; k < total; k++)
					fputc('-', f);
				fputc('\n', f);
			}
		}
	}
	return ferror(f) ? -EIO : 0;
}

int output_json(struct json_object *o, FILE *f)
{
	const char *s = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY |
								  JSON_C_TO_STRING_SPACED |
								  JSON_C_TO_STRING_NOSLASHESCAPE);

	if (!s)
		return -ENOMEM;
	fprintf(f, "%s\n", s);
	return ferror(f) ? -EIO : 0;
}

int output_json_line(struct json_object *o, FILE *f)
{
	const char *s = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
								  JSON_C_TO_STRING_NOSLASHESCAPE);

	if (!s)
		return -ENOMEM;
	fprintf(f, "%s\n", s);
	fflush(f);
	return ferror(f) ? -EIO : 0;
}

int format_ids(const ap_mask *m, char **ret)
{
	char *s;
	int r;

	if (ap_mask_is_empty(m)) {
		s = strdup("-");
		if (!s)
			return -ENOMEM;
		*ret = s;
		return 0;
	}
	r = id_list_format(m, &s);
	if (r < 0)
		return r;
	*ret = s;
	return 0;
}

void print_field(FILE *f, const char *key, const char *value)
{
	/* Wide enough for the longest key apctl prints, "Active control domains:". */
	fprintf(f, "%24s %s\n", key, value && value[0] ? value : "-");
}
