"""The served /openapi/v3 schemas are never narrower than Kubernetes' models (Debian's python3-kubernetes).

The apiserver refuses unknown fields under fieldValidation=Strict (kubectl's default) at every depth
of a schema that lists its fields. A real field missing from our table would refuse a valid manifest,
so each served kind is walked beside the Python client's model of it (attribute_map gives the JSON
names, openapi_types the types): every field of the model must be in our schema, with a compatible
shape (a list where the model has a list, a map or an open object where it has a map), down through
every schema that lists fields. Fields only we list are fine.
"""
import json
import os
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import harness  # noqa: E402
from apiserver_proc import Apiserver  # noqa: E402
from etcd_cluster import Cluster  # noqa: E402

try:
    sys.path.append("/usr/lib/python3/dist-packages")
    from kubernetes import client  # noqa: E402
except ImportError:  # pragma: no cover
    client = None

# Fields the Python client (generated from Kubernetes 1.22) still has but Kubernetes 1.32 removed.
REMOVED = {("V1ObjectMeta", "clusterName")}
# How the client names the models of groups whose type names clash with core's.
PREFIXES = {"": ["V1", "CoreV1"], "discovery.k8s.io": ["V1", "DiscoveryV1"], "events.k8s.io": ["EventsV1"]}


def model(name):
    cls = getattr(client, name, None)
    return cls if cls is not None and hasattr(cls, "attribute_map") else None


def ref_of(prop):
    """The schema name a property refers to, or None."""
    if "$ref" in prop:
        return prop["$ref"].rsplit("/", 1)[1]
    for one in prop.get("allOf", []):
        if "$ref" in one:
            return one["$ref"].rsplit("/", 1)[1]
    return None


@unittest.skipUnless(client, "python3-kubernetes is not installed")
class OpenapiFieldsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.etcd = Cluster(size=1).start_all()
        cls.api = Apiserver(cls.etcd.client)
        st, index = cls.api.req("GET", "/openapi/v3")
        assert st == 200, index
        cls.schemas = {}
        cls.kinds = []
        for entry in index["paths"].values():
            st, doc = cls.api.req("GET", entry["serverRelativeURL"])
            assert st == 200, doc
            for name, s in doc["components"]["schemas"].items():
                cls.schemas[name] = s
                for gvk in s.get("x-kubernetes-group-version-kind", []):
                    cls.kinds.append((gvk["group"], gvk["kind"], name))

    @classmethod
    def tearDownClass(cls):
        cls.api.stop()
        cls.etcd.stop()

    def kind_model(self, group, kind, schema):
        for p in PREFIXES.get(group, ["V1"]):
            cls = model(p + kind)
            # V1Event is events.k8s.io's (CoreV1Event core's): take the one with the same way of naming its object
            ours = "involvedObject" in self.schemas[schema]["properties"]
            if cls and ("involvedObject" in cls.attribute_map.values()) == ours:
                return cls
        return None

    def compare(self, schema, cls, path, problems, seen):
        if (schema, cls.__name__) in seen:
            return
        seen.add((schema, cls.__name__))
        props = self.schemas[schema].get("properties") or {}
        if not props:
            return  # an open schema: nothing below it is checked
        for attr, name in cls.attribute_map.items():
            where = "%s.%s (%s, model %s)" % (path, name, schema, cls.__name__)
            if name not in props:
                if (cls.__name__, name) not in REMOVED:
                    problems.append("missing " + where)
                continue
            self.compare_type(cls.openapi_types[attr], props[name], where, path + "." + name, problems, seen)

    def compare_type(self, pytype, prop, where, path, problems, seen):
        if pytype.startswith("list["):
            if prop.get("type") != "array":
                problems.append("not a list: " + where)
                return
            self.compare_type(pytype[5:-1], prop["items"], where, path + "[]", problems, seen)
            return
        ref = ref_of(prop)
        target = self.schemas.get(ref, {}) if ref else prop
        if pytype.startswith("dict("):
            if target.get("properties"):
                problems.append("a map, but fields are checked: " + where)
            return
        cls = model(pytype)
        if cls is None:
            if target.get("properties"):
                problems.append("a %s, but fields are checked: %s" % (pytype, where))
            return
        if ref:
            self.compare(ref, cls, path, problems, seen)
        elif prop.get("type") != "object":
            problems.append("an object, typed %s: %s" % (prop.get("type"), where))

    def test_every_kind_covers_its_model(self):
        problems, checked, pairs = [], [], set()
        for group, kind, schema in self.kinds:
            cls = self.kind_model(group, kind, schema)
            if cls is None:
                problems.append("no Python model for %s %s" % (group or "core", kind))
                continue
            checked.append(kind)
            seen = set()
            self.compare(schema, cls, kind, problems, seen)
            pairs |= seen
        self.assertGreaterEqual(len(checked), 21, checked)
        # the walk went deep: through the pod template to probes, and into the shared metadata types
        for pair in [("io.k8s.api.core.v1.HTTPGetAction", "V1HTTPGetAction"),
                     ("io.k8s.api.core.v1.ContainerStateTerminated", "V1ContainerStateTerminated"),
                     ("io.k8s.apimachinery.pkg.apis.meta.v1.OwnerReference", "V1OwnerReference"),
                     ("io.k8s.api.discovery.v1.EndpointPort", "DiscoveryV1EndpointPort"),
                     ("io.k8s.api.core.v1.EventSeries", "CoreV1EventSeries")]:
            self.assertIn(pair, pairs)
        self.assertEqual(problems, [], "\n".join(problems))

    def test_the_walk_can_fail(self):
        """A model field our schema lacks is reported (the comparison above is not vacuous)."""
        problems = []
        props = dict(self.schemas["io.k8s.api.core.v1.Container"]["properties"])
        del props["imagePullPolicy"]
        self.schemas["test.Container"] = {"type": "object", "properties": props}
        try:
            self.compare("test.Container", client.V1Container, "c", problems, set())
        finally:
            del self.schemas["test.Container"]
        self.assertEqual(problems, ["missing c.imagePullPolicy (test.Container, model V1Container)"])


if __name__ == "__main__":
    unittest.main(verbosity=2)
