/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The vfio_ap tracepoints (kernel/vfio_ap/vfio_ap_trace.h) on the shim
 * <linux/tracepoint.h>, which hands each event's TP_printk line to a hook:
 * every APCB update the simulated KVM counts has exactly one
 * apcb_update_begin and one apcb_update_end naming the mdev, the guest and
 * what was plugged; every kvm->lock hold with updates ends with one
 * apcb_update_locks; the durations nest (update <= mdevs_lock hold <=
 * kvm->lock hold); without a hook nothing is formatted.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>

#include <linux/tracepoint.h>

#include "tap.h"
#include "core-fixture.h"
#include "vfio_ap_trace.h"

#define UA "00000000-0000-0000-0000-0000000000c1"
#define UB "00000000-0000-0000-0000-0000000000c2"
#define MAX_EVENTS 256

struct event {
	char name[32];
	char line[512];
};

static pthread_mutex_t ev_lock = PTHREAD_MUTEX_INITIALIZER;
static struct event events[MAX_EVENTS];
static unsigned int nr_events, dropped;

static void hook(const char *name, const char *line)
{
	pthread_mutex_lock(&ev_lock);
	if (nr_events < MAX_EVENTS) {
		snprintf(events[nr_events].name, sizeof(events[nr_events].name), "%s", name);
		snprintf(events[nr_events].line, sizeof(events[nr_events].line), "%s", line);
		nr_events++;
	} else {
		dropped++;
	}
	pthread_mutex_unlock(&ev_lock);
}

static void clear(void)
{
	pthread_mutex_lock(&ev_lock);
	nr_events = 0;
	pthread_mutex_unlock(&ev_lock);
}

static unsigned int count(const char *name)
{
	unsigned int i, n = 0;

	for (i = 0; i < nr_events; i++)
		if (!strcmp(events[i].name, name))
			n++;
	return n;
}

/* The @nth (0-based) event called @name, or NULL. */
static const char *nth(const char *name, unsigned int nth)
{
	unsigned int i;

	for (i = 0; i < nr_events; i++)
		if (!strcmp(events[i].name, name) && nth-- == 0)
			return events[i].line;
	return NULL;
}

struct update_line {
	char uuid[37];
	int pid;
	unsigned int apm, aqm, adm;
	unsigned long seq;
	unsigned long long ns;
};

static bool parse_update(const char *line, bool end, struct update_line *u)
{
	int want = end ? 7 : 6;

	memset(u, 0, sizeof(*u));
	return line &&
	       sscanf(line, "mdev=%36s pid=%d apm=%u aqm=%u adm=%u seq=%lu duration_ns=%llu",
		      u->uuid, &u->pid, &u->apm, &u->aqm, &u->adm, &u->seq, &u->ns) == want;
}

struct locks_line {
	char uuid[37];
	int pid;
	unsigned int updates;
	unsigned long long kvm_ns, mdevs_ns;
};

static bool parse_locks(const char *line, struct locks_line *l)
{
	memset(l, 0, sizeof(*l));
	return line &&
	       sscanf(line, "mdev=%36s pid=%d updates=%u kvm_lock_ns=%llu mdevs_lock_ns=%llu",
		      l->uuid, &l->pid, &l->updates, &l->kvm_ns, &l->mdevs_ns) == 5;
}

/* Every update has its begin and end; they agree; the locks nest. */
static void check_pairs(const char *what)
{
	unsigned int i, n = count("apcb_update_begin"), bad = 0;
	struct locks_line l;

	tap_is_int(count("apcb_update_end"), n, "%s: as many ends as begins (%u)", what, n);
	for (i = 0; i < n; i++) {
		struct update_line b, e;

		if (!parse_update(nth("apcb_update_begin", i), false, &b) ||
		    !parse_update(nth("apcb_update_end", i), true, &e) || strcmp(b.uuid, e.uuid) ||
		    b.pid != e.pid || b.seq != e.seq || b.apm != e.apm || b.aqm != e.aqm ||
		    b.adm != e.adm)
			bad++;
	}
	tap_is_int(bad, 0, "%s: each end matches its begin", what);
	for (i = 0, bad = 0; parse_locks(nth("apcb_update_locks", i), &l); i++)
		if (l.mdevs_ns > l.kvm_ns || !l.updates)
			bad++;
	tap_is_int(i, count("apcb_update_locks"), "%s: every locks event parses", what);
	tap_is_int(bad, 0, "%s: mdevs_lock hold <= kvm->lock hold in every locks event", what);
}

