"""kubeproxy with real processes: etcdlite, apiserver, kubeproxy; endpoints are servers in this process.

Services and Endpoints are written by the test (no kubelet or controller here):
curl reaches every endpoint round robin through the ClusterIP and the NodePort,
an endpoint removed from the Endpoints gets no new connections within 100 ms
and its open connections are closed, ClientIP affinity sticks, UDP works, and
the cluster IPs the proxy added are gone once it stops.
"""
import os
import socket
import subprocess
import sys
import threading
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import harness  # noqa: E402
from apiserver_proc import Apiserver  # noqa: E402
from etcd_cluster import Cluster  # noqa: E402

NS = "/api/v1/namespaces/default"
BACKENDS = ["127.0.0.2", "127.0.0.3", "127.0.0.4"]


class HttpBackend:
    """A keep-alive HTTP/1.1 server on ip:port answering every request with its name."""

    def __init__(self, ip, port, name):
        self.name = name
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind((ip, port))
        self.sock.listen(128)
        self.accepted = 0
        self.lock = threading.Lock()
        threading.Thread(target=self.serve, daemon=True).start()

    def serve(self):
        while True:
            try:
                c, _ = self.sock.accept()
            except OSError:
                return
            with self.lock:
                self.accepted += 1
            threading.Thread(target=self.conn, args=(c,), daemon=True).start()

    def conn(self, c):
        f = c.makefile("rb")
        body = self.name.encode()
        try:
            while True:
                line = f.readline()
                if not line:
                    break
                while True:  # headers
                    h = f.readline()
                    if not h or h in (b"\r\n", b"\n"):
                        break
                c.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body))
        except OSError:
            pass
        c.close()

    def close(self):
        self.sock.close()


class UdpBackend:
    """Answers every datagram with "name:payload"."""

    def __init__(self, ip, port, name):
        self.name = name
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind((ip, port))
        threading.Thread(target=self.serve, daemon=True).start()

    def serve(self):
        while True:
            try:
                data, addr = self.sock.recvfrom(65536)
                self.sock.sendto(self.name.encode() + b":" + data, addr)
            except OSError:
                return

    def close(self):
        self.sock.close()


def curl(url):
    r = subprocess.run(["curl", "-sS", "--max-time", "2", url], capture_output=True)
    return r.stdout.decode() if r.returncode == 0 else None


def ask(conn):
    """One request on an open keep-alive connection; the backend's name, or None if closed."""
    conn.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
    data = b""
    while b"\r\n\r\n" not in data or len(data.split(b"\r\n\r\n", 1)[1]) < 2:
        chunk = conn.recv(4096)
        if not chunk:
            return None
        data += chunk
    return data.split(b"\r\n\r\n", 1)[1].decode()


def closed_by_peer(conn, timeout):
    conn.settimeout(timeout)
    try:
        return conn.recv(1) == b""
    except ConnectionResetError:
        return True
    except socket.timeout:
        return False


def lo_addrs():
    return subprocess.run(["ip", "-o", "addr", "show", "dev", "lo"], capture_output=True,
                          text=True).stdout


def nft_tables():
    return subprocess.run(["nft", "list", "tables"], capture_output=True, text=True).stdout


