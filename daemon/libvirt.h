/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Follows libvirt's guests: which domains hold vfio-ap mediated devices and
 * in which state they are. The manager gets one callback per change; this
 * module never changes anything in libvirt.
 */
#ifndef APM_LIBVIRT_H
#define APM_LIBVIRT_H

#include <stdbool.h>
#include <systemd/sd-event.h>

#include "domain-xml.h"

typedef enum GuestState {
	GUEST_SHUTOFF,
	GUEST_RUNNING,
	GUEST_PAUSED,
	GUEST_GONE, /* undefined, or a transient domain that stopped */
	_GUEST_STATE_MAX,
} GuestState;

const char *guest_state_to_string(GuestState s);

/* d->name and d->uuids are only valid during the call. */
typedef void (*guest_changed_fn)(const domain_vfio_ap *d, GuestState state, void *userdata);

typedef struct LibvirtFollower LibvirtFollower;

/*
 * Connect (read-only) to uri and report every domain with vfio-ap hostdevs,
 * then their changes. A failed or lost connection is logged and retried with
 * backoff (1 s doubling to 60 s); the caller keeps running meanwhile.
 */
int libvirt_follower_new(sd_event *e, const char *uri, guest_changed_fn cb, void *userdata,
			 LibvirtFollower **ret);
LibvirtFollower *libvirt_follower_free(LibvirtFollower *f);
bool libvirt_follower_is_connected(const LibvirtFollower *f);

static inline void libvirt_follower_freep(LibvirtFollower **f)
{
	if (*f)
		libvirt_follower_free(*f);
}

#endif
