# shellcheck shell=bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Run apsim from a test. Source this file, then:
#
#   APSIM=/path/to/build/kernel/sim/apsim   # meson: env : ['APSIM=' + apsim.full_path()]
#   apsim_start [--topology FILE.json]      # returns once the tree is mounted
#   trap apsim_stop EXIT
#   cat "$APSIM_ROOT/bus/ap/apmask"         # SYSFS_ROOT is exported too
#   apsim_ctl guest start g1 "$UUID" vcpus=2
#   apsim_stop                              # unmounts; returns after apsim exited
#
# Run the test as root inside `unshare -m -n` so that the mount and the
# uevents stay private. Nothing here sleeps: apsim daemonizes only after the
# mount is ready, and holds a lock on its pid file until it has exited.

apsim_start() {
	if [ -n "${APSIM_DIR:-}" ]; then
		echo "apsim_start: already running at $APSIM_ROOT" >&2
		return 1
	fi
	if [ -z "${APSIM:-}" ] || [ ! -x "$APSIM" ]; then
		echo "apsim_start: set APSIM to the apsim binary (got '${APSIM:-}')" >&2
		return 1
	fi
	command -v flock >/dev/null || {
		echo "apsim_start: flock missing (package util-linux)" >&2
		return 1
	}
	APSIM_DIR=$(mktemp -d "${TMPDIR:-/tmp}/apsim.XXXXXX") || return 1
	APSIM_ROOT="$APSIM_DIR/sys"
	mkdir "$APSIM_ROOT" || return 1
	if ! "$APSIM" "$APSIM_ROOT" --pid-file "$APSIM_DIR/pid" "$@" 2>>"$APSIM_DIR/log"; then
		echo "apsim_start: apsim failed:" >&2
		cat "$APSIM_DIR/log" >&2
		rm -rf "$APSIM_DIR"
		unset APSIM_DIR APSIM_ROOT
		return 1
	fi
	APSIM_PID=$(cat "$APSIM_DIR/pid")
	SYSFS_ROOT="$APSIM_ROOT"
	export APSIM_DIR APSIM_ROOT APSIM_PID SYSFS_ROOT
}

# One command per call, as sim/ctl wants it; fails with apsim's errno message.
apsim_ctl() {
	printf '%s\n' "$*" >"$APSIM_ROOT/sim/ctl"
}

apsim_stats() {
	cat "$APSIM_ROOT/sim/stats.json"
}

# apsim's stderr so far (for failure messages).
apsim_log() {
	[ -n "${APSIM_DIR:-}" ] && cat "$APSIM_DIR/log"
}

apsim_stop() {
	[ -n "${APSIM_DIR:-}" ] || return 0
	kill -TERM "$APSIM_PID" 2>/dev/null
	# apsim holds this lock until it exits: waiting for it needs no polling.
	flock "$APSIM_DIR/pid" true
	# Normally apsim unmounted itself; a crashed one leaves the mount behind.
	if grep -q " $APSIM_ROOT fuse" /proc/self/mounts; then
		umount -l "$APSIM_ROOT"
	fi
	# Whatever apsim said (warnings, sanitizer reports) goes into the test log;
	# a sanitizer report fails the TAP stream.
	local rc=0
	if [ -s "$APSIM_DIR/log" ]; then
		sed 's/^/# apsim: /' "$APSIM_DIR/log" >&2
		if grep -qE 'ERROR: [A-Za-z]+Sanitizer|runtime error:' "$APSIM_DIR/log"; then
			echo "Bail out! apsim reported a sanitizer error (its log is above)"
			rc=1
		fi
	fi
	rm -rf "$APSIM_DIR"
	unset APSIM_DIR APSIM_ROOT APSIM_PID SYSFS_ROOT
	return $rc
}
