// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The pure parts of the reservation modes (daemon/reservation.h): which
 * mode a host is in, the virtual masks read back from queue overrides, and
 * which APQN of a matrix the host keeps in each mode. tests/dbus/
 * test-reservation.sh drives them end to end on apsim's 6.19.
 */
#include <stdlib.h>
#include <string.h>

#include "host.h"
#include "reservation.h"
#include "tap.h"

/* A host with adapters 1 and 2, domains 0-3; overrides from a 2x4 table ("v": vfio_ap). */
static struct host h;
static struct host_adapter ad[2];
static struct host_queue qs[2][4];

static void host_with(const char *ovr)
{
	memset(&h, 0, sizeof(h));
	memset(qs, 0, sizeof(qs));
	for (unsigned int a = 0; a < 2; a++) {
		ad[a] = (struct host_adapter){ .id = a + 1, .queues = qs[a], .n_queues = 4 };
		for (unsigned int d = 0; d < 4; d++) {
			char c = ovr[a * 4 + d];

			qs[a][d].apqi = d;
			snprintf(qs[a][d].driver_override, sizeof(qs[a][d].driver_override), "%s",
				 c == 'v' ? "vfio_ap" :
				 c == 'h' ? "cex4queue" :
					    "");
		}
	}
	h.adapters = ad;
	h.n_adapters = 2;
	h.matrix_fd = -1;
	ap_mask_fill(&h.bus_apmask);
	ap_mask_fill(&h.bus_aqmask);
	h.has_driver_override = true;
}

static bool kept_by(const ap_mask *m, unsigned int id)
{
	return ap_mask_test(m, id);
}

static void test_derivation_domains_first(void)
{
	ap_mask apm, aqm;
	bool fits;
	apqn stray;

	/* Adapter 1 whole, domain 3 on both: ....|...v over 1: vvvv */
	host_with("vvvv...v");
	reservation_from_overrides(&h, &apm, &aqm, &fits, &stray);
	tap_ok(fits, "adapter 1 and domain 3 describe the overrides");
	tap_ok(!kept_by(&apm, 1) && kept_by(&apm, 2), "adapter 1 reserved, adapter 2 not");
	tap_ok(!kept_by(&aqm, 3) && kept_by(&aqm, 0), "domain 3 reserved, domain 0 not");
	/* Domains 2 and 3 on both adapters: no adapter is needed. */
	host_with("..vv..vv");
	reservation_from_overrides(&h, &apm, &aqm, &fits, &stray);
	tap_ok(fits && kept_by(&apm, 1) && kept_by(&apm, 2) && !kept_by(&aqm, 2) &&
		       !kept_by(&aqm, 3),
	       "domains 2 and 3, no adapter");
	/* Every queue: domains, which cover the adapters too. */
	host_with("vvvvvvvv");
	reservation_from_overrides(&h, &apm, &aqm, &fits, &stray);
	tap_ok(fits && kept_by(&apm, 1) && kept_by(&apm, 2), "all queues read as all domains");
	/* Domains that have no queue stay the host's. */
	tap_ok(kept_by(&aqm, 9), "a domain without queues is not reserved");
}

static void test_derivation_stray(void)
{
	ap_mask apm, aqm;
	bool fits = true;
	apqn stray = { 0, 0 };

	host_with(".v......");
	reservation_from_overrides(&h, &apm, &aqm, &fits, &stray);
	tap_ok(!fits, "one queue alone fits no adapter or domain");
	tap_ok(stray.apid == 1 && stray.apqi == 1, "the stray is 01.0001");
	/* An override naming another driver is the host's. */
	host_with("vvvh....");
	reservation_from_overrides(&h, &apm, &aqm, &fits, &stray);
	tap_ok(kept_by(&apm, 1), "cex4queue on one queue: adapter 1 not reserved");
}

static void test_settle_modes(void)
{
	host_with("........");
	reservation_set_preference(RESERVATION_PREFER_AUTO);
	reservation_settle(&h);
	tap_is_str(reservation_mode_to_string(h.reservation), "masks", "blank host, auto: masks");
	host_with("........");
	reservation_set_preference(RESERVATION_PREFER_DRIVER_OVERRIDE);
	reservation_settle(&h);
	tap_is_str(reservation_mode_to_string(h.reservation), "driver_override",
		   "blank host, driver-override preferred");
	host_with("........");
	h.has_driver_override = false;
	reservation_settle(&h);
	tap_is_str(reservation_mode_to_string(h.reservation), "masks",
		   "preferred but the kernel has no driver_override: masks");
	reservation_set_preference(RESERVATION_PREFER_AUTO);
	host_with("vvvv....");
	reservation_settle(&h);
	tap_is_str(reservation_mode_to_string(h.reservation), "driver_override",
		   "overrides: driver_override whatever the preference");
	tap_ok(!kept_by(&h.apmask, 1), "its virtual masks reserve adapter 1");
	host_with("..v.....");
	ap_mask_clear(&h.bus_apmask, 2);
	reservation_settle(&h);
	tap_is_str(reservation_mode_to_string(h.reservation), "mixed", "a mask and an override");
	host_with("........");
	ap_mask_clear(&h.bus_aqmask, 5);
	reservation_settle(&h);
	tap_is_str(reservation_mode_to_string(h.reservation), "masks", "a mask only: masks");
}

