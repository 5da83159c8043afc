// SPDX-License-Identifier: GPL-2.0-or-later
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "apm-limits.h"
#include "auth.h"
#include "batch-answer.h"
#include "bus-args.h"
#include "inhibit.h"
#include "log.h"
#include "manager.h"
#include "request-errors.h"
#include "sysfs.h"

enum inhibit_mode {
	INHIBIT_BLOCK,
	INHIBIT_DELAY,
};

static const char *const mode_names[] = {
	[INHIBIT_BLOCK] = "block",
	[INHIBIT_DELAY] = "delay",
};

struct inhibitor {
	struct inhibit_state *st;
	char uuid[UUID_STR_LEN + 1];
	char *who, *why;
	enum inhibit_mode mode;
	uint32_t uid, pid; /* UINT32_MAX when the bus did not say */
	uint64_t since_usec; /* CLOCK_REALTIME */
	sd_event_source *hangup; /* on the read end, which it owns */
};

/* A request a delay inhibitor holds, in arrival order. */
struct held {
	struct inhibit_state *st;
	struct request *r;
	sd_event_source *timeout; /* NULL for the daemon's own requests */
	uint64_t since_usec; /* CLOCK_MONOTONIC */
	struct held *next;
};

struct inhibit_state {
	Manager *m;
	struct inhibitor **v; /* oldest first */
	size_t n, allocated;
	struct held *held, **held_tail;
	size_t n_held; /* clients' requests only: the daemon's own are not limited */
	sd_event_source *resume;
	uint64_t delay_max_usec;
};

