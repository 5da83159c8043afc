// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * matrix_lines_parse() (the matrix / guest_matrix attributes): no read past
 * len; matrix_lines_format(parse(x)) reparses to the same masks; and what
 * the parser accepts is exactly a listing the format could have produced,
 * up to line order and hex case: the same number of lines, each of them
 * in the formatted listing, none twice (a full cross product).
 */
#include <ctype.h>

#include "fuzz-util.h"
#include "sysfs-format.h"

static int cmp_line(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Every line of s (lowercased) occurs in the formatted listing f, once. */
static void check_lines(const char *s, size_t len, const char *f, size_t flen)
{
	size_t nlines = 0, fl = 0, start = 0;
	char **lines, *copy;

	for (size_t i = 0; i < flen; i++)
		fl += f[i] == '\n';
	for (size_t i = 0; i < len; i++)
		nlines += s[i] == '\n';
	FUZZ_CHECK(nlines == fl);
	if (!nlines)
		return;

	/* "\n" + lines, so that "\nLINE\n" finds whole lines only. */
	copy = malloc(len + 1);
	lines = calloc(nlines, sizeof(*lines));
	FUZZ_CHECK(copy && lines);
	for (size_t i = 0; i < len; i++)
		copy[i] = (char)tolower((unsigned char)s[i]);
	copy[len] = '\0';
	nlines = 0;
	for (size_t i = 0; i < len; i++) {
		if (copy[i] == '\n') {
			copy[i] = '\0';
			lines[nlines++] = copy + start;
			start = i + 1;
		}
	}
	qsort(lines, nlines, sizeof(*lines), cmp_line);
	for (size_t i = 0; i < nlines; i++) {
		char needle[16];
		const char *hit;

		FUZZ_CHECK(strlen(lines[i]) <= 7);
		FUZZ_CHECK(i == 0 || strcmp(lines[i - 1], lines[i]) != 0);
		snprintf(needle, sizeof(needle), "%s\n", lines[i]);
		hit = strstr(f, needle);
		while (hit && hit != f && hit[-1] != '\n')
			hit = strstr(hit + 1, needle);
		FUZZ_CHECK(hit);
	}
	free(lines);
	free(copy);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = fuzz_copy(data, size), *f = NULL, *fs;
	ap_mask apm, aqm, apm2, aqm2;
	size_t pos = SIZE_MAX, flen = 0, fslen;
	int r;

	r = matrix_lines_parse(s, size, &apm, &aqm, &pos);
	if (r < 0) {
		fuzz_check_error(r, pos, size);
		free(s);
		return 0;
	}
	FUZZ_CHECK(matrix_lines_format(&apm, &aqm, &f, &flen) == 0);
	FUZZ_CHECK(flen == strlen(f));
	fs = fuzz_copy_str(f, &fslen);
	FUZZ_CHECK(matrix_lines_parse(fs, fslen, &apm2, &aqm2, NULL) == 0);
	FUZZ_CHECK(ap_mask_equal(&apm, &apm2) && ap_mask_equal(&aqm, &aqm2));
	check_lines(s, size, f, flen);
	free(fs);
	free(f);
	free(s);
	return 0;
}
