/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Bounded stress of the vfio_ap core on the simulated host: vCPU threads
 * issuing PQAP(AQIC), writers doing random single stores, ap_config writes
 * and batches, a thread doing host configuration and apmask changes, a
 * thread taking kvm->lock then every vcpu->mutex (the KVM pattern from the
 * seed mail), and a thread detaching and re-attaching guests. Asserts: no
 * lock-order report, no deadlock (a watchdog fails the test), at every APCB
 * update no APQN in two guests and none handed over without a reset, and at
 * the end every guest's CRYCB equals its mdev's guest_matrix.
 *
 * Usage: test-core-stress [ITERATIONS [--plant-hang]]
 * ITERATIONS per writer thread (default 5000). --plant-hang makes a thread
 * take guest0's kvm->lock for good, so the run must hang and the watchdog
 * (5 s then) must fail the test: a test registered with should_fail.
 */
#include <errno.h>
#include <pthread.h>
#include <time.h>
#include <unistd.h>

#include "tap.h"
#include "core-fixture.h"
#include "vfio_ap_internal.h"

#define NR_MDEVS 6
#define NR_GUESTS 4
static int watchdog_seconds = 240;

static struct ap_matrix_mdev *mdevs[NR_MDEVS];
static struct kvm *guests[NR_GUESTS];
static pthread_mutex_t attach_lock = PTHREAD_MUTEX_INITIALIZER;
static unsigned int iterations = 5000;
static unsigned int done_threads;
static pthread_mutex_t done_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t done_cond = PTHREAD_COND_INITIALIZER;
static unsigned long stores_ok, stores_failed;

static void thread_done(void)
{
	pthread_mutex_lock(&done_lock);
	done_threads++;
	pthread_cond_broadcast(&done_cond);
	pthread_mutex_unlock(&done_lock);
}

static void quiet(int level, const char *msg)
{
}

static void count(ssize_t r)
{
	__atomic_fetch_add(r >= 0 ? &stores_ok : &stores_failed, 1, __ATOMIC_RELAXED);
}

static void *writer(void *arg)
{
	unsigned int seed = (unsigned int)(uintptr_t)arg;
	static const char *const attrs[] = { "assign_adapter",	      "unassign_adapter",
					     "assign_domain",	      "unassign_domain",
					     "assign_control_domain", "unassign_control_domain" };
	char val[1024];

	for (unsigned int i = 0; i < iterations; i++) {
		struct ap_matrix_mdev *m = mdevs[rand_r(&seed) % NR_MDEVS];
		unsigned int op = rand_r(&seed) % 10;

		if (op < 6) {
			snprintf(val, sizeof(val), "%u", 1 + rand_r(&seed) % 15);
			count(mdev_store(m, attrs[op], val));
		} else if (op < 8) {
			snprintf(val, sizeof(val), "0x%04x,0x%04x,0x%x", rand_r(&seed) & 0x7fff,
				 rand_r(&seed) & 0x0f0f, rand_r(&seed) & 0xf);
			count(mdev_store(m, "ap_config", val));
		} else {
			/* Deal adapters 1-14 out to all mdevs: valid as a whole, moves many. */
			unsigned int apm[NR_MDEVS] = { 0 }, off = 0, k;

			for (k = 1; k < 15; k++) {
				unsigned int who = rand_r(&seed) % (NR_MDEVS + 2);

				if (who < NR_MDEVS)
					apm[who] |= 0x8000u >> k;
			}
			for (k = 0; k < NR_MDEVS; k++)
				off += snprintf(val + off, sizeof(val) - off,
						"%s 0x%04x,0x%04x,0x1\n", mdevs[k]->name, apm[k],
						0xc000u >> (rand_r(&seed) % 12));
			count(batch_store(val));
		}
	}
	thread_done();
	return NULL;
}

static void *config_changer(void *arg)
{
	unsigned int seed = 77;

	for (unsigned int i = 0; i < iterations / 10; i++) {
		switch (rand_r(&seed) % 4) {
		case 0:
			ap_sim_config_adapter(1 + rand_r(&seed) % 15, rand_r(&seed) & 1);
			break;
		case 1:
			ap_sim_config_domain(rand_r(&seed) % 16, rand_r(&seed) & 1);
			break;
		case 2:
			ap_sim_apmask_store(rand_r(&seed) & 1 ? "+15" : "-15", 3, NULL);
			break;
		default:
			ap_sim_config_control_domain(rand_r(&seed) % 16, rand_r(&seed) & 1);
			break;
		}
	}
	thread_done();
	return NULL;
}

static void *kvm_locker(void *arg)
{
	unsigned int seed = 99;

	for (unsigned int i = 0; i < iterations / 2; i++) {
		struct kvm *kvm = guests[rand_r(&seed) % NR_GUESTS];

		kvm_sim_lock_all_vcpus(kvm);
		kvm_sim_unlock_all_vcpus(kvm);
	}
	thread_done();
	return NULL;
}

static void *reattacher(void *arg)
{
	unsigned int seed = 1234;

	for (unsigned int i = 0; i < iterations / 20; i++) {
		unsigned int g = rand_r(&seed) % NR_GUESTS;

		pthread_mutex_lock(&attach_lock);
		vfio_ap_sim_detach(mdevs[g]);
		if (vfio_ap_sim_attach(mdevs[g], guests[g]))
			tap_diag("re-attach of guest %u failed", g);
		pthread_mutex_unlock(&attach_lock);
	}
	thread_done();
	return NULL;
}

