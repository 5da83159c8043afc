// SPDX-License-Identifier: GPL-2.0-or-later
#include <errno.h>
#include <stdint.h>
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
	free(p->lines);
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
 * cur(x) and want(y) share an APQN). When only cycles remain, one mdev with
 * an edge into the rest is first shrunk to cur & want, which drops its
 * outgoing edges. Edges are found through an adapter index, so sparse
 * matrices on a big host cost far less than all pairs.
 */
struct edge {
	size_t x, y;
};

static int build_edges(const struct plan_input *in, const size_t *nodes, size_t n,
		       size_t **ret_start, size_t **ret_out)
{
	_cleanup_free_ size_t *idx_start = calloc(AP_ID_COUNT + 1, sizeof(size_t));
	_cleanup_free_ size_t *idx = NULL, *stamp = NULL, *start = NULL, *out = NULL;
	_cleanup_free_ struct edge *e = NULL;
	size_t n_e = 0, alloc_e = 0, total = 0;

	if (!idx_start)
		return -ENOMEM;
	/* Adapter -> nodes whose current matrix has it (counting sort). */
	for (size_t x = 0; x < n; x++)
		if (in->items[nodes[x]].cur_exists)
			AP_MASK_FOREACH(a, &in->items[nodes[x]].cur.apm) {
				idx_start[a + 1]++;
				total++;
			}
	for (size_t a = 0; a < AP_ID_COUNT; a++)
		idx_start[a + 1] += idx_start[a];
	idx = calloc(total ? total : 1, sizeof(*idx));
	stamp = malloc((n ? n : 1) * sizeof(*stamp));
	start = calloc(n + 1, sizeof(*start));
	if (!idx || !stamp || !start)
		return -ENOMEM;
	{
		_cleanup_free_ size_t *fill = calloc(AP_ID_COUNT, sizeof(size_t));

		if (!fill)
			return -ENOMEM;
		for (size_t x = 0; x < n; x++)
			if (in->items[nodes[x]].cur_exists)
				AP_MASK_FOREACH(a, &in->items[nodes[x]].cur.apm)
					idx[idx_start[a] + fill[a]++] = x;
	}
	for (size_t x = 0; x < n; x++)
		stamp[x] = SIZE_MAX;
	for (size_t y = 0; y < n; y++) {
		const ap_matrix *w = &in->items[nodes[y]].want;

		AP_MASK_FOREACH(a, &w->apm) {
			for (size_t k = idx_start[a]; k < idx_start[a + 1]; k++) {
				size_t x = idx[k];

				if (x == y || stamp[x] == y ||
				    !ap_mask_intersects(&in->items[nodes[x]].cur.aqm, &w->aqm))
					continue;
				stamp[x] = y;
				if (n_e == alloc_e) {
					size_t na = alloc_e ? alloc_e * 2 : 64;
					struct edge *ne = reallocarray(e, na, sizeof(*ne));

					if (!ne)
						return -ENOMEM;
					e = ne;
					alloc_e = na;
				}
				e[n_e++] = (struct edge){ x, y };
			}
		}
	}
	/* CSR by source. */
	for (size_t k = 0; k < n_e; k++)
		start[e[k].x + 1]++;
	for (size_t x = 0; x < n; x++)
		start[x + 1] += start[x];
	out = calloc(n_e ? n_e : 1, sizeof(*out));
	if (!out)
		return -ENOMEM;
	{
		_cleanup_free_ size_t *fill = calloc(n ? n : 1, sizeof(size_t));

		if (!fill)
			return -ENOMEM;
		for (size_t k = 0; k < n_e; k++)
			out[start[e[k].x] + fill[e[k].x]++] = e[k].y;
	}
	*ret_start = TAKE_PTR(start);
	*ret_out = TAKE_PTR(out);
	return 0;
}

