// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Migration preflight without sysfs or bus: the export's parser (every
 * refusal names its field), the check against a host model built in memory
 * (each problem names its APQN and reason, owners by UUID and guest), and
 * PrepareMigration's validation (.Incompatible; define and reserve when ok).
 */
#include <stdlib.h>
#include <string.h>

#include "manager.h"
#include "migration.h"
#include "daemon-fixture.h"
#include "tap.h"

#define U "22222222-0000-4000-8000-0000000000aa"
#define O1 "22222222-0000-4000-8000-000000000001"
#define O2 "22222222-0000-4000-8000-000000000002"

static Manager *m;

static void add_adapter(unsigned int id, int hwtype, const char *mode, uint32_t functions,
			const char *domains)
{
	struct host *h = m->host;
	struct host_adapter *a;

	h->adapters = reallocarray(h->adapters, h->n_adapters + 1, sizeof(*h->adapters));
	if (!h->adapters)
		abort();
	a = &h->adapters[h->n_adapters++];
	*a = (struct host_adapter){ .id = id,
				    .hwtype = hwtype,
				    .raw_hwtype = hwtype,
				    .functions = functions,
				    .has_functions = true,
				    .config = true };
	snprintf(a->mode, sizeof(a->mode), "%s", mode);
	a->queues = calloc(strlen(domains) + 1, sizeof(*a->queues));
	if (!a->queues)
		abort();
	for (; *domains; domains++)
		a->queues[a->n_queues++].apqi = (unsigned int)(*domains - '0');
}

/*
 * Host: adapter 1 CEX8 cca (domains 0-5), adapter 2 CEX8 ep11 (0-5),
 * adapter 3 CEX7 cca (0-3); the host drivers keep adapter 3 (apmask),
 * control domains 0-5 configured. O1 is active on 02.0005 (guest vmO).
 */
static void setup(void)
{
	Device *d = NULL;

	m = daemon_fixture_manager();
	ap_mask_set(&m->host->apmask, 3);
	ap_mask_fill(&m->host->aqmask);
	ap_mask_set_range(&m->host->qci_adm, 0, 5);
	add_adapter(1, 14, "cca", 0x10800000u, "012345");
	add_adapter(2, 14, "ep11", 0x04800000u, "012345");
	add_adapter(3, 13, "cca", 0x10800000u, "0123");
	if (manager_add_device(m, O1, &d) < 0)
		abort();
	d->defined = true;
	snprintf(d->def.guest, sizeof(d->def.guest), "vmO");
	ap_mask_set(&d->def.m.apm, 2);
	ap_mask_set(&d->def.m.aqm, 5);
	d->active = true;
	d->kern = d->def.m;
}

static void teardown(void)
{
	m = manager_free(m);
}

#define run(fn) tap_subtest_fixture(fn)

/* An export of U: adapters, domains, and its queues as JSON text. */
static char *export_text(const char *adapters, const char *domains, const char *queues)
{
	char *s = NULL;

	if (asprintf(&s,
		     "{\"version\": 1, \"uuid\": \"" U "\", \"guest\": \"vm1\", \"adapters\": %s, "
		     "\"domains\": %s, \"control_domains\": [4], \"host\": {\"max_adapter_id\": "
		     "255, \"max_domain_id\": 84, \"configured_control_domains\": [4]}, "
		     "\"queues\": %s}",
		     adapters, domains, queues) < 0)
		abort();
	return s;
}

#define Q(apqn, a, d, hw, mode, f)                                                           \
	"{\"apqn\": \"" apqn "\", \"adapter\": " #a ", \"domain\": " #d ", \"hwtype\": " #hw \
	", \"mode\": \"" mode "\", \"functions\": \"" f "\"}"

static struct migration_spec *parse(const char *text, int want, const char *words, const char *what)
{
	_cleanup_json_ struct json_object *o = json_tokener_parse(text);
	struct migration_spec *s = NULL;
	char *msg = NULL;
	int r = o ? migration_spec_from_json(o, &s, &msg) : -EINVAL;

	if (want == 0)
		tap_ok(r == 0, "%s: parsed%s%s", what, msg ? ": " : "", msg ? msg : "");
	else
		tap_ok(r == want && msg && strstr(msg, words), "%s: %d %s", what, r,
		       msg ? msg : "(no message)");
	free(msg);
	return s;
}

