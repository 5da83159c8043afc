#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The libvirt hook, invoked exactly as libvirt invokes
# /etc/libvirt/hooks/qemu.d/50-apmatrix (GUEST OP SUBOP EXTRA, domain XML on
# stdin), against apmatrixd driving apsim. Run as root under unshare -m -n.
. "$APM_SOURCE_ROOT/tests/client/e2e-env.sh" "$0" "$@"
e2e_start
A=$APCTL

# The installed hook execs the installed apctl; run the built script with the
# built apctl in its place, so the script itself is what is tested.
HOOK=$T/50-apmatrix
sed "s|^exec .*/apctl hook|exec $APCTL hook|" "$HOOK_SCRIPT" >"$HOOK"
chmod 755 "$HOOK"
check "the hook script execs apctl hook with libvirt's arguments" \
	grep -q "^exec $APCTL hook -- \"\$@\"$" "$HOOK"

domain_xml() { # NAME UUID...
	local name=$1
	shift
	echo "<domain type='kvm' id='7'><name>$name</name>"
	echo "<uuid>c7a5fdbd-edaf-9455-926a-d65c16db1809</uuid><devices>"
	echo "<disk type='file' device='disk'><source file='/var/lib/libvirt/images/$name.qcow2'/></disk>"
	for u in "$@"; do
		echo "<hostdev mode='subsystem' type='mdev' model='vfio-ap' managed='no'>"
		echo "<source><address uuid='$u'/></source><alias name='hostdev0'/></hostdev>"
	done
	echo "</devices></domain>"
}

# hook_expect RC PATTERN GUEST OP SUBOP [UUID...]: as libvirt runs it.
hook_expect() {
	local want=$1 pattern=$2 guest=$3 op=$4 subop=$5 rc lines
	shift 5
	domain_xml "$guest" "$@" | "$HOOK" "$guest" "$op" "$subop" - >"$T/out" 2>"$T/err"
	rc=$?
	lines=$(wc -l <"$T/err")
	if { [ "$want" -eq 0 ] && [ "$rc" -eq 0 ] && [ "$lines" -eq 0 ]; } ||
		{ [ "$want" -ne 0 ] && [ "$rc" -eq "$want" ] && [ "$lines" -eq 1 ] &&
			grep -q -- "$pattern" "$T/err"; }; then
		ok "hook $guest $op $subop -> $rc${pattern:+: $(cat "$T/err")}"
	else
		not_ok "hook $guest $op $subop: want $want /$pattern/, got $rc"
		diag_lines "$T/err"
	fi
}

state_of() {
	"$A" --json show "$1" | jfield state
}

mdev_exists() {
	test -d "$SYSFS_ROOT/devices/vfio_ap/matrix/$1"
}

# --- a defined device is started for its guest and stopped after it ---------
H1=$("$A" define --adapters 2 --domains 3 --guest vm3)
hook_expect 0 "" vm3 prepare begin "$H1"
check "prepare begin started H1 with 02.0003 in the kernel" \
	test "$(state_of "$H1")" = active -a "$(kernel_matrix "$H1")" = "02.0003 "
check "the hook recorded that it started H1 for vm3" \
	test "$(cat "$APCTL_HOOK_STATE_DIR/$H1")" = vm3
for step in "start begin" "started begin" "stopped end"; do
	# shellcheck disable=SC2086
	hook_expect 0 "" vm3 $step "$H1"
done
sim_ctl guest start vm3 "$H1" vcpus=2
check "QEMU (apsim) opened H1: the guest has 02.0003" \
	test "$(tr '\n' ' ' <"$SYSFS_ROOT/devices/vfio_ap/matrix/$H1/guest_matrix")" = "02.0003 "
"$A" status >/dev/null # GetState reads which devices a guest holds
check "H1 is in-use while QEMU holds it" test "$(state_of "$H1")" = in-use
unchanged_by 3 "in use by a guest" stop "$H1"
sim_ctl guest stop vm3
hook_expect 0 "" vm3 release end "$H1"
check "release end stopped H1 (defined, mdev gone, record gone)" \
	sh -c "test \"\$('$A' --json show '$H1' | python3 -c 'import json,sys; print(json.load(sys.stdin)[\"state\"])')\" = defined" -a ! -e "$SYSFS_ROOT/devices/vfio_ap/matrix/$H1" \
	-a ! -e "$APCTL_HOOK_STATE_DIR/$H1"

# --- a device that was already running stays running ------------------------
H2=$("$A" define --adapters 3 --domains 0-1 --guest vm4)
"$A" start "$H2" >/dev/null
hook_expect 0 "" vm4 prepare begin "$H2"
check "no record for a device the hook did not start" test ! -e "$APCTL_HOOK_STATE_DIR/$H2"
hook_expect 0 "" vm4 release end "$H2"
check "release end left the admin's running H2 alone" \
	test "$(state_of "$H2")" = active -a "$(kernel_matrix "$H2")" = "03.0000 03.0001 "

