// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Validation rules without sysfs or bus: a manager with a host model and
 * devices built in memory, requests checked one by one. Each rejection must
 * carry the documented error name and name the APQN and its owner.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "apm-limits.h"
#include "batch-validate.h"
#include "manager.h"
#include "sysfs.h"
#include "daemon-fixture.h"
#include "tap.h"

#define U1 "11111111-0000-4000-8000-000000000001"
#define U2 "11111111-0000-4000-8000-000000000002"
#define U3 "11111111-0000-4000-8000-000000000003"
#define UF "11111111-0000-4000-8000-0000000000ff" /* foreign */

static Manager *m;

static Device *add(const char *uuid, bool defined, bool autostart, bool active, const char *a,
		   const char *d, const char *guest);

/*
 * Host keeps adapter 0 x domain 9 (apmask 0, aqmask 9); the rest is free.
 * U1 is active (01.0000 .. 02.0001, guest vm1), U2 an autostart definition
 * (claims 03.0000), U3 a manual definition that overlaps U1 (allowed).
 */
static void setup(void)
{
	m = daemon_fixture_manager();
	ap_mask_set(&m->host->apmask, 0);
	ap_mask_set(&m->host->aqmask, 9);
	add(U1, true, false, true, "12", "01", "vm1");
	add(U2, true, true, false, "3", "0", "");
	add(U3, true, false, false, "1", "0", "");
}

static void teardown(void)
{
	m = manager_free(m);
}

#define run(fn) tap_subtest_fixture(fn)

static Device *add(const char *uuid, bool defined, bool autostart, bool active, const char *a,
		   const char *d, const char *guest)
{
	Device *dev = NULL;
	ap_matrix mx = { 0 };

	for (; *a; a++)
		ap_mask_set(&mx.apm, (unsigned int)(*a - '0'));
	for (; *d; d++)
		ap_mask_set(&mx.aqm, (unsigned int)(*d - '0'));
	if (manager_add_device(m, uuid, &dev) < 0)
		abort();
	dev->defined = defined;
	dev->def.autostart = autostart;
	dev->def.m = mx;
	snprintf(dev->def.guest, sizeof(dev->def.guest), "%s", guest);
	dev->active = active;
	dev->kern = active ? mx : (ap_matrix){ 0 };
	return dev;
}

static struct request *req(enum request_type t, const char *uuid, enum id_kind k, unsigned int id)
{
	struct request *r = request_new(t, NULL, 0);

	snprintf(r->uuid, sizeof(r->uuid), "%s", uuid);
	r->kind = k;
	ap_mask_set(&r->ids, id);
	return r;
}

/* Expect an error name (NULL: success) and, when given, words in the message. */
static void expect(struct request *r, const char *name, const char *w1, const char *w2,
		   const char *what)
{
	sd_bus_error e = SD_BUS_ERROR_NULL;
	int k = request_validate_one(m, r, &e);

	if (!name)
		tap_ok(k == 0, "%s: accepted%s%s", what, e.message ? " but: " : "",
		       e.message ? e.message : "");
	else
		tap_ok(k < 0 && e.name && strcmp(e.name, name) == 0 &&
			       (!w1 || (e.message && strstr(e.message, w1))) &&
			       (!w2 || (e.message && strstr(e.message, w2))),
		       "%s: %s: %s", what, e.name ? e.name : "(accepted)",
		       e.message ? e.message : "");
	sd_bus_error_free(&e);
	request_free(r);
}

/* A definition request for uuid, adapters a, domains d, control domains c. */
static struct request *define(const char *uuid, const char *a, const char *d, const char *c)
{
	struct request *r = request_new(REQ_DEFINE, NULL, 0);

	snprintf(r->def.uuid, sizeof(r->def.uuid), "%s", uuid);
	for (; *a; a++)
		ap_mask_set(&r->def.m.apm, (unsigned int)(*a - '0'));
	for (; *d; d++)
		ap_mask_set(&r->def.m.aqm, (unsigned int)(*d - '0'));
	for (; *c; c++)
		ap_mask_set(&r->def.m.adm, (unsigned int)(*c - '0'));
	return r;
}

