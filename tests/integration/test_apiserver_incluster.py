"""What pods need to reach the API from inside: the kubernetes Service and its endpoints (one per live
apiserver, from their leases), the ServiceAccount credentials volume on pods, kube-root-ca.crt in every namespace."""
import os
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import harness  # noqa: E402
from apiserver_proc import Apiserver  # noqa: E402
from etcd_cluster import Cluster  # noqa: E402

NS = "/api/v1/namespaces/default"
MOUNT = "/var/run/secrets/kubernetes.io/serviceaccount"


def pod(name, **spec):
    s = {"containers": [{"name": "c", "image": "nginx:1"}], "initContainers": [{"name": "i", "image": "busybox:1"}]}
    s.update(spec)
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name}, "spec": s}


class InClusterTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.etcd = Cluster(size=1, kind="etcdlite").start_all()
        key = os.path.join(harness.tempdir("incluster-"), "sa.key")
        with open(key, "w") as f:
            f.write("k" * 48)
        cls.api = Apiserver(cls.etcd.client, ["--service-account-key-file", key])
        # api2 signs no tokens: it gives pods no credentials volume (nothing could fill it)
        cls.api2 = Apiserver(cls.etcd.client, ["--advertise-address", "10.1.2.3"])

    @classmethod
    def tearDownClass(cls):
        cls.api2.stop()
        cls.api.stop()
        cls.etcd.stop()

    def req(self, *a, **kw):
        return self.api.req(*a, **kw)

    def endpoints(self):
        st, ep = self.req("GET", NS + "/endpoints/kubernetes")
        if st != 200:
            return None
        return sorted((a["ip"], s["ports"][0]["port"]) for s in ep.get("subsets") or [] for a in s["addresses"])

    def test_kubernetes_service_and_endpoints_list_every_apiserver(self):
        st, svc = self.req("GET", NS + "/services/kubernetes")
        self.assertEqual(st, 200, svc)
        self.assertEqual(svc["spec"]["clusterIP"], "10.96.0.1")
        self.assertEqual([(p["name"], p["port"]) for p in svc["spec"]["ports"]], [("https", 443)])
        self.assertNotIn("selector", svc["spec"])
        want = sorted([("127.0.0.1", self.api.port), ("10.1.2.3", self.api2.port)])
        harness.wait_until(lambda: self.endpoints() == want, 15, "kubernetes endpoints %s" % want)
        st, ep = self.req("GET", NS + "/endpoints/kubernetes")
        self.assertEqual({p["name"] for s in ep["subsets"] for p in s["ports"]}, {"https"})
        st, sl = self.req("GET", "/apis/discovery.k8s.io/v1/namespaces/default/endpointslices/kubernetes")
        self.assertEqual(st, 200, sl)
        self.assertEqual(sl["metadata"]["labels"]["kubernetes.io/service-name"], "kubernetes")
        self.assertTrue(sl["endpoints"])
        st, leases = self.req("GET", "/apis/coordination.k8s.io/v1/namespaces/kube-system/leases"
                              "?labelSelector=apiserver.kubernetes.io%2Fidentity%3Dkube-apiserver")
        self.assertEqual(st, 200, leases)
        self.assertEqual(len(leases["items"]), 2)
        self.assertTrue(all(l["metadata"]["name"].startswith("apiserver-") for l in leases["items"]))

    def test_pod_gets_the_credentials_volume(self):
        st, p = self.req("POST", NS + "/pods", pod("creds"))
        self.assertEqual(st, 201, p)
        self.assertEqual(p["spec"]["serviceAccountName"], "default")
        vols = [v for v in p["spec"]["volumes"] if v["name"].startswith("kube-api-access-")]
        self.assertEqual(len(vols), 1)
        self.assertRegex(vols[0]["name"], r"^kube-api-access-[a-z0-9]{5}$")
        proj = vols[0]["projected"]
        self.assertEqual(proj["defaultMode"], 420)
        self.assertEqual(proj["sources"][0], {"serviceAccountToken": {"expirationSeconds": 3607, "path": "token"}})
        self.assertEqual(proj["sources"][1]["configMap"]["name"], "kube-root-ca.crt")
        self.assertEqual(proj["sources"][2]["downwardAPI"]["items"][0]["fieldRef"]["fieldPath"], "metadata.namespace")
        for c in p["spec"]["containers"] + p["spec"]["initContainers"]:
            self.assertIn({"name": vols[0]["name"], "readOnly": True, "mountPath": MOUNT}, c["volumeMounts"])
        # a PUT of what was read keeps it (the spec is immutable, the volume is part of it)
        st, got = self.req("GET", NS + "/pods/creds")
        st, upd = self.req("PUT", NS + "/pods/creds", got)
        self.assertEqual(st, 200, upd)

    def test_no_volume_without_a_token_signing_key(self):
        st, p = self.api2.req("POST", NS + "/pods", pod("keyless"))
        self.assertEqual(st, 201, p)
        self.assertEqual(p["spec"]["serviceAccountName"], "default")
        self.assertFalse(p["spec"].get("volumes"))

    def test_automount_false_on_pod_or_account(self):
        st, p = self.req("POST", NS + "/pods", pod("nocreds", automountServiceAccountToken=False))
        self.assertEqual(st, 201, p)
        self.assertFalse(p["spec"].get("volumes"))
        self.assertFalse(p["spec"]["containers"][0].get("volumeMounts"))
        st, sa = self.req("POST", NS + "/serviceaccounts", {"apiVersion": "v1", "kind": "ServiceAccount",
                                                            "metadata": {"name": "quiet"},
                                                            "automountServiceAccountToken": False})
        self.assertEqual(st, 201, sa)
        st, p = self.req("POST", NS + "/pods", pod("quiet-pod", serviceAccountName="quiet"))
        self.assertEqual(st, 201, p)
        self.assertFalse(p["spec"].get("volumes"))

    def test_root_ca_configmap_in_a_new_namespace(self):
        st, _ = self.req("POST", "/api/v1/namespaces", {"apiVersion": "v1", "kind": "Namespace",
                                                        "metadata": {"name": "fresh"}})
        self.assertEqual(st, 201)
        harness.wait_until(lambda: self.req("GET", "/api/v1/namespaces/fresh/configmaps/kube-root-ca.crt")[0] == 200,
                           10, "kube-root-ca.crt in fresh")
        st, cm = self.req("GET", "/api/v1/namespaces/fresh/configmaps/kube-root-ca.crt")
        self.assertIn("ca.crt", cm["data"])  # empty: this apiserver has no CA (no TLS)

    def test_zz_stopped_apiserver_leaves_the_endpoints(self):
        # runs last (name order): the second apiserver's lease expires once it stops renewing
        harness.wait_until(lambda: ("10.1.2.3", self.api2.port) in (self.endpoints() or []), 15, "both listed")
        self.api2.stop()
        harness.wait_until(lambda: self.endpoints() == [("127.0.0.1", self.api.port)], 30,
                           "the stopped apiserver gone from the endpoints")


if __name__ == "__main__":
    unittest.main(verbosity=2)
