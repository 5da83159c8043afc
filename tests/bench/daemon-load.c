// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Many org.apmatrix1 clients at once, each on its own bus connection, in one
 * sd-event loop; every reply is checked against the request it answers.
 *
 *   daemon-load load SECONDS NCLIENTS EXPECT_FILE
 *	Client i < 10 owns the running device ffffffff-0000-4000-8000-00000000000i
 *	(tests/dbus/lib.sh apm_ten_devices) and changes its control domains; the
 *	others define cccccccc-0000-4000-8000-<i> (not started) and change its
 *	domains and control domains. Each client keeps one mutation (Assign,
 *	Unassign, now and then a dry run or an out-of-range id) and two reads
 *	(GetDevice, the device's Domains property, now and then GetState) in
 *	flight and listens to BatchApplied and its device's DeviceChanged.
 *	Checks: every reply is for a call in flight (none twice, none unknown),
 *	every call is answered, a mutation's result shows the device exactly as
 *	the acknowledged requests so far imply, a property read with no mutation
 *	in flight too, BatchApplied numbers only grow. Writes what the
 *	acknowledged requests imply to EXPECT_FILE (JSON: uuid -> domains,
 *	control_domains), prints request counts and latency percentiles.
 *
 *   daemon-load fair UUID_F UUID_O
 *	The fairness check (tests/dbus/test-fair.sh), on two connections F and O;
 *	the daemon runs with a batch window long enough to hold phase 1:
 *	F sends 63 Assigns to UUID_F, a DefineDevice of an autostart device
 *	claiming 02.000e, and 36 Assigns more; once F has its 36 TooManyRequests
 *	errors (so all 100 are in the daemon), O defines another autostart device
 *	claiming 02.000e. Round-robin validates O's request second: O wins, F's
 *	define gets InUse.
 *
 *   daemon-load flood SECONDS UUID_F UUID_O
 *	F keeps 100 Assigns in flight; O sends one Assign at a time. Checks that
 *	no batch takes more than REQUESTS_QUEUED_PER_CLIENT_MAX of F's and that
 *	O's request is answered in the batch after the last one F saw, or the one
 *	after that.
 *
 *   daemon-load slow-reader
 *	Subscribe to every signal of org.apmatrix1, print "subscribed", then never
 *	read the socket again (until SIGTERM).
 */
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <json-c/json.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <systemd/sd-bus.h>
#include <systemd/sd-event.h>
#include <time.h>
#include <unistd.h>

#include "apm-limits.h"
#include "macro.h"
#include "matrix-json.h"

#define DEST "org.apmatrix1"
#define PATH "/org/apmatrix1"
#define IFACE "org.apmatrix1.Manager"
#define DEVICE_IFACE "org.apmatrix1.Device"
#define CALL_TIMEOUT_USEC (120 * 1000000ULL)
#define QUEUED_MAX APM_LIMIT_QUEUED_REQUESTS_PER_CLIENT
#define IDS 85 /* domain ids 0-84 on apsim's default host */

static uint64_t now_usec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

struct lat {
	uint64_t *v;
	size_t n, allocated;
};

static void lat_add(struct lat *l, uint64_t us)
{
	if (l->n == l->allocated) {
		size_t n = l->allocated ? l->allocated * 2 : 4096;
		uint64_t *nv = reallocarray(l->v, n, sizeof(*nv));

		if (!nv)
			return;
		l->v = nv;
		l->allocated = n;
	}
	l->v[l->n++] = us;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static void lat_print(const char *what, struct lat *l)
{
	if (l->n == 0) {
		printf("%s: none\n", what);
		return;
	}
	qsort(l->v, l->n, sizeof(*l->v), cmp_u64);
	printf("%s: %zu, latency p50 %.1f ms, p99 %.1f ms, max %.1f ms\n", what, l->n,
	       (double)l->v[l->n / 2] / 1e3, (double)l->v[(l->n * 99) / 100] / 1e3,
	       (double)l->v[l->n - 1] / 1e3);
}

static unsigned long n_errors;
#define fail(...)                                     \
	do {                                          \
		n_errors++;                           \
		if (n_errors <= 20)                   \
			fprintf(stderr, __VA_ARGS__); \
	} while (0)

/* --- load ---------------------------------------------------------------- */

enum call_kind { C_ASSIGN, C_UNASSIGN, C_DRY, C_BAD, C_GETDEVICE, C_PROP, C_STATE };

struct client;
struct call {
	struct client *c;
	enum call_kind kind;
	uint64_t cookie, sent_usec;
	bool control; /* control-domain, else domain */
	uint32_t id;
	bool mutation_in_flight; /* at send time (C_PROP) */
};

#define CLIENT_IN_FLIGHT 3 /* one mutation, two reads */

struct client {
	int idx;
	sd_bus *bus;
	char uuid[37];
	char path[256];
	bool active;
	bool domains[IDS], control[IDS]; /* what the acknowledged requests imply */
	bool mut_busy;
	unsigned int reads_busy;
	unsigned long pending; /* calls in flight */
	struct call *inflight[CLIENT_IN_FLIGHT];
	int64_t last_batch;
	bool started; /* the setup's synchronous calls are done */
	unsigned long batch_signals, device_signals;
	unsigned int rng;
};

static struct {
	bool stop;
	unsigned long sent, answered, mutations_ok, expected_errors, signals, stray_replies;
	struct lat mut, read;
	unsigned long in_flight;
} L;

static int issue(struct client *c);

static bool ids_of(json_object *dev, const char *field, bool out[IDS])
{
	json_object *a;

	memset(out, 0, IDS * sizeof(bool));
	if (!json_object_object_get_ex(dev, field, &a) || !json_object_is_type(a, json_type_array))
		return false;
	for (size_t i = 0; i < json_object_array_length(a); i++) {
		int v = json_object_get_int(json_object_array_get_idx(a, i));

		if (v < 0 || v >= IDS)
			return false;
		out[v] = true;
	}
	return true;
}

/* The result JSON of a mutation: our device as the model says, and its batch number. */
static void check_result(struct client *c, const char *s, bool dry)
{
	_cleanup_json_ json_object *j = json_tokener_parse(s);
	json_object *devs, *b;
	bool d[IDS], cd[IDS];

	if (!j || !json_object_object_get_ex(j, "devices", &devs)) {
		fail("client %d: result is not a batch result: %.200s\n", c->idx, s);
		return;
	}
	if (!dry && json_object_object_get_ex(j, "batch", &b)) {
		int64_t n = json_object_get_int64(b);

		if (n < c->last_batch)
			fail("client %d: batch %" PRId64 " after %" PRId64 "\n", c->idx, n,
			     c->last_batch);
	}
	for (size_t i = 0; i < json_object_array_length(devs); i++) {
		json_object *e = json_object_array_get_idx(devs, i), *u;

		if (!json_object_object_get_ex(e, "uuid", &u) ||
		    strcmp(json_object_get_string(u), c->uuid) != 0)
			continue;
		if (!ids_of(e, "domains", d) || !ids_of(e, "control_domains", cd))
			fail("client %d: result without id lists\n", c->idx);
		else if (!dry && (memcmp(d, c->domains, sizeof(d)) != 0 ||
				  memcmp(cd, c->control, sizeof(cd)) != 0))
			fail("client %d: result shows a matrix the acknowledged requests do not "
			     "imply: %.300s\n",
			     c->idx, s);
		return;
	}
	if (!dry)
		fail("client %d: result does not list its device %s\n", c->idx, c->uuid);
}

static int on_reply(sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
	struct call *k = userdata;
	struct client *c = k->c;
	const sd_bus_error *e = sd_bus_message_get_error(m);
	uint64_t rc = 0, lat = now_usec() - k->sent_usec;
	const char *s;
	bool mutation = k->kind <= C_BAD;

	L.answered++;
	L.in_flight--;
	c->pending--;
	for (int i = 0; i < CLIENT_IN_FLIGHT; i++)
		if (c->inflight[i] == k)
			c->inflight[i] = NULL;
	if (sd_bus_message_get_reply_cookie(m, &rc) < 0 || rc != k->cookie)
		fail("client %d: reply to cookie %" PRIu64 " delivered for call %" PRIu64 "\n",
		     c->idx, rc, k->cookie);
	lat_add(mutation ? &L.mut : &L.read, lat);
	if (mutation)
		c->mut_busy = false;
	else
		c->reads_busy--;

	if (k->kind == C_BAD) {
		if (!e || strcmp(e->name, "org.apmatrix1.Error.OutOfRange") != 0)
			fail("client %d: out-of-range id answered %s\n", c->idx,
			     e ? e->name : "success");
		else
			L.expected_errors++;
	} else if (e) {
		fail("client %d: call kind %d failed: %s: %s\n", c->idx, k->kind, e->name,
		     e->message);
	} else
		switch (k->kind) {
		case C_ASSIGN:
		case C_UNASSIGN:
			(k->control ? c->control : c->domains)[k->id] = k->kind == C_ASSIGN;
			L.mutations_ok++;
			/* fallthrough */
		case C_DRY:
			if (sd_bus_message_read(m, "s", &s) < 0)
				fail("client %d: mutation reply without result\n", c->idx);
			else
				check_result(c, s, k->kind == C_DRY);
			break;
		case C_GETDEVICE:
			if (sd_bus_message_read(m, "o", &s) < 0 || strcmp(s, c->path) != 0)
				fail("client %d: GetDevice answered another path\n", c->idx);
			break;
		case C_PROP: {
			const uint32_t *v;
			size_t n;
			bool got[IDS] = { false };

			if (sd_bus_message_enter_container(m, 'v', "au") < 0 ||
			    sd_bus_message_read_array(m, 'u', (const void **)&v, &n) < 0) {
				fail("client %d: Domains property unreadable\n", c->idx);
				break;
			}
			for (size_t i = 0; i < n / sizeof(*v); i++)
				if (v[i] < IDS)
					got[v[i]] = true;
			if (!k->mutation_in_flight && !c->mut_busy &&
			    memcmp(got, c->domains, sizeof(got)) != 0)
				fail("client %d: Domains property differs from the model\n",
				     c->idx);
			break;
		}
		default:
			break;
		}
	free(k);
	if (!L.stop)
		(void)issue(c);
	/* Handled: the filter below sees only replies no call waits for. */
	return 1;
}

static int send_call(struct client *c, struct call *k, sd_bus_message *msg)
{
	int r;

	k->c = c;
	k->sent_usec = now_usec();
	r = sd_bus_call_async(c->bus, NULL, msg, on_reply, k, CALL_TIMEOUT_USEC);
	if (r < 0) {
		free(k);
		return r;
	}
	(void)sd_bus_message_get_cookie(msg, &k->cookie);
	for (int i = 0; i < CLIENT_IN_FLIGHT; i++)
		if (!c->inflight[i]) {
			c->inflight[i] = k;
			break;
		}
	L.sent++;
	L.in_flight++;
	c->pending++;
	return 0;
}

static unsigned int rnd(struct client *c, unsigned int n)
{
	return (unsigned int)(rand_r(&c->rng) % n);
}

static int issue_mutation(struct client *c)
{
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *msg = NULL;
	struct call *k = calloc(1, sizeof(*k));
	unsigned int dice = rnd(c, 32);
	uint64_t flags = 0;
	int r;

	if (!k)
		return -ENOMEM;
	k->control = c->active || rnd(c, 2);
	/* Ids 16-84: never the base domain (i % 85 < 16 for the running ones). */
	do
		k->id = 16 + rnd(c, IDS - 16);
	while (!k->control && k->id == (uint32_t)(c->idx % IDS));
	if (dice == 0)
		k->kind = C_BAD, k->id = 300;
	else if (dice == 1)
		k->kind = C_DRY, flags = 1;
	else
		k->kind = (k->control ? c->control : c->domains)[k->id] ? C_UNASSIGN : C_ASSIGN;
	r = sd_bus_message_new_method_call(c->bus, &msg, DEST, PATH, IFACE,
					   k->kind == C_UNASSIGN ? "Unassign" : "Assign");
	if (r >= 0)
		r = sd_bus_message_append(msg, "ssau", c->uuid,
					  k->control ? "control-domain" : "domain", 1, k->id);
	if (r >= 0)
		r = sd_bus_message_append(msg, "t", flags);
	if (r < 0) {
		free(k);
		return r;
	}
	c->mut_busy = true;
	return send_call(c, k, msg);
}

static int issue_read(struct client *c)
{
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *msg = NULL;
	struct call *k = calloc(1, sizeof(*k));
	unsigned int dice = rnd(c, 64);
	int r;

	if (!k)
		return -ENOMEM;
	k->kind = dice == 0 ? C_STATE : dice < 32 ? C_GETDEVICE : C_PROP;
	k->mutation_in_flight = c->mut_busy;
	if (k->kind == C_PROP)
		r = sd_bus_message_new_method_call(c->bus, &msg, DEST, c->path,
						   "org.freedesktop.DBus.Properties", "Get");
	else
		r = sd_bus_message_new_method_call(c->bus, &msg, DEST, PATH, IFACE,
						   k->kind == C_STATE ? "GetState" : "GetDevice");
	if (r >= 0 && k->kind == C_PROP)
		r = sd_bus_message_append(msg, "ss", DEVICE_IFACE, "Domains");
	else if (r >= 0 && k->kind == C_GETDEVICE)
		r = sd_bus_message_append(msg, "s", c->uuid);
	if (r < 0) {
		free(k);
		return r;
	}
	c->reads_busy++;
	return send_call(c, k, msg);
}

static int issue(struct client *c)
{
	int r = 0;

	if (!c->mut_busy)
		r = issue_mutation(c);
	while (r >= 0 && c->reads_busy < 2)
		r = issue_read(c);
	if (r < 0)
		fail("client %d: send failed: %s\n", c->idx, strerror(-r));
	return 0;
}

static int on_batch_applied(sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
	struct client *c = userdata;
	_cleanup_json_ json_object *j = NULL;
	json_object *b;
	const char *s;
	int64_t n;

	L.signals++;
	c->batch_signals++;
	if (sd_bus_message_read(m, "s", &s) < 0 || !(j = json_tokener_parse(s)) ||
	    !json_object_object_get_ex(j, "batch", &b)) {
		fail("client %d: BatchApplied without a batch number\n", c->idx);
		return 0;
	}
	n = json_object_get_int64(b);
	/* A batch retried in groups announces one signal per group: equal is fine. */
	if (n < c->last_batch)
		fail("client %d: BatchApplied %" PRId64 " after %" PRId64 "\n", c->idx, n,
		     c->last_batch);
	c->last_batch = n;
	return 0;
}

static int on_device_changed(sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
	struct client *c = userdata;

	L.signals++;
	c->device_signals++;
	return 0;
}

/*
 * A reply reaches the filter only when no call waits for it (on_reply()
 * returns 1): one answered twice, or never asked.
 */
static int on_filter(sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
	struct client *c = userdata;
	uint8_t t = 0;

	(void)sd_bus_message_get_type(m, &t);
	if (t == SD_BUS_MESSAGE_METHOD_RETURN || t == SD_BUS_MESSAGE_METHOD_ERROR) {
		uint64_t cookie = 0;

		(void)sd_bus_message_get_reply_cookie(m, &cookie);
		/* The synchronous calls of the setup (DefineDevice, property reads). */
		if (!c->started)
			return 0;
		L.stray_replies++;
		fail("stray reply (answered twice?) to cookie %" PRIu64 "\n", cookie);
	}
	return 0;
}

static int define_own(struct client *c)
{
	_cleanup_(sd_bus_error_free) sd_bus_error e = SD_BUS_ERROR_NULL;
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
	char cfg[64];
	int base = c->idx % IDS;

	snprintf(cfg, sizeof(cfg), "{\"domains\":[%d]}", base);
	c->domains[base] = true;
	return sd_bus_call_method(c->bus, DEST, PATH, IFACE, "DefineDevice", &e, &reply, "sst",
				  c->uuid, cfg, UINT64_C(0));
}

/* The running devices may have domains and control domains from earlier runs: read them. */
static int read_model(struct client *c)
{
	_cleanup_(sd_bus_error_free) sd_bus_error e = SD_BUS_ERROR_NULL;
	const char *props[] = { "Domains", "ControlDomains" };

	for (int p = 0; p < 2; p++) {
		_cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
		const uint32_t *v;
		size_t n;
		int r;

		r = sd_bus_get_property(c->bus, DEST, c->path, DEVICE_IFACE, props[p], &e, &reply,
					"au");
		if (r >= 0)
			r = sd_bus_message_read_array(reply, 'u', (const void **)&v, &n);
		if (r < 0)
			return r;
		for (size_t i = 0; i < n / sizeof(*v); i++)
			if (v[i] < IDS)
				(p ? c->control : c->domains)[v[i]] = true;
	}
	return 0;
}

static int on_stop_timer(sd_event_source *s, uint64_t usec, void *userdata)
{
	L.stop = true;
	return 0;
}

static int on_check_done(sd_event_source *s, void *userdata)
{
	if (L.stop && L.in_flight == 0)
		return sd_event_exit(sd_event_source_get_event(s), 0);
	return 0;
}

static void ids_json(FILE *f, const bool v[IDS])
{
	bool first = true;

	fputc('[', f);
	for (int i = 0; i < IDS; i++)
		if (v[i]) {
			fprintf(f, "%s%d", first ? "" : ",", i);
			first = false;
		}
	fputc(']', f);
}

static int load(double secs, int n, const char *expect_path)
{
	_cleanup_(sd_event_unrefp) sd_event *ev = NULL;
	struct client *cs = calloc((size_t)n, sizeof(*cs));
	sd_event_source *post = NULL;
	uint64_t t0;
	FILE *f;
	int r;

	if (!cs)
		return -ENOMEM;
	r = sd_event_default(&ev);
	if (r < 0)
		return r;
	for (int i = 0; i < n; i++) {
		struct client *c = &cs[i];
		char *p = NULL;

		c->idx = i;
		c->rng = (unsigned int)i * 2654435761u + 1;
		c->active = i < 10;
		c->last_batch = -1;
		if (c->active)
			snprintf(c->uuid, sizeof(c->uuid), "ffffffff-0000-4000-8000-%012d", i);
		else
			snprintf(c->uuid, sizeof(c->uuid), "cccccccc-0000-4000-8000-%012d", i);
		r = sd_bus_open_system(&c->bus);
		if (r < 0)
			return r;
		r = sd_bus_path_encode("/org/apmatrix1/device", c->uuid, &p);
		if (r < 0)
			return r;
		snprintf(c->path, sizeof(c->path), "%s", p);
		free(p);
		r = c->active ? read_model(c) : define_own(c);
		if (r < 0) {
			fprintf(stderr, "client %d: setup of %s failed: %s\n", i, c->uuid,
				strerror(-r));
			return r;
		}
	}
	/* Subscribed only once every device is defined: no backlog of setup signals. */
	for (int i = 0; i < n; i++) {
		struct client *c = &cs[i];
		char rule[256];

		r = sd_bus_match_signal(c->bus, NULL, DEST, PATH, IFACE, "BatchApplied",
					on_batch_applied, c);
		snprintf(rule, sizeof(rule),
			 "type='signal',sender='" DEST "',member='DeviceChanged',arg0='%s'",
			 c->uuid);
		if (r >= 0)
			r = sd_bus_add_match(c->bus, NULL, rule, on_device_changed, c);
		if (r >= 0)
			r = sd_bus_add_filter(c->bus, NULL, on_filter, c);
		if (r >= 0)
			r = sd_bus_attach_event(c->bus, ev, SD_EVENT_PRIORITY_NORMAL);
		if (r < 0)
			return r;
	}
	r = sd_event_add_time_relative(ev, NULL, CLOCK_MONOTONIC, (uint64_t)(secs * 1e6), 1000,
				       on_stop_timer, NULL);
	if (r >= 0)
		r = sd_event_add_post(ev, &post, on_check_done, NULL);
	if (r < 0)
		return r;
	t0 = now_usec();
	for (int i = 0; i < n; i++) {
		cs[i].started = true;
		(void)issue(&cs[i]);
	}
	r = sd_event_loop(ev);
	if (r < 0)
		return r;
	for (int i = 0; i < n; i++)
		if (cs[i].pending)
			fail("client %d: %lu calls never answered\n", i, cs[i].pending);
	printf("%d clients, %.1f s: %lu calls sent, %lu answered (%lu mutations acknowledged, "
	       "%lu expected errors), %lu signals received, %lu stray replies, %lu check "
	       "failures\n",
	       n, (double)(now_usec() - t0) / 1e6, L.sent, L.answered, L.mutations_ok,
	       L.expected_errors, L.signals, L.stray_replies, n_errors);
	lat_print("mutations", &L.mut);
	lat_print("reads", &L.read);
	f = fopen(expect_path, "we");
	if (!f)
		return -errno;
	fputc('{', f);
	for (int i = 0; i < n; i++) {
		fprintf(f, "%s\"%s\":{\"domains\":", i ? "," : "", cs[i].uuid);
		ids_json(f, cs[i].domains);
		fputs(",\"control_domains\":", f);
		ids_json(f, cs[i].control);
		fputc('}', f);
	}
	fputs("}\n", f);
	fclose(f);
	for (int i = 0; i < n; i++)
		sd_bus_flush_close_unref(cs[i].bus);
	sd_event_source_unref(post);
	free(cs);
	return n_errors ? -EPROTO : 0;
}

/* --- fairness ---------------------------------------------------------------- */

struct fcall {
	int who; /* 0 = F, 1 = O */
	int seq;
	uint64_t batch_seen; /* O: the last batch F's replies showed when this was sent */
};

static struct {
	sd_bus *f, *o;
	unsigned long f_ok, f_busy, f_other, f_in_flight, o_done;
	int64_t f_last_batch;
	const char *define_f_err, *define_o_err;
	bool define_f_done, define_o_done;
	unsigned long per_batch[100000];
	uint64_t o_late;
	int64_t o_max_wait;
	bool stop;
	const char *uf, *uo;
} F;

static int64_t result_batch(sd_bus_message *m)
{
	_cleanup_json_ json_object *j = NULL;
	json_object *b;
	const char *s;

	if (sd_bus_message_read(m, "s", &s) < 0 || !(j = json_tokener_parse(s)) ||
	    !json_object_object_get_ex(j, "batch", &b))
		return -1;
	return json_object_get_int64(b);
}

/*
 * O's request is taken into the first batch that starts after it arrived,
 * whatever F has queued. Seen from the client, the newest batch number it
 * knows lags the daemon by the replies still on their way (the batch being
 * applied, one whose replies the bus has not passed on yet): allow that.
 */
#define O_BATCHES_MAX 4

static int on_fair_reply(sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
	struct fcall *k = userdata;
	const sd_bus_error *e = sd_bus_message_get_error(m);

	if (k->who == 0) {
		F.f_in_flight--;
		if (!e) {
			int64_t b = result_batch(m);

			F.f_ok++;
			if (b > F.f_last_batch)
				F.f_last_batch = b;
			if (b >= 0 && b < (int64_t)ELEMENTSOF(F.per_batch))
				F.per_batch[b]++;
		} else if (strcmp(e->name, "org.apmatrix1.Error.TooManyRequests") == 0)
			F.f_busy++;
		else {
			F.f_other++;
			fail("F: %s: %s\n", e->name, e->message);
		}
	} else {
		int64_t b = e ? -1 : result_batch(m);

		F.o_done++;
		if (e)
			fail("O: %s: %s\n", e->name, e->message);
		else if (b - (int64_t)k->batch_seen > F.o_max_wait)
			F.o_max_wait = b - (int64_t)k->batch_seen;
		if (b > F.f_last_batch)
			F.f_last_batch = b;
		if (!e && b > (int64_t)k->batch_seen + O_BATCHES_MAX) {
			F.o_late++;
			fail("O's request %d answered in batch %" PRId64
			     ", the newest seen was batch %" PRIu64 " when it was sent\n",
			     k->seq, b, k->batch_seen);
		}
	}
	free(k);
	return 0;
}

static int send_assign(sd_bus *bus, const char *uuid, uint32_t id, struct fcall *k)
{
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *msg = NULL;
	int r;

	r = sd_bus_message_new_method_call(bus, &msg, DEST, PATH, IFACE, "Assign");
	if (r >= 0)
		r = sd_bus_message_append(msg, "ssau", uuid, "control-domain", 1, id);
	if (r >= 0)
		r = sd_bus_message_append(msg, "t", UINT64_C(0));
	if (r >= 0)
		r = sd_bus_call_async(bus, NULL, msg, on_fair_reply, k, CALL_TIMEOUT_USEC);
	if (r < 0)
		free(k);
	return r;
}

static struct fcall *fcall_new(int who, int seq)
{
	struct fcall *k = calloc(1, sizeof(*k));

	if (k) {
		k->who = who;
		k->seq = seq;
		k->batch_seen = F.f_last_batch < 0 ? 0 : (uint64_t)F.f_last_batch;
	}
	return k;
}

static int on_define_reply(sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
	const sd_bus_error *e = sd_bus_message_get_error(m);
	const char *name = e ? strdup(e->name) : "ok";

	if (userdata == F.f) {
		F.define_f_err = name;
		F.define_f_done = true;
	} else {
		F.define_o_err = name;
		F.define_o_done = true;
	}
	return 0;
}

static int send_define(sd_bus *bus, const char *uuid)
{
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *msg = NULL;
	int r;

	r = sd_bus_message_new_method_call(bus, &msg, DEST, PATH, IFACE, "DefineDevice");
	if (r >= 0)
		r = sd_bus_message_append(msg, "sst", uuid,
					  "{\"adapters\":[2],\"domains\":[14],\"autostart\":true}",
					  UINT64_C(0));
	if (r >= 0)
		r = sd_bus_call_async(bus, NULL, msg, on_define_reply, bus, CALL_TIMEOUT_USEC);
	return r;
}

/* Wait until one of the two connections has something to do. */
static void wait_both(void)
{
	struct pollfd p[2] = {
		{ .fd = sd_bus_get_fd(F.f), .events = (short)sd_bus_get_events(F.f) },
		{ .fd = sd_bus_get_fd(F.o), .events = (short)sd_bus_get_events(F.o) },
	};

	(void)poll(p, 2, 1000);
}

static int pump(bool (*done)(void))
{
	while (!done()) {
		int r = sd_bus_process(F.f, NULL), k;

		k = sd_bus_process(F.o, NULL);
		if (r < 0 || k < 0)
			return r < 0 ? r : k;
		if (r == 0 && k == 0)
			wait_both();
	}
	return 0;
}

static bool f_errors_in(void)
{
	return F.f_busy >= 36;
}

static bool phase1_done(void)
{
	return F.define_f_done && F.define_o_done && F.f_in_flight == 0;
}

static int fair(const char *uf, const char *uo)
{
	unsigned int n_batches = 0;
	int r;

	F.f_last_batch = -1;
	if (sd_bus_open_system(&F.f) < 0 || sd_bus_open_system(&F.o) < 0)
		return -ENOTCONN;
	for (int i = 0; i < 100; i++) {
		if (i == 63)
			r = send_define(F.f, "aaaaaaaa-0000-4000-8000-00000000000f");
		else {
			r = send_assign(F.f, uf, (uint32_t)(i % 64), fcall_new(0, i));
			F.f_in_flight++;
		}
		if (r < 0)
			return r;
	}
	r = sd_bus_flush(F.f);
	if (r >= 0)
		r = pump(f_errors_in);
	if (r >= 0)
		r = send_define(F.o, "aaaaaaaa-0000-4000-8000-00000000000a");
	if (r >= 0)
		r = pump(phase1_done);
	if (r < 0)
		return r;
	for (size_t b = 0; b < ELEMENTSOF(F.per_batch); b++)
		n_batches += F.per_batch[b] > 0;
	printf("F: %lu accepted in %u batch(es), %lu TooManyRequests, its autostart define: %s; "
	       "O's define: %s\n",
	       F.f_ok, n_batches, F.f_busy, F.define_f_err, F.define_o_err);
	(void)uo;
	return 0;
}

static bool flood_done(void)
{
	return F.stop && F.f_in_flight == 0;
}

static int flood(double secs, const char *uf, const char *uo)
{
	uint64_t t_end = now_usec() + (uint64_t)(secs * 1e6);
	unsigned long o_sent = 0, fi = 0, max_batch = 0;
	int r;

	F.f_last_batch = -1;
	if (sd_bus_open_system(&F.f) < 0 || sd_bus_open_system(&F.o) < 0)
		return -ENOTCONN;
	while (now_usec() < t_end) {
		while (F.f_in_flight < 100) {
			r = send_assign(F.f, uf, (uint32_t)(fi++ % 64), fcall_new(0, 0));
			if (r < 0)
				return r;
			F.f_in_flight++;
		}
		if (F.o_done == o_sent) {
			/* What has arrived first, so that the batch F saw last is current. */
			while ((r = sd_bus_process(F.f, NULL)) > 0)
				;
			if (r < 0)
				return r;
			r = send_assign(F.o, uo, (uint32_t)(o_sent % 64),
					fcall_new(1, (int)o_sent));
			if (r < 0)
				return r;
			o_sent++;
		}
		r = sd_bus_process(F.f, NULL);
		if (r >= 0) {
			int k = sd_bus_process(F.o, NULL);

			if (k < 0)
				return k;
			if (r == 0 && k == 0)
				wait_both();
		}
		if (r < 0)
			return r;
	}
	F.stop = true;
	while (F.o_done < o_sent || !flood_done()) {
		r = sd_bus_process(F.f, NULL);
		if (r >= 0 && sd_bus_process(F.o, NULL) == 0 && r == 0)
			wait_both();
		if (r < 0)
			return r;
	}
	for (size_t b = 0; b < ELEMENTSOF(F.per_batch); b++)
		if (F.per_batch[b] > max_batch)
			max_batch = F.per_batch[b];
	printf("flood %.0f s: F %lu accepted, %lu TooManyRequests; at most %lu of F's in one "
	       "batch (limit %d); O %lu requests, each answered at most %" PRId64
	       " batches after the newest one seen when it was sent (%" PRIu64 " over %d)\n",
	       secs, F.f_ok, F.f_busy, max_batch, QUEUED_MAX, F.o_done, F.o_max_wait, F.o_late,
	       O_BATCHES_MAX);
	if (max_batch > QUEUED_MAX)
		fail("a batch took %lu of F's requests\n", max_batch);
	return n_errors ? -EPROTO : 0;
}

/* --- slow reader -------------------------------------------------------------- */

static int slow_reader(void)
{
	_cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
	struct pollfd p[2];
	sigset_t ss;
	int r;

	r = sd_bus_open_system(&bus);
	if (r >= 0)
		r = sd_bus_add_match(bus, NULL, "type='signal',sender='" DEST "'", NULL, NULL);
	if (r < 0)
		return r;
	/* sd_bus_add_match() is synchronous: subscribed now. */
	printf("subscribed\n");
	fflush(stdout);
	sigemptyset(&ss);
	sigaddset(&ss, SIGTERM);
	sigaddset(&ss, SIGINT);
	sigprocmask(SIG_BLOCK, &ss, NULL);
	/* Never POLLIN: only the bus going away (or SIGTERM) ends it. */
	p[0] = (struct pollfd){ .fd = sd_bus_get_fd(bus), .events = POLLRDHUP };
	p[1] = (struct pollfd){ .fd = signalfd(-1, &ss, SFD_CLOEXEC), .events = POLLIN };
	if (p[1].fd < 0)
		return -errno;
	while (poll(p, 2, -1) < 0 && errno == EINTR)
		;
	close(p[1].fd);
	return 0;
}

int main(int argc, char **argv)
{
	int r;

	if (argc >= 5 && strcmp(argv[1], "load") == 0)
		r = load(atof(argv[2]), atoi(argv[3]), argv[4]);
	else if (argc >= 4 && strcmp(argv[1], "fair") == 0)
		r = fair(argv[2], argv[3]);
	else if (argc >= 5 && strcmp(argv[1], "flood") == 0)
		r = flood(atof(argv[2]), argv[3], argv[4]);
	else if (argc >= 2 && strcmp(argv[1], "slow-reader") == 0)
		r = slow_reader();
	else {
		fprintf(stderr, "usage: see the comment at the top of daemon-load.c\n");
		return 2;
	}
	if (r < 0)
		fprintf(stderr, "daemon-load %s: %s (%lu check failures)\n", argv[1], strerror(-r),
			n_errors);
	return r < 0 ? 1 : 0;
}