/* U1 also gets domain 9: with adapter 0 that makes 00.0009, the host's. */
static void u1_gets_domain_9(void)
{
	Device *d = manager_find_device(m, U1);

	ap_mask_set(&d->def.m.aqm, 9);
	ap_mask_set(&d->kern.aqm, 9);
}

static void test_manual_definitions_overlap_until_started(void)
{
	expect(req(REQ_ASSIGN, U3, KIND_DOMAIN, 5), NULL, NULL, NULL,
	       "a manual definition may overlap an active device");
	expect(req(REQ_START, U3, KIND_ADAPTER, 0), "org.apmatrix1.Error.InUse", "01.0000", U1,
	       "starting it conflicts with the active device");
}

static void test_autostart_definition_claims_its_apqns(void)
{
	expect(req(REQ_ASSIGN, U1, KIND_ADAPTER, 3), "org.apmatrix1.Error.InUse", "03.0000", U2,
	       "an autostart definition claims its APQNs");
}

static void test_apqns_reserved_for_the_host(void)
{
	struct request *r;

	expect(req(REQ_ASSIGN, U1, KIND_DOMAIN, 9), NULL, NULL, NULL,
	       "domain 9 on adapters 1,2 is not the host's");
	expect(req(REQ_ASSIGN, U1, KIND_ADAPTER, 0), NULL, NULL, NULL,
	       "adapter 0 with domains 0,1 is not the host's");
	u1_gets_domain_9();
	r = req(REQ_ASSIGN, U1, KIND_ADAPTER, 0);
	expect(r, "org.apmatrix1.Error.Reserved", "00.0009", NULL, "an APQN reserved for the host");
}

static void test_unknown_device(void)
{
	expect(req(REQ_ASSIGN, "99999999-0000-4000-8000-000000000000", KIND_ADAPTER, 1),
	       "org.apmatrix1.Error.NoSuchDevice", "99999999", NULL, "unknown device");
}

static void test_release_and_reserve(void)
{
	u1_gets_domain_9();
	expect(req(REQ_RELEASE, "", KIND_ADAPTER, 1), "org.apmatrix1.Error.InUse", "01.0009", U1,
	       "Release of an adapter whose APQN with a host domain a device holds");
	expect(req(REQ_RELEASE, "", KIND_DOMAIN, 0), NULL, NULL, NULL,
	       "Release of a domain only used on non-host adapters");
	expect(req(REQ_RELEASE, "", KIND_DOMAIN, 7), NULL, NULL, NULL,
	       "Release of a domain nobody uses");
	expect(req(REQ_RESERVE, "", KIND_ADAPTER, 0), NULL, NULL, NULL, "Reserve adapter 0");
}

static void test_one_device_per_guest(void)
{
	struct request *r = define("22222222-0000-4000-8000-000000000001", "", "", "");

	snprintf(r->def.guest, sizeof(r->def.guest), "vm1");
	expect(r, "org.apmatrix1.Error.InUse", "vm1", U1, "one device per guest");
}

static void test_control_domains_need_a_usage_domain(void)
{
	struct request *r = define("22222222-0000-4000-8000-000000000002", "5", "", "5");
	Device *d;

	r->def.autostart = true;
	expect(r, SD_BUS_ERROR_INVALID_ARGS, "control domains", NULL,
	       "control domains without a usage domain");
	expect(define("22222222-0000-4000-8000-000000000003", "", "", "5"),
	       SD_BUS_ERROR_INVALID_ARGS, "control domains", "22222222",
	       "a manual definition with control domains only");
	expect(req(REQ_ASSIGN, U3, KIND_CONTROL_DOMAIN, 4), NULL, NULL, NULL,
	       "control domain 4 next to usage domain 0");
	d = manager_find_device(m, U3);
	ap_mask_set(&d->def.m.adm, 4);
	expect(req(REQ_UNASSIGN, U3, KIND_DOMAIN, 0), SD_BUS_ERROR_INVALID_ARGS, U3, "usage domain",
	       "unassigning the last usage domain of a manual definition");
}

static void test_unassigning_every_domain_is_allowed(void)
{
	struct request *r = req(REQ_UNASSIGN, U1, KIND_DOMAIN, 0);

	u1_gets_domain_9();
	ap_mask_set(&r->ids, 1);
	ap_mask_set(&r->ids, 9);
	expect(r, NULL, NULL, NULL, "unassigning every domain is allowed");
}

