// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * A test client of the Manager's inhibitors that one bus connection drives
 * beyond what apctl does:
 *
 *   inhibit-client hold N UUID MODE WHO WHY
 *       N Inhibit calls on one connection; prints "held K" and, if call K+1
 *       failed, "error NAME: MESSAGE"; then holds them until stdin ends.
 *   inhibit-client assign N UUID DOMAIN
 *       N Assign(UUID, domain, [DOMAIN]) calls on one connection without
 *       waiting; prints "sent N"; after a line on stdin one more, and prints
 *       its answer: "extra ok" or "extra NAME: MESSAGE".
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <systemd/sd-bus.h>

#define SERVICE "org.apmatrix1", "/org/apmatrix1", "org.apmatrix1.Manager"

static int hold(sd_bus *bus, int n, char **argv)
{
	char buf[64];
	int held = 0;

	for (; held < n; held++) {
		sd_bus_error error = SD_BUS_ERROR_NULL;
		sd_bus_message *reply = NULL;
		int fd, r;

		r = sd_bus_call_method(bus, SERVICE, "Inhibit", &error, &reply, "ssss", argv[0],
				       argv[2], argv[3], argv[1]);
		if (r >= 0)
			r = sd_bus_message_read(reply, "h", &fd);
		if (r >= 0)
			r = fcntl(fd, F_DUPFD_CLOEXEC, 3) < 0 ? -errno : 0;
		sd_bus_message_unref(reply);
		if (r < 0) {
			printf("held %d\nerror %s: %s\n", held, error.name ?: "-",
			       error.message ?: strerror(-r));
			sd_bus_error_free(&error);
			held = -1;
			break;
		}
	}
	if (held >= 0)
		printf("held %d\n", held);
	fflush(stdout);
	while (read(STDIN_FILENO, buf, sizeof(buf)) > 0)
		;
	return 0;
}

static int on_extra(sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
	const sd_bus_error *e = sd_bus_message_get_error(m);

	if (e)
		printf("extra %s: %s\n", e->name, e->message);
	else
		printf("extra ok\n");
	*(int *)userdata = 1;
	return 0;
}

static int send_assign(sd_bus *bus, const char *uuid, uint32_t domain, sd_bus_message_handler_t cb,
		       void *userdata)
{
	sd_bus_message *m = NULL;
	int r;

	r = sd_bus_message_new_method_call(bus, &m, SERVICE, "Assign");
	if (r >= 0)
		r = sd_bus_message_append(m, "ss", uuid, "domain");
	if (r >= 0)
		r = sd_bus_message_append_array(m, 'u', &domain, sizeof(domain));
	if (r >= 0)
		r = sd_bus_message_append(m, "t", UINT64_C(0));
	if (r >= 0)
		r = sd_bus_call_async(bus, NULL, m, cb, userdata, 0);
	sd_bus_message_unref(m);
	return r;
}

static int assign(sd_bus *bus, int n, char **argv)
{
	uint32_t domain = (uint32_t)strtoul(argv[1], NULL, 0);
	char line[64];
	int done = 0, r;

	for (int i = 0; i < n; i++) {
		r = send_assign(bus, argv[0], domain, NULL, NULL);
		if (r < 0)
			return r;
	}
	r = sd_bus_flush(bus);
	if (r < 0)
		return r;
	printf("sent %d\n", n);
	fflush(stdout);
	if (!fgets(line, sizeof(line), stdin))
		return -EPIPE;
	r = send_assign(bus, argv[0], domain, on_extra, &done);
	while (r >= 0 && !done) {
		r = sd_bus_process(bus, NULL);
		if (r == 0)
			r = sd_bus_wait(bus, UINT64_MAX);
	}
	fflush(stdout);
	return r < 0 ? r : 0;
}

int main(int argc, char **argv)
{
	sd_bus *bus = NULL;
	int r;

	if (argc < 4 || (strcmp(argv[1], "hold") == 0 && argc != 7) ||
	    (strcmp(argv[1], "assign") == 0 && argc != 5)) {
		fprintf(stderr,
			"usage: inhibit-client hold N UUID MODE WHO WHY | assign N UUID DOMAIN\n");
		return 2;
	}
	r = sd_bus_open_system(&bus);
	if (r < 0) {
		fprintf(stderr, "inhibit-client: cannot connect: %s\n", strerror(-r));
		return 1;
	}
	if (strcmp(argv[1], "hold") == 0)
		r = hold(bus, atoi(argv[2]), argv + 3);
	else
		r = assign(bus, atoi(argv[2]), argv + 3);
	if (r < 0)
		fprintf(stderr, "inhibit-client: %s\n", strerror(-r));
	sd_bus_flush_close_unref(bus);
	return r < 0 ? 1 : 0;
}