static uint64_t now_usec(clockid_t clock)
{
	struct timespec ts;

	clock_gettime(clock, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

/* The devices a request changes (see inhibit.h): how many, and the i-th. */
static size_t request_n_uuids(const struct request *r)
{
	switch (r->type) {
	case REQ_DEFINE:
	case REQ_UNDEFINE:
	case REQ_START:
	case REQ_STOP:
	case REQ_ASSIGN:
	case REQ_UNASSIGN:
	case REQ_PREPARE_MIGRATION:
	case REQ_ADOPT:
		return 1;
	case REQ_APPLY:
		return r->n_entries;
	default:
		return 0;
	}
}

static const char *request_uuid(const struct request *r, size_t i)
{
	if (r->type == REQ_DEFINE || r->type == REQ_PREPARE_MIGRATION)
		return r->def.uuid;
	if (r->type == REQ_APPLY)
		return r->entries[i].uuid;
	return r->uuid;
}

static const char *request_sender(const struct request *r)
{
	const char *s = r->msg ? sd_bus_message_get_sender(r->msg) : NULL;

	return s ? s : "";
}

/* The oldest inhibitor of uuid in mode (any mode when mode < 0). */
static const struct inhibitor *find(const struct inhibit_state *st, const char *uuid, int mode)
{
	for (size_t i = 0; i < st->n; i++)
		if ((mode < 0 || st->v[i]->mode == (enum inhibit_mode)mode) &&
		    strcmp(st->v[i]->uuid, uuid) == 0)
			return st->v[i];
	return NULL;
}

/* The oldest inhibitor in mode of any device r names, and that device. */
static const struct inhibitor *find_for(const struct inhibit_state *st, const struct request *r,
					int mode)
{
	for (size_t i = 0; i < request_n_uuids(r); i++) {
		const struct inhibitor *in = find(st, request_uuid(r, i), mode);

		if (in)
			return in;
	}
	return NULL;
}

static size_t count_on(const struct inhibit_state *st, const char *uuid)
{
	size_t n = 0;

	for (size_t i = 0; i < st->n; i++)
		n += strcmp(st->v[i]->uuid, uuid) == 0;
	return n;
}

/* "by WHO (pid P, uid U): WHY" */
static void describe(const struct inhibitor *in, char *buf, size_t size)
{
	snprintf(buf, size, "by %s (pid %" PRIu32 ", uid %" PRIu32 ")%s%s", in->who, in->pid,
		 in->uid, in->why[0] ? ": " : "", in->why);
}

/* InhibitorsChanged(uuid, json): the device's inhibitors and the requests held for it. */
static void emit_changed(struct inhibit_state *st, const char *uuid)
{
	_cleanup_json_ struct json_object *j = json_object_new_object();
	struct json_object *a = json_object_new_array();
	size_t held = 0;

	if (!j || !a || !st->m->bus) {
		json_object_put(a);
		return;
	}
	for (size_t i = 0; i < st->n; i++) {
		const struct inhibitor *in = st->v[i];
		struct json_object *o;

		if (strcmp(in->uuid, uuid) != 0)
			continue;
		o = json_object_new_object();
		json_object_object_add(o, "who", json_object_new_string(in->who));
		json_object_object_add(o, "why", json_object_new_string(in->why));
		json_object_object_add(o, "mode", json_object_new_string(mode_names[in->mode]));
		json_object_object_add(o, "uid", json_object_new_int64(in->uid));
		json_object_object_add(o, "pid", json_object_new_int64(in->pid));
		json_object_object_add(o, "since_usec",
				       json_object_new_int64((int64_t)in->since_usec));
		json_object_array_add(a, o);
	}
	for (struct held *h = st->held; h; h = h->next)
		for (size_t i = 0; i < request_n_uuids(h->r); i++)
			if (strcmp(request_uuid(h->r, i), uuid) == 0) {
				held++;
				break;
			}
	json_object_object_add(j, "uuid", json_object_new_string(uuid));
	json_object_object_add(j, "inhibitors", a);
	json_object_object_add(j, "held_requests", json_object_new_int64((int64_t)held));
	(void)sd_bus_emit_signal(
		st->m->bus, "/org/apmatrix1", "org.apmatrix1.Manager", "InhibitorsChanged", "ss",
		uuid,
		json_object_to_json_string_ext(j, JSON_C_TO_STRING_PLAIN |
							  JSON_C_TO_STRING_NOSLASHESCAPE));
}

/* Every device a held request names has changed its held count. */
static void emit_changed_for(struct inhibit_state *st, const struct request *r)
{
	for (size_t i = 0; i < request_n_uuids(r); i++)
		emit_changed(st, request_uuid(r, i));
}

static void held_unlink(struct inhibit_state *st, struct held *h)
{
	for (struct held **p = &st->held; *p; p = &(*p)->next)
		if (*p == h) {
			*p = h->next;
			if (st->held_tail == &h->next)
				st->held_tail = p;
			break;
		}
	if (h->r->msg)
		st->n_held--;
	h->next = NULL;
}

/* Drop h; its request goes to the caller (NULL: freed). */
static struct request *held_free(struct held *h)
{
	struct request *r = h->r;

	sd_event_source_disable_unref(h->timeout);
	free(h);
	return r;
}

static int on_held_timeout(sd_event_source *s, uint64_t usec, void *userdata)
{
	_cleanup_(sd_bus_error_free) sd_bus_error err = SD_BUS_ERROR_NULL;
	_cleanup_(request_freep) struct request *r = NULL;
	struct held *h = userdata;
	struct inhibit_state *st = h->st;
	const struct inhibitor *in = find_for(st, h->r, INHIBIT_DELAY);
	char holder[2048];

	/* Its last delay inhibitor went just now: the pending resume runs it. */
	if (!in)
		return 0;
	describe(in, holder, sizeof(holder));
	held_unlink(st, h);
	r = held_free(h);
	sd_bus_error_setf(&err, ERR_INHIBITED,
			  "%s of device %s not run: still delayed %s after %g s, the limit "
			  "InhibitDelayMaxSec=%g",
			  request_type_to_string(r->type), in->uuid, holder,
			  (double)st->delay_max_usec / 1e6, (double)st->delay_max_usec / 1e6);
	log_info("%s", err.message);
	request_reply_error(r, &err);
	emit_changed_for(st, r);
	return 0;
}

/* Add r's devices to the set *list of *n (duplicates once); out of memory: skipped. */
static void remember_uuids(char ***list, size_t *n, const struct request *r)
{
	for (size_t i = 0; i < request_n_uuids(r); i++) {
		const char *u = request_uuid(r, i);
		bool seen = false;
		char **nl;

		for (size_t j = 0; j < *n && !seen; j++)
			seen = strcmp((*list)[j], u) == 0;
		if (seen)
			continue;
		nl = reallocarray(*list, *n + 2, sizeof(char *));
		if (!nl)
			return;
		*list = nl;
		nl[*n] = strdup(u);
		if (!nl[*n])
			return;
		nl[++*n] = NULL;
	}
}

/* Whether h may run now: no delay inhibitor left (the daemon's own: no inhibitor at all). */
static bool held_free_to_go(const struct inhibit_state *st, const struct held *h)
{
	return !find_for(st, h->r, h->r->msg ? INHIBIT_DELAY : -1);
}

/*
 * Requests no inhibitor holds any more go back to the head of their sender's
 * queue, in their order, and run in a batch now. One that a block inhibitor
 * (taken meanwhile) concerns gets its refusal from that batch.
 */
static int on_resume(sd_event_source *s, void *userdata)
{
	struct inhibit_state *st = userdata;
	_cleanup_free_ struct held **go = NULL;
	size_t n = 0, total = 0, n_changed = 0;
	char **changed = NULL;

	st->resume = sd_event_source_disable_unref(st->resume);
	for (struct held *h = st->held; h; h = h->next)
		total++;
	go = calloc(total + 1, sizeof(*go));
	if (!go)
		return log_oom();
	for (struct held *h = st->held; h; h = h->next)
		if (held_free_to_go(st, h))
			go[n++] = h;
	if (n == 0)
		return 0;
	/* Newest first to the head of each FIFO: the oldest ends in front. */
	for (size_t i = n; i > 0; i--) {
		struct held *h = go[i - 1];
		uint64_t waited = now_usec(CLOCK_MONOTONIC) - h->since_usec;
		struct request *r;
		int k;

		held_unlink(st, h);
		r = held_free(h);
		k = sender_queue_push_front(&st->m->queue, r);
		if (k < 0) {
			_cleanup_(sd_bus_error_free) sd_bus_error err = SD_BUS_ERROR_NULL;

			log_oom();
			sd_bus_error_set_errno(&err, k);
			request_reply_error(r, &err);
			request_free(r);
			continue;
		}
		log_debug("%s of device %s released by its inhibitors after %" PRIu64 " ms",
			  request_type_to_string(r->type), request_uuid(r, 0), waited / 1000);
		remember_uuids(&changed, &n_changed, r);
	}
	manager_run_batch(st->m);
	/* After the batch: "nothing held" means the released requests have run. */
	for (size_t i = 0; i < n_changed; i++)
		emit_changed(st, changed[i]);
	strv_free(changed);
	return 0;
}

static void schedule_resume(struct inhibit_state *st)
{
	int r;

	if (st->resume || !st->held)
		return;
	r = sd_event_add_defer(st->m->event, &st->resume, on_resume, st);
	if (r < 0)
		log_error_errno(r, "Failed to schedule the requests held by inhibitors");
}

static void inhibitor_free(struct inhibitor *in)
{
	if (!in)
		return;
	sd_event_source_disable_unref(in->hangup);
	free(in->who);
	free(in->why);
	free(in);
}
DEFINE_TRIVIAL_CLEANUP_FUNC(struct inhibitor *, inhibitor_free)

static void inhibitor_remove(struct inhibitor *in)
{
	struct inhibit_state *st = in->st;

	for (size_t i = 0; i < st->n; i++)
		if (st->v[i] == in) {
			memmove(&st->v[i], &st->v[i + 1], (st->n - i - 1) * sizeof(*st->v));
			st->n--;
			break;
		}
}

/* The holder closed its end or died. */
static void inhibitor_released(struct inhibitor *in)
{
	struct inhibit_state *st = in->st;
	char uuid[UUID_STR_LEN + 1];

	log_info("Inhibitor (%s) of device %s released by %s (pid %" PRIu32 ")",
		 mode_names[in->mode], in->uuid, in->who, in->pid);
	memcpy(uuid, in->uuid, sizeof(uuid));
	inhibitor_remove(in);
	inhibitor_free(in);
	emit_changed(st, uuid);
	schedule_resume(st);
}

static int on_hangup(sd_event_source *s, int fd, uint32_t revents, void *userdata)
{
	inhibitor_released(userdata);
	return 0;
}

/*
 * Release the inhibitors whose holders are gone but whose EPOLLHUP the loop
 * has not dispatched yet: a request read off the bus while a batch drains it
 * may come from a client that closed its inhibitor just before sending it.
 */
static void prune_released(struct inhibit_state *st)
{
	struct pollfd p[APM_LIMIT_INHIBITORS];
	size_t n = st->n < APM_LIMIT_INHIBITORS ? st->n : APM_LIMIT_INHIBITORS;
	struct inhibitor *gone[APM_LIMIT_INHIBITORS];
	size_t n_gone = 0;

	if (n == 0)
		return;
	for (size_t i = 0; i < n; i++)
		p[i] = (struct pollfd){ .fd = sd_event_source_get_io_fd(st->v[i]->hangup) };
	if (poll(p, n, 0) <= 0)
		return;
	for (size_t i = 0; i < n; i++)
		if (p[i].revents & (POLLHUP | POLLERR | POLLNVAL))
			gone[n_gone++] = st->v[i];
	for (size_t i = 0; i < n_gone; i++)
		inhibitor_released(gone[i]);
}

static int hold(struct inhibit_state *st, struct request *r, const struct inhibitor *in,
		sd_bus_error *error)
{
	const char *sender = request_sender(r);
	struct held *h;
	size_t mine = 0;
	int k;

	if (!r->msg) {
		/* The daemon's own: one of a kind per device is enough (reconcile repeats it). */
		for (struct held *o = st->held; o; o = o->next)
			if (!o->r->msg && o->r->type == r->type &&
			    strcmp(request_uuid(o->r, 0), request_uuid(r, 0)) == 0) {
				request_free(r);
				return INHIBIT_HELD;
			}
	} else {
		for (struct held *o = st->held; o; o = o->next)
			mine += strcmp(request_sender(o->r), sender) == 0;
		if (mine >= APM_LIMIT_QUEUED_REQUESTS_PER_CLIENT)
			return sd_bus_error_setf(
				error, ERR_TOO_MANY_REQUESTS,
				"%s: this client already has %d requests held by delay inhibitors, "
				"the limit QueuedRequestsPerClient=%d; wait for their replies",
				request_type_to_string(r->type),
				APM_LIMIT_QUEUED_REQUESTS_PER_CLIENT,
				APM_LIMIT_QUEUED_REQUESTS_PER_CLIENT);
		if (st->n_held >= APM_LIMIT_INHIBIT_HELD_REQUESTS)
			return sd_bus_error_setf(
				error, ERR_TOO_MANY_REQUESTS,
				"%s: %d requests are held by delay inhibitors already, the limit "
				"InhibitHeldRequests=%d; try again when they are released",
				request_type_to_string(r->type), APM_LIMIT_INHIBIT_HELD_REQUESTS,
				APM_LIMIT_INHIBIT_HELD_REQUESTS);
	}
	h = calloc(1, sizeof(*h));
	if (!h)
		return -ENOMEM;
	*h = (struct held){ .st = st, .r = r, .since_usec = now_usec(CLOCK_MONOTONIC) };
	if (r->msg) {
		k = sd_event_add_time_relative(st->m->event, &h->timeout, CLOCK_MONOTONIC,
					       st->delay_max_usec, 1000, on_held_timeout, h);
		if (k < 0) {
			free(h);
			return log_error_errno(k, "Failed to arm the delay of a held request");
		}
		st->n_held++;
	}
	*st->held_tail = h;
	st->held_tail = &h->next;
	log_debug("%s of device %s held by a delay inhibitor of %s",
		  request_type_to_string(r->type), in->uuid, in->who);
	emit_changed_for(st, r);
	return INHIBIT_HELD;
}

int inhibit_check(Manager *m, struct request *r, sd_bus_error *error)
{
	struct inhibit_state *st = m->inhibit;
	const struct inhibitor *in;
	char holder[2048];
	size_t n;

	if (!st || st->n == 0)
		return 0;
	prune_released(st);
	in = find_for(st, r, INHIBIT_BLOCK);
	if (in && r->msg) {
		describe(in, holder, sizeof(holder));
		n = count_on(st, in->uuid);
		return sd_bus_error_setf(error, ERR_INHIBITED,
					 "%s of device %s refused: inhibited %s%s",
					 request_type_to_string(r->type), in->uuid, holder,
					 n > 1 ? " (and more inhibitors, see ListInhibitors)" : "");
	}
	if (!in)
		in = find_for(st, r, INHIBIT_DELAY);
	if (!in)
		return 0;
	/* A dry run changes nothing, so it does not wait; a block inhibitor refuses it above. */
	if (r->flags & REQUEST_FLAG_DRY_RUN)
		return 0;
	return hold(st, r, in, error);
}

static bool has_control(const char *s, size_t *ret_offset)
{
	for (size_t i = 0; s[i]; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f) {
			*ret_offset = i;
			return true;
		}
	return false;
}

static int inhibit_authorised(sd_bus_message *msg, Manager *m, sd_bus_error *error)
{
	_cleanup_(sd_bus_creds_unrefp) sd_bus_creds *creds = NULL;
	_cleanup_(inhibitor_freep) struct inhibitor *in = NULL;
	_cleanup_close_ int rfd = -1, wfd = -1;
	struct inhibit_state *st = m->inhibit;
	const char *uuid, *who, *why, *mode;
	int fds[2], k;
	size_t off;
	uid_t uid;
	pid_t pid;

	k = sd_bus_message_read(msg, "ssss", &uuid, &who, &why, &mode);
	if (k < 0)
		return k;
	in = calloc(1, sizeof(*in));
	if (!in)
		return -ENOMEM;
	in->st = st;
	k = bus_parse_uuid(uuid, "uuid", in->uuid, error);
	if (k < 0)
		return k;
	if (!who[0])
		return sd_bus_error_setf(error, SD_BUS_ERROR_INVALID_ARGS,
					 "who: empty; name the program or person holding it");
	if (strlen(who) > APM_LIMIT_INHIBIT_WHO_BYTES)
		return bus_error_limit(error, "who", strlen(who), "bytes", "InhibitWhoBytes",
				       APM_LIMIT_INHIBIT_WHO_BYTES);
	if (strlen(why) > APM_LIMIT_INHIBIT_WHY_BYTES)
		return bus_error_limit(error, "why", strlen(why), "bytes", "InhibitWhyBytes",
				       APM_LIMIT_INHIBIT_WHY_BYTES);
	if (has_control(who, &off) || has_control(why, &off))
		return sd_bus_error_setf(error, SD_BUS_ERROR_INVALID_ARGS,
					 "%s: control character at offset %zu",
					 has_control(who, &off) ? "who" : "why", off);
	if (strcmp(mode, "block") == 0)
		in->mode = INHIBIT_BLOCK;
	else if (strcmp(mode, "delay") == 0)
		in->mode = INHIBIT_DELAY;
	else
		return sd_bus_error_setf(error, SD_BUS_ERROR_INVALID_ARGS,
					 "mode: \"%.32s\" is not one of block, delay", mode);
	if (!manager_find_device(m, in->uuid))
		return sd_bus_error_setf(error, ERR_NO_SUCH_DEVICE, "no device %s", in->uuid);
	prune_released(st);
	if (st->n >= APM_LIMIT_INHIBITORS)
		return bus_error_limit(error, "inhibitors", st->n + 1, "inhibitors", "Inhibitors",
				       APM_LIMIT_INHIBITORS);
	in->who = strdup(who);
	in->why = strdup(why);
	if (!in->who || !in->why)
		return -ENOMEM;

	in->uid = in->pid = UINT32_MAX;
	k = sd_bus_query_sender_creds(msg, SD_BUS_CREDS_PID | SD_BUS_CREDS_EUID, &creds);
	if (k >= 0 && sd_bus_creds_get_euid(creds, &uid) >= 0)
		in->uid = (uint32_t)uid;
	if (k >= 0 && sd_bus_creds_get_pid(creds, &pid) >= 0)
		in->pid = (uint32_t)pid;
	if (k < 0)
		log_debug_errno(k, "Failed to query the credentials of the inhibitor's holder");
	in->since_usec = now_usec(CLOCK_REALTIME);

	if (pipe2(fds, O_CLOEXEC | O_NONBLOCK) < 0)
		return log_error_errno(-errno, "Failed to create the inhibitor's pipe");
	rfd = fds[0];
	wfd = fds[1];
	/* Events 0: epoll reports EPOLLHUP anyway, and what the holder writes is ignored. */
	k = sd_event_add_io(m->event, &in->hangup, rfd, 0, on_hangup, in);
	if (k < 0)
		return log_error_errno(k, "Failed to watch the inhibitor's pipe");
	k = sd_event_source_set_io_fd_own(in->hangup, true);
	if (k < 0)
		return log_error_errno(k, "Failed to hand the inhibitor's pipe to its watch");
	/* Before the bus: a request sent after the release must not meet the inhibitor. */
	k = sd_event_source_set_priority(in->hangup, SD_EVENT_PRIORITY_IMPORTANT);
	if (k < 0)
		return log_error_errno(k, "Failed to set the priority of the inhibitor's watch");
	TAKE_FD(rfd);
	if (st->n == st->allocated) {
		size_t n = st->allocated ? st->allocated * 2 : 8;
		struct inhibitor **nv = reallocarray(st->v, n, sizeof(*nv));

		if (!nv)
			return -ENOMEM;
		st->v = nv;
		st->allocated = n;
	}
	/* sd-bus sends a duplicate; ours closes on return, so only the holder's remains. */
	k = sd_bus_reply_method_return(msg, "h", wfd);
	if (k < 0)
		return log_error_errno(k, "Failed to send the inhibitor's fd");
	log_info("Inhibitor (%s) of device %s taken by %s (pid %" PRIu32 ", uid %" PRIu32 "): %s",
		 mode_names[in->mode], in->uuid, in->who, in->pid, in->uid, in->why);
	st->v[st->n] = TAKE_PTR(in);
	emit_changed(st, st->v[st->n++]->uuid);
	return 1;
}

static int method_inhibit(sd_bus_message *msg, void *userdata, sd_bus_error *error)
{
	return auth_then_named(userdata, msg, "inhibit", inhibit_authorised, error);
}

static int method_list_inhibitors(sd_bus_message *msg, void *userdata, sd_bus_error *error)
{
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
	Manager *m = userdata;
	struct inhibit_state *st = m->inhibit;
	int r;

	prune_released(st);
	r = sd_bus_message_new_method_return(msg, &reply);
	if (r < 0)
		return r;
	r = sd_bus_message_open_container(reply, 'a', "(ssssuut)");
	for (size_t i = 0; r >= 0 && i < st->n; i++) {
		const struct inhibitor *in = st->v[i];

		r = sd_bus_message_append(reply, "(ssssuut)", in->uuid, in->who, in->why,
					  mode_names[in->mode], in->uid, in->pid, in->since_usec);
	}
	if (r >= 0)
		r = sd_bus_message_close_container(reply);
	if (r < 0)
		return r;
	return sd_bus_send(NULL, reply, NULL);
}

static const sd_bus_vtable inhibit_vtable[] = {
	SD_BUS_VTABLE_START(0),
	SD_BUS_METHOD_WITH_NAMES("Inhibit", "ssss",
				 SD_BUS_PARAM(uuid) SD_BUS_PARAM(who) SD_BUS_PARAM(why)
					 SD_BUS_PARAM(mode),
				 "h", SD_BUS_PARAM(fd), method_inhibit, SD_BUS_VTABLE_UNPRIVILEGED),
	SD_BUS_METHOD_WITH_NAMES("ListInhibitors", "", , "a(ssssuut)", SD_BUS_PARAM(inhibitors),
				 method_list_inhibitors, SD_BUS_VTABLE_UNPRIVILEGED),
	SD_BUS_SIGNAL_WITH_NAMES("InhibitorsChanged", "ss", SD_BUS_PARAM(uuid) SD_BUS_PARAM(json),
				 0),
	SD_BUS_VTABLE_END,
};

int inhibit_bus_register(Manager *m)
{
	struct inhibit_state *st;
	const char *e;
	int r;

	if (!m->inhibit) {
		st = calloc(1, sizeof(*st));
		if (!st)
			return log_oom();
		*st = (struct inhibit_state){
			.m = m,
			.delay_max_usec = (uint64_t)APM_LIMIT_INHIBIT_DELAY_MAX_SEC * 1000000,
		};
		st->held_tail = &st->held;
		/* Tests shorten the delay limit. */
		e = getenv("APMATRIXD_INHIBIT_DELAY_MAX_USEC");
		if (e && *e) {
			char *end;
			unsigned long long v;

			errno = 0;
			v = strtoull(e, &end, 10);
			if (errno || *end || v == 0)
				log_warning("Ignoring APMATRIXD_INHIBIT_DELAY_MAX_USEC=%s: not a "
					    "positive number of microseconds",
					    e);
			else
				st->delay_max_usec = v;
		}
		m->inhibit = st;
	}
	r = sd_bus_add_object_vtable(m->bus, NULL, "/org/apmatrix1", "org.apmatrix1.Manager",
				     inhibit_vtable, m);
	if (r < 0)
		return log_error_errno(r, "Failed to add the Inhibit methods");
	return 0;
}

void inhibit_free(Manager *m)
{
	struct inhibit_state *st = m->inhibit;

	if (!st)
		return;
	while (st->held) {
		_cleanup_(sd_bus_error_free) sd_bus_error err = SD_BUS_ERROR_NULL;
		struct held *h = st->held;
		struct request *r;

		held_unlink(st, h);
		r = held_free(h);
		sd_bus_error_setf(&err, ERR_INHIBITED,
				  "%s of device %s not run: apmatrixd stopped while a delay "
				  "inhibitor held it",
				  request_type_to_string(r->type), request_uuid(r, 0));
		request_reply_error(r, &err);
		request_free(r);
	}
	for (size_t i = 0; i < st->n; i++)
		inhibitor_free(st->v[i]);
	free(st->v);
	sd_event_source_disable_unref(st->resume);
	free(st);
	m->inhibit = NULL;
}
