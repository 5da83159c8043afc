// SPDX-License-Identifier: GPL-2.0
/*
 * vfio_ap core: the logic behind the AP bus driver callbacks.
 *
 * Host configuration changes: the bus calls on_config_changed, then
 * removes and adds queue devices (remove/probe), then on_scan_complete.
 * Removal cannot be plugged earlier than the machine already enforces it
 * (an adapter or domain gone from the configuration answers the guest's
 * AP instructions with "deconfigured" from the moment of the change, APCB
 * bit or not), and addition cannot be plugged before the new queues are
 * probed (bound to vfio_ap). So both are plugged together in
 * on_scan_complete with one APCB update per affected guest; probe and
 * remove during the scan only record state. Upstream issues one update for
 * the removals in on_config_changed and another for the additions in
 * on_scan_complete. An APQN that left the configuration cannot be given to
 * another guest before it is configured and probed again, so keeping its
 * bit for the length of the scan gives nobody a queue in use elsewhere.
 */
#include <linux/bitmap.h>
#include <linux/errno.h>
#include <linux/kernel.h>
#include <linux/kvm_host.h>
#include <linux/slab.h>
#include "vfio_ap_internal.h"

/*
 * guests_lock and mdevs_lock; the guest's kvm->lock is taken only if its
 * shadow changes (vfio_ap_refresh_guest()), never during a scan.
 */
static struct ap_matrix_mdev *lock_for_apqn(unsigned long apid, unsigned long apqi)
{
	mutex_lock(&vfio_ap_core.guests_lock);
	vfio_ap_lock_mdevs();
	return vfio_ap_mdev_for_apqn(apid, apqi);
}

int vfio_ap_core_probe_queue(struct ap_queue *aq)
{
	struct ap_matrix_mdev *m;
	struct vfio_ap_queue *q;

	q = kzalloc(sizeof(*q), GFP_KERNEL);
	if (!q)
		return -ENOMEM;
	q->aq = aq;
	q->apqn = aq->qid;
	q->reset_status.response_code = AP_RESPONSE_NORMAL;
	INIT_LIST_HEAD(&q->reset_node);

	m = lock_for_apqn(AP_QID_CARD(q->apqn), AP_QID_QUEUE(q->apqn));
	hash_add(vfio_ap_core.queues, &q->node, q->apqn);
	if (m && !vfio_ap_core.scan_in_progress)
		vfio_ap_refresh_guest(m, AP_QID_CARD(q->apqn));
	vfio_ap_unlock_for_mdev(NULL);
	return 0;
}

void vfio_ap_core_remove_queue(struct ap_queue *aq)
{
	unsigned long apid = AP_QID_CARD(aq->qid), apqi = AP_QID_QUEUE(aq->qid);
	struct ap_matrix_mdev *m;
	struct vfio_ap_queue *q;

	m = lock_for_apqn(apid, apqi);
	q = vfio_ap_find_queue(aq->qid);
	if (q) {
		hash_del(&q->node);
		/*
		 * Unplug the adapter first (the queue is gone from the
		 * hash, so the filter drops it), then hand the host a
		 * clean queue.
		 */
		if (m && !vfio_ap_core.scan_in_progress)
			vfio_ap_refresh_guest(m, apid);
		vfio_ap_reset_queue(m, q);
	}
	/* Waits for the reset (q is out of the hash, guests_lock held). */
	vfio_ap_unlock_for_mdev(NULL);
	kfree(q);
}

/* Called by the AP bus with ap_perms_mutex held. */
int vfio_ap_core_in_use(unsigned long *apm, unsigned long *aqm)
{
	struct ap_matrix_mdev *m;
	int ret = 0;

	mutex_lock(&vfio_ap_core.guests_lock);
	mutex_lock(&vfio_ap_core.mdevs_lock);
	vfio_ap_assert_mdevs_readable();
	list_for_each_entry(m, &vfio_ap_core.mdev_list, node) {
		if (bitmap_intersects(apm, m->matrix.apm, AP_DEVICES) &&
		    bitmap_intersects(aqm, m->matrix.aqm, AP_DOMAINS)) {
			ret = -EADDRINUSE;
			break;
		}
	}
	mutex_unlock(&vfio_ap_core.mdevs_lock);
	vfio_ap_guests_unlock();
	return ret;
}

void vfio_ap_core_on_config_changed(struct ap_config_info *new_info,
				    struct ap_config_info *old_info)
{
	struct ap_matrix_mdev *m;
	struct ap_matrix host;

	vfio_ap_host_from_info(new_info, &host);
	mutex_lock(&vfio_ap_core.guests_lock);
	vfio_ap_bench_config_changed(&host);
	mutex_lock(&vfio_ap_core.mdevs_lock);
	vfio_ap_core.info = *new_info;
	vfio_ap_core.host = host;
	vfio_ap_core.scan_in_progress = true;
	vfio_ap_assert_mdevs_readable();
	list_for_each_entry(m, &vfio_ap_core.mdev_list, node) {
		m->matrix.apm_max = host.apm_max;
		m->matrix.aqm_max = host.aqm_max;
		m->matrix.adm_max = host.adm_max;
	}
	mutex_unlock(&vfio_ap_core.mdevs_lock);
	vfio_ap_guests_unlock();
}

void vfio_ap_core_on_scan_complete(struct ap_config_info *new_info, struct ap_config_info *old_info)
{
	struct ap_matrix_mdev *m;

	mutex_lock(&vfio_ap_core.guests_lock);
	mutex_lock(&vfio_ap_core.mdevs_lock);
	vfio_ap_core.scan_in_progress = false;
	mutex_unlock(&vfio_ap_core.mdevs_lock);
	vfio_ap_assert_mdevs_readable();
	list_for_each_entry(m, &vfio_ap_core.mdev_list, node) {
		/* kvm->lock only for the guests whose shadow changes. */
		vfio_ap_lock_mdevs();
		vfio_ap_refresh_guest(m, -2);
		vfio_ap_unlock_mdevs();
	}
	vfio_ap_guests_unlock();
}
