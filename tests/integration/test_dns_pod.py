"""Names from inside a pod: a kubelet on the bridge network, kubeproxy's DNS on the bridge's address.

The kubelet writes the pod's /etc/resolv.conf (--cluster-dns = the bridge's
gateway, search NS.svc.cluster.local ..., ndots:5) and /etc/hosts, bound over
/etc in the container's mount namespace; the pod runs getent on the host's
filesystem (--allow-host-images) and its output is read through pods/log:
a Service's short name resolves to its ClusterIP through the search list, an
HTTP request by that name reaches the echoserver pod behind the Service
through kubeproxy's ClusterIP, a missing name does not resolve, and the pod's
own name is in /etc/hosts. With the controller's Endpoints: a pod with
spec.hostname and spec.subdomain behind the headless Service of that name
resolves as HOST.SUBDOMAIN from another pod, and a pod with them has that
hostname (UTS) and its FQDN in /etc/hosts. With setHostnameAsFQDN the
pod's UTS hostname is its FQDN; one longer than 64 characters gets no
sandbox, a FailedCreatePodSandBox event and a waiting message instead.
"""
import os
import re
import subprocess
import sys
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import harness  # noqa: E402
from apiserver_proc import Apiserver  # noqa: E402
from etcd_cluster import Cluster  # noqa: E402

NS = "/api/v1/namespaces/default"
CIDR = "10.217.0.0/16"
SERVICE_CIDR = "10.218.0.0/24"  # its own range: the ClusterIP is added to lo while the test runs


def why_not():
    if os.geteuid() != 0:
        return "not root"
    if subprocess.run(["unshare", "--net", "--mount", "true"], capture_output=True).returncode:
        return "network or mount namespaces forbidden"
    for tool in ("/usr/bin/getent", "/usr/bin/curl"):
        if not os.path.exists(tool):
            return "no " + tool
    return None


