/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Queue resets as upstream does them, without stalling guests:
 * (1) a ZAPQ answered BUSY or RESET_IN_PROGRESS was not executed and is
 *     issued again until it is, so the queue really is zeroized;
 * (2) the resets of all queues leaving a guest run in parallel, with
 *     neither kvm->lock nor mdevs_lock held while they are waited for
 *     (the lock checker aborts on a sleep under either);
 * (3) a reset that does not end is bounded and makes the queue unusable;
 *     DECONFIGURED and CHECKSTOPPED count as done (upstream's rule), so
 *     does a TAPQ that finds the queue gone; STATE_CHANGE_IN_PROGRESS to
 *     ZAPQ is re-issued like BUSY.
 */
#include <errno.h>
#include <time.h>

#include "tap.h"
#include "core-fixture.h"

#define UA "00000000-0000-0000-0000-0000000000a1"

static struct ap_matrix_mdev *ma;
static struct kvm *ga;

static u64 now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (u64)ts.tv_sec * 1000 + (u64)ts.tv_nsec / 1000000;
}

static u64 hold_ns(void)
{
	struct kvm_sim_stats st;

	kvm_sim_get_stats(ga, &st);
	return st.kvm_lock_hold_ns;
}

static void test_zapq_refused(void)
{
	unsigned int r = resets_of(1, 1), refused = ap_sim_queue_zapq_refused(AP_MKQID(1, 1));

	tap_is_int(ap_sim_queue_set_zapq_busy(AP_MKQID(1, 1), AP_RESPONSE_BUSY, 60), 0,
		   "ZAPQ on 01.0001 answers BUSY for 60 ms");
	tap_is_int(mdev_store(ma, "unassign_domain", "1"), 1, "unassign domain 1");
	tap_ok(ap_sim_queue_zapq_refused(AP_MKQID(1, 1)) > refused, "  ZAPQ was refused (BUSY)");
	tap_is_int(resets_of(1, 1) - r, 1, "  and issued again until it was executed");

	r = resets_of(1, 2);
	refused = ap_sim_queue_zapq_refused(AP_MKQID(1, 2));
	tap_is_int(ap_sim_queue_set_zapq_busy(AP_MKQID(1, 2), AP_RESPONSE_RESET_IN_PROGRESS, 60), 0,
		   "a reset vfio_ap did not issue runs on 01.0002 for 60 ms");
	tap_is_int(mdev_store(ma, "unassign_domain", "2"), 1, "unassign domain 2");
	tap_ok(ap_sim_queue_zapq_refused(AP_MKQID(1, 2)) > refused,
	       "  ZAPQ was refused (RESET_IN_PROGRESS)");
	tap_is_int(resets_of(1, 2) - r, 1, "  and issued again once that reset ended");
	tap_is_int(mdev_store(ma, "assign_domain", "1"), 1, "assign domain 1 again");
	tap_is_int(mdev_store(ma, "assign_domain", "2"), 1, "assign domain 2 again");
	tap_is_str(mdev_show(ma, "guest_matrix"),
		   "01.0001\n01.0002\n01.0003\n01.0004\n02.0001\n02.0002\n02.0003\n02.0004\n",
		   "  both queues usable again");
}

static void test_parallel(void)
{
	u64 t0, ms, held;
	unsigned int i;

	/* Each of the 4 leaving queues answers RESET_IN_PROGRESS to 5 TAPQs. */
	for (i = 0; i < 4; i++)
		ap_sim_queue_set_reset_fault(AP_MKQID(1 + i / 2, 3 + i % 2), 0, 5);
	held = hold_ns();
	t0 = now_ms();
	tap_is_int(mdev_store(ma, "ap_config", "0x6,0x6,0x0"), 11,
		   "ap_config drops domains 3-4: 4 queues leave, each reset takes 5 polls");
	ms = now_ms() - t0;
	held = hold_ns() - held;
	tap_ok(ms < 300, "  the resets ran in parallel: %llu ms (serial: >= 400 ms)",
	       (unsigned long long)ms);
	tap_ok(held < 20000000ull, "  kvm->lock held %llu us in all, less than one poll step",
	       (unsigned long long)(held / 1000));
	tap_diag("store with 4 x 5-poll resets: %llu ms, kvm->lock held %llu us",
		 (unsigned long long)ms, (unsigned long long)(held / 1000));
	for (i = 0; i < 4; i++) {
		tap_is_int(resets_of(1 + i / 2, 3 + i % 2) > 0, 1, "  queue %02x.%04x reset",
			   1 + i / 2, 3 + i % 2);
		ap_sim_queue_set_reset_fault(AP_MKQID(1 + i / 2, 3 + i % 2), 0, 0);
	}
	tap_is_int(lockdep_sim_violations(), 0, "  no sleep under kvm->lock or mdevs_lock");
}

