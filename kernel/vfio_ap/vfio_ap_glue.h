/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Linux-only glue of vfio_ap: what the glue files share. The core
 * (vfio_ap_core.h) knows nothing of struct device, vfio or KVM internals;
 * everything here wraps it for the Linux 6.12 device model.
 */
#ifndef _VFIO_AP_GLUE_H_
#define _VFIO_AP_GLUE_H_

#include <linux/device.h>
#include <linux/eventfd.h>
#include <linux/mdev.h>
#include <linux/spinlock.h>
#include <linux/sysfs.h>
#include <linux/vfio.h>
#include "vfio_ap_core.h"

#define VFIO_AP_DRV_NAME "vfio_ap"
#define VFIO_AP_MDEV_TYPE "passthrough"
#define VFIO_AP_MDEV_PRETTY_NAME "VFIO AP Passthrough Device"

/*
 * IRQ indexes of the vfio-ap device. 6.12's uapi knows only the request
 * index; Linux 6.15 added the config-change index 1, which QEMU uses to learn
 * that the guest's AP configuration changed. Our own names, so that building
 * against a newer uapi header does not clash.
 */
#define VFIO_AP_GLUE_REQ_IRQ_INDEX 0
#define VFIO_AP_GLUE_CFG_CHG_IRQ_INDEX 1
#define VFIO_AP_GLUE_NUM_IRQS 2

/**
 * struct vfio_ap_mdev - a vfio_ap mediated device as Linux sees it
 * @vdev:         the vfio device (first: vfio_alloc_device() requires it)
 * @core:         the core's state of this mdev
 * @trigger_lock: protects the eventfd pointers; taken inside any core lock
 *                because the core signals a config change under mdevs_lock
 * @req_trigger:  eventfd signalled when the mdev must be released
 * @cfg_trigger:  eventfd signalled after each APCB update of the guest
 */
struct vfio_ap_mdev {
	struct vfio_device vdev;
	struct ap_matrix_mdev core;
	spinlock_t trigger_lock; /* protects both eventfd pointers */
	struct eventfd_ctx *req_trigger;
	struct eventfd_ctx *cfg_trigger;
};

static inline struct vfio_ap_mdev *to_vfio_ap_mdev(struct ap_matrix_mdev *matrix_mdev)
{
	return container_of(matrix_mdev, struct vfio_ap_mdev, core);
}

/* vfio_ap_sysfs.c: attribute groups built from the core's tables */
int vfio_ap_sysfs_init(void);
void vfio_ap_sysfs_exit(void);
extern const struct attribute_group *vfio_ap_mdev_groups[];
extern const struct attribute_group *vfio_ap_matrix_groups[];
extern const struct attribute_group *vfio_ap_queue_groups[];

/* vfio_ap_vfio_ops.c: mdev driver, vfio device, PQAP and interrupt plumbing */
int vfio_ap_mdev_register(struct device *parent);
void vfio_ap_mdev_unregister(void);
extern const struct vfio_ap_core_ops vfio_ap_glue_ops;

/* vfio_ap_queue_driver.c: the AP bus driver for CEX4+ queues */
int vfio_ap_queue_driver_register(void);
void vfio_ap_queue_driver_unregister(void);

#endif /* _VFIO_AP_GLUE_H_ */
