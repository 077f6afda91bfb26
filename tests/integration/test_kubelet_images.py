"""The kubelet's image store: `kubelet images import` of docker save archives and OCI layouts (built here with
tarfile: two layers, the second whiting out a file of the first), the rootfs it makes, and pods run from the
imported image with its config (Entrypoint/Cmd/Env/WorkingDir/User) as Docker applies it.

The pod part runs as root like the other kubelet tests (it needs the shim's namespaces and setuid); the
import part runs as anyone. If docker answers and has (or `make image` builds) echoserver:latest, that image is
saved, imported and run too.
"""
import gzip
import hashlib
import io
import json
import os
import shutil
import subprocess
import sys
import tarfile
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import harness  # noqa: E402
import kubelet_proc  # noqa: E402

NS = "/api/v1/namespaces/default"
NODE = "node-img"
KUBELET = os.path.join(harness.BIN, "kubelet")
BUSYBOX = "/bin/busybox"
PASSWD = b"root:x:0:0:root:/root:/bin/sh\napp:x:1234:4321::/home/app:/bin/sh\n"
SCRIPT = 'echo "FOO=$FOO BAR=$BAR"; echo "cwd=$(pwd)"; echo "uid=$(id -u) gid=$(id -g)"; echo "args=$0 $*"'
CONFIG = {"architecture": "amd64", "os": "linux",
          "config": {"Entrypoint": ["/bin/sh", "-c"], "Cmd": [SCRIPT],
                     "Env": ["PATH=/bin", "FOO=from-image", "BAR=image"], "WorkingDir": "/work", "User": "app"},
          "rootfs": {"type": "layers", "diff_ids": []}}


def layer_tar(entries, gz=False):
    """A layer: entries of (name, kind, data, mode) with kind file/dir/sym/hard."""
    b = io.BytesIO()
    with tarfile.open(fileobj=b, mode="w", format=tarfile.PAX_FORMAT) as t:
        for name, kind, data, mode in entries:
            ti = tarfile.TarInfo(name)
            ti.mode = mode
            if kind == "dir":
                ti.type = tarfile.DIRTYPE
                t.addfile(ti)
            elif kind == "sym":
                ti.type, ti.linkname = tarfile.SYMTYPE, data
                t.addfile(ti)
            elif kind == "hard":
                ti.type, ti.linkname = tarfile.LNKTYPE, data
                t.addfile(ti)
            else:
                ti.size = len(data)
                t.addfile(ti, io.BytesIO(data))
    raw = b.getvalue()
    return gzip.compress(raw) if gz else raw


def layers():
    with open(BUSYBOX, "rb") as f:
        bb = f.read()
    long_name = "deep/" + "d" * 120 + "/" + "f" * 150
    l1 = layer_tar([("bin", "dir", None, 0o755), ("bin/busybox", "file", bb, 0o755),
                    ("bin/sh", "sym", "busybox", 0o777), ("bin/id", "hard", "bin/busybox", 0o755),
                    ("bin/pwd", "sym", "/bin/busybox", 0o777),
                    ("etc", "dir", None, 0o755), ("etc/passwd", "file", PASSWD, 0o644),
                    ("etc/group", "file", b"root:x:0:\n", 0o644), ("etc/old.conf", "file", b"old", 0o644),
                    ("work", "dir", None, 0o777), ("opq", "dir", None, 0o755), ("opq/lower", "file", b"l", 0o644),
                    (long_name, "file", b"long", 0o600)])
    l2 = layer_tar([("etc/.wh.old.conf", "file", b"", 0o644), ("opq", "dir", None, 0o755),
                    ("opq/.wh..wh..opq", "file", b"", 0o644), ("opq/upper", "file", b"u", 0o644),
                    ("etc/new.conf", "file", b"new", 0o640)], gz=True)
    return l1, l2, long_name


def add(t, name, data):
    ti = tarfile.TarInfo(name)
    ti.size = len(data)
    t.addfile(ti, io.BytesIO(data))


