// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Load generator for the daemon benchmarks: many org.apmatrix1 calls in
 * flight at once from one sd-bus connection, which is what concurrent
 * clients look like to the daemon's batch window.
 *
 *   daemon-client burst K UUID...        K Assign control-domain calls per device, all at once
 *   daemon-client sustained SEC INFLIGHT UUID...   Assign/Unassign for SEC seconds
 *   daemon-client define N [start]       N domain-only devices (and StartDevice each)
 *   daemon-client flood N UUID           N Assign control-domain 0 calls at once (the
 *                                        per-client queue limit; prints each error name)
 */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <systemd/sd-bus.h>
#include <time.h>

#include "macro.h"

/* The system bus allows 128 pending replies per connection. */
#define MAX_IN_FLIGHT 100

static sd_bus *bus;
static unsigned long sent, answered, failed;
static char last_error[256];

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int on_reply(sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
	answered++;
	if (sd_bus_message_is_method_error(m, NULL)) {
		failed++;
		snprintf(last_error, sizeof(last_error), "%s: %s",
			 sd_bus_message_get_error(m)->name, sd_bus_message_get_error(m)->message);
	}
	return 0;
}

static int send_assign(const char *uuid, const char *method, uint32_t id)
{
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
	int r;

	r = sd_bus_message_new_method_call(bus, &m, "org.apmatrix1", "/org/apmatrix1",
					   "org.apmatrix1.Manager", method);
	if (r >= 0)
		r = sd_bus_message_append(m, "ssau", uuid, "control-domain", 1, id);
	if (r >= 0)
		r = sd_bus_message_append(m, "t", UINT64_C(0));
	if (r >= 0)
		r = sd_bus_call_async(bus, NULL, m, on_reply, NULL, 60 * 1000000ULL);
	if (r >= 0)
		sent++;
	return r;
}

static int wait_until(unsigned long target)
{
	while (answered < target) {
		int r = sd_bus_process(bus, NULL);

		if (r < 0)
			return r;
		if (r == 0 && sd_bus_wait(bus, UINT64_MAX) < 0)
			return -EIO;
	}
	return 0;
}

static int burst(int k, char **uuids, int n)
{
	double t0 = now_s(), t1;
	int r;

	if ((unsigned long)k * (unsigned long)n > MAX_IN_FLIGHT)
		fprintf(stderr, "warning: more than %d calls in flight\n", MAX_IN_FLIGHT);
	for (int j = 0; j < k; j++)
		for (int i = 0; i < n; i++) {
			r = send_assign(uuids[i], "Assign", (uint32_t)j);
			if (r < 0)
				return r;
		}
	r = wait_until(sent);
	t1 = now_s();
	printf("burst: %lu requests, %lu answered, %lu failed, %.1f ms\n", sent, answered, failed,
	       (t1 - t0) * 1e3);
	return r;
}

static int on_flood_reply(sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
	if (sd_bus_message_is_method_error(m, NULL))
		printf("error %s: %s\n", sd_bus_message_get_error(m)->name,
		       sd_bus_message_get_error(m)->message);
	else
		printf("ok\n");
	return on_reply(m, userdata, ret_error);
}

static int flood(int n, const char *uuid)
{
	for (int i = 0; i < n; i++) {
		_cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
		int r;

		r = sd_bus_message_new_method_call(bus, &m, "org.apmatrix1", "/org/apmatrix1",
						   "org.apmatrix1.Manager", "Assign");
		if (r >= 0)
			r = sd_bus_message_append(m, "ssaut", uuid, "control-domain", 1, 0,
						  UINT64_C(0));
		if (r >= 0)
			r = sd_bus_call_async(bus, NULL, m, on_flood_reply, NULL, 60 * 1000000ULL);
		if (r < 0)
			return r;
		sent++;
	}
	return wait_until(sent);
}

static int sustained(double secs, unsigned long inflight, char **uuids, int n)
{
	double t0 = now_s(), t1;
	unsigned long i = 0;
	int r;

	while (now_s() - t0 < secs) {
		while (sent - answered < inflight) {
			const char *u = uuids[i % (unsigned long)n];
			uint32_t id = (uint32_t)((i / (unsigned long)n) % 8);
			bool un = (i / ((unsigned long)n * 8)) % 2;

			r = send_assign(u, un ? "Unassign" : "Assign", id);
			if (r < 0)
				return r;
			i++;
		}
		r = sd_bus_process(bus, NULL);
		if (r < 0)
			return r;
		if (r == 0)
			(void)sd_bus_wait(bus, 100000);
	}
	r = wait_until(sent);
	t1 = now_s();
	printf("sustained: %lu requests in %.2f s = %.0f requests/s (%lu in flight, %lu failed)\n",
	       answered, t1 - t0, (double)answered / (t1 - t0), inflight, failed);
	return r;
}

static int call_n(int n, const char *method, bool with_config)
{
	for (int i = 0; i < n; i++) {
		_cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
		char uuid[37], cfg[96];
		int r;

		snprintf(uuid, sizeof(uuid), "eeeeeeee-0000-4000-8000-%012d", i);
		snprintf(cfg, sizeof(cfg), "{\"domains\":[%d],\"control_domains\":[%d]}", i % 85,
			 i % 85);
		r = sd_bus_message_new_method_call(bus, &m, "org.apmatrix1", "/org/apmatrix1",
						   "org.apmatrix1.Manager", method);
		if (r >= 0)
			r = with_config ? sd_bus_message_append(m, "sst", uuid, cfg, UINT64_C(0)) :
					  sd_bus_message_append(m, "st", uuid, UINT64_C(0));
		if (r >= 0)
			r = wait_until(sent >= MAX_IN_FLIGHT ? sent - MAX_IN_FLIGHT + 1 : 0);
		if (r >= 0)
			r = sd_bus_call_async(bus, NULL, m, on_reply, NULL, 120 * 1000000ULL);
		if (r < 0)
			return r;
		sent++;
	}
	return wait_until(sent);
}

int main(int argc, char **argv)
{
	int r;

	if (argc < 3) {
		fprintf(stderr, "usage: see the comment at the top of daemon-client.c\n");
		return 2;
	}
	r = sd_bus_open_system(&bus);
	if (r < 0) {
		fprintf(stderr, "Failed to connect to the system bus: %s\n", strerror(-r));
		return 1;
	}
	if (strcmp(argv[1], "burst") == 0)
		r = burst(atoi(argv[2]), argv + 3, argc - 3);
	else if (strcmp(argv[1], "sustained") == 0 && argc > 4)
		r = sustained(atof(argv[2]), strtoul(argv[3], NULL, 10), argv + 4, argc - 4);
	else if (strcmp(argv[1], "flood") == 0 && argc == 4)
		r = flood(atoi(argv[2]), argv[3]);
	else if (strcmp(argv[1], "define") == 0) {
		double t0 = now_s();

		r = call_n(atoi(argv[2]), "DefineDevice", true);
		if (r >= 0 && argc > 3 && strcmp(argv[3], "start") == 0)
			r = call_n(atoi(argv[2]), "StartDevice", false);
		printf("define: %lu calls, %lu failed, %.1f ms\n", answered, failed,
		       (now_s() - t0) * 1e3);
	} else {
		fprintf(stderr, "unknown mode %s\n", argv[1]);
		return 2;
	}
	if (failed)
		fprintf(stderr, "last error: %s\n", last_error);
	sd_bus_flush_close_unref(bus);
	return r < 0 || failed ? 1 : 0;
}
