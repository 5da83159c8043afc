// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * apctl: the command line client of apmatrixd (org.apmatrix1 on the system
 * bus). Each verb is one row of the verb table; global options come before or
 * after the verb, verb options are accepted only by the verbs that take them.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "apm-limits.h"
#include "bus-client.h"
#include "config.h"
#include "domain-xml.h"
#include "error-msg.h"
#include "hook.h"
#include "id-list.h"
#include "inhibit.h"
#include "json-field.h"
#include "json-text.h"
#include "log.h"
#include "mdevctl.h"
#include "migrate.h"
#include "monitor.h"
#include "output.h"
#include "read-file.h"
#include "show-device.h"
#include "show-host.h"

/* Options that only some verbs take (bits in verb.options). */
enum {
	OPT_DEFINE = 1 << 0, /* --adapters --domains --control-domains --autostart --guest */
	OPT_DRY_RUN = 1 << 1,
	OPT_INHIBIT = 1 << 2, /* --mode --who --why */
	OPT_FORCE = 1 << 3, /* --force */
};

static bool arg_json;
static bool arg_quiet;
static bool arg_dry_run;
static bool arg_force;
static bool arg_autostart;
static const char *arg_adapters;
static const char *arg_domains;
static const char *arg_control_domains;
static const char *arg_guest;
static const char *arg_mode = "block";
static const char *arg_who;
static const char *arg_why = "";
static unsigned int arg_used_options;
/* apctl inhibit: the command's exit status is apctl's. */
static int arg_exit_status = -1;

/* Files apctl reads (apply, import-mdevctl): far above any real document. */
#define INPUT_SIZE_MAX (16u * 1024 * 1024)
/* Definition files one import looks at. */
#define IMPORT_FILES_MAX 4096

typedef struct verb {
	const char *name;
	int min_args, max_args; /* after the verb */
	unsigned int options;
	const char *synopsis;
	const char *help;
	int (*run)(int argc, char **argv);
} verb;

/* Connected on first use, after the arguments were checked: a typo needs no bus. */
static sd_bus *arg_bus;

static int need_bus(sd_bus **ret)
{
	int r;

	if (!arg_bus) {
		r = bus_connect(&arg_bus);
		if (r < 0)
			return r;
	}
	*ret = arg_bus;
	return 0;
}

static uint64_t call_flags(void)
{
	return (arg_dry_run ? APMATRIX_FLAG_DRY_RUN : 0) | (arg_force ? APMATRIX_FLAG_FORCE : 0);
}

/* A new Manager method call on the (lazily connected) bus. */
static int start_call(const char *member, sd_bus_message **ret)
{
	sd_bus *bus;
	int r;

	r = need_bus(&bus);
	if (r < 0)
		return r;
	r = manager_new_call(bus, member, ret);
	if (r < 0)
		return log_error_errno(r, "Failed to build the %s call", member);
	return 0;
}

/* GetState() parsed; what says what failed. */
static int fetch_state(const char *what, struct json_object **ret)
{
	_cleanup_bus_error_ sd_bus_error error = SD_BUS_ERROR_NULL;
	sd_bus *bus;
	int r;

	r = need_bus(&bus);
	if (r < 0)
		return r;
	r = get_state(bus, ret, &error);
	if (r < 0)
		return log_bus_error(&error, r, what);
	return 0;
}

/* One device's properties; an unknown uuid is "Device UUID: no device ...". */
static int fetch_device(const char *uuid, device_info *ret)
{
	_cleanup_bus_error_ sd_bus_error error = SD_BUS_ERROR_NULL;
	char what[64];
	sd_bus *bus;
	int r;

	r = need_bus(&bus);
	if (r < 0)
		return r;
	r = get_device(bus, uuid, ret, &error);
	if (r < 0) {
		snprintf(what, sizeof(what), "Device %s", uuid);
		return log_bus_error(&error, r, what);
	}
	return 0;
}

/* A small JSON result: key, json_object (consumed), ..., NULL. */
static int output_json_fields(const char *key, ...)
{
	_cleanup_json_ struct json_object *o = json_object_new_object();
	va_list ap;
	int r = 0;

	va_start(ap, key);
	for (; key; key = va_arg(ap, const char *)) {
		struct json_object *v = va_arg(ap, struct json_object *);

		if (!o || json_object_object_add(o, key, v) < 0) {
			json_object_put(v);
			r = -ENOMEM;
		}
	}
	va_end(ap);
	return r < 0 ? log_oom() : output_json(o, stdout);
}

/* Say what happened unless --quiet or --json. */
_printf_(1, 2) static void note(const char *fmt, ...)
{
	va_list ap;

	if (arg_quiet || arg_json)
		return;
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
}

