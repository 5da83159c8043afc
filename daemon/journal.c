// SPDX-License-Identifier: GPL-2.0-or-later
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "apply.h"
#include "crash-point.h"
#include "domain-xml.h"
#include "journal-parse.h"
#include "journal.h"
#include "log.h"
#include "manager.h"

/* The journal recovery at start waits this long for the AP lock at most. */
#define JOURNAL_LOCK_WAIT_MAX_USEC (5ULL * 1000000)

static uint64_t now_usec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

/* "" when the kernel does not say (then every journal counts as of this boot). */
static void boot_id(char ret[static BOOT_ID_LEN + 1])
{
	_cleanup_close_ int fd = open("/proc/sys/kernel/random/boot_id", O_RDONLY | O_CLOEXEC);
	ssize_t n = fd >= 0 ? read(fd, ret, BOOT_ID_LEN) : -1;

	ret[n == BOOT_ID_LEN ? BOOT_ID_LEN : 0] = '\0';
}

struct json_object *journal_new(uint64_t batch, const struct plan_input *in,
				const struct definition *const *before,
				const struct definition *const *after)
{
	struct json_object *j = json_object_new_object(), *a = json_object_new_array();
	char id[BOOT_ID_LEN + 1];

	boot_id(id);
	json_object_object_add(j, "version", json_object_new_int(STORE_FORMAT_VERSION));
	json_object_object_add(j, "batch", json_object_new_int64((int64_t)batch));
	json_object_object_add(j, "boot_id", json_object_new_string(id));
	json_object_object_add(j, "apmask_before", mask_to_json(&in->apmask));
	json_object_object_add(j, "aqmask_before", mask_to_json(&in->aqmask));
	json_object_object_add(j, "apmask_after", mask_to_json(&in->apmask_want));
	json_object_object_add(j, "aqmask_after", mask_to_json(&in->aqmask_want));
	for (size_t i = 0; i < in->n_items; i++) {
		const struct plan_item *it = &in->items[i];
		struct json_object *o = json_object_new_object();

		json_object_object_add(o, "uuid", json_object_new_string(it->uuid));
		json_object_object_add(o, "before_exists", json_object_new_boolean(it->cur_exists));
		json_object_object_add(o, "before", matrix_to_json(&it->cur));
		json_object_object_add(o, "after_exists", json_object_new_boolean(it->want_exists));
		json_object_object_add(o, "after", matrix_to_json(&it->want));
		json_object_object_add(o, "definition_before",
				       before[i] ? definition_to_json(before[i]) : NULL);
		json_object_object_add(o, "definition",
				       after[i] ? definition_to_json(after[i]) : NULL);
		json_object_array_add(a, o);
	}
	json_object_object_add(j, "items", a);
	return j;
}

/* Whether the definitions on disk are those after the batch: it got past its commit point. */
static bool definitions_committed(Manager *m, const struct journal *jn)
{
	for (size_t i = 0; i < jn->n; i++) {
		const struct side *a = &jn->items[i].after;
		struct definition d;
		int r = store_read_definition(m->store, jn->items[i].uuid, &d);

		if (r == -ENOENT ? a->defined :
				   r < 0 || !a->defined || !definition_equal(&d, &a->def))
			return false;
	}
	return true;
}

/*
 * The first journal format was removed before the definitions were saved and
 * holds no definition_before: it is finished when the kernel has its result.
 */
static bool kernel_has_result(Manager *m, const struct journal *jn)
{
	for (size_t i = 0; i < jn->n; i++) {
		const struct side *a = &jn->items[i].after;
		const struct host_mdev *md = host_find_mdev(m->host, jn->items[i].uuid);

		if ((md != NULL) != a->exists || (md && !ap_matrix_equal(&md->m, &a->m)))
			return false;
	}
	return true;
}

