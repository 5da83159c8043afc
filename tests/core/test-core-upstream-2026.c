/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The upstream vfio_ap fix series of August 2026 (kernel/vfio_ap/README.md,
 * "Upstream fixes of August 2026"), one check per fix, on this core: the
 * bug each one fixes must not happen here.
 */
#include <errno.h>
#include <signal.h>
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>
#include <linux/bitmap.h>

#include "tap.h"
#include "core-fixture.h"
#include "vfio_ap_internal.h"

#define UA "00000000-0000-0000-0000-0000000000a1"
#define UB "00000000-0000-0000-0000-0000000000b1"
#define UC "00000000-0000-0000-0000-0000000000c1"
#define UD "00000000-0000-0000-0000-0000000000d1"

static struct ap_matrix_mdev *ma, *mb, *mc, *md;
static struct kvm *ga, *gb, *gc;

struct masks {
	DECLARE_BITMAP(apm, AP_DEVICES);
	DECLARE_BITMAP(aqm, AP_DOMAINS);
	DECLARE_BITMAP(adm, AP_DOMAINS);
};

static void masks_of(struct kvm *kvm, struct masks *m)
{
	kvm_sim_get_masks(kvm, m->apm, m->aqm, m->adm);
}

/* The host configuration: one id of one mask on or off (a config change and a scan). */
enum which { APM, AQM, ADM };

static void host_set(enum which w, unsigned int id, bool on)
{
	struct ap_config_info info;

	ap_sim_get_config(&info);
	ap_sim_info_set(w == APM ? info.apm : w == AQM ? info.aqm : info.adm, id, on);
	ap_sim_set_config(&info);
}

static const char *status_of(unsigned int apid, unsigned int apqi)
{
	static char buf[4096];
	ssize_t n = vfio_ap_core_queue_status_show(AP_MKQID(apid, apqi), buf);

	buf[n < 0 ? 0 : n] = '\0';
	return buf;
}

/* Runs @fn in a child with stderr closed: true if it died of SIGABRT. */
static bool aborts(void (*fn)(void))
{
	int st = 0;
	pid_t pid = fork();

	if (pid == 0) {
		int fd = open("/dev/null", O_WRONLY);

		dup2(fd, 2);
		fn();
		_exit(0);
	}
	if (pid < 0 || waitpid(pid, &st, 0) != pid)
		return false;
	return WIFSIGNALED(st) && WTERMSIG(st) == SIGABRT;
}

static void walk_unlocked(void)
{
	(void)vfio_ap_mdev_for_apqn(2, 1);
}

static void commit_without_guests_lock(void)
{
	struct ap_matrix t;

	mutex_lock(&vfio_ap_core.mdevs_lock);
	vfio_ap_matrix_init(&t);
	vfio_ap_commit_shadow(md, &t);
	mutex_unlock(&vfio_ap_core.mdevs_lock);
}

static void setup(void)
{
	fixture_up(16, 16, 63);
	ma = mdev_new(UA);
	mb = mdev_new(UB);
	mc = mdev_new(UC);
	md = mdev_new(UD);
	ga = kvm_sim_create("A", 1);
	gb = kvm_sim_create("B", 1);
	gc = kvm_sim_create("C", 1);
	/* A: 02 x 01 + control domain 07; B: 03 x 01-02 + 08; C: 04 x 01-02 + 08; D: 05 x 01. */
	mdev_store(ma, "ap_config", "0x2,0x4,0x01");
	mdev_store(mb, "ap_config", "0x1,0x6,0x008");
	mdev_store(mc, "ap_config", "0x08,0x6,0x008");
	mdev_store(md, "ap_config", "0x04,0x4,0x0");
	if (vfio_ap_sim_attach(ma, ga) || vfio_ap_sim_attach(mb, gb) || vfio_ap_sim_attach(mc, gc))
		abort();
}

static void teardown(void)
{
	vfio_ap_sim_detach(ma);
	vfio_ap_sim_detach(mb);
	vfio_ap_sim_detach(mc);
	vfio_ap_sim_mdev_destroy(ma);
	vfio_ap_sim_mdev_destroy(mb);
	vfio_ap_sim_mdev_destroy(mc);
	vfio_ap_sim_mdev_destroy(md);
	kvm_sim_destroy(ga);
	kvm_sim_destroy(gb);
	kvm_sim_destroy(gc);
	fixture_down();
}

