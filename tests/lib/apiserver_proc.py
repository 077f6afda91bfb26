"""apiserver_proc.py: start bin/apiserver on a free loopback port over an etcd cluster, and talk to it."""
import http.client
import json
import os
import urllib.parse

import harness


def tls_args(pki, secure_port):
    """Flags for HTTPS on secure_port with pki's serving certificate, verifying clients against its CA."""
    return ["--secure-port", str(secure_port),
            "--tls-cert-file", os.path.join(pki, "apiserver.crt"),
            "--tls-private-key-file", os.path.join(pki, "apiserver.key"),
            "--client-ca-file", os.path.join(pki, "ca.crt")]


class Apiserver:
    def __init__(self, etcd_urls, extra=None, ready_status=200):
        """ready_status: what /readyz answers once up (403 when --allowed-client-cidrs leaves out loopback)."""
        self.ready_status = ready_status
        self.port = harness.free_ports(1)[0]
        self.dir = harness.tempdir("apisrv-test-")
        self.url = "http://127.0.0.1:%d" % self.port
        argv = [os.path.join(harness.BIN, "apiserver"), "--etcd-servers", ",".join(etcd_urls),
                "--insecure-port", str(self.port)] + list(extra or [])
        self.proc = harness.start(argv, os.path.join(self.dir, "apiserver.log"))
        harness.wait_until(self.ready, 15.0, "apiserver ready on %d" % self.port)

    def ready(self):
        st, _ = harness.http("GET", self.url + "/readyz", timeout=1.0)
        return st == self.ready_status

    def stop(self):
        """SIGTERM, as an operator stops it: it must exit 0 (and under ASan, leak nothing)."""
        was_running = self.proc.poll() is None
        rc = harness.stop(self.proc)
        if was_running and rc != 0:
            raise AssertionError("apiserver exited with %s:\n%s" % (rc, harness.tail(self.proc.log_path)))

    def req(self, method, path, body=None, ctype="application/json", headers=None, timeout=10.0):
        """Returns (status, parsed JSON or raw bytes)."""
        h = dict(headers or {})
        data = None
        if body is not None:
            data = body if isinstance(body, (bytes, bytearray)) else json.dumps(body).encode()
            h["Content-Type"] = ctype
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            conn.request(method, path, body=data, headers=h)
            r = conn.getresponse()
            raw = r.read()
        finally:
            conn.close()
        try:
            return r.status, json.loads(raw) if raw else None
        except ValueError:
            return r.status, raw

    def watch(self, path, timeout=10.0, headers=None):
        """Opens a watch; returns (conn, response) to read lines from (events are one JSON a line)."""
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        conn.request("GET", path, headers=dict(headers or {}))
        return conn, conn.getresponse()


def read_events(resp, n=None, until=None):
    """Reads events until n were read, or until(ev) is true, or the stream ends."""
    out = []
    while True:
        line = resp.readline()
        if not line:
            break
        ev = json.loads(line)
        out.append(ev)
        if (n is not None and len(out) >= n) or (until and until(ev)):
            break
    return out


def q(**kw):
    return "?" + urllib.parse.urlencode(kw)
