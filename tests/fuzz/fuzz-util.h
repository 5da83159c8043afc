/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Helpers shared by the libFuzzer targets: every parser gets a malloc'ed
 * copy of exactly the input bytes, without a terminating NUL, so that
 * AddressSanitizer reports any read past len; a broken property aborts
 * with a message, which libFuzzer records as a crash.
 */
#ifndef APM_FUZZ_UTIL_H
#define APM_FUZZ_UTIL_H

#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ap-mask.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static inline void fuzz_fail(const char *file, int line, const char *what)
{
	fprintf(stderr, "%s:%d: property broken: %s\n", file, line, what);
	abort();
}

#define FUZZ_CHECK(cond)                                      \
	do {                                                  \
		if (!(cond))                                  \
			fuzz_fail(__FILE__, __LINE__, #cond); \
	} while (0)

/* Exactly size bytes; for size 0 a zero-size allocation (or NULL). */
static inline char *fuzz_copy(const uint8_t *data, size_t size)
{
	char *p = malloc(size);

	if (!p && size)
		abort();
	if (size)
		memcpy(p, data, size);
	return p;
}

/* A heap copy of a NUL-terminated string without its NUL. */
static inline char *fuzz_copy_str(const char *s, size_t *ret_len)
{
	*ret_len = strlen(s);
	return fuzz_copy((const uint8_t *)s, *ret_len);
}

/* Parsers report the offending offset: it must lie within the input. */
static inline void fuzz_check_error(int r, size_t pos, size_t len)
{
	FUZZ_CHECK(r == -EINVAL || r == -ERANGE);
	FUZZ_CHECK(pos <= len);
}

#endif
