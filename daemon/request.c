// SPDX-License-Identifier: GPL-2.0-or-later
#include <errno.h>
#include <inttypes.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <time.h>

#include "apm-limits.h"
#include "apply.h"
#include "crash-point.h"
#include "journal.h"
#include "log.h"
#include "manager-dbus.h"
#include "manager.h"
#include "request.h"

#include <systemd/sd-daemon.h>

/* Messages taken off the bus socket at most before a batch runs. */
#define BATCH_DRAIN_MAX 10000

#define ERR_NO_SUCH_DEVICE "org.apmatrix1.Error.NoSuchDevice"
#define ERR_IN_USE "org.apmatrix1.Error.InUse"
#define ERR_RESERVED "org.apmatrix1.Error.Reserved"
#define ERR_BUSY "org.apmatrix1.Error.Busy"
#define ERR_KERNEL "org.apmatrix1.Error.Kernel"
#define ERR_STORAGE "org.apmatrix1.Error.Storage"
#define ERR_TOO_MANY_REQUESTS "org.apmatrix1.Error.TooManyRequests"

static uint64_t now_usec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

static const char *const type_names[] = {
	[REQ_DEFINE] = "define", [REQ_UNDEFINE] = "undefine", [REQ_START] = "start",
	[REQ_STOP] = "stop",	 [REQ_ASSIGN] = "assign",     [REQ_UNASSIGN] = "unassign",
	[REQ_APPLY] = "apply",	 [REQ_RESERVE] = "reserve",   [REQ_RELEASE] = "release",
};

const char *request_type_to_string(enum request_type t)
{
	return t < ELEMENTSOF(type_names) ? type_names[t] : "?";
}

struct request *request_new(enum request_type type, sd_bus_message *msg, uint64_t flags)
{
	struct request *r = calloc(1, sizeof(*r));

	if (!r)
		return NULL;
	r->type = type;
	r->msg = msg ? sd_bus_message_ref(msg) : NULL;
	r->flags = flags;
	return r;
}

void request_free(struct request *r)
{
	if (!r)
		return;
	sd_bus_message_unref(r->msg);
	free(r->entries);
	free(r->touched);
	free(r);
}

static int on_batch_timer(sd_event_source *s, uint64_t usec, void *userdata)
{
	manager_run_batch(userdata);
	return 0;
}

static int on_batch_defer(sd_event_source *s, void *userdata)
{
	manager_run_batch(userdata);
	return 0;
}

static void reply_error(struct request *r, const sd_bus_error *err);

int manager_enqueue(Manager *m, struct request *r)
{
	int k;

	k = sender_queue_push(&m->queue, r);
	if (k == -EXFULL) {
		m->stats.throttled++;
		(void)sd_bus_reply_method_errorf(
			r->msg, ERR_TOO_MANY_REQUESTS,
			"%s: this client already has %d requests waiting for the next batch, "
			"the limit QueuedRequestsPerClient=%d; wait for their replies",
			request_type_to_string(r->type), APM_LIMIT_QUEUED_REQUESTS_PER_CLIENT,
			APM_LIMIT_QUEUED_REQUESTS_PER_CLIENT);
		request_free(r);
		return 0;
	}
	if (k < 0) {
		_cleanup_(sd_bus_error_free) sd_bus_error err = SD_BUS_ERROR_NULL;

		sd_bus_error_set_errno(&err, k);
		reply_error(r, &err);
		request_free(r);
		return log_oom();
	}
	if (m->in_batch)
		return 0;
	if (m->config.batch_policy == BATCH_POLICY_ADAPTIVE) {
		uint64_t due = batch_policy_due(m, r, now_usec());

		if (m->batch_timer)
			k = sd_event_source_set_time(m->batch_timer, due);
		else
			/* Accuracy 1 us: sd-event's default (0) would coalesce to 250 ms. */
			k = sd_event_add_time(m->event, &m->batch_timer, CLOCK_MONOTONIC, due, 1,
					      on_batch_timer, m);
	} else if (m->batch_timer)
		return 0;
	else if (m->config.batch_window_usec == 0)
		k = sd_event_add_defer(m->event, &m->batch_timer, on_batch_defer, m);
	else
		k = sd_event_add_time_relative(m->event, &m->batch_timer, CLOCK_MONOTONIC,
					       m->config.batch_window_usec, 1, on_batch_timer, m);
	if (k < 0)
		return log_error_errno(k, "Failed to arm the batch timer");
	return 0;
}

/* The guests whose matrix this batch changed start a new pacing interval. */
static void mark_updated(Manager *m, const struct plan_input *in, uint64_t now)
{
	for (size_t i = 0; i < in->n_items; i++) {
		const struct plan_item *it = &in->items[i];
		Device *d;

		if (it->cur_exists == it->want_exists &&
		    (!it->want_exists || !memcmp(&it->cur, &it->want, sizeof(it->cur))))
			continue;
		d = manager_find_device(m, it->uuid);
		if (d)
			d->updated_usec = now;
	}
}

/* The desired state of one device while a batch is validated. */
struct want {
	Device *dev; /* NULL for a device defined in this batch */
	char uuid[UUID_STR_LEN + 1];
	bool defined, active;
	struct definition def;
	ap_matrix live; /* the mdev's matrix when active */
	bool touched;
};

struct working {
	Manager *m;
	struct want *w;
	size_t n, allocated;
	ap_mask apmask, aqmask;
	/* undo log of the request being validated */
	struct undo {
		size_t idx;
		struct want old;
	} * undo;
	size_t n_undo, allocated_undo;
	size_t n_before; /* n before the request: wants appended by it are dropped on undo */
	ap_mask apmask_before, aqmask_before;
};

static void working_done(struct working *ws)
{
	free(ws->w);
	free(ws->undo);
}

