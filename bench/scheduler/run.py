#!/usr/bin/python3
"""run.py: bench/scheduler: N hollow nodes, then M pods created as fast as the apiserver takes them; pods
scheduled per second (first create to last bind), create-to-bound p50/p99, each daemon's peak RSS.

The whole stack runs: a 3-member etcdlite, the apiserver, the scheduler, hollownodes (whose pods stay
Pending-bound: like scheduler_perf, nothing runs them). Then the scheduler alone: it is stopped, a
backlog of unbound pods is created, and a fresh scheduler's drain rate is timed. Environment: BIN,
BENCH_NODES (1000), BENCH_PODS (10000), BENCH_BACKLOG (2000). Anchor: kube-scheduler's scheduler_perf CI floor, SchedulingBasic with 5,000 nodes:
680 pods/s for 10,000 pods. Goal: 1,000 pods/s. A benchmark reports, it does not assert.
"""
import json
import os
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "control"))
import stack as st  # noqa: E402

NODES = int(os.environ.get("BENCH_NODES", "1000"))
PODS = int(os.environ.get("BENCH_PODS", "10000"))
BACKLOG = int(os.environ.get("BENCH_BACKLOG", "2000"))
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
        bound = {}
        lock = threading.Lock()
        all_bound = threading.Event()

        def on_event(now, ev):
            o = ev.get("object", {})
            if ev.get("type") in ("ADDED", "MODIFIED") and o.get("spec", {}).get("nodeName"):
                name = o["metadata"]["name"]
                with lock:
                    if name not in bound:
                        bound[name] = now
                        if len(bound) >= PODS:
                            all_bound.set()
        w = st.PodWatcher(s.api, s.rv("/api/v1/pods"), on_event)
        w.start()
        bodies = pod_bodies("bench", PODS)
        sent = st.create_all(s.api, "/api/v1/namespaces/default/pods", bodies)
        created_at = time.monotonic()
        ok = all_bound.wait(timeout=300)
        w.close()
        first = min(sent.values())
        lat = [bound["bench-%d" % i] - sent[i] for i in range(PODS) if "bench-%d" % i in bound]
        last = max(bound.values()) if bound else float("nan")
        rate = len(bound) / (last - first) if bound else 0.0
        print("bench/scheduler: %d hollow nodes (registered in %.1f s), %d pods%s" %
              (NODES, s.register_s, PODS, "" if ok else " (NOT ALL BOUND: %d)" % len(bound)))
        print("  creates: %.0f pods/s (%.1f s for all)" % (PODS / (created_at - first), created_at - first))
        print("  scheduled: %.0f pods/s, first create to last bind %.1f s" % (rate, last - first))
        print("  create-to-bound: p50 %.0f ms, p99 %.0f ms" % (st.pct(lat, 50) * 1000, st.pct(lat, 99) * 1000))
        print("  anchor: scheduler_perf SchedulingBasic floor %.0f pods/s (5,000 nodes): %.2fx; goal %.0f pods/s: %s"
              % (ANCHOR, rate / ANCHOR, GOAL, "met" if rate >= GOAL else "not met"))
        if BACKLOG:
            backlog(s)
        st.print_rss(s)
    finally:
        s.stop()


if __name__ == "__main__":
    main()
