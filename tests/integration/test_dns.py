"""Cluster DNS and Service types with real processes: etcdlite, apiserver, controller, kubeproxy.

kubeproxy serves DNS on an ephemeral loopback port; queries are built with
Python's socket and struct (no dig on the machine). Services without selectors
get Endpoints written by the test, so the Endpoints controller leaves them be.
Covered: a Service resolves to its ClusterIP (UDP and TCP), a headless Service
to its ready endpoints and follows a scale-down, ExternalName is a CNAME, SRV
gives a named port, a missing name gets NXDOMAIN quickly, names outside the
zone go to the upstream in resolv.conf and are cached (REFUSED without one),
an IPv6 upstream (nameserver ::1) is forwarded to, reverse lookups name a
ClusterIP's Service and a headless endpoint (others go upstream),
a pod with spec.hostname and spec.subdomain behind the headless Service
named by its subdomain answers as HOST.SUBDOMAIN.NS.svc (the Endpoints and
EndpointSlice controllers give its address that hostname), and a LoadBalancer Service gets a NodePort and an ingress address from the
controller's service load balancer, and answers there.
"""
import os
import random
import socket
import struct
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
A, CNAME, SOA, PTR, AAAA, SRV = 1, 5, 6, 12, 28, 33
NOERROR, SERVFAIL, NXDOMAIN, REFUSED = 0, 2, 3, 5
UPSTREAM_IP = "127.0.0.77"  # resolv.conf has no port: the fake upstream takes 53 on its own address


def encode_name(name):
    out = b""
    for label in name.split("."):
        if label:
            out += bytes([len(label)]) + label.encode()
    return out + b"\0"


def read_name(msg, off):
    labels, end, jumps = [], None, 0
    while True:
        n = msg[off]
        if n & 0xC0 == 0xC0:
            if end is None:
                end = off + 2
            off = ((n & 0x3F) << 8) | msg[off + 1]
            jumps += 1
            assert jumps < 20, "pointer loop"
            continue
        if n == 0:
            return ".".join(labels), (end if end is not None else off + 1)
        labels.append(msg[off + 1:off + 1 + n].decode())
        off += 1 + n


def make_query(name, qtype, qid=None):
    qid = random.randrange(65536) if qid is None else qid
    return struct.pack(">HHHHHH", qid, 0x0100, 1, 0, 0, 0) + encode_name(name) + struct.pack(">HH", qtype, 1)


def parse(msg):
    qid, flags, qd, an, ns, ar = struct.unpack(">HHHHHH", msg[:12])
    off = 12
    for _ in range(qd):
        _, off = read_name(msg, off)
        off += 4
    rrs = []
    for i in range(an + ns + ar):
        name, off = read_name(msg, off)
        rtype, _, ttl, rdlen = struct.unpack(">HHIH", msg[off:off + 10])
        off += 10
        rd = msg[off:off + rdlen]
        if rtype == A:
            data = socket.inet_ntoa(rd)
        elif rtype in (CNAME, PTR):
            data = read_name(msg, off)[0]
        elif rtype == SRV:
            prio, weight, port = struct.unpack(">HHH", rd[:6])
            data = (prio, weight, port, read_name(msg, off + 6)[0])
        else:
            data = rd
        rrs.append(("an" if i < an else "ns" if i < an + ns else "ar", name, rtype, data))
        off += rdlen
    return {"id": qid, "rcode": flags & 0xF, "tc": bool(flags & 0x200), "aa": bool(flags & 0x400), "rrs": rrs}


def answers(r, rtype):
    return [d for sec, _, t, d in r["rrs"] if sec == "an" and t == rtype]


class Resolver:
    def __init__(self, port):
        self.port = port

    def udp(self, name, qtype=A):
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.settimeout(3)
        q = make_query(name, qtype)
        s.sendto(q, ("127.0.0.1", self.port))
        data, _ = s.recvfrom(65535)
        s.close()
        r = parse(data)
        assert r["id"] == struct.unpack(">H", q[:2])[0]
        return r

    def tcp(self, names, qtype=A):
        """Several queries on one connection, as RFC 7766 allows."""
        s = socket.create_connection(("127.0.0.1", self.port), timeout=3)
        for n in names:
            q = make_query(n, qtype)
            s.sendall(struct.pack(">H", len(q)) + q)
        out = []
        f = s.makefile("rb")
        for _ in names:
            n = struct.unpack(">H", f.read(2))[0]
            out.append(parse(f.read(n)))
        s.close()
        return out


