#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Foreign mdevs and the AP configuration lock. An mdev created behind the
# daemon's back (written to mdev_supported_types/.../create as mdevctl does)
# is shown foreign with its owner (an mdevctl definition: mdevctl; none:
# unknown), every request that would change it is refused with
# Error.Foreign naming the owner, a claim that collides with it is .InUse
# naming it, Adopt makes it apmatrixd's (durably: after a restart too, and
# journaled: killed before its commit point it did not happen) and
# leaves mdevctl's definition alone. A lock held by another process (the
# s390-tools protocol: its PID in the file) makes a request wait without
# blocking reads, then fail naming the holder's PID and command; released
# within the budget, the request goes through.
. "$APM_SOURCE_ROOT/tests/dbus/lib.sh"
apm_enter_ns "$0" "$@"
apm_setup
export APMATRIXD_MDEVCTL_DIR="$T/mdevctl.d"
export APMATRIXD_LOCK_TIMEOUT_USEC=3000000
apm_sim_start
apm_bus_start
apm_daemon_start
monitor_start
APCTL=$APM_BUILD_ROOT/client/apctl

MATRIX=$SYSFS_ROOT/devices/vfio_ap/matrix
UF=cccccccc-0000-4000-8000-00000000000f # foreign, mdevctl's
UX=cccccccc-0000-4000-8000-00000000000e # foreign, nobody's
U1=cccccccc-0000-4000-8000-000000000001 # apmatrixd's
U2=cccccccc-0000-4000-8000-000000000002 # apmatrixd's
dev() { state | jq -c ".devices[] | select(.uuid==\"$1\") | $2"; }
call Reserve string:domain array:uint32:0,1,2,3,4,5,6,7 uint64:0 >/dev/null

# What "mdevctl define" + "mdevctl start" leave behind: the definition, the
# mdev created through the type's create file, the attributes in order.
mkdir -p "$APMATRIXD_MDEVCTL_DIR/matrix"
cat >"$APMATRIXD_MDEVCTL_DIR/matrix/$UF" <<JSON
{
  "mdev_type": "vfio_ap-passthrough",
  "start": "manual",
  "attrs": [
    {"assign_adapter": "2"},
    {"assign_domain": "3"}
  ]
}
JSON
cp "$APMATRIXD_MDEVCTL_DIR/matrix/$UF" "$T/mdevctl-def.orig"
monitor_mark
echo "$UF" >"$MATRIX/mdev_supported_types/vfio_ap-passthrough/create"
echo 2 >"$MATRIX/$UF/assign_adapter"
echo 3 >"$MATRIX/$UF/assign_domain"
echo "$UX" >"$MATRIX/mdev_supported_types/vfio_ap-passthrough/create"
check "the foreign mdevs are announced" wait_signal "$UX"
check "an mdev with an mdevctl definition is foreign, owner mdevctl" \
	test "$(dev $UF '[.owner, .foreign, .defined]')" = '["mdevctl",true,false]'
check "one without any definition is foreign, owner unknown" \
	test "$(dev $UX '[.owner, .foreign]')" = '["unknown",true]'
path=$(call GetDevice string:$UF)
check "GetDevice: its Owner property says mdevctl" \
	sh -c "busctl --system get-property org.apmatrix1 '$path' org.apmatrix1.Device Owner | grep -qx 's \"mdevctl\"'"
check "GetDevice: Foreign is true" \
	sh -c "busctl --system get-property org.apmatrix1 '$path' org.apmatrix1.Device Foreign | grep -qx 'b true'"
check "ListDevices lists it" sh -c "busctl --system call org.apmatrix1 /org/apmatrix1 org.apmatrix1.Manager ListDevices | grep -q '$UF'"
check "apctl list shows the owner" sh -c "'$APCTL' --quiet list | grep '$UF' | grep -qw mdevctl"
check "apctl list --json: owner and foreign" \
	test "$("$APCTL" --json list | jq -c ".devices[] | select(.uuid==\"$UF\") | [.owner, .foreign]")" = '["mdevctl",true]'
check "apctl status counts two foreign devices" \
	test "$("$APCTL" --json status | jq .devices.foreign)" = 2

