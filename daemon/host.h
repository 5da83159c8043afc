/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What the host has, as read from sysfs in one scan: AP bus limits, features
 * and masks, adapters and their queues, the vfio_ap matrix device and its
 * mdevs with their matrices. A full scan builds a new one; uevents refresh
 * the parts they name (masks, one card, one mdev).
 */
#ifndef APMATRIXD_HOST_H
#define APMATRIXD_HOST_H

#include <json-c/json.h>
#include <stdbool.h>
#include <stdint.h>

#include "kernel-caps.h"
#include "matrix-json.h"
#include "plan.h"
#include "reservation.h"

struct host_queue {
	unsigned int apqi;
	char driver[32];
	char status[16]; /* vfio_ap: "in use", "assigned", "unassigned"; else "" */
	bool config, chkstop, online;
	/*
	 * Secure Execution, as se_bind and se_associate read ("bound",
	 * "associated 5", ...); "" where the host does not show them or the
	 * card does not support them ("-").
	 */
	char se_bind[16];
	char se_associate[32];
	/* driver_override (Linux 6.19): the only driver that may bind it; "" unset or absent. */
	char driver_override[32];
};

/* What a queue's health is: "online", "offline", "checkstopped" or "deconfigured". */
const char *host_queue_state(const struct host_queue *q);
/* Bound or associated: a Secure Execution guest relies on the queue. */
bool host_queue_se_bound(const struct host_queue *q);
/* Re-read one queue's se_bind/se_associate (they send no uevent). */
void host_queue_read_se(unsigned int apid, struct host_queue *q);

struct host_adapter {
	unsigned int id;
	int hwtype, raw_hwtype; /* -1 when unreadable */
	char mode[8];
	uint32_t functions; /* ap_functions */
	bool has_functions;
	bool config, chkstop;
	struct host_queue *queues;
	size_t n_queues;
};

struct host_mdev {
	char uuid[UUID_STR_LEN + 1];
	ap_matrix m;
	ap_matrix guest;
	bool attached; /* one of its queues is "in use": a guest holds it */
};

struct host {
	unsigned int max_apid, max_apqi;
	char *bus_features, *matrix_features;
	bool bus_present, matrix_present, has_ap_config, has_ap_config_batch;
	/*
	 * The reservation (reservation.h): the bus masks, or with driver_override
	 * the virtual masks the queues' overrides realise. bus_*: what
	 * bus/ap/apmask and aqmask read.
	 */
	ap_mask apmask, aqmask;
	ap_mask bus_apmask, bus_aqmask;
	enum reservation_mode reservation;
	bool reservation_known, virtual_known;
	bool has_driver_override; /* the queues have the attribute (6.19) */
	bool override_stray; /* a queue's override does not fit the virtual masks: stray */
	apqn stray;
	ap_mask qci_apm, qci_aqm, qci_adm;
	struct host_adapter *adapters;
	size_t n_adapters;
	struct host_mdev *mdevs;
	size_t n_mdevs;
	int matrix_fd; /* the matrix device's directory, for relative reads; -1 if absent */
};

/* A full scan; the write interfaces come from the kernel probe k. */
int host_scan(const struct kernel_caps *k, struct host **ret);
void host_free(struct host *h);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct host *, host_free)

/* Partial refreshes, for uevents that name what changed. */
int host_refresh_masks(struct host *h);
int host_rescan_adapter(struct host *h, unsigned int id);
int host_refresh_mdev(struct host *h, const char *uuid);
/* Record what the daemon itself just read back (d NULL: the mdev is gone). */
int host_put_mdev(struct host *h, const char *uuid, const struct host_mdev *d);
/* mdevs' attached flags from the queues' status. */
void host_mark_attached(struct host *h);
/* Whether a guest holds the mdev with this guest matrix: one status read. */
int host_read_attached(const ap_matrix *guest, bool *ret);

/*
 * Into the empty ret: h's adapters and queues, each queue's driver_override
 * read again (what the kernel has after writes; reservation_read_back()).
 */
int host_copy_queues(const struct host *h, struct host *ret);
/* Re-read every queue's driver_override (after apmatrixd wrote some). */
void host_refresh_overrides(struct host *h);

const struct host_mdev *host_find_mdev(const struct host *h, const char *uuid);
struct host_queue *host_find_queue(const struct host *h, apqn qn);
enum write_iface host_write_iface(const struct host *h);

/* Read one mdev's matrix (ap_config where the driver has it, else matrix + control_domains). */
int host_read_mdev_matrix(const struct host *h, const char *uuid, ap_matrix *ret);

/* Read one mdev's guest matrix (guest_matrix; control domains filtered by the host's). */
int host_read_mdev_guest(const struct host *h, const char *uuid, const ap_matrix *m,
			 ap_matrix *ret);

struct json_object *host_to_json(const struct host *h);

#endif
