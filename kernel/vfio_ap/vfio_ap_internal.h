/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vfio_ap core: helpers shared between the core files; not for the glue.
 */
#ifndef _VFIO_AP_INTERNAL_H_
#define _VFIO_AP_INTERNAL_H_

#include <linux/kvm_host.h>
#include <linux/lockdep.h>
#include "vfio_ap_core.h"

#define VFIO_AP_MASK_LONGS BITS_TO_LONGS(AP_DEVICES)

/*
 * The mdev list and every mdev's matrix are written with guests_lock and
 * mdevs_lock held, so either one is enough to walk the list or read a
 * matrix (LOCKING). Every walk of vfio_ap_core.mdev_list asserts it.
 */
static inline void vfio_ap_assert_mdevs_readable(void)
{
	lockdep_assert(lockdep_is_held(&vfio_ap_core.guests_lock) ||
		       lockdep_is_held(&vfio_ap_core.mdevs_lock));
}

/*
 * Changing an mdev's matrix or shadow APCB: guests_lock and mdevs_lock,
 * and the kvm->lock of its guest, since the change is plugged at once.
 */
static inline void vfio_ap_assert_mdev_writable(const struct ap_matrix_mdev *matrix_mdev)
{
	lockdep_assert_held(&vfio_ap_core.guests_lock);
	lockdep_assert_held(&vfio_ap_core.mdevs_lock);
	if (matrix_mdev->kvm)
		lockdep_assert_held(&matrix_mdev->kvm->lock);
}

/* vfio_ap_matrix.c */
void vfio_ap_matrix_init(struct ap_matrix *matrix);
void vfio_ap_host_from_info(const struct ap_config_info *info, struct ap_matrix *host);
void vfio_ap_matrix_copy_masks(struct ap_matrix *dst, const struct ap_matrix *src);
bool vfio_ap_matrix_equal(const struct ap_matrix *a, const struct ap_matrix *b);
bool vfio_ap_matrix_has_apqn(const struct ap_matrix *matrix, unsigned long apid,
			     unsigned long apqi);
struct vfio_ap_queue *vfio_ap_find_queue(unsigned int apqn);
struct ap_matrix_mdev *vfio_ap_mdev_for_apqn(unsigned long apid, unsigned long apqi);
int vfio_ap_parse_masks(const char *buf, size_t len, struct ap_matrix *ret_matrix);
int vfio_ap_validate_max(const struct ap_matrix *matrix);
int vfio_ap_validate_reserved(unsigned long *apm, unsigned long *aqm);
int vfio_ap_validate_sharing(const struct ap_matrix_mdev *self, const unsigned long *apm,
			     const unsigned long *aqm, bool batch);

/* vfio_ap_filter.c */
void vfio_ap_filter(const struct ap_matrix_mdev *matrix_mdev, struct ap_matrix *ret_shadow);
void vfio_ap_refilter(const struct ap_matrix_mdev *matrix_mdev, const unsigned long *recheck,
		      struct ap_matrix *ret_shadow);

/* vfio_ap_apcb.c */
void vfio_ap_lock_kvm(struct kvm *kvm);
void vfio_ap_unlock_kvm(struct kvm *kvm);
void vfio_ap_lock_mdevs(void);
void vfio_ap_unlock_mdevs(void);
void vfio_ap_plug_apcb(struct ap_matrix_mdev *matrix_mdev, bool clear, bool drop_mdevs);
void vfio_ap_signal_cfg_changed(struct ap_matrix_mdev *matrix_mdev);
struct kvm *vfio_ap_lock_for_mdev(struct ap_matrix_mdev *matrix_mdev);
void vfio_ap_unlock_for_mdev(struct kvm *kvm);
void vfio_ap_guests_unlock(void);
void vfio_ap_wait_resets(void);
bool vfio_ap_queue_passable(const struct vfio_ap_queue *q);
void vfio_ap_commit_shadow(struct ap_matrix_mdev *matrix_mdev, const struct ap_matrix *target);
void vfio_ap_update_guest(struct ap_matrix_mdev *matrix_mdev);
void vfio_ap_update_guest_adapter(struct ap_matrix_mdev *matrix_mdev, long apid);
/* @apid: the adapter the change touched, -1 none, -2 filter in full. */
void vfio_ap_refresh_guest(struct ap_matrix_mdev *matrix_mdev, long apid);
void vfio_ap_reset_queue(struct ap_matrix_mdev *matrix_mdev, struct vfio_ap_queue *q);
void vfio_ap_irq_disable(struct ap_matrix_mdev *matrix_mdev, struct vfio_ap_queue *q);
void vfio_ap_reset_shadow_queues(struct ap_matrix_mdev *matrix_mdev);

/*
 * Benchmark baseline, user-space build only (meson defines VFIO_AP_SIM;
 * kernel/sim/vfio_ap_bench.c): hooks that make the core issue the APCB
 * updates upstream Linux 6.12 issues. Nothing of it is in the module.
 */
#ifdef VFIO_AP_SIM
void vfio_ap_bench_ap_config(struct ap_matrix_mdev *matrix_mdev, const struct ap_matrix *new);
void vfio_ap_bench_config_changed(const struct ap_matrix *host);
bool vfio_ap_bench_full_filter(void);
#else
static inline void vfio_ap_bench_ap_config(struct ap_matrix_mdev *matrix_mdev,
					   const struct ap_matrix *new)
{
}

static inline void vfio_ap_bench_config_changed(const struct ap_matrix *host)
{
}

static inline bool vfio_ap_bench_full_filter(void)
{
	return false;
}
#endif

/* vfio_ap_batch.c */
ssize_t vfio_ap_batch_store(const char *buf, size_t count);
ssize_t vfio_ap_batch_show(char *buf);

#endif /* _VFIO_AP_INTERNAL_H_ */