static void check_update(const char *name, unsigned int idx, const char *uuid, struct kvm *kvm,
			 unsigned int apm, unsigned int aqm, unsigned int adm, unsigned long seq,
			 const char *what)
{
	struct update_line u;

	tap_ok(parse_update(nth(name, idx), !strcmp(name, "apcb_update_end"), &u), "%s: %s parses",
	       what, name);
	tap_is_str(u.uuid, uuid, "  mdev");
	tap_is_int(u.pid, kvm->userspace_pid, "  guest pid %d", kvm->userspace_pid);
	tap_ok(u.apm == apm && u.aqm == aqm && u.adm == adm,
	       "  plugs %u x %u, %u control (got %u %u %u)", apm, aqm, adm, u.apm, u.aqm, u.adm);
	tap_is_int(u.seq, seq, "  update number %lu of the mdev", seq);
}

int main(void)
{
	struct kvm_sim_vcpu_cfg cfg = { .nr_vcpus = 2, .pqap_per_mille = 0, .run_slices = 4 };
	struct ap_matrix_mdev *ma, *mb;
	struct update_line end;
	struct locks_line l;
	struct kvm *ga, *gb;
	u64 before;
	bool ok;

	fixture_up(8, 8, 63);
	ma = mdev_new(UA);
	mb = mdev_new(UB);
	ga = kvm_sim_create("A", 2);
	gb = kvm_sim_create("B", 2);
	tap_ok(ga->userspace_pid != gb->userspace_pid, "guests have pids of their own");

	tap_ok(!trace_apcb_update_begin_enabled(), "no hook: events disabled");
	tap_is_int(mdev_store(ma, "ap_config", "0x6,0x6,0x1"), 11, "A: 01-02 x 01-02, control 03");
	tap_is_int(vfio_ap_sim_attach(ma, ga), 0, "attach A without hook");
	tap_is_int(nr_events, 0, "  no event recorded");
	vfio_ap_sim_detach(ma);

	sim_trace_set_hook(hook);
	tap_ok(trace_apcb_update_begin_enabled() && trace_apcb_update_locks_enabled(),
	       "hook set: events enabled");

	before = updates_of(ga);
	tap_is_int(vfio_ap_sim_attach(ma, ga), 0, "attach A");
	tap_is_int(updates_of(ga) - before, 1, "  one APCB update");
	tap_is_int(count("apcb_update_begin"), 1, "  one apcb_update_begin");
	check_update("apcb_update_begin", 0, UA, ga, 2, 2, 1, ma->apcb_updates, "attach");
	check_update("apcb_update_end", 0, UA, ga, 2, 2, 1, ma->apcb_updates, "attach");
	tap_is_int(count("apcb_update_locks"), 1, "  one apcb_update_locks");
	tap_ok(parse_locks(nth("apcb_update_locks", 0), &l) && !strcmp(l.uuid, UA) &&
		       l.pid == ga->userspace_pid && l.updates == 1,
	       "  it names A, its guest and one update");
	ok = parse_update(nth("apcb_update_end", 0), true, &end) &&
	     parse_locks(nth("apcb_update_locks", 0), &l);
	/* set_kvm keeps mdevs_lock across its update. */
	tap_ok(ok && end.ns <= l.mdevs_ns && l.mdevs_ns <= l.kvm_ns,
	       "  update %llu <= mdevs_lock %llu <= kvm->lock %llu ns", end.ns, l.mdevs_ns,
	       l.kvm_ns);
	check_pairs("attach");

	clear();
	tap_is_int(mdev_store(ma, "assign_adapter", "2"), 1, "A: assign_adapter 2 again");
	tap_is_int(nr_events, 0, "  nothing plugged: no event");
	tap_is_int(mdev_store(mb, "ap_config", "0x1,0x6,0x0"), 11, "B (no guest): 03 x 01-02");
	tap_is_int(nr_events, 0, "  no guest: no event");

	tap_is_int(kvm_sim_start_vcpus(ga, &cfg), 0, "A's 2 vCPUs run");
	before = updates_of(ga);
	tap_is_int(mdev_store(ma, "assign_adapter", "4"), 1, "A: assign_adapter 4");
	tap_is_int(updates_of(ga) - before, 1, "  one APCB update");
	tap_ok(count("apcb_update_begin") == 1 && count("apcb_update_end") == 1 &&
		       count("apcb_update_locks") == 1,
	       "  one begin, one end, one locks event");
	check_update("apcb_update_end", 0, UA, ga, 3, 2, 1, ma->apcb_updates, "assign");
	/* Parse first: the messages' arguments are read before the checks. */
	ok = parse_update(nth("apcb_update_end", 0), true, &end);
	tap_ok(ok && end.ns > 0, "  the update took %llu ns (vCPUs kicked out of SIE)", end.ns);
	ok = parse_locks(nth("apcb_update_locks", 0), &l);
	/* A store's update runs with mdevs_lock released (LOCKING). */
	tap_ok(ok && l.mdevs_ns + end.ns <= l.kvm_ns,
	       "  mdevs_lock %llu + update %llu <= kvm->lock %llu ns", l.mdevs_ns, end.ns,
	       l.kvm_ns);
	kvm_sim_stop_vcpus(ga);

	tap_is_int(vfio_ap_sim_attach(mb, gb), 0, "attach B");
	clear();
	before = kvm_sim_total_apcb_updates();
	tap_is_int(batch_store(UA " 0x28,0x6,0x1\n" UB " 0x5,0x6,0x0\n"), 99,
		   "batch: A gives 01 to B");
	tap_is_int(count("apcb_update_begin"), kvm_sim_total_apcb_updates() - before,
		   "  one begin per APCB update (%u)", count("apcb_update_begin"));
	tap_is_int(count("apcb_update_locks"), count("apcb_update_begin"),
		   "  one kvm->lock hold per update");
	check_pairs("batch");

	clear();
	vfio_ap_sim_detach(ma);
	tap_is_int(count("apcb_update_begin"), 1, "detach A: one update");
	check_update("apcb_update_begin", 0, UA, ga, 0, 0, 0, ma->apcb_updates,
		     "detach (masks cleared)");
	tap_is_int(count("apcb_update_locks"), 1, "  one apcb_update_locks");

	clear();
	before = kvm_sim_total_apcb_updates();
	ap_sim_card_uninstall(3);
	tap_ok(kvm_sim_total_apcb_updates() > before, "host loses adapter 03: B updated");
	tap_is_int(count("apcb_update_begin"), kvm_sim_total_apcb_updates() - before,
		   "  one begin per APCB update");
	check_pairs("host change");

	sim_trace_set_hook(NULL);
	clear();
	vfio_ap_sim_detach(mb);
	tap_is_int(nr_events, 0, "hook removed: no event");
	tap_is_int(dropped, 0, "no event dropped by the test");
	tap_is_int(lockdep_sim_violations(), 0, "no lock-order violation");

	vfio_ap_sim_mdev_destroy(ma);
	vfio_ap_sim_mdev_destroy(mb);
	kvm_sim_destroy(ga);
	kvm_sim_destroy(gb);
	fixture_down();
	return tap_done();
}
