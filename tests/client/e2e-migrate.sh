#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Migration preflight between two simulated hosts: host A (apsim, bus and
# apmatrixd of tests/dbus/lib.sh) and host B (a second apsim in a network
# namespace of its own, so that each daemon sees only its own uevents, a
# second private bus and a second apmatrixd). A guest's device is exported
# on A and checked on an incompatible B (a missing APQN, one owned by
# another device, type/mode/functions mismatches, a device of the same
# UUID with another matrix); PrepareMigration there is refused and changes
# nothing. On a compatible B the check passes, the prepare defines the
# device with the same UUID (not started), reserves its queues for vfio_ap
# as A has them, is idempotent and survives a daemon restart and kill -9;
# killed at every crash point of its batch it is there or not, never half
# (not acknowledged either way). Then the
# libvirt hook's migrate begin prepares from MIGRATE_DIR/UUID.json and
# refuses an incompatible one. Run as root under unshare -m -n.
. "$APM_SOURCE_ROOT/tests/client/e2e-env.sh" "$0" "$@"
need nsenter:util-linux jq:jq
e2e_start
A_BUS=$DBUS_SYSTEM_BUS_ADDRESS
A_SYS=$SYSFS_ROOT
B=$T/b
mkdir -p "$B/hook" "$B/migrate"
B_DAEMON_PID=
B_DBUS_PID=

# --- host B ------------------------------------------------------------------
b_sim_start() { # TOPOLOGY.json: apsim in a network namespace of its own
	mkdir -p "$B/sys"
	unshare -n -- "$APSIM" "$B/sys" --topology "$1" --pid-file "$B/apsim.pid" ||
		bail "apsim of host B failed to start"
	[ -f "$B/sys/bus/ap/apmask" ] || bail "apsim of host B mounted no tree"
}
b_sim_stop() {
	[ -f "$B/apsim.pid" ] || return 0
	kill "$(cat "$B/apsim.pid")" 2>/dev/null
	flock "$B/apsim.pid" true
	rm -f "$B/apsim.pid"
}
b_daemon_start() { # STATE_DIR: apmatrixd of host B, in apsim B's network namespace
	B_STATE=$1
	B_DAEMON_PID=$(SYSFS_ROOT="$B/sys" DBUS_SYSTEM_BUS_ADDRESS=$B_BUS \
		APMATRIXD_LOCK_FILE="$B/s390apconfig.lock" \
		nsenter -t "$(cat "$B/apsim.pid")" -n -- \
		python3 "$APM_SOURCE_ROOT/tests/dbus/notify-run.py" "$B/daemon.log" 30 -- \
		"$APMATRIXD" --state-dir "$B_STATE" --config /dev/null --foreground-log) ||
		bail "apmatrixd of host B did not start"
}
b_daemon_stop() {
	[ -n "$B_DAEMON_PID" ] || return 0
	kill "$B_DAEMON_PID" 2>/dev/null
	apm_wait_gone "$B_DAEMON_PID"
	B_DAEMON_PID=
}
b_cleanup() {
	b_daemon_stop
	[ -n "$B_DBUS_PID" ] && kill "$B_DBUS_PID" 2>/dev/null
	b_sim_stop
	if [ -f "$B/daemon.log" ] && [ "${1:-0}" -ne 0 ]; then
		echo "# --- host B daemon log (tail)"
		tail -n 30 "$B/daemon.log" | sed 's/^/# /'
	fi
}
trap 'rc=$?; b_cleanup "$rc"; (exit "$rc"); apm_cleanup' EXIT
eval "$("$APM_SOURCE_ROOT/tests/dbus/private-bus.sh" "$B" "$APM_SOURCE_ROOT/dbus" |
	sed -e 's/DBUS_SYSTEM_BUS_ADDRESS/B_BUS/g' -e 's/APM_DBUS_PID/B_DBUS_PID/')"

