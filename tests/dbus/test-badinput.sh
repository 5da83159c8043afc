#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# The bad-input battery: every Manager mutation fed malformed, out-of-range,
# conflicting and oversized input. Each case must fail with the documented
# error name and a message naming the problem (the field, the APQN and its
# owner, the id out of range, the limit), and change nothing (GetState,
# sysfs and the stored definitions compared before/after). An unprivileged
# caller gets AccessDenied whatever it sends. Last, one connection with more
# requests queued than QueuedRequestsPerClient.
. "$APM_SOURCE_ROOT/tests/dbus/lib.sh"
apm_enter_ns "$0" "$@"
apm_start_all
APCTL=$APM_BUILD_ROOT/client/apctl
CLIENT=$APM_BUILD_ROOT/tests/bench/daemon-client

U1=bbbbbbbb-0000-4000-8000-000000000001
U2=bbbbbbbb-0000-4000-8000-000000000002
U3=bbbbbbbb-0000-4000-8000-000000000003
U4=bbbbbbbb-0000-4000-8000-000000000004
call Reserve string:adapter array:uint32:1 uint64:0 >/dev/null
call Reserve string:domain array:uint32:0,1,2,3,4,5,6,7 uint64:0 >/dev/null
call DefineDevice string:$U1 string:'{"adapters":[2],"domains":[0,1],"guest":"vm1"}' uint64:0 >/dev/null
call StartDevice string:$U1 uint64:0 >/dev/null
# Adapter 0 stays with the host, yet 00.0000 is free for vfio_ap: domain 0 is reserved.
call DefineDevice string:$U2 string:'{"adapters":[0,3],"domains":[0],"autostart":true}' uint64:0 >/dev/null
call StartDevice string:$U2 uint64:0 >/dev/null
call DefineDevice string:$U4 string:'{"adapters":[1],"domains":[5],"control_domains":[5]}' uint64:0 >/dev/null
maxd=$(busctl --system get-property org.apmatrix1 /org/apmatrix1 org.apmatrix1.Manager MaxDomainId | cut -d' ' -f2)
before=$(snapshot)

# bad NAME WORDS DESCRIPTION METHOD ARG...: the call fails with NAME, its
# message contains every |-separated word of WORDS, nothing changed.
bad() {
	name=$1
	words=$2
	desc=$3
	shift 3
	if out=$(call "$@"); then
		not_ok "$desc: succeeded ($out)"
		return
	fi
	case "$out" in
	"ERROR $name:"*) ;;
	*)
		not_ok "$desc: got '$out', want $name"
		return
		;;
	esac
	missing=
	IFS='|'
	for w in $words; do
		case "$out" in
		*"$w"*) ;;
		*) missing="$missing '$w'" ;;
		esac
	done
	unset IFS
	if [ -n "$missing" ]; then
		not_ok "$desc: message lacks$missing: $out"
	elif ! same_snapshot "$before"; then
		not_ok "$desc: the state changed"
	else
		ok "$desc: ${out#ERROR }"
	fi
}
IA=org.freedesktop.DBus.Error.InvalidArgs
OOR=org.apmatrix1.Error.OutOfRange
INUSE=org.apmatrix1.Error.InUse
LIM=org.apmatrix1.Error.LimitExceeded
NSD=org.apmatrix1.Error.NoSuchDevice

# DefineDevice: the JSON itself.
for j in null 42 '"x"' '[]' true; do
	bad $IA "config_json|expected a JSON object" "config $j" DefineDevice string:$U3 string:"$j" uint64:0
done
bad $IA "config_json|malformed JSON at offset 0" "empty config" DefineDevice string:$U3 string: uint64:0
bad $IA "config_json|malformed JSON at offset" "truncated config" \
	DefineDevice string:$U3 string:'{"adapters":[1,' uint64:0
bad $IA "config_json|trailing data" "trailing data" DefineDevice string:$U3 string:'{} x' uint64:0
bad $IA "config_json|adapter: unknown field" "unknown field" \
	DefineDevice string:$U3 string:'{"adapter":[1]}' uint64:0
bad $IA "config_json|uuid does not match" "config uuid differs" \
	DefineDevice string:$U3 string:"{\"uuid\":\"$U1\",\"domains\":[9]}" uint64:0
# The matrix.
bad $IA "control_domains without domains|control domain 3" "control_domains without domains" \
	DefineDevice string:$U3 string:'{"control_domains":[3]}' uint64:0
bad $IA "control_domains without domains" "adapters and control_domains only" \
	DefineDevice string:$U3 string:'{"adapters":[1],"control_domains":"3-4"}' uint64:0
