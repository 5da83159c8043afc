// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Migration preflight: the export of a guest's device, its parser, and the
 * check of an export against this host (migration.h).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "apm-limits.h"
#include "error-msg.h"
#include "id-list.h"
#include "manager.h"
#include "migration.h"

static const struct host_adapter *find_adapter(const struct host *h, unsigned int id)
{
	for (size_t i = 0; i < h->n_adapters; i++)
		if (h->adapters[i].id == id)
			return &h->adapters[i];
	return NULL;
}

static const struct host_queue *find_queue(const struct host_adapter *a, unsigned int apqi)
{
	for (size_t i = 0; a && i < a->n_queues; i++)
		if (a->queues[i].apqi == apqi)
			return &a->queues[i];
	return NULL;
}

/* ---- export ---- */

static struct json_object *queue_to_json(const struct host_adapter *a, unsigned int apqi)
{
	struct json_object *q = json_object_new_object();
	char s[APQN_STR_MAX], t[16], f[16];

	if (!q)
		return NULL;
	apqn_to_string((apqn){ (uint8_t)a->id, (uint8_t)apqi }, s);
	json_object_object_add(q, "apqn", json_object_new_string(s));
	json_object_object_add(q, "adapter", json_object_new_int((int)a->id));
	json_object_object_add(q, "domain", json_object_new_int((int)apqi));
	json_object_object_add(
		q, "type", migration_type_name(a->hwtype, t) ? json_object_new_string(t) : NULL);
	json_object_object_add(q, "hwtype", json_object_new_int(a->hwtype));
	json_object_object_add(q, "raw_hwtype", json_object_new_int(a->raw_hwtype));
	json_object_object_add(q, "mode", json_object_new_string(a->mode));
	snprintf(f, sizeof(f), "0x%08X", a->functions);
	json_object_object_add(q, "functions", a->has_functions ? json_object_new_string(f) : NULL);
	return q;
}

struct json_object *migration_export(Manager *m, const Device *d)
{
	const struct host *h = m->host;
	const ap_matrix *mx = device_matrix(d);
	_cleanup_json_ struct json_object *o = matrix_to_json(mx);
	struct json_object *hj, *qs;
	ap_mask cfg_adm;

	if (!o)
		return NULL;
	json_object_object_add(o, "version", json_object_new_int(MIGRATION_VERSION));
	json_object_object_add(o, "uuid", json_object_new_string(d->uuid));
	json_object_object_add(o, "guest", json_object_new_string(device_guest(d)));
	/* As this host did it: the adapters out of apmask, or else the domains out of aqmask. */
	json_object_object_add(
		o, "reserve",
		json_object_new_string(!ap_mask_intersects(&mx->apm, &h->apmask) ||
						       ap_mask_intersects(&mx->aqm, &h->aqmask) ?
					       "adapter" :
					       "domain"));
	hj = json_object_new_object();
	if (!hj)
		return NULL;
	json_object_object_add(o, "host", hj);
	json_object_object_add(hj, "max_adapter_id", json_object_new_int((int)h->max_apid));
	json_object_object_add(hj, "max_domain_id", json_object_new_int((int)h->max_apqi));
	ap_mask_and(&cfg_adm, &mx->adm, &h->qci_adm);
	json_object_object_add(hj, "configured_control_domains", mask_to_json(&cfg_adm));
	qs = json_object_new_array();
	if (!qs)
		return NULL;
	json_object_object_add(o, "queues", qs);
	AP_MASK_FOREACH(a, &mx->apm) {
		const struct host_adapter *ha = find_adapter(h, (unsigned int)a);

		if (!ha)
			continue;
		AP_MASK_FOREACH(q, &mx->aqm) {
			struct json_object *qo;

			if (!find_queue(ha, (unsigned int)q))
				continue;
			qo = queue_to_json(ha, (unsigned int)q);
			if (!qo || json_object_array_add(qs, qo) < 0) {
				json_object_put(qo);
				return NULL;
			}
		}
	}
	return TAKE_PTR(o);
}

