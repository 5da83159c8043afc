#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# apsim against docs/sysfs-contract.md, driven as an administrator drives
# /sys: printf/cat in shell, errors as the shell reports them. Every row of
# the contract's tables, the errno cases, the octal quirk, short-mask
# padding, ap_config with and without the final newline, mdev create/remove,
# the in_use refusal and hot plug. Root, inside `unshare -m -n`; TAP output.
set -u
: "${SRCDIR:?}" "${APSIM:?}"
. "$SRCDIR/tests/sim/apsim-env.sh"
. "$SRCDIR/tests/sim/tap.sh"

# The error text a write gets ("" on success), as bash prints it.
wr() {
	(printf '%s' "$2" >"$1") 2>&1 | sed 's/.*: //'
}
# wr_is DESC PATH VALUE EXPECTED-ERROR-TEXT
wr_is() {
	is "$1" "$(wr "$2" "$3")" "$4"
}
rd() {
	cat "$1" 2>&1
}

apsim_start || exit 1
trap apsim_stop EXIT
S=$APSIM_ROOT
B=$S/bus/ap
M=$S/devices/vfio_ap/matrix
T=$M/mdev_supported_types/vfio_ap-passthrough
ONES=$(printf 'f%.0s' $(seq 64))
ZEROS60=$(printf '0%.0s' $(seq 60))
EINVAL="Invalid argument"
EBUSY="Device or resource busy"
ENODEV="No such device"
EADDRINUSE="Address already in use"
EADDRNOTAVAIL="Cannot assign requested address"
EEXIST="File exists"
EACCES="Permission denied"

echo "# 1. AP bus"
is "apmask default: host keeps all but adapters 2,3" "$(rd $B/apmask)" "0xcf${ONES:2}"
is "aqmask default all ones" "$(rd $B/aqmask)" "0x$ONES"
is "ap_max_adapter_id" "$(rd $B/ap_max_adapter_id)" "255"
is "ap_max_domain_id" "$(rd $B/ap_max_domain_id)" "84"
is "ap_adapter_mask: 8 groups of %08x" "$(rd $B/ap_adapter_mask)" "0xf${ZEROS60}000"
is "ap_usage_domain_mask" "$(rd $B/ap_usage_domain_mask)" "0xffff${ZEROS60}"
is "ap_control_domain_mask" "$(rd $B/ap_control_domain_mask)" "0xffff${ZEROS60}"
is "features" "$(rd $B/features)" "APSC APXA QACT RC8A APSB"
is "bindings complete" "$(rd $B/bindings)" "64/64 (complete)"
is "scans: a number" "$(rd $B/scans | grep -cE '^[0-9]+$')" "1"
is "config_time: a number" "$(rd $B/config_time | grep -cE '^[0-9]+$')" "1"
SCANS=$(rd $B/scans)
wr_is "ap_max_adapter_id is read-only" $B/ap_max_adapter_id 5 "$EACCES"

# Short absolute masks are zero-padded on the right: 0x8 is domain 0 alone.
wr_is "aqmask absolute short form" $B/aqmask $'0x8\n' ""
is "aqmask padded on the right" "$(rd $B/aqmask)" "0x8${ZEROS60}000"
is "00.0001 left the host" "$(readlink $S/devices/ap/card00/00.0001/driver)" \
	"../../../../bus/ap/drivers/vfio_ap"
is "00.0000 stays with the host" "$(readlink $S/devices/ap/card00/00.0000/driver)" \
	"../../../../bus/ap/drivers/cex4queue"
is "online while a host driver is bound" "$(rd $S/devices/ap/card00/00.0000/online)" "1"
is "no online under vfio_ap" "$(test -e $S/devices/ap/card00/00.0001/online || echo none)" "none"
wr_is "aqmask absolute without 0x, 64 digits" $B/aqmask "$ONES" ""
wr_is "aqmask 65 digits is EINVAL" $B/aqmask "0x${ONES}f" "$EINVAL"
wr_is "aqmask bad hex is EINVAL" $B/aqmask "0xg" "$EINVAL"
# Relative form: signed terms, base 0 numbers, later terms win.
wr_is "aqmask relative" $B/aqmask "-1-3,+2" ""
is "relative result" "$(rd $B/aqmask)" "0xa${ONES:1}"
wr_is "octal quirk: -010 is domain 8" $B/aqmask $'-010\n' ""
is "domain 8 cleared" "$(rd $B/aqmask)" "0xaf7${ONES:3}"
wr_is "decimal and hex terms" $B/aqmask "+1,+3,+8,-10,+0xa" ""
is "later terms win" "$(rd $B/aqmask)" "0x$ONES"
wr_is "relative term without sign is EINVAL" $B/aqmask "+1,2" "$EINVAL"
wr_is "relative id 256 is EINVAL" $B/aqmask "+256" "$EINVAL"
wr_is "relative range A > B is EINVAL" $B/aqmask "-5-3" "$EINVAL"
is "failed writes changed nothing" "$(rd $B/aqmask)" "0x$ONES"

