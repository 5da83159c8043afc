// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * manager_run_batch(): the pipeline of batch.h, collect -> validate -> plan
 * -> apply -> answer. Each stage is its own file; this one says in which
 * order they run and what a failure of each means for the requests.
 */
#include <errno.h>
#include <malloc.h>
#include <stdlib.h>
#include <time.h>

#include "batch-answer.h"
#include "batch-apply.h"
#include "batch-lock.h"
#include "batch-plan.h"
#include "batch-policy.h"
#include "batch-validate.h"
#include "batch.h"
#include "inhibit.h"
#include "log.h"
#include "manager.h"

/* Messages taken off the bus socket at most before a batch runs. */
#define BATCH_DRAIN_MAX 10000

uint64_t batch_now_usec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

static uint64_t request_ready(void *userdata, const struct request *r)
{
	return batch_policy_request_ready(userdata, r);
}

/*
 * The requests of the batch: queued ones, and those already on the bus
 * socket; under the adaptive policy only those whose guests' pacing allows
 * an update now (*ret_next: when the first one left may go). At shutdown
 * (all) everything goes.
 */
static struct request *collect(Manager *m, bool all, uint64_t *ret_next)
{
	struct request *list;

	m->batch_timer = sd_event_source_disable_unref(m->batch_timer);
	m->in_batch = true;
	/*
	 * Requests already on the bus socket arrived within the window too: take
	 * them into this batch instead of leaving them for the next one.
	 */
	for (unsigned int i = 0; m->bus && i < BATCH_DRAIN_MAX; i++)
		if (sd_bus_process(m->bus, NULL) <= 0)
			break;
	/* Round-robin across senders: a flood from one client goes after the others. */
	*ret_next = UINT64_MAX;
	if (all || m->config.batch_policy != BATCH_POLICY_ADAPTIVE)
		list = sender_queue_take_all(&m->queue);
	else
		list = sender_queue_take_ready(&m->queue, request_ready, m, batch_now_usec(),
					       ret_next);
	m->in_batch = false;
	return list;
}

/*
 * Each request in order against the working copy: a rejected one is answered
 * with its error at once, a dry run with its plan; the others are accepted
 * (b->accepted), each with the wants it changed.
 */
static void validate(struct batch *b, struct request *list)
{
	struct request **tail = &b->accepted;

	while (list) {
		_cleanup_(sd_bus_error_free) sd_bus_error err = SD_BUS_ERROR_NULL;
		struct working *ws = &b->ws;
		struct request *r = list;
		int k;

		list = r->next;
		r->next = NULL;
		/* An inhibitor of a device it changes refuses it, or holds it (and takes r). */
		k = inhibit_check(b->m, r, &err);
		if (k == INHIBIT_HELD)
			continue;
		b->m->stats.requests++;
		if (k >= 0 && (r->flags & REQUEST_FLAG_DRY_RUN)) {
			batch_dry_run(ws, r);
			request_free(r);
			continue;
		}
		if (k >= 0)
			k = batch_validate(ws, r, &err);
		if (k < 0) {
			if (!sd_bus_error_is_set(&err))
				sd_bus_error_set_errno(&err, k);
			b->m->stats.rejected++;
			request_reply_error(r, &err);
			request_free(r);
			continue;
		}
		/*
		 * Which devices it changed: a failed write then fails only their
		 * requests (without it, one failed write fails them all).
		 */
		(void)working_changed(ws, &r->touched, &r->n_touched);
		*tail = r;
		tail = &r->next;
		b->n_accepted++;
	}
}

/* Every request of b is answered by now. */
static void batch_done(struct batch *b)
{
	apply_outcome_done(&b->outcome);
	plan_free(b->plan);
	free(b->items);
	free(b->map);
	working_done(&b->ws);
	sd_bus_error_free(&b->error);
}

static void run_batch(Manager *m, bool all)
{
	struct batch b = { .m = m, .t_start = batch_now_usec() };
	struct request *list;
	bool lock_wait = false;
	uint64_t next;
	int k;

	list = collect(m, all, &next);
	if (!list) {
		if (next != UINT64_MAX)
			(void)manager_arm_batch_at(m, next);
		return;
	}
	k = working_init(&b.ws, m);
	if (k < 0) {
		log_oom();
		sd_bus_error_set_errno(&b.error, k);
		request_list_reply_error(list, &b.error);
		sd_bus_error_free(&b.error);
		return;
	}
	b.seq = ++m->batch_seq;

	/* Rejected requests and dry runs are answered here already. */
	validate(&b, list);
	if (b.accepted) {
		k = batch_plan(&b);
		b.t_plan = batch_now_usec();
		/* Kernel writes need the AP lock; waiting for it requeues the requests. */
		if (k >= 0 && b.plan->n_writes > 0) {
			k = batch_lock(&b);
			lock_wait = k == BATCH_LOCK_WAIT;
		}
		if (k == 0)
			k = batch_apply(&b);
		batch_unlock(m);
		/* An isolated retry (BATCH_ANSWERED) answered each request itself. */
		if (k == 0)
			batch_answer_ok(&b);
		else if (k < 0)
			batch_answer_error(&b);
	}

	/* Nothing of this batch waits for the AP lock (any more). */
	if (!lock_wait)
		m->lock_waiting = 0;
	next = batch_policy_batch_done(m, batch_now_usec(), next);
	/* Requests waiting for the AP lock (only those) come back through batch-lock.c. */
	if (m->queue.n > 0 && m->config.batch_policy == BATCH_POLICY_ADAPTIVE && next != UINT64_MAX)
		(void)manager_arm_batch_at(m, next);
	batch_done(&b);
	/* A big batch leaves a big heap behind; give it back to the system. */
	if (b.n_accepted > 16)
		malloc_trim(0);
}

void manager_run_batch(Manager *m)
{
	run_batch(m, false);
}

void manager_run_all_batches(Manager *m)
{
	run_batch(m, true);
}