static int parse_uuid_arg(const char *s)
{
	if (!uuid_is_valid(s)) {
		log_error("Invalid UUID \"%s\": expected 8-4-4-4-12 hex digits", s);
		return -EINVAL;
	}
	return 0;
}

static int parse_ids_arg(const char *what, const char *s, ap_mask *ret)
{
	size_t pos = 0;
	int r;

	r = id_list_parse(s, strlen(s), AP_ID_MAX, ret, &pos);
	if (r == -ERANGE) {
		log_error("Invalid %s \"%s\": id at offset %zu is out of range 0-%u", what, s, pos,
			  AP_ID_MAX);
		return r;
	}
	if (r < 0) {
		log_error("Invalid %s \"%s\" at offset %zu: expected an id list like 1,3-5,0x1f",
			  what, s, pos);
		return -EINVAL;
	}
	return 0;
}

/* "adapter", "domain", "control-domain" (the plural is accepted too). */
static int parse_kind_arg(const char *s, bool allow_control, const char **ret)
{
	static const char *const kinds[] = { "adapter", "domain", "control-domain" };

	for (size_t i = 0; i < ELEMENTSOF(kinds); i++) {
		size_t l = strlen(kinds[i]);

		if (i == 2 && !allow_control)
			break;
		if (strncmp(s, kinds[i], l) == 0 && (s[l] == '\0' || strcmp(s + l, "s") == 0)) {
			*ret = kinds[i];
			return 0;
		}
	}
	log_error("Invalid kind \"%s\": expected adapter, domain%s", s,
		  allow_control ? " or control-domain" : "");
	return -EINVAL;
}

static int read_file(const char *path, char **ret, size_t *ret_len)
{
	_cleanup_close_ int fd = -1;
	int r;

	fd = strcmp(path, "-") == 0 ? fcntl(STDIN_FILENO, F_DUPFD_CLOEXEC, 3) :
				      open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return log_error_errno(-errno, "Failed to open %s", path);
	r = read_full_fd(fd, INPUT_SIZE_MAX, ret, ret_len);
	if (r == -EFBIG)
		log_error("%s is larger than %u bytes", path, INPUT_SIZE_MAX);
	else if (r < 0)
		log_error_errno(r, "Failed to read %s", path);
	return r;
}

/* A JSON document, checked here so that a typo is reported with its offset. */
static int parse_json_text(const char *what, const char *text, size_t len, struct json_object **ret)
{
	_cleanup_free_ char *msg = NULL;
	int r;

	r = json_text_parse(text, len, ret, &msg);
	if (r == -ENOMEM)
		return log_oom();
	if (r < 0)
		log_error("%s: %s", what, msg ?: "invalid JSON");
	return r;
}

static int verb_status(int argc, char **argv)
{
	_cleanup_json_ struct json_object *state = NULL;
	int r;

	r = fetch_state("Failed to get the state", &state);
	if (r < 0)
		return r;
	return show_status(state, arg_json);
}

static int verb_host(int argc, char **argv)
{
	_cleanup_json_ struct json_object *state = NULL;
	int r;

	r = fetch_state("Failed to get the host inventory", &state);
	if (r < 0)
		return r;
	return show_host(state, arg_json, arg_quiet);
}

static int verb_list(int argc, char **argv)
{
	_cleanup_bus_error_ sd_bus_error error = SD_BUS_ERROR_NULL;
	device_info *devices = NULL;
	size_t n = 0;
	sd_bus *bus;
	int r;

	r = need_bus(&bus);
	if (r < 0)
		return r;
	r = list_devices(bus, &devices, &n, &error);
	if (r < 0)
		return log_bus_error(&error, r, "Failed to list the devices");
	r = show_device_list(devices, n, arg_json, arg_quiet);
	device_infos_free(devices, n);
	return r;
}

static int verb_show(int argc, char **argv)
{
	const char *uuid = argv[1];
	device_info d = {};
	int r;

	r = parse_uuid_arg(uuid);
	if (r < 0)
		return r;
	r = fetch_device(uuid, &d);
	if (r < 0)
		return r;
	r = show_device(&d, arg_json);
	device_info_done(&d);
	return r;
}

static int add_ids_option(struct json_object *config, const char *key, const char *what,
			  const char *value)
{
	ap_mask m;
	int r;

	if (!value)
		return 0;
	r = parse_ids_arg(what, value, &m);
	if (r < 0)
		return r;
	return json_object_object_add(config, key, mask_to_json(&m)) < 0 ? -ENOMEM : 0;
}