class KubeproxyTest(unittest.TestCase):
    MODE = "userspace"

    @classmethod
    def setUpClass(cls):
        cls.etcd = Cluster(size=1).start_all()
        cls.api = Apiserver(cls.etcd.client)
        cls.tcp_port, cls.udp_port = harness.free_ports(2)
        cls.http = [HttpBackend(ip, cls.tcp_port, "b%d" % i) for i, ip in enumerate(BACKENDS)]
        cls.udp = [UdpBackend(ip, cls.udp_port, "b%d" % i) for i, ip in enumerate(BACKENDS)]
        st, svc = cls.api.req("POST", NS + "/services", {
            "apiVersion": "v1", "kind": "Service", "metadata": {"name": "web"},
            "spec": {"type": "NodePort", "selector": {"app": "web"},
                     "ports": [{"name": "http", "port": 80, "protocol": "TCP"},
                               {"name": "dns", "port": 53, "protocol": "UDP"}]}})
        assert st == 201, (st, svc)
        cls.cluster_ip = svc["spec"]["clusterIP"]
        cls.node_port = [p["nodePort"] for p in svc["spec"]["ports"] if p["name"] == "http"][0]
        cls.set_endpoints(BACKENDS, create=True)
        cls.dir = harness.tempdir("kubeproxy-")
        cls.hz, cls.mp = harness.free_ports(2)
        cls.log = os.path.join(cls.dir, "kubeproxy.log")
        cls.proc = harness.start([os.path.join(harness.BIN, "kubeproxy"), "--master", cls.api.url,
                                  "--hostname-override", "node1", "--bind-address", "127.0.0.1",
                                  "--healthz-port", str(cls.hz), "--metrics-port", str(cls.mp),
                                  "--udp-timeout", "2s", "--proxy-mode", cls.MODE, "--dns-port", "-1"], cls.log)
        harness.wait_until(lambda: harness.http("GET", "http://127.0.0.1:%d/readyz" % cls.hz,
                                                timeout=1.0)[0] == 200, 10.0, "kubeproxy synced")
        harness.wait_until(lambda: curl("http://%s/" % cls.cluster_ip), 5.0, "cluster ip serving")

    @classmethod
    def tearDownClass(cls):
        if cls.proc.poll() is None:
            harness.stop(cls.proc)
        for b in cls.http + cls.udp:
            b.close()
        cls.api.stop()
        cls.etcd.stop()

    @classmethod
    def set_endpoints(cls, ips, create=False):
        obj = {"apiVersion": "v1", "kind": "Endpoints", "metadata": {"name": "web"},
               "subsets": [{"addresses": [{"ip": ip} for ip in ips],
                            "notReadyAddresses": [{"ip": "127.0.0.9"}],
                            "ports": [{"name": "http", "port": cls.tcp_port, "protocol": "TCP"},
                                      {"name": "dns", "port": cls.udp_port, "protocol": "UDP"}]}]}
        if create:
            st, body = cls.api.req("POST", NS + "/endpoints", obj)
            assert st == 201, (st, body)
            return
        st, cur = cls.api.req("GET", NS + "/endpoints/web")
        obj["metadata"]["resourceVersion"] = cur["metadata"]["resourceVersion"]
        st, body = cls.api.req("PUT", NS + "/endpoints/web", obj)
        assert st == 200, (st, body)

    def setUp(self):
        self.set_endpoints(BACKENDS)
        harness.wait_until(lambda: self.names("http://%s/" % self.cluster_ip, 3) == {"b0", "b1", "b2"},
                           5.0, "all endpoints back")

    def names(self, url, n):
        return {curl(url) for _ in range(n)}

    def round_robin(self, url):
        got = [curl(url) for _ in range(6)]
        self.assertNotIn(None, got, got)
        for name in ("b0", "b1", "b2"):
            self.assertEqual(got.count(name), 2, got)

    def test_cluster_ip_round_robin(self):
        self.assertIn(self.cluster_ip + "/32", lo_addrs())
        self.round_robin("http://%s/" % self.cluster_ip)

    def test_node_port_round_robin(self):
        self.round_robin("http://127.0.0.1:%d/" % self.node_port)

    def test_removed_endpoint(self):
        # Open connections until one lands on b2, the endpoint about to leave.
        conns, victim = [], None
        for _ in range(6):
            c = socket.create_connection((self.cluster_ip, 80), timeout=2)
            conns.append(c)
            if ask(c) == "b2":
                victim = c
                break
        self.assertIsNotNone(victim)
        self.set_endpoints(BACKENDS[:2])
        t_put = time.monotonic()
        if self.MODE == "nftables":
            # The kernel path ends such a connection at its next packet (a reset),
            # once the rules are rewritten: poll, as a loaded machine may be slow to.
            def victim_cut():
                try:
                    return ask(victim) is None
                except (ConnectionResetError, BrokenPipeError):
                    return True
            harness.wait_until(victim_cut, 2.0, "the connection to the removed endpoint cut")
        else:
            self.assertTrue(closed_by_peer(victim, 2.0), "connection to the removed endpoint stays open")
        closed_after = time.monotonic() - t_put
        # New connections avoid b2 once the change is seen (within 100 ms on a quiet
        # machine; the test polls so that a loaded one does not make it flaky).
        harness.wait_until(lambda: "b2" not in [curl("http://%s/" % self.cluster_ip)
                                                for _ in range(4)], 2.0, "b2 left out")
        before = self.http[2].accepted
        got = [curl("http://%s/" % self.cluster_ip) for _ in range(10)]
        self.assertNotIn("b2", got)
        self.assertEqual(set(got), {"b0", "b1"})
        self.assertEqual(self.http[2].accepted, before)
        if self.MODE == "userspace":
            print("\n  removed endpoint: open connection closed %.1f ms after the PUT returned"
                  % (closed_after * 1000), file=sys.stderr)
        # Connections to endpoints still there are untouched.
        for c in conns:
            if c is not victim:
                self.assertIn(ask(c), ("b0", "b1"))
            c.close()

    def test_not_ready_and_empty(self):
        self.set_endpoints([])
        harness.wait_until(lambda: curl("http://%s/" % self.cluster_ip) is None, 2.0, "no endpoint")

    def test_affinity(self):
        st, svc = self.api.req("GET", NS + "/services/web")
        svc["spec"]["sessionAffinity"] = "ClientIP"
        st, body = self.api.req("PUT", NS + "/services/web", svc)
        self.assertEqual(st, 200, body)
        try:
            first = harness.wait_until(lambda: len(self.names("http://%s/" % self.cluster_ip, 3)) == 1
                                       and curl("http://%s/" % self.cluster_ip), 3.0, "affinity")
            for _ in range(6):
                self.assertEqual(curl("http://%s/" % self.cluster_ip), first)
        finally:
            st, svc = self.api.req("GET", NS + "/services/web")
            svc["spec"]["sessionAffinity"] = "None"
            self.api.req("PUT", NS + "/services/web", svc)

    def test_udp(self):
        seen = []
        for i in range(3):
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)  # a new client: a new flow
            s.settimeout(2)
            s.sendto(b"q%d" % i, (self.cluster_ip, 53))
            data, src = s.recvfrom(100)
            self.assertEqual(src, (self.cluster_ip, 53))  # answered from the address asked
            name, payload = data.decode().split(":")
            self.assertEqual(payload, "q%d" % i)
            seen.append(name)
            s.sendto(b"again", (self.cluster_ip, 53))  # same flow, same endpoint
            self.assertEqual(s.recvfrom(100)[0].decode(), name + ":again")
            s.close()
        self.assertEqual(sorted(seen), ["b0", "b1", "b2"])

    def test_metrics(self):
        curl("http://%s/" % self.cluster_ip)
        st, body = harness.http("GET", "http://127.0.0.1:%d/metrics" % self.mp)
        self.assertEqual(st, 200)
        text = body.decode()
        self.assertIn('kubeproxy_connections_total{service="default/web:http",protocol="tcp"}', text)
        self.assertIn('kubeproxy_bytes_total{service="default/web:http",protocol="tcp",direction="in"}',
                      text)
        self.assertIn("kubeproxy_errors_total", text)
        st, _ = harness.http("GET", "http://127.0.0.1:%d/healthz" % self.hz)
        self.assertEqual(st, 200)

    def test_zz_stop_hands_over_and_cleans_up(self):
        """A second proxy on this host (another node's) keeps the cluster IP up when the first stops;
        the last one to stop leaves no address and no table behind."""
        self.assertIn(self.cluster_ip + "/32", lo_addrs())
        if self.MODE == "nftables":
            self.assertIn("table ip minik8s_node1", nft_tables())
        hz2, mp2 = harness.free_ports(2)
        log2 = os.path.join(self.dir, "kubeproxy2.log")
        second = harness.start([os.path.join(harness.BIN, "kubeproxy"), "--master", self.api.url,
                                "--hostname-override", "node2", "--bind-address", "127.0.0.5",
                                "--healthz-port", str(hz2), "--metrics-port", str(mp2),
                                "--proxy-mode", self.MODE], log2)
        harness.wait_until(lambda: harness.http("GET", "http://127.0.0.5:%d/readyz" % hz2,
                                                timeout=1.0)[0] == 200, 10.0, "second proxy synced")
        self.assertEqual(harness.stop(self.proc), 0, harness.tail(self.log))
        self.assertNotIn("minik8s_node1", nft_tables())
        harness.wait_until(lambda: self.cluster_ip + "/32" in lo_addrs(), 3.0, "cluster ip taken over")
        harness.wait_until(lambda: curl("http://%s/" % self.cluster_ip), 3.0, "served by the second")
        self.assertIsNotNone(curl("http://127.0.0.5:%d/" % self.node_port))
        self.assertEqual(harness.stop(second), 0, harness.tail(log2))
        self.assertNotIn(self.cluster_ip + "/32", lo_addrs())
        self.assertNotIn("minik8s_node", nft_tables())
        self.assertEqual(harness.log_problems(self.log), [])
        self.assertEqual(harness.log_problems(log2), [])


