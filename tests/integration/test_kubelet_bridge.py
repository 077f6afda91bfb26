"""The bridge pod network: two kubelets on one host, each with its own bridge and podCIDR.

What a single host shows: every pod gets its own network namespace, a veth in
its node's bridge and an address from its node's podCIDR; two pods on one
node listen on the same port and both answer at their own IPs from the host;
a pod on node A reaches a pod on node B through the host (the two bridges'
connected routes, IP forwarding); veths, namespaces and addresses go when pods
are deleted, and survive a kubelet restart; a pod whose veth is deleted (its sandbox, the network, died) is
killed and started again from its init container in a new one. What it cannot show: the host-gw
route to another machine's podCIDR via that machine's address (both nodes'
addresses are this host's, so the kubelet rightly adds no route); that path
is only exercised with two machines.
"""
import json
import os
import signal
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import harness  # noqa: E402
from apiserver_proc import Apiserver  # noqa: E402
from etcd_cluster import Cluster  # noqa: E402

NS = "/api/v1/namespaces/default"
CIDR = "10.213.0.0/16"


def can_bridge():
    if os.geteuid() != 0:
        return "not root"
    r = subprocess.run(["unshare", "--net", "true"], capture_output=True)
    return None if r.returncode == 0 else "network namespaces forbidden"


def echo_pod(name, node, port=8080):
    env = [{"name": "POD_NAME", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}},
           {"name": "POD_IP", "valueFrom": {"fieldRef": {"fieldPath": "status.podIP"}}}]
    c = {"name": "echo", "image": "echoserver", "args": ["--port", str(port)], "env": env}
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name},
            "spec": {"nodeName": node, "terminationGracePeriodSeconds": 2, "containers": [c]}}


def veth_name(uid):
    """The host end of a pod's veth, as kl_podnet_veth_name names it (FNV-1a of the uid)."""
    h = 2166136261
    for b in uid.encode():
        h = ((h ^ b) * 16777619) & 0xffffffff
    return "mkv%08x" % h


def read(path):
    try:
        with open(path) as f:
            return f.read()
    except OSError:
        return ""


def link_exists(name):
    return subprocess.run(["ip", "link", "show", name], capture_output=True).returncode == 0


def veths():
    """The pods' veths (host ends) on this test's bridges: not those of another test run at once."""
    out = ""
    for n in BridgeTest.nodes.values():
        out += subprocess.run(["ip", "-o", "link", "show", "master", n["bridge"]], capture_output=True,
                              text=True).stdout
    return sorted(l.split(":")[1].strip().split("@")[0] for l in out.splitlines() if ": mkv" in l)


