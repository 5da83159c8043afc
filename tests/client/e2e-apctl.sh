#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Every apctl verb against apmatrixd on a private system bus, driving apsim:
# what works shows up in the simulated kernel, and every failure (unknown
# device, APQN owned by another device, APQN reserved for the host, id out of
# range, malformed or huge JSON, empty lists, a second device for one guest,
# an unprivileged caller) gives its documented exit code and one line, and
# leaves apmatrixd and the kernel unchanged. Run as root under unshare -m -n.
. "$APM_SOURCE_ROOT/tests/client/e2e-env.sh" "$0" "$@"
e2e_start
A=$APCTL
NOBODY=(setpriv --reuid=nobody --regid=nogroup --clear-groups "$T/apctl")
UNKNOWN=11111111-2222-3333-4444-555555555555

# --- reading the host ------------------------------------------------------
apctl_expect 0 "" host
check "host table has the 4 cards and their 16 queues each" \
	test "$(grep -cE '^0[0-3] ' "$T/out")" -eq 4 -a "$(grep -cE '^0[0-3]\.00[0-9a-f]{2} ' "$T/out")" -eq 64
check "queues of adapters 2 and 3 are bound to vfio_ap" \
	test "$(grep -cE '^0[23]\.[0-9a-f]{4} .* vfio_ap ' "$T/out")" -eq 32
"$A" --json host >"$T/host.json"
check "host --json: 4 adapters, max domain id 84" \
	test "$(jfield adapters <"$T/host.json" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')" = 4 \
	-a "$(jfield max_domain_id <"$T/host.json")" = 84
apctl_expect 0 "" status
check "status counts no devices" grep -q "Devices: 0 " "$T/out"

# --- reserve, define, start ------------------------------------------------
apctl_expect 0 "" reserve adapter 1
check "reserve adapter 1 cleared its apmask bit in the kernel" \
	grep -q '^0x8' "$SYSFS_ROOT/bus/ap/apmask"
UA=$("$A" define --adapters 2 --domains 0-1 --control-domains 0 --guest vm1)
UB=$("$A" define --adapters 3 --domains 0-1 --guest vm2)
check "define printed two UUIDs" test -n "$UA" -a -n "$UB" -a "$UA" != "$UB"
apctl_expect 0 "" start "$UA"
apctl_expect 0 "" start "$UB"
check "A's mdev has 02.0000 02.0001 in the kernel" test "$(kernel_matrix "$UA")" = "02.0000 02.0001 "
check "B's mdev has 03.0000 03.0001 in the kernel" test "$(kernel_matrix "$UB")" = "03.0000 03.0001 "
apctl_expect 0 "" list
check "list shows both devices active" test "$(grep -c ' active ' "$T/out")" -eq 2
"$A" --json show "$UA" >"$T/a.json"
check "show --json: A is active for vm1 with control domain 0" \
	test "$(jfield state <"$T/a.json")" = active -a "$(jfield guest <"$T/a.json")" = vm1 \
	-a "$(jfield control_domains <"$T/a.json")" = "[0]"
apctl_expect 0 "" show "$UA"
check "show prints the active matrix" grep -q "Active domains: 0-1" "$T/out"

# --- --json output has the shape apctl(8) documents -------------------------
schema() { # VERB ARGS...: apctl --json VERB ARGS... against apctl(8)
	local verb=$1
	"$A" --json "$@" >"$T/schema.json" &&
		python3 "$APM_SOURCE_ROOT/tests/client/json-schema.py" "$APM_SOURCE_ROOT/man/apctl.8.scd" "$verb" \
			<"$T/schema.json"
}
check "apctl --json show: documented schema" schema show "$UA"
check "apctl --json list: documented schema" schema list
check "apctl --json status: documented schema" schema status
check "apctl --json define: documented schema" schema define --dry-run --adapters 3 --domains 9
check "apctl --json start: documented schema" schema start --dry-run "$UA"
check "apctl --json reserve: documented schema" schema reserve --dry-run domain 9
check "apctl --json assign: documented schema" schema assign --dry-run "$UA" domain 9

