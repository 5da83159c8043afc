/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * apctl status and apctl host: the host as GetState describes it, as a
 * summary (status) or as the adapter/queue inventory (host), for people or as
 * JSON (the shapes documented in apctl(8)).
 */
#ifndef APCTL_SHOW_HOST_H
#define APCTL_SHOW_HOST_H

#include <stdbool.h>

#include <json-c/json.h>

/* The summary: host limits and features, device counts by state, guests, stats. */
int show_status(struct json_object *state, bool json);

/* The host's settings (unless quiet) and a table of its adapters and queues. */
int show_host(struct json_object *state, bool json, bool quiet);

#endif
