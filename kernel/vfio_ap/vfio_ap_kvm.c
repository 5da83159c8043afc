// SPDX-License-Identifier: GPL-2.0
/*
 * vfio_ap core: attaching an mdev to a guest and PQAP(AQIC).
 *
 * PQAP(AQIC) is intercepted on a vCPU thread that holds vcpu->mutex, and
 * KVM takes kvm->lock outside vcpu->mutex; so this path takes mdevs_lock
 * only, and every path holding kvm->lock takes it before mdevs_lock.
 */
#include <linux/bitmap.h>
#include <linux/errno.h>
#include <linux/kernel.h>
#include <linux/kvm_host.h>
#include "vfio_ap_internal.h"

static void set_pqap_hook(struct kvm *kvm, bool on)
{
	lockdep_assert_held(&kvm->lock);
	if (vfio_ap_core.ops && vfio_ap_core.ops->set_pqap_hook)
		vfio_ap_core.ops->set_pqap_hook(kvm, on);
}

int vfio_ap_core_set_kvm(struct ap_matrix_mdev *matrix_mdev, struct kvm *kvm)
{
	struct ap_matrix_mdev *m;

	mutex_lock(&vfio_ap_core.guests_lock);
	vfio_ap_assert_mdevs_readable();
	list_for_each_entry(m, &vfio_ap_core.mdev_list, node) {
		if (m->kvm == kvm || (m == matrix_mdev && m->kvm)) {
			mutex_unlock(&vfio_ap_core.guests_lock);
			return -EPERM;
		}
	}
	kvm_get_kvm(kvm);
	vfio_ap_lock_kvm(kvm);
	/*
	 * Hook and kvm come together under kvm->lock (the hook's rwsem nests
	 * inside it and outside mdevs_lock): a PQAP sees either no hook (KVM
	 * answers 01) or the hook, which answers 01 until mdev->kvm is set.
	 */
	set_pqap_hook(kvm, true);
	vfio_ap_lock_mdevs();
	matrix_mdev->kvm = kvm;
	vfio_ap_filter(matrix_mdev, &matrix_mdev->shadow_apcb);
	vfio_ap_plug_apcb(matrix_mdev, false, false);
	vfio_ap_unlock_mdevs();
	vfio_ap_unlock_kvm(kvm);
	mutex_unlock(&vfio_ap_core.guests_lock);
	return 0;
}

void vfio_ap_core_unset_kvm(struct ap_matrix_mdev *matrix_mdev)
{
	struct kvm *kvm;

	mutex_lock(&vfio_ap_core.guests_lock);
	kvm = matrix_mdev->kvm;
	if (!kvm) {
		mutex_unlock(&vfio_ap_core.guests_lock);
		return;
	}
	vfio_ap_lock_kvm(kvm);
	set_pqap_hook(kvm, false);
	vfio_ap_lock_mdevs();
	vfio_ap_plug_apcb(matrix_mdev, true, false);
	vfio_ap_reset_shadow_queues(matrix_mdev);
	matrix_mdev->kvm = NULL;
	vfio_ap_unlock_mdevs();
	vfio_ap_unlock_kvm(kvm);
	/* The guest is gone: its queues finish resetting without its lock. */
	vfio_ap_guests_unlock();
	kvm_put_kvm(kvm);
}

int vfio_ap_core_pqap_aqic(struct kvm_vcpu *vcpu, unsigned int apqn, bool enable, u8 isc, u64 nib,
			   struct ap_queue_status *ret_status)
{
	struct kvm *kvm = vcpu->kvm;
	/* Upstream's answer for a queue or a guest vfio_ap does not serve. */
	struct ap_queue_status status = { .response_code = AP_RESPONSE_Q_NOT_AVAIL };
	struct ap_matrix_mdev *m, *found = NULL;
	struct vfio_ap_queue *q;