/* Make the definitions on disk those of one side (only the files that differ). */
static int settle_definitions(Manager *m, const struct journal *jn, int side)
{
	_cleanup_free_ const struct definition **save = calloc(jn->n ? jn->n : 1, sizeof(*save));
	_cleanup_free_ const char **drop = calloc(jn->n ? jn->n : 1, sizeof(*drop));
	size_t n_save = 0, n_drop = 0;

	if (!save || !drop)
		return -ENOMEM;
	for (size_t i = 0; i < jn->n; i++) {
		const struct side *s = side ? &jn->items[i].after : &jn->items[i].before;
		struct definition d;
		int r = store_read_definition(m->store, jn->items[i].uuid, &d);

		if (!s->def_known)
			continue;
		if (s->defined && (r < 0 || !definition_equal(&d, &s->def)))
			save[n_save++] = &s->def;
		else if (!s->defined && r != -ENOENT)
			drop[n_drop++] = jn->items[i].uuid;
	}
	return store_save_many(m->store, save, n_save, drop, n_drop);
}

/* Make the kernel one side: from what the last scan saw, with single-id writes. */
static int settle_kernel(Manager *m, const struct journal *jn, int side, char **ret_msg,
			 bool *ret_transient)
{
	_cleanup_free_ struct plan_item *pi = calloc(jn->n ? jn->n : 1, sizeof(*pi));
	_cleanup_(plan_freep) struct plan *p = NULL;
	struct apply_outcome o = { 0 };
	struct plan_input in;
	int r;

	if (!pi)
		return -ENOMEM;
	for (size_t i = 0; i < jn->n; i++) {
		const struct side *s = side ? &jn->items[i].after : &jn->items[i].before;
		const struct host_mdev *md = host_find_mdev(m->host, jn->items[i].uuid);

		snprintf(pi[i].uuid, sizeof(pi[i].uuid), "%s", jn->items[i].uuid);
		pi[i].cur_exists = md != NULL;
		pi[i].cur = md ? md->m : (ap_matrix){ 0 };
		pi[i].want_exists = s->exists;
		pi[i].want = s->exists ? s->m : (ap_matrix){ 0 };
	}
	in = (struct plan_input){ .iface = WRITE_SINGLE,
				  .apmask = m->host->apmask,
				  .aqmask = m->host->aqmask,
				  .apmask_want = jn->apmask[side],
				  .aqmask_want = jn->aqmask[side],
				  .items = pi,
				  .n_items = jn->n };
	r = plan_compute(&in, &p);
	if (r >= 0 && p->n_writes > 0) {
		/*
		 * Under a batch's lock, or taking it: at start (before READY=1) waiting
		 * up to 5 s at most, later one attempt; a busy lock leaves the journal
		 * pending for the health check to settle.
		 */
		uint64_t wait = m->ready ? 0 :
				m->config.lock_timeout_usec < JOURNAL_LOCK_WAIT_MAX_USEC ?
					   m->config.lock_timeout_usec :
					   JOURNAL_LOCK_WAIT_MAX_USEC;

		r = apply_run(m->lock_held ? NULL : m->config.lock_path, wait, NULL, m->host, &in,
			      p, NULL, &o);
		/* The host cache and the devices follow at once: a batch may plan from them next. */
		for (size_t i = 0; o.read_back && i < jn->n; i++) {
			struct host_mdev md = { .m = o.readback[i], .guest = o.guest[i] };
			Device *d = manager_find_device(m, jn->items[i].uuid);

			(void)host_put_mdev(m->host, jn->items[i].uuid, o.exists[i] ? &md : NULL);
			if (d) {
				d->active = o.exists[i];
				d->kern = o.exists[i] ? o.readback[i] : (ap_matrix){ 0 };
			}
		}
		if (o.read_back) {
			m->host->apmask = o.apmask;
			m->host->aqmask = o.aqmask;
			if (m->host->reservation == RESERVATION_DRIVER_OVERRIDE)
				host_refresh_overrides(m->host);
		}
		if (r < 0) {
			free(*ret_msg);
			*ret_msg = o.message ? strdup(o.message) : NULL;
			/* No write was refused: the AP lock was busy; worth another try. */
			*ret_transient = !o.failed_attr && !o.read_back;
		}
	}
	apply_outcome_done(&o);
	if (r >= 0)
		crash_point("recovery-after-kernel");
	return r;
}

