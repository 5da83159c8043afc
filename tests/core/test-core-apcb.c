/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The reworked APCB update protocol, counted by the simulated KVM:
 * (1) a single store costs an attached guest at most one APCB update;
 * (2) ap_config_batch gives each affected guest one update, two only for a
 *     guest in a cycle, and resets a queue before another guest gets it;
 * (3) a host configuration change costs each affected guest one update.
 * Each is compared with the upstream-cost emulation where they differ.
 */
#include <errno.h>

#include "tap.h"
#include "core-fixture.h"

#define UA "00000000-0000-0000-0000-00000000000a"
#define UB "00000000-0000-0000-0000-00000000000b"
#define UC "00000000-0000-0000-0000-00000000000c"
#define UD "00000000-0000-0000-0000-00000000000d"
#define ZEROS16 "0000000000000000"

static struct ap_matrix_mdev *ma, *mb, *mc, *md;
static struct kvm *ga, *gb, *gc, *gx;
static char last_log[1024];

static void log_hook(int level, const char *msg)
{
	snprintf(last_log, sizeof(last_log), "%s", msg);
}

static void setup(void)
{
	fixture_up(16, 16, 63);
	ma = mdev_new(UA);
	mb = mdev_new(UB);
	mc = mdev_new(UC);
	md = mdev_new(UD);
	ga = kvm_sim_create("A", 2);
	gb = kvm_sim_create("B", 2);
	gc = kvm_sim_create("C", 2);
	gx = kvm_sim_create("X", 1);
}

static void teardown(void)
{
	vfio_ap_sim_mdev_destroy(ma);
	vfio_ap_sim_mdev_destroy(mb);
	vfio_ap_sim_mdev_destroy(mc);
	vfio_ap_sim_mdev_destroy(md);
	kvm_sim_destroy(ga);
	kvm_sim_destroy(gb);
	kvm_sim_destroy(gc);
	kvm_sim_destroy(gx);
	fixture_down();
}

static u64 locks_of(struct kvm *kvm)
{
	struct kvm_sim_stats st;

	kvm_sim_get_stats(kvm, &st);
	return st.kvm_lock_acquisitions;
}

static void test_attach(void)
{
	u64 u = updates_of(ga);

	tap_is_int(mdev_store(ma, "ap_config", "0x6,0x6,0x0"), 11, "A: 01-02 x 01-02");
	tap_is_int(vfio_ap_sim_attach(ma, ga), 0, "attach A");
	tap_is_int(updates_of(ga) - u, 1, "set_kvm: one APCB update");
	tap_is_int(vfio_ap_sim_attach(mb, ga), -EPERM, "second mdev on the same kvm: EPERM");
	tap_is_int(vfio_ap_core_set_kvm(ma, gb), -EPERM, "mdev already attached: EPERM");
	tap_is_int(mdev_store(mb, "ap_config", "0x1,0x6,0x0"), 11, "B: 03 x 01-02");
	tap_is_int(vfio_ap_sim_attach(mb, gb), 0, "attach B");
	tap_is_int(mdev_store(mc, "ap_config", "0x08,0x04,0x0"), 13, "C: 04 x 05");
	tap_is_int(vfio_ap_sim_attach(mc, gc), 0, "attach C");
}

static void test_single_stores(void)
{
	u64 u = updates_of(ga), l = locks_of(ga);
	unsigned int r11 = resets_of(1, 1), r12 = resets_of(1, 2);

	tap_is_int(mdev_store(ma, "assign_adapter", "5"), 1, "A: assign_adapter 5");
	tap_is_int(updates_of(ga) - u, 1, "  one APCB update");
	tap_is_int(locks_of(ga) - l, 1, "  one kvm->lock acquisition");
	u = updates_of(ga);
	tap_is_int(mdev_store(ma, "assign_adapter", "5"), 1, "A: assign_adapter 5 again");
	tap_is_int(updates_of(ga) - u, 0, "  no-op: no update");
	tap_is_int(mdev_store(ma, "assign_domain", "20"), 2, "A: assign_domain 20 (not in host)");
	tap_is_int(updates_of(ga) - u, 0, "  filtered out: no update");
	tap_is_int(mdev_store(ma, "assign_control_domain", "7"), 1, "A: assign_control_domain 7");
	tap_is_int(updates_of(ga) - u, 1, "  one update");
	u = updates_of(ga);
	tap_is_int(mdev_store(ma, "unassign_domain", "1"), 1, "A: unassign_domain 1");
	tap_is_int(updates_of(ga) - u, 1, "  one update");
	tap_is_int(resets_of(1, 1) - r11, 1, "  01.0001 left the guest and was reset");
	tap_is_int(resets_of(1, 2) - r12, 0, "  01.0002 stayed and was not reset");
	tap_is_int(resets_of(5, 1) > 0, 1, "  05.0001 was reset");
}

