#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# The apsim program: options, topology errors that name the field, signals
# (clean unmount), a topology with mdevs, the 256x256 host with 1000 mdevs.
# Root, inside `unshare -m -n`; TAP output.
set -u
: "${SRCDIR:?}" "${APSIM:?}"
. "$SRCDIR/tests/sim/apsim-env.sh"
. "$SRCDIR/tests/sim/tap.sh"

T=$(mktemp -d)
trap 'apsim_stop; rm -rf "$T"' EXIT
mkdir "$T/mnt"

"$APSIM" --help >"$T/out"
is "--help exits 0" "$?" "0"
is "--help shows usage" "$(head -1 "$T/out")" "Usage: apsim MOUNTPOINT [OPTIONS]"
"$APSIM" 2>/dev/null
is "no mountpoint: usage error" "$?" "2"
"$APSIM" "$T/nonexistent" 2>/dev/null
is "missing mountpoint fails" "$?" "1"

printf '%s' '{"adapters": [{"id": 3}, {"id": 4, "type": "CEX9"}]}' >"$T/bad.json"
"$APSIM" "$T/mnt" --topology "$T/bad.json" 2>"$T/err"
is "bad topology fails" "$?" "1"
is "the error names the field" "$(grep -o 'adapters\[1\]\.type' "$T/err")" "adapters[1].type"
printf '%s' '{"apxa": false, "domains": [1, 16]}' >"$T/bad.json"
"$APSIM" "$T/mnt" --topology "$T/bad.json" 2>"$T/err"
is "id above the max fails, naming it" "$(grep -o 'domains\[1\]' "$T/err")" "domains[1]"
is "nothing mounted after a failed start" "$(grep -c " $T/mnt " /proc/self/mounts)" "0"
U1=b0000000-0000-4000-8000-000000000001
U2=b0000000-0000-4000-8000-000000000002
cat >"$T/clash.json" <<EOF
{"adapters": [{"ids": "0-1"}], "domains": "0-3", "apmask": [],
 "mdevs": [{"uuid": "$U1", "adapters": [0], "domains": [1]},
           {"uuid": "$U2", "adapters": [0], "domains": [1]}]}
EOF
"$APSIM" "$T/mnt" --topology "$T/clash.json" 2>"$T/err"
is "mdevs sharing an APQN refused at start" "$?" "1"
is "naming the mdev" "$(grep -c "$U2" "$T/err")" "1"

echo "# --foreground with systemd's readiness protocol"
cat >"$T/fg.py" <<'PY'
import os, signal, socket, subprocess, sys
apsim, mnt, path = sys.argv[1:]
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(path)
s.settimeout(20)
p = subprocess.Popen([apsim, mnt, "--foreground"], env=dict(os.environ, NOTIFY_SOCKET=path))
msg = s.recv(4096).decode()
served = "bus" in os.listdir(mnt) and open(mnt + "/bus/ap/ap_max_domain_id").read() == "84\n"
p.send_signal(signal.SIGTERM)
rc = p.wait(timeout=20)
mounted = any(l.split()[1] == mnt for l in open("/proc/self/mounts"))
print("READY=1" in msg, served, rc, mounted)
PY
is "foreground: READY=1, served, SIGTERM unmounts and exits 0" \
	"$(python3 "$T/fg.py" "$APSIM" "$T/mnt" "$T/notify")" "True True 0 False"

echo "# a small topology with mdevs"
cat >"$T/small.json" <<EOF
{"apxa": false, "adapters": [{"id": 1, "type": "CEX5", "mode": "accel"},
 {"ids": "6-7", "type": "CEX8", "mode": "ep11"}], "domains": "0-7", "control_domains": "0-9",
 "apmask": [1], "aqmask": "0-255",
 "mdevs": [{"uuid": "$U1", "adapters": [6, 7], "domains": "2-3", "control_domains": [9]}]}
EOF
apsim_start --topology "$T/small.json"
is "started" "$?" "0"
is "max ids without APXA" "$(cat "$APSIM_ROOT/bus/ap/ap_max_adapter_id" "$APSIM_ROOT/bus/ap/ap_max_domain_id")" "63
15"
is "features without APXA" "$(cat "$APSIM_ROOT/bus/ap/features")" "APSC QACT RC8A APSB"
is "cards" "$(ls "$APSIM_ROOT/devices/ap" | grep card | tr '\n' ' ')" "card01 card06 card07 "
is "card mode" "$(grep MODE "$APSIM_ROOT/devices/ap/card01/uevent")" "MODE=accel"
is "mdev from the topology" "$(cat "$APSIM_ROOT/devices/vfio_ap/matrix/$U1/matrix")" "06.0002
06.0003
07.0002
07.0003"
is "its control domains" "$(cat "$APSIM_ROOT/devices/vfio_ap/matrix/$U1/control_domains")" "0009"
is "host queues" "$(readlink "$APSIM_ROOT/devices/ap/card01/01.0000/driver")" \
	"../../../../bus/ap/drivers/cex4queue"
mnt=$APSIM_ROOT
kill -INT "$APSIM_PID"
flock "$APSIM_DIR/pid" true
is "SIGINT: apsim unmounted itself" "$(grep -c " $mnt " /proc/self/mounts)" "0"
apsim_stop

echo "# the 256 x 256 host with 1000 mdevs"
python3 - "$T/big.json" <<'EOF'
import json, sys
mdevs = [{"uuid": "%08x-0000-4000-8000-%012x" % (i, i), "adapters": [i % 256],
          "domains": [i // 256]} for i in range(1000)]
json.dump({"apxa": True, "adapters": [{"ids": "0-255", "type": "CEX8"}],
           "domains": "0-255", "apmask": [], "mdevs": mdevs}, open(sys.argv[1], "w"))
EOF
apsim_start --topology "$T/big.json"
is "started" "$?" "0"
is "all queues bound" "$(cat "$APSIM_ROOT/bus/ap/bindings")" "65536/65536 (complete)"
is "1000 mdevs" "$(ls "$APSIM_ROOT/bus/mdev/devices" | wc -l)" "1000"
is "available instances" \
	"$(cat "$APSIM_ROOT/devices/vfio_ap/matrix/mdev_supported_types/vfio_ap-passthrough/available_instances")" \
	"64536"
is "last mdev's matrix" "$(cat "$APSIM_ROOT/devices/vfio_ap/matrix/000003e7-0000-4000-8000-0000000003e7/matrix")" \
	"e7.0003"
is "queues under bus/ap/devices" "$(ls "$APSIM_ROOT/bus/ap/devices" | wc -l)" "65792"
apsim_stop
is "nothing left mounted" "$(grep -c apsim /proc/self/mounts)" "0"

tap_done
