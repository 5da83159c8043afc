/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The simulated host's hardware and initial state, from JSON:
 *
 *   {
 *     "apxa": true,                  (max ids 255/255; false: 63/15)
 *     "max_adapter_id": 255,         (optional, overrides apxa)
 *     "max_domain_id": 84,
 *     "adapters": [ { "id": 3, "type": "CEX8", "mode": "cca" },
 *                   { "ids": "4-7", "type": "CEX7", "mode": "ep11",
 *                     "configured": true } ],
 *     "domains": "0-15",             (usage domains of the host, QCI AQM)
 *     "control_domains": "0-15",     (QCI ADM; default: the usage domains)
 *     "apmask": "0-1", "aqmask": "0-255",   (ids whose bits are set; default all)
 *     "mdevs": [ { "uuid": "...", "adapters": [3], "domains": "4-5",
 *                  "control_domains": [4] } ],
 *     "kernel": "apmatrix",          (the kernel presented: "6.1", "6.10", "6.12",
 *                                     "6.15", "6.19" (upstream vfio_ap and AP bus of
 *                                     that release) or "apmatrix" (this driver on 6.12))
 *     "bindings_held": false,        (true: queues come up unbound until
 *                                     "bus bind" on sim/ctl, as on a booting host)
 *     "se": false,                   (true: queues have se_bind/se_associate)
 *     "vfio_ap": true                (false: the vfio_ap module is not loaded at
 *                                     boot, no matrix device, no mdevs; "driver
 *                                     vfio_ap load" on sim/ctl loads it)
 *   }
 *
 * Id fields take what libapm's matrix JSON takes: ints and id-list strings.
 */
#ifndef APSIM_TOPOLOGY_H
#define APSIM_TOPOLOGY_H

#include <stdbool.h>
#include <stddef.h>

#include "ap-mask.h"

enum sim_card_mode {
	SIM_MODE_ACCEL,
	SIM_MODE_CCA,
	SIM_MODE_EP11,
};

struct sim_topo_adapter {
	bool present;
	bool configured;
	unsigned int hwtype; /* 10 (CEX4) .. 14 (CEX8) */
	enum sim_card_mode mode;
};

/* What the simulated kernel offers; see kernel/sim/README.md for each level. */
enum sim_kernel_level {
	SIM_KERNEL_6_1,
	SIM_KERNEL_6_10,
	SIM_KERNEL_6_12,
	SIM_KERNEL_6_15,
	SIM_KERNEL_6_19,
	SIM_KERNEL_APMATRIX,
};

/* Not libapm's ap_matrix: this header meets the core's struct ap_matrix. */
struct sim_topo_mdev {
	char uuid[37];
	ap_mask apm, aqm, adm;
};

struct sim_topology {
	bool apxa;
	unsigned int max_apid, max_apqi;
	struct sim_topo_adapter adapters[AP_ID_COUNT];
	ap_mask domains, control_domains;
	ap_mask apmask, aqmask;
	struct sim_topo_mdev *mdevs;
	size_t n_mdevs;
	enum sim_kernel_level kernel;
	bool bindings_held, se, vfio_ap;
};

/* The default host: 4 adapters x 16 domains, adapters 0-1 kept by the host. */
int topology_default(struct sim_topology *ret);
/* On error, *reterr_msg (malloc'ed) names the offending field. */
int topology_from_json(const char *text, struct sim_topology *ret, char **reterr_msg);
int topology_load(const char *path, struct sim_topology *ret, char **reterr_msg);
void topology_done(struct sim_topology *t);

const char *sim_mode_to_string(enum sim_card_mode m);
/* "6.1" .. "apmatrix"; -EINVAL otherwise. */
int sim_kernel_level_from_string(const char *s);
/* The release the level reports in kernel/osrelease, e.g. "6.12.0-apsim". */
const char *sim_kernel_level_release(enum sim_kernel_level l);
/* "CEX4".."CEX8" -> 10..14; -EINVAL otherwise. */
int sim_hwtype_from_string(const char *s);

#endif
