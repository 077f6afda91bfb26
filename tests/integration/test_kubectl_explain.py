"""Real kubectl explain (v1.32, as installed) against the apiserver's /openapi/v3, and validation still left to the server."""
import os
import re
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

CONFIGMAP = """apiVersion: v1
kind: ConfigMap
metadata:
  name: %(name)s
data:
  color: blue
%(extra)s"""


def fields(text):
    """{field: type} of the FIELDS section of explain's output (two-space indented lines only)."""
    return dict(re.findall(r"^  (\w+)\t<([^>]+)>", text, re.M))


@unittest.skipUnless(KUBECTL, "kubectl is not installed")
class ExplainTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.etcd = Cluster(size=1).start_all()
        cls.api = Apiserver(cls.etcd.client)
        cls.dir = harness.tempdir("explain-")
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

    def test_explain_kind(self):
        out = self.kubectl("explain", "pods").stdout
        self.assertRegex(out, r"KIND:\s+Pod\n")
        self.assertRegex(out, r"VERSION:\s+v1\n")
        self.assertEqual(fields(out), {"apiVersion": "string", "kind": "string", "metadata": "ObjectMeta",
                                       "spec": "PodSpec", "status": "PodStatus"})
        self.assertIn("DESCRIPTION:", out)

    def test_explain_field_with_required_and_enums(self):
        out = self.kubectl("explain", "pod.spec.containers").stdout
        self.assertIn("FIELD: containers <[]Container>", out)
        f = fields(out)
        self.assertEqual((f["name"], f["image"], f["ports"], f["env"], f["resources"], f["livenessProbe"]),
                         ("string", "string", "[]ContainerPort", "[]EnvVar", "ResourceRequirements", "Probe"))
        self.assertRegex(out, r"name\t<string> -required-")
        self.assertNotRegex(out, r"image\t<string> -required-")
        self.assertRegex(out, r"imagePullPolicy\t<string>\n\s+enum: Always, IfNotPresent, Never")
        out = self.kubectl("explain", "pod.spec.containers.resources").stdout
        self.assertEqual(fields(out)["limits"], "map[string]Quantity")
        out = self.kubectl("explain", "pod.metadata").stdout
        self.assertEqual((fields(out)["labels"], fields(out)["creationTimestamp"]), ("map[string]string", "string"))

    def test_explain_recursive_in_a_group(self):
        out = self.kubectl("explain", "deployment.spec.strategy", "--recursive").stdout
        self.assertRegex(out, r"GROUP:\s+apps\n")
        self.assertIn("FIELD: strategy <DeploymentStrategy>", out)
        # the nested fields, indented under rollingUpdate
        self.assertRegex(out, r"  rollingUpdate\t<RollingUpdateDeployment>\n    maxSurge\t<IntOrString>\n"
                              r"    maxUnavailable\t<IntOrString>\n  type\t<string>")
        out = self.kubectl("explain", "deploy.spec").stdout
        self.assertRegex(out, r"selector\t<LabelSelector> -required-")
        self.assertRegex(out, r"template\t<PodTemplateSpec> -required-")
        self.assertEqual(fields(out)["replicas"], "integer")

    def test_explain_short_names_and_other_groups(self):
        out = self.kubectl("explain", "svc.spec.ports").stdout
        f = fields(out)
        self.assertEqual((f["port"], f["targetPort"], f["nodePort"], f["protocol"]),
                         ("integer", "IntOrString", "integer", "string"))
        self.assertRegex(out, r"port\t<integer> -required-")
        self.assertEqual(fields(self.kubectl("explain", "cm").stdout)["data"], "map[string]string")
        self.assertEqual(fields(self.kubectl("explain", "lease.spec").stdout)["renewTime"], "string")
        out = self.kubectl("explain", "clusterrolebinding.roleRef").stdout
        self.assertRegex(out, r"GROUP:\s+rbac.authorization.k8s.io\n")
        self.assertEqual(fields(out)["kind"], "string")
        out = self.kubectl("explain", "endpointslices.endpoints.conditions").stdout
        self.assertEqual(fields(out)["ready"], "boolean")
        p = self.kubectl("explain", "pod.spec.nosuchfield", ok=False)
        self.assertNotEqual(p.returncode, 0)
        self.assertIn("nosuchfield", p.stderr)

    def test_documents_are_hashed_and_redirected(self):
        st, index = self.api.req("GET", "/openapi/v3")
        self.assertEqual(st, 200)
        url = index["paths"]["apis/apps/v1"]["serverRelativeURL"]
        self.assertRegex(url, r"^/openapi/v3/apis/apps/v1\?hash=\w+$")
        st, doc = self.api.req("GET", url)
        self.assertEqual(st, 200)
        self.assertIn("io.k8s.api.apps.v1.Deployment", doc["components"]["schemas"])
        # another hash: sent to the current one, as kube-apiserver does
        st, _ = self.api.req("GET", "/openapi/v3/apis/apps/v1?hash=0")
        self.assertEqual(st, 301)
        self.assertEqual(self.api.req("GET", "/openapi/v3/apis/batch/v1")[0], 404)

    def test_validation_is_still_the_servers(self):
        path = os.path.join(self.dir, "cm.yaml")
        with open(path, "w") as f:
            f.write(CONFIGMAP % {"name": "bad", "extra": "colour: red\n"})
        p = self.kubectl("apply", "-f", path, ok=False)
        self.assertNotEqual(p.returncode, 0)
        self.assertIn('Error from server (BadRequest): error when creating "%s": strict decoding error: '
                      'unknown field "colour"' % path, p.stderr)
        p = self.kubectl("create", "-f", path, "-v=6", ok=False)
        self.assertRegex(p.stderr, r"POST \S+/configmaps\?fieldManager=kubectl-create&fieldValidation=Strict 400")
        self.assertIn("created", self.kubectl("apply", "-f", path, "--validate=false").stdout)
        with open(path, "w") as f:
            f.write(CONFIGMAP % {"name": "good", "extra": ""})
        self.assertEqual(self.kubectl("apply", "-f", path).stdout.strip(), "configmap/good created")
        self.assertEqual(self.kubectl("apply", "-f", path).stdout.strip(), "configmap/good unchanged")


if __name__ == "__main__":
    unittest.main()
