# SPDX-License-Identifier: GPL-2.0-or-later
# Shared by the end-to-end tests: a mount and network namespace, apsim mounted
# as the sysfs root, a private system bus with the shipped policy, apmatrixd,
# and clients (dbus-send for error names, busctl for introspection). Output is
# TAP. Needs: APM_BUILD_ROOT, APM_SOURCE_ROOT (set by meson).
#
# Usage in a test:  . "$APM_SOURCE_ROOT/tests/dbus/lib.sh"; apm_enter_ns "$0" "$@"

set -eu

: "${APM_BUILD_ROOT:?set by meson}" "${APM_SOURCE_ROOT:?set by meson}"
APMATRIXD=${APMATRIXD:-$APM_BUILD_ROOT/daemon/apmatrixd}
APSIM=${APSIM:-$APM_BUILD_ROOT/kernel/sim/apsim}
tap_n=0
tap_failed=0

ok() {
	tap_n=$((tap_n + 1))
	echo "ok $tap_n - $*"
}
not_ok() {
	tap_n=$((tap_n + 1))
	tap_failed=$((tap_failed + 1))
	echo "not ok $tap_n - $*"
}
check() { # check "description" command...
	desc=$1
	shift
	if "$@" >/dev/null; then ok "$desc"; else not_ok "$desc"; fi
}
diag() { printf '%s\n' "$*" | sed 's/^/# /'; }
bail() {
	echo "Bail out! $*"
	exit 1
}
tap_done() {
	echo "1..$tap_n"
	[ "$tap_failed" -eq 0 ]
}