static void test_settle_keeps_fitting_virtual_masks(void)
{
	/* Adapter 1 reserved by apmatrixd, on a host whose adapter 1 has one domain only. */
	host_with("vvvv....");
	reservation_settle(&h);
	ap_mask_fill(&h.apmask);
	ap_mask_fill(&h.aqmask);
	ap_mask_clear(&h.apmask, 1);
	ap_mask_clear(&h.aqmask, 7); /* no queue: changes no override */
	reservation_settle(&h);
	tap_ok(!kept_by(&h.aqmask, 7), "virtual masks that still fit are kept as they are");
	/* A reserved queue without override is one to claim (new, or cleared): still fits. */
	qs[0][0].driver_override[0] = 0;
	reservation_settle(&h);
	tap_ok(!kept_by(&h.aqmask, 7) && reservation_has_pending(&h),
	       "a reserved queue without override: kept, and pending");
	snprintf(qs[0][0].driver_override, sizeof(qs[0][0].driver_override), "cex4queue");
	reservation_settle(&h);
	tap_ok(kept_by(&h.aqmask, 7), "an override to another driver behind our back: read back");
}

static void test_first_kept(void)
{
	ap_matrix m = { 0 };
	const char *why = NULL;
	apqn q = { 0, 0 };

	host_with("vvvv....");
	reservation_settle(&h);
	ap_mask_set(&m.apm, 1);
	ap_mask_set(&m.aqm, 2);
	tap_ok(!reservation_first_kept(&h, &h.apmask, &h.aqmask, &m, &q, &why),
	       "01.0002 with its override is vfio_ap's");
	ap_mask_set(&m.apm, 2);
	tap_ok(reservation_first_kept(&h, &h.apmask, &h.aqmask, &m, &q, &why) == 1 && q.apid == 2 &&
		       q.apqi == 2 && strstr(why, "driver_override"),
	       "02.0002 without one is the host's, and the reason says driver_override");
	ap_mask_zero(&m.apm);
	ap_mask_set(&m.apm, 1);
	ap_mask_set(&m.aqm, 9);
	tap_ok(reservation_first_kept(&h, &h.apmask, &h.aqmask, &m, &q, &why) == 1 && q.apqi == 9 &&
		       strstr(why, "no queue device"),
	       "01.0009 is reserved but has no queue: refused, saying so");
	/* Mixed: the override first, else the masks. */
	host_with("..v.....");
	ap_mask_clear(&h.bus_apmask, 2);
	reservation_settle(&h);
	m = (ap_matrix){ 0 };
	ap_mask_set(&m.apm, 1);
	ap_mask_set(&m.aqm, 2);
	tap_ok(!reservation_first_kept(&h, &h.apmask, &h.aqmask, &m, &q, &why),
	       "mixed: 01.0002's override gives it to vfio_ap");
	ap_mask_set(&m.aqm, 1);
	tap_ok(reservation_first_kept(&h, &h.apmask, &h.aqmask, &m, &q, &why) == 1 && q.apqi == 1,
	       "mixed: 01.0001 (no override, masks: host's) is kept");
	m = (ap_matrix){ 0 };
	ap_mask_set(&m.apm, 2);
	ap_mask_set(&m.aqm, 1);
	tap_ok(!reservation_first_kept(&h, &h.apmask, &h.aqmask, &m, &q, &why),
	       "mixed: 02.0001 (apmask reserves adapter 2) is vfio_ap's");
}

static void test_preference_names(void)
{
	enum reservation_preference p;

	tap_ok(reservation_preference_from_string("driver-override", &p) == 0 &&
		       p == RESERVATION_PREFER_DRIVER_OVERRIDE,
	       "driver-override");
	tap_ok(reservation_preference_from_string("masks", &p) == 0 &&
		       p == RESERVATION_PREFER_MASKS,
	       "masks");
	tap_ok(reservation_preference_from_string("override", &p) == -EINVAL,
	       "anything else: EINVAL");
}

int main(void)
{
	tap_subtest(test_derivation_domains_first);
	tap_subtest(test_derivation_stray);
	tap_subtest(test_settle_modes);
	tap_subtest(test_settle_keeps_fitting_virtual_masks);
	tap_subtest(test_first_kept);
	tap_subtest(test_preference_names);
	return tap_done();
}
