// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * apsim under concurrent load through its file system: writer threads doing
 * random per-id stores, ap_config and ap_config_batch moves, apmask
 * toggles, hot plug and adapter configuration changes, while three guests'
 * vCPU threads run and issue PQAP. Afterwards stats.json must show no
 * lock-order report, no APQN in two guests at any APCB update, and work
 * done. A watchdog (alarm) fails the test on a deadlock. Bounded by
 * iteration counts, not time. Root, inside unshare -m -n; APSIM names apsim.
 */
#include <pthread.h>
#include <stdint.h>

#include <json-c/json.h>

#include "sim/apsim-run.h"
#include "tap.h"

#define WRITERS 4
#define ITERATIONS 600

static struct apsim_run sim;
static const char *uuids[3] = {
	"a0000000-0000-4000-8000-000000000001",
	"a0000000-0000-4000-8000-000000000002",
	"a0000000-0000-4000-8000-000000000003",
};
static unsigned int unexpected;

static int put(const char *rel, const char *s)
{
	return apsim_put(&sim, rel, s);
}

static char *get(const char *rel)
{
	static __thread char buf[1 << 16];

	return apsim_get(&sim, rel, buf, sizeof(buf));
}

/* The errnos the contract allows for these writes; anything else is a bug. */
static void check(int r)
{
	if (r == 0 || r == -EADDRINUSE || r == -EADDRNOTAVAIL || r == -EBUSY || r == -ENODEV ||
	    r == -EEXIST || r == -EINVAL)
		return;
	__atomic_fetch_add(&unexpected, 1, __ATOMIC_RELAXED);
}

static void *writer(void *arg)
{
	unsigned int seed = (unsigned int)(uintptr_t)arg * 7919u + 1;
	char rel[256], val[512];

	for (int i = 0; i < ITERATIONS; i++) {
		const char *u = uuids[rand_r(&seed) % 3];
		unsigned int op = rand_r(&seed) % 100, id = rand_r(&seed) % 16;

		if (op < 60) {
			static const char *const attrs[] = { "assign_domain", "unassign_domain",
							     "assign_adapter", "unassign_adapter",
							     "assign_control_domain" };
			const char *a = attrs[rand_r(&seed) % 5];

			if (strstr(a, "adapter"))
				id = 2 + rand_r(&seed) % 2;
			snprintf(rel, sizeof(rel), "devices/vfio_ap/matrix/%s/%s", u, a);
			snprintf(val, sizeof(val), "%u\n", id);
			check(put(rel, val));
		} else if (op < 75) {
			snprintf(rel, sizeof(rel), "devices/vfio_ap/matrix/%s/ap_config", u);
			snprintf(val, sizeof(val), "0x%x,0x%04x,0x%04x\n",
				 rand_r(&seed) % 2 ? 2 : 3, rand_r(&seed) & 0xffff,
				 rand_r(&seed) & 0xff);
			check(put(rel, val));
		} else if (op < 85) {
			/* Swap two mdevs' matrices in one batch: the batch validates as a whole. */
			unsigned int a = rand_r(&seed) % 3, b = (a + 1) % 3, d = rand_r(&seed) % 8;

			snprintf(val, sizeof(val), "%s 0x2,0x%04x,0x0\n%s 0x2,0x%04x,0x0\n",
				 uuids[a], 0x8000 >> d, uuids[b], 0x8000 >> ((d + 1) % 8));
			check(put("devices/vfio_ap/matrix/ap_config_batch", val));
		} else if (op < 90) {
			check(put("bus/ap/apmask", rand_r(&seed) % 2 ? "+3" : "-3"));
		} else if (op < 95) {
			snprintf(val, sizeof(val), "adapter 3 config %s",
				 rand_r(&seed) % 2 ? "on" : "off");
			check(put("sim/ctl", val));
		} else {
			snprintf(val, sizeof(val), "domain %u %s", 8 + id % 8,
				 rand_r(&seed) % 2 ? "add" : "remove");
			check(put("sim/ctl", val));
		}
		if (i % 50 == 0) {
			snprintf(rel, sizeof(rel), "devices/vfio_ap/matrix/%s/guest_matrix", u);
			if (!get(rel))
				__atomic_fetch_add(&unexpected, 1, __ATOMIC_RELAXED);
		}
	}
	return NULL;
}

static void watchdog(int sig)
{
	static const char msg[] = "Bail out! watchdog: apsim deadlocked or hung\n";

	(void)sig;
	if (write(STDOUT_FILENO, msg, sizeof(msg) - 1) < 0)
		_exit(2);
	_exit(1);
}

int main(void)
{
	const char *apsim = getenv("APSIM");
	char val[256];
	struct json_object *stats, *guests, *o;
	pthread_t t[WRITERS];
	unsigned long long updates = 0, pqap = 0;

	signal(SIGALRM, watchdog);
	alarm(120);
	if (!tap_ok(apsim_run_start(&sim, apsim, NULL) == 0, "apsim started"))
		return tap_done();

	for (int i = 0; i < 3; i++) {
		snprintf(val, sizeof(val), "devices/vfio_ap/matrix/%s/ap_config", uuids[i]);
		tap_is_int(put("devices/vfio_ap/matrix/mdev_supported_types/vfio_ap-passthrough/"
			       "create",
			       uuids[i]),
			   0, "create mdev %d", i);
		tap_is_int(put(val, i == 0 ? "0x2,0x8,0x8" :
				    i == 1 ? "0x2,0x4,0x4" :
					     "0x1,0x2,0x2"),
			   0, "initial matrix %d", i);
		snprintf(val, sizeof(val), "guest start g%d %s vcpus=2", i, uuids[i]);
		tap_is_int(put("sim/ctl", val), 0, "guest g%d started", i);
	}

	for (unsigned int i = 0; i < WRITERS; i++)
		pthread_create(&t[i], NULL, writer, (void *)(uintptr_t)i);
	for (unsigned int i = 0; i < WRITERS; i++)
		pthread_join(t[i], NULL);
	tap_is_int(unexpected, 0, "%d writes, only contract errnos", WRITERS * ITERATIONS);

	stats = json_tokener_parse(get("sim/stats.json"));
	if (!tap_ok(stats != NULL, "stats.json parses"))
		return tap_done();
	json_object_object_get_ex(stats, "lock_order_reports", &o);
	tap_is_int(json_object_get_int64(o), 0, "no lock-order report");
	json_object_object_get_ex(stats, "invariant_violations", &o);
	tap_is_int(json_object_get_int64(o), 0, "no APQN in two guests at any APCB update");
	json_object_object_get_ex(stats, "guests", &guests);
	json_object_object_foreach(guests, name, g)
	{
		(void)name;
		json_object_object_get_ex(g, "apcb_updates", &o);
		updates += (unsigned long long)json_object_get_int64(o);
		json_object_object_get_ex(g, "pqap_calls", &o);
		pqap += (unsigned long long)json_object_get_int64(o);
	}
	tap_ok(json_object_object_length(guests) == 3, "three guests in stats");
	tap_ok(updates > 3, "guests saw APCB updates (%llu)", updates);
	tap_diag("APCB updates %llu, PQAP calls %llu", updates, pqap);
	json_object_put(stats);

	for (int i = 0; i < 3; i++) {
		snprintf(val, sizeof(val), "guest stop g%d", i);
		tap_is_int(put("sim/ctl", val), 0, "guest g%d stopped", i);
	}
	tap_is_int(apsim_run_stop(&sim), 0, "apsim exited and had unmounted itself");
	return tap_done();
}
