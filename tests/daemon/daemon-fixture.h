/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The bus-free daemon tests' manager: no state directory, a host whose
 * adapters and domains go up to 15 and whose matrix device is present;
 * each test sets the host's masks and devices it needs.
 */
#ifndef DAEMON_FIXTURE_H
#define DAEMON_FIXTURE_H

#include <stdlib.h>

#include "manager.h"

static inline Manager *daemon_fixture_manager(void)
{
	struct manager_config cfg = { .state_dir = (char *)"/nonexistent" };
	Manager *m = NULL;

	if (manager_new(&cfg, &m) < 0)
		abort();
	m->host = calloc(1, sizeof(*m->host));
	if (!m->host)
		abort();
	m->host->max_apid = 15;
	m->host->max_apqi = 15;
	m->host->matrix_present = true;
	m->host->matrix_fd = -1;
	return m;
}

#endif
