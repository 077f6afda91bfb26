"""bench/podstartup: 100 echoserver pods over 2 kubelets (process runtime): create-to-Running and create-to-Ready.

Pods are bound with spec.nodeName (half to each node) so the figure is the
kubelets' and the apiserver's, not the scheduler's. Each pod has an httpGet
readiness probe (periodSeconds 1, as most manifests have), so create-to-Ready
includes waiting for the first probe. Times are taken from the POST to the
first watch event showing the state. Anchor: Kubernetes' pod startup SLO,
p99 <= 5 s (stateless pods, image already present); the goal here is p99 <= 1 s.

Then a churn like a rolling update's: the first N pods are deleted while N
new ones are created (a DELETE and a POST in turn), and the new pods'
create-to-Running is reported, with how long the deleted ones took to go and
how long the kubelets' /healthz took to answer meanwhile (a loop held up by
deletions answers late, and starts the new pods late). CHURN=0 skips it.
"""
import json
import os
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "tests", "lib"))
import harness  # noqa: E402
from apiserver_proc import Apiserver  # noqa: E402
from etcd_cluster import Cluster  # noqa: E402

N = int(os.environ.get("PODS", "100"))
CHURN = os.environ.get("CHURN", "1") != "0"
NS = "/api/v1/namespaces/default"


def pct(v, p):
    v = sorted(v)
    return v[min(len(v) - 1, int(round(p / 100.0 * (len(v) - 1))))] if v else float("nan")


def rss_kb(pid, field="VmRSS"):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


def churn(api, procs, create, created, running, deleted, gone):
    """Deletes p000.. while creating q000.. (one each in turn); prints the new pods' figures. True if all ran."""
    ports = [int(p.argv[p.argv.index("--port") + 1]) for p in procs]
    lags, stop = [], threading.Event()

    def probe_loop():
        # the kubelets' API is served by their loop: its answer time is how long the loop is held up
        while not stop.is_set():
            for port in ports:
                t1 = time.time()
                try:
                    harness.http("GET", "http://127.0.0.1:%d/healthz" % port, timeout=5)
                except OSError:
                    pass
                lags.append(time.time() - t1)
            time.sleep(0.02)
    pt = threading.Thread(target=probe_loop, daemon=True)
    pt.start()
    t0 = time.time()
    for i in range(N):
        name = "p%03d" % i
        deleted[name] = time.time()
        api.req("DELETE", NS + "/pods/" + name)
        create("q%03d" % i, N + i)
    create_s = time.time() - t0
    new = ["q%03d" % i for i in range(N)]
    try:
        harness.wait_until(lambda: all(n in running for n in new) and len(gone) >= N, 90.0, "churn done",
                           interval=0.1)
    except Exception as e:
        print("  churn: %s" % e)
    stop.set()
    pt.join(10)
    run_lat = [running[n] - created[n] for n in new if n in running]
    gone_lat = [gone[n] - deleted[n] for n in deleted if n in gone]
    print("churn: %d pods deleted while %d created (in turn, %.2f s); load average %s"
          % (N, N, create_s, open("/proc/loadavg").read().split()[0]))
    print("  new pods create->Running: %d/%d  p50 %.0f ms  p99 %.0f ms  max %.0f ms"
          % (len(run_lat), N, pct(run_lat, 50) * 1e3, pct(run_lat, 99) * 1e3, max(run_lat or [0]) * 1e3))
    print("  deleted pods DELETE->gone: %d/%d  p50 %.0f ms  p99 %.0f ms (grace period 2 s)"
          % (len(gone_lat), N, pct(gone_lat, 50) * 1e3, pct(gone_lat, 99) * 1e3))
    print("  kubelet /healthz meanwhile: p50 %.0f ms  p99 %.0f ms  max %.0f ms (%d calls)"
          % (pct(lags, 50) * 1e3, pct(lags, 99) * 1e3, max(lags or [0]) * 1e3, len(lags)))
    return len(run_lat) == N


