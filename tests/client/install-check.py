#!/usr/bin/python3
# "meson install" into a DESTDIR puts every file in its standard place:
# apctl, the libvirt hook, the unit and tmpfiles, the man pages, the bash
# completion, and (once the daemon is in the tree) apmatrixd, the bus policy,
# activation file, interface XML and polkit action. Then the installed unit
# must pass "systemd-analyze verify" (with its ExecStart= and man pages taken
# from the DESTDIR), and its "systemd-analyze security" score is printed.
# Usage: install-check.py BUILD_ROOT SOURCE_ROOT
import json
import os
import re
import stat
import subprocess
import sys
import tempfile

build, top = sys.argv[1], sys.argv[2]
n = 0
failed = 0


def check(cond, what, diag=None):
    global n, failed
    n += 1
    print(("ok" if cond else "not ok") + " %d - %s" % (n, what))
    if not cond:
        failed += 1
        if diag:
            for line in str(diag).splitlines():
                print("# " + line)
    return cond


opts = {o["name"]: o["value"] for o in json.loads(
    subprocess.run(["meson", "introspect", "--buildoptions", build],
                   capture_output=True, text=True, check=True).stdout)}
prefix = opts["prefix"]


def under_prefix(d):
    return d if d.startswith("/") else os.path.join(prefix, d)


bindir = under_prefix(opts["bindir"])
sbindir = under_prefix(opts["sbindir"])
datadir = under_prefix(opts["datadir"])
mandir = under_prefix(opts["mandir"])
sysconfdir = under_prefix(opts["sysconfdir"])

expected = {
    bindir + "/apctl": "x",
    sysconfdir + "/libvirt/hooks/qemu.d/50-apmatrix": "x",
    datadir + "/bash-completion/completions/apctl": "r",
    prefix + "/lib/systemd/system/apmatrixd.service": "r",
    prefix + "/lib/tmpfiles.d/apmatrixd.conf": "r",
    mandir + "/man8/apctl.8": "r",
    mandir + "/man8/apmatrixd.8": "r",
    mandir + "/man5/org.apmatrix1.5": "r",
    mandir + "/man5/apmatrixd.conf.5": "r",
}
daemon_in_tree = os.path.exists(os.path.join(top, "daemon", "apmatrixd.c"))
if daemon_in_tree:
    expected.update({
        sbindir + "/apmatrixd": "x",
        datadir + "/dbus-1/interfaces/org.apmatrix1.Manager.xml": "r",
        datadir + "/dbus-1/interfaces/org.apmatrix1.Device.xml": "r",
        datadir + "/dbus-1/system.d/org.apmatrix1.conf": "r",
        datadir + "/dbus-1/system-services/org.apmatrix1.service": "r",
        datadir + "/polkit-1/actions/org.apmatrix1.policy": "r",
    })
print("# prefix %s; daemon in the tree: %s" % (prefix, daemon_in_tree))

with tempfile.TemporaryDirectory() as dest:
    r = subprocess.run(["meson", "install", "-C", build, "--no-rebuild", "--quiet",
                        "--destdir", dest], capture_output=True, text=True)
    check(r.returncode == 0, "meson install --destdir succeeds", r.stdout + r.stderr)

    installed = set()
    for root, dirs, files in os.walk(dest):
        for f in files:
            installed.add(os.path.join(root, f)[len(dest):])
    for path, mode in sorted(expected.items()):
        full = dest + path
        ok = os.path.isfile(full) and (mode != "x" or os.stat(full).st_mode & stat.S_IXUSR)
        check(ok, "installed %s%s" % (path, " (executable)" if mode == "x" else ""))
    ours = [p for p in installed if re.search(r"apctl|apmatrix", p)]
    extra = sorted(set(ours) - set(expected))
    check(not extra or daemon_in_tree, "nothing of ours installed that the list does not know",
          "\n".join(extra))

    hook = dest + sysconfdir + "/libvirt/hooks/qemu.d/50-apmatrix"
    if os.path.exists(hook):
        text = open(hook).read()
        check(('exec %s/apctl hook -- "$@"' % bindir) in text and text.startswith("#!/bin/sh"),
              "the hook runs the installed apctl with libvirt's arguments", text)

    unit = dest + prefix + "/lib/systemd/system/apmatrixd.service"
    if os.path.exists(unit):
        text = open(unit).read()
        for key in ["Type=notify", "BusName=org.apmatrix1", "WatchdogSec=", "ProtectSystem=strict",
                    "ReadWritePaths=", "RestrictAddressFamilies=AF_UNIX AF_NETLINK",
                    "CapabilityBoundingSet=\n", "Documentation=man:apmatrixd(8)",
                    "ExecStart=%s/apmatrixd" % sbindir]:
            check(key in text, "unit has %s" % key.strip())

        # verify: ExecStart= must be executable and every man: page must open,
        # so point both at the DESTDIR copy of what was installed.
        if daemon_in_tree:
            vunit = os.path.join(dest, "apmatrixd.service")
            with open(vunit, "w") as f:
                f.write(text.replace("ExecStart=/", "ExecStart=%s/" % dest))
            env = dict(os.environ, MANPATH=dest + mandir, SYSTEMD_LOG_LEVEL="notice")
            r = subprocess.run(["systemd-analyze", "verify", vunit], capture_output=True,
                               text=True, env=env)
            check(r.returncode == 0 and not r.stderr.strip(),
                  "systemd-analyze verify is clean", r.stdout + r.stderr)
        r = subprocess.run(["systemd-analyze", "security", "--offline=yes", unit],
                           capture_output=True, text=True)
        m = re.search(r"Overall exposure level for \S+: ([0-9.]+ \S+)", r.stdout + r.stderr)
        check(m is not None, "systemd-analyze security --offline scores the unit",
              r.stdout[-2000:] + r.stderr)
        if m:
            print("# systemd-analyze security: exposure %s" % m.group(1))
            check(float(m.group(1).split()[0]) <= 2.0, "exposure %s is at most 2.0" % m.group(1))

    tmpfiles = dest + prefix + "/lib/tmpfiles.d/apmatrixd.conf"
    if os.path.exists(tmpfiles):
        r = subprocess.run(["systemd-tmpfiles", "--root", dest, "--create", tmpfiles],
                           capture_output=True, text=True)
        st = os.stat(dest + "/var/lib/apmatrixd") if os.path.isdir(dest + "/var/lib/apmatrixd") else None
        check(r.returncode == 0 and st is not None and stat.S_IMODE(st.st_mode) == 0o700,
              "systemd-tmpfiles creates /var/lib/apmatrixd 0700", r.stderr)

print("1..%d" % n)
sys.exit(1 if failed else 0)