@unittest.skipIf(why_not(), "pod DNS impossible here: %s" % why_not())
class PodDnsTest(unittest.TestCase):
    def test_getent_in_pod(self):
        etcd = Cluster(size=1).start_all()
        api = Apiserver(etcd.client, ["--cluster-cidr", CIDR, "--service-cluster-ip-range", SERVICE_CIDR])
        d = harness.tempdir("dns-pod-")
        bridge = "mk8sd%04x" % (os.getpid() & 0xffff)
        port = harness.free_ports(1)[0]
        procs = []
        try:
            st, svc = api.req("POST", NS + "/services", {
                "apiVersion": "v1", "kind": "Service", "metadata": {"name": "web"},
                "spec": {"selector": {"app": "web"}, "ports": [{"name": "http", "port": 80, "targetPort": 8080}]}})
            self.assertEqual(st, 201, svc)
            cluster_ip = svc["spec"]["clusterIP"]
            st, svc = api.req("POST", NS + "/services", {
                "apiVersion": "v1", "kind": "Service", "metadata": {"name": "pets"},
                "spec": {"clusterIP": "None", "selector": {"app": "web"}, "ports": [{"port": 8080}]}})
            self.assertEqual(st, 201, svc)
            procs.append(harness.start([os.path.join(harness.BIN, "controller"), "--master", api.url],
                                       os.path.join(d, "controller.log")))
            def kubelet(cluster_dns):
                return harness.start([
                    os.path.join(harness.BIN, "kubelet"), "--master", api.url, "--hostname-override", "dnsnode",
                    "--node-ip", "127.0.0.1", "--bind-address", "127.0.0.1", "--port", str(port),
                    "--root-dir", os.path.join(d, "root"), "--pod-network", "bridge", "--pod-bridge", bridge,
                    "--allow-host-images", "--cluster-dns", cluster_dns,
                    "--cgroup-name", "minik8s-dns-%d" % os.getpid()], os.path.join(d, "kubelet.log"))
            # the node's podCIDR (so its bridge's address, the DNS address) is known once it registers:
            # register, then restart the kubelet with --cluster-dns set to it
            first = kubelet("")
            procs.append(first)
            harness.wait_until(lambda: api.req("GET", "/api/v1/nodes/dnsnode")[1].get("spec", {}).get("podCIDR"),
                               15.0, "podCIDR")
            cidr = api.req("GET", "/api/v1/nodes/dnsnode")[1]["spec"]["podCIDR"]
            GATEWAY = cidr.split("/")[0].rsplit(".", 1)[0] + ".1"
            harness.stop(first)
            procs.append(kubelet(GATEWAY))
            st, web = api.req("POST", NS + "/pods", {
                "apiVersion": "v1", "kind": "Pod", "metadata": {"name": "web-1", "labels": {"app": "web"}},
                "spec": {"nodeName": "dnsnode", "terminationGracePeriodSeconds": 1,
                         "hostname": "web-0", "subdomain": "pets",
                         "containers": [{"name": "echo", "image": "echoserver", "args": ["--port", "8080"],
                                         "env": [{"name": "POD_NAME", "valueFrom": {
                                             "fieldRef": {"fieldPath": "metadata.name"}}}]}]}})
            self.assertEqual(st, 201, web)
            harness.wait_until(lambda: api.req("GET", NS + "/pods/web-1")[1].get("status", {}).get("podIP"),
                               20.0, "web pod IP")
            web_ip = api.req("GET", NS + "/pods/web-1")[1]["status"]["podIP"]

            def pets():
                st, ep = api.req("GET", NS + "/endpoints/pets")
                subsets = (ep or {}).get("subsets") or [] if st == 200 else []
                return [a for s in subsets for a in s.get("addresses", [])]
            harness.wait_until(lambda: [(a["ip"], a.get("hostname")) for a in pets()] == [(web_ip, "web-0")], 20.0,
                               "the endpoints controller names web-1's address web-0 in pets")
            st, pod = api.req("POST", NS + "/pods", {
                "apiVersion": "v1", "kind": "Pod", "metadata": {"name": "probe"},
                "spec": {"nodeName": "dnsnode", "terminationGracePeriodSeconds": 1, "restartPolicy": "Never",
                         "hostname": "prober", "subdomain": "pets",
                         "containers": [{"name": "c", "image": "host-sh", "command": ["/bin/sh", "-c",
                                         "getent hosts web; getent hosts nope || echo missing-ok; "
                                         "getent hosts web-0.pets; echo uts=$(cat /proc/sys/kernel/hostname); "
                                         "curl -sS --max-time 3 http://web/ | head -n 3; "
                                         "cat /etc/resolv.conf /etc/hosts; echo done-done"]}]}})
            self.assertEqual(st, 201, pod)
            # the bridge exists once the pod's sandbox is made: then DNS can bind its address
            harness.wait_until(lambda: GATEWAY in subprocess.run(["ip", "-o", "addr", "show", "dev", bridge],
                                                                 capture_output=True, text=True).stdout,
                               20.0, "bridge address")
            procs.append(harness.start([
                os.path.join(harness.BIN, "kubeproxy"), "--master", api.url, "--hostname-override", "dnsnode",
                "--healthz-port", "-1", "--metrics-port", "-1", "--cluster-ip-interface", "lo",
                "--bind-address", "127.0.0.1", "--dns-bind-address", GATEWAY, "--dns-port", "53",
                "--resolv-conf", ""], os.path.join(d, "kubeproxy.log")))

            def log():
                st, body = api.req("GET", NS + "/pods/probe/log")
                return body.decode() if st == 200 and isinstance(body, bytes) else ""

            # the pod may have run before DNS was up: run it again until its log shows the answer
            deadline = time.monotonic() + 40
            out = ""
            while time.monotonic() < deadline:
                harness.wait_until(lambda: "done-done" in log(), 30.0, "probe pod log")
                out = log()
                if cluster_ip in out and "pod: web-1" in out and "web-0.pets." in out:
                    break
                api.req("DELETE", NS + "/pods/probe?gracePeriodSeconds=0")
                harness.wait_until(lambda: api.req("GET", NS + "/pods/probe")[0] == 404, 20.0, "probe deleted")
                api.req("POST", NS + "/pods", pod_body(pod))
            print("pod output:\n" + out, flush=True)
            self.assertRegex(out, r"%s\s+web.default.svc.cluster.local" % re.escape(cluster_ip))
            self.assertIn("pod: web-1", out, "an HTTP request to http://web/ from the pod reached the echoserver")
            self.assertIn("missing-ok", out)
            self.assertIn("nameserver %s" % GATEWAY, out)
            self.assertIn("search default.svc.cluster.local svc.cluster.local cluster.local", out)
            self.assertIn("options ndots:5", out)
            self.assertRegex(out, r"%s\s+web-0.pets.default.svc.cluster.local" % re.escape(web_ip))
            self.assertIn("uts=prober\n", out)
            self.assertRegex(out, r"\n[0-9.]+\tprober.pets.default.svc.cluster.local\tprober\n")

            # setHostnameAsFQDN: the UTS hostname is the FQDN; one longer than 64 characters gets no sandbox
            def fqdn_pod(name, hostname):
                st, body = api.req("POST", NS + "/pods", {
                    "apiVersion": "v1", "kind": "Pod", "metadata": {"name": name},
                    "spec": {"nodeName": "dnsnode", "terminationGracePeriodSeconds": 1, "restartPolicy": "Never",
                             "hostname": hostname, "subdomain": "pets", "setHostnameAsFQDN": True,
                             "containers": [{"name": "c", "image": "host-sh", "command": [
                                 "/bin/sh", "-c", "echo uts=$(cat /proc/sys/kernel/hostname)"]}]}})
                self.assertEqual(st, 201, body)
            fqdn_pod("fqdn", "fq")
            fqdn_pod("toolong", "x" * 40)

            def fqdn_log():
                st, body = api.req("GET", NS + "/pods/fqdn/log")
                return body.decode() if st == 200 and isinstance(body, bytes) else ""
            harness.wait_until(lambda: "uts=" in fqdn_log(), 20.0, "fqdn pod log")
            self.assertEqual(fqdn_log(), "uts=fq.pets.default.svc.cluster.local\n")

            def refused():
                items = (api.req("GET", NS + "/events?fieldSelector=involvedObject.name=toolong")[1] or {}).get(
                    "items", [])
                return [e for e in items if e.get("reason") == "FailedCreatePodSandBox"]
            harness.wait_until(refused, 20.0, "FailedCreatePodSandBox event for the pod whose FQDN is too long")
            self.assertIn("too long", refused()[0]["message"])
            waiting = api.req("GET", NS + "/pods/toolong")[1]["status"]["containerStatuses"][0]["state"]["waiting"]
            self.assertEqual(waiting["reason"], "ContainerCreating")
            self.assertIn("x" * 40 + ".pets.default.svc.cluster.local", waiting["message"])
        finally:
            for p in (api.req("GET", NS + "/pods")[1] or {}).get("items", []):
                api.req("DELETE", NS + "/pods/%s?gracePeriodSeconds=0" % p["metadata"]["name"])
            harness.wait_until(lambda: not (api.req("GET", NS + "/pods")[1] or {}).get("items"), 20.0,
                               "pods gone")
            netdir = os.path.join(d, "root", "net")

            def namespaces():
                return [f for f in os.listdir(netdir) if f.endswith(".ns")] if os.path.isdir(netdir) else []
            try:  # the kubelet tears the pod's network down after the API forgets it
                harness.wait_until(lambda: not namespaces(), 20.0, "pod network removed")
            except AssertionError:
                pass
            problems = harness.stop_problems(*reversed(procs))
            for f in namespaces():
                subprocess.run(["umount", os.path.join(netdir, f)], capture_output=True)
            subprocess.run(["ip", "link", "del", bridge], capture_output=True)
            for dev in ("-i", "-o"):
                subprocess.run(["iptables", "-w", "-D", "FORWARD", dev, bridge, "-j", "ACCEPT"], capture_output=True)
            for c in ("", "memory/", "cpu/", "pids/"):
                try:
                    os.rmdir("/sys/fs/cgroup/%sminik8s-dns-%d" % (c, os.getpid()))
                except OSError:
                    pass
            api.stop()
            etcd.stop()
        self.assertEqual(problems, [])


def pod_body(pod):
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": pod["metadata"]["name"]}, "spec": pod["spec"]}


if __name__ == "__main__":
    unittest.main(verbosity=2)
