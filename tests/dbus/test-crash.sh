#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Crash consistency at every named instant of the change protocol: the daemon
# is killed (SIGKILL, through APMATRIXD_TEST_CRASH_AT) at each crash point of
# daemon/crash-point.h while it applies one change to two running devices,
# once with the default write interface and once with single-id writes (so
# "after-write" lands between writes). After a restart, read from disk and
# from the simulated kernel only: every definition equals its mdev's matrix,
# no journal or temp file is left, and the change is there exactly when the
# crash came after its commit point (the definitions durable). A crash
# during the recovery itself is settled by the next start.
. "$APM_SOURCE_ROOT/tests/dbus/lib.sh"
apm_enter_ns "$0" "$@"
apm_start_all

U1=cccccccc-0000-4000-8000-000000000001
U2=cccccccc-0000-4000-8000-000000000002
call Reserve string:domain array:uint32:0,1,2,3,4,5,6,7 uint64:0 >/dev/null
call DefineDevice string:$U1 string:'{"adapters":[2],"domains":[0]}' uint64:0 >/dev/null
call DefineDevice string:$U2 string:'{"adapters":[3],"domains":[0]}' uint64:0 >/dev/null
call StartDevice string:$U1 uint64:0 >/dev/null
call StartDevice string:$U2 uint64:0 >/dev/null
apm_daemon_stop
printf '[Manager]\nWriteInterface=single\n' >"$T/single.conf"

points=$(sed -n '/^#define CRASH_POINTS/,/^$/p' "$APM_SOURCE_ROOT/daemon/crash-point.h" |
	grep -o '"[a-z-]*"' | tr -d '"')
check "the crash points are listed in crash-point.h" test "$(echo "$points" | wc -w)" -ge 7

invariant() { # invariant DESCRIPTION EXPECT...
	desc=$1
	shift
	if out=$(python3 "$APM_SOURCE_ROOT/tests/dbus/check-invariant.py" "$STATE_DIR" "$SYSFS_ROOT" "$@"); then
		ok "$desc"
	else
		not_ok "$desc"
		printf '%s\n' "$out" | sed 's/^/# /'
		grep -iE 'journal|crash|roll' "$T/daemon.log" | tail -n 8 | sed 's/^/# log: /'
	fi
}

# The change of each trial: both devices get domain $d on top of domain 0.
old=0
d=1
trial() { # trial POINT CONFIG
	point=$1
	conf=$2
	export APMATRIXD_TEST_CRASH_AT=$point
	apm_daemon_start --config "$conf"
	unset APMATRIXD_TEST_CRASH_AT
	pid=$APM_DAEMON_PID
	json="{\"devices\":[{\"uuid\":\"$U1\",\"adapters\":[2],\"domains\":[0,$d]},{\"uuid\":\"$U2\",\"adapters\":[3],\"domains\":[0,$d]}]}"
	if call Apply string:"$json" uint64:0 >"$T/reply" 2>&1; then acked=1; else acked=0; fi
	apm_wait_gone "$pid" || bail "apmatrixd survived crash point $point"
	APM_DAEMON_PID=
	check "$point ($conf): the change was not acknowledged" test "$acked" -eq 0
}

for conf in /dev/null "$T/single.conf"; do
	for point in $points; do
		case $point in
		recovery-*) continue ;;
		before-journal | after-journal | after-write | after-kernel) want=old ;;
		*) want=new ;;
		esac
		trial "$point" "$conf"
		apm_daemon_start --config "$conf"
		new="0+$d"
		[ "$want" = new ] && old=$new
		invariant "$point ($conf): kernel = definitions, the change is $want" \
			"$U1=2/$old/" "$U2=3/$old/"
		d=$((d % 7 + 1))
		apm_daemon_stop
	done
done

# A crash while settling a journal: the next start settles it again.
trial after-kernel /dev/null
export APMATRIXD_TEST_CRASH_AT=recovery-after-kernel
"$APMATRIXD" --state-dir "$STATE_DIR" --config /dev/null >>"$T/daemon.log" 2>&1 && rc=0 || rc=$?
unset APMATRIXD_TEST_CRASH_AT
check "the recovery was killed after its kernel writes (status $rc)" test "$rc" -eq 137
check "and left its journal" test -e "$STATE_DIR/journal.json"
apm_daemon_start
check "the next start rolls it back" test "$(state | jq -r .store.recovery)" = "rolled back"
invariant "recovery crash: kernel = definitions, the change is old" "$U1=2/$old/" "$U2=3/$old/"
check "the daemon's state has no drift" \
	test "$(state | jq '[.devices[] | select(.drift)] | length')" -eq 0
tap_done
