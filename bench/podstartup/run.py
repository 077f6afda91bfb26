"""bench/podstartup: 100 echoserver pods over 2 kubelets (process runtime): create-to-Running and create-to-Ready.

Pods are bound with spec.nodeName (half to each node) so the figure is the
kubelets' and the apiserver's, not the scheduler's. Each pod has an httpGet
readiness probe (periodSeconds 1, as most manifests have), so create-to-Ready
includes waiting for the first probe. Times are taken from the POST to the
first watch event showing the state. Anchor: Kubernetes' pod startup SLO,
p99 <= 5 s (stateless pods, image already present); the goal here is p99 <= 1 s.
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
    created, running, ready = {}, {}, {}
    st, lst = api.req("GET", NS + "/pods")
    conn, resp = api.watch(NS + "/pods?watch=1&resourceVersion=%s" % lst["metadata"]["resourceVersion"],
                           timeout=120)

    def follow():
        while len(ready) < N:
            line = resp.readline()
            if not line:
                return
            obj = json.loads(line)["object"]
            name, now = obj["metadata"]["name"], time.time()
            s = obj.get("status", {})
            if s.get("phase") == "Running" and name not in running:
                running[name] = now
            if any(c["type"] == "Ready" and c["status"] == "True" for c in s.get("conditions", [])) \
                    and name not in ready:
                ready[name] = now
    t = threading.Thread(target=follow, daemon=True)
    t.start()
    # in host mode every pod needs its own port; in bridge mode all use 8080 in their own namespaces
    ports = harness.free_ports(N) if network == "host" else [8080] * N
    t0 = time.time()
    for i in range(N):
        name = "p%03d" % i
        c = {"name": "echo", "image": "echoserver", "args": ["--port", str(ports[i])],
             "readinessProbe": {"httpGet": {"path": "/healthz", "port": ports[i]}, "periodSeconds": 1}}
        pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name},
               "spec": {"nodeName": nodes[i % 2], "terminationGracePeriodSeconds": 2, "containers": [c]}}
        created[name] = time.time()
        st, out = api.req("POST", NS + "/pods", pod)
        assert st == 201, out
    create_s = time.time() - t0
    t.join(60)
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
    conn.close()
    # clean up: delete every pod, wait for the kubelets to stop them, then remove bridges and rules
    for i in range(N):
        api.req("DELETE", NS + "/pods/p%03d" % i)
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
    return 0 if len(run_lat) == N else 1


if __name__ == "__main__":
    sys.exit(main())