static int plan_ap_config(struct plan *p, const struct plan_input *in, const size_t *nodes,
			  size_t n)
{
	_cleanup_free_ size_t *start = NULL, *out = NULL, *queue = NULL;
	_cleanup_free_ unsigned int *indeg = calloc(n ? n : 1, sizeof(*indeg));
	_cleanup_free_ bool *done = calloc(n ? n : 1, sizeof(*done));
	_cleanup_free_ bool *shrunk = calloc(n ? n : 1, sizeof(*shrunk));
	size_t left = n, qhead = 0, qtail = 0;
	int r;

	queue = calloc(n ? n : 1, sizeof(*queue));
	if (!indeg || !done || !shrunk || !queue)
		return -ENOMEM;
	r = build_edges(in, nodes, n, &start, &out);
	if (r < 0)
		return r;
	for (size_t x = 0; x < n; x++)
		for (size_t k = start[x]; k < start[x + 1]; k++)
			indeg[out[k]]++;
	for (size_t x = 0; x < n; x++)
		if (indeg[x] == 0)
			queue[qtail++] = x;

	while (left > 0) {
		if (qhead < qtail) {
			size_t x = queue[qhead++];
			struct plan_write w = { .op = OP_AP_CONFIG,
						.item = (int)nodes[x],
						.m = in->items[nodes[x]].want };

			r = plan_add_item(p, in, &w);
			if (r < 0)
				return r;
			done[x] = true;
			left--;
			/* x no longer holds anything another mdev wants. */
			if (!shrunk[x])
				for (size_t k = start[x]; k < start[x + 1]; k++)
					if (!done[out[k]] && --indeg[out[k]] == 0)
						queue[qtail++] = out[k];
			continue;
		}
		/* Only cycles are left: shrink one mdev that gives to a pending one. */
		size_t pick = n;

		for (size_t x = 0; x < n && pick == n; x++) {
			if (done[x] || shrunk[x])
				continue;
			for (size_t k = start[x]; k < start[x + 1] && pick == n; k++)
				if (!done[out[k]])
					pick = x;
		}
		if (pick == n)
			return -ELOOP; /* cannot happen with disjoint desired matrices */
		{
			const struct plan_item *it = &in->items[nodes[pick]];
			struct plan_write w = { .op = OP_AP_CONFIG, .item = (int)nodes[pick] };

			ap_mask_and(&w.m.apm, &it->cur.apm, &it->want.apm);
			ap_mask_and(&w.m.aqm, &it->cur.aqm, &it->want.aqm);
			ap_mask_and(&w.m.adm, &it->cur.adm, &it->want.adm);
			r = plan_add_item(p, in, &w);
			if (r < 0)
				return r;
			p->cycle_breaks++;
			shrunk[pick] = true;
			for (size_t k = start[pick]; k < start[pick + 1]; k++)
				if (!done[out[k]] && --indeg[out[k]] == 0)
					queue[qtail++] = out[k];
		}
	}
	return 0;
}

static size_t compact_mask(const ap_mask *m, char *out)
{
	char buf[AP_MASK_STR_MAX];
	size_t l;

	sysfs_mask_format(m, buf);
	l = strlen(buf);
	/* "0x" and at least one digit; the driver pads on the right. */
	while (l > 3 && buf[l - 1] == '0')
		l--;
	memcpy(out, buf, l);
	return l;
}

size_t plan_batch_line_format(const char *uuid, const ap_matrix *m, char *buf)
{
	size_t l = 0;

	memcpy(buf, uuid, UUID_STR_LEN);
	l = UUID_STR_LEN;
	buf[l++] = ' ';
	l += compact_mask(&m->apm, buf + l);
	buf[l++] = ',';
	l += compact_mask(&m->aqm, buf + l);
	buf[l++] = ',';
	l += compact_mask(&m->adm, buf + l);
	buf[l++] = '\n';
	buf[l] = '\0';
	return l;
}

static size_t line_len(const struct plan_input *in, int item, const ap_matrix *m)
{
	char buf[BATCH_LINE_MAX];

	return plan_batch_line_format(in->items[item].uuid, m, buf);
}

static int batch_add_line(struct plan *p, const struct plan_input *in, size_t *allocated, int item,
			  const ap_matrix *m)
{
	if (p->n_lines == *allocated) {
		size_t n = *allocated ? *allocated * 2 : 16;
		struct plan_line *nl = reallocarray(p->lines, n, sizeof(*nl));

		if (!nl)
			return -ENOMEM;
		p->lines = nl;
		*allocated = n;
	}
	p->lines[p->n_lines++] = (struct plan_line){ .item = item, .m = *m };
	p->cost[item].writes++;
	if (in->items[item].attached) {
		p->cost[item].apcb_updates++;
		p->apcb_updates++;
	}
	return 0;
}

