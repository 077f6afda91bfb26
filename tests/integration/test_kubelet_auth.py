"""The kubelet's API over HTTPS: client certificates, --anonymous-auth=false (401), and
--authorization-mode=Webhook (only system:masters and the apiserver's kubelet client: others 403);
the apiserver's pods/log proxy reaches it with --kubelet-client-certificate.

Certificates from deploy/certs.sh; every wait polls with a deadline; every process is killed at the end.
"""
import http.client
import os
import ssl
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import harness  # noqa: E402
from apiserver_proc import Apiserver  # noqa: E402
from etcd_cluster import Cluster  # noqa: E402

NODE = "n1"


class KubeletAuthTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = harness.tempdir("kubeletauth-")
        cls.pki, cls.foreign = (os.path.join(cls.dir, d) for d in ("pki", "foreign"))
        for d in (cls.pki, cls.foreign):
            subprocess.run([os.path.join(harness.ROOT, "deploy", "certs.sh"), d], check=True, stdout=subprocess.DEVNULL,
                           env=dict(os.environ, ETCD_MEMBERS="e1", NODES=NODE))
        cls.etcd = Cluster(size=1).start_all()
        p = lambda f: os.path.join(cls.pki, f)  # noqa: E731
        cls.api = Apiserver(cls.etcd.client, ["--kubelet-client-certificate", p("apiserver-kubelet-client.crt"),
                                              "--kubelet-client-key", p("apiserver-kubelet-client.key"),
                                              "--kubelet-certificate-authority", p("ca.crt")])
        cls.kport = harness.free_ports(1)[0]
        cls.kubelet = harness.start([
            os.path.join(harness.BIN, "kubelet"), "--master", cls.api.url, "--hostname-override", NODE,
            "--node-ip", "127.0.0.1", "--bind-address", "127.0.0.1", "--port", str(cls.kport),
            "--root-dir", os.path.join(cls.dir, "root"), "--container-runtime", "fake", "--pod-network", "host",
            "--tls-cert-file", p("kubelet-%s-server.crt" % NODE), "--tls-private-key-file", p("kubelet-%s-server.key" % NODE),
            "--client-ca-file", p("ca.crt"), "--anonymous-auth=false", "--authorization-mode=Webhook"],
            os.path.join(cls.dir, "kubelet.log"))
        harness.wait_until(lambda: cls.get("/healthz")[0] == 200, 10.0, "kubelet API up over HTTPS")

    @classmethod
    def tearDownClass(cls):
        harness.kill(cls.kubelet)
        cls.api.stop()
        cls.etcd.stop()

    @classmethod
    def get(cls, path, cert=None, pki=None):
        ctx = ssl.create_default_context(cafile=os.path.join(cls.pki, "ca.crt"))
        if cert:
            d = pki or cls.pki
            ctx.load_cert_chain(os.path.join(d, cert + ".crt"), os.path.join(d, cert + ".key"))
        conn = http.client.HTTPSConnection("127.0.0.1", cls.kport, timeout=10, context=ctx)
        try:
            conn.request("GET", path)
            r = conn.getresponse()
            return r.status, r.read().decode(errors="replace")
        finally:
            conn.close()

    def test_no_certificate_401(self):
        self.assertEqual(self.get("/pods")[0], 401)
        self.assertEqual(self.get("/containerLogs/default/x/c")[0], 401)

    def test_foreign_certificate_refused(self):
        try:
            st = self.get("/pods", cert="admin", pki=self.foreign)[0]
        except (OSError, ssl.SSLError):
            st = 401
        self.assertEqual(st, 401)

    def test_node_certificate_403(self):
        st, body = self.get("/pods", cert="kubelet-" + NODE)
        self.assertEqual(st, 403)
        self.assertEqual(body, "Forbidden (user=system:node:%s, verb=get, resource=nodes, subresource=proxy)" % NODE)

    def test_masters_and_apiserver_client_200(self):
        for cert in ("admin", "apiserver-kubelet-client"):
            st, body = self.get("/pods", cert=cert)
            self.assertEqual(st, 200, (cert, body))
            self.assertIn('"kind":"PodList"', body.replace(" ", ""))

    def test_pods_log_through_the_apiserver(self):
        st, _ = self.api.req("POST", "/api/v1/namespaces/default/pods", {
            "apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"},
            "spec": {"nodeName": NODE, "containers": [{"name": "c", "image": "busybox"}]}})
        self.assertEqual(st, 201)
        harness.wait_until(lambda: self.api.req("GET", "/api/v1/nodes/" + NODE)[0] == 200, 10.0, "node registered")
        # the kubelet answered (the fake runtime keeps no logs: its 404), so TLS and authorization passed
        st, body = self.api.req("GET", "/api/v1/namespaces/default/pods/p/log")
        self.assertEqual(st, 404, body)
        self.assertIn(b"no such pod or container", body if isinstance(body, bytes) else str(body).encode())


if __name__ == "__main__":
    unittest.main(verbosity=2)
