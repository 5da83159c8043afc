// SPDX-License-Identifier: GPL-2.0-or-later
#include <errno.h>
#include <inttypes.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "apply.h"
#include "crash-point.h"
#include "log.h"
#include "sysfs-format.h"
#include "sysfs.h"

static uint64_t now_usec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

static pid_t lock_owner(const char *path)
{
	char buf[32];
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	return (pid_t)strtol(buf, NULL, 10);
}

/*
 * Whether pid can still hold the lock. A zombie cannot: a holder killed a
 * moment ago stays one until its parent reaps it, and waiting for that would
 * make a restart after a crash fail on its own lock.
 */
static bool pid_alive(pid_t pid)
{
	char path[64], buf[256];
	const char *state;
	ssize_t n;
	int fd;

	if (kill(pid, 0) < 0 && errno == ESRCH)
		return false;
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return true;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return true;
	buf[n] = '\0';
	/* "pid (comm) S ...": comm may hold anything, the state follows the last ')'. */
	state = strrchr(buf, ')');
	return !(state && state[1] == ' ' && (state[2] == 'Z' || state[2] == 'X'));
}

int ap_lock_try(const char *path, pid_t *ret_holder)
{
	char tmp[PATH_MAX], content[32];
	const char *slash = strrchr(path, '/');
	pid_t owner = 0;
	int fd, len, r = -EBUSY;

	if (slash)
		snprintf(tmp, sizeof(tmp), "%.*s/.lk%d", (int)(slash - path), path, (int)getpid());
	else
		snprintf(tmp, sizeof(tmp), ".lk%d", (int)getpid());
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (fd < 0)
		return log_error_errno(-errno, "Failed to create lock temp file %s", tmp);
	len = snprintf(content, sizeof(content), "%d\n", (int)getpid());
	if (write(fd, content, (size_t)len) != len) {
		r = -errno;
		close(fd);
		unlink(tmp);
		return log_error_errno(r ? r : -EIO, "Failed to write %s", tmp);
	}
	close(fd);

	/* A stale lock is removed and tried again, a few times at most. */
	for (int attempt = 0; attempt < 4; attempt++) {
		if (link(tmp, path) == 0) {
			r = 0;
			break;
		}
		if (errno != EEXIST) {
			r = log_error_errno(-errno, "Failed to link %s to %s", tmp, path);
			break;
		}
		owner = lock_owner(path);
		if (owner > 0 && !pid_alive(owner)) {
			log_notice("Removing stale lock %s of dead PID %d", path, (int)owner);
			(void)unlink(path);
			continue;
		}
		/* Gone between link() and reading it: try again at once. */
		if (owner < 0)
			continue;
		r = -EBUSY;
		break;
	}
	unlink(tmp);
	if (r == -EBUSY && ret_holder)
		*ret_holder = owner > 0 ? owner : 0;
	return r;
}

int ap_lock_acquire(const char *path, uint64_t timeout_usec)
{
	uint64_t deadline = now_usec() + timeout_usec;
	unsigned int wait_us = 100;
	pid_t holder = 0;
	int r;

	/* Bounded by the deadline. */
	for (;;) {
		r = ap_lock_try(path, &holder);
		if (r != -EBUSY)
			return r;
		if (now_usec() >= deadline)
			return log_error_errno(-EBUSY, "Lock %s is held by PID %d", path,
					       (int)holder);
		usleep(wait_us);
		if (wait_us < 10000)
			wait_us *= 2;
	}
}

const char *ap_lock_holder_describe(pid_t pid, char *buf, size_t size)
{
	char path[64], cmd[256];
	ssize_t n = -1;
	int fd;

	if (pid <= 0) {
		snprintf(buf, size, "a process that wrote no PID into it yet");
		return buf;
	}
	/* The command line, its NULs as spaces; a kernel thread or a zombie has none: comm. */
	snprintf(path, sizeof(path), "/proc/%d/cmdline", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		n = read(fd, cmd, sizeof(cmd) - 1);
		close(fd);
	}
	if (n <= 0) {
		snprintf(path, sizeof(path), "/proc/%d/comm", (int)pid);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd >= 0) {
			n = read(fd, cmd, sizeof(cmd) - 1);
			close(fd);
		}
	}
	if (n > 0) {
		cmd[n] = '\0';
		while (n > 0 && (cmd[n - 1] == '\0' || cmd[n - 1] == '\n'))
			cmd[--n] = '\0';
		for (ssize_t i = 0; i < n; i++)
			if (cmd[i] == '\0' || cmd[i] == '\n' || cmd[i] == '"')
				cmd[i] = cmd[i] == '"' ? '\'' : ' ';
		snprintf(buf, size, "PID %d, command \"%s\"", (int)pid, cmd);
	} else
		snprintf(buf, size, "PID %d (command unknown)", (int)pid);
	return buf;
}