static int working_init(struct working *ws, Manager *m)
{
	*ws = (struct working){ .m = m };
	ws->allocated = m->n_devices + 16;
	ws->w = calloc(ws->allocated, sizeof(*ws->w));
	if (!ws->w)
		return -ENOMEM;
	for (size_t i = 0; i < m->n_devices; i++) {
		Device *d = m->devices[i];
		struct want *w = &ws->w[ws->n++];

		w->dev = d;
		snprintf(w->uuid, sizeof(w->uuid), "%s", d->uuid);
		w->defined = d->defined;
		w->def = d->def;
		w->active = d->active;
		w->live = d->active ? d->kern : (ap_matrix){ 0 };
	}
	ws->apmask = m->host->apmask;
	ws->aqmask = m->host->aqmask;
	return 0;
}

static void working_begin(struct working *ws)
{
	ws->n_undo = 0;
	ws->n_before = ws->n;
	ws->apmask_before = ws->apmask;
	ws->aqmask_before = ws->aqmask;
}

static void working_undo(struct working *ws)
{
	for (size_t k = ws->n_undo; k > 0; k--) {
		struct undo *u = &ws->undo[k - 1];

		if (u->idx < ws->n_before)
			ws->w[u->idx] = u->old;
	}
	ws->n = ws->n_before;
	ws->n_undo = 0;
	ws->apmask = ws->apmask_before;
	ws->aqmask = ws->aqmask_before;
}

/* Record w's state before it is changed by the current request. */
static int working_touch(struct working *ws, struct want *w)
{
	size_t idx = (size_t)(w - ws->w);

	if (ws->n_undo == ws->allocated_undo) {
		size_t n = ws->allocated_undo ? ws->allocated_undo * 2 : 8;
		struct undo *nu = reallocarray(ws->undo, n, sizeof(*nu));

		if (!nu)
			return -ENOMEM;
		ws->undo = nu;
		ws->allocated_undo = n;
	}
	ws->undo[ws->n_undo++] = (struct undo){ .idx = idx, .old = *w };
	w->touched = true;
	return 0;
}

static struct want *working_find(struct working *ws, const char *uuid)
{
	for (size_t i = 0; i < ws->n; i++)
		if ((ws->w[i].defined || ws->w[i].active) && strcmp(ws->w[i].uuid, uuid) == 0)
			return &ws->w[i];
	return NULL;
}

static struct want *working_append(struct working *ws, const char *uuid)
{
	struct want *w;

	for (size_t i = 0; i < ws->n; i++) /* a device undefined earlier in this batch */
		if (strcmp(ws->w[i].uuid, uuid) == 0) {
			if (working_touch(ws, &ws->w[i]) < 0)
				return NULL;
			return &ws->w[i];
		}
	if (ws->n == ws->allocated) {
		size_t n = ws->allocated * 2;
		struct want *nw = reallocarray(ws->w, n, sizeof(*nw));

		if (!nw)
			return NULL;
		ws->w = nw;
		ws->allocated = n;
	}
	w = &ws->w[ws->n++];
	*w = (struct want){ .touched = true };
	snprintf(w->uuid, sizeof(w->uuid), "%s", uuid);
	snprintf(w->def.uuid, sizeof(w->def.uuid), "%s", uuid);
	return w;
}

static void first_common(const ap_matrix *a, const ap_matrix *b, char buf[static APQN_STR_MAX])
{
	ap_mask x, y;

	ap_mask_and(&x, &a->apm, &b->apm);
	ap_mask_and(&y, &a->aqm, &b->aqm);
	apqn_to_string((apqn){ (uint8_t)ap_mask_next(&x, 0), (uint8_t)ap_mask_next(&y, 0) }, buf);
}

/*
 * What a want holds against others: its live matrix when active, its
 * definition when it will be started automatically.
 */
static bool claims(const struct want *w, int k, ap_matrix *ret)
{
	if (k == 0 && w->active) {
		*ret = w->live;
		return true;
	}
	if (k == 1 && w->defined && w->def.autostart) {
		*ret = w->def.m;
		return true;
	}
	return false;
}

/* Sharing and reservation rules for one want after a change. */
static int check_want(struct working *ws, const struct want *self, sd_bus_error *err)
{
	char q[APQN_STR_MAX];

	/* A manual definition too: it is started as it is. */
	if (self->defined && !ap_mask_is_empty(&self->def.m.adm) &&
	    ap_mask_is_empty(&self->def.m.aqm))
		return sd_bus_error_setf(
			err, SD_BUS_ERROR_INVALID_ARGS,
			"device %s: control domains need at least one usage domain", self->uuid);
	for (int k = 0; k < 2; k++) {
		ap_matrix mine;

		if (!claims(self, k, &mine))
			continue;
		if (!ap_mask_is_empty(&mine.adm) && ap_mask_is_empty(&mine.aqm))
			return sd_bus_error_setf(err, SD_BUS_ERROR_INVALID_ARGS,
						 "device %s: control domains need at least one "
						 "usage domain",
						 self->uuid);
		if (matrix_hits_reserved(&mine, &ws->apmask, &ws->aqmask)) {
			ap_matrix res = { .apm = ws->apmask, .aqm = ws->aqmask };

			first_common(&mine, &res, q);
			return sd_bus_error_setf(
				err, ERR_RESERVED,
				"APQN %s is reserved for the host (apmask/aqmask); "
				"reserve its adapter or domain first",
				q);
		}
		for (size_t i = 0; i < ws->n; i++) {
			const struct want *o = &ws->w[i];

			if (o == self)
				continue;
			for (int j = 0; j < 2; j++) {
				ap_matrix theirs;

				if (!claims(o, j, &theirs) ||
				    !matrix_apqns_intersect(&mine, &theirs))
					continue;
				first_common(&mine, &theirs, q);
				return sd_bus_error_setf(
					err, ERR_IN_USE,
					"APQN %s is already assigned to device %s%s%s%s", q,
					o->uuid, o->def.guest[0] ? " (guest " : "", o->def.guest,
					o->def.guest[0] ? ")" : "");
			}
		}
	}
	if (self->defined && self->def.guest[0])
		for (size_t i = 0; i < ws->n; i++) {
			const struct want *o = &ws->w[i];

			if (o != self && o->defined && strcmp(o->def.guest, self->def.guest) == 0)
				return sd_bus_error_setf(err, ERR_IN_USE,
							 "guest %s already has device %s",
							 self->def.guest, o->uuid);
		}
	return 0;
}

