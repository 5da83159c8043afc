/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Uevents as udevd forwards them to libudev monitors: one datagram per event
 * on NETLINK_KOBJECT_UEVENT, multicast group 2, a "libudev" header with the
 * subsystem/devtype hashes and the tag bloom that the monitors' kernel BPF
 * filters look at, then the NUL-separated properties.
 */
#ifndef APSIM_UEVENT_H
#define APSIM_UEVENT_H

#include <stddef.h>
#include <stdint.h>

/* Opens the sending socket. Without it (or after a failure) events are only counted. */
int uevent_open(void);
void uevent_close(void);

/*
 * devpath without the /sys prefix ("/devices/ap/card05"); devtype and driver
 * may be NULL; env is NULL or a NULL-terminated list of "KEY=VALUE".
 * Returns 0 or -errno (a missing listener is not an error).
 */
int uevent_send(const char *action, const char *devpath, const char *subsystem, const char *devtype,
		const char *driver, const char *const *env);

/* Events sent so far (the last SEQNUM). */
uint64_t uevent_seqnum(void);

/* What libudev computes for its filters; exposed for the tests. */
uint32_t uevent_murmur2(const void *data, size_t len, uint32_t seed);
uint64_t uevent_tag_bloom(const char *tag);

/* Builds the datagram into buf; returns its length or -ENOBUFS. */
int uevent_build(char *buf, size_t size, uint64_t seqnum, const char *action, const char *devpath,
		 const char *subsystem, const char *devtype, const char *driver,
		 const char *const *env);

#endif