/* "Fix NULL deref in status_show() during queue probe" */
static void test_status_without_queue_object(void)
{
	tap_is_str(status_of(2, 1), "in use\n", "status: 02.0001 in A's guest");
	ap_sim_card_uninstall(2);
	tap_is_str(status_of(2, 1), "assigned\n",
		   "status of a queue with no queue object: assigned");
	tap_is_str(status_of(15, 1), "unassigned\n", "  and of one no mdev has: unassigned");
	ap_sim_card_install(2, AP_DEVICE_TYPE_CEX8, AP_SIM_MODE_CCA);
	tap_is_str(status_of(2, 1), "in use\n", "  in use again once probed");
}

/* "Fix hot-unplug skipped when last AP adapter or domain removed" */
static void test_last_adapter_or_domain_leaves(void)
{
	struct masks m;
	u64 a = updates_of(ga);

	host_set(APM, 2, false);
	masks_of(ga, &m);
	tap_is_int(updates_of(ga) - a, 1, "A's last adapter leaves the host: one update");
	tap_ok(bitmap_empty(m.apm, AP_DEVICES), "  A's APCB has no adapter left");
	host_set(APM, 2, true);
	masks_of(ga, &m);
	tap_ok(test_bit_inv(2, m.apm), "  adapter 02 back in A's APCB with the host's");
	a = updates_of(ga);
	host_set(AQM, 2, false);
	tap_is_int(updates_of(ga) - a, 0, "domain 02 (not A's) leaves: no update for A");
	host_set(AQM, 2, true);
	a = updates_of(ga);
	host_set(AQM, 1, false);
	masks_of(ga, &m);
	tap_is_int(updates_of(ga) - a, 1, "A's last domain leaves the host: one update");
	tap_ok(bitmap_empty(m.aqm, AP_DOMAINS), "  A's APCB has no domain left");
	host_set(AQM, 1, true);
	masks_of(ga, &m);
	tap_ok(test_bit_inv(1, m.aqm) && test_bit_inv(2, m.apm), "  02.0001 back in A's APCB");
}

/* "Fix control domain removal in vfio_ap_mdev_cfg_remove" */
static void test_control_domain_leaves(void)
{
	struct masks m;
	u64 a = updates_of(ga), b = updates_of(gb);

	masks_of(ga, &m);
	tap_ok(test_bit_inv(7, m.adm), "control domain 07 in A's APCB");
	host_set(ADM, 7, false);
	masks_of(ga, &m);
	tap_is_int(updates_of(ga) - a, 1, "control domain 07 leaves the host: one update for A");
	tap_ok(!test_bit_inv(7, m.adm), "  07 gone from A's ADM");
	tap_ok(test_bit_inv(2, m.apm) && test_bit_inv(1, m.aqm), "  A keeps its queue");
	tap_is_int(updates_of(gb) - b, 0, "  B (control domain 08): no update");
	host_set(ADM, 7, true);
	masks_of(ga, &m);
	tap_ok(test_bit_inv(7, m.adm), "  07 back with the host's");
}

/* "Fix stale do_remove flag across iterations in vfio_ap_mdev_cfg_remove" */
static void test_only_affected_guests_updated(void)
{
	u64 a = updates_of(ga), b = updates_of(gb), c = updates_of(gc);

	host_set(APM, 2, false);
	tap_is_int(updates_of(ga) - a, 1, "adapter 02 (A's, first mdev) leaves: A 1");
	tap_is_int(updates_of(gb) - b, 0, "  B 0");
	tap_is_int(updates_of(gc) - c, 0, "  C 0");
	host_set(APM, 2, true);
	a = updates_of(ga), b = updates_of(gb), c = updates_of(gc);
	host_set(APM, 4, false);
	tap_is_int(updates_of(gc) - c, 1, "adapter 04 (C's, last attached mdev) leaves: C 1");
	tap_is_int(updates_of(ga) - a + updates_of(gb) - b, 0, "  A and B 0");
	host_set(APM, 4, true);
}

