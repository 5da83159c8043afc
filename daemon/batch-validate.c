// SPDX-License-Identifier: GPL-2.0-or-later
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "apm-limits.h"
#include "batch-validate.h"
#include "foreign.h"
#include "log.h"
#include "manager.h"
#include "migration.h"
#include "reservation.h"
#include "request-errors.h"

static void first_common(const ap_matrix *a, const ap_matrix *b, char buf[static APQN_STR_MAX])
{
	ap_mask x, y;

	ap_mask_and(&x, &a->apm, &b->apm);
	ap_mask_and(&y, &a->aqm, &b->aqm);
	apqn_to_string((apqn){ (uint8_t)ap_mask_next(&x, 0), (uint8_t)ap_mask_next(&y, 0) }, buf);
}

/*
 * What a want holds against others: its live matrix when active, its
 * definition when it will be started automatically.
 */
static bool claims(const struct want *w, int k, ap_matrix *ret)
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

/* A foreign mdev as the batch has it so far: there, and not defined. */
static bool want_foreign(const struct want *w)
{
	return w->active && !w->defined;
}

/* Sharing and reservation rules for one want after a change. */
static int check_want(struct working *ws, const struct want *self, sd_bus_error *err)
{
	char q[APQN_STR_MAX];
	const char *why;
	apqn kept;

	/* A manual definition too: it is started as it is. */
	if (self->defined && !ap_mask_is_empty(&self->def.m.adm) &&
	    ap_mask_is_empty(&self->def.m.aqm))
		return sd_bus_error_setf(
			err, SD_BUS_ERROR_INVALID_ARGS,
			"device %s: control domains need at least one usage domain", self->uuid);
	for (int k = 0; k < 2; k++) {
		ap_matrix mine;

		if (!claims(self, k, &mine))
			continue;
		if (!ap_mask_is_empty(&mine.adm) && ap_mask_is_empty(&mine.aqm))
			return sd_bus_error_setf(err, SD_BUS_ERROR_INVALID_ARGS,
						 "device %s: control domains need at least one "
						 "usage domain",
						 self->uuid);
		if (reservation_first_kept(ws->m->host, &ws->apmask, &ws->aqmask, &mine, &kept,
					   &why))
			return sd_bus_error_setf(err, ERR_RESERVED, "APQN %s %s",
						 apqn_to_string(kept, q), why);
		for (size_t i = 0; i < ws->n; i++) {
			const struct want *o = &ws->w[i];

			if (o == self)
				continue;
			for (int j = 0; j < 2; j++) {
				ap_matrix theirs;

				if (!claims(o, j, &theirs) ||
				    !matrix_apqns_intersect(&mine, &theirs))
					continue;
				first_common(&mine, &theirs, q);
				if (want_foreign(o)) {
					char who[PATH_MAX + 256];

					return sd_bus_error_setf(
						err, ERR_IN_USE,
						"APQN %s is already assigned to %s", q,
						foreign_describe(ws->m, o->uuid, o->dev, who,
								 sizeof(who)));
				}
				return sd_bus_error_setf(
					err, ERR_IN_USE,
					"APQN %s is already assigned to device %s%s%s%s", q,
					o->uuid, o->def.guest[0] ? " (guest " : "", o->def.guest,
					o->def.guest[0] ? ")" : "");
			}
		}
	}
	if (self->defined && self->def.guest[0])
		for (size_t i = 0; i < ws->n; i++) {
			const struct want *o = &ws->w[i];

			if (o != self && o->defined && strcmp(o->def.guest, self->def.guest) == 0)
				return sd_bus_error_setf(err, ERR_IN_USE,
							 "guest %s already has device %s",
							 self->def.guest, o->uuid);
		}
	return 0;
}

/*
 * A definition (also a manual one, which otherwise may overlap) must not
 * take APQNs a foreign mdev holds for a running guest: apmatrixd never
 * changes that mdev, so the definition could not be started while it runs.
 */
