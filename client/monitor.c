// SPDX-License-Identifier: GPL-2.0-or-later
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <systemd/sd-event.h>

#include "bus-client.h"
#include "log.h"
#include "monitor.h"
#include "output.h"

struct monitor {
	bool json;
	sd_event *event;
	int error;
};

static int emit(struct monitor *mon, const char *event, const char *uuid,
		struct json_object *data /* consumed */);

/* A signal argument that carries JSON: embedded as JSON, or as a string if it is not. */
static struct json_object *json_or_string(const char *s)
{
	struct json_object *o = json_tokener_parse(s);

	return o ?: json_object_new_string(s);
}

static struct json_object *variant_to_json(sd_bus_message *m)
{
	const char *contents;
	char type;
	int r;

	r = sd_bus_message_peek_type(m, &type, &contents);
	if (r <= 0 || type != 'v')
		return NULL;
	if (strcmp(contents, "s") == 0 || strcmp(contents, "o") == 0) {
		const char *s;

		if (sd_bus_message_read(m, "v", contents, &s) < 0)
			return NULL;
		return json_object_new_string(s);
	}
	if (strcmp(contents, "b") == 0) {
		int b;

		if (sd_bus_message_read(m, "v", "b", &b) < 0)
			return NULL;
		return json_object_new_boolean(b);
	}
	if (strcmp(contents, "u") == 0) {
		uint32_t u;

		if (sd_bus_message_read(m, "v", "u", &u) < 0)
			return NULL;
		return json_object_new_int64(u);
	}
	if (strcmp(contents, "t") == 0) {
		uint64_t t;

		if (sd_bus_message_read(m, "v", "t", &t) < 0)
			return NULL;
		return json_object_new_uint64(t);
	}
	if (strcmp(contents, "au") == 0) {
		struct json_object *a;
		const void *data;
		size_t size;

		if (sd_bus_message_enter_container(m, 'v', "au") < 0 ||
		    sd_bus_message_read_array(m, 'u', &data, &size) < 0 ||
		    sd_bus_message_exit_container(m) < 0)
			return NULL;
		a = json_object_new_array();
		for (size_t i = 0; a && i < size / sizeof(uint32_t); i++) {
			uint32_t id;

			memcpy(&id, (const char *)data + i * sizeof(uint32_t), sizeof(id));
			json_object_array_add(a, json_object_new_int64(id));
		}
		return a;
	}
	/* A type this apctl does not know: say so rather than guess. */
	if (sd_bus_message_skip(m, "v") < 0)
		return NULL;
	return json_object_new_string("(unsupported type)");
}

static struct json_object *jget_str(struct json_object *o, const char *key)
{
	struct json_object *v;

	return json_object_object_get_ex(o, key, &v) ? v : NULL;
}

/* An array of strings: comma-separated, "-" when empty. */
static bool print_strings(FILE *f, struct json_object *v)
{
	size_t n;

	if (!json_object_is_type(v, json_type_array))
		return false;
	n = json_object_array_length(v);
	for (size_t i = 0; i < n; i++)
		if (!json_object_is_type(json_object_array_get_idx(v, i), json_type_string))
			return false;
	if (n == 0)
		return false; /* as an empty id list: "-" */
	for (size_t i = 0; i < n; i++)
		fprintf(f, "%s%s", i ? "," : "",
			json_object_get_string(json_object_array_get_idx(v, i)));
	return true;
}

/* An id array as an id list ("-" when empty); other values as compact JSON. */
static void print_value(FILE *f, struct json_object *v)
{
	_cleanup_free_ char *msg = NULL, *ids = NULL;
	ap_mask m;

	if (print_strings(f, v))
		return;
	if (json_object_is_type(v, json_type_array) &&
	    mask_from_json(v, "", AP_ID_MAX, &m, &msg) >= 0 && format_ids(&m, &ids) >= 0) {
		fputs(ids, f);
		return;
	}
	if (json_object_is_type(v, json_type_string)) {
		fputs(json_object_get_string(v)[0] ? json_object_get_string(v) : "\"\"", f);
		return;
	}
	fputs(json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN |
							JSON_C_TO_STRING_NOSLASHESCAPE),
	      f);
}

