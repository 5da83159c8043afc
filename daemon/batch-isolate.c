// SPDX-License-Identifier: GPL-2.0-or-later
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include "batch-answer.h"
#include "batch-apply.h"
#include "batch-commit.h"
#include "batch-isolate.h"
#include "batch-plan.h"
#include "log.h"
#include "manager-dbus.h"
#include "manager.h"
#include "request-errors.h"

/* Union-find root of item i (the parent chain is at most n_items long). */
static size_t group_root(size_t *parent, size_t i)
{
	while (parent[i] != i)
		i = parent[i] = parent[parent[i]];
	return i;
}

static void group_join(size_t *parent, size_t a, size_t b)
{
	a = group_root(parent, a);
	b = group_root(parent, b);
	if (a != b)
		parent[a < b ? b : a] = a < b ? a : b;
}

/* The item index of want index idx, or -1. */
static ssize_t item_of_want(const struct working *ws, struct want *const *map, size_t n, size_t idx)
{
	for (size_t i = 0; i < n; i++)
		if ((size_t)(map[i] - ws->w) == idx)
			return (ssize_t)i;
	return -1;
}

void batch_isolate_groups(const struct working *ws, const struct plan_input *in,
			  struct want *const *map, const struct request *accepted,
			  size_t *ret_group)
{
	size_t n = in->n_items, *parent = ret_group;

	for (size_t i = 0; i < n; i++)
		parent[i] = i;
	for (size_t i = 0; i < n; i++)
		for (size_t j = i + 1; j < n; j++)
			if (matrix_apqns_intersect(&in->items[i].cur, &in->items[j].want) ||
			    matrix_apqns_intersect(&in->items[i].want, &in->items[j].cur))
				group_join(parent, i, j);
	for (const struct request *r = accepted; r; r = r->next) {
		ssize_t a = -1;

		for (size_t t = 0; t < r->n_touched; t++) {
			ssize_t b = item_of_want(ws, map, n, r->touched[t]);

			if (b < 0)
				continue;
			if (a >= 0)
				group_join(parent, (size_t)a, (size_t)b);
			a = b;
		}
	}
	/* The root of a group is its lowest index: flattening in order leaves roots alone. */
	for (size_t i = 0; i < n; i++)
		ret_group[i] = group_root(parent, i);
}

/* Per item, what the retry of its group did. */
struct isolated {
	size_t group;
	bool failed;
	int error;
	char *message; /* of the group's failure, shared by its items (owned by the root) */
	bool storage; /* it failed because the state directory did */
	struct json_object *result; /* of the group's success (owned by the root) */
};

/* Whether b's failed first run can be retried group by group. */
static bool can_isolate(const struct batch *b)
{
	const struct apply_outcome *first = &b->outcome;
	const struct plan_input *in = &b->in;

	if (in->n_items < 2 || !first->rolled_back || !first->read_back ||
	    !ap_mask_equal(&in->apmask, &in->apmask_want) ||
	    !ap_mask_equal(&in->aqmask, &in->aqmask_want))
		return false;
	for (size_t i = 0; i < in->n_items; i++)
		if (first->exists[i] != in->items[i].cur_exists ||
		    (first->exists[i] && !ap_matrix_equal(&first->readback[i], &in->items[i].cur)))
			return false;
	for (const struct request *r = b->accepted; r; r = r->next)
		if (!r->touched)
			return false;
	return true;
}

/* Scratch of one group's run: its items, their wants and their indices in the batch. */
struct group_scratch {
	struct plan_item *items;
	struct want **map;
	size_t *idx;
};

/*
 * Apply group g (items with iso[].group == g) as its own run and commit
 * point; iso[] and all (the batch's outcome per item) say what it did.
 */
static void retry_group(struct batch *b, size_t g, struct isolated *iso, struct group_scratch *s,
			struct apply_outcome *all)
{
	_cleanup_(plan_freep) struct plan *gp = NULL;
	_cleanup_json_ struct json_object *intent = NULL;
	const struct plan_input *in = &b->in;
	struct apply_outcome go = { 0 };
	struct plan_input gin = *in;
	Manager *m = b->m;
	size_t ns = 0;
	int k;