/*
 * ap_config_batch: everything in one write when it fits in a page (the
 * driver validates the write as a whole, so the order of lines is free).
 * Otherwise the ap_config order, packed into page-sized writes: running a
 * prefix of a valid sequence at once ends in a valid state, which is all the
 * driver checks.
 */
/*
 * Strongly connected components of the move graph (iterative Tarjan). They
 * come out in reverse topological order: a component's predecessors are
 * emitted after it. ret_comp[x] is x's component, ret_order lists the nodes
 * component by component, ret_start[c] is where component c starts in it.
 */
static int move_sccs(size_t n, const size_t *start, const size_t *out, size_t **ret_comp,
		     size_t **ret_order, size_t **ret_start, size_t *ret_n_comp)
{
	_cleanup_free_ size_t *idx = malloc((n ? n : 1) * sizeof(size_t));
	_cleanup_free_ size_t *low = malloc((n ? n : 1) * sizeof(size_t));
	_cleanup_free_ size_t *stack = malloc((n ? n : 1) * sizeof(size_t));
	_cleanup_free_ size_t *call = malloc((n ? n : 1) * sizeof(size_t));
	_cleanup_free_ size_t *edge = malloc((n ? n : 1) * sizeof(size_t));
	_cleanup_free_ bool *on = calloc(n ? n : 1, sizeof(bool));
	_cleanup_free_ size_t *comp = malloc((n ? n : 1) * sizeof(size_t));
	_cleanup_free_ size_t *order = malloc((n ? n : 1) * sizeof(size_t));
	_cleanup_free_ size_t *cstart = malloc((n + 1) * sizeof(size_t));
	size_t next = 0, sp = 0, n_comp = 0, n_order = 0;

	if (!idx || !low || !stack || !call || !edge || !on || !comp || !order || !cstart)
		return -ENOMEM;
	for (size_t x = 0; x < n; x++)
		idx[x] = SIZE_MAX;
	for (size_t root = 0; root < n; root++) {
		size_t depth = 0;

		if (idx[root] != SIZE_MAX)
			continue;
		call[depth++] = root;
		idx[root] = low[root] = next++;
		edge[root] = start[root];
		stack[sp++] = root;
		on[root] = true;
		while (depth > 0) {
			size_t v = call[depth - 1];

			if (edge[v] < start[v + 1]) {
				size_t w = out[edge[v]++];

				if (idx[w] == SIZE_MAX) {
					idx[w] = low[w] = next++;
					edge[w] = start[w];
					stack[sp++] = w;
					on[w] = true;
					call[depth++] = w;
				} else if (on[w] && idx[w] < low[v])
					low[v] = idx[w];
				continue;
			}
			depth--;
			if (depth > 0 && low[v] < low[call[depth - 1]])
				low[call[depth - 1]] = low[v];
			if (low[v] == idx[v]) {
				size_t w;

				cstart[n_comp] = n_order;
				do {
					w = stack[--sp];
					on[w] = false;
					comp[w] = n_comp;
					order[n_order++] = w;
				} while (w != v);
				n_comp++;
			}
		}
	}
	cstart[n_comp] = n_order;
	*ret_comp = TAKE_PTR(comp);
	*ret_order = TAKE_PTR(order);
	*ret_start = TAKE_PTR(cstart);
	*ret_n_comp = n_comp;
	return 0;
}

/*
 * ap_config_batch: everything in one write when it fits in a page (the
 * driver validates a write as a whole, so the order of its lines is free and
 * cycles of moves need nothing special). Otherwise whole components of the
 * move graph, in topological order, packed into page-sized writes: every
 * mdev that gives an APQN to a written one has been written before or in the
 * same write, so each write ends in a valid state. A component too big for a
 * page is written in the ap_config order (with its shrinks), an mdev at most
 * once per write.
 */
/* Emit the batch write being filled and start the next one (a new chunk). */
static int batch_write_close(struct plan *p, struct plan_write *w, size_t *bytes, size_t *chunk)
{
	int r;

	r = plan_add(p, w);
	if (r < 0)
		return r;
	w->line_start = p->n_lines;
	w->n_lines = 0;
	*bytes = 0;
	(*chunk)++;
	return 0;
}