echo "# 2. devices"
C=$S/devices/ap/card02
is "card hwtype (CEX7)" "$(rd $C/hwtype)" "13"
is "card config" "$(rd $C/config)" "1"
is "card chkstop" "$(rd $C/chkstop)" "0"
is "card raw_hwtype" "$(rd $C/raw_hwtype)" "13"
is "card depth: a number" "$(rd $C/depth | grep -cE '^[0-9]+$')" "1"
is "card ap_functions: 0x%08X" "$(rd $C/ap_functions | grep -cE '^0x[0-9A-F]{8}$')" "1"
is "card request_count" "$(rd $C/request_count)" "0"
is "queue config" "$(rd $C/02.0005/config)" "1"
is "queue chkstop" "$(rd $C/02.0005/chkstop)" "0"
is "queue reset" "$(rd $C/02.0005/reset)" "No Reset Timer set."
is "queue request_count" "$(rd $C/02.0005/request_count)" "0"
is "queue driver link" "$(readlink $C/02.0005/driver)" "../../../../bus/ap/drivers/vfio_ap"
is "card uevent" "$(rd $C/uevent)" "DEVTYPE=ap_card
DRIVER=cex4card
DEV_TYPE=000D
MODALIAS=ap:t0D
MODE=cca"
is "queue linked from bus/ap/devices" "$(readlink $S/bus/ap/devices/02.0005)" \
	"../../../devices/ap/card02/02.0005"
is "queue uevent" "$(rd $C/02.0005/uevent)" "DEVTYPE=ap_queue
DRIVER=vfio_ap
MODE=cca"
is "vfio queue status unassigned" "$(rd $C/02.0005/status)" "unassigned"
is "queue interrupt" "$(rd $C/02.0005/interrupt)" "Interrupts disabled."
is "queue count under card02" "$(ls -d $C/02.* | wc -l)" "16"
wr_is "queue online 0" $S/devices/ap/card00/00.0000/online 0 ""
is "queue offline" "$(rd $S/devices/ap/card00/00.0000/online)" "0"
wr_is "queue online 2 is EINVAL" $S/devices/ap/card00/00.0000/online 2 "$EINVAL"
wr_is "queue online 1" $S/devices/ap/card00/00.0000/online $'1\n' ""
apsim_ctl adapter 1 chkstop on
is "check-stopped card" "$(rd $S/devices/ap/card01/chkstop)" "1"
is "check-stopped queue" "$(rd $S/devices/ap/card01/01.0003/chkstop)" "1"
apsim_ctl adapter 1 chkstop off
is "check-stop ended" "$(rd $S/devices/ap/card01/chkstop)" "0"
wr_is "card config 0 (SCLP deconfigure)" $S/devices/ap/card01/config 0 ""
is "deconfigured card stays, config 0" "$(rd $S/devices/ap/card01/config)" "0"
is "its queues read config 0" "$(rd $S/devices/ap/card01/01.0003/config)" "0"
is "the adapter stays in the QCI" "$(rd $B/ap_adapter_mask)" "0xf${ZEROS60}000"
wr_is "card config 2 is EINVAL" $S/devices/ap/card01/config 2 "$EINVAL"
apsim_ctl adapter 1 config on
is "configured again" "$(rd $S/devices/ap/card01/config)$(rd $S/devices/ap/card01/01.0003/config)" "11"
is "config of a missing adapter is ENODEV" "$( (apsim_ctl adapter 9 config off) 2>&1 | sed 's/.*: //')" \
	"$ENODEV"
