// SPDX-License-Identifier: GPL-2.0
/*
 * vfio_ap core: the matrix-level ap_config_batch attribute.
 *
 * A write carries lines "<uuid> <apm>,<aqm>,<adm>" (masks as for
 * ap_config; empty lines are ignored). Each line replaces the whole matrix
 * of the named mdev. The lines are validated as a whole against the final
 * state, so an APQN may move from one mdev to another in one write. Any
 * error changes nothing: the write fails with the errno of the first
 * failing line, which is logged ("ap_config_batch: line N (uuid): error E")
 * and kept in vfio_ap_core.last_batch_error, which reading ap_config_batch
 * returns ("line N (uuid): error E", "none" before any failure; not
 * cleared by a write that succeeds). Errors: EINVAL bad syntax,
 * duplicate uuid or no line at all; ENOENT unknown uuid; ENODEV ids above
 * the maximum; EADDRNOTAVAIL reserved for the host; EADDRINUSE in another
 * mdev's final matrix; E2BIG a write of a page or more.
 *
 * sysfs hands a store at most PAGE_SIZE bytes of a write and the rest, if
 * any, in further stores, each of which would be a batch of its own. A
 * store of PAGE_SIZE bytes cannot tell a write of exactly a page from the
 * first page of a longer one, which may end inside a line (a cut mask is
 * still a valid mask), so it is refused: a batch is at most PAGE_SIZE - 1
 * bytes, and a longer write fails with E2BIG at its first page and changes
 * nothing. A larger batch is written as several writes, each ending at a
 * line boundary and each applied atomically on its own.
 *
 * guests_lock is held for the whole batch, so no guest comes or goes and
 * no other store, probe or remove interleaves. Guests are updated in
 * dependency order: a guest that takes an APQN waits until the guest that
 * gives it has had its update (after which the APQN was reset). Every
 * affected guest gets one APCB update; only when the remaining guests form
 * a cycle does one guest of the cycle get a first update that only removes
 * (its shadow intersected with its target), which breaks the cycle.
 *
 * Each affected guest gets one config-change notification for the batch,
 * after its last update: the removal-only step of a cycle signals nothing
 * (batch.quiet), its final update does, so the guest rescans its AP bus
 * once and finds the batch's result.
 */
#include <linux/bitmap.h>
#include <linux/errno.h>
#include <linux/kernel.h>
#include <linux/kvm_host.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/sysfs.h>
#include <linux/uuid.h>
#include "vfio_ap_internal.h"

static int parse_line(const char *s, size_t len, unsigned int line, struct vfio_ap_batch_error *err,
		      struct ap_matrix_mdev **ret_mdev)
{
	char uuid_str[UUID_STRING_LEN + 1];
	struct ap_matrix_mdev *m;
	size_t i = UUID_STRING_LEN;
	guid_t uuid;
	int ret;

	if (len < UUID_STRING_LEN)
		return -EINVAL;
	memcpy(uuid_str, s, UUID_STRING_LEN);
	uuid_str[UUID_STRING_LEN] = '\0';
	if (guid_parse(uuid_str, &uuid))
		return -EINVAL;
	memcpy(err->uuid, uuid_str, sizeof(err->uuid));
	if (i >= len || (s[i] != ' ' && s[i] != '\t'))
		return -EINVAL;
	while (i < len && (s[i] == ' ' || s[i] == '\t'))
		i++;
	m = vfio_ap_mdev_find(&uuid);
	if (!m)
		return -ENOENT;
	if (m->batch.named)
		return -EINVAL;
	ret = vfio_ap_parse_masks(s + i, len - i, &m->batch.matrix);
	if (ret)
		return ret;
	m->batch.named = true;
	m->batch.line = line;
	*ret_mdev = m;
	return 0;
}

/* Does @g (still) hold an APQN that @h is to get? */
static bool gives(const struct ap_matrix_mdev *g, const struct ap_matrix_mdev *h)
{
	return g != h && bitmap_intersects(g->shadow_apcb.apm, h->batch.target.apm, AP_DEVICES) &&
	       bitmap_intersects(g->shadow_apcb.aqm, h->batch.target.aqm, AP_DOMAINS);
}

/*
 * One APCB update of @m's guest to @target (NULL: the mdev's target,
 * filtered now, after the resets of the rounds before, so that a queue
 * whose reset failed is not passed on). The resets of the queues that
 * left are started; the caller waits for them after the round.
 */
