// SPDX-License-Identifier: GPL-2.0-or-later
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bus-client.h"
#include "inhibit.h"
#include "log.h"
#include "output.h"

int inhibit_take(sd_bus *bus, const char *uuid, const char *who, const char *why, const char *mode,
		 const char *what, int *ret_fd)
{
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
	int fd, r;

	r = manager_call(bus, "Inhibit", &reply, what, "ssss", uuid, who, why, mode);
	if (r < 0)
		return r;
	r = sd_bus_message_read(reply, "h", &fd);
	if (r < 0)
		return log_error_errno(r, "Unexpected Inhibit reply");
	/* The message owns the fd it carries: keep a copy of our own. */
	fd = fcntl(fd, F_DUPFD_CLOEXEC, 3);
	if (fd < 0)
		return log_error_errno(-errno, "Failed to keep the inhibitor's fd");
	*ret_fd = fd;
	return 0;
}

int inhibit_run(int fd, char **argv, int *ret_status)
{
	_cleanup_close_ int keep = fd;
	int status;
	pid_t pid;

	fflush(NULL);
	pid = fork();
	if (pid < 0)
		return log_error_errno(-errno, "Failed to fork for %s", argv[0]);
	if (pid == 0) {
		/* keep is O_CLOEXEC: the command does not hold the inhibitor. */
		execvp(argv[0], argv);
		log_error_errno(-errno, "Failed to execute %s", argv[0]);
		_exit(127);
	}
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return log_error_errno(-errno, "Failed to wait for %s", argv[0]);
	*ret_status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
	return 0;
}

char *inhibit_default_who(char **argv, size_t max)
{
	size_t len = 0, n = 0;
	char *s;

	for (size_t i = 0; argv[i]; i++)
		len += strlen(argv[i]) + 1;
	s = malloc(len + 1);
	if (!s)
		return NULL;
	for (size_t i = 0; argv[i]; i++) {
		if (i > 0)
			s[n++] = ' ';
		for (const char *p = argv[i]; *p; p++)
			s[n++] = (unsigned char)*p < 0x20 || *p == 0x7f ? '?' : *p;
	}
	s[n] = '\0';
	/* Cut before the character that s[max] is part of (a continuation byte: 10xxxxxx). */
	if (n > max) {
		n = max;
		while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80)
			n--;
		s[n] = '\0';
	}
	return s;
}

static void format_since(uint64_t usec, char *buf, size_t size)
{
	time_t t = (time_t)(usec / 1000000);
	struct tm tm;

	if (!usec || !localtime_r(&t, &tm) || strftime(buf, size, "%Y-%m-%d %H:%M:%S", &tm) == 0)
		snprintf(buf, size, "-");
}

int show_inhibitors(sd_bus *bus, bool json, bool quiet)
{
	static const char *const headers[] = {
		"UUID", "MODE", "WHO", "PID", "UID", "SINCE", "WHY"
	};
	_cleanup_bus_error_ sd_bus_error error = SD_BUS_ERROR_NULL;
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
	_cleanup_json_ struct json_object *o = json_object_new_object();
	struct json_object *a = json_object_new_array();
	_cleanup_(table_freep) table *t = table_new(ELEMENTSOF(headers), headers);
	const char *uuid, *who, *why, *mode;
	uint32_t uid, pid;
	uint64_t since;
	int r;

	if (!o || !a || !t) {
		json_object_put(a);
		return log_oom();
	}
	json_object_object_add(o, "inhibitors", a);
	table_align_right(t, 3);
	table_align_right(t, 4);
	r = sd_bus_call_method(bus, APMATRIX_SERVICE, APMATRIX_PATH, MANAGER_INTERFACE,
			       "ListInhibitors", &error, &reply, "");
	if (r < 0)
		return log_bus_error(&error, r, "Failed to list the inhibitors");
	r = sd_bus_message_enter_container(reply, 'a', "(ssssuut)");
	while (r >= 0 && (r = sd_bus_message_read(reply, "(ssssuut)", &uuid, &who, &why, &mode,
						  &uid, &pid, &since)) > 0) {
		struct json_object *e = json_object_new_object();
		char when[64];

		if (!e)
			return log_oom();
		json_object_object_add(e, "uuid", json_object_new_string(uuid));
		json_object_object_add(e, "who", json_object_new_string(who));
		json_object_object_add(e, "why", json_object_new_string(why));
		json_object_object_add(e, "mode", json_object_new_string(mode));
		json_object_object_add(e, "uid", json_object_new_int64(uid));
		json_object_object_add(e, "pid", json_object_new_int64(pid));
		json_object_object_add(e, "since_usec", json_object_new_int64((int64_t)since));
		json_object_array_add(a, e);
		format_since(since, when, sizeof(when));
		if (table_add(t, uuid) < 0 || table_add(t, mode) < 0 || table_add(t, who) < 0 ||
		    table_addf(t, "%" PRIu32, pid) < 0 || table_addf(t, "%" PRIu32, uid) < 0 ||
		    table_add(t, when) < 0 || table_add(t, why) < 0)
			return log_oom();
	}
	if (r >= 0)
		r = sd_bus_message_exit_container(reply);
	if (r < 0)
		return log_error_errno(r, "Unexpected ListInhibitors reply");
	if (json)
		return output_json(o, stdout);
	return table_print(t, stdout, !quiet);
}
