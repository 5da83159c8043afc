// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * apsim's uevents reach a real libudev monitor that has kernel BPF filters
 * installed (subsystem, subsystem+devtype), and carry the properties udevd
 * would forward. Needs root and its own network namespace (meson runs it
 * under unshare -n).
 */
#include <errno.h>
#include <poll.h>
#include <string.h>

#include <libudev.h>

#include "tap.h"
#include "uevent.h"

static struct udev_device *receive(struct udev_monitor *mon, int timeout_ms)
{
	struct pollfd p = { .fd = udev_monitor_get_fd(mon), .events = POLLIN };

	if (poll(&p, 1, timeout_ms) <= 0)
		return NULL;
	return udev_monitor_receive_device(mon);
}

static struct udev_monitor *monitor(struct udev *udev, const char *subsystem, const char *devtype)
{
	struct udev_monitor *mon = udev_monitor_new_from_netlink(udev, "udev");

	if (!mon)
		return NULL;
	if (udev_monitor_filter_add_match_subsystem_devtype(mon, subsystem, devtype) < 0 ||
	    udev_monitor_enable_receiving(mon) < 0) {
		udev_monitor_unref(mon);
		return NULL;
	}
	return mon;
}

int main(void)
{
	struct udev *udev = udev_new();
	struct udev_monitor *ap, *cards, *mdev;
	struct udev_device *d;
	const char *env_card[] = { "DEV_TYPE=000E", "MODALIAS=ap:t0E", "MODE=cca", NULL };
	const char *env_cfg[] = { "CONFIG=0", NULL };
	const char *env_mask[] = { "APMASK=0x3fff", NULL };
	char buf[1024];
	int len;

	/* The well-known value libudev filters against for "ap" must come out of our hash. */
	len = uevent_build(buf, sizeof(buf), 7, "add", "/devices/ap/card05", "ap", "ap_card", NULL,
			   env_card);
	tap_ok(len > 40 && memcmp(buf, "libudev", 8) == 0, "datagram has the libudev prefix");
	tap_ok(uevent_murmur2("", 0, 0) == 0, "MurmurHash2 of the empty string is 0");
	tap_ok(uevent_tag_bloom("systemd") != 0, "a tag sets bloom bits");

	if (!tap_ok(udev != NULL, "udev context"))
		return tap_done();
	ap = monitor(udev, "ap", NULL);
	cards = monitor(udev, "ap", "ap_card");
	mdev = monitor(udev, "mdev", NULL);
	if (!tap_ok(ap && cards && mdev, "three filtered libudev monitors"))
		return tap_done();
	tap_is_int(uevent_open(), 0, "uevent socket opens (root, own netns)");

	tap_is_int(uevent_send("add", "/devices/ap/card05", "ap", "ap_card", NULL, env_card), 0,
		   "send card add");
	d = receive(ap, 2000);
	if (tap_ok(d != NULL, "subsystem filter passes the card event")) {
		tap_is_str(udev_device_get_action(d), "add", "ACTION");
		tap_is_str(udev_device_get_devpath(d), "/devices/ap/card05", "DEVPATH");
		tap_is_str(udev_device_get_subsystem(d), "ap", "SUBSYSTEM");
		tap_is_str(udev_device_get_devtype(d), "ap_card", "DEVTYPE");
		tap_is_str(udev_device_get_property_value(d, "MODE"), "cca", "MODE");
		tap_is_str(udev_device_get_property_value(d, "DEV_TYPE"), "000E", "DEV_TYPE");
		tap_ok(udev_device_get_seqnum(d) > 0, "SEQNUM set");
		tap_ok(udev_device_get_is_initialized(d), "initialized, as from udevd");
		udev_device_unref(d);
	}
	d = receive(cards, 2000);
	tap_ok(d != NULL, "subsystem+devtype filter passes the card event");
	udev_device_unref(d);

	tap_is_int(uevent_send("change", "/devices/ap/card05/05.0003", "ap", "ap_queue", "vfio_ap",
			       env_cfg),
		   0, "send queue change");
	d = receive(ap, 2000);
	if (tap_ok(d != NULL, "subsystem filter passes the queue event")) {
		tap_is_str(udev_device_get_property_value(d, "CONFIG"), "0", "CONFIG");
		tap_is_str(udev_device_get_driver(d), "vfio_ap", "DRIVER");
		udev_device_unref(d);
	}
	tap_is_int(uevent_send("change", "/devices/ap", "ap", NULL, NULL, env_mask), 0,
		   "send bus change");
	d = receive(ap, 2000);
	if (tap_ok(d != NULL, "bus change received"))
		tap_is_str(udev_device_get_property_value(d, "APMASK"), "0x3fff", "APMASK");
	udev_device_unref(d);

	/* Devtype and subsystem filters must drop what does not match (in the kernel). */
	d = receive(cards, 200);
	tap_ok(d == NULL, "ap_card filter dropped the queue and bus events");
	udev_device_unref(d);
	d = receive(mdev, 200);
	tap_ok(d == NULL, "mdev filter dropped every ap event");
	udev_device_unref(d);
	tap_is_int(uevent_send("change", "/devices/vfio_ap/matrix", "vfio_ap", NULL, NULL,
			       (const char *[]){ "MDEV_STATE=registered", NULL }),
		   0, "send matrix change");
	d = receive(ap, 200);
	tap_ok(d == NULL, "ap filter dropped the vfio_ap event");
	udev_device_unref(d);
	tap_is_int((long long)uevent_seqnum(), 4, "four events sent");

	uevent_close();
	udev_monitor_unref(ap);
	udev_monitor_unref(cards);
	udev_monitor_unref(mdev);
	udev_unref(udev);
	return tap_done();
}
