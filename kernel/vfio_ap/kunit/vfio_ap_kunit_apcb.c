// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit suite vfio_ap_apcb: what reaches the guests - one APCB update per
 * store, ap_config_batch applied atomically with one update per guest (two
 * for a guest on a cycle), a host configuration change plugged once, queue
 * resets (ZAPQ re-issued while refused, bounded) after the update that
 * took the queue away, and PQAP(AQIC) through the hook under vcpu->mutex
 * (tests/core/test-core-{apcb,reset,pqap}.c in user space). Host: cards
 * 0-15, domains 0-15, adapter 0 the host's. Guests A, B, C, D.
 */
#include <kunit/test.h>
#include <linux/debug_locks.h>
#include <linux/errno.h>
#include <linux/string.h>
#include "vfio_ap_internal.h"
#include "vfio_ap_kunit_fake.h"

#define UA "00000000-0000-0000-0000-0000000000a1"
#define UB "00000000-0000-0000-0000-0000000000b2"
#define UC "00000000-0000-0000-0000-0000000000c3"
#define UD "00000000-0000-0000-0000-0000000000d4"
#define UNKNOWN "00000000-0000-0000-0000-0000000000ff"

struct apcb_ctx {
	struct ap_matrix_mdev *m[4];
	struct fake_guest *g[4];
};

enum { A, B, C, D };

static int apcb_init(struct kunit *test)
{
	static const char *const uuids[] = { UA, UB, UC, UD };
	struct apcb_ctx *ctx = kunit_kzalloc(test, sizeof(*ctx), GFP_KERNEL);
	int i, ret;

	if (!ctx)
		return -ENOMEM;
	ret = fake_host_up(test, 16, 16, 63);
	if (ret)
		return ret;
	for (i = A; i <= D; i++) {
		ctx->m[i] = fake_mdev_new(test, uuids[i]);
		ctx->g[i] = fake_guest_new(test);
	}
	test->priv = ctx;
	return 0;
}

static void apcb_exit(struct kunit *test)
{
	struct apcb_ctx *ctx = test->priv;
	int i;

	for (i = A; i <= D; i++) {
		fake_mdev_free(ctx->m[i]);
		fake_guest_free(ctx->g[i]);
	}
	fake_host_down();
}

/* What every case must end with. */
static void expect_invariants(struct kunit *test)
{
	struct apcb_ctx *ctx = test->priv;
	int i;

	KUNIT_EXPECT_EQ_MSG(test, fake_host.shared_apqn, 0u, "an APQN was in two guests' APCBs");
	for (i = A; i <= D; i++)
		KUNIT_EXPECT_EQ_MSG(test, ctx->g[i]->bad_locks, 0u,
				    "an update without guests_lock and kvm->lock");
	if (IS_ENABLED(CONFIG_PROVE_LOCKING))
		KUNIT_EXPECT_EQ_MSG(test, debug_locks, 1, "lockdep reported and turned off");
}

static void expect_store(struct kunit *test, struct ap_matrix_mdev *m, const char *attr,
			 const char *val)
{
	KUNIT_EXPECT_EQ_MSG(test, fake_store(m, attr, val), (ssize_t)strlen(val), "%s '%s'", attr,
			    val);
}

/* A 01-02 x 01-02, B 03 x 01-02, C 04 x 05, all attached; D attached empty. */
static void attach_abcd(struct kunit *test)
{
	struct apcb_ctx *ctx = test->priv;
	int i;

	expect_store(test, ctx->m[A], "ap_config", "0x6,0x6,0x0");
	expect_store(test, ctx->m[B], "ap_config", "0x1,0x6,0x0");
	expect_store(test, ctx->m[C], "ap_config", "0x08,0x04,0x0");
	for (i = A; i <= D; i++) {
		KUNIT_ASSERT_EQ(test, vfio_ap_core_set_kvm(ctx->m[i], &ctx->g[i]->kvm), 0);
		KUNIT_EXPECT_EQ(test, ctx->g[i]->set_masks, 1u);
		/* Attach keeps mdevs_lock held: the one update that may. */
		KUNIT_EXPECT_EQ(test, ctx->g[i]->under_mdevs, 1u);
		KUNIT_EXPECT_EQ(test, ctx->g[i]->refs, 1);
		KUNIT_EXPECT_NOT_NULL(test, ctx->g[i]->kvm.arch.crypto.pqap_hook);
	}
	KUNIT_EXPECT_EQ(test, fake_host.cfg_changed, 4u);
}

