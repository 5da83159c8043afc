/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Every row of the sysfs contract's attribute tables (sections 2 and 3),
 * run against the vfio_ap core on the simulated host: formats, errnos, and
 * that a failed store changes nothing.
 */
#include <errno.h>

#include "tap.h"
#include "core-fixture.h"

#define UA "11111111-2222-3333-4444-555555555555"
#define UB "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"

/* Store that must fail with @err and leave ap_config as it was. */
static void expect_fail(struct ap_matrix_mdev *m, const char *attr, const char *val, int err)
{
	char before[512];

	snprintf(before, sizeof(before), "%s", mdev_show(m, "ap_config"));
	tap_is_int(mdev_store(m, attr, val), -err, "%s '%s' fails with %s", attr, val,
		   strerror(err));
	tap_is_str(mdev_show(m, "ap_config"), before, "  ... and changes nothing");
}

static void test_matrix_device(void)
{
	const struct vfio_ap_matrix_attr *f = vfio_ap_matrix_attr_find("features");
	struct ap_matrix_mdev *m = NULL;
	char buf[4096];
	ssize_t n;

	n = f->show(buf);
	buf[n] = '\0';
	tap_is_str(buf, "guest_matrix hotplug ap_config ap_config_batch\n", "features");
	tap_ok(f->mode == 0444 && vfio_ap_matrix_attr_find("ap_config_batch")->mode == 0644,
	       "features ro, ap_config_batch rw");
	n = vfio_ap_matrix_attr_find("ap_config_batch")->show(buf);
	buf[n] = '\0';
	tap_is_str(buf, "none\n", "ap_config_batch reads none before any failed write");
	tap_is_int(vfio_ap_available_instances(), 65536, "available_instances starts at 65536");
	tap_is_int(vfio_ap_sim_mdev_create("not-a-uuid", 10, &m), -EINVAL,
		   "create: bad uuid EINVAL");
	tap_is_int(vfio_ap_sim_mdev_create(UA "x", 37, &m), -EINVAL,
		   "create: 37 bytes not \\n EINVAL");
	tap_is_int(vfio_ap_sim_mdev_create(UA "\n", 37, &m), 0, "create with newline");
	tap_is_int(vfio_ap_available_instances(), 65535, "available_instances decrements");
	tap_is_int(vfio_ap_sim_mdev_create(UA, 36, &m), -EEXIST, "create: duplicate EEXIST");
	mutex_lock(&vfio_ap_core.mdevs_lock);
	m = vfio_ap_mdev_find(&m->uuid);
	mutex_unlock(&vfio_ap_core.mdevs_lock);
	vfio_ap_sim_mdev_destroy(m);
	tap_is_int(vfio_ap_available_instances(), 65536, "remove gives the instance back");
}

