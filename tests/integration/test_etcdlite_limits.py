"""etcdlite's request limits with etcd's errors: --max-request-bytes ("etcdserver: request is too large"),
gRPC's bound of --max-request-bytes + 512 KiB (429, "grpc: received message larger than max"),
and --max-concurrent-streams (watch streams one client may hold; the next gets 429 until one ends).

Every wait polls with a deadline; every process is killed at the end.
"""
import base64
import http.client
import json
import os
import socket
import sys
import unittest
import urllib.parse

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import harness  # noqa: E402
from etcd_cluster import Cluster  # noqa: E402


def b64(s):
    return base64.b64encode(s.encode() if isinstance(s, str) else s).decode()


class EtcdliteLimitsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.etcd = Cluster(size=1, extra=["--max-request-bytes", "4096", "--max-concurrent-streams", "2"]).start_all()
        u = urllib.parse.urlparse(cls.etcd.client[0])
        cls.host, cls.port = u.hostname, u.port

    @classmethod
    def tearDownClass(cls):
        cls.etcd.stop()

    def post(self, path, body):
        st, raw = harness.http("POST", self.etcd.client[0] + path, body)
        return st, json.loads(raw)

    def test_request_too_large(self):
        st, out = self.post("/v3/kv/put", {"key": b64("small"), "value": b64("x" * 100)})
        self.assertEqual(st, 200, out)
        st, out = self.post("/v3/kv/put", {"key": b64("big"), "value": b64("x" * 5000)})
        self.assertEqual(st, 400, out)
        self.assertEqual((out["error"], out["code"]), ("etcdserver: request is too large", 3))

    def test_over_grpc_bound(self):
        # 4096 + 512 KiB is the bound; the put's protobuf size is 1+1+3 (key) + 1+3+600000 (value).
        st, out = self.post("/v3/kv/put", {"key": b64("big"), "value": b64("x" * 600000)})
        self.assertEqual((429, 8, "grpc: received message larger than max (600009 vs. 528384)"),
                         (st, out["code"], out["error"]))

    def test_body_over_what_is_read_answered_before_it_is_sent(self):
        # Over the 16 MiB etcdlite reads whole: the answer comes without the body, sized from
        # the declared length (3 bytes in 4 of base64).
        n = 17 << 20
        with socket.create_connection((self.host, self.port), timeout=10) as s:
            s.sendall(b"POST /v3/kv/put HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                      b"Content-Length: %d\r\n\r\n" % n)
            data = b""
            while b"}" not in data:
                chunk = s.recv(4096)
                if not chunk:
                    break
                data += chunk
        head, _, body = data.partition(b"\r\n\r\n")
        self.assertTrue(head.startswith(b"HTTP/1.1 429"), head)
        out = json.loads(body)
        self.assertEqual((8, "grpc: received message larger than max (%d vs. 528384)" % (n // 4 * 3)),
                         (out["code"], out["error"]))

    def open_watch(self):
        conn = http.client.HTTPConnection(self.host, self.port, timeout=10)
        conn.request("POST", "/v3/watch", json.dumps({"create_request": {"key": b64("w")}}))
        r = conn.getresponse()
        if r.status == 200:
            created = json.loads(r.readline())
            self.assertTrue(created["result"]["created"])
        return conn, r

    def test_max_concurrent_streams(self):
        held = [self.open_watch() for _ in range(2)]
        for _, r in held:
            self.assertEqual(r.status, 200)
        conn, r = self.open_watch()
        self.assertEqual(r.status, 429)
        out = json.loads(r.read())
        self.assertEqual((out["error"], out["code"]), ("etcdserver: too many requests", 8))
        conn.close()
        # unary requests are not streams: still served
        self.assertEqual(self.post("/v3/kv/range", {"key": b64("w")})[0], 200)
        # a stream that ends frees its slot (noticed when the server next writes to it)
        held[0][1].close()
        held[0][0].close()

        def third():
            self.post("/v3/kv/put", {"key": b64("w"), "value": b64("v")})
            c, r = self.open_watch()
            r.close()
            c.close()
            return r.status == 200
        harness.wait_until(third, 10.0, "a watch slot freed")
        held[1][1].close()
        held[1][0].close()


if __name__ == "__main__":
    unittest.main(verbosity=2)
