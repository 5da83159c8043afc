// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The vfio_ap core's ap_config store (kernel/vfio_ap, built on the sim's
 * shim headers as apsim builds it) on a simulated host: 4 cards x 16
 * domains, max ids 63, adapter 0 reserved for the host, one mdev. The input
 * is written as sysfs would (a NUL after count bytes). Properties: the store
 * returns count or one of the documented errnos, and a failed store leaves
 * the mdev's ap_config as it was.
 */
#include <errno.h>
#include <stdint.h>

#include "core-fixture.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct ap_matrix_mdev *mdev;

static void check(int cond, const char *what)
{
	if (!cond) {
		fprintf(stderr, "property broken: %s\n", what);
		abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct vfio_ap_mdev_attr *a;
	char before[512], *buf;
	ssize_t r;

	if (!mdev) {
		fixture_up(4, 16, 63);
		mdev = mdev_new("11111111-2222-4333-8444-555555555555");
	}
	if (size > 4096)
		return 0;
	a = vfio_ap_mdev_attr_find("ap_config");
	check(a && a->store, "ap_config exists");
	snprintf(before, sizeof(before), "%s", mdev_show(mdev, "ap_config"));
	buf = malloc(size + 1);
	check(buf != NULL, "malloc");
	memcpy(buf, data, size);
	buf[size] = '\0';
	r = a->store(mdev, buf, size);
	free(buf);
	if (r >= 0) {
		check(r == (ssize_t)size, "success returns count");
		return 0;
	}
	check(r == -EINVAL || r == -ENODEV || r == -EADDRNOTAVAIL || r == -EADDRINUSE ||
		      r == -ERANGE || r == -EBUSY,
	      "a documented errno");
	check(strcmp(before, mdev_show(mdev, "ap_config")) == 0, "a failed store changes nothing");
	return 0;
}