/* " key=value" for each of keys that data has. */
static void print_fields(FILE *f, struct json_object *data, const char *const *keys)
{
	for (; *keys; keys++) {
		struct json_object *v;

		if (!json_object_object_get_ex(data, *keys, &v))
			continue;
		fprintf(f, " %s=", *keys);
		print_value(f, v);
	}
}

/* The human line's details: the fields a person watches, not the whole JSON. */
static void print_summary(FILE *f, const char *event, struct json_object *data)
{
	static const char *const device_keys[] = { "state",   "guest",		 "adapters",
						   "domains", "control_domains", "drift",
						   NULL };
	static const char *const batch_keys[] = { "batch",	     "requests",
						  "write_interface", "kernel_writes",
						  "apcb_updates",    NULL };
	static const char *const host_keys[] = { "apmask", "aqmask", NULL };
	static const char *const queue_keys[] = { "state", "devices", "guests", NULL };

	if (!json_object_is_type(data, json_type_object)) {
		if (data) {
			fputc(' ', f);
			print_value(f, data);
		}
		return;
	}
	if (strcmp(event, "DeviceChanged") == 0) {
		print_fields(f, data, device_keys);
	} else if (strcmp(event, "QueueStateChanged") == 0) {
		fprintf(f, " %s", json_object_get_string(jget_str(data, "apqn")) ?: "?");
		print_fields(f, data, queue_keys);
	} else if (strcmp(event, "InhibitorsChanged") == 0) {
		struct json_object *v;

		fprintf(f, " inhibitors=%zu",
			json_object_object_get_ex(data, "inhibitors", &v) &&
					json_object_is_type(v, json_type_array) ?
				json_object_array_length(v) :
				(size_t)0);
		if (json_object_object_get_ex(data, "held_requests", &v)) {
			fputs(" held_requests=", f);
			print_value(f, v);
		}
	} else if (strcmp(event, "BatchApplied") == 0) {
		print_fields(f, data, batch_keys);
	} else if (strcmp(event, "HostChanged") == 0) {
		struct json_object *adapters, *a, *v;
		size_t n = 0, online = 0;

		if (json_object_object_get_ex(data, "adapters", &adapters) &&
		    json_object_is_type(adapters, json_type_array))
			n = json_object_array_length(adapters);
		for (size_t i = 0; i < n; i++) {
			a = json_object_array_get_idx(adapters, i);
			if (json_object_object_get_ex(a, "config", &v) &&
			    json_object_get_boolean(v))
				online++;
		}
		fprintf(f, " adapters=%zu online=%zu", n, online);
		print_fields(f, data, host_keys);
	} else {
		/* PropertiesChanged: every changed property. */
		json_object_object_foreach(data, key, val)
		{
			fprintf(f, " %s=", key);
			print_value(f, val);
		}
	}
}

static int emit(struct monitor *mon, const char *event, const char *uuid,
		struct json_object *data /* consumed */)
{
	_cleanup_json_ struct json_object *o = json_object_new_object();
	struct timespec ts;
	int r;

	clock_gettime(CLOCK_REALTIME, &ts);
	if (!o) {
		json_object_put(data);
		return -ENOMEM;
	}
	json_object_object_add(o, "event", json_object_new_string(event));
	json_object_object_add(o, "timestamp_usec",
			       json_object_new_uint64((uint64_t)ts.tv_sec * 1000000 +
						      (uint64_t)ts.tv_nsec / 1000));
	if (uuid)
		json_object_object_add(o, "uuid", json_object_new_string(uuid));
	if (data)
		json_object_object_add(o, "data", data);

	if (mon->json) {
		r = output_json_line(o, stdout);
	} else {
		struct tm tm;
		char when[32];

		localtime_r(&ts.tv_sec, &tm);
		strftime(when, sizeof(when), "%H:%M:%S", &tm);
		printf("%s.%03ld %s%s%s", when, ts.tv_nsec / 1000000, event, uuid ? " " : "",
		       uuid ?: "");
		print_summary(stdout, event, data);
		putchar('\n');
		fflush(stdout);
		r = ferror(stdout) ? -EIO : 0;
	}
	if (r < 0) {
		mon->error = r;
		sd_event_exit(mon->event, r);
	}
	return 0;
}

static char *uuid_from_path(const char *path)
{
	char *uuid = NULL;

	if (sd_bus_path_decode(path, APMATRIX_DEVICE_PREFIX, &uuid) <= 0)
		return NULL;
	return uuid;
}