# --- bash completion: verbs, options, kinds and the daemon's UUIDs ------------
BASH_COMPLETION=/usr/share/bash-completion/bash_completion
if [ ! -r "$BASH_COMPLETION" ]; then
	not_ok "bash completion: $BASH_COMPLETION missing (install the package bash-completion)"
else
	complete_words() { # WORD... (the last one is being completed)
		PATH="$(dirname "$APCTL"):$PATH" bash -c '. "$1"; . "$2"; shift 2
COMP_WORDS=(apctl "$@"); COMP_CWORD=$#; COMP_LINE="apctl $*"; COMP_POINT=${#COMP_LINE}
_apctl apctl "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD-1]}"
printf "%s\n" "${COMPREPLY[@]}" | sort' _ "$BASH_COMPLETION" "$APM_SOURCE_ROOT/client/apctl.bash-completion" "$@"
	}
	check "completion: all 24 verbs" test "$(complete_words "" | wc -l)" -eq 24
	check "completion: 'ass' -> assign" test "$(complete_words ass)" = assign
	check "completion: assign UUID offers both devices" \
		test "$(complete_words assign "" | tr '\n' ' ')" = "$(printf '%s\n' "$UA" "$UB" | sort | tr '\n' ' ')"
	check "completion: assign UUID KIND" \
		test "$(complete_words assign "$UA" "" | tr '\n' ' ')" = "adapter control-domain domain "
	check "completion: reserve KIND" test "$(complete_words --json reserve "" | tr '\n' ' ')" = "adapter domain "
	check "completion: define --a" test "$(complete_words define --a | tr '\n' ' ')" = "--adapters --autostart "
	check "completion: inhibit --mode" test "$(complete_words inhibit --mode "" | tr '\n' ' ')" = "block delay "
	check "completion: inhibit --mode=d" test "$(complete_words inhibit --mode=d)" = delay
	check "completion: inhibit UUID" \
		test "$(complete_words inhibit --why=x "" | tr '\n' ' ')" = "$(printf '%s\n' "$UA" "$UB" | sort | tr '\n' ' ')"
	check "completion: adopt UUID" \
		test "$(complete_words adopt "" | tr '\n' ' ')" = "$(printf '%s\n' "$UA" "$UB" | sort | tr '\n' ' ')"
	completes_command() { complete_words inhibit "$UA" -- tru | grep -qx true; }
	check "completion: inhibit UUID -- COMMAND completes commands" completes_command
fi

# --- live changes --------------------------------------------------------------
"$A" --json assign "$UA" domain 2 >"$T/r.json"
check "assign is live: 02.0002 in the kernel" test "$(kernel_matrix "$UA")" = "02.0000 02.0001 02.0002 "
check "assign reports one kernel write" test "$(jfield kernel_writes <"$T/r.json")" = 1
apctl_expect 0 "" unassign "$UA" domain 2
check "unassign is live" test "$(kernel_matrix "$UA")" = "02.0000 02.0001 "
check "unassign says what it cost" grep -q "^Done: 1 kernel write(s) via " "$T/out"
"$A" --dry-run assign "$UA" domain 2 >"$T/out"
check "a dry run shows the planned kernel write" \
	sh -c "grep -q '^Dry run, nothing changed; would take 1 kernel write' '$T/out' && grep -q '^  write devices/vfio_ap/matrix/' '$T/out'"

# --- refusals: documented exit code, one line, nothing changes -------------------
unchanged_by 3 "03.0000.*$UB" assign "$UA" adapter 3
unchanged_by 3 "00.0000" assign "$UA" adapter 0
unchanged_by 2 "85" assign "$UA" domain 85
unchanged_by 2 "out of range 0-255" assign "$UA" domain 256
unchanged_by 2 "Invalid id list" assign "$UA" domain ""
unchanged_by 3 "vm1" define --adapters 3 --domains 5 --guest vm1
unchanged_by 1 "$UNKNOWN" show "$UNKNOWN"
unchanged_by 1 "$UNKNOWN" start "$UNKNOWN"
unchanged_by 1 "$UNKNOWN" stop "$UNKNOWN"
unchanged_by 1 "$UNKNOWN" undefine "$UNKNOWN"
unchanged_by 1 "$UNKNOWN" assign "$UNKNOWN" domain 3
unchanged_by 1 "$UNKNOWN" export-mdevctl "$UNKNOWN"
unchanged_by 3 "02.0000.*$UA" release adapter 2
unchanged_by 2 "Invalid kind" reserve control-domain 4