/* ---- the check ---- */

void migration_report_done(struct migration_report *rep)
{
	json_object_put(rep->problems);
	json_object_put(rep->notes);
	json_object_put(rep->host_reserved);
	free(rep->summary);
	*rep = (struct migration_report){ 0 };
}

_printf_(5, 6) static int problem(struct migration_report *rep, const apqn *q, const char *reason,
				  const char *owner, const char *fmt, ...)
{
	_cleanup_free_ char *msg = NULL;
	struct json_object *p;
	char s[APQN_STR_MAX];
	va_list ap;
	int k;

	va_start(ap, fmt);
	k = vasprintf(&msg, fmt, ap);
	va_end(ap);
	if (k < 0)
		return -ENOMEM;
	rep->n_problems++;
	if (rep->n_problems <= MIGRATION_MESSAGE_PROBLEMS) {
		char *joined = NULL;

		if (asprintf(&joined, "%s%s%s", rep->summary ? rep->summary : "",
			     rep->summary ? "; " : "", msg) < 0)
			return -ENOMEM;
		free(rep->summary);
		rep->summary = joined;
	}
	if (rep->n_problems > MIGRATION_PROBLEMS_MAX)
		return 0;
	p = json_object_new_object();
	if (!p || json_object_array_add(rep->problems, p) < 0) {
		json_object_put(p);
		return -ENOMEM;
	}
	json_object_object_add(p, "apqn", q ? json_object_new_string(apqn_to_string(*q, s)) : NULL);
	json_object_object_add(p, "reason", json_object_new_string(reason));
	json_object_object_add(p, "message", json_object_new_string(msg));
	if (owner)
		json_object_object_add(p, "owner", json_object_new_string(owner));
	return 0;
}

/* One more field of the problem added last (when it is listed). */
static int last_problem_add(struct migration_report *rep, const char *key, const char *value)
{
	struct json_object *p;

	if (rep->n_problems > MIGRATION_PROBLEMS_MAX)
		return 0;
	p = json_object_array_get_idx(rep->problems, json_object_array_length(rep->problems) - 1);
	if (!p)
		return 0;
	return json_object_object_add(p, key, json_object_new_string(value)) < 0 ? -ENOMEM : 0;
}

_printf_(2, 3) static int note(struct migration_report *rep, const char *fmt, ...)
{
	_cleanup_free_ char *msg = NULL;
	va_list ap;
	int k;

	va_start(ap, fmt);
	k = vasprintf(&msg, fmt, ap);
	va_end(ap);
	if (k < 0)
		return -ENOMEM;
	if (json_object_array_length(rep->notes) >= MIGRATION_PROBLEMS_MAX)
		return 0;
	return json_object_array_add(rep->notes, json_object_new_string(msg)) < 0 ? -ENOMEM : 0;
}

/* What a want holds against others (as batch-validate.c's claims()). */
static bool claim(const struct want *w, int k, ap_matrix *ret)
{
	if (k == 0 && w->active) {
		*ret = w->live;
		return true;
	}
	if (k == 1 && w->defined && w->def.autostart) {
		*ret = w->def.m;
		return true;
	}
	return false;
}

static int check_device(struct working *ws, const struct migration_spec *s,
			struct migration_report *rep)
{
	const struct want *self = working_find(ws, s->def.uuid);
	const char *guest = s->def.guest;
	int k = 0;

