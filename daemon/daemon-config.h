/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * apmatrixd.conf(5): the configuration file parser, apart from main() so
 * that it is fuzzed (tests/fuzz/fuzz-daemon-config.c).
 */
#ifndef APMATRIXD_DAEMON_CONFIG_H
#define APMATRIXD_DAEMON_CONFIG_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "manager.h"

#define CONFIG_LINE_MAX 4096
#define CONFIG_LINES_MAX 10000

/* Replace *p with a copy of v. */
int config_set_str(char **p, const char *v);
/* Microseconds, 0 to 10000000. */
int config_parse_usec(const char *v, uint64_t *ret);
/* Whole seconds, 0 to max, into microseconds. */
int config_parse_sec(const char *v, unsigned int max, uint64_t *ret);

/* ApConfigLockTimeoutSec= at most (an hour). */
#define CONFIG_LOCK_TIMEOUT_SEC_MAX 3600

/*
 * Read f (named name in messages) into mc, key=value lines. Strings mc
 * already has, and BatchWindowUSec when batch_window_set, are kept (the
 * command line wins). 0, or -EINVAL (logged with file and line) or -ENOMEM.
 */
int config_parse(FILE *f, const char *name, bool batch_window_set, struct manager_config *mc);

#endif