	mutex_lock(&vfio_ap_core.mdevs_lock);
	vfio_ap_assert_mdevs_readable();
	list_for_each_entry(m, &vfio_ap_core.mdev_list, node) {
		if (m->kvm == kvm) {
			found = m;
			break;
		}
	}
	q = found ? vfio_ap_find_queue(apqn) : NULL;
	if (q &&
	    vfio_ap_matrix_has_apqn(&found->shadow_apcb, AP_QID_CARD(apqn), AP_QID_QUEUE(apqn))) {
		const struct vfio_ap_core_ops *ops = vfio_ap_core.ops;

		if (enable && ops && ops->irq_enable) {
			status = ops->irq_enable(found, q, vcpu, isc, nib);
			if (status.response_code == AP_RESPONSE_NORMAL) {
				q->irq_enabled = true;
				q->irq_mdev = found;
				q->isc = isc;
				q->nib = nib;
			}
		} else if (!enable && ops && ops->irq_disable) {
			status = ops->irq_disable(found, q);
			if (status.response_code == AP_RESPONSE_NORMAL) {
				q->irq_enabled = false;
				q->irq_mdev = NULL;
			}
		} else {
			status.response_code = AP_RESPONSE_NORMAL;
		}
	}
	*ret_status = status;
	mutex_unlock(&vfio_ap_core.mdevs_lock);
	return 0;
}

/* Is @apqn plugged into the guest of an mdev other than @self? */
static bool in_other_guest(const struct ap_matrix_mdev *self, unsigned long apid,
			   unsigned long apqi)
{
	const struct ap_matrix_mdev *m;

	vfio_ap_assert_mdevs_readable();
	list_for_each_entry(m, &vfio_ap_core.mdev_list, node)
		if (m != self && vfio_ap_matrix_has_apqn(&m->shadow_apcb, apid, apqi))
			return true;
	return false;
}

/*
 * guests_lock orders this after any ap_config_batch (which commits the
 * matrices before the givers' guests let go of their queues), and a queue
 * still plugged into another guest is never reset from here. The resets
 * run in parallel with neither kvm->lock nor mdevs_lock held.
 */
int vfio_ap_core_reset_queues(struct ap_matrix_mdev *matrix_mdev)
{
	struct ap_matrix *matrix = &matrix_mdev->matrix;
	unsigned long apid, apqi;
	struct vfio_ap_queue *q;
	int ret = 0;

	mutex_lock(&vfio_ap_core.guests_lock);
	mutex_lock(&vfio_ap_core.mdevs_lock);
	for_each_set_bit_inv(apid, matrix->apm, AP_DEVICES) {
		for_each_set_bit_inv(apqi, matrix->aqm, AP_DOMAINS) {
			q = vfio_ap_find_queue(AP_MKQID(apid, apqi));
			if (q && !in_other_guest(matrix_mdev, apid, apqi))
				vfio_ap_reset_queue(matrix_mdev, q);
		}
	}
	mutex_unlock(&vfio_ap_core.mdevs_lock);
	vfio_ap_wait_resets();
	mutex_lock(&vfio_ap_core.mdevs_lock);
	for_each_set_bit_inv(apid, matrix->apm, AP_DEVICES) {
		for_each_set_bit_inv(apqi, matrix->aqm, AP_DOMAINS) {
			q = vfio_ap_find_queue(AP_MKQID(apid, apqi));
			if (q && !vfio_ap_queue_passable(q))
				ret = -EIO;
		}
	}
	mutex_unlock(&vfio_ap_core.mdevs_lock);
	mutex_unlock(&vfio_ap_core.guests_lock);
	return ret;
}

/*
 * Every interrupt this mdev's guest enabled, wherever the queue is now: in
 * an ap_config_batch the matrix may already have moved on while the guest
 * still has the queue, and the pin must go before ->dma_unmap returns.
 */
void vfio_ap_core_dma_unmap(struct ap_matrix_mdev *matrix_mdev, u64 iova, u64 length)
{
	struct vfio_ap_queue *q;
	unsigned int bkt;

	mutex_lock(&vfio_ap_core.mdevs_lock);
	hash_for_each(vfio_ap_core.queues, bkt, q, node) {
		if (q->irq_mdev != matrix_mdev || !q->irq_enabled || q->nib < iova ||
		    q->nib - iova >= length)
			continue;
		vfio_ap_irq_disable(matrix_mdev, q);
	}
	mutex_unlock(&vfio_ap_core.mdevs_lock);
}