static void test_assign(void)
{
	struct ap_matrix_mdev *a = mdev_new(UA), *b = mdev_new(UB);

	tap_is_str(mdev_show(a, "matrix"), "", "empty matrix reads empty");
	tap_is_int(mdev_store(a, "assign_adapter", "5"), 1, "assign_adapter 5");
	tap_is_str(mdev_show(a, "matrix"), "05.\n", "adapters only: '%%02x.'");
	tap_is_int(mdev_store(a, "assign_adapter", "5\n"), 2, "assigning a set id is a no-op");
	tap_is_int(mdev_store(a, "assign_domain", "0x10"), 4, "assign_domain 0x10 (hex)");
	tap_is_int(mdev_store(a, "assign_domain", "010"), 3, "assign_domain 010 (octal 8)");
	tap_is_str(mdev_show(a, "matrix"), "05.0008\n05.0010\n", "matrix lists APQNs");
	expect_fail(a, "assign_adapter", "64", ENODEV);
	expect_fail(a, "assign_adapter", "256", ENODEV);
	expect_fail(a, "assign_domain", "0100", ENODEV); /* octal 64 */
	expect_fail(a, "assign_adapter", "abc", EINVAL);
	expect_fail(a, "assign_adapter", "-1", EINVAL);
	expect_fail(a, "assign_adapter", "", EINVAL);
	expect_fail(a, "assign_adapter", "5x", EINVAL);
	expect_fail(a, "assign_domain", "08", EINVAL); /* 8 is not an octal digit */
	expect_fail(a, "assign_adapter", "0", EADDRNOTAVAIL); /* adapter 0: host */

	tap_is_int(mdev_store(b, "assign_domain", "8"), 1, "b: assign_domain 8 (no adapters)");
	tap_is_str(mdev_show(b, "matrix"), ".0008\n", "domains only: '.%%04x'");
	expect_fail(b, "assign_adapter", "5", EADDRINUSE);
	expect_fail(b, "assign_adapter", "0", EADDRNOTAVAIL); /* reserved before shared */
	tap_is_int(mdev_store(b, "assign_adapter", "6"), 1, "b: assign_adapter 6");
	expect_fail(a, "assign_adapter", "6", EADDRINUSE);

	expect_fail(a, "unassign_adapter", "64", ENODEV);
	expect_fail(a, "unassign_domain", "xyz", EINVAL);
	tap_is_int(mdev_store(a, "unassign_adapter", "7"), 1, "unassigning a clear id: no-op");
	tap_is_int(mdev_store(a, "unassign_domain", "16"), 2, "unassign_domain 16");
	tap_is_str(mdev_show(a, "matrix"), "05.0008\n", "matrix after unassign_domain");

	tap_is_int(mdev_store(a, "assign_control_domain", "3"), 1, "assign_control_domain 3");
	tap_is_int(mdev_store(b, "assign_control_domain", "3"), 1, "control domains may be shared");
	tap_is_int(mdev_store(a, "assign_control_domain", "0x3f"), 4, "assign_control_domain 63");
	expect_fail(a, "assign_control_domain", "64", ENODEV);
	expect_fail(a, "unassign_control_domain", "64", ENODEV);
	tap_is_str(mdev_show(a, "control_domains"), "0003\n003f\n", "control_domains '%%04x'");
	tap_is_int(mdev_store(a, "unassign_control_domain", "63"), 2, "unassign_control_domain");
	tap_is_str(mdev_show(a, "control_domains"), "0003\n", "control_domains after unassign");

	vfio_ap_sim_mdev_destroy(a);
	vfio_ap_sim_mdev_destroy(b);
}