	if (self && (self->defined || self->active)) {
		const ap_matrix *have = self->defined ? &self->def.m : &self->live;

		if (!ap_matrix_equal(have, &s->def.m)) {
			_cleanup_free_ char *a = NULL, *d = NULL, *c = NULL;

			if (id_list_format(&have->apm, &a) < 0 ||
			    id_list_format(&have->aqm, &d) < 0 ||
			    id_list_format(&have->adm, &c) < 0)
				return -ENOMEM;
			k = problem(rep, NULL, "uuid-conflict", s->def.uuid,
				    "device %s exists here with another matrix (adapters %s, "
				    "domains %s, control domains %s)",
				    s->def.uuid, a && *a ? a : "none", d && *d ? d : "none",
				    c && *c ? c : "none");
		} else if (self->defined && self->def.guest[0] && guest[0] &&
			   strcmp(self->def.guest, guest) != 0)
			k = problem(rep, NULL, "uuid-conflict", s->def.uuid,
				    "device %s is defined here for guest %s", s->def.uuid,
				    self->def.guest);
		else
			rep->prepared = self->defined;
		if (k < 0)
			return k;
	}
	for (size_t i = 0; guest[0] && i < ws->n; i++) {
		const struct want *o = &ws->w[i];

		if (o == self || !o->defined || strcmp(o->def.guest, guest) != 0)
			continue;
		k = problem(rep, NULL, "guest-conflict", o->uuid,
			    "guest %s already has device %s here", guest, o->uuid);
		if (k < 0)
			return k;
	}
	return 0;
}

static int check_range(const struct host *h, const struct migration_spec *s,
		       struct migration_report *rep)
{
	static const char *const what[] = { "adapter", "domain", "control domain" };
	const ap_mask *masks[] = { &s->def.m.apm, &s->def.m.aqm, &s->def.m.adm };
	int k;

	if (h->max_apid < s->src_max_apid || h->max_apqi < s->src_max_apqi) {
		k = note(rep,
			 "this host's maximum ids (adapter %u, domain %u) are below the source's "
			 "(adapter %u, domain %u)",
			 h->max_apid, h->max_apqi, s->src_max_apid, s->src_max_apqi);
		if (k < 0)
			return k;
	}
	for (int i = 0; i < 3; i++) {
		unsigned int max = i == 0 ? h->max_apid : h->max_apqi;

		AP_MASK_FOREACH(id, masks[i]) {
			if ((unsigned int)id <= max)
				continue;
			k = problem(rep, NULL, "out-of-range", NULL,
				    "%s %d is above this host's maximum %s id %u", what[i], id,
				    i == 0 ? "adapter" : "domain", max);
			if (k < 0)
				return k;
		}
	}
	return 0;
}

static int check_queue(const struct host *h, const struct migration_queue *q,
		       struct migration_report *rep)
{
	const struct host_adapter *a = find_adapter(h, q->apid);
	apqn n = { q->apid, q->apqi };
	char s[APQN_STR_MAX], t1[16], t2[16];
	int k = 0;

	apqn_to_string(n, s);
	if (!a)
		return problem(rep, &n, "missing", NULL,
			       "APQN %s is not on this host: no adapter %02x", s, q->apid);
	if (!find_queue(a, q->apqi))
		return problem(
			rep, &n, "missing", NULL,
			"APQN %s is not on this host: adapter %02x has no queue of domain %u "
			"(not in the host's configuration)",
			s, q->apid, q->apqi);
	if (!a->config)
		k = problem(rep, &n, "deconfigured", NULL,
			    "APQN %s: adapter %02x is configured off here", s, q->apid);
	if (k >= 0 && a->chkstop)
		k = problem(rep, &n, "checkstopped", NULL,
			    "APQN %s: adapter %02x is check-stopped here", s, q->apid);
	if (k >= 0 && q->hwtype >= 0 && a->hwtype != q->hwtype)
		k = problem(rep, &n, "type-mismatch", NULL,
			    "APQN %s: %s (hwtype %d) here, %s (hwtype %d) on the source", s,
			    migration_type_name(a->hwtype, t1) ?: "unknown", a->hwtype,
			    migration_type_name(q->hwtype, t2) ?: "unknown", q->hwtype);
	if (k >= 0 && q->mode[0] && strcmp(a->mode, q->mode) != 0)
		k = problem(rep, &n, "mode-mismatch", NULL,
			    "APQN %s: mode %s here, %s on the source", s,
			    a->mode[0] ? a->mode : "unknown", q->mode);
	if (k >= 0 && q->has_functions &&
	    (!a->has_functions || (q->functions & ~a->functions) != 0))
		k = problem(rep, &n, "functions-mismatch", NULL,
			    "APQN %s: functions 0x%08X here lack 0x%08X of the source's 0x%08X", s,
			    a->functions, q->functions & ~a->functions, q->functions);
	if (k >= 0 && q->raw_hwtype >= 0 && a->raw_hwtype != q->raw_hwtype &&
	    a->hwtype == q->hwtype)
		k = note(rep, "APQN %s: raw hwtype %d here, %d on the source", s, a->raw_hwtype,
			 q->raw_hwtype);
	return k;
}

