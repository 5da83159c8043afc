#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# One client flooding the daemon cannot starve another (tests/bench/daemon-load.c
# fair and flood): requests are taken into a batch round-robin across senders,
# and a sender gets org.apmatrix1.Error.TooManyRequests beyond 64 queued ones.
# Asserted by who wins a conflict and by batch numbers, not by wall-clock time.
. "$APM_SOURCE_ROOT/tests/dbus/lib.sh"
apm_enter_ns "$0" "$@"
LOAD=$APM_BUILD_ROOT/tests/bench/daemon-load
[ -x "$LOAD" ] || bail "daemon-load not built at $LOAD"
UF=ffffffff-0000-4000-8000-0000000000f0
UO=ffffffff-0000-4000-8000-0000000000f1
# A window that holds F's 100 calls and O's one in one batch.
apm_start_all --batch-window-usec 3000000
call Reserve string:domain array:uint32:14 uint64:0 >/dev/null
call DefineDevice string:$UF string:'{"domains":[20]}' uint64:0 >/dev/null
call DefineDevice string:$UO string:'{"domains":[21]}' uint64:0 >/dev/null

# F: 63 Assigns, an autostart device claiming 02.000e, 36 Assigns more; then O
# claims 02.000e too, behind all of F's in arrival order.
out=$("$LOAD" fair $UF $UO 2>&1)
diag "$out"
check "F's 64 queued requests were taken, the 36 beyond got TooManyRequests" \
	grep -q "^F: 63 accepted in 1 batch(es), 36 TooManyRequests" <<EOT
$out
EOT
check "round-robin: O's request, sent after all of F's, was validated before F's 64th (O won 02.000e)" \
	grep -q "its autostart define: org.apmatrix1.Error.InUse; O's define: ok$" <<EOT
$out
EOT
check "GetState counts the throttled requests" test "$(state | jq .stats.throttled)" -eq 36
check "the daemon defined O's device, not F's" \
	test "$(state | jq '[.devices[] | select(.uuid == "aaaaaaaa-0000-4000-8000-00000000000a")] | length')" -eq 1 \
	-a "$(state | jq '[.devices[] | select(.uuid == "aaaaaaaa-0000-4000-8000-00000000000f")] | length')" -eq 0

# F keeps 100 calls in flight for 5 s, O sends one at a time (default window).
apm_daemon_stop
apm_daemon_start
if out=$("$LOAD" flood 5 $UF $UO 2>&1); then
	ok "flood: no batch took more than 64 of F's, every O request answered within 4 batches of the newest one it had seen"
else
	not_ok "flood: fairness checks failed"
fi
diag "$out"
tap_done