static void test_ap_config_cost(void)
{
	u64 u;

	/* A: 01,02,05 x 02,20 ctrl 7 -> 02,06 x 02,03: adapters and domains both leave and come. */
	u = updates_of(ga);
	tap_is_int(mdev_store(ma, "ap_config", "0x22,0x3,0x0"), 12, "A: ap_config 02,06 x 02,03");
	tap_is_int(updates_of(ga) - u, 1, "reworked: ap_config costs one update");
	tap_is_str(mdev_show(ma, "guest_matrix"), "02.0002\n02.0003\n06.0002\n06.0003\n",
		   "guest_matrix after ap_config");

	vfio_ap_sim_upstream_cost = true;
	u = updates_of(ga);
	tap_is_int(mdev_store(ma, "ap_config", "0x0c,0x6,0x0"), 12,
		   "upstream emulation: A ap_config 04-05 x 01-02");
	tap_is_int(updates_of(ga) - u, 3, "upstream emulation: the same kind of write costs 3");
	vfio_ap_sim_upstream_cost = false;
	tap_is_int(mdev_store(ma, "ap_config", "0x6,0x6,0x0"), 11, "A back to 01-02 x 01-02");
}

static char snap[4][4096];

static void snapshot(void)
{
	struct ap_matrix_mdev *all[4] = { ma, mb, mc, md };

	for (int i = 0; i < 4; i++)
		snprintf(snap[i], sizeof(snap[i]), "%s", mdev_show(all[i], "ap_config"));
}

static bool unchanged(void)
{
	struct ap_matrix_mdev *all[4] = { ma, mb, mc, md };

	for (int i = 0; i < 4; i++)
		if (strcmp(snap[i], mdev_show(all[i], "ap_config")))
			return false;
	return true;
}

static void batch_ok(const char *text, const char *what)
{
	tap_is_int(batch_store(text), strlen(text), "batch: %s", what);
}

static void batch_fails(const char *text, int err, unsigned int line, const char *uuid,
			const char *what)
{
	struct vfio_ap_batch_error e;
	char want[128], shown[128];

	snapshot();
	last_log[0] = '\0';
	tap_is_int(batch_store(text), -err, "batch fails with %s: %s", strerror(err), what);
	tap_ok(unchanged(), "  ... and changes nothing");
	vfio_ap_batch_last_error(&e);
	tap_is_int(e.line, line, "  ... names line %u", line);
	tap_is_str(e.uuid, uuid, "  ... names the uuid of that line");
	snprintf(want, sizeof(want), "ap_config_batch: line %u (%s): error %d", line,
		 uuid[0] ? uuid : "-", -err);
	tap_ok(strstr(last_log, want) != NULL, "  ... and logs '%s'", want);
	snprintf(shown, sizeof(shown), "%s\n", strstr(want, "line "));
	tap_is_str(batch_show(), shown, "  ... and reading ap_config_batch says so");
}

