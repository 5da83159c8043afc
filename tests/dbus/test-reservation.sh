#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Reservation modes on apsim's Linux 6.19: a host that reserves with
# apmask/aqmask, one that reserves with per-queue driver_override (detected
# from the queues, or chosen with ReservationMode=driver-override for a host
# that reserves nothing yet), and one that mixes both. With driver_override
# apmatrixd never writes the masks: Reserve and Release set and clear the
# overrides of the queues they cover and rebind them (unbind, drivers_probe),
# validation asks the overrides (and that the queue exists), a restart reads
# the reservation back from them. A mixed host gets no reservation change,
# with Error.MixedReservation naming a mask and a queue, and assignments are
# judged as the bus probes (a queue's override first, else the masks).
. "$APM_SOURCE_ROOT/tests/dbus/lib.sh"
apm_enter_ns "$0" "$@"
apm_setup
apm_bus_start
APCTL=$APM_BUILD_ROOT/client/apctl
U1=cccccccc-0000-4000-8000-000000000001
U2=cccccccc-0000-4000-8000-000000000002
B=bus/ap
FULL=0xffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff

cat >"$T/topo.json" <<JSON
{ "kernel": "6.19", "max_domain_id": 84, "domains": "0-3",
  "adapters": [ { "id": 1, "type": "CEX8", "mode": "cca" },
                { "id": 2, "type": "CEX8", "mode": "cca" } ] }
JSON
field() { state | jq -r "$1"; }
ovr() { cat "$SYSFS_ROOT/devices/ap/card0$(echo "$1" | cut -c2)/$1/driver_override"; }
drv() { basename "$(readlink "$SYSFS_ROOT/devices/ap/card0$(echo "$1" | cut -c2)/$1/driver")"; }
restart() {
	apm_daemon_stop
	apm_daemon_start --config "$T/apmatrixd.conf"
}
: >"$T/apmatrixd.conf"

# --- 1. masks: the default for a 6.19 host that reserves nothing yet ---------
apm_sim_start "$T/topo.json"
apm_daemon_start --config "$T/apmatrixd.conf"
check "a blank 6.19 host: masks (ReservationMode=auto)" test "$(field .host.reservation_mode)" = masks
check "apctl status says so" sh -c "'$APCTL' status | grep -q 'Reservation: *masks'"
call Reserve string:adapter array:uint32:1 uint64:0 >/dev/null
check "Reserve writes apmask" test "$(head -c 4 "$SYSFS_ROOT/$B/apmask")" = 0xbf
check "and sets no override" test -z "$(ovr 01.0002)"
check "the queue went to vfio_ap through the masks" test "$(drv 01.0002)" = vfio_ap
call Release string:adapter array:uint32:1 uint64:0 >/dev/null
check "Release gives it back" test "$(cat "$SYSFS_ROOT/$B/apmask")" = $FULL
apm_daemon_stop
apm_sim_stop

# --- 2. driver_override chosen for a blank host --------------------------------
echo "ReservationMode=driver-override" >"$T/apmatrixd.conf"
apm_sim_start "$T/topo.json"
apm_daemon_start --config "$T/apmatrixd.conf"
check "ReservationMode=driver-override: driver_override" \
	test "$(field .host.reservation_mode)" = driver_override
call Reserve string:adapter array:uint32:1 uint64:0 >/dev/null
check "Reserve adapter 1 leaves apmask all ones" test "$(cat "$SYSFS_ROOT/$B/apmask")" = $FULL
check "every queue of adapter 1 has driver_override vfio_ap" \
	test "$(ovr 01.0000)$(ovr 01.0001)$(ovr 01.0002)$(ovr 01.0003)" = vfio_apvfio_apvfio_apvfio_ap
