"""etcd_cluster.py: a cluster of etcdlite members, or of real etcd 3.4 as the anchor, on loopback.

Both take etcd's flags, so one class starts either: kind="etcdlite" or kind="etcd".
"""
import os
import shutil
import signal

import harness


class Cluster:
    def __init__(self, size=3, kind="etcdlite", extra=None, env=None):
        self.kind = kind
        self.size = size
        self.extra = list(extra or [])
        self.env = env
        self.dir = harness.tempdir("%s-" % kind)
        ports = harness.free_ports(2 * size)
        self.names = ["m%d" % (i + 1) for i in range(size)]
        self.client = ["http://127.0.0.1:%d" % ports[2 * i] for i in range(size)]
        self.peer = ["http://127.0.0.1:%d" % ports[2 * i + 1] for i in range(size)]
        self.procs = [None] * size
        self.initial = ",".join("%s=%s" % (n, u) for n, u in zip(self.names, self.peer))

    def binary(self):
        if self.kind == "etcd":
            return shutil.which("etcd") or "/usr/bin/etcd"
        return os.path.join(harness.BIN, "etcdlite")

    def data_dir(self, i):
        return os.path.join(self.dir, self.names[i])

    def start(self, i, state="new"):
        argv = [self.binary(), "--name", self.names[i], "--data-dir", self.data_dir(i),
                "--listen-client-urls", self.client[i], "--advertise-client-urls", self.client[i],
                "--listen-peer-urls", self.peer[i], "--initial-advertise-peer-urls", self.peer[i],
                "--initial-cluster", self.initial, "--initial-cluster-state", state] + self.extra
        if self.kind == "etcd":
            argv += ["--logger", "zap", "--log-outputs", "stderr"]
        self.procs[i] = harness.start(argv, os.path.join(self.dir, self.names[i] + ".log"),
                                      env=self.env)
        return self.procs[i]

    def start_all(self):
        for i in range(self.size):
            self.start(i)
        self.wait_leader()
        return self

    def alive(self, i):
        p = self.procs[i]
        return p is not None and p.poll() is None

    def kill(self, i, sig=signal.SIGKILL):
        harness.kill(self.procs[i], sig)

    def restart(self, i):
        self.start(i, state="existing")

    def status(self, i, timeout=1.0):
        st, body = harness.post_json(self.client[i] + "/v3/maintenance/status", {}, timeout=timeout)
        return body if st == 200 else None

    def leader(self):
        """Index of the member all live members agree leads, or None."""
        leaders = set()
        for i in range(self.size):
            if not self.alive(i):
                continue
            try:
                st = self.status(i)
            except OSError:
                return None
            if not st or st.get("leader", "0") == "0":
                return None
            leaders.add(st["leader"])
        if len(leaders) != 1:
            return None
        lid = leaders.pop()
        for i in range(self.size):
            if self.alive(i) and self.status(i)["header"]["member_id"] == lid:
                return i
        return None

    def wait_leader(self, timeout=15.0):
        return harness.wait_until(lambda: self.leader() is not None and self.leader() + 1,
                                  timeout, "a leader in the %s cluster" % self.kind) - 1

    def stop(self):
        """Stops every member with SIGTERM; raises if one did not exit cleanly or its
        log (of this or an earlier run of it) shows a sanitizer finding."""
        problems = []
        for i in range(self.size):
            p = self.procs[i]
            if p is None:
                continue
            was_running = p.poll() is None
            rc = harness.stop(p)
            # Real etcd dies by the signal; ours must exit 0 after a clean shutdown.
            if was_running and rc != 0 and self.kind == "etcdlite":
                problems.append("%s exited with %s:\n%s" % (self.names[i], rc,
                                                             harness.tail(p.log_path)))
            found = harness.log_problems(p.log_path)
            if found:
                problems.append("%s: %s" % (self.names[i], "\n".join(found[:10])))
        if problems:
            raise AssertionError("\n".join(problems))