@unittest.skipUnless(os.geteuid() == 0 and subprocess.run(["nft", "list", "tables"], capture_output=True)
                     .returncode == 0, "nftables needs root and the nft tool")
class KubeproxyNftablesTest(KubeproxyTest):
    """The same behaviour with the kernel fast path (affinity and empty ports stay in userspace)."""
    MODE = "nftables"

    def test_rules_in_kernel(self):
        rules = subprocess.run(["nft", "list", "table", "ip", "minik8s_node1"], capture_output=True,
                               text=True).stdout
        self.assertIn("ip daddr %s tcp dport 80 dnat" % self.cluster_ip, rules)
        self.assertIn("udp dport 53 dnat", rules)
        # connections taken by the kernel never reach the userspace engine
        st, body = harness.http("GET", "http://127.0.0.1:%d/metrics" % self.mp)
        before = [l for l in body.decode().splitlines()
                  if l.startswith('kubeproxy_connections_total{service="default/web:http"')]
        for _ in range(3):
            self.assertIsNotNone(curl("http://%s/" % self.cluster_ip))
        st, body = harness.http("GET", "http://127.0.0.1:%d/metrics" % self.mp)
        after = [l for l in body.decode().splitlines()
                 if l.startswith('kubeproxy_connections_total{service="default/web:http"')]
        self.assertEqual(before, after)


