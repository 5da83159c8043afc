/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * UUIDs as the mdev core takes them: 8-4-4-4-12 hex digits. apctl checks them
 * before they reach the daemon so that a typo is a usage error, not a bus
 * round trip.
 */
#ifndef APCTL_UUID_H
#define APCTL_UUID_H

#include <stdbool.h>

#define UUID_STR_LEN 36

/* True for exactly 36 characters in the canonical layout (either case). */
bool uuid_is_valid(const char *s);

#endif
