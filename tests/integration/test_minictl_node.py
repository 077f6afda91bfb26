"""minictl against a real kubelet (runs as root, like test_kubelet_pods.py): logs of the current and the previous
run of a restarted container (the previous one, and its lastState, still after a kubelet restart), and -o wide with the node's own
columns."""
import os
import shutil
import signal
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import harness  # noqa: E402
import kubelet_proc  # noqa: E402
from apiserver_proc import Apiserver  # noqa: E402
from etcd_cluster import Cluster  # noqa: E402

KUBECTL = shutil.which("kubectl")
MINICTL = os.path.join(harness.BIN, "minictl")
NS = "/api/v1/namespaces/default"
NODE = "node-mc"


class MinictlNodeTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.etcd = Cluster(size=1).start_all()
        cls.api = Apiserver(cls.etcd.client)
        cls.dir = harness.tempdir("minictl-node-")
        cls.env = dict(os.environ, HOME=cls.dir, KUBECONFIG=os.path.join(cls.dir, "none"))
        cls.kport = harness.free_ports(1)[0]
        cls.start_kubelet("kubelet.log")

    @classmethod
    def start_kubelet(cls, log_name):
        cls.kubelet = kubelet_proc.start(cls.api.url, NODE, cls.kport, os.path.join(cls.dir, "root"),
                                         "minik8s-mc-%d" % os.getpid(), os.path.join(cls.dir, log_name))

    @classmethod
    def tearDownClass(cls):
        problems = kubelet_proc.stop(cls.kubelet, cls.api, NS, "minik8s-mc-%d" % os.getpid())
        cls.api.stop()
        cls.etcd.stop()
        assert not problems, problems

    def mc(self, *args, ok=True):
        p = subprocess.run([MINICTL, "--server", self.api.url] + list(args), capture_output=True, text=True,
                           timeout=60, env=self.env)
        if ok and p.returncode != 0:
            self.fail("minictl %s failed (%d): %s%s" % (" ".join(args), p.returncode, p.stdout, p.stderr))
        return p

    def cstatus(self, name):
        st, p = self.api.req("GET", NS + "/pods/" + name)
        return ((p.get("status") or {}).get("containerStatuses") or [{}])[0] if st == 200 else {}

    def test_logs_previous_after_a_restart(self):
        # Run 1 prints its number and exits once told to; run 2 prints its own and stays up.
        count, go = os.path.join(self.dir, "count"), os.path.join(self.dir, "go")
        script = ("n=$(cat %s 2>/dev/null || echo 0); n=$((n+1)); echo $n > %s; echo \"run $n\"; "
                  "if [ $n -gt 1 ]; then exec sleep 300; fi; "
                  "i=0; while [ ! -e %s ] && [ $i -lt 600 ]; do sleep 0.1; i=$((i+1)); done; exit 1") % (count, count, go)
        pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "counter"},
               "spec": {"nodeName": NODE, "restartPolicy": "Always", "terminationGracePeriodSeconds": 1,
                        "containers": [{"name": "c", "image": "echoserver", "command": ["/bin/sh", "-c", script]}]}}
        st, out = self.api.req("POST", NS + "/pods", pod)
        self.assertEqual(st, 201, out)
        harness.wait_until(lambda: self.mc("logs", "counter", ok=False).stdout == "run 1\n", 15.0, "run 1 logged")
        # no previous run yet: Kubernetes' answer, a 400
        p = self.mc("logs", "counter", "--previous", ok=False)
        self.assertEqual((p.returncode, p.stdout, p.stderr),
                         (1, "", 'Error from server (BadRequest): previous terminated container "c" in pod "counter" '
                                 'not found\n'))
        open(go, "w").close()
        harness.wait_until(lambda: self.cstatus("counter").get("restartCount") == 1, 15.0, "one restart")
        harness.wait_until(lambda: self.mc("logs", "counter", ok=False).stdout == "run 2\n", 15.0, "run 2 logged")
        self.assertEqual(self.mc("logs", "counter", "--previous").stdout, "run 1\n")
        self.assertEqual(self.mc("logs", "-p", "counter", "-c", "c").stdout, "run 1\n")
        self.assertEqual(self.mc("logs", "counter").stdout, "run 2\n")
        if KUBECTL:
            k = subprocess.run([KUBECTL, "--server", self.api.url, "--cache-dir", os.path.join(self.dir, "kc"), "logs",
                                "counter", "--previous"], capture_output=True, text=True, env=self.env, timeout=60)
            self.assertEqual(k.stdout, "run 1\n", k.stderr)

        last = self.cstatus("counter")["lastState"]["terminated"]
        self.assertEqual(last["exitCode"], 1)

        # a restarted kubelet adopts the running container and finds the previous run's log from its file, and
        # its end from the runtime (lastState is wiped meanwhile: only the new kubelet can write it back)
        harness.kill(self.kubelet, signal.SIGTERM)
        st, pod = self.api.req("GET", NS + "/pods/counter")
        self.assertEqual(st, 200, pod)
        pod["status"]["containerStatuses"][0]["lastState"] = {}
        st, out = self.api.req("PUT", NS + "/pods/counter/status", pod)
        self.assertEqual(st, 200, out)
        type(self).start_kubelet("kubelet-2.log")
        harness.wait_until(lambda: self.cstatus("counter").get("lastState", {}).get("terminated"), 15.0,
                           "lastState.terminated written again after the kubelet restart")
        again = self.cstatus("counter")["lastState"]["terminated"]
        self.assertEqual(again["exitCode"], 1)
        for k in ("reason", "startedAt", "finishedAt", "containerID"):
            self.assertEqual(again.get(k), last.get(k), k)
        harness.wait_until(lambda: self.mc("logs", "counter", ok=False).stdout == "run 2\n", 15.0,
                           "run 2 logged after the kubelet restart")
        self.assertEqual(self.mc("logs", "counter", "--previous").stdout, "run 1\n")
        self.assertEqual(self.cstatus("counter").get("restartCount"), 1)

    def test_get_wide_with_a_real_node(self):
        harness.wait_until(lambda: self.api.req("GET", "/api/v1/nodes/" + NODE)[0] == 200, 10.0, "node registered")
        info = self.api.req("GET", "/api/v1/nodes/" + NODE)[1]["status"]["nodeInfo"]
        uname = os.uname()
        self.assertEqual(info["kernelVersion"], uname.release)
        self.assertEqual(info["operatingSystem"], "linux")
        self.assertEqual(info["architecture"], {"x86_64": "amd64", "aarch64": "arm64"}.get(uname.machine, uname.machine))
        self.assertEqual(info["osImage"], os_pretty_name())
        self.assertEqual((info["kubeletVersion"], info["kubeProxyVersion"]), ("v1.32.0-minik8s", "v1.32.0-minik8s"))
        self.assertRegex(info["containerRuntimeVersion"], r"^[a-z]+://")
        for field, path in (("machineID", "/etc/machine-id"), ("bootID", "/proc/sys/kernel/random/boot_id")):
            if os.path.exists(path):
                with open(path) as f:
                    self.assertEqual(info[field], f.read().strip())
        want = {"NAME": NODE, "INTERNAL-IP": "127.0.0.1", "EXTERNAL-IP": "<none>", "OS-IMAGE": info["osImage"],
                "KERNEL-VERSION": info["kernelVersion"], "CONTAINER-RUNTIME": info["containerRuntimeVersion"],
                "VERSION": "v1.32.0-minik8s"}
        out = self.mc("get", "nodes", "-o", "wide").stdout
        self.assertEqual(out.splitlines()[0].split(), ["NAME", "STATUS", "ROLES", "AGE", "VERSION", "INTERNAL-IP",
                                                       "EXTERNAL-IP", "OS-IMAGE", "KERNEL-VERSION", "CONTAINER-RUNTIME"])
        row = columns(out)[0]
        self.assertEqual({k: row[k] for k in want}, want)
        if KUBECTL:
            k = subprocess.run([KUBECTL, "--server", self.api.url, "--cache-dir", os.path.join(self.dir, "kc"), "get",
                                "nodes", "-o", "wide"], capture_output=True, text=True, env=self.env, timeout=60)
            self.assertEqual(k.returncode, 0, k.stderr)
            krow = columns(k.stdout)[0]
            self.assertEqual({c: krow[c] for c in want}, want)


    def test_describe_node_shows_the_kubelets_lease(self):
        lease = "/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/" + NODE
        harness.wait_until(lambda: self.api.req("GET", lease)[0] == 200, 10.0, "lease renewed")
        out = self.mc("describe", "node", NODE).stdout
        self.assertRegex(out, r"\nLease:\n  HolderIdentity:  %s\n  AcquireTime:     <unset>\n"
                              r"  RenewTime:       \w{3}, \d\d \w{3} \d{4} \d\d:\d\d:\d\d \+0000\n" % NODE)
        self.assertRegex(out, r"\nNon-terminated Pods:\s+\(\d+ in total\)\n")
        self.assertRegex(out, r"\n  cpu\s+\d+m? \(\d+%\)\s+\d+m? \(\d+%\)\n")
        self.assertIn("  Operating System:           linux\n", out)

def os_pretty_name():
    for path in ("/etc/os-release", "/usr/lib/os-release"):
        try:
            with open(path) as f:
                for line in f:
                    if line.startswith("PRETTY_NAME="):
                        return line.split("=", 1)[1].strip().strip("\"'")
            return "Linux"
        except OSError:
            pass
    return "Linux"


def columns(text):
    """Rows of a kubectl-style table as dicts, cut at the header's column starts (values may hold spaces)."""
    lines = text.rstrip("\n").splitlines()
    head = lines[0]
    starts = [i for i, ch in enumerate(head) if ch != " " and (i == 0 or head[i - 1] == " ")]
    names = head.split()
    rows = []
    for line in lines[1:]:
        cells = [line[a:b].strip() for a, b in zip(starts, starts[1:] + [None])]
        rows.append(dict(zip(names, cells)))
    return rows

if __name__ == "__main__":
    unittest.main(verbosity=2)
