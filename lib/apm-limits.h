/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Every limit apmatrixd puts on what a client sends, in one place. Each has a
 * name (the NAME in "LIMIT(NAME, value)" below) that the error
 * org.apmatrix1.Error.LimitExceeded carries in its message together with the
 * value found and the maximum, e.g.
 *
 *     config_json: 70000 bytes, over the limit ConfigJsonBytes=65536
 *
 * The same names and values are listed in org.apmatrix1(5) (section LIMITS)
 * and in dbus/org.apmatrix1.Manager.xml; tests/dbus/check-limits.py fails
 * when the three disagree. Keep one "#define APM_LIMIT_* value" per line,
 * with the documented name in the comment in front of it.
 */
#ifndef APM_LIMITS_H
#define APM_LIMITS_H

#define APM_ERROR_LIMIT_EXCEEDED "org.apmatrix1.Error.LimitExceeded"

/* ConfigJsonBytes: config_json of DefineDevice, in bytes. */
#define APM_LIMIT_CONFIG_JSON_BYTES 65536
/* DesiredJsonBytes: desired_json of Apply, in bytes. */
#define APM_LIMIT_DESIRED_JSON_BYTES 1048576
/* MigrationJsonBytes: json of CheckMigration and PrepareMigration (an export), in bytes. */
#define APM_LIMIT_MIGRATION_JSON_BYTES 8388608
/* JsonDepth: nesting of arrays and objects in a JSON argument. */
#define APM_LIMIT_JSON_DEPTH 16
/* IdsPerCall: entries of the ids array of Assign, Unassign, Reserve, Release. */
#define APM_LIMIT_IDS_PER_CALL 4096
/* JsonIdElements: elements of one adapters/domains/control_domains array in JSON. */
#define APM_LIMIT_JSON_ID_ELEMENTS 1024
/* GuestNameBytes: the guest (libvirt domain name) of a definition, in bytes. */
#define APM_LIMIT_GUEST_NAME_BYTES 255
/* ApplyDevices: entries of the devices array of one Apply. */
#define APM_LIMIT_APPLY_DEVICES 4096
/* Devices: devices (defined or active) the daemon manages at once. */
#define APM_LIMIT_DEVICES 4096
/* QueuedRequestsPerClient: requests of one bus connection waiting for a batch;
 * beyond it org.apmatrix1.Error.TooManyRequests. Below the system bus's 128
 * pending replies per connection, so that one connection can reach it. */
#define APM_LIMIT_QUEUED_REQUESTS_PER_CLIENT 64

/* Inhibitors: inhibitors (Inhibit) held at once, on all devices together. */
#define APM_LIMIT_INHIBITORS 256
/* InhibitWhoBytes: the who argument of Inhibit, in bytes. */
#define APM_LIMIT_INHIBIT_WHO_BYTES 255
/* InhibitWhyBytes: the why argument of Inhibit, in bytes. */
#define APM_LIMIT_INHIBIT_WHY_BYTES 1024
/* InhibitHeldRequests: requests held by delay inhibitors at once, from all clients
 * (one client may have QueuedRequestsPerClient of them); beyond it
 * org.apmatrix1.Error.TooManyRequests. */
#define APM_LIMIT_INHIBIT_HELD_REQUESTS 1024
/* InhibitDelayMaxSec: seconds a delay inhibitor holds a request at most; then the request
 * fails with org.apmatrix1.Error.Inhibited. Below the 25 s default method call timeout of
 * sd-bus, libdbus and GDBus, so that a client with the defaults gets that answer. */
#define APM_LIMIT_INHIBIT_DELAY_MAX_SEC 20

#endif
