#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Daemon memory with 1000 devices (defined, and then active in apsim):
# VmRSS from /proc, against the idle daemon (target: under 10 MB).
. "$APM_SOURCE_ROOT/tests/dbus/lib.sh"
apm_enter_ns "$0" "$@"
CLIENT=$APM_BUILD_ROOT/tests/bench/daemon-client
# VmRSS counts the shared libraries too (libvirt pulls in ~60); Private_Dirty
# is the memory the daemon itself holds.
rss() {
	r=$(sed -n 's/^VmRSS:[[:space:]]*\([0-9]*\) kB/\1/p' "/proc/$APM_DAEMON_PID/status")
	p=$(sed -n 's/^Private_Dirty:[[:space:]]*\([0-9]*\) kB/\1/p' "/proc/$APM_DAEMON_PID/smaps_rollup")
	echo "rss ${r} kB (private ${p} kB)"
}

apm_setup
apm_sim_start
apm_bus_start
apm_daemon_start
call Reserve string:domain array:uint32:0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15 uint64:0 >/dev/null
idle=$(rss)
out=$("$CLIENT" define 1000 2>&1) || bail "define failed: $out"
defined=$(rss)
out2=$("$CLIENT" define 1000 start 2>&1) || bail "start failed: $out2"
active=$(rss)
n=$(state | jq '[.devices[] | select(.state=="active")] | length')
echo "daemon memory (target < 10240 kB):"
echo "  idle:             $idle"
echo "  1000 defined:     $defined"
echo "  $n active:       $active"
echo "$out / $out2"