static void test_batch(void)
{
	static char page[PAGE_SIZE + 1];
	u64 a, b, c, d, total;
	unsigned int r21 = resets_of(2, 1), r22 = resets_of(2, 2);

	tap_is_int(vfio_ap_sim_attach(md, gx), 0, "attach D");
	/* Moving adapter 2 from A to B with single writes needs A first. */
	tap_is_int(mdev_store(mb, "ap_config", "0x3,0x6,0x0"), -EADDRINUSE,
		   "single write: B cannot take 02 while A has it");

	a = updates_of(ga), b = updates_of(gb), c = updates_of(gc);
	batch_ok(UA " 0x4,0x6,0x0\n" UB " 0x3,0x6,0x0\n", "move adapter 02 from A to B");
	tap_is_int(updates_of(ga) - a, 1, "  A (gives): one update");
	tap_is_int(updates_of(gb) - b, 1, "  B (takes): one update");
	tap_is_int(updates_of(gc) - c, 0, "  C (unaffected): none");
	tap_is_int(resets_of(2, 1) - r21, 1, "  02.0001 reset once on its way");
	tap_is_int(resets_of(2, 2) - r22, 1, "  02.0002 reset once on its way");
	tap_is_str(mdev_show(mb, "guest_matrix"), "02.0001\n02.0002\n03.0001\n03.0002\n",
		   "  B's guest_matrix");

	a = updates_of(ga), b = updates_of(gb);
	batch_ok(UA " 0x1,0x6,0x0\n" UB " 0x6,0x6,0x0", "swap: A takes 03 from B, B takes 01");
	tap_is_int(updates_of(ga) - a + updates_of(gb) - b, 3, "  cycle of two: three updates");
	tap_ok(updates_of(ga) - a <= 2 && updates_of(gb) - b <= 2, "  at most two per guest");
	tap_ok(updates_of(ga) - a == 1 || updates_of(gb) - b == 1, "  only one guest gets two");
	tap_is_str(mdev_show(ma, "guest_matrix"), "03.0001\n03.0002\n", "  A's guest_matrix");

	a = updates_of(ga), b = updates_of(gb), d = updates_of(gx);
	batch_ok(UD " 0x2,0x6,0x0\n" UB " 0x5,0x6,0x0\n" UA " 0x0,0x6,0x0\n",
		 "chain: A gives 03 to B, B gives 02 to D");
	tap_is_int(updates_of(ga) - a, 1, "  A: one update");
	tap_is_int(updates_of(gb) - b, 1, "  B (gives and takes, no cycle): one update");
	tap_is_int(updates_of(gx) - d, 1, "  D: one update");

	batch_ok(UA " 0x04,0x6,0x0", "A gets free adapter 05");
	a = updates_of(ga), b = updates_of(gb), d = updates_of(gx);
	total = kvm_sim_total_apcb_updates();
	batch_ok(UA " 0x2,0x6,0x0\n" UB " 0x14,0x6,0x0\n" UD " 0x4,0x6,0x0\n",
		 "cycle of three: A 05->B, B 01->D, D 02->A");
	tap_is_int(kvm_sim_total_apcb_updates() - total, 4, "  four updates in all");
	tap_ok(updates_of(ga) - a <= 2 && updates_of(gb) - b <= 2 && updates_of(gx) - d <= 2,
	       "  at most two per guest");
	tap_is_str(mdev_show(md, "guest_matrix"), "01.0001\n01.0002\n", "  D's guest_matrix");

	batch_fails(UB " 0x14,0x6,0x0\n00000000-0000-0000-0000-0000000000ff 0x0,0x0,0x0\n", ENOENT,
		    2, "00000000-0000-0000-0000-0000000000ff", "unknown uuid");
	batch_fails(UB " 0x14,0x6,0x0\n\n" UB " 0x0,0x0,0x0\n", EINVAL, 3, UB,
		    "duplicate uuid (empty line counted)");
	batch_fails(UB " 0x1,0x6,0x0\n" UA " 0x08,0x04,0x0\n", EADDRINUSE, 2, UA,
		    "A would share 04.0005 with C");
	batch_fails(UA " 0x8,0x4,0x0\n", EADDRNOTAVAIL, 1, UA, "00.0001 is the host's");
	batch_fails(UA " 0x0,0x0,0x00000000000000001\n", ENODEV, 1, UA, "control domain 67");
	batch_fails(UA " 0x1,0x6\n", EINVAL, 1, UA, "two masks");
	batch_fails(UA "0x1,0x6,0x0\n", EINVAL, 1, UA, "no blank after the uuid");
	batch_fails("\n\n", EINVAL, 0, "", "no line at all");
	batch_fails("nonsense\n", EINVAL, 1, "", "garbage");
	batch_ok(UA " 0x2,0x6,0x0", "a good batch after the failures");
	tap_is_str(batch_show(), "line 1 (-): error -22\n",
		   "  ... leaves the last failure readable");

	/* sysfs stores at most a page of a write: a whole page may be a cut one. */
	memset(page, '\n', sizeof(page));
	memcpy(page, UA " 0x0,0x6,0x0", strlen(UA " 0x0,0x6,0x0"));
	page[PAGE_SIZE] = '\0';
	batch_fails(page, E2BIG, 0, "", "a store of a whole page (sysfs may have cut the write)");
	page[PAGE_SIZE - 1] = '\0';
	batch_ok(page, "a page less one byte is a batch");
	tap_ok(!strncmp(mdev_show(ma, "ap_config"), "0x" ZEROS16 ZEROS16 ZEROS16 ZEROS16 ",", 67),
	       "  ... applied: A has no adapter");
	batch_ok(UA " 0x2,0x6,0x0", "  A gets 06 back");

	tap_is_int(kvm_sim_unreset_handovers(), 0, "no APQN entered a guest without a reset");
	tap_is_int(kvm_sim_invariant_violations(), 0, "no APQN in two guests at any update");
}