# Never changed unless adopted: each refused naming the owner, nothing changed.
before=$(snapshot)
refused_foreign() { # DESCRIPTION METHOD ARG...
	desc=$1
	shift
	if out=$(call "$@"); then
		not_ok "$desc (succeeded: $out)"
		return
	fi
	case "$out" in
	"ERROR org.apmatrix1.Error.Foreign:"*"owner mdevctl"*"$APMATRIXD_MDEVCTL_DIR/matrix/$UF"*)
		ok "$desc: ${out#ERROR }" ;;
	*) not_ok "$desc (got: $out)" ;;
	esac
}
refused_foreign "Assign to a foreign mdev" Assign string:$UF string:domain array:uint32:4 uint64:0
refused_foreign "Unassign from it" Unassign string:$UF string:domain array:uint32:3 uint64:0
refused_foreign "Apply listing it" Apply string:"{\"devices\":[{\"uuid\":\"$UF\",\"adapters\":[2],\"domains\":[5]}]}" uint64:0
refused_foreign "StartDevice" StartDevice string:$UF uint64:0
refused_foreign "StopDevice" StopDevice string:$UF uint64:0
refused_foreign "UndefineDevice" UndefineDevice string:$UF uint64:0
refused_foreign "DefineDevice of its UUID" DefineDevice string:$UF string:'{"adapters":[3],"domains":[3]}' uint64:0
refused_foreign "a dry run too" Assign string:$UF string:domain array:uint32:4 uint64:1
expect_error org.apmatrix1.Error.Foreign "StopDevice of the unowned one" StopDevice string:$UX uint64:0
check "state, kernel and definitions unchanged" same_snapshot "$before"
check "apctl assign: refused, exit 3" sh -c "'$APCTL' assign $UF domain 4 2>/dev/null; test \$? -eq 3"

# Conflicts name the foreign mdev and its owner; attached to a guest, that too.
U3=cccccccc-0000-4000-8000-000000000003
check "a manual definition may overlap an idle foreign mdev" \
	call DefineDevice string:$U1 string:'{"adapters":[2],"domains":[3,4]}' uint64:0
sim_ctl "guest start vmf $UF vcpus=1"
conflict() { # DESCRIPTION METHOD ARG...
	desc=$1
	shift
	if out=$(call "$@"); then
		not_ok "$desc (succeeded: $out)"
		return
	fi
	case "$out" in
	"ERROR org.apmatrix1.Error.InUse:"*"02.0003"*"$UF"*"owner mdevctl"*"in use by a guest"*)
		ok "$desc: ${out#ERROR }" ;;
	*) not_ok "$desc (got: $out)" ;;
	esac
}
conflict "StartDevice of a definition sharing an APQN with the foreign mdev" StartDevice string:$U1 uint64:0
conflict "a manual definition sharing an APQN a guest holds through the foreign mdev" \
	DefineDevice string:$U3 string:'{"adapters":[2,3],"domains":[3]}' uint64:0
conflict "Assign to a definition of an APQN a guest holds through it" \
	Assign string:$U1 string:adapter array:uint32:3 uint64:0
conflict "an autostart definition sharing it" \
	DefineDevice string:$U2 string:'{"adapters":[2],"domains":[3],"autostart":true}' uint64:0
call DefineDevice string:$U2 string:'{"adapters":[2],"domains":[5]}' uint64:0 >/dev/null
call StartDevice string:$U2 uint64:0 >/dev/null
conflict "Assign of its APQN to an active device" Assign string:$U2 string:domain array:uint32:3 uint64:0
check "the foreign mdev keeps its matrix" test "$(tr '\n' ' ' <"$MATRIX/$UF/matrix")" = "02.0003 "
sim_ctl "guest stop vmf"

# Adopt: the matrix read from sysfs becomes a definition; mdevctl's stays.
expect_error org.apmatrix1.Error.NoSuchDevice "Adopt of no mdev" Adopt string:cccccccc-0000-4000-8000-0000000000aa uint64:0
check "Adopt, dry run" call Adopt string:$UF uint64:1
check "a dry run defines nothing" test "$(dev $UF .defined)" = false
monitor_mark
check "Adopt" call Adopt string:$UF uint64:0
check "DeviceChanged says owner apmatrixd" wait_signal "$UF.*apmatrixd"
check "it is apmatrixd's now" test "$(dev $UF '[.owner, .foreign, .defined, .adapters, .domains]')" = '["apmatrixd",false,true,[2],[3]]'
check "its definition is on disk" test "$(jq -c '[.adapters, .domains]' "$STATE_DIR/devices/$UF.json")" = '[[2],[3]]'
check "the kernel was not touched" test "$(tr '\n' ' ' <"$MATRIX/$UF/matrix")" = "02.0003 "
check "mdevctl's definition is left alone" cmp -s "$T/mdevctl-def.orig" "$APMATRIXD_MDEVCTL_DIR/matrix/$UF"
check "no journal left" test ! -e "$STATE_DIR/journal.json"
check "Adopt again: nothing to do" call Adopt string:$UF uint64:0
check "apctl adopt" "$APCTL" --quiet adopt $UX
check "apctl list: no foreign device left" sh -c "! '$APCTL' --json list | jq -e '.devices[] | select(.foreign)' >/dev/null"
apm_daemon_stop
apm_daemon_start
check "adopted survives a restart" test "$(dev $UF '[.owner, .defined, .drift]')" = '["apmatrixd",true,false]'
check "and can be changed now" call Assign string:$UF string:domain array:uint32:6 uint64:0
check "the kernel has the change" test "$(tr '\n' ' ' <"$MATRIX/$UF/matrix")" = "02.0003 02.0006 "