def reverse_name(ip):
    """What `dig -x ip` asks."""
    return ".".join(reversed(ip.split("."))) + ".in-addr.arpa"


class FakeUpstream:
    """A resolver on ip:53 answering any question with an A record 192.0.2.7, TTL 60; counts queries."""

    def __init__(self, ip=UPSTREAM_IP):
        self.sock = socket.socket(socket.AF_INET6 if ":" in ip else socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind((ip, 53))
        self.count = 0
        threading.Thread(target=self.serve, daemon=True).start()

    def serve(self):
        while True:
            try:
                q, addr = self.sock.recvfrom(4096)
            except OSError:
                return
            self.count += 1
            qid = q[:2]
            _, qend = read_name(q, 12)
            question = q[12:qend + 4]
            ans = b"\xc0\x0c" + struct.pack(">HHIH", A, 1, 60, 4) + socket.inet_aton("192.0.2.7")
            self.sock.sendto(qid + struct.pack(">HHHHH", 0x8180, 1, 1, 0, 0) + question + ans, addr)

    def close(self):
        self.sock.close()


class HttpBackend:
    def __init__(self, ip, port, body):
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind((ip, port))
        self.sock.listen(16)
        self.body = body
        threading.Thread(target=self.serve, daemon=True).start()

    def serve(self):
        while True:
            try:
                c, _ = self.sock.accept()
            except OSError:
                return
            try:
                c.recv(4096)
                c.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s"
                          % (len(self.body), self.body))
            except OSError:
                pass
            c.close()

    def close(self):
        self.sock.close()


def http_get(ip, port):
    try:
        s = socket.create_connection((ip, port), timeout=2)
        s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        data = b""
        while True:
            chunk = s.recv(4096)
            if not chunk:
                break
            data += chunk
        s.close()
        return data.split(b"\r\n\r\n", 1)[1].decode() if b"\r\n\r\n" in data else None
    except OSError:
        return None


def harness_lo_addrs():
    return subprocess.run(["ip", "-o", "addr", "show", "dev", "lo"], capture_output=True, text=True).stdout


def dns_port_from_log(path):
    try:
        with open(path) as f:
            for line in f:
                if "dns: serving" in line:
                    return int(line.split(" (udp")[0].rsplit(":", 1)[1])
    except OSError:
        pass
    return None


class DnsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        try:
            cls.start()
        except BaseException:
            cls.tearDownClass()  # unittest does not call it when setUpClass fails
            raise

    @classmethod
    def start(cls):
        cls.procs = []
        cls.backend = cls.upstream = cls.api = cls.etcd = None
        cls.etcd = Cluster(size=1).start_all()
        cls.api = Apiserver(cls.etcd.client)
        cls.dir = harness.tempdir("dns-")
        try:
            cls.upstream = FakeUpstream()
        except OSError:
            cls.upstream = None
        resolv = os.path.join(cls.dir, "resolv.conf")
        with open(resolv, "w") as f:
            f.write("search example.org\nnameserver %s\noptions ndots:1\n" % UPSTREAM_IP)
        cls.backend_port, cls.lb_port = harness.free_ports(2)
        cls.backend = HttpBackend("127.0.0.2", cls.backend_port, b"lb-backend")
        cls.node()
        cls.services()
        cls.procs.append(harness.start([os.path.join(harness.BIN, "controller"), "--master", cls.api.url],
                                       os.path.join(cls.dir, "controller.log")))
        cls.hz = harness.free_ports(1)[0]
        cls.kplog = os.path.join(cls.dir, "kubeproxy.log")
        cls.procs.append(harness.start([os.path.join(harness.BIN, "kubeproxy"), "--master", cls.api.url,
                                        "--hostname-override", "node1", "--bind-address", "127.0.0.1",
                                        "--healthz-port", str(cls.hz), "--metrics-port", "-1",
                                        "--dns-port", "0", "--dns-bind-address", "127.0.0.1",
                                        "--resolv-conf", resolv], cls.kplog))
        harness.wait_until(lambda: harness.http("GET", "http://127.0.0.1:%d/readyz" % cls.hz,
                                                timeout=1.0)[0] == 200, 10.0, "kubeproxy synced")
        if not dns_port_from_log(cls.kplog):
            raise AssertionError("no dns port; kubeproxy log:\n" + harness.tail(cls.kplog, 30))
        cls.dns = Resolver(dns_port_from_log(cls.kplog))

    @classmethod
    def tearDownClass(cls):
        problems = harness.stop_problems(*reversed(cls.procs))
        if cls.backend:
            cls.backend.close()
        if cls.upstream:
            cls.upstream.close()
        if cls.api:
            cls.api.stop()
        if cls.etcd:
            cls.etcd.stop()
        assert not problems, problems

    @classmethod
    def create(cls, path, obj):
        st, body = cls.api.req("POST", path, obj)
        assert st == 201, (st, body)
        return body

    @classmethod
    def node(cls):
        now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        cls.create("/api/v1/nodes", {
            "apiVersion": "v1", "kind": "Node", "metadata": {"name": "node1"},
            "status": {"addresses": [{"type": "InternalIP", "address": "127.0.0.1"}],
                       "conditions": [{"type": "Ready", "status": "True", "lastHeartbeatTime": now}]}})
        st, n = cls.api.req("GET", "/api/v1/nodes/node1")
        if not any(c.get("type") == "Ready" for c in n.get("status", {}).get("conditions", [])):
            n["status"] = {"addresses": [{"type": "InternalIP", "address": "127.0.0.1"}],
                           "conditions": [{"type": "Ready", "status": "True", "lastHeartbeatTime": now}]}
            st, body = cls.api.req("PUT", "/api/v1/nodes/node1/status", n)
            assert st == 200, (st, body)

    @classmethod
    def services(cls):
        svc = cls.create(NS + "/services", {
            "apiVersion": "v1", "kind": "Service", "metadata": {"name": "web"},
            "spec": {"ports": [{"name": "http", "port": 80}, {"name": "dns", "port": 53, "protocol": "UDP"}]}})
        cls.web_ip = svc["spec"]["clusterIP"]
        cls.create(NS + "/services", {
            "apiVersion": "v1", "kind": "Service", "metadata": {"name": "db"},
            "spec": {"clusterIP": "None", "ports": [{"name": "pg", "port": 5432}]}})
        cls.set_db_endpoints(["10.244.1.5", "10.244.2.6", "10.244.3.7"], create=True)
        cls.create(NS + "/services", {
            "apiVersion": "v1", "kind": "Service", "metadata": {"name": "ext"},
            "spec": {"type": "ExternalName", "externalName": "db.example.com"}})
        lb = cls.create(NS + "/services", {
            "apiVersion": "v1", "kind": "Service", "metadata": {"name": "lb"},
            "spec": {"type": "LoadBalancer", "ports": [{"name": "http", "port": cls.lb_port}]}})
        cls.lb_node_port = lb["spec"]["ports"][0].get("nodePort")
        cls.create(NS + "/endpoints", {
            "apiVersion": "v1", "kind": "Endpoints", "metadata": {"name": "lb"},
            "subsets": [{"addresses": [{"ip": "127.0.0.2", "nodeName": "node1"}],
                         "ports": [{"name": "http", "port": cls.backend_port}]}]})

    @classmethod
    def set_db_endpoints(cls, ips, create=False):
        obj = {"apiVersion": "v1", "kind": "Endpoints", "metadata": {"name": "db"},
               "subsets": [{"addresses": [{"ip": ip} for ip in ips],
                            "notReadyAddresses": [{"ip": "10.244.9.9"}],
                            "ports": [{"name": "pg", "port": 5432}]}]}
        if create:
            cls.create(NS + "/endpoints", obj)
            return
        st, cur = cls.api.req("GET", NS + "/endpoints/db")
        obj["metadata"]["resourceVersion"] = cur["metadata"]["resourceVersion"]
        st, body = cls.api.req("PUT", NS + "/endpoints/db", obj)
        assert st == 200, (st, body)

    def test_service_resolves_to_cluster_ip(self):
        r = self.dns.udp("web.default.svc.cluster.local")
        self.assertEqual(r["rcode"], NOERROR)
        self.assertTrue(r["aa"])
        self.assertEqual(answers(r, A), [self.web_ip])
        # the same over TCP, two queries on one connection
        rs = self.dns.tcp(["web.default.svc.cluster.local", "WEB.Default.svc.cluster.local"])
        self.assertEqual([answers(x, A) for x in rs], [[self.web_ip]] * 2)

    def test_headless_follows_scale_down(self):
        r = self.dns.udp("db.default.svc.cluster.local")
        self.assertEqual(sorted(answers(r, A)), ["10.244.1.5", "10.244.2.6", "10.244.3.7"])
        try:
            self.set_db_endpoints(["10.244.2.6"])
            harness.wait_until(lambda: answers(self.dns.udp("db.default.svc.cluster.local"), A) == ["10.244.2.6"],
                               5.0, "headless answer after scale-down")
            self.assertEqual(self.dns.udp("10-244-1-5.db.default.svc.cluster.local")["rcode"], NXDOMAIN)
            self.assertEqual(answers(self.dns.udp("10-244-2-6.db.default.svc.cluster.local"), A), ["10.244.2.6"])
        finally:
            self.set_db_endpoints(["10.244.1.5", "10.244.2.6", "10.244.3.7"])

    def test_external_name_is_cname(self):
        r = self.dns.udp("ext.default.svc.cluster.local")
        self.assertEqual(r["rcode"], NOERROR)
        self.assertEqual(answers(r, CNAME), ["db.example.com"])

    def test_missing_name_nxdomain_quickly(self):
        t0 = time.monotonic()
        r = self.dns.udp("nope.default.svc.cluster.local")
        took = time.monotonic() - t0
        self.assertEqual(r["rcode"], NXDOMAIN)
        self.assertEqual([t for sec, _, t, _ in r["rrs"] if sec == "ns"], [SOA])
        # Forwarded, it would wait out the upstream retry (1.5 s); the margin
        # below that is for a loaded machine.
        self.assertLess(took, 1.0)

    def test_srv_named_port(self):
        r = self.dns.udp("_http._tcp.web.default.svc.cluster.local", SRV)
        self.assertEqual(r["rcode"], NOERROR)
        self.assertEqual(answers(r, SRV), [(0, 100, 80, "web.default.svc.cluster.local")])
        r = self.dns.udp("_dns._udp.web.default.svc.cluster.local", SRV)
        self.assertEqual([x[2] for x in answers(r, SRV)], [53])

    def test_pod_name(self):
        self.assertEqual(answers(self.dns.udp("10-244-7-8.default.pod.cluster.local"), A), ["10.244.7.8"])

    def test_malformed_gets_formerr(self):
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.settimeout(3)
        # a question whose name is a pointer to itself
        s.sendto(struct.pack(">HHHHHH", 77, 0x0100, 1, 0, 0, 0) + b"\xc0\x0c\0\1\0\1", ("127.0.0.1", self.dns.port))
        r = parse(s.recvfrom(512)[0])
        s.close()
        self.assertEqual((r["id"], r["rcode"]), (77, 1))
        # and the server still answers
        self.assertEqual(answers(self.dns.udp("web.default.svc.cluster.local"), A), [self.web_ip])

    def test_outside_names_forwarded_and_cached(self):
        if not self.upstream:
            self.skipTest("cannot bind %s:53" % UPSTREAM_IP)
        before = self.upstream.count
        r = self.dns.udp("www.example.com")
        self.assertEqual(r["rcode"], NOERROR)
        self.assertEqual(answers(r, A), ["192.0.2.7"])
        self.assertEqual(self.upstream.count, before + 1)
        r = self.dns.udp("WWW.example.com")
        self.assertEqual(answers(r, A), ["192.0.2.7"])
        self.assertEqual(self.upstream.count, before + 1)  # from the cache

    def test_reverse_lookups(self):
        r = self.dns.udp(reverse_name(self.web_ip), PTR)
        self.assertEqual((r["rcode"], r["aa"]), (NOERROR, True))
        self.assertEqual(answers(r, PTR), ["web.default.svc.cluster.local"])
        # a headless Service's ready endpoint, named so that the name resolves back
        harness.wait_until(lambda: answers(self.dns.udp(reverse_name("10.244.2.6"), PTR), PTR) ==
                           ["10-244-2-6.db.default.svc.cluster.local"], 5.0, "endpoint PTR")
        self.assertEqual(answers(self.dns.udp("10-244-2-6.db.default.svc.cluster.local"), A), ["10.244.2.6"])
        # other addresses are the upstream's
        if not self.upstream:
            self.skipTest("cannot bind %s:53" % UPSTREAM_IP)
        before = self.upstream.count
        self.dns.udp(reverse_name("192.0.2.99"), PTR)
        self.assertEqual(self.upstream.count, before + 1)

    def run_pod(self, name, ip, hostname, subdomain):
        """A pod on node1 with spec.hostname and spec.subdomain, given an IP and Ready as a kubelet would."""
        self.create(NS + "/pods", {
            "apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "labels": {"app": "pets"}},
            "spec": {"nodeName": "node1", "hostname": hostname, "subdomain": subdomain,
                     "containers": [{"name": "c", "image": "img"}]}})
        st, body = self.api.req("PATCH", NS + "/pods/%s/status" % name, {"status": {
            "phase": "Running", "podIP": ip, "conditions": [{"type": "Ready", "status": "True"}]}},
            ctype="application/merge-patch+json")
        self.assertEqual(st, 200, body)

    def test_pod_hostname_and_subdomain(self):
        self.create(NS + "/services", {
            "apiVersion": "v1", "kind": "Service", "metadata": {"name": "pets"},
            "spec": {"clusterIP": "None", "selector": {"app": "pets"}, "ports": [{"name": "http", "port": 80}]}})
        self.run_pod("pet-a", "10.244.5.10", "pet-0", "pets")
        self.run_pod("pet-b", "10.244.5.11", "pet-1", "other")  # its subdomain names another Service

        want = {"10.244.5.10": "pet-0", "10.244.5.11": ""}

        def endpoints():
            st, e = self.api.req("GET", NS + "/endpoints/pets")
            subsets = e.get("subsets") or [] if st == 200 else []
            return {a["ip"]: a.get("hostname", "") for s in subsets for a in s.get("addresses", [])}

        def slices():
            st, l = self.api.req("GET", "/apis/discovery.k8s.io/v1/namespaces/default/endpointslices"
                                 "?labelSelector=kubernetes.io%2Fservice-name%3Dpets")
            items = l.get("items") or [] if st == 200 else []
            return {e["addresses"][0]: e.get("hostname", "") for s in items for e in s.get("endpoints") or []}
        harness.wait_until(lambda: endpoints() == want, 10.0, "Endpoints with the pod's hostname")
        harness.wait_until(lambda: slices() == want, 10.0, "EndpointSlice with the pod's hostname")
        name = "pet-0.pets.default.svc.cluster.local"
        harness.wait_until(lambda: answers(self.dns.udp(name), A) == ["10.244.5.10"], 5.0, "A for " + name)
        self.assertEqual(answers(self.dns.udp("PET-0.Pets.default.svc.cluster.local"), A), ["10.244.5.10"])
        # the Service's name lists both; the pod without that subdomain has only its dashed IP
        self.assertEqual(sorted(answers(self.dns.udp("pets.default.svc.cluster.local"), A)),
                         ["10.244.5.10", "10.244.5.11"])
        self.assertEqual(self.dns.udp("pet-1.pets.default.svc.cluster.local")["rcode"], NXDOMAIN)
        self.assertEqual(answers(self.dns.udp("10-244-5-11.pets.default.svc.cluster.local"), A), ["10.244.5.11"])
        # with a hostname, the dashed IP is no name of the pod's, and the reverse name is the hostname's
        self.assertEqual(self.dns.udp("10-244-5-10.pets.default.svc.cluster.local")["rcode"], NXDOMAIN)
        self.assertEqual(answers(self.dns.udp(reverse_name("10.244.5.10"), PTR), PTR), [name])

    def test_load_balancer_ingress_and_traffic(self):
        self.assertTrue(self.lb_node_port and 30000 <= self.lb_node_port <= 32767, self.lb_node_port)

        def ingress():
            st, s = self.api.req("GET", NS + "/services/lb")
            return s.get("status", {}).get("loadBalancer", {}).get("ingress")
        harness.wait_until(lambda: ingress() == [{"ip": "127.0.0.1"}], 10.0, "ingress from the service LB")
        harness.wait_until(lambda: http_get("127.0.0.1", self.lb_port) == "lb-backend", 5.0,
                           "answers on the ingress address")
        # the node's own address is used as it is, not added again as a cluster IP
        self.assertNotIn("127.0.0.1/32", harness_lo_addrs())
        self.assertEqual(http_get("127.0.0.1", self.lb_node_port), "lb-backend")