check "and is bound to vfio_ap" test "$(drv 01.0000)$(drv 01.0003)" = vfio_apvfio_ap
check "adapter 2's queues stay the host's" test "$(ovr 02.0000)$(drv 02.0000)" = cex4queue
check "GetState: adapter 1 is not the host drivers' any more" \
	test "$(field '.host.reserved_adapters | index(1)')" = null
check "GetState shows each queue's driver_override" \
	test "$(field '.host.adapters[] | select(.id==1) | .queues[0].driver_override')" = vfio_ap
call Reserve string:domain array:uint32:3 uint64:0 >/dev/null
check "Reserve domain 3: 02.0003 too" test "$(ovr 02.0003)$(drv 02.0003)" = vfio_apvfio_ap
check "02.0002 not" test "$(ovr 02.0002)" = ""
# A domain that comes to the host later: its queue in reserved adapter 1 gets
# the override (as the masks would have given it to vfio_ap), adapter 2's not.
monitor_start
monitor_mark
sim_ctl domain 4 add
check "hot-added domain 4: the daemon announces the host with 01.0004" wait_signal "01.0004"
check "01.0004 got driver_override vfio_ap and is vfio_ap's" \
	test "$(ovr 01.0004):$(drv 01.0004)" = vfio_ap:vfio_ap
check "02.0004 stays the host's" test "$(ovr 02.0004):$(drv 02.0004)" = :cex4queue
monitor_stop

call DefineDevice string:$U1 string:'{"adapters":[1],"domains":[0,1]}' uint64:0 >/dev/null
check "a device on reserved queues starts" call StartDevice string:$U1 uint64:0
check "the kernel has its matrix" grep -q '^01.0000$' "$SYSFS_ROOT/devices/vfio_ap/matrix/$U1/matrix"
expect_error org.apmatrix1.Error.Reserved "a queue with no override is the host's" \
	DefineDevice string:$U2 string:'{"adapters":[2],"domains":[1],"autostart":true}' uint64:0
call DefineDevice string:$U2 string:'{"adapters":[2],"domains":[3]}' uint64:0 >/dev/null
check "02.0003 (domain 3 reserved) starts" call StartDevice string:$U2 uint64:0
expect_error org.apmatrix1.Error.Reserved "a reserved APQN without a queue device" \
	Assign string:$U2 string:adapter array:uint32:5 uint64:0
expect_error org.apmatrix1.Error.InUse "Release of an adapter a device uses" \
	Release string:adapter array:uint32:1 uint64:0
check "the refusal changed nothing" test "$(ovr 01.0000)$(drv 01.0000)" = vfio_apvfio_ap

# Killed inside a Reserve: the restart settles the overrides with the journal.
# A reservation is the kernel's alone (no definition to agree with), so the
# journal rolls it forward, as with the masks: from before the first write
# (after-journal), between them and after the commit point.
for point in after-journal after-write after-definitions; do
	apm_daemon_stop
	export APMATRIXD_TEST_CRASH_AT=$point
	apm_daemon_start --config "$T/apmatrixd.conf"
	unset APMATRIXD_TEST_CRASH_AT
	pid=$APM_DAEMON_PID
	acked=0
	call Reserve string:domain array:uint32:2 uint64:0 >/dev/null 2>&1 && acked=1
	apm_wait_gone "$pid" || bail "apmatrixd survived crash point $point"
	APM_DAEMON_PID=
	apm_daemon_start --config "$T/apmatrixd.conf"
	check "killed at $point: not acknowledged, 02.0002 rolled forward to vfio_ap" \
		test "$acked:$(ovr 02.0002):$(drv 02.0002)" = "0:vfio_ap:vfio_ap"
	check "killed at $point: GetState agrees (domain 2 reserved)" \
		test "$(field '.host.reserved_domains | index(2) // "reserved"')" = reserved
	call Release string:domain array:uint32:2 uint64:0 >/dev/null
	check "killed at $point: Release after it gives 02.0002 back" \
		test "$(ovr 02.0002):$(drv 02.0002)" = ":cex4queue"
