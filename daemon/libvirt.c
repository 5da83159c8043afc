// SPDX-License-Identifier: GPL-2.0-or-later
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>

#include "libvirt-dlopen.h"
#include "libvirt-event.h"
#include "libvirt.h"
#include "log.h"
#include "macro.h"

#define RECONNECT_MIN_USEC (1ULL * 1000000)
#define RECONNECT_MAX_USEC (60ULL * 1000000)
/* Domains listed per scan; a host with more is reported, not followed. */
#define DOMAINS_MAX 4096

/* What we last reported for one domain, so that "gone" can name its devices. */
struct guest {
	domain_vfio_ap d;
	GuestState state;
	struct guest *next;
};

struct LibvirtFollower {
	sd_event *event;
	char *uri;
	guest_changed_fn cb;
	void *userdata;

	virConnectPtr conn;
	int lifecycle_id;
	sd_event_source *reconnect;
	sd_event_source *drop;
	uint64_t backoff;

	struct guest *guests;
};

static const char *const state_names[_GUEST_STATE_MAX] = {
	[GUEST_SHUTOFF] = "shutoff",
	[GUEST_RUNNING] = "running",
	[GUEST_PAUSED] = "paused",
	[GUEST_GONE] = "gone",
};

const char *guest_state_to_string(GuestState s)
{
	return s < _GUEST_STATE_MAX ? state_names[s] : NULL;
}

static const char *last_error(void)
{
	const char *m = sym_virGetLastErrorMessage();

	return m ? m : "unknown libvirt error";
}

static struct guest *guest_find(LibvirtFollower *f, const char *name)
{
	for (struct guest *g = f->guests; g; g = g->next)
		if (strcmp(g->d.name, name) == 0)
			return g;
	return NULL;
}

static void guest_drop(LibvirtFollower *f, struct guest *g)
{
	for (struct guest **p = &f->guests; *p; p = &(*p)->next)
		if (*p == g) {
			*p = g->next;
			break;
		}
	domain_vfio_ap_done(&g->d);
	free(g);
}

static GuestState state_from_libvirt(int st)
{
	switch (st) {
	case VIR_DOMAIN_RUNNING:
	case VIR_DOMAIN_BLOCKED:
		return GUEST_RUNNING;
	case VIR_DOMAIN_PAUSED:
	case VIR_DOMAIN_PMSUSPENDED:
		return GUEST_PAUSED;
	default:
		return GUEST_SHUTOFF;
	}
}

/* Report a domain as libvirt now describes it; domains without vfio-ap are skipped. */
static int guest_refresh(LibvirtFollower *f, virDomainPtr dom, int known_state)
{
	_cleanup_free_ char *xml = NULL;
	domain_vfio_ap d;
	struct guest *g;
	int st, reason, r;
	GuestState state;

	xml = sym_virDomainGetXMLDesc(dom, 0);
	if (!xml)
		return log_warning_errno(-EIO, "Failed to read the XML of domain %s: %s",
					 sym_virDomainGetName(dom), last_error());
	r = domain_xml_parse_vfio_ap(xml, strlen(xml), &d);
	if (r < 0)
		return log_warning_errno(r, "Ignoring domain %s: its vfio-ap hostdevs do not parse",
					 sym_virDomainGetName(dom));

	if (known_state >= 0)
		state = (GuestState)known_state;
	else if (sym_virDomainGetState(dom, &st, &reason, 0) == 0)
		state = state_from_libvirt(st);
	else
		state = GUEST_SHUTOFF;

	g = guest_find(f, d.name);
	if (!g && d.n_uuids == 0) {
		domain_vfio_ap_done(&d);
		return 0;
	}
	if (!g) {
		g = calloc(1, sizeof(*g));
		if (!g) {
			domain_vfio_ap_done(&d);
			return log_oom();
		}
		g->next = f->guests;
		f->guests = g;
	} else {
		domain_vfio_ap_done(&g->d);
	}
	g->d = d;
	g->state = state;
	f->cb(&g->d, state, f->userdata);
	/* A domain that lost its last vfio-ap device is reported once, then forgotten. */
	if (g->d.n_uuids == 0)
		guest_drop(f, g);
	return 0;
}

