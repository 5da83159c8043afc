// SPDX-License-Identifier: GPL-2.0-or-later
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "host.h"
#include "log.h"
#include "reservation.h"

static enum reservation_preference preference = RESERVATION_PREFER_AUTO;

const char *reservation_mode_to_string(enum reservation_mode m)
{
	switch (m) {
	case RESERVATION_MASKS:
		return "masks";
	case RESERVATION_DRIVER_OVERRIDE:
		return "driver_override";
	case RESERVATION_MIXED:
		return "mixed";
	}
	return "?";
}

void reservation_set_preference(enum reservation_preference p)
{
	preference = p;
}

bool reservation_queue_is_vfio(const struct host_queue *q)
{
	return !strcmp(q->driver_override, RESERVATION_OVERRIDE_VFIO);
}

/*
 * Whether the virtual masks give exactly the queues with a vfio_ap override
 * to vfio_ap; pending_ok: a reserved queue without any override (one that
 * appeared since, apply_claim_queues() gives it its override) fits.
 */
static bool masks_fit_pending(const struct host *h, const ap_mask *apmask, const ap_mask *aqmask,
			      bool pending_ok, apqn *ret_stray)
{
	for (size_t i = 0; i < h->n_adapters; i++) {
		const struct host_adapter *a = &h->adapters[i];

		for (size_t k = 0; k < a->n_queues; k++) {
			const struct host_queue *q = &a->queues[k];
			bool r = reservation_queue_reserved(apmask, aqmask, a->id, q->apqi);

			if (reservation_queue_is_vfio(q) == r)
				continue;
			if (pending_ok && r && !q->driver_override[0])
				continue;
			if (ret_stray)
				*ret_stray = (apqn){ (uint8_t)a->id, (uint8_t)q->apqi };
			return false;
		}
	}
	return true;
}

static bool masks_fit(const struct host *h, const ap_mask *apmask, const ap_mask *aqmask,
		      apqn *ret_stray)
{
	return masks_fit_pending(h, apmask, aqmask, false, ret_stray);
}

void reservation_from_overrides(const struct host *h, ap_mask *ret_apmask, ap_mask *ret_aqmask,
				bool *ret_fits, apqn *ret_stray)
{
	ap_mask seen_d, host_d, apmask, aqmask;

	ap_mask_zero(&seen_d);
	ap_mask_zero(&host_d);
	for (size_t i = 0; i < h->n_adapters; i++)
		for (size_t k = 0; k < h->adapters[i].n_queues; k++) {
			const struct host_queue *q = &h->adapters[i].queues[k];

			ap_mask_set(&seen_d, q->apqi);
			if (!reservation_queue_is_vfio(q))
				ap_mask_set(&host_d, q->apqi);
		}
	/* Domains first: a domain's queues span adapters, an adapter's are its own. */
	ap_mask_fill(&aqmask);
	AP_MASK_FOREACH(d, &seen_d)
		if (!ap_mask_test(&host_d, (unsigned int)d))
			ap_mask_clear(&aqmask, (unsigned int)d);
	ap_mask_fill(&apmask);
	for (size_t i = 0; i < h->n_adapters; i++) {
		const struct host_adapter *a = &h->adapters[i];
		bool all = a->n_queues > 0, covered = true;

		for (size_t k = 0; k < a->n_queues; k++) {
			all = all && reservation_queue_is_vfio(&a->queues[k]);
			covered = covered && !ap_mask_test(&aqmask, a->queues[k].apqi);
		}
		if (all && !covered)
			ap_mask_clear(&apmask, a->id);
	}
	*ret_fits = masks_fit(h, &apmask, &aqmask, ret_stray);
	*ret_apmask = apmask;
	*ret_aqmask = aqmask;
}

/* The first queue with an override (naming vfio_ap, when vfio): its APQN in *ret. */
static const struct host_queue *find_override(const struct host *h, bool vfio, apqn *ret)
{
	for (size_t i = 0; i < h->n_adapters; i++)
		for (size_t k = 0; k < h->adapters[i].n_queues; k++) {
			const struct host_queue *q = &h->adapters[i].queues[k];

			if (!q->driver_override[0] || (vfio && !reservation_queue_is_vfio(q)))
				continue;
			if (ret)
				*ret = (apqn){ (uint8_t)h->adapters[i].id, (uint8_t)q->apqi };
			return q;
		}
	return NULL;
}

