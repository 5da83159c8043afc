// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The batch engine without sysfs or bus: a manager with a host model and
 * devices built in memory. Requests are validated one after the other
 * against one working copy, as a batch does: each sees what the ones before
 * it changed, a rejected one leaves no trace, a dry run neither; the plan of
 * the batch covers exactly what it touched; a failed write is retried in
 * groups of devices that must move together; and a batch of definitions
 * goes all the way through manager_run_batch() into the store.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "batch-isolate.h"
#include "batch-plan.h"
#include "batch-validate.h"
#include "batch-working.h"
#include "manager.h"
#include "daemon-fixture.h"
#include "tap.h"

#define U1 "11111111-0000-4000-8000-000000000001"
#define U2 "11111111-0000-4000-8000-000000000002"
#define U3 "11111111-0000-4000-8000-000000000003"
#define U4 "11111111-0000-4000-8000-000000000004"
#define U5 "11111111-0000-4000-8000-000000000005"
#define UNKNOWN "99999999-0000-4000-8000-000000000000"

static Manager *m;
static struct working ws;

/* A host with adapters and domains 0-15; adapter 0 x domain 9 stays the host's. */
static void setup(void)
{
	m = daemon_fixture_manager();
	ap_mask_set(&m->host->apmask, 0);
	ap_mask_set(&m->host->aqmask, 9);
	m->matrix_seen = true; /* no autostart after a batch */
}

static void teardown(void)
{
	working_done(&ws);
	ws = (struct working){ 0 };
	m = manager_free(m);
}

#define run(fn) tap_subtest_fixture(fn)

/* Adapters and domains as digit strings: "12" is ids 1 and 2. */
static ap_matrix matrix(const char *a, const char *d)
{
	ap_matrix mx = { 0 };

	for (; *a; a++)
		ap_mask_set(&mx.apm, (unsigned int)(*a - '0'));
	for (; *d; d++)
		ap_mask_set(&mx.aqm, (unsigned int)(*d - '0'));
	return mx;
}

static Device *add(const char *uuid, bool autostart, bool active, const char *a, const char *d,
		   const char *guest)
{
	Device *dev = NULL;

	if (manager_add_device(m, uuid, &dev) < 0)
		abort();
	dev->defined = true;
	dev->def.autostart = autostart;
	dev->def.m = matrix(a, d);
	snprintf(dev->def.guest, sizeof(dev->def.guest), "%s", guest);
	dev->active = active;
	dev->kern = active ? dev->def.m : (ap_matrix){ 0 };
	return dev;
}

static struct request *ids(enum request_type t, const char *uuid, enum id_kind k, const char *list)
{
	struct request *r = request_new(t, NULL, 0);

	if (!r)
		abort();
	snprintf(r->uuid, sizeof(r->uuid), "%s", uuid);
	r->kind = k;
	for (; *list; list++)
		ap_mask_set(&r->ids, (unsigned int)(*list - '0'));
	return r;
}

static struct request *define(const char *uuid, bool autostart, const char *a, const char *d,
			      const char *guest)
{
	struct request *r = request_new(REQ_DEFINE, NULL, 0);

	if (!r)
		abort();
	snprintf(r->def.uuid, sizeof(r->def.uuid), "%s", uuid);
	r->def.autostart = autostart;
	r->def.m = matrix(a, d);
	snprintf(r->def.guest, sizeof(r->def.guest), "%s", guest);
	return r;
}

static struct request *apply2(const char *u1, ap_matrix m1, const char *u2, ap_matrix m2)
{
	struct request *r = request_new(REQ_APPLY, NULL, 0);

	if (!r || !(r->entries = calloc(2, sizeof(*r->entries))))
		abort();
	r->n_entries = 2;
	snprintf(r->entries[0].uuid, sizeof(r->entries[0].uuid), "%s", u1);
	r->entries[0].m = m1;
	snprintf(r->entries[1].uuid, sizeof(r->entries[1].uuid), "%s", u2);
	r->entries[1].m = m2;
	return r;
}

/* The requests accepted so far, in order, as the batch keeps them. */
static struct request *accepted, **accepted_tail = &accepted;

static void free_accepted(void)
{
	while (accepted) {
		struct request *r = accepted;

		accepted = r->next;
		request_free(r);
	}
	accepted_tail = &accepted;
}

/*
 * Validate r as the next request of the batch: expect an error name (NULL:
 * accepted) and, when given, a word in the message. An accepted request is
 * kept with the wants it changed, as manager_run_batch() does.
 */
