#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Inhibitors end to end (apsim, private bus with the shipped policy,
# apmatrixd, apctl, the libvirt hook): a block inhibitor refuses every change
# of its device naming the holder, a delay inhibitor holds them until it
# goes (and at most InhibitDelayMaxSec), other devices are not held up, the
# fd's close and its holder's death release it, the limits, argument and
# authorisation errors, apctl inhibit's exit status and the hook's inhibitor
# for an incoming migration. Run as root under unshare -m -n.
. "$APM_SOURCE_ROOT/tests/client/e2e-env.sh" "$0" "$@"
# Held requests give up after 3 s here (20 s in production).
export APMATRIXD_INHIBIT_DELAY_MAX_USEC=3000000
e2e_start
A=$APCTL
IC=${INHIBIT_CLIENT:-$APM_BUILD_ROOT/tests/client/inhibit-client}
[ -x "$IC" ] || bail "inhibit-client not built at $IC"
monitor_start

# hold NAME ARGS...: "apctl inhibit ARGS -- COMMAND" in the background, whose
# COMMAND says it runs (the inhibitor is held then) and waits for release NAME.
hold() {
	local name=$1
	shift
	mkfifo "$T/$name.up" "$T/$name.go"
	# shellcheck disable=SC2016
	"$A" inhibit "$@" -- sh -c 'echo up >"$1.up"; read -r rc <"$1.go"; exit "$rc"' sh \
		"$T/$name" >"$T/$name.out" 2>&1 &
	eval "HOLD_$name=$!"
	APM_CLIENT_PIDS="${APM_CLIENT_PIDS:-} $!"
	timeout 20 cat "$T/$name.up" >/dev/null || bail "apctl inhibit $* did not run its command"
}
# release NAME [RC]: its command exits with RC; apctl's status in $released.
release() {
	local pid
	eval "pid=\$HOLD_$1"
	echo "${2:-0}" >"$T/$1.go"
	wait "$pid"
	released=$?
}
# wait_json TEXT: an InhibitorsChanged carrying TEXT arrived after monitor_mark.
wait_json() {
	timeout 20 sh -c "tail -n +$((APM_MARK + 1)) -f '$T/signals' | grep -F -q -m1 -- '$1'"
}
none_left() { # UUID: its last InhibitorsChanged says no inhibitor, nothing held
	wait_json "{\"uuid\":\"$1\",\"inhibitors\":[],\"held_requests\":0}"
}
inhibitors_json() { "$A" --json inhibitors | jq -c '[.inhibitors[] | [.uuid, .who, .why, .mode, .uid, .pid]]'; }

U1=$("$A" define --adapters 2 --domains 1 --guest vmA)
U2=$("$A" define --adapters 2 --domains 2 --guest vmB)
"$A" start "$U1" >/dev/null && "$A" start "$U2" >/dev/null || bail "cannot start the devices"
check "no inhibitors at first" test "$(inhibitors_json)" = "[]"

# --- block: every change of the device is refused, naming the holder ---------
monitor_mark
hold h1 --who=orchestrator --why="migrating vmA" "$U1"
check "InhibitorsChanged announced it" wait_json "{\"uuid\":\"$U1\",\"inhibitors\":[{\"who\":\"orchestrator\",\"why\":\"migrating vmA\",\"mode\":\"block\",\"uid\":0,\"pid\":$HOLD_h1,"
check "apctl inhibitors --json: device, who, why, block, uid 0 and apctl's pid" \
	test "$(inhibitors_json)" = "[[\"$U1\",\"orchestrator\",\"migrating vmA\",\"block\",0,$HOLD_h1]]"
check "apctl inhibitors: a table row" \
	sh -c "'$A' inhibitors | grep -E -q '^$U1 +block +orchestrator +$HOLD_h1 +0 .* migrating vmA\$'"
busctl --system call org.apmatrix1 /org/apmatrix1 org.apmatrix1.Manager ListInhibitors >"$T/busctl.out"
check "ListInhibitors a(ssssuut) on the bus" \
	grep -q "^a(ssssuut) 1 \"$U1\" \"orchestrator\" \"migrating vmA\" \"block\" 0 $HOLD_h1 " "$T/busctl.out"