@unittest.skipIf(can_bridge(), "bridge network impossible here: %s" % can_bridge())
class BridgeTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.etcd = Cluster(size=1).start_all()
        cls.api = Apiserver(cls.etcd.client, ["--cluster-cidr", CIDR])
        cls.dir = harness.tempdir("kubelet-bridge-")
        tag = "%04x" % (os.getpid() & 0xffff)
        cls.nodes = {"node-a": {"bridge": "mk8sa" + tag}, "node-b": {"bridge": "mk8sb" + tag}}
        for name, n in cls.nodes.items():
            n["root"] = os.path.join(cls.dir, name)
            n["port"] = harness.free_ports(1)[0]
            cls.start(name)

    @classmethod
    def start(cls, name):
        n = cls.nodes[name]
        argv = [os.path.join(harness.BIN, "kubelet"), "--master", cls.api.url, "--hostname-override", name,
                "--node-ip", "127.0.0.1", "--bind-address", "127.0.0.1", "--port", str(n["port"]),
                "--root-dir", n["root"], "--pod-network", "bridge", "--pod-bridge", n["bridge"],
                "--node-status-update-frequency", "2s", "--cgroup-name", "minik8s-br-%d" % os.getpid()]
        n["proc"] = harness.start(argv, os.path.join(cls.dir, name + ".log"))
        harness.wait_until(lambda: harness.http("GET", "http://127.0.0.1:%d/healthz" % n["port"],
                                                timeout=1.0)[0] == 200, 10.0, name + " up")

    @classmethod
    def tearDownClass(cls):
        for p in (cls.api.req("GET", NS + "/pods")[1] or {}).get("items", []):
            cls.api.req("DELETE", NS + "/pods/" + p["metadata"]["name"])
        try:
            harness.wait_until(lambda: not cls.api.req("GET", NS + "/pods")[1]["items"], 20.0, "pods gone")
        except Exception:
            pass
        problems = []
        left = veths()  # known by their bridges: before these go
        for n in cls.nodes.values():
            problems += harness.stop_problems(n["proc"])
            # what a failed test may have left: pod processes, namespaces, veths; then the bridge and rules
            for dirpath, _, files in os.walk(os.path.join(n["root"], "pods")):
                if "state.json" in files and "exit.json" not in files:
                    try:
                        with open(os.path.join(dirpath, "state.json")) as f:
                            os.killpg(json.load(f)["pid"], signal.SIGKILL)
                    except (OSError, ValueError, KeyError):
                        pass
            netdir = os.path.join(n["root"], "net")
            for f in os.listdir(netdir) if os.path.isdir(netdir) else []:
                if f.endswith(".ns"):
                    subprocess.run(["umount", "-l", os.path.join(netdir, f)], capture_output=True)
            subprocess.run(["ip", "link", "del", n["bridge"]], capture_output=True)
            for d in ("-i", "-o"):
                subprocess.run(["iptables", "-w", "-D", "FORWARD", d, n["bridge"], "-j", "ACCEPT"],
                               capture_output=True)
        for v in left:
            subprocess.run(["ip", "link", "del", v], capture_output=True)
        for c in ("", "memory/", "cpu/", "pids/"):
            try:
                os.rmdir("/sys/fs/cgroup/%sminik8s-br-%d" % (c, os.getpid()))
            except OSError:
                pass
        cls.api.stop()
        cls.etcd.stop()
        assert not problems, problems

    def get_pod(self, name):
        st, p = self.api.req("GET", NS + "/pods/" + name)
        return p if st == 200 else None

    def wait_running(self, name):
        def ok():
            p = self.get_pod(name)
            return p and p.get("status", {}).get("phase") == "Running" and p["status"].get("podIP")
        harness.wait_until(ok, 15.0, "pod %s Running" % name)
        return self.get_pod(name)

    def answer(self, ip, port=8080, netns=None):
        cmd = ["curl", "-s", "--max-time", "2", "http://%s:%d/" % (ip, port)]
        if netns:
            cmd = ["nsenter", "--net=" + netns] + cmd
        r = subprocess.run(cmd, capture_output=True, text=True)
        return r.stdout if r.returncode == 0 else None

    def node_cidr(self, name):
        harness.wait_until(lambda: self.api.req("GET", "/api/v1/nodes/" + name)[1].get("spec", {}).get("podCIDR"),
                           10.0, name + " podCIDR")
        return self.api.req("GET", "/api/v1/nodes/" + name)[1]["spec"]["podCIDR"]

    def test_pods_own_ips_same_port_cross_node_cleanup_restart(self):
        cidr_a, cidr_b = self.node_cidr("node-a"), self.node_cidr("node-b")
        self.assertNotEqual(cidr_a, cidr_b)
        for name, node in (("a1", "node-a"), ("a2", "node-a"), ("b1", "node-b")):
            self.assertEqual(self.api.req("POST", NS + "/pods", echo_pod(name, node))[0], 201)
        pods = {n: self.wait_running(n) for n in ("a1", "a2", "b1")}
        ips = {n: p["status"]["podIP"] for n, p in pods.items()}
        print("bridge test: podCIDRs %s %s, pod IPs %s" % (cidr_a, cidr_b, ips), flush=True)
        self.assertEqual(len(set(ips.values())), 3, ips)
        pfx_a, pfx_b = cidr_a.rsplit(".", 1)[0], cidr_b.rsplit(".", 1)[0]
        self.assertTrue(ips["a1"].startswith(pfx_a + ".") and ips["a2"].startswith(pfx_a + "."), ips)
        self.assertTrue(ips["b1"].startswith(pfx_b + "."), ips)
        self.assertEqual(pods["a1"]["status"]["podIPs"][0]["ip"], ips["a1"])
        self.assertEqual(pods["a1"]["status"]["hostIP"], "127.0.0.1")
        # both pods on node-a listen on 8080; each answers at its own address, naming itself
        for n in ("a1", "a2", "b1"):
            harness.wait_until(lambda: self.answer(ips[n]), 10.0, "%s answers at %s" % (n, ips[n]))
            body = self.answer(ips[n])
            self.assertIn("pod: " + n, body)
            self.assertIn("ip: " + ips[n], body)
        # (another program may own the host's 8080: only an echoserver answer would be ours)
        self.assertNotIn("pod: ", self.answer("127.0.0.1") or "", "a pod listened on the host's network")
        self.assertTrue(link_exists(self.nodes["node-a"]["bridge"]))
        # from inside a1: a2 (same bridge) and b1 (the other node's bridge, through the host)
        ns_a1 = os.path.join(self.nodes["node-a"]["root"], "net", pods["a1"]["metadata"]["uid"] + ".ns")
        self.assertIn("pod: a2", self.answer(ips["a2"], netns=ns_a1) or "")
        self.assertIn("pod: b1", self.answer(ips["b1"], netns=ns_a1) or "")
        self.assertEqual(len(veths()), 3, veths())

        # kill -9 node-a's kubelet and start it again: same addresses, same veths, still answering
        harness.kill(self.nodes["node-a"]["proc"], signal.SIGKILL)
        type(self).start("node-a")
        harness.wait_until(lambda: self.answer(ips["a1"]) and self.answer(ips["a2"]), 10.0, "a1/a2 after restart")
        self.assertEqual(len(veths()), 3, veths())
        self.assertEqual(self.get_pod("a1")["status"]["podIP"], ips["a1"])
        # a new pod on node-a does not take an address in use
        self.assertEqual(self.api.req("POST", NS + "/pods", echo_pod("a3", "node-a"))[0], 201)
        ip3 = self.wait_running("a3")["status"]["podIP"]
        self.assertNotIn(ip3, (ips["a1"], ips["a2"]))
        harness.wait_until(lambda: self.answer(ip3), 10.0, "a3 answers")

        # delete: veths and namespace mounts go
        for n in ("a1", "a2", "a3", "b1"):
            self.api.req("DELETE", NS + "/pods/" + n)
        harness.wait_until(lambda: not self.api.req("GET", NS + "/pods")[1]["items"], 15.0, "pods gone")
        harness.wait_until(lambda: not veths(), 5.0, "veths removed")
        for node in self.nodes.values():
            left = os.listdir(os.path.join(node["root"], "net"))
            self.assertEqual(left, [], "network state left: %s" % left)
        self.assertIsNone(self.answer(ips["a1"]))

    def test_sandbox_death_reruns_init_containers(self):
        # The process runtime's sandbox is the pod's network: its veth deleted, the pod is off the bridge, as
        # with a dead pause container. As Kubernetes' kubelet then, everything is killed and the pod starts
        # again from its init container, before its container (restartCount goes on; no crash back-off).
        marks = os.path.join(self.dir, "phoenix-marks")
        echo = os.path.abspath(os.path.join(harness.BIN, "echoserver"))
        init = {"name": "init", "image": "echoserver", "command": ["/bin/sh", "-c", "echo init >> " + marks]}
        app = {"name": "app", "image": "echoserver",
               "command": ["/bin/sh", "-c", "echo app >> %s; exec %s --port 8080" % (marks, echo)]}
        pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "phoenix"},
               "spec": {"nodeName": "node-a", "terminationGracePeriodSeconds": 2, "initContainers": [init],
                        "containers": [app]}}
        self.assertEqual(self.api.req("POST", NS + "/pods", pod)[0], 201)
        p = self.wait_running("phoenix")
        harness.wait_until(lambda: read(marks) == "init\napp\n", 10.0, "init, then app")
        harness.wait_until(lambda: self.answer(p["status"]["podIP"]), 10.0, "phoenix answers")
        veth = veth_name(p["metadata"]["uid"])
        self.assertTrue(link_exists(veth), veth)

        def statuses():
            st = self.get_pod("phoenix").get("status", {})
            return {c["name"]: c for c in (st.get("initContainerStatuses") or []) + (st.get("containerStatuses") or [])}

        self.assertEqual(subprocess.run(["ip", "link", "del", veth], capture_output=True).returncode, 0)
        harness.wait_until(lambda: statuses().get("app", {}).get("restartCount") == 1 and
                           statuses()["app"].get("state", {}).get("running"), 20.0, "app restarted")
        # the init container ran again, to its end, before the container started again
        self.assertEqual(read(marks), "init\napp\ninit\napp\n")
        sts = statuses()
        self.assertEqual(sts["init"]["restartCount"], 1, sts["init"])
        self.assertEqual(sts["init"]["state"]["terminated"]["exitCode"], 0, sts["init"])
        self.assertEqual(sts["app"]["lastState"]["terminated"]["exitCode"], 137, sts["app"])
        # in a new network: a veth again, and the pod answers at its (new) address
        self.assertTrue(link_exists(veth), veth)
        ip = self.wait_running("phoenix")["status"]["podIP"]
        harness.wait_until(lambda: self.answer(ip), 10.0, "phoenix answers in its new network")
        self.api.req("DELETE", NS + "/pods/phoenix")
        harness.wait_until(lambda: not self.get_pod("phoenix"), 15.0, "phoenix gone")
        harness.wait_until(lambda: not link_exists(veth), 5.0, "its veth removed")


if __name__ == "__main__":
    unittest.main(verbosity=2)
