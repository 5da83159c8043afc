/* SPDX-License-Identifier: GPL-2.0 */
/*
 * User-space shim of s390's asm/ap.h: the same types and layouts, but the AP
 * instructions (TAPQ, ZAPQ, AQIC, QCI) are functions implemented by the
 * simulated AP bus (kernel/sim/ap_bus_sim.c) instead of inline assembly.
 */
#ifndef _SIM_ASM_AP_H
#define _SIM_ASM_AP_H

#include <linux/types.h>

typedef unsigned int ap_qid_t;
typedef u64 phys_addr_t;

#define AP_MKQID(_card, _queue) (((_card)&0xff) << 8 | ((_queue)&0xff))
#define AP_QID_CARD(_qid) (((_qid) >> 8) & 0xff)
#define AP_QID_QUEUE(_qid) ((_qid)&0xff)

struct ap_queue_status {
	unsigned int queue_empty : 1;
	unsigned int replies_waiting : 1;
	unsigned int queue_full : 1;
	unsigned int : 3;
	unsigned int async : 1;
	unsigned int irq_enabled : 1;
	unsigned int response_code : 8;
	unsigned int : 16;
};

struct ap_tapq_hwinfo {
	unsigned int at; /* device type */
	unsigned int fac; /* facility bits */
	unsigned int qd; /* queue depth */
};

struct ap_config_info {
	union {
		unsigned int flags;
		struct {
			unsigned int apsc : 1;
			unsigned int apxa : 1;
			unsigned int qact : 1;
			unsigned int rc8a : 1;
			unsigned int : 4;
			unsigned int apsb : 1;
			unsigned int : 23;
		};
	};
	unsigned char na; /* max # of APs - 1 */
	unsigned char nd; /* max # of domains - 1 */
	unsigned char _reserved0[10];
	unsigned int apm[8]; /* AP ID mask, bit 0 = MSB of apm[0] */
	unsigned int aqm[8]; /* usage domain mask */
	unsigned int adm[8]; /* control domain mask */
	unsigned char _reserved1[16];
} __aligned(8);

struct ap_qirq_ctrl {
	unsigned int _res1 : 8;
	unsigned int zone : 8;
	unsigned int ir : 1;
	unsigned int _res2 : 4;
	unsigned int gisc : 3;
	unsigned int _res3 : 6;
	unsigned int gf : 2;
	unsigned int _res4 : 1;
	unsigned int gisa : 27;
	unsigned int _res5 : 1;
	unsigned int isc : 3;
};

struct ap_queue_status ap_tapq(ap_qid_t qid, struct ap_tapq_hwinfo *info);
struct ap_queue_status ap_zapq(ap_qid_t qid, int fbit);
struct ap_queue_status ap_rapq(ap_qid_t qid, int fbit);
struct ap_queue_status ap_aqic(ap_qid_t qid, struct ap_qirq_ctrl qirqctrl, phys_addr_t pa_ind);
int ap_qci(struct ap_config_info *config);

#endif