# on_a / on_b CMD...: a client of host A's or host B's daemon.
on_a() { DBUS_SYSTEM_BUS_ADDRESS=$A_BUS SYSFS_ROOT=$A_SYS "$@"; }
on_b() {
	DBUS_SYSTEM_BUS_ADDRESS=$B_BUS SYSFS_ROOT=$B/sys APCTL_HOOK_STATE_DIR=$B/hook \
		APCTL_MIGRATE_DIR=$B/migrate "$@"
}
# What PrepareMigration must not change on B: apctl_snapshot there, and the definitions.
b_snapshot() { on_b apctl_snapshot; ls "$B_STATE/devices" 2>/dev/null; }
A=$APCTL

# --- host A: a running guest vm1 with device U -------------------------------
U=4d3b1d0e-5a8e-4c61-9f0b-0000000000a1
U2=4d3b1d0e-5a8e-4c61-9f0b-0000000000a2
O=4d3b1d0e-5a8e-4c61-9f0b-0000000000b1
on_a "$A" define "$U" --adapters 2,3 --domains 4,5 --control-domains 4 --guest vm1 >/dev/null &&
	on_a "$A" start "$U" >/dev/null || bail "cannot set up device $U on host A"
sim_ctl guest start vm1 "$U" vcpus=1 pqap_hz=0 || bail "apsim cannot start guest vm1"

on_a "$A" export-guest "$U" >"$T/u.json" 2>"$T/err"
check "apctl export-guest: exit 0, stderr empty" test $? -eq 0 -a ! -s "$T/err"
check "the export is version 1 of device U, guest vm1, its matrix and A's maximum ids" \
	jq -e --arg u "$U" '.version == 1 and .uuid == $u and .guest == "vm1" and
		.adapters == [2,3] and .domains == [4,5] and .control_domains == [4] and
		.host.max_adapter_id == 255 and .host.max_domain_id == 84 and
		.host.configured_control_domains == [4] and .reserve == "adapter"' "$T/u.json"
check "it lists the 4 APQNs with type, hwtype, mode and functions as A's sysfs has them" \
	jq -e '[.queues[] | [.apqn, .type, .hwtype, .raw_hwtype, .mode, .functions]] ==
		[["02.0004","CEX7",13,13,"cca","0x10800000"],["02.0005","CEX7",13,13,"cca","0x10800000"],
		 ["03.0004","CEX7",13,13,"accel","0x08800000"],["03.0005","CEX7",13,13,"accel","0x08800000"]]' \
	"$T/u.json"
check "functions as the card's ap_functions" \
	test "$(cat "$A_SYS/devices/ap/card03/ap_functions")" = 0x08800000
check "ExportGuest is a read: nobody may call it" \
	on_a call_as_nobody ExportGuest string:"$U"
on_a expect_error org.apmatrix1.Error.NoSuchDevice "ExportGuest of an unknown device" \
	ExportGuest string:"$O"

# --- host B, incompatible -------------------------------------------------------
# Adapter 2 a CEX7 cca as on A, adapter 3 a CEX8 ep11 kept by the host, domains 0-4 only.
cat >"$T/b1.json" <<'EOF'
{ "apxa": true, "max_domain_id": 15,
  "adapters": [ { "id": 2, "type": "CEX7", "mode": "cca" }, { "id": 3, "type": "CEX8", "mode": "ep11" } ],
  "domains": "0-4", "apmask": "0-1,3" }
EOF
b_sim_start "$T/b1.json"
b_daemon_start "$B/state1"
on_b "$A" define "$O" --adapters 2 --domains 4 --guest other >/dev/null &&
	on_b "$A" start "$O" >/dev/null || bail "cannot set up device $O on host B"

on_b "$A" --json migrate-check "$T/u.json" >"$T/report.json" 2>"$T/err"
rc=$?
check "migrate-check --json on the incompatible host: exit 3 ($(cat "$T/err"))" \
	test "$rc" -eq 3 -a "$(wc -l <"$T/err")" -eq 1
diag_lines <(jq -r '.problems[] | "\(.apqn) \(.reason): \(.message)"' "$T/report.json")
check "not ok, 6 problems" jq -e '.ok == false and .n_problems == 6' "$T/report.json"
check "02.0004 is in use by device O, named with its guest" \
	jq -e --arg o "$O" '.problems | any(.apqn == "02.0004" and .reason == "in-use" and .owner == $o
		and .owner_guest == "other" and (.message | test("device " + $o + " \\(guest other\\)")))' "$T/report.json"