static void attach(struct kunit *test)
{
	struct apcb_ctx *ctx = test->priv;

	attach_abcd(test);
	KUNIT_EXPECT_EQ(test, vfio_ap_core_set_kvm(ctx->m[B], &ctx->g[A]->kvm), -EPERM);
	KUNIT_EXPECT_EQ(test, vfio_ap_core_set_kvm(ctx->m[A], &ctx->g[B]->kvm), -EPERM);
	KUNIT_EXPECT_EQ(test, ctx->g[A]->refs, 1);
	KUNIT_EXPECT_EQ(test, ctx->g[B]->refs, 1);
	KUNIT_EXPECT_TRUE(test, test_bit_inv(1, ctx->g[A]->plugged.apm));
	KUNIT_EXPECT_TRUE(test, test_bit_inv(2, ctx->g[A]->plugged.aqm));
	KUNIT_EXPECT_FALSE(test, test_bit_inv(3, ctx->g[A]->plugged.apm));
	expect_invariants(test);
}

static void single_stores(struct kunit *test)
{
	struct apcb_ctx *ctx = test->priv;
	struct fake_guest *ga;
	unsigned int u, sig;

	attach_abcd(test);
	ga = ctx->g[A];
	u = ga->set_masks;
	sig = fake_host.cfg_changed;
	expect_store(test, ctx->m[A], "assign_adapter", "5");
	KUNIT_EXPECT_EQ(test, ga->set_masks - u, 1u);
	KUNIT_EXPECT_EQ(test, fake_host.cfg_changed - sig, 1u);
	/* A store's update runs without mdevs_lock: PQAPs of all guests go on. */
	KUNIT_EXPECT_EQ(test, ga->under_mdevs, 1u);
	u = ga->set_masks;
	expect_store(test, ctx->m[A], "assign_adapter", "5");
	KUNIT_EXPECT_EQ(test, ga->set_masks - u, 0u);
	expect_store(test, ctx->m[A], "assign_domain", "20");
	KUNIT_EXPECT_EQ_MSG(test, ga->set_masks - u, 0u, "domain 20 is not in the host");
	KUNIT_EXPECT_EQ(test, fake_store(ctx->m[A], "assign_adapter", "3"), (ssize_t)-EADDRINUSE);
	KUNIT_EXPECT_EQ(test, ga->set_masks - u, 0u);
	expect_store(test, ctx->m[A], "assign_control_domain", "7");
	KUNIT_EXPECT_EQ(test, ga->set_masks - u, 1u);
	KUNIT_EXPECT_TRUE(test, test_bit_inv(7, ga->plugged.adm));

	u = ga->set_masks;
	expect_store(test, ctx->m[A], "unassign_domain", "1");
	KUNIT_EXPECT_EQ(test, ga->set_masks - u, 1u);
	KUNIT_EXPECT_EQ(test, fake_queue(1, 1)->resets, 1u);
	KUNIT_EXPECT_EQ(test, fake_queue(5, 1)->resets, 1u);
	KUNIT_EXPECT_EQ(test, fake_queue(1, 2)->resets, 0u);
	/* Reset after the update that took the queue away, never before. */
	KUNIT_EXPECT_GT(test, fake_queue(1, 1)->reset_seq, ga->update_seq);
	KUNIT_EXPECT_FALSE(test, test_bit_inv(1, ga->plugged.aqm));

	/* ap_config: the whole change, one update. */
	u = ga->set_masks;
	expect_store(test, ctx->m[A], "ap_config", "0x22,0x3,0x0");
	KUNIT_EXPECT_EQ(test, ga->set_masks - u, 1u);
	KUNIT_EXPECT_STREQ(test, fake_show(test, ctx->m[A], "guest_matrix"),
			   "02.0002\n02.0003\n06.0002\n06.0003\n");

	/* Detach: one update that clears, the guest's queues reset, no signal. */
	sig = fake_host.cfg_changed;
	vfio_ap_core_unset_kvm(ctx->m[A]);
	KUNIT_EXPECT_EQ(test, ga->clear_masks, 1u);
	KUNIT_EXPECT_EQ(test, fake_host.cfg_changed, sig);
	KUNIT_EXPECT_EQ(test, fake_queue(6, 3)->resets, 1u);
	KUNIT_EXPECT_EQ(test, ga->refs, 0);
	KUNIT_EXPECT_NULL(test, ga->kvm.arch.crypto.pqap_hook);
	u = ga->set_masks;
	expect_store(test, ctx->m[A], "assign_adapter", "7");
	KUNIT_EXPECT_EQ(test, ga->set_masks - u, 0u);
	expect_invariants(test);
}

