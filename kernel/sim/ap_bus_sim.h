/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ap_bus_sim: the s390 AP bus and AP hardware in user space, for the
 * vfio_ap core's simulator build. It implements the AP bus API of
 * include/ap_bus.h and the AP instructions of include/asm/ap.h, and adds a
 * control API (ap_sim_*) for apsim and the tests.
 *
 * Model: installed cards (hardware); the host configuration (QCI: apm, aqm,
 * adm, apxa, na, nd); a queue device exists for every installed card whose
 * adapter and domain are in the configuration. apmask/aqmask decide whether
 * a queue binds to the host driver ("cex4queue") or to the registered
 * vfio_ap driver. Changing the configuration runs a bus scan synchronously:
 * on_config_changed, remove/add devices, on_scan_complete.
 *
 * All functions return 0 or a negative errno unless stated otherwise. They
 * may call into the vfio_ap driver (probe/remove/in_use/scan callbacks), so
 * they must not be called with any vfio_ap lock held.
 */
#ifndef _AP_BUS_SIM_H
#define _AP_BUS_SIM_H

#include <linux/types.h>
#include <asm/ap.h>
#include "ap_bus.h"

enum ap_sim_mode {
	AP_SIM_MODE_CCA,
	AP_SIM_MODE_EP11,
	AP_SIM_MODE_ACCEL,
};

enum ap_sim_driver {
	AP_SIM_DRIVER_NONE, /* no device, or not bound */
	AP_SIM_DRIVER_HOST, /* the default (zcrypt) driver, "cex4queue" */
	AP_SIM_DRIVER_VFIO, /* vfio_ap */
};

/*
 * Events for apsim's uevents; delivered synchronously by the thread that made
 * the change, with the bus's scan mutex held (no vfio_ap lock): from the hook
 * call only ap_sim_queue_state(), ap_sim_bindings() and the *_show functions.
 */
enum ap_sim_event_type {
	AP_SIM_EV_CARD_ADD,
	AP_SIM_EV_CARD_REMOVE,
	AP_SIM_EV_QUEUE_ADD,
	AP_SIM_EV_QUEUE_REMOVE,
	AP_SIM_EV_QUEUE_BIND, /* driver changed; see .driver */
	AP_SIM_EV_APMASK, /* apmask changed */
	AP_SIM_EV_AQMASK, /* aqmask changed */
	AP_SIM_EV_SCAN_DONE, /* a bus scan finished */
	AP_SIM_EV_CARD_CHKSTOP,
};

struct ap_sim_event {
	enum ap_sim_event_type type;
	int card; /* -1 if not about a card/queue */
	int domain; /* -1 if not about a queue */
	enum ap_sim_driver driver;
	bool value; /* CHKSTOP: the new state */
};

typedef void (*ap_sim_event_hook_t)(const struct ap_sim_event *ev, void *userdata);

struct ap_sim_queue_state {
	bool exists; /* a queue device exists */
	enum ap_sim_driver driver;
	bool chkstop;
	bool irq_enabled;
	u8 isc;
	unsigned int resets; /* number of ZAPQ/RAPQ issued */
	u8 reset_rc; /* response code the next reset ends with */
	bool reset_pending; /* reset issued, not yet completed by TAPQ */
	bool config; /* the card is configured (SCLP), see ap_sim_card_set_config() */
};

/*
 * Start with no cards, APXA on (na = nd = 255), empty configuration and
 * apmask/aqmask all ones (everything reserved for the host, like Linux).
 */
int ap_sim_init(void);
/* Remove every device (driver remove callbacks run) and reset all state. */
void ap_sim_exit(void);

void ap_sim_set_event_hook(ap_sim_event_hook_t hook, void *userdata);

/* Hardware: install/remove a card (devices follow the configuration). */
int ap_sim_card_install(unsigned int card, int hwtype, enum ap_sim_mode mode);
int ap_sim_card_uninstall(unsigned int card);
bool ap_sim_card_installed(unsigned int card, int *ret_hwtype, enum ap_sim_mode *ret_mode);
int ap_sim_card_set_chkstop(unsigned int card, bool chkstop);
/*
 * SCLP configure/deconfigure (the card's "config" attribute): the card and
 * its queue devices stay (and stay bound), the adapter stays in the QCI, but
 * the AP instructions answer AP_RESPONSE_DECONFIGURED for its queues, so a
 * reset fails and vfio_ap filters the adapter out at its next update.
 * -ENOENT if the card is not installed. No event: the caller (apsim's card
 * "config" store) sends the change uevent itself.
 */
int ap_sim_card_set_config(unsigned int card, bool on);
/* Card state; -ENOENT if not installed. Either pointer may be NULL. */
int ap_sim_card_state(unsigned int card, bool *ret_config, bool *ret_chkstop);