# need CMD:PACKAGE...: a missing tool is a failure naming its Debian package.
need() {
	for cp in "$@"; do
		c=${cp%%:*}
		p=${cp#*:}
		command -v "$c" >/dev/null 2>&1 || bail "$c missing: install the Debian package $p"
	done
}

# The usual start of a test: namespaces, temp dir, apsim, private bus, daemon
# (extra arguments go to apmatrixd).
apm_start_all() {
	apm_setup
	apm_sim_start
	apm_bus_start
	apm_daemon_start "$@"
}

# Reserve domains 0-15, then N devices (adapters 2,3 x domain i) started; their
# uuids in $APM_UUIDS. For the benchmarks.
apm_ten_devices() {
	call Reserve string:domain array:uint32:0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15 uint64:0 >/dev/null
	APM_UUIDS=
	for i in 0 1 2 3 4 5 6 7 8 9; do
		u=ffffffff-0000-4000-8000-00000000000$i
		call DefineDevice string:$u string:"{\"adapters\":[2,3],\"domains\":[$i]}" uint64:0 >/dev/null
		call StartDevice string:$u uint64:0 >/dev/null
		APM_UUIDS="$APM_UUIDS $u"
	done
}

# Re-run the calling script in fresh mount and network namespaces, as root.
apm_enter_ns() {
	if [ -z "${APM_IN_NS:-}" ]; then
		[ "$(id -u)" -eq 0 ] || bail "needs root for unshare -m -n (CI runs as root)"
		need unshare:util-linux
		APM_IN_NS=1 exec unshare -m -n -- "$@"
	fi
	mount --make-rprivate / 2>/dev/null || true
}

apm_setup() {
	need dbus-daemon:dbus-daemon dbus-send:dbus-bin dbus-monitor:dbus-bin busctl:systemd \
		python3:python3 jq:jq setpriv:util-linux flock:util-linux
	[ -x "$APMATRIXD" ] || bail "apmatrixd not built at $APMATRIXD"
	T=$(mktemp -d /tmp/apm-test.XXXXXX)
	chmod 755 "$T"
	trap apm_cleanup EXIT
	export APMATRIXD_LOCK_FILE="$T/s390apconfig.lock"
	export APMATRIXD_LOCK_TIMEOUT_USEC=300000
	STATE_DIR=$T/state
}

apm_cleanup() {
	rc=$?
	[ -n "${APM_DAEMON_PID:-}" ] && kill "$APM_DAEMON_PID" 2>/dev/null || true
	[ -n "${APM_DBUS_PID:-}" ] && kill "$APM_DBUS_PID" 2>/dev/null || true
	# Clients a test started in the background (APM_CLIENT_PIDS="pid ...").
	for p in ${APM_CLIENT_PIDS:-}; do kill "$p" 2>/dev/null || true; done
	apm_sim_stop
	# A test may mount a small filesystem on the state directory.
	if [ -n "${STATE_DIR:-}" ] && mountpoint -q "$STATE_DIR" 2>/dev/null; then
		umount -l "$STATE_DIR" || true
	fi
	if [ "$rc" -ne 0 ] && [ -f "$T/daemon.log" ]; then
		echo "# --- daemon log (tail)"
		tail -n 30 "$T/daemon.log" | sed 's/^/# /'
	fi
	rm -rf "$T"
	exit "$rc"
}

# apsim at $T/sys; SYSFS_ROOT points at it. Optional topology JSON file.
apm_sim_start() {
	[ -x "$APSIM" ] || bail "apsim not built at $APSIM (kernel/sim)"
	[ -e /dev/fuse ] || bail "/dev/fuse missing"
	mkdir -p "$T/sys"
	if [ $# -gt 0 ]; then
		"$APSIM" "$T/sys" --topology "$1" --pid-file "$T/apsim.pid" || bail "apsim failed to start"
	else
		"$APSIM" "$T/sys" --pid-file "$T/apsim.pid" || bail "apsim failed to start"
	fi
	[ -f "$T/sys/bus/ap/apmask" ] || bail "apsim mounted no tree at $T/sys"
	export SYSFS_ROOT="$T/sys"
}

apm_sim_stop() {
	if [ -f "${T:-/nonexistent}/apsim.pid" ]; then
		kill "$(cat "$T/apsim.pid")" 2>/dev/null || true
		# apsim holds a lock on its pid file until it has exited.
		flock "$T/apsim.pid" true 2>/dev/null || true
		rm -f "$T/apsim.pid"
	fi
}

sim_ctl() { printf '%s\n' "$*" >"$SYSFS_ROOT/sim/ctl"; }
sim_stats() { cat "$SYSFS_ROOT/sim/stats.json"; }

apm_bus_start() {
	eval "$("$APM_SOURCE_ROOT/tests/dbus/private-bus.sh" "$T" "$APM_SOURCE_ROOT/dbus")"
	export DBUS_SYSTEM_BUS_ADDRESS
}

apm_daemon_start() {
	APM_DAEMON_PID=$(python3 "$APM_SOURCE_ROOT/tests/dbus/notify-run.py" "$T/daemon.log" 30 -- \
		"$APMATRIXD" --state-dir "$STATE_DIR" --config /dev/null "$@") || bail "apmatrixd did not start"
}

# SIGTERM, then wait until it is gone (it exits 0 after finishing its batch).
apm_daemon_stop() {
	[ -n "${APM_DAEMON_PID:-}" ] || return 0
	python3 - "$APM_DAEMON_PID" <<'PY'
import os, select, signal, sys
pid = int(sys.argv[1])
try:
    fd = os.pidfd_open(pid)
except ProcessLookupError:
    sys.exit(0)
os.kill(pid, signal.SIGTERM)
select.select([fd], [], [], 30)
PY
	APM_DAEMON_PID=
}

# Wait until PID is gone (on its pidfd, up to 30 s); status 1 if it is not.
apm_wait_gone() {
	python3 - "$1" <<'PY'
import os, select, sys
try:
    fd = os.pidfd_open(int(sys.argv[1]))
except ProcessLookupError:
    sys.exit(0)
sys.exit(0 if select.select([fd], [], [], 30)[0] else 1)
PY
}

# kill -9 the daemon, as a crash would, and wait until it is gone.
apm_daemon_kill9() {
	[ -n "${APM_DAEMON_PID:-}" ] || return 0
	kill -KILL "$APM_DAEMON_PID" 2>/dev/null || true
	apm_wait_gone "$APM_DAEMON_PID"
	APM_DAEMON_PID=
}

# call METHOD ARG... : dbus-send to the Manager. On success the reply body is
# on stdout (strings unquoted, one per line); on failure "ERROR name: message"
# and status 1.
call() {
	m=$1
	shift
	apm_dbus_send "" "$m" "$@"
}
call_as_nobody() {
	m=$1
	shift
	apm_dbus_send nobody "$m" "$@"
}
apm_dbus_send() {
	who=$1
	m=$2
	shift 2
	if [ -n "$who" ]; then
		set -- setpriv --reuid="$who" --regid=nogroup --clear-groups \
			dbus-send --system --print-reply --reply-timeout=30000 --dest=org.apmatrix1 \
			/org/apmatrix1 "org.apmatrix1.Manager.$m" "$@"
	else
		set -- dbus-send --system --print-reply --reply-timeout=30000 --dest=org.apmatrix1 \
			/org/apmatrix1 "org.apmatrix1.Manager.$m" "$@"
	fi
	if out=$("$@" 2>&1); then
		printf '%s\n' "$out" | sed -n -e 's/^   string "\(.*\)"$/\1/p' -e 's/^   object path "\(.*\)"$/\1/p'
		return 0
	fi
	printf '%s\n' "$out" | sed -n 's/^Error \(.*\)$/ERROR \1/p'
	return 1
}

# expect_error NAME DESCRIPTION METHOD ARG... : the call fails with NAME.
expect_error() {
	name=$1
	desc=$2
	shift 2
	if out=$(call "$@"); then
		not_ok "$desc (succeeded: $out)"
		return
	fi
	case "$out" in
	"ERROR $name:"*) ok "$desc: ${out#ERROR }" ;;
	*) not_ok "$desc (got: $out, want $name)" ;;
	esac
}