static void update_guest_to(struct ap_matrix_mdev *m, const struct ap_matrix *target)
{
	struct kvm *kvm = m->kvm;

	vfio_ap_lock_kvm(kvm);
	vfio_ap_lock_mdevs();
	if (!target) {
		vfio_ap_filter(m, &m->batch.target);
		target = &m->batch.target;
	}
	vfio_ap_commit_shadow(m, target);
	vfio_ap_unlock_mdevs();
	vfio_ap_unlock_kvm(kvm);
}

static bool ready(struct ap_matrix_mdev **mdevs, unsigned int n, struct ap_matrix_mdev *h)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		if (!mdevs[i]->batch.done && gives(mdevs[i], h))
			return false;
	return true;
}

/* All undone guests wait for another: walk back along "gives" to a cycle. */
static struct ap_matrix_mdev *cycle_member(struct ap_matrix_mdev **mdevs, unsigned int n)
{
	struct ap_matrix_mdev *x = NULL;
	unsigned int i, steps;

	for (i = 0; i < n && !x; i++)
		if (!mdevs[i]->batch.done)
			x = mdevs[i];
	for (i = 0; i < n; i++)
		mdevs[i]->batch.seen = false;
	for (steps = 0; x && steps <= n; steps++) {
		if (x->batch.seen)
			return x;
		x->batch.seen = true;
		for (i = 0; i < n; i++) {
			if (!mdevs[i]->batch.done && gives(mdevs[i], x)) {
				x = mdevs[i];
				break;
			}
		}
	}
	return x;
}

/*
 * Called with guests_lock held, mdevs_lock not held. Rounds: every guest
 * that takes nothing another undone guest still holds gets its update;
 * then the resets of all queues that left in this round are waited for
 * together, with no kvm->lock held; then the next round. Returns 0, or
 * -EIO if the dependency walk failed (a bug: the matrices are committed,
 * the guests not updated are left as they were).
 */
static int apply_guest_updates(struct ap_matrix_mdev **mdevs, unsigned int n)
{
	unsigned int i, rounds, left = 0;

	for (i = 0; i < n; i++)
		if (!mdevs[i]->batch.done)
			left++;
	for (rounds = 0; left && rounds < 2 * n + 1; rounds++) {
		struct ap_matrix_mdev *c;
		struct ap_matrix step;
		bool any = false;

		for (i = 0; i < n; i++)
			mdevs[i]->batch.ready = !mdevs[i]->batch.done && ready(mdevs, n, mdevs[i]);
		for (i = 0; i < n; i++) {
			if (!mdevs[i]->batch.ready)
				continue;
			update_guest_to(mdevs[i], NULL);
			mdevs[i]->batch.done = true;
			left--;
			any = true;
		}
		if (!any) {
			c = cycle_member(mdevs, n);
			if (WARN_ON_ONCE(!c || c->batch.split))
				return -EIO;
			step = c->shadow_apcb;
			bitmap_and(step.apm, step.apm, c->batch.target.apm, AP_DEVICES);
			bitmap_and(step.aqm, step.aqm, c->batch.target.aqm, AP_DOMAINS);
			bitmap_and(step.adm, step.adm, c->batch.target.adm, AP_DOMAINS);
			/* Its signal waits for its final update (signal_owed). */
			c->batch.quiet = true;
			update_guest_to(c, &step);
			c->batch.quiet = false;
			c->batch.split = true;
		}
		vfio_ap_wait_resets();
	}
	return WARN_ON_ONCE(left) ? -EIO : 0;
}

static unsigned int count_lines(const char *buf, size_t count)
{
	unsigned int n = 1;
	size_t i;

	for (i = 0; i < count; i++)
		if (buf[i] == '\n')
			n++;
	return n;
}

static int validate(struct ap_matrix_mdev **mdevs, unsigned int n, struct vfio_ap_batch_error *err)
{
	unsigned int i;
	int ret;

	for (i = 0; i < n; i++) {
		struct ap_matrix *new = &mdevs[i]->batch.matrix;

		ret = vfio_ap_validate_max(new);
		if (!ret)
			ret = vfio_ap_validate_reserved(new->apm, new->aqm);
		if (!ret)
			ret = vfio_ap_validate_sharing(mdevs[i], new->apm, new->aqm, true);
		if (ret) {
			err->line = mdevs[i]->batch.line;
			memcpy(err->uuid, mdevs[i]->name, sizeof(err->uuid));
			return ret;
		}
	}
	return 0;
}