printf '{"devices": [{"uuid": "%s", "domains": [0, 1' "$UA" >"$T/bad.json"
unchanged_by 2 "invalid JSON at offset" apply "$T/bad.json"
printf '{"devices": [{"uuid": "%s", "adapters": [2], "domains": ["0-1", "x"]}]}' "$UA" >"$T/field.json"
unchanged_by 2 "domains\[1\]" apply "$T/field.json"
printf '{"devices": [{"uuid": "%s", "adapters": [2], "domains": [0, 1000]}]}' "$UA" >"$T/range.json"
unchanged_by 2 "1000" apply "$T/range.json"
printf '{"devices": [{"uuid": "%s", "adapters": [2], "domains": [0]}]}' "$UNKNOWN" >"$T/unknown.json"
unchanged_by 1 "$UNKNOWN" apply "$T/unknown.json"
# Huge: above apctl's 16 MiB input limit, refused before the bus; and a
# 3 MiB document of 40000 devices, above the daemon's 1 MiB limit for JSON
# arguments (DesiredJsonBytes): LimitExceeded, and the daemon keeps serving.
head -c $((17 * 1024 * 1024)) /dev/zero | tr '\0' ' ' >"$T/huge.json"
unchanged_by 1 "larger than" apply "$T/huge.json"
python3 -c 'import json,sys; print(json.dumps({"devices": [{"uuid": "%08x-0000-4000-8000-000000000000" % i, "adapters": [2], "domains": [0]} for i in range(40000)]}))' >"$T/big.json"
unchanged_by 2 "over the limit DesiredJsonBytes" apply "$T/big.json"
apctl_expect 0 "" status

# An empty id list straight over the bus: InvalidArgs, nothing changed.
before=$(apctl_snapshot)
if out=$(busctl call org.apmatrix1 /org/apmatrix1 org.apmatrix1.Manager Assign ssaut "$UA" domain 0 0 2>&1); then
	not_ok "Assign with an empty id array succeeded"
else
	check "Assign with an empty id array is refused ($out)" grep -q "ids: empty" <<<"$out"
fi
check "state unchanged after an empty Assign" test "$before" = "$(apctl_snapshot)"

# Unprivileged callers may read, not change.
check "nobody may list" "${NOBODY[@]}" list
for args in "define --adapters 3 --domains 7" "undefine $UB" "start $UB" "stop $UB" \
	"assign $UA domain 3" "unassign $UA domain 0" "apply $T/field.json" \
	"reserve domain 9" "release adapter 1"; do
	before=$(apctl_snapshot)
	# shellcheck disable=SC2086
	"${NOBODY[@]}" $args >/dev/null 2>"$T/err"
	rc=$?
	if [ "$args" = "apply $T/field.json" ]; then want=2; else want=3; fi
	# apply's file is refused by the daemon's field check only after
	# authorization, so nobody gets AccessDenied for a valid document.
	if [ "$args" = "apply $T/field.json" ]; then
		printf '{"devices": [{"uuid": "%s", "adapters": [2], "domains": [0]}]}' "$UA" >"$T/ok.json"
		chmod 644 "$T/ok.json"
		"${NOBODY[@]}" apply "$T/ok.json" >/dev/null 2>"$T/err"
		rc=$?
		want=3
	fi
	if [ "$rc" -eq "$want" ] && [ "$(wc -l <"$T/err")" -eq 1 ]; then
		ok "nobody: apctl $args -> $rc: $(cat "$T/err")"
	else
		not_ok "nobody: apctl $args: want $want, got $rc"
		diag_lines "$T/err"
	fi
	check "state unchanged after nobody's $args" test "$before" = "$(apctl_snapshot)"
done

# --- apply: one batch, queues move between devices ------------------------------
printf '{"devices": [{"uuid": "%s", "adapters": [2], "domains": [0]},
  {"uuid": "%s", "adapters": "2-3", "domains": [1]}]}' "$UA" "$UB" >"$T/move.json"
