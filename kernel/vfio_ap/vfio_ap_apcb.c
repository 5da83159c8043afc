// SPDX-License-Identifier: GPL-2.0
/*
 * vfio_ap core: the APCB update protocol (see LOCKING).
 *
 * One APCB update is one kvm_arch_crypto_set_masks() under kvm->lock: it
 * stalls every vCPU of the guest. A change is therefore computed to its
 * final shadow first and plugged with one update; queues that left the
 * guest are reset (zeroized) after the update, so the guest can no longer
 * reach them, and before anyone else can get them (they are assigned to
 * another guest only by a later update that this one precedes).
 */
#include <linux/bitmap.h>
#include <linux/delay.h>
#include <linux/kvm_host.h>
#include "vfio_ap_internal.h"

#define VFIO_AP_RESET_POLLS 50
#define VFIO_AP_RESET_POLL_MS 20

/*
 * Take the locks for changing @matrix_mdev: guests_lock makes
 * matrix_mdev->kvm stable, so its kvm->lock can be taken before
 * mdevs_lock. Returns the locked kvm or NULL.
 */
struct kvm *vfio_ap_lock_for_mdev(struct ap_matrix_mdev *matrix_mdev)
{
	struct kvm *kvm;

	mutex_lock(&vfio_ap_core.guests_lock);
	kvm = matrix_mdev->kvm;
	if (kvm)
		mutex_lock(&kvm->lock);
	mutex_lock(&vfio_ap_core.mdevs_lock);
	return kvm;
}

void vfio_ap_unlock_for_mdev(struct kvm *kvm)
{
	mutex_unlock(&vfio_ap_core.mdevs_lock);
	if (kvm)
		mutex_unlock(&kvm->lock);
	mutex_unlock(&vfio_ap_core.guests_lock);
}

/* @matrix_mdev: the mdev whose guest enabled the interrupt (or NULL). */
void vfio_ap_irq_disable(struct ap_matrix_mdev *matrix_mdev, struct vfio_ap_queue *q)
{
	lockdep_assert_held(&vfio_ap_core.mdevs_lock);
	if ((q->irq_enabled || q->glue) && vfio_ap_core.ops && vfio_ap_core.ops->irq_disable)
		vfio_ap_core.ops->irq_disable(matrix_mdev, q);
	q->irq_enabled = false;
}

/* Reset @q, which @matrix_mdev's guest had (or NULL: no guest had it). */
void vfio_ap_reset_queue(struct ap_matrix_mdev *matrix_mdev, struct vfio_ap_queue *q)
{
	struct ap_queue_status status;
	unsigned int polls;

	lockdep_assert_held(&vfio_ap_core.mdevs_lock);
	vfio_ap_irq_disable(matrix_mdev, q);

	status = ap_zapq(q->apqn, 0);
	if (status.response_code != AP_RESPONSE_NORMAL &&
	    status.response_code != AP_RESPONSE_RESET_IN_PROGRESS &&
	    status.response_code != AP_RESPONSE_BUSY) {
		q->reset_status = status;
		return;
	}
	for (polls = 0; polls < VFIO_AP_RESET_POLLS; polls++) {
		status = ap_tapq(q->apqn, NULL);
		if (status.response_code == AP_RESPONSE_NORMAL && status.queue_empty) {
			q->reset_status = status;
			return;
		}
		if (status.response_code != AP_RESPONSE_NORMAL &&
		    status.response_code != AP_RESPONSE_RESET_IN_PROGRESS &&
		    status.response_code != AP_RESPONSE_BUSY) {
			q->reset_status = status;
			return;
		}
		msleep(VFIO_AP_RESET_POLL_MS);
	}
	q->reset_status = status;
	q->reset_status.response_code = AP_RESPONSE_BUSY;
	pr_warn("vfio_ap: reset of queue %02x.%04x timed out\n", AP_QID_CARD(q->apqn),
		AP_QID_QUEUE(q->apqn));
}

