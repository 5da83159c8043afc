// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * org.apmatrix1.Manager on /org/apmatrix1: argument parsing (errors name the
 * field), then every mutation goes through auth into the request queue; the
 * reply is sent when the batch holding the request is done.
 */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <malloc.h>
#include <stdlib.h>
#include <string.h>
#include <systemd/sd-id128.h>

#include "auth.h"
#include "bus-args.h"
#include "config.h"
#include "domain-xml.h"
#include "inhibit.h"
#include "log.h"
#include "manager-dbus.h"
#include "manager.h"
#include "migration.h"
#include "request-errors.h"

/*
 * The last step of every mutation: queue it (the sender's FIFO refuses it with
 * Error.TooManyRequests beyond APM_LIMIT_QUEUED_REQUESTS_PER_CLIENT).
 */
static int submit(Manager *m, struct request *r, sd_bus_error *error)
{
	int k;

	k = manager_enqueue(m, r);
	return k < 0 ? k : 1;
}

static int method_get_state(sd_bus_message *msg, void *userdata, sd_bus_error *error)
{
	struct json_object *j;
	Manager *m = userdata;
	int r;

	/* vfio_ap sends no uevent when a guest attaches: look now. */
	manager_refresh_attached(m);
	j = manager_state_to_json(m);
	if (!j)
		return -ENOMEM;
	r = sd_bus_reply_method_return(
		msg, "s",
		json_object_to_json_string_ext(j, JSON_C_TO_STRING_PLAIN |
							  JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(j);
	/* The picture of a big host is megabytes of short-lived objects. */
	if (m->n_devices > 64)
		malloc_trim(0);
	return r;
}

int manager_bus_read_device(sd_bus_message *msg, Manager *m, Device **ret, sd_bus_error *error)
{
	char uuid[UUID_STR_LEN + 1];
	const char *s;
	Device *d;
	int r;

	r = sd_bus_message_read(msg, "s", &s);
	if (r < 0)
		return r;
	r = bus_parse_uuid(s, "uuid", uuid, error);
	if (r < 0)
		return r;
	d = manager_find_device(m, uuid);
	if (!d)
		return sd_bus_error_setf(error, ERR_NO_SUCH_DEVICE, "no device %s", uuid);
	*ret = d;
	return 0;
}

static int method_get_device(sd_bus_message *msg, void *userdata, sd_bus_error *error)
{
	Device *d;
	int r;

	r = manager_bus_read_device(msg, userdata, &d, error);
	if (r < 0)
		return r;
	return sd_bus_reply_method_return(msg, "o", d->path);
}

static int method_list_devices(sd_bus_message *msg, void *userdata, sd_bus_error *error)
{
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
	Manager *m = userdata;
	int r;

	manager_refresh_attached(m);
	r = sd_bus_message_new_method_return(msg, &reply);
	if (r < 0)
		return r;
	r = sd_bus_message_open_container(reply, 'a', "(ssso)");
	for (size_t i = 0; r >= 0 && i < m->n_devices; i++) {
		Device *d = m->devices[i];

		r = sd_bus_message_append(reply, "(ssso)", d->uuid, device_state_string(d),
					  device_guest(d), d->path);
	}
	if (r >= 0)
		r = sd_bus_message_close_container(reply);
	if (r < 0)
		return r;
	return sd_bus_send(NULL, reply, NULL);
}

static void random_uuid(char out[static UUID_STR_LEN + 1])
{
	sd_id128_t id;
	char s[SD_ID128_STRING_MAX];

	if (sd_id128_randomize(&id) < 0)
		id = (sd_id128_t){ .qwords = { (uint64_t)random(), (uint64_t)random() } };
	sd_id128_to_string(id, s);
	snprintf(out, UUID_STR_LEN + 1, "%.8s-%.4s-%.4s-%.4s-%.12s", s, s + 8, s + 12, s + 16,
		 s + 20);
}

static int define_authorised(sd_bus_message *msg, Manager *m, sd_bus_error *error)
{
	_cleanup_(request_freep) struct request *req = NULL;
	_cleanup_json_ struct json_object *o = NULL;
	const char *uuid, *config;
	char keep[UUID_STR_LEN + 1], *err = NULL;
	struct json_object *f;
	uint64_t flags;
	int r;

	r = sd_bus_message_read(msg, "sst", &uuid, &config, &flags);
	if (r < 0)
		return r;
	r = bus_check_flags(flags, error);
	if (r < 0)
		return r;
	req = request_new(REQ_DEFINE, msg, flags);
	if (!req)
		return -ENOMEM;
	if (*uuid) {
		r = bus_parse_uuid(uuid, "uuid", req->def.uuid, error);
		if (r < 0)
			return r;
	} else
		random_uuid(req->def.uuid);
	r = bus_parse_json_object(config, "config_json", APM_LIMIT_CONFIG_JSON_BYTES,
				  "ConfigJsonBytes", &o, error);
	if (r < 0)
		return r;
	memcpy(keep, req->def.uuid, sizeof(keep));
	if (json_object_object_get_ex(o, "uuid", &f) &&
	    (!json_object_is_type(f, json_type_string) ||
	     strcasecmp(json_object_get_string(f), keep) != 0))
		return sd_bus_error_setf(error, SD_BUS_ERROR_INVALID_ARGS,
					 "config_json: uuid does not match the uuid argument");
	r = definition_from_json(o, m->host->max_apid, m->host->max_apqi, &req->def, &err);
	if (r < 0)
		return bus_json_error(r, "config_json", err, error);
	memcpy(req->def.uuid, keep, sizeof(keep));
	r = bus_check_matrix(&req->def.m, "config_json", error);
	if (r < 0)
		return r;
	return submit(m, TAKE_PTR(req), error);
}

static int method_define(sd_bus_message *msg, void *userdata, sd_bus_error *error)
{
	return auth_then(userdata, msg, REQ_DEFINE, define_authorised, error);
}

static int uuid_only_authorised(sd_bus_message *msg, Manager *m, enum request_type type,
				sd_bus_error *error)
{
	_cleanup_(request_freep) struct request *req = NULL;
	const char *uuid;
	uint64_t flags;
	int r;

	r = sd_bus_message_read(msg, "st", &uuid, &flags);
	if (r < 0)
		return r;
	r = bus_check_flags(flags, error);
	if (r < 0)
		return r;
	req = request_new(type, msg, flags);
	if (!req)
		return -ENOMEM;
	r = bus_parse_uuid(uuid, "uuid", req->uuid, error);
	if (r < 0)
		return r;
	return submit(m, TAKE_PTR(req), error);
}

static int undefine_authorised(sd_bus_message *msg, Manager *m, sd_bus_error *error)
{
	return uuid_only_authorised(msg, m, REQ_UNDEFINE, error);
}

static int start_authorised(sd_bus_message *msg, Manager *m, sd_bus_error *error)
{
	return uuid_only_authorised(msg, m, REQ_START, error);
}

static int stop_authorised(sd_bus_message *msg, Manager *m, sd_bus_error *error)
{
	return uuid_only_authorised(msg, m, REQ_STOP, error);
}

static int adopt_authorised(sd_bus_message *msg, Manager *m, sd_bus_error *error)
{
	return uuid_only_authorised(msg, m, REQ_ADOPT, error);
}

static int method_undefine(sd_bus_message *msg, void *userdata, sd_bus_error *error)
{
	return auth_then(userdata, msg, REQ_UNDEFINE, undefine_authorised, error);
}

static int method_start(sd_bus_message *msg, void *userdata, sd_bus_error *error)
{
	return auth_then(userdata, msg, REQ_START, start_authorised, error);
}

static int method_stop(sd_bus_message *msg, void *userdata, sd_bus_error *error)
{
	return auth_then(userdata, msg, REQ_STOP, stop_authorised, error);
}

static int method_adopt(sd_bus_message *msg, void *userdata, sd_bus_error *error)
{
	return auth_then(userdata, msg, REQ_ADOPT, adopt_authorised, error);
}

/*
 * The "[s uuid,] s kind, au ids, t flags" methods: Assign/Unassign name a
 * device and any kind; Reserve/Release only adapters or domains.
 */
static int ids_authorised(sd_bus_message *msg, Manager *m, enum request_type type,
			  sd_bus_error *error)
{
	_cleanup_(request_freep) struct request *req = NULL;
	bool with_uuid = type == REQ_ASSIGN || type == REQ_UNASSIGN;
	const char *uuid, *kind;
	uint64_t flags;
	int r;

	req = request_new(type, msg, 0);
	if (!req)
		return -ENOMEM;
	if (with_uuid) {
		r = sd_bus_message_read(msg, "s", &uuid);
		if (r >= 0)
			r = bus_parse_uuid(uuid, "uuid", req->uuid, error);
		if (r < 0)
			return r;
	}
	r = sd_bus_message_read(msg, "s", &kind);
	if (r >= 0)
		r = bus_parse_kind(kind, !with_uuid, &req->kind, error);
	if (r >= 0)
		r = bus_read_ids(m, msg, req->kind, &req->ids, error);
	if (r >= 0)
		r = sd_bus_message_read(msg, "t", &flags);
	if (r >= 0)
		r = bus_check_flags(flags, error);
	if (r < 0)
		return r;
	req->flags = flags;
	return submit(m, TAKE_PTR(req), error);
}

static int assign_authorised(sd_bus_message *msg, Manager *m, sd_bus_error *error)
{
	return ids_authorised(msg, m, REQ_ASSIGN, error);
}

static int unassign_authorised(sd_bus_message *msg, Manager *m, sd_bus_error *error)
{
	return ids_authorised(msg, m, REQ_UNASSIGN, error);
}

static int reserve_authorised(sd_bus_message *msg, Manager *m, sd_bus_error *error)
{
	return ids_authorised(msg, m, REQ_RESERVE, error);
}

static int release_authorised(sd_bus_message *msg, Manager *m, sd_bus_error *error)
{
	return ids_authorised(msg, m, REQ_RELEASE, error);
}

static int method_assign(sd_bus_message *msg, void *userdata, sd_bus_error *error)
{
	return auth_then(userdata, msg, REQ_ASSIGN, assign_authorised, error);
}

static int method_unassign(sd_bus_message *msg, void *userdata, sd_bus_error *error)
{
	return auth_then(userdata, msg, REQ_UNASSIGN, unassign_authorised, error);
}

static int method_reserve(sd_bus_message *msg, void *userdata, sd_bus_error *error)
{
	return auth_then(userdata, msg, REQ_RESERVE, reserve_authorised, error);
}

static int method_release(sd_bus_message *msg, void *userdata, sd_bus_error *error)
{
	return auth_then(userdata, msg, REQ_RELEASE, release_authorised, error);
}

static int apply_authorised(sd_bus_message *msg, Manager *m, sd_bus_error *error)
{
	_cleanup_(request_freep) struct request *req = NULL;
	_cleanup_json_ struct json_object *o = NULL;
	struct json_object *devs;
	const char *desired;
	uint64_t flags;
	size_t n;
	int r;

	r = sd_bus_message_read(msg, "st", &desired, &flags);
	if (r < 0)
		return r;
	r = bus_check_flags(flags, error);
	if (r < 0)
		return r;
	r = bus_parse_json_object(desired, "desired_json", APM_LIMIT_DESIRED_JSON_BYTES,
				  "DesiredJsonBytes", &o, error);
	if (r < 0)
		return r;
	if (!json_object_object_get_ex(o, "devices", &devs) ||
	    !json_object_is_type(devs, json_type_array))
		return sd_bus_error_setf(error, SD_BUS_ERROR_INVALID_ARGS,
					 "desired_json: expected {\"devices\": [...]}");
	json_object_object_foreach(o, key, val)
	{
		(void)val;
		if (strcmp(key, "devices") != 0)
			return sd_bus_error_setf(error, SD_BUS_ERROR_INVALID_ARGS,
						 "desired_json: %s: unknown field", key);
	}
	n = json_object_array_length(devs);
	if (n == 0)
		return sd_bus_error_setf(error, SD_BUS_ERROR_INVALID_ARGS, "devices: empty list");
	if (n > APM_LIMIT_APPLY_DEVICES)
		return bus_error_limit(error, "devices", n, "entries", "ApplyDevices",
				       APM_LIMIT_APPLY_DEVICES);
	req = request_new(REQ_APPLY, msg, flags);
	if (!req)
		return -ENOMEM;
	req->entries = calloc(n, sizeof(*req->entries));
	if (!req->entries)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		struct json_object *e = json_object_array_get_idx(devs, i), *u;
		char field[32], *err = NULL;

		snprintf(field, sizeof(field), "devices[%zu]", i);
		if (!json_object_is_type(e, json_type_object) ||
		    !json_object_object_get_ex(e, "uuid", &u) ||
		    !json_object_is_type(u, json_type_string))
			return sd_bus_error_setf(error, SD_BUS_ERROR_INVALID_ARGS,
						 "%s: expected an object with \"uuid\"", field);
		json_object_object_foreach(e, ekey, eval)
		{
			(void)eval;
			if (strcmp(ekey, "uuid") && strcmp(ekey, "adapters") &&
			    strcmp(ekey, "domains") && strcmp(ekey, "control_domains"))
				return sd_bus_error_setf(error, SD_BUS_ERROR_INVALID_ARGS,
							 "%s.%s: unknown field", field, ekey);
		}
		r = bus_parse_uuid(json_object_get_string(u), field, req->entries[i].uuid, error);
		if (r < 0)
			return r;
		for (size_t k = 0; k < i; k++)
			if (strcmp(req->entries[k].uuid, req->entries[i].uuid) == 0)
				return sd_bus_error_setf(error, SD_BUS_ERROR_INVALID_ARGS,
							 "%s: device %s is listed twice", field,
							 req->entries[i].uuid);
		r = matrix_from_json(e, m->host->max_apid, m->host->max_apqi, &req->entries[i].m,
				     &err);
		if (r < 0)
			return bus_json_error(r, field, err, error);
		r = bus_check_matrix(&req->entries[i].m, field, error);
		if (r < 0)
			return r;
		req->n_entries++;
	}
	return submit(m, TAKE_PTR(req), error);
}

static int method_apply(sd_bus_message *msg, void *userdata, sd_bus_error *error)
{
	return auth_then(userdata, msg, REQ_APPLY, apply_authorised, error);
}

static int prop_version(sd_bus *bus, const char *path, const char *interface, const char *property,
			sd_bus_message *reply, void *userdata, sd_bus_error *error)
{
	return sd_bus_message_append(reply, "s", PACKAGE_VERSION);
}

static int prop_write_iface(sd_bus *bus, const char *path, const char *interface,
			    const char *property, sd_bus_message *reply, void *userdata,
			    sd_bus_error *error)
{
	Manager *m = userdata;

	return sd_bus_message_append(reply, "s", write_iface_to_string(host_write_iface(m->host)));
}

static int prop_batch_policy(sd_bus *bus, const char *path, const char *interface,
			     const char *property, sd_bus_message *reply, void *userdata,
			     sd_bus_error *error)
{
	Manager *m = userdata;

	return sd_bus_message_append(reply, "s", batch_policy_to_string(m->config.batch_policy));
}

static int prop_max(sd_bus *bus, const char *path, const char *interface, const char *property,
		    sd_bus_message *reply, void *userdata, sd_bus_error *error)
{
	Manager *m = userdata;

	return sd_bus_message_append(reply, "u",
				     strcmp(property, "MaxAdapterId") == 0 ? m->host->max_apid :
									     m->host->max_apqi);
}

static int prop_enforce(sd_bus *bus, const char *path, const char *interface, const char *property,
			sd_bus_message *reply, void *userdata, sd_bus_error *error)
{
	Manager *m = userdata;

	return sd_bus_message_append(reply, "b", (int)m->config.enforce);
}

static int prop_health(sd_bus *bus, const char *path, const char *interface, const char *property,
		       sd_bus_message *reply, void *userdata, sd_bus_error *error)
{
	char buf[PATH_MAX + 128];

	return sd_bus_message_append(reply, "s",
				     manager_storage_health(userdata, buf, sizeof(buf)));
}

#define U SD_BUS_VTABLE_UNPRIVILEGED

static const sd_bus_vtable manager_vtable[] = {
	SD_BUS_VTABLE_START(0),
	SD_BUS_PROPERTY("Version", "s", prop_version, 0, SD_BUS_VTABLE_PROPERTY_CONST),
	SD_BUS_PROPERTY("BatchPolicy", "s", prop_batch_policy, 0, SD_BUS_VTABLE_PROPERTY_CONST),
	SD_BUS_PROPERTY("BatchWindowUSec", "t", NULL, offsetof(Manager, config.batch_window_usec),
			SD_BUS_VTABLE_PROPERTY_CONST),
	SD_BUS_PROPERTY("PacingUSec", "t", NULL, offsetof(Manager, config.pacing_usec),
			SD_BUS_VTABLE_PROPERTY_CONST),
	SD_BUS_PROPERTY("GatherUSec", "t", NULL, offsetof(Manager, config.gather_usec),
			SD_BUS_VTABLE_PROPERTY_CONST),
	SD_BUS_PROPERTY("Enforce", "b", prop_enforce, 0, SD_BUS_VTABLE_PROPERTY_CONST),
	SD_BUS_PROPERTY("WriteInterface", "s", prop_write_iface, 0, 0),
	SD_BUS_PROPERTY("MaxAdapterId", "u", prop_max, 0, 0),
	SD_BUS_PROPERTY("MaxDomainId", "u", prop_max, 0, 0),
	SD_BUS_PROPERTY("Batches", "t", NULL, offsetof(Manager, stats.batches), 0),
	SD_BUS_PROPERTY("KernelWrites", "t", NULL, offsetof(Manager, stats.kernel_writes), 0),
	SD_BUS_PROPERTY("Health", "s", prop_health, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
	SD_BUS_METHOD_WITH_NAMES("GetState", "", , "s", SD_BUS_PARAM(state_json), method_get_state,
				 U),
	SD_BUS_METHOD_WITH_NAMES("GetDevice", "s", SD_BUS_PARAM(uuid), "o", SD_BUS_PARAM(path),
				 method_get_device, U),
	SD_BUS_METHOD_WITH_NAMES("ListDevices", "", , "a(ssso)", SD_BUS_PARAM(devices),
				 method_list_devices, U),
	SD_BUS_METHOD_WITH_NAMES("DefineDevice", "sst",
				 SD_BUS_PARAM(uuid) SD_BUS_PARAM(config_json) SD_BUS_PARAM(flags),
				 "so", SD_BUS_PARAM(uuid) SD_BUS_PARAM(path), method_define, U),
	SD_BUS_METHOD_WITH_NAMES("UndefineDevice", "st", SD_BUS_PARAM(uuid) SD_BUS_PARAM(flags), "",
				 , method_undefine, U),
	SD_BUS_METHOD_WITH_NAMES("StartDevice", "st", SD_BUS_PARAM(uuid) SD_BUS_PARAM(flags), "", ,
				 method_start, U),
	SD_BUS_METHOD_WITH_NAMES("StopDevice", "st", SD_BUS_PARAM(uuid) SD_BUS_PARAM(flags), "", ,
				 method_stop, U),
	SD_BUS_METHOD_WITH_NAMES("Adopt", "st", SD_BUS_PARAM(uuid) SD_BUS_PARAM(flags), "", ,
				 method_adopt, U),
	SD_BUS_METHOD_WITH_NAMES("Assign", "ssaut",
				 SD_BUS_PARAM(uuid) SD_BUS_PARAM(kind) SD_BUS_PARAM(ids)
					 SD_BUS_PARAM(flags),
				 "s", SD_BUS_PARAM(result_json), method_assign, U),
	SD_BUS_METHOD_WITH_NAMES("Unassign", "ssaut",
				 SD_BUS_PARAM(uuid) SD_BUS_PARAM(kind) SD_BUS_PARAM(ids)
					 SD_BUS_PARAM(flags),
				 "s", SD_BUS_PARAM(result_json), method_unassign, U),
	SD_BUS_METHOD_WITH_NAMES("Apply", "st", SD_BUS_PARAM(desired_json) SD_BUS_PARAM(flags), "s",
				 SD_BUS_PARAM(result_json), method_apply, U),
	SD_BUS_METHOD_WITH_NAMES("Reserve", "saut",
				 SD_BUS_PARAM(kind) SD_BUS_PARAM(ids) SD_BUS_PARAM(flags), "", ,
				 method_reserve, U),
	SD_BUS_METHOD_WITH_NAMES("Release", "saut",
				 SD_BUS_PARAM(kind) SD_BUS_PARAM(ids) SD_BUS_PARAM(flags), "", ,
				 method_release, U),
	SD_BUS_SIGNAL_WITH_NAMES("DeviceChanged", "ss", SD_BUS_PARAM(uuid) SD_BUS_PARAM(json), 0),
	SD_BUS_SIGNAL_WITH_NAMES("BatchApplied", "s", SD_BUS_PARAM(json), 0),
	SD_BUS_SIGNAL_WITH_NAMES("HostChanged", "s", SD_BUS_PARAM(json), 0),
	SD_BUS_SIGNAL_WITH_NAMES("QueueStateChanged", "ssasas",
				 SD_BUS_PARAM(apqn) SD_BUS_PARAM(state) SD_BUS_PARAM(devices)
					 SD_BUS_PARAM(guests),
				 0),
	SD_BUS_VTABLE_END,
};

void manager_emit_host_changed(Manager *m, const char *json)
{
	if (m->bus)
		(void)sd_bus_emit_signal(m->bus, "/org/apmatrix1", "org.apmatrix1.Manager",
					 "HostChanged", "s", json);
}

void manager_emit_batch_applied(Manager *m, const char *json)
{
	if (m->bus)
		(void)sd_bus_emit_signal(m->bus, "/org/apmatrix1", "org.apmatrix1.Manager",
					 "BatchApplied", "s", json);
}

/* Whether a device holds (mdev) or is defined with APQN qn. */
static bool device_has_apqn(const Device *d, apqn qn)
{
	const ap_matrix *ms[] = { d->active ? &d->kern : NULL, d->defined ? &d->def.m : NULL };

	for (size_t i = 0; i < ELEMENTSOF(ms); i++)
		if (ms[i] && ap_mask_test(&ms[i]->apm, qn.apid) &&
		    ap_mask_test(&ms[i]->aqm, qn.apqi))
			return true;
	return false;
}

void manager_emit_queue_state_changed(Manager *m, apqn qn, const char *state)
{
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *s = NULL;
	char q[APQN_STR_MAX];
	int r;

	if (!m->bus)
		return;
	apqn_to_string(qn, q);
	r = sd_bus_message_new_signal(m->bus, &s, "/org/apmatrix1", "org.apmatrix1.Manager",
				      "QueueStateChanged");
	if (r >= 0)
		r = sd_bus_message_append(s, "ss", q, state);
	for (int pass = 0; r >= 0 && pass < 2; pass++) {
		r = sd_bus_message_open_container(s, 'a', "s");
		for (size_t i = 0; r >= 0 && i < m->n_devices; i++) {
			const Device *d = m->devices[i];
			const char *g = device_guest(d);
			bool dup = false;

			if (!device_has_apqn(d, qn))
				continue;
			if (pass == 0) {
				r = sd_bus_message_append(s, "s", d->uuid);
				continue;
			}
			/* Guest names once each, where known. */
			for (size_t j = 0; j < i && !dup; j++)
				dup = device_has_apqn(m->devices[j], qn) &&
				      strcmp(device_guest(m->devices[j]), g) == 0;
			if (g[0] && !dup)
				r = sd_bus_message_append(s, "s", g);
		}
		if (r >= 0)
			r = sd_bus_message_close_container(s);
	}
	if (r >= 0)
		r = sd_bus_send(m->bus, s, NULL);
	if (r < 0)
		log_warning_errno(r, "Failed to send QueueStateChanged for %s", q);
}

int manager_bus_register(Manager *m)
{
	int r;

	r = sd_bus_open_system(&m->bus);
	if (r < 0)
		return log_error_errno(r, "Failed to connect to the system bus");
	r = sd_bus_add_object_vtable(m->bus, NULL, "/org/apmatrix1", "org.apmatrix1.Manager",
				     manager_vtable, m);
	if (r < 0)
		return log_error_errno(r, "Failed to add the manager object");
	r = inhibit_bus_register(m);
	if (r < 0)
		return r;
	r = migration_bus_register(m);
	if (r < 0)
		return r;
	r = sd_bus_add_fallback_vtable(m->bus, NULL, DEVICE_PATH_PREFIX, "org.apmatrix1.Device",
				       device_vtable, device_object_find, m);
	if (r < 0)
		return log_error_errno(r, "Failed to add the device objects");
	r = sd_bus_add_node_enumerator(m->bus, NULL, DEVICE_PATH_PREFIX, device_node_enumerator, m);
	if (r < 0)
		return log_error_errno(r, "Failed to add the device enumerator");
	r = sd_bus_add_object_manager(m->bus, NULL, "/org/apmatrix1");
	if (r < 0)
		return log_error_errno(r, "Failed to add the object manager");
	r = sd_bus_attach_event(m->bus, m->event, SD_EVENT_PRIORITY_NORMAL);
	if (r < 0)
		return log_error_errno(r, "Failed to attach the bus to the event loop");
	r = sd_bus_request_name(m->bus, "org.apmatrix1", 0);
	if (r < 0)
		return log_error_errno(r, "Failed to own org.apmatrix1");
	return 0;
}