static void next(struct request *r, const char *name, const char *word, const char *what)
{
	sd_bus_error e = SD_BUS_ERROR_NULL;
	int k = batch_validate(&ws, r, &e);

	if (!name)
		tap_ok(k == 0, "%s: accepted%s%s", what, e.message ? " but: " : "",
		       e.message ? e.message : "");
	else
		tap_ok(k < 0 && e.name && strcmp(e.name, name) == 0 &&
			       (!word || (e.message && strstr(e.message, word))),
		       "%s: %s: %s", what, e.name ? e.name : "(accepted)",
		       e.message ? e.message : "");
	sd_bus_error_free(&e);
	if (k < 0) {
		request_free(r);
		return;
	}
	if (working_changed(&ws, &r->touched, &r->n_touched) < 0)
		abort();
	*accepted_tail = r;
	accepted_tail = &r->next;
}

static struct want *want(const char *uuid)
{
	for (size_t i = 0; i < ws.n; i++)
		if (strcmp(ws.w[i].uuid, uuid) == 0)
			return &ws.w[i];
	return NULL;
}

static void begin(void)
{
	if (working_init(&ws, m) < 0)
		abort();
}

static void test_later_requests_see_earlier_ones(void)
{
	add(U1, false, true, "12", "01", "vm1");
	add(U2, false, false, "3", "0", "");
	begin();
	next(ids(REQ_ASSIGN, U1, KIND_ADAPTER, "3"), NULL, NULL,
	     "adapter 3 to the active device (the other is a manual definition)");
	next(ids(REQ_START, U2, KIND_ADAPTER, ""), "org.apmatrix1.Error.InUse", U1,
	     "starting the definition now conflicts with that assignment");
	next(ids(REQ_UNASSIGN, U1, KIND_ADAPTER, "3"), NULL, NULL, "adapter 3 taken away again");
	next(ids(REQ_START, U2, KIND_ADAPTER, ""), NULL, NULL, "now the start is accepted");
	tap_ok(want(U2)->active && want(U2)->touched, "the working copy has it active");
	tap_ok(m->devices[1]->active == false, "the device itself is not changed");
	free_accepted();
}

static void test_rejected_request_is_undone(void)
{
	ap_matrix before;
	size_t n;

	add(U1, false, true, "12", "01", "vm1");
	add(U2, false, false, "3", "0", "");
	begin();
	before = want(U1)->live;
	n = ws.n;
	next(apply2(U1, matrix("4", "0"), UNKNOWN, matrix("5", "0")),
	     "org.apmatrix1.Error.NoSuchDevice", UNKNOWN,
	     "an Apply whose second device does not exist");
	tap_ok(ap_matrix_equal(&want(U1)->live, &before) &&
		       ap_matrix_equal(&want(U1)->def.m, &before) && !want(U1)->touched,
	       "its change of the first device is undone");
	next(define(U3, true, "1", "0", ""), "org.apmatrix1.Error.InUse", U1,
	     "an autostart definition on the active device's APQN");
	tap_is_int(ws.n, n, "the device it defined is gone from the working copy");
	next(define(U4, false, "1", "0", "vm1"), "org.apmatrix1.Error.InUse", "vm1",
	     "a second device for one guest");
	next(ids(REQ_UNDEFINE, U2, KIND_ADAPTER, ""), NULL, NULL,
	     "the next request sees the state before the rejected ones");
	tap_ok(!want(U1)->touched && want(U2)->touched && !want(U2)->defined,
	       "only the accepted request's device is touched");
	tap_ok(accepted && !accepted->next && accepted->n_touched == 1,
	       "one request accepted, it changed one device");
	free_accepted();
}

static void test_undefine_then_define_again(void)
{
	size_t n;

	add(U1, false, false, "1", "0", "");
	begin();
	n = ws.n;
	next(ids(REQ_UNDEFINE, U1, KIND_ADAPTER, ""), NULL, NULL, "undefine");
	next(ids(REQ_ASSIGN, U1, KIND_ADAPTER, "2"), "org.apmatrix1.Error.NoSuchDevice", U1,
	     "the undefined device is gone for the next request");
	next(define(U1, false, "2", "0", ""), NULL, NULL, "defining it again");
	tap_is_int(ws.n, n, "the same want is reused");
	tap_ok(want(U1)->defined && ap_mask_test(&want(U1)->def.m.apm, 2) &&
		       !ap_mask_test(&want(U1)->def.m.apm, 1),
	       "with the new definition");
	free_accepted();
}

