#!/bin/sh
# Cross-process libvirt events: an unprivileged session libvirtd in a private
# network namespace serves test:///default, and the follower test drives and
# watches it over test+unix://. libvirtd --daemon returns once its socket
# listens, so nothing here waits on time.
set -eu
test_bin=$1

command -v libvirtd >/dev/null || { echo "libvirtd missing: install libvirt-daemon"; exit 1; }
[ "$(id -u)" -eq 0 ] || { echo "needs root to drop to an unprivileged session user"; exit 77; }

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
	setpriv --reuid=nobody --regid=nogroup --clear-groups \
		env -i PATH="$PATH" HOME="$tmp" XDG_RUNTIME_DIR="$tmp/run" \
		XDG_CONFIG_HOME="$tmp/config" XDG_CACHE_HOME="$tmp/cache" XDG_DATA_HOME="$tmp/data" \
		"$@"
}

as_nobody mkdir -p "$tmp/run" "$tmp/config" "$tmp/cache" "$tmp/data"
chmod 0700 "$tmp/run"
if ! as_nobody libvirtd --daemon --timeout 60 --pid-file "$tmp/libvirtd.pid" 2>"$tmp/err"; then
	echo "session libvirtd did not start:"
	cat "$tmp/err"
	exit 1
fi
sock="$tmp/run/libvirt/libvirt-sock"
[ -S "$sock" ] || { echo "libvirtd reported ready but $sock is missing"; exit 1; }

as_nobody env APM_TEST_LIBVIRT_URI="test+unix:///default?socket=$sock" "$test_bin"
