#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Compare one interface of a shipped introspection XML with the live one.

compare-introspection.py SHIPPED.xml LIVE.xml INTERFACE
Members, argument names/types/directions, property types/access and the
EmitsChangedSignal annotation must match exactly; order does not matter.
Prints the differences and exits 1 if there are any.
"""
import sys
import xml.etree.ElementTree as ET

EMITS = "org.freedesktop.DBus.Property.EmitsChangedSignal"


def canon(path, name):
    root = ET.parse(path).getroot()
    ifaces = [i for i in root.iter("interface") if i.get("name") == name]
    if len(ifaces) != 1:
        sys.exit("%s: interface %s found %d times" % (path, name, len(ifaces)))
    out = set()
    for m in ifaces[0]:
        kind, mname = m.tag, m.get("name")
        if kind == "method":
            args = tuple((a.get("direction", "in"), a.get("type"), a.get("name"))
                         for a in m.findall("arg"))
            out.add(("method", mname, args))
        elif kind == "signal":
            args = tuple((a.get("type"), a.get("name")) for a in m.findall("arg"))
            out.add(("signal", mname, args))
        elif kind == "property":
            emits = "true"
            for a in m.findall("annotation"):
                if a.get("name") == EMITS:
                    emits = a.get("value")
            out.add(("property", mname, m.get("type"), m.get("access"), emits))
    return out


shipped, live = canon(sys.argv[1], sys.argv[3]), canon(sys.argv[2], sys.argv[3])
for x in sorted(shipped - live, key=str):
    print("# only in shipped XML:", x)
for x in sorted(live - shipped, key=str):
    print("# only in the running daemon:", x)
print("# %s: %d members compared" % (sys.argv[3], len(shipped | live)))
sys.exit(0 if shipped == live else 1)