def docker_save(path, tags, config=CONFIG):
    """The legacy docker save layout: <id>/layer.tar, <config id>.json, manifest.json."""
    l1, l2, _ = layers()
    cfg = json.dumps(config).encode()
    cid = hashlib.sha256(cfg).hexdigest()
    with tarfile.open(path, "w") as t:
        add(t, "aaaa/layer.tar", l1)
        add(t, "bbbb/layer.tar", l2)
        add(t, cid + ".json", cfg)
        add(t, "manifest.json", json.dumps([{"Config": cid + ".json", "RepoTags": tags,
                                             "Layers": ["aaaa/layer.tar", "bbbb/layer.tar"]}]).encode())
    return cid


def oci_layout(root, name):
    """An OCI image layout directory: oci-layout, index.json, blobs/sha256/..."""
    l1, l2, _ = layers()
    blobs = os.path.join(root, "blobs", "sha256")
    os.makedirs(blobs)

    def blob(data):
        d = hashlib.sha256(data).hexdigest()
        with open(os.path.join(blobs, d), "wb") as f:
            f.write(data)
        return {"digest": "sha256:" + d, "size": len(data)}
    cfg = blob(json.dumps(CONFIG).encode())
    manifest = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
                "config": dict(cfg, mediaType="application/vnd.oci.image.config.v1+json"),
                "layers": [dict(blob(l1), mediaType="application/vnd.oci.image.layer.v1.tar"),
                           dict(blob(l2), mediaType="application/vnd.oci.image.layer.v1.tar+gzip")]}
    m = blob(json.dumps(manifest).encode())
    with open(os.path.join(root, "oci-layout"), "w") as f:
        json.dump({"imageLayoutVersion": "1.0.0"}, f)
    with open(os.path.join(root, "index.json"), "w") as f:
        json.dump({"schemaVersion": 2, "manifests": [dict(
            m, mediaType="application/vnd.oci.image.manifest.v1+json",
            annotations={"io.containerd.image.name": name, "org.opencontainers.image.ref.name": "latest"})]}, f)
    return cfg["digest"]


def images(*args):
    return subprocess.run([KUBELET, "images"] + list(args), capture_output=True, text=True, timeout=60)


