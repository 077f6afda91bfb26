#!/usr/bin/python3
"""run.py: bench/apiserver: pod create/get/update/list, watch fan-out and RSS, over etcdlite and over etcd.

For each store (a 3-member cluster on loopback, fsync on, heartbeat 100 ms) one
apiserver runs on it and build/bench/apiserver_load (C, the common HTTP client,
one libuv loop) drives it:
  1. open loop: OPEN_PODS creates at OPEN_RATE/s into namespace b1k (its list: "list 1k"),
  2. closed loop: creates into b9k until the apiserver holds PODS pods (list /api/v1/pods: "list 10k"),
  3. get and update (PUT with resourceVersion), closed loops for SECONDS each,
  4. lists, closed loops for SECONDS each,
  5. RSS of the apiserver (VmRSS, and VmHWM, the peak, which includes the lists),
  6. fan-out: WATCHERS watches on namespace fan, WRITES creates one after another.
Targets are printed as met or not: a benchmark reports, it does not assert.

Environment: BIN (default bin), BUILD (default build), BENCH_KINDS (default
"etcdlite,etcd"), BENCH_SECONDS (default 3), BENCH_PODS (default 10000),
BENCH_WATCHERS (default 1000).
"""
import datetime
import json
import os
import platform
import subprocess
import sys
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "tests", "lib"))

import apiserver_proc  # noqa: E402
import etcd_cluster  # noqa: E402
import harness  # noqa: E402

BUILD = os.path.join(ROOT, os.environ.get("BUILD", "build"))
LOAD = os.path.join(BUILD, "bench", "apiserver_load")
KINDS = os.environ.get("BENCH_KINDS", "etcdlite,etcd").split(",")
SECONDS = float(os.environ.get("BENCH_SECONDS", "3"))
PODS = int(os.environ.get("BENCH_PODS", "10000"))
WATCHERS = int(os.environ.get("BENCH_WATCHERS", "1000"))
OPEN_RATE = 500
OPEN_PODS = 1000
WRITES = 20
CLOSED_CLIENTS = 32
TIMING = ["--heartbeat-interval", "100", "--election-timeout", "1000", "--snapshot-count", "100000"]

ROWS = [
    ("create, open loop %d/s" % OPEN_RATE, "open"),
    ("create, closed loop %d clients" % CLOSED_CLIENTS, "closed"),
    ("get, 16 clients", "get"),
    ("update (PUT), 16 clients", "update"),
    ("list 1,000 pods, 4 clients", "list1k"),
    ("list %s pods, 2 clients" % format(PODS, ","), "list10k"),
    ("watch fan-out, %d watchers (last)" % WATCHERS, "fanout"),
    ("  every watcher's event", "deliver"),
]


def load(server, *args, timeout=180):
    argv = [LOAD, "--server", server] + list(args)
    out = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=timeout)
    try:
        return json.loads(out.stdout.decode().strip().splitlines()[-1])
    except (ValueError, IndexError):
        sys.stderr.write("apiserver bench: %s failed: %s\n" % (" ".join(args), out.stderr.decode()[-2000:]))
        return None


def proc_kb(pid, field):
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def make_ns(api, name):
    st, body = api.req("POST", "/api/v1/namespaces",
                       {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}})
    if st not in (201, 409):
        raise RuntimeError("namespace %s: %s %s" % (name, st, body))


def count_pods(api):
    st, body = api.req("GET", "/api/v1/pods", timeout=60.0)
    return len(body.get("items", [])) if st == 200 else 0


def metric_sums(api):
    """(sum, count) of the apiserver's pod create latency and of its etcd txn latency, from /metrics."""
    st, raw = api.req("GET", "/metrics")
    out = {}
    text = raw.decode() if isinstance(raw, bytes) else ""
    for line in text.splitlines():
        for key, pat in (("create", 'apiserver_request_duration_seconds_%s{verb="create",resource="pods"}'),
                         ("txn", 'etcd_request_duration_seconds_%s{operation="txn"}')):
            for part in ("sum", "count"):
                if line.startswith(pat % part):
                    out[(key, part)] = float(line.split()[-1])
    return out