static void test_stop_is_refused_while_a_guest_holds_it(void)
{
	expect(req(REQ_STOP, U1, KIND_ADAPTER, 0), NULL, NULL, NULL, "stop an idle device");
	manager_find_device(m, U1)->attached = true;
	expect(req(REQ_STOP, U1, KIND_ADAPTER, 0), "org.apmatrix1.Error.Busy", U1, NULL,
	       "stop a device a guest holds");
}

/* A sysfs root with queue 01.0001 passed through and Secure Execution bound (se_bind). */
static char se_root[] = "/tmp/apm-validate.XXXXXX";

static void se_write(const char *rel, const char *value)
{
	char p[256];
	FILE *f;

	snprintf(p, sizeof(p), "%s/%s", se_root, rel);
	f = fopen(p, "we");
	if (!f || fputs(value, f) < 0 || fclose(f) != 0)
		abort();
}

static void se_setup(const char *bind)
{
	static const char *const dirs[] = { "devices", "devices/ap", "devices/ap/card01",
					    "devices/ap/card01/01.0001" };
	struct host_adapter *a = calloc(1, sizeof(*a));

	for (size_t i = 0; i < ELEMENTSOF(dirs); i++) {
		char p[256];

		snprintf(p, sizeof(p), "%s/%s", se_root, dirs[i]);
		if (mkdir(p, 0755) < 0 && errno != EEXIST)
			abort();
	}
	se_write("devices/ap/card01/01.0001/se_bind", bind);
	se_write("devices/ap/card01/01.0001/se_associate", "-\n");
	if (!a || !(a->queues = calloc(1, sizeof(*a->queues))))
		abort();
	a->id = 1;
	a->n_queues = 1;
	a->queues[0] = (struct host_queue){ .apqi = 1, .driver = "vfio_ap" };
	m->host->adapters = a;
	m->host->n_adapters = 1;
	if (sysfs_set_root(se_root) < 0)
		abort();
}

static void test_secure_execution_queue_stays_with_its_guest(void)
{
	struct request *r;

	se_setup("bound\n");
	expect(req(REQ_UNASSIGN, U1, KIND_DOMAIN, 1), NULL, NULL, NULL,
	       "unassign an SE-bound queue from an idle device");
	manager_find_device(m, U1)->attached = true;
	expect(req(REQ_UNASSIGN, U1, KIND_DOMAIN, 1), "org.apmatrix1.Error.SecureExecution",
	       "01.0001", "vm1", "unassign an SE-bound queue from a running guest");
	expect(req(REQ_UNASSIGN, U1, KIND_DOMAIN, 0), NULL, NULL, NULL,
	       "unassign a queue that is not bound");
	r = req(REQ_UNASSIGN, U1, KIND_DOMAIN, 1);
	r->flags = REQUEST_FLAG_FORCE;
	expect(r, NULL, NULL, NULL, "the same, forced");
	r = request_new(REQ_APPLY, NULL, 0);
	r->entries = calloc(1, sizeof(*r->entries));
	r->n_entries = 1;
	snprintf(r->entries[0].uuid, sizeof(r->entries[0].uuid), "%s", U1);
	ap_mask_set(&r->entries[0].m.apm, 2);
	ap_mask_set(&r->entries[0].m.aqm, 1);
	expect(r, "org.apmatrix1.Error.SecureExecution", "01.0001", U1,
	       "an Apply that takes the bound queue away");
	se_write("devices/ap/card01/01.0001/se_bind", "unbound\n");
	expect(req(REQ_UNASSIGN, U1, KIND_DOMAIN, 1), NULL, NULL, NULL,
	       "unbound since the scan: re-read, accepted");
}

static void test_validation_changes_nothing(void)
{
	ap_matrix u3 = manager_find_device(m, U3)->def.m;

	expect(req(REQ_ASSIGN, U3, KIND_DOMAIN, 5), NULL, NULL, NULL, "assign to U3");
	expect(req(REQ_STOP, U1, KIND_ADAPTER, 0), NULL, NULL, NULL, "stop U1");
	expect(req(REQ_UNDEFINE, U2, KIND_ADAPTER, 0), NULL, NULL, NULL, "undefine U2");
	tap_ok(manager_find_device(m, U1)->active && manager_find_device(m, U2)->defined &&
		       ap_matrix_equal(&manager_find_device(m, U3)->def.m, &u3),
	       "the devices are as before");
}

