// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The vfio_ap core's ap_config_batch store (kernel/vfio_ap on the sim's
 * shim headers) on a simulated host with three mdevs: lines
 * "<uuid> <apm>,<aqm>,<adm>". Properties: the store returns count or a
 * documented errno, and a failed batch changes no mdev's ap_config.
 */
#include <errno.h>
#include <stdint.h>

#include "core-fixture.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const uuids[] = {
	"11111111-2222-4333-8444-555555555551",
	"11111111-2222-4333-8444-555555555552",
	"11111111-2222-4333-8444-555555555553",
};
static struct ap_matrix_mdev *mdevs[3];

static void check(int cond, const char *what)
{
	if (!cond) {
		fprintf(stderr, "property broken: %s\n", what);
		abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct vfio_ap_matrix_attr *a;
	char before[3][512], *buf;
	ssize_t r;

	if (!mdevs[0]) {
		fixture_up(4, 16, 63);
		for (int i = 0; i < 3; i++)
			mdevs[i] = mdev_new(uuids[i]);
	}
	if (size > 16384)
		return 0;
	a = vfio_ap_matrix_attr_find("ap_config_batch");
	check(a && a->store, "ap_config_batch exists");
	for (int i = 0; i < 3; i++)
		snprintf(before[i], sizeof(before[i]), "%s", mdev_show(mdevs[i], "ap_config"));
	buf = malloc(size + 1);
	check(buf != NULL, "malloc");
	memcpy(buf, data, size);
	buf[size] = '\0';
	r = a->store(buf, size);
	free(buf);
	if (r >= 0) {
		check(r == (ssize_t)size, "success returns count");
		return 0;
	}
	check(r == -EINVAL || r == -ENOENT || r == -ENODEV || r == -EADDRNOTAVAIL ||
		      r == -EADDRINUSE || r == -ERANGE || r == -EBUSY || r == -E2BIG,
	      "a documented errno");
	for (int i = 0; i < 3; i++)
		check(strcmp(before[i], mdev_show(mdevs[i], "ap_config")) == 0,
		      "a failed batch changes nothing");
	return 0;
}