static void reset_rect(struct ap_matrix_mdev *matrix_mdev, const unsigned long *apm,
		       const unsigned long *aqm)
{
	unsigned long apid, apqi;
	struct vfio_ap_queue *q;

	for_each_set_bit_inv(apid, apm, AP_DEVICES) {
		for_each_set_bit_inv(apqi, aqm, AP_DOMAINS) {
			q = vfio_ap_find_queue(AP_MKQID(apid, apqi));
			if (q)
				vfio_ap_reset_queue(matrix_mdev, q);
		}
	}
}

/*
 * Reset every existing queue of old that is not in new: removed adapters x
 * old domains, plus kept adapters x removed domains. O(APQNs that left).
 */
static void reset_leavers(struct ap_matrix_mdev *matrix_mdev, const struct ap_matrix *old,
			  const struct ap_matrix *new)
{
	DECLARE_BITMAP(apm, AP_DEVICES);
	DECLARE_BITMAP(aqm, AP_DOMAINS);

	if (bitmap_andnot(apm, old->apm, new->apm, AP_DEVICES))
		reset_rect(matrix_mdev, apm, old->aqm);
	if (bitmap_and(apm, old->apm, new->apm, AP_DEVICES) &&
	    bitmap_andnot(aqm, old->aqm, new->aqm, AP_DOMAINS))
		reset_rect(matrix_mdev, apm, aqm);
}

void vfio_ap_reset_shadow_queues(struct ap_matrix_mdev *matrix_mdev)
{
	struct ap_matrix none;

	vfio_ap_matrix_init(&none);
	reset_leavers(matrix_mdev, &matrix_mdev->shadow_apcb, &none);
}

/*
 * Make @target the mdev's shadow. With a guest: exactly one APCB update
 * (none if nothing changed), then reset the queues that left the guest.
 * Caller holds (guests_lock,) kvm->lock of matrix_mdev->kvm and mdevs_lock.
 */
void vfio_ap_commit_shadow(struct ap_matrix_mdev *matrix_mdev, const struct ap_matrix *target)
{
	struct ap_matrix old;

	lockdep_assert_held(&vfio_ap_core.mdevs_lock);
	if (vfio_ap_matrix_equal(&matrix_mdev->shadow_apcb, target))
		return;
	old = matrix_mdev->shadow_apcb;
	matrix_mdev->shadow_apcb = *target;
	if (!matrix_mdev->kvm)
		return;
	lockdep_assert_held(&matrix_mdev->kvm->lock);
	kvm_arch_crypto_set_masks(matrix_mdev->kvm, matrix_mdev->shadow_apcb.apm,
				  matrix_mdev->shadow_apcb.aqm, matrix_mdev->shadow_apcb.adm);
	matrix_mdev->apcb_updates++;
	if (vfio_ap_core.ops && vfio_ap_core.ops->cfg_changed)
		vfio_ap_core.ops->cfg_changed(matrix_mdev);
	reset_leavers(matrix_mdev, &old, target);
}

/* Filter and commit: the one update a single store costs. */
void vfio_ap_update_guest(struct ap_matrix_mdev *matrix_mdev)
{
	struct ap_matrix target;

	vfio_ap_filter(matrix_mdev, &target);
	vfio_ap_commit_shadow(matrix_mdev, &target);
}

/*
 * The same for a change that touched at most adapter @apid (or -1: only the
 * domain masks): see vfio_ap_refilter().
 */
void vfio_ap_update_guest_adapter(struct ap_matrix_mdev *matrix_mdev, long apid)
{
	DECLARE_BITMAP(recheck, AP_DEVICES);
	struct ap_matrix target;

	bitmap_zero(recheck, AP_DEVICES);
	if (apid >= 0)
		set_bit_inv(apid, recheck);
	if (vfio_ap_core.upstream_cost)
		vfio_ap_filter(matrix_mdev, &target); /* upstream filters the whole matrix */
	else
		vfio_ap_refilter(matrix_mdev, recheck, &target);
	vfio_ap_commit_shadow(matrix_mdev, &target);
}
