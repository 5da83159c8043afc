/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * ap_config_batch commits every matrix before the giving guests let go of
 * their queues (finding H2). Between the two, a queue can be in the
 * taker's matrix while still plugged into the giver's guest with the
 * giver's interrupt. This test builds that state and checks that nothing
 * acts on the matrix alone:
 * (1) the taker's VFIO_DEVICE_RESET does not ZAPQ a queue still in the
 *     giver's guest (it also waits for the batch: guests_lock);
 * (2) the giver's dma_unmap disables the interrupt it pinned, wherever the
 *     queue's matrix bit is;
 * (3) an interrupt is always given back through the device that pinned it;
 * and a real batch (M2): the taker's guest is filtered after the giver's
 * resets, so a queue whose reset failed is not passed on.
 */
#include <errno.h>

#include "tap.h"
#include "core-fixture.h"

#define UA "00000000-0000-0000-0000-0000000000c1"
#define UB "00000000-0000-0000-0000-0000000000c2"

static struct ap_matrix_mdev *ma, *mb;
static struct kvm *ga, *gb;

static bool irq_on(unsigned int apid, unsigned int apqi)
{
	struct ap_sim_queue_state st;

	ap_sim_queue_state(AP_MKQID(apid, apqi), &st);
	return st.irq_enabled;
}

/* The batch window: adapter 1 moved from A's matrix to B's, A's guest keeps it. */
static void open_window(void)
{
	mutex_lock(&vfio_ap_core.guests_lock);
	mutex_lock(&vfio_ap_core.mdevs_lock);
	clear_bit_inv(1, ma->matrix.apm);
	set_bit_inv(1, mb->matrix.apm);
	mutex_unlock(&vfio_ap_core.mdevs_lock);
	mutex_unlock(&vfio_ap_core.guests_lock);
}

static void test_window(void)
{
	unsigned int r;
	u8 rc;

	tap_is_int(kvm_sim_vcpu_pqap(ga, 0, AP_MKQID(1, 1), true, 3, 0x3000, &rc), 0,
		   "A's guest enables interrupts on 01.0001 (NIB 0x3000)");
	tap_is_int(kvm_sim_vcpu_pqap(ga, 0, AP_MKQID(1, 2), true, 3, 0x5000, &rc), 0,
		   "and on 01.0002 (NIB 0x5000)");
	open_window();
	r = resets_of(1, 1);
	tap_is_int(vfio_ap_core_reset_queues(mb), 0, "B's VFIO_DEVICE_RESET in the window");
	tap_is_int(resets_of(1, 1) - r, 0, "  01.0001 (still in A's guest) was not reset");
	tap_ok(irq_on(1, 1), "  and A's interrupt on it is untouched");

	vfio_ap_core_dma_unmap(ma, 0x3000, 0x1000);
	tap_ok(!irq_on(1, 1), "A's dma_unmap of the NIB page disables 01.0001's interrupt");
	tap_ok(vfio_ap_sim_last_irq_disable() == ma, "  through A's device");
	tap_ok(irq_on(1, 2), "  01.0002's (NIB elsewhere) stays");

	tap_is_int(ap_sim_card_uninstall(1), 0, "card 1 goes away in the window");
	tap_ok(vfio_ap_sim_last_irq_disable() == ma,
	       "  01.0002's interrupt is given back through A's device, not B's");
}

static void test_failed_reset_not_passed(void)
{
	char line[256];

	tap_is_int(mdev_store(mb, "ap_config", "0x10,0x60,0x0"), 13, "B: 03 x 01-02");
	tap_is_int(mdev_store(ma, "ap_config", "0x20,0x60,0x0"), 13, "A: 02 x 01-02");
	ap_sim_queue_set_reset_fault(AP_MKQID(2, 1), 0x06, 0);
	snprintf(line, sizeof(line), "%s 0x0,0x0,0x0\n%s 0x30,0x60,0x0\n", UA, UB);
	tap_is_int(batch_store(line), strlen(line), "batch: adapter 2 moves from A to B");
	tap_is_str(mdev_show(mb, "matrix"), "02.0001\n02.0002\n03.0001\n03.0002\n",
		   "  B's matrix has it");
	tap_is_str(mdev_show(mb, "guest_matrix"), "03.0001\n03.0002\n",
		   "  B's guest does not: 02.0001's reset failed in A's update");
	ap_sim_queue_set_reset_fault(AP_MKQID(2, 1), 0, 0);
}

int main(void)
{
	fixture_up(8, 8, 63);
	ma = mdev_new(UA);
	mb = mdev_new(UB);
	ga = kvm_sim_create("A", 1);
	gb = kvm_sim_create("B", 1);
	tap_is_int(mdev_store(ma, "ap_config", "0x40,0x60,0x0"), 13, "A: 01 x 01-02");
	tap_is_int(mdev_store(mb, "ap_config", "0x20,0x60,0x0"), 13, "B: 02 x 01-02");
	tap_is_int(vfio_ap_sim_attach(ma, ga), 0, "attach A");
	tap_is_int(vfio_ap_sim_attach(mb, gb), 0, "attach B");
	test_window();
	test_failed_reset_not_passed();
	tap_is_int(kvm_sim_invariant_violations(), 0, "no APQN in two guests");
	tap_is_int(lockdep_sim_violations(), 0, "no lock-order violation");
	vfio_ap_sim_detach(ma);
	vfio_ap_sim_detach(mb);
	vfio_ap_sim_mdev_destroy(ma);
	vfio_ap_sim_mdev_destroy(mb);
	kvm_sim_destroy(ga);
	kvm_sim_destroy(gb);
	fixture_down();
	return tap_done();
}
