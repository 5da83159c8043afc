/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * apctl's side of the Manager's inhibitors: taking one (Inhibit, the fd that
 * holds it), running a command while holding it (apctl inhibit), and listing
 * them (apctl inhibitors, table or the JSON of apctl(8)).
 */
#ifndef APCTL_INHIBIT_H
#define APCTL_INHIBIT_H

#include <stdbool.h>

#include <systemd/sd-bus.h>

/*
 * Inhibit(uuid, who, why, mode): the inhibitor's fd (O_CLOEXEC) in *ret_fd;
 * while it is open no request changes the device. A failure is logged as
 * "what: the daemon's message" and returned as a negative errno.
 */
int inhibit_take(sd_bus *bus, const char *uuid, const char *who, const char *why, const char *mode,
		 const char *what, int *ret_fd);

/*
 * Run argv (argv[0] looked up in PATH) with the inhibitor fd open in this
 * process only (the command does not inherit it) and wait for it: its exit
 * status in *ret_status (128 + N when signal N killed it, 127 when it could
 * not be executed). The fd is closed on return.
 */
int inhibit_run(int fd, char **argv, int *ret_status);

/* "WORD WORD ..." of argv, at most max bytes of whole UTF-8 characters, controls as '?'. */
char *inhibit_default_who(char **argv, size_t max);

/* ListInhibitors() as a table (UUID MODE WHO PID UID SINCE WHY) or JSON. */
int show_inhibitors(sd_bus *bus, bool json, bool quiet);

#endif
