#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# The adaptive batch policy: the default, its pacing holds (a busy guest gets
# at most one update per PacingUSec), a lone request on an idle host is not
# held, a request held for its guest's pacing holds up no other guest's, the
# window policy and the configuration keys.
. "$APM_SOURCE_ROOT/tests/dbus/lib.sh"
apm_enter_ns "$0" "$@"
STORM=$APM_BUILD_ROOT/tests/dbus/storm
apm_setup
# Control domains 0-255 in the host's configuration, so that each assign of
# one changes the guest's APCB (the driver filters the others out).
cat >"$T/topology.json" <<'JSON'
{ "apxa": true, "max_domain_id": 255,
  "adapters": [ { "ids": "0-3", "type": "CEX8", "mode": "cca" } ],
  "domains": "0-15", "control_domains": "0-255", "apmask": "0-1" }
JSON
apm_sim_start "$T/topology.json"
apm_bus_start
apm_daemon_start
prop() { busctl --system get-property org.apmatrix1 /org/apmatrix1 org.apmatrix1.Manager "$1"; }
check "BatchPolicy is adaptive by default" test "$(prop BatchPolicy)" = 's "adaptive"'
check "PacingUSec defaults to 10000" test "$(prop PacingUSec)" = "t 10000"
check "GatherUSec defaults to 1000" test "$(prop GatherUSec)" = "t 1000"
apm_ten_devices
set -- $APM_UUIDS
U0=$1
i=0
for u in $APM_UUIDS; do
	sim_ctl "guest start vm$i $u vcpus=1"
	i=$((i + 1))
done

# Pacing: 10 changes one after the other to one running guest, pacing 100 ms:
# 10 updates, and no two within 100 ms, so at least 900 ms in all.
apm_daemon_stop
apm_daemon_start --pacing-usec 100000
a0=$(sim_stats | jq '.guests.vm0.apcb_updates')
out=$("$STORM" dbus 1 10 1 assign 20 "$U0") || not_ok "storm: $out"
a1=$(sim_stats | jq '.guests.vm0.apcb_updates')
ms=$(echo "$out" | jq '.wall_ms | floor')
diag "10 sequential changes to one guest, pacing 100 ms: $((a1 - a0)) updates in $ms ms"
check "each sequential change was its own update" test $((a1 - a0)) -eq 10
check "the guest got at most one update per pacing interval ($ms ms >= 900)" test "$ms" -ge 900

# A lone request on an idle host is not held for the pacing interval (5 s here).
apm_daemon_stop
apm_daemon_start --pacing-usec 5000000
out=$("$STORM" dbus 1 1 1 unassign 20 "$U0") || not_ok "storm: $out"
ms=$(echo "$out" | jq '.wall_ms | floor')
check "a lone request on an idle host runs at once ($ms ms, pacing 5 s)" test "$ms" -lt 2500
# The next one to another guest, right after: the host is busy, it gathers for
# GatherUSec (1 ms) but is not held for the pacing interval either.
out=$("$STORM" dbus 1 1 1 assign 40 "$2") || not_ok "storm: $out"
ms=$(echo "$out" | jq '.wall_ms | floor')
check "a request for an idle guest on a busy host waits GatherUSec, not PacingUSec ($ms ms)" \
	test "$ms" -lt 2500
# The same guest again at once: held until its pacing interval (5 s) has passed.
out=$("$STORM" dbus 1 1 1 unassign 40 "$2") || not_ok "storm: $out"
ms=$(echo "$out" | jq '.wall_ms | floor')
check "a change to a guest updated just now waits for its pacing interval ($ms ms >= 4000)" \
	test "$ms" -ge 4000
# A request held for its guest's pacing holds up nobody else: while one for
# the guest updated just now waits in its sender's queue, another client's
# request for an idle guest goes at the next gathering.
"$STORM" dbus 1 1 1 assign 41 "$2" >"$T/paced.out" &
paced=$!
n=0
while [ "$(state | jq .stats.queued)" -ne 1 ] && [ "$n" -lt 500 ]; do n=$((n + 1)); done
check "the request for the guest just updated waits in the queue" test "$(state | jq .stats.queued)" -eq 1
out=$("$STORM" dbus 1 1 1 assign 60 "$3") || not_ok "storm: $out"
ms=$(echo "$out" | jq '.wall_ms | floor')
check "meanwhile a request for another guest runs at once ($ms ms, pacing 5 s)" test "$ms" -lt 2500
wait "$paced" || not_ok "the paced request failed: $(cat "$T/paced.out")"
ms=$(jq '.wall_ms | floor' "$T/paced.out")
check "and the held one went when its guest's pacing interval had passed ($ms ms >= 3000)" \
	test "$ms" -ge 3000

# Concurrent clients on a busy host gather into few batches.
apm_daemon_stop
apm_daemon_start
b0=$(state | jq .stats.batches)
out=$("$STORM" dbus 20 100 2 assign 50 $APM_UUIDS) || not_ok "storm: $out"
b1=$(state | jq .stats.batches)
diag "100 changes from 20 clients: $((b1 - b0)) batches; $out"
check "20 concurrent clients' 100 changes took fewer batches than changes" test $((b1 - b0)) -lt 100
check "every change is in the kernel" \
	test "$(cat "$SYSFS_ROOT"/devices/vfio_ap/matrix/*/control_domains | grep -c .)" -ge 100

# The window policy and the configuration keys.
apm_daemon_stop
apm_daemon_start --batch-policy window
check "--batch-policy window" test "$(prop BatchPolicy)" = 's "window"'
apm_daemon_stop
printf 'BatchWindowUSec=3000\n' >"$T/w.conf"
apm_daemon_start --config "$T/w.conf"
check "BatchWindowUSec= alone in the file selects the window policy" \
	test "$(prop BatchPolicy) $(prop BatchWindowUSec)" = 's "window" t 3000'
apm_daemon_stop
printf 'BatchPolicy=adaptive\nPacingUSec=20000\nGatherUSec=500\nBatchWindowUSec=3000\n' >"$T/a.conf"
apm_daemon_start --config "$T/a.conf"
check "BatchPolicy=, PacingUSec=, GatherUSec= from the file" \
	test "$(prop BatchPolicy) $(prop PacingUSec) $(prop GatherUSec)" = 's "adaptive" t 20000 t 500'
apm_daemon_stop
printf 'BatchPolicy=eager\n' >"$T/bad.conf"
if "$APMATRIXD" --state-dir "$STATE_DIR" --config "$T/bad.conf" >"$T/bad.out" 2>&1; then
	not_ok "a bad BatchPolicy= is refused"
else
	check "a bad BatchPolicy= is refused, naming the line and the value" \
		grep -q 'bad.conf:1: bad value for BatchPolicy: eager' "$T/bad.out"
fi
if "$APMATRIXD" --state-dir "$STATE_DIR" --batch-policy eager >"$T/bad.out" 2>&1; then
	not_ok "--batch-policy eager is refused"
else
	check "--batch-policy eager is refused, naming it" grep -q 'eager is neither' "$T/bad.out"
fi
tap_done
