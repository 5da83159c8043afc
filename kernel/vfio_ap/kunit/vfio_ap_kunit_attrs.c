// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit suite vfio_ap_attrs: the sysfs contract's attributes on the core
 * in the kernel - formats, errnos, that a failed store changes nothing,
 * and filtering into guest_matrix (tests/core/test-core-attrs.c in user
 * space). Host: cards 0-7, domains 0-15, ids up to 63, adapter 0 the
 * host's.
 */
#include <kunit/test.h>
#include <linux/debug_locks.h>
#include <linux/errno.h>
#include <linux/string.h>
#include "vfio_ap_kunit_fake.h"

#define UA "11111111-2222-3333-4444-555555555555"
#define UB "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"

static int attrs_init(struct kunit *test)
{
	return fake_host_up(test, 8, 16, 63);
}

static void attrs_exit(struct kunit *test)
{
	fake_host_down();
}

/* A store that must fail with @err and leave ap_config as it was. */
static void expect_fail(struct kunit *test, struct ap_matrix_mdev *m, const char *attr,
			const char *val, int err)
{
	const char *before = fake_show(test, m, "ap_config");

	KUNIT_EXPECT_EQ_MSG(test, fake_store(m, attr, val), (ssize_t)-err, "%s '%s'", attr, val);
	KUNIT_EXPECT_STREQ_MSG(test, fake_show(test, m, "ap_config"), before,
			       "%s '%s' changed the matrix", attr, val);
}

static void expect_store(struct kunit *test, struct ap_matrix_mdev *m, const char *attr,
			 const char *val)
{
	KUNIT_EXPECT_EQ_MSG(test, fake_store(m, attr, val), (ssize_t)strlen(val), "%s '%s'", attr,
			    val);
}

static void matrix_device(struct kunit *test)
{
	const struct vfio_ap_matrix_attr *f = vfio_ap_matrix_attr_find("features");
	const struct vfio_ap_matrix_attr *b = vfio_ap_matrix_attr_find("ap_config_batch");
	struct ap_matrix_mdev *m, *dup;
	char *buf = kunit_kzalloc(test, PAGE_SIZE, GFP_KERNEL);
	guid_t id;

	KUNIT_ASSERT_NOT_NULL(test, buf);
	KUNIT_ASSERT_NOT_NULL(test, f);
	KUNIT_ASSERT_NOT_NULL(test, b);
	KUNIT_ASSERT_GT(test, f->show(buf), 0);
	KUNIT_EXPECT_STREQ(test, buf, "guest_matrix hotplug ap_config ap_config_batch\n");
	KUNIT_EXPECT_EQ(test, f->mode, (umode_t)0444);
	KUNIT_EXPECT_EQ(test, b->mode, (umode_t)0644);
	KUNIT_EXPECT_STREQ(test, fake_batch_show(test), "none\n");
	KUNIT_EXPECT_EQ(test, vfio_ap_available_instances(), 65536u);

	m = fake_mdev_new(test, UA);
	KUNIT_EXPECT_EQ(test, vfio_ap_available_instances(), 65535u);
	dup = kunit_kzalloc(test, sizeof(*dup), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, dup);
	KUNIT_ASSERT_EQ(test, guid_parse(UA, &id), 0);
	KUNIT_EXPECT_EQ(test, vfio_ap_mdev_init(dup, &id), -EEXIST);
	mutex_lock(&vfio_ap_core.mdevs_lock);
	KUNIT_EXPECT_PTR_EQ(test, vfio_ap_mdev_find(&id), m);
	mutex_unlock(&vfio_ap_core.mdevs_lock);
	KUNIT_EXPECT_STREQ(test, m->name, UA);
	fake_mdev_free(m);
	KUNIT_EXPECT_EQ(test, vfio_ap_available_instances(), 65536u);
}

