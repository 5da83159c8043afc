// SPDX-License-Identifier: GPL-2.0-or-later
#include <errno.h>
#include <string.h>

#include "batch-policy.h"
#include "macro.h"
#include "manager.h"

static uint64_t max_u64(uint64_t a, uint64_t b)
{
	return a > b ? a : b;
}

static uint64_t min_u64(uint64_t a, uint64_t b)
{
	return a < b ? a : b;
}

/* When the device may be updated again without breaking its pacing. */
static uint64_t device_ready(Manager *m, const char *uuid)
{
	Device *d = manager_find_device(m, uuid);

	if (!d || !d->updated_usec)
		return 0;
	return d->updated_usec + m->config.pacing_usec;
}

uint64_t batch_policy_request_ready(Manager *m, const struct request *r)
{
	uint64_t ready = 0;

	if (r->type == REQ_APPLY) {
		for (size_t i = 0; i < r->n_entries; i++)
			ready = max_u64(ready, device_ready(m, r->entries[i].uuid));
		return ready;
	}
	return r->uuid[0] ? device_ready(m, r->uuid) : 0;
}

uint64_t batch_policy_due(Manager *m, const struct request *r, uint64_t now)
{
	uint64_t ready = batch_policy_request_ready(m, r);

	if (!m->batch_timer) {
		m->gather_first_usec = now;
		m->gather_ready_usec = ready;
		if ((!m->last_batch_usec || now >= m->last_batch_usec + m->config.pacing_usec) &&
		    ready <= now)
			return now;
	}
	/*
	 * The batch takes only the requests whose guests may be updated by
	 * then (the others wait in their senders' queues, see collect()), so
	 * it waits for the earliest of them, not for the last.
	 */
	m->gather_ready_usec = min_u64(m->gather_ready_usec, ready);
	return max_u64(
		min_u64(now + m->config.gather_usec, m->gather_first_usec + m->config.pacing_usec),
		m->gather_ready_usec);
}

uint64_t batch_policy_batch_done(Manager *m, uint64_t now, uint64_t next_ready)
{
	m->last_batch_usec = now;
	/* Requests left for their guests' pacing start the next gathering. */
	m->gather_first_usec = now;
	m->gather_ready_usec = next_ready;
	return max_u64(next_ready, now);
}