before=$(apctl_snapshot)
"$A" --json apply --dry-run "$T/move.json" >"$T/r.json"
check "apply --dry-run says dry_run and changes nothing" \
	test "$(jfield dry_run <"$T/r.json")" = true -a "$before" = "$(apctl_snapshot)"
apctl_expect 0 "" apply "$T/move.json"
check "apply moved 02.0001 from A to B" \
	test "$(kernel_matrix "$UA")" = "02.0000 " -a "$(kernel_matrix "$UB")" = "02.0001 03.0001 "

# --- monitor: one JSON object per event, until SIGINT ---------------------------
mkfifo "$T/mon.err" "$T/mon.out" "$T/hmon.err" "$T/hmon.out"
"$A" --json monitor >"$T/mon.out" 2>"$T/mon.err" &
MON=$!
"$A" monitor >"$T/hmon.out" 2>"$T/hmon.err" &
HMON=$!
exec 7<"$T/mon.out" 8<"$T/hmon.out"
# Subscribed once it says so: no event after that line is missed.
read -r line <"$T/mon.err"
check "monitor announces its subscription" grep -q "Monitoring org.apmatrix1" <<<"$line"
read -r line <"$T/hmon.err"

# wait_event PYTHON-EXPR: read monitor lines (as e) until one satisfies it;
# fails when the monitor ends or stays silent for 30 s.
wait_event() {
	local line
	while read -r -t 30 line <&7; do
		echo "$line" >>"$T/mon.log"
		python3 -c 'import json,sys; e = json.loads(sys.argv[1]); sys.exit(0 if eval(sys.argv[2]) else 1)' \
			"$line" "$1" && return 0
	done
	return 1
}
apctl_expect 0 "" assign "$UB" domain 4
check "monitor: DeviceChanged for B with domain 4" \
	wait_event "e['event'] == 'DeviceChanged' and e['uuid'] == '$UB' and 4 in e['data']['domains']"
check "monitor: BatchApplied with its kernel writes" \
	wait_event "e['event'] == 'BatchApplied' and e['data']['kernel_writes'] >= 1"
# The human monitor: one line per event with the fields people watch.
found=1
while read -r -t 30 line <&8; do
	case $line in
	*" DeviceChanged $UB state=active guest=vm2 adapters=2-3 domains=1,4 "*) found=0 && break ;;
	esac
done
check "human monitor: one line per DeviceChanged with id lists" test "$found" -eq 0
kill -INT "$HMON"
wait "$HMON"
exec 8<&-
sim_ctl adapter 3 config off
check "monitor: HostChanged when adapter 3 is configured off" \
	wait_event "e['event'] == 'HostChanged' and not [a for a in e['data']['adapters'] if a['id'] == 3 and a['config']]"
sim_ctl adapter 3 config on
check "monitor: HostChanged when it is back" \
	wait_event "e['event'] == 'HostChanged' and [a for a in e['data']['adapters'] if a['id'] == 3 and a['config']]"
kill -INT "$MON"
wait "$MON"
check "monitor exits 0 on SIGINT" test $? -eq 0
exec 7<&-

# --- a guest holds a device ------------------------------------------------------
sim_ctl guest start vm1 "$UA" vcpus=2
check "vm1 runs with A's queue 02.0000 plugged" \
	test "$(tr '\n' ' ' <"$SYSFS_ROOT/devices/vfio_ap/matrix/$UA/guest_matrix")" = "02.0000 "
"$A" status >/dev/null # GetState reads which devices a guest holds
"$A" --json show "$UA" >"$T/a.json"
check "A is in-use while vm1 holds it; its guest matrix is 02.0000" \
	test "$(jfield state <"$T/a.json")" = in-use -a "$(jfield guest_adapters <"$T/a.json")" = "[2]" \
	-a "$(jfield guest_domains <"$T/a.json")" = "[0]"
