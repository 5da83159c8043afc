/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * libvirt's event loop hooks (virEventRegisterImpl) served by sd-event, so
 * that libvirt's connection I/O, keepalives and event dispatch run on the
 * daemon's one thread and one loop.
 */
#ifndef APM_LIBVIRT_EVENT_H
#define APM_LIBVIRT_EVENT_H

#include <systemd/sd-event.h>

/*
 * Register once per process, before the first virConnectOpen*(). The loop
 * must outlive every libvirt connection. Returns -EBUSY when another loop
 * was registered already.
 */
int libvirt_event_register(sd_event *e);

/* Handles and timers libvirt currently holds; for tests and leak checks. */
unsigned int libvirt_event_count(void);

#endif
