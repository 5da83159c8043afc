// SPDX-License-Identifier: GPL-2.0-or-later
#include <errno.h>
#include <libudev.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "manager.h"
#include "udev.h"

/* Per wake-up; the rest stays in the socket for the next one. */
#define UDEV_EVENTS_PER_WAKEUP 4096

struct udev_watch {
	Manager *manager;
	struct udev *udev;
	struct udev_monitor *monitor;
	sd_event_source *source;
};

static const char *const subsystems[] = { "ap", "matrix", "vfio_ap", "mdev" };

static int on_udev(sd_event_source *s, int fd, uint32_t revents, void *userdata)
{
	struct udev_watch *w = userdata;

	for (unsigned int i = 0; i < UDEV_EVENTS_PER_WAKEUP; i++) {
		struct udev_device *d = udev_monitor_receive_device(w->monitor);
		const char *b;

		if (!d)
			break;
		w->manager->stats.uevents++;
		log_debug("uevent %s %s", udev_device_get_action(d) ?: "?",
			  udev_device_get_devpath(d) ?: "?");
		b = udev_device_get_property_value(d, "BINDINGS");
		if (b && strcmp(b, "complete") == 0) {
			const char *c = udev_device_get_property_value(d, "COMPLETECOUNT");

			manager_note_bindings_complete(w->manager, c ? strtoull(c, NULL, 10) : 0);
		}
		manager_note_uevent(w->manager, udev_device_get_subsystem(d),
				    udev_device_get_devpath(d), udev_device_get_action(d),
				    udev_device_get_property_value(d, "APMASK") ||
					    udev_device_get_property_value(d, "AQMASK"));
		udev_device_unref(d);
	}
	return 0;
}

void udev_watch_free(struct udev_watch *w)
{
	if (!w)
		return;
	sd_event_source_disable_unref(w->source);
	udev_monitor_unref(w->monitor);
	udev_unref(w->udev);
	free(w);
}

int udev_watch_new(Manager *m, struct udev_watch **ret)
{
	struct udev_watch *w = calloc(1, sizeof(*w));
	int r;

	if (!w)
		return -ENOMEM;
	w->manager = m;
	w->udev = udev_new();
	if (!w->udev) {
		udev_watch_free(w);
		return -ENOMEM;
	}
	w->monitor = udev_monitor_new_from_netlink(w->udev, "udev");
	if (!w->monitor) {
		udev_watch_free(w);
		return log_warning_errno(-EIO, "Failed to create the udev monitor");
	}
	for (size_t i = 0; i < ELEMENTSOF(subsystems); i++) {
		r = udev_monitor_filter_add_match_subsystem_devtype(w->monitor, subsystems[i],
								    NULL);
		if (r < 0) {
			udev_watch_free(w);
			return log_warning_errno(r, "Failed to filter on subsystem %s",
						 subsystems[i]);
		}
	}
	/* A burst of 1000 events must fit while the daemon applies a batch. */
	(void)udev_monitor_set_receive_buffer_size(w->monitor, 16 * 1024 * 1024);
	r = udev_monitor_enable_receiving(w->monitor);
	if (r < 0) {
		udev_watch_free(w);
		return log_warning_errno(r, "Failed to enable the udev monitor");
	}
	r = sd_event_add_io(m->event, &w->source, udev_monitor_get_fd(w->monitor), EPOLLIN, on_udev,
			    w);
	if (r < 0) {
		udev_watch_free(w);
		return r;
	}
	*ret = w;
	return 0;
}
