#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Load: N clients on their own connections for S seconds (default 50 clients,
# 10 s; APM_LOAD_CLIENTS="50 200" APM_LOAD_SECONDS=60 for the long forms,
# tests/bench/daemon-load.sh) mixing reads, mutations and signal
# subscriptions, while one more client subscribes to every signal and never
# reads its socket. No call is lost or answered twice, every reply matches
# its request (tests/bench/daemon-load.c), and afterwards the daemon's state,
# the stored definitions and the kernel are what the acknowledged requests
# imply. The daemon's memory before and after, and the latencies, are printed.
. "$APM_SOURCE_ROOT/tests/dbus/lib.sh"
apm_enter_ns "$0" "$@"
LOAD=$APM_BUILD_ROOT/tests/bench/daemon-load
SECS=${APM_LOAD_SECONDS:-10}
CLIENTS=${APM_LOAD_CLIENTS:-50}
[ -x "$LOAD" ] || bail "daemon-load not built at $LOAD"
apm_start_all
apm_ten_devices

rss_kb() { sed -n 's/^VmRSS:[[:space:]]*\([0-9]*\) kB/\1/p' "/proc/$1/status"; }

# The slow reader: subscribed to every signal of org.apmatrix1, never reads
# (APM_LOAD_SLOW_READER=0: without it, to compare).
SLOW=
if [ "${APM_LOAD_SLOW_READER:-1}" != 0 ]; then
	mkfifo "$T/slow.out"
	"$LOAD" slow-reader >"$T/slow.out" &
	SLOW=$!
	APM_CLIENT_PIDS=$SLOW
	read -r line <"$T/slow.out"
	check "the slow reader is subscribed" test "$line" = subscribed
fi

# A short warm-up, so that "before" has the heap of a daemon that served load.
"$LOAD" load 1 "$(echo "$CLIENTS" | cut -d' ' -f1)" "$T/expect.json" >/dev/null 2>&1 ||
	not_ok "warm-up load run failed"
for n in $CLIENTS; do
	before=$(rss_kb "$APM_DAEMON_PID")
	bus_before=$(rss_kb "$APM_DBUS_PID")
	if "$LOAD" load "$SECS" "$n" "$T/expect.json" >"$T/load.out" 2>"$T/load.err"; then
		ok "$n clients, $SECS s: every call answered exactly once, every reply matched its request"
	else
		not_ok "$n clients, $SECS s: checks failed"
		sed 's/^/# /' "$T/load.err"
	fi
	sed 's/^/# /' "$T/load.out"
	after=$(rss_kb "$APM_DAEMON_PID")
	bus_after=$(rss_kb "$APM_DBUS_PID")
	diag "$n clients: daemon VmRSS before $before kB, after $after kB; dbus-daemon $bus_before -> $bus_after kB (slow reader subscribed throughout)"
	# Flat: the run may settle the heap, not grow it with the number of calls.
	if [ -n "${APM_SANITIZED:-}" ]; then
		ok "$n clients: the daemon's memory stayed flat # SKIP under $APM_SANITIZED sanitizers RSS holds the freed-memory quarantine (+$((after - before)) kB)"
	else
		check "$n clients: the daemon's memory stayed flat (+$((after - before)) kB, at most 4096)" \
			test $((after - before)) -le 4096
	fi
	# What the acknowledged requests imply, as the daemon, the disk and the kernel have it.
	state >"$T/state.json"
	check "$n clients: GetState has every device as the acknowledged requests imply" \
		jq -e --slurpfile want "$T/expect.json" \
		'[.devices[] | select(.uuid as $u | $want[0] | has($u)) | {(.uuid): {domains, control_domains}}] | add == $want[0]' \
		"$T/state.json"
	bad=0
	for u in $(jq -r 'keys[]' "$T/expect.json"); do
		jq -e --slurpfile want "$T/expect.json" --arg u "$u" \
			'{domains, control_domains} == $want[0][$u]' "$STATE_DIR/devices/$u.json" >/dev/null ||
			bad=$((bad + 1))
	done
	check "$n clients: the stored definitions too ($bad differ)" test "$bad" -eq 0
	bad=0
	for u in $APM_UUIDS; do
		want=$(jq -r --arg u "$u" '$u as $k | .[$k].control_domains | map(. as $i | [$i] | @text) | length' "$T/expect.json")
		got=$(grep -c . "$SYSFS_ROOT/devices/vfio_ap/matrix/$u/control_domains" || true)
		[ "$want" = "$got" ] || bad=$((bad + 1))
	done
	check "$n clients: the kernel has the control domains of the 10 running devices ($bad differ)" \
		test "$bad" -eq 0
done
if [ -n "$SLOW" ]; then
	check "the slow reader is still connected (it was never dropped)" kill -0 "$SLOW"
	kill "$SLOW"
	wait "$SLOW" || true
fi
tap_done
