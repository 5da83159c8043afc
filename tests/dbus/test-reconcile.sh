#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# The daemon follows the host: uevents from apsim (real libudev netlink)
# refresh what they name, a burst costs a handful of refreshes, attach shows
# as in-use, drift is reported (and corrected with Enforce=yes), autostart
# devices come up, and a journal left by a crash is completed or rolled back.
. "$APM_SOURCE_ROOT/tests/dbus/lib.sh"
apm_enter_ns "$0" "$@"
apm_start_all
monitor_start

MATRIX=$SYSFS_ROOT/devices/vfio_ap/matrix
U1=bbbbbbbb-0000-4000-8000-000000000001
U2=bbbbbbbb-0000-4000-8000-000000000002
field() { state | jq -c "$1"; }
call Reserve string:domain array:uint32:0,1,2,3,4,5,6,7 uint64:0 >/dev/null

# An mdev created behind the daemon's back (mdevctl style) shows up.
monitor_mark
echo "$U2" >"$MATRIX/mdev_supported_types/vfio_ap-passthrough/create"
check "an externally created mdev is announced" wait_signal "InterfacesAdded\|$U2"
check "and is a transient active device" \
	test "$(field ".devices[] | select(.uuid==\"$U2\") | [.state, .defined]")" = '["active",false]'

# Attach: no uevent exists for it; reads see it.
call DefineDevice string:$U1 string:'{"adapters":[2],"domains":[0,1]}' uint64:0 >/dev/null
call StartDevice string:$U1 uint64:0 >/dev/null
sim_ctl "guest start vm1 $U1 vcpus=1"
check "an attached guest makes the device in-use" \
	test "$(field ".devices[] | select(.uuid==\"$U1\") | .state")" = '"in-use"'
expect_error org.apmatrix1.Error.Busy "StopDevice of an in-use device" StopDevice string:$U1 uint64:0
call Assign string:$U1 string:domain array:uint32:2 uint64:0 >/dev/null
path=$(call GetDevice string:$U1)
check "a change under the guest keeps it in-use (Device.State, no refresh)" \
	sh -c "busctl --system get-property org.apmatrix1 '$path' org.apmatrix1.Device State | grep -q in-use"
check "GuestDomains follow the change" \
	sh -c "busctl --system get-property org.apmatrix1 '$path' org.apmatrix1.Device GuestDomains | grep -q 'au 3 0 1 2'"
call Unassign string:$U1 string:domain array:uint32:2 uint64:0 >/dev/null
sim_ctl "guest stop vm1"
check "StopDevice right after the guest left (no uevent for that)" call StopDevice string:$U1 uint64:0
check "StartDevice again" call StartDevice string:$U1 uint64:0

# A burst of uevents (adapter 0 hot-unplugged and plugged 40 times and left
# unplugged: card and 16 queues each time): thousands of events, a handful
# of refreshes. Then one last distinct change (domain 20 appears) as a marker:
# its HostChanged is the refresh after everything before it.
u0=$(field .stats.uevents)
f0=$(field '.stats.refreshes + .stats.rescans')
monitor_mark
python3 - "$SYSFS_ROOT/sim/ctl" <<'PY'
import sys
for i in range(81):
    with open(sys.argv[1], "w") as f:
        f.write("adapter 0 remove\n" if i % 2 == 0 else "adapter 0 add CEX8 cca\n")
with open(sys.argv[1], "w") as f:
    f.write("domain 20 add\n")
PY
check "the host change is announced after the burst" wait_signal '"apqn":"01.0014"'
sent=$(sim_stats | jq .uevents)
u1=$(field .stats.uevents)
f1=$(field '.stats.refreshes + .stats.rescans')
diag "uevents seen: $((u1 - u0)), refreshes: $((f1 - f0)) (apsim sent $sent in all)"
check "a burst of >= 1000 uevents" test $((u1 - u0)) -ge 1000
# Refreshes wait for a pause in the events (at most 1 s): on an idle machine
# the burst is one refresh; under load it spreads, but never near one per event.
check "costs a refresh per >= 100 uevents at most" test $(((f1 - f0) * 100)) -le $((u1 - u0))
check "adapter 0 is gone from the host" test "$(field '.host.adapters | map(.id) | index(0)')" = null

