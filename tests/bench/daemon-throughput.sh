#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Sustained requests per second through the daemon to apsim: 10 devices,
# Assign/Unassign control domains with 60 requests in flight (one
# connection, under the 64-request per-client limit): the default
# (adaptive) policy, a fixed 2 ms window and no window, side by side; and
# the state directory on tmpfs, to show what the fsyncs (journal,
# definitions) cost on this disk.
. "$APM_SOURCE_ROOT/tests/dbus/lib.sh"
apm_enter_ns "$0" "$@"
CLIENT=$APM_BUILD_ROOT/tests/bench/daemon-client
SECS=${APM_BENCH_SECONDS:-5}

run() { # run adaptive|WINDOW_USEC [STATE_BASE]
	apm_sim_start
	apm_bus_start
	if [ "$1" = adaptive ]; then
		set -- "$1" "${2:-}"
		policy=
		what="adaptive (default)"
	else
		policy="--batch-window-usec $1"
		what="window $1 us"
	fi
	# shellcheck disable=SC2086 # the option is meant to split
	APM_DAEMON_PID=$(python3 "$APM_SOURCE_ROOT/tests/dbus/notify-run.py" "$T/daemon.log" 30 -- \
		"$APMATRIXD" --state-dir "${2:-$T}/state-$1" --config /dev/null $policy) ||
		bail "no daemon"
	apm_ten_devices
	uuids=$APM_UUIDS
	out=$("$CLIENT" sustained "$SECS" 60 $uuids) || bail "client failed: $out"
	echo "$what, state in ${2:-$T}: $out; batches $(state | jq .stats.batches), kernel writes $(state | jq .stats.kernel_writes)"
	apm_daemon_stop
	kill "$APM_DBUS_PID"
	APM_DBUS_PID=
	apm_sim_stop
}

apm_setup
echo "sustained load, ${SECS} s each (target: 1000 requests/s)"
run adaptive
run 2000
run 0
if [ -d /dev/shm ]; then
	shm=$(mktemp -d /dev/shm/apm-bench.XXXXXX)
	run adaptive "$shm"
	rm -rf "$shm"
fi
