/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The libvirt hook's inhibitor for an incoming migration. libvirt runs every
 * hook invocation as its own short process, so the fd that holds the
 * inhibitor lives in a holder process the hook leaves behind: "prepare
 * begin" of a guest that "migrate begin" announced starts it, "release end"
 * stops it, and it goes by itself once apmatrixd reports the guest running
 * (the migration is over: libvirt resumed it). Its pid is in
 * STATE_DIR/UUID.inhibit, which it holds locked while it lives, so a stale
 * file is never mistaken for a live holder.
 */
#ifndef APCTL_HOOK_INHIBIT_H
#define APCTL_HOOK_INHIBIT_H

/* What the hook's inhibitors are called (Inhibit's who). */
#define HOOK_INHIBIT_WHO "libvirt hook (apctl hook)"
/* STATE_DIR/UUID.inhibit: the holder's pid and the guest. */
#define HOOK_INHIBIT_SUFFIX ".inhibit"

/*
 * Start the holder of a block inhibitor of uuid for guest's migration and
 * return once it holds it (0), or with its error (one line on stderr, the
 * negative errno).
 */
int hook_inhibit_start(const char *state_dir, const char *uuid, const char *guest);

/* Stop uuid's holder, if one lives, and wait until it is gone. */
int hook_inhibit_stop(const char *state_dir, const char *uuid);

#endif