is "vfio_ap driver lists its queues (and bind, unbind)" "$(ls $S/bus/ap/drivers/vfio_ap | grep -c "^[0-9a-f][0-9a-f]\.")$(ls $S/bus/ap/drivers/vfio_ap | grep -c bind)" "322"

echo "# 3. matrix device and mdev life cycle"
U1=11111111-1111-4111-8111-111111111111
U2=22222222-2222-4222-8222-222222222222
U3=33333333-3333-4333-8333-333333333333
is "matrix features" "$(rd $M/features)" "guest_matrix hotplug ap_config ap_config_batch"
is "type name" "$(rd $T/name)" "VFIO AP Passthrough Device"
is "type device_api" "$(rd $T/device_api)" "vfio-ap"
is "available_instances starts at 65536" "$(rd $T/available_instances)" "65536"
is "class/mdev_bus/matrix" "$(readlink $S/class/mdev_bus/matrix)" "../../devices/vfio_ap/matrix"
wr_is "create with newline (37 bytes)" $T/create "$U1"$'\n' ""
wr_is "create without newline (36 bytes)" $T/create "$U2" ""
wr_is "duplicate create is EEXIST" $T/create "$U1" "$EEXIST"
wr_is "bad uuid is EINVAL" $T/create "not-a-uuid-not-a-uuid-not-a-uuid-123" "$EINVAL"
wr_is "short uuid is EINVAL" $T/create "1234" "$EINVAL"
is "available_instances counts down" "$(rd $T/available_instances)" "65534"
is "mdev dir" "$(test -d $M/$U1 && echo yes)" "yes"
is "bus/mdev/devices link" "$(readlink $S/bus/mdev/devices/$U1)" \
	"../../../devices/vfio_ap/matrix/$U1"
is "type devices/ link" "$(readlink $T/devices/$U1)" "../../../$U1"
is "mdev_type link" "$(readlink $M/$U1/mdev_type)" "../mdev_supported_types/vfio_ap-passthrough"
A1=$M/$U1
A2=$M/$U2
for f in assign_adapter unassign_adapter assign_domain unassign_domain \
	assign_control_domain unassign_control_domain matrix guest_matrix control_domains \
	ap_config remove; do
	is "mdev has $f" "$(test -e $A1/$f && echo yes)" "yes"
done
is "empty matrix" "$(rd $A1/matrix)" ""

echo "# 4. per-mdev attributes"
wr_is "assign_adapter 2" $A1/assign_adapter $'2\n' ""
is "only adapters: %02x." "$(rd $A1/matrix)" "02."
wr_is "assign_adapter 2 again is a no-op" $A1/assign_adapter 2 ""
wr_is "assign_adapter above max is ENODEV" $A1/assign_adapter 256 "$ENODEV"
wr_is "assign_adapter garbage is EINVAL" $A1/assign_adapter abc "$EINVAL"
wr_is "assign_adapter negative is EINVAL" $A1/assign_adapter -1 "$EINVAL"
wr_is "assign_domain above max (84) is ENODEV" $A1/assign_domain 85 "$ENODEV"
wr_is "assign_domain 0x1 (hex)" $A1/assign_domain 0x1 ""
wr_is "assign_domain 010 is octal: domain 8" $A1/assign_domain $'010\n' ""
is "matrix lines" "$(rd $A1/matrix)" "02.0001
02.0008"
wr_is "unassign_domain clear id is a no-op" $A1/unassign_domain 3 ""
wr_is "unassign_domain above max is ENODEV" $A1/unassign_domain 85 "$ENODEV"
wr_is "unassign_adapter above max is ENODEV" $A1/unassign_adapter 300 "$ENODEV"
# Host reservation: adapter 0 x domains in aqmask belong to the host.
wr_is "reserved APQN is EADDRNOTAVAIL" $A1/assign_adapter 0 "$EADDRNOTAVAIL"
wr_is "mdev 2 only domains" $A2/assign_domain 1 ""
is "only domains: .%04x" "$(rd $A2/matrix)" ".0001"
wr_is "APQN of another mdev is EADDRINUSE" $A2/assign_adapter 2 "$EADDRINUSE"
is "failed assign changed nothing" "$(rd $A2/matrix)" ".0001"
wr_is "adapter 9 x domain 1 is reserved by the masks" $A2/assign_adapter 9 "$EADDRNOTAVAIL"
wr_is "free adapter 9 for vfio_ap" $B/apmask "-9" ""
wr_is "over-provisioning: adapter 9 does not exist" $A2/assign_adapter 9 ""
wr_is "control domain 5" $A1/assign_control_domain 5 ""
wr_is "control domain 0x40" $A1/assign_control_domain 0x40 ""
wr_is "control domain above max is ENODEV" $A1/assign_control_domain 85 "$ENODEV"
wr_is "control domains may be shared" $A2/assign_control_domain 5 ""
is "control_domains" "$(rd $A1/control_domains)" "0005
0040"
wr_is "unassign_control_domain" $A1/unassign_control_domain 0x40 ""
is "control_domains after unassign" "$(rd $A1/control_domains)" "0005"
is "matrix is read-only" "$(wr $A1/matrix 1)" "$EACCES"
is "assign_adapter is write-only" "$(rd $A1/assign_adapter | sed 's/.*: //')" "$EACCES"