static void test_parse_refusals(void)
{
	static const struct {
		const char *text, *words, *what;
	} bad[] = {
		{ "{\"uuid\": \"" U "\"}", "version: expected 1", "no version" },
		{ "{\"version\": 2, \"uuid\": \"" U "\"}", "version: 2 is not supported",
		  "version 2" },
		{ "{\"version\": 1}", "uuid: missing", "no uuid" },
		{ "{\"version\": 1, \"uuid\": \"nope\"}", "uuid: not a UUID", "bad uuid" },
		{ "{\"version\": 1, \"uuid\": \"" U "\", \"extra\": 1}", "extra: unknown field",
		  "unknown field" },
		{ "{\"version\": 1, \"uuid\": \"" U "\", \"control_domains\": [1]}",
		  "control domain 1 needs at least one usage domain", "control without domains" },
		{ "{\"version\": 1, \"uuid\": \"" U "\", \"reserve\": \"queue\"}",
		  "reserve: expected \"adapter\" or \"domain\"", "bad reserve" },
		{ "{\"version\": 1, \"uuid\": \"" U "\", \"host\": {\"max_adapter_id\": 300}}",
		  "host.max_adapter_id: expected an integer 0-255", "bad max id" },
		{ "{\"version\": 1, \"uuid\": \"" U "\", \"adapters\": [1], \"domains\": [1], "
		  "\"queues\": [{\"adapter\": 1, \"domain\": 2}]}",
		  "queues[0]: APQN 01.0002 is not in the matrix", "queue outside the matrix" },
		{ "{\"version\": 1, \"uuid\": \"" U "\", \"adapters\": [1], \"domains\": [1,2], "
		  "\"queues\": [{\"adapter\": 1, \"domain\": 1}, {\"adapter\": 1, \"domain\": 1}]}",
		  "queues[1]: APQN 01.0001 is listed twice", "a queue twice" },
		{ "{\"version\": 1, \"uuid\": \"" U "\", \"adapters\": [1], \"domains\": [1], "
		  "\"queues\": [{\"adapter\": 1, \"domain\": 1, \"apqn\": \"01.0002\"}]}",
		  "queues[0].apqn: expected \"01.0001\"", "apqn disagrees" },
		{ "{\"version\": 1, \"uuid\": \"" U "\", \"adapters\": [1], \"domains\": [1], "
		  "\"queues\": [{\"adapter\": 1, \"domain\": 1, \"functions\": \"42\"}]}",
		  "queues[0].functions: expected 0x and 8 hex digits", "bad functions" },
		{ "{\"version\": 1, \"uuid\": \"" U "\", \"adapters\": [1], \"domains\": [1], "
		  "\"queues\": [{\"adapter\": 1, \"domain\": 1, \"hwtype\": 14, \"type\": "
		  "\"CEX7\"}]}",
		  "queues[0].type: \"CEX7\" but hwtype 14 is CEX8", "type disagrees" },
		{ "{\"version\": 1, \"uuid\": \"" U "\", \"adapters\": [1], \"domains\": [1], "
		  "\"queues\": [{\"adapter\": 1, \"domain\": 1, \"mode\": \"fast\"}]}",
		  "queues[0].mode: expected cca, ep11 or accel", "bad mode" },
		{ "{\"version\": 1, \"uuid\": \"" U "\", \"queues\": {}}",
		  "queues: expected an array", "queues not an array" },
	};

	for (size_t i = 0; i < ELEMENTSOF(bad); i++)
		migration_spec_free(parse(bad[i].text, -EINVAL, bad[i].words, bad[i].what));
}

static void test_parse_an_export(void)
{
	_cleanup_free_ char *t =
		export_text("[1]", "[4,5]", "[" Q("01.0004", 1, 4, 14, "cca", "0x10800000") "]");
	struct migration_spec *s = parse(t, 0, NULL, "an export");

	tap_ok(s && strcmp(s->def.uuid, U) == 0 && strcmp(s->def.guest, "vm1") == 0 &&
		       !s->def.autostart && s->n_queues == 1 && s->queues[0].apid == 1 &&
		       s->queues[0].apqi == 4 && s->queues[0].hwtype == 14 &&
		       strcmp(s->queues[0].mode, "cca") == 0 &&
		       s->queues[0].functions == 0x10800000u && s->reserve == KIND_ADAPTER &&
		       ap_mask_test(&s->src_adm, 4),
	       "uuid, guest, queue, reserve and configured control domains as given");
	migration_spec_free(s);
}

/* The report of text against m. */
static struct json_object *check(const char *text)
{
	_cleanup_(migration_spec_freep) struct migration_spec *s = parse(text, 0, NULL, "export");
	struct migration_report rep;
	struct json_object *o = NULL;
	struct working ws;

	if (!s || working_init(&ws, m) < 0)
		abort();
	if (migration_check(&ws, s, &rep) == 0) {
		o = migration_report_to_json(s, &rep);
		migration_report_done(&rep);
	}
	working_done(&ws);
	return o;
}