static void guest_gone(LibvirtFollower *f, const char *name)
{
	struct guest *g = guest_find(f, name);

	if (!g)
		return;
	f->cb(&g->d, GUEST_GONE, f->userdata);
	guest_drop(f, g);
}

static void guest_set_state(LibvirtFollower *f, virDomainPtr dom, GuestState state)
{
	struct guest *g = guest_find(f, sym_virDomainGetName(dom));

	/*
	 * Known domains change state from the event alone: no libvirt call, so a
	 * start whose hook is waiting for us cannot be blocked by us. Unknown ones
	 * (transient domains) are read; their start hook has finished by then.
	 */
	if (!g) {
		guest_refresh(f, dom, (int)state);
		return;
	}
	if (g->state == state)
		return;
	g->state = state;
	f->cb(&g->d, state, f->userdata);
}

static int on_lifecycle(virConnectPtr conn, virDomainPtr dom, int event, int detail, void *opaque)
{
	LibvirtFollower *f = opaque;

	switch (event) {
	case VIR_DOMAIN_EVENT_DEFINED:
		guest_refresh(f, dom, -1);
		break;
	case VIR_DOMAIN_EVENT_UNDEFINED:
		guest_gone(f, sym_virDomainGetName(dom));
		break;
	case VIR_DOMAIN_EVENT_STARTED:
	case VIR_DOMAIN_EVENT_RESUMED:
		guest_set_state(f, dom, GUEST_RUNNING);
		break;
	case VIR_DOMAIN_EVENT_SUSPENDED:
	case VIR_DOMAIN_EVENT_PMSUSPENDED:
		guest_set_state(f, dom, GUEST_PAUSED);
		break;
	case VIR_DOMAIN_EVENT_STOPPED:
	case VIR_DOMAIN_EVENT_CRASHED:
		if (!sym_virDomainIsPersistent(dom))
			guest_gone(f, sym_virDomainGetName(dom));
		else
			guest_set_state(f, dom, GUEST_SHUTOFF);
		break;
	default:
		break;
	}
	return 0;
}

static int schedule_reconnect(LibvirtFollower *f);
static void on_close(virConnectPtr conn, int reason, void *opaque);

static void connection_drop(LibvirtFollower *f)
{
	if (!f->conn)
		return;
	if (f->lifecycle_id >= 0)
		sym_virConnectDomainEventDeregisterAny(f->conn, f->lifecycle_id);
	f->lifecycle_id = -1;
	sym_virConnectUnregisterCloseCallback(f->conn, on_close);
	sym_virConnectClose(f->conn);
	f->conn = NULL;
}

static int on_drop(sd_event_source *s, void *userdata)
{
	LibvirtFollower *f = userdata;

	f->drop = sd_event_source_unref(f->drop);
	connection_drop(f);
	schedule_reconnect(f);
	return 0;
}

static void on_close(virConnectPtr conn, int reason, void *opaque)
{
	LibvirtFollower *f = opaque;

	log_warning("Lost the libvirt connection to %s (reason %d), reconnecting", f->uri, reason);
	/* Not from libvirt's own stack: close the connection from a clean one. */
	if (!f->drop && sd_event_add_defer(f->event, &f->drop, on_drop, f) < 0)
		log_error("Failed to schedule the libvirt reconnect");
}

