#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# The kernel probe on each kernel level apsim presents (topology "kernel"):
# GetState's kernel features and known bugs, apctl status, and a change on
# a running device goes through the interface the planner picks from them
# (single-id writes on 6.1, ap_config on 6.10-6.19, ap_config_batch on this
# driver). Then boot ordering: a cold-plugged host whose queues are not bound
# yet; autostart waits for the AP bus's BINDINGS=complete (or its
# bindings_complete_count on 6.19), and for its timeout when it never comes.
. "$APM_SOURCE_ROOT/tests/dbus/lib.sh"
apm_enter_ns "$0" "$@"
apm_setup
apm_bus_start
APCTL=$APM_BUILD_ROOT/client/apctl
U=cccccccc-0000-4000-8000-000000000001
MATRIX_REL=devices/vfio_ap/matrix

# The default host of apsim, at kernel level $1, extra fields $2.
topology() {
	cat >"$T/topo.json" <<JSON
{ "kernel": "$1", "max_domain_id": 84, "domains": "0-15", "apmask": "0-1",
  "adapters": [ { "id": 0, "type": "CEX8", "mode": "cca" },
                { "id": 1, "type": "CEX8", "mode": "ep11" },
                { "id": 2, "type": "CEX7", "mode": "cca" },
                { "id": 3, "type": "CEX7", "mode": "accel" } ]$2 }
JSON
}
field() { state | jq -c "$1"; }
writes() { sim_stats | jq ".writes[\"$1\"] // 0"; }

# level, expected features, expected write interface, writes counter that a change bumps
for row in \
	'6.1|["bindings","apsb"]|single|assign_domain' \
	'6.10|["ap_config","bindings","apsb"]|ap_config|ap_config' \
	'6.12|["matrix_features","ap_config","bindings","apsb"]|ap_config|ap_config' \
	'6.15|["matrix_features","ap_config","guest_notification","bindings","apsb"]|ap_config|ap_config' \
	'6.19|["matrix_features","ap_config","guest_notification","bindings","bindings_complete_count","driver_override","apsb","se_bind"]|ap_config|ap_config' \
	'apmatrix|["matrix_features","ap_config","ap_config_batch","guest_notification","bindings","apsb"]|ap_config_batch|ap_config_batch'; do
	IFS='|' read -r level feats iface counter <<EOF
$row
EOF
	extra=
	[ "$level" = 6.19 ] && extra=', "se": true'
	topology "$level" "$extra"
	rm -rf "$STATE_DIR"
	apm_sim_start "$T/topo.json"
	rm -f "$T/daemon.log"
	apm_daemon_start
	check "$level: kernel release from the simulated host" \
		test "$(field .kernel.release)" = "\"$(cat "$SYSFS_ROOT/kernel/osrelease")\""
	got=$(field .kernel.features)
	if [ "$got" = "$feats" ]; then ok "$level: features $got"; else not_ok "$level: features $got, want $feats"; fi
	check "$level: the planner's interface is $iface" test "$(field .host.write_interface)" = "\"$iface\""
	nbugs=$(field '.kernel.known_bugs | length')
	if [ "$level" = apmatrix ]; then
		check "$level: no vfio_ap bug applies to this driver" test "$nbugs" -eq 0
	else
		check "$level: known kernel bugs listed ($nbugs)" test "$nbugs" -gt 0
		check "$level: and logged as warnings" grep -q "has a known bug" "$T/daemon.log"
		check "$level: apctl status shows them" sh -c "'$APCTL' status | grep -q 'Known kernel bugs:'"
	fi
	check "$level: apctl status shows the kernel" \
		sh -c "'$APCTL' status | grep -q 'Kernel: .*$(cat "$SYSFS_ROOT/kernel/osrelease")'"
	check "$level: apctl status --json has kernel and autostart" \
		sh -c "'$APCTL' --json status | jq -e '.kernel.release and .autostart.state' >/dev/null"
	# A change on a running device takes the path the planner picked.
	call DefineDevice string:$U string:'{"adapters":[2],"domains":[0]}' uint64:0 >/dev/null
	call StartDevice string:$U uint64:0 >/dev/null
	sim_ctl "guest start vm1 $U vcpus=1"
	before=$(writes "$counter")
	single_before=$(writes assign_domain)
	check "$level: Assign on a running guest" call Assign string:$U string:domain array:uint32:1 uint64:0
	after=$(writes "$counter")
	check "$level: it was written with $counter ($before -> $after)" test "$after" -gt "$before"
	if [ "$counter" != assign_domain ]; then
		check "$level: and no single-id write" test "$(writes assign_domain)" -eq "$single_before"
	fi
	check "$level: the kernel has the new matrix" \
		test "$(tr '\n' ' ' <"$SYSFS_ROOT/$MATRIX_REL/$U/matrix")" = "02.0000 02.0001 "
	sim_ctl "guest stop vm1"
	apm_daemon_stop
	apm_sim_stop
done