static int verb_define(int argc, char **argv)
{
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
	_cleanup_json_ struct json_object *config = json_object_new_object();
	const char *uuid = argc > 1 ? argv[1] : "", *new_uuid, *path;
	sd_bus *bus;
	int r;

	if (!config)
		return log_oom();
	if (argc > 1) {
		r = parse_uuid_arg(uuid);
		if (r < 0)
			return r;
	}
	r = add_ids_option(config, "adapters", "adapter list", arg_adapters);
	if (r >= 0)
		r = add_ids_option(config, "domains", "domain list", arg_domains);
	if (r >= 0)
		r = add_ids_option(config, "control_domains", "control domain list",
				   arg_control_domains);
	if (r < 0)
		return r;
	json_object_object_add(config, "autostart", json_object_new_boolean(arg_autostart));
	if (arg_guest)
		json_object_object_add(config, "guest", json_object_new_string(arg_guest));
	r = need_bus(&bus);
	if (r < 0)
		return r;
	r = manager_call(bus, "DefineDevice", &reply, "Failed to define the device", "sst", uuid,
			 json_object_to_json_string_ext(config, JSON_C_TO_STRING_PLAIN),
			 call_flags());
	if (r < 0)
		return r;
	r = sd_bus_message_read(reply, "so", &new_uuid, &path);
	if (r < 0)
		return log_error_errno(r, "Unexpected DefineDevice reply");

	if (arg_json)
		return output_json_fields("uuid", json_object_new_string(new_uuid), "path",
					  json_object_new_string(path), "dry_run",
					  json_object_new_boolean(arg_dry_run), NULL);
	/* The uuid is the result (it may be new), so it is printed even with --quiet. */
	printf("%s\n", new_uuid);
	return 0;
}

/* UndefineDevice, StartDevice, StopDevice: (s uuid, t flags) -> () */
static int call_device_method(const char *member, const char *action, const char *uuid,
			      const char *done)
{
	char what[128];
	sd_bus *bus;
	int r;

	r = parse_uuid_arg(uuid);
	if (r < 0)
		return r;
	r = need_bus(&bus);
	if (r < 0)
		return r;
	snprintf(what, sizeof(what), "Failed to %s device %s", action, uuid);
	r = manager_call(bus, member, NULL, what, "st", uuid, call_flags());
	if (r < 0)
		return r;
	if (arg_json)
		return output_json_fields("uuid", json_object_new_string(uuid), "dry_run",
					  json_object_new_boolean(arg_dry_run), NULL);
	note("%s device %s%s.", done, uuid, arg_dry_run ? " (dry run, nothing changed)" : "");
	return 0;
}

static int verb_undefine(int argc, char **argv)
{
	return call_device_method("UndefineDevice", "undefine", argv[1], "Undefined");
}

static int verb_start(int argc, char **argv)
{
	return call_device_method("StartDevice", "start", argv[1], "Started");
}

static int verb_stop(int argc, char **argv)
{
	return call_device_method("StopDevice", "stop", argv[1], "Stopped");
}

static int verb_adopt(int argc, char **argv)
{
	return call_device_method("Adopt", "adopt", argv[1], "Adopted");
}

/*
 * A result_json of Assign/Unassign/Apply: as-is for tools; for people what it
 * cost, per device, and for a dry run the planned kernel writes.
 */
static int print_result(const char *text)
{
	_cleanup_json_ struct json_object *o = json_tokener_parse(text);
	struct json_object *devices, *writes;
	bool dry_run;

	if (arg_json) {
		if (o)
			return output_json(o, stdout);
		printf("%s\n", text);
		return 0;
	}
	if (arg_quiet)
		return 0;
	if (!o || !json_object_is_type(o, json_type_object)) {
		printf("%s\n", text);
		return 0;
	}
	dry_run = json_object_get_boolean(jget(o, "dry_run"));
	printf("%s%lld kernel write(s) via %s, %lld APCB update(s) of running guests\n",
	       dry_run ? "Dry run, nothing changed; would take " : "Done: ",
	       jint(o, "kernel_writes"), jstr(o, "write_interface") ?: "-",
	       jint(o, "apcb_updates"));
	devices = jget(o, "devices");
	for (size_t i = 0; i < jlen(o, "devices"); i++) {
		struct json_object *d = json_object_array_get_idx(devices, i);
		_cleanup_free_ char *a = jids(d, "adapters"), *dom = jids(d, "domains"),
				    *c = jids(d, "control_domains");

		printf("  %s: adapters %s, domains %s, control domains %s (%lld write(s), %lld "
		       "APCB update(s))\n",
		       jstr(d, "uuid") ?: "-", a ?: "-", dom ?: "-", c ?: "-",
		       jint(d, "kernel_writes"), jint(d, "apcb_updates"));
	}
	writes = jget(o, "writes");
	for (size_t i = 0; dry_run && i < jlen(o, "writes"); i++) {
		struct json_object *w = json_object_array_get_idx(writes, i);

		printf("  write %s: %s\n", jstr(w, "attribute") ?: "-", jstr(w, "value") ?: "-");
	}
	return 0;
}

