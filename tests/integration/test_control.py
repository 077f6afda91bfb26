"""The control loops end to end with real processes: etcdlite, apiserver, scheduler, controller, hollownodes."""
import os
import signal
import sys
import threading
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import harness  # noqa: E402
from apiserver_proc import Apiserver  # noqa: E402
from etcd_cluster import Cluster  # noqa: E402

NS = "/api/v1/namespaces/default"
APPS = "/apis/apps/v1/namespaces/default"


def deployment(name, replicas, image, surge=1, unavail=0):
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name},
            "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": name}},
                     "strategy": {"type": "RollingUpdate",
                                  "rollingUpdate": {"maxSurge": surge, "maxUnavailable": unavail}},
                     "template": {"metadata": {"labels": {"app": name}},
                                  "spec": {"containers": [{"name": "c", "image": image,
                                                           "resources": {"requests": {"cpu": "100m"}}}]}}}}


class ControlTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.etcd = Cluster(size=1).start_all()
        cls.api = Apiserver(cls.etcd.client)
        d = harness.tempdir("control-")
        cls.dir = d
        b = harness.BIN
        m = ["--master", cls.api.url]
        cls.hollow = harness.start([os.path.join(b, "hollownodes"), "--nodes", "3", "--ready-delay", "100ms",
                                    "--lease-interval", "1s"] + m, os.path.join(d, "hollow.log"))
        cls.sched = [harness.start([os.path.join(b, "scheduler"), "--leader-elect", "--leader-elect-identity", "s%d" % i,
                                    "--leader-elect-lease-duration", "3s", "--leader-elect-renew-deadline", "2s",
                                    "--leader-elect-retry-period", "500ms"] + m,
                                   os.path.join(d, "scheduler%d.log" % i)) for i in range(2)]
        cls.ctl = harness.start([os.path.join(b, "controller")] + m, os.path.join(d, "controller.log"))
        harness.wait_until(lambda: len(cls.nodes()) == 3, 10, "3 hollow nodes")

    @classmethod
    def tearDownClass(cls):
        for p in [cls.ctl, cls.hollow] + cls.sched:
            harness.stop(p)
        for p in [cls.ctl, cls.hollow] + cls.sched:
            problems = harness.log_problems(p.log_path)
            assert not problems, problems
        cls.api.stop()
        cls.etcd.stop()

    @classmethod
    def nodes(cls):
        st, body = cls.api.req("GET", "/api/v1/nodes")
        return body["items"] if st == 200 else []

    def pods(self, app):
        st, body = self.api.req("GET", NS + "/pods?labelSelector=app%3D" + app)
        self.assertEqual(st, 200)
        return [p for p in body["items"] if not p["metadata"].get("deletionTimestamp")]

    def running(self, app, image=None):
        return [p for p in self.pods(app) if p["status"].get("phase") == "Running"
                and (image is None or p["spec"]["containers"][0]["image"] == image)]

    def test_deployment_scale(self):
        self.assertEqual(self.api.req("POST", APPS + "/deployments", deployment("web", 3, "img:v1"))[0], 201)
        harness.wait_until(lambda: len(self.running("web")) == 3 and len(self.pods("web")) == 3, 20,
                           "3 running pods")
        self.assertEqual(len({p["spec"]["nodeName"] for p in self.running("web")}), 3, "spread over 3 nodes")
        # Each daemon's writes are recorded under its program's name, as kube-controller-manager's,
        # kube-scheduler's and the kubelet's are in Kubernetes.
        pod = self.running("web")[0]
        managers = {(e["manager"], e.get("subresource", "")) for e in pod["metadata"]["managedFields"]}
        self.assertIn(("controller", ""), managers)
        self.assertIn(("hollownodes", "status"), managers)  # this test's kubelets
        self.api.req("PATCH", APPS + "/deployments/web", {"spec": {"replicas": 10}},
                     ctype="application/merge-patch+json")
        harness.wait_until(lambda: len(self.running("web")) == 10, 20, "10 running pods")
        self.api.req("PATCH", APPS + "/deployments/web", {"spec": {"replicas": 0}},
                     ctype="application/merge-patch+json")
        harness.wait_until(lambda: len(self.pods("web")) == 0, 20, "no pods")

    def test_rolling_update_keeps_availability(self):
        self.assertEqual(self.api.req("POST", APPS + "/deployments", deployment("roll", 4, "img:v1"))[0], 201)
        harness.wait_until(lambda: len(self.running("roll")) == 4, 20, "4 running v1 pods")
        low = [4]
        stop = threading.Event()

        def sample():
            while not stop.is_set():
                ready = [p for p in self.pods("roll") if any(
                    c["type"] == "Ready" and c["status"] == "True" for c in p["status"].get("conditions", []))]
                low[0] = min(low[0], len(ready))
                stop.wait(0.02)
        t = threading.Thread(target=sample)
        t.start()
        try:
            self.api.req("PATCH", APPS + "/deployments/roll",
                         {"spec": {"template": {"spec": {"containers": [{"name": "c", "image": "img:v2"}]}}}},
                         ctype="application/strategic-merge-patch+json")
            harness.wait_until(lambda: len(self.running("roll", "img:v2")) == 4 and len(self.pods("roll")) == 4,
                               30, "4 running v2 pods only")
        finally:
            stop.set()
            t.join()
        self.assertGreaterEqual(low[0], 4, "maxUnavailable 0: never fewer than 4 ready")
        st, rs = self.api.req("GET", APPS + "/replicasets")
        revs = sorted(r["metadata"]["annotations"]["deployment.kubernetes.io/revision"]
                      for r in rs["items"] if r["metadata"]["name"].startswith("roll-"))
        self.assertEqual(revs, ["1", "2"])

    def test_unschedulable_pod_reports_reason(self):
        pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "huge", "labels": {"app": "huge"}},
               "spec": {"containers": [{"name": "c", "image": "x", "resources": {"requests": {"cpu": "64"}}}]}}
        self.assertEqual(self.api.req("POST", NS + "/pods", pod)[0], 201)

        def reason():
            st, p = self.api.req("GET", NS + "/pods/huge")
            for c in p["status"].get("conditions", []):
                if c["type"] == "PodScheduled" and c["status"] == "False":
                    return c["message"]
        msg = harness.wait_until(reason, 10, "PodScheduled=False")
        self.assertEqual(msg, "0/3 nodes are available: 3 Insufficient cpu.")
        st, ev = self.api.req("GET", NS + "/events")
        self.assertTrue(any(e["reason"] == "FailedScheduling" and e["involvedObject"]["name"] == "huge"
                            for e in ev["items"]))
        self.api.req("DELETE", NS + "/pods/huge")

    def test_standby_scheduler_takes_over(self):
        def holder():
            st, l = self.api.req("GET", "/apis/coordination.k8s.io/v1/namespaces/kube-system/leases/kube-scheduler")
            return l["spec"]["holderIdentity"] if st == 200 else None
        first = harness.wait_until(holder, 10, "a scheduler leads")
        idx = int(first[1:])
        harness.kill(self.sched[idx], signal.SIGKILL)
        harness.wait_until(lambda: holder() == "s%d" % (1 - idx), 10, "the standby leads")
        pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "after-failover", "labels": {"app": "fo"}},
               "spec": {"containers": [{"name": "c", "image": "x"}]}}
        self.assertEqual(self.api.req("POST", NS + "/pods", pod)[0], 201)
        harness.wait_until(lambda: self.api.req("GET", NS + "/pods/after-failover")[1]["spec"].get("nodeName"), 10,
                           "pod bound by the standby")
        self.sched[idx] = harness.start(self.sched[idx].argv, self.sched[idx].log_path)


if __name__ == "__main__":
    unittest.main(verbosity=2)
