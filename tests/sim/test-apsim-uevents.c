// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The uevents of a running apsim reach real libudev monitors with kernel BPF
 * subsystem filters: mask changes (and none for an unchanged mask), mdev
 * create/remove, hot plug. Root, inside unshare -m -n; APSIM names the binary.
 */
#include <poll.h>
#include <string.h>

#include <libudev.h>

#include "sim/apsim-run.h"
#include "tap.h"

static struct apsim_run sim;

static int put(const char *rel, const char *s)
{
	return apsim_put(&sim, rel, s);
}

static struct udev_monitor *monitor(struct udev *udev, const char *subsystem)
{
	struct udev_monitor *mon = udev_monitor_new_from_netlink(udev, "udev");

	if (mon && (udev_monitor_filter_add_match_subsystem_devtype(mon, subsystem, NULL) < 0 ||
		    udev_monitor_enable_receiving(mon) < 0)) {
		udev_monitor_unref(mon);
		mon = NULL;
	}
	return mon;
}

/*
 * The next event with this action and devpath (and property key, if given);
 * others are skipped. NULL on timeout.
 */
static struct udev_device *expect_prop(struct udev_monitor *mon, const char *action,
				       const char *devpath, const char *key, int timeout_ms)
{
	struct pollfd p = { .fd = udev_monitor_get_fd(mon), .events = POLLIN };

	for (int i = 0; i < 1000 && poll(&p, 1, timeout_ms) > 0; i++) {
		struct udev_device *d = udev_monitor_receive_device(mon);

		if (!d)
			continue;
		if (strcmp(udev_device_get_action(d), action) == 0 &&
		    strcmp(udev_device_get_devpath(d), devpath) == 0 &&
		    (!key || udev_device_get_property_value(d, key)))
			return d;
		udev_device_unref(d);
	}
	return NULL;
}

static struct udev_device *expect(struct udev_monitor *mon, const char *action, const char *devpath,
				  int timeout_ms)
{
	return expect_prop(mon, action, devpath, NULL, timeout_ms);
}

/* The next such event carries key=want. */
static void expect_value(struct udev_monitor *mon, const char *action, const char *devpath,
			 const char *key, const char *want, const char *what)
{
	struct udev_device *d = expect_prop(mon, action, devpath, key, 2000);

	tap_is_str(d ? udev_device_get_property_value(d, key) : "(no event)", want, "%s", what);
	udev_device_unref(d);
}

static bool quiet(struct udev_monitor *mon, int timeout_ms)
{
	struct pollfd p = { .fd = udev_monitor_get_fd(mon), .events = POLLIN };

	return poll(&p, 1, timeout_ms) == 0;
}

