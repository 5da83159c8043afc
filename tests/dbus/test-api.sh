#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# org.apmatrix1 end to end against apsim: every Manager method, the results in
# sysfs, and every documented error leaving daemon and sysfs unchanged.
. "$APM_SOURCE_ROOT/tests/dbus/lib.sh"
apm_enter_ns "$0" "$@"
apm_start_all

MATRIX=$SYSFS_ROOT/devices/vfio_ap/matrix
U1=aaaaaaaa-0000-4000-8000-000000000001
U2=aaaaaaaa-0000-4000-8000-000000000002
U3=aaaaaaaa-0000-4000-8000-000000000003
dev_matrix() { tr '\n' ' ' <"$MATRIX/$1/matrix" | sed 's/ $//'; }
field() { state | jq -c "$1"; }

check "GetState answers with the host" test "$(field '.host.adapters | length')" -ge 4

# Adapters 2 and 3 are free for vfio_ap in apsim's default topology; take
# adapter 1 and domains 0-7 too.
check "Reserve adapter 1" call Reserve string:adapter array:uint32:1 uint64:0
check "apmask no longer gives adapter 1 to the host" \
	test "$(field '.host.reserved_adapters | index(1)')" = null
check "Reserve domains 0-7" \
	call Reserve string:domain array:uint32:0,1,2,3,4,5,6,7 uint64:0

out=$(call DefineDevice string:$U1 string:'{"adapters":[2],"domains":"0-1","guest":"vm1"}' uint64:0)
check "DefineDevice returns uuid and path" test "$(printf '%s\n' "$out" | head -n1)" = "$U1"
check "the definition is persisted" test -f "$STATE_DIR/devices/$U1.json"
check "StartDevice creates the mdev" call StartDevice string:$U1 uint64:0
check "mdev matrix is 02.0000 02.0001" test "$(dev_matrix $U1)" = "02.0000 02.0001"
check "the guest matrix is read back" \
	test "$(field ".devices[] | select(.uuid==\"$U1\") | .guest_adapters")" = "[2]"
check "State is active" test "$(field ".devices[] | select(.uuid==\"$U1\") | .state")" = '"active"'

call DefineDevice string:$U2 string:'{"adapters":[3],"domains":[0],"autostart":true}' uint64:0 >/dev/null
check "autostart device started by its definition? StartDevice" call StartDevice string:$U2 uint64:0
check "second mdev matrix is 03.0000" test "$(dev_matrix $U2)" = "03.0000"

res=$(call Assign string:$U1 string:domain array:uint32:2 uint64:0)
check "Assign domain 2 is live" test "$(dev_matrix $U1)" = "02.0000 02.0001 02.0002"
check "Assign result counts kernel writes" test "$(printf '%s' "$res" | jq .kernel_writes)" -ge 1
check "Unassign domain 2" call Unassign string:$U1 string:domain array:uint32:2 uint64:0
check "Unassign is live" test "$(dev_matrix $U1)" = "02.0000 02.0001"

before=$(snapshot)
res=$(call Assign string:$U1 string:domain array:uint32:5 uint64:1)
check "dry run returns the plan" test "$(printf '%s' "$res" | jq .dry_run)" = true
check "dry run lists the writes" test "$(printf '%s' "$res" | jq '.writes | length')" -ge 1
check "dry run changes nothing" same_snapshot "$before"

# Move queue 03.0000 from U2 to U1's adapter set in one declarative batch.
res=$(call Apply string:"{\"devices\":[{\"uuid\":\"$U1\",\"adapters\":[2,3],\"domains\":[0,1]},{\"uuid\":\"$U2\",\"adapters\":[1],\"domains\":[0,2,8]}]}" uint64:0)
check "Apply moves 03.0000 from U2 to U1" test "$(dev_matrix $U1)" = "02.0000 02.0001 03.0000 03.0001"
check "Apply gives U2 its new matrix" test "$(dev_matrix $U2)" = "01.0000 01.0002 01.0008"
diag "Apply: $(printf '%s' "$res" | jq -c '{write_interface,kernel_writes}')"
if grep -qw ap_config_batch "$MATRIX/features"; then
	check "ap_config_batch: the whole Apply is one kernel write" \
		test "$(printf '%s' "$res" | jq .kernel_writes)" -eq 1
fi
check "definitions follow Apply" \
	test "$(jq -c .adapters "$STATE_DIR/devices/$U2.json")" = "[1]"

# Errors: each one named, each leaving the daemon and sysfs as they were.
before=$(snapshot)
expect_error org.apmatrix1.Error.NoSuchDevice "unknown uuid" StartDevice string:$U3 uint64:0
expect_error org.apmatrix1.Error.NoSuchDevice "unknown uuid in Assign" \
	Assign string:$U3 string:adapter array:uint32:2 uint64:0
expect_error org.apmatrix1.Error.InUse "APQN owned by another device" \
	Assign string:$U2 string:adapter array:uint32:2 uint64:0
out=$(call DefineDevice string:$U3 string:'{"adapters":[2],"domains":[0],"autostart":true}' uint64:0 || true)
case "$out" in
*02.0000*$U1*) ok "InUse names APQN and owner" ;;
*) not_ok "InUse names APQN and owner (got: $out)" ;;
esac
expect_error org.apmatrix1.Error.Reserved "APQN reserved for the host" \
	DefineDevice string:$U3 string:'{"adapters":[0],"domains":[10],"autostart":true}' uint64:0
expect_error org.apmatrix1.Error.OutOfRange "adapter id out of range" \
	Assign string:$U1 string:adapter array:uint32:256 uint64:0
