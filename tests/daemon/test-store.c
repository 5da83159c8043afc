// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The store: definitions round-trip through atomic writes; corrupt files,
 * unknown versions and misnamed files are moved aside (never deleted or
 * overwritten) and reported by name while the good ones load; JSON errors
 * name the field.
 */
#include <dirent.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "store.h"
#include "tap.h"

static char dir[64];
static const char *u1 = "11111111-2222-3333-4444-555555555555";

/* A fresh state directory for each subtest. */
static void setup(void)
{
	snprintf(dir, sizeof(dir), "/tmp/test-store.XXXXXX");
	if (!mkdtemp(dir))
		abort();
}

static void teardown(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		tap_diag("cleanup failed");
}

#define run(fn) tap_subtest_fixture(fn)

static void put(const char *name, const char *content)
{
	char p[256];
	FILE *f;

	snprintf(p, sizeof(p), "%s/devices/%s", dir, name);
	f = fopen(p, "we");
	fputs(content, f);
	fclose(f);
}

static bool exists(const char *rel)
{
	char p[256];

	snprintf(p, sizeof(p), "%s/%s", dir, rel);
	return access(p, F_OK) == 0;
}

struct seen {
	unsigned int n;
	struct definition last;
};

static int on_def(const struct definition *d, void *userdata)
{
	struct seen *s = userdata;

	s->n++;
	s->last = *d;
	return 0;
}

static unsigned int count_tmp_files(void)
{
	char p[256];
	struct dirent *de;
	unsigned int n = 0;
	DIR *d;

	snprintf(p, sizeof(p), "%s/devices", dir);
	d = opendir(p);
	while (d && (de = readdir(d)))
		n += de->d_name[0] == '.' && de->d_name[1] == '#';
	if (d)
		closedir(d);
	return n;
}

static struct definition sample(void)
{
	struct definition d = { 0 };

	snprintf(d.uuid, sizeof(d.uuid), "%s", u1);
	d.autostart = true;
	snprintf(d.guest, sizeof(d.guest), "vm1");
	ap_mask_set(&d.m.apm, 5);
	ap_mask_set(&d.m.aqm, 4);
	ap_mask_set(&d.m.adm, 4);
	return d;
}

static void test_save_is_atomic(void)
{
	struct definition d = sample();
	struct store *s = NULL;

	tap_is_int(store_open(dir, &s), 0, "store_open creates the state directory");
	tap_is_int(store_save(s, &d), 0, "save a definition");
	tap_is_int(count_tmp_files(), 0, "no temp file left behind");
	store_free(s);
}

static void test_bad_files_are_moved_aside(void)
{
	struct definition d = sample();
	struct seen seen = { 0 };
	struct store *s = NULL, *s2 = NULL;

	tap_is_int(store_open(dir, &s), 0, "open");
	tap_is_int(store_save(s, &d), 0, "save a good definition");
	put("22222222-2222-3333-4444-555555555555.json", "{ this is not json");
	put("33333333-2222-3333-4444-555555555555.json",
	    "{\"version\":99,\"uuid\":\"33333333-2222-3333-4444-555555555555\"}");
	put("44444444-2222-3333-4444-555555555555.json",
	    "{\"version\":1,\"uuid\":\"55555555-2222-3333-4444-555555555555\"}");
	put("66666666-2222-3333-4444-555555555555.json",
	    "{\"version\":1,\"uuid\":\"66666666-2222-3333-4444-555555555555\",\"adapters\":[300]}");
	/* An earlier rejected file of the same name must survive. */
	mkdir(strcat(strcpy((char[256]){ 0 }, dir), "/rejected"), 0755);
	{
		char p[256];
		FILE *f;

		snprintf(p, sizeof(p), "%s/rejected/22222222-2222-3333-4444-555555555555.json",
			 dir);
		f = fopen(p, "we");
		fputs("older", f);
		fclose(f);
	}

	tap_is_int(store_open(dir, &s2), 0, "reopen");
	tap_is_int(store_load(s2, on_def, &seen), 0, "load despite bad files");
	tap_is_int(seen.n, 1, "exactly the good definition loads");
	tap_ok(ap_matrix_equal(&seen.last.m, &d.m) && seen.last.autostart &&
		       strcmp(seen.last.guest, "vm1") == 0,
	       "the definition round-trips");
	tap_is_int(s2->n_rejected, 4, "four files reported as rejected");
	tap_ok(s2->n_rejected >= 1 && strstr(s2->rejected[0], ".json: ") != NULL,
	       "rejections are reported by name: %s", s2->n_rejected ? s2->rejected[0] : "");
	tap_ok(exists("rejected/22222222-2222-3333-4444-555555555555.json.1"),
	       "corrupt file kept aside without overwriting an earlier one");
	tap_ok(exists("rejected/22222222-2222-3333-4444-555555555555.json"),
	       "the earlier rejected file is still there");
	tap_ok(exists("rejected/33333333-2222-3333-4444-555555555555.json"),
	       "unknown version kept aside");
	tap_ok(!exists("devices/33333333-2222-3333-4444-555555555555.json"),
	       "and no longer among the definitions");

	tap_is_int(store_remove(s2, u1), 0, "remove a definition");
	tap_ok(!exists("devices/11111111-2222-3333-4444-555555555555.json"), "file is gone");
	store_free(s);
	store_free(s2);
}

static void test_json_errors_name_the_field(void)
{
	struct definition back;
	char *err = NULL;
	struct json_object *o;
	int r;

	o = json_tokener_parse("{\"adapters\":[1],\"domans\":[2]}");
	r = definition_from_json(o, 255, 255, &back, &err);
	tap_ok(r == -EINVAL && err && strstr(err, "domans"), "unknown field named: %s",
	       err ? err : "");
	free(err);
	err = NULL;
	json_object_put(o);
	o = json_tokener_parse("{\"domains\":[1, 99]}");
	r = definition_from_json(o, 255, 15, &back, &err);
	tap_ok(r == -ERANGE && err && strstr(err, "domains[1]"), "out of range id named: %s",
	       err ? err : "");
	free(err);
	err = NULL;
	json_object_put(o);
	o = json_tokener_parse("{\"autostart\":\"yes\"}");
	r = definition_from_json(o, 255, 255, &back, &err);
	tap_ok(r == -EINVAL && err && strstr(err, "autostart"), "wrong type named: %s",
	       err ? err : "");
	free(err);
	json_object_put(o);
}

static void test_journal_write_read_clear(void)
{
	struct store *s = NULL;
	struct json_object *o;

	tap_is_int(store_open(dir, &s), 0, "open");
	tap_is_int(write_file_atomic(dir, "journal.json", "{}", 2), 0, "atomic write");
	tap_is_int(store_journal_read(s, &o), 0, "journal reads back");
	json_object_put(o);
	tap_is_int(store_journal_clear(s), 0, "journal cleared");
	tap_is_int(store_journal_read(s, &o), -ENOENT, "no journal afterwards");
	store_free(s);
}

int main(void)
{
	run(test_save_is_atomic);
	run(test_bad_files_are_moved_aside);
	run(test_json_errors_name_the_field);
	run(test_journal_write_read_clear);
	return tap_done();
}