bad $OOR "domains[1]|999|0-$maxd" "domain 999" DefineDevice string:$U3 string:'{"domains":[1,999]}' uint64:0
bad $OOR "adapters[0]|256" "adapter 256" DefineDevice string:$U3 string:'{"adapters":[256]}' uint64:0
bad $OOR "domains[0]|-1" "domain -1" DefineDevice string:$U3 string:'{"domains":[-1]}' uint64:0
bad $OOR "control_domains|out of range" "control domain list out of range" \
	DefineDevice string:$U3 string:'{"domains":[1],"control_domains":"1-300"}' uint64:0
bad $IA "domains|bad id list" "bad id list" DefineDevice string:$U3 string:'{"domains":"1-"}' uint64:0
bad $IA "domains[0]|double" "fractional id" DefineDevice string:$U3 string:'{"domains":[1.5]}' uint64:0
bad $IA "domains|object" "object as ids" DefineDevice string:$U3 string:'{"domains":{"a":1}}' uint64:0
bad $IA "autostart" "autostart not a boolean" DefineDevice string:$U3 string:'{"autostart":"yes"}' uint64:0
bad $IA "guest" "guest not a string" DefineDevice string:$U3 string:'{"guest":5}' uint64:0
# Arguments.
bad $IA 'uuid|"nope" is not a UUID' "bad uuid" DefineDevice string:nope string:'{}' uint64:0
bad $IA "flags|0x4" "unknown flag" DefineDevice string:$U3 string:'{}' uint64:4
# Conflicts.
bad $INUSE "02.0000|$U1|vm1" "APQN of a running device" \
	DefineDevice string:$U3 string:'{"adapters":[2],"domains":[0],"autostart":true}' uint64:0
bad org.apmatrix1.Error.Reserved "APQN 00.000a|reserved for the host" "APQN reserved for the host" \
	DefineDevice string:$U3 string:'{"adapters":[0],"domains":[10],"autostart":true}' uint64:0
bad $INUSE "guest vm1|$U1" "second device for a guest" \
	DefineDevice string:$U3 string:'{"adapters":[1],"domains":[7],"guest":"vm1"}' uint64:0
# Limits.
long=$(python3 -c 'print("g" * 256)')
bad $LIM "guest: 256 bytes|GuestNameBytes=255" "guest name of 256 bytes" \
	DefineDevice string:$U3 string:"{\"guest\":\"$long\"}" uint64:0
big=$(python3 -c 'print("{\"domains\":[" + ",".join(["1"] * 34999) + "]}")')
bad $LIM "config_json: ${#big} bytes|ConfigJsonBytes=65536" "config of ${#big} bytes" \
	DefineDevice string:$U3 string:"$big" uint64:0
deep=$(python3 -c 'print("{\"domains\":" + "[" * 16 + "]" * 16 + "}")')
bad $LIM "config_json: nesting deeper than 16|JsonDepth=16" "17 levels of JSON" \
	DefineDevice string:$U3 string:"$deep" uint64:0
many=$(python3 -c 'print("{\"domains\":[" + ",".join(["1"] * 1025) + "]}")')
bad $LIM "domains: 1025 elements|JsonIdElements=1024" "1025 ids in JSON" \
	DefineDevice string:$U3 string:"$many" uint64:0

# Assign / Unassign.
bad $NSD "$U3" "unknown device" Assign string:$U3 string:adapter array:uint32:2 uint64:0
bad $IA 'kind|"queue"' "bad kind" Assign string:$U1 string:queue array:uint32:1 uint64:0
bad $IA "ids: empty" "empty ids" Assign string:$U1 string:adapter array:uint32: uint64:0
bad $OOR "ids[0]: adapter 300|0-255" "adapter 300" Assign string:$U1 string:adapter array:uint32:300 uint64:0
bad $OOR "ids[1]: domain 200|0-$maxd" "second id out of range" \
	Assign string:$U1 string:domain array:uint32:1,200 uint64:0
bad $OOR "ids[0]: control domain 4000" "control domain 4000" \
	Assign string:$U1 string:control-domain array:uint32:4000 uint64:0
ids=$(python3 -c 'print(",".join(["1"] * 4097))')
bad $LIM "ids: 4097 entries|IdsPerCall=4096" "4097 ids" Assign string:$U1 string:domain array:uint32:$ids uint64:0
bad $INUSE "02.0000|$U1|vm1" "APQN owned by another device" \
	Assign string:$U2 string:adapter array:uint32:2 uint64:0
bad $IA "$U4|control domains need at least one usage domain" "unassign the last usage domain" \
	Unassign string:$U4 string:domain array:uint32:5 uint64:0
bad $IA "flags|0x8000000000000000" "high flag bit" \
	Unassign string:$U1 string:domain array:uint32:1 uint64:9223372036854775808