static struct want *find_or_fail(struct working *ws, const char *uuid, sd_bus_error *err)
{
	struct want *w = working_find(ws, uuid);

	if (!w)
		sd_bus_error_setf(err, ERR_NO_SUCH_DEVICE, "no device %s", uuid);
	return w;
}

static ap_mask *kind_mask(ap_matrix *m, enum id_kind k)
{
	return k == KIND_ADAPTER ? &m->apm : k == KIND_DOMAIN ? &m->aqm : &m->adm;
}

static bool want_in_use(const struct want *w)
{
	return w->dev && device_in_use(w->dev);
}

/* Validate r and change the working state; on error nothing is changed. */
static int validate(struct working *ws, const struct request *r, sd_bus_error *err)
{
	struct want *w = NULL;
	int k;

	working_begin(ws);
	switch (r->type) {
	case REQ_DEFINE:
		w = working_find(ws, r->def.uuid);
		if (w) {
			k = working_touch(ws, w);
			if (k < 0)
				return k;
		} else {
			if (ws->n >= APM_LIMIT_DEVICES)
				return sd_bus_error_setf(err, APM_ERROR_LIMIT_EXCEEDED,
							 "devices: %zu devices, over the limit "
							 "Devices=%d",
							 ws->n + 1, APM_LIMIT_DEVICES);
			w = working_append(ws, r->def.uuid);
			if (!w)
				return -ENOMEM;
		}
		w->defined = true;
		w->def = r->def;
		if (w->active)
			w->live = w->def.m;
		k = check_want(ws, w, err);
		break;
	case REQ_UNDEFINE:
		w = find_or_fail(ws, r->uuid, err);
		if (!w)
			return -ENOENT;
		if (!w->defined) {
			k = sd_bus_error_setf(err, ERR_NO_SUCH_DEVICE, "device %s is not defined",
					      r->uuid);
			break;
		}
		k = working_touch(ws, w);
		w->defined = false;
		break;
	case REQ_START:
		w = find_or_fail(ws, r->uuid, err);
		if (!w)
			return -ENOENT;
		if (w->active && !w->defined) {
			k = 0;
			break;
		}
		if (!ws->m->host->matrix_present) {
			k = sd_bus_error_setf(err, ERR_BUSY,
					      "the vfio_ap matrix device is not present");
			break;
		}
		k = working_touch(ws, w);
		w->active = true;
		w->live = w->def.m;
		if (k >= 0)
			k = check_want(ws, w, err);
		break;
	case REQ_STOP:
		w = find_or_fail(ws, r->uuid, err);
		if (!w)
			return -ENOENT;
		if (!w->active) {
			k = 0;
			break;
		}
		/* The guest may have gone without a uevent: look before refusing. */
		if (want_in_use(w) && w->dev)
			(void)manager_refresh_device_attached(ws->m, w->dev);
		if (want_in_use(w)) {
			k = sd_bus_error_setf(err, ERR_BUSY, "device %s is in use by a guest",
					      r->uuid);
			break;
		}
		k = working_touch(ws, w);
		w->active = false;
		break;
	case REQ_ASSIGN:
	case REQ_UNASSIGN:
		w = find_or_fail(ws, r->uuid, err);
		if (!w)
			return -ENOENT;
		k = working_touch(ws, w);
		if (k < 0)
			break;
		for (int which = 0; which < 2; which++) {
			ap_matrix *mm = which == 0 ? &w->def.m : &w->live;
			ap_mask *mask = kind_mask(mm, r->kind);

			if ((which == 0 && !w->defined) || (which == 1 && !w->active))
				continue;
			if (r->type == REQ_ASSIGN)
				ap_mask_or(mask, mask, &r->ids);
			else
				ap_mask_andnot(mask, mask, &r->ids);
		}
		/* A defined active device follows its definition. */
		if (w->defined && w->active)
			w->live = w->def.m;
		k = check_want(ws, w, err);
		break;
	case REQ_APPLY:
		k = 0;
		for (size_t i = 0; i < r->n_entries && k >= 0; i++) {
			w = find_or_fail(ws, r->entries[i].uuid, err);
			if (!w) {
				k = -ENOENT;
				break;
			}
			k = working_touch(ws, w);
			if (w->defined)
				w->def.m = r->entries[i].m;
			if (w->active)
				w->live = r->entries[i].m;
		}
		for (size_t i = 0; i < r->n_entries && k >= 0; i++)
			k = check_want(ws, working_find(ws, r->entries[i].uuid), err);
		break;
	case REQ_RESERVE:
	case REQ_RELEASE: {
		ap_mask *mask = r->kind == KIND_ADAPTER ? &ws->apmask : &ws->aqmask;

		if (r->type == REQ_RESERVE) {
			ap_mask_andnot(mask, mask, &r->ids);
			k = 0;
			break;
		}
		ap_mask_or(mask, mask, &r->ids);
		k = 0;
		/*
		 * Refused while a device holds (active, or autostart) one of the
		 * APQNs this call gives back: those of the released ids crossed
		 * with the other mask as it will be.
		 */
		for (size_t i = 0; i < ws->n && k >= 0; i++) {
			struct want *o = &ws->w[i];

			for (int j = 0; j < 2 && k >= 0; j++) {
				ap_matrix held, back;
				char q[APQN_STR_MAX];

				if (!claims(o, j, &held))
					continue;
				if (r->kind == KIND_ADAPTER)
					back = (ap_matrix){ .apm = r->ids, .aqm = ws->aqmask };
				else
					back = (ap_matrix){ .apm = ws->apmask, .aqm = r->ids };
				if (!matrix_apqns_intersect(&held, &back))
					continue;
				first_common(&held, &back, q);
				k = sd_bus_error_setf(
					err, ERR_IN_USE,
					"APQN %s is assigned to device %s; unassign it "
					"before giving it back to the host",
					q, o->uuid);
			}
		}
		break;
	}
	default:
		k = -EINVAL;
	}
	if (k < 0)
		working_undo(ws);
	return k;
}