/* APQNs of the matrix another device claims (active, or autostart). */
static int check_owners(struct working *ws, const struct migration_spec *s,
			struct migration_report *rep)
{
	const ap_matrix *mine = &s->def.m;
	int k;

	for (size_t i = 0; i < ws->n; i++) {
		const struct want *o = &ws->w[i];

		if (strcmp(o->uuid, s->def.uuid) == 0)
			continue;
		for (int j = 0; j < 2; j++) {
			ap_matrix theirs;
			ap_mask ad, dom;

			if (!claim(o, j, &theirs) || (j == 1 && o->active))
				continue;
			ap_mask_and(&ad, &mine->apm, &theirs.apm);
			ap_mask_and(&dom, &mine->aqm, &theirs.aqm);
			if (ap_mask_is_empty(&ad) || ap_mask_is_empty(&dom))
				continue;
			AP_MASK_FOREACH(a, &ad)
				AP_MASK_FOREACH(d, &dom) {
					apqn n = { (uint8_t)a, (uint8_t)d };
					char q[APQN_STR_MAX];

					bool foreign = o->active && !o->defined && o->dev;

					if (foreign)
						/* Another manager's mdev: apmatrixd will not change it. */
						k = problem(
							rep, &n, "in-use", o->uuid,
							"APQN %s is assigned to foreign device %s "
							"(owner %s) here",
							apqn_to_string(n, q), o->uuid,
							device_owner(o->dev));
					else
						k = problem(
							rep, &n, "in-use", o->uuid,
							"APQN %s is assigned to %s device %s%s%s%s here",
							apqn_to_string(n, q),
							j == 0 ? "active" : "autostart", o->uuid,
							o->def.guest[0] ? " (guest " : "",
							o->def.guest, o->def.guest[0] ? ")" : "");
					if (k >= 0 && foreign)
						k = last_problem_add(rep, "owner_manager",
								     device_owner(o->dev));
					if (k >= 0 && o->def.guest[0])
						k = last_problem_add(rep, "owner_guest",
								     o->def.guest);
					if (k < 0)
						return k;
				}
		}
		/* Manual definitions may overlap; starting both is refused. */
		if (o->defined && !o->def.autostart && !o->active &&
		    matrix_apqns_intersect(mine, &o->def.m)) {
			k = note(rep,
				 "the manual definition of device %s%s%s%s shares APQNs with this "
				 "device: only one of them can be started",
				 o->uuid, o->def.guest[0] ? " (guest " : "", o->def.guest,
				 o->def.guest[0] ? ")" : "");
			if (k < 0)
				return k;
		}
	}
	return 0;
}

/* APQNs the host drivers keep (apmask x aqmask): a prepare reserves them. */
static int check_reserved(struct working *ws, const struct migration_spec *s,
			  struct migration_report *rep)
{
	const ap_matrix *mine = &s->def.m;
	ap_mask ad, dom;

	rep->reserve_kind = s->reserve;
	ap_mask_and(&ad, &mine->apm, &ws->apmask);
	ap_mask_and(&dom, &mine->aqm, &ws->aqmask);
	if (ap_mask_is_empty(&ad) || ap_mask_is_empty(&dom))
		return 0;
	rep->reserve = s->reserve == KIND_ADAPTER ? ad : dom;
	AP_MASK_FOREACH(a, &ad)
		AP_MASK_FOREACH(d, &dom) {
			char q[APQN_STR_MAX];

			rep->n_host_reserved++;
			if (rep->n_host_reserved > MIGRATION_PROBLEMS_MAX)
				continue;
			if (json_object_array_add(rep->host_reserved,
						  json_object_new_string(apqn_to_string(
							  (apqn){ (uint8_t)a, (uint8_t)d }, q))) <
			    0)
				return -ENOMEM;
		}
	return 0;
}

