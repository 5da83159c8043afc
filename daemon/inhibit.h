/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Inhibitors, in the manner of systemd-inhibit: Inhibit(uuid, who, why, mode)
 * hands the caller the write end of a pipe; while any copy of it is open, no
 * request changes that device. The daemon keeps the read end and learns from
 * EPOLLHUP that the holder closed it or died.
 *
 * A request changes a device when it names it: DefineDevice and
 * PrepareMigration (of an existing uuid), UndefineDevice, StartDevice,
 * StopDevice, Assign, Unassign and every device listed in an Apply. Reserve and Release change the host's masks, not
 * a device: the validation already refuses to give back an APQN a device
 * holds, and a reserved queue joins no device by itself, so they are not
 * inhibited. Dry runs are answered at once (a block inhibitor refuses them as
 * it would refuse the request).
 *
 *   block  the request fails with org.apmatrix1.Error.Inhibited naming the
 *          holder (who, pid, uid) and its reason;
 *   delay  the request waits outside the queue until no delay inhibitor of
 *          any device it names is left, then rejoins its sender's queue in
 *          front of what that sender sent since and runs in the next batch; at
 *          most InhibitDelayMaxSec (then .Inhibited). Requests for other
 *          devices are not held up.
 *
 * The daemon's own requests (autostart, Enforce=yes corrections) wait for
 * every inhibitor of their device, without a time limit.
 */
#ifndef APMATRIXD_INHIBIT_H
#define APMATRIXD_INHIBIT_H

#include <systemd/sd-bus.h>

#include "request.h"

/* inhibit_check(): r is held by a delay inhibitor and belongs to inhibit.c now. */
#define INHIBIT_HELD 1

struct inhibit_state;

/*
 * The Inhibit and ListInhibitors methods and the InhibitorsChanged signal on
 * the manager object (org.apmatrix1.Manager). Allocates m->inhibit.
 */
int inhibit_bus_register(Manager *m);

/*
 * Where a batch validates r: 0 when no inhibitor concerns it; INHIBIT_HELD
 * when a delay inhibitor holds it (r is taken: it comes back through the
 * queue); a negative errno with error set (.Inhibited, or .TooManyRequests
 * when too many requests are held already) when it is refused.
 */
int inhibit_check(Manager *m, struct request *r, sd_bus_error *error);

/* Answer the held requests (the daemon stops) and release every inhibitor. */
void inhibit_free(Manager *m);

#endif
