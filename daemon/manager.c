// SPDX-License-Identifier: GPL-2.0-or-later
#include <errno.h>
#include <limits.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <systemd/sd-daemon.h>

#include "apply.h"
#include "foreign.h"
#include "inhibit.h"
#include "journal.h"
#include "config.h"
#include "libvirt.h"
#include "log.h"
#include "manager-dbus.h"
#include "manager.h"
#include "sysfs-format.h"
#include "udev.h"

int manager_new(const struct manager_config *config, Manager **ret)
{
	Manager *m = calloc(1, sizeof(*m));
	int r;

	if (!m)
		return -ENOMEM;
	m->config.batch_window_usec = config->batch_window_usec;
	m->config.batch_policy = config->batch_policy;
	m->config.pacing_usec = config->pacing_usec;
	m->config.gather_usec = config->gather_usec;
	m->config.enforce = config->enforce;
	m->config.write_iface_max = config->write_iface_max;
	m->config.state_dir = strdup(config->state_dir ? config->state_dir : STATE_DIR_DEFAULT);
	m->config.lock_path = strdup(config->lock_path ? config->lock_path : AP_LOCK_PATH_DEFAULT);
	m->config.libvirt_uri = config->libvirt_uri ? strdup(config->libvirt_uri) : NULL;
	m->config.lock_timeout_usec = config->lock_timeout_usec;
	m->config.mdevctl_dir =
		strdup(config->mdevctl_dir ? config->mdevctl_dir : MDEVCTL_DIR_DEFAULT);
	if (!m->config.state_dir || !m->config.lock_path || !m->config.mdevctl_dir ||
	    (config->libvirt_uri && !m->config.libvirt_uri)) {
		manager_free(m);
		return -ENOMEM;
	}
	r = sd_event_default(&m->event);
	if (r < 0) {
		manager_free(m);
		return r;
	}
	*ret = m;
	return 0;
}

Manager *manager_free(Manager *m)
{
	if (!m)
		return NULL;
	inhibit_free(m);
	sender_queue_done(&m->queue);
	sd_event_source_disable_unref(m->batch_timer);
	sd_event_source_disable_unref(m->rescan_timer);
	sd_event_source_disable_unref(m->lock_timer);
	sd_event_source_disable_unref(m->lock_watch);
	if (m->lock_held)
		ap_lock_release(m->config.lock_path);
	sd_event_source_disable_unref(m->health_timer);
	sd_event_source_disable_unref(m->autostart.timer);
	if (m->libvirt)
		libvirt_follower_free((LibvirtFollower *)m->libvirt);
	udev_watch_free(m->udev);
	for (size_t i = 0; i < m->n_devices; i++)
		device_free(m->devices[i]);
	free(m->devices);
	host_free(m->host);
	store_free(m->store);
	free(m->host_json);
	free(m->recovery);
	free(m->health_last);
	free(m->guests_seen);
	sd_bus_flush_close_unref(m->bus);
	sd_event_unref(m->event);
	free(m->config.state_dir);
	free(m->config.lock_path);
	free(m->config.mdevctl_dir);
	free(m->config.libvirt_uri);
	free(m);
	return NULL;
}

Device *manager_find_device(Manager *m, const char *uuid)
{
	for (size_t i = 0; i < m->n_devices; i++)
		if (strcmp(m->devices[i]->uuid, uuid) == 0)
			return m->devices[i];
	return NULL;
}

int manager_add_device(Manager *m, const char *uuid, Device **ret)
{
	Device *d;
	int r;

	if (m->n_devices == m->allocated_devices) {
		size_t n = m->allocated_devices ? m->allocated_devices * 2 : 16;
		Device **nd = reallocarray(m->devices, n, sizeof(*nd));

		if (!nd)
			return -ENOMEM;
		m->devices = nd;
		m->allocated_devices = n;
	}
	r = device_new(m, uuid, &d);
	if (r < 0)
		return r;
	for (size_t i = 0; i < m->n_guests_seen; i++)
		if (strcmp(m->guests_seen[i].uuid, uuid) == 0) {
			d->guest_state = m->guests_seen[i].state;
			snprintf(d->libvirt_guest, sizeof(d->libvirt_guest), "%s",
				 m->guests_seen[i].name);
		}
	m->devices[m->n_devices++] = d;
	*ret = d;
	return 0;
}