/* UF: an mdev nobody defined here, 01.0005 (mdevctl's when mdevctl_dir has its file). */
static char mdevctl_dir[] = "/tmp/apm-test-validate.XXXXXX";

static void add_foreign(bool with_mdevctl)
{
	char path[sizeof(mdevctl_dir) + 64];
	FILE *f;

	add(UF, false, false, true, "1", "5", "");
	free(m->config.mdevctl_dir);
	m->config.mdevctl_dir = strdup(mdevctl_dir);
	snprintf(path, sizeof(path), "%s/matrix/" UF, mdevctl_dir);
	if (!with_mdevctl) {
		(void)unlink(path);
		return;
	}
	snprintf(path, sizeof(path), "%s/matrix", mdevctl_dir);
	(void)mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/matrix/" UF, mdevctl_dir);
	f = fopen(path, "we");
	if (!f)
		abort();
	fputs("{\"mdev_type\":\"vfio_ap-passthrough\",\"start\":\"manual\"}\n", f);
	fclose(f);
}

static struct request *apply_one(const char *uuid, const char *a, const char *d)
{
	struct request *r = request_new(REQ_APPLY, NULL, 0);

	r->entries = calloc(1, sizeof(*r->entries));
	if (!r->entries)
		abort();
	r->n_entries = 1;
	snprintf(r->entries[0].uuid, sizeof(r->entries[0].uuid), "%s", uuid);
	for (; *a; a++)
		ap_mask_set(&r->entries[0].m.apm, (unsigned int)(*a - '0'));
	for (; *d; d++)
		ap_mask_set(&r->entries[0].m.aqm, (unsigned int)(*d - '0'));
	return r;
}

static void test_foreign_devices_are_never_changed(void)
{
	add_foreign(false);
	expect(req(REQ_ASSIGN, UF, KIND_DOMAIN, 6), "org.apmatrix1.Error.Foreign", UF,
	       "owner unknown", "Assign to a foreign mdev");
	expect(req(REQ_UNASSIGN, UF, KIND_DOMAIN, 5), "org.apmatrix1.Error.Foreign", UF, NULL,
	       "Unassign");
	expect(req(REQ_START, UF, KIND_ADAPTER, 0), "org.apmatrix1.Error.Foreign", UF, NULL,
	       "Start (a no-op before)");
	expect(req(REQ_STOP, UF, KIND_ADAPTER, 0), "org.apmatrix1.Error.Foreign", UF, NULL, "Stop");
	expect(req(REQ_UNDEFINE, UF, KIND_ADAPTER, 0), "org.apmatrix1.Error.Foreign", UF, NULL,
	       "Undefine");
	expect(define(UF, "1", "5", ""), "org.apmatrix1.Error.Foreign", UF, "adopt it first",
	       "DefineDevice of its UUID");
	expect(apply_one(UF, "1", "6"), "org.apmatrix1.Error.Foreign", UF, NULL,
	       "Apply listing it");
	add_foreign(true);
	expect(req(REQ_STOP, UF, KIND_ADAPTER, 0), "org.apmatrix1.Error.Foreign", "owner mdevctl",
	       mdevctl_dir, "with an mdevctl definition: the owner and its file are named");
	tap_is_str(device_owner(manager_find_device(m, UF)), "mdevctl", "device_owner() says so");
	tap_is_str(device_owner(manager_find_device(m, U1)), "apmatrixd", "U1 is apmatrixd's");
}

static void test_foreign_claims_are_named(void)
{
	add_foreign(true);
	expect(req(REQ_ASSIGN, U1, KIND_DOMAIN, 5), "org.apmatrix1.Error.InUse", "01.0005",
	       "foreign: owner mdevctl", "an active device taking the foreign mdev's APQN");
	expect(define("22222222-0000-4000-8000-000000000005", "1", "5", ""), NULL, NULL, NULL,
	       "a manual definition may overlap it");
	manager_find_device(m, UF)->attached = true;
	expect(define("22222222-0000-4000-8000-000000000005", "1", "5", ""),
	       "org.apmatrix1.Error.InUse", "01.0005", "in use by a guest",
	       "not while a guest holds it through the foreign mdev");
	expect(req(REQ_ASSIGN, U3, KIND_DOMAIN, 5), "org.apmatrix1.Error.InUse", UF,
	       "owner mdevctl", "nor may a definition grow onto it");
	expect(req(REQ_UNASSIGN, U3, KIND_DOMAIN, 0), NULL, NULL, NULL,
	       "a definition elsewhere changes as before");
}

