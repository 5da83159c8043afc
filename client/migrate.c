// SPDX-License-Identifier: GPL-2.0-or-later
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "apm-limits.h"
#include "bus-client.h"
#include "json-field.h"
#include "log.h"
#include "migrate.h"
#include "output.h"
#include "read-file.h"

const char *migrate_dir(void)
{
	const char *d = getenv("APCTL_MIGRATE_DIR");

	return d && d[0] ? d : MIGRATE_DIR_DEFAULT;
}

static int call_string(sd_bus *bus, const char *member, const char *arg, const char *what,
		       sd_bus_message **ret_reply, const char **ret)
{
	int r;

	r = manager_call(bus, member, ret_reply, what, "s", arg);
	if (r < 0)
		return r;
	r = sd_bus_message_read(*ret_reply, "s", ret);
	if (r < 0)
		return log_error_errno(r, "Unexpected %s reply", member);
	return 0;
}

int migrate_export(sd_bus *bus, const char *uuid, FILE *out)
{
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
	_cleanup_json_ struct json_object *o = NULL;
	char what[96];
	const char *s;
	int r;

	snprintf(what, sizeof(what), "Failed to export device %s", uuid);
	r = call_string(bus, "ExportGuest", uuid, what, &reply, &s);
	if (r < 0)
		return r;
	o = json_tokener_parse(s);
	if (!o)
		return log_error_errno(-EBADMSG, "ExportGuest returned no JSON");
	return output_json(o, out);
}

static void print_report(struct json_object *o)
{
	struct json_object *ps = jget(o, "problems"), *ns = jget(o, "notes"),
			   *res = jget(o, "reserve");
	_cleanup_free_ char *ids = jids(res, "ids"), *kept = jjoin(o, "host_reserved");
	const char *guest = jstr(o, "guest");
	long long n = jint(o, "n_problems");
	bool ok = json_object_get_boolean(jget(o, "ok"));

	printf("Migration of device %s%s%s%s to this host: %s", jstr(o, "uuid") ?: "-",
	       guest && *guest ? " (guest " : "", guest && *guest ? guest : "",
	       guest && *guest ? ")" : "", ok ? "ok" : "NOT possible");
	if (!ok)
		printf(", %lld problem%s", n, n == 1 ? "" : "s");
	putchar('\n');
	if (jlen(o, "problems") > 0) {
		static const char *const headers[] = { "APQN", "REASON", "PROBLEM" };
		_cleanup_(table_freep) table *t = table_new(ELEMENTSOF(headers), headers);

		for (size_t i = 0; t && i < jlen(o, "problems"); i++) {
			struct json_object *p = json_object_array_get_idx(ps, i);

			table_add(t, jstr(p, "apqn") ?: "-");
			table_add(t, jstr(p, "reason") ?: "-");
			table_add(t, jstr(p, "message") ?: "-");
		}
		if (t)
			(void)table_print(t, stdout, true);
		if ((long long)jlen(o, "problems") < n)
			printf("(%lld more not listed)\n", n - (long long)jlen(o, "problems"));
	}
	if (json_object_get_boolean(jget(o, "prepared")))
		printf("Already prepared: device %s is defined here with this matrix.\n",
		       jstr(o, "uuid") ?: "-");
	if (ids && strcmp(ids, "-") != 0)
		printf("To reserve for vfio_ap: %s %s (APQNs kept by the host now: %s)\n",
		       jstr(res, "kind") ?: "-", ids, kept ?: "-");
	for (size_t i = 0; i < jlen(o, "notes"); i++)
		printf("Note: %s\n", json_object_get_string(json_object_array_get_idx(ns, i)));
}

int migrate_check(sd_bus *bus, const char *text, bool json, bool quiet)
{
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
	_cleanup_json_ struct json_object *o = NULL;
	const char *s;
	int r;

	r = call_string(bus, "CheckMigration", text, "Failed to check the migration", &reply, &s);
	if (r < 0)
		return r;
	o = json_tokener_parse(s);
	if (!o)
		return log_error_errno(-EBADMSG, "CheckMigration returned no JSON");
	if (json)
		r = output_json(o, stdout);
	else if (!quiet)
		print_report(o);
	if (r < 0)
		return r;
	if (json_object_get_boolean(jget(o, "ok")))
		return 0;
	fflush(stdout);
	log_error("Device %s cannot migrate to this host: %lld problem%s", jstr(o, "uuid") ?: "-",
		  jint(o, "n_problems"), jint(o, "n_problems") == 1 ? "" : "s");
	return -EMEDIUMTYPE;
}

int migrate_prepare(sd_bus *bus, const char *text, bool json, bool quiet)
{
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
	_cleanup_json_ struct json_object *o = NULL;
	_cleanup_free_ char *ids = NULL;
	const char *s;
	int r;

	r = call_string(bus, "PrepareMigration", text, "Failed to prepare the migration", &reply,
			&s);
	if (r < 0)
		return r;
	o = json_tokener_parse(s);
	if (!o)
		return log_error_errno(-EBADMSG, "PrepareMigration returned no JSON");
	if (json)
		return output_json(o, stdout);
	if (quiet)
		return 0;
	ids = jids(jget(o, "reserved"), "ids");
	printf("%s device %s%s%s (%s, not started)",
	       jget(o, "changed") && json_object_get_boolean(jget(o, "changed")) ?
		       "Prepared" :
		       "Already prepared:",
	       jstr(o, "uuid") ?: "-", jstr(o, "guest") && *jstr(o, "guest") ? " for guest " : "",
	       jstr(o, "guest") ?: "", jstr(o, "state") ?: "-");
	if (ids && strcmp(ids, "-") != 0)
		printf("; reserved %s %s for vfio_ap", jstr(jget(o, "reserved"), "kind") ?: "-",
		       ids);
	printf(".\n");
	return 0;
}

int migrate_hook_prepare(sd_bus *bus, const char *uuid, const char *guest)
{
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
	_cleanup_json_ struct json_object *o = NULL;
	_cleanup_free_ char *path = NULL, *text = NULL;
	_cleanup_close_ int fd = -1;
	struct json_object *u;
	char what[512];
	size_t len = 0;
	int r;

	if (asprintf(&path, "%s/%s.json", migrate_dir(), uuid) < 0)
		return log_oom();
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0 && errno == ENOENT)
		return 0;
	if (fd < 0)
		return log_error_errno(-errno, "Guest %s: cannot open %s", guest, path);
	r = read_full_fd(fd, APM_LIMIT_MIGRATION_JSON_BYTES, &text, &len);
	if (r < 0)
		return log_error_errno(r, "Guest %s: cannot read %s", guest, path);
	o = json_tokener_parse(text);
	if (!o || !json_object_is_type(o, json_type_object)) {
		log_error("Guest %s: %s is not a JSON object (apctl export-guest writes it)", guest,
			  path);
		return -EINVAL;
	}
	u = jget(o, "uuid");
	if (!u || !json_object_is_type(u, json_type_string) ||
	    strcasecmp(json_object_get_string(u), uuid) != 0) {
		log_error("Guest %s: %s is the export of device %s, not of %s", guest, path,
			  u ? json_object_get_string(u) : "(none)", uuid);
		return -EINVAL;
	}
	/* The guest may arrive under another name (virsh migrate --dname). */
	json_object_object_add(o, "guest", json_object_new_string(guest));
	snprintf(what, sizeof(what),
		 "Guest %s: cannot prepare the incoming migration of vfio-ap device %s", guest,
		 uuid);
	return manager_call(bus, "PrepareMigration", &reply, what, "s",
			    json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
}