void manager_drop_device(Manager *m, Device *d)
{
	for (size_t i = 0; i < m->n_devices; i++) {
		if (m->devices[i] != d)
			continue;
		memmove(m->devices + i, m->devices + i + 1,
			(m->n_devices - i - 1) * sizeof(*m->devices));
		m->n_devices--;
		manager_emit_device_removed(m, d->uuid, d->path);
		device_free(d);
		return;
	}
}

static int load_definition(const struct definition *def, void *userdata)
{
	Manager *m = userdata;
	Device *d;
	int r;

	r = manager_add_device(m, def->uuid, &d);
	if (r < 0)
		return r;
	d->defined = true;
	d->def = *def;
	return 0;
}

static void host_changed(Manager *m)
{
	_cleanup_json_ struct json_object *j = host_to_json(m->host);
	const char *s = j ? json_object_to_json_string_ext(
				    j, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE) :
			    NULL;

	if (!s || (m->host_json && strcmp(s, m->host_json) == 0))
		return;
	free(m->host_json);
	m->host_json = strdup(s);
	if (m->ready)
		manager_emit_host_changed(m, s);
}

/* Make the devices follow m->host; signals only for devices whose view changed. */
static int sync_devices(Manager *m)
{
	struct host *h = m->host;
	int r;

	/* Queues that appeared in a reserved adapter or domain (driver_override). */
	(void)apply_claim_queues(m->config.lock_path, m->lock_held, m->host);

	for (size_t i = 0; i < h->n_mdevs; i++) {
		const struct host_mdev *md = &h->mdevs[i];
		Device *d = manager_find_device(m, md->uuid);
		bool added = false, changed;

		if (!d) {
			r = manager_add_device(m, md->uuid, &d);
			if (r < 0)
				return r;
			added = true;
		}
		changed = added || !d->active || !ap_matrix_equal(&d->kern, &md->m) ||
			  !ap_matrix_equal(&d->guestm, &md->guest) || d->attached != md->attached;
		d->active = true;
		d->kern = md->m;
		d->guestm = md->guest;
		d->attached = md->attached;
		if (manager_refresh_owner(m, d))
			changed = true;
		if (added && m->ready)
			manager_emit_device_added(m, d);
		if (changed && m->ready)
			manager_emit_device_changed(m, d, true);
	}
	for (size_t i = 0; i < m->n_devices;) {
		Device *d = m->devices[i];

		if (!d->active || host_find_mdev(h, d->uuid)) {
			i++;
			continue;
		}
		d->active = false;
		d->attached = false;
		d->kern = d->guestm = (ap_matrix){ 0 };
		if (!d->defined) {
			manager_drop_device(m, d);
			continue;
		}
		if (m->ready)
			manager_emit_device_changed(m, d, true);
		i++;
	}
	host_changed(m);
	manager_reconcile(m);
	return 0;
}

static void apply_iface_limit(Manager *m, struct host *h)
{
	if (m->config.write_iface_max < WRITE_AP_CONFIG_BATCH)
		h->has_ap_config_batch = false;
	if (m->config.write_iface_max < WRITE_AP_CONFIG)
		h->has_ap_config = false;
}

int manager_rescan(Manager *m)
{
	struct host *h = NULL;
	int r;

	/* A full rescan follows the matrix device's events: the driver may have come or changed. */
	{
		struct kernel_caps k;

		r = kernel_caps_probe(&k);
		if (r < 0)
			return log_error_errno(r, "Failed to probe the kernel's AP capabilities");
		kernel_caps_log(&k, m->kcaps_valid ? &m->kcaps : NULL);
		m->kcaps = k;
		m->kcaps_valid = true;
	}
	r = host_scan(&m->kcaps, &h);
	if (r < 0)
		return r;
	apply_iface_limit(m, h);
	reservation_carry(h, m->host);
	host_free(m->host);
	m->host = h;
	m->stats.rescans++;
	m->dirty = (struct dirty){ 0 };
	r = sync_devices(m);
	if (h->n_mdevs > 64)
		malloc_trim(0);
	return r;
}

