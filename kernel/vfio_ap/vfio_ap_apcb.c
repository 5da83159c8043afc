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
#include <linux/timekeeping.h>
#include "vfio_ap_internal.h"
#include "vfio_ap_trace.h"

/*
 * A reset is waited for in steps of VFIO_AP_RESET_POLL_MS, at most
 * VFIO_AP_RESET_POLLS of them (1 s) for all queues in flight together.
 */
#define VFIO_AP_RESET_POLLS 50
#define VFIO_AP_RESET_POLL_MS 20

/*
 * kvm->lock and mdevs_lock as every path that may update an APCB takes
 * them (guests_lock held): the hold times around the updates go to the
 * apcb_update_locks tracepoint when kvm->lock is released.
 */
void vfio_ap_lock_kvm(struct kvm *kvm)
{
	struct vfio_ap_lock_hold *hold = &vfio_ap_core.hold;

	lockdep_assert_held(&vfio_ap_core.guests_lock);
	mutex_lock(&kvm->lock);
	hold->kvm_locked = ktime_get_ns();
	hold->mdevs_ns = 0;
	hold->updates = 0;
}

void vfio_ap_unlock_kvm(struct kvm *kvm)
{
	struct vfio_ap_lock_hold *hold = &vfio_ap_core.hold;

	if (hold->updates && hold->mdev)
		trace_apcb_update_locks(hold->mdev, kvm, hold->updates,
					ktime_get_ns() - hold->kvm_locked, hold->mdevs_ns);
	hold->kvm_locked = 0;
	hold->updates = 0;
	mutex_unlock(&kvm->lock);
}

void vfio_ap_lock_mdevs(void)
{
	struct vfio_ap_lock_hold *hold = &vfio_ap_core.hold;

	lockdep_assert_held(&vfio_ap_core.guests_lock);
	mutex_lock(&vfio_ap_core.mdevs_lock);
	hold->mdevs_locked = ktime_get_ns();
	hold->mdevs_updates = hold->updates;
}

void vfio_ap_unlock_mdevs(void)
{
	struct vfio_ap_lock_hold *hold = &vfio_ap_core.hold;

	if (hold->updates != hold->mdevs_updates)
		hold->mdevs_ns += ktime_get_ns() - hold->mdevs_locked;
	hold->mdevs_locked = 0;
	mutex_unlock(&vfio_ap_core.mdevs_lock);
}

/*
 * One APCB update of @matrix_mdev's guest: plug its shadow APCB, or clear
 * the guest's masks (@clear: the guest is detached). Called with
 * guests_lock, kvm->lock of matrix_mdev->kvm and mdevs_lock held; with
 * @drop_mdevs, mdevs_lock is released around the update itself and taken
 * again before the config-change signal (see vfio_ap_commit_shadow()).
 */
void vfio_ap_plug_apcb(struct ap_matrix_mdev *matrix_mdev, bool clear, bool drop_mdevs)
{
	struct ap_matrix *apcb = clear ? NULL : &matrix_mdev->shadow_apcb;
	struct vfio_ap_lock_hold *hold = &vfio_ap_core.hold;
	struct kvm *kvm = matrix_mdev->kvm;
	u64 start;

	lockdep_assert_held(&vfio_ap_core.guests_lock);
	lockdep_assert_held(&kvm->lock);
	lockdep_assert_held(&vfio_ap_core.mdevs_lock);
	matrix_mdev->apcb_updates++;
	trace_apcb_update_begin(matrix_mdev, kvm, apcb, 0);
	start = ktime_get_ns();
	if (drop_mdevs) {
		/* The hold is counted in two parts: up to here, and from the relock. */
		if (hold->mdevs_locked)
			hold->mdevs_ns += start - hold->mdevs_locked;
		mutex_unlock(&vfio_ap_core.mdevs_lock);
	}
	if (apcb)
		kvm_arch_crypto_set_masks(kvm, apcb->apm, apcb->aqm, apcb->adm);
	else
		kvm_arch_crypto_clear_masks(kvm);
	trace_apcb_update_end(matrix_mdev, kvm, apcb, ktime_get_ns() - start);
	if (drop_mdevs) {
		mutex_lock(&vfio_ap_core.mdevs_lock);
		if (hold->mdevs_locked)
			hold->mdevs_locked = ktime_get_ns();
	}
	/* Count it for apcb_update_locks if both locks were timed. */
	if (hold->kvm_locked && hold->mdevs_locked) {
		hold->mdev = matrix_mdev;
		hold->updates++;
	}
	if (!apcb)
		return;
	if (matrix_mdev->batch.quiet) {
		matrix_mdev->batch.signal_owed = true;
		return;
	}
	vfio_ap_signal_cfg_changed(matrix_mdev);
}