# --- conflicts: one line, non-zero, nothing started ---------------------------
H3=$("$A" define --adapters 2 --domains 6 --guest vmX)
before=$(apctl_snapshot)
hook_expect 3 "belongs to guest vmX" vmY prepare begin "$H3"
check "H3 not started for the wrong guest" test "$before" = "$(apctl_snapshot)"

H4=$("$A" define --adapters 3 --domains 1 --guest vm5)
before=$(apctl_snapshot)
hook_expect 3 "03.0001.*$H2" vm5 prepare begin "$H4"
check "H4 (sharing 03.0001 with running H2) not started, no record" \
	test "$before" = "$(apctl_snapshot)" -a ! -e "$APCTL_HOOK_STATE_DIR/$H4"

before=$(apctl_snapshot)
hook_expect 3 "only one" vm6 prepare begin "$H1" "$H3"
hook_expect 1 "99999999-8888-7777-6666-555555555555 is not defined" vm6 prepare begin \
	99999999-8888-7777-6666-555555555555
check "refused starts changed nothing" test "$before" = "$(apctl_snapshot)"

# --- a device only mdevctl knows is defined for the guest and started ----------
H5=55555555-6666-7777-8888-999999999999
printf '{"mdev_type": "vfio_ap-passthrough", "start": "manual", "attrs": [{"assign_adapter": "2"}, {"assign_domain": "0x9"}]}\n' \
	>"$APCTL_MDEVCTL_DIR/$H5"
hook_expect 0 "" vm7 prepare begin "$H5"
"$A" --json show "$H5" >"$T/h5.json"
check "H5 defined from mdevctl's file for vm7 and started with 02.0009" \
	test "$(jfield guest <"$T/h5.json")" = vm7 -a "$(jfield state <"$T/h5.json")" = active \
	-a "$(kernel_matrix "$H5")" = "02.0009 "
hook_expect 0 "" vm7 release end "$H5"
check "and stopped again at release" sh -c "! test -d '$SYSFS_ROOT/devices/vfio_ap/matrix/$H5'"

# --- a device defined without a guest is bound to the one that starts it ------
H6=$("$A" define --adapters 2 --domains 10)
H7=$("$A" define --adapters 2 --domains 11 --guest vm8)
before=$(apctl_snapshot)
hook_expect 3 "guest vm8 already has device $H7" vm8 prepare begin "$H6"
check "a second device for vm8 was refused and left unbound" \
	test "$before" = "$(apctl_snapshot)" -a "$("$A" --json show "$H6" | jfield guest)" = ""
hook_expect 0 "" vm9 prepare begin "$H6"
check "H6 is now vm9's and running" \
	test "$("$A" --json show "$H6" | jfield guest)" = vm9 -a "$(kernel_matrix "$H6")" = "02.000a "
hook_expect 0 "" vm9 release end "$H6"

# --- the hook cannot record what it started: it says so and undoes the start --
H8=$("$A" define --adapters 2 --domains 12 --guest vm10)
before=$(apctl_snapshot)
: >"$T/not-a-dir"
APCTL_HOOK_STATE_DIR=$T/not-a-dir/hook
export APCTL_HOOK_STATE_DIR
hook_expect 1 "cannot record in $T/not-a-dir/hook that $H8 was started" vm10 prepare begin "$H8"
APCTL_HOOK_STATE_DIR=$T/hook
check "and stopped H8 again" test "$before" = "$(apctl_snapshot)"

# --- another manager's mdev: the guest gets it as it is, never changed ---------
H9=99999999-aaaa-4bbb-8ccc-dddddddddddd
M=$SYSFS_ROOT/devices/vfio_ap/matrix
monitor_start
monitor_mark
echo "$H9" >"$M/mdev_supported_types/vfio_ap-passthrough/create"
echo 2 >"$M/$H9/assign_adapter"
echo 13 >"$M/$H9/assign_domain"
check "the daemon sees the foreign mdev H9" wait_signal "$H9.*02.000d\|$H9.*\[13\]"
hook_expect 0 "" vm11 prepare begin "$H9"
check "H9 stays foreign, its matrix unchanged" \
	test "$("$A" --json show "$H9" | jq -c '[.foreign, .defined]')" = '[true,false]' \
	-a "$(kernel_matrix "$H9")" = "02.000d "
hook_expect 0 "" vm11 release end "$H9"
check "and is not stopped at release" test -d "$M/$H9"
monitor_stop

# --- guests without vfio-ap devices, other operations ------------------------
hook_expect 0 "" plain prepare begin
before=$(apctl_snapshot)
for step in "migrate begin" "restore begin" "reconnect begin" "attach begin" "prepare end" "release begin"; do
	# shellcheck disable=SC2086
	hook_expect 0 "" vm3 $step "$H1"
done
check "other operations changed nothing" test "$before" = "$(apctl_snapshot)"

tap_done