/* Re-read only what the uevents named. */

/* The card a uevent's DEVPATH names: "/devices/ap/cardXX" or a queue below it. */
static int uevent_card_of(const char *devpath, unsigned int *ret_apid)
{
	static const char prefix[] = "/devices/ap/";
	const char *name, *slash;

	if (strncmp(devpath, prefix, sizeof(prefix) - 1) != 0)
		return -EINVAL;
	name = devpath + sizeof(prefix) - 1;
	slash = strchr(name, '/');
	return ap_card_name_parse(name, slash ? (size_t)(slash - name) : strlen(name), ret_apid);
}

static int manager_refresh(Manager *m)
{
	struct dirty d = m->dirty;
	int r;

	m->dirty = (struct dirty){ 0 };
	if (d.full || !m->host)
		return manager_rescan(m);
	m->stats.refreshes++;
	if (d.masks || !ap_mask_is_empty(&d.cards)) {
		r = host_refresh_masks(m->host);
		if (r < 0)
			return manager_rescan(m);
	}
	AP_MASK_FOREACH(id, &d.cards) {
		r = host_rescan_adapter(m->host, (unsigned int)id);
		if (r < 0)
			return manager_rescan(m);
	}
	/*
	 * Cards and bindings decide what the guests really get: re-read the
	 * guest matrix of every mdev that uses a changed card (all, when the
	 * masks moved queues between drivers).
	 */
	if (d.masks || !ap_mask_is_empty(&d.cards))
		for (size_t i = 0; i < m->host->n_mdevs; i++) {
			const struct host_mdev *md = &m->host->mdevs[i];
			bool seen = false;

			if (!d.masks && !ap_mask_intersects(&md->m.apm, &d.cards))
				continue;
			for (size_t k = 0; k < d.n_mdevs && !seen; k++)
				seen = strcmp(d.mdevs[k], md->uuid) == 0;
			if (!seen && d.n_mdevs < DIRTY_MDEVS_MAX)
				snprintf(d.mdevs[d.n_mdevs++], sizeof(d.mdevs[0]), "%s", md->uuid);
			else if (!seen)
				return manager_rescan(m);
		}
	for (size_t i = 0; i < d.n_mdevs; i++) {
		r = host_refresh_mdev(m->host, d.mdevs[i]);
		if (r < 0)
			return manager_rescan(m);
	}
	return sync_devices(m);
}

void manager_note_uevent(Manager *m, const char *subsystem, const char *devpath, const char *action,
			 bool has_mask)
{
	struct dirty *d = &m->dirty;
	const char *p;
	unsigned int id;

	if (!subsystem || !devpath) {
		d->full = true;
	} else if (strcmp(subsystem, "mdev") == 0 && (p = strrchr(devpath, '/')) &&
		   strlen(p + 1) == UUID_STR_LEN) {
		bool seen = false;

		for (size_t i = 0; i < d->n_mdevs && !seen; i++)
			seen = strcmp(d->mdevs[i], p + 1) == 0;
		if (!seen && d->n_mdevs < DIRTY_MDEVS_MAX)
			snprintf(d->mdevs[d->n_mdevs++], sizeof(d->mdevs[0]), "%s", p + 1);
		else if (!seen)
			d->full = true;
	} else if (strcmp(subsystem, "ap") == 0 && strcmp(devpath, "/devices/ap") == 0) {
		/* APMASK=/AQMASK= change the masks; INITSCAN/BINDINGS say nothing new. */
		if (has_mask)
			d->masks = true;
	} else if (strcmp(subsystem, "ap") == 0 && uevent_card_of(devpath, &id) == 0) {
		ap_mask_set(&d->cards, id);
	} else {
		/* The matrix device (MDEV_STATE=registered) or anything unexpected. */
		d->full = true;
	}
	(void)action;
	manager_schedule_rescan(m);
}