static void test_masks_in_sequence(void)
{
	add(U1, false, true, "12", "01", "");
	begin();
	next(ids(REQ_ASSIGN, U1, KIND_ADAPTER, "0"), NULL, NULL,
	     "adapter 0 with domains 0,1: not the host's");
	next(ids(REQ_RELEASE, "", KIND_DOMAIN, "0"), "org.apmatrix1.Error.InUse", "00.0000",
	     "giving domain 0 back to the host while the device holds 00.0000");
	next(ids(REQ_UNASSIGN, U1, KIND_ADAPTER, "0"), NULL, NULL, "adapter 0 unassigned");
	next(ids(REQ_RELEASE, "", KIND_DOMAIN, "0"), NULL, NULL, "now domain 0 goes back");
	next(ids(REQ_ASSIGN, U1, KIND_ADAPTER, "0"), "org.apmatrix1.Error.Reserved", "00.0000",
	     "adapter 0 again: 00.0000 is the host's now");
	next(ids(REQ_RESERVE, "", KIND_ADAPTER, "0"), NULL, NULL, "reserve adapter 0");
	next(ids(REQ_ASSIGN, U1, KIND_ADAPTER, "0"), NULL, NULL, "and the assignment is fine");
	tap_ok(!ap_mask_test(&ws.apmask, 0) && ap_mask_test(&ws.aqmask, 0),
	       "the working masks have what the requests said");
	free_accepted();
}

static void test_dry_run_leaves_no_trace(void)
{
	struct request *r;

	add(U1, false, true, "12", "01", "");
	add(U2, false, false, "3", "0", "");
	begin();
	next(ids(REQ_ASSIGN, U1, KIND_ADAPTER, "4"), NULL, NULL, "a request before the dry run");
	r = ids(REQ_ASSIGN, U2, KIND_ADAPTER, "5");
	r->flags = REQUEST_FLAG_DRY_RUN;
	batch_dry_run(&ws, r);
	request_free(r);
	tap_ok(want(U1)->touched && ap_mask_test(&want(U1)->live.apm, 4),
	       "the request before keeps its change and its mark");
	tap_ok(!want(U2)->touched && !ap_mask_test(&want(U2)->def.m.apm, 5),
	       "the dry run changed nothing");
	r = define(U3, false, "6", "0", "");
	r->flags = REQUEST_FLAG_DRY_RUN;
	batch_dry_run(&ws, r);
	request_free(r);
	tap_ok(want(U3) == NULL, "a dry-run definition adds no device");
	free_accepted();
}

static struct json_object *field(struct json_object *o, const char *key)
{
	struct json_object *v = NULL;

	json_object_object_get_ex(o, key, &v);
	return v;
}

static void test_plan_of_a_batch(void)
{
	_cleanup_free_ struct plan_item *items = NULL;
	_cleanup_free_ struct want **map = NULL;
	_cleanup_(plan_freep) struct plan *p = NULL;
	_cleanup_json_ struct json_object *j = NULL;
	struct json_object *devs;
	struct plan_input in;

	m->host->has_ap_config = m->host->has_ap_config_batch = true;
	add(U1, false, true, "12", "0", "");
	add(U2, false, true, "3", "0", "");
	add(U3, false, true, "4", "0", ""); /* not touched by the batch */
	begin();
	next(ids(REQ_UNASSIGN, U2, KIND_ADAPTER, "3"), NULL, NULL, "adapter 3 leaves U2");
	next(ids(REQ_ASSIGN, U1, KIND_ADAPTER, "3"), NULL, NULL, "and goes to U1");
	next(define(U4, false, "5", "0", ""), NULL, NULL, "a new manual definition");
	tap_is_int(build_plan_input(&ws, &in, &items, &map), 0, "plan input");
	tap_is_int(in.n_items, 3, "three devices touched: U1, U2, the new one");
	tap_ok(in.n_items == 3 && strcmp(in.items[0].uuid, U1) == 0 &&
		       strcmp(in.items[1].uuid, U2) == 0 && strcmp(in.items[2].uuid, U4) == 0,
	       "in working copy order");
	tap_ok(in.n_items == 3 && in.items[1].cur_exists && in.items[1].want_exists &&
		       ap_mask_test(&in.items[1].cur.apm, 3) &&
		       !ap_mask_test(&in.items[1].want.apm, 3) && !in.items[2].cur_exists &&
		       !in.items[2].want_exists,
	       "each from the kernel as it is to the working copy");
	tap_is_int(in.iface, WRITE_AP_CONFIG_BATCH, "the driver's cheapest interface");
	tap_is_int(plan_compute(&in, &p), 0, "plan");
	tap_is_int(p->n_writes, 1, "the move is one ap_config_batch write");
	j = batch_plan_to_json(&in, p, 7, 3, false, NULL, map);
	tap_is_int(json_object_get_int(field(j, "batch")), 7, "result: batch number");
	tap_is_int(json_object_get_int(field(j, "requests")), 3, "result: requests");
	tap_is_int(json_object_get_int(field(j, "kernel_writes")), 1, "result: kernel writes");
	tap_is_str(json_object_get_string(field(j, "write_interface")), "ap_config_batch",
		   "result: interface");
	devs = field(j, "devices");
	tap_is_int(devs ? json_object_array_length(devs) : 0, 3, "result: one entry per device");
	tap_ok(devs && json_object_array_length(devs) == 3 &&
		       !json_object_get_boolean(
			       field(json_object_array_get_idx(devs, 2), "active")),
	       "the new definition is shown inactive");
	free_accepted();
}

