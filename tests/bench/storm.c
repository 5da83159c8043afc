// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The storm benchmark's clients: N synchronous clients, each a thread that
 * sends its changes one after the other, over the devices given, by one of
 * four paths to the same simulated host:
 *
 *   single     one write to assign_control_domain per change, as mdevctl does
 *   ap_config  read ap_config, set the bit, write it back (per device lock)
 *   dbus       an org.apmatrix1 Assign call per change, a bus connection each
 *   apctl      an apctl process per change
 *
 *   storm [--usage] PATH CLIENTS CHANGES GUESTS_PER_ROUND assign|unassign FIRST_ID UUID...
 *
 * Change j of client c (round j) goes to device (W * j + c % W) mod G, W the
 * guests per round; each device's changes take control domains FIRST_ID,
 * FIRST_ID + 1, ... in round order, so no two changes meet on one id and
 * the unassign run with the same arguments undoes the assign run. With
 * --usage the changes are usage domains, and change k takes domain
 * FIRST_ID + k: two devices on the same adapters cannot share a usage
 * domain (its queues would be in both), and an unassign from a running
 * guest resets the queues that leave it. Prints
 * one JSON line: path, clients, changes, failed, wall_ms, request latency
 * p50/p99/max (us). SYSFS_ROOT and APCTL (the apctl binary) from the
 * environment.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <spawn.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <systemd/sd-bus.h>
#include <time.h>
#include <unistd.h>

#include "ap-mask.h"
#include "macro.h"
#include "sysfs-format.h"

#define STORM_MAX_CLIENTS 1000
#define STORM_MAX_CHANGES 100000
#define STORM_MAX_DEVICES 256

enum storm_path { PATH_SINGLE, PATH_AP_CONFIG, PATH_DBUS, PATH_APCTL };

struct change {
	unsigned int dev;
	unsigned int id;
};

struct client {
	pthread_t thread;
	struct change *changes;
	size_t n;
	uint64_t *lat_ns;
	unsigned int failed;
	char error[256];
};