/* The config-change eventfd: QEMU makes the guest rescan its AP bus. */
void vfio_ap_signal_cfg_changed(struct ap_matrix_mdev *matrix_mdev)
{
	lockdep_assert_held(&vfio_ap_core.mdevs_lock);
	matrix_mdev->batch.signal_owed = false;
	if (vfio_ap_core.ops && vfio_ap_core.ops->cfg_changed)
		vfio_ap_core.ops->cfg_changed(matrix_mdev);
}

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
		vfio_ap_lock_kvm(kvm);
	vfio_ap_lock_mdevs();
	return kvm;
}

/* Release what vfio_ap_lock_for_mdev() took; resets end before guests_lock. */
void vfio_ap_unlock_for_mdev(struct kvm *kvm)
{
	vfio_ap_unlock_mdevs();
	if (kvm)
		vfio_ap_unlock_kvm(kvm);
	vfio_ap_guests_unlock();
}

/* Wait for the resets started under guests_lock, then release it. */
void vfio_ap_guests_unlock(void)
{
	vfio_ap_wait_resets();
	mutex_unlock(&vfio_ap_core.guests_lock);
}

/*
 * A queue is passable to a guest unless its last reset failed. Normal end,
 * DECONFIGURED and CHECKSTOPPED count as done, as upstream: the machine
 * refuses every instruction to such a queue, so nothing can leak.
 */
bool vfio_ap_queue_passable(const struct vfio_ap_queue *q)
{
	switch (q->reset_status.response_code) {
	case AP_RESPONSE_NORMAL:
	case AP_RESPONSE_DECONFIGURED:
	case AP_RESPONSE_CHECKSTOPPED:
		return true;
	default:
		return false;
	}
}

/* @matrix_mdev: the mdev whose guest had @q (or NULL). */
void vfio_ap_irq_disable(struct ap_matrix_mdev *matrix_mdev, struct vfio_ap_queue *q)
{
	lockdep_assert_held(&vfio_ap_core.mdevs_lock);
	/* The NIB was pinned through the device of the guest that enabled it. */
	if (q->irq_mdev)
		matrix_mdev = q->irq_mdev;
	if ((q->irq_enabled || q->glue) && vfio_ap_core.ops && vfio_ap_core.ops->irq_disable)
		vfio_ap_core.ops->irq_disable(matrix_mdev, q);
	q->irq_enabled = false;
	q->irq_mdev = NULL;
}

static void reset_failed(struct vfio_ap_queue *q, const char *what)
{
	/* The queue's adapter is no longer passable: refilter it in full. */
	set_bit_inv(AP_QID_CARD(q->apqn), vfio_ap_core.failed_apm);
	pr_warn_ratelimited("vfio_ap: reset of queue %02x.%04x: %s, response code %u\n",
			    AP_QID_CARD(q->apqn), AP_QID_QUEUE(q->apqn), what,
			    q->reset_status.response_code);
}

/* Issue ZAPQ; true while the reset is in flight (check it later). */
static bool reset_issue(struct vfio_ap_queue *q)
{
	struct ap_queue_status status = ap_zapq(q->apqn, 0);

	q->reset_status = status;
	switch (status.response_code) {
	case AP_RESPONSE_NORMAL:
		q->reset_reissue = false;
		return true;
	case AP_RESPONSE_RESET_IN_PROGRESS:
	case AP_RESPONSE_BUSY:
	case AP_RESPONSE_STATE_CHANGE_IN_PROGRESS:
		/* Not executed: a zeroize is guaranteed only by our own ZAPQ. */
		q->reset_reissue = true;
		return true;
	case AP_RESPONSE_DECONFIGURED:
	case AP_RESPONSE_CHECKSTOPPED:
		return false;
	case AP_RESPONSE_Q_NOT_AVAIL:
		/* The queue is gone: nothing to reset, the filter drops it. */
		q->reset_status.response_code = AP_RESPONSE_NORMAL;
		return false;
	default:
		reset_failed(q, "ZAPQ refused");
		return false;
	}
}

