// SPDX-License-Identifier: GPL-2.0-or-later
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"

static int max_level = LOG_INFO;
static int prefix_priority;
static const char *program;

void log_set_max_level(int level)
{
	max_level = level;
}

int log_get_max_level(void)
{
	return max_level;
}

void log_set_prefix_priority(int on)
{
	prefix_priority = on;
}

void log_set_program(const char *name)
{
	program = name;
}

int log_internal(int level, int error, const char *fmt, ...)
{
	int saved = errno;
	char msg[2048];
	va_list ap;

	if (error < 0)
		error = -error;

	if (level <= max_level) {
		va_start(ap, fmt);
		vsnprintf(msg, sizeof(msg), fmt, ap);
		va_end(ap);

		if (prefix_priority)
			fprintf(stderr, "<%d>", level);
		else if (program)
			fprintf(stderr, "%s: ", program);
		if (error)
			fprintf(stderr, "%s: %s\n", msg, strerror(error));
		else
			fprintf(stderr, "%s\n", msg);
	}

	errno = saved;
	return error ? -error : 0;
}