/* Assign, Unassign, Reserve, Release: ([s uuid,] s kind, au ids, t flags) */
static int call_ids_method(const char *member, const char *uuid, const char *kind,
			   const ap_mask *ids, sd_bus_message **ret_reply, const char *what)
{
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
	int r;

	r = start_call(member, &m);
	if (r < 0)
		return r;
	r = uuid ? sd_bus_message_append(m, "ss", uuid, kind) : sd_bus_message_append(m, "s", kind);
	if (r >= 0)
		r = append_ids(m, ids);
	if (r >= 0)
		r = sd_bus_message_append(m, "t", call_flags());
	if (r < 0)
		return log_error_errno(r, "Failed to build the %s call", member);
	return call_logged(arg_bus, m, ret_reply, what);
}

static int assign_or_unassign(const char *member, char **argv)
{
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
	const char *uuid = argv[1], *kind, *result;
	bool assign = strcmp(member, "Assign") == 0;
	char what[256];
	ap_mask ids;
	int r;

	r = parse_uuid_arg(uuid);
	if (r >= 0)
		r = parse_kind_arg(argv[2], true, &kind);
	if (r >= 0)
		r = parse_ids_arg("id list", argv[3], &ids);
	if (r < 0)
		return r;
	snprintf(what, sizeof(what), "Failed to %s %s %s %s device %s",
		 assign ? "assign" : "unassign", kind, argv[3], assign ? "to" : "from", uuid);
	r = call_ids_method(member, uuid, kind, &ids, &reply, what);
	if (r < 0)
		return r;
	r = sd_bus_message_read(reply, "s", &result);
	if (r < 0)
		return log_error_errno(r, "Unexpected %s reply", member);
	return print_result(result);
}

static int verb_assign(int argc, char **argv)
{
	return assign_or_unassign("Assign", argv);
}

static int verb_unassign(int argc, char **argv)
{
	return assign_or_unassign("Unassign", argv);
}

static int verb_apply(int argc, char **argv)
{
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
	_cleanup_json_ struct json_object *desired = NULL;
	_cleanup_free_ char *text = NULL;
	const char *result;
	size_t len = 0;
	sd_bus *bus;
	int r;

	r = read_file(argv[1], &text, &len);
	if (r < 0)
		return r;
	r = parse_json_text(argv[1], text, len, &desired);
	if (r < 0)
		return r;
	if (strlen(text) != len) {
		log_error("%s: invalid JSON: NUL byte in the input", argv[1]);
		return -EINVAL;
	}
	r = need_bus(&bus);
	if (r < 0)
		return r;
	r = manager_call(bus, "Apply", &reply, "Failed to apply", "st", text, call_flags());
	if (r < 0)
		return r;
	r = sd_bus_message_read(reply, "s", &result);
	if (r < 0)
		return log_error_errno(r, "Unexpected Apply reply");
	return print_result(result);
}

static int reserve_or_release(const char *member, char **argv, const char *done)
{
	const char *kind;
	char what[256];
	ap_mask ids;
	int r;

	r = parse_kind_arg(argv[1], false, &kind);
	if (r >= 0)
		r = parse_ids_arg("id list", argv[2], &ids);
	if (r < 0)
		return r;
	snprintf(what, sizeof(what), "Failed to %s %s %s",
		 strcmp(member, "Reserve") == 0 ? "reserve" : "release", kind, argv[2]);
	r = call_ids_method(member, NULL, kind, &ids, NULL, what);
	if (r < 0)
		return r;
	if (arg_json)
		return output_json_fields("kind", json_object_new_string(kind), "ids",
					  mask_to_json(&ids), "dry_run",
					  json_object_new_boolean(arg_dry_run), NULL);
	note("%s %s(s) %s%s.", done, kind, argv[2],
	     arg_dry_run ? " (dry run, nothing changed)" : "");
	return 0;
}

static int verb_reserve(int argc, char **argv)
{
	return reserve_or_release("Reserve", argv, "Reserved for passthrough:");
}

static int verb_release(int argc, char **argv)
{
	return reserve_or_release("Release", argv, "Released to the host:");
}

static int verb_monitor(int argc, char **argv)
{
	sd_bus *bus;
	int r;

	r = need_bus(&bus);
	if (r < 0)
		return r;
	return monitor_run(bus, arg_json, arg_quiet, false);
}

static int verb_events(int argc, char **argv)
{
	sd_bus *bus;
	int r;

	r = need_bus(&bus);
	if (r < 0)
		return r;
	return monitor_run(bus, arg_json, arg_quiet, true);
}

