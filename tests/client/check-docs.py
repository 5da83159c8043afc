#!/usr/bin/python3
# Fails when an apctl verb or option, or a D-Bus member of dbus/*.xml (and of
# the design contract), has no entry in the man pages or the bash completion.
# Usage: check-docs.py APCTL SOURCE_ROOT
import glob
import re
import subprocess
import sys
import xml.etree.ElementTree as ET

apctl, top = sys.argv[1], sys.argv[2]
failures = []
n = 0


def check(cond, what):
    global n
    n += 1
    print(("ok" if cond else "not ok") + " %d - %s" % (n, what))
    if not cond:
        failures.append(what)


def read(path):
    with open(path, encoding="utf-8") as f:
        return f.read()


apctl_man = read(top + "/man/apctl.8.scd")
api_man = read(top + "/man/org.apmatrix1.5.scd")
completion = read(top + "/client/apctl.bash-completion")

# Verbs and options as apctl itself lists them.
help_text = subprocess.run([apctl, "--help"], capture_output=True, text=True, check=True).stdout
verbs_part = help_text.split("\nVerbs:\n", 1)[1].split("\nOptions:\n", 1)[0]
verbs = re.findall(r"^  ([a-z][a-z-]*)", verbs_part, re.M)
options = sorted(set(re.findall(r"(--[a-z][a-z-]*)", help_text.split("\nOptions:\n", 1)[1])))
check(len(verbs) >= 17, "apctl --help lists %d verbs" % len(verbs))
for v in verbs:
    check(re.search(r"^\*%s\*" % re.escape(v), apctl_man, re.M) is not None,
          "verb %s has an entry in apctl(8)" % v)
    check(re.search(r"(^|\s)%s(\s|$)" % re.escape(v), completion.split('local verbs="', 1)[1].split('"', 1)[0]) is not None,
          "verb %s is completed by bash" % v)
for o in options:
    check(("*%s*" % o) in apctl_man, "option %s is in apctl(8)" % o)

# D-Bus: the contract of design.md, and whatever the shipped XML adds.
members = {
    "org.apmatrix1.Manager": {
        "method": {"GetState", "DefineDevice", "UndefineDevice", "StartDevice", "StopDevice",
                   "Assign", "Unassign", "Apply", "Reserve", "Release"},
        "signal": {"DeviceChanged", "BatchApplied", "HostChanged"},
        "property": set(),
    },
    "org.apmatrix1.Device": {
        "method": set(), "signal": set(),
        "property": {"Uuid", "Guest", "State", "Autostart", "Adapters", "Domains",
                     "ControlDomains", "GuestAdapters", "GuestDomains", "GuestControlDomains"},
    },
}
xml_files = sorted(glob.glob(top + "/dbus/*.xml"))
for path in xml_files:
    for iface in ET.parse(path).getroot().iter("interface"):
        m = members.setdefault(iface.get("name"), {"method": set(), "signal": set(), "property": set()})
        for kind in ("method", "signal", "property"):
            for e in iface.iter(kind):
                m[kind].add(e.get("name"))
print("# %d interface XML file(s) in dbus/" % len(xml_files))

for iface, kinds in sorted(members.items()):
    check(("interface %s {" % iface) in api_man, "interface %s is listed in org.apmatrix1(5)" % iface)
    for kind, names in sorted(kinds.items()):
        for name in sorted(names):
            if kind == "property":
                listed = re.search(r"readonly \S+ %s = " % re.escape(name), api_man)
            else:
                listed = re.search(r"^\s+%s\(" % re.escape(name), api_man, re.M)
            check(listed is not None, "%s %s.%s is in the interface listing" % (kind, iface, name))
            described = re.search(r"\*%s(\(\))?\*" % re.escape(name), api_man)
            check(described is not None, "%s %s.%s has its semantics described" % (kind, iface, name))

# The listing says what the XML says: argument directions, types and names
# in order, property types and change-signal annotations.
listing = api_man
for path in xml_files:
    for iface in ET.parse(path).getroot().iter("interface"):
        name = iface.get("name")
        block = re.search(r"interface %s \{(.*?)\n  \};" % re.escape(name), listing, re.S)
        body = block.group(1) if block else ""
        for kind in ("method", "signal"):
            for e in iface.iter(kind):
                want = []
                for a in e.iter("arg"):
                    d = a.get("direction", "out" if kind == "method" else "")
                    want.append(((d + " ") if kind == "method" else "") + "%s %s" % (a.get("type"), a.get("name")))
                m = re.search(r"\n\s+%s\((.*?)\);" % re.escape(e.get("name")), body, re.S)
                got = [" ".join(x.split()) for x in m.group(1).split(",")] if m and m.group(1).strip() else []
                check(m is not None and got == want,
                      "%s %s.%s(%s) matches the XML" % (kind, name, e.get("name"), ", ".join(want)))
        for e in iface.iter("property"):
            ann = [a.get("value") for a in e.iter("annotation")
                   if a.get("name") == "org.freedesktop.DBus.Property.EmitsChangedSignal"]
            pat = r"\n\s+readonly %s %s = " % (re.escape(e.get("type")), re.escape(e.get("name")))
            if ann:
                pat = r'EmitsChangedSignal\("%s"\)' % re.escape(ann[0]) + pat
            else:
                pat = r"(?<!\))" + pat
            check(re.search(pat, body) is not None,
                  "property %s.%s: type %s%s as in the XML" % (name, e.get("name"), e.get("type"),
                                                                ", EmitsChangedSignal " + ann[0] if ann else ""))

for err in ["org.freedesktop.DBus.Error.InvalidArgs", "org.freedesktop.DBus.Error.AccessDenied",
            "org.apmatrix1.Error.NoSuchDevice", "org.apmatrix1.Error.InUse",
            "org.apmatrix1.Error.Reserved", "org.apmatrix1.Error.OutOfRange",
            "org.apmatrix1.Error.Busy", "org.apmatrix1.Error.Kernel", "org.apmatrix1.Error.Inhibited"]:
    check(("*%s*" % err) in api_man, "error %s is documented" % err)

print("1..%d" % n)
sys.exit(1 if failures else 0)