static const char *snapshot(struct kunit *test)
{
	struct apcb_ctx *ctx = test->priv;
	char *s = kunit_kzalloc(test, 2048, GFP_KERNEL);
	int i;

	KUNIT_ASSERT_NOT_NULL(test, s);
	for (i = A; i <= D; i++)
		snprintf(s + strlen(s), 2048 - strlen(s), "%s%u|",
			 fake_show(test, ctx->m[i], "ap_config"), ctx->g[i]->set_masks);
	return s;
}

static void batch_fails(struct kunit *test, const char *text, int err, unsigned int line,
			const char *uuid)
{
	const char *before = snapshot(test);
	struct vfio_ap_batch_error e;
	char want[96];

	KUNIT_EXPECT_EQ_MSG(test, fake_batch_store(text), (ssize_t)-err, "batch '%s'", text);
	KUNIT_EXPECT_STREQ_MSG(test, snapshot(test), before, "batch '%s' changed something", text);
	vfio_ap_batch_last_error(&e);
	KUNIT_EXPECT_EQ(test, e.line, line);
	KUNIT_EXPECT_STREQ(test, e.uuid, uuid);
	snprintf(want, sizeof(want), "line %u (%s): error %d\n", line, uuid[0] ? uuid : "-", -err);
	KUNIT_EXPECT_STREQ(test, fake_batch_show(test), want);
}

static void batch_ok(struct kunit *test, const char *text)
{
	KUNIT_EXPECT_EQ_MSG(test, fake_batch_store(text), (ssize_t)strlen(text), "batch '%s'",
			    text);
}

static void batch(struct kunit *test)
{
	struct apcb_ctx *ctx = test->priv;
	struct fake_guest *ga, *gb, *gc, *gd;
	unsigned int a, b, c, d;
	char *page;

	attach_abcd(test);
	ga = ctx->g[A];
	gb = ctx->g[B];
	gc = ctx->g[C];
	gd = ctx->g[D];
	/* With single writes, B cannot take 02 while A has it. */
	KUNIT_EXPECT_EQ(test, fake_store(ctx->m[B], "ap_config", "0x3,0x6,0x0"),
			(ssize_t)-EADDRINUSE);

	a = ga->set_masks;
	b = gb->set_masks;
	c = gc->set_masks;
	batch_ok(test, UA " 0x4,0x6,0x0\n" UB " 0x3,0x6,0x0\n");
	KUNIT_EXPECT_EQ(test, ga->set_masks - a, 1u);
	KUNIT_EXPECT_EQ(test, gb->set_masks - b, 1u);
	KUNIT_EXPECT_EQ(test, gc->set_masks - c, 0u);
	KUNIT_EXPECT_EQ(test, fake_queue(2, 1)->resets, 1u);
	KUNIT_EXPECT_EQ(test, fake_queue(2, 2)->resets, 1u);
	/* A let go, the queue was zeroized, then B got it. */
	KUNIT_EXPECT_LT(test, fake_queue(2, 1)->reset_seq, gb->update_seq);
	KUNIT_EXPECT_STREQ(test, fake_show(test, ctx->m[B], "guest_matrix"),
			   "02.0001\n02.0002\n03.0001\n03.0002\n");

	/* A swap is a cycle of two: one guest pays two updates. */
	a = ga->set_masks;
	b = gb->set_masks;
	batch_ok(test, UA " 0x1,0x6,0x0\n" UB " 0x6,0x6,0x0");
	KUNIT_EXPECT_EQ(test, ga->set_masks - a + gb->set_masks - b, 3u);
	KUNIT_EXPECT_TRUE(test, ga->set_masks - a == 1 || gb->set_masks - b == 1);
	KUNIT_EXPECT_STREQ(test, fake_show(test, ctx->m[A], "guest_matrix"), "03.0001\n03.0002\n");

	/* A chain without a cycle: one update each. */
	a = ga->set_masks;
	b = gb->set_masks;
	d = gd->set_masks;
	batch_ok(test, UD " 0x2,0x6,0x0\n" UB " 0x5,0x6,0x0\n" UA " 0x0,0x6,0x0\n");
	KUNIT_EXPECT_EQ(test, ga->set_masks - a, 1u);
	KUNIT_EXPECT_EQ(test, gb->set_masks - b, 1u);
	KUNIT_EXPECT_EQ(test, gd->set_masks - d, 1u);
	KUNIT_EXPECT_STREQ(test, fake_show(test, ctx->m[D], "guest_matrix"), "02.0001\n02.0002\n");

	batch_fails(test, UB " 0x14,0x6,0x0\n" UNKNOWN " 0x0,0x0,0x0\n", ENOENT, 2, UNKNOWN);
	batch_fails(test, UB " 0x14,0x6,0x0\n\n" UB " 0x0,0x0,0x0\n", EINVAL, 3, UB);
	batch_fails(test, UB " 0x1,0x6,0x0\n" UA " 0x08,0x04,0x0\n", EADDRINUSE, 2, UA);
	batch_fails(test, UA " 0x8,0x4,0x0\n", EADDRNOTAVAIL, 1, UA);
	batch_fails(test, UA " 0x0,0x0,0x00000000000000001\n", ENODEV, 1, UA);
	batch_fails(test, UA " 0x1,0x6\n", EINVAL, 1, UA);
	batch_fails(test, UA "0x1,0x6,0x0\n", EINVAL, 1, UA);
	batch_fails(test, "\n\n", EINVAL, 0, "");
	batch_fails(test, "nonsense\n", EINVAL, 1, "");
	/* A good batch after the failures leaves the last failure readable. */
	batch_ok(test, UA " 0x02,0x6,0x0");
	KUNIT_EXPECT_STREQ(test, fake_batch_show(test), "line 1 (-): error -22\n");

	/* A store of a whole page may be a cut write: refused. */
	page = kunit_kzalloc(test, PAGE_SIZE + 1, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, page);
	memset(page, '\n', PAGE_SIZE);
	memcpy(page, UA " 0x0,0x6,0x0", strlen(UA " 0x0,0x6,0x0"));
	batch_fails(test, page, E2BIG, 0, "");
	page[PAGE_SIZE - 1] = '\0';
	batch_ok(test, page);
	KUNIT_EXPECT_STREQ(test, fake_show(test, ctx->m[A], "guest_matrix"), ".0001\n.0002\n");
	expect_invariants(test);
}

