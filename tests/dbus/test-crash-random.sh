#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# The random kill -9 campaign (crash-campaign.py): four clients change four
# running devices one request after the other while the daemon is killed at
# a random instant, then restarted, CRASH_TRIALS times (default 20; the bench
# command tests/bench/crash-campaign.sh runs 200). Each trial checks, from
# disk and the simulated kernel, that nothing acknowledged was lost and
# nothing is half-applied; the summary line gives the counts and the
# recovery time p50/p99.
. "$APM_SOURCE_ROOT/tests/dbus/lib.sh"
apm_enter_ns "$0" "$@"
apm_start_all

ids=$(seq -s, 16 47)
call Reserve string:domain array:uint32:$ids uint64:0 >/dev/null
uuids=
for i in 0 1 2 3; do
	u=eeeeeeee-0000-4000-8000-00000000000$i
	call DefineDevice string:$u string:"{\"adapters\":[2,3],\"domains\":[$((16 + 8 * i))]}" \
		uint64:0 >/dev/null
	call StartDevice string:$u uint64:0 >/dev/null
	uuids="$uuids $u"
done
apm_daemon_stop

export STATE_DIR SYSFS_ROOT APMATRIXD DAEMON_LOG="$T/daemon.log"
rc=0
# shellcheck disable=SC2086
python3 "$APM_SOURCE_ROOT/tests/dbus/crash-campaign.py" "${CRASH_TRIALS:-20}" \
	"${CRASH_SEED:-$$}" $uuids || rc=$?
APM_DAEMON_PID=$(cat "$T/daemon.pid" 2>/dev/null || true)
exit "$rc"