/* One TAPQ (or a ZAPQ re-issue) for a reset in flight; true when it ended. */
static bool reset_check(struct vfio_ap_queue *q)
{
	struct ap_queue_status status;

	if (q->reset_reissue) {
		if (reset_issue(q))
			return false; /* executed now, or refused again */
		q->reset_reissue = false;
		return true;
	}
	status = ap_tapq(q->apqn, NULL);
	switch (status.response_code) {
	case AP_RESPONSE_NORMAL:
		if (!status.queue_empty)
			return false;
		q->reset_status = status;
		return true;
	case AP_RESPONSE_RESET_IN_PROGRESS:
	case AP_RESPONSE_BUSY:
		return false;
	case AP_RESPONSE_DECONFIGURED:
	case AP_RESPONSE_CHECKSTOPPED:
		q->reset_status = status;
		return true;
	case AP_RESPONSE_ASSOC_SECRET_NOT_UNIQUE:
	case AP_RESPONSE_ASSOC_FAILED:
		/* Every instruction fails like this until the queue is reset again. */
		q->reset_reissue = true;
		return false;
	case AP_RESPONSE_Q_NOT_AVAIL:
		/* Gone meanwhile: nothing left to zeroize (upstream's -ENODEV). */
		q->reset_status.response_code = AP_RESPONSE_NORMAL;
		return true;
	default:
		q->reset_status = status;
		reset_failed(q, "TAPQ after ZAPQ");
		return true;
	}
}

/*
 * Start resetting @q, which @matrix_mdev's guest had (or NULL: no guest
 * had it): interrupts off, ZAPQ. The reset ends in vfio_ap_wait_resets(),
 * which the caller reaches through vfio_ap_guests_unlock() once kvm->lock
 * and mdevs_lock are released; guests_lock keeps @q alive until then.
 */
void vfio_ap_reset_queue(struct ap_matrix_mdev *matrix_mdev, struct vfio_ap_queue *q)
{
	lockdep_assert_held(&vfio_ap_core.guests_lock);
	lockdep_assert_held(&vfio_ap_core.mdevs_lock);
	vfio_ap_irq_disable(matrix_mdev, q);
	if (!list_empty(&q->reset_node))
		list_del_init(&q->reset_node);
	if (reset_issue(q))
		list_add_tail(&q->reset_node, &vfio_ap_core.resets);
}

/*
 * Wait for every reset in flight, all queues in parallel: sleep without
 * kvm->lock and mdevs_lock (a vCPU's PQAP and other guests' updates go on),
 * then poll each queue under mdevs_lock, re-issuing ZAPQ where it was
 * refused. A reset that has not ended after VFIO_AP_RESET_POLLS steps
 * fails: the queue is not passable until it is reset successfully.
 */
