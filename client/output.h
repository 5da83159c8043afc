/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * How apctl prints: aligned tables for people (a header line, a rule, then one
 * row per item, in the manner of lszcrypt), and JSON for tools. The JSON
 * shapes are the stable interface documented in apctl(8).
 */
#ifndef APCTL_OUTPUT_H
#define APCTL_OUTPUT_H

#include <stdbool.h>
#include <stdio.h>

#include <json-c/json.h>

#include "ap-mask.h"
#include "macro.h"

typedef struct table table;

#define TABLE_COLUMNS_MAX 16

/* headers: n_columns strings. NULL on OOM. */
table *table_new(size_t n_columns, const char *const *headers);
void table_free(table *t);
DEFINE_TRIVIAL_CLEANUP_FUNC(table *, table_free)

/* Numbers read better right-aligned. */
void table_align_right(table *t, size_t column);

/* Append the next cell (rows fill left to right); NULL prints as "-". */
int table_add(table *t, const char *cell);
_printf_(2, 3) int table_addf(table *t, const char *fmt, ...);

/* Without headers (--quiet) only the rows are printed, one per line. */
int table_print(const table *t, FILE *f, bool headers);

size_t table_rows(const table *t);

/* Pretty JSON document followed by a newline. */
int output_json(struct json_object *o, FILE *f);
/* One compact JSON object per line (monitor), flushed. */
int output_json_line(struct json_object *o, FILE *f);

/* An id mask as the shortest id list ("1,3-5"), or "-" when empty. malloc'ed. */
int format_ids(const ap_mask *m, char **ret);

/* "key: value" lines with the keys padded to one width (apctl show). */
void print_field(FILE *f, const char *key, const char *value);

#endif
