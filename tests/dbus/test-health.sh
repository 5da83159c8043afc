#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Health: queue state changes on apsim (online/offline, checkstop,
# deconfigured) become QueueStateChanged naming the APQN, its devices and
# their guests; apctl events prints them and ends on SIGINT or when the daemon
# leaves; GetState shows each queue's state and its Secure Execution bind;
# taking an SE-bound queue from a running guest is refused unless forced.
. "$APM_SOURCE_ROOT/tests/dbus/lib.sh"
apm_enter_ns "$0" "$@"
APCTL=${APCTL:-$APM_BUILD_ROOT/client/apctl}
[ -x "$APCTL" ] || bail "apctl not built at $APCTL"
# The default host, its queues with se_bind/se_associate (as an SE guest's kernel shows them).
apm_setup
cat >"$T/topo.json" <<JSON
{ "max_domain_id": 84, "domains": "0-15", "apmask": "0-1", "se": true,
  "adapters": [ { "id": 0, "type": "CEX8", "mode": "cca" },
                { "id": 1, "type": "CEX8", "mode": "ep11" },
                { "id": 2, "type": "CEX7", "mode": "cca" },
                { "id": 3, "type": "CEX7", "mode": "accel" } ] }
JSON
apm_sim_start "$T/topo.json"
apm_bus_start
apm_daemon_start
monitor_start

U1=cccccccc-0000-4000-8000-000000000001
U2=cccccccc-0000-4000-8000-000000000002
field() { state | jq -c "$1"; }
queue() { field ".host.adapters[] | select(.id==$1) | .queues[] | select(.domain==$2) | $3"; }

# wait_queue_signal APQN STATE: the next QueueStateChanged (after the mark) of
# APQN with STATE, as dbus-monitor prints it (up to 20 s); its devices and
# guests ("devices=U,... guests=G,...") in $T/qsig. A shell loop: it reads
# line by line where awk would wait for a full buffer.
wait_queue_signal() {
	timeout 20 tail -n +$((APM_MARK + 1)) -f "$T/signals" | {
		in_sig=0
		while IFS= read -r line; do
			case $line in
			"signal "*member=QueueStateChanged)
				in_sig=1 n=0 arr=0 d= g= q= st=
				continue
				;;
			"signal "* | "method "*) in_sig=0 ;;
			esac
			[ "$in_sig" -eq 1 ] || continue
			case $line in
			'   string "'*)
				v=${line#*\"}
				v=${v%\"}
				n=$((n + 1))
				[ "$n" -eq 1 ] && q=$v || st=$v
				;;
			'      string "'*)
				v=${line#*\"}
				v=${v%\"}
				if [ "$arr" -eq 0 ]; then d=${d:+$d,}$v; else g=${g:+$g,}$v; fi
				;;
			'   ]')
				arr=$((arr + 1))
				[ "$arr" -eq 2 ] || continue
				in_sig=0
				if [ "$q" = "$1" ] && [ "$st" = "$2" ]; then
					echo "devices=$d guests=$g" >"$T/qsig"
					exit 0
				fi
				;;
			esac
		done
		exit 1
	}
}

call Reserve string:domain array:uint32:0,1,2,3 uint64:0 >/dev/null
call DefineDevice string:$U1 string:'{"adapters":[3],"domains":[0,1],"guest":"vm1"}' uint64:0 >/dev/null
call StartDevice string:$U1 uint64:0 >/dev/null
call DefineDevice string:$U2 string:'{"adapters":[2,3],"domains":[2],"guest":"vm2"}' uint64:0 >/dev/null
sim_ctl "guest start vm1 $U1 vcpus=1"
check "vm1 holds U1" test "$(field ".devices[] | select(.uuid==\"$U1\") | .state")" = '"in-use"'
check "GetState: queue 03.0000 is online, passed through" \
	test "$(queue 3 0 '[.state, .online, .driver]')" = '["online",true,"vfio_ap"]'

# apctl events, subscribed before anything happens (it says so on stderr).
"$APCTL" --json events >"$T/events.out" 2>"$T/events.err" &
EV=$!
APM_CLIENT_PIDS="$EV"
check "apctl events subscribes" \
	timeout 10 sh -c "tail -n +1 -f '$T/events.err' | grep -q -m1 Monitoring"
"$APCTL" events >"$T/hevents.out" 2>"$T/hevents.err" &
HEV=$!
APM_CLIENT_PIDS="$EV $HEV"
timeout 10 sh -c "tail -n +1 -f '$T/hevents.err' | grep -q -m1 Monitoring" || bail "no human events"