	for (size_t i = 0; i < in->n_items; i++)
		if (iso[i].group == g) {
			s->items[ns] = in->items[i];
			s->map[ns] = b->map[i];
			s->idx[ns++] = i;
		}
	gin.items = s->items;
	gin.n_items = ns;
	if (gin.iface == WRITE_AP_CONFIG_BATCH && m->host->has_ap_config)
		gin.iface = WRITE_AP_CONFIG;
	k = plan_compute(&gin, &gp);
	if (k >= 0) {
		intent = batch_journal(&gin, s->map, m->batch_seq);
		k = intent ? apply_run(NULL, 0, m->store, m->host, &gin, gp, intent, &go) : -ENOMEM;
		m->stats.kernel_writes += go.writes_done;
	}
	/* Each group is its own commit: the next group's journal replaces this one. */
	if (k >= 0) {
		k = batch_persist(m, &gin, s->map);
		if (k < 0) {
			batch_unwind(m, &gin, &go);
			iso[g].storage = true;
		}
	} else if (go.storage_failed)
		iso[g].storage = true;
	for (size_t j = 0; j < ns; j++) {
		size_t i = s->idx[j];

		iso[i].failed = k < 0;
		iso[i].error = k;
		all->exists[i] = go.read_back ? go.exists[j] : in->items[i].cur_exists;
		all->readback[i] = go.read_back ? go.readback[j] : in->items[i].cur;
		all->guest[i] = go.read_back ? go.guest[j] : (ap_matrix){ 0 };
	}
	if (k < 0 && iso[g].storage) {
		_cleanup_(sd_bus_error_free) sd_bus_error se = SD_BUS_ERROR_NULL;

		batch_error_storage(m, k, &se);
		iso[g].message = strdup(se.message);
	} else if (k < 0) {
		if (asprintf(&iso[g].message, "%s%s", go.message ? go.message : strerror(-k),
			     go.rolled_back ? "; the previous matrices were restored" : "") < 0)
			iso[g].message = NULL;
		log_error("Batch %" PRIu64 ", retried alone: %s", m->batch_seq,
			  iso[g].message ? iso[g].message : strerror(-k));
	} else {
		m->stats.apcb_updates += gp->apcb_updates;
		iso[g].result = batch_plan_to_json(&gin, gp, m->batch_seq, b->n_accepted, false,
						   &go, s->map);
	}
	apply_outcome_done(&go);
}

/* Each accepted request: .Kernel/.Storage when a device it changed failed, else its result. */
static void answer_isolated(struct batch *b, const struct isolated *iso)
{
	size_t n = b->in.n_items;

	while (b->accepted) {
		struct request *r = b->accepted;
		ssize_t bad = -1, any = -1;

		b->accepted = r->next;
		for (size_t t = 0; t < r->n_touched; t++) {
			ssize_t i = item_of_want(&b->ws, b->map, n, r->touched[t]);

			if (i < 0)
				continue;
			any = i;
			if (iso[i].failed)
				bad = i;
		}
		if (bad >= 0) {
			_cleanup_(sd_bus_error_free) sd_bus_error err = SD_BUS_ERROR_NULL;
			size_t g = iso[bad].group;

			sd_bus_error_setf(&err, iso[g].storage ? ERR_STORAGE : ERR_KERNEL, "%s",
					  iso[g].message ? iso[g].message :
							   strerror(-iso[g].error));
			request_reply_error(r, &err);
		} else {
			struct json_object *res = any >= 0 ? iso[iso[any].group].result : NULL;

			request_reply_ok(
				b->m, r,
				res ? json_object_to_json_string_ext(
					      res, JSON_C_TO_STRING_PLAIN |
							   JSON_C_TO_STRING_NOSLASHESCAPE) :
				      "{}");
		}
		request_free(r);
	}
}

bool batch_isolate_retry(struct batch *b)
{
	_cleanup_free_ size_t *group = NULL;
	_cleanup_free_ struct isolated *iso = NULL;
	_cleanup_free_ struct plan_item *sub = NULL;
	_cleanup_free_ struct want **submap = NULL;
	_cleanup_free_ size_t *subidx = NULL;
	struct apply_outcome all = { 0 };
	const struct plan_input *in = &b->in;
	struct want **map = b->map;
	Manager *m = b->m;
	size_t n = in->n_items;

	if (!can_isolate(b))
		return false;
	group = calloc(n, sizeof(*group));
	iso = calloc(n, sizeof(*iso));
	sub = calloc(n, sizeof(*sub));
	submap = calloc(n, sizeof(*submap));
	subidx = calloc(n, sizeof(*subidx));
	all.readback = calloc(n, sizeof(*all.readback));
	all.exists = calloc(n, sizeof(*all.exists));
	all.guest = calloc(n, sizeof(*all.guest));
	if (!group || !iso || !sub || !submap || !subidx || !all.readback || !all.exists ||
	    !all.guest) {
		apply_outcome_done(&all);
		return false;
	}
	batch_isolate_groups(&b->ws, in, map, b->accepted, group);
	for (size_t i = 0; i < n; i++)
		iso[i].group = group[i];
	for (size_t g = 0; g < n; g++)
		if (iso[g].group == g)
			retry_group(b, g, iso,
				    &(struct group_scratch){
					    .items = sub, .map = submap, .idx = subidx },
				    &all);

	/* A device whose group failed keeps what it had: undo its wants before the commit. */
	for (size_t i = 0; i < n; i++) {
		struct want *w = map[i];

		if (!iso[i].failed)
			continue;
		w->defined = w->dev && w->dev->defined;
		w->def = w->dev ? w->dev->def : (struct definition){ 0 };
		w->active = all.exists[i];
		w->live = all.readback[i];
	}
	all.apmask = in->apmask;
	all.aqmask = in->aqmask;
	m->stats.batches++;
	batch_commit(m, in, map, &all);
	for (size_t g = 0; g < n; g++)
		if (iso[g].group == g && iso[g].result)
			manager_emit_batch_applied(
				m, json_object_to_json_string_ext(
					   iso[g].result, JSON_C_TO_STRING_PLAIN |
								  JSON_C_TO_STRING_NOSLASHESCAPE));
	answer_isolated(b, iso);
	for (size_t g = 0; g < n; g++) {
		free(iso[g].message);
		json_object_put(iso[g].result);
	}
	apply_outcome_done(&all);
	manager_reconcile(m);
	return true;
}