static void test_ap_config(void)
{
	struct ap_matrix_mdev *a = mdev_new(UA), *b = mdev_new(UB);
	char m1[80], m2[80], m3[80], line[512], bad[600];

	snprintf(line, sizeof(line), "%s,%s,%s\n", mask_of(m1, (int[]){ -1 }),
		 mask_of(m2, (int[]){ -1 }), mask_of(m3, (int[]){ -1 }));
	tap_is_str(mdev_show(a, "ap_config"), line, "ap_config of an empty mdev");

	snprintf(line, sizeof(line), "%s,%s,%s\n", mask_of(m1, (int[]){ 1, 2, 63, -1 }),
		 mask_of(m2, (int[]){ 4, 5, -1 }), mask_of(m3, (int[]){ 0, 9, -1 }));
	tap_is_int(mdev_store(a, "ap_config", line), strlen(line), "ap_config write");
	tap_is_str(mdev_show(a, "ap_config"), line, "ap_config reads back what was written");
	tap_is_str(mdev_show(a, "matrix"), "01.0004\n01.0005\n02.0004\n02.0005\n3f.0004\n3f.0005\n",
		   "matrix after ap_config");
	tap_is_str(mdev_show(a, "control_domains"), "0000\n0009\n",
		   "control_domains after ap_config");

	tap_is_int(mdev_store(a, "ap_config", "0x4,0x08,0x0"), 12,
		   "short masks are zero-padded on the right");
	tap_is_str(mdev_show(a, "matrix"), "01.0004\n", "0x4 is id 1, 0x08 is id 4");

	tap_is_int(mdev_store(a, "ap_config", "0x4,0x08,0x01\n"), 14,
		   "ap_config 01 x 04, control 07");
	tap_is_int(mdev_store(a, "ap_config", "0x6,0x0c\n"), 9,
		   "two masks and a newline: accepted, as Linux 6.12");
	tap_is_str(mdev_show(a, "matrix"), "01.0004\n01.0005\n02.0004\n02.0005\n",
		   "  APM and AQM replaced");
	tap_is_str(mdev_show(a, "control_domains"), "", "  ADM cleared");
	tap_is_int(mdev_store(a, "ap_config", "0x4,0x08\n"), 9, "  again, with the ADM empty");
	expect_fail(a, "ap_config", "0x1,0x2", EINVAL); /* no newline: EINVAL in 6.12 too */
	expect_fail(a, "ap_config", "0x1\n", EINVAL);
	expect_fail(a, "ap_config", ",0x2\n", EINVAL);
	expect_fail(a, "ap_config", "0x1,0x2,0x3,0x4", EINVAL);
	expect_fail(a, "ap_config", "0xg,0x2,0x3", EINVAL);
	expect_fail(a, "ap_config", "", EINVAL);
	memset(bad, 'f', sizeof(bad));
	memcpy(bad, "0x", 2);
	bad[2 + 65] = '\0';
	strcat(bad, ",0x0,0x0");
	expect_fail(a, "ap_config", bad, EINVAL); /* 65 digits */
	snprintf(line, sizeof(line), "%s,0x0,0x0", mask_of(m1, (int[]){ 64, -1 }));
	expect_fail(a, "ap_config", line, ENODEV);
	snprintf(line, sizeof(line), "0x0,0x0,%s", mask_of(m1, (int[]){ 200, -1 }));
	expect_fail(a, "ap_config", line, ENODEV);
	expect_fail(a, "ap_config", "0x8,0x08,0x0", EADDRNOTAVAIL); /* 00.0004: host */

	tap_is_int(mdev_store(b, "ap_config", "0x2,0x08,0x0"), 12, "b: ap_config 02.0004");
	expect_fail(a, "ap_config", "0x6,0x08,0x0", EADDRINUSE);
	/* Reserved and shared at once: reservation is reported first. */
	expect_fail(a, "ap_config", "0xa,0x08,0x0", EADDRNOTAVAIL);

	vfio_ap_sim_mdev_destroy(a);
	vfio_ap_sim_mdev_destroy(b);
}