static void test_bounded(void)
{
	u64 t0 = now_ms(), ms;

	ap_sim_queue_set_zapq_busy(AP_MKQID(1, 1), AP_RESPONSE_BUSY, 5000);
	tap_is_int(vfio_ap_core_reset_queues(ma), -EIO,
		   "VFIO_DEVICE_RESET with 01.0001 busy for 5 s: EIO");
	ms = now_ms() - t0;
	tap_ok(ms >= 900 && ms < 2500, "  gave up after the bound (%llu ms)",
	       (unsigned long long)ms);
	tap_is_int(mdev_store(ma, "assign_domain", "5"), 1, "assign domain 5 (refilters)");
	tap_is_str(mdev_show(ma, "guest_matrix"), "02.0001\n02.0002\n02.0005\n",
		   "  adapter 1 is filtered: its queue was not zeroized");
	tap_is_int(mdev_store(ma, "unassign_domain", "5"), 1, "unassign domain 5");
	ap_sim_queue_set_zapq_busy(AP_MKQID(1, 1), AP_RESPONSE_BUSY, 0);
	tap_is_int(vfio_ap_core_reset_queues(ma), 0, "  a reset that ends clears it");
	tap_is_int(mdev_store(ma, "assign_domain", "2"), 1, "assign domain 2 (a no-op)");
}

static void test_passable(void)
{
	tap_is_int(ap_sim_card_set_chkstop(2, true), 0, "check-stop card 2");
	tap_is_int(mdev_store(ma, "unassign_domain", "2"), 1,
		   "unassign domain 2 (02.0002: chkstop)");
	tap_is_int(mdev_store(ma, "assign_domain", "2"), 1, "assign domain 2 again");
	tap_is_str(mdev_show(ma, "guest_matrix"), "01.0001\n01.0002\n02.0001\n02.0002\n",
		   "  CHECKSTOPPED counts as a finished reset (as upstream): adapter 2 stays");
	ap_sim_card_set_chkstop(2, false);
}

/* Response codes upstream handles that the reset loop missed (issue 13, item 2). */
static void test_response_codes(void)
{
	unsigned int r = resets_of(2, 2), refused = ap_sim_queue_zapq_refused(AP_MKQID(2, 2));

	tap_is_int(ap_sim_queue_set_zapq_busy(AP_MKQID(2, 2), AP_RESPONSE_STATE_CHANGE_IN_PROGRESS,
					      60),
		   0, "ZAPQ on 02.0002 answers STATE_CHANGE_IN_PROGRESS for 60 ms");
	tap_is_int(mdev_store(ma, "unassign_domain", "2"), 1, "unassign domain 2");
	tap_ok(ap_sim_queue_zapq_refused(AP_MKQID(2, 2)) > refused,
	       "  ZAPQ was refused (STATE_CHANGE_IN_PROGRESS)");
	tap_is_int(resets_of(2, 2) - r, 1,
		   "  and issued again until it was executed (as upstream)");
	tap_is_int(mdev_store(ma, "assign_domain", "2"), 1, "assign domain 2 again");
	tap_is_str(mdev_show(ma, "guest_matrix"), "01.0001\n01.0002\n02.0001\n02.0002\n",
		   "  the queue is usable: adapter 2 stays");

	ap_sim_queue_set_reset_fault(AP_MKQID(2, 2), AP_RESPONSE_Q_NOT_AVAIL, 0);
	tap_is_int(
		vfio_ap_core_reset_queues(ma), 0,
		"TAPQ after ZAPQ answers Q_NOT_AVAIL: nothing left to zeroize, the reset is done");
	ap_sim_queue_set_reset_fault(AP_MKQID(2, 2), 0, 0);
	tap_is_int(vfio_ap_core_reset_queues(ma), 0, "  a normal reset after it");
}

int main(void)
{
	fixture_up(8, 8, 63);
	ma = mdev_new(UA);
	ga = kvm_sim_create("A", 2);
	tap_is_int(mdev_store(ma, "ap_config", "0x6,0x78,0x0"), 12, "A: 01-02 x 01-04");
	tap_is_int(vfio_ap_sim_attach(ma, ga), 0, "attach A");
	test_zapq_refused();
	test_parallel();
	test_bounded();
	test_passable();
	test_response_codes();
	tap_is_int(kvm_sim_unreset_handovers(), 0, "no APQN handed over without a reset");
	vfio_ap_sim_detach(ma);
	vfio_ap_sim_mdev_destroy(ma);
	kvm_sim_destroy(ga);
	fixture_down();
	return tap_done();
}
