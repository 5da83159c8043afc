/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * log_* helpers: one line on stderr (the journal captures it under systemd),
 * with the syslog priority prefix sd-daemon(3) understands. The _errno
 * variants print strerror and return the negative errno so that callers can
 * write "return log_error_errno(r, ...)".
 */
#ifndef APM_LOG_H
#define APM_LOG_H

#include <syslog.h>

#include "macro.h"

void log_set_max_level(int level);
int log_get_max_level(void);
/* Prefix lines with "<N>" for the journal instead of a program name. */
void log_set_prefix_priority(int on);
void log_set_program(const char *name);

int log_internal(int level, int error, const char *fmt, ...) _printf_(3, 4);

#define log_full_errno(level, error, ...) log_internal(level, error, __VA_ARGS__)
#define log_debug(...) log_internal(LOG_DEBUG, 0, __VA_ARGS__)
#define log_info(...) log_internal(LOG_INFO, 0, __VA_ARGS__)
#define log_notice(...) log_internal(LOG_NOTICE, 0, __VA_ARGS__)
#define log_warning(...) log_internal(LOG_WARNING, 0, __VA_ARGS__)
#define log_error(...) log_internal(LOG_ERR, 0, __VA_ARGS__)
#define log_debug_errno(e, ...) log_internal(LOG_DEBUG, e, __VA_ARGS__)
#define log_info_errno(e, ...) log_internal(LOG_INFO, e, __VA_ARGS__)
#define log_warning_errno(e, ...) log_internal(LOG_WARNING, e, __VA_ARGS__)
#define log_error_errno(e, ...) log_internal(LOG_ERR, e, __VA_ARGS__)
#define log_oom() log_internal(LOG_ERR, -ENOMEM, "Out of memory")

#endif
