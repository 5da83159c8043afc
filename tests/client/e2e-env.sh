# shellcheck shell=bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The world of apctl's end-to-end tests, all real parts: apsim mounted (the
# simulated s390 host), a private dbus-daemon of type system with the shipped
# policy, apmatrixd on it with SYSFS_ROOT, and TAP helpers. Source it from a
# script that runs as root under `unshare -m -n`; needs APSIM, APMATRIXD,
# APCTL, SRCDIR in the environment.

T_N=0
T_FAILED=0
E2E_DIR=""

ok() {
	T_N=$((T_N + 1))
	echo "ok $T_N - $*"
}

not_ok() {
	T_N=$((T_N + 1))
	T_FAILED=$((T_FAILED + 1))
	echo "not ok $T_N - $*"
}

diag() {
	sed 's/^/# /'
}

check() {
	local what=$1
	shift
	if "$@"; then ok "$what"; else not_ok "$what"; fi
}

e2e_done() {
	echo "1..$T_N"
	[ "$T_FAILED" -eq 0 ]
}

e2e_stop() {
	[ -n "${APMATRIXD_PID:-}" ] && kill "$APMATRIXD_PID" 2>/dev/null &&
		while kill -0 "$APMATRIXD_PID" 2>/dev/null; do wait "$APMATRIXD_PID" 2>/dev/null || break; done
	[ -n "${APM_DBUS_PID:-}" ] && kill "$APM_DBUS_PID" 2>/dev/null
	apsim_stop
	[ -n "$E2E_DIR" ] && rm -rf "$E2E_DIR"
}

e2e_start() {
	local v
	for v in APSIM APMATRIXD APCTL SRCDIR; do
		if [ -z "${!v:-}" ]; then
			echo "e2e: $v is not set" >&2
			return 1
		fi
	done
	if [ "$(id -u)" -ne 0 ]; then
		echo "e2e: needs root (run under unshare -m -n as root, as CI does)" >&2
		return 1
	fi
	for v in dbus-daemon busctl setpriv flock python3; do
		command -v "$v" >/dev/null || {
			echo "e2e: $v missing (packages dbus-daemon, systemd, util-linux, python3)" >&2
			return 1
		}
	done
	# shellcheck source=../sim/apsim-env.sh
	. "$SRCDIR/tests/sim/apsim-env.sh"
	apsim_start "$@" || return 1

	E2E_DIR=$(mktemp -d /tmp/apctl-e2e.XXXXXX) || return 1
	# nobody must reach the bus socket for the AccessDenied checks.
	chmod 755 "$E2E_DIR"
	mkdir -m 755 "$E2E_DIR/bus"
	mkdir "$E2E_DIR/state" "$E2E_DIR/hook" "$E2E_DIR/mdevctl"
	eval "$("$SRCDIR/tests/dbus/private-bus.sh" "$E2E_DIR/bus" "$SRCDIR/dbus")" || return 1
	export DBUS_SYSTEM_BUS_ADDRESS

	APMATRIXD_PID=$(APMATRIXD_LOCK_FILE="$E2E_DIR/s390apconfig.lock" \
		python3 "$SRCDIR/tests/dbus/notify-run.py" "$E2E_DIR/apmatrixd.log" 30 -- \
		"$APMATRIXD" --state-dir "$E2E_DIR/state" --foreground-log) || {
		echo "e2e: apmatrixd did not get ready:" >&2
		cat "$E2E_DIR/apmatrixd.log" >&2
		return 1
	}
	export APCTL_HOOK_STATE_DIR="$E2E_DIR/hook"
	export APCTL_MDEVCTL_DIR="$E2E_DIR/mdevctl"
	# apctl as nobody: a copy nobody can execute wherever the build tree is.
	install -m 755 "$APCTL" "$E2E_DIR/apctl"
}

# apctl_expect RC PATTERN ARGS...: exit code RC and, for RC != 0, exactly one
# line on stderr matching PATTERN (for RC 0 stderr must be empty).
apctl_expect() {
	local want=$1 pattern=$2 rc lines
	shift 2
	"$APCTL" "$@" >"$E2E_DIR/out" 2>"$E2E_DIR/err"
	rc=$?
	lines=$(wc -l <"$E2E_DIR/err")
	if [ "$want" -eq 0 ]; then
		if [ "$rc" -eq 0 ] && [ "$lines" -eq 0 ]; then
			ok "apctl $* -> 0"
			return 0
		fi
	elif [ "$rc" -eq "$want" ] && [ "$lines" -eq 1 ] && grep -q -- "$pattern" "$E2E_DIR/err"; then
		ok "apctl $* -> $rc: $(cat "$E2E_DIR/err")"
		return 0
	fi
	not_ok "apctl $*: want exit $want${pattern:+ and /$pattern/}, got $rc"
	diag <"$E2E_DIR/err"
	return 1
}

# What a failed request must not change: every device as apmatrixd reports it,
# and the simulated kernel's AP bus masks and every mdev's matrix.
snapshot() {
	{
		"$APCTL" --json list
		cat "$APSIM_ROOT/bus/ap/apmask" "$APSIM_ROOT/bus/ap/aqmask"
		for d in "$APSIM_ROOT"/devices/vfio_ap/matrix/*-*-*-*-*; do
			[ -d "$d" ] || continue
			echo "${d##*/}"
			cat "$d/ap_config"
		done
	} 2>&1
}

# unchanged_by RC PATTERN ARGS...: apctl_expect, and the snapshot is unchanged.
unchanged_by() {
	local before after
	before=$(snapshot)
	apctl_expect "$@"
	after=$(snapshot)
	if [ "$before" = "$after" ]; then
		ok "state unchanged after apctl ${*:3}"
	else
		not_ok "state changed after apctl ${*:3}"
		diff <(echo "$before") <(echo "$after") | diag
	fi
}

# JSON field of apctl --json output: jq-like access with python.
jfield() {
	python3 -c 'import json,sys
v = json.load(sys.stdin)
for k in sys.argv[1:]:
    v = v[int(k)] if isinstance(v, list) else v[k]
print(json.dumps(v) if isinstance(v, (list, dict, bool)) or v is None else v)' "$@"
}

# The mdev's matrix as the simulated kernel has it.
kernel_matrix() {
	cat "$APSIM_ROOT/devices/vfio_ap/matrix/$1/matrix" 2>/dev/null | tr '\n' ' '
}