static void set_ids(unsigned int adapter, bool a_on, unsigned int domain, bool d_on)
{
	struct ap_config_info info;

	ap_sim_get_config(&info);
	ap_sim_info_set(info.apm, adapter, a_on);
	ap_sim_info_set(info.aqm, domain, d_on);
	ap_sim_set_config(&info);
}

static void test_config_change(void)
{
	u64 a, b, c, d, la, lb, lc, ld;

	/* A: 02 x 01-02, B: 03,05 x 01-02, C: 04 x 05, D: 01 x 01-02 */
	tap_is_int(mdev_store(ma, "assign_domain", "20"), 2, "A: assign_domain 20 (not in host)");
	tap_is_int(mdev_store(mb, "assign_domain", "20"), 2, "B: assign_domain 20 (not in host)");
	a = updates_of(ga), b = updates_of(gb), c = updates_of(gc), d = updates_of(gx);
	la = locks_of(ga), lb = locks_of(gb), lc = locks_of(gc), ld = locks_of(gx);
	set_ids(5, false, 20, true);
	tap_is_int(updates_of(gb) - b, 1, "adapter 05 off + domain 20 on: B (loses and gains) 1");
	tap_is_int(updates_of(ga) - a, 1, "  A (gains domain 20): 1");
	tap_is_int(updates_of(gc) - c, 0, "  C: 0");
	tap_is_int(updates_of(gx) - d, 0, "  D: 0");
	/* Issue 13: no kvm->lock for the scan's probes/removes, nor for unchanged guests. */
	tap_is_int(locks_of(gb) - lb, 1, "  B's kvm->lock taken once (its update), not per queue");
	tap_is_int(locks_of(ga) - la, 1, "  A's kvm->lock once");
	tap_is_int(locks_of(gc) - lc, 0, "  C's kvm->lock not at all");
	tap_is_int(locks_of(gx) - ld, 0, "  D's kvm->lock not at all");
	tap_is_str(mdev_show(mb, "guest_matrix"), "03.0001\n03.0002\n03.0014\n",
		   "  B's guest_matrix");

	vfio_ap_sim_upstream_cost = true;
	b = updates_of(gb);
	set_ids(5, true, 20, false);
	tap_is_int(updates_of(gb) - b, 2, "upstream emulation: the reverse change costs B 2");
	vfio_ap_sim_upstream_cost = false;
	tap_is_str(mdev_show(mb, "guest_matrix"), "03.0001\n03.0002\n05.0001\n05.0002\n",
		   "  B's guest_matrix");

	a = updates_of(ga);
	la = locks_of(ga);
	ap_sim_card_uninstall(2);
	tap_is_int(updates_of(ga) - a, 1, "card 02 removed (2 queue removes): A gets one update");
	tap_is_int(locks_of(ga) - la, 1,
		   "  and its kvm->lock once (the second remove changes nothing)");
	tap_is_str(mdev_show(ma, "guest_matrix"), ".0001\n.0002\n",
		   "  A's guest_matrix has its domains only");
	a = updates_of(ga);
	la = locks_of(ga);
	ap_sim_card_install(2, AP_DEVICE_TYPE_CEX8, AP_SIM_MODE_EP11);
	tap_is_int(updates_of(ga) - a, 1, "card 02 back (2 probes): one update");
	tap_is_int(locks_of(ga) - la, 1,
		   "  and its kvm->lock once (the first probe changes nothing)");
	tap_is_str(mdev_show(ma, "guest_matrix"), "02.0001\n02.0002\n", "  A's guest_matrix");
}

