#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# mdevctl against apsim: first the mdevctl-style flow by hand (UUID to
# create, ordered single writes, read back, remove), then the real mdevctl
# with the tree bind-mounted over /sys and a temp dir over /etc/mdevctl.d.
# Only ever inside a private mount namespace (unshare -m -n): mdevctl has no
# root override and would otherwise write the host's /etc/mdevctl.d.
set -u
: "${SRCDIR:?}" "${APSIM:?}"
. "$SRCDIR/tests/sim/apsim-env.sh"
. "$SRCDIR/tests/sim/tap.sh"

if [ "$(readlink /proc/self/ns/mnt)" = "$(readlink /proc/1/ns/mnt)" ]; then
	echo "Bail out! not in a private mount namespace: refusing to bind over /sys"
	exit 1
fi
command -v mdevctl >/dev/null || {
	echo "Bail out! mdevctl missing (Debian package mdevctl)"
	exit 1
}

apsim_start || exit 1
T=$(mktemp -d)
cleanup() {
	umount /etc/mdevctl.d 2>/dev/null
	umount /sys 2>/dev/null
	apsim_stop
	rm -rf "$T"
}
trap cleanup EXIT

echo "# the flow by hand"
M=$APSIM_ROOT/devices/vfio_ap/matrix
U=77777777-7777-4777-8777-777777777777
echo "$U" >"$M/mdev_supported_types/vfio_ap-passthrough/create"
is "create made the device" "$(test -d "$M/$U" && echo yes)" "yes"
for w in "assign_adapter 3" "assign_domain 4" "assign_domain 5" "assign_control_domain 4"; do
	echo "${w#* }" >"$M/$U/${w% *}"
done
is "matrix after ordered writes" "$(cat "$M/$U/matrix")" "03.0004
03.0005"
is "control domains" "$(cat "$M/$U/control_domains")" "0004"
echo 1 >"$M/$U/remove"
is "remove" "$(test -e "$M/$U" || echo gone)" "gone"

echo "# the real mdevctl, in this mount namespace only"
mkdir -p "$T/etc/scripts.d/callouts" "$T/etc/scripts.d/notifiers"
mount --bind "$APSIM_ROOT" /sys || exit 1
mount --bind "$T/etc" /etc/mdevctl.d || exit 1
is "mdevctl sees the parent and type" "$(mdevctl types | sed -n '1,2p' | tr -d ' ')" \
	"matrix
vfio_ap-passthrough"
U=66666666-6666-4666-8666-666666666666
mdevctl define -u $U -p matrix -t vfio_ap-passthrough
mdevctl modify -u $U --addattr=assign_adapter --value=2
mdevctl modify -u $U --addattr=assign_domain --value=5
mdevctl modify -u $U --addattr=assign_domain --value=0x6
mdevctl modify -u $U --addattr=assign_control_domain --value=5
is "definition stored in the temp /etc/mdevctl.d" \
	"$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["attrs"])' \
		"$T/etc/matrix/$U")" \
	"[{'assign_adapter': '2'}, {'assign_domain': '5'}, {'assign_domain': '0x6'}, {'assign_control_domain': '5'}]"
mdevctl start -u $U
is "mdevctl start: exit status" "$?" "0"
is "mdevctl start applied the attributes in order" "$(cat /sys/devices/vfio_ap/matrix/$U/matrix)" \
	"02.0005
02.0006"
is "mdevctl list shows it active" "$(mdevctl list -d | grep -c "$U .*(active)")" "1"
is "queue is assigned" "$(cat /sys/devices/ap/card02/02.0005/status)" "assigned"
# A definition the kernel refuses: mdevctl must report the errno.
U2=88888888-8888-4888-8888-888888888888
mdevctl define -u $U2 -p matrix -t vfio_ap-passthrough
mdevctl modify -u $U2 --addattr=assign_adapter --value=2
mdevctl modify -u $U2 --addattr=assign_domain --value=5
mdevctl start -u $U2 2>/dev/null
is "conflicting definition fails to start" "$?" "1"
is "and leaves no device behind" "$(test -e /sys/bus/mdev/devices/$U2 || echo gone)" "gone"
mdevctl stop -u $U
is "mdevctl stop: exit status" "$?" "0"
is "device removed" "$(ls /sys/bus/mdev/devices)" ""
is "nothing written to the host's /etc/mdevctl.d" \
	"$(nsenter -t 1 -m ls /etc/mdevctl.d/matrix 2>/dev/null | grep -c "$U")" "0"

tap_done