echo "# 5. ap_config"
CFG=$(rd $A1/ap_config)
is "ap_config read" "$CFG" "0x2${ZEROS60}000,0x4080${ZEROS60},0x04${ZEROS60}00"
wr_is "ap_config write with newline" $A1/ap_config \
	"0x3${ZEROS60}000,0x4${ZEROS60}000,0x0${ZEROS60}000"$'\n' ""
is "ap_config replaced the matrix" "$(rd $A1/matrix)" "02.0001
03.0001"
wr_is "ap_config write without newline" $A1/ap_config "$CFG" ""
is "ap_config round trip" "$(rd $A1/ap_config)" "$CFG"
wr_is "ap_config two fields and a newline: accepted (6.12)" $A1/ap_config "0x2,0x4080"$'\n' ""
is "  matrix as written" "$(rd $A1/matrix)" "02.0001
02.0008"
is "  control domains cleared" "$(rd $A1/control_domains)" ""
wr_is "  back to the first configuration" $A1/ap_config "$CFG" ""
wr_is "ap_config two fields without newline is EINVAL (6.12 too)" $A1/ap_config "0x1,0x2" "$EINVAL"
wr_is "ap_config bad hex is EINVAL" $A1/ap_config "0xz,0x0,0x0" "$EINVAL"
wr_is "ap_config reserved is EADDRNOTAVAIL" $A1/ap_config "0x8,0x4,0x0" "$EADDRNOTAVAIL"
wr_is "ap_config in another mdev is EADDRINUSE" $A2/ap_config "0x2,0x0080,0x0" "$EADDRINUSE"
wr_is "ap_config domain 85 is ENODEV" $A1/ap_config "0x2,0x${ZEROS60:0:21}4,0x0" "$ENODEV"
is "failed ap_config changed nothing" "$(rd $A1/ap_config)" "$CFG"

echo "# 6. in_use, guests, filtering"
wr_is "apmask giving back an assigned APQN is EBUSY" $B/apmask "+2" "$EBUSY"
is "refused apmask unchanged" "$(rd $B/apmask)" "0xcfb${ONES:3}"
wr_is "giving back a free adapter works" $B/apmask "+3" ""
is "03.* went to the host" "$(readlink $S/devices/ap/card03/03.0001/driver)" \
	"../../../../bus/ap/drivers/cex4queue"
wr_is "and back" $B/apmask "-3" ""
is "queue status assigned" "$(rd $C/02.0001/status)" "assigned"
wr_is "assign domain 20: outside the host configuration" $A1/assign_domain 20 ""
apsim_ctl guest start g1 $U1 vcpus=2
is "guest start" "$?" "0"
is "queue status in use" "$(rd $C/02.0001/status)" "in use"
is "guest_matrix filters domain 20 out" "$(rd $A1/guest_matrix)" "02.0001
02.0008"
is "matrix keeps domain 20" "$(rd $A1/matrix | tail -1)" "02.0014"
is "second guest on the same mdev is refused" \
	"$( (apsim_ctl guest start g2 $U1) 2>&1 | sed 's/.*: //')" "Device or resource busy"
(apsim_ctl guest start g1 $U2) 2>/dev/null
is "guest name taken: EEXIST" "$?" "1"

