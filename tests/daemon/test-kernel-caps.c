// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The pure parts of the kernel probe: release parsing and which known
 * kernel bugs apply to a kernel (release range, Linux's vfio_ap or not).
 * tests/dbus/test-kernel.sh probes apsim's kernel levels end to end.
 */
#include <string.h>

#include "kernel-caps.h"
#include "tap.h"

static void test_release_parse(void)
{
	unsigned int ma = 0, mi = 0;

	tap_ok(kernel_release_parse("6.12.0-1-s390x", &ma, &mi) == 0 && ma == 6 && mi == 12,
	       "6.12.0-1-s390x is 6.12");
	tap_ok(kernel_release_parse("7.2", &ma, &mi) == 0 && ma == 7 && mi == 2, "7.2");
	tap_ok(kernel_release_parse("6.19-rc3", &ma, &mi) == 0 && ma == 6 && mi == 19, "6.19-rc3");
	tap_ok(kernel_release_parse("", &ma, &mi) < 0, "empty refused");
	tap_ok(kernel_release_parse("6", &ma, &mi) < 0, "no minor refused");
	tap_ok(kernel_release_parse("v6.1", &ma, &mi) < 0, "leading garbage refused");
	tap_ok(kernel_release_parse(NULL, &ma, &mi) < 0, "NULL refused");
}

static size_t bugs_of(const char *release, enum kernel_driver drv, const char *id)
{
	struct kernel_caps k = { .driver = drv };
	size_t n = 0;

	snprintf(k.release, sizeof(k.release), "%s", release);
	if (kernel_release_parse(release, &k.major, &k.minor) < 0)
		k.major = k.minor = 0;
	for (size_t i = 0; i < kernel_bugs_n; i++)
		if (kernel_bug_applies(&kernel_bugs[i], &k) &&
		    (!id || !strcmp(kernel_bugs[i].id, id)))
			n++;
	return n;
}

static void test_bug_table(void)
{
	for (size_t i = 0; i < kernel_bugs_n; i++) {
		const struct kernel_bug *b = &kernel_bugs[i];

		tap_ok(b->id && b->title && b->effect && *b->effect, "%s: documented fields",
		       b->id);
		tap_ok(b->since_major * 1000 + b->since_minor <
			       b->fixed_major * 1000 + b->fixed_minor,
		       "%s: since < fixed", b->id);
	}
	tap_ok(bugs_of("6.12.0", KDRV_UPSTREAM, "vfio-ap-kvm-null") == 1,
	       "6.12 with Linux's vfio_ap has the kvm NULL bug");
	tap_ok(bugs_of("5.15.0", KDRV_UPSTREAM, "vfio-ap-kvm-null") == 0, "5.15 predates it");
	tap_ok(bugs_of("7.2.0", KDRV_UPSTREAM, NULL) == 0, "7.2 has the fixes");
	tap_ok(bugs_of("6.12.0", KDRV_APMATRIX, NULL) == 0, "this driver has none of vfio_ap's");
	tap_ok(bugs_of("6.19.0", KDRV_APMATRIX, "ap-driver-override-uaf") == 1,
	       "an AP bus bug applies whatever the driver");
	tap_ok(bugs_of("6.18.0", KDRV_UPSTREAM, "ap-driver-override-uaf") == 0,
	       "6.18 has no driver_override");
	tap_ok(bugs_of("", KDRV_UPSTREAM, NULL) == 0, "an unknown release gets no warning");
	tap_ok(bugs_of("6.12.0", KDRV_NONE, "vfio-ap-kvm-null") == 0,
	       "no vfio_ap loaded, no vfio_ap bug");
}

static void test_feature_names(void)
{
	for (int f = 0; f < _KFEAT_MAX; f++)
		tap_ok(strcmp(kernel_feature_to_string((enum kernel_feature)f), "?") != 0,
		       "feature %d has a name (%s)", f,
		       kernel_feature_to_string((enum kernel_feature)f));
}

int main(void)
{
	tap_subtest(test_release_parse);
	tap_subtest(test_bug_table);
	tap_subtest(test_feature_names);
	return tap_done();
}
