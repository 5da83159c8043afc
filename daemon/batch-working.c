// SPDX-License-Identifier: GPL-2.0-or-later
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "batch-working.h"
#include "manager.h"

int working_init(struct working *ws, Manager *m)
{
	*ws = (struct working){ .m = m };
	ws->allocated = m->n_devices + 16;
	ws->w = calloc(ws->allocated, sizeof(*ws->w));
	if (!ws->w)
		return -ENOMEM;
	for (size_t i = 0; i < m->n_devices; i++) {
		Device *d = m->devices[i];
		struct want *w = &ws->w[ws->n++];

		w->dev = d;
		snprintf(w->uuid, sizeof(w->uuid), "%s", d->uuid);
		w->defined = d->defined;
		w->def = d->def;
		w->active = d->active;
		w->live = d->active ? d->kern : (ap_matrix){ 0 };
	}
	ws->apmask = m->host->apmask;
	ws->aqmask = m->host->aqmask;
	return 0;
}

void working_done(struct working *ws)
{
	free(ws->w);
	free(ws->undo);
}

void working_begin(struct working *ws)
{
	ws->n_undo = 0;
	ws->n_before = ws->n;
	ws->apmask_before = ws->apmask;
	ws->aqmask_before = ws->aqmask;
}

void working_undo(struct working *ws)
{
	for (size_t k = ws->n_undo; k > 0; k--) {
		struct undo *u = &ws->undo[k - 1];

		if (u->idx < ws->n_before)
			ws->w[u->idx] = u->old;
	}
	ws->n = ws->n_before;
	ws->n_undo = 0;
	ws->apmask = ws->apmask_before;
	ws->aqmask = ws->aqmask_before;
}

int working_touch(struct working *ws, struct want *w)
{
	size_t idx = (size_t)(w - ws->w);

	if (ws->n_undo == ws->allocated_undo) {
		size_t n = ws->allocated_undo ? ws->allocated_undo * 2 : 8;
		struct undo *nu = reallocarray(ws->undo, n, sizeof(*nu));

		if (!nu)
			return -ENOMEM;
		ws->undo = nu;
		ws->allocated_undo = n;
	}
	ws->undo[ws->n_undo++] = (struct undo){ .idx = idx, .old = *w };
	w->touched = true;
	return 0;
}

int working_changed(const struct working *ws, size_t **ret, size_t *ret_n)
{
	size_t *idx = calloc(ws->n_undo ? ws->n_undo : 1, sizeof(*idx));

	if (!idx)
		return -ENOMEM;
	for (size_t u = 0; u < ws->n_undo; u++)
		idx[u] = ws->undo[u].idx;
	*ret = idx;
	*ret_n = ws->n_undo;
	return 0;
}

struct want *working_find(struct working *ws, const char *uuid)
{
	for (size_t i = 0; i < ws->n; i++)
		if ((ws->w[i].defined || ws->w[i].active) && strcmp(ws->w[i].uuid, uuid) == 0)
			return &ws->w[i];
	return NULL;
}

struct want *working_append(struct working *ws, const char *uuid)
{
	struct want *w;

	for (size_t i = 0; i < ws->n; i++) /* a device undefined earlier in this batch */
		if (strcmp(ws->w[i].uuid, uuid) == 0) {
			if (working_touch(ws, &ws->w[i]) < 0)
				return NULL;
			return &ws->w[i];
		}
	if (ws->n == ws->allocated) {
		size_t n = ws->allocated * 2;
		struct want *nw = reallocarray(ws->w, n, sizeof(*nw));

		if (!nw)
			return NULL;
		ws->w = nw;
		ws->allocated = n;
	}
	w = &ws->w[ws->n++];
	*w = (struct want){ .touched = true };
	snprintf(w->uuid, sizeof(w->uuid), "%s", uuid);
	snprintf(w->def.uuid, sizeof(w->def.uuid), "%s", uuid);
	return w;
}