echo "# 7. ap_config_batch"
is "ap_config_batch reads none before a failed write" "$(rd $M/ap_config_batch)" "none"
wr_is "batch moves 02.0001 from mdev 1 to mdev 2" $M/ap_config_batch \
	"$U1 0x2,0x0080,0x04
$U2 0x2,0x4,0x04
" ""
is "mdev 1 after batch" "$(rd $A1/matrix)" "02.0008"
is "mdev 2 after batch" "$(rd $A2/matrix)" "02.0001"
wr_is "batch with a conflict fails whole" $M/ap_config_batch \
	"$U1 0x2,0x4,0x0
$U2 0x2,0x4,0x0
" "$EADDRINUSE"
is "failed batch changed nothing" "$(rd $A1/matrix)$(rd $A2/matrix)" "02.000802.0001"
is "reading ap_config_batch names the failed line" "$(rd $M/ap_config_batch)" \
	"line 1 ($U1): error -98"
# sysfs stores a page of a longer write at a time: a whole page is refused.
printf -v pad '%*s' 5000 ''
wr_is "batch of more than a page: E2BIG" $M/ap_config_batch "$U1 0x0,0x0080,0x04${pad// /$'\n'}" \
	"Argument list too long"
is "it changed nothing" "$(rd $A1/matrix)$(rd $A2/matrix)" "02.000802.0001"
is "reading ap_config_batch says line 0" "$(rd $M/ap_config_batch)" "line 0 (-): error -7"

echo "# 8. hot plug"
apsim_ctl adapter 4 add CEX8 ep11
is "hot-added card appears" "$(rd $S/devices/ap/card04/hwtype)" "14"
is "with its queues" "$(ls -d $S/devices/ap/card04/04.* | wc -l)" "16"
is "QCI adapter mask" "$(rd $B/ap_adapter_mask)" "0xf8${ZEROS60}00"
apsim_ctl domain 16 add
is "hot-added domain's queues" "$(ls -d $S/devices/ap/card0*/*.0010 | wc -l)" "5"
apsim_ctl adapter 4 remove
is "hot-removed card is gone" "$(test -e $S/devices/ap/card04 || echo gone)" "gone"
is "and its bus links" "$(ls $S/bus/ap/devices | grep -c '^04\.')" "0"
apsim_ctl adapter 2 config off
is "SCLP-deconfigured adapter: card stays, config 0" "$(rd $C/config)" "0"
is "its queues stay bound to vfio_ap" "$(readlink $C/02.0001/driver)" \
	"../../../../bus/ap/drivers/vfio_ap"
apsim_ctl adapter 2 config on
is "reconfigured: matrix kept" "$(rd $A2/matrix)" "02.0001"
apsim_ctl domain 1 remove
is "domain 1 left the QCI: filtered out of the guest matrix" "$(rd $A2/guest_matrix)" "02."
is "the matrix keeps it" "$(rd $A2/matrix)" "02.0001"
apsim_ctl domain 1 add
is "domain 1 back: in the guest matrix again" "$(rd $A2/guest_matrix)" "02.0001"

is "scans counted the hot plugs" "$(($(rd $B/scans) > SCANS))" "1"

echo "# 9. sim/ctl, faults, stats"
is "bad ctl command is EINVAL" "$( (apsim_ctl frobnicate) 2>&1 | sed 's/.*: //')" "$EINVAL"
apsim_ctl fault /devices/vfio_ap/matrix/$U2/assign_domain EIO 1
wr_is "injected fault" $A2/assign_domain 2 "Input/output error"
wr_is "fault used up" $A2/assign_domain 2 ""
STATS=$(apsim_stats)
is "stats: guest g1 has APCB updates" \
	"$(echo "$STATS" | python3 -c 'import json,sys; s=json.load(sys.stdin); print(s["guests"]["g1"]["apcb_updates"] > 0)')" "True"
is "stats: writes per attribute" \
	"$(echo "$STATS" | python3 -c 'import json,sys; s=json.load(sys.stdin); print(s["writes"]["assign_domain"] >= 5)')" "True"
is "stats: invariant and lock order" \
	"$(echo "$STATS" | python3 -c 'import json,sys; s=json.load(sys.stdin); print(s["invariant_ok"], s["lock_order_reports"])')" "True 0"
