// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * A request's lifetime, and its way into the next batch: the sender's queue
 * and the batch timer (batch-policy.h says when); the batch itself is
 * manager_run_batch() (batch.c).
 */
#include <errno.h>
#include <stdlib.h>

#include "apm-limits.h"
#include "batch-answer.h"
#include "batch.h"
#include "log.h"
#include "manager.h"
#include "migration.h"
#include "request-errors.h"
#include "request.h"

static const char *const type_names[] = {
	[REQ_DEFINE] = "define",   [REQ_UNDEFINE] = "undefine",
	[REQ_START] = "start",	   [REQ_STOP] = "stop",
	[REQ_ASSIGN] = "assign",   [REQ_UNASSIGN] = "unassign",
	[REQ_APPLY] = "apply",	   [REQ_RESERVE] = "reserve",
	[REQ_RELEASE] = "release", [REQ_PREPARE_MIGRATION] = "prepare-migration",
	[REQ_ADOPT] = "adopt",
};

const char *request_type_to_string(enum request_type t)
{
	return t < ELEMENTSOF(type_names) ? type_names[t] : "?";
}

struct request *request_new(enum request_type type, sd_bus_message *msg, uint64_t flags)
{
	struct request *r = calloc(1, sizeof(*r));

	if (!r)
		return NULL;
	r->type = type;
	r->msg = msg ? sd_bus_message_ref(msg) : NULL;
	r->flags = flags;
	return r;
}

void request_free(struct request *r)
{
	if (!r)
		return;
	sd_bus_message_unref(r->msg);
	free(r->entries);
	migration_spec_free(r->mig);
	free(r->touched);
	free(r);
}

static int on_batch_timer(sd_event_source *s, uint64_t usec, void *userdata)
{
	manager_run_batch(userdata);
	return 0;
}

static int on_batch_defer(sd_event_source *s, void *userdata)
{
	manager_run_batch(userdata);
	return 0;
}

int manager_arm_batch_at(Manager *m, uint64_t due)
{
	int k;

	if (m->batch_timer)
		k = sd_event_source_set_time(m->batch_timer, due);
	else
		/* Accuracy 1 us: sd-event's default (0) would coalesce to 250 ms. */
		k = sd_event_add_time(m->event, &m->batch_timer, CLOCK_MONOTONIC, due, 1,
				      on_batch_timer, m);
	if (k < 0)
		return log_error_errno(k, "Failed to arm the batch timer");
	return 0;
}

int manager_enqueue(Manager *m, struct request *r)
{
	int k;

	k = sender_queue_push(&m->queue, r);
	if (k == -EXFULL) {
		m->stats.throttled++;
		(void)sd_bus_reply_method_errorf(
			r->msg, ERR_TOO_MANY_REQUESTS,
			"%s: this client already has %d requests waiting for the next batch, "
			"the limit QueuedRequestsPerClient=%d; wait for their replies",
			request_type_to_string(r->type), APM_LIMIT_QUEUED_REQUESTS_PER_CLIENT,
			APM_LIMIT_QUEUED_REQUESTS_PER_CLIENT);
		request_free(r);
		return 0;
	}
	if (k < 0) {
		_cleanup_(sd_bus_error_free) sd_bus_error err = SD_BUS_ERROR_NULL;

		sd_bus_error_set_errno(&err, k);
		request_reply_error(r, &err);
		request_free(r);
		return log_oom();
	}
	if (m->in_batch)
		return 0;
	if (m->config.batch_policy == BATCH_POLICY_ADAPTIVE)
		return manager_arm_batch_at(m, batch_policy_due(m, r, batch_now_usec()));
	if (m->batch_timer)
		return 0;
	if (m->config.batch_window_usec == 0)
		k = sd_event_add_defer(m->event, &m->batch_timer, on_batch_defer, m);
	else
		k = sd_event_add_time_relative(m->event, &m->batch_timer, CLOCK_MONOTONIC,
					       m->config.batch_window_usec, 1, on_batch_timer, m);
	if (k < 0)
		return log_error_errno(k, "Failed to arm the batch timer");
	return 0;
}