int request_validate_one(Manager *m, const struct request *r, sd_bus_error *error)
{
	struct working ws;
	int k;

	k = working_init(&ws, m);
	if (k < 0)
		return k;
	k = validate(&ws, r, error);
	if (k < 0 && !sd_bus_error_is_set(error))
		sd_bus_error_set_errno(error, k);
	working_done(&ws);
	return k;
}

/* Plan input from the touched wants: the kernel as it is -> as the working state says. */
static int build_plan_input(struct working *ws, struct plan_input *in, struct plan_item **ret_items,
			    struct want ***ret_map)
{
	Manager *m = ws->m;
	struct plan_item *items = calloc(ws->n ? ws->n : 1, sizeof(*items));
	struct want **map = calloc(ws->n ? ws->n : 1, sizeof(*map));
	size_t n = 0;

	if (!items || !map) {
		free(items);
		free(map);
		return -ENOMEM;
	}
	for (size_t i = 0; i < ws->n; i++) {
		struct want *w = &ws->w[i];
		struct plan_item *it = &items[n];

		if (!w->touched)
			continue;
		snprintf(it->uuid, sizeof(it->uuid), "%s", w->uuid);
		it->cur_exists = w->dev && w->dev->active;
		it->cur = it->cur_exists ? w->dev->kern : (ap_matrix){ 0 };
		it->want_exists = w->active;
		it->want = w->active ? w->live : (ap_matrix){ 0 };
		it->attached = w->dev && device_in_use(w->dev);
		map[n++] = w;
	}
	*in = (struct plan_input){
		.iface = host_write_iface(m->host),
		.apmask = m->host->apmask,
		.aqmask = m->host->aqmask,
		.apmask_want = ws->apmask,
		.aqmask_want = ws->aqmask,
		.items = items,
		.n_items = n,
	};
	*ret_items = items;
	*ret_map = map;
	return 0;
}

struct want;
static const ap_matrix *want_definition(struct want *const *map, size_t i);

static struct json_object *plan_to_json(const struct plan_input *in, const struct plan *p,
					uint64_t batch, size_t n_requests, bool dry_run,
					const struct apply_outcome *o, struct want *const *map)
{
	struct json_object *j = json_object_new_object(), *ws = json_object_new_array(),
			   *ds = json_object_new_array();

	json_object_object_add(j, "dry_run", json_object_new_boolean(dry_run));
	json_object_object_add(j, "batch", json_object_new_int64((int64_t)batch));
	json_object_object_add(j, "requests", json_object_new_int64((int64_t)n_requests));
	json_object_object_add(j, "write_interface",
			       json_object_new_string(write_iface_to_string(in->iface)));
	json_object_object_add(j, "kernel_writes", json_object_new_int64((int64_t)p->n_writes));
	json_object_object_add(j, "apcb_updates", json_object_new_int64(p->apcb_updates));
	for (size_t k = 0; k < p->n_writes; k++) {
		_cleanup_free_ char *attr = NULL, *value = NULL;
		struct json_object *wo;

		if (plan_write_format(in, p, k, &attr, &value) < 0)
			continue;
		wo = json_object_new_object();
		json_object_object_add(wo, "attribute", json_object_new_string(attr));
		json_object_object_add(wo, "value", json_object_new_string(value));
		json_object_array_add(ws, wo);
	}
	json_object_object_add(j, "writes", ws);
	for (size_t i = 0; i < in->n_items; i++) {
		bool live = o ? o->exists[i] : in->items[i].want_exists;
		const ap_matrix *shown = !live && want_definition(map, i) ?
						 want_definition(map, i) :
					 o ? &o->readback[i] :
					     &in->items[i].want;
		struct json_object *d = matrix_to_json(shown);

		json_object_object_add(d, "uuid", json_object_new_string(in->items[i].uuid));
		json_object_object_add(
			d, "active",
			json_object_new_boolean(o ? o->exists[i] : in->items[i].want_exists));
		json_object_object_add(d, "kernel_writes",
				       json_object_new_int(p->cost ? (int)p->cost[i].writes : 0));
		json_object_object_add(
			d, "apcb_updates",
			json_object_new_int(p->cost ? (int)p->cost[i].apcb_updates : 0));
		json_object_array_add(ds, d);
	}
	json_object_object_add(j, "devices", ds);
	return j;
}

static const ap_matrix *want_definition(struct want *const *map, size_t i)
{
	return map && map[i]->defined ? &map[i]->def.m : NULL;
}

static void reply_error(struct request *r, const sd_bus_error *err)
{
	if (r->msg)
		(void)sd_bus_reply_method_error(r->msg, err);
	else
		log_warning("%s request failed: %s", request_type_to_string(r->type), err->message);
}

static void reply_ok(Manager *m, struct request *r, const char *result_json)
{
	Device *d;

	if (!r->msg)
		return;
	switch (r->type) {
	case REQ_DEFINE:
		d = manager_find_device(m, r->def.uuid);
		if (!d) {
			_cleanup_free_ char *p = NULL;

			(void)sd_bus_path_encode(DEVICE_PATH_PREFIX, r->def.uuid, &p);
			(void)sd_bus_reply_method_return(r->msg, "so", r->def.uuid, p ? p : "/");
		} else
			(void)sd_bus_reply_method_return(r->msg, "so", d->uuid, d->path);
		break;
	case REQ_ASSIGN:
	case REQ_UNASSIGN:
	case REQ_APPLY:
		(void)sd_bus_reply_method_return(r->msg, "s", result_json);
		break;
	default:
		(void)sd_bus_reply_method_return(r->msg, "");
	}
}