# Offline and back: zcrypt's online switch exists only under the host driver
# (as upstream), so a queue the host keeps; a manual definition may name it.
U4=cccccccc-0000-4000-8000-000000000004
call DefineDevice string:$U4 string:'{"adapters":[0],"domains":[4],"guest":"vm4"}' uint64:0 >/dev/null
check "a queue vfio_ap has has no online switch (apsim, as upstream)" \
	sh -c "! echo 'queue 03.0000 online off' >'$SYSFS_ROOT/sim/ctl' 2>/dev/null"
monitor_mark
sim_ctl queue 00.0004 online off
check "offline: QueueStateChanged 00.0004 offline" wait_queue_signal 00.0004 offline
check "... naming U4 and its guest vm4" test "$(cat "$T/qsig")" = "devices=$U4 guests=vm4"
check "GetState: 00.0004 offline" test "$(queue 0 4 '[.state, .online, .driver]')" = '["offline",false,"cex4queue"]'
monitor_mark
sim_ctl queue 00.0004 online on
check "online again: QueueStateChanged 00.0004 online" wait_queue_signal 00.0004 online
monitor_mark
sim_ctl queue 00.0005 online off
check "a queue of no device: QueueStateChanged 00.0005 offline" wait_queue_signal 00.0005 offline
check "... naming nobody" test "$(cat "$T/qsig")" = "devices= guests="
sim_ctl queue 00.0005 online on

# Checkstop of adapter 3: every queue of it, 03.0002 for both devices.
monitor_mark
sim_ctl adapter 3 chkstop on
check "checkstop: QueueStateChanged 03.0001 checkstopped" wait_queue_signal 03.0001 checkstopped
check "... naming U1 and vm1" test "$(cat "$T/qsig")" = "devices=$U1 guests=vm1"
check "checkstop: 03.0002 names U2 and vm2" wait_queue_signal 03.0002 checkstopped
check "... naming U2 and vm2" test "$(cat "$T/qsig")" = "devices=$U2 guests=vm2"
check "GetState: 03.0000 checkstopped" test "$(queue 3 0 .state)" = '"checkstopped"'
monitor_mark
sim_ctl adapter 3 chkstop off
check "checkstop ends: 03.0000 online" wait_queue_signal 03.0000 online

# Deconfigured (SCLP) and configured again.
monitor_mark
sim_ctl adapter 3 config off
check "deconfigure: QueueStateChanged 03.0001 deconfigured" \
	wait_queue_signal 03.0001 deconfigured
monitor_mark
sim_ctl adapter 3 config on
check "configure: 03.0001 online" wait_queue_signal 03.0001 online

# apctl events printed them, one JSON line each.
check "events: QueueStateChanged 00.0004 offline with U4 and vm4" \
	timeout 20 sh -c "tail -n +1 -f '$T/events.out' | grep -q -m1 '\"event\":\"QueueStateChanged\".*\"apqn\":\"00.0004\",\"state\":\"offline\",\"devices\":\[\"$U4\"\],\"guests\":\[\"vm4\"\]'"
check "events: 03.0001 checkstopped with U1 and vm1" \
	grep -q '"apqn":"03.0001","state":"checkstopped","devices":\["'"$U1"'"\],"guests":\["vm1"\]' "$T/events.out"
check "events: 03.0001 deconfigured" \
	timeout 20 sh -c "tail -n +1 -f '$T/events.out' | grep -q -m1 '\"apqn\":\"03.0001\",\"state\":\"deconfigured\"'"
check "events: HostChanged too" grep -q '"event":"HostChanged"' "$T/events.out"
check "events: every line is one JSON object" \
	sh -c "jq -e -s 'length > 0 and all(.[]; .event and .timestamp_usec)' '$T/events.out'"
check "human events: one line per queue change" \
	timeout 20 sh -c "tail -n +1 -f '$T/hevents.out' | grep -q -m1 ' QueueStateChanged 00.0004 state=offline devices=$U4 guests=vm4\$'"
kill -INT "$HEV"
wait "$HEV" && rc=0 || rc=$?
check "events exits 0 on SIGINT" test "$rc" -eq 0

