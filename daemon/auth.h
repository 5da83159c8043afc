/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Who may change things: reads are open to everybody; a mutation needs uid 0
 * or CAP_SYS_ADMIN in the sender's credentials (as the bus reports them), or
 * else a polkit grant of org.apmatrix1.manage when polkit is on the bus.
 * Otherwise org.freedesktop.DBus.Error.AccessDenied and nothing changes.
 *
 * Authorisation comes first: a method's arguments are read and validated only
 * once its sender may mutate, so an unprivileged caller gets AccessDenied
 * whatever it sent (only a wrong signature is refused earlier, by sd-bus).
 */
#ifndef APMATRIXD_AUTH_H
#define APMATRIXD_AUTH_H

#include "request.h"

#define POLKIT_ACTION_MANAGE "org.apmatrix1.manage"

/*
 * The part of a method that runs once the sender is authorised: reads msg's
 * arguments, validates them, queues a request (the reply comes with its batch)
 * and returns > 0, or returns < 0 with error set.
 */
typedef int (*auth_handler_t)(sd_bus_message *msg, Manager *m, sd_bus_error *error);

/*
 * Run handler for msg once its sender may mutate: at once (returning what the
 * handler returns) for root or CAP_SYS_ADMIN; after polkit grants it
 * otherwise (returning 1 now; the handler's error, if any, is then sent as
 * the reply); AccessDenied naming what was attempted (type) else.
 */
int auth_then(Manager *m, sd_bus_message *msg, enum request_type type, auth_handler_t handler,
	      sd_bus_error *error);
/* The same for a method that is not a request (Inhibit): what names it in AccessDenied. */
int auth_then_named(Manager *m, sd_bus_message *msg, const char *what, auth_handler_t handler,
		    sd_bus_error *error);

#endif