bad $IA "is not a UUID" "Unassign bad uuid" Unassign string:${U1}x string:domain array:uint32:1 uint64:0

# Apply.
bad $IA 'expected {"devices": [...]}' "Apply without devices" Apply string:'{}' uint64:0
bad $IA "desired_json|got null" "Apply null" Apply string:null uint64:0
bad $IA "devices: empty" "Apply empty list" Apply string:'{"devices":[]}' uint64:0
bad $IA "desired_json|extra: unknown field" "Apply extra field" Apply string:'{"devices":[],"extra":1}' uint64:0
bad $IA 'devices[0]|"x" is not a UUID' "Apply bad uuid" Apply string:'{"devices":[{"uuid":"x"}]}' uint64:0
bad $IA "devices[0]|uuid" "Apply entry without uuid" Apply string:'{"devices":[{"adapters":[1]}]}' uint64:0
bad $IA "devices[1]|listed twice" "Apply device twice" \
	Apply string:"{\"devices\":[{\"uuid\":\"$U1\"},{\"uuid\":\"$U1\"}]}" uint64:0
bad $IA "devices[0].foo|unknown field" "Apply unknown entry field" \
	Apply string:"{\"devices\":[{\"uuid\":\"$U1\",\"foo\":1}]}" uint64:0
bad $OOR "devices[0]|domains[0]|999" "Apply domain out of range" \
	Apply string:"{\"devices\":[{\"uuid\":\"$U1\",\"adapters\":[2],\"domains\":[999]}]}" uint64:0
bad $IA "devices[0]|control_domains without domains" "Apply control domains only" \
	Apply string:"{\"devices\":[{\"uuid\":\"$U1\",\"adapters\":[2],\"control_domains\":[1]}]}" uint64:0
bad $NSD "$U3" "Apply unknown device" Apply string:"{\"devices\":[{\"uuid\":\"$U3\",\"adapters\":[2]}]}" uint64:0
bad $INUSE "02.0000|$U1" "Apply takes another device's APQN" \
	Apply string:"{\"devices\":[{\"uuid\":\"$U2\",\"adapters\":[2],\"domains\":[0]}]}" uint64:0

# Reserve / Release / Start / Stop / Undefine.
bad $IA 'kind|"control-domain"' "Reserve control-domain" Reserve string:control-domain array:uint32:1 uint64:0
bad $OOR "ids[0]: adapter 300" "Reserve adapter 300" Reserve string:adapter array:uint32:300 uint64:0
bad $INUSE "00.0000|$U2" "Release a domain a device holds" Release string:domain array:uint32:0 uint64:0
bad $LIM "IdsPerCall=4096" "Release 4097 ids" Release string:domain array:uint32:$ids uint64:0
bad $NSD "$U3" "StartDevice unknown" StartDevice string:$U3 uint64:0
bad $NSD "$U3" "StopDevice unknown" StopDevice string:$U3 uint64:0
bad $NSD "$U3" "UndefineDevice unknown" UndefineDevice string:$U3 uint64:0
bad $IA "is not a UUID" "UndefineDevice bad uuid" UndefineDevice string:$U1- uint64:0
bad $IA "flags|0x4" "StopDevice unknown flag" StopDevice string:$U1 uint64:4

# PrepareMigration: the export malformed, out of range, or one this host cannot take.
INC=org.apmatrix1.Error.Incompatible
exp() { # UUID GUEST ADAPTERS DOMAINS: an export without queues
	printf '{"version": 1, "uuid": "%s", "guest": "%s", "adapters": %s, "domains": %s}' "$@"
}
bad $IA "json|malformed JSON" "PrepareMigration malformed" PrepareMigration string:'{"version":'
bad $IA "json: expected a JSON object" "PrepareMigration not an object" PrepareMigration string:'[]'
bad $IA "version: 2 is not supported" "PrepareMigration version 2" \
	PrepareMigration string:"{\"version\": 2, \"uuid\": \"$U3\"}"
bad $IA "queues[0]: APQN 02.0005 is not in the matrix" "PrepareMigration queue outside the matrix" \
	PrepareMigration string:"{\"version\": 1, \"uuid\": \"$U3\", \"adapters\": [2], \"domains\": [1], \"queues\": [{\"adapter\": 2, \"domain\": 5}]}"
bad $OOR "json: domains[0]|300" "PrepareMigration domain 300" PrepareMigration string:"$(exp $U3 vm3 '[2]' '[300]')"
bad $INC "APQN 02.0000 is assigned to active device $U1 (guest vm1)" "PrepareMigration of an owned APQN" \
	PrepareMigration string:"$(exp $U3 vm3 '[2]' '[0]')"
