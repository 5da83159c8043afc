#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# The long forms of tests/dbus/test-load.sh: 50 and then 200 concurrent
# clients for 60 s each (APM_LOAD_SECONDS, APM_LOAD_CLIENTS override), with a
# subscriber that never reads; prints calls, p50/p99 latency of mutations and
# reads, and the daemon's (and dbus-daemon's) VmRSS before and after.
#   meson test -C build --benchmark daemon-load   (or run this file with
#   APM_BUILD_ROOT and APM_SOURCE_ROOT set, as root)
APM_LOAD_SECONDS=${APM_LOAD_SECONDS:-60} APM_LOAD_CLIENTS=${APM_LOAD_CLIENTS:-50 200} \
	exec "$APM_SOURCE_ROOT/tests/dbus/test-load.sh" "$@"
