// SPDX-License-Identifier: GPL-2.0-or-later
#include <errno.h>
#include <linux/capability.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth.h"
#include "log.h"
#include "manager.h"

struct pending {
	Manager *m;
	struct request *r;
};

static void deny(struct request *r)
{
	(void)sd_bus_reply_method_errorf(r->msg, SD_BUS_ERROR_ACCESS_DENIED,
					 "%s needs root, CAP_SYS_ADMIN or the polkit action %s",
					 request_type_to_string(r->type), POLKIT_ACTION_MANAGE);
	request_free(r);
}

static int on_polkit_reply(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error)
{
	struct pending *p = userdata;
	int authorized = 0, challenge = 0, r;

	if (sd_bus_message_is_method_error(reply, NULL)) {
		/* No polkit on this bus (or it failed): the credential check stands. */
		log_debug("polkit: %s", sd_bus_message_get_error(reply)->message);
	} else {
		r = sd_bus_message_read(reply, "(bb", &authorized, &challenge);
		if (r < 0)
			authorized = 0;
	}
	if (authorized)
		(void)manager_enqueue(p->m, p->r);
	else
		deny(p->r);
	free(p);
	return 0;
}

static int ask_polkit(Manager *m, struct request *r)
{
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *call = NULL;
	struct pending *p;
	int k;

	k = sd_bus_message_new_method_call(m->bus, &call, "org.freedesktop.PolicyKit1",
					   "/org/freedesktop/PolicyKit1/Authority",
					   "org.freedesktop.PolicyKit1.Authority",
					   "CheckAuthorization");
	if (k < 0)
		return k;
	/* Never activate polkit just for this: "when it runs on the bus". */
	(void)sd_bus_message_set_auto_start(call, 0);
	k = sd_bus_message_append(call, "(sa{sv})sa{ss}us", "system-bus-name", 1, "name", "s",
				  sd_bus_message_get_sender(r->msg), POLKIT_ACTION_MANAGE, 0,
				  UINT32_C(1) /* allow user interaction */, "");
	if (k < 0)
		return k;
	p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	p->m = m;
	p->r = r;
	k = sd_bus_call_async(m->bus, NULL, call, on_polkit_reply, p, 0);
	if (k < 0)
		free(p);
	return k;
}

/*
 * Privileged unique names seen recently. A unique name is never reused on a
 * bus and the bus fixes its uid at connect time, so a positive answer stays
 * true for that connection; caching it spares a synchronous credentials
 * round trip to the bus per request, which would otherwise stretch a burst
 * of requests over several batch windows.
 */
#define AUTH_CACHE_SIZE 64
static char auth_cache[AUTH_CACHE_SIZE][64];
static unsigned int auth_cache_next;

static bool auth_cached(const char *sender)
{
	for (unsigned int i = 0; sender && i < AUTH_CACHE_SIZE; i++)
		if (strcmp(auth_cache[i], sender) == 0)
			return true;
	return false;
}

static void auth_remember(const char *sender)
{
	if (!sender || strlen(sender) >= sizeof(auth_cache[0]))
		return;
	snprintf(auth_cache[auth_cache_next], sizeof(auth_cache[0]), "%s", sender);
	auth_cache_next = (auth_cache_next + 1) % AUTH_CACHE_SIZE;
}

int auth_then_enqueue(Manager *m, struct request *r)
{
	const char *sender = sd_bus_message_get_sender(r->msg);
	int k;

	if (auth_cached(sender))
		return manager_enqueue(m, r);
	/* >0 when the sender has CAP_SYS_ADMIN, or the daemon's own uid (root). */
	k = sd_bus_query_sender_privilege(r->msg, CAP_SYS_ADMIN);
	if (k > 0) {
		auth_remember(sender);
		return manager_enqueue(m, r);
	}
	if (k < 0)
		log_debug_errno(k, "Failed to query the sender's credentials");
	k = ask_polkit(m, r);
	if (k < 0)
		deny(r);
	return 0;
}