bad $INC "device $U4 exists here with another matrix" "PrepareMigration over another matrix" \
	PrepareMigration string:"$(exp $U4 vm4 '[1]' '[6]')"
bad $INC "guest vm1 already has device $U1 here" "PrepareMigration for a guest that has a device" \
	PrepareMigration string:"$(exp $U3 vm1 '[3]' '[7]')"

# Through apctl (dbus-send cannot pass more than 128 KiB): desired_json over
# 1 MiB, and an Apply of 4097 devices.
python3 -c 'import json; print(json.dumps({"devices": [{"uuid": "%08x-0000-4000-8000-000000000000" % i, "adapters": [2], "domains": [0]} for i in range(20000)]}))' >"$T/big.json"
apctl_bad() { # apctl_bad WORDS DESCRIPTION FILE
	if out=$("$APCTL" apply "$3" 2>&1); then
		not_ok "$2: succeeded"
	elif [ $? -ne 2 ]; then
		not_ok "$2: apctl exit status is not 2 ($out)"
	elif ! printf '%s' "$out" | grep -qF "$1"; then
		not_ok "$2: message lacks '$1': $out"
	elif ! same_snapshot "$before"; then
		not_ok "$2: the state changed"
	else
		ok "$2: $out"
	fi
}
apctl_bad "over the limit DesiredJsonBytes=1048576" "Apply of $(wc -c <"$T/big.json") bytes" "$T/big.json"
python3 -c 'import json; print(json.dumps({"devices": [{"uuid": "%08x-0000-4000-8000-000000000000" % i} for i in range(4097)]}))' >"$T/many.json"
apctl_bad "devices: 4097 entries, over the limit ApplyDevices=4096" "Apply of 4097 devices" "$T/many.json"

# Unprivileged: AccessDenied before any argument is looked at.
denied() { # denied DESCRIPTION METHOD ARG...
	desc=$1
	shift
	if out=$(call_as_nobody "$@"); then
		not_ok "nobody, $desc: succeeded"
		return
	fi
	case "$out" in
	"ERROR org.freedesktop.DBus.Error.AccessDenied:"*) ok "nobody, $desc: AccessDenied" ;;
	*) not_ok "nobody, $desc: got '$out', want AccessDenied" ;;
	esac
}
denied "config null" DefineDevice string:$U3 string:null uint64:0
denied "bad uuid" DefineDevice string:nope string:'{}' uint64:0
denied "control_domains without domains" DefineDevice string:$U3 string:'{"control_domains":[3]}' uint64:0
denied "config over ConfigJsonBytes" DefineDevice string:$U3 string:"$big" uint64:0
denied "unknown flag" DefineDevice string:$U3 string:'{}' uint64:4
denied "bad kind" Assign string:$U1 string:queue array:uint32:1 uint64:0
denied "empty ids" Assign string:$U1 string:adapter array:uint32: uint64:0
denied "id out of range" Assign string:$U1 string:adapter array:uint32:300 uint64:0
denied "4097 ids" Unassign string:$U1 string:domain array:uint32:$ids uint64:0
denied "unknown device" Assign string:$U3 string:adapter array:uint32:2 uint64:0
denied "malformed Apply" Apply string:'{"devices":' uint64:0
denied "Reserve control-domain" Reserve string:control-domain array:uint32:1 uint64:0
denied "Release held adapter" Release string:adapter array:uint32:2 uint64:0
denied "StartDevice bad uuid" StartDevice string:x uint64:0
denied "StopDevice unknown flag" StopDevice string:$U1 uint64:4
denied "UndefineDevice unknown" UndefineDevice string:$U3 uint64:0
denied "PrepareMigration malformed" PrepareMigration string:'{"version":'
denied "PrepareMigration of an owned APQN" PrepareMigration string:"$(exp $U3 vm3 '[2]' '[0]')"
check "denied calls changed nothing" same_snapshot "$before"
check "the daemon is alive after the battery" kill -0 "$APM_DAEMON_PID"

# One connection, 69 requests inside one long batch window: 64 are
# queued, the others get TooManyRequests naming QueuedRequestsPerClient.
apm_daemon_stop
apm_daemon_start --batch-window-usec 3000000
"$CLIENT" flood 69 "$U1" >"$T/flood" 2>&1 || true
check "flood: 64 requests accepted" test "$(grep -c '^ok$' "$T/flood")" -eq 64
check "flood: 5 refused with TooManyRequests naming the limit" test "$(grep -c \
	"^error org.apmatrix1.Error.TooManyRequests: .*: this client already has 64 requests waiting for the next batch, the limit QueuedRequestsPerClient=64" \
	"$T/flood")" -eq 5
check "the daemon still answers" call GetState
tap_done