is "stats: every lock class apsim took has a rank in LOCKING" \
	"$(echo "$STATS" | python3 -c 'import json,sys; print(repr(json.load(sys.stdin)["lock_classes_unranked"]))')" "''"

# Timing histograms: stats reset zeroes them, PQAPs of the running vCPUs
# arrive at the guest's rate, one host write is one APCB update's stall.
tget() { # GUEST|- HIST FIELD
	apsim_stats | python3 -c 'import json,sys
s = json.load(sys.stdin); g, h, f = sys.argv[1:]
t = s["timing"] if g == "-" else s["guests"][g]["timing"]
print(t[h][f])' "$@"
}
apsim_ctl stats reset
is "stats reset: no kvm->lock hold recorded" "$(tget g1 kvm_lock_hold count)" "0"
is "stats reset: no vCPU stall recorded" "$(tget - vcpu_stall count)" "0"
for _ in $(seq 500); do
	[ "$(tget g1 pqap_latency count)" -ge 5 ] && break
	sleep 0.01
done
is "the vCPUs of g1 issue PQAP at their rate (200/s each)" \
	"$(($(tget g1 pqap_latency count) >= 5))" "1"
is "PQAP latency p50 <= p99 <= max" \
	"$(apsim_stats | python3 -c 'import json,sys
h = json.load(sys.stdin)["guests"]["g1"]["timing"]["pqap_latency"]
print(0 < h["p50_ns"] <= h["p99_ns"] <= h["max_ns"])')" "True"
wr_is "control domain 7 while g1 runs" $A1/assign_control_domain 7 ""
is "one APCB update: one vCPU stall recorded" "$(tget g1 vcpu_stall count)" "1"
is "the stall took time" "$(($(tget g1 vcpu_stall sum_ns) > 0))" "1"
is "kvm->lock held for it" "$(($(tget g1 kvm_lock_hold count) >= 1))" "1"
is "totals over all guests count it too" "$(tget - vcpu_stall count)" "1"
is "stats reset takes nothing else" "$( (apsim_ctl stats reset now) 2>&1 | sed 's/.*: //')" "$EINVAL"
apsim_ctl guest stop g1
is "guest stop" "$?" "0"
wr_is "unassign_domain 8" $A1/unassign_domain 8 ""
is "unassign_domain took effect" "$(rd $A1/matrix)" "02."
wr_is "unassign_adapter 2" $A1/unassign_adapter $'0x2\n' ""
is "unassign_adapter took effect" "$(rd $A1/matrix)" ""
wr_is "assign it back" $A1/ap_config "0x2,0x0080,0x04" ""
is "queue no longer in use" "$(rd $C/02.0008/status)" "assigned"

echo "# 10. remove"
wr_is "remove 0 is a no-op" $A2/remove 0 ""
is "still there" "$(test -d $A2 && echo yes)" "yes"
wr_is "remove garbage is EINVAL" $A2/remove x "$EINVAL"
apsim_ctl guest start g3 $U2
is "guest on mdev 2" "$(rd $C/02.0001/status)" "in use"
wr_is "remove 1 with a guest attached does not fail" $A2/remove $'1\n' ""
is "the guest lost the device" \
	"$(apsim_stats | python3 -c 'import json,sys; print(json.load(sys.stdin)["guests"]["g3"]["attached"])')" "False"
apsim_ctl guest stop g3
is "mdev dir gone" "$(test -e $A2 || echo gone)" "gone"
is "bus link gone" "$(test -e $S/bus/mdev/devices/$U2 || echo gone)" "gone"
is "type link gone" "$(ls $T/devices)" "$U1"
is "removed mdev's queue is unassigned" "$(rd $C/02.0001/status)" "unassigned"
wr_is "create again after remove" $T/create "$U2" ""
wr_is "remove again" $M/$U2/remove 1 ""