static int check_foreign_guests(struct working *ws, const struct want *self, sd_bus_error *err)
{
	char q[APQN_STR_MAX], who[PATH_MAX + 256];

	if (!self->defined)
		return 0;
	for (size_t i = 0; i < ws->n; i++) {
		const struct want *o = &ws->w[i];

		if (o == self || !want_foreign(o) || !o->dev ||
		    !matrix_apqns_intersect(&self->def.m, &o->live))
			continue;
		/* vfio_ap sends no event when a guest attaches: look now. */
		(void)manager_refresh_device_attached(ws->m, o->dev);
		if (!device_in_use(o->dev))
			continue;
		first_common(&self->def.m, &o->live, q);
		return sd_bus_error_setf(
			err, ERR_IN_USE,
			"device %s: APQN %s is in use by %s; apmatrixd does not "
			"change it (adopt it, or stop its guest first)",
			self->uuid, q, foreign_describe(ws->m, o->uuid, o->dev, who, sizeof(who)));
	}
	return 0;
}

/* Release: refused while a claim holds an APQN it gives back to the host. */
static int check_release(struct working *ws, const struct request *r, sd_bus_error *err)
{
	/*
	 * Refused while a device holds (active, or autostart) one of the
	 * APQNs this call gives back: those of the released ids crossed
	 * with the other mask as it will be.
	 */
	for (size_t i = 0; i < ws->n; i++) {
		struct want *o = &ws->w[i];

		for (int j = 0; j < 2; j++) {
			ap_matrix held, back;
			char q[APQN_STR_MAX];

			if (!claims(o, j, &held))
				continue;
			if (r->kind == KIND_ADAPTER)
				back = (ap_matrix){ .apm = r->ids, .aqm = ws->aqmask };
			else
				back = (ap_matrix){ .apm = ws->apmask, .aqm = r->ids };
			if (!matrix_apqns_intersect(&held, &back))
				continue;
			first_common(&held, &back, q);
			return sd_bus_error_setf(err, ERR_IN_USE,
						 "APQN %s is assigned to device %s; unassign it "
						 "before giving it back to the host",
						 q, o->uuid);
		}
	}
	return 0;
}

/*
 * What a request needs of its device before it may change it; NEED_SE_KEPT
 * is checked after the change, on what it leaves the guest.
 */
enum request_need {
	NEED_DEFINED = 1 << 0,
	NEED_MATRIX = 1 << 1,
	NEED_IDLE = 1 << 2,
	NEED_SE_KEPT = 1 << 3,
};

static int need_defined(struct working *ws, struct want *w, sd_bus_error *err)
{
	if (w->defined)
		return 0;
	return sd_bus_error_setf(err, ERR_NO_SUCH_DEVICE, "device %s is not defined", w->uuid);
}

static int need_matrix(struct working *ws, struct want *w, sd_bus_error *err)
{
	if (ws->m->host->matrix_present)
		return 0;
	return sd_bus_error_setf(err, ERR_BUSY, "the vfio_ap matrix device is not present");
}

static bool want_in_use(const struct want *w)
{
	return w->dev && device_in_use(w->dev);
}

static int need_idle(struct working *ws, struct want *w, sd_bus_error *err)
{
	/* The guest may have gone without a uevent: look before refusing. */
	if (want_in_use(w))
		(void)manager_refresh_device_attached(ws->m, w->dev);
	if (!want_in_use(w))
		return 0;
	return sd_bus_error_setf(err, ERR_BUSY, "device %s is in use by a guest", w->uuid);
}

/*
 * A guest holding the device keeps every Secure Execution bound or
 * associated queue it has, unless the request is forced: the APQNs of the
 * live matrix before the request (now) that it leaves out after.
 * se_bind/se_associate send no uevent: the queues lost are read again.
 */
static int need_se_kept(struct working *ws, struct want *w, const ap_matrix *now,
			const struct request *r, sd_bus_error *err)
{
	const ap_matrix none = { 0 };
	const ap_matrix *after = w->active ? &w->live : &none;

	if ((r->flags & REQUEST_FLAG_FORCE) || !w->dev || !w->dev->active)
		return 0;
	AP_MASK_FOREACH(a, &now->apm) {
		AP_MASK_FOREACH(d, &now->aqm) {
			apqn qn = { (uint8_t)a, (uint8_t)d };
			struct host_queue *q;
			char s[APQN_STR_MAX];
			const char *g;

			if (ap_mask_test(&after->apm, a) && ap_mask_test(&after->aqm, d))
				continue;
			q = host_find_queue(ws->m->host, qn);
			if (!q || strcmp(q->driver, "vfio_ap") != 0)
				continue;
			host_queue_read_se((unsigned int)a, q);
			if (!host_queue_se_bound(q))
				continue;
			/* Guests come and go without a uevent: look before deciding. */
			(void)manager_refresh_device_attached(ws->m, w->dev);
			if (!want_in_use(w))
				return 0;
			apqn_to_string(qn, s);
			g = device_guest(w->dev);
			return sd_bus_error_setf(
				err, ERR_SECURE_EXECUTION,
				"APQN %s is Secure Execution %s in guest %s (device %s); "
				"set the force flag (bit 1) to take it away all the same",
				s,
				strncmp(q->se_associate, "associated", strlen("associated")) == 0 ?
					q->se_associate :
					"bound",
				g[0] ? g : "(unnamed)", w->uuid);
		}
	}
	return 0;
}

