// SPDX-License-Identifier: GPL-2.0-or-later
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <systemd/sd-bus.h>

#include "device.h"

int device_new(Manager *m, const char *uuid, Device **ret)
{
	Device *d = calloc(1, sizeof(*d));
	int r;

	if (!d)
		return -ENOMEM;
	d->manager = m;
	d->guest_state = GUEST_STATE_UNKNOWN;
	snprintf(d->uuid, sizeof(d->uuid), "%s", uuid);
	snprintf(d->def.uuid, sizeof(d->def.uuid), "%s", uuid);
	r = sd_bus_path_encode(DEVICE_PATH_PREFIX, uuid, &d->path);
	if (r < 0) {
		free(d);
		return r;
	}
	*ret = d;
	return 0;
}

void device_free(Device *d)
{
	if (!d)
		return;
	free(d->path);
	free(d);
}

bool device_in_use(const Device *d)
{
	return d->active && (d->attached || d->guest_state == GUEST_STATE_RUNNING ||
			     d->guest_state == GUEST_STATE_PAUSED);
}

const char *device_state_string(const Device *d)
{
	if (device_in_use(d))
		return "in-use";
	return d->active ? "active" : "defined";
}

const ap_matrix *device_matrix(const Device *d)
{
	return d->defined ? &d->def.m : &d->kern;
}

const char *device_guest(const Device *d)
{
	return d->def.guest[0] ? d->def.guest : d->libvirt_guest;
}

bool device_foreign(const Device *d)
{
	return d->active && !d->defined;
}

const char *device_owner(const Device *d)
{
	if (!device_foreign(d))
		return "apmatrixd";
	/* libvirt's nodedev-define keeps its persistent mdevs as mdevctl definitions. */
	if (d->mdevctl_defined)
		return "mdevctl";
	/* No definition anywhere, but a libvirt domain uses it (nodedev-create: transient). */
	if (d->libvirt_guest[0])
		return "libvirt";
	return "unknown";
}

struct json_object *device_to_json(const Device *d)
{
	struct json_object *o = matrix_to_json(device_matrix(d));
	static const char *const gs[] = { "shutoff", "running", "paused" };

	if (!o)
		return NULL;
	json_object_object_add(o, "uuid", json_object_new_string(d->uuid));
	json_object_object_add(o, "path", json_object_new_string(d->path));
	json_object_object_add(o, "state", json_object_new_string(device_state_string(d)));
	json_object_object_add(o, "defined", json_object_new_boolean(d->defined));
	json_object_object_add(o, "autostart", json_object_new_boolean(d->def.autostart));
	json_object_object_add(o, "guest", json_object_new_string(device_guest(d)));
	json_object_object_add(
		o, "guest_state",
		json_object_new_string(d->guest_state >= 0 ? gs[d->guest_state] : "unknown"));
	json_object_object_add(o, "drift", json_object_new_boolean(d->drift));
	json_object_object_add(o, "owner", json_object_new_string(device_owner(d)));
	json_object_object_add(o, "foreign", json_object_new_boolean(device_foreign(d)));
	json_object_object_add(o, "active", d->active ? matrix_to_json(&d->kern) : NULL);
	json_object_object_add(o, "guest_matrix", d->active ? matrix_to_json(&d->guestm) : NULL);
	json_object_object_add(o, "guest_adapters", mask_to_json(&d->guestm.apm));
	json_object_object_add(o, "guest_domains", mask_to_json(&d->guestm.aqm));
	json_object_object_add(o, "guest_control_domains", mask_to_json(&d->guestm.adm));
	return o;
}
