// SPDX-License-Identifier: GPL-2.0-or-later
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>

#include "apply.h"
#include "batch-answer.h"
#include "batch-lock.h"
#include "log.h"
#include "manager.h"
#include "request-errors.h"

static int on_lock_retry(sd_event_source *s, uint64_t usec, void *userdata)
{
	Manager *m = userdata;

	m->lock_timer = sd_event_source_disable_unref(m->lock_timer);
	if (m->queue.n == 0) {
		m->lock_watch = sd_event_source_disable_unref(m->lock_watch);
		m->lock_waiting = 0;
	}
	manager_run_batch(m);
	return 0;
}

/* The lock's directory: its holder removing the file wakes the waiting batch at once. */
static int on_lock_dir(sd_event_source *s, const struct inotify_event *ev, void *userdata)
{
	Manager *m = userdata;
	const char *base = strrchr(m->config.lock_path, '/');

	base = base ? base + 1 : m->config.lock_path;
	if (!(ev->mask & IN_Q_OVERFLOW) && (ev->len == 0 || strcmp(ev->name, base) != 0))
		return 0;
	m->lock_timer = sd_event_source_disable_unref(m->lock_timer);
	/* Nobody waits any more (their batch needed no writes after all): stop looking. */
	if (m->queue.n == 0) {
		m->lock_watch = sd_event_source_disable_unref(m->lock_watch);
		m->lock_waiting = 0;
	}
	manager_run_batch(m);
	return 0;
}

static void watch_lock_dir(Manager *m)
{
	const char *slash = strrchr(m->config.lock_path, '/');
	char dir[PATH_MAX];
	int r;

	if (m->lock_watch)
		return;
	if (slash == m->config.lock_path)
		snprintf(dir, sizeof(dir), "/");
	else if (slash)
		snprintf(dir, sizeof(dir), "%.*s", (int)(slash - m->config.lock_path),
			 m->config.lock_path);
	else
		snprintf(dir, sizeof(dir), ".");
	r = sd_event_add_inotify(m->event, &m->lock_watch, dir,
				 IN_DELETE | IN_MOVED_FROM | IN_ONLYDIR, on_lock_dir, m);
	/* The timer alone still gets there. */
	if (r < 0)
		log_debug_errno(r, "Failed to watch %s for the AP lock's release", dir);
}

static void arm_retry(Manager *m, uint64_t now, uint64_t waited, uint64_t first_deadline)
{
	/* Back off with the wait: quick for a short hold, cheap for a long one. */
	uint64_t step = waited / 8, when;
	int r;

	if (step < BATCH_LOCK_RETRY_MIN_USEC)
		step = BATCH_LOCK_RETRY_MIN_USEC;
	if (step > BATCH_LOCK_RETRY_MAX_USEC)
		step = BATCH_LOCK_RETRY_MAX_USEC;
	when = now + step;
	if (first_deadline < when)
		when = first_deadline;
	if (m->lock_timer) {
		r = sd_event_source_set_time(m->lock_timer, when);
		if (r >= 0)
			r = sd_event_source_set_enabled(m->lock_timer, SD_EVENT_ONESHOT);
	} else
		r = sd_event_add_time(m->event, &m->lock_timer, CLOCK_MONOTONIC, when, 1,
				      on_lock_retry, m);
	if (r < 0)
		log_error_errno(r, "Failed to arm the AP lock retry timer");
}

int batch_lock(struct batch *b)
{
	Manager *m = b->m;
	const uint64_t budget = m->config.lock_timeout_usec;
	uint64_t now, first_deadline = UINT64_MAX, waited_max = 0;
	struct request **back = NULL;
	char holder[sizeof(m->lock_holder)];
	size_t n_back = 0;
	pid_t pid = 0;
	int k;

	k = ap_lock_try(m->config.lock_path, &pid);
	if (k == 0) {
		m->lock_held = true;
		m->lock_waiting = 0;
		m->lock_timer = sd_event_source_disable_unref(m->lock_timer);
		m->lock_watch = sd_event_source_disable_unref(m->lock_watch);
		return 0;
	}
	if (k != -EBUSY)
		return sd_bus_error_setf(&b->error, ERR_BUSY,
					 "cannot take the AP configuration lock %s: %s (errno %d); "
					 "nothing was changed",
					 m->config.lock_path, strerror(-k), -k);

	ap_lock_holder_describe(pid, holder, sizeof(holder));
	snprintf(m->lock_holder, sizeof(m->lock_holder), "%s", holder);
	now = batch_now_usec();
	back = calloc(b->n_accepted ? b->n_accepted : 1, sizeof(*back));
	while (b->accepted) {
		struct request *r = b->accepted;
		uint64_t waited;

		b->accepted = r->next;
		r->next = NULL;
		if (!r->lock_wait_since)
			r->lock_wait_since = now;
		waited = now - r->lock_wait_since;
		/* Out of time, shutting down, or out of memory: answered now. */
		if (waited >= budget || m->stopping || !back) {
			_cleanup_(sd_bus_error_free) sd_bus_error err = SD_BUS_ERROR_NULL;

			sd_bus_error_setf(
				&err, ERR_BUSY,
				"the AP configuration lock %s is held by %s; waited %" PRIu64
				" ms (ApConfigLockTimeoutSec=%" PRIu64 ".%03" PRIu64
				"); nothing was changed",
				m->config.lock_path, holder, waited / 1000, budget / 1000000,
				budget / 1000 % 1000);
			log_warning("%s request: %s", request_type_to_string(r->type), err.message);
			m->stats.rejected++;
			request_reply_error(r, &err);
			request_free(r);
			continue;
		}
		free(r->touched);
		r->touched = NULL;
		r->n_touched = 0;
		back[n_back++] = r;
		if (r->lock_wait_since + budget < first_deadline)
			first_deadline = r->lock_wait_since + budget;
		if (waited > waited_max)
			waited_max = waited;
	}
	b->n_accepted = 0;
	/* Back in front, in their order: they are validated again when the lock is free. */
	for (size_t i = n_back; i > 0; i--) {
		struct request *r = back[i - 1];

		m->stats.requests--;
		k = sender_queue_push_front(&m->queue, r);
		if (k < 0) {
			_cleanup_(sd_bus_error_free) sd_bus_error err = SD_BUS_ERROR_NULL;

			log_oom();
			sd_bus_error_set_errno(&err, k);
			request_reply_error(r, &err);
			request_free(r);
		}
	}
	free(back);
	m->lock_waiting = n_back;
	if (n_back > 0) {
		if (waited_max == 0)
			log_info("The AP configuration lock %s is held by %s: %zu requests wait "
				 "(at most %" PRIu64 " s)",
				 m->config.lock_path, holder, n_back, budget / 1000000);
		arm_retry(m, now, waited_max, first_deadline);
		watch_lock_dir(m);
	} else {
		m->lock_timer = sd_event_source_disable_unref(m->lock_timer);
		m->lock_watch = sd_event_source_disable_unref(m->lock_watch);
	}
	return BATCH_LOCK_WAIT;
}

void batch_unlock(Manager *m)
{
	if (!m->lock_held)
		return;
	ap_lock_release(m->config.lock_path);
	m->lock_held = false;
}