static void test_pqap(void)
{
	struct ap_sim_queue_state st;
	struct ap_queue_status status;
	struct kvm *gy = kvm_sim_create("Y", 1);
	u8 rc = 0xff;

	tap_is_int(kvm_sim_vcpu_pqap(ga, 1, AP_MKQID(2, 1), true, 3, 0x4000, &rc), 0,
		   "PQAP(AQIC) on A's vCPU");
	tap_is_int(rc, 0, "  for 02.0001 (A's): response code 0");
	ap_sim_queue_state(AP_MKQID(2, 1), &st);
	tap_ok(st.irq_enabled && st.isc == 3, "  interrupts enabled with isc 3");
	kvm_sim_vcpu_pqap(ga, 0, AP_MKQID(3, 1), true, 3, 0x4000, &rc);
	tap_is_int(rc, AP_RESPONSE_Q_NOT_AVAIL, "  for 03.0001 (B's): Q_NOT_AVAIL");
	tap_is_int(vfio_ap_core_pqap_aqic(kvm_sim_vcpu(gy, 0), AP_MKQID(2, 1), true, 3, 0, &status),
		   0, "PQAP for a kvm without mdev: handled");
	tap_is_int(status.response_code, AP_RESPONSE_Q_NOT_AVAIL, "  response code 01 (upstream)");
	mdev_store(ma, "unassign_domain", "1");
	ap_sim_queue_state(AP_MKQID(2, 1), &st);
	tap_ok(!st.irq_enabled, "a queue leaving the guest has its interrupts disabled");

	kvm_sim_vcpu_pqap(ga, 0, AP_MKQID(2, 2), true, 2, 0x5008, &rc);
	ap_sim_queue_state(AP_MKQID(2, 2), &st);
	tap_ok(st.irq_enabled && rc == 0, "PQAP enables interrupts of 02.0002 (NIB 0x5008)");
	vfio_ap_core_dma_unmap(ma, 0x6000, 0x1000);
	ap_sim_queue_state(AP_MKQID(2, 2), &st);
	tap_ok(st.irq_enabled, "  unmapping another range keeps them");
	vfio_ap_core_dma_unmap(ma, 0x5000, 0x1000);
	ap_sim_queue_state(AP_MKQID(2, 2), &st);
	tap_ok(!st.irq_enabled, "  unmapping the NIB's range disables them");
	{
		unsigned int r = resets_of(2, 2);

		tap_is_int(vfio_ap_core_reset_queues(ma), 0, "VFIO_DEVICE_RESET: reset_queues");
		tap_is_int(resets_of(2, 2) - r, 1, "  resets 02.0002");
		ap_sim_queue_set_reset_fault(AP_MKQID(2, 2), AP_RESPONSE_INVALID_ADDRESS, 2);
		tap_is_int(vfio_ap_core_reset_queues(ma), -EIO, "  a failing reset: EIO");
		ap_sim_queue_set_reset_fault(AP_MKQID(2, 2), 0, 0);
		tap_is_int(vfio_ap_core_reset_queues(ma), 0, "  and a good one clears it");
	}
	kvm_sim_destroy(gy);
}

