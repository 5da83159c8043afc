/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A minimal TAP producer for meson's "tap" protocol: every check prints
 * "ok N - what" or "not ok N - what", the plan comes last, and the exit
 * status is non-zero if anything failed.
 *
 * Named subtests: tap_subtest(test_some_rule) runs the function
 * test_some_rule() as one TAP line, "ok N - some rule" (its name without
 * "test_", underscores as spaces), ok when every check in it passed and at
 * least one ran. Its checks print as comments ("#   ok - what") then.
 */
#ifndef APM_TAP_H
#define APM_TAP_H

#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

static unsigned int tap_count, tap_failed;
/* Inside tap_subtest(): its checks and how many failed. */
static bool tap_in_subtest;
static unsigned int tap_subtest_checks, tap_subtest_failed;

__attribute__((format(printf, 2, 3), unused)) static bool tap_ok(bool cond, const char *fmt, ...)
{
	char desc[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(desc, sizeof(desc), fmt, ap);
	va_end(ap);
	if (tap_in_subtest) {
		tap_subtest_checks++;
		tap_subtest_failed += !cond;
		printf("#   %s - ", cond ? "ok" : "not ok");
	} else {
		printf("%s %u - ", cond ? "ok" : "not ok", ++tap_count);
		tap_failed += !cond;
	}
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

__attribute__((unused)) static void tap_run_subtest(const char *fn_name, void (*fn)(void))
{
	char name[256];
	unsigned int failed, checks;
	size_t i = 0;

	if (strncmp(fn_name, "test_", 5) == 0)
		fn_name += 5;
	for (; fn_name[i] && i < sizeof(name) - 1; i++)
		name[i] = fn_name[i] == '_' ? ' ' : fn_name[i];
	name[i] = '\0';
	tap_in_subtest = true;
	tap_subtest_checks = tap_subtest_failed = 0;
	fn();
	tap_in_subtest = false;
	failed = tap_subtest_failed;
	checks = tap_subtest_checks;
	if (!tap_ok(failed == 0 && checks > 0, "%s", name))
		tap_diag("%s: %u of %u checks failed", name, failed, checks);
}

#define tap_subtest(fn) tap_run_subtest(#fn, fn)
/* The same between the file's own setup() and teardown(): a fresh fixture each. */
#define tap_subtest_fixture(fn)  \
	do {                     \
		setup();         \
		tap_subtest(fn); \
		teardown();      \
	} while (0)

static inline int tap_done(void)
{
	printf("1..%u\n", tap_count);
	return tap_failed ? 1 : 0;
}

#endif
