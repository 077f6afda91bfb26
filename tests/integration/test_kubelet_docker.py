"""The kubelet's docker runtime on a real Docker Engine: an echoserver pod on the docker bridge (its IP,
curl, pods/log), an exec readiness probe through the exec API, a liveness failure restarting it, image
pull policies, adoption after kill -9 of the kubelet, delete leaving no container behind, spec.hostname/subdomain,
and a pod whose sandbox dies coming back whole in a new one, from its init container.

Needs `docker info` to answer and the local images echoserver:latest and minik8s:latest (make image);
otherwise prints SKIPPED with the reason. Every container made carries the label
io.minik8s.node=<this test's node> and all of them are removed at the end, whatever happens.
"""
import json
import os
import subprocess
import sys
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import harness  # noqa: E402
from apiserver_proc import Apiserver  # noqa: E402
from etcd_cluster import Cluster  # noqa: E402

NS = "/api/v1/namespaces/default"
NODE = "dkr-%d" % os.getpid()
IMAGES = ("echoserver:latest", "minik8s:latest")


def docker(*args, timeout=60):
    return subprocess.run(["docker"] + list(args), capture_output=True, text=True, timeout=timeout)


def skip_reason():
    try:
        if docker("info", "--format", "{{.ServerVersion}}", timeout=20).returncode != 0:
            return "docker info does not answer"
    except (OSError, subprocess.TimeoutExpired) as e:
        return "docker not usable: %s" % e
    for img in IMAGES:
        if docker("image", "inspect", img).returncode != 0:
            return "image %s missing (make image)" % img
    return None


def containers(label, all_states=True):
    """Names of the containers carrying label (k=v)."""
    args = ["ps", "--format", "{{.Names}}", "--filter", "label=" + label]
    if all_states:
        args.insert(1, "-a")
    r = docker(*args)
    return [n for n in r.stdout.split() if n]


def text(out):
    if isinstance(out, (bytes, bytearray)):
        return out.decode(errors="replace")
    return out if isinstance(out, str) else json.dumps(out)


def remove_all():
    names = containers("io.minik8s.node=" + NODE)
    if names:
        docker("rm", "-f", *names)


class DockerKubeletTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.etcd = Cluster(size=1).start_all()
        cls.api = Apiserver(cls.etcd.client)
        cls.dir = harness.tempdir("kubelet-docker-")
        cls.root = os.path.join(cls.dir, "root")
        cls.kport = harness.free_ports(1)[0]
        cls.kubelet = None
        cls.start_kubelet()

    @classmethod
    def start_kubelet(cls):
        cls.kubelet = harness.start(
            [os.path.join(harness.BIN, "kubelet"), "--master", cls.api.url, "--hostname-override", NODE,
             "--node-ip", "127.0.0.1", "--bind-address", "127.0.0.1", "--port", str(cls.kport), "--root-dir",
             cls.root, "--container-runtime", "docker", "--restart-backoff", "500ms",
             "--node-status-update-frequency", "2s"], os.path.join(cls.dir, "kubelet.log"))
        harness.wait_until(lambda: harness.http("GET", "http://127.0.0.1:%d/healthz" % cls.kport,
                                                timeout=1.0)[0] == 200, 20.0, "kubelet up")

    @classmethod
    def tearDownClass(cls):
        try:
            for p in (cls.api.req("GET", NS + "/pods")[1] or {}).get("items", []):
                cls.api.req("DELETE", NS + "/pods/" + p["metadata"]["name"])
            harness.wait_until(lambda: not cls.api.req("GET", NS + "/pods")[1]["items"], 30.0, "pods gone")
        except Exception:
            pass
        finally:
            problems = harness.stop_problems(cls.kubelet) if cls.kubelet else []
            remove_all()
            cls.api.stop()
            cls.etcd.stop()
            assert not problems, problems

    # ---- helpers ----

    def get(self, name):
        st, p = self.api.req("GET", NS + "/pods/" + name)
        return p if st == 200 else None

    def create(self, name, containers_, **spec):
        body = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name},
                "spec": dict({"nodeName": NODE, "terminationGracePeriodSeconds": 2, "containers": containers_}, **spec)}
        st, out = self.api.req("POST", NS + "/pods", body)
        self.assertEqual(st, 201, out)
        return out["metadata"]["uid"]

    def delete(self, name, uid):
        self.api.req("DELETE", NS + "/pods/" + name)
        harness.wait_until(lambda: self.get(name) is None, 30.0, "pod %s removed" % name)
        harness.wait_until(lambda: not containers("io.kubernetes.pod.uid=" + uid), 30.0,
                           "containers of %s removed" % name)

    def cstatus(self, name, i=0):
        lst = (self.get(name) or {}).get("status", {}).get("containerStatuses") or [{}]
        return lst[i] if i < len(lst) else {}

    def cond(self, name, ctype):
        for c in (self.get(name) or {}).get("status", {}).get("conditions", []):
            if c["type"] == ctype:
                return c["status"]
        return None

    def waiting(self, name):
        return self.cstatus(name).get("state", {}).get("waiting", {})

    def running_ctrs(self, uid):
        return containers("io.kubernetes.pod.uid=" + uid, all_states=False)

    # ---- the scenario ----

    def test_echoserver_pod_lifecycle(self):
        # the delay: a loaded machine may take over a second to start the server, which is no failure
        liveness = {"httpGet": {"path": "/healthz", "port": 8080}, "periodSeconds": 1, "failureThreshold": 1,
                    "initialDelaySeconds": 3}
        env = [{"name": "POD_NAME", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}},
               {"name": "POD_IP", "valueFrom": {"fieldRef": {"fieldPath": "status.podIP"}}}]
        uid = self.create("web", [{"name": "echo", "image": "echoserver:latest", "imagePullPolicy": "IfNotPresent",
                                   "env": env, "livenessProbe": liveness,
                                   "resources": {"limits": {"memory": "64Mi", "cpu": "500m"}}}])
        harness.wait_until(lambda: (self.get("web") or {}).get("status", {}).get("phase") == "Running" and
                           self.cstatus("web").get("ready"), 60.0, "web Running and ready")
        ip = self.get("web")["status"]["podIP"]
        sandbox = [n for n in self.running_ctrs(uid) if n.startswith("mk8s_POD_")]
        self.assertEqual(len(sandbox), 1, self.running_ctrs(uid))
        want_ip = docker("inspect", "-f", "{{.NetworkSettings.Networks.bridge.IPAddress}}", sandbox[0]).stdout.strip()
        self.assertEqual(ip, want_ip)
        self.assertNotEqual(ip, "127.0.0.1")

        # the container: labels, resources, and it answers on the pod's IP
        echo = [n for n in self.running_ctrs(uid) if n.startswith("mk8s_echo_")]
        self.assertEqual(len(echo), 1)
        info = json.loads(docker("inspect", echo[0]).stdout)[0]
        labels = info["Config"]["Labels"]
        self.assertEqual(labels["io.kubernetes.pod.name"], "web")
        self.assertEqual(labels["io.kubernetes.pod.namespace"], "default")
        self.assertEqual(labels["io.kubernetes.container.name"], "echo")
        self.assertEqual(info["HostConfig"]["Memory"], 64 << 20)
        self.assertEqual(info["HostConfig"]["NanoCpus"], 500000000)
        st, body = harness.http("GET", "http://%s:8080/hello" % ip, timeout=3)
        self.assertEqual(st, 200)
        self.assertIn("ip: " + ip, text(body))
        self.assertIn("pod: web", text(body))

        # its output through the apiserver's pods/log (kubelet /containerLogs over the CRI file)
        def logged():
            st, out = self.api.req("GET", NS + "/pods/web/log")
            return st == 200 and "/hello" in text(out)
        harness.wait_until(logged, 15.0, "GET /hello in pods/log")

        # a failing liveness probe restarts it: a new container, restartCount grows
        first_id = self.cstatus("web").get("containerID")
        harness.http("GET", "http://%s:8080/fail" % ip, timeout=3)
        harness.wait_until(lambda: self.cstatus("web").get("restartCount", 0) >= 1 and
                           self.cstatus("web").get("state", {}).get("running"), 60.0, "restarted after liveness")
        self.assertNotEqual(self.cstatus("web").get("containerID"), first_id)
        self.assertEqual(first_id, "docker://" + echo[0])
        self.assertEqual(len([n for n in self.running_ctrs(uid) if n.startswith("mk8s_echo_")]), 1)
        harness.wait_until(lambda: harness.http("GET", "http://%s:8080/healthz" % ip, timeout=1)[0] == 200,
                           20.0, "restarted container serving")

        # kill -9 of the kubelet: the new one adopts the running container, no duplicate
        before = sorted(self.running_ctrs(uid))
        restarts = self.cstatus("web")["restartCount"]
        harness.kill(self.__class__.kubelet)
        self.__class__.start_kubelet()
        harness.wait_until(lambda: "adopted" in harness.tail(os.path.join(self.dir, "kubelet.log"), 200),
                           20.0, "adoption logged")
        end = time.time() + 4  # several sync ticks and probe periods: nothing new may start
        while time.time() < end:
            self.assertEqual(sorted(self.running_ctrs(uid)), before)
            time.sleep(0.5)
        self.assertEqual(self.cstatus("web")["restartCount"], restarts)
        self.assertEqual(harness.http("GET", "http://%s:8080/" % ip, timeout=3)[0], 200)

        self.delete("web", uid)

    def test_exec_probe_and_args(self):
        # minik8s:latest has busybox: command replaces the entrypoint, the exec probe runs through docker exec
        probe = {"exec": {"command": ["cat", "/tmp/ready"]}, "periodSeconds": 1, "failureThreshold": 1}
        uid = self.create("box", [{"name": "sh", "image": "minik8s:latest", "imagePullPolicy": "Never",
                                   "command": ["sh", "-c"], "args": ["echo started; exec sleep 3600"],
                                   "workingDir": "/tmp", "readinessProbe": probe}])
        harness.wait_until(lambda: self.cstatus("box").get("state", {}).get("running"), 60.0, "box running")
        time.sleep(2)  # a few probe periods: the file is not there, so it must stay unready
        self.assertFalse(self.cstatus("box").get("ready"))
        name = [n for n in self.running_ctrs(uid) if n.startswith("mk8s_sh_")][0]
        info = json.loads(docker("inspect", name).stdout)[0]
        self.assertEqual(info["Path"], "sh")
        self.assertEqual(info["Args"], ["-c", "echo started; exec sleep 3600"])
        self.assertEqual(info["Config"]["WorkingDir"], "/tmp")
        self.assertEqual(docker("exec", name, "touch", "/tmp/ready").returncode, 0)
        harness.wait_until(lambda: self.cstatus("box").get("ready"), 15.0, "ready after the file appeared")
        st, out = self.api.req("GET", NS + "/pods/box/log")
        self.assertIn("started", text(out))
        self.delete("box", uid)

    def test_image_pull_policies(self):
        uid_never = self.create("never", [{"name": "c", "image": "minik8s-absent:1.0", "imagePullPolicy": "Never"}])
        uid_pull = self.create("pull", [{"name": "c", "image": "minik8s-absent:1.0",
                                         "imagePullPolicy": "IfNotPresent"}])
        harness.wait_until(lambda: self.waiting("never").get("reason") == "ErrImageNeverPull", 30.0,
                           "ErrImageNeverPull")
        harness.wait_until(lambda: self.waiting("pull").get("reason") in ("ErrImagePull", "ImagePullBackOff"),
                           90.0, "ErrImagePull")
        self.assertIn("minik8s-absent", self.waiting("pull").get("message", ""))
        # the pull is tried again after Kubernetes' image back-off: 10 s, then doubling (20 s next)
        log = os.path.join(self.dir, "kubelet.log")
        harness.wait_until(lambda: self.waiting("pull").get("reason") == "ImagePullBackOff" and
                           "minik8s-absent:1.0" in harness.tail(log, 400) and
                           "(next pull in 20s)" in harness.tail(log, 400), 40.0, "second pull failed, 20 s back-off")
        self.assertIn("(next pull in 10s)", harness.tail(log, 400))
        self.delete("never", uid_never)
        self.delete("pull", uid_pull)

    def test_pod_deleted_while_kubelet_down_is_removed(self):
        uid = self.create("gone", [{"name": "sh", "image": "minik8s:latest", "imagePullPolicy": "Never",
                                    "command": ["sleep", "3600"]}])
        harness.wait_until(lambda: self.cstatus("gone").get("state", {}).get("running"), 60.0, "gone running")
        self.assertEqual(len(self.running_ctrs(uid)), 2)  # the sandbox and sh
        harness.kill(self.__class__.kubelet)
        st, out = self.api.req("DELETE", NS + "/pods/gone?gracePeriodSeconds=0")
        self.assertEqual(st, 200, out)
        harness.wait_until(lambda: self.get("gone") is None, 10.0, "pod gone from the apiserver")
        self.assertEqual(len(self.running_ctrs(uid)), 2)
        self.__class__.start_kubelet()
        harness.wait_until(lambda: not containers("io.kubernetes.pod.uid=" + uid), 30.0,
                           "the deleted pod's containers removed by the new kubelet")

    def test_sandbox_death_restarts_the_pod(self):
        env = [{"name": "POD_IP", "valueFrom": {"fieldRef": {"fieldPath": "status.podIP"}}}]
        # the init container and sh note each start in a hostPath file: the order of the runs shows
        marks = os.path.join(self.dir, "phoenix-marks")
        mount = [{"name": "marks", "mountPath": "/marks"}]
        init = {"name": "init", "image": "minik8s:latest", "imagePullPolicy": "Never", "volumeMounts": mount,
                "command": ["sh", "-c", "echo init >> /marks/log"]}
        uid = self.create("phoenix", [{"name": "echo", "image": "echoserver:latest", "imagePullPolicy": "Never",
                                       "env": env},
                                      {"name": "sh", "image": "minik8s:latest", "imagePullPolicy": "Never",
                                       "volumeMounts": mount,
                                       "command": ["sh", "-c", "echo sh >> /marks/log; exec sleep 3600"]}],
                          hostname="alpha", subdomain="grp", initContainers=[init],
                          volumes=[{"name": "marks", "hostPath": {"path": marks, "type": "DirectoryOrCreate"}}])

        def marked():
            try:
                with open(os.path.join(marks, "log")) as f:
                    return f.read()
            except OSError:
                return ""

        def statuses():
            p = self.get("phoenix") or {}
            return {c["name"]: c for c in p.get("status", {}).get("containerStatuses") or []}

        def sandbox():
            return [n for n in containers("io.kubernetes.pod.uid=" + uid) if n.startswith("mk8s_POD_")]

        def sandbox_ip_and_id():
            r = docker("inspect", "-f", "{{.State.Running}} {{.NetworkSettings.Networks.bridge.IPAddress}} {{.Id}}",
                       sandbox()[0])
            f = r.stdout.split()
            return (f[1], f[2]) if r.returncode == 0 and len(f) == 3 and f[0] == "true" else (None, None)

        def serving(restarts):
            sts = statuses()
            ip = (self.get("phoenix") or {}).get("status", {}).get("podIP")
            return (len(sts) == 2 and all(c.get("state", {}).get("running") and c.get("restartCount", 0) >= restarts
                                          for c in sts.values()) and ip and ip == sandbox_ip_and_id()[0])
        harness.wait_until(lambda: serving(0), 60.0, "phoenix running")
        self.assertEqual(marked(), "init\nsh\n")
        ip, box_id = sandbox_ip_and_id()
        # spec.hostname names the sandbox (its UTS namespace, which docker gives the pod's containers) and
        # spec.subdomain adds the FQDN to /etc/hosts
        st, body = harness.http("GET", "http://%s:8080/" % ip, timeout=3)
        self.assertEqual(st, 200)
        self.assertIn("hostname: alpha\n", text(body))
        sh = [n for n in self.running_ctrs(uid) if n.startswith("mk8s_sh_")][0]
        self.assertIn("%s\talpha.grp.default.svc.cluster.local\talpha\n" % ip, docker("exec", sh, "cat", "/etc/hosts").stdout)

        # the sandbox dies: its network goes with it; the kubelet kills the containers left in it and starts
        # the pod again in a new sandbox from its init container (restartCount grows), as Kubernetes' does when
        # a pod's sandbox changed
        self.assertEqual(docker("kill", sandbox()[0]).returncode, 0)
        harness.wait_until(lambda: serving(1) and sandbox_ip_and_id()[1] not in (None, box_id), 60.0,
                           "phoenix back in a new sandbox")
        new_ip = self.get("phoenix")["status"]["podIP"]
        st, body = harness.http("GET", "http://%s:8080/" % new_ip, timeout=3)
        self.assertEqual(st, 200)
        self.assertIn("ip: " + new_ip, text(body))
        self.assertIn("hostname: alpha\n", text(body))
        for c in statuses().values():
            self.assertEqual(c["restartCount"], 1, c)
            self.assertEqual(c["lastState"]["terminated"]["exitCode"], 137, c)
        self.assertEqual(marked(), "init\nsh\ninit\nsh\n")  # the init container ran again, before sh
        init_st = self.get("phoenix")["status"]["initContainerStatuses"][0]
        self.assertEqual((init_st["restartCount"], init_st["state"]["terminated"]["exitCode"]), (1, 0), init_st)
        running = self.running_ctrs(uid)
        self.assertEqual(len(running), 3, running)  # the new sandbox, echo and sh: the old ones are down
        self.delete("phoenix", uid)


def main():
    why = skip_reason()
    if why:
        print("kubelet docker: SKIPPED: " + why)
        return 0
    try:
        prog = unittest.main(verbosity=2, exit=False)
        return 0 if prog.result.wasSuccessful() else 1
    finally:
        remove_all()


if __name__ == "__main__":
    sys.exit(main())