static int import_one(sd_bus *bus, const char *dir, const char *name, char **reterr_msg)
{
	_cleanup_bus_error_ sd_bus_error error = SD_BUS_ERROR_NULL;
	_cleanup_json_ struct json_object *config = NULL;
	_cleanup_free_ char *path = NULL, *text = NULL;
	_cleanup_close_ int fd = -1;
	mdevctl_def def;
	struct stat st;
	size_t len = 0;
	int r;

	if (!uuid_is_valid(name))
		return error_msgf(reterr_msg, -EINVAL, "file name is not a UUID");
	if (asprintf(&path, "%s/%s", dir, name) < 0)
		return -ENOMEM;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
	if (fd < 0 || fstat(fd, &st) < 0) {
		r = negative_errno();
		return error_msgf(reterr_msg, r, "cannot open: %s", strerror(-r));
	}
	if (!S_ISREG(st.st_mode))
		return error_msgf(reterr_msg, -EINVAL, "not a regular file");
	r = read_full_fd(fd, MDEVCTL_FILE_SIZE_MAX, &text, &len);
	if (r < 0)
		return error_msgf(reterr_msg, r, "cannot read: %s", strerror(-r));
	r = mdevctl_def_parse(text, len, &def, reterr_msg);
	if (r < 0)
		return r;
	config = mdevctl_def_to_config(&def);
	if (!config)
		return -ENOMEM;

	r = sd_bus_call_method(bus, APMATRIX_SERVICE, APMATRIX_PATH, MANAGER_INTERFACE,
			       "DefineDevice", &error, NULL, "sst", name,
			       json_object_to_json_string_ext(config, JSON_C_TO_STRING_PLAIN),
			       call_flags());
	if (r < 0)
		return error_msgf(reterr_msg, bus_error_errno(&error, r),
				  "rejected by apmatrixd: %s",
				  error.message	     ?:
					  error.name ?:
						       strerror(-r));
	return 0;
}

static int filter_visible(const struct dirent *de)
{
	return de->d_name[0] != '.';
}

static int verb_import_mdevctl(int argc, char **argv)
{
	const char *dir = argc > 1 ? argv[1] : MDEVCTL_MATRIX_DIR;
	_cleanup_json_ struct json_object *o = json_object_new_object();
	struct json_object *imported = json_object_new_array(), *skipped = json_object_new_array();
	struct dirent **names = NULL;
	sd_bus *bus;
	int n, r, ret = 0;

	if (!o || !imported || !skipped) {
		json_object_put(imported);
		json_object_put(skipped);
		return log_oom();
	}
	json_object_object_add(o, "imported", imported);
	json_object_object_add(o, "skipped", skipped);

	n = scandir(dir, &names, filter_visible, alphasort);
	if (n < 0)
		return log_error_errno(-errno, "Failed to read %s", dir);
	r = need_bus(&bus);
	if (r < 0) {
		for (int i = 0; i < n; i++)
			free(names[i]);
		free(names);
		return r;
	}
	for (int i = 0; i < n; i++) {
		_cleanup_free_ char *msg = NULL;

		r = -E2BIG;
		if (i < IMPORT_FILES_MAX)
			r = import_one(bus, dir, names[i]->d_name, &msg);
		if (r == -ENOMEM) {
			ret = log_oom();
		} else if (r < 0) {
			struct json_object *s = json_object_new_object();

			log_error("%s/%s: %s; skipped", dir, names[i]->d_name, msg ?: strerror(-r));
			json_object_object_add(s, "file", json_object_new_string(names[i]->d_name));
			json_object_object_add(s, "error",
					       json_object_new_string(msg ?: strerror(-r)));
			json_object_array_add(skipped, s);
			if (ret == 0)
				ret = r;
		} else {
			json_object_array_add(imported, json_object_new_string(names[i]->d_name));
			note("Imported %s%s.", names[i]->d_name,
			     arg_dry_run ? " (dry run, nothing changed)" : "");
		}
		free(names[i]);
	}
	free(names);

	if (arg_json)
		output_json(o, stdout);
	/* Every skipped file was reported; the run as a whole failed. */
	return ret < 0 ? -EIO : 0;
}

static int verb_export_mdevctl(int argc, char **argv)
{
	_cleanup_free_ char *text = NULL;
	device_info d = {};
	mdevctl_def def;
	int r;

	r = parse_uuid_arg(argv[1]);
	if (r < 0)
		return r;
	r = fetch_device(argv[1], &d);
	if (r < 0)
		return r;
	def = (mdevctl_def){ .autostart = d.autostart, .matrix = d.matrix };
	device_info_done(&d);
	r = mdevctl_def_format(&def, &text);
	if (r < 0)
		return log_error_errno(r, "Failed to format the mdevctl definition");
	fputs(text, stdout);
	return 0;
}