static void assign(struct kunit *test)
{
	struct ap_matrix_mdev *a = fake_mdev_new(test, UA), *b = fake_mdev_new(test, UB);

	KUNIT_EXPECT_STREQ(test, fake_show(test, a, "matrix"), "");
	expect_store(test, a, "assign_adapter", "5");
	KUNIT_EXPECT_STREQ(test, fake_show(test, a, "matrix"), "05.\n");
	expect_store(test, a, "assign_adapter", "5\n");
	expect_store(test, a, "assign_domain", "0x10");
	expect_store(test, a, "assign_domain", "010");
	KUNIT_EXPECT_STREQ(test, fake_show(test, a, "matrix"), "05.0008\n05.0010\n");
	expect_fail(test, a, "assign_adapter", "64", ENODEV);
	expect_fail(test, a, "assign_adapter", "256", ENODEV);
	expect_fail(test, a, "assign_domain", "0100", ENODEV);
	expect_fail(test, a, "assign_adapter", "abc", EINVAL);
	expect_fail(test, a, "assign_adapter", "-1", EINVAL);
	expect_fail(test, a, "assign_adapter", "", EINVAL);
	expect_fail(test, a, "assign_adapter", "5x", EINVAL);
	expect_fail(test, a, "assign_domain", "08", EINVAL);
	expect_fail(test, a, "assign_adapter", "0", EADDRNOTAVAIL);

	expect_store(test, b, "assign_domain", "8");
	KUNIT_EXPECT_STREQ(test, fake_show(test, b, "matrix"), ".0008\n");
	expect_fail(test, b, "assign_adapter", "5", EADDRINUSE);
	/* Reserved and shared at once: the reservation is reported. */
	expect_fail(test, b, "assign_adapter", "0", EADDRNOTAVAIL);
	expect_store(test, b, "assign_adapter", "6");
	expect_fail(test, a, "assign_adapter", "6", EADDRINUSE);

	expect_fail(test, a, "unassign_adapter", "64", ENODEV);
	expect_fail(test, a, "unassign_domain", "xyz", EINVAL);
	expect_store(test, a, "unassign_adapter", "7");
	expect_store(test, a, "unassign_domain", "16");
	KUNIT_EXPECT_STREQ(test, fake_show(test, a, "matrix"), "05.0008\n");

	expect_store(test, a, "assign_control_domain", "3");
	expect_store(test, b, "assign_control_domain", "3");
	expect_store(test, a, "assign_control_domain", "0x3f");
	expect_fail(test, a, "assign_control_domain", "64", ENODEV);
	expect_fail(test, a, "unassign_control_domain", "64", ENODEV);
	KUNIT_EXPECT_STREQ(test, fake_show(test, a, "control_domains"), "0003\n003f\n");
	expect_store(test, a, "unassign_control_domain", "63");
	KUNIT_EXPECT_STREQ(test, fake_show(test, a, "control_domains"), "0003\n");

	fake_mdev_free(a);
	fake_mdev_free(b);
}

static void ap_config(struct kunit *test)
{
	struct ap_matrix_mdev *a = fake_mdev_new(test, UA), *b = fake_mdev_new(test, UB);
	const char *none = fake_mask(test, (int[]){ -1 });
	char *line = kunit_kzalloc(test, 512, GFP_KERNEL);
	char *bad = kunit_kzalloc(test, 600, GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, line);
	KUNIT_ASSERT_NOT_NULL(test, bad);
	snprintf(line, 512, "%s,%s,%s\n", none, none, none);
	KUNIT_EXPECT_STREQ(test, fake_show(test, a, "ap_config"), line);

	snprintf(line, 512, "%s,%s,%s\n", fake_mask(test, (int[]){ 1, 2, 63, -1 }),
		 fake_mask(test, (int[]){ 4, 5, -1 }), fake_mask(test, (int[]){ 0, 9, -1 }));
	expect_store(test, a, "ap_config", line);
	KUNIT_EXPECT_STREQ(test, fake_show(test, a, "ap_config"), line);
	KUNIT_EXPECT_STREQ(test, fake_show(test, a, "matrix"),
			   "01.0004\n01.0005\n02.0004\n02.0005\n3f.0004\n3f.0005\n");
	KUNIT_EXPECT_STREQ(test, fake_show(test, a, "control_domains"), "0000\n0009\n");

	/* Short masks are padded with zeros on the right: 0x4 is id 1. */
	expect_store(test, a, "ap_config", "0x4,0x08,0x0");
	KUNIT_EXPECT_STREQ(test, fake_show(test, a, "matrix"), "01.0004\n");
	expect_store(test, a, "ap_config", "0x4,0x08,0x01\n");
	/* Two masks and a newline, as Linux 6.12 takes them: the ADM is cleared. */
	expect_store(test, a, "ap_config", "0x6,0x0c\n");
	KUNIT_EXPECT_STREQ(test, fake_show(test, a, "matrix"),
			   "01.0004\n01.0005\n02.0004\n02.0005\n");
	KUNIT_EXPECT_STREQ(test, fake_show(test, a, "control_domains"), "");
	expect_store(test, a, "ap_config", "0x4,0x08\n");
	expect_fail(test, a, "ap_config", "0x1,0x2", EINVAL);
	expect_fail(test, a, "ap_config", "0x1\n", EINVAL);
	expect_fail(test, a, "ap_config", ",0x2\n", EINVAL);
	expect_fail(test, a, "ap_config", "0x1,0x2,0x3,0x4", EINVAL);
	expect_fail(test, a, "ap_config", "0x1,,0x2", EINVAL);
	expect_fail(test, a, "ap_config", "0xg,0x2,0x3", EINVAL);
	expect_fail(test, a, "ap_config", "", EINVAL);
	memset(bad, 'f', 2 + 65);
	memcpy(bad, "0x", 2);
	strcat(bad, ",0x0,0x0");
	expect_fail(test, a, "ap_config", bad, EINVAL);
	snprintf(line, 512, "%s,0x0,0x0", fake_mask(test, (int[]){ 64, -1 }));
	expect_fail(test, a, "ap_config", line, ENODEV);
	snprintf(line, 512, "0x0,0x0,%s", fake_mask(test, (int[]){ 200, -1 }));
	expect_fail(test, a, "ap_config", line, ENODEV);
	expect_fail(test, a, "ap_config", "0x8,0x08,0x0", EADDRNOTAVAIL);

	expect_store(test, b, "ap_config", "0x2,0x08,0x0");
	expect_fail(test, a, "ap_config", "0x6,0x08,0x0", EADDRINUSE);
	expect_fail(test, a, "ap_config", "0xa,0x08,0x0", EADDRNOTAVAIL);

	fake_mdev_free(a);
	fake_mdev_free(b);
}