bool manager_refresh_device_attached(Manager *m, Device *d)
{
	ap_matrix guest;
	bool attached = false, changed;

	if (!d->active)
		return false;
	/* Fresh guest matrix, then the status of one of its queues. */
	if (host_read_mdev_guest(m->host, d->uuid, &d->kern, &guest) < 0)
		return false;
	(void)host_read_attached(&guest, &attached);
	changed = attached != d->attached || !ap_matrix_equal(&guest, &d->guestm);
	d->attached = attached;
	d->guestm = guest;
	if (changed) {
		struct host_mdev md = { .m = d->kern, .guest = guest, .attached = attached };

		(void)host_put_mdev(m->host, d->uuid, &md);
		if (m->ready)
			manager_emit_device_changed(m, d, true);
	}
	return changed;
}

void manager_refresh_attached(Manager *m)
{
	for (size_t i = 0; i < m->n_devices; i++) {
		Device *d = m->devices[i];
		/* mdevctl's definitions come and go without an event: look at the foreign ones. */
		bool owner_changed = manager_refresh_owner(m, d);

		if (!manager_refresh_device_attached(m, d) && owner_changed && m->ready)
			manager_emit_device_changed(m, d, true);
	}
}

static uint64_t now_usec(Manager *m)
{
	uint64_t now = 0;

	(void)sd_event_now(m->event, CLOCK_MONOTONIC, &now);
	return now;
}

static int on_autostart_timeout(sd_event_source *s, uint64_t usec, void *userdata)
{
	Manager *m = userdata;

	m->autostart.timer = sd_event_source_disable_unref(m->autostart.timer);
	m->autostart.timed_out = true;
	manager_reconcile(m);
	return 0;
}

void manager_note_bindings_complete(Manager *m, uint64_t count)
{
	m->autostart.bindings_event = true;
	m->autostart.event_count = count;
	/* The refresh the uevent scheduled reconciles, and with it opens the gate. */
}

/*
 * Whether the AP bus has bound its queues (so an autostart does not race
 * the queue drivers at boot); *ret_reason says what told.
 */
static bool bindings_gate_open(Manager *m, const char **ret_reason)
{
	struct kernel_bindings b;

	if (m->autostart.bindings_event) {
		*ret_reason = "BINDINGS=complete";
		return true;
	}
	if (!m->kcaps.has[KFEAT_BINDINGS] && !m->kcaps.has[KFEAT_BINDINGS_COMPLETE_COUNT]) {
		*ret_reason = "the AP bus reports no bindings";
		return true;
	}
	(void)kernel_bindings_read(&m->kcaps, &b);
	/*
	 * The count survives the event: completed since boot, also before we
	 * listened. Where the bus has it, a momentary "complete" says less.
	 */
	if (b.has_count && b.count > 0) {
		*ret_reason = "bindings_complete_count";
		return true;
	}
	if (!b.has_count && b.complete) {
		*ret_reason = "bindings complete";
		return true;
	}
	if (m->autostart.timed_out) {
		*ret_reason = "timeout";
		return true;
	}
	return false;
}

static uint64_t autostart_timeout_usec(void)
{
	const char *e = getenv("APMATRIXD_BINDINGS_TIMEOUT_USEC");
	char *end;
	unsigned long long v;

	if (!e || !*e)
		return AUTOSTART_BINDINGS_TIMEOUT_USEC;
	errno = 0;
	v = strtoull(e, &end, 10);
	return errno || *end ? AUTOSTART_BINDINGS_TIMEOUT_USEC : (uint64_t)v;
}

