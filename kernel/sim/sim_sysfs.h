/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The /sys shape apsim serves: bus/ap, devices/ap, devices/vfio_ap/matrix,
 * bus/mdev, class/mdev_bus, bus/matrix, and sim/ (ctl, stats.json, pid).
 * Every file's content comes from the simulated AP bus (ap_bus_sim) and the
 * vfio_ap core it runs; the tree follows the bus through its event hook and
 * sends the matching uevents.
 */
#ifndef APSIM_SIM_SYSFS_H
#define APSIM_SIM_SYSFS_H

#include "sim_ctl.h"
#include "topology.h"

/* Sets up the bus, the driver and the tree from the topology; no threads. */
int sim_sysfs_init(const struct sim_topology *t);
/* Starts sending uevents (after the initial device population). */
void sim_sysfs_enable_uevents(void);
/* Stops guests, removes mdevs, tears the bus down. */
void sim_sysfs_exit(void);

/* Executes one parsed sim/ctl command. */
int sim_ctl_execute(const struct sim_cmd *c);

#endif
