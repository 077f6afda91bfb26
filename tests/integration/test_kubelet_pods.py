"""The kubelet's pod lifecycle on real processes: readiness drives Ready and the Endpoints, init containers in
order, restartPolicy Never/OnFailure, exec/tcpSocket/startup probes.

The node uses --pod-network=host so each pod takes its own port (the bridge
network has its own test); the controller runs for the Endpoints controller.
"""
import os
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import harness  # noqa: E402
import kubelet_proc  # noqa: E402
from apiserver_proc import Apiserver  # noqa: E402
from etcd_cluster import Cluster  # noqa: E402

NS = "/api/v1/namespaces/default"
NODE = "node-p"


def harness_read(path):
    with open(path) as f:
        return f.read()


def pod(name, containers, init=None, policy="Always", volumes=None, labels=None):
    spec = {"nodeName": NODE, "terminationGracePeriodSeconds": 1, "restartPolicy": policy,
            "containers": containers}
    if init:
        spec["initContainers"] = init
    if volumes:
        spec["volumes"] = volumes
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "labels": labels or {}}, "spec": spec}


def sh(name, script, **extra):
    c = {"name": name, "image": "echoserver", "command": ["/bin/sh", "-c", script]}
    c.update(extra)
    return c


def echo(name, port, **extra):
    c = {"name": name, "image": "echoserver", "args": ["--port", str(port)]}
    c.update(extra)
    return c


class PodLifecycleTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.etcd = Cluster(size=1).start_all()
        cls.api = Apiserver(cls.etcd.client)
        cls.dir = harness.tempdir("kubelet-pods-")
        cls.root = os.path.join(cls.dir, "root")
        cls.kport = harness.free_ports(1)[0]
        b = harness.BIN
        cls.kubelet = kubelet_proc.start(cls.api.url, NODE, cls.kport, cls.root, "minik8s-pods-%d" % os.getpid(),
                                         os.path.join(cls.dir, "kubelet.log"))
        cls.ctl = harness.start([os.path.join(b, "controller"), "--master", cls.api.url],
                                os.path.join(cls.dir, "controller.log"))

    @classmethod
    def tearDownClass(cls):
        kubelet_proc.delete_pods(cls.api, NS)
        problems = harness.stop_problems(cls.ctl, cls.kubelet)
        kubelet_proc.remove_cgroup("minik8s-pods-%d" % os.getpid())
        cls.api.stop()
        cls.etcd.stop()
        assert not problems, problems

    def get(self, name):
        st, p = self.api.req("GET", NS + "/pods/" + name)
        return p if st == 200 else None

    def create(self, obj):
        st, out = self.api.req("POST", NS + "/pods", obj)
        self.assertEqual(st, 201, out)

    def delete(self, name):
        self.api.req("DELETE", NS + "/pods/" + name)
        harness.wait_until(lambda: self.get(name) is None, 10.0, "pod %s removed" % name)

    def cond(self, name, ctype):
        p = self.get(name) or {}
        for c in p.get("status", {}).get("conditions", []):
            if c["type"] == ctype:
                return c["status"]
        return None

    def phase(self, name):
        return (self.get(name) or {}).get("status", {}).get("phase")

    def cstatus(self, name, key="containerStatuses", i=0):
        lst = (self.get(name) or {}).get("status", {}).get(key) or [{}]
        return lst[i] if i < len(lst) else {}

    def test_readiness_drives_ready_and_endpoints(self):
        port = harness.free_ports(1)[0]
        probe = {"httpGet": {"path": "/healthz", "port": port}, "periodSeconds": 1, "failureThreshold": 1}
        self.create(pod("ready", [echo("echo", port, readinessProbe=probe, ports=[{"containerPort": port}])],
                        labels={"app": "ready"}))
        svc = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "ready"},
               "spec": {"selector": {"app": "ready"}, "ports": [{"port": 80, "targetPort": port}]}}
        self.assertEqual(self.api.req("POST", NS + "/services", svc)[0], 201)
        harness.wait_until(lambda: self.cond("ready", "Ready") == "True", 15.0, "Ready True")
        self.assertEqual(self.cond("ready", "ContainersReady"), "True")
        self.assertTrue(self.cstatus("ready")["ready"])

        def ep_addrs(kind):
            st, ep = self.api.req("GET", NS + "/endpoints/ready")
            if st != 200:
                return []
            return [a["ip"] for s in ep.get("subsets") or [] for a in s.get(kind) or []]
        harness.wait_until(lambda: ep_addrs("addresses") == ["127.0.0.1"], 10.0, "pod in the Endpoints")
        harness.http("GET", "http://127.0.0.1:%d/fail" % port)
        harness.wait_until(lambda: self.cond("ready", "Ready") == "False", 10.0, "Ready False after /fail")
        self.assertEqual(self.cond("ready", "ContainersReady"), "False")
        self.assertEqual(self.phase("ready"), "Running")
        self.assertEqual(self.cstatus("ready")["restartCount"], 0)  # readiness never restarts
        harness.wait_until(lambda: not ep_addrs("addresses") and ep_addrs("notReadyAddresses") == ["127.0.0.1"],
                           10.0, "pod moved to notReadyAddresses")
        self.api.req("DELETE", NS + "/services/ready")
        self.delete("ready")

    def test_init_containers_run_in_order_before_containers(self):
        out = os.path.join(self.dir, "order.txt")
        init = [sh("first", "sleep 0.3; echo first >> %s" % out), sh("second", "echo second >> %s" % out)]
        self.create(pod("inits", [sh("main", "echo main >> %s; sleep 30" % out)], init=init))
        harness.wait_until(lambda: self.phase("inits") == "Running" and os.path.exists(out) and
                           "main" in harness_read(out), 15.0, "main container running")
        with open(out) as f:
            self.assertEqual(f.read().split(), ["first", "second", "main"])
        self.assertEqual(self.cond("inits", "Initialized"), "True")
        for i in (0, 1):
            st = self.cstatus("inits", "initContainerStatuses", i)
            self.assertEqual(st["state"]["terminated"]["reason"], "Completed", st)
        self.delete("inits")

    def test_failed_init_container_blocks_main_with_never(self):
        out = os.path.join(self.dir, "blocked.txt")
        self.create(pod("initfail", [sh("main", "echo main > %s" % out)], init=[sh("bad", "exit 4")],
                        policy="Never"))
        harness.wait_until(lambda: self.phase("initfail") == "Failed", 10.0, "pod Failed")
        self.assertFalse(os.path.exists(out), "main ran although its init container failed")
        self.assertEqual(self.cstatus("initfail", "initContainerStatuses")["state"]["terminated"]["exitCode"], 4)
        self.delete("initfail")

    def test_restart_policy_never(self):
        self.create(pod("never", [sh("c", "exit 3")], policy="Never"))
        harness.wait_until(lambda: self.phase("never") == "Failed", 10.0, "pod Failed")
        st = self.cstatus("never")
        self.assertEqual(st["state"]["terminated"]["exitCode"], 3)
        self.assertEqual(st["restartCount"], 0)
        self.create(pod("never-ok", [sh("c", "exit 0")], policy="Never"))
        harness.wait_until(lambda: self.phase("never-ok") == "Succeeded", 10.0, "pod Succeeded")
        self.delete("never")
        self.delete("never-ok")

    def test_restart_policy_on_failure(self):
        mark = os.path.join(self.dir, "onfail.mark")
        # fails the first time, succeeds the second: restarted once, then Succeeded and left alone
        self.create(pod("onfail", [sh("c", "test -e %s && exit 0; touch %s; exit 1" % (mark, mark))],
                        policy="OnFailure"))
        harness.wait_until(lambda: self.phase("onfail") == "Succeeded", 15.0, "pod Succeeded")
        self.assertEqual(self.cstatus("onfail")["restartCount"], 1, self.cstatus("onfail"))
        self.assertEqual(self.cstatus("onfail")["state"]["terminated"]["exitCode"], 0)
        self.delete("onfail")

    def test_exec_and_tcp_readiness(self):
        port = harness.free_ports(1)[0]
        flag = os.path.join(self.dir, "exec-ready")
        c = echo("echo", port, readinessProbe={"exec": {"command": ["test", "-e", flag]}, "periodSeconds": 1})
        t = echo("tcp", harness.free_ports(1)[0])
        t["readinessProbe"] = {"tcpSocket": {"port": int(t["args"][1])}, "periodSeconds": 1}
        self.create(pod("probes", [c, t]))
        harness.wait_until(lambda: self.phase("probes") == "Running", 10.0, "Running")
        harness.wait_until(lambda: self.cstatus("probes", i=1).get("ready") is True, 10.0, "tcpSocket ready")
        self.assertFalse(self.cstatus("probes", i=0).get("ready"), "exec probe passed without its file")
        self.assertEqual(self.cond("probes", "Ready"), "False")
        open(flag, "w").close()
        harness.wait_until(lambda: self.cond("probes", "Ready") == "True", 10.0, "exec ready once the file exists")
        self.delete("probes")

    def test_exec_liveness_restarts(self):
        flag = os.path.join(self.dir, "alive")
        open(flag, "w").close()
        c = sh("c", "sleep 60", livenessProbe={"exec": {"command": ["test", "-e", flag]}, "periodSeconds": 1,
                                                "failureThreshold": 1})
        self.create(pod("execlive", [c]))
        harness.wait_until(lambda: self.phase("execlive") == "Running", 10.0, "Running")
        os.unlink(flag)
        harness.wait_until(lambda: self.cstatus("execlive").get("restartCount", 0) >= 1, 15.0, "exec liveness restart")
        self.delete("execlive")

    def test_missing_image_reasons_by_pull_policy(self):
        never = {"name": "c", "image": "example.org/nope:1", "imagePullPolicy": "Never"}
        other = {"name": "c", "image": "example.org/nope:2"}
        self.create(pod("img-never", [never]))
        self.create(pod("img-pull", [other]))

        def waiting(name):
            return self.cstatus(name).get("state", {}).get("waiting", {})
        harness.wait_until(lambda: waiting("img-never").get("reason") == "ErrImageNeverPull", 10.0, "ErrImageNeverPull")
        self.assertIn("pull policy of Never", waiting("img-never")["message"])
        harness.wait_until(lambda: waiting("img-pull").get("reason") == "ImagePullBackOff", 10.0, "ImagePullBackOff")
        self.assertIn("example.org/nope:2", waiting("img-pull")["message"])
        self.assertEqual(self.phase("img-never"), "Pending")
        self.delete("img-never")
        self.delete("img-pull")

    def test_startup_probe_gates_readiness_and_liveness(self):
        port = harness.free_ports(1)[0]
        flag = os.path.join(self.dir, "started")
        c = echo("echo", port,
                 startupProbe={"exec": {"command": ["test", "-e", flag]}, "periodSeconds": 1, "failureThreshold": 60},
                 readinessProbe={"tcpSocket": {"port": port}, "periodSeconds": 1},
                 livenessProbe={"exec": {"command": ["test", "-e", flag]}, "periodSeconds": 1, "failureThreshold": 1})
        self.create(pod("startup", [c]))
        harness.wait_until(lambda: self.phase("startup") == "Running", 10.0, "Running")
        harness.wait_until(lambda: harness.http("GET", "http://127.0.0.1:%d/healthz" % port, timeout=1)[0] == 200,
                           10.0, "echoserver listening")
        # the server listens, but until the startup probe passes it is not ready and liveness does not run
        deadline = harness.time.time() + 2.5
        while harness.time.time() < deadline:
            self.assertNotEqual(self.cond("startup", "Ready"), "True")
            self.assertEqual(self.cstatus("startup").get("restartCount", 0), 0)
            self.assertFalse(self.cstatus("startup").get("started"))
            harness.time.sleep(0.2)
        open(flag, "w").close()
        harness.wait_until(lambda: self.cond("startup", "Ready") == "True", 10.0, "Ready after startup")
        self.assertTrue(self.cstatus("startup")["started"])
        self.assertEqual(self.cstatus("startup")["restartCount"], 0)
        self.delete("startup")


if __name__ == "__main__":
    unittest.main(verbosity=2)