/* In this order. */
static const struct {
	enum request_need need;
	int (*check)(struct working *ws, struct want *w, sd_bus_error *err);
} need_checks[] = {
	{ NEED_DEFINED, need_defined },
	{ NEED_MATRIX, need_matrix },
	{ NEED_IDLE, need_idle },
};

static bool active_undefined(const struct want *w)
{
	return w->active && !w->defined;
}

static bool inactive(const struct want *w)
{
	return !w->active;
}

static void change_define(struct working *ws, struct want *w, const struct request *r, size_t i)
{
	w->defined = true;
	w->def = r->def;
	if (w->active)
		w->live = w->def.m;
}

static void change_undefine(struct working *ws, struct want *w, const struct request *r, size_t i)
{
	w->defined = false;
}

static void change_start(struct working *ws, struct want *w, const struct request *r, size_t i)
{
	w->active = true;
	w->live = w->def.m;
}

static void change_stop(struct working *ws, struct want *w, const struct request *r, size_t i)
{
	w->active = false;
}

/* Adopt: the matrix the mdev has becomes its definition; the kernel is not touched. */
static void change_adopt(struct working *ws, struct want *w, const struct request *r, size_t i)
{
	w->defined = true;
	w->def = (struct definition){ .m = w->live };
	snprintf(w->def.uuid, sizeof(w->def.uuid), "%s", w->uuid);
}

static bool defined(const struct want *w)
{
	return w->defined;
}

static ap_mask *kind_mask(ap_matrix *m, enum id_kind k)
{
	return k == KIND_ADAPTER ? &m->apm : k == KIND_DOMAIN ? &m->aqm : &m->adm;
}

/* Assign and Unassign: the definition and, when active, the live matrix. */
static void change_ids(struct working *ws, struct want *w, const struct request *r, size_t i)
{
	for (int which = 0; which < 2; which++) {
		ap_matrix *mm = which == 0 ? &w->def.m : &w->live;
		ap_mask *mask = kind_mask(mm, r->kind);

		if ((which == 0 && !w->defined) || (which == 1 && !w->active))
			continue;
		if (r->type == REQ_ASSIGN)
			ap_mask_or(mask, mask, &r->ids);
		else
			ap_mask_andnot(mask, mask, &r->ids);
	}
	/* A defined active device follows its definition. */
	if (w->defined && w->active)
		w->live = w->def.m;
}

static void change_apply(struct working *ws, struct want *w, const struct request *r, size_t i)
{
	if (w->defined)
		w->def.m = r->entries[i].m;
	if (w->active)
		w->live = r->entries[i].m;
}

static ap_mask *host_mask(struct working *ws, enum id_kind k)
{
	return k == KIND_ADAPTER ? &ws->apmask : &ws->aqmask;
}

static void change_reserve(struct working *ws, struct want *w, const struct request *r, size_t i)
{
	ap_mask_andnot(host_mask(ws, r->kind), host_mask(ws, r->kind), &r->ids);
}

static void change_release(struct working *ws, struct want *w, const struct request *r, size_t i)
{
	ap_mask_or(host_mask(ws, r->kind), host_mask(ws, r->kind), &r->ids);
}

/*
 * PrepareMigration: the definition of the export (unless the same one is
 * there), and the host's hold on its APQNs given up for vfio_ap, as Reserve
 * does (the ids the check chose, r->mig->reserved).
 */
static void change_prepare(struct working *ws, struct want *w, const struct request *r, size_t i)
{
	struct migration_spec *s = r->mig;

	s->changed = !w->defined || (!w->def.guest[0] && r->def.guest[0]);
	if (!w->defined) {
		w->defined = true;
		w->def = r->def;
	} else if (!w->def.guest[0])
		snprintf(w->def.guest, sizeof(w->def.guest), "%s", r->def.guest);
	ap_mask_andnot(host_mask(ws, s->reserve), host_mask(ws, s->reserve), &s->reserved);
}

