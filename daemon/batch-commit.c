// SPDX-License-Identifier: GPL-2.0-or-later
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "batch-commit.h"
#include "crash-point.h"
#include "journal.h"
#include "log.h"
#include "manager-dbus.h"
#include "manager.h"

int batch_persist(Manager *m, const struct plan_input *in, struct want **map)
{
	_cleanup_free_ const struct definition **save =
		calloc(in->n_items ? in->n_items : 1, sizeof(*save));
	_cleanup_free_ const char **drop = calloc(in->n_items ? in->n_items : 1, sizeof(*drop));
	size_t n_save = 0, n_drop = 0;
	int k;

	if (!save || !drop)
		return -ENOMEM;
	for (size_t i = 0; i < in->n_items; i++) {
		struct want *w = map[i];
		Device *d = w->dev;

		if (w->defined && !(d && d->defined && definition_equal(&w->def, &d->def)))
			save[n_save++] = &w->def;
		else if (!w->defined && d && d->defined)
			drop[n_drop++] = w->uuid;
	}
	k = store_save_many(m->store, save, n_save, drop, n_drop);
	if (k < 0)
		return k;
	crash_point("after-definitions");
	/* Both sides agree already: a journal left behind settles to the same state. */
	if (store_journal_clear(m->store) < 0)
		manager_storage_failed(m);
	crash_point("after-journal-clear");
	return 0;
}

void batch_unwind(Manager *m, const struct plan_input *in, const struct apply_outcome *o)
{
	for (size_t i = 0; o->read_back && i < in->n_items; i++) {
		struct host_mdev md = { .m = o->readback[i], .guest = o->guest[i] };

		(void)host_put_mdev(m->host, in->items[i].uuid, o->exists[i] ? &md : NULL);
	}
	if (o->read_back) {
		m->host->apmask = o->apmask;
		m->host->aqmask = o->aqmask;
		if (m->host->reservation == RESERVATION_DRIVER_OVERRIDE)
			host_refresh_overrides(m->host);
	}
	(void)manager_settle_journal(m, true);
	manager_storage_failed(m);
}

void batch_commit(Manager *m, const struct plan_input *in, struct want **map,
		  const struct apply_outcome *o)
{
	for (size_t i = 0; i < in->n_items; i++) {
		struct want *w = map[i];
		Device *d = w->dev;
		bool added = false;

		if (!d && (w->defined || o->exists[i])) {
			if (manager_add_device(m, w->uuid, &d) < 0) {
				log_oom();
				continue;
			}
			added = true;
		}
		if (!d)
			continue;
		d->defined = w->defined;
		d->def = w->def;
		d->active = o->exists[i];
		d->kern = o->readback[i];
		if (o->guest)
			d->guestm = o->guest[i];
		if (!d->active) {
			d->guestm = (ap_matrix){ 0 };
			d->attached = false;
			(void)host_put_mdev(m->host, d->uuid, NULL);
		} else {
			struct host_mdev md = { .m = d->kern, .guest = d->guestm };

			(void)host_read_attached(&d->guestm, &d->attached);
			md.attached = d->attached;
			(void)host_put_mdev(m->host, d->uuid, &md);
		}
		d->drift = d->defined && d->active && !ap_matrix_equal(&d->kern, &d->def.m);
		if (!d->defined && !d->active) {
			manager_drop_device(m, d);
			continue;
		}
		if (added)
			manager_emit_device_added(m, d);
		manager_emit_device_changed(m, d, true);
	}
	m->host->apmask = o->apmask;
	m->host->aqmask = o->aqmask;
	if (m->host->reservation == RESERVATION_DRIVER_OVERRIDE)
		host_refresh_overrides(m->host);
}

void batch_mark_updated(Manager *m, const struct plan_input *in, uint64_t now)
{
	for (size_t i = 0; i < in->n_items; i++) {
		const struct plan_item *it = &in->items[i];
		Device *d;

		if (it->cur_exists == it->want_exists &&
		    (!it->want_exists || !memcmp(&it->cur, &it->want, sizeof(it->cur))))
			continue;
		d = manager_find_device(m, it->uuid);
		if (d)
			d->updated_usec = now;
	}
}