static int verb_export_guest(int argc, char **argv)
{
	sd_bus *bus;
	int r;

	r = parse_uuid_arg(argv[1]);
	if (r < 0)
		return r;
	r = need_bus(&bus);
	if (r < 0)
		return r;
	return migrate_export(bus, argv[1], stdout);
}

/* An export as apctl export-guest wrote it: the file (or - for stdin), checked to be JSON. */
static int read_export(const char *path, char **ret)
{
	_cleanup_json_ struct json_object *o = NULL;
	_cleanup_free_ char *text = NULL;
	size_t len = 0;
	int r;

	r = read_file(path, &text, &len);
	if (r < 0)
		return r;
	r = parse_json_text(path, text, len, &o);
	if (r < 0)
		return r;
	if (strlen(text) != len) {
		log_error("%s: invalid JSON: NUL byte in the input", path);
		return -EINVAL;
	}
	*ret = TAKE_PTR(text);
	return 0;
}

/* Read the export in FILE, then hand it to check or prepare. */
static int with_export(const char *file, int (*fn)(sd_bus *, const char *, bool, bool))
{
	_cleanup_free_ char *text = NULL;
	sd_bus *bus;
	int r;

	r = read_export(file, &text);
	if (r >= 0)
		r = need_bus(&bus);
	if (r < 0)
		return r;
	return fn(bus, text, arg_json, arg_quiet);
}

static int verb_migrate_check(int argc, char **argv)
{
	return with_export(argv[1], migrate_check);
}

static int verb_migrate_prepare(int argc, char **argv)
{
	return with_export(argv[1], migrate_prepare);
}

static int verb_inhibit(int argc, char **argv)
{
	_cleanup_free_ char *who = NULL;
	char what[128];
	sd_bus *bus;
	int fd, r;

	r = parse_uuid_arg(argv[1]);
	if (r < 0)
		return r;
	who = arg_who ? strdup(arg_who) :
			inhibit_default_who(argv + 2, APM_LIMIT_INHIBIT_WHO_BYTES);
	if (!who)
		return log_oom();
	r = need_bus(&bus);
	if (r < 0)
		return r;
	snprintf(what, sizeof(what), "Failed to inhibit changes of device %s", argv[1]);
	r = inhibit_take(bus, argv[1], who, arg_why, arg_mode, what, &fd);
	if (r < 0)
		return r;
	/* The fd holds the inhibitor; the bus connection is not needed while the command runs. */
	arg_bus = sd_bus_flush_close_unref(arg_bus);
	return inhibit_run(fd, argv + 2, &arg_exit_status);
}

static int verb_inhibitors(int argc, char **argv)
{
	sd_bus *bus;
	int r;

	r = need_bus(&bus);
	if (r < 0)
		return r;
	return show_inhibitors(bus, arg_json, arg_quiet);
}

static int verb_hook(int argc, char **argv)
{
	const char *mdevctl_dir = getenv("APCTL_MDEVCTL_DIR");

	return hook_run(argc - 1, argv + 1, stdin,
			mdevctl_dir && mdevctl_dir[0] ? mdevctl_dir : MDEVCTL_MATRIX_DIR);
}

