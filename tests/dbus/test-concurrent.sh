#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# 50 clients at once all get their answer, and the requests are batched.
. "$APM_SOURCE_ROOT/tests/dbus/lib.sh"
apm_enter_ns "$0" "$@"
apm_setup
apm_sim_start
apm_bus_start
apm_daemon_start --batch-window-usec 20000

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
tap_done