static void test_isolation_groups(void)
{
	_cleanup_free_ struct plan_item *items = NULL;
	_cleanup_free_ struct want **map = NULL;
	struct plan_input in;
	size_t g[5] = { 0 };

	add(U1, false, true, "1", "0", "");
	add(U2, false, true, "2", "0", "");
	add(U3, false, true, "3", "0", "");
	add(U4, false, true, "4", "0", "");
	add(U5, false, true, "5", "0", "");
	begin();
	next(ids(REQ_UNASSIGN, U1, KIND_ADAPTER, "1"), NULL, NULL, "U1 gives adapter 1 up");
	next(ids(REQ_ASSIGN, U2, KIND_ADAPTER, "1"), NULL, NULL, "U2 takes it");
	next(ids(REQ_ASSIGN, U3, KIND_ADAPTER, "6"), NULL, NULL, "U3 takes a free adapter");
	next(apply2(U4, matrix("47", "0"), U5, matrix("58", "0")), NULL, NULL,
	     "one Apply changes U4 and U5, which share nothing");
	tap_is_int(build_plan_input(&ws, &in, &items, &map), 0, "plan input");
	tap_is_int(in.n_items, 5, "five devices");
	if (in.n_items != 5)
		return;
	batch_isolate_groups(&ws, &in, map, accepted, g);
	tap_ok(g[0] == 0 && g[1] == 0, "U1 and U2 move together: one gives what the other takes");
	tap_is_int(g[2], 2, "U3 is a group of its own");
	tap_ok(g[3] == 3 && g[4] == 3, "U4 and U5 move together: one request changed both");
	free_accepted();
}

/* The whole pipeline for definitions (no kernel write): collect, validate, plan, commit. */
static void test_batch_of_definitions_is_saved(void)
{
	char dir[] = "/tmp/test-batch.XXXXXX", path[256];

	if (!tap_ok(mkdtemp(dir) != NULL, "state directory"))
		return;
	tap_is_int(store_open(dir, &m->store), 0, "store");
	add(U1, false, false, "1", "0", "vm1");
	sender_queue_push(&m->queue, define(U2, false, "2", "0", ""));
	sender_queue_push(&m->queue, define(U3, false, "3", "0", "vm1")); /* vm1 has U1 */
	sender_queue_push(&m->queue, define(U4, true, "4", "0", ""));
	sender_queue_push(&m->queue, ids(REQ_UNDEFINE, U1, KIND_ADAPTER, ""));
	manager_run_batch(m);
	tap_is_int(m->stats.requests, 4, "four requests in the batch");
	tap_is_int(m->stats.rejected, 1, "one rejected");
	tap_is_int(m->stats.batches, 1, "one batch committed");
	tap_ok(manager_find_device(m, U2) && manager_find_device(m, U2)->defined &&
		       manager_find_device(m, U4) && manager_find_device(m, U4)->def.autostart,
	       "the accepted definitions are devices");
	tap_ok(!manager_find_device(m, U3) && !manager_find_device(m, U1),
	       "the rejected one is not, the undefined one is gone");
	snprintf(path, sizeof(path), "%s/devices/%s.json", dir, U2);
	tap_ok(access(path, F_OK) == 0, "its definition is on disk");
	snprintf(path, sizeof(path), "%s/devices/%s.json", dir, U3);
	tap_ok(access(path, F_OK) != 0, "the rejected one's is not");
	snprintf(path, sizeof(path), "%s/journal.json", dir);
	tap_ok(access(path, F_OK) != 0, "no journal left after the commit");
	manager_run_batch(m);
	tap_is_int(m->stats.batches, 1, "an empty queue runs no batch");
	{
		char cmd[128];

		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
		if (system(cmd) != 0)
			tap_diag("cleanup failed");
	}
}

int main(void)
{
	run(test_later_requests_see_earlier_ones);
	run(test_rejected_request_is_undone);
	run(test_undefine_then_define_again);
	run(test_masks_in_sequence);
	run(test_dry_run_leaves_no_trace);
	run(test_plan_of_a_batch);
	run(test_isolation_groups);
	run(test_batch_of_definitions_is_saved);
	return tap_done();
}
