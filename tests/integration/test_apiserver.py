"""The apiserver over etcdlite and over real etcd 3.4: the same tests run against both stores.

Run one store only with APISERVER_STORE=etcdlite or =etcd.
"""
import base64
import http.client
import json
import os
import socket
import sys
import threading
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import harness  # noqa: E402
from apiserver_proc import Apiserver, read_events, q  # noqa: E402
from etcd_cluster import Cluster  # noqa: E402
from fake_kubelet import FakeKubelet  # noqa: E402

NS = "/api/v1/namespaces/default"
APPS = "/apis/apps/v1/namespaces/default"


def pod(name, labels=None, image="nginx:1"):
    return {"apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": name, "labels": labels or {"app": name}},
            "spec": {"containers": [{"name": "c", "image": image}]}}


def deployment(name, replicas=1):
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name},
            "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": name}},
                     "template": {"metadata": {"labels": {"app": name}},
                                  "spec": {"containers": [{"name": "c", "image": "nginx:1"}]}}}}


def service(name, typ="ClusterIP", ip=None):
    s = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": name},
         "spec": {"type": typ, "selector": {"app": name}, "ports": [{"port": 80}]}}
    if ip:
        s["spec"]["clusterIP"] = ip
    return s


# One minimal object per resource: (collection path, object).
SAMPLES = [
    ("/api/v1/namespaces", {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "crud-ns"}}),
    (NS + "/pods", pod("crud-pod")),
    (NS + "/services", service("crud-svc")),
    (NS + "/endpoints", {"apiVersion": "v1", "kind": "Endpoints", "metadata": {"name": "crud-ep"},
                         "subsets": [{"addresses": [{"ip": "10.0.0.1"}], "ports": [{"port": 80}]}]}),
    ("/api/v1/nodes", {"apiVersion": "v1", "kind": "Node", "metadata": {"name": "crud-node"},
                       "status": {"capacity": {"cpu": "4"}}}),
    (NS + "/configmaps", {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "crud-cm"},
                          "data": {"k": "v"}}),
    (NS + "/secrets", {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "crud-secret"},
                       "data": {"k": base64.b64encode(b"v").decode()}}),
    (NS + "/events", {"apiVersion": "v1", "kind": "Event", "metadata": {"name": "crud-ev"},
                      "involvedObject": {"kind": "Pod", "name": "x", "namespace": "default"},
                      "reason": "Test", "message": "hello"}),
    (NS + "/serviceaccounts", {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "crud-sa"}}),
    (APPS + "/deployments", deployment("crud-deploy")),
    (APPS + "/replicasets", dict(deployment("crud-rs"), kind="ReplicaSet")),
    (APPS + "/daemonsets", {k: v for k, v in dict(deployment("crud-ds"), kind="DaemonSet").items()}),
    ("/apis/coordination.k8s.io/v1/namespaces/default/leases",
     {"apiVersion": "coordination.k8s.io/v1", "kind": "Lease", "metadata": {"name": "crud-lease"},
      "spec": {"holderIdentity": "a", "leaseDurationSeconds": 15}}),
]