/* Whether the report has a problem of reason at apqn (NULL: none) with words in its message. */
static bool has(struct json_object *o, const char *at, const char *reason, const char *words)
{
	struct json_object *ps = json_object_object_get(o, "problems");

	for (size_t i = 0; i < json_object_array_length(ps); i++) {
		struct json_object *p = json_object_array_get_idx(ps, i);
		const char *a = json_object_get_string(json_object_object_get(p, "apqn"));
		const char *msg = json_object_get_string(json_object_object_get(p, "message"));

		if (strcmp(json_object_get_string(json_object_object_get(p, "reason")), reason) ==
			    0 &&
		    ((!at && !a) || (at && a && strcmp(a, at) == 0)) && strstr(msg, words))
			return true;
	}
	return false;
}

static int n_problems(struct json_object *o)
{
	return json_object_get_int(json_object_object_get(o, "n_problems"));
}

static void test_compatible(void)
{
	_cleanup_free_ char *t =
		export_text("[1]", "[4]", "[" Q("01.0004", 1, 4, 14, "cca", "0x10800000") "]");
	_cleanup_json_ struct json_object *o = check(t);

	tap_ok(o && json_object_get_boolean(json_object_object_get(o, "ok")) && n_problems(o) == 0,
	       "a CEX8 cca queue where the host has one: ok");
	tap_is_str(json_object_to_json_string(json_object_object_get(o, "reserve")),
		   "{ \"kind\": \"adapter\", \"ids\": [ ] }", "nothing to reserve");
}

static void test_problems_name_apqn_and_reason(void)
{
	_cleanup_free_ char *t = export_text(
		"[1,2,3,9]", "[4,5]",
		"[" Q("01.0004", 1, 4, 13, "cca", "0x10800000") "," Q(
			"02.0004", 2, 4, 14, "cca",
			"0x10800000") "," Q("03.0004", 3, 4, 13, "cca",
					    "0x10800000") "," Q("09.0005", 9, 5, 14, "cca",
								"0x10800000") "]");
	_cleanup_json_ struct json_object *o = check(t);

	tap_ok(o && !json_object_get_boolean(json_object_object_get(o, "ok")), "not ok");
	tap_ok(has(o, "01.0004", "type-mismatch", "CEX8 (hwtype 14) here, CEX7 (hwtype 13)"),
	       "01.0004: type");
	tap_ok(has(o, "02.0004", "mode-mismatch", "mode ep11 here, cca on the source"),
	       "02.0004: mode");
	tap_ok(has(o, "02.0004", "functions-mismatch", "lack 0x10000000"), "02.0004: functions");
	tap_ok(has(o, "03.0004", "missing", "adapter 03 has no queue of domain 4"),
	       "03.0004: the domain is not configured there");
	tap_ok(has(o, "09.0005", "missing", "no adapter 09"), "09.0005: no such card");
	tap_ok(has(o, "02.0005", "in-use", "active device " O1 " (guest vmO)"),
	       "02.0005: in use by O1, named with its guest");
	tap_is_int(n_problems(o), 6, "6 problems");
	tap_is_str(json_object_to_json_string(json_object_object_get(o, "reserve")),
		   "{ \"kind\": \"adapter\", \"ids\": [ 3 ] }", "adapter 3 is to be reserved");
}

/* A foreign mdev (no definition here) holding an APQN of the export. */
static void test_foreign_mdev_in_the_way(void)
{
	_cleanup_free_ char *t =
		export_text("[1]", "[3]", "[" Q("01.0003", 1, 3, 14, "cca", "0x10800000") "]");
	_cleanup_json_ struct json_object *o = NULL;
	struct json_object *ps, *p;
	Device *d = NULL;

	if (manager_add_device(m, "f0f0f0f0-0000-4000-8000-000000000001", &d) < 0)
		abort();
	ap_mask_set(&d->kern.apm, 1);
	ap_mask_set(&d->kern.aqm, 3);
	d->active = true;
	o = check(t);
	tap_ok(has(o, "01.0003", "in-use",
		   "foreign device f0f0f0f0-0000-4000-8000-000000000001 "
		   "(owner unknown)"),
	       "01.0003: in use by a foreign mdev, named with its owner");
	ps = json_object_object_get(o, "problems");
	p = json_object_array_length(ps) ? json_object_array_get_idx(ps, 0) : NULL;
	tap_is_str(p ? json_object_get_string(json_object_object_get(p, "owner_manager")) : NULL,
		   "unknown", "owner_manager says whose it is");
}