/* The devices in memory follow the side that was settled. */
static void settle_devices(Manager *m, const struct journal *jn, int side)
{
	for (size_t i = 0; i < jn->n; i++) {
		const struct side *s = side ? &jn->items[i].after : &jn->items[i].before;
		Device *d = manager_find_device(m, jn->items[i].uuid);

		if (!s->def_known || (!d && !s->defined))
			continue;
		if (!d && manager_add_device(m, jn->items[i].uuid, &d) < 0) {
			log_oom();
			continue;
		}
		d->defined = s->defined;
		if (s->defined)
			d->def = s->def;
	}
}

static void set_recovery(Manager *m, const char *fmt, ...) _printf_(2, 3);
static void set_recovery(Manager *m, const char *fmt, ...)
{
	va_list ap;
	char *s = NULL;

	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0)
		s = NULL;
	va_end(ap);
	free(m->recovery);
	m->recovery = s;
}

int manager_settle_journal(Manager *m, bool prefer_back)
{
	_cleanup_json_ struct json_object *j = NULL;
	_cleanup_free_ char *kmsg = NULL;
	struct journal jn = { 0 };
	bool transient = false;
	uint64_t t0 = now_usec();
	int side, r;

	r = store_journal_read(m->store, &j);
	if (r == -ENOENT) {
		m->journal_pending = false;
		return 0;
	}
	if (r >= 0) {
		char id[BOOT_ID_LEN + 1];

		boot_id(id);
		r = journal_parse(j, id, &m->host->apmask, &m->host->aqmask, &jn);
	}
	if (r < 0) {
		/* Written atomically, so never torn: this is not ours to guess at. */
		log_error_errno(r, "Unreadable journal in %s; left for inspection",
				m->config.state_dir);
		set_recovery(m, "journal unreadable: %s", strerror(-r));
		m->journal_pending = false;
		return 0;
	}
	if (prefer_back)
		side = 0;
	else if (jn.legacy)
		side = kernel_has_result(m, &jn) ? 1 : 0;
	else
		side = definitions_committed(m, &jn) ? 1 : 0;
	for (;;) {
		r = settle_definitions(m, &jn, side);
		if (r < 0)
			break;
		r = jn.same_boot ? settle_kernel(m, &jn, side, &kmsg, &transient) : 0;
		if (r >= 0 || side == 0 || transient)
			break;
		log_warning("Rolling the interrupted batch forward failed (%s); rolling it back",
			    kmsg ? kmsg : strerror(-r));
		side = 0;
	}
	if (r < 0 && transient) {
		set_recovery(m, "pending: %s", kmsg ? kmsg : strerror(-r));
		log_error_errno(r, "Journal of an interrupted batch not settled yet (%s); retrying",
				m->recovery);
		m->journal_pending = true;
		free(jn.items);
		return r;
	}
	if (r < 0 && m->store->error) {
		set_recovery(m, "pending: %s: %s", m->store->error_path, strerror(-r));
		log_error_errno(r, "Journal of an interrupted batch not settled yet (%s); retrying",
				m->store->error_path);
		m->journal_pending = true;
		free(jn.items);
		return r;
	}
	/*
	 * The kernel refusing its own earlier state is beyond repair here: the
	 * difference stays visible as drift, the journal is not kept forever.
	 */
	if (r < 0)
		log_error_errno(r, "Rolling back the interrupted batch failed: %s",
				kmsg ? kmsg : "planning");
	settle_devices(m, &jn, side);
	r = store_journal_clear(m->store);
	if (r < 0) {
		set_recovery(m, "pending: %s: %s", m->store->error_path, strerror(-r));
		m->journal_pending = true;
		free(jn.items);
		return r;
	}
	m->journal_pending = false;
	set_recovery(m, "%s%s", side ? "rolled forward" : "rolled back",
		     jn.same_boot ? "" : " (definitions only: journal of an earlier boot)");
	log_notice("Journal of an interrupted batch found: %s, %zu devices, in %" PRIu64 " us",
		   m->recovery, jn.n, now_usec() - t0);
	free(jn.items);
	/* Not now: a batch may be holding pointers to the devices a rescan drops. */
	manager_schedule_rescan(m);
	return 1;
}