static void filtering(struct kunit *test)
{
	struct ap_matrix_mdev *a = fake_mdev_new(test, UA);
	struct fake_guest *g = fake_guest_new(test);
	char *buf = kunit_kzalloc(test, PAGE_SIZE, GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, buf);
	/* Adapters 5, 6, 9; domains 0, 1, 16; control 0, 1, 12. */
	expect_store(test, a, "ap_config", "0x0640,0xc0008,0xc008");
	KUNIT_EXPECT_STREQ(test, fake_show(test, a, "guest_matrix"),
			   "05.0000\n05.0001\n06.0000\n06.0001\n");
	KUNIT_EXPECT_EQ(test, vfio_ap_core_queue_status_show(AP_MKQID(5, 0), buf), (ssize_t)9);
	KUNIT_EXPECT_STREQ(test, buf, "assigned\n");
	vfio_ap_core_queue_status_show(AP_MKQID(7, 0), buf);
	KUNIT_EXPECT_STREQ(test, buf, "unassigned\n");
	KUNIT_ASSERT_EQ(test, vfio_ap_core_set_kvm(a, &g->kvm), 0);
	vfio_ap_core_queue_status_show(AP_MKQID(5, 0), buf);
	KUNIT_EXPECT_STREQ(test, buf, "in use\n");

	/* A queue whose reset fails costs its adapter, not the domain. */
	fake_queue(6, 1)->reset_rc = AP_RESPONSE_INVALID_ADDRESS;
	expect_store(test, a, "unassign_domain", "1");
	expect_store(test, a, "assign_domain", "1");
	KUNIT_EXPECT_STREQ(test, fake_show(test, a, "guest_matrix"), "05.0000\n05.0001\n");
	KUNIT_EXPECT_STREQ(test, fake_show(test, a, "matrix"),
			   "05.0000\n05.0001\n05.0010\n06.0000\n06.0001\n06.0010\n09.0000\n"
			   "09.0001\n09.0010\n");

	/* DECONFIGURED counts as a finished reset (upstream): adapter 5 stays. */
	fake_queue(5, 0)->reset_rc = AP_RESPONSE_DECONFIGURED;
	expect_store(test, a, "unassign_domain", "0");
	expect_store(test, a, "assign_domain", "0");
	KUNIT_EXPECT_STREQ(test, fake_show(test, a, "guest_matrix"), "05.0000\n05.0001\n");
	/* So does CHECKSTOPPED. */
	fake_queue(5, 1)->reset_rc = AP_RESPONSE_CHECKSTOPPED;
	expect_store(test, a, "unassign_domain", "1");
	expect_store(test, a, "assign_domain", "1");
	KUNIT_EXPECT_STREQ(test, fake_show(test, a, "guest_matrix"), "05.0000\n05.0001\n");

	/* VFIO_DEVICE_RESET fails while a reset fails; DECONFIGURED is none. */
	KUNIT_EXPECT_EQ(test, vfio_ap_core_reset_queues(a), -EIO);
	/* The failed adapter comes back once its queue is reset successfully. */
	fake_queue(6, 1)->reset_rc = 0;
	KUNIT_EXPECT_EQ(test, vfio_ap_core_reset_queues(a), 0);
	expect_store(test, a, "assign_control_domain", "2");
	KUNIT_EXPECT_STREQ(test, fake_show(test, a, "guest_matrix"),
			   "05.0000\n05.0001\n06.0000\n06.0001\n");
	KUNIT_EXPECT_EQ(test, g->bad_locks, 0u);
	fake_mdev_free(a);
	KUNIT_EXPECT_EQ(test, g->refs, 0);
	fake_guest_free(g);
}