holder="inhibited by orchestrator (pid $HOLD_h1, uid 0): migrating vmA"
unchanged_by 3 "assign of device $U1 refused: $holder" assign "$U1" domain 5
unchanged_by 3 "unassign of device $U1 refused: $holder" unassign "$U1" domain 1
unchanged_by 3 "stop of device $U1 refused: $holder" stop "$U1"
unchanged_by 3 "define of device $U1 refused: $holder" define "$U1" --adapters 2 --domains 1,4 --guest vmA
unchanged_by 3 "undefine of device $U1 refused: $holder" undefine "$U1"
unchanged_by 3 "assign of device $U1 refused: $holder" --dry-run assign "$U1" domain 5
printf '{"devices": [{"uuid": "%s", "adapters": [2], "domains": [2, 6]}, {"uuid": "%s", "adapters": [2], "domains": [1, 7]}]}\n' \
	"$U2" "$U1" >"$T/apply.json"
unchanged_by 3 "apply of device $U1 refused: $holder" apply "$T/apply.json"
expect_error org.apmatrix1.Error.Inhibited "Assign on the bus" \
	Assign string:"$U1" string:domain array:uint32:5 uint64:0
apctl_expect 0 "" assign "$U2" domain 6
check "another guest's change went through" test "$(kernel_matrix "$U2")" = "02.0002 02.0006 "
apctl_expect 0 "" reserve domain 7
check "Reserve is not inhibited" sh -c "'$A' --json status | jq -e '.reserved_domains | index(7) | not' >/dev/null"

# --- released when the fd is closed --------------------------------------------
monitor_mark
release h1 0
check "apctl inhibit exits with its command's status (0)" test "$released" -eq 0
check "InhibitorsChanged: none left" none_left "$U1"
apctl_expect 0 "" assign "$U1" domain 5
check "and the change is live" test "$(kernel_matrix "$U1")" = "02.0001 02.0005 "

# --- released when the holder dies (kill -9) ---------------------------------
hold h2 --why="crash test" "$U1"
monitor_mark
kill -9 "$HOLD_h2"
wait "$HOLD_h2" 2>/dev/null
check "kill -9 of apctl released it (its command, which has no copy, still runs)" none_left "$U1"
echo 0 >"$T/h2.go"
apctl_expect 0 "" unassign "$U1" domain 5

# --- delay: held until released, other guests not held up ----------------------
monitor_mark
hold h3 --mode=delay --who=keychange --why="master key change" "$U1"
"$A" assign "$U1" domain 8 >"$T/q.out" 2>"$T/q.err" &
q=$!
APM_CLIENT_PIDS="$APM_CLIENT_PIDS $q"
check "the assign of the device is held (InhibitorsChanged: held_requests 1)" \
	wait_json "\"held_requests\":1}"
apctl_expect 0 "" assign "$U2" domain 9
apctl_expect 0 "" --dry-run assign "$U1" domain 8
check "while held: the device unchanged, the request unanswered" \
	sh -c "test \"\$(tr '\n' ' ' <'$SYSFS_ROOT/devices/vfio_ap/matrix/$U1/matrix')\" = '02.0001 ' && kill -0 $q"
release h3 0
wait "$q"
qrc=$?
check "released: the held assign completed (exit $qrc) and is live" \
	test "$qrc" -eq 0 -a "$(kernel_matrix "$U1")" = "02.0001 02.0008 "

# --- delay at most InhibitDelayMaxSec ----------------------------------------
hold h4 --mode=delay --who=slow --why="a long one" "$U1"
unchanged_by 3 "assign of device $U1 not run: still delayed by slow (pid $HOLD_h4, uid 0): a long one after 3 s, the limit InhibitDelayMaxSec=3" \
	assign "$U1" domain 10
release h4 0

# --- one client may have QueuedRequestsPerClient held -------------------------
hold h5 --mode=delay --who=flood "$U1"
mkfifo "$T/flood.in"
monitor_mark
"$IC" assign 64 "$U1" 11 <"$T/flood.in" >"$T/flood.out" 2>&1 &
flood=$!
APM_CLIENT_PIDS="$APM_CLIENT_PIDS $flood"
exec 5>"$T/flood.in"
check "64 requests of one connection held" wait_json "\"held_requests\":64}"
echo go >&5
exec 5>&-
wait "$flood"
check "its 65th: TooManyRequests naming QueuedRequestsPerClient=64" \
	grep -q "^extra org.apmatrix1.Error.TooManyRequests: assign: this client already has 64 requests held by delay inhibitors, the limit QueuedRequestsPerClient=64" "$T/flood.out"
