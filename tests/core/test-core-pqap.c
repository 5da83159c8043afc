/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * PQAP(AQIC) around open and close of the vfio device (findings H1, M4):
 * (1) a PQAP the hook gets for a kvm no mdev is attached to (yet, or any
 *     more) is answered with response code 01, as upstream, never with
 *     -EOPNOTSUPP (QEMU would inject an operation exception);
 * (2) the hook is installed and removed together with mdev->kvm, so an
 *     open racing a close never leaves an attached mdev without hook;
 * (3) vCPUs issuing PQAP through attach/detach cycles never see a refusal;
 * (4) handover: B's open retries while A's close runs; once B is attached
 *     the hook must be there (a hook removed after unset_kvm, or installed
 *     only if absent before set_kvm, leaves B without one).
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>

#include "tap.h"
#include "core-fixture.h"

#define UA "00000000-0000-0000-0000-0000000000b1"
#define UB "00000000-0000-0000-0000-0000000000b2"
#define ROUNDS 3000

static struct ap_matrix_mdev *ma, *mb;
static struct kvm *gk;
static unsigned int hookless; /* attached states seen without hook */
static bool stop;

static bool hooked(struct kvm *kvm)
{
	bool on;

	down_read(&kvm->arch.crypto.pqap_hook_rwsem);
	on = kvm->arch.crypto.pqap_hook != NULL;
	up_read(&kvm->arch.crypto.pqap_hook_rwsem);
	return on;
}

static bool opening;

static void *opener(void *arg)
{
	struct ap_matrix_mdev *m = arg;

	__atomic_store_n(&opening, true, __ATOMIC_RELEASE);
	while (vfio_ap_sim_attach(m, gk) == -EPERM)
		sched_yield();
	return NULL;
}

/* A is attached; B opens (retrying on EPERM) while A closes. */
static unsigned int handovers_without_hook(unsigned int rounds)
{
	unsigned int i, bad = 0;
	pthread_t t;

	for (i = 0; i < rounds; i++) {
		if (vfio_ap_sim_attach(ma, gk))
			abort();
		__atomic_store_n(&opening, false, __ATOMIC_RELAXED);
		pthread_create(&t, NULL, opener, mb);
		/* B is already being refused when A's close begins. */
		while (!__atomic_load_n(&opening, __ATOMIC_ACQUIRE))
			;
		vfio_ap_sim_detach(ma);
		pthread_join(t, NULL);
		if (mb->kvm != gk || !hooked(gk))
			bad++;
		vfio_ap_sim_detach(mb);
	}
	return bad;
}

static void *toggler(void *arg)
{
	struct ap_matrix_mdev *m = arg;
	unsigned int i;

	for (i = 0; i < ROUNDS; i++) {
		if (vfio_ap_sim_attach(m, gk) == 0)
			vfio_ap_sim_detach(m);
	}
	return NULL;
}

/* Snapshot under kvm->lock: an mdev attached to gk, and the hook. */
static void *checker(void *arg)
{
	unsigned int n = 0;

	while (!__atomic_load_n(&stop, __ATOMIC_RELAXED)) {
		bool attached, hooked;

		mutex_lock(&gk->lock);
		mutex_lock(&vfio_ap_core.mdevs_lock);
		attached = ma->kvm == gk || mb->kvm == gk;
		mutex_unlock(&vfio_ap_core.mdevs_lock);
		down_read(&gk->arch.crypto.pqap_hook_rwsem);
		hooked = gk->arch.crypto.pqap_hook != NULL;
		up_read(&gk->arch.crypto.pqap_hook_rwsem);
		mutex_unlock(&gk->lock);
		if (attached && !hooked)
			n++;
	}
	hookless = n;
	return arg;
}

int main(void)
{
	struct kvm_sim_vcpu_cfg cfg = { .nr_vcpus = 2, .pqap_per_mille = 500, .run_slices = 4 };
	struct ap_queue_status status;
	struct kvm_sim_stats st;
	pthread_t ta, tb, tc;
	u8 rc = 0xff;

	fixture_up(4, 4, 63);
	ma = mdev_new(UA);
	mb = mdev_new(UB);
	gk = kvm_sim_create("K", 2);
	mdev_store(ma, "ap_config", "0x4,0x4,0x0");

	tap_is_int(vfio_ap_core_pqap_aqic(kvm_sim_vcpu(gk, 0), AP_MKQID(1, 1), true, 3, 0x1000,
					  &status),
		   0, "PQAP for a kvm without mdev: handled (not -EOPNOTSUPP)");
	tap_is_int(status.response_code, AP_RESPONSE_Q_NOT_AVAIL,
		   "  response code 01, as upstream");

	tap_is_int(vfio_ap_sim_attach(ma, gk), 0, "attach A");
	tap_is_int(kvm_sim_vcpu_pqap(gk, 0, AP_MKQID(1, 1), true, 3, 0x1000, &rc), 0,
		   "PQAP AQIC on 01.0001 from the guest");
	tap_is_int(rc, AP_RESPONSE_NORMAL, "  normal");
	vfio_ap_sim_detach(ma);
	tap_is_int(kvm_sim_vcpu_pqap(gk, 0, AP_MKQID(1, 1), true, 3, 0x1000, &rc), 0,
		   "PQAP after close: handled");
	tap_is_int(rc, AP_RESPONSE_Q_NOT_AVAIL, "  response code 01");

	tap_is_int(kvm_sim_start_vcpus(gk, &cfg), 0, "2 vCPUs issue PQAP all the time");
	pthread_create(&tc, NULL, checker, NULL);
	pthread_create(&ta, NULL, toggler, ma);
	pthread_create(&tb, NULL, toggler, mb);
	pthread_join(ta, NULL);
	pthread_join(tb, NULL);
	__atomic_store_n(&stop, true, __ATOMIC_RELAXED);
	pthread_join(tc, NULL);
	kvm_sim_stop_vcpus(gk);
	kvm_sim_get_stats(gk, &st);
	tap_is_int(hookless, 0, "open racing close (%u rounds each): no attached mdev without hook",
		   ROUNDS);
	tap_ok(st.pqap_calls > 0, "  %llu PQAPs handled", (unsigned long long)st.pqap_calls);
	tap_is_int(st.pqap_unhandled, 0, "  none refused by the hook (-EOPNOTSUPP)");
	tap_is_int(handovers_without_hook(2000), 0,
		   "B opens while A closes (2000 rounds): B attached, hook installed");
	tap_ok(!hooked(gk), "  and no hook once both are closed");
	tap_is_int(lockdep_sim_violations(), 0, "no lock-order violation");

	vfio_ap_sim_mdev_destroy(ma);
	vfio_ap_sim_mdev_destroy(mb);
	kvm_sim_destroy(gk);
	fixture_down();
	return tap_done();
}
