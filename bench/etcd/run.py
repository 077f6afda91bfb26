#!/usr/bin/python3
"""run.py: bench/etcd: the same load against a 3-member real etcd 3.4 and a 3-member etcdlite, as ratios.

Both clusters run on loopback with fsync on (etcd always fsyncs; etcdlite fsyncs
before it acknowledges), the same --heartbeat-interval/--election-timeout and
--snapshot-count, data dirs in one temp dir on the same disk. Each is driven by
build/bench/etcd_load (C, the common HTTP client) through the v3 JSON API.
Goals are printed as met or not: a benchmark reports, it does not assert.

Environment: BIN (etcdlite's folder, default bin), BUILD (default build),
BENCH_SECONDS (per workload, default 5), BENCH_KINDS (default "etcd,etcdlite").
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

import etcd_cluster  # noqa: E402
import harness  # noqa: E402

BUILD = os.path.join(ROOT, os.environ.get("BUILD", "build"))
LOAD = os.path.join(BUILD, "bench", "etcd_load")
SECONDS = float(os.environ.get("BENCH_SECONDS", "5"))
KINDS = os.environ.get("BENCH_KINDS", "etcd,etcdlite").split(",")
MEM_WRITES = 10000
TIMING = ["--heartbeat-interval", "100", "--election-timeout", "1000", "--snapshot-count", "100000"]

# (label, workload, clients)
WORKLOADS = [
    ("put 256B, 1 client", "put", 1),
    ("put 256B, 16 clients", "put", 16),
    ("put 256B, 64 clients", "put", 64),
    ("range (linearizable), 16 clients", "range", 16),
    ("range (linearizable), 64 clients", "range", 64),
]


def load(endpoints, workload, clients, extra=None):
    argv = [LOAD, "--endpoints", ",".join(endpoints), "--workload", workload,
            "--clients", str(clients), "--value-size", "256", "--keyspace", "100000",
            "--duration", "%dms" % int(SECONDS * 1000)] + list(extra or [])
    out = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=120)
    try:
        return json.loads(out.stdout.decode().strip().splitlines()[-1])
    except (ValueError, IndexError):
        sys.stderr.write("etcd bench: load generator failed: %s\n" % out.stderr.decode())
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


def cluster_hwm_kb(cl):
    """Peak RSS of the cluster: the sum of its members' VmHWM."""
    return sum(proc_kb(cl.procs[i].pid, "VmHWM") for i in range(cl.size) if cl.alive(i))


def revision(cl):
    """Writes the cluster holds (its store revision), to read the peak RSS beside."""
    for i in range(cl.size):
        try:
            st = cl.status(i)
            if st:
                return int(st["header"]["revision"])
        except (OSError, KeyError, ValueError):
            pass
    return 0


def failover(cl):
    """Writers on the two followers; the generator kills the leader itself and times the gap."""
    leader = cl.wait_leader()
    followers = [cl.client[i] for i in range(cl.size) if i != leader]
    return load(followers, "put", 4,
                ["--kill-pid", str(cl.procs[leader].pid), "--kill-after", "1s",
                 "--timeout", "500ms", "--retry-delay", "5ms", "--duration", "20s"])


def bench_all(kinds):
    """Both clusters run side by side (the idle one only heartbeats) and each workload runs
    on one then the other, so a machine shared with other work treats them alike."""
    clusters = {}
    res = {k: {"rows": {}, "rss_kb": 0, "failover": None} for k in kinds}
    try:
        for kind in kinds:
            clusters[kind] = etcd_cluster.Cluster(3, kind=kind, extra=TIMING).start_all()
        # Memory like for like: the same 10,000 writes into each, then the peak.
        for kind in kinds:
            load(clusters[kind].client, "put", 16, ["--ops", str(MEM_WRITES), "--duration", "0"])
            res[kind]["rss_same_kb"] = cluster_hwm_kb(clusters[kind])
        for label, workload, clients in WORKLOADS:
            for kind in kinds:
                res[kind]["rows"][label] = load(clusters[kind].client, workload, clients)
        for kind in kinds:
            res[kind]["rss_kb"] = cluster_hwm_kb(clusters[kind])
            res[kind]["revision"] = revision(clusters[kind])
        for kind in kinds:
            res[kind]["failover"] = failover(clusters[kind])
            clusters[kind].stop()
    finally:
        for cl in clusters.values():
            cl.stop()
    return res


def fmt_ms(v):
    return "%.2f" % v


def machine():
    cpu = "?"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    return "%d cores, %s, Linux %s, %s" % (os.cpu_count(), cpu, platform.release(),
                                           datetime.datetime.now().strftime("%Y-%m-%d %H:%M"))