/* Start the autostart devices once the gate is open; arm the timeout while it is not. */
static bool autostart_ready(Manager *m, size_t n_wanted)
{
	const char *reason = NULL;
	uint64_t now = now_usec(m);
	int r;

	if (n_wanted == 0) {
		m->autostart.reason = "no autostart devices";
		return true;
	}
	if (!bindings_gate_open(m, &reason)) {
		if (m->autostart.timer || m->autostart.timed_out)
			return false;
		m->autostart.timeout_usec = autostart_timeout_usec();
		log_info("Autostart of %zu device(s) waits for the AP bus to bind its queues "
			 "(BINDINGS=complete), at most %llu ms",
			 n_wanted, (unsigned long long)(m->autostart.timeout_usec / 1000));
		r = sd_event_add_time_relative(m->event, &m->autostart.timer, CLOCK_MONOTONIC,
					       m->autostart.timeout_usec, 1000,
					       on_autostart_timeout, m);
		if (r < 0) {
			log_warning_errno(r, "Failed to arm the bindings timeout, starting now");
			m->autostart.reason = "no timer";
			return true;
		}
		return false;
	}
	m->autostart.timer = sd_event_source_disable_unref(m->autostart.timer);
	m->autostart.reason = reason;
	m->autostart.waited_usec = now - m->autostart.since_usec;
	if (m->autostart.timed_out && strcmp(reason, "timeout") == 0)
		log_warning("The AP bus did not report its bindings complete within %llu ms: "
			    "starting %zu autostart device(s) anyway",
			    (unsigned long long)(m->autostart.timeout_usec / 1000), n_wanted);
	else
		log_info("AP bus bindings complete (%s) after %llu ms: starting %zu autostart "
			 "device(s)",
			 reason, (unsigned long long)(m->autostart.waited_usec / 1000), n_wanted);
	return true;
}

void manager_reconcile(Manager *m)
{
	bool autostart = false;
	size_t n_wanted = 0;

	/* The matrix parent appeared (or this is the first scan): time for autostart. */
	if (m->host->matrix_present && !m->matrix_seen) {
		m->matrix_seen = true;
		m->autostart.pending = true;
		m->autostart.timed_out = false;
		m->autostart.since_usec = now_usec(m);
		m->autostart.waited_usec = 0;
		m->autostart.reason = NULL;
	} else if (!m->host->matrix_present) {
		m->matrix_seen = false;
		m->autostart.pending = false;
		m->autostart.timer = sd_event_source_disable_unref(m->autostart.timer);
	}
	if (m->autostart.pending) {
		for (size_t i = 0; i < m->n_devices; i++)
			if (m->devices[i]->defined && m->devices[i]->def.autostart &&
			    !m->devices[i]->active)
				n_wanted++;
		autostart = autostart_ready(m, n_wanted);
		if (autostart) {
			m->autostart.pending = false;
			m->autostart.started = n_wanted;
		}
	}

	for (size_t i = 0; i < m->n_devices; i++) {
		Device *d = m->devices[i];
		bool drift = d->defined && d->active && !ap_matrix_equal(&d->kern, &d->def.m);

		if (drift != d->drift) {
			d->drift = drift;
			if (drift)
				log_warning("Device %s drifted: the kernel matrix differs from its "
					    "definition",
					    d->uuid);
			if (m->ready)
				manager_emit_device_changed(m, d, true);
		}
		if (!m->host->matrix_present)
			continue;
		/*
		 * Autostart once, when the matrix parent is there (at start or when
		 * it appears) and the AP bus has bound its queues, not whenever an
		 * autostart device is found stopped: StopDevice must stick.
		 * Enforce only when configured.
		 */
		if (autostart && d->defined && d->def.autostart && !d->active) {
			struct request *r = request_new(REQ_START, NULL, 0);

			if (r) {
				snprintf(r->uuid, sizeof(r->uuid), "%s", d->uuid);
				(void)manager_enqueue(m, r);
			}
		} else if (drift && m->config.enforce) {
			struct request *r = request_new(REQ_APPLY, NULL, 0);

			if (r && (r->entries = calloc(1, sizeof(*r->entries)))) {
				r->n_entries = 1;
				snprintf(r->entries[0].uuid, sizeof(r->entries[0].uuid), "%s",
					 d->uuid);
				r->entries[0].m = d->def.m;
				(void)manager_enqueue(m, r);
			} else
				request_free(r);
		}
	}
}

/* A queue's state before a refresh, to tell which queues changed. */
struct queue_seen {
	apqn qn;
	const char *state; /* static string of host_queue_state() */
};

