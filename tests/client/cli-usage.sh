#!/bin/sh
# apctl without a daemon: usage errors exit 2 with one line on stderr, a
# missing bus exits 1, and the libvirt hook leaves unrelated operations and
# guests without vfio-ap devices alone (exit 0, no bus needed).
set -u
apctl=$1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# No bus at all: anything that reaches the bus fails with exit 1.
export DBUS_SYSTEM_BUS_ADDRESS="unix:path=$tmp/no-such-socket"

fail=0
n=0
U=8a3e0d5c-4b7f-4d2e-9a55-0123456789ab

# expect RC PATTERN ARGS...: exit code RC, exactly one stderr line matching PATTERN.
expect() {
	want=$1 pattern=$2
	shift 2
	n=$((n + 1))
	"$apctl" "$@" >"$tmp/out" 2>"$tmp/err" </dev/null
	rc=$?
	lines=$(wc -l <"$tmp/err")
	if [ "$rc" -ne "$want" ] || ! grep -q -- "$pattern" "$tmp/err" || [ "$lines" -ne 1 ]; then
		echo "not ok $n - apctl $*: want exit $want and one line /$pattern/"
		echo "# got exit $rc, stderr ($lines lines): $(cat "$tmp/err")"
		fail=$((fail + 1))
	else
		echo "ok $n - apctl $* -> $rc: $(cat "$tmp/err")"
	fi
}

expect 2 "No verb given"
expect 2 "Unknown verb \"frobnicate\"" frobnicate
expect 2 "Unknown option --frob" --frob list
expect 2 "wrong number of arguments; usage: apctl show UUID" show
expect 2 "wrong number of arguments" show "$U" extra
expect 2 "Invalid UUID \"not-a-uuid\"" show not-a-uuid
expect 2 "Invalid UUID" start 8a3e0d5c-4b7f-4d2e-9a55-0123456789a
expect 2 "list does not take define's options" list --adapters 1
expect 2 "host does not take --dry-run" host --dry-run
expect 2 "Invalid kind \"queue\"" assign "$U" queue 1
expect 2 "Invalid kind \"control-domain\": expected adapter, domain$" reserve control-domain 1
expect 2 "out of range 0-255" assign "$U" domain 256
expect 2 "Invalid id list \"1,,2\"" assign "$U" adapter 1,,2
expect 2 "Invalid id list \"5-3\"" unassign "$U" adapter 5-3
expect 2 "Invalid id list \"\"" release adapter ""
expect 2 "Invalid adapter list \"x\"" define --adapters x
expect 2 "out of range" define --domains 0x100
expect 2 "needs a non-empty" define --guest ""
expect 2 "Option --adapters needs an argument" define --adapters
printf '{"devices": [' >"$tmp/bad.json"
expect 2 "bad.json: invalid JSON at offset" apply "$tmp/bad.json"
printf '{"devices": []} trailing' >"$tmp/trail.json"
expect 2 "invalid JSON at offset 16: trailing data" apply "$tmp/trail.json"
expect 1 "Failed to open $tmp/missing.json" apply "$tmp/missing.json"
# Valid requests without a bus: one line, exit 1.
expect 1 "Failed to connect to the system bus" list
expect 1 "Failed to connect to the system bus" assign "$U" adapter 1-3

# --help and --version print to stdout and succeed.
n=$((n + 1))
if "$apctl" --help | grep -q "^  import-mdevctl \[DIR\]" && "$apctl" --version | grep -q "^apctl "; then
	echo "ok $n - --help lists the verbs, --version prints the version"
else
	echo "not ok $n - --help/--version"
	fail=$((fail + 1))
fi

# The hook: every operation but "prepare begin", "release end" and "migrate
# begin" exits 0 at once, without reading stdin (a closed stdin must not
# matter) or the bus.
for op in "start begin -" "started begin -" "stopped end -" \
	"restore begin -" "reconnect begin -" "attach begin -" "prepare end -" \
	"release begin -"; do
	n=$((n + 1))
	# shellcheck disable=SC2086
	if "$apctl" hook -- guest1 $op <&- >"$tmp/out" 2>"$tmp/err" && [ ! -s "$tmp/err" ]; then
		echo "ok $n - hook guest1 $op: exit 0, silent"
	else
		echo "not ok $n - hook guest1 $op: $(cat "$tmp/err")"
		fail=$((fail + 1))
	fi
done

# A guest without vfio-ap devices never needs the daemon.
n=$((n + 1))
if printf "<domain type='kvm'><name>plain</name><devices><disk type='file'/></devices></domain>" |
	"$apctl" hook -- plain prepare begin - 2>"$tmp/err"; then
	echo "ok $n - hook prepare begin without vfio-ap: exit 0 without a bus"
else
	echo "not ok $n - hook prepare without vfio-ap: $(cat "$tmp/err")"
	fail=$((fail + 1))
fi

# migrate begin filters the domain XML on stdout: nothing (unchanged), no bus.
n=$((n + 1))
if printf "<domain type='kvm'><name>plain</name><devices></devices></domain>" |
	"$apctl" hook -- plain migrate begin - >"$tmp/out" 2>"$tmp/err" && [ ! -s "$tmp/out" ] &&
	[ ! -s "$tmp/err" ]; then
	echo "ok $n - hook migrate begin without vfio-ap: exit 0, nothing on stdout, no bus"
else
	echo "not ok $n - hook migrate begin without vfio-ap: $(cat "$tmp/err")"
	fail=$((fail + 1))
fi

# hookexpect RC PATTERN XML: the hook with XML on stdin.
hookexpect() {
	want=$1 pattern=$2 xml=$3
	n=$((n + 1))
	printf '%s' "$xml" | "$apctl" hook -- g1 prepare begin - >/dev/null 2>"$tmp/err"
	rc=$?
	if [ "$rc" -eq "$want" ] && grep -q -- "$pattern" "$tmp/err" && [ "$(wc -l <"$tmp/err")" -eq 1 ]; then
		echo "ok $n - hook: exit $rc: $(cat "$tmp/err")"
	else
		echo "not ok $n - hook: want $want /$pattern/, got $rc: $(cat "$tmp/err")"
		fail=$((fail + 1))
	fi
}
hookexpect 2 "does not parse" "<domain><name>g1</name>"
hookexpect 2 "no valid uuid" "<domain><name>g1</name><devices><hostdev mode='subsystem' type='mdev' model='vfio-ap'><source><address uuid='zz'/></source></hostdev></devices></domain>"
hookexpect 3 "can have only one" "<domain><name>g1</name><devices><hostdev mode='subsystem' type='mdev' model='vfio-ap'><source><address uuid='$U'/></source></hostdev><hostdev mode='subsystem' type='mdev' model='vfio-ap'><source><address uuid='11111111-2222-3333-4444-555555555555'/></source></hostdev></devices></domain>"
hookexpect 1 "Failed to connect to the system bus" "<domain><name>g1</name><devices><hostdev mode='subsystem' type='mdev' model='vfio-ap'><source><address uuid='$U'/></source></hostdev></devices></domain>"
n=$((n + 1))
"$apctl" hook -- g1 prepare >/dev/null 2>"$tmp/err"
rc=$?
if [ "$rc" -eq 2 ]; then echo "ok $n - hook with too few arguments: 2"; else
	echo "not ok $n - hook with too few arguments: $rc"
	fail=$((fail + 1))
fi

echo "1..$n"
[ "$fail" -eq 0 ]
