"""Server-side apply with real kubectl (v1.32): managedFields, conflicts, --force-conflicts, pruning of removed fields."""
import json
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

KUBECTL = shutil.which("kubectl")
MINICTL = os.path.join(harness.BIN, "minictl")
PATH = "/apis/apps/v1/namespaces/default/deployments/"

DEPLOY = """apiVersion: apps/v1
kind: Deployment
metadata:
  name: %(name)s
  labels: {app: %(name)s%(extra_label)s}
spec:
%(replicas)s  selector:
    matchLabels: {app: %(name)s}
  template:
    metadata:
      labels: {app: %(name)s}
    spec:
      containers:
      - name: web
        image: nginx:1
        ports:
        - containerPort: 80
%(env)s"""

ENV = """        env:
        - name: MODE
          value: fast
"""


def manifest(name, replicas=2, env=True, extra_label=True):
    return DEPLOY % {"name": name, "replicas": "  replicas: %d\n" % replicas if replicas is not None else "", "env": ENV if env else "",
                     "extra_label": ", tier: front" if extra_label else ""}


@unittest.skipUnless(KUBECTL, "kubectl is not installed")
class ServerSideApplyTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.etcd = Cluster(size=1).start_all()
        try:
            cls.api = Apiserver(cls.etcd.client)
        except Exception:
            cls.etcd.stop()
            raise
        cls.dir = harness.tempdir("ssa-")
        cls.cache = tempfile.mkdtemp(dir=cls.dir)

    @classmethod
    def tearDownClass(cls):
        cls.api.stop()
        cls.etcd.stop()

    def kubectl(self, *args, ok=True):
        argv = [KUBECTL, "--server", self.api.url, "--cache-dir", self.cache] + list(args)
        p = subprocess.run(argv, capture_output=True, text=True, timeout=60)
        if ok:
            self.assertEqual(p.returncode, 0, "%s\nstdout: %s\nstderr: %s" % (argv, p.stdout, p.stderr))
        return p

    def minictl(self, *args):
        p = subprocess.run([MINICTL, "--server", self.api.url] + list(args), capture_output=True, text=True,
                           timeout=60)
        self.assertEqual(p.returncode, 0, "minictl %s: %s%s" % (" ".join(args), p.stdout, p.stderr))
        return p

    def write(self, name, text):
        path = os.path.join(self.dir, name)
        with open(path, "w") as f:
            f.write(text)
        return path

    def get(self, name):
        st, d = self.api.req("GET", PATH + name)
        self.assertEqual(st, 200)
        return d

    def entries(self, d):
        return {(e["manager"], e["operation"]): e for e in d["metadata"].get("managedFields", [])}

    def test_1_apply_conflict_force_prune(self):
        path = self.write("web.yaml", manifest("web"))
        p = self.kubectl("apply", "--server-side", "-f", path)
        self.assertEqual(p.stdout.strip(), "deployment.apps/web serverside-applied")
        d = self.get("web")
        mine = self.entries(d)[("kubectl", "Apply")]
        self.assertEqual((mine["apiVersion"], mine["fieldsType"]), ("apps/v1", "FieldsV1"))
        self.assertRegex(mine["time"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
        f = mine["fieldsV1"]
        self.assertEqual(f["f:spec"]["f:replicas"], {})
        self.assertEqual(f["f:spec"]["f:selector"], {})
        self.assertEqual(f["f:metadata"]["f:labels"], {"f:app": {}, "f:tier": {}})
        web = f["f:spec"]["f:template"]["f:spec"]["f:containers"]['k:{"name":"web"}']
        self.assertEqual(web["."], {})
        self.assertEqual(web["f:image"], {})
        self.assertIn('k:{"containerPort":80,"protocol":"TCP"}', web["f:ports"])
        self.assertIn('k:{"name":"MODE"}', web["f:env"])
        # defaults the server added belong to nobody
        self.assertNotIn("f:protocol", web["f:ports"]['k:{"containerPort":80,"protocol":"TCP"}'])

        # the same manifest again changes nothing
        rv = d["metadata"]["resourceVersion"]
        self.kubectl("apply", "--server-side", "-f", path)
        self.assertEqual(self.get("web")["metadata"]["resourceVersion"], rv)

        # another manager changing replicas conflicts with kubectl's ownership
        other = self.write("other.yaml", "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n"
                                         "spec:\n  replicas: 5\n")
        p = self.kubectl("apply", "--server-side", "--field-manager=other", "-f", other, ok=False)
        self.assertEqual(p.returncode, 1, p.stderr)
        self.assertIn('Apply failed with 1 conflict: conflict with "kubectl": .spec.replicas', p.stderr)
        self.assertEqual(self.get("web")["spec"]["replicas"], 2)
        # the Status as Kubernetes shapes it
        st, s = self.api.req("PATCH", PATH + "web?fieldManager=other",
                             {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"},
                              "spec": {"replicas": 5}},
                             ctype="application/apply-patch+yaml")
        self.assertEqual((st, s["reason"]), (409, "Conflict"))
        self.assertEqual(s["details"]["causes"], [{"type": "FieldManagerConflict",
                                                   "message": 'conflict with "kubectl"',
                                                   "field": ".spec.replicas"}])

        # --force-conflicts takes it over
        self.kubectl("apply", "--server-side", "--field-manager=other", "--force-conflicts", "-f", other)
        d = self.get("web")
        self.assertEqual(d["spec"]["replicas"], 5)
        e = self.entries(d)
        self.assertEqual(e[("other", "Apply")]["fieldsV1"], {"f:spec": {"f:replicas": {}}})
        self.assertNotIn("f:replicas", e[("kubectl", "Apply")]["fieldsV1"]["f:spec"])

        # fields dropped from kubectl's manifest go from the object; replicas, now other's, stays
        self.write("web.yaml", manifest("web", replicas=None, env=False, extra_label=False))
        self.kubectl("apply", "--server-side", "-f", path)
        d = self.get("web")
        self.assertEqual(d["metadata"]["labels"], {"app": "web"})
        self.assertNotIn("env", d["spec"]["template"]["spec"]["containers"][0])
        self.assertEqual(d["spec"]["replicas"], 5)

        # shown with --show-managed-fields, hidden without
        p = self.kubectl("get", "deployment", "web", "-o", "yaml", "--show-managed-fields")
        self.assertIn("managedFields:", p.stdout)
        self.assertIn("manager: other", p.stdout)
        self.assertIn("operation: Apply", p.stdout)
        p = self.kubectl("get", "deployment", "web", "-o", "yaml")
        self.assertNotIn("managedFields", p.stdout)
        # minictl prints as kubectl does
        for out in ("yaml", "json"):
            p = self.minictl("get", "deployment", "web", "-o", out)
            self.assertNotIn("managedFields", p.stdout)
            self.assertIn("nginx:1", p.stdout)
            p = self.minictl("get", "deployment", "web", "-o", out, "--show-managed-fields")
            self.assertIn("managedFields", p.stdout)
            self.assertIn("f:replicas", p.stdout)

    def test_2_updates_record_their_manager(self):
        path = self.write("cs.yaml", manifest("cs"))
        self.kubectl("apply", "-f", path)
        e = self.entries(self.get("cs"))
        self.assertIn(("kubectl-client-side-apply", "Update"), e)
        f = e[("kubectl-client-side-apply", "Update")]["fieldsV1"]
        self.assertIn("f:kubectl.kubernetes.io/last-applied-configuration", f["f:metadata"]["f:annotations"])
        self.assertEqual(f["f:spec"]["f:replicas"], {})
        # a server-side apply of another replicas value conflicts with the client-side applier
        p = self.kubectl("apply", "--server-side", "-f", self.write("cs2.yaml", manifest("cs", replicas=4)),
                         ok=False)
        self.assertEqual(p.returncode, 1)
        self.assertIn('conflict with "kubectl-client-side-apply" using apps/v1', p.stderr)
        self.assertIn(".spec.replicas", p.stderr)
        # kubectl scale records its own Update through the scale subresource
        self.kubectl("scale", "deployment", "cs", "--replicas=3")
        e = self.entries(self.get("cs"))
        scale = [v for (m, op), v in e.items() if v.get("subresource") == "scale"]
        self.assertEqual(len(scale), 1)
        self.assertEqual(scale[0]["fieldsV1"], {"f:spec": {"f:replicas": {}}})
        self.assertNotIn("f:replicas", e[("kubectl-client-side-apply", "Update")]["fieldsV1"]["f:spec"])
        # a status write records with subresource status
        d = self.get("cs")
        d["status"] = {"replicas": 3}
        st, _ = self.api.req("PUT", PATH + "cs/status?fieldManager=ctl", d)
        self.assertEqual(st, 200)
        e = self.entries(self.get("cs"))
        self.assertEqual(e[("ctl", "Update")]["subresource"], "status")
        self.assertEqual(e[("ctl", "Update")]["fieldsV1"], {"f:status": {"f:replicas": {}}})

    def test_3_apply_needs_a_field_manager(self):
        st, s = self.api.req("PATCH", PATH + "nobody", {"apiVersion": "apps/v1", "kind": "Deployment",
                                                         "metadata": {"name": "nobody"}},
                             ctype="application/apply-patch+yaml")
        self.assertEqual((st, s["reason"]), (422, "Invalid"))
        self.assertIn("fieldManager: Required value", s["message"])
        # a YAML body is read as YAML
        body = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: from-yaml\ndata:\n  k: v\n"
        st, cm = self.api.req("PATCH", "/api/v1/namespaces/default/configmaps/from-yaml?fieldManager=me", body.encode(),
                              ctype="application/apply-patch+yaml")
        self.assertEqual(st, 201, cm)
        self.assertEqual(cm["data"], {"k": "v"})
        self.assertEqual(cm["metadata"]["managedFields"][0]["fieldsV1"], {"f:data": {"f:k": {}}})


if __name__ == "__main__":
    unittest.main()