static int queues_snapshot(const struct host *h, struct queue_seen **ret, size_t *ret_n)
{
	struct queue_seen *s;
	size_t n = 0;

	for (size_t i = 0; h && i < h->n_adapters; i++)
		n += h->adapters[i].n_queues;
	s = calloc(n ? n : 1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	n = 0;
	for (size_t i = 0; h && i < h->n_adapters; i++) {
		const struct host_adapter *a = &h->adapters[i];

		for (size_t k = 0; k < a->n_queues; k++)
			s[n++] = (struct queue_seen){
				.qn = { (uint8_t)a->id, (uint8_t)a->queues[k].apqi },
				.state = host_queue_state(&a->queues[k]),
			};
	}
	*ret = s;
	*ret_n = n;
	return 0;
}

/*
 * QueueStateChanged for each queue that was there before the refresh and
 * now has another state ("removed" when it is gone). A queue that appears
 * is news of HostChanged only.
 */
static void queues_compare(Manager *m, const struct queue_seen *before, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		const struct host_queue *q = host_find_queue(m->host, before[i].qn);
		const char *now = q ? host_queue_state(q) : "removed";

		if (strcmp(now, before[i].state) == 0)
			continue;
		log_debug("Queue %02x.%04x: %s -> %s", before[i].qn.apid, before[i].qn.apqi,
			  before[i].state, now);
		if (m->ready)
			manager_emit_queue_state_changed(m, before[i].qn, now);
	}
}

static struct json_object *autostart_to_json(Manager *m)
{
	struct json_object *o = json_object_new_object();
	const char *state = m->autostart.pending ? "waiting" :
			    m->matrix_seen	 ? "done" :
						   "no matrix device";
	uint64_t waited = m->autostart.pending ? now_usec(m) - m->autostart.since_usec :
						 m->autostart.waited_usec;

	if (!o)
		return NULL;
	json_object_object_add(o, "state", json_object_new_string(state));
	json_object_object_add(o, "reason",
			       m->autostart.reason ? json_object_new_string(m->autostart.reason) :
						     NULL);
	json_object_object_add(o, "waited_usec", json_object_new_int64((int64_t)waited));
	json_object_object_add(o, "started", json_object_new_int64((int64_t)m->autostart.started));
	json_object_object_add(o, "timeout_usec",
			       json_object_new_int64((int64_t)(m->autostart.timeout_usec ?:
								       autostart_timeout_usec())));
	return o;
}

static int on_rescan(sd_event_source *s, uint64_t usec, void *userdata)
{
	Manager *m = userdata;
	_cleanup_free_ struct queue_seen *before = NULL;
	size_t n = 0;
	int r;

	m->rescan_timer = sd_event_source_disable_unref(m->rescan_timer);
	r = queues_snapshot(m->host, &before, &n);
	if (r < 0)
		log_warning_errno(r, "Failed to record the queues' states, no QueueStateChanged "
				     "for this refresh");
	r = manager_refresh(m);
	if (r < 0)
		log_error_errno(r, "Rescan failed");
	if (before)
		queues_compare(m, before, n);
	return 0;
}

/*
 * Trailing debounce: every event pushes the rescan RESCAN_DELAY_USEC past
 * itself, up to RESCAN_DELAY_MAX_USEC after the first event of the burst, so
 * a burst of events costs one rescan and a steady stream still gets seen.
 */
void manager_schedule_rescan(Manager *m)
{
	uint64_t now, when;
	int r;

	r = sd_event_now(m->event, CLOCK_MONOTONIC, &now);
	if (r < 0)
		now = 0;
	if (!m->rescan_timer)
		m->rescan_first_usec = now;
	when = now + RESCAN_DELAY_USEC;
	if (when > m->rescan_first_usec + RESCAN_DELAY_MAX_USEC)
		when = m->rescan_first_usec + RESCAN_DELAY_MAX_USEC;
	if (m->rescan_timer) {
		r = sd_event_source_set_time(m->rescan_timer, when);
		if (r >= 0)
			r = sd_event_source_set_enabled(m->rescan_timer, SD_EVENT_ONESHOT);
	} else
		r = sd_event_add_time(m->event, &m->rescan_timer, CLOCK_MONOTONIC, when, 1000,
				      on_rescan, m);
	if (r < 0)
		log_error_errno(r, "Failed to schedule a rescan");
}

