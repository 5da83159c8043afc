#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Daemon memory with 1000 devices (defined, and then active in apsim):
# VmRSS from /proc, against the idle daemon (target: under 10 MB).
. "$APM_SOURCE_ROOT/tests/dbus/lib.sh"
apm_enter_ns "$0" "$@"
CLIENT=$APM_BUILD_ROOT/tests/bench/daemon-client
rss() { sed -n 's/^VmRSS:[[:space:]]*\([0-9]*\) kB/\1/p' "/proc/$APM_DAEMON_PID/status"; }

apm_setup
apm_sim_start
apm_bus_start
apm_daemon_start
call Reserve string:domain array:uint32:0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15 uint64:0 >/dev/null
idle=$(rss)
out=$("$CLIENT" define 1000) || bail "define failed: $out"
defined=$(rss)
out2=$("$CLIENT" define 1000 start) || bail "start failed: $out2"
n=$(state | jq '[.devices[] | select(.state=="active")] | length')
active=$(rss)
echo "daemon VmRSS: idle ${idle} kB, 1000 defined ${defined} kB, ${n} active ${active} kB (target < 10240 kB)"
echo "$out / $out2"