def mean_ms(before, after, key):
    n = after.get((key, "count"), 0) - before.get((key, "count"), 0)
    return 1000 * (after.get((key, "sum"), 0) - before.get((key, "sum"), 0)) / n if n else 0.0


def bench_one(kind):
    res = {}
    cl = api = None
    try:
        cl = etcd_cluster.Cluster(3, kind=kind, extra=TIMING).start_all()
        api = apiserver_proc.Apiserver(cl.client)
        s = api.url
        for ns in ("b1k", "b9k", "fan"):
            make_ns(api, ns)
        dur = "%dms" % int(SECONDS * 1000)
        m0 = metric_sums(api)
        res["open"] = load(s, "--mode", "create", "--ns", "b1k", "--prefix", "p", "--count", str(OPEN_PODS),
                           "--rate", str(OPEN_RATE))
        m1 = metric_sums(api)
        res["open_split"] = (mean_ms(m0, m1, "create"), mean_ms(m0, m1, "txn"))
        # refused creates (429 when the store falls behind) are made up, so the lists see 1,000 and 10,000
        st, b1k = api.req("GET", "/api/v1/namespaces/b1k/pods", timeout=60.0)
        missing = OPEN_PODS - len(b1k.get("items", [])) if st == 200 else 0
        if missing > 0:
            load(s, "--mode", "create", "--ns", "b1k", "--prefix", "q", "--count", str(missing),
                 "--clients", str(CLOSED_CLIENTS))
        rest = PODS - OPEN_PODS
        res["closed"] = load(s, "--mode", "create", "--ns", "b9k", "--prefix", "p", "--count", str(rest),
                             "--clients", str(CLOSED_CLIENTS))
        res["pods"] = count_pods(api)
        res["rss_after_creates_kb"] = proc_kb(api.proc.pid, "VmRSS")
        res["get"] = load(s, "--mode", "get", "--ns", "b9k", "--prefix", "p", "--count", str(rest),
                          "--clients", "16", "--duration", dur)
        res["update"] = load(s, "--mode", "update", "--ns", "b9k", "--prefix", "p", "--clients", "16",
                             "--duration", dur)
        res["list1k"] = load(s, "--mode", "list", "--path", "/api/v1/namespaces/b1k/pods", "--clients", "4",
                             "--duration", dur)
        res["list10k"] = load(s, "--mode", "list", "--path", "/api/v1/pods", "--clients", "2",
                              "--duration", dur)
        res["rss_kb"] = proc_kb(api.proc.pid, "VmRSS")
        res["hwm_kb"] = proc_kb(api.proc.pid, "VmHWM")
        fan = load(s, "--mode", "fanout", "--ns", "fan", "--prefix", "f", "--watchers", str(WATCHERS),
                   "--writes", str(WRITES), "--timeout", "5s")
        res["fanout"] = fan
        if fan:
            fan["throughput"] = 0  # writes go one after another: a rate says nothing
            res["deliver"] = {"throughput": 0, "p50_ms": fan["deliver_p50_ms"], "p99_ms": fan["deliver_p99_ms"],
                              "errors": 0, "ops": fan["deliveries"]}
        res["rss_fan_kb"] = proc_kb(api.proc.pid, "VmRSS")
    finally:
        if api:
            api.stop()
        if cl:
            cl.stop()
    return res


def machine():
    cpu = "?"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    load1, load5, load15 = os.getloadavg()
    return "%d cores (nproc), %s, Linux %s, load average %.2f %.2f %.2f at start, %s" % (
        os.cpu_count(), cpu, platform.release(), load1, load5, load15,
        datetime.datetime.now().strftime("%Y-%m-%d %H:%M"))


def etcd_version():
    try:
        out = subprocess.run(["etcd", "--version"], stdout=subprocess.PIPE, timeout=10).stdout.decode()
        return out.split()[2]
    except (OSError, IndexError, subprocess.SubprocessError):
        return "3.4"