class LoopbackRangeTest(unittest.TestCase):
    """The local cluster's way (deploy/cluster.sh): a service range in 127/8, whose ClusterIPs are
    the host's already. Two proxies on one host (two nodes) serve a ClusterIP without adding it to
    an interface, whether they were given one (lo) or none; either keeps it served when the other
    stops. A port from 1024, so a normal user's proxies can bind it too."""

    @classmethod
    def setUpClass(cls):
        cls.net = "127.%d" % (100 + os.getpid() % 150)
        cls.etcd = Cluster(size=1).start_all()
        cls.api = Apiserver(cls.etcd.client, extra=["--service-cluster-ip-range", cls.net + ".0.0/16"])
        cls.port, = harness.free_ports(1)
        cls.backend = HttpBackend("127.0.0.2", cls.port, "b0")
        st, svc = cls.api.req("POST", NS + "/services", {
            "apiVersion": "v1", "kind": "Service", "metadata": {"name": "web"},
            "spec": {"ports": [{"name": "http", "port": cls.port, "protocol": "TCP"}]}})
        assert st == 201, (st, svc)
        cls.cluster_ip = svc["spec"]["clusterIP"]
        st, body = cls.api.req("POST", NS + "/endpoints", {
            "apiVersion": "v1", "kind": "Endpoints", "metadata": {"name": "web"},
            "subsets": [{"addresses": [{"ip": "127.0.0.2"}],
                         "ports": [{"name": "http", "port": cls.port, "protocol": "TCP"}]}]})
        assert st == 201, (st, body)
        cls.dir = harness.tempdir("kubeproxy-lo-")
        cls.procs = {}

    @classmethod
    def tearDownClass(cls):
        for p in cls.procs.values():
            if p.poll() is None:
                harness.stop(p)
        cls.backend.close()
        cls.api.stop()
        cls.etcd.stop()

    def start_proxy(self, node, ip, iface_flags):
        hz, = harness.free_ports(1)
        log = os.path.join(self.dir, node + ".log")
        p = harness.start([os.path.join(harness.BIN, "kubeproxy"), "--master", self.api.url,
                           "--hostname-override", node, "--bind-address", ip, "--healthz-port", str(hz),
                           "--metrics-port", "-1", "--dns-port", "-1"] + iface_flags, log)
        self.procs[node] = p
        harness.wait_until(lambda: harness.http("GET", "http://%s:%d/readyz" % (ip, hz),
                                                timeout=1.0)[0] == 200, 10.0, node + " synced")
        return p, log

    def test_cluster_ip_shared_on_loopback(self):
        st, kube = self.api.req("GET", NS + "/services/kubernetes")
        self.assertEqual(kube["spec"]["clusterIP"], self.net + ".0.1")
        self.assertTrue(self.cluster_ip.startswith(self.net + "."), self.cluster_ip)
        url = "http://%s:%d/" % (self.cluster_ip, self.port)
        first, log1 = self.start_proxy("node1", "127.0.0.5", [])  # the default: --cluster-ip-interface lo
        second, log2 = self.start_proxy("node2", "127.0.0.6", ["--cluster-ip-interface="])
        harness.wait_until(lambda: curl(url) == "b0", 5.0, "cluster ip served")
        self.assertNotIn(self.cluster_ip + "/32", lo_addrs())
        self.assertEqual(harness.stop(first), 0, harness.tail(log1))
        # the second proxy's socket was in the port's group all along: it takes every connection now
        harness.wait_until(lambda: all(curl(url) == "b0" for _ in range(4)), 5.0, "served by the second")
        self.assertEqual(harness.stop(second), 0, harness.tail(log2))
        self.assertIsNone(curl(url))
        self.assertNotIn(self.cluster_ip + "/32", lo_addrs())
        for log in (log1, log2):
            self.assertEqual(harness.log_problems(log), [])
            with open(log) as f:
                self.assertNotIn("cannot listen", f.read())


if __name__ == "__main__":
    unittest.main(verbosity=2)
