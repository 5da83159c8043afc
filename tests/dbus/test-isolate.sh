#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# A kernel write that fails in a batch fails only the requests of the device
# it failed for: two requests for two running devices in one batch, the
# kernel refuses the batch write and one device's ap_config; that request gets
# .Kernel, the other one succeeds and is live, nothing else changes.
. "$APM_SOURCE_ROOT/tests/dbus/lib.sh"
apm_enter_ns "$0" "$@"
apm_start_all

M=devices/vfio_ap/matrix
U1=eeeeeeee-0000-4000-8000-000000000001
U2=eeeeeeee-0000-4000-8000-000000000002
call Reserve string:domain array:uint32:0,1,2,3,4,5,6,7 uint64:0 >/dev/null
call DefineDevice string:$U1 string:'{"adapters":[2],"domains":[0]}' uint64:0 >/dev/null
call DefineDevice string:$U2 string:'{"adapters":[3],"domains":[0]}' uint64:0 >/dev/null
call StartDevice string:$U1 uint64:0 >/dev/null
call StartDevice string:$U2 uint64:0 >/dev/null
# 2 s: both clients below are certainly in one batch.
apm_daemon_stop
apm_daemon_start --batch-window-usec 2000000
check "write interface is ap_config_batch" test "$(state | jq -r .host.write_interface)" = ap_config_batch

u1_matrix=$(cat "$SYSFS_ROOT/$M/$U1/matrix")
u1_def=$(cat "$STATE_DIR/devices/$U1.json")
u1_state=$(state | jq -S ".devices[] | select(.uuid == \"$U1\") | del(.guest_matrix, .guest_adapters, .guest_domains, .guest_control_domains, .state)")
masks=$(cat "$SYSFS_ROOT/bus/ap/apmask" "$SYSFS_ROOT/bus/ap/aqmask")
b0=$(state | jq .stats.batches)

sim_ctl "fault $M/ap_config_batch EIO 1"
sim_ctl "fault $M/$U1/ap_config EIO 1"
(call Assign string:$U1 string:domain array:uint32:1 uint64:0 >"$T/r1" 2>&1 || echo failed >>"$T/r1") &
p1=$!
(call Assign string:$U2 string:domain array:uint32:1 uint64:0 >"$T/r2" 2>&1 || echo failed >>"$T/r2") &
p2=$!
wait "$p1" "$p2" || true
diag "U1: $(head -n 1 "$T/r1")"
diag "U2: $(head -c 200 "$T/r2")"

check "the batch write was tried and refused first" \
	grep -q "Kernel refused: write to $M/ap_config_batch failed" "$T/daemon.log"
check "both requests ran in one batch" test "$(state | jq .stats.batches)" -eq $((b0 + 1))
check "the request for U1 got Error.Kernel" grep -q '^ERROR org.apmatrix1.Error.Kernel:' "$T/r1"
check "its message names the attribute" grep -q "$U1/ap_config" "$T/r1"
check "and the errno" grep -q 'errno 5' "$T/r1"
check "the request for U2 succeeded" jq -e '.devices[0].uuid' "$T/r2"
check "U2's answer was of the batch of two" test "$(jq .requests "$T/r2")" -eq 2
check "U2's answer is only U2 with its real cost (one ap_config write)" \
	jq -e "(.devices | length) == 1 and .devices[0].uuid == \"$U2\" and .devices[0].kernel_writes == 1 and .write_interface == \"ap_config\"" "$T/r2"
check "U2 has domain 1 live in sysfs" grep -qx 03.0001 "$SYSFS_ROOT/$M/$U2/matrix"
check "U2's definition has domain 1" \
	test "$(state | jq -c ".devices[] | select(.uuid == \"$U2\") | .domains")" = "[0,1]"
check "U2's stored definition has domain 1" jq -e '.domains == [0,1]' "$STATE_DIR/devices/$U2.json"
check "U1's kernel matrix is unchanged" test "$(cat "$SYSFS_ROOT/$M/$U1/matrix")" = "$u1_matrix"
check "U1's stored definition is unchanged" test "$(cat "$STATE_DIR/devices/$U1.json")" = "$u1_def"
check "U1 in the daemon's state is unchanged" test "$(state | jq -S ".devices[] | select(.uuid == \"$U1\") | del(.guest_matrix, .guest_adapters, .guest_domains, .guest_control_domains, .state)")" = "$u1_state"
check "the masks are unchanged" test "$(cat "$SYSFS_ROOT/bus/ap/apmask" "$SYSFS_ROOT/bus/ap/aqmask")" = "$masks"
check "no journal is left" test ! -e "$STATE_DIR/journal.json"
check "the kernel agrees with the daemon (no drift)" \
	test "$(state | jq '[.devices[] | select(.drift == true)] | length')" -eq 0

# With the faults used up, U1's request goes through.
check "U1's request succeeds when retried" call Assign string:$U1 string:domain array:uint32:1 uint64:0
check "U1 has domain 1 live" grep -qx 02.0001 "$SYSFS_ROOT/$M/$U1/matrix"
tap_done
