#!/usr/bin/python3
"""run.py: bench/proxy: wrk through kubeproxy (NodePort and ClusterIP) against wrk straight to the backend.

One backend (build/bench/http_server, GET /ping, keep-alive), one Service of
type NodePort with an Endpoints object naming it, written to a real apiserver
over etcdlite; bin/kubeproxy proxies it, in each proxy mode: userspace (every
byte through the libuv engine) and nftables (the kernel DNATs; the engine is
the fallback). The machine is shared, so load drifts: each round runs wrk
direct, through the NodePort and through the ClusterIP back to back, a ratio
is taken within the round, and the median over rounds is printed with
requests/s, p50 and p99 and the p99 the proxy adds. Anchors (issue 6): Kubernetes' userspace proxy reached 36 %
of direct throughput, its iptables mode 96 %. Goal: >= 80 %, p99 added < 1 ms.
A benchmark reports, it does not assert.

Beside each rate it prints the CPU time the proxy and the backend spent per
request (utime + stime from /proc over the wrk run): on a shared machine the
rate swings with the other tenants, the CPU cost per request much less, so it
is the figure to compare builds by.

Environment: BIN (default bin), BUILD (default build), BENCH_SECONDS (default 4),
BENCH_CONNS (default 64), BENCH_THREADS (wrk threads, default 2), BENCH_ROUNDS (default 3),
BENCH_MODES (default "userspace nftables").
"""
import os
import platform
import re
import shutil
import subprocess
import sys

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "tests", "lib"))

import harness  # noqa: E402
from apiserver_proc import Apiserver  # noqa: E402
from etcd_cluster import Cluster  # noqa: E402

BUILD = os.path.join(ROOT, os.environ.get("BUILD", "build"))
SERVER = os.path.join(BUILD, "bench", "http_server")
SECONDS = int(os.environ.get("BENCH_SECONDS", "4"))
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "3"))
CONNS = int(os.environ.get("BENCH_CONNS", "64"))
THREADS = int(os.environ.get("BENCH_THREADS", "2"))
MODES = os.environ.get("BENCH_MODES", "userspace nftables").split()
NS = "/api/v1/namespaces/default"
TICK = os.sysconf("SC_CLK_TCK")


def ms(v):
    """wrk's latency ("812.00us", "1.20ms", "2.00s") in milliseconds."""
    m = re.match(r"([\d.]+)(us|ms|s)$", v)
    n = float(m.group(1))
    return {"us": n / 1000, "ms": n, "s": n * 1000}[m.group(2)]


def cpu_seconds(pid):
    """utime + stime of pid so far, in seconds (fields 14 and 15 of /proc/pid/stat)."""
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK


def wrk(url, pids):
    """One wrk run; cpu: microseconds of CPU per request of each process in pids."""
    before = {k: cpu_seconds(v) for k, v in pids.items()}
    out = subprocess.run(["wrk", "-t%d" % THREADS, "-c%d" % CONNS, "-d%ds" % SECONDS, "--latency",
                          url], capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"^Requests/sec:\s+([\d.]+)", out, re.M).group(1))
    lat = dict(re.findall(r"^\s+(50|99)%\s+(\S+)", out, re.M))
    errs = re.search(r"Non-2xx or 3xx responses: (\d+)|Socket errors: (.*)", out)
    reqs = int(re.search(r"^\s*(\d+) requests in", out, re.M).group(1))
    cpu = {k: (cpu_seconds(v) - before[k]) * 1e6 / max(reqs, 1) for k, v in pids.items()}
    return {"rps": rps, "p50": ms(lat["50"]), "p99": ms(lat["99"]), "cpu": cpu,
            "errors": errs.group(0) if errs else ""}