static const verb verbs[] = {
	{ "status", 0, 0, 0, "status", "Summary of the host, devices and statistics", verb_status },
	{ "host", 0, 0, 0, "host", "Adapters and queues of the host", verb_host },
	{ "list", 0, 0, 0, "list", "List the devices", verb_list },
	{ "show", 1, 1, 0, "show UUID", "Show one device", verb_show },
	{ "define", 0, 1, OPT_DEFINE | OPT_DRY_RUN | OPT_FORCE,
	  "define [UUID] [--adapters L] [--domains L] [--control-domains L] [--autostart] "
	  "[--guest NAME]",
	  "Define a device (a new UUID if none is given)", verb_define },
	{ "undefine", 1, 1, OPT_DRY_RUN, "undefine UUID", "Remove a device's definition",
	  verb_undefine },
	{ "start", 1, 1, OPT_DRY_RUN, "start UUID", "Create the mdev and apply its matrix",
	  verb_start },
	{ "stop", 1, 1, OPT_DRY_RUN, "stop UUID", "Remove the mdev", verb_stop },
	{ "adopt", 1, 1, OPT_DRY_RUN, "adopt UUID",
	  "Take over a foreign mdev: its matrix becomes an apmatrixd definition", verb_adopt },
	{ "assign", 3, 3, OPT_DRY_RUN, "assign UUID KIND IDS",
	  "Add adapters, domains or control domains", verb_assign },
	{ "unassign", 3, 3, OPT_DRY_RUN | OPT_FORCE, "unassign UUID KIND IDS [--force]",
	  "Remove adapters, domains or control domains", verb_unassign },
	{ "apply", 1, 1, OPT_DRY_RUN | OPT_FORCE, "apply FILE [--dry-run] [--force]",
	  "Give the listed devices exactly the matrices in FILE", verb_apply },
	{ "reserve", 2, 2, OPT_DRY_RUN, "reserve KIND IDS",
	  "Take adapters or domains from the host drivers for passthrough", verb_reserve },
	{ "release", 2, 2, OPT_DRY_RUN, "release KIND IDS",
	  "Give adapters or domains back to the host drivers", verb_release },
	{ "monitor", 0, 0, 0, "monitor", "Print events until interrupted", verb_monitor },
	{ "events", 0, 0, 0, "events",
	  "Print events until interrupted or apmatrixd goes away (orchestrators)", verb_events },
	{ "import-mdevctl", 0, 1, OPT_DRY_RUN, "import-mdevctl [DIR]",
	  "Define devices from mdevctl's vfio-ap definitions", verb_import_mdevctl },
	{ "export-mdevctl", 1, 1, 0, "export-mdevctl UUID",
	  "Print a device as an mdevctl definition", verb_export_mdevctl },
	{ "export-guest", 1, 1, 0, "export-guest UUID",
	  "Print what a migration of the device's guest needs (JSON)", verb_export_guest },
	{ "migrate-check", 1, 1, 0, "migrate-check FILE",
	  "Check whether this host can take the guest exported in FILE", verb_migrate_check },
	{ "migrate-prepare", 1, 1, 0, "migrate-prepare FILE",
	  "Define the exported device here (not started) and reserve its queues",
	  verb_migrate_prepare },
	{ "inhibit", 2, INT_MAX, OPT_INHIBIT,
	  "inhibit [--mode=block|delay] [--who=WHO] [--why=WHY] UUID -- COMMAND [ARGS...]",
	  "Run COMMAND while no request may change the device", verb_inhibit },
	{ "inhibitors", 0, 0, 0, "inhibitors", "List the inhibitors", verb_inhibitors },
	{ "hook", 3, 4, 0, "hook GUEST OP SUBOP [EXTRA]",
	  "libvirt QEMU hook entry (domain XML on stdin)", verb_hook },
};

static void help(void)
{
	printf("apctl [OPTIONS...] VERB [ARGS...]\n\n"
	       "Manage the AP crypto matrix of an s390 KVM host through apmatrixd.\n\n"
	       "Verbs:\n");
	for (size_t i = 0; i < ELEMENTSOF(verbs); i++) {
		if (strlen(verbs[i].synopsis) > 28)
			printf("  %s\n  %-28s %s\n", verbs[i].synopsis, "", verbs[i].help);
		else
			printf("  %-28s %s\n", verbs[i].synopsis, verbs[i].help);
	}
	printf("\nOptions:\n"
	       "  -h --help                    Show this help\n"
	       "     --version                 Show the version\n"
	       "  -j --json                    Print JSON (the schema is in apctl(8))\n"
	       "  -q --quiet                   No headers and no progress messages\n"
	       "  -n --dry-run                 Validate and plan only; change nothing\n"
	       "     --force                   define, unassign, apply: take a Secure Execution\n"
	       "                               bound queue from its running guest all the same\n"
	       "     --adapters LIST           define: adapters, e.g. 1,3-5,0x1f\n"
	       "     --domains LIST            define: usage domains\n"
	       "     --control-domains LIST    define: control domains\n"
	       "     --autostart               define: start at boot\n"
	       "     --guest NAME              define: the libvirt domain using it\n"
	       "     --mode MODE               inhibit: block (refuse changes, default) or delay\n"
	       "     --who WHO                 inhibit: who holds it (default: the command line)\n"
	       "     --why WHY                 inhibit: why\n"
	       "\nIDS and LIST are id lists: 5  1,3-5  0x1f  0x10-0x1f (a leading 0 is decimal).\n"
	       "KIND is adapter, domain or control-domain.\n"
	       "Exit status: 0 ok, 1 failed, 2 usage or invalid input, 3 refused.\n"
	       "See apctl(8).\n");
}

enum {
	ARG_VERSION = 0x100,
	ARG_ADAPTERS,
	ARG_DOMAINS,
	ARG_CONTROL_DOMAINS,
	ARG_AUTOSTART,
	ARG_GUEST,
	ARG_MODE,
	ARG_WHO,
	ARG_WHY,
	ARG_FORCE,
};