check "02.0005 and 03.0005 are missing (domain 5 is not in B's configuration)" \
	jq -e '[.problems[] | select(.reason == "missing") | .apqn] == ["02.0005", "03.0005"]' "$T/report.json"
check "03.0004: type, mode and functions differ, each named" \
	jq -e '[.problems[] | select(.apqn == "03.0004") | .reason] ==
		["type-mismatch", "mode-mismatch", "functions-mismatch"] and
		(.problems | any(.message == "APQN 03.0004: CEX8 (hwtype 14) here, CEX7 (hwtype 13) on the source"))' \
	"$T/report.json"
check "B's maximum ids are below A's: a note, not a problem" \
	jq -e '.notes | any(. == "this host'"'"'s maximum ids (adapter 255, domain 15) are below the source'"'"'s (adapter 255, domain 84)")' \
	"$T/report.json"
check "adapter 3 is kept by the host: reserving it is part of the prepare" \
	jq -e '.reserve == {"kind": "adapter", "ids": [3]} and .host_reserved == ["03.0004", "03.0005"]' \
	"$T/report.json"

on_b "$A" migrate-check "$T/u.json" >"$T/out" 2>"$T/err"
rc=$?
check "migrate-check (readable): exit 3, one line on stderr" \
	test "$rc" -eq 3 -a "$(wc -l <"$T/err")" -eq 1
check "the readable report names the problems by APQN" \
	sh -c "grep -q 'to this host: NOT possible, 6 problems' '$T/out' &&
		grep -Eq '^02\\.0004 +in-use +APQN 02\\.0004 is assigned to active device $O' '$T/out' &&
		grep -Eq '^03\\.0005 +missing ' '$T/out' && grep -q '^To reserve for vfio_ap: adapter 3 ' '$T/out'"
diag_lines "$T/out"

# The same UUID with another matrix on B.
on_b "$A" define "$U" --adapters 2 --domains 1 >/dev/null || bail "cannot define $U on host B"
on_b "$A" --json migrate-check "$T/u.json" >"$T/report.json" 2>/dev/null
check "a device of the same UUID with another matrix is a problem too" \
	jq -e --arg u "$U" '.n_problems == 7 and (.problems | any(.apqn == null and
		.reason == "uuid-conflict" and .message == "device " + $u +
		" exists here with another matrix (adapters 2, domains 1, control domains none)"))' \
	"$T/report.json"
before=$(b_snapshot)
on_b unchanged_by 3 "migration of device $U refused: 7 problems: device $U exists here with another matrix" \
	migrate-prepare "$T/u.json"
check "PrepareMigration refused: definitions on B unchanged" test "$(b_snapshot)" = "$before"
on_b expect_error org.apmatrix1.Error.Incompatible "PrepareMigration on the bus: Incompatible" \
	PrepareMigration string:"$(cat "$T/u.json")"
out=$(on_b call_as_nobody PrepareMigration string:'{"version": 42}')
check "PrepareMigration as nobody: AccessDenied before the arguments are read ($out)" \
	test "${out#ERROR org.freedesktop.DBus.Error.AccessDenied:}" != "$out"
check "CheckMigration is a read: nobody may call it" \
	on_b call_as_nobody CheckMigration string:"$(cat "$T/u.json")"
on_b expect_error org.freedesktop.DBus.Error.InvalidArgs "an export of version 2" \
	CheckMigration string:"$(jq -c '.version = 2' "$T/u.json")"
on_b expect_error org.freedesktop.DBus.Error.InvalidArgs "a queue outside the matrix" \
	CheckMigration string:"$(jq -c '.queues[0].domain = 9 | .queues[0].apqn = "02.0009"' "$T/u.json")"
on_b expect_error org.freedesktop.DBus.Error.InvalidArgs "an unknown field" \
	CheckMigration string:"$(jq -c '.colour = "blue"' "$T/u.json")"
python3 -c 'import json; print(json.dumps({"version": 1, "pad": "x" * 8388608}))' >"$T/big.json"
on_b unchanged_by 2 "bytes, over the limit MigrationJsonBytes=8388608" \
	migrate-check "$T/big.json"