static int on_properties_changed(sd_bus_message *m, struct monitor *mon)
{
	_cleanup_free_ char *uuid = uuid_from_path(sd_bus_message_get_path(m));
	struct json_object *changed;
	const char *iface;
	int r;

	r = sd_bus_message_read(m, "s", &iface);
	if (r < 0 || strcmp(iface, DEVICE_INTERFACE) != 0)
		return 0;
	changed = json_object_new_object();
	if (!changed)
		return -ENOMEM;
	r = sd_bus_message_enter_container(m, 'a', "{sv}");
	while (r >= 0) {
		const char *name;

		r = sd_bus_message_enter_container(m, 'e', "sv");
		if (r <= 0)
			break;
		r = sd_bus_message_read(m, "s", &name);
		if (r < 0)
			break;
		json_object_object_add(changed, name, variant_to_json(m));
		r = sd_bus_message_exit_container(m);
	}
	return emit(mon, "PropertiesChanged", uuid, changed);
}

/* An "as" argument as a JSON array of strings. */
static int read_strv_json(sd_bus_message *m, struct json_object **ret)
{
	_cleanup_json_ struct json_object *a = json_object_new_array();
	const char *s;
	int r;

	if (!a)
		return -ENOMEM;
	r = sd_bus_message_enter_container(m, 'a', "s");
	if (r < 0)
		return r;
	while ((r = sd_bus_message_read(m, "s", &s)) > 0)
		json_object_array_add(a, json_object_new_string(s));
	if (r < 0)
		return r;
	r = sd_bus_message_exit_container(m);
	if (r < 0)
		return r;
	*ret = TAKE_PTR(a);
	return 0;
}

static int on_queue_state_changed(sd_bus_message *m, struct monitor *mon)
{
	struct json_object *o, *devices = NULL, *guests = NULL;
	const char *q, *state;
	int r;

	r = sd_bus_message_read(m, "ss", &q, &state);
	if (r >= 0)
		r = read_strv_json(m, &devices);
	if (r >= 0)
		r = read_strv_json(m, &guests);
	if (r < 0) {
		json_object_put(devices);
		log_warning_errno(r, "Failed to read a QueueStateChanged signal");
		return 0;
	}
	o = json_object_new_object();
	if (!o) {
		json_object_put(devices);
		json_object_put(guests);
		return -ENOMEM;
	}
	json_object_object_add(o, "apqn", json_object_new_string(q));
	json_object_object_add(o, "state", json_object_new_string(state));
	json_object_object_add(o, "devices", devices);
	json_object_object_add(o, "guests", guests);
	return emit(mon, "QueueStateChanged", NULL, o);
}

/* events: apmatrixd left the bus (its name has no owner any more). */
static int on_name_owner_changed(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
	struct monitor *mon = userdata;
	const char *name, *old, *new;

	if (sd_bus_message_read(m, "sss", &name, &old, &new) < 0 ||
	    strcmp(name, APMATRIX_SERVICE) != 0 || new[0])
		return 0;
	(void)emit(mon, "DaemonGone", NULL, NULL);
	log_error("%s left the bus", APMATRIX_SERVICE);
	if (mon->error == 0)
		mon->error = -ESRCH;
	return sd_event_exit(mon->event, -ESRCH);
}

static int on_signal(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
	struct monitor *mon = userdata;
	const char *member = sd_bus_message_get_member(m);
	const char *iface = sd_bus_message_get_interface(m);
	const char *s, *uuid;
	int r;

	if (!member || !iface)
		return 0;

	if (strcmp(iface, MANAGER_INTERFACE) == 0) {
		if (strcmp(member, "DeviceChanged") == 0) {
			r = sd_bus_message_read(m, "ss", &uuid, &s);
			if (r >= 0)
				return emit(mon, member, uuid, json_or_string(s));
		} else if (strcmp(member, "BatchApplied") == 0 ||
			   strcmp(member, "HostChanged") == 0) {
			r = sd_bus_message_read(m, "s", &s);
			if (r >= 0)
				return emit(mon, member, NULL, json_or_string(s));
		} else if (strcmp(member, "InhibitorsChanged") == 0) {
			r = sd_bus_message_read(m, "ss", &uuid, &s);
			if (r >= 0)
				return emit(mon, member, uuid, json_or_string(s));
		} else if (strcmp(member, "QueueStateChanged") == 0) {
			return on_queue_state_changed(m, mon);
		} else {
			return emit(mon, member, NULL, NULL);
		}
		return 0;
	}
	if (strcmp(iface, "org.freedesktop.DBus.Properties") == 0 &&
	    strcmp(member, "PropertiesChanged") == 0)
		return on_properties_changed(m, mon);
	if (strcmp(iface, "org.freedesktop.DBus.ObjectManager") == 0) {
		const char *path;

		r = sd_bus_message_read(m, "o", &path);
		if (r < 0)
			return 0;
		_cleanup_free_ char *u = uuid_from_path(path);
		if (!u)
			return 0;
		if (strcmp(member, "InterfacesAdded") == 0)
			return emit(mon, "DeviceAdded", u, NULL);
		if (strcmp(member, "InterfacesRemoved") == 0)
			return emit(mon, "DeviceRemoved", u, NULL);
	}
	return 0;
}