/* "Fix dereference matrix_mdev->kvm without checking for NULL" */
static void test_detached_mdev(void)
{
	u64 total = kvm_sim_total_apcb_updates();

	host_set(APM, 5, false);
	tap_is_str(mdev_show(md, "guest_matrix"), ".0001\n",
		   "D (no guest) after its adapter left: filtered, no crash");
	ap_sim_card_uninstall(5);
	ap_sim_card_install(5, AP_DEVICE_TYPE_CEX8, AP_SIM_MODE_CCA);
	host_set(APM, 5, true);
	tap_is_str(mdev_show(md, "guest_matrix"), "05.0001\n", "  and after it came back");
	tap_is_int(mdev_store(md, "unassign_adapter", "5"), 1, "  stores on D");
	tap_is_int(mdev_store(md, "assign_adapter", "5"), 1, "  ...");
	tap_is_int(kvm_sim_total_apcb_updates() - total, 0, "  no APCB update anywhere");
}

/* "fix potential use of uninitialized apm_filtered bitmap" */
static void test_filter_output_initialised(void)
{
	struct ap_matrix clean, dirty;
	bool same;

	mutex_lock(&vfio_ap_core.mdevs_lock);
	vfio_ap_matrix_init(&clean);
	vfio_ap_filter(mb, &clean);
	memset(&dirty, 0xff, sizeof(dirty));
	vfio_ap_filter(mb, &dirty);
	same = vfio_ap_matrix_equal(&clean, &dirty);
	memset(&dirty, 0xff, sizeof(dirty));
	vfio_ap_refilter(mb, NULL, &dirty);
	same = same && vfio_ap_matrix_equal(&clean, &dirty);
	mutex_unlock(&vfio_ap_core.mdevs_lock);
	tap_ok(same, "filter and refilter ignore what their output held");
}

/*
 * "Fix missing lock required to access list of ap_matrix_mdev objects",
 * "Fix required lock not held during update of ap_matrix_mdev object"
 */
static void test_lock_assertions(void)
{
	tap_ok(aborts(walk_unlocked), "walking the mdev list with no lock held aborts");
	tap_ok(aborts(commit_without_guests_lock),
	       "changing a shadow APCB without guests_lock aborts");
	tap_is_int(lockdep_sim_violations(), 0, "every path of this test held them");
}

/* "fix stale pqap_hook pointer on error in vfio_ap_mdev_set_kvm()" */
static void test_set_kvm_error_leaves_hooks(void)
{
	struct kvm *gy = kvm_sim_create("Y", 1);
	u8 rc = 0xff;

	tap_ok(ga->arch.crypto.pqap_hook != NULL, "A's guest has the PQAP hook");
	tap_is_int(vfio_ap_core_set_kvm(md, ga), -EPERM, "D on A's kvm: EPERM");
	tap_ok(ga->arch.crypto.pqap_hook != NULL && !md->kvm, "  A's hook stays, D has no kvm");
	kvm_sim_vcpu_pqap(ga, 0, AP_MKQID(2, 1), true, 3, 0x4000, &rc);
	tap_is_int(rc, 0, "  A's PQAP(AQIC) still served");
	tap_is_int(vfio_ap_core_set_kvm(ma, gy), -EPERM, "A (attached) on another kvm: EPERM");
	tap_ok(gy->arch.crypto.pqap_hook == NULL, "  no hook left on that kvm");
	tap_ok(ma->kvm == ga, "  A stays with its guest");
	vfio_ap_sim_detach(ma);
	tap_ok(ga->arch.crypto.pqap_hook == NULL, "detach removes A's hook");
	tap_is_int(vfio_ap_sim_attach(ma, ga), 0, "  and A attaches again");
	kvm_sim_destroy(gy);
}

int main(void)
{
	setup();
	test_status_without_queue_object();
	test_last_adapter_or_domain_leaves();
	test_control_domain_leaves();
	test_only_affected_guests_updated();
	test_detached_mdev();
	test_filter_output_initialised();
	test_lock_assertions();
	test_set_kvm_error_leaves_hooks();
	tap_is_int(kvm_sim_invariant_violations(), 0, "no APQN in two guests at any update");
	tap_is_int(lockdep_sim_violations(), 0, "no lock-order violation");
	teardown();
	return tap_done();
}