static enum storm_path path;
static bool assign;
/* Usage domains (assign_domain, aqm, "domain") rather than control domains. */
static bool usage;
static char **uuids;
static unsigned int n_devs;
static const char *sysfs_root, *apctl;
static pthread_mutex_t dev_lock[STORM_MAX_DEVICES];
static pthread_barrier_t start;
extern char **environ;

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static int write_attr(const char *uuid, const char *attr, const char *value)
{
	char p[512];
	ssize_t n;
	int fd;

	snprintf(p, sizeof(p), "%s/devices/vfio_ap/matrix/%s/%s", sysfs_root, uuid, attr);
	fd = open(p, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = write(fd, value, strlen(value));
	n = n < 0 ? -errno : 0;
	close(fd);
	return (int)n;
}

static int change_single(const struct change *ch)
{
	char v[16];

	snprintf(v, sizeof(v), "%u\n", ch->id);
	if (usage)
		return write_attr(uuids[ch->dev], assign ? "assign_domain" : "unassign_domain", v);
	return write_attr(uuids[ch->dev],
			  assign ? "assign_control_domain" : "unassign_control_domain", v);
}

static int change_ap_config(const struct change *ch)
{
	char p[512], buf[AP_CONFIG_STR_MAX + 16];
	ap_mask apm, aqm, adm;
	ssize_t n;
	int fd, r;

	snprintf(p, sizeof(p), "%s/devices/vfio_ap/matrix/%s/ap_config", sysfs_root,
		 uuids[ch->dev]);
	/* Read-modify-write: the device's lock stands for the s390-tools lock. */
	pthread_mutex_lock(&dev_lock[ch->dev]);
	fd = open(p, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		r = -errno;
		goto out;
	}
	n = read(fd, buf, sizeof(buf) - 1);
	r = n < 0 ? -errno : 0;
	close(fd);
	if (r < 0)
		goto out;
	r = ap_config_parse(buf, (size_t)n, &apm, &aqm, &adm, NULL);
	if (r < 0)
		goto out;
	if (assign)
		ap_mask_set(usage ? &aqm : &adm, ch->id);
	else
		ap_mask_clear(usage ? &aqm : &adm, ch->id);
	ap_config_format(&apm, &aqm, &adm, buf);
	r = write_attr(uuids[ch->dev], "ap_config", buf);
out:
	pthread_mutex_unlock(&dev_lock[ch->dev]);
	return r;
}

static int change_dbus(sd_bus *bus, const struct change *ch, char *err, size_t err_size)
{
	_cleanup_(sd_bus_error_free) sd_bus_error e = SD_BUS_ERROR_NULL;
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
	int r;

	r = sd_bus_call_method(bus, "org.apmatrix1", "/org/apmatrix1", "org.apmatrix1.Manager",
			       assign ? "Assign" : "Unassign", &e, &reply, "ssaut", uuids[ch->dev],
			       usage ? "domain" : "control-domain", 1, ch->id, UINT64_C(0));
	if (r < 0)
		snprintf(err, err_size, "%s: %s", e.name ? e.name : "?",
			 e.message ? e.message : strerror(-r));
	return r;
}

static int change_apctl(const struct change *ch)
{
	char id[16];
	char *argv[] = { (char *)apctl,
			 assign ? "assign" : "unassign",
			 uuids[ch->dev],
			 usage ? "domain" : "control-domain",
			 id,
			 NULL };
	posix_spawn_file_actions_t fa;
	int status, r;
	pid_t pid;

	snprintf(id, sizeof(id), "%u", ch->id);
	/* Its result goes nowhere: stdout is the benchmark's JSON line. */
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
	r = posix_spawn(&pid, apctl, &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	if (r)
		return -r;
	if (waitpid(pid, &status, 0) < 0)
		return -errno;
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -EIO;
}

static void *client_main(void *arg)
{
	struct client *c = arg;
	sd_bus *bus = NULL;
	int r;

	if (path == PATH_DBUS) {
		r = sd_bus_open_system(&bus);
		if (r < 0) {
			snprintf(c->error, sizeof(c->error), "bus: %s", strerror(-r));
			c->failed = (unsigned int)c->n;
			pthread_barrier_wait(&start);
			return NULL;
		}
	}
	pthread_barrier_wait(&start);
	for (size_t i = 0; i < c->n; i++) {
		uint64_t t0 = now_ns();

		switch (path) {
		case PATH_SINGLE:
			r = change_single(&c->changes[i]);
			break;
		case PATH_AP_CONFIG:
			r = change_ap_config(&c->changes[i]);
			break;
		case PATH_DBUS:
			r = change_dbus(bus, &c->changes[i], c->error, sizeof(c->error));
			break;
		default:
			r = change_apctl(&c->changes[i]);
			break;
		}
		c->lat_ns[i] = now_ns() - t0;
		if (r < 0) {
			if (!c->error[0] || path != PATH_DBUS)
				snprintf(c->error, sizeof(c->error), "%s %s %u of %s: %s",
					 assign ? "assign" : "unassign",
					 usage ? "domain" : "control domain", c->changes[i].id,
					 uuids[c->changes[i].dev], strerror(-r));
			c->failed++;
		}
	}
	sd_bus_flush_close_unref(bus);
	return NULL;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static int parse_path(const char *s)
{
	static const char *const names[] = { "single", "ap_config", "dbus", "apctl" };

	for (size_t i = 0; i < ELEMENTSOF(names); i++)
		if (!strcmp(s, names[i]))
			return (int)i;
	return -EINVAL;
}

int main(int argc, char **argv)
{
	_cleanup_free_ struct client *cs = NULL;
	_cleanup_free_ struct change *all = NULL;
	_cleanup_free_ uint64_t *lat = NULL;
	unsigned int n_clients, n_changes, width, first_id, next_id[STORM_MAX_DEVICES] = { 0 };
	unsigned int failed = 0, per;
	const char *first_error = NULL;
	uint64_t t0, wall;
	int p;

	if (argc > 1 && !strcmp(argv[1], "--usage")) {
		usage = true;
		argv++;
		argc--;
	}
	if (argc < 8) {
		fprintf(stderr, "usage: storm [--usage] PATH CLIENTS CHANGES GUESTS_PER_ROUND "
				"assign|unassign FIRST_ID UUID...\n");
		return 2;
	}
	p = parse_path(argv[1]);
	n_clients = (unsigned int)strtoul(argv[2], NULL, 10);
	n_changes = (unsigned int)strtoul(argv[3], NULL, 10);
	width = (unsigned int)strtoul(argv[4], NULL, 10);
	assign = !strcmp(argv[5], "assign");
	first_id = (unsigned int)strtoul(argv[6], NULL, 10);
	uuids = argv + 7;
	n_devs = (unsigned int)(argc - 7);
	sysfs_root = getenv("SYSFS_ROOT") ?: "/sys";
	apctl = getenv("APCTL") ?: "apctl";
	if (p < 0 || !n_clients || n_clients > STORM_MAX_CLIENTS || !n_changes ||
	    n_changes > STORM_MAX_CHANGES || !width || n_devs > STORM_MAX_DEVICES ||
	    (!assign && strcmp(argv[5], "unassign"))) {
		fprintf(stderr,
			"storm: bad arguments (path %s, at most %d clients, %d changes, "
			"%d devices)\n",
			argv[1], STORM_MAX_CLIENTS, STORM_MAX_CHANGES, STORM_MAX_DEVICES);
		return 2;
	}
	path = (enum storm_path)p;
	width = width < n_clients ? width : n_clients;
	per = (n_changes + n_clients - 1) / n_clients;
	cs = calloc(n_clients, sizeof(*cs));
	all = calloc((size_t)n_clients * per, sizeof(*all));
	lat = calloc((size_t)n_clients * per, sizeof(*lat));
	if (!cs || !all || !lat)
		return 1;
	for (unsigned int i = 0; i < n_devs; i++)
		pthread_mutex_init(&dev_lock[i], NULL);
	/* Round-major, so ids per device follow the order the rounds come in. */
	for (unsigned int j = 0, k = 0; j < per; j++)
		for (unsigned int c = 0; c < n_clients && k < n_changes; c++, k++) {
			struct change *ch = &all[(size_t)c * per + j];

			ch->dev = (width * j + c % width) % n_devs;
			ch->id = usage ? first_id + k : first_id + next_id[ch->dev]++;
			if (ch->id > 255) {
				fprintf(stderr, "storm: device %u needs %s %u > 255\n", ch->dev,
					usage ? "domain" : "control domain", ch->id);
				return 2;
			}
			cs[c].n = j + 1;
		}
	pthread_barrier_init(&start, NULL, n_clients + 1);
	for (unsigned int c = 0; c < n_clients; c++) {
		cs[c].changes = &all[(size_t)c * per];
		cs[c].lat_ns = &lat[(size_t)c * per];
		if (pthread_create(&cs[c].thread, NULL, client_main, &cs[c])) {
			fprintf(stderr, "storm: cannot start client %u\n", c);
			return 1;
		}
	}
	pthread_barrier_wait(&start);
	t0 = now_ns();
	for (unsigned int c = 0; c < n_clients; c++)
		pthread_join(cs[c].thread, NULL);
	wall = now_ns() - t0;

	{
		size_t n = 0;

		for (unsigned int c = 0; c < n_clients; c++) {
			for (size_t i = 0; i < cs[c].n; i++)
				lat[n++] = cs[c].lat_ns[i];
			failed += cs[c].failed;
			if (cs[c].failed && !first_error)
				first_error = cs[c].error;
		}
		qsort(lat, n, sizeof(*lat), cmp_u64);
		printf("{\"path\": \"%s\", \"clients\": %u, \"changes\": %zu, \"failed\": %u, "
		       "\"wall_ms\": %.1f, \"lat_p50_us\": %.0f, \"lat_p99_us\": %.0f, "
		       "\"lat_max_us\": %.0f}\n",
		       argv[1], n_clients, n, failed, wall / 1e6, lat[n / 2] / 1e3,
		       lat[n ? (n * 99 + 99) / 100 - 1 : 0] / 1e3, lat[n ? n - 1 : 0] / 1e3);
	}
	if (first_error)
		fprintf(stderr, "storm: %u failed, first: %s\n", failed, first_error);
	return failed ? 1 : 0;
}