static void config_change(struct kunit *test)
{
	struct apcb_ctx *ctx = test->priv;
	struct fake_guest *ga, *gb, *gc;
	unsigned int a, b, c;

	attach_abcd(test);
	ga = ctx->g[A];
	gb = ctx->g[B];
	gc = ctx->g[C];
	a = ga->set_masks;
	b = gb->set_masks;
	c = gc->set_masks;
	/* Card 2 goes: 16 queue removes during the scan, one update for A. */
	fake_config_adapter(2, false, 16);
	KUNIT_EXPECT_EQ(test, ga->set_masks - a, 1u);
	KUNIT_EXPECT_EQ(test, gb->set_masks - b, 0u);
	KUNIT_EXPECT_EQ(test, gc->set_masks - c, 0u);
	KUNIT_EXPECT_STREQ(test, fake_show(test, ctx->m[A], "guest_matrix"), "01.0001\n01.0002\n");
	KUNIT_EXPECT_FALSE(test, test_bit_inv(2, ga->plugged.apm));
	/* It comes back: 16 probes, one update. */
	a = ga->set_masks;
	fake_config_adapter(2, true, 16);
	KUNIT_EXPECT_EQ(test, ga->set_masks - a, 1u);
	KUNIT_EXPECT_STREQ(test, fake_show(test, ctx->m[A], "guest_matrix"),
			   "01.0001\n01.0002\n02.0001\n02.0002\n");
	/* Outside a scan a probe plugs at once, a remove unplugs at once. */
	a = ga->set_masks;
	fake_queue_unbind(1, 1);
	KUNIT_EXPECT_EQ(test, ga->set_masks - a, 1u);
	KUNIT_EXPECT_STREQ(test, fake_show(test, ctx->m[A], "guest_matrix"), "02.0001\n02.0002\n");
	KUNIT_EXPECT_EQ(test, fake_queue_bind(1, 1), 0);
	KUNIT_EXPECT_EQ(test, ga->set_masks - a, 2u);
	KUNIT_EXPECT_TRUE(test, test_bit_inv(1, ga->plugged.apm));
	expect_invariants(test);
}

