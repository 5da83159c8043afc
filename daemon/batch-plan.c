// SPDX-License-Identifier: GPL-2.0-or-later
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "batch-answer.h"
#include "batch-plan.h"
#include "batch-validate.h"
#include "journal.h"
#include "log.h"
#include "manager.h"
#include "request-errors.h"

int build_plan_input(struct working *ws, struct plan_input *in, struct plan_item **ret_items,
		     struct want ***ret_map)
{
	Manager *m = ws->m;
	struct plan_item *items = calloc(ws->n ? ws->n : 1, sizeof(*items));
	struct want **map = calloc(ws->n ? ws->n : 1, sizeof(*map));
	size_t n = 0;

	if (!items || !map) {
		free(items);
		free(map);
		return -ENOMEM;
	}
	for (size_t i = 0; i < ws->n; i++) {
		struct want *w = &ws->w[i];
		struct plan_item *it = &items[n];

		if (!w->touched)
			continue;
		snprintf(it->uuid, sizeof(it->uuid), "%s", w->uuid);
		it->cur_exists = w->dev && w->dev->active;
		it->cur = it->cur_exists ? w->dev->kern : (ap_matrix){ 0 };
		it->want_exists = w->active;
		it->want = w->active ? w->live : (ap_matrix){ 0 };
		it->attached = w->dev && device_in_use(w->dev);
		map[n++] = w;
	}
	*in = (struct plan_input){
		.iface = host_write_iface(m->host),
		.apmask = m->host->apmask,
		.aqmask = m->host->aqmask,
		.apmask_want = ws->apmask,
		.aqmask_want = ws->aqmask,
		.items = items,
		.n_items = n,
	};
	*ret_items = items;
	*ret_map = map;
	return 0;
}

static const ap_matrix *want_definition(struct want *const *map, size_t i)
{
	return map && map[i]->defined ? &map[i]->def.m : NULL;
}

struct json_object *batch_plan_to_json(const struct plan_input *in, const struct plan *p,
				       uint64_t batch, size_t n_requests, bool dry_run,
				       const struct apply_outcome *o, struct want *const *map)
{
	struct json_object *j = json_object_new_object(), *ws = json_object_new_array(),
			   *ds = json_object_new_array();

	json_object_object_add(j, "dry_run", json_object_new_boolean(dry_run));
	json_object_object_add(j, "batch", json_object_new_int64((int64_t)batch));
	json_object_object_add(j, "requests", json_object_new_int64((int64_t)n_requests));
	json_object_object_add(j, "write_interface",
			       json_object_new_string(write_iface_to_string(in->iface)));
	json_object_object_add(j, "kernel_writes", json_object_new_int64((int64_t)p->n_writes));
	json_object_object_add(j, "apcb_updates", json_object_new_int64(p->apcb_updates));
	for (size_t k = 0; k < p->n_writes; k++) {
		_cleanup_free_ char *attr = NULL, *value = NULL;
		struct json_object *wo;

		if (plan_write_format(in, p, k, &attr, &value) < 0)
			continue;
		wo = json_object_new_object();
		json_object_object_add(wo, "attribute", json_object_new_string(attr));
		json_object_object_add(wo, "value", json_object_new_string(value));
		json_object_array_add(ws, wo);
	}
	json_object_object_add(j, "writes", ws);
	for (size_t i = 0; i < in->n_items; i++) {
		bool live = o ? o->exists[i] : in->items[i].want_exists;
		const ap_matrix *shown = !live && want_definition(map, i) ?
						 want_definition(map, i) :
					 o ? &o->readback[i] :
					     &in->items[i].want;
		struct json_object *d = matrix_to_json(shown);

		json_object_object_add(d, "uuid", json_object_new_string(in->items[i].uuid));
		json_object_object_add(
			d, "active",
			json_object_new_boolean(o ? o->exists[i] : in->items[i].want_exists));
		json_object_object_add(d, "kernel_writes",
				       json_object_new_int(p->cost ? (int)p->cost[i].writes : 0));
		json_object_object_add(
			d, "apcb_updates",
			json_object_new_int(p->cost ? (int)p->cost[i].apcb_updates : 0));
		json_object_array_add(ds, d);
	}
	json_object_object_add(j, "devices", ds);
	return j;
}

/* Validate and plan r alone on top of ws, answer it; ws keeps r's change (the caller undoes it). */
static void dry_run_one(struct working *ws, struct request *r)
{
	_cleanup_(sd_bus_error_free) sd_bus_error err = SD_BUS_ERROR_NULL;
	_cleanup_free_ struct plan_item *items = NULL;
	_cleanup_free_ struct want **map = NULL;
	_cleanup_(plan_freep) struct plan *p = NULL;
	_cleanup_json_ struct json_object *j = NULL;
	struct plan_input in;
	int k;

	k = batch_validate(ws, r, &err);
	if (k < 0) {
		if (!sd_bus_error_is_set(&err))
			sd_bus_error_set_errno(&err, k);
		request_reply_error(r, &err);
		return;
	}
	k = build_plan_input(ws, &in, &items, &map);
	if (k >= 0)
		k = plan_compute(&in, &p);
	if (k < 0) {
		sd_bus_error_set_errno(&err, k);
		request_reply_error(r, &err);
		return;
	}
	j = batch_plan_to_json(&in, p, 0, 1, true, NULL, map);
	if (r->msg && r->type == REQ_DEFINE)
		request_reply_ok(ws->m, r, NULL);
	else if (r->msg &&
		 (r->type == REQ_ASSIGN || r->type == REQ_UNASSIGN || r->type == REQ_APPLY))
		(void)sd_bus_reply_method_return(r->msg, "s", json_object_to_json_string(j));
	else if (r->msg)
		(void)sd_bus_reply_method_return(r->msg, "");
}

void batch_dry_run(struct working *ws, struct request *r)
{
	/* The touched marks of the accepted requests before it must survive the dry run. */
	_cleanup_free_ bool *saved = calloc(ws->n ? ws->n : 1, sizeof(*saved));
	size_t n = ws->n;

	if (!saved) {
		_cleanup_(sd_bus_error_free) sd_bus_error err = SD_BUS_ERROR_NULL;

		log_oom();
		sd_bus_error_set_errno(&err, -ENOMEM);
		request_reply_error(r, &err);
		return;
	}
	for (size_t i = 0; i < n; i++) {
		saved[i] = ws->w[i].touched;
		ws->w[i].touched = false;
	}
	dry_run_one(ws, r);
	/* A dry run leaves no trace, not even in the batch it is part of. */
	working_undo(ws);
	for (size_t i = 0; i < n; i++)
		ws->w[i].touched = saved[i];
}

int batch_plan(struct batch *b)
{
	Manager *m = b->m;
	int k;

	/* An earlier batch's journal must be settled before anything else changes. */
	if (m->journal_pending && manager_settle_journal(m, true) < 0) {
		if (m->store->error)
			return batch_error_storage(m, m->store->error, &b->error);
		return sd_bus_error_setf(&b->error, ERR_BUSY,
					 "the journal of an interrupted batch is not settled yet "
					 "(%s); nothing was changed",
					 m->recovery ? m->recovery : "pending");
	}
	k = build_plan_input(&b->ws, &b->in, &b->items, &b->map);
	if (k >= 0)
		k = plan_compute(&b->in, &b->plan);
	if (k < 0)
		return sd_bus_error_set_errno(&b->error, k);
	return 0;
}
