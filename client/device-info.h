/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A device as the org.apmatrix1.Device properties describe it, read from a
 * Properties.GetAll or ObjectManager.GetManagedObjects reply, and its apctl
 * JSON shape (documented in apctl(8)).
 */
#ifndef APCTL_DEVICE_INFO_H
#define APCTL_DEVICE_INFO_H

#include <stdbool.h>

#include <json-c/json.h>
#include <systemd/sd-bus.h>

#include "matrix-json.h"

#define DEVICE_INTERFACE "org.apmatrix1.Device"

typedef struct device_info {
	char *uuid;
	char *guest;
	char *state;
	bool autostart;
	bool defined; /* persisted, not only an mdev found on the host */
	bool drift; /* the kernel's matrix differs from the definition */
	char *owner; /* apmatrixd, or of a foreign mdev mdevctl, libvirt, unknown; NULL: old daemon */
	bool foreign; /* an mdev apmatrixd has no definition of (apctl adopt) */
	ap_matrix matrix; /* Adapters, Domains, ControlDomains: the definition */
	ap_matrix active_matrix; /* the mdev's matrix in the kernel */
	ap_matrix guest_matrix; /* what the guest really has after filtering */
} device_info;

void device_info_done(device_info *d);

/* Reads one a{sv} of Device properties; the message is positioned at the array. */
int device_info_read(sd_bus_message *m, device_info *ret);

/*
 * { "uuid", "state", "guest", "autostart", "defined", "drift", "owner", "foreign",
 *   "adapters", "domains",
 *   "control_domains", "active_adapters", ..., "guest_adapters", ... }
 */
struct json_object *device_info_to_json(const device_info *d);

#endif
