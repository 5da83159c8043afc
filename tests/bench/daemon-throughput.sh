#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Sustained requests per second through the daemon to apsim: 10 devices,
# Assign/Unassign control domains with 100 requests in flight, batch window
# on (default 2 ms) against off, side by side; and the state directory on
# tmpfs, to show what the fsyncs (journal, definitions) cost on this disk.
. "$APM_SOURCE_ROOT/tests/dbus/lib.sh"
apm_enter_ns "$0" "$@"
CLIENT=$APM_BUILD_ROOT/tests/bench/daemon-client
SECS=${APM_BENCH_SECONDS:-5}

run() { # run WINDOW_USEC [STATE_BASE]
	apm_sim_start
	apm_bus_start
	APM_DAEMON_PID=$(python3 "$APM_SOURCE_ROOT/tests/dbus/notify-run.py" "$T/daemon.log" 30 -- \
		"$APMATRIXD" --state-dir "${2:-$T}/state-$1" --config /dev/null --batch-window-usec "$1") ||
		bail "no daemon"
	apm_ten_devices
	uuids=$APM_UUIDS
	out=$("$CLIENT" sustained "$SECS" 100 $uuids) || bail "client failed: $out"
	echo "window ${1} us, state in ${2:-$T}: $out; batches $(state | jq .stats.batches), kernel writes $(state | jq .stats.kernel_writes)"
	apm_daemon_stop
	kill "$APM_DBUS_PID"
	APM_DBUS_PID=
	apm_sim_stop
}

apm_setup
echo "sustained load, ${SECS} s each (target: 1000 requests/s)"
run 2000
run 0
if [ -d /dev/shm ]; then
	shm=$(mktemp -d /dev/shm/apm-bench.XXXXXX)
	run 2000 "$shm"
	rm -rf "$shm"
fi
