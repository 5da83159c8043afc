/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * One device: its definition (when defined), the kernel's view of its mdev
 * (when active) and its guest. Object path /org/apmatrix1/device/<uuid>.
 */
#ifndef APMATRIXD_DEVICE_H
#define APMATRIXD_DEVICE_H

#include <json-c/json.h>
#include <stdbool.h>

#include "matrix-json.h"
#include "plan.h"
#include "store.h"

typedef struct Manager Manager;

enum guest_state {
	GUEST_STATE_UNKNOWN = -1, /* no libvirt, or libvirt does not know the guest */
	GUEST_STATE_SHUTOFF,
	GUEST_STATE_RUNNING,
	GUEST_STATE_PAUSED,
};

typedef struct Device {
	Manager *manager;
	char uuid[UUID_STR_LEN + 1];
	char *path;

	bool defined;
	struct definition def;

	bool active; /* the mdev exists */
	ap_matrix kern; /* its matrix in the kernel */
	ap_matrix guestm; /* its guest matrix */
	bool attached; /* a guest holds it, from the queues' status */

	enum guest_state guest_state;
	char libvirt_guest[256]; /* the libvirt domain holding it, when libvirt says so */
	bool drift; /* defined and active, and the kernel differs from the definition */
	/* Active and not defined: whose it is (device_owner()); mdevctl has a definition of it. */
	bool mdevctl_defined;
	uint64_t updated_usec; /* CLOCK_MONOTONIC of its last batch-applied change (pacing) */
} Device;

#define DEVICE_PATH_PREFIX "/org/apmatrix1/device"

int device_new(Manager *m, const char *uuid, Device **ret);
void device_free(Device *d);

const char *device_state_string(const Device *d);
bool device_in_use(const Device *d);
/* The matrix the Adapters/Domains/ControlDomains properties show. */
const ap_matrix *device_matrix(const Device *d);
const char *device_guest(const Device *d);
/*
 * A foreign device: an mdev on the host that apmatrixd has no definition of.
 * It is never changed by a request until it is adopted (Adopt).
 */
bool device_foreign(const Device *d);
/* "apmatrixd", or for a foreign device "mdevctl", "libvirt" or "unknown". */
const char *device_owner(const Device *d);
struct json_object *device_to_json(const Device *d);

#endif