static void test_device_conflicts(void)
{
	_cleanup_free_ char *t = export_text("[1]", "[4]", "[]");
	Device *d = NULL;
	struct json_object *o;

	if (manager_add_device(m, U, &d) < 0)
		abort();
	d->defined = true;
	ap_mask_set(&d->def.m.apm, 1);
	ap_mask_set(&d->def.m.aqm, 1);
	o = check(t);
	tap_ok(has(o, NULL, "uuid-conflict",
		   "exists here with another matrix (adapters 1, "
		   "domains 1, control domains none)"),
	       "the same UUID with another matrix");
	json_object_put(o);
	d->def.m = (ap_matrix){ 0 };
	ap_mask_set(&d->def.m.apm, 1);
	ap_mask_set(&d->def.m.aqm, 4);
	ap_mask_set(&d->def.m.adm, 4);
	o = check(t);
	tap_ok(o && n_problems(o) == 0 &&
		       json_object_get_boolean(json_object_object_get(o, "prepared")),
	       "the same UUID with the same matrix: prepared already");
	json_object_put(o);
	snprintf(manager_find_device(m, O1)->def.guest, sizeof(d->def.guest), "vm1");
	o = check(t);
	tap_ok(has(o, NULL, "guest-conflict", "guest vm1 already has device " O1),
	       "the guest has another device here");
	json_object_put(o);
	m->host->max_apid = 0;
	o = check(t);
	tap_ok(has(o, NULL, "out-of-range", "adapter 1 is above this host's maximum adapter id 0"),
	       "an id above the host's maximum");
	json_object_put(o);
	m->host->max_apid = 15;
	ap_mask_zero(&m->host->qci_adm);
	o = check(t);
	tap_ok(has(o, NULL, "missing", "control domain 4 is not in this host's configuration"),
	       "a configured control domain the host lacks");
	json_object_put(o);
}

static struct request *prepare(const char *text)
{
	_cleanup_json_ struct json_object *o = json_tokener_parse(text);
	struct request *r = request_new(REQ_PREPARE_MIGRATION, NULL, 0);

	if (!r || !o || migration_spec_from_json(o, &r->mig, NULL) < 0)
		abort();
	r->def = r->mig->def;
	return r;
}

static void test_prepare_validation(void)
{
	_cleanup_free_ char *bad =
		export_text("[3]", "[4]", "[" Q("03.0004", 3, 4, 13, "cca", "0x10800000") "]");
	_cleanup_free_ char *good =
		export_text("[3]", "[1]", "[" Q("03.0001", 3, 1, 13, "cca", "0x10800000") "]");
	_cleanup_(request_freep) struct request *r = prepare(bad);
	sd_bus_error e = SD_BUS_ERROR_NULL;
	int k;

	k = request_validate_one(m, r, &e);
	tap_ok(k < 0 && sd_bus_error_has_name(&e, ERR_INCOMPATIBLE) &&
		       strstr(e.message, "refused: 1 problem: APQN 03.0004 is not on this host"),
	       "an incompatible export: %s: %s", e.name, e.message);
	sd_bus_error_free(&e);
	request_free(r);
	r = prepare(good);
	k = request_validate_one(m, r, &e);
	tap_ok(k == 0 && ap_mask_test(&r->mig->reserved, 3) &&
		       ap_mask_count(&r->mig->reserved) == 1,
	       "a compatible one is accepted and reserves adapter 3%s%s", e.message ? ": " : "",
	       e.message ? e.message : "");
	tap_ok(!manager_find_device(m, U) && ap_mask_test(&m->host->apmask, 3),
	       "validation alone changes nothing");
	sd_bus_error_free(&e);
}

/* An export that says "reserve": "domain": the domains leave aqmask instead. */
static void test_reserve_domains(void)
{
	_cleanup_free_ char *t = NULL;
	_cleanup_json_ struct json_object *o = NULL;

	if (asprintf(&t,
		     "{\"version\": 1, \"uuid\": \"" U "\", \"adapters\": [3], \"domains\": [1,2], "
		     "\"reserve\": \"domain\"}") < 0)
		abort();
	o = check(t);
	tap_is_str(json_object_to_json_string(json_object_object_get(o, "reserve")),
		   "{ \"kind\": \"domain\", \"ids\": [ 1, 2 ] }",
		   "domains 1 and 2 are to be reserved");
	tap_is_int((int)json_object_array_length(json_object_object_get(o, "host_reserved")), 2,
		   "03.0001 and 03.0002 are the host's now");
}

int main(void)
{
	run(test_parse_refusals);
	run(test_parse_an_export);
	run(test_compatible);
	run(test_problems_name_apqn_and_reason);
	run(test_device_conflicts);
	run(test_foreign_mdev_in_the_way);
	run(test_prepare_validation);
	run(test_reserve_domains);
	return tap_done();
}