b_daemon_stop
b_sim_stop

# --- host B, compatible --------------------------------------------------------
# The cards of A; the host drivers keep every adapter (apmask all ones).
cat >"$T/b2.json" <<'EOF'
{ "apxa": true, "max_domain_id": 84,
  "adapters": [ { "id": 0, "type": "CEX8", "mode": "cca" }, { "id": 1, "type": "CEX8", "mode": "ep11" },
                { "id": 2, "type": "CEX7", "mode": "cca" }, { "id": 3, "type": "CEX7", "mode": "accel" } ],
  "domains": "0-15" }
EOF
b_sim_start "$T/b2.json"
b_daemon_start "$B/state2"
on_b "$A" --json migrate-check "$T/u.json" >"$T/report.json" 2>"$T/err"
check "migrate-check on the compatible host: exit 0" test $? -eq 0 -a ! -s "$T/err"
check "ok, no problems; adapters 2 and 3 are to be reserved" \
	jq -e '.ok and .n_problems == 0 and .problems == [] and .prepared == false and
		.reserve == {"kind": "adapter", "ids": [2,3]} and (.host_reserved | length) == 4' "$T/report.json"
on_b "$A" migrate-check "$T/u.json" >"$T/out" 2>"$T/err"
check "readable: ok" grep -q "^Migration of device $U (guest vm1) to this host: ok$" "$T/out"

on_b apctl_expect 0 "" migrate-prepare "$T/u.json"
check "apctl migrate-prepare says what it did" \
	grep -q "^Prepared device $U for guest vm1 (defined, not started); reserved adapter 2-3 for vfio_ap\\.$" "$T/out"
b_defined() { # the device on B as it must be after the prepare
	on_b "$A" --json show "$U" | jq -e '.state == "defined" and .guest == "vm1" and
		.autostart == false and .adapters == [2,3] and .domains == [4,5] and
		.control_domains == [4]' >/dev/null
}
check "B has device U with the same UUID, guest and matrix, defined, not started" b_defined
check "no mdev of U on B" test ! -e "$B/sys/devices/vfio_ap/matrix/$U"
check "B's apmask is A's: adapters 2 and 3 reserved for vfio_ap" \
	test "$(cat "$B/sys/bus/ap/apmask")" = "$(cat "$A_SYS/bus/ap/apmask")"
check "its queues are bound to vfio_ap" \
	test "$(basename "$(readlink "$B/sys/devices/ap/card03/03.0005/driver")")" = vfio_ap
check "the definition is on disk, no journal left" \
	test -f "$B_STATE/devices/$U.json" -a ! -e "$B_STATE/journal.json"
before=$(b_snapshot)
on_b "$A" --json migrate-prepare "$T/u.json" >"$T/prep.json" 2>"$T/err"
check "a second prepare: exit 0, nothing changed, nothing reserved" \
	jq -e '.changed == false and .reserved.ids == [] and .state == "defined"' "$T/prep.json"
check "state unchanged by the second prepare" test "$(b_snapshot)" = "$before"
on_b "$A" inhibit --who=migrator --why=test "$U" -- "$A" migrate-prepare "$T/u.json" >"$T/out" 2>"$T/err"
rc=$?
check "an inhibitor of U refuses PrepareMigration of U (exit $rc: $(cat "$T/err"))" \
	sh -c "test $rc -eq 3 && grep -q 'inhibited by migrator' '$T/err'"
on_b "$A" --json migrate-check "$T/u.json" >"$T/report.json"
check "the check says prepared" jq -e '.ok and .prepared and .reserve.ids == []' "$T/report.json"

b_daemon_stop
b_daemon_start "$B/state2"
check "after a restart of B's daemon: still defined, same matrix, not started" b_defined
check "and B's masks are as they were" test "$(b_snapshot)" = "$before"
# Acknowledged means durable: kill -9 right after the reply of a fresh prepare.
U3=4d3b1d0e-5a8e-4c61-9f0b-0000000000a3
jq --arg u "$U3" '.uuid = $u | .guest = "vm3" | .adapters = [0] | .domains = [9] |
	.control_domains = [] | .host.configured_control_domains = [] |
	.queues = [{"apqn": "00.0009", "adapter": 0, "domain": 9, "type": "CEX8", "hwtype": 14,
		"raw_hwtype": 14, "mode": "cca", "functions": "0x10800000"}]' "$T/u.json" >"$T/u3.json"
