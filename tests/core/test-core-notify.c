/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The configuration-change notification (the eventfd of IRQ index 1, as
 * Linux 6.15 and QEMU 10.1 use it): one per APCB update, and one per guest
 * for an ap_config_batch, even for a guest of a cycle that gets two
 * updates; when it arrives, the guest's masks are the batch's result.
 */
#include <errno.h>

#include "tap.h"
#include "core-fixture.h"
#include "vfio_ap_internal.h"

#define UA "00000000-0000-0000-0000-0000000000e1"
#define UB "00000000-0000-0000-0000-0000000000e2"
#define UC "00000000-0000-0000-0000-0000000000e3"
#define UD "00000000-0000-0000-0000-0000000000e4"

static struct ap_matrix_mdev *m[4];
static struct kvm *g[4];
static unsigned int notes[4];
/* What each guest saw at its last notification: its CRYCB masks then. */
static struct ap_matrix seen[4];
static bool seen_ok = true;

static int idx(const struct ap_matrix_mdev *mdev)
{
	for (int i = 0; i < 4; i++)
		if (m[i] == mdev)
			return i;
	return -1;
}

/* The guest's rescan: it reads the masks KVM gave it (mdevs_lock is held here). */
static void on_notify(struct ap_matrix_mdev *mdev, void *userdata)
{
	int i = idx(mdev);

	if (i < 0)
		return;
	notes[i]++;
	kvm_sim_get_masks(mdev->kvm, seen[i].apm, seen[i].aqm, seen[i].adm);
	if (!vfio_ap_matrix_equal(&seen[i], &mdev->shadow_apcb))
		seen_ok = false;
}

static void batch(const char *text, const char *what)
{
	const struct vfio_ap_matrix_attr *a = vfio_ap_matrix_attr_find("ap_config_batch");

	tap_is_int(a->store(text, strlen(text)), strlen(text), "batch: %s", what);
}

static void zero_notes(u64 *u)
{
	for (int i = 0; i < 4; i++) {
		notes[i] = 0;
		u[i] = updates_of(g[i]);
	}
}

/* Guest @i's view after the batch equals its shadow APCB (its guest_matrix). */
static bool view_matches(int i)
{
	struct ap_matrix now;

	kvm_sim_get_masks(g[i], now.apm, now.aqm, now.adm);
	return vfio_ap_matrix_equal(&now, &seen[i]) &&
	       vfio_ap_matrix_equal(&now, &m[i]->shadow_apcb);
}

int main(void)
{
	const char *names[4] = { UA, UB, UC, UD };
	u64 u[4];

	fixture_up(16, 16, 63);
	for (int i = 0; i < 4; i++) {
		char name[2] = { (char)('A' + i), 0 };

		m[i] = mdev_new(names[i]);
		g[i] = kvm_sim_create(name, 1);
	}
	vfio_ap_sim_set_cfg_changed_hook(on_notify, NULL);
	/* A: 01 x 01-02, B: 02 x 01-02, C: 03 x 01-02, D: 04 x 01-02 */
	batch(UA " 0x4,0x6,0x0\n" UB " 0x2,0x6,0x0\n" UC " 0x1,0x6,0x0\n" UD " 0x08,0x6,0x0\n",
	      "four mdevs, no guests");
	for (int i = 0; i < 4; i++)
		if (vfio_ap_sim_attach(m[i], g[i]))
			abort();
	tap_ok(notes[0] == 1 && notes[1] == 1 && notes[2] == 1 && notes[3] == 1,
	       "attach: one notification each");

	zero_notes(u);
	batch(UA " 0x2,0x6,0x0\n" UB " 0x1,0x6,0x0\n" UC " 0x4,0x6,0x0\n",
	      "cycle of three: A takes 02, B 03, C 01");
	tap_ok(updates_of(g[0]) - u[0] + updates_of(g[1]) - u[1] + updates_of(g[2]) - u[2] == 4,
	       "  four APCB updates (one guest of the cycle gets two)");
	for (int i = 0; i < 3; i++) {
		tap_is_int(notes[i], 1, "  guest %c: exactly one notification", 'A' + i);
		tap_ok(view_matches(i), "  guest %c: its view is its APCB after the batch",
		       'A' + i);
	}
	tap_is_int(notes[3], 0, "  D (not in the batch): none");

	zero_notes(u);
	batch(UA " 0x6,0x6,0x0\n" UB " 0x0,0x6,0x0\n" UC " 0x1,0x6,0x0\n",
	      "chain: B gives 03 to C, C gives 01 to A");
	for (int i = 0; i < 3; i++) {
		tap_is_int(notes[i], 1, "  guest %c: one notification", 'A' + i);
		tap_ok(view_matches(i), "  guest %c: view matches", 'A' + i);
	}

	zero_notes(u);
	tap_is_int(mdev_store(m[3], "assign_domain", "3"), 1, "a single store on D");
	tap_is_int(notes[3], 1, "  one notification");
	tap_ok(view_matches(3), "  D's view matches");
	zero_notes(u);
	tap_is_int(mdev_store(m[3], "assign_domain", "3"), 1, "the same store again");
	tap_is_int(notes[3], 0, "  no update, no notification");

	tap_ok(seen_ok, "at every notification the guest's masks were its shadow APCB");
	tap_is_int(kvm_sim_invariant_violations(), 0, "no APQN in two guests at any update");
	tap_is_int(lockdep_sim_violations(), 0, "no lock-order violation");
	vfio_ap_sim_set_cfg_changed_hook(NULL, NULL);
	for (int i = 0; i < 4; i++) {
		vfio_ap_sim_detach(m[i]);
		vfio_ap_sim_mdev_destroy(m[i]);
		kvm_sim_destroy(g[i]);
	}
	fixture_down();
	return tap_done();
}
