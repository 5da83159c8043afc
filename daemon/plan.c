// SPDX-License-Identifier: GPL-2.0-or-later
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "id-list.h"
#include "plan.h"
#include "sysfs-format.h"

const char *write_iface_to_string(enum write_iface w)
{
	switch (w) {
	case WRITE_AP_CONFIG_BATCH:
		return "ap_config_batch";
	case WRITE_AP_CONFIG:
		return "ap_config";
	default:
		return "single";
	}
}

void plan_free(struct plan *p)
{
	if (!p)
		return;
	free(p->writes);
	free(p->cost);
	free(p);
}

static int plan_add(struct plan *p, const struct plan_write *w)
{
	if (p->n_writes == p->allocated) {
		size_t n = p->allocated ? p->allocated * 2 : 16;
		struct plan_write *nw = reallocarray(p->writes, n, sizeof(*nw));

		if (!nw)
			return -ENOMEM;
		p->writes = nw;
		p->allocated = n;
	}
	p->writes[p->n_writes++] = *w;
	return 0;
}

/* Count one write against an item; a matrix write on an attached mdev costs an APCB update. */
static int plan_add_item(struct plan *p, const struct plan_input *in, const struct plan_write *w)
{
	int r = plan_add(p, w);

	if (r < 0)
		return r;
	if (w->item >= 0) {
		struct plan_item_cost *c = &p->cost[w->item];

		c->writes++;
		if (in->items[w->item].attached && w->op != OP_CREATE && w->op != OP_REMOVE) {
			c->apcb_updates++;
			p->apcb_updates++;
		}
	}
	return 0;
}

static int plan_masks(struct plan *p, const ap_mask *cur, const ap_mask *want, enum plan_op op,
		      bool set)
{
	struct plan_write w = { .op = op, .item = -1, .set = set };

	if (set)
		ap_mask_andnot(&w.bits, want, cur);
	else
		ap_mask_andnot(&w.bits, cur, want);
	if (ap_mask_is_empty(&w.bits))
		return 0;
	return plan_add(p, &w);
}

static int plan_single_ids(struct plan *p, const struct plan_input *in, size_t i, bool add)
{
	const struct plan_item *it = &in->items[i];
	const ap_matrix *from = add ? &it->want : &it->cur, *minus = add ? &it->cur : &it->want;
	static const enum plan_op ops[2][3] = {
		{ OP_UNASSIGN_ADAPTER, OP_UNASSIGN_DOMAIN, OP_UNASSIGN_CONTROL_DOMAIN },
		{ OP_ASSIGN_ADAPTER, OP_ASSIGN_DOMAIN, OP_ASSIGN_CONTROL_DOMAIN },
	};
	const ap_mask *f[3] = { &from->apm, &from->aqm, &from->adm };
	const ap_mask *m[3] = { &minus->apm, &minus->aqm, &minus->adm };
	int r;

	if (!add && !it->cur_exists)
		return 0;
	for (unsigned int k = 0; k < 3; k++) {
		ap_mask d;

		/* A created mdev starts empty whatever cur says. */
		if (add && !it->cur_exists)
			d = *f[k];
		else
			ap_mask_andnot(&d, f[k], m[k]);
		AP_MASK_FOREACH(id, &d) {
			struct plan_write w = { .op = ops[add][k],
						.item = (int)i,
						.id = (unsigned int)id };

			r = plan_add_item(p, in, &w);
			if (r < 0)
				return r;
		}
	}
	return 0;
}

/*
 * ap_config: one write per changed mdev in an order where every mdev that
 * gives up an APQN is written before the mdev that takes it (edge x -> y when
 * cur(x) and want(y) share an APQN). When only cycles remain, the first
 * remaining mdev is shrunk to cur & want, which drops its outgoing edges.
 */