int main(void)
{
	const char *apsim = getenv("APSIM");
	const char *uuid = "44444444-4444-4444-8444-444444444444";
	char mdevpath[128], val[128];
	struct udev *udev = udev_new();
	struct udev_monitor *ap, *mdev;
	struct udev_device *d;

	ap = monitor(udev, "ap");
	mdev = monitor(udev, "mdev");
	if (!tap_ok(ap && mdev, "libudev monitors with subsystem filters"))
		return tap_done();
	if (!tap_ok(apsim_run_start(&sim, apsim, NULL) == 0, "apsim started"))
		return tap_done();

	/* The monitors listened before apsim started: they saw the boot events. */
	expect_value(ap, "change", "/devices/ap", "INITSCAN", "done", "INITSCAN=done");
	expect_value(ap, "change", "/devices/ap", "COMPLETECOUNT", "1",
		     "BINDINGS=complete COMPLETECOUNT=1");

	tap_is_int(put("bus/ap/apmask", "-0\n"), 0, "apmask -0");
	d = expect(ap, "change", "/devices/ap", 2000);
	if (tap_ok(d != NULL, "change on /devices/ap received")) {
		const char *v = udev_device_get_property_value(d, "APMASK");

		tap_ok(v && strncmp(v, "0x4f", 4) == 0 && strlen(v) >= 66,
		       "APMASK= carries the new mask (%s)", v ? v : "none");
		udev_device_unref(d);
	}
	expect_value(ap, "change", "/devices/ap", "BINDINGS", "complete",
		     "BINDINGS=complete once the re-bind is done");
	tap_is_int(put("bus/ap/apmask", "-0\n"), 0, "same mask again");
	tap_ok(quiet(ap, 300), "an unchanged mask sends nothing");

	tap_is_int(put("bus/ap/aqmask", "-15\n"), 0, "aqmask -15");
	expect_value(ap, "change", "/devices/ap", "AQMASK",
		     "0xfffeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
		     "AQMASK change received (libudev drops the kernel's trailing newline)");
	expect_value(ap, "change", "/devices/ap", "BINDINGS", "complete", "and BINDINGS=complete");

	tap_is_int(
		put("devices/vfio_ap/matrix/mdev_supported_types/vfio_ap-passthrough/create", uuid),
		0, "create mdev");
	snprintf(mdevpath, sizeof(mdevpath), "/devices/vfio_ap/matrix/%s", uuid);
	d = expect(mdev, "add", mdevpath, 2000);
	tap_ok(d != NULL, "mdev add received by the mdev monitor");
	udev_device_unref(d);
	tap_ok(quiet(ap, 200), "the ap monitor saw nothing of it");

	tap_is_int(put("sim/ctl", "adapter 5 add CEX8 ep11"), 0, "hot plug adapter 5");
	d = expect(ap, "add", "/devices/ap/card05", 2000);
	if (tap_ok(d != NULL, "card add received")) {
		tap_is_str(udev_device_get_devtype(d), "ap_card", "DEVTYPE");
		tap_is_str(udev_device_get_property_value(d, "MODE"), "ep11", "MODE");
		tap_is_str(udev_device_get_property_value(d, "DEV_TYPE"), "000E", "DEV_TYPE");
		udev_device_unref(d);
	}
	d = expect(ap, "add", "/devices/ap/card05/05.0003", 2000);
	tap_ok(d != NULL, "queue add received");
	udev_device_unref(d);
	expect_value(ap, "change", "/devices/ap", "BINDINGS", "complete",
		     "BINDINGS=complete after the scan");

	tap_is_int(put("sim/ctl", "adapter 5 remove"), 0, "hot unplug adapter 5");
	d = expect(ap, "remove", "/devices/ap/card05", 2000);
	tap_ok(d != NULL, "card remove received");
	udev_device_unref(d);

	snprintf(val, sizeof(val), "devices/vfio_ap/matrix/%s/remove", uuid);
	tap_is_int(put(val, "1"), 0, "remove mdev");
	d = expect(mdev, "remove", mdevpath, 2000);
	tap_ok(d != NULL, "mdev remove received");
	udev_device_unref(d);

	tap_is_int(put("devices/ap/card01/online", "0\n"), 0, "card offline");
	expect_value(ap, "change", "/devices/ap/card01", "ONLINE", "0", "ONLINE=0");
	tap_is_int(put("devices/ap/card01/config", "0\n"), 0, "card deconfigured");
	expect_value(ap, "change", "/devices/ap/card01", "CONFIG", "0", "CONFIG=0");
	expect_value(ap, "change", "/devices/ap/card01/01.0002", "CONFIG", "0",
		     "CONFIG=0 on its queues");
	tap_is_int(put("sim/ctl", "adapter 1 config on"), 0, "card configured");
	expect_value(ap, "change", "/devices/ap/card01", "CONFIG", "1", "CONFIG=1");

	tap_is_int(put("devices/ap/card02/uevent", "change"), 0, "synthetic uevent");
	d = expect(ap, "change", "/devices/ap/card02", 2000);
	tap_ok(d != NULL, "synthetic change received");
	udev_device_unref(d);

	tap_is_int(apsim_run_stop(&sim), 0, "apsim exited and had unmounted itself");
	udev_monitor_unref(ap);
	udev_monitor_unref(mdev);
	udev_unref(udev);
	return tap_done();
}