state() { call GetState; }
# same_snapshot BEFORE: compare with now, show the difference on failure.
same_snapshot() {
	now=$(snapshot)
	[ "$now" = "$1" ] && return 0
	printf '%s\n' "$1" >"$T/snap.before"
	printf '%s\n' "$now" >"$T/snap.after"
	diff -u "$T/snap.before" "$T/snap.after" | head -n 40 | sed 's/^/# /' >&2
	return 1
}
# The daemon's view without counters and without what the kernel derives on its own
# (guest matrices, queue status: apsim filters asynchronously), plus the
# kernel's matrices and masks and the stored definitions, to prove "unchanged".
snapshot() {
	state | jq -S 'del(.stats) | del(.store.health, .store.journal_pending, .store.recovery) | del(.host.adapters[].queues[].status) | del(.devices[].guest_matrix, .devices[].guest_adapters, .devices[].guest_domains, .devices[].guest_control_domains, .devices[].state)'
	for f in "$SYSFS_ROOT/bus/ap/apmask" "$SYSFS_ROOT/bus/ap/aqmask" \
		"$SYSFS_ROOT"/devices/vfio_ap/matrix/*-*-*-*-*/matrix; do
		[ -e "$f" ] && printf '%s: %s\n' "${f#"$SYSFS_ROOT"/}" "$(tr '\n' ' ' <"$f")"
	done
	ls "$STATE_DIR/devices" 2>/dev/null
}

# Signals of org.apmatrix1 as dbus-monitor prints them, into $T/signals.
# monitor_start waits until the monitor is connected; wait_signal PATTERN
# blocks (up to 20 s) until a line matching PATTERN arrives after the mark.
monitor_start() {
	: >"$T/signals"
	dbus-monitor --system "type='signal',sender='org.apmatrix1'" \
		"type='signal',member='NameAcquired'" >"$T/signals" 2>&1 &
	APM_MONITOR_PID=$!
	timeout 10 sh -c "tail -n +1 -f '$T/signals' | grep -q -m1 NameAcquired" ||
		bail "dbus-monitor did not connect"
}
monitor_mark() { APM_MARK=$(wc -l <"$T/signals"); }
wait_signal() {
	timeout 20 sh -c "tail -n +$((APM_MARK + 1)) -f '$T/signals' | grep -q -m1 -- '$1'"
}
monitor_stop() {
	[ -n "${APM_MONITOR_PID:-}" ] && kill "$APM_MONITOR_PID" 2>/dev/null || true
	APM_MONITOR_PID=
}