void ap_lock_release(const char *path)
{
	if (lock_owner(path) == getpid())
		(void)unlink(path);
}

void apply_outcome_done(struct apply_outcome *o)
{
	free(o->failed_attr);
	free(o->message);
	free(o->readback);
	free(o->exists);
	free(o->guest);
	*o = (struct apply_outcome){ 0 };
}

static int read_mask_attr(const char *rel, ap_mask *ret)
{
	_cleanup_free_ char *s = NULL;
	size_t len;
	int r = sysfs_read(rel, &s, &len);

	return r < 0 ? r : sysfs_mask_parse(s, len, ret, NULL);
}

/* Whether the plan writes the masks: only then are they worth reading back. */
static bool plan_has_masks(const struct plan *p)
{
	for (size_t k = 0; p && k < p->n_writes; k++)
		if (p->writes[k].op == OP_APMASK || p->writes[k].op == OP_AQMASK)
			return true;
	return false;
}

/* The virtual masks the kernel's overrides now describe (want when they match). */
static void read_back_virtual(const struct host *h, const struct plan_input *in,
			      struct apply_outcome *o)
{
	_cleanup_(host_freep) struct host *now = calloc(1, sizeof(*now));

	o->apmask = in->apmask_want;
	o->aqmask = in->aqmask_want;
	if (!now)
		return;
	now->matrix_fd = -1;
	if (host_copy_queues(h, now) >= 0)
		reservation_read_back(now, &in->apmask_want, &in->aqmask_want, &o->apmask,
				      &o->aqmask);
}

static void readback(const struct host *h, const struct plan_input *in, const struct plan *p,
		     struct apply_outcome *o)
{
	for (size_t i = 0; i < in->n_items; i++) {
		o->readback[i] = o->guest[i] = (ap_matrix){ 0 };
		/* A missing attribute means the mdev is gone: no separate existence check. */
		o->exists[i] = host_read_mdev_matrix(h, in->items[i].uuid, &o->readback[i]) >= 0;
		if (o->exists[i])
			(void)host_read_mdev_guest(h, in->items[i].uuid, &o->readback[i],
						   &o->guest[i]);
	}
	o->read_back = true;
	o->apmask = in->apmask_want;
	o->aqmask = in->aqmask_want;
	if (h->reservation == RESERVATION_DRIVER_OVERRIDE) {
		if (!p || plan_has_masks(p))
			read_back_virtual(h, in, o);
	} else if (!p || plan_has_masks(p)) {
		if (read_mask_attr("bus/ap/apmask", &o->apmask) < 0)
			o->apmask = in->apmask;
		if (read_mask_attr("bus/ap/aqmask", &o->aqmask) < 0)
			o->aqmask = in->aqmask;
	}
}

static int write_attr(const char *rel, const char *value, size_t *writes, char **ret_attr)
{
	int r = sysfs_write(rel, value, strlen(value));

	if (r < 0) {
		*ret_attr = strdup(rel);
		return r;
	}
	(*writes)++;
	return 0;
}

/*
 * One queue to vfio_ap or back with driver_override: the override, an unbind
 * from the driver it has and a probe by the bus (the override is only read
 * when a driver probes).
 */
static int move_queue(unsigned int apid, unsigned int apqi, bool to_vfio, size_t *writes,
		      char **ret_attr)
{
	apqn q = { (uint8_t)apid, (uint8_t)apqi };
	char rel[AP_QUEUE_PATH_MAX], name[APQN_STR_MAX];
	int r;

	apqn_to_string(q, name);
	r = write_attr(ap_queue_path(q, "driver_override", rel),
		       to_vfio ? RESERVATION_OVERRIDE_VFIO "\n" : "\n", writes, ret_attr);
	if (r < 0)
		return r;
	/* Unbound (no driver link) is fine: the probe below binds it. */
	ap_queue_path(q, "driver/unbind", rel);
	r = write_attr(rel, name, writes, ret_attr);
	if (r == -ENOENT) {
		free(*ret_attr);
		*ret_attr = NULL;
	} else if (r < 0)
		return r;
	return write_attr("bus/ap/drivers_probe", name, writes, ret_attr);
}