monitor_mark
release h5 0
check "released, the held requests ran" none_left "$U1"
check "their change is live" test "$(kernel_matrix "$U1")" = "02.0001 02.0008 02.000b "

# --- limits and arguments --------------------------------------------------------
long_who=$(printf 'w%.0s' $(seq 256))
long_why=$(printf 'y%.0s' $(seq 1025))
apctl_expect 2 "who: 256 bytes, over the limit InhibitWhoBytes=255" inhibit --who="$long_who" "$U1" -- true
apctl_expect 2 "why: 1025 bytes, over the limit InhibitWhyBytes=1024" inhibit --why="$long_why" "$U1" -- true
monitor_mark
"$IC" hold 257 "$U1" block many "" </dev/null >"$T/many.out" 2>&1
check "256 inhibitors, the 257th LimitExceeded naming Inhibitors=256" \
	test "$(cat "$T/many.out")" = "held 256
error org.apmatrix1.Error.LimitExceeded: inhibitors: 257 inhibitors, over the limit Inhibitors=256"
check "all 256 released when their connection's holder exits" none_left "$U1"
apctl_expect 2 "Invalid mode \"sometimes\": expected block or delay" inhibit --mode=sometimes "$U1" -- true
apctl_expect 2 "list does not take inhibit's options" list --why=x
if out=$(call Inhibit string:"$U1" string:me string:why string:sometimes); then
	not_ok "Inhibit with mode sometimes succeeded"
else
	case $out in
	"ERROR org.freedesktop.DBus.Error.InvalidArgs: mode: \"sometimes\" is not one of block, delay") ok "bad mode: ${out#ERROR }" ;;
	*) not_ok "bad mode: $out" ;;
	esac
fi
expect_error org.freedesktop.DBus.Error.InvalidArgs "empty who" Inhibit string:"$U1" string: string:why string:block
expect_error org.freedesktop.DBus.Error.InvalidArgs "a bad uuid" Inhibit string:nope string:me string:why string:block
expect_error org.apmatrix1.Error.NoSuchDevice "an unknown device" \
	Inhibit string:99999999-8888-7777-6666-555555555555 string:me string:why string:block
if out=$(call_as_nobody Inhibit string:nope string:me string:why string:sometimes); then
	not_ok "nobody may inhibit"
else
	case $out in
	"ERROR org.freedesktop.DBus.Error.AccessDenied: inhibit needs root"*) ok "nobody: AccessDenied before any argument is looked at" ;;
	*) not_ok "nobody got: $out" ;;
	esac
fi
check "nobody may list the inhibitors" call_as_nobody ListInhibitors
"$T/apctl" --version >/dev/null
setpriv --reuid=nobody --regid=nogroup --clear-groups "$T/apctl" inhibit "$U1" -- true 2>"$T/err"
rc=$?
check "apctl inhibit as nobody: exit 3, AccessDenied" \
	sh -c "test $rc -eq 3 && grep -q 'inhibit needs root' '$T/err'"

# --- apctl inhibit passes its command's exit status on ---------------------------
"$A" inhibit "$U1" -- sh -c 'exit 7'
check "exit 7 of the command is apctl's" test $? -eq 7
"$A" inhibit "$U1" -- /nonexistent/command 2>"$T/err"
rc=$?
check "a command that cannot be executed: 127, one line" \
	sh -c "test $rc -eq 127 && test \$(wc -l <'$T/err') -eq 1 && grep -q 'Failed to execute /nonexistent/command' '$T/err'"
monitor_mark
# shellcheck disable=SC2016
"$A" inhibit "$U1" -- sh -c 'kill -TERM $$'
check "a command killed by SIGTERM: 143" test $? -eq 143
check "and nothing is held after them" none_left "$U1"
apctl_expect 2 "wrong number of arguments" inhibit "$U1"