ssize_t vfio_ap_batch_store(const char *buf, size_t count)
{
	struct vfio_ap_batch_error err = { 0 };
	struct ap_matrix_mdev **mdevs;
	unsigned int n = 0, line = 0, i;
	size_t pos = 0, end;
	int ret = 0;

	if (count >= PAGE_SIZE) {
		err.error = -E2BIG;
		mutex_lock(&vfio_ap_core.guests_lock);
		vfio_ap_core.last_batch_error = err;
		mutex_unlock(&vfio_ap_core.guests_lock);
		pr_warn_ratelimited("vfio_ap: ap_config_batch: line 0 (-): error %d\n", -E2BIG);
		return -E2BIG;
	}

	mdevs = kcalloc(count_lines(buf, count), sizeof(*mdevs), GFP_KERNEL);
	if (!mdevs)
		return -ENOMEM;

	mutex_lock(&ap_perms_mutex);
	mutex_lock(&vfio_ap_core.guests_lock);
	mutex_lock(&vfio_ap_core.mdevs_lock);
	while (pos < count && !ret) {
		for (end = pos; end < count && buf[end] != '\n'; end++)
			;
		line++;
		if (end > pos) {
			err.uuid[0] = '\0';
			ret = parse_line(buf + pos, end - pos, line, &err, &mdevs[n]);
			if (ret)
				err.line = line;
			else
				n++;
		}
		pos = end + 1;
	}
	if (!ret && !n)
		ret = -EINVAL;
	if (!ret)
		ret = validate(mdevs, n, &err);
	if (ret) {
		err.error = ret;
		vfio_ap_core.last_batch_error = err;
		pr_warn_ratelimited("vfio_ap: ap_config_batch: line %u (%s): error %d\n", err.line,
				    err.uuid[0] ? err.uuid : "-", ret);
		mutex_unlock(&vfio_ap_core.mdevs_lock);
		goto out;
	}

	/* The matrices: guests_lock and mdevs_lock; kvm->locks come later, one by one. */
	lockdep_assert_held(&vfio_ap_core.guests_lock);
	lockdep_assert_held(&vfio_ap_core.mdevs_lock);
	for (i = 0; i < n; i++) {
		struct ap_matrix_mdev *m = mdevs[i];

		vfio_ap_matrix_copy_masks(&m->matrix, &m->batch.matrix);
		vfio_ap_filter(m, &m->batch.target);
		m->batch.split = false;
		m->batch.done = !m->kvm;
		if (!m->kvm)
			vfio_ap_commit_shadow(m, &m->batch.target);
		else if (vfio_ap_matrix_equal(&m->shadow_apcb, &m->batch.target))
			m->batch.done = true;
	}
	mutex_unlock(&vfio_ap_core.mdevs_lock);
	vfio_ap_wait_resets();
	ret = apply_guest_updates(mdevs, n);
	/* A cycle step whose final update plugged nothing new still tells the guest. */
	mutex_lock(&vfio_ap_core.mdevs_lock);
	for (i = 0; i < n; i++)
		if (mdevs[i]->batch.signal_owed && mdevs[i]->kvm)
			vfio_ap_signal_cfg_changed(mdevs[i]);
	mutex_unlock(&vfio_ap_core.mdevs_lock);
	if (ret) {
		err.line = 0;
		err.uuid[0] = '\0';
		err.error = ret;
		vfio_ap_core.last_batch_error = err;
		pr_warn_ratelimited("vfio_ap: ap_config_batch: guests not updated: error %d\n",
				    ret);
	} else {
		ret = count;
	}
out:
	for (i = 0; i < n; i++)
		mdevs[i]->batch.named = false;
	vfio_ap_guests_unlock();
	mutex_unlock(&ap_perms_mutex);
	kfree(mdevs);
	return ret;
}

void vfio_ap_batch_last_error(struct vfio_ap_batch_error *ret_err)
{
	mutex_lock(&vfio_ap_core.guests_lock);
	*ret_err = vfio_ap_core.last_batch_error;
	mutex_unlock(&vfio_ap_core.guests_lock);
}

/*
 * Reading ap_config_batch: where the last failed write failed, in the words
 * of its log line. guests_lock orders it after a batch in progress.
 */
ssize_t vfio_ap_batch_show(char *buf)
{
	struct vfio_ap_batch_error err;

	vfio_ap_batch_last_error(&err);
	if (!err.error)
		return sysfs_emit(buf, "none\n");
	return sysfs_emit(buf, "line %u (%s): error %d\n", err.line, err.uuid[0] ? err.uuid : "-",
			  err.error);
}