void vfio_ap_wait_resets(void)
{
	struct vfio_ap_queue *q, *tmp;
	unsigned int polls;

	lockdep_assert_held(&vfio_ap_core.guests_lock);
	for (polls = 0; !list_empty(&vfio_ap_core.resets) && polls < VFIO_AP_RESET_POLLS; polls++) {
		/* Most resets end at once: look before the first sleep. */
		if (polls)
			msleep(VFIO_AP_RESET_POLL_MS);
		mutex_lock(&vfio_ap_core.mdevs_lock);
		list_for_each_entry_safe(q, tmp, &vfio_ap_core.resets, reset_node)
			if (reset_check(q))
				list_del_init(&q->reset_node);
		mutex_unlock(&vfio_ap_core.mdevs_lock);
	}
	if (list_empty(&vfio_ap_core.resets))
		return;
	mutex_lock(&vfio_ap_core.mdevs_lock);
	list_for_each_entry_safe(q, tmp, &vfio_ap_core.resets, reset_node) {
		list_del_init(&q->reset_node);
		q->reset_status.response_code = AP_RESPONSE_BUSY;
		reset_failed(q, "timed out");
	}
	mutex_unlock(&vfio_ap_core.mdevs_lock);
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
 *
 * mdevs_lock is dropped around the update itself: it waits until every vCPU
 * of the guest is out of SIE, and the PQAP intercepts of all guests wait on
 * mdevs_lock. Every writer of a shadow or matrix of an attached guest holds
 * guests_lock and the guest's kvm->lock, which stay held, so nothing the
 * caller computed can change meanwhile; what may run is PQAP and
 * dma_unmap, which only touch interrupt state, and reset_leavers() reads
 * that afresh once mdevs_lock is back.
 */
void vfio_ap_commit_shadow(struct ap_matrix_mdev *matrix_mdev, const struct ap_matrix *target)
{
	struct ap_matrix old;
	struct kvm *kvm = matrix_mdev->kvm;

	vfio_ap_assert_mdev_writable(matrix_mdev);
	if (vfio_ap_matrix_equal(&matrix_mdev->shadow_apcb, target))
		return;
	old = matrix_mdev->shadow_apcb;
	matrix_mdev->shadow_apcb = *target;
	if (!kvm)
		return;
	vfio_ap_plug_apcb(matrix_mdev, false, true);
	reset_leavers(matrix_mdev, &old, target);
}

/* Filter and commit: the one update a single store costs. */
void vfio_ap_update_guest(struct ap_matrix_mdev *matrix_mdev)
{
	struct ap_matrix target;

	vfio_ap_filter(matrix_mdev, &target);
	vfio_ap_commit_shadow(matrix_mdev, &target);
}

/* The shadow after a change that touched at most adapter @apid (-1: none). */
static void target_for_adapter(struct ap_matrix_mdev *matrix_mdev, long apid,
			       struct ap_matrix *ret_target)
{
	DECLARE_BITMAP(recheck, AP_DEVICES);

	bitmap_zero(recheck, AP_DEVICES);
	if (apid >= 0)
		set_bit_inv(apid, recheck);
	if (vfio_ap_bench_full_filter())
		vfio_ap_filter(matrix_mdev, ret_target);
	else
		vfio_ap_refilter(matrix_mdev, recheck, ret_target);
}

/*
 * The same for a change that touched at most adapter @apid (or -1: only the
 * domain masks): see vfio_ap_refilter().
 */
void vfio_ap_update_guest_adapter(struct ap_matrix_mdev *matrix_mdev, long apid)
{
	struct ap_matrix target;

	target_for_adapter(matrix_mdev, apid, &target);
	vfio_ap_commit_shadow(matrix_mdev, &target);
}

/*
 * For the AP bus callbacks, which hold guests_lock and mdevs_lock
 * (vfio_ap_lock_mdevs()) but not kvm->lock: filter (in full with
 * @apid < -1, else as vfio_ap_update_guest_adapter()) and take the guest's
 * kvm->lock only if the shadow changes. A scan or a probe that changes
 * nothing for a guest then does not stall the guest's own kvm->lock users
 * (KVM ioctls, its other mdev paths). mdevs_lock is released for
 * kvm->lock (which comes first) and taken again; the target stays right
 * meanwhile because every input of the filter (matrices, the host
 * configuration, the queues and their reset state) is written only under
 * guests_lock, which stays held. mdevs_lock is held again on return.
 */
void vfio_ap_refresh_guest(struct ap_matrix_mdev *matrix_mdev, long apid)
{
	struct kvm *kvm = matrix_mdev->kvm;
	struct ap_matrix target;

	lockdep_assert_held(&vfio_ap_core.guests_lock);
	lockdep_assert_held(&vfio_ap_core.mdevs_lock);
	if (apid < -1)
		vfio_ap_filter(matrix_mdev, &target);
	else
		target_for_adapter(matrix_mdev, apid, &target);
	if (vfio_ap_matrix_equal(&matrix_mdev->shadow_apcb, &target))
		return;
	if (!kvm) {
		vfio_ap_commit_shadow(matrix_mdev, &target);
		return;
	}
	vfio_ap_unlock_mdevs();
	vfio_ap_lock_kvm(kvm);
	vfio_ap_lock_mdevs();
	vfio_ap_commit_shadow(matrix_mdev, &target);
	vfio_ap_unlock_mdevs();
	vfio_ap_unlock_kvm(kvm);
	vfio_ap_lock_mdevs();
}
