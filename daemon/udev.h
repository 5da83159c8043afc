/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * libudev monitor on the "udev" source for the ap, matrix, vfio_ap and mdev
 * subsystems. Events only schedule a rescan, so a burst of uevents costs one
 * rescan, not one per event.
 */
#ifndef APMATRIXD_UDEV_H
#define APMATRIXD_UDEV_H

typedef struct Manager Manager;
struct udev_watch;

int udev_watch_new(Manager *m, struct udev_watch **ret);
void udev_watch_free(struct udev_watch *w);

#endif