# --- the libvirt hook inhibits an incoming migration ------------------------------
HOOK=$T/50-apmatrix
sed "s|^exec .*/apctl hook|exec $A hook|" "$HOOK_SCRIPT" >"$HOOK"
chmod 755 "$HOOK"
domain_xml() { # NAME [UUID]
	echo "<domain type='kvm'><name>$1</name><devices>"
	[ -z "$2" ] || echo "<hostdev mode='subsystem' type='mdev' model='vfio-ap'>" \
		"<source><address uuid='$2'/></source></hostdev>"
	echo "</devices></domain>"
}
hook() { # GUEST OP SUBOP UUID: as libvirt runs it; status in $rc
	domain_xml "$1" "$4" | "$HOOK" "$1" "$2" "$3" - >"$T/hook.out" 2>"$T/hook.err"
	rc=$?
}
M=$("$A" define --adapters 3 --domains 4 --guest vmM)
hook vmM migrate begin "$M"
check "migrate begin (destination): exit 0, nothing on stdout (the XML is unchanged) or stderr" \
	test "$rc" -eq 0 -a ! -s "$T/hook.out" -a ! -s "$T/hook.err"
check "it recorded the incoming migration" test "$(cat "$APCTL_HOOK_STATE_DIR/$M.migrate")" = vmM
hook vmM prepare begin "$M"
check "prepare begin: exit 0, silent" test "$rc" -eq 0 -a ! -s "$T/hook.err"
hpid=$(cut -d' ' -f1 "$APCTL_HOOK_STATE_DIR/$M.inhibit")
check "a holder process ($hpid) holds a block inhibitor of the started device" \
	sh -c "kill -0 '$hpid' && test \"\$('$A' --json show '$M' | jq -r .state)\" = active"
check "ListInhibitors names the hook and the migration" \
	test "$(inhibitors_json)" = "[[\"$M\",\"libvirt hook (apctl hook)\",\"incoming migration of guest vmM\",\"block\",0,$hpid]]"
check "the migration record is consumed" test ! -e "$APCTL_HOOK_STATE_DIR/$M.migrate"
unchanged_by 3 "assign of device $M refused: inhibited by libvirt hook (apctl hook) (pid $hpid, uid 0): incoming migration of guest vmM" \
	assign "$M" domain 5
hook vmM release end "$M"
check "release end: exit 0, silent" test "$rc" -eq 0 -a ! -s "$T/hook.err"
# Gone, or a zombie nobody reaps yet (it is an orphan: init's to reap).
check "the holder is gone with its pid file, no inhibitor is left" \
	sh -c "{ ! kill -0 '$hpid' 2>/dev/null || ps -o stat= -p '$hpid' | grep -q '^Z'; } && test ! -e '$APCTL_HOOK_STATE_DIR/$M.inhibit' && test \"\$('$A' --json inhibitors | jq -c .inhibitors)\" = '[]'"
check "and the device the hook started is stopped again" \
	test "$("$A" --json show "$M" | jq -r .state)" = defined
hook vmN migrate begin ""
check "migrate begin of a guest without vfio-ap device: exit 0, silent" \
	test "$rc" -eq 0 -a ! -s "$T/hook.out"

# --- the holder lets go once apmatrixd reports the guest running here ---------
# libvirt (its test driver here) says the guest runs; the guest matrix QEMU
# (apsim) opened makes the daemon announce the device with guest_state
# "running", as libvirt's resume at the end of a real migration does.
L=$("$A" define --adapters 3 --domains 6 --guest vmL)
cat >"$T/node.xml" <<XML
<node><cpu><nodes>1</nodes><sockets>1</sockets><cores>1</cores><threads>1</threads>
<active>1</active><mhz>1000</mhz><model>s390x</model></cpu><memory>4194304</memory>
<domain type='test'><name>vmL</name><memory>1048576</memory><os><type>hvm</type></os>
<devices><hostdev mode='subsystem' type='mdev' model='vfio-ap'><source>
<address uuid='$L'/></source></hostdev></devices></domain>
</node>
XML
apm_daemon_stop
apm_daemon_start --foreground-log --libvirt-uri "test://$T/node.xml"
monitor_mark
hook vmL migrate begin "$L"
hook vmL prepare begin "$L"
check "prepare begin of a migrating guest libvirt follows: exit 0" test "$rc" -eq 0 -a ! -s "$T/hook.err"
sim_ctl guest start vmL "$L" vcpus=1
"$A" status >/dev/null
check "the guest runs: its holder released the inhibitor by itself" none_left "$L"
check "and removed its pid file" test ! -e "$APCTL_HOOK_STATE_DIR/$L.inhibit"
apctl_expect 0 "" assign "$L" domain 7
sim_ctl guest stop vmL

tap_done
