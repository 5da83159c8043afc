#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# The guests' configuration-change notifications (the eventfd of IRQ index
# 1, VFIO_AP_CFG_CHG_IRQ_INDEX): apsim's guests count them and rescan their
# AP bus on each (they read the CRYCB masks KVM gave them), and stats.json
# shows both. An ap_config_batch moving queues around a cycle of three
# guests must reach each guest as exactly one notification, and the APQNs
# the guest sees after it must be its APCB (guest_matrix). Root, inside
# `unshare -m -n`; TAP output.
set -u
: "${SRCDIR:?}" "${APSIM:?}"
. "$SRCDIR/tests/sim/apsim-env.sh"
. "$SRCDIR/tests/sim/tap.sh"

apsim_start || exit 1
trap apsim_stop EXIT
M=$APSIM_ROOT/devices/vfio_ap/matrix
T=$M/mdev_supported_types/vfio_ap-passthrough
U1=a1111111-1111-4111-8111-111111111111
U2=a2222222-2222-4222-8222-222222222222
U3=a3333333-3333-4333-8333-333333333333

# guest FIELD...: one line "g1 g2 g3" of each field of stats.json's guests.
field() {
	apsim_stats | python3 -c 'import json,sys
s = json.load(sys.stdin)["guests"]
f = sys.argv[1]
print(" ".join(str(s[g][f] if f != "view" else ",".join(s[g]["view"]["apqns"]))
               for g in ("g1", "g2", "g3")))' "$1"
}

# Wait (at most 5 s) until every guest has rescanned for its last notification.
settle() {
	local i
	for i in $(seq 50); do
		apsim_stats | python3 -c 'import json,sys
s = json.load(sys.stdin)["guests"]
sys.exit(0 if all(s[g]["view"]["notifications"] == s[g]["notifications"] for g in s) else 1)' &&
			return 0
		sleep 0.1
	done
	return 1
}

# The guest's APCB as guest_matrix shows it, as the view lists it.
apcb() {
	tr '\n' ',' <"$M/$1/guest_matrix" | sed 's/,$//'
}

for u in $U1 $U2 $U3; do
	printf '%s' "$u" >"$T/create"
done
# g1: 02.0001, g2: 02.0002, g3: 03.0001
printf '0x2,0x4,0x0' >"$M/$U1/ap_config"
printf '0x2,0x2,0x0' >"$M/$U2/ap_config"
printf '0x1,0x4,0x0' >"$M/$U3/ap_config"
apsim_ctl guest start g1 $U1 vcpus=1 pqap_hz=0 &&
	apsim_ctl guest start g2 $U2 vcpus=1 pqap_hz=0 &&
	apsim_ctl guest start g3 $U3 vcpus=1 pqap_hz=0
is "three guests started" "$?" "0"
settle
is "each guest rescanned after its attach" "$?" "0"
is "  one notification each (set_kvm's update)" "$(field notifications)" "1 1 1"
is "  views: their APQNs" "$(field view)" "02.0001 02.0002 03.0001"

read -r u1 u2 u3 <<<"$(field apcb_updates)"
# A cycle: g1 takes 02.0002 from g2, g2 takes 03.0001 from g3, g3 takes 02.0001 from g1.
# One write(2): bash's printf writes a format's lines one by one, each its own batch.
printf '%s' "$U1 0x2,0x2,0x0
$U2 0x1,0x4,0x0
$U3 0x2,0x4,0x0
" >"$M/ap_config_batch"
is "batch: a cycle of moves among three guests" "$?" "0"
settle
is "every guest rescanned" "$?" "0"
is "each guest got exactly one notification for the batch" "$(field notifications)" "2 2 2"
read -r v1 v2 v3 <<<"$(field apcb_updates)"
is "  four APCB updates (one guest of the cycle has two)" "$((v1 - u1 + v2 - u2 + v3 - u3))" "4"
is "g1 sees its APCB" "$(field view | cut -d' ' -f1)" "$(apcb $U1)"
is "g2 sees its APCB" "$(field view | cut -d' ' -f2)" "$(apcb $U2)"
is "g3 sees its APCB" "$(field view | cut -d' ' -f3)" "$(apcb $U3)"
is "  which is the batch's result" "$(field view)" "02.0002 03.0001 02.0001"

printf '%s' 1 >"$M/$U3/unassign_domain"
settle
is "a single store: one more notification for g3 only" "$(field notifications)" "2 2 3"
is "  g3 sees no queue" "$(field view | cut -d' ' -f3)" ""
is "rescans never outnumber notifications" \
	"$(apsim_stats | python3 -c 'import json,sys
s = json.load(sys.stdin)["guests"]
print(all(1 <= s[g]["rescans"] <= s[g]["notifications"] for g in s))')" "True"

for g in g1 g2 g3; do
	apsim_ctl guest stop $g
done
tap_done