# Adopt is journaled like any change: killed before its commit point it did
# not happen, after it it did; either way no journal is left.
UZ=cccccccc-0000-4000-8000-00000000000d
apm_daemon_stop
echo "$UZ" >"$MATRIX/mdev_supported_types/vfio_ap-passthrough/create"
echo 3 >"$MATRIX/$UZ/assign_adapter"
echo 1 >"$MATRIX/$UZ/assign_domain"
for point in after-journal after-definitions; do
	export APMATRIXD_TEST_CRASH_AT=$point
	apm_daemon_start
	unset APMATRIXD_TEST_CRASH_AT
	pid=$APM_DAEMON_PID
	call Adopt string:$UZ uint64:0 >/dev/null 2>&1 || true
	apm_wait_gone "$pid" || bail "apmatrixd survived crash point $point"
	APM_DAEMON_PID=
	apm_daemon_start
	if [ $point = after-journal ]; then
		check "Adopt killed at $point: not adopted" \
			test "$(dev $UZ '[.foreign, .defined]')" = '[true,false]' -a ! -e "$STATE_DIR/devices/$UZ.json"
		apm_daemon_stop
	else
		check "Adopt killed at $point: adopted" \
			test "$(dev $UZ '[.owner, .defined]')" = '["apmatrixd",true]' -a -e "$STATE_DIR/devices/$UZ.json"
	fi
	check "no journal left after $point" test ! -e "$STATE_DIR/journal.json"
done
check "the kernel kept UZ's matrix throughout" test "$(tr '\n' ' ' <"$MATRIX/$UZ/matrix")" = "03.0001 "

# The AP configuration lock held by another process, s390-tools' way (a PID
# in the file, link()ed in place; the ap callout writes its parent's PID).
L=$APMATRIXD_LOCK_FILE
take_lock() {
	sleep 300 &
	HOLDER=$!
	APM_CLIENT_PIDS="${APM_CLIENT_PIDS:-} $HOLDER"
	echo "$HOLDER" >"$L.tmp"
	ln "$L.tmp" "$L"
	rm -f "$L.tmp"
}
drop_lock() {
	rm -f "$L"
	kill "$HOLDER"
	wait "$HOLDER" 2>/dev/null || true
}
take_lock
: >"$T/assign.out"
t0=$(date +%s%N)
bg_assign() { # a client in the background: its reply and status into $T/assign.out
	rc=0
	call Assign string:$U2 string:domain array:uint32:7 uint64:0 >"$T/assign.out" 2>&1 || rc=$?
	echo "rc=$rc" >>"$T/assign.out"
}
bg_assign &
bg=$!
# The daemon says when a batch starts waiting; reads go on meanwhile.
check "the request waits for the lock" \
	timeout 10 sh -c "tail -n +1 -f '$T/daemon.log' | grep -q -m1 'is held by PID $HOLDER.*requests wait'"
check "GetState is answered while it waits, naming the holder" \
	test "$(state | jq -c '.ap_lock | [.waiting, .holder]')" = "[1,\"PID $HOLDER, command \\\"sleep 300\\\"\"]"
check "ListDevices too" call ListDevices
check "the request is not answered yet" test ! -s "$T/assign.out"
wait "$bg"
t1=$(date +%s%N)
out=$(cat "$T/assign.out")
case "$out" in
*"ERROR org.apmatrix1.Error.Busy:"*"held by PID $HOLDER, command \"sleep 300\""*"ApConfigLockTimeoutSec"*"rc=1"*)
	ok "after the budget: .Busy naming the holder's PID and command: ${out%%rc=*}" ;;
*) not_ok "after the budget (got: $out)" ;;
esac
check "it waited the budget (3 s)" test $(((t1 - t0) / 1000000)) -ge 2900
check "nothing changed" test "$(tr '\n' ' ' <"$MATRIX/$U2/matrix")" = "02.0005 "
check "the lock is still the holder's" test "$(cat "$L")" = "$HOLDER"

: >"$T/assign.out"
mark=$(wc -l <"$T/daemon.log")
bg_assign &
bg=$!
check "a second request waits" \
	timeout 10 sh -c "tail -n +$((mark + 1)) -f '$T/daemon.log' | grep -q -m1 'requests wait'"
t0=$(date +%s%N)
drop_lock
wait "$bg"
t1=$(date +%s%N)
check "released within the budget: the request goes through" grep -q "rc=0" "$T/assign.out"
diag "answered $(((t1 - t0) / 1000000)) ms after the release"
check "soon after the release (the lock's directory is watched)" test $(((t1 - t0) / 1000000)) -lt 1000
check "the kernel has it" test "$(tr '\n' ' ' <"$MATRIX/$U2/matrix")" = "02.0005 02.0007 "
check "the daemon let go of the lock" test ! -e "$L"
check "GetState: nobody waits for it" test "$(state | jq -c '.ap_lock | [.waiting, .holder]')" = '[0,null]'

# A holder that died without removing its lock: stale, taken over at once.
take_lock
kill "$HOLDER"
wait "$HOLDER" 2>/dev/null || true
check "a stale lock (holder dead) is taken over" call Unassign string:$U2 string:domain array:uint32:7 uint64:0
check "and released" test ! -e "$L"
monitor_stop
tap_done
