// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The libvirt follower against libvirt's test driver: a node file read at
 * connect time, and live lifecycle events caused through a second
 * connection (test:///default shares one state per process; with
 * APM_TEST_LIBVIRT_URI set, a session libvirtd in another process).
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <unistd.h>

#include <libvirt/libvirt.h>

#include "libvirt-event.h"
#include "libvirt.h"
#include "macro.h"
#include "tap.h"

#define UUID_A "669d9b23-fe1b-4ecb-be08-a2fabca99b71"

struct seen {
	unsigned int calls;
	char name[64];
	char uuid[40];
	size_t n_uuids;
	GuestState state;
};

static void on_guest(const domain_vfio_ap *d, GuestState state, void *userdata)
{
	struct seen *s = userdata;

	s->calls++;
	snprintf(s->name, sizeof(s->name), "%s", d->name);
	snprintf(s->uuid, sizeof(s->uuid), "%s", d->n_uuids ? d->uuids[0] : "");
	s->n_uuids = d->n_uuids;
	s->state = state;
}

static int on_watchdog(sd_event_source *src, uint64_t usec, void *userdata)
{
	*(bool *)userdata = true;
	return 0;
}

/* Run the loop until done(arg) holds; a watchdog of limit seconds fails the wait. */
static int run_until(sd_event *e, bool (*done)(void *arg), void *arg, unsigned int limit)
{
	sd_event_source *wd = NULL;
	bool expired = false;

	sd_event_add_time_relative(e, &wd, CLOCK_MONOTONIC, limit * 1000000ULL, 0, on_watchdog,
				   &expired);
	while (!done(arg) && !expired)
		if (sd_event_run(e, UINT64_MAX) < 0)
			break;
	sd_event_source_disable_unref(wd);
	return done(arg) ? 0 : -ETIMEDOUT;
}

struct calls_wanted {
	const struct seen *s;
	unsigned int want;
};

static bool calls_reached(void *arg)
{
	const struct calls_wanted *c = arg;

	return c->s->calls >= c->want;
}

static int wait_calls(sd_event *e, struct seen *s, unsigned int want)
{
	struct calls_wanted c = { .s = s, .want = want };

	return run_until(e, calls_reached, &c, 10);
}

static const char domain_xml[] =
	"<domain type='test'><name>apguest</name><memory>1048576</memory>"
	"<os><type>hvm</type></os><devices>"
	"<hostdev mode='subsystem' type='mdev' model='vfio-ap'><source>"
	"<address uuid='" UUID_A "'/></source></hostdev></devices></domain>";

static void test_node_file(sd_event *e)
{
	char path[] = "/tmp/apm-node-XXXXXX.xml";
	char uri[128];
	LibvirtFollower *f = NULL;
	struct seen s = { 0 };
	FILE *fp;
	int fd;

	fd = mkstemps(path, 4);
	fp = fdopen(fd, "w");
	fprintf(fp,
		"<node><cpu><nodes>1</nodes><sockets>1</sockets><cores>1</cores>"
		"<threads>1</threads><active>1</active><mhz>1000</mhz><model>s390x</model>"
		"</cpu><memory>4194304</memory>%s"
		"<domain type='test'><name>plain</name><memory>1024</memory>"
		"<os><type>hvm</type></os></domain></node>",
		domain_xml);
	fclose(fp);
	snprintf(uri, sizeof(uri), "test://%s", path);

	tap_is_int(libvirt_follower_new(e, uri, on_guest, &s, &f), 0, "connect to a node file");
	tap_ok(f && libvirt_follower_is_connected(f), "connected");
	tap_is_int(s.calls, 1, "one guest with vfio-ap reported, the plain one not");
	tap_is_str(s.name, "apguest", "guest name");
	tap_is_str(s.uuid, UUID_A, "guest's mdev uuid");
	tap_is_int(s.state, GUEST_RUNNING, "node-file domains run");
	libvirt_follower_free(f);
	unlink(path);
}

/* What another libvirt client does to the guest, and what the follower must report. */
static const struct {
	const char *what;
	int (*act)(virDomainPtr dom);
	GuestState state;
} lifecycle[] = {
	{ "start", virDomainCreate, GUEST_RUNNING },
	{ "suspend", virDomainSuspend, GUEST_PAUSED },
	{ "resume", virDomainResume, GUEST_RUNNING },
	{ "destroy", virDomainDestroy, GUEST_SHUTOFF },
	{ "undefine", virDomainUndefine, GUEST_GONE },
};

