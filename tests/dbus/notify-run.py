#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Run a Type=notify service the way systemd would, for tests.

notify-run.py LOGFILE TIMEOUT_SEC -- CMD...
Binds a NOTIFY_SOCKET, starts CMD (stdout/stderr to LOGFILE), waits for
READY=1, prints the PID and exits 0, leaving CMD running. Exits 1 (with
the log) if CMD dies or the timeout passes first. Waits on the socket and
the child, no polling sleeps.
"""
import os
import select
import socket
import subprocess
import sys
import tempfile
import time

log, timeout = sys.argv[1], float(sys.argv[2])
cmd = sys.argv[sys.argv.index("--") + 1:]
d = tempfile.mkdtemp(prefix="notify.")
path = os.path.join(d, "notify")
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(path)
env = dict(os.environ, NOTIFY_SOCKET=path)
with open(log, "ab") as out:
    p = subprocess.Popen(cmd, stdout=out, stderr=out, env=env, start_new_session=False)
pidfd = os.pidfd_open(p.pid)
deadline = time.monotonic() + timeout
ok = False
while not ok:
    left = deadline - time.monotonic()
    if left <= 0:
        break
    r, _, _ = select.select([s, pidfd], [], [], left)
    if s in r:
        msg = s.recv(4096).decode(errors="replace")
        if "READY=1" in msg.split("\n"):
            ok = True
    elif pidfd in r:
        break
os.unlink(path)
os.rmdir(d)
if not ok:
    sys.stderr.write("service did not become ready: %s\n" % " ".join(cmd))
    try:
        sys.stderr.write(open(log).read()[-4000:])
    except OSError:
        pass
    if p.poll() is None:
        p.kill()
    sys.exit(1)
print(p.pid)
