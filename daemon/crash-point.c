// SPDX-License-Identifier: GPL-2.0-or-later
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "crash-point.h"
#include "log.h"

static const char *const known[] = { CRASH_POINTS };

static struct {
	bool parsed;
	const char *name; /* NULL: no crash point armed */
	size_t len;
	unsigned long at, seen;
} armed;

static void parse(void)
{
	const char *e = getenv("APMATRIXD_TEST_CRASH_AT"), *colon;
	size_t len;

	armed.parsed = true;
	if (!e || !*e)
		return;
	colon = strchr(e, ':');
	len = colon ? (size_t)(colon - e) : strlen(e);
	armed.at = colon ? strtoul(colon + 1, NULL, 10) : 1;
	if (armed.at == 0)
		armed.at = 1;
	for (size_t i = 0; i < ELEMENTSOF(known); i++)
		if (strlen(known[i]) == len && strncmp(known[i], e, len) == 0) {
			armed.name = known[i];
			armed.len = len;
			log_warning("Test crash point armed: SIGKILL at %s #%lu", armed.name,
				    armed.at);
			return;
		}
	log_error("APMATRIXD_TEST_CRASH_AT=%s names no crash point; ignored", e);
}

void crash_point(const char *name)
{
	if (!armed.parsed)
		parse();
	if (!armed.name || strcmp(name, armed.name) != 0)
		return;
	if (++armed.seen < armed.at)
		return;
	log_notice("Crash point %s #%lu reached: SIGKILL", name, armed.seen);
	(void)kill(getpid(), SIGKILL);
	pause();
}