static int plan_batch(struct plan *p, const struct plan_input *in, const size_t *nodes, size_t n)
{
	unsigned int max = in->batch_max_lines;
	_cleanup_free_ size_t *start = NULL, *out = NULL, *comp = NULL, *order = NULL,
			      *cstart = NULL, *chunk_of = NULL, *lens = NULL;
	size_t allocated = 0, chunk = 1, total = 0, bytes = 0, n_comp = 0;
	struct plan_write w = { .op = OP_AP_CONFIG_BATCH, .item = -1 };
	int r;

	if (n == 0)
		return 0;
	lens = calloc(n, sizeof(*lens));
	chunk_of = calloc(in->n_items ? in->n_items : 1, sizeof(*chunk_of));
	if (!lens || !chunk_of)
		return -ENOMEM;
	for (size_t k = 0; k < n; k++) {
		lens[k] = line_len(in, (int)nodes[k], &in->items[nodes[k]].want);
		total += lens[k];
	}
	if (total <= BATCH_WRITE_MAX && (max == 0 || n <= max)) {
		for (size_t k = 0; k < n; k++) {
			r = batch_add_line(p, in, &allocated, (int)nodes[k],
					   &in->items[nodes[k]].want);
			if (r < 0)
				return r;
		}
		w.n_lines = p->n_lines;
		return plan_add(p, &w);
	}

	r = build_edges(in, nodes, n, &start, &out);
	if (r >= 0)
		r = move_sccs(n, start, out, &comp, &order, &cstart, &n_comp);
	if (r < 0)
		return r;
	/* Reverse topological from Tarjan: walk the components backwards. */
	for (size_t c = n_comp; c > 0; c--) {
		size_t a = cstart[c - 1], b = cstart[c], cbytes = 0, clines = b - a;

		for (size_t k = a; k < b; k++)
			cbytes += lens[order[k]];
		if (cbytes <= BATCH_WRITE_MAX && (max == 0 || clines <= max)) {
			/* The whole component in one write: close the current one if it lacks room. */
			if ((max && w.n_lines + clines > max) || bytes + cbytes > BATCH_WRITE_MAX) {
				r = batch_write_close(p, &w, &bytes, &chunk);
				if (r < 0)
					return r;
			}
			for (size_t k = a; k < b; k++) {
				size_t x = order[k];

				r = batch_add_line(p, in, &allocated, (int)nodes[x],
						   &in->items[nodes[x]].want);
				if (r < 0)
					return r;
				chunk_of[nodes[x]] = chunk;
			}
			w.n_lines += clines;
			bytes += cbytes;
			continue;
		}
		/* Too big for a page: its own ap_config order, packed. */
		{
			_cleanup_(plan_freep) struct plan *sub = calloc(1, sizeof(*sub));
			_cleanup_free_ size_t *sub_nodes = calloc(clines, sizeof(size_t));

			if (!sub || !sub_nodes)
				return -ENOMEM;
			sub->n_items = in->n_items;
			sub->cost = calloc(in->n_items ? in->n_items : 1, sizeof(*sub->cost));
			if (!sub->cost)
				return -ENOMEM;
			for (size_t k = a; k < b; k++)
				sub_nodes[k - a] = nodes[order[k]];
			r = plan_ap_config(sub, in, sub_nodes, clines);
			if (r < 0)
				return r;
			p->cycle_breaks += sub->cycle_breaks;
			for (size_t k = 0; k < sub->n_writes; k++) {
				const struct plan_write *o = &sub->writes[k];
				size_t len = line_len(in, o->item, &o->m);

				if ((max && w.n_lines == max) || bytes + len > BATCH_WRITE_MAX ||
				    chunk_of[o->item] == chunk) {
					r = batch_write_close(p, &w, &bytes, &chunk);
					if (r < 0)
						return r;
				}
				r = batch_add_line(p, in, &allocated, o->item, &o->m);
				if (r < 0)
					return r;
				chunk_of[o->item] = chunk;
				w.n_lines++;
				bytes += len;
			}
		}
	}
	if (w.n_lines == 0)
		return 0;
	return plan_add(p, &w);
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
		r = plan_batch(p, in, nodes, n_nodes);
		if (r < 0)
			return r;
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
		size_t len = 0;

		r = asprintf(&attr, MATRIX_DIR "/ap_config_batch");
		value = malloc(w->n_lines * BATCH_LINE_MAX + 1);
		if (!value)
			break;
		value[0] = '\0';
		for (size_t k = w->line_start; k < w->line_start + w->n_lines; k++) {
			const struct plan_line *l = &p->lines[k];

			len += plan_batch_line_format(in->items[l->item].uuid, &l->m, value + len);
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
