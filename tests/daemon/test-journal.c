// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Journal recovery without sysfs or bus: a batch's journal is written as the
 * batch writes it (journal_new(), store_journal_write()), the state
 * directory is left as a crash at some point would leave it, and
 * manager_settle_journal() must roll the batch forward when its definitions
 * were saved and back otherwise, settle only the definitions for a journal
 * of an earlier boot, and leave an unreadable journal alone. The kernel side
 * here needs no write (it is where the settled side wants it already);
 * tests/dbus/test-crash.sh covers the writes against apsim.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "journal.h"
#include "manager.h"
#include "tap.h"

#define U1 "22222222-0000-4000-8000-000000000001"
#define U2 "22222222-0000-4000-8000-000000000002"

static Manager *m;
static char dir[64];

static void setup(void)
{
	struct manager_config cfg = { 0 };
	char lock[128];

	snprintf(dir, sizeof(dir), "/tmp/test-journal.XXXXXX");
	if (!mkdtemp(dir))
		abort();
	snprintf(lock, sizeof(lock), "%s/s390apconfig.lock", dir);
	cfg.state_dir = dir;
	cfg.lock_path = lock;
	if (manager_new(&cfg, &m) < 0 || store_open(dir, &m->store) < 0)
		abort();
	m->host = calloc(1, sizeof(*m->host));
	if (!m->host)
		abort();
	m->host->max_apid = m->host->max_apqi = 15;
	m->host->matrix_present = true;
	m->host->matrix_fd = -1;
}

static void teardown(void)
{
	char cmd[128];

	m = manager_free(m);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		tap_diag("cleanup of %s failed", dir);
}

#define run(fn) tap_subtest_fixture(fn)

static struct definition def(const char *uuid, unsigned int adapter)
{
	struct definition d = { 0 };

	snprintf(d.uuid, sizeof(d.uuid), "%s", uuid);
	ap_mask_set(&d.m.apm, adapter);
	ap_mask_set(&d.m.aqm, 0);
	return d;
}

static Device *device(const struct definition *d)
{
	Device *dev = NULL;

	if (manager_add_device(m, d->uuid, &dev) < 0)
		abort();
	dev->defined = true;
	dev->def = *d;
	return dev;
}

/*
 * The journal of a batch changing one device from before to after (NULL:
 * not defined), its mdev from cur to want (NULL: absent). boot_id: NULL for
 * this boot's.
 */
static void journal(const char *uuid, const struct definition *before,
		    const struct definition *after, const ap_matrix *cur, const ap_matrix *want,
		    const char *boot_id)
{
	struct plan_item it = { .cur_exists = cur != NULL, .want_exists = want != NULL };
	struct plan_input in = { .apmask = m->host->apmask,
				 .aqmask = m->host->aqmask,
				 .apmask_want = m->host->apmask,
				 .aqmask_want = m->host->aqmask,
				 .items = &it,
				 .n_items = 1 };
	struct json_object *j;

	snprintf(it.uuid, sizeof(it.uuid), "%s", uuid);
	if (cur)
		it.cur = *cur;
	if (want)
		it.want = *want;
	j = journal_new(1, &in, &before, &after);
	if (!j)
		abort();
	if (boot_id)
		json_object_object_add(j, "boot_id", json_object_new_string(boot_id));
	if (store_journal_write(m->store, j) < 0)
		abort();
	json_object_put(j);
}

/* The definition of uuid on disk is d (NULL: there is none). */
static bool on_disk(const char *uuid, const struct definition *d)
{
	struct definition got;
	int r = store_read_definition(m->store, uuid, &got);

	return d ? r == 0 && definition_equal(&got, d) : r == -ENOENT;
}

static bool journal_gone(void)
{
	struct json_object *j = NULL;
	int r = store_journal_read(m->store, &j);

	json_object_put(j);
	return r == -ENOENT;
}

static bool recovery_is(const char *s)
{
	return m->recovery && strcmp(m->recovery, s) == 0;
}

static void test_no_journal_nothing_to_do(void)
{
	tap_is_int(manager_settle_journal(m, false), 0, "no journal: 0");
	tap_ok(!m->recovery && !m->journal_pending, "nothing recorded, nothing pending");
}