static void reset_refused(struct kunit *test)
{
	struct apcb_ctx *ctx = test->priv;
	struct fake_queue *q11 = fake_queue(1, 1), *q12 = fake_queue(1, 2);

	attach_abcd(test);
	/* BUSY twice: not executed, issued again until it is. */
	q11->zapq_refuse = 2;
	q11->zapq_rc = AP_RESPONSE_BUSY;
	expect_store(test, ctx->m[A], "unassign_domain", "1");
	KUNIT_EXPECT_EQ(test, q11->zapqs, 3u);
	KUNIT_EXPECT_EQ(test, q11->resets, 1u);
	/* A reset vfio_ap did not issue is running: ours goes in after it. */
	q12->zapq_refuse = 1;
	q12->zapq_rc = AP_RESPONSE_RESET_IN_PROGRESS;
	q12->tapq_progress = 5;
	expect_store(test, ctx->m[A], "unassign_domain", "2");
	KUNIT_EXPECT_EQ(test, q12->zapqs, 2u);
	KUNIT_EXPECT_EQ(test, q12->resets, 1u);
	KUNIT_EXPECT_GE(test, q12->tapqs, 5u);
	expect_store(test, ctx->m[A], "ap_config", "0x6,0x6,0x0");
	KUNIT_EXPECT_STREQ(test, fake_show(test, ctx->m[A], "guest_matrix"),
			   "01.0001\n01.0002\n02.0001\n02.0002\n");
	expect_invariants(test);
}

static void reset_bounded(struct kunit *test)
{
	struct apcb_ctx *ctx = test->priv;
	struct fake_queue *q11 = fake_queue(1, 1);

	attach_abcd(test);
	q11->zapq_refuse = 1000000;
	q11->zapq_rc = AP_RESPONSE_BUSY;
	KUNIT_EXPECT_EQ(test, vfio_ap_core_reset_queues(ctx->m[A]), -EIO);
	KUNIT_EXPECT_EQ(test, q11->resets, 0u);
	/* Its queue was not zeroized: adapter 1 is out of the guest. */
	expect_store(test, ctx->m[A], "assign_domain", "5");
	KUNIT_EXPECT_STREQ(test, fake_show(test, ctx->m[A], "guest_matrix"),
			   "02.0001\n02.0002\n02.0005\n");
	expect_store(test, ctx->m[A], "unassign_domain", "5");
	q11->zapq_refuse = 0;
	KUNIT_EXPECT_EQ(test, vfio_ap_core_reset_queues(ctx->m[A]), 0);
	/* A store refilters: the adapter is back once its queue was reset. */
	expect_store(test, ctx->m[A], "assign_control_domain", "3");
	KUNIT_EXPECT_STREQ(test, fake_show(test, ctx->m[A], "guest_matrix"),
			   "01.0001\n01.0002\n02.0001\n02.0002\n");
	/* A response that is no reset at all fails VFIO_DEVICE_RESET. */
	fake_queue(2, 2)->reset_rc = AP_RESPONSE_INVALID_ADDRESS;
	KUNIT_EXPECT_EQ(test, vfio_ap_core_reset_queues(ctx->m[A]), -EIO);
	fake_queue(2, 2)->reset_rc = 0;
	KUNIT_EXPECT_EQ(test, vfio_ap_core_reset_queues(ctx->m[A]), 0);
	expect_invariants(test);
}

