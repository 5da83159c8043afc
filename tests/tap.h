/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A minimal TAP producer for meson's "tap" protocol: every check prints
 * "ok N - what" or "not ok N - what", the plan comes last, and the exit
 * status is non-zero if anything failed.
 */
#ifndef APM_TAP_H
#define APM_TAP_H

#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

static unsigned int tap_count, tap_failed;

__attribute__((format(printf, 2, 3), unused)) static bool tap_ok(bool cond, const char *fmt, ...)
{
	char desc[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(desc, sizeof(desc), fmt, ap);
	va_end(ap);
	printf("%s %u - ", cond ? "ok" : "not ok", ++tap_count);
	/* A description is one line, and '#' would start a TAP directive. */
	for (const char *p = desc; *p; p++) {
		if (*p == '\n')
			fputs("\\n", stdout);
		else if (*p == '#')
			fputs("\\#", stdout);
		else
			putchar(*p);
	}
	putchar('\n');
	if (!cond)
		tap_failed++;
	fflush(stdout);
	return cond;
}

#define tap_diag(...)                \
	do {                         \
		printf("# ");        \
		printf(__VA_ARGS__); \
		printf("\n");        \
	} while (0)

#define tap_is_int(got, want, ...)                                                           \
	({                                                                                   \
		long long g_ = (long long)(got), w_ = (long long)(want);                     \
		bool ok_ = tap_ok(g_ == w_, __VA_ARGS__);                                    \
		if (!ok_)                                                                    \
			tap_diag("got %lld, want %lld (%s:%d)", g_, w_, __FILE__, __LINE__); \
		ok_;                                                                         \
	})

#define tap_is_str(got, want, ...)                                                      \
	({                                                                              \
		const char *g_ = (got), *w_ = (want);                                   \
		bool ok_ = tap_ok(g_ && w_ && strcmp(g_, w_) == 0, __VA_ARGS__);        \
		if (!ok_)                                                               \
			tap_diag("got \"%s\", want \"%s\" (%s:%d)", g_ ? g_ : "(null)", \
				 w_ ? w_ : "(null)", __FILE__, __LINE__);               \
		ok_;                                                                    \
	})

static inline int tap_done(void)
{
	printf("1..%u\n", tap_count);
	return tap_failed ? 1 : 0;
}

#endif
