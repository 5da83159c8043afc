#!/bin/sh
# Cross-process libvirt events: an unprivileged session libvirtd in a private
# network namespace serves test:///default, and the follower test drives and
# watches it over test+unix://, including libvirtd going away and coming
# back. libvirtd --daemon returns once its socket listens, so nothing here
# waits on time.
#
#   session-libvirtd.sh TEST-BINARY       run the test (as root)
#   session-libvirtd.sh --start|--stop DIR   used by the test, as the session user
set -eu

# The session user's environment, all inside DIR.
session_env() {
	echo "PATH=$PATH HOME=$1 XDG_RUNTIME_DIR=$1/run XDG_CONFIG_HOME=$1/config" \
		"XDG_CACHE_HOME=$1/cache XDG_DATA_HOME=$1/data"
}

start_libvirtd() {
	# shellcheck disable=SC2046
	env -i $(session_env "$1") libvirtd --daemon --timeout 120 --pid-file "$1/libvirtd.pid" \
		2>"$1/err"
}

stop_libvirtd() {
	pid=$(cat "$1/libvirtd.pid")
	kill "$pid"
	# tail --pid returns when the process is gone: an event, not a timeout.
	tail --pid="$pid" -f /dev/null
}

case "${1:-}" in
--start)
	start_libvirtd "$2"
	exit
	;;
--stop)
	stop_libvirtd "$2"
	exit
	;;
esac

test_bin=$1
command -v libvirtd >/dev/null || { echo "libvirtd missing: install libvirt-daemon"; exit 1; }
command -v setpriv >/dev/null || { echo "setpriv missing: install util-linux"; exit 1; }
[ "$(id -u)" -eq 0 ] || { echo "1..0 # SKIP needs root to drop to an unprivileged session user"; exit 0; }

if [ -z "${APM_IN_NETNS:-}" ]; then
	exec env APM_IN_NETNS=1 unshare -n "$0" "$@"
fi

tmp=$(mktemp -d /tmp/apm-libvirtd.XXXXXX)
chmod 0755 "$tmp"
chown nobody "$tmp"
cleanup() {
	if [ -s "$tmp/libvirtd.pid" ]; then
		kill "$(cat "$tmp/libvirtd.pid")" 2>/dev/null || true
	fi
	rm -rf "$tmp"
}
trap cleanup EXIT

as_nobody() {
	setpriv --reuid=nobody --regid=nogroup --clear-groups "$@"
}

as_nobody mkdir -p "$tmp/run" "$tmp/config" "$tmp/cache" "$tmp/data"
chmod 0700 "$tmp/run"
if ! as_nobody "$0" --start "$tmp"; then
	echo "session libvirtd did not start:"
	cat "$tmp/err"
	exit 1
fi
sock="$tmp/run/libvirt/libvirt-sock"
[ -S "$sock" ] || { echo "libvirtd reported ready but $sock is missing"; exit 1; }

# shellcheck disable=SC2046
as_nobody env -i $(session_env "$tmp") APM_TEST_LIBVIRT_URI="test+unix:///default?socket=$sock" \
	APM_TEST_LIBVIRT_STOP="$0 --stop $tmp" APM_TEST_LIBVIRT_START="$0 --start $tmp" "$test_bin"