/*
 * With driver_override the plan's mask writes change the virtual masks, which
 * the queues' overrides then follow (apmask and aqmask stay all ones): every
 * existing queue whose reservation changes is moved, those leaving vfio_ap
 * before those joining it, as the masks' release and reserve.
 */
static int write_virtual_mask(const struct host *h, const struct plan_write *w, ap_mask *apmask,
			      ap_mask *aqmask, size_t *ret_done, char **ret_attr)
{
	ap_mask apm = *apmask, aqm = *aqmask;
	ap_mask *m = w->op == OP_APMASK ? &apm : &aqm;

	if (w->set)
		ap_mask_or(m, m, &w->bits);
	else
		ap_mask_andnot(m, m, &w->bits);
	for (int pass = 0; pass < 2; pass++)
		for (size_t i = 0; i < h->n_adapters; i++) {
			const struct host_adapter *a = &h->adapters[i];

			for (size_t k = 0; k < a->n_queues; k++) {
				unsigned int d = a->queues[k].apqi;
				bool was = reservation_queue_reserved(apmask, aqmask, a->id, d);
				bool now = reservation_queue_reserved(&apm, &aqm, a->id, d);
				int r;

				if (was == now || now != (pass == 1))
					continue;
				r = move_queue(a->id, d, now, ret_done, ret_attr);
				if (r < 0)
					return r;
			}
		}
	*apmask = apm;
	*aqmask = aqm;
	return 0;
}

int apply_claim_queues(const char *lock_path, bool lock_held, struct host *h)
{
	size_t writes = 0;
	pid_t holder = 0;
	int r = 0;

	if (!reservation_has_pending(h))
		return 0;
	/* Never waiting: a busy lock leaves the queues for the next refresh. */
	if (!lock_held && ap_lock_try(lock_path, &holder) < 0) {
		log_info("New queues wait for their driver_override: the AP configuration lock is "
			 "held (PID %d)",
			 (int)holder);
		return -EBUSY;
	}
	for (size_t i = 0; i < h->n_adapters && r >= 0; i++) {
		struct host_adapter *a = &h->adapters[i];

		for (size_t k = 0; k < a->n_queues && r >= 0; k++) {
			struct host_queue *q = &a->queues[k];
			_cleanup_free_ char *attr = NULL;
			char s[APQN_STR_MAX];

			if (q->driver_override[0] ||
			    !reservation_queue_reserved(&h->apmask, &h->aqmask, a->id, q->apqi))
				continue;
			apqn_to_string((apqn){ (uint8_t)a->id, (uint8_t)q->apqi }, s);
			r = move_queue(a->id, q->apqi, true, &writes, &attr);
			if (r < 0) {
				log_error_errno(
					r, "Failed to give the new queue %s to vfio_ap (%s): %m", s,
					attr ? attr : "?");
				break;
			}
			snprintf(q->driver_override, sizeof(q->driver_override), "%s",
				 RESERVATION_OVERRIDE_VFIO);
			log_info("New queue %s is in a reserved adapter or domain: driver_override "
				 "vfio_ap",
				 s);
		}
	}
	if (!lock_held)
		ap_lock_release(lock_path);
	return r;
}

static int execute(const struct host *h, const struct plan_input *in, const struct plan *p,
		   size_t *ret_done, char **ret_attr)
{
	ap_mask apmask = in->apmask, aqmask = in->aqmask;

	for (size_t k = 0; k < p->n_writes; k++) {
		_cleanup_free_ char *attr = NULL, *value = NULL;
		const struct plan_write *w = &p->writes[k];
		int r;

		if (h->reservation == RESERVATION_DRIVER_OVERRIDE &&
		    (w->op == OP_APMASK || w->op == OP_AQMASK)) {
			r = write_virtual_mask(h, w, &apmask, &aqmask, ret_done, ret_attr);
			if (r < 0)
				return r;
			crash_point("after-write");
			continue;
		}
		r = plan_write_format(in, p, k, &attr, &value);
		if (r < 0)
			return r;
		uint64_t t0 = now_usec();

		r = sysfs_write(attr, value, strlen(value));
		log_debug("write %s (%" PRIu64 " us): %s", attr, now_usec() - t0, value);
		if (r < 0) {
			*ret_attr = TAKE_PTR(attr);
			return r;
		}
		(*ret_done)++;
		crash_point("after-write");
	}
	return 0;
}

