// SPDX-License-Identifier: GPL-2.0-or-later
/* org.apmatrix1.Device: one object per device below /org/apmatrix1/device. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "manager-dbus.h"
#include "manager.h"

int device_object_find(sd_bus *bus, const char *path, const char *interface, void *userdata,
		       void **found, sd_bus_error *error)
{
	_cleanup_free_ char *uuid = NULL;
	Manager *m = userdata;
	Device *d;
	int r;

	r = sd_bus_path_decode(path, DEVICE_PATH_PREFIX, &uuid);
	if (r <= 0)
		return 0;
	d = manager_find_device(m, uuid);
	if (!d)
		return 0;
	*found = d;
	return 1;
}

int device_node_enumerator(sd_bus *bus, const char *path, void *userdata, char ***nodes,
			   sd_bus_error *error)
{
	Manager *m = userdata;
	char **l = calloc(m->n_devices + 1, sizeof(*l));

	if (!l)
		return -ENOMEM;
	for (size_t i = 0; i < m->n_devices; i++) {
		l[i] = strdup(m->devices[i]->path);
		if (!l[i]) {
			for (size_t k = 0; k < i; k++)
				free(l[k]);
			free(l);
			return -ENOMEM;
		}
	}
	*nodes = l;
	return 1;
}

static int append_mask(sd_bus_message *reply, const ap_mask *mask)
{
	int r = sd_bus_message_open_container(reply, 'a', "u");

	if (r < 0)
		return r;
	AP_MASK_FOREACH(id, mask) {
		r = sd_bus_message_append(reply, "u", (uint32_t)id);
		if (r < 0)
			return r;
	}
	return sd_bus_message_close_container(reply);
}

static int prop_uuid(sd_bus *bus, const char *path, const char *interface, const char *property,
		     sd_bus_message *reply, void *userdata, sd_bus_error *error)
{
	Device *d = userdata;

	return sd_bus_message_append(reply, "s", d->uuid);
}

static int prop_guest(sd_bus *bus, const char *path, const char *interface, const char *property,
		      sd_bus_message *reply, void *userdata, sd_bus_error *error)
{
	Device *d = userdata;

	return sd_bus_message_append(reply, "s", device_guest(d));
}

static int prop_state(sd_bus *bus, const char *path, const char *interface, const char *property,
		      sd_bus_message *reply, void *userdata, sd_bus_error *error)
{
	Device *d = userdata;

	return sd_bus_message_append(reply, "s", device_state_string(d));
}

static int prop_owner(sd_bus *bus, const char *path, const char *interface, const char *property,
		      sd_bus_message *reply, void *userdata, sd_bus_error *error)
{
	Device *d = userdata;

	return sd_bus_message_append(reply, "s", device_owner(d));
}

static int prop_bool(sd_bus *bus, const char *path, const char *interface, const char *property,
		     sd_bus_message *reply, void *userdata, sd_bus_error *error)
{
	Device *d = userdata;
	int v;

	if (strcmp(property, "Defined") == 0)
		v = d->defined;
	else if (strcmp(property, "Autostart") == 0)
		v = d->def.autostart;
	else if (strcmp(property, "Foreign") == 0)
		v = device_foreign(d);
	else
		v = d->drift;
	return sd_bus_message_append(reply, "b", v);
}

static int prop_mask(sd_bus *bus, const char *path, const char *interface, const char *property,
		     sd_bus_message *reply, void *userdata, sd_bus_error *error)
{
	Device *d = userdata;
	const ap_matrix *mm;
	const char *p = property;
	ap_matrix none = { 0 };

	if (strncmp(p, "Active", 6) == 0) {
		mm = d->active ? &d->kern : &none;
		p += 6;
	} else if (strncmp(p, "Guest", 5) == 0) {
		mm = d->active ? &d->guestm : &none;
		p += 5;
	} else
		mm = device_matrix(d);
	if (strcmp(p, "Adapters") == 0)
		return append_mask(reply, &mm->apm);
	if (strcmp(p, "Domains") == 0)
		return append_mask(reply, &mm->aqm);
	return append_mask(reply, &mm->adm);
}

#define EMITS SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE

const sd_bus_vtable device_vtable[] = {
	SD_BUS_VTABLE_START(0),
	SD_BUS_PROPERTY("Uuid", "s", prop_uuid, 0, SD_BUS_VTABLE_PROPERTY_CONST),
	SD_BUS_PROPERTY("Guest", "s", prop_guest, 0, EMITS),
	SD_BUS_PROPERTY("State", "s", prop_state, 0, EMITS),
	SD_BUS_PROPERTY("Defined", "b", prop_bool, 0, EMITS),
	SD_BUS_PROPERTY("Autostart", "b", prop_bool, 0, EMITS),
	SD_BUS_PROPERTY("Drift", "b", prop_bool, 0, EMITS),
	SD_BUS_PROPERTY("Owner", "s", prop_owner, 0, EMITS),
	SD_BUS_PROPERTY("Foreign", "b", prop_bool, 0, EMITS),
	SD_BUS_PROPERTY("Adapters", "au", prop_mask, 0, EMITS),
	SD_BUS_PROPERTY("Domains", "au", prop_mask, 0, EMITS),
	SD_BUS_PROPERTY("ControlDomains", "au", prop_mask, 0, EMITS),
	SD_BUS_PROPERTY("ActiveAdapters", "au", prop_mask, 0, EMITS),
	SD_BUS_PROPERTY("ActiveDomains", "au", prop_mask, 0, EMITS),
	SD_BUS_PROPERTY("ActiveControlDomains", "au", prop_mask, 0, EMITS),
	SD_BUS_PROPERTY("GuestAdapters", "au", prop_mask, 0, EMITS),
	SD_BUS_PROPERTY("GuestDomains", "au", prop_mask, 0, EMITS),
	SD_BUS_PROPERTY("GuestControlDomains", "au", prop_mask, 0, EMITS),
	SD_BUS_VTABLE_END,
};

void manager_emit_device_changed(Manager *m, Device *d, bool all_properties)
{
	_cleanup_json_ struct json_object *j = NULL;
	int r;

	if (!m->bus || !m->ready)
		return;
	r = sd_bus_emit_properties_changed(
		m->bus, d->path, "org.apmatrix1.Device", "Guest", "State", "Defined", "Autostart",
		"Drift", "Owner", "Foreign", "Adapters", "Domains", "ControlDomains",
		"ActiveAdapters", "ActiveDomains", "ActiveControlDomains", "GuestAdapters",
		"GuestDomains", "GuestControlDomains", NULL);
	if (r < 0)
		log_debug_errno(r, "Failed to emit PropertiesChanged for %s", d->uuid);
	j = device_to_json(d);
	if (j)
		(void)sd_bus_emit_signal(
			m->bus, "/org/apmatrix1", "org.apmatrix1.Manager", "DeviceChanged", "ss",
			d->uuid,
			json_object_to_json_string_ext(j, JSON_C_TO_STRING_PLAIN |
								  JSON_C_TO_STRING_NOSLASHESCAPE));
}

void manager_emit_device_added(Manager *m, Device *d)
{
	if (!m->bus || !m->ready)
		return;
	(void)sd_bus_emit_interfaces_added(m->bus, d->path, "org.apmatrix1.Device", NULL);
}

void manager_emit_device_removed(Manager *m, const char *uuid, const char *path)
{
	_cleanup_free_ char *j = NULL;

	if (!m->bus || !m->ready)
		return;
	(void)sd_bus_emit_interfaces_removed(m->bus, path, "org.apmatrix1.Device", NULL);
	if (asprintf(&j, "{\"uuid\":\"%s\",\"state\":\"removed\"}", uuid) >= 0)
		(void)sd_bus_emit_signal(m->bus, "/org/apmatrix1", "org.apmatrix1.Manager",
					 "DeviceChanged", "ss", uuid, j);
}
