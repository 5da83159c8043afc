#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""kill -9 at random instants while clients change their devices.

  crash-campaign.py TRIALS SEED UUID...

Needs APMATRIXD, STATE_DIR, SYSFS_ROOT, DAEMON_LOG and the private system bus
in the environment (tests/dbus/lib.sh sets them up), the devices defined and
started, domains 16.. reserved, and no daemon running. Each trial starts
apmatrixd (waiting for READY=1 on a notify socket, as systemd does), lets one
client per device send Assign/Unassign of control domains and usage domains
one after the other, kills the daemon with SIGKILL after a random delay, and
restarts it. Then, from disk and the simulated kernel only: every acknowledged
change is in the definition (the definition is the last acknowledged state or
that plus the one request in flight: "lost" otherwise), the kernel equals the
definition and no journal is left ("half-applied" otherwise). Prints TAP, one
line per trial, and the counts with the recovery time (exec to READY=1 after a
crash) p50/p99. Leaves the last daemon running; its PID is in $T/daemon.pid.
"""
import os
import random
import select
import socket
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import importlib  # noqa: E402

invariant = importlib.import_module("check-invariant")

STATE = os.environ["STATE_DIR"]
SYSFS = os.environ["SYSFS_ROOT"]
DAEMON = [os.environ["APMATRIXD"], "--state-dir", STATE, "--config", "/dev/null"]
LOG = os.environ["DAEMON_LOG"]
PIDFILE = os.path.join(os.path.dirname(LOG), "daemon.pid")
DOMAINS_PER_CLIENT = 8
FIRST_DOMAIN = 16


def start_daemon():
    """Start apmatrixd, return (Popen, seconds from exec to READY=1)."""
    d = tempfile.mkdtemp(prefix="notify.")
    path = os.path.join(d, "notify")
    s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC)
    s.bind(path)
    env = dict(os.environ, NOTIFY_SOCKET=path)
    env.pop("APMATRIXD_TEST_CRASH_AT", None)
    with open(LOG, "ab") as out:
        t0 = time.monotonic()
        p = subprocess.Popen(DAEMON, stdout=out, stderr=out, env=env)
    pidfd = os.pidfd_open(p.pid)
    try:
        while True:
            r, _, _ = select.select([s, pidfd], [], [], 30)
            if not r:
                raise RuntimeError("apmatrixd not ready after 30 s")
            if pidfd in r:
                raise RuntimeError("apmatrixd exited with %s during start" % p.wait())
            msg = s.recv(4096).decode(errors="replace")
            if "READY=1" in msg.split("\n"):
                elapsed = time.monotonic() - t0
                break
    finally:
        os.close(pidfd)
        s.close()
        os.unlink(path)
        os.rmdir(d)
    with open(PIDFILE, "w") as f:
        f.write("%d\n" % p.pid)
    return p, elapsed


def call(method, *args):
    cmd = ["dbus-send", "--system", "--print-reply", "--reply-timeout=30000",
           "--dest=org.apmatrix1", "/org/apmatrix1", "org.apmatrix1.Manager." + method]
    return subprocess.run(cmd + list(args), stdout=subprocess.DEVNULL,
                          stderr=subprocess.PIPE, text=True)


class Client(threading.Thread):
    """Sequential changes to one device; knows what it was told is durable."""

    def __init__(self, index, uuid, rng):
        super().__init__(daemon=True)
        self.uuid = uuid
        self.rng = rng
        lo = FIRST_DOMAIN + index * DOMAINS_PER_CLIENT
        self.own_domains = list(range(lo, lo + DOMAINS_PER_CLIENT))
        self.acked_state = None
        self.inflight = None
        self.acked = 0
        self.refused = []

    def resync(self):
        d = invariant.definition(STATE, self.uuid)
        self.acked_state = (tuple(d[1]), tuple(d[2]))
        self.inflight = None

    def next_change(self):
        domains, control = (set(x) for x in self.acked_state)
        kind = self.rng.choice(["control-domain", "control-domain", "domain"])
        pool, cur = (self.own_domains, domains) if kind == "domain" else (range(0, 255), control)
        # Keep at least one usage domain so the device stays usable.
        removable = list(cur) if kind != "domain" or len(cur) > 1 else []
        if removable and (self.rng.random() < 0.4 or len(cur) >= len(pool)):
            i = self.rng.choice(removable)
            method = "Unassign"
            cur.discard(i)
        else:
            i = self.rng.choice([x for x in pool if x not in cur])
            method = "Assign"
            cur.add(i)
        new = (tuple(sorted(domains)), tuple(sorted(control)))
        return method, kind, i, new

    def run(self):
        while True:
            method, kind, i, new = self.next_change()
            self.inflight = new
            r = call(method, "string:" + self.uuid, "string:" + kind,
                     "array:uint32:%d" % i, "uint64:0")
            if r.returncode != 0:
                # The daemon died (or refused): the change may or may not be in.
                self.refused.append(r.stderr.strip())
                return
            self.acked_state = new
            self.inflight = None
            self.acked += 1


def percentile(values, p):
    v = sorted(values)
    if not v:
        return 0.0
    return v[min(len(v) - 1, int(round(p / 100.0 * (len(v) - 1))))]


def main():
    trials, seed, uuids = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3:]
    rng = random.Random(seed)
    acked = lost = half = 0
    recovery = []
    daemon, _ = start_daemon()
    for t in range(1, trials + 1):
        clients = [Client(i, u, random.Random(rng.random())) for i, u in enumerate(uuids)]
        for c in clients:
            c.resync()
            c.start()
        # The random instant: anywhere from inside the first request to well into the run.
        delay = rng.uniform(0.005, 0.8)
        time.sleep(delay)
        daemon.kill()
        daemon.wait()
        for c in clients:
            c.join(60)
        daemon, elapsed = start_daemon()
        recovery.append(elapsed)
        problems = []
        trial_acked = sum(c.acked for c in clients)
        acked += trial_acked
        for c in clients:
            d = invariant.definition(STATE, c.uuid)
            have = (tuple(d[1]), tuple(d[2])) if d else None
            if have != c.acked_state and have != c.inflight:
                lost += 1
                problems.append("%s: definition %s, acknowledged %s, in flight %s" %
                                (c.uuid, have, c.acked_state, c.inflight))
        out = subprocess.run([sys.executable, invariant.__file__, STATE, SYSFS],
                             stdout=subprocess.PIPE, text=True)
        if out.returncode != 0:
            half += 1
            problems += out.stdout.splitlines()
        desc = "trial %d: killed after %.0f ms, %d acknowledged, recovered in %.1f ms" % (
            t, delay * 1000, trial_acked, elapsed * 1000)
        if problems:
            print("not ok %d - %s" % (t, desc))
            for p in problems:
                print("# " + p)
        else:
            print("ok %d - %s" % (t, desc))
        sys.stdout.flush()
    print("# %d trials: %d acknowledged, %d lost, %d half-applied, "
          "recovery p50 %.1f ms p99 %.1f ms max %.1f ms" %
          (trials, acked, lost, half, percentile(recovery, 50) * 1000,
           percentile(recovery, 99) * 1000, max(recovery) * 1000))
    print("1..%d" % trials)
    return 1 if lost or half else 0


if __name__ == "__main__":
    sys.exit(main())
