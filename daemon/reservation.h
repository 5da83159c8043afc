/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * How the host keeps AP queues from the default (zcrypt) drivers for
 * vfio_ap: the bus's apmask/aqmask (every kernel), or since Linux 6.19 a
 * driver_override of "vfio_ap" on each queue. The kernel lets one or the
 * other be in use, not both (a driver_override store fails with EINVAL while
 * a mask is not all ones, since 46030379f13c); a host where both are in use
 * (a kernel with driver_override but without that restriction, or masks
 * written behind an override's back) is "mixed", and apmatrixd refuses to
 * change its reservation.
 *
 * apmatrixd speaks of reserved adapters and domains in both modes. With
 * driver_override they are virtual masks: a queue is reserved when its
 * adapter or its domain is, and that is realised as the queue's override
 * (apply.c, which writes them). After a restart they are read back from the
 * overrides (reservation_settle()): domains whose every queue is given to
 * vfio_ap, then adapters whose every queue is and that those domains do not
 * cover already.
 */
#ifndef APMATRIXD_RESERVATION_H
#define APMATRIXD_RESERVATION_H

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <string.h>

#include "ap-mask.h"
#include "matrix-json.h"

struct host;
struct host_queue;

enum reservation_mode {
	RESERVATION_MASKS,
	RESERVATION_DRIVER_OVERRIDE,
	RESERVATION_MIXED,
};

/* ReservationMode=: what a host that uses neither yet gets. */
enum reservation_preference {
	RESERVATION_PREFER_AUTO, /* masks: every kernel has them */
	RESERVATION_PREFER_MASKS,
	RESERVATION_PREFER_DRIVER_OVERRIDE, /* where the kernel has driver_override */
};

#define RESERVATION_OVERRIDE_VFIO "vfio_ap"

/* Whether the reservation apmask x aqmask gives queue a.d to vfio_ap. */
static inline bool reservation_queue_reserved(const ap_mask *apmask, const ap_mask *aqmask,
					      unsigned int a, unsigned int d)
{
	return !ap_mask_test(apmask, a) || !ap_mask_test(aqmask, d);
}

const char *reservation_mode_to_string(enum reservation_mode m);
/* Inline: the configuration parser is fuzzed on its own (tests/fuzz/fuzz-daemon-config.c). */
static inline int reservation_preference_from_string(const char *s,
						     enum reservation_preference *ret)
{
	if (!strcmp(s, "auto"))
		*ret = RESERVATION_PREFER_AUTO;
	else if (!strcmp(s, "masks"))
		*ret = RESERVATION_PREFER_MASKS;
	else if (!strcmp(s, "driver-override"))
		*ret = RESERVATION_PREFER_DRIVER_OVERRIDE;
	else
		return -EINVAL;
	return 0;
}
/* Set once from the configuration, before the first host scan. */
void reservation_set_preference(enum reservation_preference p);

/* The queue's override gives it to vfio_ap. */
bool reservation_queue_is_vfio(const struct host_queue *q);

/*
 * Decide the host's mode from the masks and overrides it read (h->bus_apmask,
 * h->bus_aqmask, each queue's driver_override) and set h->apmask/h->aqmask
 * to the reservation: the bus masks, or in driver_override mode the virtual
 * masks (kept when they still describe the overrides, else read back).
 */
void reservation_settle(struct host *h);

/*
 * The virtual masks that the overrides of h's queues describe, with
 * ret_fits false (and the first queue that does not fit in *ret_stray) when
 * some queue's override is not what its adapter's and domain's say.
 */
void reservation_from_overrides(const struct host *h, ap_mask *ret_apmask, ap_mask *ret_aqmask,
				bool *ret_fits, apqn *ret_stray);

/*
 * The first APQN of m that the host keeps for itself under the reservation
 * apmask x aqmask (the working copy's), as h's mode reads it: 1 with *ret and
 * a reason for messages in *ret_why, or 0.
 */
int reservation_first_kept(const struct host *h, const ap_mask *apmask, const ap_mask *aqmask,
			   const ap_matrix *m, apqn *ret, const char **ret_why);

/* "the host mixes ...: masks ... while queue ... has driver_override ..." into buf. */
const char *reservation_describe_mixed(const struct host *h, char *buf, size_t size);

/*
 * After apmatrixd wrote overrides: the virtual masks the overrides of now
 * (h's queues, read again) describe; want when they match it.
 */
void reservation_read_back(const struct host *now, const ap_mask *apmask_want,
			   const ap_mask *aqmask_want, ap_mask *ret_apmask, ap_mask *ret_aqmask);

/*
 * A full rescan builds a new host: it keeps prev's virtual masks (and the
 * mode of a host that reads as neither) while they still fit its queues.
 */
void reservation_carry(struct host *h, const struct host *prev);

/*
 * Driver_override mode: a queue in a reserved adapter or domain without any
 * override (one that appeared since): the applier gives it its override
 * (apply_claim_queues()), as the masks would have given it to vfio_ap.
 */
bool reservation_has_pending(const struct host *h);

#endif