on_b apctl_expect 0 "" migrate-prepare "$T/u3.json"
kill -KILL "$B_DAEMON_PID"
apm_wait_gone "$B_DAEMON_PID"
b_daemon_start "$B/state2"
check "killed (-9) right after the reply: U3 is defined after the restart, adapter 0 reserved" \
	sh -c "DBUS_SYSTEM_BUS_ADDRESS='$B_BUS' '$A' --json show $U3 | jq -e '.state == \"defined\" and .domains == [9]' >/dev/null &&
		DBUS_SYSTEM_BUS_ADDRESS='$B_BUS' '$A' --json status | jq -e '.reserved_adapters | index(0) | not' >/dev/null"
check "no journal left after the restart" test ! -e "$B_STATE/journal.json"
on_b apctl_expect 0 "" undefine "$U3"
on_b apctl_expect 0 "" release adapter 0

# --- crash consistency: B's daemon killed at every named point of the prepare --
# Each trial prepares a fresh device on adapter 1, which B's host drivers keep:
# a define and a mask write in one batch. Up to the kernel's readback the
# prepare is rolled back at the restart (not defined, adapter 1 the host's),
# from the definitions on it is there (defined and reserved); never half.
reserved_1() { # adapter 1 is out of B's apmask (reserved for vfio_ap)
	on_b "$A" --json status | jq -e '.reserved_adapters | index(1) | not' >/dev/null
}
i=0
for point in before-journal after-journal after-write after-kernel after-definitions \
	after-journal-clear before-reply; do
	i=$((i + 1))
	uc=4d3b1d0e-5a8e-4c61-9f0b-0000000000c$i
	jq --arg u "$uc" --argjson d $((7 + i)) '.uuid = $u | .guest = "crash" | .adapters = [1] |
		.domains = [$d] | .control_domains = [] | .host.configured_control_domains = [] |
		.queues = [{"adapter": 1, "domain": $d, "type": "CEX8", "hwtype": 14,
			"mode": "ep11", "functions": "0x04800000"}]' "$T/u.json" >"$T/crash.json"
	b_daemon_stop
	export APMATRIXD_TEST_CRASH_AT=$point
	b_daemon_start "$B/state2"
	unset APMATRIXD_TEST_CRASH_AT
	pid=$B_DAEMON_PID
	if on_b call PrepareMigration string:"$(cat "$T/crash.json")" >/dev/null 2>&1; then
		acked=1
	else
		acked=0
	fi
	apm_wait_gone "$pid" || bail "apmatrixd of host B survived crash point $point"
	B_DAEMON_PID=
	b_daemon_start "$B/state2"
	case $point in
	before-journal | after-journal | after-write | after-kernel)
		check "$point: not acknowledged; rolled back: $uc not defined, adapter 1 the host's" \
			sh -c "test $acked -eq 0 && ! DBUS_SYSTEM_BUS_ADDRESS='$B_BUS' '$A' show $uc >/dev/null 2>&1 &&
				DBUS_SYSTEM_BUS_ADDRESS='$B_BUS' '$A' --json status | jq -e '.reserved_adapters | index(1)' >/dev/null"
		;;
	*)
		check "$point: not acknowledged; there: $uc defined, adapter 1 reserved" \
			sh -c "test $acked -eq 0 && DBUS_SYSTEM_BUS_ADDRESS='$B_BUS' '$A' --json show $uc | jq -e '.state == \"defined\"' >/dev/null" &&
			reserved_1
		on_b "$A" undefine "$uc" >/dev/null && on_b "$A" release adapter 1 >/dev/null ||
			bail "cannot undo the prepare of $uc"
		;;
	esac
	check "$point: no journal left" test ! -e "$B_STATE/journal.json"
done

# --- the libvirt hook on B: migrate begin prepares from MIGRATE_DIR/UUID.json --
on_a "$A" define "$U2" --adapters 2 --domains 6 --guest vm2 >/dev/null &&
	on_a "$A" start "$U2" >/dev/null || bail "cannot set up device $U2 on host A"
