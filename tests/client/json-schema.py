#!/usr/bin/python3
# Is apctl's --json output what apctl(8) documents? Every field named in the
# man page's JSON OUTPUT entry for VERB must be present, and every top-level
# field the output has must be documented.
# Usage: json-schema.py APCTL_8_SCD VERB < output.json
import json
import re
import sys

man, verb = sys.argv[1], sys.argv[2]
text = open(man, encoding="utf-8").read()
section = text.split("\n# JSON OUTPUT\n", 1)[1].split("\n# ", 1)[0]
entry = None
for block in re.split(r"\n(?=\*)", section):
    head = block.split("\n", 1)[0]
    if re.search(r"\*%s\*" % re.escape(verb), head):
        entry = block.split("\n", 1)[1] if "\n" in block else ""
        break
if entry is None:
    sys.exit("apctl(8) has no JSON OUTPUT entry for %s" % verb)
if "DEVICE" in entry and "DEVICE:" not in entry:
    # "list": {"devices": [DEVICE, ...]} - DEVICE is spelled out under show.
    device = re.search(r"DEVICE: \*\{(.*?)\}\*", section, re.S).group(1)
    entry += device
documented = set(re.findall(r'"([a-z_]+)"', entry))

doc = json.load(sys.stdin)
docs = doc if isinstance(doc, list) else [doc]
keys = set()


def walk(v):
    if isinstance(v, dict):
        for k, x in v.items():
            keys.add(k)
            walk(x)
    elif isinstance(v, list):
        for x in v:
            walk(x)


walk(doc)
missing = sorted(documented - keys)
top = set()
for d in docs:
    if isinstance(d, dict):
        top |= set(d)
undocumented = sorted(top - documented)
if missing or undocumented:
    print("# %s: documented but missing: %s; present but undocumented: %s"
          % (verb, missing, undocumented))
    sys.exit(1)
print("# %s: %d documented fields present" % (verb, len(documented)))