static void unbound_filtered(struct kunit *test)
{
	struct ap_matrix_mdev *a = fake_mdev_new(test, UA);
	DECLARE_BITMAP(apm, AP_DEVICES);
	DECLARE_BITMAP(aqm, AP_DOMAINS);

	expect_store(test, a, "ap_config", "0x06,0x8,0x0");
	KUNIT_EXPECT_STREQ(test, fake_show(test, a, "guest_matrix"), "05.0000\n06.0000\n");
	/* The AP bus asks before it takes queues back (apmask/aqmask writes). */
	bitmap_zero(apm, AP_DEVICES);
	bitmap_zero(aqm, AP_DOMAINS);
	set_bit_inv(5, apm);
	bitmap_fill(aqm, AP_DOMAINS);
	mutex_lock(&ap_perms_mutex);
	KUNIT_EXPECT_EQ(test, vfio_ap_core_in_use(apm, aqm), -EADDRINUSE);
	clear_bit_inv(5, apm);
	set_bit_inv(7, apm);
	KUNIT_EXPECT_EQ(test, vfio_ap_core_in_use(apm, aqm), 0);
	mutex_unlock(&ap_perms_mutex);

	/* An assigned queue that is not bound to vfio_ap is filtered. */
	fake_queue_unbind(6, 0);
	expect_store(test, a, "assign_control_domain", "1");
	KUNIT_EXPECT_STREQ(test, fake_show(test, a, "guest_matrix"), "05.0000\n");
	KUNIT_EXPECT_STREQ(test, fake_show(test, a, "matrix"), "05.0000\n06.0000\n");
	KUNIT_EXPECT_EQ(test, fake_queue_bind(6, 0), 0);
	KUNIT_EXPECT_STREQ(test, fake_show(test, a, "guest_matrix"), "05.0000\n06.0000\n");

	/* An adapter the host takes back is refused, not filtered. */
	mutex_lock(&ap_perms_mutex);
	set_bit_inv(7, ap_perms.apm);
	mutex_unlock(&ap_perms_mutex);
	expect_fail(test, a, "assign_adapter", "7", EADDRNOTAVAIL);
	fake_mdev_free(a);
}

/* Last: nothing the suite did made lockdep (or anything else) turn itself off. */
static void lockdep_still_on(struct kunit *test)
{
	if (!IS_ENABLED(CONFIG_PROVE_LOCKING))
		kunit_skip(test, "CONFIG_PROVE_LOCKING is off");
	KUNIT_EXPECT_EQ(test, debug_locks, 1);
}

/* clang-format off */
static struct kunit_case attrs_cases[] = {
	KUNIT_CASE(matrix_device),
	KUNIT_CASE(assign),
	KUNIT_CASE(ap_config),
	KUNIT_CASE(filtering),
	KUNIT_CASE(unbound_filtered),
	KUNIT_CASE(lockdep_still_on),
	{}
};

/* clang-format on */

static struct kunit_suite attrs_suite = {
	.name = "vfio_ap_attrs",
	.init = attrs_init,
	.exit = attrs_exit,
	.test_cases = attrs_cases,
};

kunit_test_suite(attrs_suite);
