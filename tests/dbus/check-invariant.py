#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""The crash-consistency invariant, read from disk and from the (simulated)
kernel only, never from the daemon: every stored definition whose mdev
exists has exactly that matrix in the kernel; no journal and no temp file is
left behind; and each EXPECT argument (UUID=ADAPTERS/DOMAINS/CONTROL, lists
of ids joined by "+", or UUID=none) holds in both the definition and the
kernel. Prints one line per violation, exits 1 when there is any.

  check-invariant.py STATE_DIR SYSFS_ROOT [EXPECT...]
"""
import json
import os
import sys

MATRIX = "devices/vfio_ap/matrix"


def mask_to_ids(hexmask):
    v = int(hexmask, 16)
    bits = (len(hexmask) - 2) * 4 if hexmask.startswith("0x") else len(hexmask) * 4
    return sorted(i for i in range(bits) if v & (1 << (bits - 1 - i)))


def kernel_matrix(sysfs, uuid):
    path = os.path.join(sysfs, MATRIX, uuid, "ap_config")
    try:
        with open(path) as f:
            fields = f.read().strip().split(",")
    except FileNotFoundError:
        return None
    return tuple(mask_to_ids(x) for x in fields)


def definition(state, uuid):
    try:
        with open(os.path.join(state, "devices", uuid + ".json")) as f:
            d = json.load(f)
    except FileNotFoundError:
        return None
    return tuple(sorted(d.get(k, [])) for k in ("adapters", "domains", "control_domains"))


def parse_expect(s):
    uuid, _, want = s.partition("=")
    if want == "none":
        return uuid, None
    parts = want.split("/")
    return uuid, tuple(sorted(int(x) for x in p.split("+") if x) for p in parts)


def main():
    state, sysfs = sys.argv[1], sys.argv[2]
    bad = []
    devdir = os.path.join(state, "devices")
    for name in sorted(os.listdir(devdir)):
        if name.startswith("."):
            bad.append("temp file left behind: devices/%s" % name)
            continue
        uuid = name[: -len(".json")]
        d, k = definition(state, uuid), kernel_matrix(sysfs, uuid)
        if k is not None and d != k:
            bad.append("%s: definition %s, kernel %s" % (uuid, d, k))
    if os.path.exists(os.path.join(state, "journal.json")):
        bad.append("journal.json left behind")
    for e in sys.argv[3:]:
        uuid, want = parse_expect(e)
        d = definition(state, uuid)
        k = kernel_matrix(sysfs, uuid)
        if d != want:
            bad.append("%s: definition %s, expected %s" % (uuid, d, want))
        if want is not None and k is not None and k != want:
            bad.append("%s: kernel %s, expected %s" % (uuid, k, want))
    for b in bad:
        print(b)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
