// SPDX-License-Identifier: GPL-2.0
/*
 * The benchmark baseline of the user-space build (tests/bench, the upstream
 * figures of test-core-apcb): with vfio_ap_sim_upstream_cost set, the core
 * issues the APCB updates upstream Linux 6.12 issues. The hooks are declared
 * in vfio_ap_internal.h; the module build (no VFIO_AP_SIM) has empty inlines
 * instead, so none of this is in vfio_ap.ko.
 */
#include <linux/bitmap.h>
#include <linux/kvm_host.h>
#include "vfio_ap_internal.h"
#include "vfio_ap_sim.h"

bool vfio_ap_sim_upstream_cost;

/*
 * ap_config on an attached mdev: upstream unplugs the removed adapters,
 * then the removed domains, then plugs the final filter (the caller's
 * update). Locks of the store held.
 */
void vfio_ap_bench_ap_config(struct ap_matrix_mdev *matrix_mdev, const struct ap_matrix *new)
{
	struct ap_matrix step;

	if (!vfio_ap_sim_upstream_cost || !matrix_mdev->kvm)
		return;
	step = matrix_mdev->shadow_apcb;
	bitmap_and(step.apm, step.apm, new->apm, AP_DEVICES);
	vfio_ap_commit_shadow(matrix_mdev, &step);
	bitmap_and(step.aqm, step.aqm, new->aqm, AP_DOMAINS);
	vfio_ap_commit_shadow(matrix_mdev, &step);
}

/*
 * on_config_changed: upstream unplugs what left the configuration at once,
 * one update per guest, before the scan. guests_lock held.
 */
void vfio_ap_bench_config_changed(const struct ap_matrix *host)
{
	struct ap_matrix_mdev *m;

	if (!vfio_ap_sim_upstream_cost)
		return;
	list_for_each_entry(m, &vfio_ap_core.mdev_list, node) {
		struct ap_matrix step;

		if (!m->kvm)
			continue;
		vfio_ap_lock_kvm(m->kvm);
		vfio_ap_lock_mdevs();
		step = m->shadow_apcb;
		bitmap_and(step.apm, step.apm, host->apm, AP_DEVICES);
		bitmap_and(step.aqm, step.aqm, host->aqm, AP_DOMAINS);
		bitmap_and(step.adm, step.adm, host->adm, AP_DOMAINS);
		vfio_ap_commit_shadow(m, &step);
		vfio_ap_unlock_mdevs();
		vfio_ap_unlock_kvm(m->kvm);
	}
}

/* Upstream filters the whole matrix after every single-id store. */
bool vfio_ap_bench_full_filter(void)
{
	return vfio_ap_sim_upstream_cost;
}