/* A host that mixes both ways of reserving queues gets no reservation changes. */
static int check_reservation_mode(struct working *ws, const struct request *r, sd_bus_error *err)
{
	char why[256];

	if (ws->m->host->reservation != RESERVATION_MIXED)
		return 0;
	return sd_bus_error_setf(err, ERR_MIXED_RESERVATION, "%s refused: %s",
				 request_type_to_string(r->type),
				 reservation_describe_mixed(ws->m->host, why, sizeof(why)));
}

static int check_migration(struct working *ws, const struct request *r, sd_bus_error *err)
{
	int k = check_reservation_mode(ws, r, err);

	return k < 0 ? k : migration_validate(ws, r->mig, err);
}

/* Which devices a request names. */
enum request_target {
	TARGET_HOST, /* none: the AP bus masks */
	TARGET_DEVICE, /* r->uuid, which must exist */
	TARGET_DEFINITION, /* r->def.uuid, created when there is none */
	TARGET_ENTRIES, /* each r->entries[].uuid, which must exist */
};

struct request_rule {
	enum request_target target;
	/* Before anything: a check of the request against the working copy as it is. */
	int (*check_first)(struct working *ws, const struct request *r, sd_bus_error *err);
	/* Already so (one device only): accepted, nothing changes. NULL: never. */
	bool (*already)(const struct want *w);
	unsigned int needs; /* enum request_need */
	/* The change, on the device's want (entry i) or, for TARGET_HOST (w NULL), the masks. */
	void (*change)(struct working *ws, struct want *w, const struct request *r, size_t i);
	/* Then the sharing and reservation rules on every device changed. */
	bool check_claims;
	/* Then a rule of the host's masks. */
	int (*check_host)(struct working *ws, const struct request *r, sd_bus_error *err);
	/* Takes a foreign device (every other rule refuses one with .Foreign). */
	bool adopts;
	/* The definition may grow: not onto a foreign mdev a guest holds. */
	bool check_foreign_guests;
};

static const struct request_rule request_rules[] = {
	[REQ_DEFINE] = { .target = TARGET_DEFINITION,
			 .needs = NEED_SE_KEPT,
			 .change = change_define,
			 .check_claims = true,
			 .check_foreign_guests = true },
	[REQ_UNDEFINE] = { .target = TARGET_DEVICE,
			   .needs = NEED_DEFINED,
			   .change = change_undefine },
	[REQ_START] = { .target = TARGET_DEVICE,
			.already = active_undefined,
			.needs = NEED_MATRIX,
			.change = change_start,
			.check_claims = true },
	[REQ_STOP] = { .target = TARGET_DEVICE,
		       .already = inactive,
		       .needs = NEED_IDLE,
		       .change = change_stop },
	[REQ_ASSIGN] = { .target = TARGET_DEVICE,
			 .change = change_ids,
			 .check_claims = true,
			 .check_foreign_guests = true },
	[REQ_UNASSIGN] = { .target = TARGET_DEVICE,
			   .needs = NEED_SE_KEPT,
			   .change = change_ids,
			   .check_claims = true },
	[REQ_APPLY] = { .target = TARGET_ENTRIES,
			.needs = NEED_SE_KEPT,
			.change = change_apply,
			.check_claims = true,
			.check_foreign_guests = true },
	[REQ_RESERVE] = { .target = TARGET_HOST,
			  .check_first = check_reservation_mode,
			  .change = change_reserve },
	[REQ_RELEASE] = { .target = TARGET_HOST,
			  .check_first = check_reservation_mode,
			  .change = change_release,
			  .check_host = check_release },
	[REQ_PREPARE_MIGRATION] = { .target = TARGET_DEFINITION,
				    .check_first = check_migration,
				    .change = change_prepare,
				    .check_claims = true,
				    .check_foreign_guests = true },
	[REQ_ADOPT] = { .target = TARGET_DEVICE,
			.already = defined,
			.adopts = true,
			.change = change_adopt,
			.check_claims = true },
};

static const char *target_uuid(const struct request_rule *rule, const struct request *r, size_t i)
{
	return rule->target == TARGET_ENTRIES	 ? r->entries[i].uuid :
	       rule->target == TARGET_DEFINITION ? r->def.uuid :
						   r->uuid;
}