static void test_lifecycle(sd_event *e, const char *uri)
{
	LibvirtFollower *f = NULL;
	struct seen s = { 0 };
	virConnectPtr other;
	virDomainPtr dom;

	tap_is_int(libvirt_follower_new(e, uri, on_guest, &s, &f), 0, "follow %s", uri);
	other = virConnectOpen(uri);
	if (!tap_ok(other != NULL, "second connection to %s", uri))
		return;

	/* The default test domain has no vfio-ap device: nothing to report. */
	tap_is_int(s.calls, 0, "no vfio-ap guests at first");

	dom = virDomainDefineXML(other, domain_xml);
	tap_ok(dom != NULL, "define a guest with a vfio-ap hostdev");
	tap_is_int(wait_calls(e, &s, 1), 0, "defined event seen");
	tap_ok(s.state == GUEST_SHUTOFF && strcmp(s.uuid, UUID_A) == 0, "defined, shut off, uuid");

	for (size_t i = 0; i < ELEMENTSOF(lifecycle); i++) {
		tap_is_int(lifecycle[i].act(dom), 0, "%s it", lifecycle[i].what);
		tap_is_int(wait_calls(e, &s, (unsigned int)i + 2), 0, "%s: event seen",
			   lifecycle[i].what);
		tap_is_int(s.state, lifecycle[i].state, "%s: guest is %s", lifecycle[i].what,
			   guest_state_to_string(lifecycle[i].state));
	}
	tap_is_str(s.uuid, UUID_A, "gone names the device it held");

	virDomainFree(dom);
	virConnectClose(other);
	libvirt_follower_free(f);
}

static void test_unreachable(sd_event *e)
{
	LibvirtFollower *f = NULL;
	struct seen s = { 0 };

	tap_is_int(libvirt_follower_new(e, "test+unix:///default?socket=/nonexistent/sock",
					on_guest, &s, &f),
		   0, "an unreachable libvirt is not fatal");
	tap_ok(f && !libvirt_follower_is_connected(f), "not connected, retrying later");
	libvirt_follower_free(f);
}

struct connected_wanted {
	LibvirtFollower *f;
	bool want;
};

static bool connected_reached(void *arg)
{
	const struct connected_wanted *c = arg;

	return libvirt_follower_is_connected(c->f) == c->want;
}

static int wait_connected(sd_event *e, LibvirtFollower *f, bool want)
{
	struct connected_wanted c = { .f = f, .want = want };

	return run_until(e, connected_reached, &c, 20);
}

/* libvirtd goes away and comes back: the follower notices, reconnects and rescans. */
static void test_reconnect(sd_event *e, const char *uri, const char *stop_cmd,
			   const char *start_cmd)
{
	LibvirtFollower *f = NULL;
	struct seen s = { 0 };
	virConnectPtr other;
	virDomainPtr dom;

	tap_is_int(libvirt_follower_new(e, uri, on_guest, &s, &f), 0, "follow %s", uri);
	tap_is_int(system(stop_cmd), 0, "stop libvirtd");
	tap_is_int(wait_connected(e, f, false), 0, "the follower notices libvirtd is gone");
	tap_is_int(system(start_cmd), 0, "start libvirtd again");
	tap_is_int(wait_connected(e, f, true), 0, "the follower reconnects");

	other = virConnectOpen(uri);
	dom = other ? virDomainDefineXML(other, domain_xml) : NULL;
	tap_ok(dom != NULL, "define a guest on the new libvirtd");
	tap_is_int(wait_calls(e, &s, 1), 0, "events flow on the new connection");
	if (dom) {
		virDomainUndefine(dom);
		virDomainFree(dom);
	}
	if (other)
		virConnectClose(other);
	libvirt_follower_free(f);
}

static void settle(sd_event *e)
{
	/* Deferred frees of removed libvirt sources run on the next iterations. */
	for (int i = 0; i < 100 && sd_event_run(e, 0) > 0; i++)
		;
}

int main(void)
{
	const char *uri = getenv("APM_TEST_LIBVIRT_URI");
	sd_event *e = NULL;

	sd_event_default(&e);
	if (uri && *uri) {
		unsigned int n;

		test_lifecycle(e, uri);
		settle(e);
		n = libvirt_event_count();
		/* The remote driver keeps one process-wide handle; connections must not add. */
		test_lifecycle(e, uri);
		settle(e);
		tap_is_int(libvirt_event_count(), n, "no libvirt handle leaks per connection");
		if (getenv("APM_TEST_LIBVIRT_STOP"))
			test_reconnect(e, uri, getenv("APM_TEST_LIBVIRT_STOP"),
				       getenv("APM_TEST_LIBVIRT_START"));
	} else {
		test_node_file(e);
		test_lifecycle(e, "test:///default");
		test_unreachable(e);
		settle(e);
		tap_is_int(libvirt_event_count(), 0, "libvirt released all its handles and timers");
	}
	sd_event_unref(e);
	return tap_done();
}
