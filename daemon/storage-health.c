// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * When the state directory stops taking writes (read-only, full, I/O
 * errors), mutations fail with Error.Storage and change nothing; reads keep
 * working. This file notices when the directory heals, without a restart and
 * without waiting for the next request: it probes with a durable write,
 * backing off from 100 ms to 10 s, settles a journal left pending, and tells
 * the service manager either way.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <systemd/sd-daemon.h>

#include "journal.h"
#include "log.h"
#include "manager.h"

#define HEALTH_RETRY_MIN_USEC (100 * 1000)
#define HEALTH_RETRY_MAX_USEC (10 * 1000 * 1000)

const char *manager_storage_health(Manager *m, char *buf, size_t size)
{
	if (!m->store || (!m->store->error && !m->journal_pending))
		return "ok";
	if (m->store->error)
		snprintf(buf, size, "degraded: %s: %s%s", m->store->error_path,
			 strerror(-m->store->error),
			 m->journal_pending ? " (journal pending)" : "");
	else
		snprintf(buf, size, "degraded: journal %s", m->recovery ? m->recovery : "pending");
	return buf;
}

/* Tell the service manager and the bus (PropertiesChanged of Health) when it changed. */
static void health_changed(Manager *m)
{
	char buf[PATH_MAX + 128];
	const char *h = manager_storage_health(m, buf, sizeof(buf));

	if (m->health_last && strcmp(m->health_last, h) == 0)
		return;
	free(m->health_last);
	m->health_last = strdup(h);
	if (strcmp(h, "ok") == 0)
		sd_notify(0, "STATUS=Ready");
	else
		sd_notifyf(0, "STATUS=Storage %s", h);
	if (m->bus)
		(void)sd_bus_emit_properties_changed(m->bus, "/org/apmatrix1",
						     "org.apmatrix1.Manager", "Health", NULL);
}

static int on_health_timer(sd_event_source *s, uint64_t usec, void *userdata)
{
	Manager *m = userdata;
	int r;

	r = store_probe(m->store);
	if (r >= 0 && m->journal_pending)
		r = manager_settle_journal(m, true);
	if (r >= 0) {
		log_notice("State directory %s takes writes again", m->config.state_dir);
		m->health_timer = sd_event_source_disable_unref(m->health_timer);
		m->health_retry_usec = 0;
		health_changed(m);
		return 0;
	}
	if (m->health_retry_usec < HEALTH_RETRY_MAX_USEC)
		m->health_retry_usec *= 2;
	if (m->health_retry_usec > HEALTH_RETRY_MAX_USEC)
		m->health_retry_usec = HEALTH_RETRY_MAX_USEC;
	r = sd_event_source_set_time_relative(s, m->health_retry_usec);
	if (r >= 0)
		r = sd_event_source_set_enabled(s, SD_EVENT_ONESHOT);
	if (r < 0)
		log_error_errno(r, "Failed to re-arm the storage health check");
	return 0;
}

void manager_storage_failed(Manager *m)
{
	int r;

	health_changed(m);
	if (m->health_timer)
		return;
	m->health_retry_usec = HEALTH_RETRY_MIN_USEC;
	r = sd_event_add_time_relative(m->event, &m->health_timer, CLOCK_MONOTONIC,
				       m->health_retry_usec, 1000, on_health_timer, m);
	if (r < 0)
		log_error_errno(r, "Failed to arm the storage health check");
}