int migration_check(struct working *ws, const struct migration_spec *s,
		    struct migration_report *ret)
{
	struct migration_report rep = {
		.problems = json_object_new_array(),
		.notes = json_object_new_array(),
		.host_reserved = json_object_new_array(),
	};
	const struct host *h = ws->m->host;
	int k;

	if (!rep.problems || !rep.notes || !rep.host_reserved) {
		migration_report_done(&rep);
		return -ENOMEM;
	}
	k = check_device(ws, s, &rep);
	if (k >= 0)
		k = check_range(h, s, &rep);
	for (size_t i = 0; k >= 0 && i < s->n_queues; i++)
		k = check_queue(h, &s->queues[i], &rep);
	AP_MASK_FOREACH(c, &s->src_adm) {
		if (k < 0 || !ap_mask_test(&s->def.m.adm, (unsigned int)c) ||
		    ap_mask_test(&h->qci_adm, (unsigned int)c))
			continue;
		k = problem(&rep, NULL, "missing", NULL,
			    "control domain %d is not in this host's configuration", c);
	}
	if (k >= 0)
		k = check_owners(ws, s, &rep);
	if (k >= 0)
		k = check_reserved(ws, s, &rep);
	if (k < 0) {
		migration_report_done(&rep);
		return k;
	}
	*ret = rep;
	return 0;
}

struct json_object *migration_report_to_json(const struct migration_spec *s,
					     struct migration_report *rep)
{
	_cleanup_json_ struct json_object *o = json_object_new_object();
	struct json_object *r = json_object_new_object();

	if (!o || !r) {
		json_object_put(r);
		return NULL;
	}
	json_object_object_add(o, "version", json_object_new_int(MIGRATION_VERSION));
	json_object_object_add(o, "uuid", json_object_new_string(s->def.uuid));
	json_object_object_add(o, "guest", json_object_new_string(s->def.guest));
	json_object_object_add(o, "ok", json_object_new_boolean(rep->n_problems == 0));
	json_object_object_add(o, "prepared", json_object_new_boolean(rep->prepared));
	json_object_object_add(o, "n_problems", json_object_new_int64((int64_t)rep->n_problems));
	json_object_object_add(o, "problems", TAKE_PTR(rep->problems));
	json_object_object_add(o, "reserve", r);
	json_object_object_add(
		r, "kind",
		json_object_new_string(rep->reserve_kind == KIND_DOMAIN ? "domain" : "adapter"));
	json_object_object_add(r, "ids", mask_to_json(&rep->reserve));
	json_object_object_add(o, "host_reserved", TAKE_PTR(rep->host_reserved));
	json_object_object_add(o, "notes", TAKE_PTR(rep->notes));
	return TAKE_PTR(o);
}

int migration_validate(struct working *ws, struct migration_spec *s, sd_bus_error *err)
{
	struct migration_report rep;
	int k;

	k = migration_check(ws, s, &rep);
	if (k < 0)
		return k;
	if (rep.n_problems > 0) {
		k = sd_bus_error_setf(err, ERR_INCOMPATIBLE,
				      "migration of device %s refused: %zu problem%s: %s%s",
				      s->def.uuid, rep.n_problems, rep.n_problems == 1 ? "" : "s",
				      rep.summary ? rep.summary : "",
				      rep.n_problems > MIGRATION_MESSAGE_PROBLEMS ?
					      "; and more (CheckMigration lists them)" :
					      "");
		migration_report_done(&rep);
		return k;
	}
	s->reserved = rep.reserve;
	migration_report_done(&rep);
	return 0;
}