/* Put the touched mdevs and the masks back as they were; errors are logged only. */
static void rollback(const struct host *h, const struct plan_input *in, struct apply_outcome *o)
{
	_cleanup_free_ struct plan_item *items =
		calloc(in->n_items ? in->n_items : 1, sizeof(*items));
	_cleanup_(plan_freep) struct plan *p = NULL;
	struct plan_input back = *in;
	_cleanup_free_ char *attr = NULL;
	size_t done = 0;
	int r;

	if (!items)
		return;
	readback(h, in, NULL, o);
	for (size_t i = 0; i < in->n_items; i++) {
		items[i] = in->items[i];
		items[i].cur_exists = o->exists[i];
		items[i].cur = o->readback[i];
		items[i].want_exists = in->items[i].cur_exists;
		items[i].want = in->items[i].cur;
	}
	back.items = items;
	back.apmask = o->apmask;
	back.aqmask = o->aqmask;
	back.apmask_want = in->apmask;
	back.aqmask_want = in->aqmask;
	/* Single-id writes: the most forgiving order when the state is unexpected. */
	back.iface = WRITE_SINGLE;
	r = plan_compute(&back, &p);
	if (r >= 0)
		r = execute(h, &back, p, &done, &attr);
	if (r < 0)
		log_error_errno(r, "Rollback failed at %s", attr ? attr : "planning");
	else
		o->rolled_back = true;
	readback(h, in, NULL, o);
}

int apply_run(const char *lock_path, uint64_t lock_timeout_usec, struct store *store,
	      const struct host *h, const struct plan_input *in, const struct plan *p,
	      struct json_object *intent, struct apply_outcome *ret)
{
	struct apply_outcome o = { 0 };
	int r;

	o.readback = calloc(in->n_items ? in->n_items : 1, sizeof(*o.readback));
	o.exists = calloc(in->n_items ? in->n_items : 1, sizeof(*o.exists));
	o.guest = calloc(in->n_items ? in->n_items : 1, sizeof(*o.guest));
	if (!o.readback || !o.exists || !o.guest) {
		apply_outcome_done(&o);
		return -ENOMEM;
	}
	uint64_t t0 = now_usec(), t1, t2;

	r = lock_path ? ap_lock_acquire(lock_path, lock_timeout_usec) : 0;
	if (r < 0) {
		if (asprintf(&o.message, "the AP configuration lock %s is held by another process",
			     lock_path) < 0)
			o.message = NULL;
		*ret = o;
		return r;
	}
	if (intent && store) {
		crash_point("before-journal");
		r = store_journal_write(store, intent);
		if (r < 0) {
			o.storage_failed = true;
			if (asprintf(&o.message, "cannot write the journal %s: %s (errno %d)",
				     store->error_path, strerror(-r), -r) < 0)
				o.message = NULL;
			if (lock_path)
				ap_lock_release(lock_path);
			*ret = o;
			return r;
		}
	}

	crash_point("after-journal");
	t1 = now_usec();
	r = execute(h, in, p, &o.writes_done, &o.failed_attr);
	t2 = now_usec();
	if (r < 0) {
		if (asprintf(&o.message, "write to %s failed: %s (errno %d)",
			     o.failed_attr ? o.failed_attr : "?", strerror(-r), -r) < 0)
			o.message = NULL;
		log_error("Kernel refused: %s; rolling back", o.message ? o.message : "?");
		rollback(h, in, &o);
	} else {
		readback(h, in, p, &o);
		for (size_t i = 0; i < in->n_items && r == 0; i++) {
			const struct plan_item *it = &in->items[i];

			if (o.exists[i] != it->want_exists ||
			    (it->want_exists && !ap_matrix_equal(&o.readback[i], &it->want))) {
				r = -EIO;
				if (asprintf(&o.message,
					     "readback of mdev %s does not match what was written",
					     it->uuid) < 0)
					o.message = NULL;
				log_error("%s; rolling back", o.message ? o.message : "readback");
				rollback(h, in, &o);
			}
		}
	}
	/*
	 * After a success the journal stays until the caller has made the
	 * definitions durable (apply_done()); after a rollback the kernel is back
	 * where the journal started and nothing is left to recover.
	 */
	if (r < 0 && store && o.rolled_back)
		(void)store_journal_clear(store);
	else if (r >= 0)
		crash_point("after-kernel");
	if (lock_path)
		ap_lock_release(lock_path);
	log_debug("apply: lock+journal %" PRIu64 " us, writes %" PRIu64 " us, readback %" PRIu64
		  " us",
		  t1 - t0, t2 - t1, now_usec() - t2);
	*ret = o;
	return r;
}
