"""etcdlite with TLS on its client and peer ports (certificates from deploy/certs.sh): a cluster
forms and serves https; clients and peers without a certificate of the cluster CA are refused.

Every wait polls with a deadline; every process is killed at the end.
"""
import base64
import json
import os
import ssl
import subprocess
import sys
import unittest
import urllib.error
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import harness  # noqa: E402

NAMES = ["m1", "m2", "m3"]


def b64(s):
    return base64.b64encode(s.encode()).decode()


def make_pki():
    """The cluster's certificates, and a foreign CA's for member m3 (same names, other CA)."""
    top = harness.tempdir("etcd-tls-")
    good, bad = os.path.join(top, "pki"), os.path.join(top, "foreign")
    env = dict(os.environ, ETCD_MEMBERS=" ".join(NAMES), NODES="")
    for d in (good, bad):
        subprocess.run([os.path.join(harness.ROOT, "deploy", "certs.sh"), d], env=env, check=True,
                       stdout=subprocess.DEVNULL)
    return top, good, bad


def context(pki, name=None):
    """An SSL context trusting pki's CA, presenting pki/name.{crt,key} when name is set."""
    ctx = ssl.create_default_context(cafile=os.path.join(pki, "ca.crt"))
    if name:
        ctx.load_cert_chain(os.path.join(pki, name + ".crt"), os.path.join(pki, name + ".key"))
    return ctx


def post(url, obj, ctx, timeout=3.0):
    """POSTs JSON over https; returns (status, parsed body). TLS failures raise OSError."""
    req = urllib.request.Request(url, data=json.dumps(obj).encode(), method="POST",
                                 headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=timeout, context=ctx) as r:
            return r.status, json.loads(r.read() or b"null")
    except urllib.error.HTTPError as e:
        return e.code, e.read()


def refused(url, obj, ctx):
    """True if the server turns the request away: in the handshake, or with 401."""
    try:
        status, _ = post(url, obj, ctx)
    except (OSError, ssl.SSLError):
        return True
    return status == 401


class TLSClusterTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.top, cls.pki, cls.foreign = make_pki()

    def setUp(self):
        ports = harness.free_ports(6)
        self.client = ["https://127.0.0.1:%d" % ports[2 * i] for i in range(3)]
        self.peer = ["https://127.0.0.1:%d" % ports[2 * i + 1] for i in range(3)]
        self.initial = ",".join("%s=%s" % (n, u) for n, u in zip(NAMES, self.peer))
        self.dir = harness.tempdir("etcd-tls-data-")
        self.procs = [None] * 3
        self.member_pki = [self.pki] * 3
        self.admin = context(self.pki, "apiserver-etcd-client")

    def tearDown(self):
        problems = []
        for i, p in enumerate(self.procs):
            if p is None:
                continue
            rc = harness.stop(p)
            if rc != 0:
                problems.append("%s exited with %s:\n%s" % (NAMES[i], rc, harness.tail(p.log_path)))
            problems += harness.log_problems(p.log_path)
        if problems:
            raise AssertionError("\n".join(problems))

    def start(self, i, state="new"):
        pki, n = self.member_pki[i], NAMES[i]
        f = lambda kind, ext: os.path.join(pki, "etcd-%s-%s.%s" % (n, kind, ext))  # noqa: E731
        argv = [os.path.join(harness.BIN, "etcdlite"), "--name", n,
                "--data-dir", os.path.join(self.dir, n),
                "--listen-client-urls", self.client[i], "--advertise-client-urls", self.client[i],
                "--listen-peer-urls", self.peer[i], "--initial-advertise-peer-urls", self.peer[i],
                "--initial-cluster", self.initial, "--initial-cluster-state", state,
                "--cert-file", f("server", "crt"), "--key-file", f("server", "key"),
                "--trusted-ca-file", os.path.join(pki, "ca.crt"), "--client-cert-auth",
                "--peer-cert-file", f("peer", "crt"), "--peer-key-file", f("peer", "key"),
                "--peer-trusted-ca-file", os.path.join(pki, "ca.crt"), "--peer-client-cert-auth"]
        self.procs[i] = harness.start(argv, os.path.join(self.dir, n + ".log"))

    def status(self, i, ctx=None):
        st, body = post(self.client[i] + "/v3/maintenance/status", {}, ctx or self.admin, 2.0)
        return body if st == 200 else None

    def leader_of(self, i, ctx=None):
        st = self.status(i, ctx)
        return st and st.get("leader", "0") != "0" and st["leader"]

    def get(self, i, key, ctx=None):
        # Serializable: a member without a leader answers from its own store at once.
        st, body = post(self.client[i] + "/v3/kv/range", {"key": b64(key), "serializable": True},
                        ctx or self.admin)
        kvs = body.get("kvs", []) if st == 200 else []
        return base64.b64decode(kvs[0]["value"]).decode() if kvs else None

    def test_cluster_forms_and_serves_https(self):
        for i in range(3):
            self.start(i)
        lead = harness.wait_until(
            lambda: len({self.leader_of(i) for i in range(3)} - {None, False}) == 1 and
            self.leader_of(0), 20, "a leader all three members agree on")
        self.assertTrue(lead)
        st, _ = post(self.client[0] + "/v3/kv/put", {"key": b64("k"), "value": b64("v")}, self.admin)
        self.assertEqual(200, st)
        harness.wait_until(lambda: all(self.get(i, "k") == "v" for i in range(3)), 10,
                           "the write on every member")
        # The client port: no certificate, or one of another CA, is refused.
        for ctx in (context(self.pki), context(self.foreign, "apiserver-etcd-client")):
            self.assertTrue(refused(self.client[1] + "/v3/kv/range", {"key": b64("k")}, ctx))
        # Plain http on an https port gets no answer.
        with self.assertRaises(Exception):
            urllib.request.urlopen(self.client[1].replace("https", "http") + "/health", timeout=2)

    def test_peer_without_a_valid_certificate_is_refused(self):
        # m3 holds certificates of another CA: m1 and m2 refuse it and it refuses them.
        self.member_pki = [self.pki, self.pki, self.foreign]
        for i in range(3):
            self.start(i)
        harness.wait_until(lambda: self.leader_of(0) and self.leader_of(0) == self.leader_of(1),
                           20, "m1 and m2 to agree on a leader")
        st, _ = post(self.client[0] + "/v3/kv/put", {"key": b64("k"), "value": b64("v")}, self.admin)
        self.assertEqual(200, st)
        # Raft messages sent straight to a peer port without the cluster CA's certificate.
        for ctx in (context(self.pki), context(self.foreign, "etcd-m3-peer")):
            self.assertTrue(refused(self.peer[0] + "/raft/msgs", {}, ctx))
        # The rogue m3 has not joined: it knows no leader and has not got the write, as long
        # as m1 and m2 kept serving it (they commit and replicate meanwhile).
        rogue = context(self.foreign, "apiserver-etcd-client")
        harness.wait_until(lambda: self.get(1, "k") == "v", 10, "the write on m2")
        self.assertFalse(self.leader_of(2, rogue))
        self.assertIsNone(self.get(2, "k", rogue))
        # m3 with the cluster's certificates (a fresh data dir) catches up.
        harness.stop(self.procs[2])
        self.member_pki[2] = self.pki
        self.dir3 = os.path.join(self.dir, "m3")
        subprocess.run(["rm", "-rf", self.dir3], check=True)
        self.start(2)
        harness.wait_until(lambda: self.get(2, "k") == "v", 20, "m3 to catch up once trusted")


if __name__ == "__main__":
    unittest.main(verbosity=2)
