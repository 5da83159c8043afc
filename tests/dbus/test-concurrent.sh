#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# 50 clients at once all get their answer, and the requests are batched.
. "$APM_SOURCE_ROOT/tests/dbus/lib.sh"
apm_enter_ns "$0" "$@"
apm_start_all --batch-window-usec 20000

U1=dddddddd-0000-4000-8000-000000000001
call Reserve string:domain array:uint32:0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15 uint64:0 >/dev/null
call DefineDevice string:$U1 string:'{"adapters":[2],"domains":[0]}' uint64:0 >/dev/null
call StartDevice string:$U1 uint64:0 >/dev/null
b0=$(state | jq .stats.batches)

pids=
for i in $(seq 1 50); do
	case $((i % 3)) in
	0) (call GetState >/dev/null && echo ok >"$T/c.$i") & ;;
	1) (call Assign string:$U1 string:control-domain array:uint32:$((i % 16)) uint64:0 >/dev/null &&
		echo ok >"$T/c.$i") & ;;
	2) (call Assign string:$U1 string:domain array:uint32:$((i % 16)) uint64:0 >/dev/null &&
		echo ok >"$T/c.$i") & ;;
	esac
	pids="$pids $!"
done
failed=0
for p in $pids; do wait "$p" || failed=$((failed + 1)); done
check "all 50 clients were answered successfully ($failed failed)" test "$failed" -eq 0
check "50 answer files" test "$(ls "$T"/c.* | wc -l)" -eq 50
b1=$(state | jq .stats.batches)
diag "mutating requests: 33, batches: $((b1 - b0))"
check "concurrent requests were batched (fewer batches than requests)" test $((b1 - b0)) -lt 33
check "the kernel has every assigned domain" \
	test "$(wc -l <"$SYSFS_ROOT/devices/vfio_ap/matrix/$U1/matrix")" -eq 16
# One batch with good and bad requests: each bad one gets its own error, the
# good ones are applied.
U2=dddddddd-0000-4000-8000-000000000002
call DefineDevice string:$U2 string:'{"adapters":[3],"domains":[0]}' uint64:0 >/dev/null
call StartDevice string:$U2 uint64:0 >/dev/null
b0=$(state | jq .stats.batches)
pids=
for i in 0 1 2 3 4 5 6 7 8 9; do
	# good: U2 takes domains 1..10 on adapter 3; bad: U2 takes adapter 2 (U1's 02.*)
	(call Assign string:$U2 string:domain array:uint32:$((i + 16)) uint64:0 >/dev/null &&
		echo ok >"$T/g.$i") &
	pids="$pids $!"
	(call Assign string:$U2 string:adapter array:uint32:2 uint64:0 >"$T/b.$i" 2>&1 ||
		echo failed >>"$T/b.$i") &
	pids="$pids $!"
done
for p in $pids; do wait "$p" || true; done
check "all 10 good requests succeeded" test "$(ls "$T"/g.* 2>/dev/null | wc -l)" -eq 10
check "all 10 bad requests got InUse" test "$(cat "$T"/b.* | grep -c 'Error.InUse')" -eq 10
b1=$(state | jq .stats.batches)
diag "20 mixed requests in $((b1 - b0)) batch(es)"
check "U2 has its 10 new domains" \
	test "$(wc -l <"$SYSFS_ROOT/devices/vfio_ap/matrix/$U2/matrix")" -eq 11
# SIGTERM with requests waiting in the batch window: they are applied and
# answered before the daemon exits.
apm_daemon_stop
apm_daemon_start --batch-window-usec 10000000
(call Assign string:$U2 string:control-domain array:uint32:20 uint64:0 >/dev/null &&
	echo ok >"$T/term") &
cl=$!
for _ in $(seq 1 200); do
	[ "$(state | jq .stats.queued)" -ge 1 ] && break
done
check "the request waits in the batch window" test "$(state | jq .stats.queued)" -eq 1
apm_daemon_stop
wait "$cl" || true
check "a request queued at SIGTERM is answered" test -f "$T/term"
check "and applied" grep -qx 0014 "$SYSFS_ROOT/devices/vfio_ap/matrix/$U2/control_domains"
tap_done
