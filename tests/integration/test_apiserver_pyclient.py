"""The official Python client (Debian's python3-kubernetes) against the apiserver over etcdlite."""
import os
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import harness  # noqa: E402
from apiserver_proc import Apiserver  # noqa: E402
from etcd_cluster import Cluster  # noqa: E402

try:
    sys.path.append("/usr/lib/python3/dist-packages")
    from kubernetes import client, watch  # noqa: E402
    from kubernetes.client.rest import ApiException  # noqa: E402
except ImportError:  # pragma: no cover
    client = None


@unittest.skipUnless(client, "python3-kubernetes is not installed")
class PyClientTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.etcd = Cluster(size=1).start_all()
        cls.api = Apiserver(cls.etcd.client)
        conf = client.Configuration()
        conf.host = cls.api.url
        cls.core = client.CoreV1Api(client.ApiClient(conf))
        cls.apps = client.AppsV1Api(client.ApiClient(conf))

    @classmethod
    def tearDownClass(cls):
        cls.api.stop()
        cls.etcd.stop()

    def pod(self, name, labels):
        return client.V1Pod(metadata=client.V1ObjectMeta(name=name, labels=labels),
                            spec=client.V1PodSpec(containers=[client.V1Container(name="c", image="nginx:1")]))

    def test_pods(self):
        p = self.core.create_namespaced_pod("default", self.pod("py-1", {"app": "py"}))
        self.assertEqual(p.status.phase, "Pending")
        got = self.core.read_namespaced_pod("py-1", "default")
        self.assertEqual(got.metadata.uid, p.metadata.uid)
        got.metadata.labels["v"] = "2"
        upd = self.core.replace_namespaced_pod("py-1", "default", got)
        self.assertEqual(upd.metadata.labels["v"], "2")
        with self.assertRaises(ApiException) as e:
            self.core.replace_namespaced_pod("py-1", "default", got)  # got's resourceVersion is now stale
        self.assertEqual(e.exception.status, 409)
        self.core.patch_namespaced_pod("py-1", "default", {"metadata": {"labels": {"patched": "yes"}}})
        self.core.create_namespaced_pod("default", self.pod("py-2", {"app": "other"}))
        lst = self.core.list_namespaced_pod("default", label_selector="app=py")
        self.assertEqual([i.metadata.name for i in lst.items], ["py-1"])
        self.assertEqual(lst.items[0].metadata.labels["patched"], "yes")
        lst = self.core.list_namespaced_pod("default", field_selector="metadata.name=py-2")
        self.assertEqual([i.metadata.name for i in lst.items], ["py-2"])
        body = client.V1Binding(metadata=client.V1ObjectMeta(name="py-1"),
                                target=client.V1ObjectReference(kind="Node", name="node-a"))
        try:
            self.core.create_namespaced_binding("default", body)
        except ValueError:
            pass  # the client cannot deserialise a Status into a V1Binding; the bind happened
        self.assertEqual(self.core.read_namespaced_pod("py-1", "default").spec.node_name, "node-a")

    def test_watch_from_resource_version(self):
        rv = self.core.list_namespaced_config_map("default").metadata.resource_version
        for i in range(3):
            self.core.create_namespaced_config_map("default", client.V1ConfigMap(
                metadata=client.V1ObjectMeta(name="pyw-%d" % i)))
        w = watch.Watch()
        seen = []
        for ev in w.stream(self.core.list_namespaced_config_map, "default", resource_version=rv, timeout_seconds=5):
            seen.append((ev["type"], ev["object"].metadata.name))
            if len(seen) == 3:
                w.stop()
        self.assertEqual(seen, [("ADDED", "pyw-%d" % i) for i in range(3)])

    def test_scale(self):
        d = client.V1Deployment(
            metadata=client.V1ObjectMeta(name="pyd"),
            spec=client.V1DeploymentSpec(
                replicas=1, selector=client.V1LabelSelector(match_labels={"app": "pyd"}),
                template=client.V1PodTemplateSpec(
                    metadata=client.V1ObjectMeta(labels={"app": "pyd"}),
                    spec=client.V1PodSpec(containers=[client.V1Container(name="c", image="nginx:1")]))))
        self.apps.create_namespaced_deployment("default", d)
        self.apps.patch_namespaced_deployment_scale("pyd", "default", {"spec": {"replicas": 4}})
        self.assertEqual(self.apps.read_namespaced_deployment_scale("pyd", "default").spec.replicas, 4)
        self.assertEqual(self.apps.read_namespaced_deployment("pyd", "default").spec.replicas, 4)


if __name__ == "__main__":
    unittest.main(verbosity=2)