static int scan(LibvirtFollower *f)
{
	virDomainPtr *doms = NULL;
	int n;

	n = sym_virConnectListAllDomains(f->conn, &doms, 0);
	if (n < 0)
		return log_warning_errno(-EIO, "Failed to list libvirt domains: %s", last_error());
	if (n > DOMAINS_MAX)
		log_warning("libvirt lists %d domains; following the first %d", n, DOMAINS_MAX);
	for (int i = 0; i < n; i++) {
		if (i < DOMAINS_MAX)
			guest_refresh(f, doms[i], -1);
		sym_virDomainFree(doms[i]);
	}
	free(doms);
	return 0;
}

static int connect_now(LibvirtFollower *f)
{
	f->conn = sym_virConnectOpenReadOnly(f->uri);
	if (!f->conn)
		return log_warning_errno(-ECONNREFUSED, "Failed to connect to libvirt at %s: %s",
					 f->uri, last_error());
	if (sym_virConnectRegisterCloseCallback(f->conn, on_close, f, NULL) < 0)
		log_debug("libvirt at %s has no close callback: %s", f->uri, last_error());
	f->lifecycle_id = sym_virConnectDomainEventRegisterAny(
		f->conn, NULL, VIR_DOMAIN_EVENT_ID_LIFECYCLE,
		VIR_DOMAIN_EVENT_CALLBACK(on_lifecycle), f, NULL);
	if (f->lifecycle_id < 0) {
		log_warning("Failed to subscribe to libvirt lifecycle events at %s: %s", f->uri,
			    last_error());
		connection_drop(f);
		return -EIO;
	}
	f->backoff = 0;
	log_info("Following libvirt guests at %s", f->uri);
	return scan(f);
}

static int on_reconnect(sd_event_source *s, uint64_t usec, void *userdata)
{
	LibvirtFollower *f = userdata;

	f->reconnect = sd_event_source_unref(f->reconnect);
	if (connect_now(f) < 0)
		schedule_reconnect(f);
	return 0;
}

static int schedule_reconnect(LibvirtFollower *f)
{
	int r;

	f->backoff = f->backoff ? f->backoff * 2 : RECONNECT_MIN_USEC;
	if (f->backoff > RECONNECT_MAX_USEC)
		f->backoff = RECONNECT_MAX_USEC;
	r = sd_event_add_time_relative(f->event, &f->reconnect, CLOCK_MONOTONIC, f->backoff, 0,
				       on_reconnect, f);
	if (r < 0)
		return log_error_errno(r, "Failed to schedule a libvirt reconnect");
	return 0;
}

static void silence_libvirt(void *userdata, virErrorPtr error)
{
	/* Errors are logged where they matter, with context. */
}

int libvirt_follower_new(sd_event *e, const char *uri, guest_changed_fn cb, void *userdata,
			 LibvirtFollower **ret)
{
	LibvirtFollower *f;
	int r;

	if (!uri || !*uri || !cb)
		return -EINVAL;
	r = libvirt_event_register(e);
	if (r < 0)
		return r;
	sym_virSetErrorFunc(NULL, silence_libvirt);

	f = calloc(1, sizeof(*f));
	if (!f)
		return -ENOMEM;
	f->event = sd_event_ref(e);
	f->cb = cb;
	f->userdata = userdata;
	f->lifecycle_id = -1;
	f->uri = strdup(uri);
	if (!f->uri) {
		libvirt_follower_free(f);
		return -ENOMEM;
	}
	if (connect_now(f) < 0) {
		r = schedule_reconnect(f);
		if (r < 0) {
			libvirt_follower_free(f);
			return r;
		}
	}
	*ret = f;
	return 0;
}

LibvirtFollower *libvirt_follower_free(LibvirtFollower *f)
{
	if (!f)
		return NULL;
	connection_drop(f);
	sd_event_source_disable_unref(f->reconnect);
	sd_event_source_disable_unref(f->drop);
	while (f->guests)
		guest_drop(f, f->guests);
	sd_event_unref(f->event);
	free(f->uri);
	free(f);
	return NULL;
}

bool libvirt_follower_is_connected(const LibvirtFollower *f)
{
	return f->conn != NULL;
}