def main():
    network = "bridge" if os.geteuid() == 0 and subprocess.run(
        ["unshare", "--net", "true"], capture_output=True).returncode == 0 else "host"
    etcd = Cluster(size=1).start_all()
    api = Apiserver(etcd.client, ["--cluster-cidr", "10.214.0.0/16"])
    d = harness.tempdir("bench-podstartup-")
    tag = "%04x" % (os.getpid() & 0xffff)
    nodes, procs = ["bench-a", "bench-b"], []
    for i, name in enumerate(nodes):
        port = harness.free_ports(1)[0]
        argv = [os.path.join(harness.BIN, "kubelet"), "--master", api.url, "--hostname-override", name,
                "--node-ip", "127.0.0.1", "--bind-address", "127.0.0.1", "--port", str(port),
                "--root-dir", os.path.join(d, name), "--pod-network", network,
                "--pod-bridge", "mk8sp%d%s" % (i, tag), "--cgroup-name", "minik8s-bench-%d" % os.getpid()]
        procs.append(harness.start(argv, os.path.join(d, name + ".log")))
        harness.wait_until(lambda: harness.http("GET", "http://127.0.0.1:%d/healthz" % port, timeout=1)[0] == 200,
                           10.0, name + " up")
        harness.wait_until(lambda: api.req("GET", "/api/v1/nodes/" + name)[1].get("spec", {}).get("podCIDR"),
                           10.0, name + " podCIDR")
    created, running, ready, deleted, gone = {}, {}, {}, {}, {}
    want_ready = 2 * N if CHURN else N
    st, lst = api.req("GET", NS + "/pods")
    conn, resp = api.watch(NS + "/pods?watch=1&resourceVersion=%s" % lst["metadata"]["resourceVersion"],
                           timeout=300)

    def follow():
        while len(ready) < want_ready or len(gone) < len(deleted):
            try:
                line = resp.readline()
            except (OSError, AttributeError, ValueError):
                return  # closed under it at the end
            if not line:
                return
            ev = json.loads(line)
            obj = ev["object"]
            name, now = obj["metadata"]["name"], time.time()
            if ev["type"] == "DELETED":
                gone[name] = now
                continue
            s = obj.get("status", {})
            if s.get("phase") == "Running" and name not in running:
                running[name] = now
            if any(c["type"] == "Ready" and c["status"] == "True" for c in s.get("conditions", [])) \
                    and name not in ready:
                ready[name] = now
    t = threading.Thread(target=follow, daemon=True)
    t.start()
    # in host mode every pod needs its own port; in bridge mode all use 8080 in their own namespaces
    ports = harness.free_ports(2 * N) if network == "host" else [8080] * (2 * N)

    def create(name, i):
        c = {"name": "echo", "image": "echoserver", "args": ["--port", str(ports[i])],
             "readinessProbe": {"httpGet": {"path": "/healthz", "port": ports[i]}, "periodSeconds": 1}}
        pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name},
               "spec": {"nodeName": nodes[i % 2], "terminationGracePeriodSeconds": 2, "containers": [c]}}
        created[name] = time.time()
        st, out = api.req("POST", NS + "/pods", pod)
        assert st == 201, out

    t0 = time.time()
    for i in range(N):
        create("p%03d" % i, i)
    create_s = time.time() - t0
    harness.wait_until(lambda: len(running) >= N and len(ready) >= N, 60.0, "first pods Ready", interval=0.1)
    run_lat = [running[n] - created[n] for n in running]
    ready_lat = [ready[n] - created[n] for n in ready]
    rss = [rss_kb(p.pid) for p in procs]
    hwm = [rss_kb(p.pid, "VmHWM") for p in procs]
    print("podstartup: %d pods over 2 kubelets (process runtime, %s network); %d created in %.2f s; "
          "load average %s (%d cores)" % (N, network, N, create_s, open("/proc/loadavg").read().split()[0],
                                          os.cpu_count()))
    print("  create->Running: %d/%d  p50 %.0f ms  p99 %.0f ms  max %.0f ms"
          % (len(run_lat), N, pct(run_lat, 50) * 1e3, pct(run_lat, 99) * 1e3, max(run_lat or [0]) * 1e3))
    print("  create->Ready:   %d/%d  p50 %.0f ms  p99 %.0f ms  max %.0f ms (readiness probe period 1 s)"
          % (len(ready_lat), N, pct(ready_lat, 50) * 1e3, pct(ready_lat, 99) * 1e3, max(ready_lat or [0]) * 1e3))
    print("  kubelet RSS: %s MiB now, peak %s MiB" % (" / ".join("%.1f" % (r / 1024) for r in rss),
                                                      " / ".join("%.1f" % (r / 1024) for r in hwm)))
    p99 = pct(run_lat, 99)
    print("  SLO (p99 <= 5 s): %s; goal (p99 <= 1 s): %s" % ("met" if len(run_lat) == N and p99 <= 5 else "MISSED",
                                                            "met" if len(run_lat) == N and p99 <= 1 else "missed"))
    ok = len(run_lat) == N
    left = ["p%03d" % i for i in range(N)]
    if CHURN:
        ok = churn(api, procs, create, created, running, deleted, gone) and ok
        left = ["q%03d" % i for i in range(N)]
    t.join(5)
    conn.close()
    # clean up: delete every pod, wait for the kubelets to stop them, then remove bridges and rules
    for name in left:
        api.req("DELETE", NS + "/pods/" + name)
    try:
        harness.wait_until(lambda: not api.req("GET", NS + "/pods")[1]["items"], 60.0, "pods gone", interval=0.2)
    except Exception as e:
        print("  cleanup: %s" % e)
    for p in procs:
        harness.kill(p)
    for i in range(2):
        br = "mk8sp%d%s" % (i, tag)
        subprocess.run(["ip", "link", "del", br], capture_output=True)
        for dd in ("-i", "-o"):
            subprocess.run(["iptables", "-w", "-D", "FORWARD", dd, br, "-j", "ACCEPT"], capture_output=True)
    for c in ("", "memory/", "cpu/", "pids/"):
        try:
            os.rmdir("/sys/fs/cgroup/%sminik8s-bench-%d" % (c, os.getpid()))
        except OSError:
            pass
    api.stop()
    etcd.stop()
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
