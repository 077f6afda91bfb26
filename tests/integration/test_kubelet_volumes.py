"""A running pod's ConfigMap, Secret, downward API and projected volumes follow their sources, as in Kubernetes.

The kubelet (process runtime, host network) watches the ConfigMaps and Secrets its pods mount and rewrites
the files when they change, and the downward API files when the pod's labels or annotations do. Each
volume is laid out as Kubernetes' atomic writer does: the files in a timestamped "..2026_..." folder,
"..data" a symlink to it flipped by one rename, and every visible name a symlink "NAME -> ..data/NAME".
The files are read on the node (the pod's volume folder), and, where the kernel gives the container
a mount namespace, from inside the container too, where a subPath mount keeps its first content. The
kubelet talks to the apiserver as system:node:NODE under Node,RBAC, as a deployed one does.
"""
import base64
import os
import subprocess
import sys
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import harness  # noqa: E402
from apiserver_proc import tls_args  # noqa: E402
import kubelet_proc  # noqa: E402

NS = "/api/v1/namespaces/default"
NODE = "node-vol"
MERGE = "application/merge-patch+json"
UPDATE_S = 15.0  # a change shows within this (it takes well under a second unloaded: a watch, then a tick)


def can_unshare():
    r = subprocess.run(["unshare", "--pid", "--fork", "--mount", "--uts", "--ipc", "true"], capture_output=True)
    return r.returncode == 0


def b64(s):
    return base64.b64encode(s.encode()).decode()


class VolumeUpdateTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.namespaces = can_unshare()
        print("kubelet volumes test: mount namespaces %s" % ("ALLOWED" if cls.namespaces else "FORBIDDEN: "
                                                               "files checked on the node only"), flush=True)
        # the kubelet is system:node:NODE over HTTPS, under the Node authorizer: its watches must be allowed
        cls.dir = harness.tempdir("kubelet-volumes-")
        pki = os.path.join(cls.dir, "pki")
        subprocess.run([os.path.join(harness.ROOT, "deploy", "certs.sh"), pki],
                       env=dict(os.environ, ETCD_MEMBERS="e1", NODES=NODE), check=True, stdout=subprocess.DEVNULL)
        sport = harness.free_ports(1)[0]
        p = lambda f: os.path.join(pki, f)  # noqa: E731
        cls.node = kubelet_proc.OneNode(
            NODE, cls.dir, tls_args(pki, sport) + ["--anonymous-auth=false", "--authorization-mode=Node,RBAC"],
            ["--certificate-authority", p("ca.crt"), "--client-certificate", p("kubelet-%s.crt" % NODE),
             "--client-key", p("kubelet-%s.key" % NODE)], master="https://127.0.0.1:%d" % sport)
        cls.api, cls.root, cls.kport = cls.node.api, cls.node.root, cls.node.kport

    @classmethod
    def tearDownClass(cls):
        cls.node.stop(NS)

    def create(self, kind, obj):
        st, out = self.api.req("POST", "%s/%s" % (NS, kind), obj)
        self.assertEqual(st, 201, out)

    def patch(self, path, body):
        st, out = self.api.req("PATCH", NS + path, body, ctype=MERGE)
        self.assertEqual(st, 200, out)

    def get_pod(self, name):
        st, p = self.api.req("GET", NS + "/pods/" + name)
        return p if st == 200 else None

    def vdir(self, pod, vol):
        return os.path.join(self.root, "pods", pod["metadata"]["uid"], "volumes", vol)

    @staticmethod
    def read(path):
        try:
            with open(path) as f:
                return f.read()
        except OSError:
            return None

    def wait_file(self, path, want, what):
        """Polls until the file at path holds want (None: until it is gone); returns the seconds it took."""
        t0 = time.time()
        try:
            harness.wait_until(lambda: self.read(path) == want, UPDATE_S, "%s: %r" % (what, want))
        except AssertionError as e:
            raise AssertionError("%s; last read %r" % (e, self.read(path))) from None
        return time.time() - t0

    def assert_layout(self, vdir, names):
        """Waits for Kubernetes' layout: ..data -> one ..timestamp folder, each name -> ..data/name, nothing else
        (a name gone from the source, and the previous folder, go just after ..data flips); returns the folder."""
        return harness.wait_until(lambda: self.layout(vdir, names), UPDATE_S, "%s holding %s" % (vdir, names))

    def layout(self, vdir, names):
        entries = sorted(os.listdir(vdir))
        data = os.readlink(os.path.join(vdir, "..data"))
        self.assertRegex(data, r"^\.\.\d{4}_\d\d_\d\d_\d\d_\d\d_\d\d\.\w+$")
        self.assertTrue(os.path.isdir(os.path.join(vdir, data)))
        self.assertEqual(entries, sorted(["..data", data] + names), "left over: %s" % entries)
        for n in names:
            self.assertEqual(os.readlink(os.path.join(vdir, n)), "..data/" + n)
        return data

    def logs(self, name):
        st, out = harness.http("GET", "http://127.0.0.1:%d/containerLogs/default/%s/c?tailLines=3"
                               % (self.kport, name))
        return out.decode(errors="replace") if st == 200 else ""

    def test_sources_and_labels_update_the_files(self):
        self.create("configmaps", {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "cfg"},
                                   "data": {"greeting": "v1", "extra": "gone-soon"}})
        self.create("secrets", {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "sec"},
                                "data": {"password": b64("s1")}})
        m = os.path.join(self.dir, "m")
        volumes = [
            {"name": "cm", "configMap": {"name": "cfg"}},
            {"name": "sec", "secret": {"secretName": "sec", "defaultMode": 0o400}},
            {"name": "dw", "downwardAPI": {"items": [
                {"path": "labels", "fieldRef": {"fieldPath": "metadata.labels"}},
                {"path": "meta/annotations", "fieldRef": {"fieldPath": "metadata.annotations"}}]}},
            {"name": "proj", "projected": {"sources": [
                {"configMap": {"name": "cfg", "items": [{"key": "greeting", "path": "p/greeting"}]}},
                {"secret": {"name": "sec"}},
                {"downwardAPI": {"items": [{"path": "labels", "fieldRef": {"fieldPath": "metadata.labels"}}]}}]}},
            {"name": "opt", "configMap": {"name": "later", "optional": True}}]
        mounts = [{"name": v["name"], "mountPath": "%s/%s" % (m, v["name"])} for v in volumes]
        mounts.append({"name": "cm", "mountPath": m + "/sub-greeting", "subPath": "greeting"})
        script = ('while :; do echo "cm=$(cat %s/cm/greeting) sub=$(cat %s/sub-greeting) '
                  'dw=$(head -1 %s/dw/labels)"; sleep 0.3; done' % (m, m, m))
        pod = {"apiVersion": "v1", "kind": "Pod",
               "metadata": {"name": "vols", "labels": {"app": "one"}, "annotations": {"note": "a"}},
               "spec": {"nodeName": NODE, "terminationGracePeriodSeconds": 1,
                        "containers": [{"name": "c", "image": "echoserver", "command": ["/bin/sh", "-c", script],
                                        "volumeMounts": mounts}],
                        "volumes": volumes}}
        self.create("pods", pod)
        harness.wait_until(lambda: (self.get_pod("vols") or {}).get("status", {}).get("phase") == "Running",
                           20.0, "pod Running")
        pod = self.get_pod("vols")
        cm, sec, dw, proj, opt = (self.vdir(pod, v) for v in ("cm", "sec", "dw", "proj", "opt"))

        # the first files, in Kubernetes' layout
        first = self.assert_layout(cm, ["extra", "greeting"])
        self.assertEqual(self.read(cm + "/greeting"), "v1")
        self.assert_layout(sec, ["password"])
        self.assertEqual(self.read(sec + "/password"), "s1")
        self.assertEqual(os.stat(sec + "/password").st_mode & 0o777, 0o400)
        self.assert_layout(dw, ["labels", "meta"])
        self.assertEqual(self.read(dw + "/labels"), 'app="one"')
        self.assertEqual(self.read(dw + "/meta/annotations"), 'note="a"')
        self.assert_layout(proj, ["labels", "p", "password"])
        self.assert_layout(opt, [])
        if self.namespaces:
            harness.wait_until(lambda: 'cm=v1 sub=v1 dw=app="one"' in self.logs("vols"), 10.0,
                               "the container reads the first files")

        # a ConfigMap update: a key changes and one is removed, in the volume and the projected one
        self.patch("/configmaps/cfg", {"data": {"greeting": "v2", "extra": None}})
        took = self.wait_file(cm + "/greeting", "v2", "configMap update")
        print("configMap update seen on the node after %.2fs" % took, flush=True)
        self.wait_file(cm + "/extra", None, "removed key")
        self.wait_file(proj + "/p/greeting", "v2", "projected configMap update")
        second = self.assert_layout(cm, ["greeting"])
        self.assertNotEqual(first, second)
        self.assertFalse(os.path.exists(os.path.join(cm, first)), "the previous folder is left")
        if self.namespaces:
            # the whole-volume mount sees the change; the subPath mount keeps its file, as in Kubernetes
            harness.wait_until(lambda: "cm=v2 sub=v1" in self.logs("vols"), UPDATE_S,
                               "the container reads the new file (logs: %r)" % self.logs("vols"))

        # a Secret update
        self.patch("/secrets/sec", {"data": {"password": b64("s2")}})
        self.wait_file(sec + "/password", "s2", "secret update")
        self.wait_file(proj + "/password", "s2", "projected secret update")
        self.assertEqual(os.stat(sec + "/password").st_mode & 0o777, 0o400)

        # labels and annotations: the downward API files follow the pod's metadata
        self.patch("/pods/vols", {"metadata": {"labels": {"app": "two", "tier": "web"}, "annotations": {"note": "b"}}})
        self.wait_file(dw + "/labels", 'app="two"\ntier="web"', "labels change")
        self.wait_file(dw + "/meta/annotations", 'note="b"', "annotations change")
        self.wait_file(proj + "/labels", 'app="two"\ntier="web"', "projected labels change")
        if self.namespaces:
            harness.wait_until(lambda: 'dw=app="two"' in self.logs("vols"), UPDATE_S, "the container reads the labels")

        # an optional source that appears later gets its files, and loses them when it goes
        self.create("configmaps", {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "later"},
                                   "data": {"k": "here"}})
        self.wait_file(opt + "/k", "here", "optional configMap created")
        self.assert_layout(opt, ["k"])
        self.assertEqual(self.api.req("DELETE", NS + "/configmaps/later")[0], 200)
        self.wait_file(opt + "/k", None, "optional configMap deleted")
        self.assert_layout(opt, [])

        # a restarted kubelet finds the files as they should be and writes none; its new watches work
        before = os.readlink(cm + "/..data")
        self.node.restart_kubelet()
        # seen whether it comes before the new kubelet's list (the pod is prepared with it) or after (an update):
        # either way the kubelet has made the pod's volumes once it shows
        self.patch("/pods/vols", {"metadata": {"labels": {"app": "three"}}})
        self.wait_file(dw + "/labels", 'app="three"\ntier="web"', "labels change after the restart")
        self.assertEqual(os.readlink(cm + "/..data"), before, "an unchanged volume was written again")
        self.patch("/configmaps/cfg", {"data": {"greeting": "v2b"}})
        self.wait_file(cm + "/greeting", "v2b", "configMap update after the restart")

        # a required source deleted keeps its last files (the pod still runs on them); the ConfigMap's change,
        # made after the delete, is seen after it in the usual order of events (not a guarantee across watches)
        self.assertEqual(self.api.req("DELETE", NS + "/secrets/sec")[0], 200)
        self.patch("/configmaps/cfg", {"data": {"greeting": "v3"}})
        self.wait_file(cm + "/greeting", "v3", "configMap update after the secret's delete")
        self.assertEqual(self.read(sec + "/password"), "s2")
        self.assertEqual(self.get_pod("vols")["status"]["phase"], "Running")


if __name__ == "__main__":
    unittest.main(verbosity=2)