# Boot ordering: the host comes up with its queues unbound, the daemon
# starts with an autostart definition; the device starts only once the AP
# bus reports its bindings complete.
define_autostart() {
	rm -rf "$STATE_DIR"
	mkdir -p "$STATE_DIR/devices"
	cat >"$STATE_DIR/devices/$U.json" <<JSON
{"version":1,"uuid":"$U","autostart":true,"guest":"","adapters":[2],"domains":[0],"control_domains":[]}
JSON
}
for level in 6.12 6.19; do
	topology "$level" ', "bindings_held": true'
	define_autostart
	apm_sim_start "$T/topo.json"
	monitor_start
	monitor_mark
	rm -f "$T/daemon.log"
	apm_daemon_start
	check "$level cold plug: the bus has not bound its queues" \
		sh -c "grep -qv complete '$SYSFS_ROOT/bus/ap/bindings'"
	check "$level cold plug: autostart is waiting" test "$(field .autostart.state)" = '"waiting"'
	check "$level cold plug: the device is not started" test ! -e "$SYSFS_ROOT/$MATRIX_REL/$U"
	check "$level cold plug: the daemon says why" grep -q "waits for the AP bus to bind its queues" "$T/daemon.log"
	check "$level cold plug: apctl status says so" sh -c "'$APCTL' status | grep -q 'Autostart: *waiting'"
	sim_ctl "bus bind"
	check "$level cold plug: the autostart batch runs after BINDINGS=complete" wait_signal "BatchApplied"
	check "$level cold plug: the device is started" test -d "$SYSFS_ROOT/$MATRIX_REL/$U"
	check "$level cold plug: with its matrix" \
		test "$(tr '\n' ' ' <"$SYSFS_ROOT/$MATRIX_REL/$U/matrix")" = "02.0000 "
	reason=$(field .autostart.reason)
	diag "$level: autostart reason $reason after $(field .autostart.waited_usec) us"
	case "$level:$reason" in
	6.19:'"bindings_complete_count"' | *:'"BINDINGS=complete"' | 6.12:'"bindings complete"')
		ok "$level cold plug: released by the bus ($reason)" ;;
	*) not_ok "$level cold plug: released by $reason" ;;
	esac
	check "$level cold plug: autostart done" test "$(field .autostart.state)" = '"done"'
	check "$level cold plug: logged" grep -q "AP bus bindings complete" "$T/daemon.log"
	if [ "$level" = 6.19 ]; then
		# A restart after the bus completed: bindings_complete_count says so at once.
		apm_daemon_stop
		echo 1 >"$SYSFS_ROOT/$MATRIX_REL/$U/remove"
		monitor_mark
		apm_daemon_start
		check "6.19 restart: autostart at once" wait_signal "BatchApplied"
		check "6.19 restart: because bindings_complete_count > 0" \
			test "$(field .autostart.reason)" = '"bindings_complete_count"'
		check "6.19 restart: the device is started" test -d "$SYSFS_ROOT/$MATRIX_REL/$U"
	fi
	monitor_stop
	apm_daemon_stop
	apm_sim_stop
done

# The vfio_ap module is loaded after the daemon started (modprobe late in
# boot): the queues meant for guests stay unbound until it is there; the
# daemon probes again when the matrix device appears and autostarts then.
topology apmatrix ', "vfio_ap": false'
define_autostart
apm_sim_start "$T/topo.json"
monitor_start
monitor_mark
rm -f "$T/daemon.log"
apm_daemon_start
check "late vfio_ap: no driver yet" test "$(field .kernel.vfio_ap_driver)" = '"none"'
check "late vfio_ap: the planner would write single ids" test "$(field .host.write_interface)" = '"single"'
check "late vfio_ap: nothing to autostart into" test "$(field .autostart.state)" = '"no matrix device"'
sim_ctl "driver vfio_ap load"
check "late vfio_ap: autostart once the driver is there" wait_signal "BatchApplied"
check "late vfio_ap: probed again: this driver" test "$(field .kernel.vfio_ap_driver)" = '"apmatrix"'
check "late vfio_ap: with ap_config_batch" test "$(field .host.write_interface)" = '"ap_config_batch"'
check "late vfio_ap: the device is started" test -d "$SYSFS_ROOT/$MATRIX_REL/$U"
check "late vfio_ap: the new capabilities are logged" \
	test "$(grep -c "vfio_ap driver" "$T/daemon.log")" -ge 2
diag "late vfio_ap: autostart $(field .autostart.reason) after $(field .autostart.waited_usec) us"
monitor_stop
apm_daemon_stop
apm_sim_stop

# The bus never completes its bindings: autostart goes ahead after the
# timeout, with the bindings attribute (6.12) and with the count (6.19).
for level in 6.12 6.19; do
	topology "$level" ', "bindings_held": true'
	define_autostart
	apm_sim_start "$T/topo.json"
	monitor_start
	monitor_mark
	rm -f "$T/daemon.log"
	export APMATRIXD_BINDINGS_TIMEOUT_USEC=300000
	apm_daemon_start
	unset APMATRIXD_BINDINGS_TIMEOUT_USEC
	check "$level timeout: autostart runs without BINDINGS=complete" wait_signal "BatchApplied"
	check "$level timeout: the device is started" test -d "$SYSFS_ROOT/$MATRIX_REL/$U"
	check "$level timeout: the reason is the timeout" test "$(field .autostart.reason)" = '"timeout"'
	check "$level timeout: a warning says so" grep -q "did not report its bindings complete" "$T/daemon.log"
	monitor_stop
	apm_daemon_stop
	apm_sim_stop
done
tap_done
