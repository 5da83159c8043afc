// SPDX-License-Identifier: GPL-2.0-or-later
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <systemd/sd-daemon.h>

#include "batch-answer.h"
#include "batch-apply.h"
#include "batch-commit.h"
#include "batch-isolate.h"
#include "crash-point.h"
#include "journal.h"
#include "log.h"
#include "manager.h"
#include "request-errors.h"

struct json_object *batch_journal(const struct plan_input *in, struct want **map, uint64_t batch)
{
	_cleanup_free_ const struct definition **before =
		calloc(in->n_items ? in->n_items : 1, sizeof(*before));
	_cleanup_free_ const struct definition **after =
		calloc(in->n_items ? in->n_items : 1, sizeof(*after));

	if (!before || !after)
		return NULL;
	for (size_t i = 0; i < in->n_items; i++) {
		Device *d = map[i]->dev;

		before[i] = d && d->defined ? &d->def : NULL;
		after[i] = map[i]->defined ? &map[i]->def : NULL;
	}
	return journal_new(batch, in, before, after);
}

/* Whether the batch changes a definition on disk. */
static bool changes_definitions(const struct plan_input *in, struct want **map)
{
	for (size_t i = 0; i < in->n_items; i++) {
		const struct want *w = map[i];
		bool was = w->dev && w->dev->defined;

		if (w->defined != was || (was && !definition_equal(&w->def, &w->dev->def)))
			return true;
	}
	return false;
}

/* After a failed run: the host cache and the devices hold what the readback saw. */
static void adopt_readback(struct batch *b)
{
	const struct apply_outcome *o = &b->outcome;

	for (size_t i = 0; o->read_back && i < b->in.n_items; i++) {
		struct host_mdev md = { .m = o->readback[i], .guest = o->guest[i] };
		Device *d = b->map[i]->dev;

		if (d) {
			d->active = o->exists[i];
			d->kern = o->readback[i];
			md.attached = d->attached;
		}
		(void)host_put_mdev(b->m->host, b->in.items[i].uuid, o->exists[i] ? &md : NULL);
	}
}

/* The plan's writes: 0, BATCH_ANSWERED, or a negative errno with b->error set. */
static int write_kernel(struct batch *b)
{
	_cleanup_json_ struct json_object *intent = batch_journal(&b->in, b->map, b->seq);
	struct apply_outcome *o = &b->outcome;
	Manager *m = b->m;
	int k;

	if (!intent)
		return sd_bus_error_set_errno(&b->error, -ENOMEM);
	sd_notifyf(0, "STATUS=Applying batch %" PRIu64 " (%zu requests, %zu writes)", b->seq,
		   b->n_accepted, b->plan->n_writes);
	k = apply_run(NULL, 0, m->store, m->host, &b->in, b->plan, intent, o);
	m->stats.kernel_writes += o->writes_done;
	if (k < 0 && o->storage_failed) {
		k = batch_error_storage(m, k, &b->error);
		manager_storage_failed(m);
		return k;
	}
	if (k < 0) {
		int e = sd_bus_error_setf(
			&b->error, k == -EBUSY && !o->failed_attr ? ERR_BUSY : ERR_KERNEL, "%s%s",
			o->message ? o->message : strerror(-k),
			o->rolled_back ? "; the previous matrices were restored" : "");

		/* The kernel state is whatever the readback saw. */
		adopt_readback(b);
		/* The rollback did not finish: the journal it left says where to go. */
		if (!o->rolled_back) {
			(void)manager_settle_journal(m, true);
			return e;
		}
		if (o->failed_attr && batch_isolate_retry(b)) {
			sd_notify(0, "STATUS=Ready");
			return BATCH_ANSWERED;
		}
		return e;
	}
	m->stats.apcb_updates += b->plan->apcb_updates;
	return 0;
}

/*
 * No kernel write: the outcome is the plan's input as wanted, and a journal
 * only when definitions change. 0 or a negative errno with b->error set.
 */
static int journal_definitions(struct batch *b)
{
	struct apply_outcome *o = &b->outcome;
	const struct plan_input *in = &b->in;
	Manager *m = b->m;
	int k;

	o->readback = calloc(in->n_items ? in->n_items : 1, sizeof(*o->readback));
	o->exists = calloc(in->n_items ? in->n_items : 1, sizeof(*o->exists));
	if (!o->readback || !o->exists)
		return sd_bus_error_set_errno(&b->error, -ENOMEM);
	for (size_t i = 0; i < in->n_items; i++) {
		o->exists[i] = in->items[i].want_exists;
		o->readback[i] = in->items[i].want;
	}
	o->apmask = m->host->apmask;
	o->aqmask = m->host->aqmask;
	if (changes_definitions(in, b->map)) {
		_cleanup_json_ struct json_object *intent = batch_journal(in, b->map, b->seq);

		crash_point("before-journal");
		k = intent ? store_journal_write(m->store, intent) : -ENOMEM;
		if (k < 0) {
			k = batch_error_storage(m, k, &b->error);
			manager_storage_failed(m);
			return k;
		}
		crash_point("after-journal");
	}
	return 0;
}

int batch_apply(struct batch *b)
{
	Manager *m = b->m;
	int k;

	k = b->plan->n_writes > 0 ? write_kernel(b) : journal_definitions(b);
	if (k != 0)
		return k;
	b->t_apply = batch_now_usec();
	k = batch_persist(m, &b->in, b->map);
	if (k < 0) {
		k = batch_error_storage(m, k, &b->error);
		batch_unwind(m, &b->in, &b->outcome);
		return k;
	}
	m->stats.batches++;
	batch_commit(m, &b->in, b->map, &b->outcome);
	b->t_commit = batch_now_usec();
	batch_mark_updated(m, &b->in, b->t_commit);
	return 0;
}