static int plan_ap_config(struct plan *p, const struct plan_input *in, const size_t *nodes,
			  size_t n)
{
	_cleanup_free_ unsigned int *indeg = calloc(n ? n : 1, sizeof(*indeg));
	_cleanup_free_ bool *done = calloc(n ? n : 1, sizeof(*done));
	_cleanup_free_ bool *shrunk = calloc(n ? n : 1, sizeof(*shrunk));
	size_t left = n;
	int r;

	if (!indeg || !done || !shrunk)
		return -ENOMEM;

	for (size_t x = 0; x < n; x++)
		for (size_t y = 0; y < n; y++)
			if (x != y && in->items[nodes[x]].cur_exists &&
			    matrix_apqns_intersect(&in->items[nodes[x]].cur,
						   &in->items[nodes[y]].want))
				indeg[y]++;

	while (left > 0) {
		size_t pick = n;
		bool progress = false;

		for (size_t x = 0; x < n; x++) {
			if (done[x] || indeg[x] > 0)
				continue;
			pick = x;
			break;
		}
		if (pick < n) {
			const struct plan_item *it = &in->items[nodes[pick]];
			struct plan_write w = { .op = OP_AP_CONFIG,
						.item = (int)nodes[pick],
						.m = it->want };

			r = plan_add_item(p, in, &w);
			if (r < 0)
				return r;
			done[pick] = true;
			left--;
			progress = true;
		} else {
			/* Only cycles are left: shrink the first mdev that still has out-edges. */
			for (size_t x = 0; x < n && !progress; x++) {
				const struct plan_item *it = &in->items[nodes[x]];
				struct plan_write w = { .op = OP_AP_CONFIG, .item = (int)nodes[x] };

				bool out = false;

				if (done[x] || shrunk[x] || !it->cur_exists)
					continue;
				for (size_t y = 0; y < n && !out; y++)
					out = y != x && !done[y] &&
					      matrix_apqns_intersect(&it->cur,
								     &in->items[nodes[y]].want);
				if (!out)
					continue;
				ap_mask_and(&w.m.apm, &it->cur.apm, &it->want.apm);
				ap_mask_and(&w.m.aqm, &it->cur.aqm, &it->want.aqm);
				ap_mask_and(&w.m.adm, &it->cur.adm, &it->want.adm);
				r = plan_add_item(p, in, &w);
				if (r < 0)
					return r;
				p->cycle_breaks++;
				shrunk[x] = true;
				progress = true;
				pick = x;
			}
			if (!progress)
				return -ELOOP; /* cannot happen with disjoint desired matrices */
		}

		/* pick no longer holds anything another mdev wants. */
		if (in->items[nodes[pick]].cur_exists && !shrunk[pick]) {
			for (size_t y = 0; y < n; y++)
				if (y != pick && matrix_apqns_intersect(&in->items[nodes[pick]].cur,
									&in->items[nodes[y]].want))
					indeg[y]--;
		} else if (shrunk[pick] && !done[pick]) {
			for (size_t y = 0; y < n; y++)
				if (y != pick && matrix_apqns_intersect(&in->items[nodes[pick]].cur,
									&in->items[nodes[y]].want))
					indeg[y]--;
		}
	}
	return 0;
}

int plan_compute(const struct plan_input *in, struct plan **ret)
{
	_cleanup_(plan_freep) struct plan *p = NULL;
	_cleanup_free_ size_t *nodes = NULL;
	size_t n_nodes = 0;
	int r;

	p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	p->n_items = in->n_items;
	p->cost = calloc(in->n_items ? in->n_items : 1, sizeof(*p->cost));
	nodes = calloc(in->n_items ? in->n_items : 1, sizeof(*nodes));
	if (!p->cost || !nodes)
		return -ENOMEM;

	for (size_t i = 0; i < in->n_items; i++) {
		const struct plan_item *it = &in->items[i];
		ap_matrix empty = { 0 };
		const ap_matrix *cur = it->cur_exists ? &it->cur : &empty;

		if (it->cur_exists && !it->want_exists) {
			struct plan_write w = { .op = OP_REMOVE, .item = (int)i };

			p->cost[i].changed = true;
			r = plan_add_item(p, in, &w);
			if (r < 0)
				return r;
		} else if (it->want_exists && !ap_matrix_equal(cur, &it->want)) {
			p->cost[i].changed = true;
			nodes[n_nodes++] = i;
		} else if (it->want_exists && !it->cur_exists) {
			p->cost[i].changed = true;
		}
	}
	for (size_t i = 0; i < in->n_items; i++) {
		const struct plan_item *it = &in->items[i];

		if (!it->cur_exists && it->want_exists) {
			struct plan_write w = { .op = OP_CREATE, .item = (int)i };

			r = plan_add_item(p, in, &w);
			if (r < 0)
				return r;
		}
	}

	r = plan_masks(p, &in->apmask, &in->apmask_want, OP_APMASK, false);
	if (r < 0)
		return r;
	r = plan_masks(p, &in->aqmask, &in->aqmask_want, OP_AQMASK, false);
	if (r < 0)
		return r;

	switch (in->iface) {
	case WRITE_AP_CONFIG_BATCH:
		if (n_nodes > 0) {
			struct plan_write w = { .op = OP_AP_CONFIG_BATCH, .item = -1 };

			r = plan_add(p, &w);
			if (r < 0)
				return r;
			for (size_t k = 0; k < n_nodes; k++) {
				struct plan_item_cost *c = &p->cost[nodes[k]];

				c->in_batch = true;
				c->writes++;
				if (in->items[nodes[k]].attached) {
					c->apcb_updates++;
					p->apcb_updates++;
				}
			}
		}
		break;
	case WRITE_AP_CONFIG:
		r = plan_ap_config(p, in, nodes, n_nodes);
		if (r < 0)
			return r;
		break;
	default:
		for (size_t k = 0; k < n_nodes; k++) {
			r = plan_single_ids(p, in, nodes[k], false);
			if (r < 0)
				return r;
		}
		for (size_t k = 0; k < n_nodes; k++) {
			r = plan_single_ids(p, in, nodes[k], true);
			if (r < 0)
				return r;
		}
		break;
	}

	r = plan_masks(p, &in->apmask, &in->apmask_want, OP_APMASK, true);
	if (r < 0)
		return r;
	r = plan_masks(p, &in->aqmask, &in->aqmask_want, OP_AQMASK, true);
	if (r < 0)
		return r;

	*ret = TAKE_PTR(p);
	return 0;
}

