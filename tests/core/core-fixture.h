/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Shared set-up for the vfio_ap core tests: a simulated host with cards
 * 0..ncards-1 and domains 0..ndomains-1 configured, APXA with max ids 63,
 * adapter 0 reserved for the host (apmask 0x8), everything else bound to
 * vfio_ap.
 */
#ifndef CORE_FIXTURE_H
#define CORE_FIXTURE_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ap_bus_sim.h"
#include "kvm_sim.h"
#include "lockdep_sim.h"
#include "vfio_ap_core.h"
#include "vfio_ap_sim.h"

static inline void fixture_up(unsigned int ncards, unsigned int ndomains, unsigned int maxid)
{
	struct ap_config_info info;
	unsigned int i;

	ap_sim_init();
	ap_sim_get_config(&info);
	info.na = maxid;
	info.nd = maxid;
	for (i = 0; i < ncards; i++) {
		ap_sim_card_install(i, AP_DEVICE_TYPE_CEX8, AP_SIM_MODE_CCA);
		ap_sim_info_set(info.apm, i, true);
	}
	for (i = 0; i < ndomains; i++) {
		ap_sim_info_set(info.aqm, i, true);
		ap_sim_info_set(info.adm, i, true);
	}
	ap_sim_set_config(&info);
	if (ap_sim_apmask_store("0x8", 3, NULL) || vfio_ap_sim_init()) {
		fprintf(stderr, "fixture set-up failed\n");
		abort();
	}
	kvm_sim_reset_history();
}

static inline void fixture_down(void)
{
	vfio_ap_sim_exit();
	ap_sim_exit();
}

static inline struct ap_matrix_mdev *mdev_new(const char *uuid)
{
	struct ap_matrix_mdev *m = NULL;

	if (vfio_ap_sim_mdev_create(uuid, strlen(uuid), &m))
		abort();
	return m;
}

/* Write an attribute the way sysfs does: NUL-terminated copy of the bytes. */
static inline ssize_t mdev_store(struct ap_matrix_mdev *m, const char *attr, const char *val)
{
	const struct vfio_ap_mdev_attr *a = vfio_ap_mdev_attr_find(attr);
	char buf[4096];
	size_t n = strlen(val);

	if (!a || !a->store || n >= sizeof(buf))
		abort();
	memcpy(buf, val, n + 1);
	return a->store(m, buf, n);
}

/* Read an attribute into a static buffer (one at a time). */
static inline const char *mdev_show(struct ap_matrix_mdev *m, const char *attr)
{
	static char buf[4096];
	const struct vfio_ap_mdev_attr *a = vfio_ap_mdev_attr_find(attr);
	ssize_t n;

	if (!a || !a->show)
		abort();
	n = a->show(m, buf);
	buf[n < 0 ? 0 : n] = '\0';
	return buf;
}

static inline ssize_t batch_store(const char *val)
{
	const struct vfio_ap_matrix_attr *a = vfio_ap_matrix_attr_find("ap_config_batch");
	static char buf[65536];
	size_t n = strlen(val);

	if (!a || n >= sizeof(buf))
		abort();
	memcpy(buf, val, n + 1);
	return a->store(buf, n);
}

/* Read ap_config_batch: the last failed write's error line. */
static inline const char *batch_show(void)
{
	const struct vfio_ap_matrix_attr *a = vfio_ap_matrix_attr_find("ap_config_batch");
	static char buf[4096];
	ssize_t n;

	if (!a || !a->show)
		abort();
	n = a->show(buf);
	buf[n < 0 ? 0 : n] = '\0';
	return buf;
}

/* "0x" + 64 hex digits of a mask with the given ids set (-1 ends the list). */
static inline const char *mask_of(char *out, const int *ids)
{
	unsigned char nib[64] = { 0 };
	int i;

	for (i = 0; ids[i] >= 0; i++)
		nib[ids[i] / 4] |= 8 >> (ids[i] % 4);
	out[0] = '0';
	out[1] = 'x';
	for (i = 0; i < 64; i++)
		out[2 + i] = "0123456789abcdef"[nib[i]];
	out[66] = '\0';
	return out;
}

static inline u64 updates_of(struct kvm *kvm)
{
	struct kvm_sim_stats st;

	kvm_sim_get_stats(kvm, &st);
	return st.apcb_updates;
}

static inline unsigned int resets_of(unsigned int apid, unsigned int apqi)
{
	struct ap_sim_queue_state st;

	ap_sim_queue_state(AP_MKQID(apid, apqi), &st);
	return st.resets;
}

#endif