static void test_crash_before_the_definitions_rolls_back(void)
{
	struct definition a = def(U1, 1), b = def(U1, 2);

	tap_is_int(store_save(m->store, &a), 0, "the old definition is on disk");
	device(&a);
	journal(U1, &a, &b, NULL, NULL, NULL);
	tap_is_int(manager_settle_journal(m, false), 1, "a journal was settled");
	tap_ok(recovery_is("rolled back"), "rolled back: %s", m->recovery ? m->recovery : "");
	tap_ok(on_disk(U1, &a), "the old definition stays");
	tap_ok(definition_equal(&manager_find_device(m, U1)->def, &a), "the device keeps it");
	tap_ok(journal_gone() && !m->journal_pending, "the journal is gone");
}

static void test_crash_after_the_definitions_rolls_forward(void)
{
	struct definition a = def(U1, 1), b = def(U1, 2);

	tap_is_int(store_save(m->store, &b), 0, "the new definition is on disk");
	device(&a);
	journal(U1, &a, &b, NULL, NULL, NULL);
	tap_is_int(manager_settle_journal(m, false), 1, "a journal was settled");
	tap_ok(recovery_is("rolled forward"), "rolled forward: %s", m->recovery ? m->recovery : "");
	tap_ok(on_disk(U1, &b), "the new definition stays");
	tap_ok(definition_equal(&manager_find_device(m, U1)->def, &b),
	       "the device follows the new definition");
	tap_ok(journal_gone(), "the journal is gone");
}

static void test_new_device_rolled_back(void)
{
	struct definition c = def(U2, 3);

	journal(U2, NULL, &c, NULL, NULL, NULL);
	tap_is_int(manager_settle_journal(m, false), 1, "settled");
	tap_ok(recovery_is("rolled back"), "rolled back: %s", m->recovery ? m->recovery : "");
	tap_ok(on_disk(U2, NULL), "no definition on disk");
	tap_ok(!manager_find_device(m, U2), "no device");
}

static void test_new_device_rolled_forward(void)
{
	struct definition c = def(U2, 3);

	tap_is_int(store_save(m->store, &c), 0, "its definition made it to disk");
	journal(U2, NULL, &c, NULL, NULL, NULL);
	tap_is_int(manager_settle_journal(m, false), 1, "settled");
	tap_ok(recovery_is("rolled forward"), "rolled forward: %s", m->recovery ? m->recovery : "");
	tap_ok(manager_find_device(m, U2) && manager_find_device(m, U2)->defined &&
		       definition_equal(&manager_find_device(m, U2)->def, &c),
	       "the device is there with it");
}

static void test_undefine_rolled_forward_and_back(void)
{
	struct definition a = def(U1, 1);

	/* The file was removed: the crash came after the commit point. */
	device(&a);
	journal(U1, &a, NULL, NULL, NULL, NULL);
	tap_is_int(manager_settle_journal(m, false), 1, "settled");
	tap_ok(recovery_is("rolled forward"), "file gone: rolled forward: %s",
	       m->recovery ? m->recovery : "");
	tap_ok(!manager_find_device(m, U1)->defined, "the device is no longer defined");

	/* The file is still there: back, the device stays defined. */
	tap_is_int(store_save(m->store, &a), 0, "the definition is on disk");
	manager_find_device(m, U1)->defined = true;
	journal(U1, &a, NULL, NULL, NULL, NULL);
	tap_is_int(manager_settle_journal(m, false), 1, "settled");
	tap_ok(recovery_is("rolled back"), "file there: rolled back: %s",
	       m->recovery ? m->recovery : "");
	tap_ok(on_disk(U1, &a) && manager_find_device(m, U1)->defined, "it stays defined");
}

static void test_prefer_back_after_a_storage_failure(void)
{
	struct definition a = def(U1, 1), b = def(U1, 2);

	/* A batch whose definitions could not all be saved settles back, whatever is on disk. */
	tap_is_int(store_save(m->store, &b), 0, "the new definition is on disk");
	device(&a);
	journal(U1, &a, &b, NULL, NULL, NULL);
	tap_is_int(manager_settle_journal(m, true), 1, "settled");
	tap_ok(recovery_is("rolled back"), "rolled back: %s", m->recovery ? m->recovery : "");
	tap_ok(on_disk(U1, &a), "the old definition is back on disk");
}

