#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# The daemon follows libvirt (test driver, node file whose domains run): a
# device whose mdev a running guest holds is in-use, named after the guest,
# and cannot be stopped under it. A foreign mdev (no definition anywhere)
# that a libvirt domain uses shows owner libvirt.
. "$APM_SOURCE_ROOT/tests/dbus/lib.sh"
apm_enter_ns "$0" "$@"
apm_setup
export APMATRIXD_MDEVCTL_DIR="$T/mdevctl.d"
apm_sim_start
apm_bus_start

U1=cccccccc-1111-4000-8000-000000000001
UL=cccccccc-1111-4000-8000-0000000000ee
cat >"$T/node.xml" <<XML
<node><cpu><nodes>1</nodes><sockets>1</sockets><cores>1</cores><threads>1</threads>
<active>1</active><mhz>1000</mhz><model>s390x</model></cpu><memory>4194304</memory>
<domain type='test'><name>apguest</name><memory>1048576</memory><os><type>hvm</type></os>
<devices><hostdev mode='subsystem' type='mdev' model='vfio-ap'><source>
<address uuid='$U1'/></source></hostdev></devices></domain>
<domain type='test'><name>lvguest</name><memory>1048576</memory><os><type>hvm</type></os>
<devices><hostdev mode='subsystem' type='mdev' model='vfio-ap'><source>
<address uuid='$UL'/></source></hostdev></devices></domain>
<domain type='test'><name>plain</name><memory>1024</memory><os><type>hvm</type></os></domain>
</node>
XML
apm_daemon_start --libvirt-uri "test://$T/node.xml"
field() { state | jq -c "$1"; }


call Reserve string:domain array:uint32:0,1 uint64:0 >/dev/null
call DefineDevice string:$U1 string:'{"adapters":[2],"domains":[0]}' uint64:0 >/dev/null
check "libvirt's guest is the device's guest" \
	test "$(field ".devices[] | select(.uuid==\"$U1\") | [.guest, .guest_state]")" = '["apguest","running"]'
check "a defined device of a running guest is not in-use before it is active" \
	test "$(field ".devices[] | select(.uuid==\"$U1\") | .state")" = '"defined"'
call StartDevice string:$U1 uint64:0 >/dev/null
check "once active it is in-use (the guest runs)" \
	test "$(field ".devices[] | select(.uuid==\"$U1\") | .state")" = '"in-use"'
check "GetState lists the guest" test "$(field '.guests[0] | [.name, .state]')" = '["apguest","running"]'
path=$(call GetDevice string:$U1)
check "Device.Guest names the libvirt domain" \
	sh -c "busctl --system get-property org.apmatrix1 '$path' org.apmatrix1.Device Guest | grep -q apguest"
expect_error org.apmatrix1.Error.Busy "no StopDevice under a running guest" StopDevice string:$U1 uint64:0

# An mdev libvirt's guest uses, made without any definition (as nodedev-create
# does through "mdevctl start"): foreign, owner libvirt.
monitor_start
monitor_mark
echo "$UL" >"$SYSFS_ROOT/devices/vfio_ap/matrix/mdev_supported_types/vfio_ap-passthrough/create"
check "the transient mdev is announced" wait_signal "$UL"
check "foreign, owner libvirt, the guest named" \
	test "$(field ".devices[] | select(.uuid==\"$UL\") | [.owner, .foreign, .guest]")" = '["libvirt",true,"lvguest"]'
if out=$(call StopDevice string:$UL uint64:0); then
	not_ok "StopDevice of libvirt's mdev succeeded: $out"
else
	case "$out" in
	"ERROR org.apmatrix1.Error.Foreign:"*"owner libvirt, libvirt guest lvguest, in use by a guest"*)
		ok "StopDevice of it is refused naming libvirt and the guest: ${out#ERROR }" ;;
	*) not_ok "StopDevice of libvirt's mdev (got: $out)" ;;
	esac
fi
monitor_stop
tap_done
