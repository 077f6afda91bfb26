"""The secured control plane of TLS clusters: an apiserver reaching etcdlite's client port over
https with a client certificate (--etcd-cafile/--etcd-certfile/--etcd-keyfile), etcdlite's plain
--listen-metrics-urls for probes, and the components' default roles under Node,RBAC.

Certificates come from deploy/certs.sh. Every wait polls with a deadline; every process is killed.
"""
import json
import os
import ssl
import subprocess
import sys
import unittest
import urllib.error
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import harness  # noqa: E402


def https(method, url, pki, who, body=None):
    """One request presenting pki/who.{crt,key}; returns (status, body bytes)."""
    ctx = ssl.create_default_context(cafile=os.path.join(pki, "ca.crt"))
    ctx.load_cert_chain(os.path.join(pki, who + ".crt"), os.path.join(pki, who + ".key"))
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, method=method, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=5, context=ctx) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


class SecuredStoreTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = harness.tempdir("secured-store-")
        cls.pki = os.path.join(cls.dir, "pki")
        subprocess.run([os.path.join(harness.ROOT, "deploy", "certs.sh"), cls.pki], check=True,
                       env=dict(os.environ, ETCD_MEMBERS="m1", NODES="n1"), stdout=subprocess.DEVNULL)
        client, peer, metrics, plain, secure = harness.free_ports(5)
        cls.etcd = "https://127.0.0.1:%d" % client
        cls.metrics = "http://127.0.0.1:%d" % metrics
        p = lambda name: os.path.join(cls.pki, name)  # noqa: E731
        cls.etcd_proc = harness.start(
            [os.path.join(harness.BIN, "etcdlite"), "--name", "m1", "--data-dir", os.path.join(cls.dir, "m1"),
             "--listen-client-urls", cls.etcd, "--advertise-client-urls", cls.etcd,
             "--listen-peer-urls", "http://127.0.0.1:%d" % peer,
             "--initial-advertise-peer-urls", "http://127.0.0.1:%d" % peer,
             "--initial-cluster", "m1=http://127.0.0.1:%d" % peer,
             "--cert-file", p("etcd-m1-server.crt"), "--key-file", p("etcd-m1-server.key"),
             "--trusted-ca-file", p("ca.crt"), "--client-cert-auth", "--listen-metrics-urls", cls.metrics],
            os.path.join(cls.dir, "etcd.log"))
        cls.plain = "http://127.0.0.1:%d" % plain
        cls.secure = "https://127.0.0.1:%d" % secure
        cls.api = harness.start(
            [os.path.join(harness.BIN, "apiserver"), "--etcd-servers", cls.etcd,
             "--etcd-cafile", p("ca.crt"), "--etcd-certfile", p("apiserver-etcd-client.crt"),
             "--etcd-keyfile", p("apiserver-etcd-client.key"), "--insecure-port", str(plain),
             "--secure-port", str(secure), "--tls-cert-file", p("apiserver.crt"),
             "--tls-private-key-file", p("apiserver.key"), "--client-ca-file", p("ca.crt"),
             "--anonymous-auth=false", "--authorization-mode=Node,RBAC"],
            os.path.join(cls.dir, "apiserver.log"))
        harness.wait_until(lambda: harness.http("GET", cls.plain + "/readyz")[0] == 200, 20,
                           "the apiserver ready over its https store")

    @classmethod
    def tearDownClass(cls):
        for proc in (cls.api, cls.etcd_proc):
            harness.stop(proc)

    def test_store_over_https_with_a_client_certificate(self):
        cm = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "over-tls"}, "data": {"a": "b"}}
        st, _ = harness.http("POST", self.plain + "/api/v1/namespaces/default/configmaps", cm)
        self.assertEqual(201, st)
        st, body = harness.http("GET", self.plain + "/api/v1/namespaces/default/configmaps/over-tls")
        self.assertEqual((200, "b"), (st, json.loads(body)["data"]["a"]))
        # the client port wants a certificate; the metrics URL serves probes without one
        with self.assertRaises(OSError):
            urllib.request.urlopen(self.etcd + "/health", timeout=2,
                                   context=ssl.create_default_context(cafile=os.path.join(self.pki, "ca.crt")))
        st, body = harness.http("GET", self.metrics + "/health")
        self.assertEqual((200, "true"), (st, json.loads(body)["health"]))
        st, body = harness.http("GET", self.metrics + "/metrics")
        self.assertEqual(200, st)
        self.assertIn(b"etcd_server_has_leader", body)
        st, _ = harness.http("POST", self.metrics + "/v3/kv/range", {"key": "YQ=="})
        self.assertEqual(404, st)

    def test_apiserver_without_the_etcd_certificate_is_not_ready(self):
        plain, = harness.free_ports(1)
        proc = harness.start(
            [os.path.join(harness.BIN, "apiserver"), "--etcd-servers", self.etcd,
             "--etcd-cafile", os.path.join(self.pki, "ca.crt"), "--insecure-port", str(plain)],
            os.path.join(self.dir, "apiserver-nocert.log"))
        try:
            harness.wait_until(lambda: self.status_or_none("http://127.0.0.1:%d/livez" % plain) == 200, 10,
                               "the second apiserver alive")
            self.assertNotEqual(200, self.status_or_none("http://127.0.0.1:%d/readyz" % plain))
        finally:
            harness.stop(proc)

    def test_bad_etcd_flags_are_refused(self):
        r = subprocess.run([os.path.join(harness.BIN, "apiserver"), "--etcd-servers", self.etcd,
                            "--etcd-certfile", os.path.join(self.pki, "apiserver-etcd-client.crt"),
                            "--insecure-port", str(harness.free_ports(1)[0])], capture_output=True, text=True,
                           timeout=10)
        self.assertNotEqual(0, r.returncode)
        self.assertIn("--etcd-certfile and --etcd-keyfile go together", r.stderr + r.stdout)

    @staticmethod
    def status_or_none(url):
        try:
            return harness.http("GET", url, timeout=2)[0]
        except OSError:
            return None

    def test_components_default_roles(self):
        """Kubernetes' bootstrap roles: each component can do its work and nothing beyond it."""
        cases = [
            ("scheduler", "GET", "/api/v1/nodes", 200),
            ("scheduler", "GET", "/api/v1/pods", 200),
            ("scheduler", "GET", "/api/v1/secrets", 403),
            ("scheduler", "POST", "/api/v1/namespaces/default/configmaps", 403),
            ("controller", "GET", "/apis/apps/v1/replicasets", 200),
            ("controller", "GET", "/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases", 200),
            ("controller", "POST", "/api/v1/namespaces/default/pods", "not 403"),
            ("controller", "POST", "/api/v1/namespaces/default/configmaps", 403),
            ("kubeproxy", "GET", "/api/v1/services", 200),
            ("kubeproxy", "GET", "/apis/discovery.k8s.io/v1/endpointslices", 200),
            ("kubeproxy", "GET", "/api/v1/pods", 403),
            ("kubelet-n1", "GET", "/api/v1/nodes", 200),
            ("kubelet-n1", "GET", "/api/v1/secrets", 403),
        ]
        pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"},
               "spec": {"containers": [{"name": "c", "image": "echoserver"}]}}
        cm = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "x"}}

        def all_as_expected():
            got = []
            for who, method, path, want in cases:
                body = None if method == "GET" else (pod if path.endswith("/pods") else cm)
                st, _ = https(method, self.secure + path, self.pki, who, body)
                if (st == 403) != (want == 403) or (isinstance(want, int) and want != 403 and st != want):
                    got.append("%s %s %s: %d, want %s" % (who, method, path, st, want))
            return not got or got
        # the roles are written at start and followed through a watch: poll until they apply
        bad = []

        def settled():
            nonlocal bad
            r = all_as_expected()
            bad = r if r is not True else []
            return r is True
        try:
            harness.wait_until(settled, 10, "the components' default roles in effect")
        except AssertionError:
            self.fail("\n".join(bad))


if __name__ == "__main__":
    unittest.main()