static void test_detach(void)
{
	u64 a = updates_of(ga);
	unsigned int r = resets_of(2, 2);

	vfio_ap_sim_detach(ma);
	tap_is_int(updates_of(ga) - a, 1, "unset_kvm: one update (clear)");
	tap_is_int(resets_of(2, 2) - r, 1, "  and the guest's queues are reset");
	tap_is_int(mdev_store(ma, "assign_adapter", "6"), 1, "store without guest");
	tap_is_int(updates_of(ga) - a, 1, "  costs no update");
}

/* Random permutations of adapters among the four guests, one batch each. */
static void test_random_batches(void)
{
	struct ap_matrix_mdev *all[4] = { ma, mb, mc, md };
	struct kvm *kv[4] = { ga, gb, gc, gx };
	unsigned int seed = 31, n, worst = 0, over = 0, ok = 0, twos = 0, acyclic_two = 0;

	vfio_ap_sim_attach(ma, ga);
	for (n = 0; n < 2000; n++) {
		unsigned int apm[4] = { 0 }, k;
		bool in_cycle[4];
		u64 before[4];
		char text[1024];
		size_t off = 0;

		for (k = 1; k < 16; k++) {
			unsigned int who = rand_r(&seed) % 5;

			if (who < 4)
				apm[who] |= 0x8000u >> k;
		}
		bool reach[4][4] = { { false } };
		unsigned int old[4] = { 0 }, g, h, x;

		mutex_lock(&vfio_ap_core.mdevs_lock);
		for (g = 0; g < 4; g++)
			for (k = 1; k < 16; k++)
				if (test_bit_inv(k, all[g]->shadow_apcb.apm))
					old[g] |= 0x8000u >> k;
		mutex_unlock(&vfio_ap_core.mdevs_lock);
		for (g = 0; g < 4; g++)
			for (h = 0; h < 4; h++)
				reach[g][h] = g != h && (old[g] & apm[h]);
		for (x = 0; x < 4; x++)
			for (g = 0; g < 4; g++)
				for (h = 0; h < 4; h++)
					reach[g][h] = reach[g][h] || (reach[g][x] && reach[x][h]);
		for (k = 0; k < 4; k++) {
			in_cycle[k] = reach[k][k];
			before[k] = updates_of(kv[k]);
			off += snprintf(text + off, sizeof(text) - off, "%s 0x%04x,0x6,0x0\n",
					all[k]->name, apm[k]);
		}
		if (batch_store(text) == (ssize_t)off)
			ok++;
		for (k = 0; k < 4; k++) {
			unsigned int u = updates_of(kv[k]) - before[k];

			worst = u > worst ? u : worst;
			over += u > 2;
			acyclic_two += u == 2 && !in_cycle[k];
			twos += u == 2;
		}
	}
	tap_is_int(ok, 2000, "2000 random batches (adapter permutations) all succeed");
	tap_ok(worst <= 2 && over == 0, "no guest got more than two updates in one batch");
	tap_ok(twos > 0, "cycles occurred (%u guest-batches with two updates)", twos);
	tap_is_int(acyclic_two, 0, "only guests on a cycle of gives got two updates");
	tap_is_int(kvm_sim_unreset_handovers(), 0, "no APQN handed over without a reset");
	tap_is_int(kvm_sim_invariant_violations(), 0, "no APQN in two guests");
}

int main(void)
{
	sim_printk_set_hook(log_hook);
	setup();
	test_attach();
	test_single_stores();
	test_ap_config_cost();
	test_batch();
	test_config_change();
	test_pqap();
	test_detach();
	test_random_batches();
	tap_is_int(kvm_sim_invariant_violations(), 0, "no APQN in two guests at any update");
	tap_is_int(kvm_sim_unreset_handovers(), 0, "no APQN handed over without reset");
	tap_is_int(lockdep_sim_violations(), 0, "no lock-order violation");
	teardown();
	return tap_done();
}
