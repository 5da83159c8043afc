// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * ExportGuest, CheckMigration and PrepareMigration on the manager object
 * (org.apmatrix1.Manager). The first two are reads, open to everyone like
 * GetDevice; PrepareMigration is a mutation: authorised first, then queued
 * as a request whose batch journals it and answers once it is durable.
 */
#include <errno.h>
#include <stdlib.h>

#include "auth.h"
#include "bus-args.h"
#include "log.h"
#include "manager-dbus.h"
#include "manager.h"
#include "migration.h"
#include "request-errors.h"

static int reply_json(sd_bus_message *msg, struct json_object *o)
{
	return sd_bus_reply_method_return(
		msg, "s",
		json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
							  JSON_C_TO_STRING_NOSLASHESCAPE));
}

static int method_export_guest(sd_bus_message *msg, void *userdata, sd_bus_error *error)
{
	_cleanup_json_ struct json_object *o = NULL;
	Manager *m = userdata;
	Device *d;
	int r;

	r = manager_bus_read_device(msg, m, &d, error);
	if (r < 0)
		return r;
	o = migration_export(m, d);
	if (!o)
		return -ENOMEM;
	return reply_json(msg, o);
}

/* The json argument as an export: 0, or < 0 with error set. */
static int read_spec(sd_bus_message *msg, struct migration_spec **ret, sd_bus_error *error)
{
	_cleanup_json_ struct json_object *o = NULL;
	const char *json;
	char *err = NULL;
	int r;

	r = sd_bus_message_read(msg, "s", &json);
	if (r < 0)
		return r;
	r = bus_parse_json_object(json, "json", APM_LIMIT_MIGRATION_JSON_BYTES,
				  "MigrationJsonBytes", &o, error);
	if (r < 0)
		return r;
	r = migration_spec_from_json(o, ret, &err);
	if (r == -ENOMEM)
		return r;
	if (r < 0)
		return bus_json_error(r, "json", err, error);
	return 0;
}

static int method_check_migration(sd_bus_message *msg, void *userdata, sd_bus_error *error)
{
	_cleanup_(migration_spec_freep) struct migration_spec *s = NULL;
	_cleanup_json_ struct json_object *o = NULL;
	struct migration_report rep;
	struct working ws;
	Manager *m = userdata;
	int r;

	r = read_spec(msg, &s, error);
	if (r < 0)
		return r;
	/* Whether a guest holds a device is learned by looking (vfio_ap sends no event). */
	manager_refresh_attached(m);
	r = working_init(&ws, m);
	if (r < 0)
		return r;
	r = migration_check(&ws, s, &rep);
	working_done(&ws);
	if (r < 0)
		return r;
	o = migration_report_to_json(s, &rep);
	migration_report_done(&rep);
	if (!o)
		return -ENOMEM;
	return reply_json(msg, o);
}

static int prepare_authorised(sd_bus_message *msg, Manager *m, sd_bus_error *error)
{
	_cleanup_(request_freep) struct request *req = NULL;
	struct migration_spec *s = NULL;
	int r;

	r = read_spec(msg, &s, error);
	if (r < 0)
		return r;
	req = request_new(REQ_PREPARE_MIGRATION, msg, 0);
	if (!req) {
		migration_spec_free(s);
		return -ENOMEM;
	}
	req->mig = s;
	req->def = s->def;
	r = manager_enqueue(m, TAKE_PTR(req));
	return r < 0 ? r : 1;
}

static int method_prepare_migration(sd_bus_message *msg, void *userdata, sd_bus_error *error)
{
	return auth_then(userdata, msg, REQ_PREPARE_MIGRATION, prepare_authorised, error);
}

void migration_reply_prepared(Manager *m, struct request *r, const char *result_json)
{
	_cleanup_json_ struct json_object *o = json_object_new_object();
	struct json_object *res = json_object_new_object();
	const struct migration_spec *s = r->mig;
	Device *d = manager_find_device(m, r->def.uuid);

	if (!o || !res) {
		json_object_put(res);
		(void)sd_bus_reply_method_errno(r->msg, -ENOMEM, NULL);
		return;
	}
	json_object_object_add(o, "uuid", json_object_new_string(r->def.uuid));
	json_object_object_add(o, "path", d ? json_object_new_string(d->path) : NULL);
	json_object_object_add(o, "guest", json_object_new_string(d ? device_guest(d) : ""));
	json_object_object_add(o, "state",
			       json_object_new_string(d ? device_state_string(d) : "defined"));
	json_object_object_add(o, "changed", json_object_new_boolean(s->changed));
	json_object_object_add(o, "reserved", res);
	json_object_object_add(
		res, "kind",
		json_object_new_string(s->reserve == KIND_DOMAIN ? "domain" : "adapter"));
	json_object_object_add(res, "ids", mask_to_json(&s->reserved));
	json_object_object_add(o, "batch", result_json ? json_tokener_parse(result_json) : NULL);
	(void)reply_json(r->msg, o);
}

#define U SD_BUS_VTABLE_UNPRIVILEGED

static const sd_bus_vtable migration_vtable[] = {
	SD_BUS_VTABLE_START(0),
	SD_BUS_METHOD_WITH_NAMES("ExportGuest", "s", SD_BUS_PARAM(uuid), "s", SD_BUS_PARAM(json),
				 method_export_guest, U),
	SD_BUS_METHOD_WITH_NAMES("CheckMigration", "s", SD_BUS_PARAM(json), "s",
				 SD_BUS_PARAM(report_json), method_check_migration, U),
	SD_BUS_METHOD_WITH_NAMES("PrepareMigration", "s", SD_BUS_PARAM(json), "s",
				 SD_BUS_PARAM(result_json), method_prepare_migration, U),
	SD_BUS_VTABLE_END,
};

int migration_bus_register(Manager *m)
{
	int r;

	r = sd_bus_add_object_vtable(m->bus, NULL, "/org/apmatrix1", "org.apmatrix1.Manager",
				     migration_vtable, m);
	if (r < 0)
		return log_error_errno(r, "Failed to add the migration methods");
	return 0;
}
