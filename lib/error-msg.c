// SPDX-License-Identifier: GPL-2.0-or-later
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "error-msg.h"

int error_msgf(char **reterr_msg, int r, const char *fmt, ...)
{
	va_list ap;

	if (reterr_msg) {
		char *msg = NULL;

		va_start(ap, fmt);
		if (vasprintf(&msg, fmt, ap) < 0)
			msg = NULL;
		va_end(ap);
		*reterr_msg = msg;
	}
	return r;
}