static void remember_guest(Manager *m, const char *guest, const char *uuid, enum guest_state state)
{
	struct guest_seen *n;
	size_t i;

	for (i = 0; i < m->n_guests_seen; i++)
		if (strcmp(m->guests_seen[i].uuid, uuid) == 0)
			break;
	if (i == m->n_guests_seen) {
		/* Bounded by what libvirt reports: one entry per vfio-ap mdev of a guest. */
		n = reallocarray(m->guests_seen, m->n_guests_seen + 1, sizeof(*n));
		if (!n)
			return;
		m->guests_seen = n;
		m->n_guests_seen++;
	}
	snprintf(m->guests_seen[i].uuid, sizeof(m->guests_seen[i].uuid), "%s", uuid);
	snprintf(m->guests_seen[i].name, sizeof(m->guests_seen[i].name), "%s", guest ? guest : "");
	m->guests_seen[i].state = state;
}

void manager_guest_changed(Manager *m, const char *guest, const char *uuid, enum guest_state state)
{
	if (uuid)
		remember_guest(m, guest, uuid, state);
	for (size_t i = 0; i < m->n_devices; i++) {
		Device *d = m->devices[i];
		bool match = uuid ? strcmp(d->uuid, uuid) == 0 :
				    guest && strcmp(d->def.guest, guest) == 0;

		if (!match)
			continue;
		if (guest)
			snprintf(d->libvirt_guest, sizeof(d->libvirt_guest), "%s", guest);
		if (d->guest_state == state)
			continue;
		d->guest_state = state;
		if (m->ready)
			manager_emit_device_changed(m, d, true);
	}
}

static void on_libvirt_guest(const domain_vfio_ap *dom, GuestState state, void *userdata)
{
	Manager *m = userdata;
	enum guest_state gs = state == GUEST_RUNNING ? GUEST_STATE_RUNNING :
			      state == GUEST_PAUSED  ? GUEST_STATE_PAUSED :
			      state == GUEST_SHUTOFF ? GUEST_STATE_SHUTOFF :
						       GUEST_STATE_UNKNOWN;

	log_debug("libvirt: guest %s is %s (%zu vfio-ap devices)", dom->name,
		  guest_state_to_string(state), dom->n_uuids);
	for (size_t i = 0; i < dom->n_uuids; i++)
		manager_guest_changed(m, dom->name, dom->uuids[i], gs);
}

static uint64_t mono_usec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

int manager_start(Manager *m)
{
	uint64_t t0 = mono_usec(), t1;
	int r;

	r = store_open(m->config.state_dir, &m->store);
	if (r < 0)
		return r;
	r = store_load(m->store, load_definition, m);
	if (r < 0)
		return r;
	r = manager_rescan(m);
	if (r < 0)
		return log_error_errno(r, "Failed to scan the host below %s", "SYSFS_ROOT");
	t1 = mono_usec();
	log_debug("Startup: definitions and first scan in %llu us", (unsigned long long)(t1 - t0));
	/* A failure leaves the journal pending: the health check settles it when it can. */
	r = manager_settle_journal(m, false);
	if (r < 0)
		manager_storage_failed(m);
	else if (r > 0)
		(void)manager_rescan(m);

	r = udev_watch_new(m, &m->udev);
	if (r < 0)
		log_warning_errno(r,
				  "No udev monitor, changes on the host are seen on requests only");

	if (m->config.libvirt_uri && m->config.libvirt_uri[0]) {
		LibvirtFollower *f = NULL;

		r = libvirt_follower_new(m->event, m->config.libvirt_uri, on_libvirt_guest, m, &f);
		if (r < 0)
			log_warning_errno(r, "Failed to follow libvirt at %s",
					  m->config.libvirt_uri);
		else
			m->libvirt = (struct LibvirtFollower *)f;
	}

	r = manager_bus_register(m);
	if (r < 0)
		return r;
	log_debug("Startup: ready after %llu us", (unsigned long long)(mono_usec() - t0));
	m->ready = true;
	return 0;
}

