#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# 100 concurrent requests touching 10 running guests: APCB updates the guests
# pay (apsim's stats.json) with ap_config_batch, with ap_config only, and with
# single-id writes (what mdevctl does); prints the ratio against the batch.
# The batch window is 20 ms here so that the 100 requests of one client burst
# land in one batch however busy the machine is (the default 2 ms window
# usually catches them too; see daemon-throughput for the default).
. "$APM_SOURCE_ROOT/tests/dbus/lib.sh"
apm_enter_ns "$0" "$@"
CLIENT=$APM_BUILD_ROOT/tests/bench/daemon-client

run() { # run IFACE -> prints "apcb writes ms"
	apm_sim_start
	apm_bus_start
	printf 'WriteInterface=%s\n' "$1" >"$T/bench.conf"
	APM_DAEMON_PID=$(python3 "$APM_SOURCE_ROOT/tests/dbus/notify-run.py" "$T/daemon.log" 30 -- \
		"$APMATRIXD" --state-dir "$T/state-$1" --config "$T/bench.conf" \
		--batch-window-usec 20000) || bail "no daemon"
	apm_ten_devices
	uuids=$APM_UUIDS
	i=0
	for u in $uuids; do
		sim_ctl "guest start vm$i $u vcpus=1"
		i=$((i + 1))
	done
	a0=$(sim_stats | jq '[.guests[].apcb_updates] | add')
	b0=$(state | jq .stats.batches)
	w0=$(state | jq .stats.kernel_writes)
	out=$("$CLIENT" burst 10 $uuids) || bail "burst failed: $out"
	a1=$(sim_stats | jq '[.guests[].apcb_updates] | add')
	w1=$(state | jq .stats.kernel_writes)
	b1=$(state | jq .stats.batches)
	ms=$(printf '%s' "$out" | sed -n 's/.* \([0-9.]*\) ms$/\1/p')
	echo "$((a1 - a0)) $((w1 - w0)) $ms $((b1 - b0))"
	for i in 0 1 2 3 4 5 6 7 8 9; do sim_ctl "guest stop vm$i"; done
	apm_daemon_stop
	kill "$APM_DBUS_PID"
	APM_DBUS_PID=
	apm_sim_stop
}

apm_setup
echo "100 concurrent Assign requests, 10 per guest, 10 running guests (apsim)"
printf '%-16s %12s %13s %8s %10s %15s\n' interface apcb_updates kernel_writes batches time_ms ratio_vs_batch
base=
for iface in ap_config_batch ap_config single; do
	set -- $(run $iface)
	[ -n "$base" ] || base=$1
	ratio=$(awk -v a="$1" -v b="$base" 'BEGIN { printf "%.1fx", (b ? a / b : 0) }')
	printf '%-16s %12s %13s %8s %10s %15s\n' $iface "$1" "$2" "$4" "$3" "$ratio"
done