static int format_relative(const ap_mask *bits, bool set, char **ret)
{
	size_t n = ap_mask_count(bits), len = 0;
	char *s = malloc(n * 5 + 1);

	if (!s)
		return -ENOMEM;
	s[0] = '\0';
	AP_MASK_FOREACH(id, bits) {
		len += (size_t)sprintf(s + len, "%s%c%d", len ? "," : "", set ? '+' : '-', id);
	}
	*ret = s;
	return 0;
}

#define MATRIX_DIR "devices/vfio_ap/matrix"

int plan_write_format(const struct plan_input *in, const struct plan *p, size_t i, char **ret_attr,
		      char **ret_value)
{
	const struct plan_write *w = &p->writes[i];
	const char *uuid = w->item >= 0 ? in->items[w->item].uuid : NULL;
	_cleanup_free_ char *attr = NULL, *value = NULL;
	const char *name = NULL;
	char cfg[AP_CONFIG_STR_MAX];
	int r;

	switch (w->op) {
	case OP_REMOVE:
		r = asprintf(&attr, MATRIX_DIR "/%s/remove", uuid);
		value = strdup("1");
		break;
	case OP_CREATE:
		r = asprintf(&attr, MATRIX_DIR "/mdev_supported_types/vfio_ap-passthrough/create");
		value = strdup(uuid);
		break;
	case OP_APMASK:
	case OP_AQMASK:
		r = asprintf(&attr, "bus/ap/%s", w->op == OP_APMASK ? "apmask" : "aqmask");
		if (r >= 0 && format_relative(&w->bits, w->set, &value) < 0)
			value = NULL;
		break;
	case OP_AP_CONFIG:
		r = asprintf(&attr, MATRIX_DIR "/%s/ap_config", uuid);
		ap_config_format(&w->m.apm, &w->m.aqm, &w->m.adm, cfg);
		value = strdup(cfg);
		break;
	case OP_AP_CONFIG_BATCH: {
		size_t n = 0, len = 0;

		for (size_t k = 0; k < p->n_items; k++)
			n += p->cost[k].in_batch;
		r = asprintf(&attr, MATRIX_DIR "/ap_config_batch");
		value = malloc(n * (UUID_STR_LEN + 1 + AP_CONFIG_STR_MAX + 1) + 1);
		if (!value)
			break;
		value[0] = '\0';
		for (size_t k = 0; k < p->n_items; k++) {
			const struct plan_item *it = &in->items[k];

			if (!p->cost[k].in_batch)
				continue;
			ap_config_format(&it->want.apm, &it->want.aqm, &it->want.adm, cfg);
			len += (size_t)sprintf(value + len, "%s %s\n", it->uuid, cfg);
		}
		break;
	}
	case OP_ASSIGN_ADAPTER:
		name = "assign_adapter";
		break;
	case OP_UNASSIGN_ADAPTER:
		name = "unassign_adapter";
		break;
	case OP_ASSIGN_DOMAIN:
		name = "assign_domain";
		break;
	case OP_UNASSIGN_DOMAIN:
		name = "unassign_domain";
		break;
	case OP_ASSIGN_CONTROL_DOMAIN:
		name = "assign_control_domain";
		break;
	case OP_UNASSIGN_CONTROL_DOMAIN:
		name = "unassign_control_domain";
		break;
	default:
		return -EINVAL;
	}
	if (name) {
		char id[16];

		r = asprintf(&attr, MATRIX_DIR "/%s/%s", uuid, name);
		if (r >= 0 && ap_id_format_kernel(w->id, id, sizeof(id)) >= 0)
			value = strdup(id);
	}
	if (r < 0 || !attr || !value)
		return -ENOMEM;
	*ret_attr = TAKE_PTR(attr);
	*ret_value = TAKE_PTR(value);
	return 0;
}