static void pqap_aqic(struct kunit *test)
{
	struct apcb_ctx *ctx = test->priv;
	struct fake_guest *ga, *gy = fake_guest_new(test);
	struct ap_queue_status st;
	struct vfio_ap_queue *q;

	attach_abcd(test);
	ga = ctx->g[A];
	/* No hook (no mdev uses the guest): KVM answers 01. */
	st = fake_pqap_aqic(gy, AP_MKQID(2, 1), true, 3, 0x4000);
	KUNIT_EXPECT_EQ(test, (int)st.response_code, AP_RESPONSE_Q_NOT_AVAIL);
	KUNIT_EXPECT_EQ(test, fake_host.irq_enables, 0u);

	st = fake_pqap_aqic(ga, AP_MKQID(2, 1), true, 3, 0x4000);
	KUNIT_EXPECT_EQ(test, (int)st.response_code, AP_RESPONSE_NORMAL);
	KUNIT_EXPECT_EQ(test, fake_host.irq_enables, 1u);
	KUNIT_EXPECT_EQ(test, fake_host.irq_apqn, AP_MKQID(2, 1));
	KUNIT_EXPECT_EQ(test, fake_host.irq_isc, 3);
	KUNIT_EXPECT_EQ(test, fake_host.irq_nib, 0x4000ull);
	q = vfio_ap_find_queue(AP_MKQID(2, 1));
	KUNIT_ASSERT_NOT_NULL(test, q);
	KUNIT_EXPECT_TRUE(test, q->irq_enabled);
	KUNIT_EXPECT_PTR_EQ(test, q->irq_mdev, ctx->m[A]);

	/* B's queue, from A's vCPU: not A's to enable. */
	st = fake_pqap_aqic(ga, AP_MKQID(3, 1), true, 3, 0x4000);
	KUNIT_EXPECT_EQ(test, (int)st.response_code, AP_RESPONSE_Q_NOT_AVAIL);
	KUNIT_EXPECT_EQ(test, fake_host.irq_enables, 1u);

	/* What the glue's AQIC answers reaches the guest; nothing is recorded. */
	fake_host.irq_rc = AP_RESPONSE_INVALID_ADDRESS;
	st = fake_pqap_aqic(ga, AP_MKQID(1, 2), true, 1, 0x8000);
	KUNIT_EXPECT_EQ(test, (int)st.response_code, AP_RESPONSE_INVALID_ADDRESS);
	KUNIT_EXPECT_FALSE(test, vfio_ap_find_queue(AP_MKQID(1, 2))->irq_enabled);
	fake_host.irq_rc = AP_RESPONSE_NORMAL;

	/* A queue leaving the guest: interrupts off, then the update, then the reset. */
	expect_store(test, ctx->m[A], "unassign_domain", "1");
	KUNIT_EXPECT_FALSE(test, q->irq_enabled);
	KUNIT_EXPECT_EQ(test, fake_host.irq_disables, 1u);
	KUNIT_EXPECT_PTR_EQ(test, fake_host.irq_disable_mdev, ctx->m[A]);
	KUNIT_EXPECT_LT(test, fake_host.irq_disable_seq, fake_queue(2, 1)->reset_seq);

	/* Disable through PQAP, and the unmap of the NIB's range. */
	st = fake_pqap_aqic(ga, AP_MKQID(2, 2), true, 2, 0x5008);
	KUNIT_EXPECT_EQ(test, (int)st.response_code, AP_RESPONSE_NORMAL);
	st = fake_pqap_aqic(ga, AP_MKQID(2, 2), false, 0, 0);
	KUNIT_EXPECT_EQ(test, (int)st.response_code, AP_RESPONSE_NORMAL);
	KUNIT_EXPECT_EQ(test, fake_host.irq_disables, 2u);
	q = vfio_ap_find_queue(AP_MKQID(2, 2));
	KUNIT_EXPECT_FALSE(test, q->irq_enabled);
	fake_pqap_aqic(ga, AP_MKQID(2, 2), true, 2, 0x5008);
	vfio_ap_core_dma_unmap(ctx->m[A], 0x6000, 0x1000);
	KUNIT_EXPECT_TRUE(test, q->irq_enabled);
	vfio_ap_core_dma_unmap(ctx->m[A], 0x5000, 0x1000);
	KUNIT_EXPECT_FALSE(test, q->irq_enabled);
	KUNIT_EXPECT_EQ(test, fake_host.irq_disables, 3u);

	/* After detach the hook is gone: 01 again. */
	vfio_ap_core_unset_kvm(ctx->m[A]);
	st = fake_pqap_aqic(ga, AP_MKQID(2, 2), true, 2, 0x5008);
	KUNIT_EXPECT_EQ(test, (int)st.response_code, AP_RESPONSE_Q_NOT_AVAIL);
	fake_guest_free(gy);
	expect_invariants(test);
}

/* clang-format off */
static struct kunit_case apcb_cases[] = {
	KUNIT_CASE(attach),
	KUNIT_CASE(single_stores),
	KUNIT_CASE(batch),
	KUNIT_CASE(config_change),
	KUNIT_CASE(reset_refused),
	KUNIT_CASE_SLOW(reset_bounded),
	KUNIT_CASE(pqap_aqic),
	{}
};

/* clang-format on */

static struct kunit_suite apcb_suite = {
	.name = "vfio_ap_apcb",
	.init = apcb_init,
	.exit = apcb_exit,
	.test_cases = apcb_cases,
};

kunit_test_suite(apcb_suite);