# Drift: the kernel changed behind the daemon's back (no uevent for that);
# a restart sees it. Without Enforce it is reported, with Enforce corrected.
apm_daemon_stop
printf '0x30,0xc0,0x00\n' >"$MATRIX/$U1/ap_config"
apm_daemon_start
check "drift is reported" test "$(field ".devices[] | select(.uuid==\"$U1\") | .drift")" = true
apm_daemon_stop
printf 'Enforce=yes\n' >"$T/enforce.conf"
monitor_mark
APM_DAEMON_PID=$(python3 "$APM_SOURCE_ROOT/tests/dbus/notify-run.py" "$T/daemon.log" 30 -- \
	"$APMATRIXD" --state-dir "$STATE_DIR" --config "$T/enforce.conf") || bail "no daemon"
# Enforce runs as a request on the queue; wait for its batch.
check "Enforce applies a batch" wait_signal "BatchApplied"
check "Enforce=yes corrects drift" test "$(tr '\n' ' ' <"$MATRIX/$U1/matrix")" = "02.0000 02.0001 "
check "no drift left" test "$(field ".devices[] | select(.uuid==\"$U1\") | .drift")" = false
apm_daemon_stop

# Autostart: a defined autostart device without mdev is created at start.
echo 1 >"$MATRIX/$U1/remove"
jq '.autostart = true' "$STATE_DIR/devices/$U1.json" >"$T/x.json"
mv "$T/x.json" "$STATE_DIR/devices/$U1.json"
monitor_mark
apm_daemon_start
check "autostart applies a batch" wait_signal "BatchApplied"
check "an autostart device is started" test -d "$MATRIX/$U1"
check "StopDevice of an autostart device sticks" call StopDevice string:$U1 uint64:0
# A dry run goes through the next batch: anything queued after the stop has run.
call Assign string:$U1 string:domain array:uint32:0 uint64:1 >/dev/null
check "the mdev stays removed" test ! -e "$MATRIX/$U1"
check "its definition stays" test -f "$STATE_DIR/devices/$U1.json"
check "StartDevice brings it back" call StartDevice string:$U1 uint64:0
apm_daemon_stop

# A journal left by a crash: the kernel does not have the intended result,
# so the touched mdev is put back to its state before.
printf '0x30,0xe0,0x00\n' >"$MATRIX/$U1/ap_config"
cat >"$STATE_DIR/journal.json" <<JSON
{"version":1,"batch":7,"items":[{"uuid":"$U1","before_exists":true,
 "before":{"adapters":[2,3],"domains":[0,1],"control_domains":[]},
 "after_exists":true,"after":{"adapters":[2],"domains":[5],"control_domains":[]},
 "definition":null}]}
JSON
apm_daemon_start
check "an interrupted apply is rolled back" test "$(field .store.recovery)" = '"rolled back"'
check "the mdev has its matrix from before" \
	test "$(tr '\n' ' ' <"$MATRIX/$U1/matrix")" = "02.0000 02.0001 03.0000 03.0001 "
check "the journal is gone" test ! -e "$STATE_DIR/journal.json"
apm_daemon_stop

# ... and completed when the kernel already has the result.
cat >"$STATE_DIR/journal.json" <<JSON
{"version":1,"batch":8,"items":[{"uuid":"$U1","before_exists":true,
 "before":{"adapters":[2],"domains":[0,1],"control_domains":[]},
 "after_exists":true,"after":{"adapters":[2,3],"domains":[0,1],"control_domains":[]},
 "definition":{"version":1,"uuid":"$U1","autostart":true,"guest":"vm9",
  "adapters":[2,3],"domains":[0,1],"control_domains":[]}}]}
JSON
apm_daemon_start
check "an apply the kernel already has is rolled forward" test "$(field .store.recovery)" = '"rolled forward"'
check "its definition is saved" test "$(jq -r .guest "$STATE_DIR/devices/$U1.json")" = vm9
monitor_stop
tap_done
