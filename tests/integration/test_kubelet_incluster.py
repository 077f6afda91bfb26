"""In-cluster config from the kubelet's side: a pod's projected ServiceAccount token, CA and namespace,
and the Service environment variables, over a TLS apiserver that signs ServiceAccount tokens.

The kubelet talks to the apiserver's trusted loopback port (the Node authorizer's rules for TokenRequest
are not what is tested here); the token the pod gets is then checked on the HTTPS port. The process runtime
runs the pod's shell on the host filesystem, so the volume is mounted at a temporary path rather than
/var/run/secrets/kubernetes.io/serviceaccount (its files are the same).
"""
import base64
import http.client
import json
import os
import ssl
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import harness  # noqa: E402
from apiserver_proc import tls_args  # noqa: E402
import kubelet_proc  # noqa: E402

NS = "/api/v1/namespaces/default"
NODE = "node-ic"
SA_DIR = "/var/run/secrets/kubernetes.io/serviceaccount"

# what the apiserver's ServiceAccount admission adds to a pod (written here by hand: this tests the kubelet)
KUBE_API_ACCESS = {"name": "kube-api-access-x1y2z", "projected": {"defaultMode": 420, "sources": [
    {"serviceAccountToken": {"expirationSeconds": 3607, "path": "token"}},
    {"configMap": {"name": "kube-root-ca.crt", "items": [{"key": "ca.crt", "path": "ca.crt"}]}},
    {"downwardAPI": {"items": [{"path": "namespace", "fieldRef": {"apiVersion": "v1",
                                                                 "fieldPath": "metadata.namespace"}},
                               {"path": "labels", "fieldRef": {"fieldPath": "metadata.labels"}}]}}]}}


class InClusterTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = harness.tempdir("kubelet-incluster-")
        cls.pki = os.path.join(cls.dir, "pki")
        subprocess.run([os.path.join(harness.ROOT, "deploy", "certs.sh"), cls.pki],
                       env=dict(os.environ, ETCD_MEMBERS="e1", NODES=NODE), check=True, stdout=subprocess.DEVNULL)
        sa_key = os.path.join(cls.dir, "sa.key")
        with open(sa_key, "w") as f:
            f.write(os.urandom(32).hex())
        cls.sport = harness.free_ports(1)[0]
        cls.node = kubelet_proc.OneNode(NODE, cls.dir, tls_args(cls.pki, cls.sport) + [
            "--anonymous-auth=false", "--authorization-mode=Node,RBAC", "--service-account-key-file", sa_key])
        cls.api, cls.root, cls.kport = cls.node.api, cls.node.root, cls.node.kport

    @classmethod
    def tearDownClass(cls):
        cls.node.stop(NS)

    @classmethod
    def kurl(cls, path):
        return "http://127.0.0.1:%d%s" % (cls.kport, path)

    def ensure(self, path, obj):
        st, out = self.api.req("POST", path, obj)
        self.assertIn(st, (201, 409), out)

    def https(self, method, path, body, token):
        ctx = ssl.create_default_context(cafile=os.path.join(self.pki, "ca.crt"))
        conn = http.client.HTTPSConnection("127.0.0.1", self.sport, timeout=10, context=ctx)
        try:
            conn.request(method, path, body=json.dumps(body).encode(),
                         headers={"Authorization": "Bearer " + token, "Content-Type": "application/json"})
            r = conn.getresponse()
            raw = r.read()
        finally:
            conn.close()
        return r.status, json.loads(raw) if raw else None

    def get_pod(self, name):
        st, p = self.api.req("GET", NS + "/pods/" + name)
        return p if st == 200 else None

    def logs(self, name):
        st, out = harness.http("GET", self.kurl("/containerLogs/default/%s/c" % name))
        self.assertEqual(st, 200)
        return out.decode()

    def shell_pod(self, name, script, volumes=None, mounts=None, env=None, links=None):
        c = {"name": "c", "image": "echoserver", "command": ["/bin/sh", "-c", script], "env": env or [],
             "volumeMounts": mounts or []}
        spec = {"nodeName": NODE, "restartPolicy": "Never", "terminationGracePeriodSeconds": 1,
                "containers": [c], "volumes": volumes or []}
        if links is not None:
            spec["enableServiceLinks"] = links
        pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "labels": {"app": "ic"}},
               "spec": spec}
        st, out = self.api.req("POST", NS + "/pods", pod)
        self.assertEqual(st, 201, out)

    def wait_phase(self, name, phase="Succeeded"):
        harness.wait_until(lambda: (self.get_pod(name) or {}).get("status", {}).get("phase") == phase,
                           20.0, "pod %s %s" % (name, phase))

    def test_projected_service_account_volume_and_service_env(self):
        with open(os.path.join(self.pki, "ca.crt")) as f:
            ca = f.read()
        self.ensure(NS + "/serviceaccounts", {"apiVersion": "v1", "kind": "ServiceAccount",
                                              "metadata": {"name": "default"}})
        self.ensure(NS + "/configmaps", {"apiVersion": "v1", "kind": "ConfigMap",
                                         "metadata": {"name": "kube-root-ca.crt"}, "data": {"ca.crt": ca}})
        self.ensure(NS + "/services", {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "kubernetes"},
                                       "spec": {"ports": [{"name": "https", "port": 443, "protocol": "TCP",
                                                           "targetPort": self.sport}]}})
        st, svc = self.api.req("POST", NS + "/services", {
            "apiVersion": "v1", "kind": "Service", "metadata": {"name": "mysvc"},
            "spec": {"selector": {"app": "x"}, "ports": [{"name": "web", "port": 8080}]}})
        self.assertEqual(st, 201, svc)
        ip = svc["spec"]["clusterIP"]
        mount = os.path.join(self.dir, "sa-mount")
        self.shell_pod("ic", "cat %s/token; echo; cat %s/namespace; echo; cat %s/labels; echo; "
                             "head -1 %s/ca.crt; env | sort" % (mount, mount, mount, mount),
                       volumes=[KUBE_API_ACCESS], mounts=[{"name": KUBE_API_ACCESS["name"], "mountPath": mount,
                                                          "readOnly": True}],
                       env=[{"name": "MYSVC_SERVICE_PORT", "value": "explicit-wins"}])
        self.wait_phase("ic")
        out = self.logs("ic").splitlines()
        token, ns, labels = out[0], out[1], out[2]
        self.assertEqual(ns, "default")
        self.assertEqual(labels, 'app="ic"')
        self.assertIn("-----BEGIN CERTIFICATE-----", out)
        env = dict(line.split("=", 1) for line in out if "=" in line and line[:1].isupper())
        self.assertEqual(env.get("MYSVC_SERVICE_HOST"), ip)
        self.assertEqual(env.get("MYSVC_SERVICE_PORT"), "explicit-wins")
        self.assertEqual(env.get("MYSVC_SERVICE_PORT_WEB"), "8080")
        self.assertEqual(env.get("MYSVC_PORT_8080_TCP"), "tcp://%s:8080" % ip)
        self.assertTrue(env.get("KUBERNETES_SERVICE_HOST"), env)
        self.assertEqual(env.get("KUBERNETES_SERVICE_PORT"), "443")
        self.assertEqual(env.get("KUBERNETES_SERVICE_PORT_HTTPS"), "443")
        # the files on the node: in the pod's volume, the token mode 0644 (defaultMode 420)
        uid = self.get_pod("ic")["metadata"]["uid"]
        vdir = os.path.join(self.root, "pods", uid, "volumes", KUBE_API_ACCESS["name"])
        # Kubernetes' layout (test_kubelet_volumes.py): each name a link into ..data, the current files' folder
        self.assertEqual(sorted(n for n in os.listdir(vdir) if not n.startswith("..")),
                         ["ca.crt", "labels", "namespace", "token"])
        self.assertEqual(os.readlink(os.path.join(vdir, "token")), "..data/token")
        self.assertEqual(os.stat(os.path.join(vdir, "token")).st_mode & 0o777, 0o644)
        # the token is the pod's ServiceAccount's, bound to the pod, and the apiserver takes it
        claims = json.loads(base64.urlsafe_b64decode(token.split(".")[1] + "=="))
        self.assertEqual(claims.get("sub"), "system:serviceaccount:default:default", claims)
        st, review = self.https("POST", "/apis/authentication.k8s.io/v1/selfsubjectreviews",
                                {"apiVersion": "authentication.k8s.io/v1", "kind": "SelfSubjectReview"}, token)
        self.assertIn(st, (200, 201), review)
        self.assertEqual(review["status"]["userInfo"]["username"], "system:serviceaccount:default:default")

    def test_service_links_off_keeps_only_the_master_service(self):
        self.ensure(NS + "/services", {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "kubernetes"},
                                       "spec": {"ports": [{"name": "https", "port": 443, "protocol": "TCP"}]}})
        self.ensure(NS + "/services", {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "other-svc"},
                                       "spec": {"ports": [{"port": 80}]}})
        self.shell_pod("nolinks", "env | sort", links=False)
        self.wait_phase("nolinks")
        out = self.logs("nolinks")
        self.assertIn("KUBERNETES_SERVICE_HOST=", out)
        self.assertNotIn("OTHER_SVC_SERVICE_HOST", out)

    def test_missing_required_configmap_keeps_the_pod_waiting(self):
        vol = {"name": "p", "projected": {"sources": [
            {"configMap": {"name": "absent-optional", "optional": True}},
            {"configMap": {"name": "absent-required"}}]}}
        self.shell_pod("waits", "true", volumes=[vol], mounts=[{"name": "p", "mountPath": self.dir + "/w"}])

        def waiting():
            cs = (self.get_pod("waits") or {}).get("status", {}).get("containerStatuses") or [{}]
            return cs[0].get("state", {}).get("waiting", {})
        harness.wait_until(lambda: waiting().get("reason") == "CreateContainerConfigError", 10.0, "waiting")
        self.assertEqual(waiting().get("message"), 'configmap "absent-required" not found')
        self.ensure(NS + "/configmaps", {"apiVersion": "v1", "kind": "ConfigMap",
                                         "metadata": {"name": "absent-required"}, "data": {"k": "v"}})
        self.wait_phase("waits")


if __name__ == "__main__":
    unittest.main(verbosity=2)
