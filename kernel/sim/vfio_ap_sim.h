/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vfio_ap_sim: the user-space twin of the kernel glue. It registers the
 * vfio_ap driver with ap_bus_sim (wrapping the core's bus callbacks),
 * gives the core its ops (interrupts are recorded in ap_bus_sim, config
 * change notifications are counted), and attaches mdevs to simulated
 * guests the way vfio's open_device does (PQAP hook + set_kvm).
 *
 * Order: ap_sim_init(), then vfio_ap_sim_init(); exit in reverse.
 */
#ifndef _VFIO_AP_SIM_H
#define _VFIO_AP_SIM_H

#include <linux/kvm_host.h>
#include "vfio_ap_core.h"

int vfio_ap_sim_init(void);
void vfio_ap_sim_exit(void);

/* open_device: set_kvm, which installs the PQAP hook too (-EPERM...). */
int vfio_ap_sim_attach(struct ap_matrix_mdev *matrix_mdev, struct kvm *kvm);
/* close_device: unset_kvm, which removes the hook too. */
void vfio_ap_sim_detach(struct ap_matrix_mdev *matrix_mdev);

/*
 * The mdev life cycle of the "create" and "remove" files (in Linux, the mdev
 * core and the glue's probe/remove): create parses the write (a UUID, 36
 * bytes or 37 with a newline), allocates and registers the mdev; destroy
 * asks for release if a guest has it, detaches it, releases and frees it.
 */
int vfio_ap_sim_mdev_create(const char *buf, size_t count, struct ap_matrix_mdev **ret_mdev);
void vfio_ap_sim_mdev_destroy(struct ap_matrix_mdev *matrix_mdev);

/*
 * Benchmark baseline (vfio_ap_bench.c): while set, the core issues the
 * APCB updates upstream Linux 6.12 issues (several per ap_config write and
 * per host configuration change) and filters whole matrices, as upstream.
 */
extern bool vfio_ap_sim_upstream_cost;

/* The mdev the last ops->irq_disable named (the glue unpins through it). */
struct ap_matrix_mdev *vfio_ap_sim_last_irq_disable(void);

typedef void (*vfio_ap_sim_mdev_hook_t)(struct ap_matrix_mdev *matrix_mdev, void *userdata);
/* Called (mdevs_lock held: do not call back into the core) on cfg changes. */
void vfio_ap_sim_set_cfg_changed_hook(vfio_ap_sim_mdev_hook_t hook, void *userdata);

#endif