struct json_object *manager_state_to_json(Manager *m)
{
	struct json_object *o = json_object_new_object(), *ds = json_object_new_array(),
			   *gs = json_object_new_array(), *st = json_object_new_object(),
			   *so = json_object_new_object(), *rej = json_object_new_array();

	json_object_object_add(o, "version", json_object_new_int(1));
	json_object_object_add(o, "host", host_to_json(m->host));
	{
		struct kernel_bindings b = { 0 };

		(void)kernel_bindings_read(&m->kcaps, &b);
		json_object_object_add(o, "kernel", kernel_caps_to_json(&m->kcaps, &b));
	}
	json_object_object_add(o, "autostart", autostart_to_json(m));
	for (size_t i = 0; i < m->n_devices; i++) {
		Device *d = m->devices[i];

		json_object_array_add(ds, device_to_json(d));
		if (device_guest(d)[0]) {
			struct json_object *g = json_object_new_object();
			static const char *const names[] = { "shutoff", "running", "paused" };

			json_object_object_add(g, "name", json_object_new_string(device_guest(d)));
			json_object_object_add(g, "device", json_object_new_string(d->uuid));
			json_object_object_add(
				g, "state",
				json_object_new_string(d->guest_state >= 0 ? names[d->guest_state] :
									     "unknown"));
			json_object_array_add(gs, g);
		}
	}
	json_object_object_add(o, "devices", ds);
	json_object_object_add(o, "guests", gs);
	json_object_object_add(st, "batches", json_object_new_int64((int64_t)m->stats.batches));
	json_object_object_add(st, "requests", json_object_new_int64((int64_t)m->stats.requests));
	json_object_object_add(st, "queued", json_object_new_int64((int64_t)m->queue.n));
	json_object_object_add(st, "throttled", json_object_new_int64((int64_t)m->stats.throttled));
	json_object_object_add(st, "rejected", json_object_new_int64((int64_t)m->stats.rejected));
	json_object_object_add(st, "kernel_writes",
			       json_object_new_int64((int64_t)m->stats.kernel_writes));
	json_object_object_add(st, "apcb_updates",
			       json_object_new_int64((int64_t)m->stats.apcb_updates));
	json_object_object_add(st, "rescans", json_object_new_int64((int64_t)m->stats.rescans));
	json_object_object_add(st, "refreshes", json_object_new_int64((int64_t)m->stats.refreshes));
	json_object_object_add(st, "uevents", json_object_new_int64((int64_t)m->stats.uevents));
	{
		struct mallinfo2 mi = mallinfo2();

		json_object_object_add(st, "heap_in_use",
				       json_object_new_int64((int64_t)mi.uordblks));
		json_object_object_add(st, "heap_mmapped",
				       json_object_new_int64((int64_t)mi.hblkhd));
	}
	json_object_object_add(o, "stats", st);
	json_object_object_add(so, "state_dir", json_object_new_string(m->config.state_dir));
	for (size_t i = 0; i < m->store->n_rejected; i++)
		json_object_array_add(rej, json_object_new_string(m->store->rejected[i]));
	json_object_object_add(so, "rejected", rej);
	json_object_object_add(so, "recovery",
			       m->recovery ? json_object_new_string(m->recovery) : NULL);
	{
		char buf[PATH_MAX + 128];

		json_object_object_add(
			so, "health",
			json_object_new_string(manager_storage_health(m, buf, sizeof(buf))));
		json_object_object_add(so, "journal_pending",
				       json_object_new_boolean(m->journal_pending));
	}
	json_object_object_add(o, "store", so);
	{
		struct json_object *lo = json_object_new_object();

		json_object_object_add(lo, "path", json_object_new_string(m->config.lock_path));
		json_object_object_add(lo, "timeout_usec",
				       json_object_new_int64((int64_t)m->config.lock_timeout_usec));
		json_object_object_add(lo, "waiting",
				       json_object_new_int64((int64_t)m->lock_waiting));
		json_object_object_add(lo, "holder",
				       m->lock_waiting ? json_object_new_string(m->lock_holder) :
							 NULL);
		json_object_object_add(o, "ap_lock", lo);
	}
	return o;
}
