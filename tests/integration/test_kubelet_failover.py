"""The kubelet given two apiservers over one etcdlite cluster: the first dies, it carries on through the second.

Then SIGTERM: the kubelet exits within 2 s and leaves its pods running, as a
real kubelet does (a restarted one adopts them).
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
NODE = "node-fo"
LEASE = "/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/" + NODE


def echo_pod(name, port):
    c = {"name": "echo", "image": "echoserver", "args": ["--port", str(port)], "ports": [{"containerPort": port}]}
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name},
            "spec": {"nodeName": NODE, "terminationGracePeriodSeconds": 2, "containers": [c]}}


def answers(port):
    try:
        with urllib.request.urlopen("http://127.0.0.1:%d/healthz" % port, timeout=1) as r:
            return r.status == 200
    except Exception:
        return False


class KubeletFailoverTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.etcd = Cluster(size=1).start_all()
        cls.api1 = Apiserver(cls.etcd.client)
        cls.api2 = Apiserver(cls.etcd.client)
        cls.dir = harness.tempdir("kubelet-fo-")
        cls.root = os.path.join(cls.dir, "root")
        cls.log = os.path.join(cls.dir, "kubelet.log")
        argv = [os.path.join(harness.BIN, "kubelet"), "--master", "%s,%s" % (cls.api1.url, cls.api2.url),
                "--hostname-override", NODE, "--node-ip", "127.0.0.1", "--bind-address", "127.0.0.1",
                "--port", "0", "--root-dir", cls.root, "--node-status-update-frequency", "1s",
                "--cgroup-name", "minik8s-fo-%d" % os.getpid(), "--pod-network", "host"]
        cls.kubelet = harness.start(argv, cls.log)

    @classmethod
    def tearDownClass(cls):
        harness.kill(cls.kubelet)
        # the kubelet leaves pods running on SIGTERM: kill them through their state files
        for dirpath, _, files in os.walk(os.path.join(cls.root, "pods")):
            if "state.json" in files and "exit.json" not in files:
                try:
                    with open(os.path.join(dirpath, "state.json")) as f:
                        os.killpg(json.load(f)["pid"], signal.SIGKILL)
                except (OSError, ValueError, KeyError):
                    pass
        for c in ("", "memory/", "cpu/", "pids/"):
            try:
                os.rmdir("/sys/fs/cgroup/%sminik8s-fo-%d" % (c, os.getpid()))
            except OSError:
                pass
        cls.api1.stop()
        cls.api2.stop()
        cls.etcd.stop()

    def running(self, name):
        st, p = self.api2.req("GET", NS + "/pods/" + name)
        return st == 200 and p.get("status", {}).get("phase") == "Running"

    def renew_time(self):
        st, lease = self.api2.req("GET", LEASE)
        return lease["spec"]["renewTime"] if st == 200 else None

    def test_1_failover_to_the_second_apiserver(self):
        def ready():
            st, n = self.api2.req("GET", "/api/v1/nodes/" + NODE)
            return st == 200 and any(c["type"] == "Ready" and c["status"] == "True"
                                     for c in n["status"].get("conditions", []))
        harness.wait_until(ready, 15.0, "node Ready")
        harness.wait_until(lambda: self.renew_time() is not None, 10.0, "lease created")
        self.api1.stop()
        self.api1.proc.wait(5)
        killed = time.time()
        # renewTime has a resolution of 1 s (microseconds on some servers): wait for a value written after the kill
        before = self.renew_time()
        harness.wait_until(lambda: self.renew_time() != before, 15.0, "lease renewed through apiserver 2")
        later = self.renew_time()
        harness.wait_until(lambda: self.renew_time() != later, 15.0, "lease renewed again")
        port = harness.free_ports(1)[0]
        self.assertEqual(self.api2.req("POST", NS + "/pods", echo_pod("after-failover", port))[0], 201)
        harness.wait_until(lambda: self.running("after-failover"), 20.0, "new pod Running")
        harness.wait_until(lambda: answers(port), 10.0, "new pod answers")
        print("kubelet failover: lease renewed and a new pod Running %.1f s after apiserver 1 died"
              % (time.time() - killed), flush=True)
        with open(self.log) as f:
            self.assertIn("switching to apiserver " + self.api2.url, f.read())

    def test_2_sigterm_exits_and_leaves_pods_running(self):
        port = harness.free_ports(1)[0]
        self.assertEqual(self.api2.req("POST", NS + "/pods", echo_pod("survivor", port))[0], 201)
        harness.wait_until(lambda: self.running("survivor"), 20.0, "pod Running")
        harness.wait_until(lambda: answers(port), 10.0, "pod answers")
        t0 = time.time()
        self.kubelet.send_signal(signal.SIGTERM)
        try:
            rc = self.kubelet.wait(2.0)
        except subprocess.TimeoutExpired:
            self.fail("kubelet still running 2 s after SIGTERM")
        print("kubelet: exited %.2f s after SIGTERM (status %d)" % (time.time() - t0, rc), flush=True)
        self.assertEqual(rc, 0)
        self.assertTrue(answers(port), "the pod stopped with the kubelet")


if __name__ == "__main__":
    unittest.main(verbosity=2)