class ApiserverTest(unittest.TestCase):
    STORE = "etcdlite"

    @classmethod
    def setUpClass(cls):
        cls.etcd = Cluster(size=1, kind=cls.STORE).start_all()
        cls.api = Apiserver(cls.etcd.client)

    @classmethod
    def tearDownClass(cls):
        cls.api.stop()
        cls.etcd.stop()

    def req(self, *a, **kw):
        return self.api.req(*a, **kw)

    def create(self, path, obj, code=201):
        st, body = self.req("POST", path, obj)
        self.assertEqual(st, code, body)
        return body

    # ---- CRUD ----

    def test_crud_every_resource(self):
        for coll, obj in SAMPLES:
            with self.subTest(coll=coll):
                obj = json.loads(json.dumps(obj))
                if "daemonsets" in coll:
                    del obj["spec"]["replicas"]
                name = obj["metadata"]["name"]
                made = self.create(coll, obj)
                self.assertEqual(made["metadata"]["name"], name)
                self.assertTrue(made["metadata"]["uid"])
                self.assertTrue(made["metadata"]["creationTimestamp"])
                rv = made["metadata"]["resourceVersion"]
                st, got = self.req("GET", coll + "/" + name)
                self.assertEqual(st, 200, got)
                self.assertEqual(got["metadata"]["resourceVersion"], rv)
                st, lst = self.req("GET", coll)
                self.assertEqual(st, 200)
                self.assertIn(name, [i["metadata"]["name"] for i in lst["items"]])
                self.assertTrue(lst["kind"].endswith("List"))
                got["metadata"].setdefault("labels", {})["updated"] = "yes"
                st, upd = self.req("PUT", coll + "/" + name, got)
                self.assertEqual(st, 200, upd)
                self.assertEqual(upd["metadata"]["labels"]["updated"], "yes")
                self.assertGreater(int(upd["metadata"]["resourceVersion"]), int(rv))
                st, pat = self.req("PATCH", coll + "/" + name, {"metadata": {"annotations": {"a": "b"}}},
                                   ctype="application/merge-patch+json")
                self.assertEqual(st, 200, pat)
                self.assertEqual(pat["metadata"]["annotations"], {"a": "b"})
                self.assertEqual(pat["metadata"]["labels"]["updated"], "yes")
                st, _ = self.req("DELETE", coll + "/" + name)
                self.assertEqual(st, 200)
                if coll == "/api/v1/namespaces":
                    # a namespace waits for the namespace controller's finalizer
                    st, ns = self.req("GET", coll + "/" + name)
                    self.assertEqual((st, ns["status"]["phase"]), (200, "Terminating"))
                    self.assertEqual(ns["spec"]["finalizers"], ["kubernetes"])
                    ns["spec"]["finalizers"] = []
                    st, _ = self.req("PUT", coll + "/" + name + "/finalize", ns)
                    self.assertEqual(st, 200)
                st, gone = self.req("GET", coll + "/" + name)
                self.assertEqual(st, 404)
                self.assertEqual(gone["reason"], "NotFound")

    def test_server_fields_and_generation(self):
        d = self.create(APPS + "/deployments", deployment("gen"))
        self.assertEqual(d["metadata"]["generation"], 1)
        self.assertEqual(d["spec"]["strategy"]["type"], "RollingUpdate")
        st, d2 = self.req("PATCH", APPS + "/deployments/gen", {"metadata": {"labels": {"x": "y"}}},
                          ctype="application/merge-patch+json")
        self.assertEqual(d2["metadata"]["generation"], 1, "metadata change must not bump generation")
        st, d3 = self.req("PATCH", APPS + "/deployments/gen", {"spec": {"replicas": 4}},
                          ctype="application/merge-patch+json")
        self.assertEqual(d3["metadata"]["generation"], 2)
        st, d4 = self.req("PUT", APPS + "/deployments/gen/status",
                          dict(d3, status={"observedGeneration": 2, "replicas": 4}))
        self.assertEqual(st, 200, d4)
        self.assertEqual(d4["status"]["replicas"], 4)
        self.assertEqual(d4["metadata"]["generation"], 2)
        # status on the main resource is ignored
        d4["status"] = {"replicas": 99}
        st, d5 = self.req("PUT", APPS + "/deployments/gen", d4)
        self.assertEqual(d5["status"]["replicas"], 4)
        g = self.create(NS + "/configmaps", {"apiVersion": "v1", "kind": "ConfigMap",
                                              "metadata": {"generateName": "gen-"}})
        self.assertTrue(g["metadata"]["name"].startswith("gen-") and len(g["metadata"]["name"]) == 9)

    def test_scale_binding_status(self):
        self.create(APPS + "/deployments", deployment("sc", 2))
        st, s = self.req("GET", APPS + "/deployments/sc/scale")
        self.assertEqual((st, s["kind"], s["apiVersion"], s["spec"]["replicas"]), (200, "Scale", "autoscaling/v1", 2))
        st, s = self.req("PATCH", APPS + "/deployments/sc/scale", {"spec": {"replicas": 7}},
                         ctype="application/merge-patch+json")
        self.assertEqual((st, s["spec"]["replicas"]), (200, 7))
        st, d = self.req("GET", APPS + "/deployments/sc")
        self.assertEqual(d["spec"]["replicas"], 7)
        self.create(NS + "/pods", pod("bind-me"))
        st, b = self.req("POST", NS + "/pods/bind-me/binding",
                         {"apiVersion": "v1", "kind": "Binding", "metadata": {"name": "bind-me"},
                          "target": {"kind": "Node", "name": "node-1"}})
        self.assertEqual(st, 201 if b.get("code") == 201 else 200, b)
        st, p = self.req("GET", NS + "/pods/bind-me")
        self.assertEqual(p["spec"]["nodeName"], "node-1")
        st, b = self.req("POST", NS + "/pods/bind-me/binding",
                         {"apiVersion": "v1", "kind": "Binding", "metadata": {"name": "bind-me"},
                          "target": {"kind": "Node", "name": "node-2"}})
        self.assertEqual(st, 409, b)
        p["status"] = {"phase": "Running", "podIP": "10.244.0.5"}
        st, p2 = self.req("PUT", NS + "/pods/bind-me/status", p)
        self.assertEqual((st, p2["status"]["phase"]), (200, "Running"))
        # graceful deletion of a pod on a node: marked, then gone with grace 0
        st, d = self.req("DELETE", NS + "/pods/bind-me")
        self.assertEqual(st, 200)
        self.assertIn("deletionTimestamp", d["metadata"])
        st, d = self.req("DELETE", NS + "/pods/bind-me", {"gracePeriodSeconds": 0})
        self.assertEqual(st, 200)
        self.assertEqual(self.req("GET", NS + "/pods/bind-me")[0], 404)

    def test_pod_spec_immutable_but_image(self):
        p = self.create(NS + "/pods", pod("immut"))
        p["spec"]["containers"][0]["image"] = "nginx:2"
        st, p2 = self.req("PUT", NS + "/pods/immut", p)
        self.assertEqual(st, 200, p2)
        p2["spec"]["containers"][0]["name"] = "other"
        st, bad = self.req("PUT", NS + "/pods/immut", p2)
        self.assertEqual((st, bad["reason"]), (422, "Invalid"))

    # ---- concurrency ----

    def test_concurrent_updates_exactly_one_wins(self):
        cm = self.create(NS + "/configmaps", {"apiVersion": "v1", "kind": "ConfigMap",
                                               "metadata": {"name": "race"}, "data": {"n": "0"}})
        results = []

        def update(i):
            obj = json.loads(json.dumps(cm))
            obj["data"]["n"] = str(i + 1)
            results.append(self.req("PUT", NS + "/configmaps/race", obj)[0])
        threads = [threading.Thread(target=update, args=(i,)) for i in range(10)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        self.assertEqual(sorted(results), [200] + [409] * 9)

    def test_allocations_unique_under_50_concurrent_creates(self):
        out = {}

        def make(i):
            out[i] = self.req("POST", NS + "/services", service("alloc-%d" % i, "NodePort"), timeout=30)
        threads = [threading.Thread(target=make, args=(i,)) for i in range(50)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        self.assertEqual([out[i][0] for i in range(50)], [201] * 50, [out[i] for i in range(50) if out[i][0] != 201][:2])
        ips = [out[i][1]["spec"]["clusterIP"] for i in range(50)]
        ports = [out[i][1]["spec"]["ports"][0]["nodePort"] for i in range(50)]
        self.assertEqual(len(set(ips)), 50)
        self.assertEqual(len(set(ports)), 50)
        self.assertTrue(all(ip.startswith("10.") for ip in ips))
        self.assertTrue(all(30000 <= p <= 32767 for p in ports))
        # a chosen IP that is taken is the client's error; a freed one can be chosen again
        st, bad = self.req("POST", NS + "/services", service("alloc-dup", ip=ips[0]))
        self.assertEqual((st, bad["reason"]), (422, "Invalid"), bad)
        self.assertEqual(self.req("DELETE", NS + "/services/alloc-0")[0], 200)
        st, ok = self.req("POST", NS + "/services", service("alloc-dup", ip=ips[0]))
        self.assertEqual(st, 201, ok)

    def test_events_expire_with_a_lease(self):
        ev = {"apiVersion": "v1", "kind": "Event", "metadata": {"name": "ttl-ev"},
              "involvedObject": {"kind": "Pod", "name": "x", "namespace": "default"}, "reason": "R", "message": "m"}
        made = self.create(NS + "/events", ev)

        def lease():
            st, r = harness.post_json(self.etcd.client[0] + "/v3/kv/range",
                                      {"key": base64.b64encode(b"/registry/events/default/ttl-ev").decode()})
            return int(r["kvs"][0].get("lease", "0"))
        first = lease()
        self.assertGreater(first, 0)
        made["count"] = 2
        st, _ = self.req("PUT", NS + "/events/ttl-ev", made)
        self.assertEqual(st, 200)
        self.assertGreater(lease(), 0, "an update keeps the event on a lease")
        st, ttl = harness.post_json(self.etcd.client[0] + "/v3/lease/timetolive", {"ID": str(first)})
        self.assertGreater(int(ttl["TTL"]), 3000)

    def test_node_pod_cidr(self):
        a = self.create("/api/v1/nodes", {"apiVersion": "v1", "kind": "Node", "metadata": {"name": "cidr-a"}})
        b = self.create("/api/v1/nodes", {"apiVersion": "v1", "kind": "Node", "metadata": {"name": "cidr-b"}})
        self.assertTrue(a["spec"]["podCIDR"].startswith("10.244.") and a["spec"]["podCIDR"].endswith("/24"))
        self.assertNotEqual(a["spec"]["podCIDR"], b["spec"]["podCIDR"])

    # ---- finalizers ----

    def test_finalizers_hold_deletion(self):
        self.create(NS + "/configmaps", {"apiVersion": "v1", "kind": "ConfigMap",
                                          "metadata": {"name": "fin", "finalizers": ["example.com/x"]}})
        st, d = self.req("DELETE", NS + "/configmaps/fin")
        self.assertEqual(st, 200)
        st, got = self.req("GET", NS + "/configmaps/fin")
        self.assertEqual(st, 200)
        self.assertIn("deletionTimestamp", got["metadata"])
        st, _ = self.req("PATCH", NS + "/configmaps/fin", {"metadata": {"finalizers": None}},
                         ctype="application/merge-patch+json")
        self.assertEqual(st, 200)
        self.assertEqual(self.req("GET", NS + "/configmaps/fin")[0], 404)

    def test_namespace_lifecycle(self):
        st, s = self.req("POST", "/api/v1/namespaces/nowhere/configmaps",
                         {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "x"}})
        self.assertEqual((st, s["reason"]), (404, "NotFound"))
        self.create("/api/v1/namespaces", {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "ending"}})
        self.create("/api/v1/namespaces/ending/configmaps", {"apiVersion": "v1", "kind": "ConfigMap",
                                                            "metadata": {"name": "x"}})
        self.assertEqual(self.req("DELETE", "/api/v1/namespaces/ending")[0], 200)
        st, s = self.req("POST", "/api/v1/namespaces/ending/configmaps",
                         {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "y"}})
        self.assertEqual((st, s["reason"]), (403, "Forbidden"), s)
        st, s = self.req("DELETE", "/api/v1/namespaces/default")
        self.assertEqual(st, 403, s)

    def test_delete_preconditions_and_collection(self):
        cm = self.create(NS + "/configmaps", {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "pre"}})
        st, bad = self.req("DELETE", NS + "/configmaps/pre", {"preconditions": {"uid": "nope"}})
        self.assertEqual(st, 409, bad)
        st, _ = self.req("DELETE", NS + "/configmaps/pre", {"preconditions": {"uid": cm["metadata"]["uid"]}})
        self.assertEqual(st, 200)
        for i in range(3):
            self.create(NS + "/configmaps", {"apiVersion": "v1", "kind": "ConfigMap",
                                              "metadata": {"name": "coll-%d" % i, "labels": {"coll": "yes"}}})
        self.create(NS + "/configmaps", {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "keep"}})
        st, _ = self.req("DELETE", NS + "/configmaps" + q(labelSelector="coll=yes"))
        self.assertEqual(st, 200)
        st, lst = self.req("GET", NS + "/configmaps")
        names = [i["metadata"]["name"] for i in lst["items"]]
        self.assertIn("keep", names)
        self.assertFalse([n for n in names if n.startswith("coll-")])

    # ---- list ----

    def test_list_selectors_and_paging(self):
        for i in range(7):
            self.create("/api/v1/namespaces/paging/pods" if False else NS + "/pods",
                        pod("page-%d" % i, {"app": "page", "idx": str(i), "tier": "a" if i % 2 else "b"}))
        st, lst = self.req("GET", NS + "/pods" + q(labelSelector="app=page,tier=a"))
        self.assertEqual(sorted(i["metadata"]["name"] for i in lst["items"]), ["page-1", "page-3", "page-5"])
        st, lst = self.req("GET", NS + "/pods" + q(labelSelector="app=page,idx in (1,2)"))
        self.assertEqual(len(lst["items"]), 2)
        st, lst = self.req("GET", "/api/v1/pods" + q(fieldSelector="metadata.name=page-4"))
        self.assertEqual([i["metadata"]["name"] for i in lst["items"]], ["page-4"])
        seen, cont, pages = [], None, 0
        while True:
            args = {"labelSelector": "app=page", "limit": 3}
            if cont:
                args["continue"] = cont
            st, lst = self.req("GET", NS + "/pods" + q(**args))
            self.assertEqual(st, 200, lst)
            pages += 1
            seen += [i["metadata"]["name"] for i in lst["items"]]
            cont = lst["metadata"].get("continue")
            if not cont:
                break
        self.assertEqual(sorted(seen), ["page-%d" % i for i in range(7)])
        self.assertEqual(pages, 3)
        st, bad = self.req("GET", NS + "/pods" + q(labelSelector="app in (x"))
        self.assertEqual(st, 400, bad)
        st, bad = self.req("GET", NS + "/configmaps" + q(fieldSelector="spec.nodeName=x"))
        self.assertEqual((st, bad["message"]), (400, "field label not supported: spec.nodeName"))
        st, lst = self.req("GET", "/api/v1/pods" + q(fieldSelector="spec.nodeName=,status.phase=Pending,metadata.name=page-1"))
        self.assertEqual([i["metadata"]["name"] for i in lst["items"]], ["page-1"])

    def test_continue_after_compaction_is_410(self):
        for i in range(3):
            self.create(NS + "/configmaps", {"apiVersion": "v1", "kind": "ConfigMap",
                                              "metadata": {"name": "cmp-%d" % i}})
        st, lst = self.req("GET", NS + "/configmaps" + q(limit=1))
        cont = lst["metadata"]["continue"]
        cm = self.create(NS + "/configmaps", {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "cmp-x"}})
        rev = int(cm["metadata"]["resourceVersion"])
        st, _ = harness.post_json(self.etcd.client[0] + "/v3/kv/compaction", {"revision": str(rev)})
        self.assertEqual(st, 200)
        st, gone = self.req("GET", NS + "/configmaps" + q(limit=1, **{"continue": cont}))
        self.assertEqual((st, gone["reason"]), (410, "Expired"), gone)

    # ---- watch ----

    def test_watch_in_a_namespace_sees_only_it(self):
        for ns in ("wns-a", "wns-ab"):
            self.create("/api/v1/namespaces", {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}})
        st, lst = self.req("GET", "/api/v1/namespaces/wns-a/configmaps")
        conn, resp = self.api.watch("/api/v1/namespaces/wns-a/configmaps" +
                                    q(watch=1, resourceVersion=lst["metadata"]["resourceVersion"]))
        cm = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}}
        self.create("/api/v1/namespaces/wns-ab/configmaps", cm)  # a namespace whose name starts alike
        self.create(NS + "/configmaps", {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "wns-a"}})
        self.create("/api/v1/namespaces/wns-a/configmaps", cm)
        cm2 = dict(cm, data={"k": "v"})
        st, _ = self.req("PUT", "/api/v1/namespaces/wns-ab/configmaps/c", cm2)
        self.assertEqual(st, 200)
        st, _ = self.req("PUT", "/api/v1/namespaces/wns-a/configmaps/c", cm2)
        self.assertEqual(st, 200)
        evs = read_events(resp, n=2)
        conn.close()
        self.assertEqual([(e["type"], e["object"]["metadata"]["namespace"]) for e in evs],
                         [("ADDED", "wns-a"), ("MODIFIED", "wns-a")])

    def test_watch_in_order_no_gap_across_rewatch(self):
        st, lst = self.req("GET", NS + "/configmaps")
        rv = lst["metadata"]["resourceVersion"]
        conn, resp = self.api.watch(NS + "/configmaps" + q(watch=1, resourceVersion=rv, labelSelector="w=1"))
        self.assertEqual(resp.status, 200)
        made = []
        for i in range(10):
            made.append(self.create(NS + "/configmaps", {"apiVersion": "v1", "kind": "ConfigMap",
                                                          "metadata": {"name": "w-%d" % i, "labels": {"w": "1"}}}))
        first = read_events(resp, n=5)
        conn.close()
        last = first[-1]["object"]["metadata"]["resourceVersion"]
        for i in range(10, 15):
            made.append(self.create(NS + "/configmaps", {"apiVersion": "v1", "kind": "ConfigMap",
                                                          "metadata": {"name": "w-%d" % i, "labels": {"w": "1"}}}))
        st, _ = self.req("DELETE", NS + "/configmaps/w-0")
        conn, resp = self.api.watch(NS + "/configmaps" + q(watch=1, resourceVersion=last, labelSelector="w=1"))
        rest = read_events(resp, until=lambda e: e["type"] == "DELETED")
        conn.close()
        events = first + rest
        rvs = [int(e["object"]["metadata"]["resourceVersion"]) for e in events]
        self.assertEqual(rvs, sorted(rvs))
        self.assertEqual(len(set(rvs)), len(rvs), "no duplicate")
        self.assertEqual([e["object"]["metadata"]["name"] for e in events[:15]], ["w-%d" % i for i in range(15)])
        self.assertEqual([e["type"] for e in events], ["ADDED"] * 15 + ["DELETED"])

    def test_watch_from_now_lists_first_and_times_out(self):
        self.create(NS + "/secrets", {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "now-1"}})
        conn, resp = self.api.watch(NS + "/secrets" + q(watch=1, timeoutSeconds=1, fieldSelector="metadata.name=now-1"))
        evs = read_events(resp)  # ends by the timeout
        conn.close()
        self.assertEqual([(e["type"], e["object"]["metadata"]["name"]) for e in evs], [("ADDED", "now-1")])
        self.create(NS + "/secrets", {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "now-2"}})
        conn, resp = self.api.watch(NS + "/secrets/now-2" + q(watch=1, timeoutSeconds=1))  # the single-object form
        evs = read_events(resp)
        conn.close()
        self.assertEqual([(e["type"], e["object"]["metadata"]["name"]) for e in evs], [("ADDED", "now-2")])

    def test_watch_too_old_is_410_error_event(self):
        # a small cache: 20 writes push the first out of its window
        small = Apiserver(self.etcd.client, ["--watch-cache-size", "8"])
        try:
            made = [small.req("POST", NS + "/configmaps", {"apiVersion": "v1", "kind": "ConfigMap",
                                                           "metadata": {"name": "old-%d" % i}})[1]
                    for i in range(20)]
            conn, resp = small.watch(NS + "/configmaps" + q(watch=1, resourceVersion=made[0]["metadata"]["resourceVersion"]))
            evs = read_events(resp)
            conn.close()
            self.assertEqual(resp.status, 200)
            self.assertEqual(evs[0]["type"], "ERROR")
            self.assertEqual((evs[0]["object"]["code"], evs[0]["object"]["reason"]), (410, "Expired"))
            # from inside the window: every later event
            conn, resp = small.watch(NS + "/configmaps" + q(watch=1, resourceVersion=made[15]["metadata"]["resourceVersion"]))
            evs = read_events(resp, n=4)
            conn.close()
            self.assertEqual([e["object"]["metadata"]["name"] for e in evs], ["old-%d" % i for i in range(16, 20)])
        finally:
            small.stop()

    def test_watch_bookmarks(self):
        leases = "/apis/coordination.k8s.io/v1/namespaces/default/leases"
        st, lst = self.req("GET", leases)
        self.assertEqual(st, 200, lst)
        conn, resp = self.api.watch(leases + q(watch=1, resourceVersion=lst["metadata"]["resourceVersion"],
                                                        allowWatchBookmarks="true", timeoutSeconds=7))
        evs = read_events(resp, until=lambda e: e["type"] == "BOOKMARK")
        conn.close()
        self.assertEqual(evs[-1]["type"], "BOOKMARK")
        self.assertGreaterEqual(int(evs[-1]["object"]["metadata"]["resourceVersion"]),
                                int(lst["metadata"]["resourceVersion"]))

    def test_slow_watcher_is_closed_others_go_on(self):
        api = Apiserver(self.etcd.client, ["--watch-max-buffer", str(1 << 20)])
        try:
            st, lst = api.req("GET", NS + "/configmaps")
            rv = lst["metadata"]["resourceVersion"]
            # a client that never reads: the kernel's buffers fill, then the server's queue
            slow = socket.create_connection(("127.0.0.1", api.port))
            slow.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
            slow.sendall(("GET %s/configmaps?watch=1&resourceVersion=%s&labelSelector=big%%3D1 HTTP/1.1\r\n"
                          "Host: x\r\n\r\n" % (NS, rv)).encode())
            conn, resp = api.watch(NS + "/configmaps" + q(watch=1, resourceVersion=rv, labelSelector="big=1"), timeout=30)
            fast = []
            reader = threading.Thread(target=lambda: fast.extend(read_events(resp, n=80)))
            reader.start()
            blob = "x" * (128 << 10)
            for i in range(80):  # 10 MiB: more than the kernel buffers and the 1 MiB queue
                st, _ = api.req("POST", NS + "/configmaps", {"apiVersion": "v1", "kind": "ConfigMap",
                                                             "metadata": {"name": "big-%d" % i, "labels": {"big": "1"}},
                                                             "data": {"blob": blob}})
                self.assertEqual(st, 201)
            reader.join(30)
            names = [e["object"]["metadata"]["name"] for e in fast]
            conn.close()
            self.assertEqual(names, ["big-%d" % i for i in range(80)])
            harness.wait_until(lambda: b"fell behind" in open(api.proc.log_path, "rb").read(), 10,
                               "the slow watcher closed")
            slow.close()
            self.assertEqual(api.req("GET", "/healthz")[0], 200)
            st, _ = api.req("DELETE", NS + "/configmaps" + q(labelSelector="big=1"))
            self.assertEqual(st, 200)
        finally:
            api.stop()

    def test_second_apiserver_same_store(self):
        other = Apiserver(self.etcd.client)
        try:
            st, lst = other.req("GET", NS + "/configmaps")
            conn, resp = other.watch(NS + "/configmaps" + q(watch=1, resourceVersion=lst["metadata"]["resourceVersion"]))
            self.create(NS + "/configmaps", {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "two"}})
            ev = read_events(resp, n=1)[0]
            conn.close()
            self.assertEqual((ev["type"], ev["object"]["metadata"]["name"]), ("ADDED", "two"))
            st, got = other.req("GET", NS + "/configmaps/two")
            self.assertEqual(st, 200)
        finally:
            other.stop()

    def test_updates_from_a_stale_watch_cache(self):
        """Writes start from the watch cache's copy. Two apiservers take turns, one over the leader, one over
        a follower that applies a commit only when the next heartbeat tells it: its cache is mostly stale."""
        cl = Cluster(size=3, kind=self.STORE, extra=["--heartbeat-interval", "300", "--election-timeout", "3000"])
        apis = []
        try:
            cl.start_all()
            lead = cl.leader()
            apis = [Apiserver([cl.client[lead]]), Apiserver([cl.client[(lead + 1) % 3]])]
            st, made = apis[0].req("POST", NS + "/configmaps", {"apiVersion": "v1", "kind": "ConfigMap",
                                                                "metadata": {"name": "turns"}, "data": {"n": "0"}})
            self.assertEqual(st, 201, made)
            harness.wait_until(lambda: apis[1].req("GET", NS + "/configmaps/turns")[0] == 200, 10, "the follower's copy")
            for i in range(20):
                # passes only if decided on the store's value: a stale copy fails the test op
                patch = [{"op": "test", "path": "/data/n", "value": str(i)},
                         {"op": "replace", "path": "/data/n", "value": str(i + 1)}]
                st, got = apis[i % 2].req("PATCH", NS + "/configmaps/turns", patch, ctype="application/json-patch+json")
                self.assertEqual((st, (got or {}).get("data", {}).get("n")), (200, str(i + 1)), (i, got))
            st, got = apis[1].req("PATCH", NS + "/configmaps/turns", [{"op": "test", "path": "/data/n", "value": "7"}],
                                  ctype="application/json-patch+json")
            self.assertEqual(st, 400, got)
            for i in range(5):
                name = "stale-bind-%d" % i
                st, _ = apis[0].req("POST", NS + "/pods", pod(name))
                self.assertEqual(st, 201)
                st, _ = apis[0].req("POST", NS + "/pods/%s/binding" % name,
                                    {"apiVersion": "v1", "kind": "Binding", "metadata": {"name": name},
                                     "target": {"kind": "Node", "name": "node-a"}})
                self.assertEqual(st, 201)
                # the follower's apiserver has most likely not seen that binding: its write must still lose
                st, got = apis[1].req("POST", NS + "/pods/%s/binding" % name,
                                      {"apiVersion": "v1", "kind": "Binding", "metadata": {"name": name},
                                       "target": {"kind": "Node", "name": "node-b"}})
                self.assertEqual(st, 409, got)
                st, got = apis[1].req("GET", NS + "/pods/" + name)
                self.assertEqual(got["spec"]["nodeName"], "node-a")
        finally:
            for a in apis:
                a.stop()
            cl.stop()

    # ---- pods/log ----

    def test_pod_log_proxied_to_kubelet(self):
        kubelet = FakeKubelet(["line one", "line two"], ["followed"])
        try:
            self.create("/api/v1/nodes", {"apiVersion": "v1", "kind": "Node", "metadata": {"name": "log-node"},
                                          "status": {"addresses": [{"type": "InternalIP", "address": "127.0.0.1"}],
                                                     "daemonEndpoints": {"kubeletEndpoint": {"Port": kubelet.port}}}})
            p = pod("logpod")
            p["spec"]["nodeName"] = "log-node"
            self.create(NS + "/pods", p)
            st, body = self.req("GET", NS + "/pods/logpod/log" + q(tailLines=5))
            self.assertEqual((st, body), (200, b"line one\nline two\n"))
            self.assertEqual(kubelet.requests[-1][0], "/containerLogs/default/logpod/c")
            self.assertEqual(kubelet.requests[-1][1]["tailLines"], ["5"])
            st, body = self.req("GET", NS + "/pods/logpod/log" + q(follow="true"))
            self.assertEqual((st, body), (200, b"line one\nline two\nfollowed\n"))
            self.create(NS + "/pods", pod("nolog"))
            st, s = self.req("GET", NS + "/pods/nolog/log")
            self.assertEqual((st, s["message"]), (400, "pod nolog does not have a host assigned"))
            dead = harness.free_ports(1)[0]
            self.create("/api/v1/nodes", {"apiVersion": "v1", "kind": "Node", "metadata": {"name": "dead-node"},
                                          "status": {"addresses": [{"type": "InternalIP", "address": "127.0.0.1"}],
                                                     "daemonEndpoints": {"kubeletEndpoint": {"Port": dead}}}})
            p = pod("deadlog")
            p["spec"]["nodeName"] = "dead-node"
            self.create(NS + "/pods", p)
            st, s = self.req("GET", NS + "/pods/deadlog/log")
            self.assertEqual(st, 503, s)
            self.assertEqual(s["reason"], "ServiceUnavailable")
            self.assertIn("dead-node", s["message"])
        finally:
            kubelet.stop()

    # ---- bad input ----

    def test_bad_input(self):
        st, s = self.req("POST", NS + "/pods", b"{not json")
        self.assertEqual((st, s["kind"], s["reason"]), (400, "Status", "BadRequest"))
        st, s = self.req("POST", NS + "/pods", service("wrongkind"))
        self.assertEqual((st, s["reason"]), (400, "BadRequest"), s)
        st, s = self.req("POST", NS + "/pods", pod("Bad_Name"))
        self.assertEqual((st, s["reason"]), (422, "Invalid"))
        self.assertEqual(s["details"]["causes"][0]["field"], "metadata.name")
        st, s = self.req("POST", NS + "/configmaps", b'{"data":"' + b"x" * (10 << 20) + b'"}', timeout=30)
        self.assertEqual((st, s["reason"]), (413, "RequestEntityTooLarge"))
        st, s = self.req("GET", NS + "/widgets")
        self.assertEqual((st, s["kind"], s["reason"]), (404, "Status", "NotFound"))
        st, s = self.req("GET", NS + "/pods" + q(watch=1, resourceVersion="garbage"))
        self.assertEqual((st, s["reason"]), (400, "BadRequest"))
        st, s = self.req("PATCH", NS + "/pods/nope", {"a": 1}, ctype="text/plain")
        self.assertEqual(st, 415)
        cm = self.create(NS + "/configmaps", {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "norv"}})
        del cm["metadata"]["resourceVersion"]
        cm["data"] = {"a": "b"}
        st, s = self.req("PUT", NS + "/configmaps/norv", cm)
        self.assertEqual(st, 200, s)  # unconditional update, as Kubernetes allows for these kinds
        st, s = self.req("POST", NS + "/configmaps" + q(fieldValidation="Strict"),
                         {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "strict"}, "bogus": 1})
        self.assertEqual(st, 400, s)
        self.assertIn("unknown field", s["message"])
        # a client that leaves mid-watch does not hurt the server
        conn, resp = self.api.watch(NS + "/pods" + q(watch=1))
        conn.close()
        self.assertEqual(self.req("GET", "/healthz")[0], 200)

    def send(self, method, path, raw, ctype="application/json"):
        """(status, parsed body, Warning headers) for a raw body, duplicate members and all."""
        conn = http.client.HTTPConnection("127.0.0.1", self.api.port, timeout=10)
        try:
            conn.request(method, path, body=raw.encode(), headers={"Content-Type": ctype})
            r = conn.getresponse()
            return r.status, json.loads(r.read()), r.msg.get_all("Warning") or []
        finally:
            conn.close()

    def test_field_validation_at_every_depth(self):
        bad = json.dumps(dict(deployment("fv"), extra=1))
        bad = bad.replace('"replicas": 1,', '"replicas": 1, "bogus": {"a": 1},').replace(
            '"image": "nginx:1"', '"image": "nginx:1", "imagePullPolicyy": "Always"')
        names = ['unknown field "spec.bogus"', 'unknown field "spec.template.spec.containers[0].imagePullPolicyy"',
                 'unknown field "extra"']
        st, s, w = self.send("POST", APPS + "/deployments" + q(fieldValidation="Strict"), bad)
        self.assertEqual((st, s["reason"], s["message"]), (400, "BadRequest",
                                                           "strict decoding error: " + ", ".join(names)))
        self.assertEqual(self.req("GET", APPS + "/deployments/fv")[0], 404)
        # no parameter is Warn: written without the fields, each named in a Warning header
        st, made, w = self.send("POST", APPS + "/deployments", bad)
        self.assertEqual(st, 201, made)
        self.assertEqual(w, ['299 - "%s"' % n.replace('"', '\\"') for n in names])
        self.assertNotIn("bogus", made["spec"])
        self.assertNotIn("extra", self.req("GET", APPS + "/deployments/fv")[1])
        # Ignore: no warning
        st, _, w = self.send("POST", APPS + "/deployments" + q(fieldValidation="Ignore"), bad.replace('"fv"', '"fv2"'))
        self.assertEqual((st, w), (201, []))
        # duplicates: refused under Strict, the last one kept under Warn
        dup = json.dumps(deployment("fv3")).replace('"replicas": 1,', '"replicas": 1, "replicas": 2,')
        st, s, _ = self.send("POST", APPS + "/deployments" + q(fieldValidation="Strict"), dup)
        self.assertEqual((st, s["message"]), (400, 'strict decoding error: duplicate field "spec.replicas"'))
        st, made, w = self.send("POST", APPS + "/deployments", dup)
        self.assertEqual((st, made["spec"]["replicas"], w), (201, 2, ['299 - "duplicate field \\"spec.replicas\\""']))
        # patches are checked on their result, whatever their kind
        path = APPS + "/deployments/fv" + q(fieldValidation="Strict")
        for ctype, patch in [
                ("application/merge-patch+json", '{"spec":{"template":{"spec":{"dnsConfig":{"nameserver":[]}}}}}'),
                ("application/json-patch+json", '[{"op":"add","path":"/spec/template/metadata/labelz","value":{}}]'),
                ("application/strategic-merge-patch+json",
                 '{"spec":{"template":{"spec":{"containers":[{"name":"c","portz":[]}]}}}}')]:
            st, s, _ = self.send("PATCH", path, patch, ctype)
            self.assertEqual(st, 400, (ctype, s))
            self.assertRegex(s["message"], r'^strict decoding error: unknown field "spec\.template\.(spec|metadata)')
        # a strategic merge patch's directives are not fields
        st, s, w = self.send("PATCH", path, '{"spec":{"template":{"spec":{"$setElementOrder/containers":[{"name":"c"}],'
                             '"containers":[{"name":"c","image":"nginx:2"}]}}}}',
                             "application/strategic-merge-patch+json")
        self.assertEqual((st, w), (200, []), s)
        # a status write is checked too, and a plain update (PUT)
        st, s, _ = self.send("PUT", APPS + "/deployments/fv/status" + q(fieldValidation="Strict"),
                             json.dumps(dict(s, status={"replicas": 0, "conditions": [{"type": "Available",
                                                                                      "status": "True", "x": 1}]})))
        self.assertEqual((st, s["message"]), (400, 'strict decoding error: unknown field "status.conditions[0].x"'))
        cur = self.req("GET", APPS + "/deployments/fv")[1]
        cur["metadata"]["labelz"] = {}
        st, s, _ = self.send("PUT", APPS + "/deployments/fv" + q(fieldValidation="Strict"), json.dumps(cur))
        self.assertEqual((st, s["message"]), (400, 'strict decoding error: unknown field "metadata.labelz"'))

    def test_apply_unknown_fields_and_duplicates(self):
        """Server-side apply as Kubernetes: unknown fields refused whatever fieldValidation (500, the typed
        conversion's words); a key given twice, in YAML or JSON, reported as go-yaml does with its line."""
        path = APPS + "/deployments/ssa-fv?fieldManager=m"
        unknown = json.dumps(dict(deployment("ssa-fv"), extra=1)).replace('"replicas": 1,', '"replicas": 1, "bogus": {"a": 1},')
        for fv in ("Strict", "Warn", "Ignore"):
            st, s, _ = self.send("PATCH", path + "&fieldValidation=" + fv, unknown, "application/apply-patch+yaml")
            self.assertEqual(st, 500, s)
            self.assertNotIn("reason", s)
            self.assertEqual(s["message"], "failed to create typed patch object (/ssa-fv; apps/v1, Kind=Deployment): "
                             "errors:\n  .spec.bogus: field not declared in schema\n  .extra: field not declared in schema")
        one = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "ssa-cm", "namespace": "default"},
               "data_error": {"a": "b"}}
        st, s, _ = self.send("PATCH", NS + "/configmaps/ssa-cm?fieldManager=m", json.dumps(one),
                             "application/apply-patch+yaml")
        self.assertEqual((st, s["message"]), (500, "failed to create typed patch object (default/ssa-cm; /v1, "
                                                   "Kind=ConfigMap): .data_error: field not declared in schema"))
        self.assertEqual(self.req("GET", APPS + "/deployments/ssa-fv")[0], 404)
        yml = ("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ssa-dup\ndata:\n  a: '1'\n  a: '2'\n"
               "  b: x\nbinaryData: {}\nimmutable: false\nimmutable: true\n")
        dups = ['line 7: key "a" already set in map', 'line 11: key "immutable" already set in map']
        st, s, _ = self.send("PATCH", NS + "/configmaps/ssa-dup?fieldManager=m&fieldValidation=Strict", yml,
                             "application/apply-patch+yaml")
        self.assertEqual((st, s["reason"]), (400, "BadRequest"), s)
        self.assertEqual(s["message"], "error strict decoding YAML: error converting YAML to JSON: yaml: unmarshal "
                         "errors:\n  " + "\n  ".join(dups))
        self.assertEqual(self.req("GET", NS + "/configmaps/ssa-dup")[0], 404)
        # Warn (the default): the later value, a warning each; Ignore: silence
        st, made, w = self.send("PATCH", NS + "/configmaps/ssa-dup?fieldManager=m", yml, "application/apply-patch+yaml")
        self.assertEqual((st, made["data"], made["immutable"]), (201, {"a": "2", "b": "x"}, True), made)
        self.assertEqual(w, ['299 - "%s"' % d.replace('"', '\\"') for d in dups])
        st, _, w = self.send("PATCH", NS + "/configmaps/ssa-dup?fieldManager=m&fieldValidation=Ignore", yml,
                             "application/apply-patch+yaml")
        self.assertEqual((st, w), (200, []))
        # a JSON body is read the same way, its lines counted
        js = '{"apiVersion": "v1", "kind": "ConfigMap",\n "metadata": {"name": "ssa-dup"},\n "data": {"b": "y",\n "b": "z"}}'
        st, s, _ = self.send("PATCH", NS + "/configmaps/ssa-dup?fieldManager=m&fieldValidation=Strict", js,
                             "application/apply-patch+yaml")
        self.assertEqual((st, s["message"].split("\n", 1)[1]), (400, '  line 4: key "b" already set in map'))

    def test_field_validation_value_must_be_known(self):
        """fieldValidation other than Ignore, Strict, Warn (or empty) is refused as Kubernetes refuses bad options."""
        allowed = 'Unsupported value: "Bogus": supported values: "", "Ignore", "Strict", "Warn"'
        cm = json.dumps({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "fv-bogus"}})
        for method, path, ctype, kind in [
                ("POST", NS + "/configmaps", "application/json", "CreateOptions"),
                ("PUT", NS + "/configmaps/fv-bogus", "application/json", "UpdateOptions"),
                ("PATCH", NS + "/configmaps/fv-bogus", "application/merge-patch+json", "PatchOptions"),
                ("PATCH", NS + "/configmaps/fv-bogus?fieldManager=m", "application/apply-patch+yaml", "PatchOptions")]:
            sep = "&" if "?" in path else "?"
            st, s, _ = self.send(method, path + sep + "fieldValidation=Bogus", cm, ctype)
            self.assertEqual((st, s["reason"]), (422, "Invalid"), (method, ctype, s))
            self.assertEqual(s["message"], '%s.meta.k8s.io "" is invalid: fieldValidation: %s' % (kind, allowed))
            self.assertEqual(s["details"], {"group": "meta.k8s.io", "kind": kind, "causes": [
                {"reason": "FieldValueNotSupported", "message": allowed, "field": "fieldValidation"}]})
        self.assertEqual(self.req("GET", NS + "/configmaps/fv-bogus")[0], 404)
        # the case matters, as in Kubernetes; an empty value is the default (Warn)
        self.assertEqual(self.send("POST", NS + "/configmaps?fieldValidation=strict", cm)[0], 422)
        self.assertEqual(self.send("POST", NS + "/configmaps?fieldValidation=", cm)[0], 201)

    def test_strict_patch_of_an_object_stored_with_unknown_fields(self):
        """An object written before fields were checked at every depth may hold unknown ones: a Strict
        patch that does not send them is not refused for them, and the write drops them."""
        legacy = {"apiVersion": "v1", "kind": "ConfigMap", "colour": "red",
                  "metadata": {"name": "legacy", "namespace": "default", "uid": "u-legacy",
                               "creationTimestamp": "2024-01-01T00:00:00Z", "labelz": {}},
                  "data": {"a": "1"}}
        st, _ = harness.post_json(self.etcd.client[0] + "/v3/kv/put", {
            "key": base64.b64encode(b"/registry/configmaps/default/legacy").decode(),
            "value": base64.b64encode(json.dumps(legacy).encode()).decode()})
        self.assertEqual(st, 200)
        st, s, w = self.send("PATCH", NS + "/configmaps/legacy" + q(fieldValidation="Strict"),
                             '{"data":{"a":"2"}}', "application/strategic-merge-patch+json")
        self.assertEqual((st, w), (200, []), s)
        got = self.req("GET", NS + "/configmaps/legacy")[1]
        self.assertEqual(got["data"], {"a": "2"})
        self.assertNotIn("colour", got)
        self.assertNotIn("labelz", got["metadata"])

    def test_namespace_lifecycle_after_cached_admission(self):
        """Creates into a namespace are admitted from the apiserver's table of active namespaces
        (fed by the namespaces' watch); a terminating or deleted namespace must still refuse them."""
        self.create("/api/v1/namespaces", {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "life"}})
        coll = "/api/v1/namespaces/life/pods"
        self.create(coll, pod("p0"))
        self.create(coll, pod("p1"))  # admitted from the table now
        st, body = self.req("DELETE", "/api/v1/namespaces/life")
        self.assertIn(st, (200, 202), body)
        seen = {}

        def refused():
            seen["st"], seen["body"] = self.req("POST", coll, pod("late-%d" % len(seen)))
            return seen["st"] in (403, 404)
        harness.wait_until(refused, 5.0, "a create into a deleted namespace refused")
        self.assertIn(seen["st"], (403, 404), seen["body"])
        st, body = self.req("POST", "/api/v1/namespaces/never-made/pods", pod("x"))
        self.assertEqual(st, 404, body)
        self.assertEqual(body["details"]["kind"], "namespaces")

    def test_discovery(self):
        st, v = self.req("GET", "/version")
        self.assertEqual((v["major"], v["minor"]), ("1", "32"))
        st, r = self.req("GET", "/api/v1")
        pods = [x for x in r["resources"] if x["name"] == "pods"][0]
        self.assertEqual((pods["shortNames"], pods["categories"], pods["kind"]), (["po"], ["all"], "Pod"))
        self.assertIn("watch", pods["verbs"])
        st, g = self.req("GET", "/apis")
        self.assertIn("apps", [x["name"] for x in g["groups"]])
        st, r = self.req("GET", "/apis/apps/v1")
        self.assertIn("deployments/scale", [x["name"] for x in r["resources"]])
        # the reviews answer a POST only, and discovery says so (create, as Kubernetes lists them)
        served = {x["name"]: x["preferredVersion"]["groupVersion"] for x in g["groups"]}
        self.assertEqual((served["authentication.k8s.io"], served["authorization.k8s.io"]),
                         ("authentication.k8s.io/v1", "authorization.k8s.io/v1"))
        for gv, kinds in (("authentication.k8s.io/v1", {"selfsubjectreviews": ("SelfSubjectReview", False),
                                                        "tokenreviews": ("TokenReview", False)}),
                          ("authorization.k8s.io/v1", {
                              "selfsubjectaccessreviews": ("SelfSubjectAccessReview", False),
                              "selfsubjectrulesreviews": ("SelfSubjectRulesReview", False),
                              "subjectaccessreviews": ("SubjectAccessReview", False),
                              "localsubjectaccessreviews": ("LocalSubjectAccessReview", True)})):
            st, r = self.req("GET", "/apis/" + gv)
            self.assertEqual((st, r["groupVersion"]), (200, gv), r)
            self.assertEqual({x["name"]: (x["kind"], x["namespaced"], x["verbs"]) for x in r["resources"]},
                             {n: (k, ns, ["create"]) for n, (k, ns) in kinds.items()})
            st, grp = self.req("GET", "/apis/" + gv.split("/")[0])
            self.assertEqual((st, grp["kind"], grp["preferredVersion"]["version"]), (200, "APIGroup", "v1"))
        self.assertEqual(self.req("GET", "/apis/authorization.k8s.io/v2")[0], 404)
        st, t = self.req("GET", NS + "/pods", headers={"Accept": "application/json;as=Table;v=v1;g=meta.k8s.io"})
        self.assertEqual(t["kind"], "Table")
        self.assertEqual([c["name"] for c in t["columnDefinitions"]][:5], ["Name", "Ready", "Status", "Restarts", "Age"])
        st, m = self.req("GET", "/metrics")
        self.assertIn(b"apiserver_request_total", m)

    def test_large_objects(self):
        """Bodies over 3 MiB: 413 before the store; objects the store refuses: etcd's words in a 500, as
        kube-apiserver passes them on (a Status without reason), over etcdlite and etcd alike."""
        def configmap(name, size):
            return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name}, "data": {"k": "x" * size}}

        refused = {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
                   "message": "etcdserver: request is too large", "code": 500}
        st, s = self.req("POST", NS + "/configmaps", configmap("big4", 4 << 20), timeout=30)
        self.assertEqual((st, s["reason"], s["message"]),
                         (413, "RequestEntityTooLarge", "Request entity too large: limit is 3145728"))
        # over etcd's gRPC limit (2 MiB: 429, code 8) and just over --max-request-bytes (1.5 MiB: 400, code 3)
        for name, size in (("big2", 2 << 20), ("big19", 1900000)):
            st, s = self.req("POST", NS + "/configmaps", configmap(name, size), timeout=30)
            self.assertEqual((st, s), (500, refused), name)
            self.assertEqual(self.req("GET", NS + "/configmaps/" + name)[0], 404)
        # an update that grows an object past the limit is refused the same way and changes nothing
        made = self.create(NS + "/configmaps", configmap("grows", 1 << 20))
        grown = dict(made, data={"k": "y" * (2 << 20)})
        st, s = self.req("PUT", NS + "/configmaps/grows", grown, timeout=30)
        self.assertEqual((st, s), (500, refused))
        st, got = self.req("GET", NS + "/configmaps/grows")
        self.assertEqual((st, got["metadata"]["resourceVersion"], got["data"]["k"][:1]),
                         (200, made["metadata"]["resourceVersion"], "x"))
        self.assertEqual(self.req("DELETE", NS + "/configmaps/grows")[0], 200)

    def aggregated(self, path, accept, etag=None):
        """GET path with Accept (and If-None-Match): (status, headers, parsed body or None)."""
        h = {"Accept": accept}
        if etag:
            h["If-None-Match"] = etag
        conn = http.client.HTTPConnection("127.0.0.1", self.api.port, timeout=10)
        try:
            conn.request("GET", path, headers=h)
            r = conn.getresponse()
            raw = r.read()
        finally:
            conn.close()
        return r.status, r.headers, json.loads(raw) if raw else None

    def test_aggregated_discovery(self):
        kubectl_accept = ("application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,"
                          "application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json")
        docs = {}
        for path in ("/api", "/apis"):
            st, h, d = self.aggregated(path, kubectl_accept)
            self.assertEqual(st, 200, d)
            self.assertEqual(h["Content-Type"], "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList")
            self.assertEqual((d["kind"], d["apiVersion"]), ("APIGroupDiscoveryList", "apidiscovery.k8s.io/v2"))
            self.assertTrue(h["ETag"].startswith('"') and h["ETag"].endswith('"'), h["ETag"])
            # asked again with the tag: 304 and no body, as kube-apiserver answers
            st, h2, body = self.aggregated(path, kubectl_accept, etag=h["ETag"])
            self.assertEqual((st, body, h2["ETag"]), (304, None, h["ETag"]))
            self.assertEqual(self.aggregated(path, kubectl_accept, etag='"stale"')[0], 200)
            docs[path] = {(g["metadata"].get("name", ""), v["version"]): {r["resource"]: r for r in v["resources"]}
                          for g in d["items"] for v in g["versions"]}
            for g in d["items"]:
                self.assertEqual([v["freshness"] for v in g["versions"]], ["Current"] * len(g["versions"]))
        # /api: the core group alone; /apis: every other group, the same ones the plain list names
        self.assertEqual(list(docs["/api"]), [("", "v1")])
        st, plain = self.req("GET", "/apis")
        self.assertEqual(sorted(docs["/apis"]), sorted((g["name"], "v1") for g in plain["groups"]))
        pods = docs["/api"][("", "v1")]["pods"]
        self.assertEqual((pods["scope"], pods["singularResource"], pods["responseKind"], pods["shortNames"],
                          pods["categories"]),
                         ("Namespaced", "pod", {"group": "", "version": "v1", "kind": "Pod"}, ["po"], ["all"]))
        self.assertIn("watch", pods["verbs"])
        subs = {s["subresource"]: s for s in pods["subresources"]}
        self.assertLessEqual({"status", "log", "binding"}, set(subs))
        self.assertEqual((subs["binding"]["responseKind"]["kind"], subs["binding"]["verbs"]), ("Binding", ["create"]))
        self.assertEqual(subs["log"]["verbs"], ["get"])
        self.assertEqual(docs["/api"][("", "v1")]["nodes"]["scope"], "Cluster")
        self.assertNotIn("pods/status", docs["/api"][("", "v1")])
        deploy = docs["/apis"][("apps", "v1")]["deployments"]
        scale = [s for s in deploy["subresources"] if s["subresource"] == "scale"][0]
        self.assertEqual(scale["responseKind"], {"group": "autoscaling", "version": "v1", "kind": "Scale"})
        self.assertEqual(deploy["responseKind"], {"group": "apps", "version": "v1", "kind": "Deployment"})
        self.assertEqual(docs["/apis"][("rbac.authorization.k8s.io", "v1")]["clusterroles"]["scope"], "Cluster")
        self.assertEqual(docs["/apis"][("authorization.k8s.io", "v1")]["selfsubjectrulesreviews"]["verbs"],
                         ["create"])
        # every plain resource of every group-version is there (one table behind both forms)
        for (g, v), resources in list(docs["/api"].items()) + list(docs["/apis"].items()):
            st, lst = self.req("GET", ("/apis/%s/%s" % (g, v)) if g else "/api/v1")
            self.assertEqual(sorted(resources), sorted(x["name"] for x in lst["resources"] if "/" not in x["name"]))
        # v2beta1 when asked for it first; plain JSON for clients that ask for nothing else
        st, h, d = self.aggregated("/apis", "application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList")
        self.assertEqual((st, d["apiVersion"], h["Content-Type"]),
                         (200, "apidiscovery.k8s.io/v2beta1",
                          "application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList"))
        st, h, d = self.aggregated("/api", "application/json")
        self.assertEqual((st, d["kind"], h["Content-Type"]), (200, "APIVersions", "application/json"))


class ApiserverOnEtcdTest(ApiserverTest):
    STORE = "etcd"


def load_tests(loader, tests, pattern):
    suite = unittest.TestSuite()
    only = os.environ.get("APISERVER_STORE")
    for cls in (ApiserverTest, ApiserverOnEtcdTest):
        if only and only != cls.STORE:
            continue
        suite.addTests(loader.loadTestsFromTestCase(cls))
    return suite


if __name__ == "__main__":
    unittest.main(verbosity=2)