static void test_adopt(void)
{
	struct working ws;
	sd_bus_error e = SD_BUS_ERROR_NULL;
	struct request *r;
	struct want *w;
	int k;

	add_foreign(true);
	expect(req(REQ_ADOPT, "99999999-0000-4000-8000-000000000000", KIND_ADAPTER, 0),
	       "org.apmatrix1.Error.NoSuchDevice", NULL, NULL, "Adopt of no mdev");
	expect(req(REQ_ADOPT, U1, KIND_ADAPTER, 0), NULL, NULL, NULL,
	       "Adopt of an apmatrixd device: nothing to do");
	if (working_init(&ws, m) < 0)
		abort();
	r = req(REQ_ADOPT, UF, KIND_ADAPTER, 0);
	k = batch_validate(&ws, r, &e);
	request_free(r);
	w = working_find(&ws, UF);
	tap_ok(k == 0 && w && w->defined && !w->def.autostart &&
		       ap_matrix_equal(&w->def.m, &w->live) && ap_mask_test(&w->def.m.aqm, 5),
	       "Adopt: its live matrix becomes a manual definition (%s)",
	       e.message ? e.message : "ok");
	sd_bus_error_free(&e);
	r = req(REQ_ASSIGN, UF, KIND_DOMAIN, 6);
	k = batch_validate(&ws, r, &e);
	request_free(r);
	tap_ok(k == 0 && ap_mask_test(&w->live.aqm, 6),
	       "then, in the same batch, it can be changed (%s)", e.message ? e.message : "ok");
	sd_bus_error_free(&e);
	working_done(&ws);
}

static void test_device_limit(void)
{
	struct request *r;

	/* Devices: a new definition beyond the limit is LimitExceeded, a redefinition is not. */
	for (size_t i = m->n_devices; i < APM_LIMIT_DEVICES; i++) {
		char u[UUID_STR_LEN + 1];

		snprintf(u, sizeof(u), "33333333-0000-4000-8000-%012zu", i);
		add(u, true, false, false, "", "", "");
	}
	expect(define("22222222-0000-4000-8000-000000000004", "", "", ""), APM_ERROR_LIMIT_EXCEEDED,
	       "4097 devices", "Devices=4096", "one device more than the limit");
	r = define(U3, "1", "0", "");
	expect(r, NULL, NULL, NULL, "redefining a device at the limit");
}

int main(void)
{
	run(test_manual_definitions_overlap_until_started);
	run(test_autostart_definition_claims_its_apqns);
	run(test_apqns_reserved_for_the_host);
	run(test_unknown_device);
	run(test_release_and_reserve);
	run(test_one_device_per_guest);
	run(test_control_domains_need_a_usage_domain);
	run(test_unassigning_every_domain_is_allowed);
	run(test_stop_is_refused_while_a_guest_holds_it);
	run(test_validation_changes_nothing);
	run(test_device_limit);
	if (!mkdtemp(mdevctl_dir))
		abort();
	run(test_foreign_devices_are_never_changed);
	run(test_foreign_claims_are_named);
	run(test_adopt);
	{
		char path[sizeof(mdevctl_dir) + 64];

		snprintf(path, sizeof(path), "%s/matrix/" UF, mdevctl_dir);
		(void)unlink(path);
		snprintf(path, sizeof(path), "%s/matrix", mdevctl_dir);
		(void)rmdir(path);
		(void)rmdir(mdevctl_dir);
	}
	if (!mkdtemp(se_root))
		abort();
	run(test_secure_execution_queue_stays_with_its_guest);
	{
		char cmd[128];

		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", se_root);
		if (system(cmd) != 0)
			tap_diag("could not remove %s", se_root);
	}
	return tap_done();
}