done

# A restart reads the reservation back from the overrides.
restart
check "after a restart: driver_override, read from the queues" \
	test "$(field .host.reservation_mode)" = driver_override
check "adapter 1 and domain 3 still reserved" \
	test "$(field '[(.host.reserved_adapters | index(1)), (.host.reserved_domains | index(3))]' | tr -d ' \n')" = '[null,null]'
check "no queue is a stray" test "$(field '.host.override_stray // "none"')" = none
call StopDevice string:$U1 uint64:0 >/dev/null
call UndefineDevice string:$U1 uint64:0 >/dev/null
call Release string:adapter array:uint32:1 uint64:0 >/dev/null
check "Release clears the overrides of adapter 1 (but for domain 3's)" \
	test "$(ovr 01.0000)|$(ovr 01.0003)" = "|vfio_ap"
check "and its queues are the host's again" test "$(drv 01.0000)" = cex4queue
check "the masks were never written" test "$(sim_stats | jq '.writes["apmask"] // 0')" = 0
apm_daemon_stop

# --- 3. driver_override detected on a host another tool set up ---------------
: >"$T/apmatrixd.conf"
echo vfio_ap >"$SYSFS_ROOT/devices/ap/card02/02.0001/driver_override"
echo vfio_ap >"$SYSFS_ROOT/devices/ap/card01/01.0001/driver_override"
echo 02.0001 >"$SYSFS_ROOT/devices/ap/card02/02.0001/driver/unbind"
echo 02.0001 >"$SYSFS_ROOT/$B/drivers_probe"
apm_daemon_start --config "$T/apmatrixd.conf"
check "overrides on the queues: driver_override whatever ReservationMode says" \
	test "$(field .host.reservation_mode)" = driver_override
check "domain 1 (all its queues vfio_ap) reads as reserved" \
	test "$(field '.host.reserved_domains | index(1)')" = null
echo -7 >"$SYSFS_ROOT/$B/apmask" 2>/dev/null && rc=0 || rc=$?
check "(the kernel refuses mask writes while overrides exist)" test "$rc" != 0

# --- 4. mixed: masks and overrides at once ------------------------------------
apm_daemon_stop
apm_sim_stop
apm_sim_start "$T/topo.json"
echo -2 >"$SYSFS_ROOT/$B/apmask"
sim_ctl queue 01.0002 override vfio_ap
apm_daemon_start --config "$T/apmatrixd.conf"
check "masks and an override: mixed" test "$(field .host.reservation_mode)" = mixed
expect_error org.apmatrix1.Error.MixedReservation "Reserve on a mixed host" \
	Reserve string:domain array:uint32:0 uint64:0
check "the error names the mask and the queue" \
	sh -c "'$APCTL' reserve domain 0 2>&1 | grep -q 'apmask is not all ones while queue 01.0002 has driver_override \"vfio_ap\"'"
rc=0
"$APCTL" release adapter 2 >/dev/null 2>&1 || rc=$?
check "apctl release exits 3 (refused)" test "$rc" = 3
check "nothing was written" test "$(head -c 4 "$SYSFS_ROOT/$B/apmask")" = 0xdf
call DefineDevice string:$U1 string:'{"adapters":[2],"domains":[0]}' uint64:0 >/dev/null
check "adapter 2 (masks) is assignable" call StartDevice string:$U1 uint64:0
expect_error org.apmatrix1.Error.Reserved "01.0001 (no override, masks: host) is not" \
	DefineDevice string:$U2 string:'{"adapters":[1],"domains":[1],"autostart":true}' uint64:0
check "apctl status: mixed" sh -c "'$APCTL' status | grep -q 'Reservation: *mixed'"
check "apsim: no lock-order report, every lock class ranked (mixed host: probes by override and masks)" \
	test "$(sim_stats | jq -c '[.lock_order_reports, .lock_classes_unranked]')" = '[0,""]'
tap_done