# Secure Execution: 03.0001 is bound (accelerator card: bind, no association).
monitor_mark
sim_ctl queue 03.0001 se-bind on
check "the bind is announced by HostChanged" wait_signal '"apqn":"03.0001"[^}]*"se_bind":"bound"'
check "GetState: 03.0001 se_bind bound" test "$(queue 3 1 .se_bind)" = '"bound"'
check "GetState: 03.0000 unbound, no association on an accelerator" \
	test "$(queue 3 0 '[.se_bind, .se_associate]')" = '["unbound",""]'
"$APCTL" host >"$T/host.txt"
check "apctl host: STATE and SE columns" \
	sh -c "grep -q 'STATE *SE' '$T/host.txt' && grep -q '^03.0001 .* online *bound *\$' '$T/host.txt'"
before=$(snapshot)
expect_error org.apmatrix1.Error.SecureExecution "unassign of the bound queue's domain from running vm1" \
	Unassign string:$U1 string:domain array:uint32:1 uint64:0
check "... naming the APQN and the guest" \
	sh -c 'printf "%s" "$1" | grep -q "03.0001.*vm1"' _ "$out"
check "refused: nothing changed" same_snapshot "$before"
expect_error org.apmatrix1.Error.SecureExecution "an Apply that takes it away" \
	Apply string:"{\"devices\":[{\"uuid\":\"$U1\",\"adapters\":[3],\"domains\":[0]}]}" uint64:0
expect_error org.apmatrix1.Error.SecureExecution "a dry run says so too" \
	Unassign string:$U1 string:domain array:uint32:1 uint64:1
check "unassign of a domain with no bound queue is fine" \
	call Assign string:$U1 string:domain array:uint32:3 uint64:0
check "... and back" call Unassign string:$U1 string:domain array:uint32:3 uint64:0
"$APCTL" unassign "$U1" domain 1 >/dev/null 2>"$T/apctl.err" && rc=0 || rc=$?
check "apctl unassign: refused (exit 3) naming APQN and guest" \
	sh -c "test $rc -eq 3 && grep -q '03.0001.*vm1' '$T/apctl.err'"
check "with the force flag (bit 1) accepted" \
	call Unassign string:$U1 string:domain array:uint32:1 uint64:2
check "vm1's matrix lost domain 1" \
	test "$(tr '\n' ' ' <"$SYSFS_ROOT/devices/vfio_ap/matrix/$U1/matrix")" = "03.0000 "
check "apctl assign back" "$APCTL" -q assign "$U1" domain 1
check "apctl unassign --force" "$APCTL" -q unassign --force "$U1" domain 1
expect_error org.freedesktop.DBus.Error.InvalidArgs "unknown flag bits are still InvalidArgs" \
	Unassign string:$U1 string:domain array:uint32:0 uint64:4

# An association (EP11 card 01) counts as much as a bind.
U3=cccccccc-0000-4000-8000-000000000003
call DefineDevice string:$U3 string:'{"adapters":[1],"domains":[0],"guest":"vm3"}' uint64:0 >/dev/null
call StartDevice string:$U3 uint64:0 >/dev/null
sim_ctl "guest start vm3 $U3 vcpus=1"
monitor_mark
sim_ctl queue 01.0000 se-bind on
sim_ctl queue 01.0000 se-associate 7
check "the association is announced" wait_signal '"apqn":"01.0000"[^}]*"se_associate":"associated 7"'
check "GetState: 01.0000 bound and associated 7" \
	test "$(queue 1 0 '[.se_bind, .se_associate]')" = '["bound","associated 7"]'
expect_error org.apmatrix1.Error.SecureExecution "unassign of an associated queue's adapter" \
	Unassign string:$U3 string:adapter array:uint32:1 uint64:0
check "... naming the association and vm3" \
	sh -c 'printf "%s" "$1" | grep -q "01.0000 is Secure Execution associated 7 in guest vm3"' _ "$out"
sim_ctl "guest stop vm3"
check "the guest gone, the same unassign is fine" \
	call Unassign string:$U3 string:adapter array:uint32:1 uint64:0

# The daemon goes away: apctl events ends (DaemonGone, status 1).
apm_daemon_stop
wait "$EV" && rc=0 || rc=$?
check "events ends when the daemon leaves the bus (status 1)" test "$rc" -eq 1
check "its last line is DaemonGone" test "$(tail -n 1 "$T/events.out" | jq -r .event)" = DaemonGone
"$APCTL" events >/dev/null 2>"$T/none.err" && rc=0 || rc=$?
check "events without a daemon fails at once" sh -c "test $rc -ne 0 && grep -q 'not on the bus' '$T/none.err'"
APM_CLIENT_PIDS=
monitor_stop
tap_done