def main():
    if not os.path.exists(LOAD):
        sys.stderr.write("etcd bench: %s missing (make %s)\n" % (LOAD, os.path.relpath(LOAD, ROOT)))
        return 1
    t0 = time.monotonic()
    results = bench_all(KINDS)
    e, l = results.get("etcd"), results.get("etcdlite")

    print("etcd bench: 3-member etcd %s vs 3-member etcdlite on loopback, fsync on, "
          "heartbeat 100ms, election 1000ms, %.0fs per workload, clients spread over the 3 members"
          % (etcd_version(), SECONDS))
    print("machine: %s" % machine())
    hdr = "%-34s | %9s %8s %8s | %9s %8s %8s | %6s" % (
        "workload", "etcd op/s", "p50 ms", "p99 ms", "lite op/s", "p50 ms", "p99 ms", "ratio")
    print(hdr)
    print("-" * len(hdr))
    for label, _, _ in WORKLOADS:
        cells = []
        for r in (e, l):
            row = r and r["rows"].get(label)
            if row:
                cells += ["%9.0f" % row["throughput"], "%8s" % fmt_ms(row["p50_ms"]),
                          "%8s" % fmt_ms(row["p99_ms"])]
            else:
                cells += ["%9s" % "-", "%8s" % "-", "%8s" % "-"]
        er, lr = e and e["rows"].get(label), l and l["rows"].get(label)
        ratio = "%5.2fx" % (lr["throughput"] / er["throughput"]) if er and lr and er["throughput"] else "-"
        errs = []
        for name, r in (("etcd", er), ("etcdlite", lr)):
            if r and r["errors"]:
                errs.append("%s errors %d" % (name, r["errors"]))
        print("%-34s | %s %s %s | %s %s %s | %6s%s" % (
            (label,) + tuple(cells) + (ratio, "  (" + ", ".join(errs) + ")" if errs else "")))
    print()
    if e and l:
        rr = l["rss_kb"] / e["rss_kb"] if e["rss_kb"] else float("nan")
        rs = l["rss_same_kb"] / e["rss_same_kb"] if e["rss_same_kb"] else float("nan")
        print("peak RSS (sum of 3 members' VmHWM) after the same %d writes: etcd %.1f MiB, "
              "etcdlite %.1f MiB, ratio %.2f" % (MEM_WRITES, e["rss_same_kb"] / 1024,
                                                l["rss_same_kb"] / 1024, rs))
        print("peak RSS at the end: etcd %.1f MiB holding %d revisions, etcdlite %.1f MiB holding "
              "%d revisions (more writes done in the same time), ratio %.2f"
              % (e["rss_kb"] / 1024, e["revision"], l["rss_kb"] / 1024, l["revision"], rr))
    for name, r in (("etcd", e), ("etcdlite", l)):
        if r is None:
            continue
        f = r["failover"]
        if f and f.get("failover_ms") is not None:
            print("failover %-8s: leader kill -9 to first successful write %.0f ms "
                  "(4 writers on the followers, 500 ms request timeout, %d failed requests)"
                  % (name, f["failover_ms"], f["errors"]))
        else:
            print("failover %-8s: no successful write after the kill" % name)
    if e and l:
        print()
        key = "put 256B, 64 clients"
        er, lr = e["rows"].get(key), l["rows"].get(key)
        if er and lr:
            ratio = lr["throughput"] / er["throughput"]
            print("goal: etcdlite >= 2x etcd write throughput at 64 clients: %.2fx -> %s"
                  % (ratio, "met" if ratio >= 2 else "NOT met"))
            print("goal: etcdlite p99 <= etcd p99 at 64 clients: %.2f ms vs %.2f ms -> %s"
                  % (lr["p99_ms"], er["p99_ms"], "met" if lr["p99_ms"] <= er["p99_ms"] else "NOT met"))
        for what, k in (("after the same writes", "rss_same_kb"), ("at the end", "rss_kb")):
            if e[k]:
                rr = l[k] / e[k]
                print("goal: etcdlite peak RSS <= 1/4 of etcd's (%s): %.2f -> %s"
                      % (what, rr, "met" if rr <= 0.25 else "NOT met"))
    print("(whole run %.0f s)" % (time.monotonic() - t0))
    return 0


def etcd_version():
    try:
        out = subprocess.run(["etcd", "--version"], stdout=subprocess.PIPE, timeout=10).stdout.decode()
        return out.split()[2]
    except (OSError, IndexError, subprocess.SubprocessError):
        return "3.4"


if __name__ == "__main__":
    sys.exit(main())