static void dry_run(struct working *ws, struct request *r)
{
	_cleanup_(sd_bus_error_free) sd_bus_error err = SD_BUS_ERROR_NULL;
	_cleanup_free_ struct plan_item *items = NULL;
	_cleanup_free_ struct want **map = NULL;
	_cleanup_(plan_freep) struct plan *p = NULL;
	_cleanup_json_ struct json_object *j = NULL;
	struct plan_input in;
	int k;

	k = validate(ws, r, &err);
	if (k < 0) {
		if (!sd_bus_error_is_set(&err))
			sd_bus_error_set_errno(&err, k);
		reply_error(r, &err);
		return;
	}
	k = build_plan_input(ws, &in, &items, &map);
	if (k >= 0)
		k = plan_compute(&in, &p);
	if (k < 0) {
		sd_bus_error_set_errno(&err, k);
		reply_error(r, &err);
	} else {
		j = plan_to_json(&in, p, 0, 1, true, NULL, map);
		if (r->msg && r->type == REQ_DEFINE)
			reply_ok(ws->m, r, NULL);
		else if (r->msg &&
			 (r->type == REQ_ASSIGN || r->type == REQ_UNASSIGN || r->type == REQ_APPLY))
			(void)sd_bus_reply_method_return(r->msg, "s",
							 json_object_to_json_string(j));
		else if (r->msg)
			(void)sd_bus_reply_method_return(r->msg, "");
	}
	/* A dry run leaves no trace, not even in the batch it was part of. */
	working_undo(ws);
	for (size_t i = 0; i < ws->n; i++)
		ws->w[i].touched = false;
}

/* The journal of a batch: its items and their definitions before and after. */
static struct json_object *batch_journal(const struct plan_input *in, struct want **map,
					 uint64_t batch)
{
	_cleanup_free_ const struct definition **before =
		calloc(in->n_items ? in->n_items : 1, sizeof(*before));
	_cleanup_free_ const struct definition **after =
		calloc(in->n_items ? in->n_items : 1, sizeof(*after));

	if (!before || !after)
		return NULL;
	for (size_t i = 0; i < in->n_items; i++) {
		Device *d = map[i]->dev;

		before[i] = d && d->defined ? &d->def : NULL;
		after[i] = map[i]->defined ? &map[i]->def : NULL;
	}
	return journal_new(batch, in, before, after);
}

/* Whether the batch changes a definition on disk. */
static bool changes_definitions(const struct plan_input *in, struct want **map)
{
	for (size_t i = 0; i < in->n_items; i++) {
		const struct want *w = map[i];
		bool was = w->dev && w->dev->defined;

		if (w->defined != was || (was && !definition_equal(&w->def, &w->dev->def)))
			return true;
	}
	return false;
}

static int storage_error(Manager *m, int r, sd_bus_error *err)
{
	return sd_bus_error_setf(
		err, ERR_STORAGE, "cannot write %s: %s (errno %d); nothing was changed",
		m->store->error_path[0] ? m->store->error_path : m->config.state_dir, strerror(-r),
		-r);
}

/*
 * The commit point of a batch: the definitions it leaves made durable, then
 * its journal dropped. Only the files that change are written. 0, or the
 * store's negative errno with every old definition still in place.
 */
static int persist(Manager *m, const struct plan_input *in, struct want **map)
{
	_cleanup_free_ const struct definition **save =
		calloc(in->n_items ? in->n_items : 1, sizeof(*save));
	_cleanup_free_ const char **drop = calloc(in->n_items ? in->n_items : 1, sizeof(*drop));
	size_t n_save = 0, n_drop = 0;
	int k;

	if (!save || !drop)
		return -ENOMEM;
	for (size_t i = 0; i < in->n_items; i++) {
		struct want *w = map[i];
		Device *d = w->dev;

		if (w->defined && !(d && d->defined && definition_equal(&w->def, &d->def)))
			save[n_save++] = &w->def;
		else if (!w->defined && d && d->defined)
			drop[n_drop++] = w->uuid;
	}
	k = store_save_many(m->store, save, n_save, drop, n_drop);
	if (k < 0)
		return k;
	crash_point("after-definitions");
	/* Both sides agree already: a journal left behind settles to the same state. */
	if (store_journal_clear(m->store) < 0)
		manager_storage_failed(m);
	crash_point("after-journal-clear");
	return 0;
}

/*
 * The kernel has a batch's result but the definitions could not be saved:
 * tell the host cache what the kernel has, then settle the journal back to
 * where the batch started (kernel and definitions). If the disk refuses that
 * too, the journal stays pending and the health check finishes it.
 */
static void unwind(Manager *m, const struct plan_input *in, const struct apply_outcome *o)
{
	for (size_t i = 0; o->read_back && i < in->n_items; i++) {
		struct host_mdev md = { .m = o->readback[i], .guest = o->guest[i] };

		(void)host_put_mdev(m->host, in->items[i].uuid, o->exists[i] ? &md : NULL);
	}
	if (o->read_back) {
		m->host->apmask = o->apmask;
		m->host->aqmask = o->aqmask;
	}
	(void)manager_settle_journal(m, true);
	manager_storage_failed(m);
}

/* Make the device objects what the working state says (after persist()). */
static void commit(Manager *m, struct working *ws, const struct plan_input *in, struct want **map,
		   const struct apply_outcome *o)
{
	for (size_t i = 0; i < in->n_items; i++) {
		struct want *w = map[i];
		Device *d = w->dev;
		bool added = false;

		if (!d && (w->defined || o->exists[i])) {
			if (manager_add_device(m, w->uuid, &d) < 0) {
				log_oom();
				continue;
			}
			added = true;
		}
		if (!d)
			continue;
		d->defined = w->defined;
		d->def = w->def;
		d->active = o->exists[i];
		d->kern = o->readback[i];
		if (o->guest)
			d->guestm = o->guest[i];
		if (!d->active) {
			d->guestm = (ap_matrix){ 0 };
			d->attached = false;
			(void)host_put_mdev(m->host, d->uuid, NULL);
		} else {
			struct host_mdev md = { .m = d->kern, .guest = d->guestm };

			(void)host_read_attached(&d->guestm, &d->attached);
			md.attached = d->attached;
			(void)host_put_mdev(m->host, d->uuid, &md);
		}
		d->drift = d->defined && d->active && !ap_matrix_equal(&d->kern, &d->def.m);
		if (!d->defined && !d->active) {
			manager_drop_device(m, d);
			continue;
		}
		if (added)
			manager_emit_device_added(m, d);
		manager_emit_device_changed(m, d, true);
	}
	m->host->apmask = o->apmask;
	m->host->aqmask = o->aqmask;
	(void)ws;
}