on_a "$A" export-guest "$U2" >"$B/migrate/$U2.json" || bail "cannot export $U2"
domain_xml() { # NAME UUID
	echo "<domain type='kvm'><name>$1</name><devices>"
	echo "<hostdev mode='subsystem' type='mdev' model='vfio-ap'><source><address uuid='$2'/></source></hostdev>"
	echo "</devices></domain>"
}
# The built hook script, execing the built apctl (as e2e-hook does).
HOOK=$T/50-apmatrix
sed "s|^exec .*/apctl hook|exec $APCTL hook|" "$HOOK_SCRIPT" >"$HOOK"
chmod 755 "$HOOK"
hook_b() { # RC PATTERN GUEST OP SUBOP UUID: the hook on B as libvirt runs it
	local want=$1 pattern=$2 rc
	domain_xml "$3" "$6" | on_b "$HOOK" "$3" "$4" "$5" - >"$T/out" 2>"$T/err"
	rc=$?
	if [ "$rc" -eq "$want" ] && [ ! -s "$T/out" ] &&
		{ { [ "$want" -eq 0 ] && [ ! -s "$T/err" ]; } ||
			{ [ "$(wc -l <"$T/err")" -eq 1 ] && grep -q -- "$pattern" "$T/err"; }; }; then
		ok "hook $3 $4 $5 -> $rc${pattern:+: $(cat "$T/err")}"
	else
		not_ok "hook $3 $4 $5: want $want /$pattern/, got $rc"
		diag_lines "$T/err"
	fi
}
hook_b 0 "" vm2 migrate begin "$U2"
check "migrate begin prepared U2 on B from the export: defined for vm2, not started" \
	sh -c "DBUS_SYSTEM_BUS_ADDRESS='$B_BUS' '$A' --json show $U2 | jq -e '.state == \"defined\" and .guest == \"vm2\" and .domains == [6]' >/dev/null"
check "and recorded the incoming migration" test "$(cat "$B/hook/$U2.migrate")" = vm2
hook_b 0 "" vm2 prepare begin "$U2"
check "prepare begin started it" \
	test "$(tr '\n' ' ' <"$B/sys/devices/vfio_ap/matrix/$U2/matrix")" = "02.0006 "
hook_b 0 "" vm2 release end "$U2"
check "release end stopped it again (it stays defined)" test ! -e "$B/sys/devices/vfio_ap/matrix/$U2"

# An export this host cannot take: the migration is refused at migrate begin.
U4=4d3b1d0e-5a8e-4c61-9f0b-0000000000a4
jq --arg u "$U4" '.uuid = $u | .queues[0].type = "CEX8" | .queues[0].hwtype = 14' \
	"$B/migrate/$U2.json" >"$B/migrate/$U4.json"
hook_b 3 "Guest vm4: cannot prepare the incoming migration of vfio-ap device $U4: migration of device $U4 refused: 1 problem: APQN 02.0006: CEX7 (hwtype 13) here, CEX8 (hwtype 14) on the source" \
	vm4 migrate begin "$U4"
check "nothing was defined for it" \
	sh -c "! DBUS_SYSTEM_BUS_ADDRESS='$B_BUS' '$A' show $U4 >/dev/null 2>&1"
jq --arg u "$U" '.uuid = $u' "$B/migrate/$U2.json" >"$B/migrate/$U4.json"
hook_b 2 "is the export of device $U, not of $U4" vm4 migrate begin "$U4"
U5=4d3b1d0e-5a8e-4c61-9f0b-0000000000a5
hook_b 0 "" vm5 migrate begin "$U5"
check "without an export migrate begin only records the migration" \
	test "$(cat "$B/hook/$U5.migrate")" = vm5

sim_ctl guest stop vm1
# Both daemons exit cleanly (under the asan setup: no sanitizer report, no leak).
b_daemon_stop
apm_daemon_stop
check "neither daemon reported a sanitizer error" \
	sh -c "! grep -E 'Sanitizer|runtime error:' '$B/daemon.log' '$T/daemon.log'"
tap_done
