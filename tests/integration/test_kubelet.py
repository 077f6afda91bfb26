"""The kubelet with the process runtime over real etcdlite and apiserver: pods run, answer, log, restart, stop.

Pods are bound by spec.nodeName (no scheduler needed). The node uses
--pod-network=host, so every pod's IP is the node's (127.0.0.1) and each
echoserver listens on its own port. Whether the kernel let the shim enter
namespaces and cgroups is printed, never assumed.
"""
import json
import os
import signal
import subprocess
import sys
import time
import unittest
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import harness  # noqa: E402
from apiserver_proc import Apiserver  # noqa: E402
from etcd_cluster import Cluster  # noqa: E402

NS = "/api/v1/namespaces/default"
NODE = "node-a"


def can_unshare():
    r = subprocess.run(["unshare", "--pid", "--fork", "--mount", "--uts", "--ipc", "true"],
                       capture_output=True)
    return r.returncode == 0


def echo_pod(name, port, extra_env=None, probe=None, grace=5, mounts=None, volumes=None):
    env = [{"name": "POD_NAME", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}},
           {"name": "POD_NAMESPACE", "valueFrom": {"fieldRef": {"fieldPath": "metadata.namespace"}}},
           {"name": "POD_IP", "valueFrom": {"fieldRef": {"fieldPath": "status.podIP"}}}] + (extra_env or [])
    c = {"name": "echo", "image": "echoserver", "args": ["--port", str(port)], "env": env,
         "ports": [{"containerPort": port}]}
    if probe:
        c["livenessProbe"] = probe
    if mounts:
        c["volumeMounts"] = mounts
    spec = {"nodeName": NODE, "terminationGracePeriodSeconds": grace, "containers": [c]}
    if volumes:
        spec["volumes"] = volumes
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name}, "spec": spec}


class KubeletTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.namespaces = can_unshare()
        print("kubelet test: namespaces %s on this machine" %
              ("ALLOWED (PID/mount/UTS/IPC)" if cls.namespaces else "FORBIDDEN: host-only path"), flush=True)
        cls.etcd = Cluster(size=1).start_all()
        cls.api = Apiserver(cls.etcd.client)
        cls.dir = harness.tempdir("kubelet-")
        cls.root = os.path.join(cls.dir, "root")
        cls.kport = harness.free_ports(1)[0]
        cls.kubelet = None
        cls.start_kubelet()

    @classmethod
    def start_kubelet(cls):
        argv = [os.path.join(harness.BIN, "kubelet"), "--master", cls.api.url, "--hostname-override", NODE,
                "--node-ip", "127.0.0.1", "--bind-address", "127.0.0.1", "--port", str(cls.kport),
                "--root-dir", cls.root, "--restart-backoff", "1s", "--node-status-update-frequency", "2s",
                "--cgroup-name", "minik8s-it-%d" % os.getpid(), "--pod-network", "host"]
        cls.kubelet = harness.start(argv, os.path.join(cls.dir, "kubelet.log"))
        harness.wait_until(lambda: harness.http("GET", cls.kurl("/healthz"), timeout=1.0)[0] == 200,
                           10.0, "kubelet API up")

    @classmethod
    def kurl(cls, path):
        return "http://127.0.0.1:%d%s" % (cls.kport, path)

    @classmethod
    def tearDownClass(cls):
        # delete every pod first so its processes go, then stop the daemons
        st, lst = cls.api.req("GET", NS + "/pods")
        for p in (lst or {}).get("items", []):
            cls.api.req("DELETE", NS + "/pods/" + p["metadata"]["name"])
        try:
            harness.wait_until(lambda: not cls.api.req("GET", NS + "/pods")[1]["items"], 20.0, "pods gone")
        except Exception:
            pass
        cls.kill_leftovers()
        problems = harness.stop_problems(cls.kubelet)
        for c in ("", "memory/", "cpu/", "pids/"):  # the (empty) parent cgroup the shims made
            try:
                os.rmdir("/sys/fs/cgroup/%sminik8s-it-%d" % (c, os.getpid()))
            except OSError:
                pass
        cls.api.stop()
        cls.etcd.stop()
        assert not problems, problems

    @classmethod
    def kill_leftovers(cls):
        """Whatever pod processes remain (a failed test) are killed through their state files."""
        pods = os.path.join(cls.root, "pods")
        for dirpath, _, files in os.walk(pods):
            if "state.json" in files and "exit.json" not in files:
                try:
                    with open(os.path.join(dirpath, "state.json")) as f:
                        pid = json.load(f)["pid"]
                    os.killpg(pid, signal.SIGKILL)
                except (OSError, ValueError, KeyError):
                    pass

    def get_pod(self, name):
        st, p = self.api.req("GET", NS + "/pods/" + name)
        return p if st == 200 else None

    def wait_running(self, name, timeout=15.0):
        def ok():
            p = self.get_pod(name)
            return p and p.get("status", {}).get("phase") == "Running" and p["status"].get("podIP")
        harness.wait_until(ok, timeout, "pod %s Running" % name)
        return self.get_pod(name)

    def echo(self, port, path="/"):
        with urllib.request.urlopen("http://127.0.0.1:%d%s" % (port, path), timeout=2) as r:
            return r.read().decode()

    def container_pid(self, pod):
        uid = pod["metadata"]["uid"]
        cdir = os.path.join(self.root, "pods", uid, "containers")
        best = sorted(os.listdir(cdir), key=lambda d: int(d.rsplit("-", 1)[1]))[-1]
        with open(os.path.join(cdir, best, "state.json")) as f:
            return json.load(f)["pid"]

    def test_node_and_lease(self):
        harness.wait_until(lambda: self.api.req("GET", "/api/v1/nodes/" + NODE)[0] == 200, 10.0, "node registered")
        node = self.api.req("GET", "/api/v1/nodes/" + NODE)[1]
        self.assertEqual(node["status"]["daemonEndpoints"]["kubeletEndpoint"]["Port"], self.kport)
        self.assertIn("cpu", node["status"]["capacity"])
        ready = [c for c in node["status"]["conditions"] if c["type"] == "Ready"][0]
        self.assertEqual(ready["status"], "True")
        harness.wait_until(lambda: self.api.req(
            "GET", "/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/" + NODE)[0] == 200,
            10.0, "lease created")

    def test_pod_runs_answers_logs_and_stops(self):
        port = harness.free_ports(1)[0]
        st, _ = self.api.req("POST", NS + "/pods", echo_pod("web", port))
        self.assertEqual(st, 201)
        pod = self.wait_running("web")
        self.assertEqual(pod["status"]["podIP"], "127.0.0.1")
        harness.wait_until(lambda: self._answers(port), 10.0, "echoserver answers")
        body = self.echo(port, "/hello")
        self.assertIn("pod: web", body)
        self.assertIn("namespace: default", body)
        self.assertIn("ip: 127.0.0.1", body)
        self.assertIn("request: GET /hello", body)
        if self.namespaces:
            self.assertIn("hostname: web", body)  # its own UTS namespace
        # logs through the kubelet API
        def logged():
            st, out = harness.http("GET", self.kurl("/containerLogs/default/web/echo?tailLines=5"))
            return st == 200 and b"GET /hello" in out
        harness.wait_until(logged, 5.0, "request in the container log")
        st, out = harness.http("GET", self.kurl("/containerLogs/default/web/echo?timestamps=true"))
        self.assertRegex(out.decode().splitlines()[0], r"^20\d\d-\d\d-\d\dT[0-9:.]+Z ")
        # and through the apiserver's pods/log, which proxies to this kubelet
        st, out = self.api.req("GET", NS + "/pods/web/log?tailLines=5")
        self.assertEqual(st, 200, out)
        self.assertIn(b"GET /hello", out if isinstance(out, bytes) else json.dumps(out).encode())
        st, pods = harness.http("GET", self.kurl("/pods"))
        self.assertIn(b'"web"', pods)
        # delete: the processes end within the grace period and the object goes
        pid = self.container_pid(self.get_pod("web"))
        t0 = time.time()
        self.assertEqual(self.api.req("DELETE", NS + "/pods/web")[0], 200)
        harness.wait_until(lambda: self.get_pod("web") is None, 10.0, "pod object removed")
        self.assertLess(time.time() - t0, 5.0 + 2.0)
        self.assertFalse(os.path.exists("/proc/%d" % pid), "container process left behind")
        self.assertFalse(self._answers(port))

    def _answers(self, port):
        try:
            self.echo(port, "/healthz")
            return True
        except Exception:
            return False

    def test_liveness_failure_restarts(self):
        port = harness.free_ports(1)[0]
        # Two failures a second apart: a restarted echoserver that is slow to listen (ASan, a loaded
        # machine) is not killed again by its first probe, and the restart below still takes ~2 s.
        probe = {"httpGet": {"path": "/healthz", "port": port}, "periodSeconds": 1, "failureThreshold": 2}
        self.assertEqual(self.api.req("POST", NS + "/pods", echo_pod("live", port, probe=probe))[0], 201)
        self.wait_running("live")
        harness.wait_until(lambda: self._answers(port), 10.0, "echoserver answers")
        self.echo(port, "/fail")

        def restarted():
            p = self.get_pod("live")
            cs = p["status"].get("containerStatuses", [{}])[0]
            return cs.get("restartCount", 0) >= 1 and "running" in cs.get("state", {})
        harness.wait_until(restarted, 20.0, "liveness restart")
        cs = self.get_pod("live")["status"]["containerStatuses"][0]
        self.assertIn("terminated", cs["lastState"])
        harness.wait_until(lambda: self._answers(port), 10.0, "restarted echoserver answers")
        self.api.req("DELETE", NS + "/pods/live")
        harness.wait_until(lambda: self.get_pod("live") is None, 10.0, "pod removed")

    def test_configmap_env_and_file(self):
        cm = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "cfg"},
              "data": {"greeting": "hello-from-configmap", "file.txt": "file-contents"}}
        self.assertEqual(self.api.req("POST", NS + "/configmaps", cm)[0], 201)
        mount = os.path.join(self.dir, "cfgmount")
        pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "cfguser"},
               "spec": {"nodeName": NODE, "restartPolicy": "Never", "terminationGracePeriodSeconds": 1,
                        "containers": [{"name": "c", "image": "echoserver",
                                        "command": ["/bin/sh", "-c",
                                                    "echo env=$GREETING; cat %s/file.txt; echo" % mount],
                                        "env": [{"name": "GREETING", "valueFrom": {"configMapKeyRef": {
                                            "name": "cfg", "key": "greeting"}}}],
                                        "volumeMounts": [{"name": "v", "mountPath": mount}]}],
                        "volumes": [{"name": "v", "configMap": {"name": "cfg"}}]}}
        self.assertEqual(self.api.req("POST", NS + "/pods", pod)[0], 201)
        harness.wait_until(lambda: (self.get_pod("cfguser") or {}).get("status", {}).get("phase") == "Succeeded",
                           15.0, "pod Succeeded")
        st, out = harness.http("GET", self.kurl("/containerLogs/default/cfguser/c"))
        self.assertEqual(st, 200)
        self.assertIn(b"env=hello-from-configmap", out)
        self.assertIn(b"file-contents", out)
        self.api.req("DELETE", NS + "/pods/cfguser")
        harness.wait_until(lambda: self.get_pod("cfguser") is None, 10.0, "pod removed")

    def test_zz_kubelet_restart_adopts(self):
        port = harness.free_ports(1)[0]
        self.assertEqual(self.api.req("POST", NS + "/pods", echo_pod("keep", port))[0], 201)
        self.wait_running("keep")
        harness.wait_until(lambda: self._answers(port), 10.0, "echoserver answers")
        pid = self.container_pid(self.get_pod("keep"))
        harness.kill(self.kubelet, signal.SIGKILL)
        self.assertTrue(os.path.exists("/proc/%d" % pid), "container died with the kubelet")
        # a pod deleted while the kubelet is down is cleaned up when it returns
        port2 = harness.free_ports(1)[0]
        type(self).start_kubelet()
        self.assertEqual(self.api.req("POST", NS + "/pods", echo_pod("gone", port2))[0], 201)
        self.wait_running("gone")
        harness.wait_until(lambda: self._answers(port2), 10.0, "second echoserver answers")
        gone_pid = self.container_pid(self.get_pod("gone"))
        harness.kill(self.kubelet, signal.SIGKILL)
        # without a kubelet the pod object stays (graceful); force it away as a user would
        self.api.req("DELETE", NS + "/pods/gone?gracePeriodSeconds=0")
        type(self).start_kubelet()
        harness.wait_until(lambda: not os.path.exists("/proc/%d" % gone_pid), 10.0, "orphan killed")
        time.sleep(1.0)  # several sync ticks: a duplicate would have been started by now
        self.assertEqual(self.container_pid(self.get_pod("keep")), pid, "the running container was replaced")
        cdir = os.path.join(self.root, "pods", self.get_pod("keep")["metadata"]["uid"], "containers")
        self.assertEqual(len(os.listdir(cdir)), 1, "duplicate container started: %s" % os.listdir(cdir))
        self.assertEqual(self.get_pod("keep")["status"]["containerStatuses"][0]["restartCount"], 0)
        self.assertIn("keep", self.echo(port))


if __name__ == "__main__":
    unittest.main(verbosity=2)
