#!/usr/bin/python3
"""run.py: bench/deployment: time from creating a Deployment of N replicas to N Running (hollow) pods.

The whole stack runs: a 3-member etcdlite, the apiserver, the scheduler, the controller and hollownodes
(which mark a bound pod Running and Ready at once). Environment: BIN, BENCH_NODES (1000),
BENCH_REPLICAS (1000). Anchor: kube-controller-manager at its default client rate limit (20 QPS, burst
30) needs at least 50 s for 1,000 pod creates. Goal: under 5 s. A benchmark reports, it does not assert.
"""
import os
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "control"))
import stack as st  # noqa: E402

NODES = int(os.environ.get("BENCH_NODES", "1000"))
REPLICAS = int(os.environ.get("BENCH_REPLICAS", "1000"))
ANCHOR, GOAL = 50.0, 5.0


def main():
    s = st.Stack(NODES, scheduler=True, controller=True, ready_delay="0s")
    try:
        running, bound = {}, {}
        lock = threading.Lock()
        done = threading.Event()

        def on_event(now, ev):
            o = ev.get("object", {})
            name = o.get("metadata", {}).get("name", "")
            if not name.startswith("big-") or ev.get("type") == "DELETED":
                return
            with lock:
                if o.get("spec", {}).get("nodeName"):
                    bound.setdefault(name, now)
                if o.get("status", {}).get("phase") == "Running":
                    running.setdefault(name, now)
                    if len(running) >= REPLICAS:
                        done.set()
        time.sleep(1.0)  # the controller's and scheduler's first lists
        w = st.PodWatcher(s.api, s.rv("/api/v1/pods"), on_event)
        w.start()
        d = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "big"},
             "spec": {"replicas": REPLICAS, "selector": {"matchLabels": {"app": "big"}},
                      "template": {"metadata": {"labels": {"app": "big"}},
                                   "spec": {"containers": [{"name": "c", "image": "pause",
                                                            "resources": {"requests": {"cpu": "10m"}}}]}}}}
        t0 = time.monotonic()
        code, body = s.api.req("POST", "/apis/apps/v1/namespaces/default/deployments", d)
        if code != 201:
            raise RuntimeError("create failed: %s %s" % (code, body))
        ok = done.wait(timeout=300)
        w.close()
        end = max(running.values()) if running else float("nan")
        took = end - t0
        print("bench/deployment: %d-replica Deployment over %d hollow nodes%s" %
              (REPLICAS, NODES, "" if ok else " (NOT ALL RUNNING: %d)" % len(running)))
        if bound:
            print("  create to all bound: %.2f s" % (max(bound.values()) - t0))
        print("  create to %d Running: %.2f s" % (len(running), took))
        print("  anchor: kube-controller-manager at its default rate limit >= %.0f s: %.1fx faster; goal < %.0f s: %s"
              % (ANCHOR, ANCHOR / took if took > 0 else 0, GOAL, "met" if took < GOAL else "not met"))
        st.print_rss(s)
    finally:
        s.stop()


if __name__ == "__main__":
    main()