def median(xs):
    xs = sorted(xs)
    return xs[len(xs) // 2] if len(xs) % 2 else (xs[len(xs) // 2 - 1] + xs[len(xs) // 2]) / 2


def main():
    etcd = Cluster(size=1).start_all()
    api = Apiserver(etcd.client)
    d = harness.tempdir("bench-proxy-")
    srv = subprocess.Popen([SERVER], stdout=subprocess.PIPE, text=True, start_new_session=True)
    harness._procs.append(srv)
    port = int(srv.stdout.readline())
    st, svc = api.req("POST", NS + "/services", {
        "apiVersion": "v1", "kind": "Service", "metadata": {"name": "bench"},
        "spec": {"type": "NodePort", "selector": {"app": "bench"},
                 "ports": [{"name": "http", "port": 80, "protocol": "TCP"}]}})
    assert st == 201, (st, svc)
    cip, nport = svc["spec"]["clusterIP"], svc["spec"]["ports"][0]["nodePort"]
    st, body = api.req("POST", NS + "/endpoints", {
        "apiVersion": "v1", "kind": "Endpoints", "metadata": {"name": "bench"},
        "subsets": [{"addresses": [{"ip": "127.0.0.1"}],
                     "ports": [{"name": "http", "port": port, "protocol": "TCP"}]}]})
    assert st == 201, (st, body)
    direct_url = "http://127.0.0.1:%d/ping" % port
    node_url = "http://127.0.0.1:%d/ping" % nport
    cluster_url = "http://%s/ping" % cip
    runs = {}
    for mode in MODES:
        if mode == "nftables" and not shutil.which("nft"):
            continue
        hz, mp = harness.free_ports(2)
        kp = harness.start([os.path.join(harness.BIN, "kubeproxy"), "--master", api.url,
                            "--bind-address", "127.0.0.1", "--healthz-port", str(hz),
                            "--metrics-port", str(mp), "--proxy-mode", mode, "--dns-port", "-1"],
                           os.path.join(d, "kubeproxy-%s.log" % mode))
        harness.wait_until(lambda: harness.http("GET", "http://127.0.0.1:%d/readyz" % hz,
                                                timeout=1)[0] == 200, 10, "kubeproxy synced")
        harness.wait_until(lambda: harness.http("GET", cluster_url, timeout=1)[0] == 200, 10,
                           "kubeproxy serving the cluster ip")
        harness.wait_until(lambda: harness.http("GET", node_url, timeout=1)[0] == 200, 10,
                           "kubeproxy serving the node port")
        pids = {"proxy": kp.pid, "backend": srv.pid}
        runs[mode] = [(wrk(direct_url, pids), wrk(node_url, pids), wrk(cluster_url, pids))
                      for _ in range(ROUNDS)]
        harness.stop(kp)

    cpu = ""
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    print("proxy bench: GET /ping through kubeproxy vs direct, wrk -t%d -c%d -d%ds, machine: %d cores, %s"
          % (THREADS, CONNS, SECONDS, os.cpu_count(), cpu or platform.machine()))
    print("  %-24s %12s %9s %9s %8s %14s %22s" % ("path (median of %d rounds)" % ROUNDS, "requests/s",
                                                    "p50 ms", "p99 ms", "ratio", "p99 added ms",
                                                    "CPU us/req proxy, backend"))
    for mode, rounds in runs.items():
        worst, worst_added = 1e9, -1e9
        for i, label in ((0, "direct"), (1, "NodePort"), (2, "ClusterIP")):
            rps = median([r[i]["rps"] for r in rounds])
            p50 = median([r[i]["p50"] for r in rounds])
            p99 = median([r[i]["p99"] for r in rounds])
            cpu = "%10.1f, %9.1f" % (median([r[i]["cpu"]["proxy"] for r in rounds]),
                                      median([r[i]["cpu"]["backend"] for r in rounds]))
            if i == 0:
                print("  %-24s %12.0f %9.3f %9.3f %8s %14s %22s" % ("%s, direct" % mode, rps, p50, p99,
                                                                     "100 %", "-", cpu))
                continue
            ratio = median([r[i]["rps"] / r[0]["rps"] for r in rounds])
            added = median([r[i]["p99"] - r[0]["p99"] for r in rounds])
            worst, worst_added = min(worst, ratio), max(worst_added, added)
            print("  %-24s %12.0f %9.3f %9.3f %7.0f %% %14.3f %22s" % ("%s, %s" % (mode, label), rps,
                                                                        p50, p99, ratio * 100, added, cpu))
        print("    %s: goal >= 80 %% of direct %s (worst %.0f %%); p99 added < 1 ms %s (worst %.3f ms)"
              % (mode, "met" if worst >= 0.8 else "NOT met", worst * 100,
                 "met" if worst_added < 1.0 else "NOT met", worst_added))
    print("  anchors: Kubernetes userspace proxy 36 %, iptables 96 % of direct")
    harness.stop(srv)
    api.stop()
    etcd.kill(0)


if __name__ == "__main__":
    main()