/*
 * The want of the device r names (entry i): 0, 1 when it is one this request
 * created or logged already, or a negative errno with err set.
 */
static int find_target(struct working *ws, const struct request_rule *rule, const struct request *r,
		       size_t i, struct want **ret, sd_bus_error *err)
{
	const char *uuid = target_uuid(rule, r, i);
	struct want *w = working_find(ws, uuid);

	if (w) {
		*ret = w;
		return 0;
	}
	if (rule->target != TARGET_DEFINITION) {
		sd_bus_error_setf(err, ERR_NO_SUCH_DEVICE, "no device %s", uuid);
		return -ENOENT;
	}
	if (ws->n >= APM_LIMIT_DEVICES)
		return sd_bus_error_setf(err, APM_ERROR_LIMIT_EXCEEDED,
					 "devices: %zu devices, over the limit Devices=%d",
					 ws->n + 1, APM_LIMIT_DEVICES);
	w = working_append(ws, uuid);
	if (!w)
		return -ENOMEM;
	*ret = w;
	return 1;
}

static int check_needs(struct working *ws, struct want *w, unsigned int needs, sd_bus_error *err)
{
	for (size_t n = 0; n < ELEMENTSOF(need_checks); n++) {
		int k;

		if (!(needs & need_checks[n].need))
			continue;
		k = need_checks[n].check(ws, w, err);
		if (k < 0)
			return k;
	}
	return 0;
}

static int validate_rule(struct working *ws, const struct request_rule *rule,
			 const struct request *r, sd_bus_error *err)
{
	size_t n = rule->target == TARGET_ENTRIES ? r->n_entries : 1;
	struct want *w = NULL;
	ap_matrix before;
	int k;

	if (rule->check_first) {
		k = rule->check_first(ws, r, err);
		if (k < 0)
			return k;
	}
	if (rule->target == TARGET_HOST) {
		rule->change(ws, NULL, r, 0);
		return rule->check_host ? rule->check_host(ws, r, err) : 0;
	}
	for (size_t i = 0; i < n; i++) {
		int logged = find_target(ws, rule, r, i, &w, err);

		if (logged < 0)
			return logged;
		if (!rule->adopts && want_foreign(w)) {
			char who[PATH_MAX + 256];

			return sd_bus_error_setf(
				err, ERR_FOREIGN,
				"%s of %s refused: apmatrixd changes only its own "
				"devices; adopt it first (apctl adopt %s)",
				request_type_to_string(r->type),
				foreign_describe(ws->m, w->uuid, w->dev, who, sizeof(who)),
				w->uuid);
		}
		if (rule->already && rule->already(w))
			return 0;
		k = check_needs(ws, w, rule->needs, err);
		if (k < 0)
			return k;
		if (!logged) {
			k = working_touch(ws, w);
			if (k < 0)
				return k;
		}
		before = w->active ? w->live : (ap_matrix){ 0 };
		rule->change(ws, w, r, i);
		if (rule->needs & NEED_SE_KEPT) {
			k = need_se_kept(ws, w, &before, r, err);
			if (k < 0)
				return k;
		}
	}
	for (size_t i = 0; rule->check_claims && i < n; i++) {
		const struct want *c =
			rule->target == TARGET_ENTRIES ? working_find(ws, r->entries[i].uuid) : w;

		k = check_want(ws, c, err);
		if (k >= 0 && rule->check_foreign_guests)
			k = check_foreign_guests(ws, c, err);
		if (k < 0)
			return k;
	}
	return 0;
}

int batch_validate(struct working *ws, const struct request *r, sd_bus_error *err)
{
	const struct request_rule *rule =
		(size_t)r->type < ELEMENTSOF(request_rules) ? &request_rules[r->type] : NULL;
	int k;

	working_begin(ws);
	if (!rule || !rule->change)
		return -EINVAL;
	k = validate_rule(ws, rule, r, err);
	if (k < 0)
		working_undo(ws);
	return k;
}

int request_validate_one(Manager *m, const struct request *r, sd_bus_error *error)
{
	struct working ws;
	int k;

	k = working_init(&ws, m);
	if (k < 0)
		return k;
	k = batch_validate(&ws, r, error);
	if (k < 0 && !sd_bus_error_is_set(error))
		sd_bus_error_set_errno(error, k);
	working_done(&ws);
	return k;
}
