#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Code and docs agree on every limit.

check-limits.py SOURCE_ROOT
lib/apm-limits.h defines each limit as
    /* Name: what. */
    #define APM_LIMIT_X value
The same Name=value must be listed in org.apmatrix1(5), section LIMITS
("*Name*: value"), and in the comment of dbus/org.apmatrix1.Manager.xml
("Name=value"); nothing more, nothing less. Each name must also appear in
a message of the daemon or libapm sources ("over the limit Name=" or the
name as a string argument), so that the error really names it, and its
APM_LIMIT_* macro must be used by the code (daemon/, lib/ or client/
outside the header), so that it is enforced. The same agreement for the
error names: every org.apmatrix1.Error.* the daemon sends is described in
org.apmatrix1(5), section ERRORS, and listed in the Manager XML's comment.
TAP output.
"""
import os
import re
import sys

root = sys.argv[1]
n = 0
failed = 0


def check(ok, what):
    global n, failed
    n += 1
    if not ok:
        failed += 1
    print("%s %d - %s" % ("ok" if ok else "not ok", n, what))


def read(rel):
    with open(os.path.join(root, rel), encoding="utf-8") as f:
        return f.read()


header = read("lib/apm-limits.h")
code = {}
for m in re.finditer(r"/\* (\w+): (?:(?!\*/).)*\*/\s*#define (APM_LIMIT_\w+) (\d+)\n", header, re.S):
    code[m.group(1)] = int(m.group(3))
defines = re.findall(r"^#define APM_LIMIT_\w+ ", header, re.M)
check(len(code) == len(defines) and code,
      "apm-limits.h: each of %d APM_LIMIT_* has a documented name" % len(defines))

man = read("man/org.apmatrix1.5.scd")
sect = re.search(r"^# LIMITS\n(.*?)^# ", man, re.M | re.S)
check(sect is not None, "org.apmatrix1(5) has a LIMITS section")
man_limits = {}
if sect:
    for m in re.finditer(r"^\*(\w+)\*: (\d+)$", sect.group(1), re.M):
        man_limits[m.group(1)] = int(m.group(2))

xml = read("dbus/org.apmatrix1.Manager.xml")
xml_limits = {}
block = re.search(r"Limits \(NAME=MAX.*?\n((?:    \w+=\d+.*\n)+)", xml)
check(block is not None, "org.apmatrix1.Manager.xml lists the limits")
if block:
    for m in re.finditer(r"^    (\w+)=(\d+)", block.group(1), re.M):
        xml_limits[m.group(1)] = int(m.group(2))

for doc, found in (("org.apmatrix1(5)", man_limits), ("org.apmatrix1.Manager.xml", xml_limits)):
    for name, value in sorted(code.items()):
        check(found.get(name) == value,
              "%s: %s=%d (documented: %s)" % (doc, name, value, found.get(name)))
    extra = sorted(set(found) - set(code))
    check(not extra, "%s documents no limit the code lacks %s" % (doc, extra or ""))

sources = ""
for d in ("daemon", "lib"):
    for f in sorted(os.listdir(os.path.join(root, d))):
        if f.endswith(".c"):
            sources += read(os.path.join(d, f))
for name in sorted(code):
    check(re.search(r'"[^"\n]*\b%s\b[^"\n]*"' % name, sources) is not None,
          "an error message of daemon/ or lib/ names %s" % name)

used = ""
for d in ("daemon", "lib", "client"):
    for f in sorted(os.listdir(os.path.join(root, d))):
        if f.endswith((".c", ".h")) and f != "apm-limits.h":
            used += read(os.path.join(d, f))
for m in re.finditer(r"/\* (\w+): (?:(?!\*/).)*\*/\s*#define (APM_LIMIT_\w+) ", header, re.S):
    check(re.search(r"\b%s\b" % m.group(2), used) is not None,
          "%s (%s) is used by the code" % (m.group(2), m.group(1)))

daemon_src = ""
for f in sorted(os.listdir(os.path.join(root, "daemon"))):
    if f.endswith((".c", ".h")):
        daemon_src += read(os.path.join("daemon", f))
errors = sorted(set(re.findall(r'"org\.apmatrix1\.Error\.(\w+)"', daemon_src + header)))
man_errors = re.search(r"^# ERRORS\n(.*?)^# ", man, re.M | re.S)
xml_text = xml.split("<node>", 1)[0]  # the comment before the interface
check(len(errors) >= 9, "the daemon sends %d org.apmatrix1.Error names" % len(errors))
for e in errors:
    check(man_errors is not None and ("*org.apmatrix1.Error.%s*" % e) in man_errors.group(1),
          "org.apmatrix1(5) ERRORS describes org.apmatrix1.Error.%s" % e)
    check(re.search(r"(org\.apmatrix1\.Error)?\.%s\b" % e, xml_text) is not None,
          "org.apmatrix1.Manager.xml lists org.apmatrix1.Error.%s" % e)

print("1..%d" % n)
sys.exit(1 if failed else 0)