void reservation_settle(struct host *h)
{
	bool full = ap_mask_is_full(&h->bus_apmask) && ap_mask_is_full(&h->bus_aqmask);
	bool any = find_override(h, false, NULL) != NULL;
	enum reservation_mode was = h->reservation;
	bool fits;
	apqn stray;

	if (any && !full)
		h->reservation = RESERVATION_MIXED;
	else if (any)
		h->reservation = RESERVATION_DRIVER_OVERRIDE;
	else if (!full)
		h->reservation = RESERVATION_MASKS;
	else if (!h->reservation_known)
		h->reservation =
			preference == RESERVATION_PREFER_DRIVER_OVERRIDE && h->has_driver_override ?
				RESERVATION_DRIVER_OVERRIDE :
				RESERVATION_MASKS;
	/* else: all ones and no override fit both: the mode stays what it was. */
	if (h->reservation_known && was != h->reservation)
		log_warning("The host's AP queue reservation changed from %s to %s",
			    reservation_mode_to_string(was),
			    reservation_mode_to_string(h->reservation));
	h->reservation_known = true;
	h->override_stray = false;
	if (h->reservation != RESERVATION_DRIVER_OVERRIDE) {
		h->apmask = h->bus_apmask;
		h->aqmask = h->bus_aqmask;
		return;
	}
	/* The virtual masks stand while they still describe the overrides. */
	if (h->virtual_known && masks_fit_pending(h, &h->apmask, &h->aqmask, true, NULL))
		return;
	reservation_from_overrides(h, &h->apmask, &h->aqmask, &fits, &stray);
	h->virtual_known = true;
	if (!fits) {
		char s[APQN_STR_MAX];

		h->override_stray = true;
		h->stray = stray;
		log_warning(
			"Queue %s's driver_override does not follow its adapter's and domain's "
			"reservation; apmatrixd treats it as %s",
			apqn_to_string(stray, s),
			reservation_queue_reserved(&h->apmask, &h->aqmask, stray.apid, stray.apqi) ?
				"reserved" :
				"the host's");
	}
}

int reservation_first_kept(const struct host *h, const ap_mask *apmask, const ap_mask *aqmask,
			   const ap_matrix *m, apqn *ret, const char **ret_why)
{
	AP_MASK_FOREACH(a, &m->apm) {
		AP_MASK_FOREACH(d, &m->aqm) {
			apqn qn = { (uint8_t)a, (uint8_t)d };
			const struct host_queue *q = host_find_queue(h, qn);
			bool kept;
			const char *why;

			switch (h->reservation) {
			case RESERVATION_MIXED:
				/* As the bus probes: a queue's override first, else the masks. */
				if (q && q->driver_override[0]) {
					kept = !reservation_queue_is_vfio(q);
					why = "is reserved for the host (its driver_override names "
					      "another driver)";
					break;
				}
				kept = !reservation_queue_reserved(apmask, aqmask, qn.apid,
								   qn.apqi);
				why = "is reserved for the host (apmask/aqmask)";
				break;
			case RESERVATION_DRIVER_OVERRIDE:
				kept = !reservation_queue_reserved(apmask, aqmask, qn.apid,
								   qn.apqi);
				why = "is reserved for the host (no driver_override vfio_ap); "
				      "reserve its adapter or domain first";
				if (!kept && !q) {
					kept = true;
					why = "has no queue device, and with driver_override only a "
					      "queue that exists can be given to vfio_ap";
				}
				break;
			default:
				kept = !reservation_queue_reserved(apmask, aqmask, qn.apid,
								   qn.apqi);
				why = "is reserved for the host (apmask/aqmask); reserve its "
				      "adapter or domain first";
				break;
			}
			if (kept) {
				*ret = qn;
				*ret_why = why;
				return 1;
			}
		}
	}
	return 0;
}

const char *reservation_describe_mixed(const struct host *h, char *buf, size_t size)
{
	const struct host_queue *q;
	char s[APQN_STR_MAX];
	apqn qn = { 0, 0 };

	q = find_override(h, true, &qn);
	if (!q)
		q = find_override(h, false, &qn);
	snprintf(buf, size,
		 "the host mixes both ways of reserving AP queues: %s is not all ones while "
		 "queue %s has driver_override \"%s\"; set apmask and aqmask to all ones or "
		 "clear every driver_override first",
		 ap_mask_is_full(&h->bus_apmask) ? "aqmask" : "apmask",
		 q ? apqn_to_string(qn, s) : "?", q ? q->driver_override : "");
	return buf;
}

void reservation_carry(struct host *h, const struct host *prev)
{
	if (!prev || prev->reservation != RESERVATION_DRIVER_OVERRIDE || !prev->virtual_known)
		return;
	/* All ones and no override fit both modes: the mode stays. */
	if (h->reservation == RESERVATION_MASKS && !find_override(h, false, NULL) &&
	    ap_mask_is_full(&h->bus_apmask) && ap_mask_is_full(&h->bus_aqmask))
		h->reservation = RESERVATION_DRIVER_OVERRIDE;
	if (h->reservation != RESERVATION_DRIVER_OVERRIDE ||
	    !masks_fit_pending(h, &prev->apmask, &prev->aqmask, true, NULL))
		return;
	h->apmask = prev->apmask;
	h->aqmask = prev->aqmask;
	h->virtual_known = true;
	h->override_stray = false;
}

bool reservation_has_pending(const struct host *h)
{
	for (size_t i = 0; h->reservation == RESERVATION_DRIVER_OVERRIDE && i < h->n_adapters; i++)
		for (size_t k = 0; k < h->adapters[i].n_queues; k++) {
			const struct host_queue *q = &h->adapters[i].queues[k];

			if (!q->driver_override[0] &&
			    reservation_queue_reserved(&h->apmask, &h->aqmask, h->adapters[i].id,
						       q->apqi))
				return true;
		}
	return false;
}

void reservation_read_back(const struct host *now, const ap_mask *apmask_want,
			   const ap_mask *aqmask_want, ap_mask *ret_apmask, ap_mask *ret_aqmask)
{
	bool fits;
	apqn stray;

	*ret_apmask = *apmask_want;
	*ret_aqmask = *aqmask_want;
	if (!masks_fit(now, apmask_want, aqmask_want, NULL))
		reservation_from_overrides(now, ret_apmask, ret_aqmask, &fits, &stray);
}