static int parse_argv(int argc, char **argv)
{
	static const struct option options[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, ARG_VERSION },
		{ "json", no_argument, NULL, 'j' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "dry-run", no_argument, NULL, 'n' },
		{ "force", no_argument, NULL, ARG_FORCE },
		{ "adapters", required_argument, NULL, ARG_ADAPTERS },
		{ "domains", required_argument, NULL, ARG_DOMAINS },
		{ "control-domains", required_argument, NULL, ARG_CONTROL_DOMAINS },
		{ "autostart", no_argument, NULL, ARG_AUTOSTART },
		{ "guest", required_argument, NULL, ARG_GUEST },
		{ "mode", required_argument, NULL, ARG_MODE },
		{ "who", required_argument, NULL, ARG_WHO },
		{ "why", required_argument, NULL, ARG_WHY },
		{}
	};
	int c;

	opterr = 0;
	while ((c = getopt_long(argc, argv, ":hjqn", options, NULL)) >= 0) {
		switch (c) {
		case 'h':
			help();
			return 0;
		case ARG_VERSION:
			printf("apctl %s\n", PACKAGE_VERSION);
			return 0;
		case 'j':
			arg_json = true;
			break;
		case 'q':
			arg_quiet = true;
			break;
		case 'n':
			arg_dry_run = true;
			arg_used_options |= OPT_DRY_RUN;
			break;
		case ARG_FORCE:
			arg_force = true;
			arg_used_options |= OPT_FORCE;
			break;
		case ARG_ADAPTERS:
			arg_adapters = optarg;
			arg_used_options |= OPT_DEFINE;
			break;
		case ARG_DOMAINS:
			arg_domains = optarg;
			arg_used_options |= OPT_DEFINE;
			break;
		case ARG_CONTROL_DOMAINS:
			arg_control_domains = optarg;
			arg_used_options |= OPT_DEFINE;
			break;
		case ARG_AUTOSTART:
			arg_autostart = true;
			arg_used_options |= OPT_DEFINE;
			break;
		case ARG_GUEST:
			if (!optarg[0]) {
				log_error("--guest needs a non-empty libvirt domain name");
				return -EINVAL;
			}
			arg_guest = optarg;
			arg_used_options |= OPT_DEFINE;
			break;
		case ARG_MODE:
			if (strcmp(optarg, "block") != 0 && strcmp(optarg, "delay") != 0) {
				log_error("Invalid mode \"%s\": expected block or delay", optarg);
				return -EINVAL;
			}
			arg_mode = optarg;
			arg_used_options |= OPT_INHIBIT;
			break;
		case ARG_WHO:
			if (!optarg[0]) {
				log_error("--who needs a non-empty name");
				return -EINVAL;
			}
			arg_who = optarg;
			arg_used_options |= OPT_INHIBIT;
			break;
		case ARG_WHY:
			arg_why = optarg;
			arg_used_options |= OPT_INHIBIT;
			break;
		case ':':
			log_error("Option %s needs an argument", argv[optind - 1]);
			return -EINVAL;
		case '?':
			if (optopt > 0 && optopt < 0x100)
				log_error("Unknown option -%c; see apctl --help", optopt);
			else
				log_error("Unknown option %s; see apctl --help", argv[optind - 1]);
			return -EINVAL;
		default:
			log_error("Unexpected option %s", argv[optind - 1]);
			return -EINVAL;
		}
	}
	return 1;
}

static int run(int argc, char **argv)
{
	const verb *v = NULL;
	int n_args, r;

	r = parse_argv(argc, argv);
	if (r <= 0)
		return r;

	if (optind >= argc) {
		log_error("No verb given; see apctl --help");
		return -EINVAL;
	}
	for (size_t i = 0; i < ELEMENTSOF(verbs); i++)
		if (strcmp(verbs[i].name, argv[optind]) == 0)
			v = &verbs[i];
	if (!v) {
		log_error("Unknown verb \"%s\"; see apctl --help", argv[optind]);
		return -EINVAL;
	}
	n_args = argc - optind - 1;
	if (n_args < v->min_args || n_args > v->max_args) {
		log_error("%s: wrong number of arguments; usage: apctl %s", v->name, v->synopsis);
		return -EINVAL;
	}
	if (arg_used_options & ~v->options) {
		unsigned int extra = arg_used_options & ~v->options;

		log_error("%s does not take %s; usage: apctl %s", v->name,
			  (extra & OPT_DRY_RUN) ? "--dry-run" :
			  (extra & OPT_FORCE)	? "--force" :
			  (extra & OPT_DEFINE)	? "define's options" :
						  "inhibit's options",
			  v->synopsis);
		return -EINVAL;
	}

	return v->run(n_args + 1, argv + optind);
}

int main(int argc, char **argv)
{
	int r;

	log_set_program("apctl");
	r = run(argc, argv);
	arg_bus = sd_bus_flush_close_unref(arg_bus);
	fflush(stdout);
	if (ferror(stdout) && r >= 0)
		r = log_error_errno(-EIO, "Failed to write the output");
	if (r >= 0 && arg_exit_status >= 0)
		return arg_exit_status;
	return exit_code_from_errno(r);
}