static void test_filtering(void)
{
	struct ap_matrix_mdev *a = mdev_new(UA);
	struct kvm *kvm = kvm_sim_create("g", 1);
	char buf[64];

	/* Host: cards 0-7, domains 0-15. Domain 16 and adapter 9 not configured. */
	tap_is_int(mdev_store(a, "ap_config", "0x0640,0xc0008,0xc008"), 21,
		   "assign adapters 5,6,9 domains 0,1,16 control 0,1,12");
	tap_is_str(mdev_show(a, "guest_matrix"), "05.0000\n05.0001\n06.0000\n06.0001\n",
		   "guest_matrix: host config filters adapter 9 and domain 16");
	tap_is_int(vfio_ap_core_queue_status_show(AP_MKQID(5, 0), buf), 9, "queue status");
	tap_is_str(buf, "assigned\n", "queue 05.0000 is assigned");
	vfio_ap_core_queue_status_show(AP_MKQID(7, 0), buf);
	tap_is_str(buf, "unassigned\n", "queue 07.0000 is unassigned");
	tap_is_int(vfio_ap_sim_attach(a, kvm), 0, "attach a guest");
	vfio_ap_core_queue_status_show(AP_MKQID(5, 0), buf);
	tap_is_str(buf, "in use\n", "queue 05.0000 is in use");

	/* A queue whose reset fails costs its adapter, not the domain. */
	ap_sim_queue_set_reset_fault(AP_MKQID(6, 1), 0x06, 0);
	tap_is_int(mdev_store(a, "unassign_domain", "1"), 1, "unassign domain 1 (resets 0x.0001)");
	tap_is_int(mdev_store(a, "assign_domain", "1"), 1, "assign domain 1 again");
	tap_is_str(mdev_show(a, "guest_matrix"), "05.0000\n05.0001\n",
		   "adapter 6 filtered: 06.0001's last reset failed");
	tap_is_str(mdev_show(a, "matrix"),
		   "05.0000\n05.0001\n05.0010\n06.0000\n06.0001\n06.0010\n09.0000\n09.0001\n"
		   "09.0010\n",
		   "matrix keeps what the filter drops");

	/* SCLP deconfigure keeps the devices; the reset answers DECONFIGURED. */
	{
		struct ap_sim_queue_state st;
		bool cfg = true;

		tap_is_int(ap_sim_card_set_config(5, false), 0, "deconfigure card 5 (SCLP)");
		tap_ok(ap_sim_card_state(5, &cfg, NULL) == 0 && !cfg, "  card 5 reads config 0");
		ap_sim_queue_state(AP_MKQID(5, 0), &st);
		tap_ok(st.exists && st.driver == AP_SIM_DRIVER_VFIO && !st.config,
		       "  queue 05.0000 stays, bound to vfio_ap, config 0");
		tap_is_int(mdev_store(a, "unassign_domain", "0"), 1, "unassign domain 0");
		tap_is_int(mdev_store(a, "assign_domain", "0"), 1, "assign domain 0 again");
		tap_is_str(mdev_show(a, "guest_matrix"), "05.0000\n05.0001\n",
			   "adapter 5 kept: DECONFIGURED counts as a finished reset (upstream)");
		ap_sim_card_set_config(5, true);
		tap_is_int(ap_sim_card_set_config(77, true), -ENOENT,
			   "card 77 not installed: ENOENT");
	}
	ap_sim_queue_set_reset_fault(AP_MKQID(6, 1), 0, 0);
	vfio_ap_sim_detach(a);
	vfio_ap_sim_mdev_destroy(a);
	kvm_sim_destroy(kvm);
}

static void test_unbound_filtered(void)
{
	struct ap_matrix_mdev *a = mdev_new(UA);

	tap_is_int(mdev_store(a, "ap_config", "0x06,0x8,0x0"), 12, "assign 05.0000 06.0000");
	tap_is_int(ap_sim_apmask_store("+5", 2, NULL), -EBUSY,
		   "apmask taking back an assigned APQN: EBUSY");
	tap_is_int(ap_sim_apmask_store("+7", 2, NULL), 0, "apmask +7 (unassigned)");
	tap_is_int(ap_sim_aqmask_store("-0", 2, NULL), 0, "aqmask -0: domain 0 free");
	tap_is_int(mdev_store(a, "assign_adapter", "7"), 1, "assign adapter 7 (07.0000 free)");
	tap_is_int(ap_sim_aqmask_store("+0\n", 3, NULL), -EBUSY,
		   "aqmask taking back 07.0000: EBUSY");
	tap_is_int(mdev_store(a, "unassign_adapter", "7"), 1, "unassign adapter 7");
	tap_is_int(ap_sim_aqmask_store("+0", 2, NULL), 0, "aqmask +0 now allowed");
	tap_is_int(ap_sim_apmask_store("-7", 2, NULL), 0, "apmask -7");
	tap_is_int(mdev_store(a, "unassign_adapter", "6"), 1, "unassign adapter 6");
	tap_is_int(ap_sim_apmask_store("+6", 2, NULL), 0, "apmask +6 now allowed");
	tap_is_int(mdev_store(a, "assign_adapter", "6"), -EADDRNOTAVAIL,
		   "adapter 6 now reserved for the host");
	ap_sim_apmask_store("-6", 2, NULL);
	vfio_ap_sim_mdev_destroy(a);
}

int main(void)
{
	fixture_up(8, 16, 63);
	test_matrix_device();
	test_assign();
	test_ap_config();
	test_filtering();
	test_unbound_filtered();
	tap_is_int(lockdep_sim_violations(), 0, "no lock-order violation");
	tap_is_int(kvm_sim_invariant_violations(), 0, "no APQN in two guests");
	fixture_down();
	return tap_done();
}