def cell(r):
    if not r:
        return "%8s %8s %8s" % ("-", "-", "-")
    tp = "%8.0f" % r["throughput"] if r["throughput"] else "%8s" % ""
    return "%s %8.2f %8.2f" % (tp, r["p50_ms"], r["p99_ms"])


def main():
    if not os.path.exists(LOAD):
        sys.stderr.write("apiserver bench: %s missing (make %s)\n" % (LOAD, os.path.relpath(LOAD, ROOT)))
        return 1
    t0 = time.monotonic()
    mach = machine()
    results = {k: bench_one(k) for k in KINDS}
    print("apiserver bench: one apiserver over a 3-member etcdlite and over a 3-member etcd %s, loopback, "
          "fsync on; %.0f s per closed-loop row; pods of ~450 bytes" % (etcd_version(), SECONDS))
    print("machine: %s" % mach)
    if PODS != 10000 or WATCHERS != 1000:
        print("scaled down: %d pods, %d watchers (BENCH_PODS, BENCH_WATCHERS)" % (PODS, WATCHERS))
    hdr = "%-36s" % "row" + "".join(" | %-26s" % ("%s: op/s p50 ms p99 ms" % k[:8]) for k in KINDS)
    print(hdr)
    print("-" * len(hdr))
    for label, key in ROWS:
        line = "%-36s" % label
        notes = []
        for k in KINDS:
            r = results[k].get(key)
            line += " | %s  " % cell(r)
            if r and r.get("errors"):
                notes.append("%s errors %d %s" % (k, r["errors"], json.dumps(r.get("last_error", ""))))
        print(line + ("  (" + "; ".join(notes) + ")" if notes else ""))
    for label, key in (("apiserver RSS MiB: after the creates", "rss_after_creates_kb"),
                       ("  after gets, updates and the lists", "rss_kb"),
                       ("  peak (VmHWM, during the lists)", "hwm_kb"),
                       ("  with the %d watchers open" % WATCHERS, "rss_fan_kb")):
        line = "%-36s" % label
        for k in KINDS:
            line += " | %-26s" % ("%.1f" % (results[k].get(key, 0) / 1024))
        print(line)
    print("%-36s" % "pods held" + "".join(" | %-26d" % results[k].get("pods", 0) for k in KINDS))
    print()
    for k in KINDS:
        sp = results[k].get("open_split")
        if sp:
            print("where a create's time goes (%s, open loop, server side means): request %.2f ms, "
                  "of which the etcd txn %.2f ms" % (k, sp[0], sp[1]))
    lite = results.get("etcdlite")
    if lite:
        o = lite.get("open")
        if o:
            print("target: create p99 < 20 ms at %d/s on etcdlite: %.2f ms -> %s" % (
                OPEN_RATE, o["p99_ms"], "met" if o["p99_ms"] < 20 and not o["errors"] else "NOT met"))
    for k in KINDS:
        f = results[k].get("fanout")
        if f:
            ok = f["p99_ms"] < 100 and f["ops"] == WRITES
            print("target: fan-out to %d watchers p99 < 100 ms (%s): %.2f ms over %d writes -> %s" % (
                WATCHERS, k, f["p99_ms"], f["ops"], "met" if ok else "NOT met"))
    limit_mib = 50 * 1e6 / 2**20
    for k in KINDS:
        r = results[k]
        if r.get("rss_after_creates_kb"):
            vals = [r.get(x, 0) / 1024 for x in ("rss_after_creates_kb", "rss_kb", "hwm_kb")]
            print("target: apiserver RSS < 50 MB with %d pods (%s): %.1f MiB after the creates -> %s; "
                  "%.1f MiB after the lists -> %s; peak %.1f MiB -> %s" % (
                      r.get("pods", 0), k, vals[0], "met" if vals[0] < limit_mib else "NOT met",
                      vals[1], "met" if vals[1] < limit_mib else "NOT met",
                      vals[2], "met" if vals[2] < limit_mib else "NOT met"))
    print("(whole run %.0f s)" % (time.monotonic() - t0))
    return 0


if __name__ == "__main__":
    sys.exit(main())
