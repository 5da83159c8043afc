/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * apctl list and apctl show: the mediated devices as a table, one device as
 * "key: value" lines, or either as JSON (the shapes documented in apctl(8)).
 */
#ifndef APCTL_SHOW_DEVICE_H
#define APCTL_SHOW_DEVICE_H

#include <stdbool.h>
#include <stddef.h>

#include "device-info.h"

/* One row per device (quiet: without the header), or { "devices": [...] }. */
int show_device_list(const device_info *devices, size_t n, bool json, bool quiet);

/* All of one device: its state and its defined, active and guest matrices. */
int show_device(const device_info *d, bool json);

#endif
