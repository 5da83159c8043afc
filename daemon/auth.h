/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Who may change things: reads are open to everybody; a mutation needs uid 0
 * or CAP_SYS_ADMIN in the sender's credentials (as the bus reports them), or
 * else a polkit grant of org.apmatrix1.manage when polkit is on the bus.
 * Otherwise org.freedesktop.DBus.Error.AccessDenied and nothing changes.
 */
#ifndef APMATRIXD_AUTH_H
#define APMATRIXD_AUTH_H

#include "request.h"

#define POLKIT_ACTION_MANAGE "org.apmatrix1.manage"

/* Takes r: queues it when allowed, answers AccessDenied (and frees it) when not. */
int auth_then_enqueue(Manager *m, struct request *r);

#endif