expect_error org.apmatrix1.Error.OutOfRange "domain id above the host maximum" \
	Assign string:$U1 string:domain array:uint32:200 uint64:0
expect_error org.apmatrix1.Error.OutOfRange "out of range in JSON" \
	DefineDevice string:$U3 string:'{"domains":[999]}' uint64:0
expect_error org.freedesktop.DBus.Error.InvalidArgs "malformed JSON" \
	DefineDevice string:$U3 string:'{"adapters":[1,' uint64:0
expect_error org.freedesktop.DBus.Error.InvalidArgs "unknown JSON field" \
	DefineDevice string:$U3 string:'{"adapter":[1]}' uint64:0
# dbus-send takes at most 128 KiB per argument; the limit for a definition is 64 KiB.
huge=$(python3 -c 'print("{\"adapters\":[" + ",".join(["1"] * 50000) + "]}")')
expect_error org.apmatrix1.Error.LimitExceeded "huge JSON" DefineDevice string:$U3 string:"$huge" uint64:0
expect_error org.freedesktop.DBus.Error.InvalidArgs "empty id list" \
	Assign string:$U1 string:adapter array:uint32: uint64:0
expect_error org.freedesktop.DBus.Error.InvalidArgs "empty Apply list" \
	Apply string:'{"devices":[]}' uint64:0
expect_error org.freedesktop.DBus.Error.InvalidArgs "bad kind" \
	Assign string:$U1 string:queue array:uint32:1 uint64:0
expect_error org.freedesktop.DBus.Error.InvalidArgs "unknown flag bits" \
	StartDevice string:$U1 uint64:6
expect_error org.freedesktop.DBus.Error.InvalidArgs "not a uuid" StartDevice string:nope uint64:0
expect_error org.apmatrix1.Error.InUse "second device for one guest" \
	DefineDevice string:$U3 string:'{"adapters":[1],"domains":[7],"guest":"vm1"}' uint64:0
expect_error org.apmatrix1.Error.InUse "Release while a device holds the APQNs (01.0008)" \
	Release string:adapter array:uint32:1 uint64:0
expect_error org.freedesktop.DBus.Error.InvalidArgs "control domains without usage domains" \
	DefineDevice string:$U3 string:'{"adapters":[1],"control_domains":[7],"autostart":true}' uint64:0
check "errors left daemon state, sysfs and store unchanged" same_snapshot "$before"

# A kernel failure: the write is refused, the error names errno and attribute,
# the previous matrix is back.
sim_ctl "fault devices/vfio_ap/matrix/ap_config_batch EIO" 2>/dev/null || true
sim_ctl "fault devices/vfio_ap/matrix/$U2/ap_config EIO" 2>/dev/null || true
sim_ctl "fault devices/vfio_ap/matrix/$U2/assign_domain EIO" 2>/dev/null || true
before=$(snapshot)
out=$(call Assign string:$U2 string:domain array:uint32:3 uint64:0 || true)
case "$out" in
"ERROR org.apmatrix1.Error.Kernel:"*errno*) ok "kernel refusal reported: ${out#ERROR }" ;;
*) not_ok "kernel refusal reported (got: $out)" ;;
esac
check "after a kernel failure nothing changed" same_snapshot "$before"
sim_ctl "fault clear" 2>/dev/null || sim_ctl "fault devices/vfio_ap/matrix/ap_config_batch none" 2>/dev/null || true

# The s390-tools lock: held by a live process -> Busy, nothing written; left
# by a dead one -> stale, removed, and the request goes through.
tail -f /dev/null &
holder=$!
echo "$holder" >"$APMATRIXD_LOCK_FILE"
before=$(snapshot)
expect_error org.apmatrix1.Error.Busy "AP configuration lock held by a live process" \
	Assign string:$U2 string:domain array:uint32:3 uint64:0
check "nothing changed under a foreign lock" same_snapshot "$before"
check "the foreign lock is left alone" test "$(cat "$APMATRIXD_LOCK_FILE")" = "$holder"
kill "$holder"
wait "$holder" 2>/dev/null || true
check "a stale lock (dead PID) is taken over" \
	call Assign string:$U2 string:domain array:uint32:3 uint64:0
check "and released afterwards" test ! -e "$APMATRIXD_LOCK_FILE"
check "StopDevice removes the mdev" call StopDevice string:$U1 uint64:0
check "mdev directory is gone" test ! -e "$MATRIX/$U1"
check "UndefineDevice" call UndefineDevice string:$U1 uint64:0
check "definition file is gone" test ! -e "$STATE_DIR/devices/$U1.json"
expect_error org.apmatrix1.Error.NoSuchDevice "undefined device is gone" GetDevice string:$U1
check "Release adapter 2 now that nobody holds it" call Release string:adapter array:uint32:2 uint64:0
check "adapter 2 is the host's again" test "$(field '.host.reserved_adapters | index(2) != null')" = true

# Persistence and a corrupt file across a restart.
printf 'garbage' >"$STATE_DIR/devices/bbbbbbbb-0000-4000-8000-00000000000f.json"
apm_daemon_stop
apm_daemon_start
check "definitions survive a restart" test "$(field ".devices[] | select(.uuid==\"$U2\") | .defined")" = true
check "the running mdev is seen as active" \
	test "$(field ".devices[] | select(.uuid==\"$U2\") | .state")" = '"active"'
case "$(field '.store.rejected')" in
*bbbbbbbb-0000-4000-8000-00000000000f.json*) ok "a corrupt definition is reported by name" ;;
*) not_ok "a corrupt definition is reported by name" ;;
esac
check "and kept aside" test -f "$STATE_DIR/rejected/bbbbbbbb-0000-4000-8000-00000000000f.json"

tap_done
