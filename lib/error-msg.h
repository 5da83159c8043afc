/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Validation errors that travel to a user: a negative errno for the code
 * and, when the caller asked for it, a malloc'ed message that names the
 * field and the problem.
 */
#ifndef APM_ERROR_MSG_H
#define APM_ERROR_MSG_H

#include "macro.h"

/* Sets *reterr_msg (if given) to the formatted message; returns r. */
int error_msgf(char **reterr_msg, int r, const char *fmt, ...) _printf_(3, 4);

#endif
