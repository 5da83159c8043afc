/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * apctl monitor and events: follow org.apmatrix1's signals (DeviceChanged,
 * BatchApplied, HostChanged, QueueStateChanged, InhibitorsChanged,
 * PropertiesChanged, devices added and removed) and print one line or one
 * JSON object per event until SIGINT or SIGTERM; events also ends, with a
 * DaemonGone event, when apmatrixd leaves the bus (or is not on it).
 */
#ifndef APCTL_MONITOR_H
#define APCTL_MONITOR_H

#include <stdbool.h>

#include <systemd/sd-bus.h>

/*
 * Returns 0 when interrupted, -errno when the bus goes away or output fails;
 * with until_gone -ESRCH when apmatrixd is not or no longer on the bus.
 */
int monitor_run(sd_bus *bus, bool json, bool quiet, bool until_gone);

#endif
