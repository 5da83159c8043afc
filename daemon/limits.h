/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Limits on what one client can make the daemon hold. */

/*
 * daemon/ is on the include path, so this file also answers <limits.h>: pass
 * the system's on (PATH_MAX, INT_MAX, ...). Outside the guard: gcc's
 * syslimits.h comes back here on its way to the C library's limits.h.
 */
#include_next <limits.h>

#ifndef APMATRIXD_LIMITS_H
#define APMATRIXD_LIMITS_H

/*
 * Mutations one bus connection (unique name) may have waiting for the next
 * batch; beyond that a request is answered org.apmatrix1.Error.TooManyRequests
 * at once. Below the system bus's 128 pending replies per connection, so one
 * connection can hit it.
 */
#define REQUESTS_QUEUED_PER_CLIENT_MAX 64

#endif
