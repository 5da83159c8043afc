// SPDX-License-Identifier: GPL-2.0
/*
 * vfio_ap core: filtering, i.e. what the guest really gets (the shadow
 * APCB, shown as guest_matrix):
 * - adapters and domains the host configuration (QCI) does not have are
 *   dropped;
 * - an adapter is dropped if any of its APQNs in the resulting matrix is
 *   not usable: not bound to vfio_ap, or its last reset failed (normal
 *   end, DECONFIGURED and CHECKSTOPPED count as done, as upstream).
 *   Domains are filtered by the host configuration only, so one
 *   bad queue costs the guest its adapter, never a domain on every adapter;
 * - control domains are filtered by the host configuration.
 * The work is one hash lookup per APQN of this mdev's matrix.
 */
#include <linux/bitmap.h>
#include "vfio_ap_internal.h"

static bool queue_usable(unsigned long apid, unsigned long apqi)
{
	struct vfio_ap_queue *q = vfio_ap_find_queue(AP_MKQID(apid, apqi));

	return q && vfio_ap_queue_passable(q);
}

void vfio_ap_filter(const struct ap_matrix_mdev *matrix_mdev, struct ap_matrix *ret_shadow)
{
	const struct ap_matrix *host = &vfio_ap_core.host;
	unsigned long apid, apqi;

	lockdep_assert_held(&vfio_ap_core.mdevs_lock);
	vfio_ap_matrix_init(ret_shadow);
	bitmap_and(ret_shadow->apm, matrix_mdev->matrix.apm, host->apm, AP_DEVICES);
	bitmap_and(ret_shadow->aqm, matrix_mdev->matrix.aqm, host->aqm, AP_DOMAINS);
	bitmap_and(ret_shadow->adm, matrix_mdev->matrix.adm, host->adm, AP_DOMAINS);
	for_each_set_bit_inv(apid, ret_shadow->apm, AP_DEVICES) {
		for_each_set_bit_inv(apqi, ret_shadow->aqm, AP_DOMAINS) {
			if (!queue_usable(apid, apqi)) {
				clear_bit_inv(apid, ret_shadow->apm);
				break;
			}
		}
	}
}

/*
 * The same result as vfio_ap_filter() for a change that touched only the
 * adapters in @recheck (assigned, or one of their queues bound/unbound) or
 * the domain and control domain masks, starting from the current shadow:
 * adapters in @recheck are checked over all domains, adapters already in the
 * shadow only over the domains that are new to it, and adapters that were
 * filtered out are checked again only if domains left the shadow (their
 * bad queue may have gone with them). Adapters with a queue whose reset
 * failed after the shadow was computed (vfio_ap_core.failed_apm) are
 * checked over all domains, so the result is vfio_ap_filter()'s.
 * Cost: O(|recheck| x |aqm| + |shadow adapters| x |new domains|), not
 * O(|apm| x |aqm|).
 */
void vfio_ap_refilter(const struct ap_matrix_mdev *matrix_mdev, const unsigned long *recheck,
		      struct ap_matrix *ret_shadow)
{
	const struct ap_matrix *host = &vfio_ap_core.host;
	const struct ap_matrix *old = &matrix_mdev->shadow_apcb;
	DECLARE_BITMAP(candidates, AP_DEVICES);
	DECLARE_BITMAP(new_domains, AP_DOMAINS);
	unsigned long apid, apqi;
	bool domains_left;

	lockdep_assert_held(&vfio_ap_core.mdevs_lock);
	vfio_ap_matrix_init(ret_shadow);
	bitmap_and(ret_shadow->aqm, matrix_mdev->matrix.aqm, host->aqm, AP_DOMAINS);
	bitmap_and(ret_shadow->adm, matrix_mdev->matrix.adm, host->adm, AP_DOMAINS);
	bitmap_and(candidates, matrix_mdev->matrix.apm, host->apm, AP_DEVICES);
	bitmap_andnot(new_domains, ret_shadow->aqm, old->aqm, AP_DOMAINS);
	domains_left = !bitmap_subset(old->aqm, ret_shadow->aqm, AP_DOMAINS);

	for_each_set_bit_inv(apid, candidates, AP_DEVICES) {
		const unsigned long *check = new_domains;

		if ((recheck && test_bit_inv(apid, recheck)) ||
		    test_bit_inv(apid, vfio_ap_core.failed_apm) ||
		    (domains_left && !test_bit_inv(apid, old->apm)))
			check = ret_shadow->aqm;
		else if (!test_bit_inv(apid, old->apm))
			continue;
		set_bit_inv(apid, ret_shadow->apm);
		for_each_set_bit_inv(apqi, check, AP_DOMAINS) {
			if (!queue_usable(apid, apqi)) {
				clear_bit_inv(apid, ret_shadow->apm);
				break;
			}
		}
	}
}
