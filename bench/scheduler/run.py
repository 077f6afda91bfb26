#!/usr/bin/python3
"""run.py: bench/scheduler: N hollow nodes, then M pods created as fast as the apiserver takes them; pods
scheduled per second (first create to last bind), create-to-bound p50/p99, each daemon's peak RSS.

The whole stack runs: a 3-member etcdlite, the apiserver, the scheduler, hollownodes (whose pods stay
Pending-bound: like scheduler_perf, nothing runs them). The pods are created, and their bindings
watched, by build/bench/apiserver_load --mode bound (C, one loop, BENCH_CLIENTS closed loops, default
16): a Python client of 16 threads topped out near 1,000 creates/s and spent 0.2 ms of CPU per pod on
the same two cores. Then the scheduler alone: it is stopped, a backlog of unbound pods is created,
and a fresh scheduler's drain rate is timed. Environment: BIN, BUILD, BENCH_NODES (1000),
BENCH_PODS (10000), BENCH_BACKLOG (2000), BENCH_CLIENTS (16). Anchor: kube-scheduler's
scheduler_perf CI floor, SchedulingBasic with 5,000 nodes: 680 pods/s for 10,000 pods. Goal: 1,000
pods/s. A benchmark reports, it does not assert.
"""
import json
import os
import resource
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "control"))
import stack as st  # noqa: E402

NODES = int(os.environ.get("BENCH_NODES", "1000"))
PODS = int(os.environ.get("BENCH_PODS", "10000"))
BACKLOG = int(os.environ.get("BENCH_BACKLOG", "2000"))
CLIENTS = int(os.environ.get("BENCH_CLIENTS", "16"))
LOAD = os.path.join(st.ROOT, os.environ.get("BUILD", "build"), "bench", "apiserver_load")
ANCHOR, GOAL = 680.0, 1000.0


def pod_bodies(prefix, n):
    return [json.dumps({"apiVersion": "v1", "kind": "Pod",
                        "metadata": {"name": "%s-%d" % (prefix, i), "labels": {"app": prefix}},
                        "spec": {"containers": [{"name": "c", "image": "pause",
                                                 "resources": {"requests": {"cpu": "100m", "memory": "64Mi"}}}]}}).encode()
            for i in range(n)]


def backlog(s):
    """The scheduler alone: a backlog of unbound pods made while it is stopped, drained by a fresh one."""
    import harness
    st.harness.stop(s.procs["scheduler"])
    st.create_all(s.api, "/api/v1/namespaces/default/pods", pod_bodies("backlog", BACKLOG))
    rv = s.rv("/api/v1/pods")
    bound = {}
    done = threading.Event()

    def on_event(now, ev):
        o = ev.get("object", {})
        if o.get("metadata", {}).get("name", "").startswith("backlog-") and o.get("spec", {}).get("nodeName"):
            bound.setdefault(o["metadata"]["name"], now)
            if len(bound) >= BACKLOG:
                done.set()
    w = st.PodWatcher(s.api, rv, on_event)
    w.start()
    t0 = time.monotonic()
    s.procs["scheduler"] = harness.start(s.procs["scheduler"].args, os.path.join(s.dir, "scheduler2.log"))
    ok = done.wait(timeout=120)
    w.close()
    took = (max(bound.values()) - t0) if bound else float("nan")
    print("  backlog: %d unbound pods bound by a scheduler started after them in %.2f s: %.0f pods/s%s "
          "(its start and first lists included)" % (len(bound), took, len(bound) / took if bound else 0,
                                                   "" if ok else " (NOT ALL BOUND)"))


def main():
    s = st.Stack(NODES, scheduler=True)
    try:
        ru0 = resource.getrusage(resource.RUSAGE_CHILDREN)
        out = subprocess.run([LOAD, "--server", s.api.url, "--mode", "bound", "--ns", "default", "--prefix", "bench",
                              "--count", str(PODS), "--clients", str(CLIENTS), "--timeout", "20s"],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=900)
        try:
            r = json.loads(out.stdout.decode().strip().splitlines()[-1])
        except (ValueError, IndexError):
            raise RuntimeError("apiserver_load failed: %s" % out.stderr.decode()[-2000:])
        ru1 = resource.getrusage(resource.RUSAGE_CHILDREN)
        load_cpu = ru1.ru_utime + ru1.ru_stime - ru0.ru_utime - ru0.ru_stime
        ok = r["bound"] >= PODS and not r["errors"]
        rate = r["throughput"]
        print("bench/scheduler: %d hollow nodes (registered in %.1f s), %d pods by %d clients%s" %
              (NODES, s.register_s, PODS, CLIENTS, "" if ok else " (NOT ALL BOUND: %d, errors %d: %s)" %
               (r["bound"], r["errors"], r.get("last_error"))))
        if r["retried_429"]:
            print("  (%d creates answered 429 and were sent again)" % r["retried_429"])
        print("  creates: %.0f pods/s (%.1f s for all)" % (PODS / r["create_seconds"], r["create_seconds"]))
        print("  scheduled: %.0f pods/s, first create to last bind %.1f s" % (rate, r["seconds"]))
        print("  create-to-bound: p50 %.0f ms, p99 %.0f ms (load generator cpu %.1f s)" %
              (r["p50_ms"], r["p99_ms"], load_cpu))
        print("  anchor: scheduler_perf SchedulingBasic floor %.0f pods/s (5,000 nodes): %.2fx; goal %.0f pods/s: %s"
              % (ANCHOR, rate / ANCHOR, GOAL, "met" if rate >= GOAL else "not met"))
        if BACKLOG:
            backlog(s)
        st.print_rss(s)
    finally:
        s.stop()


if __name__ == "__main__":
    main()
