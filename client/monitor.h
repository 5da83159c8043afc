/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * apctl monitor: follow org.apmatrix1's signals (DeviceChanged, BatchApplied,
 * HostChanged, PropertiesChanged, devices added and removed) and print one
 * line or one JSON object per event until SIGINT or SIGTERM.
 */
#ifndef APCTL_MONITOR_H
#define APCTL_MONITOR_H

#include <stdbool.h>

#include <systemd/sd-bus.h>

/* Returns 0 when interrupted, -errno when the bus goes away or output fails. */
int monitor_run(sd_bus *bus, bool json, bool quiet);

#endif
