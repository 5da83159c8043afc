// SPDX-License-Identifier: GPL-2.0-or-later
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "device-info.h"

void device_info_done(device_info *d)
{
	free(d->uuid);
	free(d->guest);
	free(d->state);
	free(d->owner);
	*d = (device_info){};
}

static int read_ids(sd_bus_message *m, ap_mask *ret)
{
	const void *data;
	size_t size;
	int r;

	r = sd_bus_message_read_array(m, 'u', &data, &size);
	if (r < 0)
		return r;
	/* sd-bus hands out arrays aligned for their element type. */
	if (ap_mask_from_ids(data, size / sizeof(uint32_t), AP_ID_MAX, ret, NULL) < 0)
		return -EBADMSG;
	return 0;
}

static int read_string(sd_bus_message *m, char **ret)
{
	const char *s;
	char *copy;
	int r;

	r = sd_bus_message_read_basic(m, 's', &s);
	if (r < 0)
		return r;
	copy = strdup(s);
	if (!copy)
		return -ENOMEM;
	free(*ret);
	*ret = copy;
	return 0;
}

static int read_property(sd_bus_message *m, const char *name, device_info *d)
{
	static const struct {
		const char *name;
		size_t offset; /* of the mask within device_info */
	} masks[] = {
		{ "Adapters", offsetof(device_info, matrix.apm) },
		{ "Domains", offsetof(device_info, matrix.aqm) },
		{ "ControlDomains", offsetof(device_info, matrix.adm) },
		{ "ActiveAdapters", offsetof(device_info, active_matrix.apm) },
		{ "ActiveDomains", offsetof(device_info, active_matrix.aqm) },
		{ "ActiveControlDomains", offsetof(device_info, active_matrix.adm) },
		{ "GuestAdapters", offsetof(device_info, guest_matrix.apm) },
		{ "GuestDomains", offsetof(device_info, guest_matrix.aqm) },
		{ "GuestControlDomains", offsetof(device_info, guest_matrix.adm) },
	};
	int r;

	for (size_t i = 0; i < ELEMENTSOF(masks); i++) {
		if (strcmp(name, masks[i].name) != 0)
			continue;
		r = sd_bus_message_enter_container(m, 'v', "au");
		if (r < 0)
			return r;
		r = read_ids(m, (ap_mask *)((char *)d + masks[i].offset));
		if (r < 0)
			return r;
		return sd_bus_message_exit_container(m);
	}

	if (strcmp(name, "Uuid") == 0 || strcmp(name, "Guest") == 0 || strcmp(name, "State") == 0 ||
	    strcmp(name, "Owner") == 0) {
		char **field = name[0] == 'U' ? &d->uuid :
			       name[0] == 'G' ? &d->guest :
			       name[0] == 'O' ? &d->owner :
						&d->state;

		r = sd_bus_message_enter_container(m, 'v', "s");
		if (r < 0)
			return r;
		r = read_string(m, field);
		if (r < 0)
			return r;
		return sd_bus_message_exit_container(m);
	}
	if (strcmp(name, "Autostart") == 0 || strcmp(name, "Defined") == 0 ||
	    strcmp(name, "Drift") == 0 || strcmp(name, "Foreign") == 0) {
		bool *field = name[0] == 'A' ? &d->autostart :
			      name[0] == 'F' ? &d->foreign :
			      name[1] == 'e' ? &d->defined :
					       &d->drift;
		int b;

		r = sd_bus_message_enter_container(m, 'v', "b");
		if (r < 0)
			return r;
		r = sd_bus_message_read_basic(m, 'b', &b);
		if (r < 0)
			return r;
		*field = b;
		return sd_bus_message_exit_container(m);
	}
	/* A property a newer daemon added: not ours to interpret. */
	return sd_bus_message_skip(m, "v");
}

int device_info_read(sd_bus_message *m, device_info *ret)
{
	device_info d = {};
	int r;

	r = sd_bus_message_enter_container(m, 'a', "{sv}");
	if (r < 0)
		return r;
	for (;;) {
		const char *name;

		r = sd_bus_message_enter_container(m, 'e', "sv");
		if (r < 0)
			goto fail;
		if (r == 0)
			break;
		r = sd_bus_message_read_basic(m, 's', &name);
		if (r < 0)
			goto fail;
		r = read_property(m, name, &d);
		if (r < 0)
			goto fail;
		r = sd_bus_message_exit_container(m);
		if (r < 0)
			goto fail;
	}
	r = sd_bus_message_exit_container(m);
	if (r < 0)
		goto fail;
	if (!d.uuid) {
		r = -EBADMSG;
		goto fail;
	}
	*ret = d;
	return 0;
fail:
	device_info_done(&d);
	return r;
}

struct json_object *device_info_to_json(const device_info *d)
{
	_cleanup_json_ struct json_object *o = json_object_new_object();

	if (!o)
		return NULL;
	if (json_object_object_add(o, "uuid", json_object_new_string(d->uuid)) < 0 ||
	    json_object_object_add(o, "state", json_object_new_string(d->state ?: "")) < 0 ||
	    json_object_object_add(o, "guest", json_object_new_string(d->guest ?: "")) < 0 ||
	    json_object_object_add(o, "autostart", json_object_new_boolean(d->autostart)) < 0 ||
	    json_object_object_add(o, "defined", json_object_new_boolean(d->defined)) < 0 ||
	    json_object_object_add(o, "drift", json_object_new_boolean(d->drift)) < 0 ||
	    json_object_object_add(o, "owner", json_object_new_string(d->owner ?: "apmatrixd")) <
		    0 ||
	    json_object_object_add(o, "foreign", json_object_new_boolean(d->foreign)) < 0 ||
	    json_object_object_add(o, "adapters", mask_to_json(&d->matrix.apm)) < 0 ||
	    json_object_object_add(o, "domains", mask_to_json(&d->matrix.aqm)) < 0 ||
	    json_object_object_add(o, "control_domains", mask_to_json(&d->matrix.adm)) < 0 ||
	    json_object_object_add(o, "active_adapters", mask_to_json(&d->active_matrix.apm)) < 0 ||
	    json_object_object_add(o, "active_domains", mask_to_json(&d->active_matrix.aqm)) < 0 ||
	    json_object_object_add(o, "active_control_domains",
				   mask_to_json(&d->active_matrix.adm)) < 0 ||
	    json_object_object_add(o, "guest_adapters", mask_to_json(&d->guest_matrix.apm)) < 0 ||
	    json_object_object_add(o, "guest_domains", mask_to_json(&d->guest_matrix.aqm)) < 0 ||
	    json_object_object_add(o, "guest_control_domains", mask_to_json(&d->guest_matrix.adm)) <
		    0)
		return NULL;
	return TAKE_PTR(o);
}
