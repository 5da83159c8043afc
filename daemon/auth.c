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
	sd_bus_message *msg;
	const char *what; /* static: a request type's name or a method's */
	auth_handler_t handler;
};

static int deny(sd_bus_message *msg, const char *what)
{
	return sd_bus_reply_method_errorf(msg, SD_BUS_ERROR_ACCESS_DENIED,
					  "%s needs root, CAP_SYS_ADMIN or the polkit action %s",
					  what, POLKIT_ACTION_MANAGE);
}

/* Granted by polkit: run the handler now; its error is the reply. */
static void run_granted(struct pending *p)
{
	_cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
	int k;

	k = sd_bus_message_rewind(p->msg, true);
	if (k >= 0)
		k = p->handler(p->msg, p->m, &error);
	if (k >= 0)
		return;
	if (sd_bus_error_is_set(&error))
		(void)sd_bus_reply_method_error(p->msg, &error);
	else
		(void)sd_bus_reply_method_errno(p->msg, k, NULL);
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
		run_granted(p);
	else
		(void)deny(p->msg, p->what);
	sd_bus_message_unref(p->msg);
	free(p);
	return 0;
}

static int ask_polkit(Manager *m, sd_bus_message *msg, const char *what, auth_handler_t handler)
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
				  sd_bus_message_get_sender(msg), POLKIT_ACTION_MANAGE, 0,
				  UINT32_C(1) /* allow user interaction */, "");
	if (k < 0)
		return k;
	p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	*p = (struct pending){
		.m = m, .msg = sd_bus_message_ref(msg), .what = what, .handler = handler
	};
	k = sd_bus_call_async(m->bus, NULL, call, on_polkit_reply, p, 0);
	if (k < 0) {
		sd_bus_message_unref(p->msg);
		free(p);
	}
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

int auth_then_named(Manager *m, sd_bus_message *msg, const char *what, auth_handler_t handler,
		    sd_bus_error *error)
{
	const char *sender = sd_bus_message_get_sender(msg);
	int k;

	if (auth_cached(sender))
		return handler(msg, m, error);
	/* >0 when the sender has CAP_SYS_ADMIN, or the daemon's own uid (root). */
	k = sd_bus_query_sender_privilege(msg, CAP_SYS_ADMIN);
	if (k > 0) {
		auth_remember(sender);
		return handler(msg, m, error);
	}
	if (k < 0)
		log_debug_errno(k, "Failed to query the sender's credentials");
	k = ask_polkit(m, msg, what, handler);
	if (k < 0) {
		k = deny(msg, what);
		if (k < 0)
			return k;
	}
	return 1;
}

int auth_then(Manager *m, sd_bus_message *msg, enum request_type type, auth_handler_t handler,
	      sd_bus_error *error)
{
	return auth_then_named(m, msg, request_type_to_string(type), handler, error);
}