unchanged_by 3 "in use by a guest" stop "$UA"
apcb_before=$(sim_stats | jfield guests vm1 apcb_updates)
apctl_expect 0 "" assign "$UA" domain 5
check "assign on a running guest is live in its guest matrix" \
	test "$(tr '\n' ' ' <"$SYSFS_ROOT/devices/vfio_ap/matrix/$UA/guest_matrix")" = "02.0000 02.0005 "
check "and cost vm1 exactly one APCB update" \
	test "$(sim_stats | jfield guests vm1 apcb_updates)" = $((apcb_before + 1))
check "A stays in-use over the assign" test "$("$A" --json show "$UA" | jfield state)" = in-use
apctl_expect 0 "" unassign "$UA" domain 5
sim_ctl guest stop vm1

# --- mdevctl round trip ----------------------------------------------------------
"$A" export-mdevctl "$UB" >"$T/mdevctl/$UB"
check "export-mdevctl: mdevctl JSON with B's ids" \
	test "$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(d["mdev_type"], [list(a.items())[0] for a in d["attrs"]])' "$T/mdevctl/$UB")" = \
	"vfio_ap-passthrough [('assign_adapter', '2'), ('assign_adapter', '3'), ('assign_domain', '1'), ('assign_domain', '4')]"
apctl_expect 0 "" stop "$UB"
check "stop removed B's mdev" test ! -e "$SYSFS_ROOT/devices/vfio_ap/matrix/$UB"
apctl_expect 0 "" undefine "$UB"
check "undefine: B is gone" sh -c "! '$A' --quiet list | grep -q '$UB'"
UC=22222222-3333-4444-5555-666666666666
printf '{"mdev_type": "vfio_ap-passthrough", "start": "auto", "attrs": [{"assign_adapter": "3"}, {"assign_domain": "010"}]}' \
	>"$T/mdevctl/$UC"
# Autostart definitions claim their queues (manual ones may overlap, as with mdevctl).
printf '{"mdev_type": "vfio_ap-passthrough", "start": "auto", "attrs": [{"assign_adapter": "0"}, {"assign_domain": "0"}]}' \
	>"$T/mdevctl/33333333-4444-5555-6666-777777777777"
printf 'not json' >"$T/mdevctl/44444444-5555-6666-7777-888888888888"
"$A" import-mdevctl "$T/mdevctl" >"$T/out" 2>"$T/err"
rc=$?
check "import-mdevctl: exit 1, two bad files reported and skipped" \
	test "$rc" -eq 1 -a "$(wc -l <"$T/err")" -eq 2
diag_lines "$T/err"
check "the reserved APQN 00.0000 was named" grep -q "33333333.*00.0000" "$T/err"
check "import-mdevctl defined B again and C (octal 010 = domain 8, autostart)" \
	test "$("$A" --json show "$UC" | jfield domains)" = "[8]" -a "$("$A" --json show "$UC" | jfield autostart)" = true \
	-a "$("$A" --json show "$UB" | jfield domains)" = "[1, 4]"

# --- many clients at once ----------------------------------------------------------
pids=()
for i in $(seq 1 50); do
	case $((i % 3)) in
	0) "$A" --json status >"$T/c$i" 2>&1 & ;;
	1) "$A" --json show "$UA" >"$T/c$i" 2>&1 & ;;
	2) "$A" --json assign "$UC" control-domain $((i % 16)) >"$T/c$i" 2>&1 & ;;
	esac
	pids+=($!)
done
fails=0
for p in "${pids[@]}"; do wait "$p" || fails=$((fails + 1)); done
check "50 concurrent clients all answered successfully ($fails failed)" test "$fails" -eq 0
check "C has control domains 0-15 from the concurrent assigns" \
	test "$("$A" --json show "$UC" | jfield control_domains)" = "[0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15]"

# --- give everything back -----------------------------------------------------------
apctl_expect 0 "" stop "$UA"
apctl_expect 0 "" release adapter 1
check "release set apmask bit 1 again" grep -q '^0xc' "$SYSFS_ROOT/bus/ap/apmask"
apctl_expect 0 "" --dry-run undefine "$UA"
check "a dry-run undefine keeps A" sh -c "'$A' --quiet list | grep -q '$UA'"
apctl_expect 0 "" undefine "$UA"

tap_done
