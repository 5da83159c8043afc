/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The D-Bus face of the manager and its devices: the org.apmatrix1.Manager
 * object (manager-dbus.c) and the org.apmatrix1.Device objects under
 * DEVICE_PATH_PREFIX (device-dbus.c). Everything else reaches the bus only
 * through the signal emitters here; with no bus (m->bus NULL: unit tests)
 * they do nothing.
 */
#ifndef APMATRIXD_MANAGER_DBUS_H
#define APMATRIXD_MANAGER_DBUS_H

#include <stdbool.h>
#include <systemd/sd-bus.h>

#include "device.h"

typedef struct Manager Manager;

/* Connect to the system bus, add the objects, attach to the loop, own org.apmatrix1. */
int manager_bus_register(Manager *m);

/*
 * Read a method's uuid argument and find its device: 0, or InvalidArgs
 * naming the bad UUID, or NoSuchDevice.
 */
int manager_bus_read_device(sd_bus_message *msg, Manager *m, Device **ret, sd_bus_error *error);

/* manager-dbus.c: signals of the Manager object. */
void manager_emit_host_changed(Manager *m, const char *json);
void manager_emit_batch_applied(Manager *m, const char *json);
/* A queue's state changed: names the devices whose matrix has it and their guests. */
void manager_emit_queue_state_changed(Manager *m, apqn qn, const char *state);

/* device-dbus.c: the Device objects and their signals. */
extern const sd_bus_vtable device_vtable[];
int device_object_find(sd_bus *bus, const char *path, const char *interface, void *userdata,
		       void **found, sd_bus_error *error);
int device_node_enumerator(sd_bus *bus, const char *path, void *userdata, char ***nodes,
			   sd_bus_error *error);
void manager_emit_device_changed(Manager *m, Device *d, bool all_properties);
void manager_emit_device_added(Manager *m, Device *d);
void manager_emit_device_removed(Manager *m, const char *uuid, const char *path);

#endif
