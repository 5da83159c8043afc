/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * MOUNTPOINT/sim/ctl: one command per write, failures as errnos.
 *
 *   adapter ID config on|off      SCLP configure / deconfigure (card stays)
 *   adapter ID chkstop on|off     check-stop a card / end it
 *   adapter ID add [CEXn] [accel|cca|ep11]   hot plug: the adapter enters QCI
 *   adapter ID remove             hot unplug: the adapter leaves QCI
 *   domain ID config on|off       configure / deconfigure a usage domain
 *   domain ID add|remove          the domain enters / leaves QCI
 *   guest start NAME UUID [vcpus=N] [pqap_hz=R] [busy=1]   a VMM opens the mdev
 *                                 (set_kvm), N vCPUs run, each issuing R PQAP(AQIC)
 *                                 a second; busy=1: they spin on the host's CPUs
 *   guest stop NAME               the VMM closes it (unset_kvm), vCPUs stop
 *   fault PATH ERRNO [COUNT]      the next COUNT (default 1) writes to PATH fail
 *   queue AA.DDDD reset-fault RC [POLLS]   resets of the queue end with response
 *                                 code RC (0 clears) after POLLS TAPQs
 *   queue AA.DDDD zapq-busy MS    for the next MS milliseconds ZAPQ answers
 *                                 BUSY (05) and is not executed (0 clears)
 *   queue AA.DDDD zapq-rip MS     for the next MS milliseconds a reset the
 *                                 driver did not issue is in progress: ZAPQ
 *                                 and TAPQ answer RESET_IN_PROGRESS (02), ZAPQ
 *                                 is not executed (0 clears)
 *   queue AA.DDDD online on|off   zcrypt's online switch of a cex4queue queue
 *                                 (ONLINE= change uevent)
 *   queue AA.DDDD override NAME|-  sets (clears: -) the queue's driver_override even
 *                                 while apmask/aqmask are not all ones, as a kernel
 *                                 without 46030379f13c lets it happen (a host with
 *                                 both reservation modes); does not rebind
 *   queue AA.DDDD se-bind on|off  Secure Execution bind state (se_bind)
 *   queue AA.DDDD se-associate IDX|off   association index (se_associate;
 *                                 needs the bind)
 *
 *   stats reset                   zero the timing histograms of stats.json
 *   bus bind                      queues held unbound ("bindings_held") bind now;
 *                                 the bus then sends BINDINGS=complete
 *   bus hold                      new and re-bound queues stay unbound from now on
 *   driver vfio_ap load           modprobe vfio_ap (topology "vfio_ap": false):
 *                                 the matrix device appears, its queues bind
 *
 * IDs take base 0 like the kernel ("0x1f", "31"); ERRNO is a name (EIO) or a
 * number.
 */
#ifndef APSIM_SIM_CTL_H
#define APSIM_SIM_CTL_H

#include <stdbool.h>
#include <stddef.h>

#include "topology.h"

enum sim_cmd_kind {
	SIM_CMD_ADAPTER_CONFIG,
	SIM_CMD_ADAPTER_CHKSTOP,
	SIM_CMD_ADAPTER_ADD,
	SIM_CMD_ADAPTER_REMOVE,
	SIM_CMD_DOMAIN_CONFIG,
	SIM_CMD_DOMAIN_ADD,
	SIM_CMD_DOMAIN_REMOVE,
	SIM_CMD_GUEST_START,
	SIM_CMD_GUEST_STOP,
	SIM_CMD_FAULT,
	SIM_CMD_QUEUE_RESET_FAULT,
	SIM_CMD_QUEUE_ZAPQ_BUSY,
	SIM_CMD_QUEUE_ZAPQ_RIP,
	SIM_CMD_QUEUE_ONLINE,
	SIM_CMD_QUEUE_SE_BIND,
	SIM_CMD_QUEUE_SE_ASSOCIATE,
	SIM_CMD_QUEUE_OVERRIDE,
	SIM_CMD_STATS_RESET,
	SIM_CMD_BUS_BIND,
	SIM_CMD_BUS_HOLD,
	SIM_CMD_DRIVER_LOAD,
};

/* PQAP(AQIC) per second and vCPU of a started guest, unless pqap_hz= says. */
#define SIM_GUEST_PQAP_HZ_DEFAULT 200

#define SIM_NAME_MAX 64
#define SIM_PATH_MAX 512

struct sim_cmd {
	enum sim_cmd_kind kind;
	unsigned int id;
	bool on;
	unsigned int hwtype; /* adapter add */
	enum sim_card_mode mode;
	char name[SIM_NAME_MAX]; /* guest name; driver name (queue override) */
	char uuid[37];
	unsigned int vcpus;
	unsigned int pqap_hz; /* guest start */
	unsigned int busy; /* guest start: vCPUs that spin instead of sleeping in SIE */
	char path[SIM_PATH_MAX]; /* fault */
	int error; /* fault: positive errno */
	unsigned int count; /* fault; reset-fault: POLLS; zapq-busy/zapq-rip: MS */
	unsigned int apqn; /* reset-fault: card << 8 | domain */
	unsigned int rc; /* reset-fault; se-associate: the index */
};

/* Parses one write; -EINVAL for syntax, -ERANGE for an id above 255. */
int sim_cmd_parse(const char *buf, size_t len, struct sim_cmd *ret);

/* "EIO" -> 5; numbers pass through; -EINVAL if unknown. */
int sim_errno_from_string(const char *s);

/* Fault injection: consumed by the tree's write hook. */
int sim_fault_add(const char *path, int error, unsigned int count);
/* Returns -errno when a fault for path is pending (and consumes one), else 0. */
int sim_fault_check(const char *path);
void sim_fault_clear(void);

#endif
