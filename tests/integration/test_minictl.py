"""minictl against a real apiserver over etcdlite: every verb with its output checked, and kubectl interop."""
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import harness  # noqa: E402
from apiserver_proc import Apiserver  # noqa: E402
from etcd_cluster import Cluster  # noqa: E402
from fake_kubelet import FakeKubelet  # noqa: E402

KUBECTL = shutil.which("kubectl")
MINICTL = os.path.join(harness.BIN, "minictl")

DEPLOY = """apiVersion: apps/v1
kind: Deployment
metadata:
  name: front
  labels: {app: front}
spec:
  replicas: %(replicas)d
  selector:
    matchLabels: {app: front}
  template:
    metadata:
      labels: {app: front}
    spec:
      containers:
      - name: web
        image: %(image)s
        ports:
        - containerPort: 80
%(env)s---
apiVersion: v1
kind: ConfigMap
metadata:
  name: cfg
data:
  zip: "08"
  flag: "yes"
%(extra)s
"""
ENV = """        env:
        - name: MODE
          value: fast
"""


def harness_read(path):
    with open(path) as f:
        return f.read()


def manifest(replicas=2, image="nginx:1", env=True, extra=True):
    return DEPLOY % {"replicas": replicas, "image": image, "env": ENV if env else "",
                     "extra": "  extra: here" if extra else ""}



def no_root_ca(names):
    """`get cm -o name` without the kube-root-ca.crt every namespace has (as in Kubernetes)."""
    return names.replace("configmap/kube-root-ca.crt\n", "")

class MinictlTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.etcd = Cluster(size=1).start_all()
        cls.api = Apiserver(cls.etcd.client)
        cls.dir = harness.tempdir("minictl-")
        cls.cache = os.path.join(cls.dir, "kcache")
        cls.env = dict(os.environ, HOME=cls.dir, KUBECONFIG=os.path.join(cls.dir, "none"))

    @classmethod
    def tearDownClass(cls):
        cls.api.stop()
        cls.etcd.stop_all() if hasattr(cls.etcd, "stop_all") else None

    def mc(self, *args, ok=True, stdin=None, env=None, server=True):
        argv = [MINICTL] + (["--server", self.api.url] if server else []) + list(args)
        p = subprocess.run(argv, capture_output=True, text=True, input=stdin, timeout=60, env=env or self.env)
        if ok and p.returncode != 0:
            self.fail("minictl %s failed (%d): %s%s" % (" ".join(args), p.returncode, p.stdout, p.stderr))
        return p

    def kubectl(self, *args, stdin=None):
        argv = [KUBECTL, "--server", self.api.url, "--cache-dir", self.cache] + list(args)
        p = subprocess.run(argv, capture_output=True, text=True, input=stdin, timeout=60, env=self.env)
        if p.returncode != 0:
            self.fail("kubectl %s failed: %s%s" % (" ".join(args), p.stdout, p.stderr))
        return p

    def write(self, name, text):
        path = os.path.join(self.dir, name)
        with open(path, "w") as f:
            f.write(text)
        return path

    def obj(self, path):
        st, o = self.api.req("GET", path)
        self.assertEqual(st, 200, o)
        return o

    def ns(self, name):
        self.mc("create", "namespace", name)

    # --- help and errors -------------------------------------------------------------------
    def test_help_reads_like_kubectl(self):
        # The layout is kubectl's (grouped verb list, summary, Examples:, Options:, Usage:);
        # the wording is our own, so only the structure is checked.
        out = self.mc("--help", server=False).stdout
        for s in ("Basic Commands (Beginner):", "Deploy Commands:", "Other Commands:", "\nUsage:\n",
                  '"minictl <command> --help"', '"minictl options"'):
            self.assertIn(s, out)
        self.assertRegex(out, r"\n  get {13}\S.*\n")
        self.assertTrue(all(len(line) < 100 for line in out.splitlines()), out)
        out = self.mc("get", "--help").stdout
        summary = out.splitlines()[0]
        self.assertTrue(summary and not summary.startswith(" ") and summary.endswith("."), summary)
        self.assertRegex(out, r"\nExamples:\n  # .+\n  minictl get ")
        for s in ("Options:", "    -o, --output='':", "    -l, --selector='':", "    -w, --watch=false:",
                  "Usage:\n  minictl get [(-o|--output=)", '"minictl options"'):
            self.assertIn(s, out)
        p = self.mc("get", "pods", "--nope", ok=False)
        self.assertEqual(p.returncode, 1)
        self.assertEqual(p.stderr, "error: unknown flag: --nope\nSee 'minictl get --help' for usage.\n")
        p = self.mc("frobnicate", ok=False)
        self.assertEqual(p.returncode, 1)
        self.assertIn('unknown command "frobnicate"', p.stderr)

    def test_errors_as_kubectl(self):
        p = self.mc("get", "pod", "ghost", ok=False)
        self.assertEqual((p.returncode, p.stderr), (1, 'Error from server (NotFound): pods "ghost" not found\n'))
        p = self.mc("get", "flurbs", ok=False)
        self.assertEqual(p.stderr, 'error: the server doesn\'t have a resource type "flurbs"\n')
        bad = self.write("bad.yaml", "kind: Pod\nmetadata: name: x\n")
        p = self.mc("apply", "-f", bad, ok=False)
        self.assertEqual(p.returncode, 1)
        self.assertIn("error parsing %s" % bad, p.stderr)
        self.assertIn("%s:2:15: mapping values are not allowed in this context" % bad, p.stderr)
        p = subprocess.run([MINICTL, "--server", "http://127.0.0.1:1", "get", "pods"], capture_output=True,
                           text=True, env=self.env)
        self.assertEqual(p.returncode, 1)
        self.assertIn("The connection to the server 127.0.0.1:1 was refused", p.stderr)

    # --- get ------------------------------------------------------------------------------------
    def test_get_outputs(self):
        self.ns("g1")
        for name, app in (("b-pod", "g1web"), ("a-pod", "g1db")):
            self.mc("run", name, "--image=busybox", "--labels=app=" + app, "-n", "g1")
        out = self.mc("get", "pods", "-n", "g1").stdout.splitlines()
        self.assertEqual(out[0].split(), ["NAME", "READY", "STATUS", "RESTARTS", "AGE"])
        self.assertTrue(out[0].startswith("NAME    READY   STATUS    RESTARTS   AGE"), out[0])
        self.assertEqual([l.split()[0] for l in out[1:]], ["a-pod", "b-pod"])
        self.assertEqual(self.mc("get", "po", "-n", "g1", "-o", "name").stdout, "pod/a-pod\npod/b-pod\n")
        lst = json.loads(self.mc("get", "pods", "-n", "g1", "-o", "json").stdout)
        self.assertEqual((lst["kind"], lst["apiVersion"]), ("List", "v1"))
        self.assertEqual([i["kind"] for i in lst["items"]], ["Pod", "Pod"])
        y = self.mc("get", "pod", "a-pod", "-n", "g1", "-o", "yaml").stdout
        self.assertTrue(y.startswith("apiVersion: v1\nkind: Pod\nmetadata:\n"), y)
        self.assertIn("  creationTimestamp: \"", y)
        self.assertEqual(self.mc("get", "pods", "-n", "g1", "-o", "jsonpath={.items[*].metadata.name}").stdout,
                         "a-pod b-pod")
        self.assertEqual(self.mc("get", "pods", "-n", "g1", "-l", "app=g1web", "-o", "name").stdout, "pod/b-pod\n")
        self.assertEqual(self.mc("get", "pods", "-n", "g1", "--field-selector", "metadata.name=a-pod",
                                 "-o", "name").stdout, "pod/a-pod\n")
        out = self.mc("get", "pods", "-A", "-l", "app in (g1web,g1db)", "--show-labels").stdout.splitlines()
        self.assertEqual(out[0].split(), ["NAMESPACE", "NAME", "READY", "STATUS", "RESTARTS", "AGE", "LABELS"])
        self.assertEqual(out[1].split()[0], "g1")
        self.assertTrue(out[1].endswith("   app=g1db"), out[1])
        out = self.mc("get", "pods", "-n", "g1", "--sort-by=.metadata.labels.app", "-o", "name").stdout
        self.assertEqual(out, "pod/a-pod\npod/b-pod\n")
        out = self.mc("get", "pods", "-n", "g1", "--sort-by={.metadata.name}", "--no-headers").stdout
        self.assertEqual([l.split()[0] for l in out.splitlines()], ["a-pod", "b-pod"])
        out = self.mc("get", "pods", "-n", "g1", "-o", "custom-columns=N:.metadata.name,IMG:.spec.containers[0].image").stdout
        self.assertEqual(out, "N       IMG\na-pod   busybox\nb-pod   busybox\n")
        wide = self.mc("get", "pods", "-n", "g1", "-o", "wide").stdout.splitlines()
        self.assertEqual(wide[0].split(), ["NAME", "READY", "STATUS", "RESTARTS", "AGE", "IP", "NODE", "NOMINATED",
                                           "NODE", "READINESS", "GATES"])
        self.assertRegex(wide[1], r"^a-pod +0/1 +Pending +0 +\S+ +<none> +<none> +<none> +<none>$")
        out = self.mc("get", "pod/a-pod", "pod/b-pod", "-n", "g1", "-o", "name").stdout
        self.assertEqual(out, "pod/a-pod\npod/b-pod\n")
        p = self.mc("get", "pods", "-n", "empty-ns")
        self.assertEqual(p.stderr, "No resources found in empty-ns namespace.\n")
        out = self.mc("get", "all", "-n", "g1").stdout
        self.assertIn("pod/a-pod", out)

    def test_get_wide_columns_as_kubectl(self):
        self.ns("wd")
        self.mc("create", "deployment", "web", "--image=nginx:1", "-n", "wd")
        self.mc("expose", "deployment", "web", "--port=80", "-n", "wd")
        tmpl = {"metadata": {"labels": {"tier": "a", "app": "x", "beta": "1"}},
                "spec": {"containers": [{"name": "one", "image": "i1"}, {"name": "two", "image": "i2"}]}}
        rs = {"apiVersion": "apps/v1", "kind": "ReplicaSet", "metadata": {"name": "rs"},
              "spec": {"replicas": 0, "template": tmpl, "selector": {
                  "matchLabels": {"tier": "a", "app": "x"},
                  "matchExpressions": [{"key": "env", "operator": "NotIn", "values": ["prod", "dev"]},
                                       {"key": "beta", "operator": "Exists"}]}}}
        self.assertEqual(self.api.req("POST", "/apis/apps/v1/namespaces/wd/replicasets", rs)[0], 201)
        ds = {"apiVersion": "apps/v1", "kind": "DaemonSet", "metadata": {"name": "ds"},
              "spec": {"selector": {"matchLabels": {"app": "x"}},
                       "template": dict(tmpl, spec=dict(tmpl["spec"], nodeSelector={"zone": "z1", "disk": "ssd"}))}}
        self.assertEqual(self.api.req("POST", "/apis/apps/v1/namespaces/wd/daemonsets", ds)[0], 201)
        ep = {"apiVersion": "v1", "kind": "Endpoints", "metadata": {"name": "many"},
              "subsets": [{"addresses": [{"ip": "10.0.0.%d" % i} for i in range(1, 4)],
                           "ports": [{"port": 80}, {"port": 81}]}]}
        self.assertEqual(self.api.req("POST", "/api/v1/namespaces/wd/endpoints", ep)[0], 201)
        node = {"apiVersion": "v1", "kind": "Node", "metadata": {"name": "wide-node"},
                "status": {"addresses": [{"type": "InternalIP", "address": "10.1.0.1"},
                                         {"type": "ExternalIP", "address": "203.0.113.9"}],
                           "nodeInfo": {"osImage": "Debian GNU/Linux 12", "kernelVersion": "6.1.0-x",
                                        "containerRuntimeVersion": "process://0.1"}}}
        self.assertEqual(self.api.req("POST", "/api/v1/nodes", node)[0], 201)

        def table(*args):
            return [l.split("   ") for l in self.mc("get", *args, "-o", "wide").stdout.splitlines()]

        def row(lines, name):
            return [c.strip() for c in next(l for l in lines if l[0].strip() == name) if c.strip()]
        t = table("deploy", "-n", "wd")
        self.assertEqual(t[0][0].split() + [c.strip() for c in t[0][1:] if c.strip()],
                         ["NAME", "READY", "UP-TO-DATE", "AVAILABLE", "AGE", "CONTAINERS", "IMAGES", "SELECTOR"])
        self.assertEqual(row(t, "web")[-3:], ["nginx", "nginx:1", "app=web"])
        t = table("rs", "rs", "-n", "wd")
        self.assertEqual(self.mc("get", "rs", "-n", "wd", "-o", "wide").stdout.split("\n")[0].split(),
                         ["NAME", "DESIRED", "CURRENT", "READY", "AGE", "CONTAINERS", "IMAGES", "SELECTOR"])
        self.assertEqual(row(t, "rs")[-3:], ["one,two", "i1,i2", "app=x,beta,env notin (dev,prod),tier=a"])
        out = self.mc("get", "ds", "-n", "wd", "-o", "wide").stdout.splitlines()
        self.assertEqual(out[0].split(), ["NAME", "DESIRED", "CURRENT", "READY", "UP-TO-DATE", "AVAILABLE", "NODE",
                                          "SELECTOR", "AGE", "CONTAINERS", "IMAGES", "SELECTOR"])
        self.assertRegex(out[1], r"^ds +0 +0 +0 +0 +0 +disk=ssd,zone=z1 +\S+ +one,two +i1,i2 +app=x$")
        out = self.mc("get", "svc", "web", "-n", "wd", "-o", "wide").stdout.splitlines()
        self.assertEqual(out[0].split(), ["NAME", "TYPE", "CLUSTER-IP", "EXTERNAL-IP", "PORT(S)", "AGE", "SELECTOR"])
        self.assertTrue(out[1].endswith("   app=web"), out[1])
        out = self.mc("get", "ep", "many", "-n", "wd", "-o", "wide").stdout.splitlines()
        self.assertEqual(out[0].split(), ["NAME", "ENDPOINTS", "AGE"])
        self.assertRegex(out[1], r"^many +10\.0\.0\.1:80,10\.0\.0\.2:80,10\.0\.0\.3:80 \+ 3 more\.\.\. +\S+$")
        out = self.mc("get", "node", "wide-node", "-o", "wide").stdout.splitlines()
        self.assertEqual(out[0].split(), ["NAME", "STATUS", "ROLES", "AGE", "VERSION", "INTERNAL-IP", "EXTERNAL-IP",
                                          "OS-IMAGE", "KERNEL-VERSION", "CONTAINER-RUNTIME"])
        self.assertRegex(out[1], r"^wide-node +Unknown +<none> +\S+ +10\.1\.0\.1 +203\.0\.113\.9 +"
                                 r"Debian GNU/Linux 12 +6\.1\.0-x +process://0\.1$")
        # the narrow tables keep kubectl's default columns
        self.assertEqual(self.mc("get", "rs", "-n", "wd").stdout.splitlines()[0].split(),
                         ["NAME", "DESIRED", "CURRENT", "READY", "AGE"])
        if KUBECTL:
            # kubectl prints the same Table (the AGE column may tick between the two runs)
            for args in (["deploy", "-n", "wd"], ["rs", "-n", "wd"], ["ds", "-n", "wd"], ["ep", "-n", "wd"],
                         ["node", "wide-node"], ["svc", "-n", "wd"]):
                mine = self.mc("get", *args, "-o", "wide").stdout
                theirs = self.kubectl("get", *args, "-o", "wide").stdout
                self.assertEqual(len(mine), len(theirs), (mine, theirs))
                self.assertEqual(mine.splitlines()[0], theirs.splitlines()[0])

    def test_get_watch_across_apiserver_restart(self):
        self.ns("w1")
        proc = subprocess.Popen([MINICTL, "--server", self.api.url, "get", "pods", "-n", "w1", "-w"],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=self.env)
        lines = []

        def reader():
            for line in proc.stdout:
                lines.append(line)
        t = threading.Thread(target=reader, daemon=True)
        t.start()
        try:
            self.mc("run", "before", "--image=busybox", "-n", "w1")
            harness.wait_until(lambda: any(l.startswith("before") for l in lines), 10, "watch sees 'before'")
            self.assertTrue(lines[0].startswith("NAME"), lines)
            # restart the apiserver on the same port: the watcher re-watches from its last version
            argv = self.api.proc.argv
            harness.stop(self.api.proc)
            self.api.proc = harness.start(argv, os.path.join(self.api.dir, "apiserver2.log"))
            harness.wait_until(self.api.ready, 15, "apiserver back")
            self.mc("run", "after", "--image=busybox", "-n", "w1")
            harness.wait_until(lambda: any(l.startswith("after") for l in lines), 15, "watch sees 'after'")
            self.mc("delete", "pod", "before", "-n", "w1")
            self.assertIsNone(proc.poll())
        finally:
            proc.kill()
            proc.wait()

    # --- apply and kubectl interop -------------------------------------------------------------
    def test_apply_lifecycle(self):
        self.ns("ap")
        f = self.write("ap1.yaml", manifest())
        self.assertEqual(self.mc("apply", "-f", f, "-n", "ap").stdout,
                         "deployment.apps/front created\nconfigmap/cfg created\n")
        self.assertEqual(self.mc("apply", "-f", f, "-n", "ap").stdout,
                         "deployment.apps/front unchanged\nconfigmap/cfg unchanged\n")
        cm = self.obj("/api/v1/namespaces/ap/configmaps/cfg")
        self.assertEqual(cm["data"], {"zip": "08", "flag": "yes", "extra": "here"})
        # a field someone else set survives apply; a field dropped from the manifest goes
        st, _ = self.api.req("PATCH", "/apis/apps/v1/namespaces/ap/deployments/front",
                             {"spec": {"paused": True}}, ctype="application/merge-patch+json")
        self.assertEqual(st, 200)
        f2 = self.write("ap2.yaml", manifest(image="nginx:2", env=False, extra=False))
        self.assertEqual(self.mc("apply", "-f", f2, "-n", "ap").stdout,
                         "deployment.apps/front configured\nconfigmap/cfg configured\n")
        d = self.obj("/apis/apps/v1/namespaces/ap/deployments/front")
        c = d["spec"]["template"]["spec"]["containers"][0]
        self.assertEqual(c["image"], "nginx:2")
        self.assertNotIn("env", c)
        self.assertTrue(d["spec"].get("paused"))
        self.assertNotIn("extra", self.obj("/api/v1/namespaces/ap/configmaps/cfg")["data"])
        self.assertEqual(self.mc("apply", "-f", f, "-n", "ap", "--dry-run=client").stdout,
                         "deployment.apps/front configured (dry run)\nconfigmap/cfg configured (dry run)\n")
        self.assertEqual(self.obj("/apis/apps/v1/namespaces/ap/deployments/front")["spec"]["template"]["spec"]
                         ["containers"][0]["image"], "nginx:2")
        # a directory, recursively, and stdin
        d1 = os.path.join(self.dir, "tree", "sub")
        os.makedirs(d1, exist_ok=True)
        self.write("tree/sub/cm.json", json.dumps({"apiVersion": "v1", "kind": "ConfigMap",
                                                   "metadata": {"name": "deep"}, "data": {"a": "1"}}))
        self.assertEqual(self.mc("apply", "-R", "-f", os.path.join(self.dir, "tree"), "-n", "ap").stdout,
                         "configmap/deep created\n")
        out = self.mc("apply", "-f", "-", "-n", "ap", stdin="apiVersion: v1\nkind: ConfigMap\nmetadata: {name: piped}\n")
        self.assertEqual(out.stdout, "configmap/piped created\n")

    @unittest.skipUnless(KUBECTL, "kubectl not installed")
    def test_apply_mixed_with_kubectl(self):
        v1 = self.write("mix1.yaml", manifest())
        v2 = self.write("mix2.yaml", manifest(replicas=3, image="nginx:2", env=False, extra=False))
        for n in ("mx-a", "mx-b", "mx-c", "mx-d"):
            self.ns(n)
        # the same manifest gives the same last-applied annotation, byte for byte
        self.mc("apply", "-f", v1, "-n", "mx-c")
        self.kubectl("apply", "-f", v1, "-n", "mx-d")
        ann = "kubectl.kubernetes.io/last-applied-configuration"
        for path in ("/apis/apps/v1/namespaces/%s/deployments/front", "/api/v1/namespaces/%s/configmaps/cfg"):
            a = self.obj(path % "mx-c")["metadata"]["annotations"][ann]
            b = self.obj(path % "mx-d")["metadata"]["annotations"][ann]
            self.assertEqual(a.replace("mx-c", "NS"), b.replace("mx-d", "NS"))
        # one after the other: each sees the other's apply as its own
        self.mc("apply", "-f", v1, "-n", "mx-a")
        self.assertIn("deployment.apps/front unchanged", self.kubectl("apply", "-f", v1, "-n", "mx-a").stdout)
        self.kubectl("apply", "-f", v2, "-n", "mx-a")
        self.kubectl("apply", "-f", v1, "-n", "mx-b")
        self.assertIn("deployment.apps/front unchanged", self.mc("apply", "-f", v1, "-n", "mx-b").stdout)
        self.mc("apply", "-f", v2, "-n", "mx-b")
        self.assertIn("deployment.apps/front unchanged", self.mc("apply", "-f", v2, "-n", "mx-a").stdout)
        self.assertIn("deployment.apps/front unchanged", self.kubectl("apply", "-f", v2, "-n", "mx-b").stdout)

        def shape(o):
            o = json.loads(json.dumps(o).replace('"mx-a"', '"NS"').replace('"mx-b"', '"NS"')
                           .replace('\\"mx-a\\"', '\\"NS\\"').replace('\\"mx-b\\"', '\\"NS\\"'))
            m = o["metadata"]
            return {"spec": o.get("spec"), "data": o.get("data"), "labels": m.get("labels"),
                    "annotations": m.get("annotations")}
        for path in ("/apis/apps/v1/namespaces/%s/deployments/front", "/api/v1/namespaces/%s/configmaps/cfg"):
            self.assertEqual(shape(self.obj(path % "mx-a")), shape(self.obj(path % "mx-b")), path)
        d = self.obj("/apis/apps/v1/namespaces/mx-a/deployments/front")
        self.assertEqual(d["spec"]["replicas"], 3)
        self.assertNotIn("env", d["spec"]["template"]["spec"]["containers"][0])

    def test_create_replace_delete(self):
        self.ns("cr")
        f = self.write("cr.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: one, labels: {k: v}}\ndata: {a: '1'}\n")
        self.assertEqual(self.mc("create", "-f", f, "-n", "cr").stdout, "configmap/one created\n")
        p = self.mc("create", "-f", f, "-n", "cr", ok=False)
        self.assertEqual((p.returncode, p.stderr),
                         (1, 'Error from server (AlreadyExists): configmaps "one" already exists\n'))
        f2 = self.write("cr2.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: one, labels: {k: v}}\ndata: {a: '2'}\n")
        self.assertEqual(self.mc("replace", "-f", f2, "-n", "cr").stdout, "configmap/one replaced\n")
        self.assertEqual(self.obj("/api/v1/namespaces/cr/configmaps/one")["data"], {"a": "2"})
        self.assertEqual(self.mc("delete", "-f", f2, "-n", "cr").stdout, 'configmap "one" deleted\n')
        self.mc("create", "configmap", "two", "--from-literal=a=1", "-n", "cr")
        self.mc("create", "configmap", "three", "--from-literal=a=1", "-n", "cr")
        self.mc("label", "cm", "two", "sel=yes", "-n", "cr")
        self.assertEqual(self.mc("delete", "cm", "-l", "sel=yes", "-n", "cr").stdout, 'configmap "two" deleted\n')
        # every namespace also has kube-root-ca.crt, as in Kubernetes
        self.assertEqual(self.mc("delete", "cm", "--all", "-n", "cr").stdout.replace(
            'configmap "kube-root-ca.crt" deleted\n', ""), 'configmap "three" deleted\n')
        p = self.mc("delete", "cm", "ghost", "-n", "cr", ok=False)
        self.assertEqual(p.stderr, 'Error from server (NotFound): configmaps "ghost" not found\n')
        self.assertEqual(self.mc("delete", "cm", "ghost", "-n", "cr", "--ignore-not-found").stdout, "")

    # --- generators and patch verbs -----------------------------------------------------------
    def test_generators(self):
        self.ns("gen")
        out = self.mc("run", "bb", "--image=busybox", "--port=8080", "--env=A=1", "-n", "gen", "--", "sleep", "60").stdout
        self.assertEqual(out, "pod/bb created\n")
        pod = self.obj("/api/v1/namespaces/gen/pods/bb")
        self.assertEqual(pod["metadata"]["labels"], {"run": "bb"})
        c = pod["spec"]["containers"][0]
        self.assertEqual((c["image"], c["args"], c["env"], c["ports"][0]["containerPort"]),
                         ("busybox", ["sleep", "60"], [{"name": "A", "value": "1"}], 8080))
        self.assertEqual(self.mc("create", "deployment", "web", "--image=registry.io/team/nginx:1.25", "--replicas=2",
                                 "--port=80", "-n", "gen").stdout, "deployment.apps/web created\n")
        d = self.obj("/apis/apps/v1/namespaces/gen/deployments/web")
        self.assertEqual(d["spec"]["selector"]["matchLabels"], {"app": "web"})
        self.assertEqual(d["spec"]["template"]["spec"]["containers"][0]["name"], "nginx")
        self.assertEqual(self.mc("create", "secret", "generic", "s", "--from-literal=pw=hunter2", "-n", "gen").stdout,
                         "secret/s created\n")
        self.assertEqual(self.obj("/api/v1/namespaces/gen/secrets/s")["data"], {"pw": "aHVudGVyMg=="})
        src = self.write("app.conf", "x=1\n")
        self.mc("create", "configmap", "files", "--from-file=" + src, "--from-file=other=" + src, "-n", "gen")
        self.assertEqual(self.obj("/api/v1/namespaces/gen/configmaps/files")["data"], {"app.conf": "x=1\n", "other": "x=1\n"})
        self.assertEqual(self.mc("expose", "deployment", "web", "--port=80", "--target-port=8080", "--type=NodePort",
                                 "-n", "gen").stdout, "service/web exposed\n")
        svc = self.obj("/api/v1/namespaces/gen/services/web")
        self.assertEqual(svc["spec"]["selector"], {"app": "web"})
        self.assertEqual((svc["spec"]["type"], svc["spec"]["ports"][0]["port"], svc["spec"]["ports"][0]["targetPort"]),
                         ("NodePort", 80, 8080))
        self.assertEqual(self.mc("scale", "deployment/web", "--replicas=5", "-n", "gen").stdout, "deployment.apps/web scaled\n")
        self.assertEqual(self.obj("/apis/apps/v1/namespaces/gen/deployments/web")["spec"]["replicas"], 5)
        self.assertEqual(self.mc("set", "image", "deployment/web", "nginx=nginx:2", "-n", "gen").stdout,
                         "deployment.apps/web image updated\n")
        self.assertEqual(self.obj("/apis/apps/v1/namespaces/gen/deployments/web")["spec"]["template"]["spec"]
                         ["containers"][0]["image"], "nginx:2")
        p = self.mc("set", "image", "deployment/web", "nope=x", "-n", "gen", ok=False)
        self.assertEqual(p.stderr, 'error: unable to find container named "nope"\n')
        self.assertEqual(self.mc("label", "pod", "bb", "tier=fe", "-n", "gen").stdout, "pod/bb labeled\n")
        p = self.mc("label", "pod", "bb", "tier=be", "-n", "gen", ok=False)
        self.assertEqual(p.stderr, "error: 'tier' already has a value (fe), and --overwrite is false\n")
        self.mc("label", "pod", "bb", "tier=be", "--overwrite", "-n", "gen")
        self.assertEqual(self.obj("/api/v1/namespaces/gen/pods/bb")["metadata"]["labels"]["tier"], "be")
        self.assertEqual(self.mc("label", "pod", "bb", "tier-", "-n", "gen").stdout, "pod/bb unlabeled\n")
        self.assertEqual(self.mc("annotate", "pod/bb", "note=hello world", "-n", "gen").stdout, "pod/bb annotated\n")
        self.assertEqual(self.obj("/api/v1/namespaces/gen/pods/bb")["metadata"]["annotations"]["note"], "hello world")
        out = self.mc("create", "deployment", "dry", "--image=x", "--dry-run=client", "-o", "yaml", "-n", "gen").stdout
        self.assertIn("kind: Deployment", out)
        st, _ = self.api.req("GET", "/apis/apps/v1/namespaces/gen/deployments/dry")
        self.assertEqual(st, 404)

    def test_rollout(self):
        self.ns("ro")
        self.mc("create", "deployment", "web", "--image=nginx:1", "--replicas=2", "-n", "ro")
        base = "/apis/apps/v1/namespaces/ro/deployments/web"
        d = self.obj(base)
        d["status"] = {"observedGeneration": d["metadata"].get("generation", 1), "replicas": 2, "updatedReplicas": 2,
                       "readyReplicas": 2, "availableReplicas": 2}
        st, _ = self.api.req("PUT", base + "/status", d)
        self.assertEqual(st, 200)
        self.assertEqual(self.mc("rollout", "status", "deployment/web", "-n", "ro").stdout,
                         'deployment "web" successfully rolled out\n')
        d = self.obj(base)
        d["status"]["availableReplicas"] = 1
        self.api.req("PUT", base + "/status", d)
        p = self.mc("rollout", "status", "deploy/web", "-n", "ro", "--timeout=1s", ok=False)
        self.assertEqual(p.returncode, 1)
        self.assertIn('Waiting for deployment "web" rollout to finish: 1 of 2 updated replicas are available...', p.stdout)
        # it prints progress while it waits and ends when the rollout does
        proc = subprocess.Popen([MINICTL, "--server", self.api.url, "rollout", "status", "deployment/web", "-n", "ro"],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=self.env)
        try:
            first = proc.stdout.readline()  # the waiting line is out before the rollout completes
            d = self.obj(base)
            d["status"]["availableReplicas"] = 2
            self.assertEqual(self.api.req("PUT", base + "/status", d)[0], 200)
            out, err = proc.communicate(timeout=20)
            out = first + out
        finally:
            proc.kill()
        self.assertEqual((proc.returncode, out, err),
                         (0, 'Waiting for deployment "web" rollout to finish: 1 of 2 updated replicas are available...\n'
                             'deployment "web" successfully rolled out\n', ""))
        # a passed progress deadline ends it with an error, at once
        d = self.obj(base)
        d["status"]["availableReplicas"] = 1
        d["status"]["conditions"] = [{"type": "Progressing", "status": "False", "reason": "ProgressDeadlineExceeded",
                                      "message": 'ReplicaSet "web-1" has timed out progressing.'}]
        self.assertEqual(self.api.req("PUT", base + "/status", d)[0], 200)
        p = self.mc("rollout", "status", "deployment/web", "-n", "ro", "--timeout=30s", ok=False)
        self.assertEqual((p.returncode, p.stderr), (1, 'error: deployment "web" exceeded its progress deadline\n'))
        # two revisions as the deployment controller records them
        for rev, image in ((1, "nginx:0"), (2, "nginx:1")):
            rs = {"apiVersion": "apps/v1", "kind": "ReplicaSet",
                  "metadata": {"name": "web-r%d" % rev, "labels": {"app": "web", "pod-template-hash": "h%d" % rev},
                               "annotations": {"deployment.kubernetes.io/revision": str(rev)},
                               "ownerReferences": [{"apiVersion": "apps/v1", "kind": "Deployment", "name": "web",
                                                    "uid": d["metadata"]["uid"], "controller": True}]},
                  "spec": {"replicas": 0, "selector": {"matchLabels": {"app": "web", "pod-template-hash": "h%d" % rev}},
                           "template": {"metadata": {"labels": {"app": "web", "pod-template-hash": "h%d" % rev}},
                                        "spec": {"containers": [{"name": "nginx", "image": image}]}}}}
            st, o = self.api.req("POST", "/apis/apps/v1/namespaces/ro/replicasets", rs)
            self.assertEqual(st, 201, o)
        out = self.mc("rollout", "history", "deployment/web", "-n", "ro").stdout
        self.assertEqual(out, "deployment.apps/web \nREVISION   CHANGE-CAUSE\n1          <none>\n2          <none>\n\n")
        st, _ = self.api.req("PATCH", base, {"metadata": {"annotations": {"deployment.kubernetes.io/revision": "2"}}},
                             ctype="application/merge-patch+json")
        self.assertEqual(self.mc("rollout", "undo", "deployment/web", "-n", "ro").stdout, "deployment.apps/web rolled back\n")
        self.assertEqual(self.obj(base)["spec"]["template"]["spec"]["containers"][0]["image"], "nginx:0")
        self.assertEqual(self.mc("rollout", "restart", "deployment/web", "-n", "ro").stdout, "deployment.apps/web restarted\n")
        self.assertIn("kubectl.kubernetes.io/restartedAt", self.obj(base)["spec"]["template"]["metadata"]["annotations"])

    # --- describe, logs, wait, nodes --------------------------------------------------------------
    def test_describe_with_events(self):
        self.ns("ds")
        self.mc("run", "web", "--image=nginx", "--labels=app=web", "-n", "ds")
        pod = self.obj("/api/v1/namespaces/ds/pods/web")
        ev = {"apiVersion": "v1", "kind": "Event", "metadata": {"name": "web.1"}, "type": "Normal",
              "reason": "Scheduled", "message": "Successfully assigned ds/web to n1", "count": 1,
              "source": {"component": "default-scheduler"},
              "firstTimestamp": pod["metadata"]["creationTimestamp"], "lastTimestamp": pod["metadata"]["creationTimestamp"],
              "involvedObject": {"kind": "Pod", "name": "web", "namespace": "ds", "uid": pod["metadata"]["uid"]}}
        st, o = self.api.req("POST", "/api/v1/namespaces/ds/events", ev)
        self.assertEqual(st, 201, o)
        out = self.mc("describe", "pod", "web", "-n", "ds").stdout
        for s in ("Name:             web\n", "Namespace:        ds\n", "Labels:           app=web\n",
                  "Containers:\n  web:\n    Image:", "Events:\n  Type    Reason     Age", "default-scheduler  Successfully assigned ds/web to n1"):
            self.assertIn(s, out)
        self.mc("create", "deployment", "d", "--image=nginx", "-n", "ds")
        out = self.mc("describe", "deploy/d", "-n", "ds").stdout
        self.assertIn("Replicas:               1 desired | 0 updated | 0 total | 0 available | 0 unavailable", out)
        self.mc("expose", "deploy", "d", "--port=80", "-n", "ds")
        out = self.mc("describe", "svc", "d", "-n", "ds").stdout
        # aligned on the longest label, "Internal Traffic Policy:" (the apiserver defaults it), as kubectl
        self.assertIn("Selector:                 app=d\nType:                     ClusterIP", out)
        self.assertIn("IP Families:              IPv4\n", out)
        self.assertIn("Internal Traffic Policy:  Cluster\n", out)

    def test_describe_node_lease_pods_and_allocated(self):
        node = {"apiVersion": "v1", "kind": "Node", "metadata": {"name": "rnode"},
                "status": {"capacity": {"pods": "110", "memory": "4Gi", "cpu": "2", "example.com/gpu": "4"},
                           "allocatable": {"cpu": "1900m", "memory": "3917012Ki", "pods": "110", "example.com/gpu": "4"}}}
        self.assertEqual(self.api.req("POST", "/api/v1/nodes", node)[0], 201)
        out = self.mc("describe", "node", "rnode").stdout
        self.assertIn('Unschedulable:      false\nLease:              Failed to get lease: '
                      'leases.coordination.k8s.io "rnode" not found\nAddresses:\nCapacity:\n  cpu:              2\n'
                      '  example.com/gpu:  4\n', out)  # no conditions: no Conditions section; names sorted
        lease = {"apiVersion": "coordination.k8s.io/v1", "kind": "Lease",
                 "metadata": {"name": "rnode", "namespace": "kube-node-lease"},
                 "spec": {"holderIdentity": "rnode", "leaseDurationSeconds": 40,
                          "renewTime": "2024-01-01T00:00:05.123456Z"}}
        self.assertEqual(self.api.req("POST", "/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases",
                                      lease)[0], 201)
        self.ns("rn")

        def pod(name, containers, init=None, node="rnode", phase=None):
            p = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name},
                 "spec": {"nodeName": node, "containers": [{"name": "c%d" % i, "image": "x", "resources": r}
                                                           for i, r in enumerate(containers)]}}
            if init:
                p["spec"]["initContainers"] = [dict({"name": "i%d" % i, "image": "x"}, **c) for i, c in enumerate(init)]
            st, made = self.api.req("POST", "/api/v1/namespaces/rn/pods", p)
            self.assertEqual(st, 201, made)
            if phase:
                made["status"] = {"phase": phase}
                self.assertEqual(self.api.req("PUT", "/api/v1/namespaces/rn/pods/%s/status" % name, made)[0], 200)

        pod("web", [{"requests": {"cpu": "100m", "memory": "64Mi"}, "limits": {"cpu": "500m", "memory": "128Mi"}},
                    {"requests": {"cpu": "0.25", "memory": "100M"}}])
        # init containers: the largest one (with the sidecars started before it) if larger than the containers
        pod("with-init", [{"limits": {"cpu": "1", "memory": "1Gi"}, "requests": {"example.com/gpu": "1"}}],
            init=[{"restartPolicy": "Always", "resources": {"requests": {"cpu": "200m"}}},
                  {"resources": {"requests": {"cpu": "2", "memory": "10Mi", "example.com/gpu": "2"}}}])
        pod("finished", [{"requests": {"cpu": "1"}}], phase="Succeeded")
        pod("elsewhere", [{"requests": {"cpu": "1"}}], node="dnode-other")
        out = self.mc("describe", "node", "rnode").stdout
        self.assertIn("Unschedulable:      false\nLease:\n  HolderIdentity:  rnode\n  AcquireTime:     <unset>\n"
                      "  RenewTime:       Mon, 01 Jan 2024 00:00:05 +0000\nAddresses:\n", out)
        self.assertRegex(out, r"Non-terminated Pods:          \(2 in total\)\n"
                              r"  Namespace                   Name         CPU Requests  CPU Limits  Memory Requests  "
                              r"Memory Limits  Age\n"
                              r"  ---------                   ----         ------------  ----------  ---------------  "
                              r"-------------  ---\n"
                              r"  rn                          web          350m \(18%\)    500m \(26%\)  167108864 \(4%\)   "
                              r"128Mi \(3%\)     \d+s\n"
                              r"  rn                          with-init    2200m \(115%\)  1 \(52%\)     10Mi \(0%\)        "
                              r"1Gi \(26%\)      \d+s\n")
        self.assertIn("Allocated resources:\n  (Total limits may be over 100 percent, i.e., overcommitted.)\n"
                      "  Resource           Requests        Limits\n"
                      "  --------           --------        ------\n"
                      "  cpu                2550m (134%)    1500m (78%)\n"
                      "  memory             177594624 (4%)  1152Mi (30%)\n"
                      "  ephemeral-storage  0 (0%)          0 (0%)\n"
                      "  example.com/gpu    2               0\n"
                      "Events:             ", out)
        if KUBECTL:
            def masked(text):  # the pods' ages may tick between the two runs
                return re.sub(r"(?m)^(  rn .*?)\d+s$", r"\1AGE", text)
            self.assertEqual(masked(out), masked(self.kubectl("describe", "node", "rnode").stdout))

    def test_describe_rs_node_and_events_order(self):
        self.ns("dx")
        rs = {"apiVersion": "apps/v1", "kind": "ReplicaSet", "metadata": {"name": "rs1", "labels": {"app": "r"}},
              "spec": {"replicas": 2, "selector": {"matchLabels": {"app": "r"}},
                       "template": {"metadata": {"labels": {"app": "r"}},
                                    "spec": {"containers": [{"name": "c", "image": "busybox",
                                                             "env": [{"name": "A", "value": "1"}]}]}}}}
        self.assertEqual(self.api.req("POST", "/apis/apps/v1/namespaces/dx/replicasets", rs)[0], 201)
        out = self.mc("describe", "rs", "rs1", "-n", "dx").stdout
        # kubectl's Pod Template layout: container names indented by three spaces, their fields by four
        self.assertIn("Replicas:     0 current / 2 desired\nPods Status:  0 Running / 0 Waiting / 0 Succeeded / 0 Failed\n"
                      "Pod Template:\n  Labels:  app=r\n  Containers:\n   c:\n    Image:      busybox\n", out)
        self.assertIn("    Environment:\n      A:           1\n", out)
        self.assertIn("  Volumes:         <none>\n  Node-Selectors:  <none>\n", out)
        node = {"apiVersion": "v1", "kind": "Node",
                "metadata": {"name": "dnode", "labels": {"node-role.kubernetes.io/worker": ""}},
                "status": {"nodeInfo": {"kubeletVersion": "v1.32.0", "kernelVersion": "6.1"},
                           "conditions": [{"type": "Ready", "status": "True", "reason": "KubeletReady", "message": "ok",
                                           "lastHeartbeatTime": "2024-01-01T00:00:00Z",
                                           "lastTransitionTime": "2023-12-31T00:00:00Z"}]}}
        self.assertEqual(self.api.req("POST", "/api/v1/nodes", node)[0], 201)
        out = self.mc("describe", "node", "dnode").stdout
        self.assertIn("Name:               dnode\nRoles:              worker\n", out)
        self.assertIn("  Type    Status  LastHeartbeatTime                 LastTransitionTime                Reason  "
                      "       Message\n", out)
        self.assertIn("  Ready   True    Mon, 01 Jan 2024 00:00:00 +0000   Sun, 31 Dec 2023 00:00:00 +0000   KubeletReady"
                      "   ok\n", out)
        self.assertIn("  Kernel Version:             6.1\n", out)
        self.assertIn("  Kubelet Version:            v1.32.0\n", out)
        if KUBECTL:
            self.assertEqual(out.split("Conditions:")[1].split("Addresses:")[0],
                             self.kubectl("describe", "node", "dnode").stdout.split("Conditions:")[1].split("Addresses:")[0])
            self.assertEqual(self.mc("describe", "rs", "rs1", "-n", "dx").stdout,
                             self.kubectl("describe", "rs", "rs1", "-n", "dx").stdout)
        # events: by name without --sort-by, by time with it
        for name, ts in (("a-late", "2024-01-02T00:00:00Z"), ("b-early", "2024-01-01T00:00:00Z")):
            ev = {"apiVersion": "v1", "kind": "Event", "metadata": {"name": name}, "type": "Normal", "reason": name,
                  "message": "m", "count": 1, "source": {"component": "x"}, "firstTimestamp": ts, "lastTimestamp": ts,
                  "involvedObject": {"kind": "Pod", "name": "p", "namespace": "dx"}}
            self.assertEqual(self.api.req("POST", "/api/v1/namespaces/dx/events", ev)[0], 201)
        out = self.mc("get", "events", "-n", "dx").stdout.splitlines()
        self.assertEqual(out[0].split(), ["LAST", "SEEN", "TYPE", "REASON", "OBJECT", "MESSAGE"])
        self.assertEqual([l.split()[2] for l in out[1:]], ["a-late", "b-early"])
        out = self.mc("get", "events", "-n", "dx", "--sort-by=.lastTimestamp").stdout.splitlines()
        self.assertEqual([l.split()[2] for l in out[1:]], ["b-early", "a-late"])
        # logs -l matching nothing, and a usage error, as kubectl
        p = self.mc("logs", "-l", "app=none", "-n", "dx")
        self.assertEqual((p.stdout, p.stderr), ("", "No resources found in dx namespace.\n"))
        p = self.mc("scale", "deploy/x", ok=False)
        self.assertEqual(p.returncode, 1)
        self.assertEqual(p.stderr, "error: The --replicas=COUNT flag is required, and COUNT must be greater than or "
                                   "equal to 0\nSee 'minictl scale --help' for usage.\n")

    def test_logs(self):
        kubelet = FakeKubelet(["line one", "line two"], follow_lines=["line three"])
        try:
            st, _ = self.api.req("POST", "/api/v1/nodes", {
                "apiVersion": "v1", "kind": "Node", "metadata": {"name": "logs-node"},
                "status": {"addresses": [{"type": "InternalIP", "address": "127.0.0.1"}],
                           "daemonEndpoints": {"kubeletEndpoint": {"Port": kubelet.port}}}})
            self.assertEqual(st, 201)
            pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "talker"},
                   "spec": {"nodeName": "logs-node", "containers": [{"name": "c", "image": "busybox"}]}}
            self.assertEqual(self.api.req("POST", "/api/v1/namespaces/default/pods", pod)[0], 201)
            self.assertEqual(self.mc("logs", "talker").stdout, "line one\nline two\n")
            self.assertEqual(self.mc("logs", "-f", "talker", "-c", "c").stdout, "line one\nline two\nline three\n")
            self.assertEqual(kubelet.requests[-1][1].get("follow"), ["true"])
            self.mc("logs", "talker", "--tail=1")
            self.assertEqual(kubelet.requests[-1][1].get("tailLines"), ["1"])
        finally:
            kubelet.stop()

    def test_wait(self):
        self.ns("wt")
        self.mc("run", "p", "--image=busybox", "-n", "wt")
        p = self.mc("wait", "--for=condition=Ready", "pod/p", "-n", "wt", "--timeout=1s", ok=False)
        self.assertEqual((p.returncode, p.stderr), (1, "error: timed out waiting for the condition on pods/p\n"))
        pod = self.obj("/api/v1/namespaces/wt/pods/p")
        pod["status"] = {"phase": "Running", "conditions": [{"type": "Ready", "status": "True"}]}
        self.assertEqual(self.api.req("PUT", "/api/v1/namespaces/wt/pods/p/status", pod)[0], 200)
        self.assertEqual(self.mc("wait", "--for=condition=Ready", "pod/p", "-n", "wt").stdout, "pod/p condition met\n")
        self.assertEqual(self.mc("wait", "--for=jsonpath={.status.phase}=Running", "pod/p", "-n", "wt").stdout,
                         "pod/p condition met\n")
        self.mc("delete", "pod", "p", "-n", "wt")
        self.assertEqual(self.mc("wait", "--for=delete", "pod/p", "-n", "wt").stdout, "pod/p deleted\n")

    def test_cordon_drain(self):
        st, _ = self.api.req("POST", "/api/v1/nodes", {"apiVersion": "v1", "kind": "Node", "metadata": {"name": "dn"}})
        self.assertEqual(st, 201)
        self.ns("dr")
        for name, owner in (("free", None), ("ds-pod", "DaemonSet"), ("rs-pod", "ReplicaSet")):
            pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name},
                   "spec": {"nodeName": "dn", "containers": [{"name": "c", "image": "busybox"}]}}
            if owner:
                pod["metadata"]["ownerReferences"] = [{"apiVersion": "apps/v1", "kind": owner, "name": "o",
                                                       "uid": "u-" + name, "controller": True}]
            self.assertEqual(self.api.req("POST", "/api/v1/namespaces/dr/pods", pod)[0], 201)
        self.assertEqual(self.mc("cordon", "dn").stdout, "node/dn cordoned\n")
        self.assertTrue(self.obj("/api/v1/nodes/dn")["spec"]["unschedulable"])
        self.assertEqual(self.mc("cordon", "dn").stdout, "node/dn already cordoned\n")
        self.assertEqual(self.mc("uncordon", "dn").stdout, "node/dn uncordoned\n")
        self.assertFalse(self.obj("/api/v1/nodes/dn")["spec"].get("unschedulable", False))
        p = self.mc("drain", "dn", ok=False)
        self.assertEqual(p.returncode, 1)
        self.assertIn("cannot delete DaemonSet-managed Pods (use --ignore-daemonsets to ignore): dr/ds-pod", p.stderr)
        self.assertIn("cannot delete Pods that declare no controller (use --force to override): dr/free", p.stderr)
        p = self.mc("drain", "dn", "--ignore-daemonsets", "--force", "--grace-period=0", "--timeout=20s")
        self.assertIn("node/dn drained", p.stdout)
        self.assertIn("Warning: ignoring DaemonSet-managed Pods: dr/ds-pod", p.stderr)
        names = self.mc("get", "pods", "-n", "dr", "-o", "name").stdout
        self.assertEqual(names, "pod/ds-pod\n")

    # --- the rest ---------------------------------------------------------------------------------
    def test_info_verbs(self):
        self.assertEqual(self.mc("version").stdout, "Client Version: v1.32.0-minik8s\nServer Version: v1.32.0-minik8s\n")
        self.assertIn("Kubernetes control plane is running at %s" % self.api.url, self.mc("cluster-info").stdout)
        out = self.mc("api-resources").stdout.splitlines()
        self.assertEqual(out[0].split(), ["NAME", "SHORTNAMES", "APIVERSION", "NAMESPACED", "KIND"])
        self.assertTrue(any(l.split() == ["deployments", "deploy", "apps/v1", "true", "Deployment"] for l in out))
        p = self.mc("top", "pods", ok=False)
        self.assertEqual(p.stderr, "error: Metrics API not available\n")
        script = self.mc("completion", "bash", server=False).stdout
        self.assertIn("complete -o default -F _minictl minictl", script)
        self.assertEqual(subprocess.run(["bash", "-n"], input=script, text=True).returncode, 0)
        # completion asks the server for names: pods, then namespaces after -n
        self.ns("cpl")
        self.mc("run", "alpha", "--image=x", "-n", "cpl")
        self.mc("run", "beta", "--image=x", "-n", "cpl")

        def complete(*words):
            words = ["minictl", "--server", self.api.url] + list(words)
            prog = script + '\nCOMP_WORDS=(%s); COMP_CWORD=%d; _minictl; echo "${COMPREPLY[@]}"\n' % (
                " ".join("'%s'" % w for w in words), len(words) - 1)
            env = dict(self.env, PATH=harness.BIN + os.pathsep + os.environ.get("PATH", ""))
            return subprocess.run(["bash"], input=prog, capture_output=True, text=True, env=env, timeout=30).stdout.split()
        self.assertEqual(complete("get", "pods", "-n", "cpl", ""), ["alpha", "beta"])
        self.assertEqual(complete("logs", "-n", "cpl", "b"), ["beta"])
        self.assertIn("cpl", complete("get", "pods", "-n", "c"))
        self.assertIn("deployments", complete("get", "dep"))
        self.assertEqual(complete("rollo"), ["rollout"])

    def test_config_and_kubeconfig(self):
        kc = os.path.join(self.dir, "kubeconfig")
        env = dict(self.env, KUBECONFIG=kc)
        self.ns("cfgns")
        self.mc("create", "configmap", "seen", "-n", "cfgns")
        run = lambda *a, **kw: self.mc(*a, env=env, server=False, **kw)  # noqa: E731
        self.assertEqual(run("config", "set-cluster", "local", "--server=" + self.api.url).stdout, 'Cluster "local" set.\n')
        self.assertEqual(run("config", "set-context", "dev", "--cluster=local", "--namespace=cfgns").stdout,
                         'Context "dev" created.\n')
        self.assertEqual(run("config", "use-context", "dev").stdout, 'Switched to context "dev".\n')
        self.assertEqual(run("config", "current-context").stdout, "dev\n")
        self.assertIn("current-context: dev", run("config", "view").stdout)
        # the namespace comes from the context, the server from the cluster
        self.assertEqual(no_root_ca(run("get", "cm", "-o", "name").stdout), "configmap/seen\n")
        self.assertEqual(run("config", "set-context", "--current", "--namespace=default").stdout, 'Context "dev" modified.\n')
        self.assertNotIn("configmap/seen", run("get", "cm", "-o", "name").stdout)
        self.assertEqual(no_root_ca(run("get", "cm", "-o", "name", "--context", "dev", "-n", "cfgns").stdout),
                         "configmap/seen\n")
        p = run("get", "pods", "--context", "nope", ok=False)
        self.assertIn("context was not found for specified context: nope", p.stderr)
        # kubectl reads what minictl wrote
        if KUBECTL:
            out = subprocess.run([KUBECTL, "--cache-dir", self.cache, "get", "cm", "-n", "cfgns", "-o", "name"],
                                 capture_output=True, text=True, env=env).stdout
            self.assertEqual(no_root_ca(out), "configmap/seen\n")

    def test_kubeconfig_merged_from_kubeconfig_list(self):
        # $KUBECONFIG=a:missing:b is merged as kubectl merges it: an entry comes whole from the first
        # file naming it, current-context from the first file setting it; writes go where kubectl's go.
        d = os.path.join(self.dir, "kcmerge")
        os.makedirs(d, exist_ok=True)
        a, b = os.path.join(d, "a.yaml"), os.path.join(d, "b.yaml")
        with open(a, "w") as f:
            f.write("apiVersion: v1\nkind: Config\nclusters:\n- name: shared\n  cluster: {server: \"%s\"}\n"
                    "contexts:\n- name: ctx-a\n  context: {cluster: shared, namespace: km1}\nusers: []\n" % self.api.url)
        b_text = ("apiVersion: v1\nkind: Config\nclusters:\n- name: shared\n  cluster: {server: \"http://127.0.0.1:1\"}\n"
                  "contexts:\n- name: ctx-b\n  context: {cluster: shared, namespace: km2}\n"
                  "- name: ctx-a\n  context: {cluster: shared, namespace: wrong}\ncurrent-context: ctx-b\n"
                  "users:\n- name: ub\n  user: {token: secret}\n")
        with open(b, "w") as f:
            f.write(b_text)
        env = dict(self.env, KUBECONFIG="%s:%s:%s" % (a, os.path.join(d, "missing.yaml"), b))
        for n in ("km1", "km2"):
            self.ns(n)
            self.mc("create", "configmap", "in-" + n, "-n", n)
        run = lambda *a, **kw: self.mc(*a, env=env, server=False, **kw)  # noqa: E731
        # ctx-b (b's current-context) on a's "shared" cluster: b's unreachable server lost the merge
        self.assertEqual(no_root_ca(run("get", "cm", "-o", "name").stdout), "configmap/in-km2\n")
        self.assertEqual(run("config", "current-context").stdout, "ctx-b\n")
        view = run("config", "view").stdout
        self.assertIn("    server: %s\n  name: shared\n" % self.api.url, view)
        self.assertIn("    namespace: km1\n    user: \"\"\n  name: ctx-a\n", view)
        self.assertIn("current-context: ctx-b\n", view)
        self.assertIn("    token: REDACTED\n", view)
        if KUBECTL:
            kv = subprocess.run([KUBECTL, "config", "view"], capture_output=True, text=True, env=env).stdout
            self.assertEqual(view, kv)
        # use-context writes to the first existing file; set-context to the entry's own file, or the first
        self.assertEqual(run("config", "use-context", "ctx-a").stdout, 'Switched to context "ctx-a".\n')
        self.assertIn("current-context: ctx-a\n", harness_read(a))
        self.assertEqual(harness_read(b), b_text)
        self.assertEqual(no_root_ca(run("get", "cm", "-o", "name").stdout), "configmap/in-km1\n")
        self.assertEqual(run("config", "set-context", "ctx-b", "--namespace=km1").stdout, 'Context "ctx-b" modified.\n')
        self.assertIn("    namespace: km1\n    user: \"\"\n  name: ctx-b\n", harness_read(b))
        self.assertNotIn("ctx-b", harness_read(a))
        self.assertEqual(run("config", "set-context", "fresh", "--cluster=shared").stdout, 'Context "fresh" created.\n')
        self.assertIn("name: fresh", harness_read(a))
        self.assertNotIn("fresh", harness_read(b))
        self.assertEqual(no_root_ca(run("get", "cm", "-o", "name", "--context", "ctx-b").stdout), "configmap/in-km1\n")
        if KUBECTL:
            out = subprocess.run([KUBECTL, "--cache-dir", self.cache, "get", "cm", "-o", "name"], capture_output=True,
                                 text=True, env=env).stdout
            self.assertEqual(no_root_ca(out), "configmap/in-km1\n")

    def test_edit(self):
        self.ns("ed")
        self.mc("create", "configmap", "e", "--from-literal=k=old", "-n", "ed")
        env = dict(self.env, KUBE_EDITOR="sed -i s/old/new/")
        self.assertEqual(self.mc("edit", "cm/e", "-n", "ed", env=env).stdout, "configmap/e edited\n")
        self.assertEqual(self.obj("/api/v1/namespaces/ed/configmaps/e")["data"], {"k": "new"})
        env = dict(self.env, KUBE_EDITOR="true")
        self.assertEqual(self.mc("edit", "cm/e", "-n", "ed", env=env).stdout, "Edit cancelled, no changes made.\n")


if __name__ == "__main__":
    unittest.main(verbosity=2)