/*
 * Host configuration (QCI). set_config runs one bus scan. The ids helpers
 * change one adapter/domain/control domain and scan once.
 */
void ap_sim_get_config(struct ap_config_info *ret_info);
int ap_sim_set_config(const struct ap_config_info *info);
int ap_sim_config_adapter(unsigned int card, bool on);
int ap_sim_config_domain(unsigned int domain, bool on);
int ap_sim_config_control_domain(unsigned int domain, bool on);
/* Helpers for struct ap_config_info's MSB-first u32 masks. */
void ap_sim_info_set(unsigned int *mask, unsigned int id, bool on);
bool ap_sim_info_test(const unsigned int *mask, unsigned int id);

/*
 * apmask/aqmask sysfs semantics: show writes "0x<64 hex>\n"; store takes
 * the absolute or the relative (+N,-A-B) form, -EINVAL on bad input,
 * -EBUSY if vfio_ap's in_use refuses, and re-binds queues on a change.
 * ret_changed (may be NULL) tells whether the mask changed.
 */
ssize_t ap_sim_apmask_show(char *buf);
ssize_t ap_sim_aqmask_show(char *buf);
int ap_sim_apmask_store(const char *buf, size_t count, bool *ret_changed);
int ap_sim_aqmask_store(const char *buf, size_t count, bool *ret_changed);

/* The same with the final 256-bit MSB-first mask (already parsed). */
int ap_sim_set_apmask(const unsigned long *mask, bool *ret_changed);
int ap_sim_set_aqmask(const unsigned long *mask, bool *ret_changed);

int ap_sim_queue_state(unsigned int apqn, struct ap_sim_queue_state *ret_state);
/* Fault injection: the next resets of @apqn end with @rc after @polls TAPQs. */
int ap_sim_queue_set_reset_fault(unsigned int apqn, u8 rc, unsigned int polls);
/*
 * For the next @ms milliseconds ZAPQ on @apqn is not executed and answers
 * @rc: AP_RESPONSE_BUSY, AP_RESPONSE_RESET_IN_PROGRESS (a reset the
 * driver did not issue runs; TAPQ answers it too) or
 * AP_RESPONSE_STATE_CHANGE_IN_PROGRESS (an SE bind state change). @ms 0
 * clears.
 */
int ap_sim_queue_set_zapq_busy(unsigned int apqn, u8 rc, unsigned int ms);
/* ZAPQs answered BUSY or RESET_IN_PROGRESS (not executed) on @apqn. */
unsigned int ap_sim_queue_zapq_refused(unsigned int apqn);
/* Counters: bus scans, queues bound to any driver / existing queues. */
unsigned int ap_sim_scans(void);
/* ZAPQ/RAPQ executed on every queue since apsim started (refused ones not counted). */
unsigned long ap_sim_resets_total(void);
void ap_sim_bindings(unsigned int *ret_bound, unsigned int *ret_total);
/*
 * Hold: queues stay unbound (no driver probes them), as on a host booting
 * before the AP bus bound its queues; release: they bind as the masks say,
 * then a scan-done event (the listener sends BINDINGS=complete).
 */
void ap_sim_set_hold_bindings(bool hold);

/*
 * Linux 6.19's per-queue driver_override. A store sets or (empty, a lone
 * newline) clears the name of the only driver that may bind the queue; it
 * does not rebind (unbind and probe do: ap_sim_queue_unbind(),
 * ap_sim_queue_probe()). It fails with -EINVAL while apmask or aqmask is not
 * all ones, unless force (a kernel with d38a87d7c064 but without 46030379f13c
 * "Restrict driver_override versus apmask and aqmask use": how a host ends up
 * with both); mask stores fail with -EBUSY while any queue has an override.
 * Names are at most AP_SIM_OVERRIDE_MAX - 1 bytes (-EINVAL beyond).
 */
#define AP_SIM_OVERRIDE_MAX 32
int ap_sim_queue_override_store(unsigned int apqn, const char *buf, size_t len, bool force);
int ap_sim_queue_override(unsigned int apqn, char ret_name[static AP_SIM_OVERRIDE_MAX]);
/* The driver's unbind file: -ENODEV unless drv has the queue. */
int ap_sim_queue_unbind(unsigned int apqn, enum ap_sim_driver drv);
/*
 * drv: the driver's bind file (-EBUSY when bound, -ENODEV when its override
 * or the masks want another driver); AP_SIM_DRIVER_NONE: the bus's
 * drivers_probe (binds an unbound queue to the driver it wants).
 */
int ap_sim_queue_probe(unsigned int apqn, enum ap_sim_driver drv);

#endif
