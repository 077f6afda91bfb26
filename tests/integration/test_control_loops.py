"""Endpoints, node lifecycle, DaemonSet, garbage collector, Namespace, adoption, rollback and progress deadline,
end to end with real processes: etcdlite, apiserver, scheduler, controller, hollownodes."""
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import harness  # noqa: E402
from apiserver_proc import Apiserver  # noqa: E402
from etcd_cluster import Cluster  # noqa: E402

NS = "/api/v1/namespaces/default"
APPS = "/apis/apps/v1/namespaces/default"
MERGE = "application/merge-patch+json"
SLICES = "/apis/discovery.k8s.io/v1/namespaces/default/endpointslices"
KUBECTL = shutil.which("kubectl")


def deployment(name, replicas, image, ports=None, cpu="100m", deadline=None):
    c = {"name": "c", "image": image, "resources": {"requests": {"cpu": cpu}}}
    if ports:
        c["ports"] = ports
    d = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name},
         "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": name}},
                  "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 1, "maxUnavailable": 0}},
                  "template": {"metadata": {"labels": {"app": name}}, "spec": {"containers": [c]}}}}
    if deadline:
        d["spec"]["progressDeadlineSeconds"] = deadline
    return d


def ready(p):
    return any(c["type"] == "Ready" and c["status"] == "True" for c in p["status"].get("conditions", []))


class ControlLoopsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.etcd = Cluster(size=1).start_all()
        cls.api = Apiserver(cls.etcd.client)
        d = harness.tempdir("loops-")
        cls.dir = d
        cls.stopped = os.path.join(d, "stopped")
        open(cls.stopped, "w").close()
        b = harness.BIN
        m = ["--master", cls.api.url]
        cls.hollow = harness.start([os.path.join(b, "hollownodes"), "--nodes", "3", "--ready-delay", "100ms",
                                    "--lease-interval", "500ms", "--stopped-file", cls.stopped] + m,
                                   os.path.join(d, "hollow.log"))
        cls.sched = harness.start([os.path.join(b, "scheduler")] + m, os.path.join(d, "scheduler.log"))
        cls.ctl = harness.start([os.path.join(b, "controller"), "--node-monitor-grace-period", "3s",
                                 "--pod-eviction-timeout", "1s", "--node-monitor-period", "250ms"] + m,
                                os.path.join(d, "controller.log"))
        cls.extra = None
        harness.wait_until(lambda: len(cls.nodes()) == 3, 10, "3 hollow nodes")

    @classmethod
    def tearDownClass(cls):
        procs = [cls.ctl, cls.hollow, cls.sched] + ([cls.extra] if cls.extra else [])
        for p in procs:
            harness.stop(p)
        for p in procs:
            problems = harness.log_problems(p.log_path)
            assert not problems, problems
        cls.api.stop()
        cls.etcd.stop()

    @classmethod
    def nodes(cls):
        st, body = cls.api.req("GET", "/api/v1/nodes")
        return body["items"] if st == 200 else []

    def get(self, path):
        st, body = self.api.req("GET", path)
        return body if st == 200 else None

    def items(self, path):
        st, body = self.api.req("GET", path)
        self.assertEqual(st, 200, body)
        return [o for o in body["items"] if not o["metadata"].get("deletionTimestamp")]

    def pods(self, app, ns=NS):
        return self.items(ns + "/pods?labelSelector=app%3D" + app)

    def running(self, app, ns=NS):
        return [p for p in self.pods(app, ns) if p["status"].get("phase") == "Running"]

    def patch(self, path, body, ctype=MERGE):
        st, out = self.api.req("PATCH", path, body, ctype=ctype)
        self.assertEqual(st, 200, out)
        return out

    def test_endpoints_follow_pods(self):
        svc = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "ep"},
               "spec": {"selector": {"app": "ep"}, "ports": [{"name": "http", "port": 80, "targetPort": "web"}]}}
        self.assertEqual(self.api.req("POST", NS + "/services", svc)[0], 201)
        self.assertEqual(self.api.req("POST", APPS + "/deployments", deployment(
            "ep", 2, "img", ports=[{"name": "web", "containerPort": 8080}]))[0], 201)

        def addrs(kind):
            e = self.get(NS + "/endpoints/ep")
            if not e:
                return None
            out = []
            for s in e.get("subsets") or []:
                self.assertEqual(s["ports"], [{"name": "http", "port": 8080, "protocol": "TCP"}])
                out += [a["ip"] for a in s.get(kind, [])]
            return sorted(out)
        harness.wait_until(lambda: addrs("addresses") and len(addrs("addresses")) == 2, 15, "2 ready addresses")
        self.assertEqual(addrs("addresses"), sorted(p["status"]["podIP"] for p in self.running("ep")))
        # one pod stops being ready: it moves to notReadyAddresses
        victim = self.running("ep")[0]
        self.patch(NS + "/pods/%s/status" % victim["metadata"]["name"],
                   {"status": {"conditions": [{"type": "Ready", "status": "False"}]}},
                   ctype="application/strategic-merge-patch+json")
        harness.wait_until(lambda: addrs("notReadyAddresses") == [victim["status"]["podIP"]]
                           and len(addrs("addresses")) == 1, 10, "the unready pod in notReadyAddresses")
        # pods going away leave the Endpoints empty
        self.patch(APPS + "/deployments/ep", {"spec": {"replicas": 0}})
        harness.wait_until(lambda: addrs("addresses") == [] and addrs("notReadyAddresses") == [], 15,
                           "no addresses once the pods are gone")
        self.api.req("DELETE", NS + "/services/ep")
        harness.wait_until(lambda: self.get(NS + "/endpoints/ep") is None, 10, "Endpoints gone with the Service")

    def test_endpointslices_follow_pods(self):
        svc = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "es", "labels": {"tier": "front"}},
               "spec": {"selector": {"app": "es"}, "ports": [{"name": "http", "port": 80, "targetPort": "web"}]}}
        st, svc = self.api.req("POST", NS + "/services", svc)
        self.assertEqual(st, 201, svc)
        self.assertEqual((svc["spec"]["ipFamilies"], svc["spec"]["ipFamilyPolicy"]), (["IPv4"], "SingleStack"))
        self.assertEqual(self.api.req("POST", APPS + "/deployments", deployment(
            "es", 2, "img", ports=[{"name": "web", "containerPort": 8080}]))[0], 201)

        def slices():
            st, body = self.api.req("GET", SLICES + "?labelSelector=kubernetes.io%2Fservice-name%3Des")
            self.assertEqual(st, 200, body)
            return body["items"]

        def endpoints(ready=None):
            out = []
            for s in slices():
                out += [e for e in s.get("endpoints") or []
                        if ready is None or e["conditions"]["ready"] == ready]
            return sorted(e["addresses"][0] for e in out)

        def pod_ips():
            return sorted(p["status"]["podIP"] for p in self.running("es") if ready(p))
        harness.wait_until(lambda: len(endpoints(True)) == 2 and endpoints(True) == pod_ips(), 15, "2 ready endpoints")
        s = slices()[0]
        self.assertEqual(len(slices()), 1)
        self.assertTrue(s["metadata"]["name"].startswith("es-") and len(s["metadata"]["name"]) == 8, s)
        self.assertEqual(s["metadata"]["labels"], {"tier": "front", "kubernetes.io/service-name": "es",
                                                   "endpointslice.kubernetes.io/managed-by":
                                                   "endpointslice-controller.k8s.io"})
        ref = s["metadata"]["ownerReferences"][0]
        self.assertEqual((ref["kind"], ref["name"], ref["uid"], ref["controller"]),
                         ("Service", "es", svc["metadata"]["uid"], True))
        self.assertEqual((s["addressType"], s["ports"]), ("IPv4", [{"name": "http", "port": 8080, "protocol": "TCP"}]))
        e = s["endpoints"][0]
        p = self.get(NS + "/pods/" + e["targetRef"]["name"])
        self.assertEqual((e["targetRef"]["kind"], e["targetRef"]["uid"], e["nodeName"], e["addresses"]),
                         ("Pod", p["metadata"]["uid"], p["spec"]["nodeName"], [p["status"]["podIP"]]))
        self.assertEqual(e["conditions"], {"ready": True, "serving": True, "terminating": False})
        # scale up: the new pod joins the slice
        self.patch(APPS + "/deployments/es", {"spec": {"replicas": 3}})
        harness.wait_until(lambda: len(endpoints(True)) == 3 and endpoints(True) == pod_ips(), 15, "3 ready endpoints")
        # one pod stops being ready: ready and serving false
        victim = self.running("es")[0]
        self.patch(NS + "/pods/%s/status" % victim["metadata"]["name"],
                   {"status": {"conditions": [{"type": "Ready", "status": "False"}]}},
                   ctype="application/strategic-merge-patch+json")
        harness.wait_until(lambda: endpoints(False) == [victim["status"]["podIP"]] and len(endpoints(True)) == 2, 10,
                           "the unready pod's endpoint not ready")
        cond = [e["conditions"] for s in slices() for e in s["endpoints"]
                if e["addresses"] == [victim["status"]["podIP"]]][0]
        self.assertEqual(cond, {"ready": False, "serving": False, "terminating": False})
        if KUBECTL:
            self.describe_shows_endpoints()
        # scale to zero: a placeholder slice without endpoints remains
        self.patch(APPS + "/deployments/es", {"spec": {"replicas": 0}})
        harness.wait_until(lambda: len(slices()) == 1 and endpoints() == [], 20, "no endpoints once the pods are gone")
        self.assertEqual(slices()[0]["ports"], [])
        # the Service goes: so do its slices
        self.assertEqual(self.api.req("DELETE", NS + "/services/es")[0], 200)
        harness.wait_until(lambda: slices() == [], 10, "slices deleted with the Service")

    def describe_shows_endpoints(self):
        ips = sorted(p["status"]["podIP"] for p in self.running("es") if ready(p))
        p = subprocess.run([KUBECTL, "--server", self.api.url, "--cache-dir", tempfile.mkdtemp(dir=self.dir),
                            "describe", "svc", "es"], capture_output=True, text=True, timeout=60)
        self.assertEqual(p.returncode, 0, p.stderr)
        lines = dict(l.split(":", 1) for l in p.stdout.splitlines() if ":" in l and not l.startswith(" "))
        self.assertEqual(lines["IP Families"].strip(), "IPv4", p.stdout)
        self.assertEqual(lines["IP Family Policy"].strip(), "SingleStack", p.stdout)
        self.assertEqual(lines["Internal Traffic Policy"].strip(), "Cluster", p.stdout)
        # kubectl 1.32 reads endpoints from the slices only: the ready ones, with the target port
        self.assertEqual(sorted(lines["Endpoints"].strip().split(",")), ["%s:8080" % ip for ip in ips], p.stdout)

    def test_node_stops_renewing(self):
        self.assertEqual(self.api.req("POST", APPS + "/deployments", deployment("nl", 3, "img"))[0], 201)
        harness.wait_until(lambda: len(self.running("nl")) == 3, 15, "3 running pods")
        victim = self.running("nl")[0]["spec"]["nodeName"]
        with open(self.stopped, "w") as f:
            f.write(victim + "\n")

        def node_state():
            n = self.get("/api/v1/nodes/" + victim)
            st = [c["status"] for c in n["status"].get("conditions", []) if c["type"] == "Ready"]
            taints = [t["key"] for t in n["spec"].get("taints") or []]
            return st, taints
        harness.wait_until(lambda: node_state() == (["Unknown"], ["node.kubernetes.io/unreachable"]), 8,
                           "Ready=Unknown and the unreachable taint within the grace period")

        def elsewhere():
            r = self.running("nl")
            return len(r) == 3 and all(p["spec"]["nodeName"] != victim for p in r)
        harness.wait_until(elsewhere, 15, "its pod recreated on the other nodes")
        open(self.stopped, "w").close()
        harness.wait_until(lambda: node_state() == (["True"], []), 10, "the node back once it renews")
        self.api.req("DELETE", APPS + "/deployments/nl")

    def test_daemonset_follows_nodes(self):
        ds = {"apiVersion": "apps/v1", "kind": "DaemonSet", "metadata": {"name": "agent"},
              "spec": {"selector": {"matchLabels": {"app": "agent"}},
                       "template": {"metadata": {"labels": {"app": "agent"}},
                                    "spec": {"containers": [{"name": "c", "image": "agent"}]}}}}
        self.assertEqual(self.api.req("POST", APPS + "/daemonsets", ds)[0], 201)

        def on_nodes():
            return sorted(p["spec"].get("nodeName", "") for p in self.pods("agent"))
        base = sorted(n["metadata"]["name"] for n in self.nodes())
        harness.wait_until(lambda: on_nodes() == base, 10, "a pod on each node")
        # a node joins
        self.__class__.extra = harness.start([os.path.join(harness.BIN, "hollownodes"), "--nodes", "1", "--prefix",
                                              "extra-", "--ready-delay", "100ms", "--master", self.api.url],
                                             os.path.join(self.dir, "extra.log"))
        harness.wait_until(lambda: on_nodes() == sorted(base + ["extra-0"]), 10, "a pod on the new node")
        # a taint it does not tolerate sends it away, removing the taint brings it back
        self.patch("/api/v1/nodes/" + base[0], {"spec": {"taints": [{"key": "dedicated", "value": "db",
                                                                     "effect": "NoSchedule"}]}})
        harness.wait_until(lambda: on_nodes() == sorted(base[1:] + ["extra-0"]), 10, "no pod on the tainted node")
        self.patch("/api/v1/nodes/" + base[0], {"spec": {"taints": None}})
        harness.wait_until(lambda: on_nodes() == sorted(base + ["extra-0"]), 10, "back on the untainted node")
        # the node leaves
        harness.stop(self.extra)
        self.api.req("DELETE", "/api/v1/nodes/extra-0")
        harness.wait_until(lambda: on_nodes() == base, 10, "its pod gone with the node")
        st = harness.wait_until(lambda: (self.get(APPS + "/daemonsets/agent")["status"].get("numberReady") == 3
                                         and self.get(APPS + "/daemonsets/agent")["status"]), 10, "status")
        self.assertEqual(st["desiredNumberScheduled"], 3)
        self.api.req("DELETE", APPS + "/daemonsets/agent")
        harness.wait_until(lambda: self.pods("agent") == [], 10, "its pods collected with it")

    def test_namespace_deletion_empties_it(self):
        ns = "/api/v1/namespaces/doomed"
        self.assertEqual(self.api.req("POST", "/api/v1/namespaces",
                                      {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "doomed"}})[0], 201)
        apps = "/apis/apps/v1/namespaces/doomed"
        self.assertEqual(self.api.req("POST", apps + "/deployments", deployment("web", 2, "img"))[0], 201)
        self.assertEqual(self.api.req("POST", ns + "/configmaps", {"apiVersion": "v1", "kind": "ConfigMap",
                                                                  "metadata": {"name": "cfg"}, "data": {"a": "b"}})[0], 201)
        harness.wait_until(lambda: len(self.running("web", ns)) == 2, 15, "2 running pods in the namespace")
        harness.wait_until(lambda: "kubernetes" in (self.get(ns)["metadata"].get("finalizers") or []), 5,
                           "the namespace finalizer")
        self.assertEqual(self.api.req("DELETE", ns)[0], 200)
        harness.wait_until(lambda: self.get(ns) is None, 20, "the namespace gone")
        for path in (ns + "/pods", ns + "/configmaps", apps + "/deployments", apps + "/replicasets"):
            st, body = self.api.req("GET", path)
            self.assertEqual(body.get("items", []), [], path)

    def test_rollout_undo_goes_back(self):
        self.assertEqual(self.api.req("POST", APPS + "/deployments", deployment("undo", 2, "img:v1"))[0], 201)

        def images():
            r = self.running("undo")
            return sorted(p["spec"]["containers"][0]["image"] for p in r) if len(r) == len(self.pods("undo")) else []
        harness.wait_until(lambda: images() == ["img:v1"] * 2, 15, "v1 running")
        v1 = self.get(APPS + "/deployments/undo")["spec"]["template"]
        self.patch(APPS + "/deployments/undo", {"spec": {"template": {"spec": {"containers": [
            {"name": "c", "image": "img:v2"}]}}}}, ctype="application/strategic-merge-patch+json")
        harness.wait_until(lambda: images() == ["img:v2"] * 2, 20, "v2 running")
        # `rollout undo`: the client puts the previous template back
        self.patch(APPS + "/deployments/undo", {"spec": {"template": v1}})
        harness.wait_until(lambda: images() == ["img:v1"] * 2, 20, "v1 running again")
        rs = [r for r in self.items(APPS + "/replicasets") if r["metadata"]["name"].startswith("undo-")]
        self.assertEqual(len(rs), 2, "the old ReplicaSet is re-used, no third one")
        revs = {r["spec"]["template"]["spec"]["containers"][0]["image"]:
                r["metadata"]["annotations"]["deployment.kubernetes.io/revision"] for r in rs}
        self.assertEqual(revs, {"img:v1": "3", "img:v2": "2"})

    def test_progress_deadline(self):
        self.assertEqual(self.api.req("POST", APPS + "/deployments",
                                      deployment("stuck", 1, "img", cpu="64", deadline=2))[0], 201)

        def cond():
            d = self.get(APPS + "/deployments/stuck")
            for c in d.get("status", {}).get("conditions", []):
                if c["type"] == "Progressing":
                    return (c["status"], c["reason"])
        harness.wait_until(lambda: cond() == ("False", "ProgressDeadlineExceeded"), 10, "ProgressDeadlineExceeded")
        self.api.req("DELETE", APPS + "/deployments/stuck")

    def test_replicaset_adopts_and_releases(self):
        pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "stray", "labels": {"app": "adopt"}},
               "spec": {"containers": [{"name": "c", "image": "x"}]}}
        self.assertEqual(self.api.req("POST", NS + "/pods", pod)[0], 201)
        rs = {"apiVersion": "apps/v1", "kind": "ReplicaSet", "metadata": {"name": "adopt"},
              "spec": {"replicas": 2, "selector": {"matchLabels": {"app": "adopt"}},
                       "template": {"metadata": {"labels": {"app": "adopt"}},
                                    "spec": {"containers": [{"name": "c", "image": "x"}]}}}}
        self.assertEqual(self.api.req("POST", APPS + "/replicasets", rs)[0], 201)

        def owner(name):
            p = self.get(NS + "/pods/" + name)
            return [r["name"] for r in p["metadata"].get("ownerReferences") or []] if p else None
        harness.wait_until(lambda: owner("stray") == ["adopt"], 10, "the stray pod adopted")
        harness.wait_until(lambda: len(self.pods("adopt")) == 2, 10, "2 pods")
        self.assertIn("stray", [p["metadata"]["name"] for p in self.pods("adopt")], "only one pod created")
        self.patch(NS + "/pods/stray", {"metadata": {"labels": {"app": "gone"}}})
        harness.wait_until(lambda: owner("stray") == [], 10, "the relabelled pod released")
        harness.wait_until(lambda: len(self.pods("adopt")) == 2, 10, "a replacement for it")
        # deleting with Orphan leaves the pods, without their owner
        self.assertEqual(self.api.req("DELETE", APPS + "/replicasets/adopt?propagationPolicy=Orphan")[0], 200)
        harness.wait_until(lambda: self.get(APPS + "/replicasets/adopt") is None, 10, "the ReplicaSet gone")
        left = self.pods("adopt")
        self.assertEqual(len(left), 2)
        self.assertTrue(all(not p["metadata"].get("ownerReferences") for p in left), "orphaned")
        self.api.req("DELETE", NS + "/pods/stray")

    def test_foreground_deletion_waits_for_dependents(self):
        self.assertEqual(self.api.req("POST", APPS + "/deployments", deployment("fg", 2, "img"))[0], 201)
        harness.wait_until(lambda: len(self.running("fg")) == 2, 15, "2 running pods")
        self.assertEqual(self.api.req("DELETE", APPS + "/deployments/fg?propagationPolicy=Foreground")[0], 200)
        seen = []

        def gone():
            d = self.get(APPS + "/deployments/fg")
            if d is not None:
                self.assertIn("foregroundDeletion", d["metadata"].get("finalizers", []))
                seen.append(len(self.pods("fg")))
                return False
            return True
        harness.wait_until(gone, 15, "the Deployment gone")
        self.assertEqual(self.pods("fg"), [], "no pod outlives it")
        self.assertEqual([r for r in self.items(APPS + "/replicasets") if r["metadata"]["name"].startswith("fg-")], [])


if __name__ == "__main__":
    unittest.main(verbosity=2)