static int on_disconnect(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
	struct monitor *mon = userdata;

	log_error("Lost the connection to the system bus");
	mon->error = -ECONNRESET;
	return sd_event_exit(mon->event, -ECONNRESET);
}

int monitor_run(sd_bus *bus, bool json, bool quiet, bool until_gone)
{
	_cleanup_(sd_event_unrefp) sd_event *event = NULL;
	_cleanup_(sd_bus_slot_unrefp) sd_bus_slot *slot = NULL, *disc = NULL, *gone = NULL;
	struct monitor mon = { .json = json };
	sigset_t mask;
	int r;

	r = sd_event_default(&event);
	if (r < 0)
		return log_error_errno(r, "Failed to allocate the event loop");
	mon.event = event;

	sigemptyset(&mask);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGTERM);
	if (sigprocmask(SIG_BLOCK, &mask, NULL) < 0)
		return log_error_errno(-errno, "Failed to block SIGINT and SIGTERM");
	r = sd_event_add_signal(event, NULL, SIGINT, NULL, NULL);
	if (r >= 0)
		r = sd_event_add_signal(event, NULL, SIGTERM, NULL, NULL);
	if (r < 0)
		return log_error_errno(r, "Failed to watch SIGINT and SIGTERM");

	/* Synchronous AddMatch: once it returns, no event can slip past. */
	r = sd_bus_add_match(bus, &slot,
			     "type='signal',sender='" APMATRIX_SERVICE
			     "',path_namespace='" APMATRIX_PATH "'",
			     on_signal, &mon);
	if (r < 0)
		return log_error_errno(r, "Failed to subscribe to %s signals", APMATRIX_SERVICE);
	r = sd_bus_match_signal(bus, &disc, "org.freedesktop.DBus.Local",
				"/org/freedesktop/DBus/Local", "org.freedesktop.DBus.Local",
				"Disconnected", on_disconnect, &mon);
	if (r < 0)
		return log_error_errno(r, "Failed to watch the bus connection");
	if (until_gone) {
		_cleanup_(sd_bus_creds_unrefp) sd_bus_creds *creds = NULL;

		/* Subscribed first, then asked: a daemon leaving in between is seen. */
		r = sd_bus_match_signal(bus, &gone, "org.freedesktop.DBus", "/org/freedesktop/DBus",
					"org.freedesktop.DBus", "NameOwnerChanged",
					on_name_owner_changed, &mon);
		if (r < 0)
			return log_error_errno(r, "Failed to watch %s on the bus",
					       APMATRIX_SERVICE);
		r = sd_bus_get_name_creds(bus, APMATRIX_SERVICE, 0, &creds);
		if (r < 0)
			return log_error_errno(r == -ENXIO || r == -ENOENT ? -ESRCH : r,
					       "%s is not on the bus", APMATRIX_SERVICE);
	}
	r = sd_bus_attach_event(bus, event, SD_EVENT_PRIORITY_NORMAL);
	if (r < 0)
		return log_error_errno(r, "Failed to attach the bus to the event loop");

	if (!quiet)
		fprintf(stderr, "Monitoring %s signals; press Ctrl-C to stop.\n", APMATRIX_SERVICE);

	r = sd_event_loop(event);
	sd_bus_detach_event(bus);
	if (mon.error < 0)
		return mon.error;
	return r < 0 ? log_error_errno(r, "Event loop failed") : 0;
}