/* Union-find root of item i (the parent chain is at most n_items long). */
static size_t group_root(size_t *parent, size_t i)
{
	while (parent[i] != i)
		i = parent[i] = parent[parent[i]];
	return i;
}

static void group_join(size_t *parent, size_t a, size_t b)
{
	a = group_root(parent, a);
	b = group_root(parent, b);
	if (a != b)
		parent[a < b ? b : a] = a < b ? a : b;
}

/* The item index of want index idx, or -1. */
static ssize_t item_of_want(const struct working *ws, struct want *const *map, size_t n, size_t idx)
{
	for (size_t i = 0; i < n; i++)
		if ((size_t)(map[i] - ws->w) == idx)
			return (ssize_t)i;
	return -1;
}

/* Per item, what the retry of its group did. */
struct isolated {
	size_t group;
	bool failed;
	int error;
	char *message; /* of the group's failure, shared by its items (owned by the root) */
	bool storage; /* it failed because the state directory did */
	struct json_object *result; /* of the group's success (owned by the root) */
};

/*
 * After a batch whose kernel write failed was rolled back: apply it again one
 * group at a time, so that a device the kernel refuses fails only the requests
 * that changed it. A group is what must move together: devices that give
 * APQNs to each other and devices changed by one request. Each group is one
 * apply (journal, writes, readback, rollback) with the per-device interface,
 * so a fault on one device does not take the others' write with it. At most
 * one apply per item: bounded. Returns false when the batch cannot be split
 * (masks change, or the rollback did not restore every device); the caller
 * then fails every request as before.
 */
static bool isolate_retry(Manager *m, struct working *ws, struct plan_input *in, struct want **map,
			  struct request *accepted, size_t n_accepted,
			  const struct apply_outcome *first)
{
	_cleanup_free_ size_t *parent = NULL;
	_cleanup_free_ struct isolated *iso = NULL;
	_cleanup_free_ struct plan_item *sub = NULL;
	_cleanup_free_ struct want **submap = NULL;
	_cleanup_free_ size_t *subidx = NULL;
	struct apply_outcome all = { 0 };
	size_t n = in->n_items;

	if (n < 2 || !first->rolled_back || !first->read_back ||
	    !ap_mask_equal(&in->apmask, &in->apmask_want) ||
	    !ap_mask_equal(&in->aqmask, &in->aqmask_want))
		return false;
	for (size_t i = 0; i < n; i++)
		if (first->exists[i] != in->items[i].cur_exists ||
		    (first->exists[i] && !ap_matrix_equal(&first->readback[i], &in->items[i].cur)))
			return false;
	for (struct request *r = accepted; r; r = r->next)
		if (!r->touched)
			return false;

	parent = calloc(n, sizeof(*parent));
	iso = calloc(n, sizeof(*iso));
	sub = calloc(n, sizeof(*sub));
	submap = calloc(n, sizeof(*submap));
	subidx = calloc(n, sizeof(*subidx));
	all.readback = calloc(n, sizeof(*all.readback));
	all.exists = calloc(n, sizeof(*all.exists));
	all.guest = calloc(n, sizeof(*all.guest));
	if (!parent || !iso || !sub || !submap || !subidx || !all.readback || !all.exists ||
	    !all.guest) {
		apply_outcome_done(&all);
		return false;
	}
	for (size_t i = 0; i < n; i++)
		parent[i] = i;
	for (size_t i = 0; i < n; i++)
		for (size_t j = i + 1; j < n; j++)
			if (matrix_apqns_intersect(&in->items[i].cur, &in->items[j].want) ||
			    matrix_apqns_intersect(&in->items[i].want, &in->items[j].cur))
				group_join(parent, i, j);
	for (struct request *r = accepted; r; r = r->next) {
		ssize_t a = -1;

		for (size_t t = 0; t < r->n_touched; t++) {
			ssize_t b = item_of_want(ws, map, n, r->touched[t]);

			if (b < 0)
				continue;
			if (a >= 0)
				group_join(parent, (size_t)a, (size_t)b);
			a = b;
		}
	}
	for (size_t i = 0; i < n; i++)
		iso[i].group = group_root(parent, i);

	for (size_t g = 0; g < n; g++) {
		_cleanup_(plan_freep) struct plan *gp = NULL;
		_cleanup_json_ struct json_object *intent = NULL;
		struct apply_outcome go = { 0 };
		struct plan_input gin = *in;
		size_t ns = 0;
		int k;

		if (iso[g].group != g)
			continue;
		for (size_t i = 0; i < n; i++)
			if (iso[i].group == g) {
				sub[ns] = in->items[i];
				submap[ns] = map[i];
				subidx[ns++] = i;
			}
		gin.items = sub;
		gin.n_items = ns;
		if (gin.iface == WRITE_AP_CONFIG_BATCH && m->host->has_ap_config)
			gin.iface = WRITE_AP_CONFIG;
		k = plan_compute(&gin, &gp);
		if (k >= 0) {
			intent = batch_journal(&gin, submap, m->batch_seq);
			k = intent ? apply_run(m->config.lock_path, m->store, m->host, &gin, gp,
					       intent, &go) :
				     -ENOMEM;
			m->stats.kernel_writes += go.writes_done;
		}
		/* Each group is its own commit: the next group's journal replaces this one. */
		if (k >= 0) {
			k = persist(m, &gin, submap);
			if (k < 0) {
				unwind(m, &gin, &go);
				iso[g].storage = true;
			}
		} else if (go.storage_failed)
			iso[g].storage = true;
		for (size_t s = 0; s < ns; s++) {
			size_t i = subidx[s];

			iso[i].failed = k < 0;
			iso[i].error = k;
			all.exists[i] = go.read_back ? go.exists[s] : in->items[i].cur_exists;
			all.readback[i] = go.read_back ? go.readback[s] : in->items[i].cur;
			all.guest[i] = go.read_back ? go.guest[s] : (ap_matrix){ 0 };
		}
		if (k < 0 && iso[g].storage) {
			_cleanup_(sd_bus_error_free) sd_bus_error se = SD_BUS_ERROR_NULL;

			storage_error(m, k, &se);
			iso[g].message = strdup(se.message);
		} else if (k < 0) {
			if (asprintf(&iso[g].message, "%s%s",
				     go.message ? go.message : strerror(-k),
				     go.rolled_back ? "; the previous matrices were restored" :
						      "") < 0)
				iso[g].message = NULL;
			log_error("Batch %" PRIu64 ", retried alone: %s", m->batch_seq,
				  iso[g].message ? iso[g].message : strerror(-k));
		} else {
			m->stats.apcb_updates += gp->apcb_updates;
			iso[g].result = plan_to_json(&gin, gp, m->batch_seq, n_accepted, false, &go,
						     submap);
		}
		apply_outcome_done(&go);
	}

	/* A device whose group failed keeps what it had: undo its wants before the commit. */
	for (size_t i = 0; i < n; i++) {
		struct want *w = map[i];

		if (!iso[i].failed)
			continue;
		w->defined = w->dev && w->dev->defined;
		w->def = w->dev ? w->dev->def : (struct definition){ 0 };
		w->active = all.exists[i];
		w->live = all.readback[i];
	}
	all.apmask = in->apmask;
	all.aqmask = in->aqmask;
	m->stats.batches++;
	commit(m, ws, in, map, &all);
	for (size_t g = 0; g < n; g++)
		if (iso[g].group == g && iso[g].result)
			manager_emit_batch_applied(
				m, json_object_to_json_string_ext(
					   iso[g].result, JSON_C_TO_STRING_PLAIN |
								  JSON_C_TO_STRING_NOSLASHESCAPE));

	while (accepted) {
		struct request *r = accepted;
		ssize_t bad = -1, any = -1;

		accepted = r->next;
		for (size_t t = 0; t < r->n_touched; t++) {
			ssize_t i = item_of_want(ws, map, n, r->touched[t]);

			if (i < 0)
				continue;
			any = i;
			if (iso[i].failed)
				bad = i;
		}
		if (bad >= 0) {
			_cleanup_(sd_bus_error_free) sd_bus_error err = SD_BUS_ERROR_NULL;
			size_t g = iso[bad].group;

			sd_bus_error_setf(&err, iso[g].storage ? ERR_STORAGE : ERR_KERNEL, "%s",
					  iso[g].message ? iso[g].message :
							   strerror(-iso[g].error));
			reply_error(r, &err);
		} else {
			struct json_object *res = any >= 0 ? iso[iso[any].group].result : NULL;

			reply_ok(m, r,
				 res ? json_object_to_json_string_ext(
					       res, JSON_C_TO_STRING_PLAIN |
							    JSON_C_TO_STRING_NOSLASHESCAPE) :
				       "{}");
		}
		request_free(r);
	}
	for (size_t g = 0; g < n; g++) {
		free(iso[g].message);
		json_object_put(iso[g].result);
	}
	apply_outcome_done(&all);
	manager_reconcile(m);
	return true;
}