/* A holder that never lets go: the planted hang the watchdog must catch. */
static void *hang_holder(void *arg)
{
	struct kvm *kvm = arg;

	mutex_lock(&kvm->lock);
	for (;;)
		pause();
	return NULL;
}

int main(int argc, char **argv)
{
	struct kvm_sim_vcpu_cfg cfg = { .nr_vcpus = 2, .pqap_per_mille = 300, .run_slices = 4 };
	void *(*fns[])(void *) = { writer, writer, config_changer, kvm_locker, reattacher };
	pthread_t threads[ARRAY_SIZE(fns)];
	struct timespec deadline;
	u64 pqaps = 0, updates = 0;
	bool hung = false;
	unsigned int i;

	if (argc > 1)
		iterations = (unsigned int)strtoul(argv[1], NULL, 10);
	if (argc > 2 && !strcmp(argv[2], "--plant-hang"))
		watchdog_seconds = 5;
	lockdep_sim_set_fatal(false);
	sim_printk_set_hook(quiet);
	fixture_up(16, 16, 63);
	for (i = 0; i < NR_MDEVS; i++) {
		char uuid[40];

		snprintf(uuid, sizeof(uuid), "00000000-0000-0000-0000-%012x", i + 1);
		mdevs[i] = mdev_new(uuid);
	}
	for (i = 0; i < NR_GUESTS; i++) {
		char name[16];

		snprintf(name, sizeof(name), "guest%u", i);
		guests[i] = kvm_sim_create(name, 2);
		vfio_ap_sim_attach(mdevs[i], guests[i]);
		cfg.seed = i + 1;
		kvm_sim_start_vcpus(guests[i], &cfg);
	}

	if (watchdog_seconds == 5) {
		pthread_t t;

		pthread_create(&t, NULL, hang_holder, guests[0]);
	}
	for (i = 0; i < ARRAY_SIZE(fns); i++)
		pthread_create(&threads[i], NULL, fns[i], (void *)(uintptr_t)(i + 1));

	clock_gettime(CLOCK_REALTIME, &deadline);
	deadline.tv_sec += watchdog_seconds;
	pthread_mutex_lock(&done_lock);
	while (done_threads < ARRAY_SIZE(fns) && !hung)
		hung = pthread_cond_timedwait(&done_cond, &done_lock, &deadline) == ETIMEDOUT;
	pthread_mutex_unlock(&done_lock);
	if (hung) {
		tap_ok(false, "watchdog: threads did not finish within %d s (deadlock)",
		       watchdog_seconds);
		tap_done();
		abort();
	}
	tap_ok(true, "all %zu threads finished before the watchdog", ARRAY_SIZE(fns));
	for (i = 0; i < ARRAY_SIZE(fns); i++)
		pthread_join(threads[i], NULL);

	for (i = 0; i < NR_GUESTS; i++) {
		struct kvm_sim_stats st;

		kvm_sim_stop_vcpus(guests[i]);
		kvm_sim_get_stats(guests[i], &st);
		pqaps += st.pqap_calls;
		updates += st.apcb_updates;
	}
	tap_diag("%lu stores ok, %lu refused, %llu APCB updates, %llu PQAP calls", stores_ok,
		 stores_failed, (unsigned long long)updates, (unsigned long long)pqaps);
	tap_ok(stores_ok > iterations / 4, "a good share of the stores succeeded");
	tap_ok(pqaps > 0, "vCPUs issued PQAP(AQIC) during the run");
	tap_is_int(lockdep_sim_violations(), 0, "no lock-order report");
	tap_is_int(kvm_sim_invariant_violations(), 0, "no APQN in two guests at any update");
	tap_is_int(kvm_sim_unreset_handovers(), 0, "no APQN handed over without a reset");

	for (i = 0; i < NR_GUESTS; i++) {
		struct ap_matrix *s = &mdevs[i]->shadow_apcb;
		DECLARE_BITMAP(apm, AP_DEVICES);
		DECLARE_BITMAP(aqm, AP_DOMAINS);
		DECLARE_BITMAP(adm, AP_DOMAINS);

		kvm_sim_get_masks(guests[i], apm, aqm, adm);
		mutex_lock(&vfio_ap_core.mdevs_lock);
		tap_ok(!memcmp(apm, s->apm, sizeof(apm)) && !memcmp(aqm, s->aqm, sizeof(aqm)) &&
			       !memcmp(adm, s->adm, sizeof(adm)),
		       "guest%u's CRYCB equals its guest_matrix", i);
		mutex_unlock(&vfio_ap_core.mdevs_lock);
	}

	mutex_lock(&vfio_ap_core.mdevs_lock);
	for (i = 0; i < NR_MDEVS; i++) {
		struct ap_matrix full;

		vfio_ap_filter(mdevs[i], &full);
		tap_ok(vfio_ap_matrix_equal(&full, &mdevs[i]->shadow_apcb),
		       "mdev %u's guest_matrix equals a full filter of its matrix", i);
	}
	mutex_unlock(&vfio_ap_core.mdevs_lock);

	for (i = 0; i < NR_MDEVS; i++)
		vfio_ap_sim_mdev_destroy(mdevs[i]);
	for (i = 0; i < NR_GUESTS; i++)
		kvm_sim_destroy(guests[i]);
	fixture_down();
	return tap_done();
}