def start_bare_kubeproxy(api, d, resolv_conf, *extra):
    """A kubeproxy serving DNS only (no cluster IPs on an interface); returns (process, its DNS resolver)."""
    log = os.path.join(d, "kubeproxy.log")
    p = harness.start([os.path.join(harness.BIN, "kubeproxy"), "--master", api.url,
                       "--hostname-override", "n", "--healthz-port", "-1", "--metrics-port", "-1",
                       "--cluster-ip-interface", "", "--dns-port", "0", "--dns-bind-address", "127.0.0.1",
                       "--resolv-conf", resolv_conf] + list(extra), log)
    try:
        harness.wait_until(lambda: dns_port_from_log(log), 10.0, "dns port in the log")
    except BaseException:
        harness.stop_problems(p)
        raise
    return p, Resolver(dns_port_from_log(log))


class Ipv6UpstreamTest(unittest.TestCase):
    """resolv.conf's IPv6 nameserver (::1, port 53) gets the names outside the zone."""

    def test_forwarded_to_ipv6_nameserver(self):
        if "::1/128" not in subprocess.run(["ip", "-6", "addr", "show", "dev", "lo"],
                                           capture_output=True, text=True).stdout:
            self.skipTest("no IPv6 address ::1 on lo")
        try:
            upstream = FakeUpstream("::1")
        except OSError as e:
            self.skipTest("cannot bind [::1]:53: %s" % e)
        etcd = Cluster(size=1).start_all()
        api = Apiserver(etcd.client)
        d = harness.tempdir("dns-v6up-")
        resolv = os.path.join(d, "resolv.conf")
        with open(resolv, "w") as f:
            f.write("nameserver ::1\n")
        p = None
        try:
            p, dns = start_bare_kubeproxy(api, d, resolv)
            r = dns.udp("www.example.com")
            self.assertEqual(r["rcode"], NOERROR)
            self.assertEqual(answers(r, A), ["192.0.2.7"])
            self.assertEqual(upstream.count, 1)
        finally:
            problems = harness.stop_problems(p) if p else []
            upstream.close()
            api.stop()
            etcd.stop()
        self.assertEqual(problems, [])


class NoUpstreamTest(unittest.TestCase):
    """Without upstream resolvers, names outside the zone are REFUSED, cluster names still answered."""

    def test_refused(self):
        etcd = Cluster(size=1).start_all()
        api = Apiserver(etcd.client)
        d = harness.tempdir("dns-noup-")
        p = None
        try:
            p, dns = start_bare_kubeproxy(api, d, "", "--cluster-domain", "corp.internal")
            self.assertEqual(dns.udp("www.example.com")["rcode"], REFUSED)
            self.assertEqual(dns.udp(reverse_name("192.0.2.99"), PTR)["rcode"], REFUSED)
            self.assertEqual(dns.udp("kubernetes.default.svc.cluster.local")["rcode"], REFUSED)
            self.assertEqual(dns.udp("nope.default.svc.corp.internal")["rcode"], NXDOMAIN)
        finally:
            problems = harness.stop_problems(p) if p else []
            api.stop()
            etcd.stop()
        self.assertEqual(problems, [])


if __name__ == "__main__":
    unittest.main(verbosity=2)
