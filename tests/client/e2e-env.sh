# shellcheck shell=bash
# SPDX-License-Identifier: GPL-2.0-or-later
# apctl's end-to-end tests on the project's shared harness (tests/dbus/lib.sh:
# unshare -m -n, apsim mounted as the sysfs root, a private system bus with the
# shipped policy, apmatrixd with SYSFS_ROOT) plus what apctl tests need: exit
# code and stderr checks, and snapshots as apctl and the kernel see them.
# Usage: . "$APM_SOURCE_ROOT/tests/client/e2e-env.sh" "$0" "$@"

# shellcheck source=../dbus/lib.sh
. "$APM_SOURCE_ROOT/tests/dbus/lib.sh"
apm_enter_ns "$@"
# The tests look at exit codes themselves.
set +e
APCTL=${APCTL:-$APM_BUILD_ROOT/client/apctl}

e2e_start() {
	[ -x "$APCTL" ] || bail "apctl not built at $APCTL"
	apm_setup
	need setpriv flock
	apm_sim_start "$@"
	apm_bus_start
	apm_daemon_start --foreground-log
	mkdir "$T/hook" "$T/mdevctl"
	export APCTL_HOOK_STATE_DIR="$T/hook" APCTL_MDEVCTL_DIR="$T/mdevctl"
	# apctl as nobody: a copy nobody can execute wherever the build tree is.
	install -m 755 "$APCTL" "$T/apctl"
}

# Lines of a file (or stdin) as TAP diagnostics.
diag_lines() {
	sed 's/^/# /' "$@"
}

# apctl_expect RC PATTERN ARGS...: exit code RC and, for RC != 0, exactly one
# line on stderr matching PATTERN (for RC 0 stderr must be empty).
apctl_expect() {
	local want=$1 pattern=$2 rc lines
	shift 2
	"$APCTL" "$@" >"$T/out" 2>"$T/err"
	rc=$?
	lines=$(wc -l <"$T/err")
	if [ "$want" -eq 0 ]; then
		if [ "$rc" -eq 0 ] && [ "$lines" -eq 0 ]; then
			ok "apctl $* -> 0"
			return 0
		fi
	elif [ "$rc" -eq "$want" ] && [ "$lines" -eq 1 ] && grep -q -- "$pattern" "$T/err"; then
		ok "apctl $* -> $rc: $(cat "$T/err")"
		return 0
	fi
	not_ok "apctl $*: want exit $want${pattern:+ and /$pattern/}, got $rc"
	diag_lines "$T/err"
	return 1
}

# What a failed request must not change: every device as apctl reports it,
# and the simulated kernel's AP bus masks and every mdev's matrix.
apctl_snapshot() {
	{
		"$APCTL" --json list
		cat "$SYSFS_ROOT/bus/ap/apmask" "$SYSFS_ROOT/bus/ap/aqmask"
		for d in "$SYSFS_ROOT"/devices/vfio_ap/matrix/*-*-*-*-*; do
			[ -d "$d" ] || continue
			echo "${d##*/}"
			cat "$d/ap_config"
		done
	} 2>&1
}

# unchanged_by RC PATTERN ARGS...: apctl_expect, and the snapshot is unchanged.
unchanged_by() {
	local before after
	before=$(apctl_snapshot)
	apctl_expect "$@"
	after=$(apctl_snapshot)
	if [ "$before" = "$after" ]; then
		ok "state unchanged after apctl ${*:3}"
	else
		not_ok "state changed after apctl ${*:3}"
		diff <(echo "$before") <(echo "$after") | diag_lines
	fi
}

# A field of JSON on stdin: jfield KEY|INDEX...; lists and objects as JSON.
jfield() {
	python3 -c 'import json,sys
v = json.load(sys.stdin)
for k in sys.argv[1:]:
    v = v[int(k)] if isinstance(v, list) else v[k]
print(json.dumps(v) if isinstance(v, (list, dict, bool)) or v is None else v)' "$@"
}

# The mdev's matrix as the simulated kernel has it, one line.
kernel_matrix() {
	tr '\n' ' ' <"$SYSFS_ROOT/devices/vfio_ap/matrix/$1/matrix" 2>/dev/null
}