void manager_run_batch(Manager *m)
{
	struct request *list, *accepted = NULL, **tail = &accepted;
	_cleanup_free_ struct plan_item *items = NULL;
	_cleanup_free_ struct want **map = NULL;
	_cleanup_(plan_freep) struct plan *p = NULL;
	_cleanup_json_ struct json_object *result = NULL;
	_cleanup_(sd_bus_error_free) sd_bus_error kerr = SD_BUS_ERROR_NULL;
	struct apply_outcome o = { 0 };
	struct working ws;
	struct plan_input in;
	size_t n_accepted = 0;
	uint64_t t_start = now_usec(), t_plan = 0, t_apply = 0, t_commit = 0;
	const char *rs;
	int k;

	m->batch_timer = sd_event_source_disable_unref(m->batch_timer);
	m->in_batch = true;
	/*
	 * Requests already on the bus socket arrived within the window too: take
	 * them into this batch instead of leaving them for the next one.
	 */
	for (unsigned int i = 0; m->bus && i < BATCH_DRAIN_MAX; i++)
		if (sd_bus_process(m->bus, NULL) <= 0)
			break;
	/* Round-robin across senders: a flood from one client goes after the others. */
	list = sender_queue_take_all(&m->queue);
	m->in_batch = false;
	if (!list)
		return;

	k = working_init(&ws, m);
	if (k < 0) {
		log_oom();
		sd_bus_error_set_errno(&kerr, k);
		while (list) {
			struct request *r = list;

			list = r->next;
			reply_error(r, &kerr);
			request_free(r);
		}
		return;
	}
	m->batch_seq++;

	while (list) {
		_cleanup_(sd_bus_error_free) sd_bus_error err = SD_BUS_ERROR_NULL;
		struct request *r = list;

		list = r->next;
		r->next = NULL;
		m->stats.requests++;
		if (r->flags & REQUEST_FLAG_DRY_RUN) {
			/* Touched flags of accepted requests must survive the dry run. */
			bool *saved = calloc(ws.n ? ws.n : 1, sizeof(*saved));

			for (size_t i = 0; saved && i < ws.n; i++)
				saved[i] = ws.w[i].touched;
			for (size_t i = 0; saved && i < ws.n; i++)
				ws.w[i].touched = false;
			dry_run(&ws, r);
			for (size_t i = 0; saved && i < ws.n; i++)
				ws.w[i].touched = saved[i];
			free(saved);
			request_free(r);
			continue;
		}
		k = validate(&ws, r, &err);
		if (k < 0) {
			if (!sd_bus_error_is_set(&err))
				sd_bus_error_set_errno(&err, k);
			m->stats.rejected++;
			reply_error(r, &err);
			request_free(r);
			continue;
		}
		/* Which devices it changed: a failed write then fails only their requests. */
		r->touched = calloc(ws.n_undo ? ws.n_undo : 1, sizeof(*r->touched));
		for (size_t u = 0; r->touched && u < ws.n_undo; u++)
			r->touched[r->n_touched++] = ws.undo[u].idx;
		*tail = r;
		tail = &r->next;
		n_accepted++;
	}
	if (!accepted)
		goto out;

	/* An earlier batch's journal must be settled before anything else changes. */
	if (m->journal_pending && manager_settle_journal(m, true) < 0) {
		if (m->store->error)
			storage_error(m, m->store->error, &kerr);
		else
			sd_bus_error_setf(&kerr, ERR_BUSY,
					  "the journal of an interrupted batch is not settled yet "
					  "(%s); nothing was changed",
					  m->recovery ? m->recovery : "pending");
		goto fail;
	}
	k = build_plan_input(&ws, &in, &items, &map);
	if (k >= 0)
		k = plan_compute(&in, &p);
	if (k < 0) {
		sd_bus_error_set_errno(&kerr, k);
		goto fail;
	}
	t_plan = now_usec();

	if (p->n_writes > 0) {
		_cleanup_json_ struct json_object *intent = batch_journal(&in, map, m->batch_seq);

		if (!intent) {
			sd_bus_error_set_errno(&kerr, -ENOMEM);
			goto fail;
		}

		sd_notifyf(0, "STATUS=Applying batch %" PRIu64 " (%zu requests, %zu writes)",
			   m->batch_seq, n_accepted, p->n_writes);
		k = apply_run(m->config.lock_path, m->store, m->host, &in, p, intent, &o);
		m->stats.kernel_writes += o.writes_done;
		if (k < 0 && o.storage_failed) {
			storage_error(m, k, &kerr);
			manager_storage_failed(m);
			goto fail;
		}
		if (k < 0) {
			sd_bus_error_setf(
				&kerr, k == -EBUSY && !o.failed_attr ? ERR_BUSY : ERR_KERNEL,
				"%s%s", o.message ? o.message : strerror(-k),
				o.rolled_back ? "; the previous matrices were restored" : "");
			/* The kernel state is whatever the readback saw. */
			for (size_t i = 0; o.read_back && i < in.n_items; i++) {
				struct host_mdev md = { .m = o.readback[i], .guest = o.guest[i] };

				if (map[i]->dev) {
					map[i]->dev->active = o.exists[i];
					map[i]->dev->kern = o.readback[i];
					md.attached = map[i]->dev->attached;
				}
				(void)host_put_mdev(m->host, in.items[i].uuid,
						    o.exists[i] ? &md : NULL);
			}
			/* The rollback did not finish: the journal it left says where to go. */
			if (!o.rolled_back) {
				(void)manager_settle_journal(m, true);
				goto fail;
			}
			if (o.failed_attr &&
			    isolate_retry(m, &ws, &in, map, accepted, n_accepted, &o)) {
				accepted = NULL;
				sd_notify(0, "STATUS=Ready");
				goto out;
			}
			goto fail;
		}
		m->stats.apcb_updates += p->apcb_updates;
	} else {
		o.readback = calloc(in.n_items ? in.n_items : 1, sizeof(*o.readback));
		o.exists = calloc(in.n_items ? in.n_items : 1, sizeof(*o.exists));
		if (!o.readback || !o.exists) {
			sd_bus_error_set_errno(&kerr, -ENOMEM);
			goto fail;
		}
		for (size_t i = 0; i < in.n_items; i++) {
			o.exists[i] = in.items[i].want_exists;
			o.readback[i] = in.items[i].want;
		}
		o.apmask = m->host->apmask;
		o.aqmask = m->host->aqmask;
		if (changes_definitions(&in, map)) {
			_cleanup_json_ struct json_object *intent =
				batch_journal(&in, map, m->batch_seq);

			crash_point("before-journal");
			k = intent ? store_journal_write(m->store, intent) : -ENOMEM;
			if (k < 0) {
				storage_error(m, k, &kerr);
				manager_storage_failed(m);
				goto fail;
			}
			crash_point("after-journal");
		}
	}
	t_apply = now_usec();
	k = persist(m, &in, map);
	if (k < 0) {
		storage_error(m, k, &kerr);
		unwind(m, &in, &o);
		goto fail;
	}
	m->stats.batches++;
	commit(m, &ws, &in, map, &o);
	t_commit = now_usec();
	mark_updated(m, &in, t_commit);
	result = plan_to_json(&in, p, m->batch_seq, n_accepted, false, &o, map);
	rs = json_object_to_json_string_ext(result, JSON_C_TO_STRING_PLAIN |
							    JSON_C_TO_STRING_NOSLASHESCAPE);
	manager_emit_batch_applied(m, rs);
	crash_point("before-reply");
	while (accepted) {
		struct request *r = accepted;

		accepted = r->next;
		reply_ok(m, r, rs);
		request_free(r);
	}
	manager_reconcile(m);
	sd_notify(0, "STATUS=Ready");
	log_debug("batch %" PRIu64 ": %zu requests, %zu writes; plan+validate %" PRIu64
		  " us, apply %" PRIu64 " us, commit %" PRIu64 " us, reply %" PRIu64 " us",
		  m->batch_seq, n_accepted, p->n_writes, t_plan - t_start, t_apply - t_plan,
		  t_commit - t_apply, now_usec() - t_commit);
	goto out;

fail:
	while (accepted) {
		struct request *r = accepted;

		accepted = r->next;
		reply_error(r, &kerr);
		request_free(r);
	}
out:
	batch_policy_batch_done(m, now_usec());
	apply_outcome_done(&o);
	working_done(&ws);
	/* A big batch leaves a big heap behind; give it back to the system. */
	if (n_accepted > 16)
		malloc_trim(0);
}
