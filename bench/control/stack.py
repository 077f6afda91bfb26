"""stack.py: what bench/scheduler and bench/deployment share: a 3-member etcdlite, an apiserver, hollow nodes,
a pod watcher that timestamps events as they arrive, parallel creates, and each daemon's peak RSS."""
import http.client
import json
import os
import sys
import threading
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "tests", "lib"))

import harness  # noqa: E402
from apiserver_proc import Apiserver  # noqa: E402
from etcd_cluster import Cluster  # noqa: E402


class Stack:
    def __init__(self, nodes, scheduler=True, controller=False, ready_delay="1h"):
        self.dir = harness.tempdir("bench-control-")
        self.procs = {}
        self.etcd = Cluster(size=3).start_all()
        for i, p in enumerate(self.etcd.procs):
            self.procs["etcdlite-%d" % (i + 1)] = p
        # a /24 of pod IPs per node: the default /16 holds 256 nodes, as in Kubernetes
        self.api = Apiserver(self.etcd.client, extra=["--cluster-cidr", "10.0.0.0/8"])
        self.procs["apiserver"] = self.api.proc
        m = ["--master", self.api.url]
        b = harness.BIN
        # Leases every 10 s as kubelets renew them; pods go Running only after ready_delay.
        self.procs["hollownodes"] = harness.start(
            [os.path.join(b, "hollownodes"), "--nodes", str(nodes), "--lease-interval", "10s",
             "--ready-delay", ready_delay, "--cpu", "32", "--memory", "128Gi"] + m,
            os.path.join(self.dir, "hollow.log"))
        t0 = time.monotonic()
        harness.wait_until(lambda: self.count("/api/v1/nodes") >= nodes, 120, "%d hollow nodes" % nodes, interval=0.5)
        self.register_s = time.monotonic() - t0
        if scheduler:
            self.procs["scheduler"] = harness.start([os.path.join(b, "scheduler")] + m,
                                                    os.path.join(self.dir, "scheduler.log"))
        if controller:
            self.procs["controller"] = harness.start([os.path.join(b, "controller")] + m,
                                                     os.path.join(self.dir, "controller.log"))

    def count(self, path):
        st, body = self.api.req("GET", path, timeout=60)
        return len(body["items"]) if st == 200 else 0

    def rv(self, path):
        st, body = self.api.req("GET", path + "?limit=1", timeout=60)
        return body["metadata"]["resourceVersion"]

    def rss_mb(self):
        out = {}
        for name, p in self.procs.items():
            try:
                with open("/proc/%d/status" % p.pid) as f:
                    for line in f:
                        if line.startswith("VmHWM:"):
                            out[name] = int(line.split()[1]) / 1024.0
            except OSError:
                pass
        return out

    def cpu_s(self):
        out = {}
        tck = os.sysconf("SC_CLK_TCK")
        for name, p in self.procs.items():
            try:
                with open("/proc/%d/stat" % p.pid) as f:
                    fields = f.read().rsplit(")", 1)[1].split()
                out[name] = (int(fields[11]) + int(fields[12])) / tck
            except OSError:
                pass
        return out

    def stop(self):
        for name, p in self.procs.items():
            if not name.startswith("etcdlite"):
                harness.stop(p)
        for i in range(self.etcd.size):
            self.etcd.kill(i)


class PodWatcher(threading.Thread):
    """Watches pods from rv and calls on_event(now, event) for each, on its own thread."""

    def __init__(self, api, rv, on_event):
        super().__init__(daemon=True)
        self.conn = http.client.HTTPConnection("127.0.0.1", api.port, timeout=600)
        self.conn.request("GET", "/api/v1/pods?watch=1&allowWatchBookmarks=false&timeoutSeconds=600&resourceVersion=" + rv)
        self.resp = self.conn.getresponse()
        self.on_event = on_event
        self.done = threading.Event()

    def run(self):
        try:
            while not self.done.is_set():
                line = self.resp.readline()
                if not line:
                    return
                self.on_event(time.monotonic(), json.loads(line))
        except (OSError, AttributeError, ValueError):
            return  # closed under it

    def close(self):
        self.done.set()
        try:
            self.conn.sock.shutdown(2)
        except OSError:
            pass
        self.conn.close()


def create_all(api, path, bodies, threads=16):
    """POSTs bodies (already JSON bytes) over `threads` keep-alive connections; returns {index: send time}."""
    sent = {}
    errors = []
    retried = [0]
    lock = threading.Lock()

    def worker(k):
        conn = http.client.HTTPConnection("127.0.0.1", api.port, timeout=60)
        for i in range(k, len(bodies), threads):
            t = time.monotonic()
            while True:
                conn.request("POST", path, body=bodies[i], headers={"Content-Type": "application/json"})
                r = conn.getresponse()
                r.read()
                if r.status != 429:
                    break
                with lock:
                    retried[0] += 1
                time.sleep(0.05)  # the apiserver's max-in-flight said wait, as client-go does
            with lock:
                sent[i] = t
                if r.status != 201:
                    errors.append(r.status)
        conn.close()
    ts = [threading.Thread(target=worker, args=(k,)) for k in range(threads)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    if errors:
        raise RuntimeError("%d creates failed, e.g. %s" % (len(errors), errors[:3]))
    if retried[0]:
        print("  (%d creates answered 429 and were sent again)" % retried[0])
    return sent


def pct(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(len(xs) * p / 100.0))] if xs else float("nan")


def print_rss(stack):
    cpu = stack.cpu_s()
    for name, mb in sorted(stack.rss_mb().items()):
        print("  %-12s peak RSS %7.1f MB, cpu %6.1f s" % (name, mb, cpu.get(name, 0.0)))