class ImportTest(unittest.TestCase):
    """The store alone: no cluster."""

    def setUp(self):
        self.dir = harness.tempdir("kubelet-images-")
        self.store = os.path.join(self.dir, "store")

    def imp(self, path, *extra):
        p = images("--image-dir", self.store, "import", path, *extra)
        self.assertEqual(p.returncode, 0, p.stderr)
        return p.stdout

    def test_docker_save_rootfs(self):
        arch = os.path.join(self.dir, "demo.tar")
        cid = docker_save(arch, ["docker.io/library/demo:1", "demo:latest"])
        out = self.imp(arch)
        self.assertIn("demo:1 sha256:%s 2 " % cid, out)
        self.assertIn("demo:latest sha256:%s" % cid, out)
        img = os.path.join(self.store, "demo:1")
        rootfs = os.path.join(img, "rootfs")
        _, _, long_name = layers()
        with open(os.path.join(rootfs, long_name)) as f:
            self.assertEqual(f.read(), "long")
        self.assertFalse(os.path.lexists(os.path.join(rootfs, "etc/old.conf")))     # whiteout
        self.assertFalse(os.path.lexists(os.path.join(rootfs, "etc/.wh.old.conf")))
        self.assertEqual(sorted(os.listdir(os.path.join(rootfs, "opq"))), ["upper"])  # opaque dir
        self.assertEqual(os.readlink(os.path.join(rootfs, "bin/sh")), "busybox")
        self.assertEqual(os.readlink(os.path.join(rootfs, "bin/pwd")), "/bin/busybox")
        self.assertEqual(os.stat(os.path.join(rootfs, "bin/id")).st_ino,
                         os.stat(os.path.join(rootfs, "bin/busybox")).st_ino)
        self.assertEqual(os.stat(os.path.join(rootfs, "etc/new.conf")).st_mode & 0o777, 0o640)
        self.assertEqual(os.stat(os.path.join(rootfs, "work")).st_mode & 0o777, 0o777)
        with open(os.path.join(img, "image.json")) as f:
            meta = json.load(f)
        self.assertEqual(meta["config"]["Entrypoint"], ["/bin/sh", "-c"])
        self.assertEqual(meta["config"]["WorkingDir"], "/work")
        self.assertEqual(os.readlink(os.path.join(self.store, "demo:latest")), "demo:1")
        lst = images("--image-dir", self.store, "list").stdout
        self.assertRegex(lst, r"demo:1\s+%s" % cid[:12])
        self.assertRegex(lst, r"demo:latest\s+%s\s+\S+\s+demo:1" % cid[:12])
        # nothing left of the import's scratch
        self.assertEqual(sorted(os.listdir(self.store)), ["demo:1", "demo:latest"])

    def test_reimport_replaces_and_remove(self):
        arch = os.path.join(self.dir, "a.tar")
        docker_save(arch, ["app:v1"])
        self.imp(arch)
        marker = os.path.join(self.store, "app:v1", "rootfs", "marker")
        open(marker, "w").close()
        cfg = json.loads(json.dumps(CONFIG))
        cfg["config"]["Cmd"] = ["echo second"]
        docker_save(arch, ["app:v1"], cfg)
        self.imp(arch)
        self.assertFalse(os.path.exists(marker))  # a fresh rootfs, not the old one patched
        with open(os.path.join(self.store, "app:v1", "image.json")) as f:
            self.assertEqual(json.load(f)["config"]["Cmd"], ["echo second"])
        self.assertEqual(sorted(os.listdir(self.store)), ["app:v1"])
        p = images("--image-dir", self.store, "remove", "app:v1")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(os.listdir(self.store), [])
        p = images("--image-dir", self.store, "remove", "app:v1")
        self.assertEqual(p.returncode, 1)
        self.assertIn("no such image", p.stderr)

    def test_oci_layout_dir_and_tar(self):
        lay = os.path.join(self.dir, "layout")
        os.makedirs(lay)
        digest = oci_layout(lay, "docker.io/library/ocidemo:2")
        self.assertIn("ocidemo:2 %s 2 " % digest, self.imp(lay))
        self.assertEqual(sorted(os.listdir(os.path.join(self.store, "ocidemo:2", "rootfs", "opq"))), ["upper"])
        arch = os.path.join(self.dir, "layout.tar")
        with tarfile.open(arch, "w") as t:
            t.add(lay, arcname=".")
        self.assertIn("other/name:3", self.imp(arch, "--tag", "quay.io/other/name:3"))
        self.assertTrue(os.path.isdir(os.path.join(self.store, "quay.io+other+name:3", "rootfs", "bin")))

    def test_docker25_save_layout(self):
        """Docker 25+ writes an OCI layout plus a manifest.json whose paths are blobs."""
        lay = os.path.join(self.dir, "d25")
        os.makedirs(lay)
        digest = oci_layout(lay, "docker.io/library/d25:latest")
        with open(os.path.join(lay, "index.json")) as f:
            m = json.load(f)["manifests"][0]["digest"].split(":")[1]
        with open(os.path.join(lay, "blobs", "sha256", m)) as f:
            man = json.load(f)
        with open(os.path.join(lay, "manifest.json"), "w") as f:
            json.dump([{"Config": "blobs/sha256/" + man["config"]["digest"].split(":")[1], "RepoTags": ["d25:latest"],
                        "Layers": ["blobs/sha256/" + l["digest"].split(":")[1] for l in man["layers"]]}], f)
        arch = os.path.join(self.dir, "d25.tar")
        with tarfile.open(arch, "w") as t:
            for n in sorted(os.listdir(lay)):
                t.add(os.path.join(lay, n), arcname=n)
        self.assertIn("d25:latest %s 2 " % digest, self.imp(arch))
        self.assertFalse(os.path.lexists(os.path.join(self.store, "d25:latest", "rootfs", "etc", "old.conf")))

    def test_no_name_needs_tag(self):
        arch = os.path.join(self.dir, "untagged.tar")
        docker_save(arch, None)
        p = images("--image-dir", self.store, "import", arch)
        self.assertEqual(p.returncode, 1)
        self.assertIn("--tag", p.stderr)
        self.assertIn("untagged:latest", self.imp(arch, "--tag", "untagged"))

    def test_bad_archives_fail_cleanly(self):
        junk = os.path.join(self.dir, "junk.tar")
        with open(junk, "wb") as f:
            f.write(b"this is not a tar archive at all" * 40)
        p = images("--image-dir", self.store, "import", junk)
        self.assertEqual(p.returncode, 1)
        self.assertIn("junk.tar", p.stderr)
        good = os.path.join(self.dir, "good.tar")
        docker_save(good, ["cut:1"])
        with open(good, "rb") as f:
            data = f.read()
        cut = os.path.join(self.dir, "cut.tar")
        with open(cut, "wb") as f:
            f.write(data[:len(data) // 2 + 100])
        p = images("--image-dir", self.store, "import", cut)
        self.assertEqual(p.returncode, 1)
        # a layer escaping its root is refused
        evil = os.path.join(self.dir, "evil.tar")
        bad = layer_tar([("../../escaped", "file", b"x", 0o644)])
        cfg = json.dumps(CONFIG).encode()
        with tarfile.open(evil, "w") as t:
            add(t, "l/layer.tar", bad)
            add(t, "c.json", cfg)
            add(t, "manifest.json", json.dumps([{"Config": "c.json", "RepoTags": ["evil:1"],
                                                 "Layers": ["l/layer.tar"]}]).encode())
        p = images("--image-dir", self.store, "import", evil)
        self.assertEqual(p.returncode, 1)
        self.assertIn("refused", p.stderr)
        self.assertFalse(os.path.exists(os.path.join(self.dir, "escaped")))
        self.assertEqual([n for n in os.listdir(self.store)], [])  # no scratch left behind


def docker_ok():
    if not shutil.which("docker"):
        return False
    try:
        return subprocess.run(["docker", "info"], capture_output=True, timeout=20).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


@unittest.skipUnless(os.geteuid() == 0, "pods from images need root (namespaces, pivot_root, setuid)")
class PodFromImageTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        from apiserver_proc import Apiserver
        from etcd_cluster import Cluster
        cls.dir = harness.tempdir("kubelet-images-pods-")
        cls.store = os.path.join(cls.dir, "store")
        arch = os.path.join(cls.dir, "demo.tar")
        docker_save(arch, ["demo:1"])
        p = images("--image-dir", cls.store, "import", arch)
        assert p.returncode == 0, p.stderr
        cls.etcd = Cluster(size=1).start_all()
        cls.api = Apiserver(cls.etcd.client)
        cls.root = os.path.join(cls.dir, "root")
        cls.kport = harness.free_ports(1)[0]
        cls.cgroup = "minik8s-img-%d" % os.getpid()
        cls.kubelet = kubelet_proc.start(cls.api.url, NODE, cls.kport, cls.root, cls.cgroup,
                                         os.path.join(cls.dir, "kubelet.log"), ["--image-dir", cls.store])

    @classmethod
    def tearDownClass(cls):
        problems = kubelet_proc.stop(cls.kubelet, cls.api, NS, cls.cgroup)
        cls.api.stop()
        cls.etcd.stop()
        assert not problems, problems

    def get(self, name):
        st, p = self.api.req("GET", NS + "/pods/" + name)
        return p if st == 200 else None

    def run_pod(self, name, container, policy="Never"):
        obj = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name},
               "spec": {"nodeName": NODE, "terminationGracePeriodSeconds": 1, "restartPolicy": policy,
                        "containers": [container]}}
        st, out = self.api.req("POST", NS + "/pods", obj)
        self.assertEqual(st, 201, out)

    def phase(self, name):
        return (self.get(name) or {}).get("status", {}).get("phase")

    def log(self, name, container):
        uid = self.get(name)["metadata"]["uid"]
        path = os.path.join(self.root, "pods", uid, "logs", container, "0.log")
        try:
            with open(path) as f:
                return "\n".join(line.rstrip("\n").split(" ", 3)[3] for line in f if line.count(" ") >= 3)
        except OSError:
            return ""

    def status(self, name):
        """The pod's container status and its shim's records, for failure messages."""
        p = self.get(name) or {}
        uid = p.get("metadata", {}).get("uid", "")
        cdir = os.path.join(self.root, "pods", uid, "containers")
        out = [json.dumps(p.get("status", {}).get("containerStatuses"))]
        for d in sorted(os.listdir(cdir)) if os.path.isdir(cdir) else []:
            for f in ("exit.json", "shim.log"):
                try:
                    with open(os.path.join(cdir, d, f)) as fh:
                        out.append("%s/%s: %s" % (d, f, fh.read()))
                except OSError:
                    pass
        return "\n".join(out)

    def delete(self, name):
        self.api.req("DELETE", NS + "/pods/" + name)
        harness.wait_until(lambda: self.get(name) is None, 15.0, "pod %s removed" % name)

    def test_image_config_applies(self):
        self.run_pod("cfg", {"name": "c", "image": "docker.io/library/demo:1", "imagePullPolicy": "Never",
                             "env": [{"name": "BAR", "value": "pod"}]})
        harness.wait_until(lambda: self.phase("cfg") in ("Succeeded", "Failed"), 20.0, "pod cfg done")
        out = self.log("cfg", "c")
        self.assertEqual(self.phase("cfg"), "Succeeded", out + self.status("cfg"))
        self.assertIn("FOO=from-image BAR=pod", out)  # image Env under the container's
        self.assertIn("cwd=/work", out)               # WorkingDir
        self.assertIn("uid=1234 gid=4321", out)       # User resolved from the image's /etc/passwd
        self.delete("cfg")

    def test_args_replace_cmd_command_replaces_entrypoint(self):
        self.run_pod("args", {"name": "c", "image": "demo:1", "imagePullPolicy": "Never",
                              "args": ['echo "args-run FOO=$FOO"']})
        self.run_pod("cmd", {"name": "c", "image": "demo:1", "imagePullPolicy": "Never", "workingDir": "/etc",
                             "command": ["/bin/busybox", "sh", "-c", "echo cmd-run $(pwd)"]})
        try:
            harness.wait_until(lambda: self.phase("args") == "Succeeded" and self.phase("cmd") == "Succeeded",
                               20.0, "pods args and cmd done")
        except AssertionError:
            self.fail("%s\n%s\n%s" % (self.status("args"), self.status("cmd"), self.log("args", "c")))
        self.assertIn("args-run FOO=from-image", self.log("args", "c"))
        self.assertIn("cmd-run /etc", self.log("cmd", "c"))
        self.delete("args")
        self.delete("cmd")

    def test_missing_image_reasons(self):
        self.run_pod("never", {"name": "c", "image": "nope:1", "imagePullPolicy": "Never"})

        def waiting():
            cs = ((self.get("never") or {}).get("status", {}).get("containerStatuses") or [{}])[0]
            return cs.get("state", {}).get("waiting", {})
        harness.wait_until(lambda: waiting().get("reason") == "ErrImageNeverPull", 10.0, "ErrImageNeverPull")
        self.assertIn("nope:1", waiting()["message"])
        self.delete("never")

    def test_docker_echoserver(self):
        if not docker_ok():
            self.skipTest("docker does not answer here")
        have = subprocess.run(["docker", "image", "inspect", "echoserver:latest"], capture_output=True,
                              timeout=30).returncode == 0
        if not have:
            build = subprocess.run([os.path.join(harness.ROOT, "deploy", "image.sh")], cwd=harness.ROOT,
                                   capture_output=True, text=True, timeout=600)
            if build.returncode != 0:
                self.skipTest("no echoserver:latest and `make image` could not build it: %s"
                              % (build.stderr or build.stdout).strip()[-300:])
        arch = os.path.join(self.dir, "echoserver.tar")
        subprocess.run(["docker", "save", "-o", arch, "echoserver:latest"], check=True, timeout=120)
        p = images("--image-dir", self.store, "import", arch)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("echoserver:latest", p.stdout)
        self.assertTrue(os.path.isfile(os.path.join(self.store, "echoserver:latest", "rootfs", "bin", "echoserver")))
        port = harness.free_ports(1)[0]
        self.run_pod("echo", {"name": "echo", "image": "echoserver", "args": ["--port", str(port)]},
                     policy="Always")
        harness.wait_until(lambda: harness.http("GET", "http://127.0.0.1:%d/healthz" % port, timeout=1.0)[0] == 200,
                           20.0, "echoserver from the imported image answers")
        with open(os.path.join(self.root, "pods", self.get("echo")["metadata"]["uid"], "containers",
                               "echo-0", "config.json")) as f:
            spec = json.load(f)
        self.assertTrue(spec["rootfs"].endswith("/echoserver:latest/rootfs"), spec)  # not the host binary
        self.delete("echo")


if __name__ == "__main__":
    unittest.main()