static void test_kernel_side_already_settled(void)
{
	struct definition a = def(U1, 1), b = def(U1, 2);
	struct host_mdev md = { .m = b.m };

	/* The kernel has the batch's result and the definitions are saved: forward, no write. */
	tap_is_int(store_save(m->store, &b), 0, "the new definition is on disk");
	tap_is_int(host_put_mdev(m->host, U1, &md), 0, "the kernel has the new matrix");
	device(&a)->active = true;
	journal(U1, &a, &b, &a.m, &b.m, NULL);
	tap_is_int(manager_settle_journal(m, false), 1, "settled");
	tap_ok(recovery_is("rolled forward"), "rolled forward: %s", m->recovery ? m->recovery : "");
	tap_ok(ap_matrix_equal(&host_find_mdev(m->host, U1)->m, &b.m), "the kernel keeps it");

	/* The kernel never got it and the definitions are old: back, no write either. */
	md.m = a.m;
	tap_is_int(host_put_mdev(m->host, U1, &md), 0, "the kernel has the old matrix");
	tap_is_int(store_save(m->store, &a), 0, "the old definition is on disk");
	journal(U1, &a, &b, &a.m, &b.m, NULL);
	tap_is_int(manager_settle_journal(m, false), 1, "settled");
	tap_ok(recovery_is("rolled back"), "rolled back: %s", m->recovery ? m->recovery : "");
	tap_ok(ap_matrix_equal(&host_find_mdev(m->host, U1)->m, &a.m), "the kernel keeps that");
}

static void test_journal_of_an_earlier_boot_settles_definitions_only(void)
{
	struct definition a = def(U1, 1), b = def(U1, 2);

	/*
	 * Its kernel side would need writes (an mdev the host does not have):
	 * none may be tried, the mdevs of an earlier boot are gone.
	 */
	tap_is_int(store_save(m->store, &a), 0, "the old definition is on disk");
	device(&a);
	journal(U1, &a, &b, &a.m, &b.m, "00000000-0000-0000-0000-000000000000");
	tap_is_int(manager_settle_journal(m, false), 1, "settled");
	tap_ok(recovery_is("rolled back (definitions only: journal of an earlier boot)"),
	       "definitions only: %s", m->recovery ? m->recovery : "");
	tap_ok(on_disk(U1, &a) && !host_find_mdev(m->host, U1), "definitions settled, kernel not");
	tap_ok(journal_gone(), "the journal is gone");
}

static void test_unreadable_journal_is_left_alone(void)
{
	struct definition a = def(U1, 1);
	struct json_object *j = json_tokener_parse("{\"version\":1,\"items\":\"no\"}");

	tap_is_int(store_save(m->store, &a), 0, "a definition on disk");
	tap_is_int(store_journal_write(m->store, j), 0, "a journal that is no journal");
	json_object_put(j);
	tap_is_int(manager_settle_journal(m, false), 0, "nothing settled");
	tap_ok(m->recovery && strstr(m->recovery, "journal unreadable"), "reported: %s",
	       m->recovery ? m->recovery : "");
	tap_ok(!journal_gone(), "left for inspection");
	tap_ok(on_disk(U1, &a), "the definitions are not touched");
	tap_ok(!m->journal_pending, "mutations are not blocked by it");
}

int main(void)
{
	run(test_no_journal_nothing_to_do);
	run(test_crash_before_the_definitions_rolls_back);
	run(test_crash_after_the_definitions_rolls_forward);
	run(test_new_device_rolled_back);
	run(test_new_device_rolled_forward);
	run(test_undefine_rolled_forward_and_back);
	run(test_prefer_back_after_a_storage_failure);
	run(test_kernel_side_already_settled);
	run(test_journal_of_an_earlier_boot_settles_definitions_only);
	run(test_unreadable_journal_is_left_alone);
	return tap_done();
}