echo "# 11. filtering: a queue whose last reset failed drops its adapter"
wr_is "create mdev 3" $T/create "$U3" ""
wr_is "mdev 3: adapter 3, domains 1 and 8" $M/$U3/ap_config "0x1,0x4080,0x0" ""
apsim_ctl guest start g4 $U3
is "guest has both queues" "$(rd $M/$U3/guest_matrix)" "03.0001
03.0008"
resets() { apsim_stats | python3 -c 'import json,sys; print(json.load(sys.stdin)["queue_resets_total"])'; }
r0=$(resets)
apsim_ctl queue 03.0008 reset-fault 0 2
wr_is "unassign domain 8 with a slow reset (2 TAPQs in progress)" $M/$U3/unassign_domain 8 ""
is "one queue reset (queue_resets_total)" "$(($(resets) - r0))" 1
wr_is "assign domain 8 again after the slow reset" $M/$U3/assign_domain 8 ""
is "a slow reset that ends is no failure: the queue is back" "$(rd $M/$U3/guest_matrix)" "03.0001
03.0008"
apsim_ctl queue 03.0008 reset-fault 0x6
wr_is "unassign domain 8: the queue leaves the guest and is reset" $M/$U3/unassign_domain 8 ""
is "reset-fault armed, queue gone from the guest" "$(rd $M/$U3/guest_matrix)" "03.0001"
wr_is "assign domain 8 again" $M/$U3/assign_domain 8 ""
is "adapter 3 dropped: 03.0008 is not usable" "$(rd $M/$U3/guest_matrix)" ".0001
.0008"
is "the matrix keeps it" "$(rd $M/$U3/matrix)" "03.0001
03.0008"
apsim_ctl guest stop g4
apsim_ctl queue 03.0008 reset-fault 0
wr_is "remove mdev 3" $M/$U3/remove 1 ""

echo "# 12. queue health and Secure Execution (sim/ctl; se_* as in an SE guest)"
ctl_err() { (apsim_ctl "$@") 2>&1 | sed 's/.*: //'; }
is "online switch of a vfio_ap queue: EOPNOTSUPP" "$(ctl_err queue 03.0001 online off)" "Operation not supported"
is "online switch of a missing queue: ENODEV" "$(ctl_err queue 03.00ff online off)" "$ENODEV"
apsim_ctl queue 00.0000 online off
is "queue online off" "$(rd $S/devices/ap/card00/00.0000/online)" "0"
apsim_ctl queue 00.0000 online on
is "queue online on" "$(rd $S/devices/ap/card00/00.0000/online)" "1"
is "no se_bind outside an SE guest's kernel" "$(test -e $S/devices/ap/card03/03.0001/se_bind || echo none)" none
is "se-bind without topology se: EOPNOTSUPP" "$(ctl_err queue 03.0001 se-bind on)" "Operation not supported"
apsim_stop
cat >"${TMPDIR:-/tmp}/apsim-se.$$.json" <<JSON
{ "max_domain_id": 84, "domains": "0-15", "apmask": "0-1", "se": true,
  "adapters": [ { "id": 0, "type": "CEX8", "mode": "cca" },
                { "id": 1, "type": "CEX8", "mode": "ep11" },
                { "id": 2, "type": "CEX7", "mode": "cca" },
                { "id": 3, "type": "CEX7", "mode": "accel" } ] }
JSON
apsim_start --topology "${TMPDIR:-/tmp}/apsim-se.$$.json" || exit 1
rm -f "${TMPDIR:-/tmp}/apsim-se.$$.json"
S=$APSIM_ROOT
is "se_bind on a CCA card is -" "$(rd $S/devices/ap/card00/00.0000/se_bind)" "-"
is "se_bind on an accelerator: unbound" "$(rd $S/devices/ap/card03/03.0001/se_bind)" "unbound"
is "se_associate on an accelerator is -" "$(rd $S/devices/ap/card03/03.0001/se_associate)" "-"
is "se_associate on EP11: unassociated" "$(rd $S/devices/ap/card01/01.0000/se_associate)" "unassociated"
is "se-bind on a CCA card is EOPNOTSUPP" "$(ctl_err queue 00.0000 se-bind on)" "Operation not supported"
is "se-associate before the bind is EINVAL" "$(ctl_err queue 01.0000 se-associate 3)" "$EINVAL"
apsim_ctl queue 01.0000 se-bind on
apsim_ctl queue 01.0000 se-associate 3
is "bound" "$(rd $S/devices/ap/card01/01.0000/se_bind)" "bound"
is "associated 3" "$(rd $S/devices/ap/card01/01.0000/se_associate)" "associated 3"
apsim_ctl queue 01.0000 se-bind off
is "unbinding drops the association" "$(rd $S/devices/ap/card01/01.0000/se_associate)" "unassociated"

tap_done
