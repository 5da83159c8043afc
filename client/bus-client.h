/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * apctl's side of org.apmatrix1: connecting to the system bus (honouring
 * DBUS_SYSTEM_BUS_ADDRESS), building Manager calls, turning the daemon's
 * error names into errnos and errnos into apctl's exit codes.
 */
#ifndef APCTL_BUS_CLIENT_H
#define APCTL_BUS_CLIENT_H

#include <stdint.h>

#include <json-c/json.h>
#include <systemd/sd-bus.h>

#include "ap-mask.h"
#include "device-info.h"
#include "macro.h"

#define APMATRIX_SERVICE "org.apmatrix1"
#define APMATRIX_PATH "/org/apmatrix1"
#define APMATRIX_DEVICE_PREFIX "/org/apmatrix1/device"
#define MANAGER_INTERFACE "org.apmatrix1.Manager"

/* Manager method flags. */
#define APMATRIX_FLAG_DRY_RUN (UINT64_C(1) << 0)
#define APMATRIX_FLAG_FORCE (UINT64_C(1) << 1)

/* Exit codes (apctl(8) EXIT STATUS). */
enum {
	EXIT_OK = 0,
	EXIT_FAILED = 1,
	EXIT_USAGE = 2,
	EXIT_REFUSED = 3,
};

/* sd-bus.h provides sd_bus_flush_close_unrefp, sd_bus_message_unrefp, sd_bus_slot_unrefp. */
#define _cleanup_bus_error_ _cleanup_(sd_bus_error_free)

int bus_connect(sd_bus **ret);

/* 0/-errno -> 0..3: invalid input is a usage error, conflicts and denials are refusals. */
int exit_code_from_errno(int r);

/* The errno of a failed call: from the error name when it is set, else r. */
int bus_error_errno(const sd_bus_error *e, int r);

/*
 * Log "what: message" (the daemon's message, which names the APQN and owner)
 * as one line and return the negative errno the error name maps to.
 */
int log_bus_error(const sd_bus_error *e, int r, const char *what);

int device_path(const char *uuid, char **ret);

int manager_new_call(sd_bus *bus, const char *member, sd_bus_message **ret);
int bus_call(sd_bus *bus, sd_bus_message *m, sd_bus_message **ret_reply, sd_bus_error *error);

/* bus_call; a failure is logged as "what: the daemon's message" (one line). */
int call_logged(sd_bus *bus, sd_bus_message *m, sd_bus_message **ret_reply, const char *what);

/* A Manager method with arguments as sd_bus_message_append(types, ...), logged. */
int manager_call(sd_bus *bus, const char *member, sd_bus_message **ret_reply, const char *what,
		 const char *types, ...);

/* Append an au of the ids in a mask. */
int append_ids(sd_bus_message *m, const ap_mask *ids);

/* Properties of one device; -ENODEV (error set) when it does not exist. */
int get_device(sd_bus *bus, const char *uuid, device_info *ret, sd_bus_error *error);

/* All devices, sorted by uuid. */
int list_devices(sd_bus *bus, device_info **ret, size_t *ret_n, sd_bus_error *error);
void device_infos_free(device_info *d, size_t n);

/* GetState() parsed. */
int get_state(sd_bus *bus, struct json_object **ret, sd_bus_error *error);

#endif
