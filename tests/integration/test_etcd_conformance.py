"""Conformance: the same requests to a real etcd 3.4 and to etcdlite, responses compared field by field.

Ignored everywhere: cluster_id, member_id, raft_term (ids and terms differ by
construction), lease IDs the server picks, and maintenance fields that describe
the implementation (version, dbSize...). Known, documented differences are in
ALLOWED below, each with its reason.
"""
import base64
import http.client
import json
import os
import sys
import unittest
import urllib.parse

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import harness  # noqa: E402
from etcd_cluster import Cluster  # noqa: E402


def b64(s):
    return base64.b64encode(s.encode() if isinstance(s, str) else s).decode()


IGNORED_KEYS = {"cluster_id", "member_id", "raft_term"}
# Field paths whose values differ by construction (not by behaviour).
IGNORED_PATHS = {
    "status": {"version", "dbSize", "dbSizeInUse", "raftIndex", "raftAppliedIndex", "leader",
               "raftTerm"},
    # etcd hashes its database file, etcdlite its key space: the numbers differ by construction.
    "hash": {"hash"},
}
# Differences we accept, with the reason. Keyed by step name -> set of paths.
ALLOWED = {
    # etcd's grpc-gateway reports Go's JSON decoder message; ours says the same thing in C words.
    "bad-json": {".error", ".message"},
}
# Steps where etcdlite answers otherwise on purpose (docs/etcdlite.md, "Differences from
# etcd"): step name -> (etcd's answer, etcdlite's answer), each (status, body) exactly.
UNSUPPORTED = "etcdserver: etcdlite has no authentication: auth enable is not supported"
DIFFERENT = {
    # etcd refuses for want of a root user; etcdlite has no users at all, and says so.
    "auth-enable": ((412, {"error": "etcdserver: root user does not exist",
                           "message": "etcdserver: root user does not exist", "code": 9}),
                    (501, {"error": UNSUPPORTED, "message": UNSUPPORTED, "code": 12})),
}


def normalize(obj):
    if isinstance(obj, dict):
        return {k: normalize(v) for k, v in obj.items() if k not in IGNORED_KEYS}
    if isinstance(obj, list):
        return [normalize(v) for v in obj]
    return obj


def diff(a, b, path=""):
    """Yields (path, a, b) for every field that differs."""
    if isinstance(a, dict) and isinstance(b, dict):
        for k in sorted(set(a) | set(b)):
            if k not in a or k not in b:
                yield (path + "." + k, a.get(k, "<absent>"), b.get(k, "<absent>"))
            else:
                yield from diff(a[k], b[k], path + "." + k)
    elif isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            yield (path + "[len]", len(a), len(b))
        for i, (x, y) in enumerate(zip(a, b)):
            yield from diff(x, y, "%s[%d]" % (path, i))
    elif a != b:
        yield (path, a, b)


def differences(a, b):
    """diff() of two normalized answers, less a lease's seconds left that are
    one apart: both servers truncate them, so a grant (or keepalive) and a
    timetolive that straddle a clock tick read 59 where another run reads 60."""
    for path, x, y in diff(normalize(a), normalize(b)):
        if path == ".TTL" and abs(int(x) - int(y)) <= 1:
            continue
        yield (path, x, y)


class Endpoint:
    def __init__(self, url):
        self.url = url

    def call(self, path, body, method="POST"):
        raw = body if isinstance(body, (bytes, str)) or body is None else json.dumps(body)
        if isinstance(raw, str):
            raw = raw.encode()
        status, data = harness.http(method, self.url + path, raw, timeout=10)
        try:
            parsed = json.loads(data) if data else None
        except ValueError:
            parsed = data.decode(errors="replace").strip()
        return status, parsed

    def watch(self, body, n_messages, timeout=5.0):
        """Opens a watch stream and returns its first n_messages results."""
        u = urllib.parse.urlparse(self.url)
        conn = http.client.HTTPConnection(u.hostname, u.port, timeout=timeout)
        conn.request("POST", "/v3/watch", json.dumps(body), {"Content-Type": "application/json"})
        resp = conn.getresponse()
        out = []
        while len(out) < n_messages:
            line = resp.readline()
            if not line:
                break
            line = line.strip()
            if line:
                out.append(json.loads(line))
        conn.close()
        return out


def steps():
    """The sequence: (name, path, body). Both servers start empty."""
    K = b64("foo")
    return [
        # A store never compacted takes one compaction at 0 (etcd starts below it), then 0 is compacted.
        ("compact-below-zero-fresh", "/v3/kv/compaction", {"revision": "-1"}),
        ("compact-zero-fresh", "/v3/kv/compaction", {"revision": "0"}),
        ("compact-zero-again", "/v3/kv/compaction", {}),
        ("put", "/v3/kv/put", {"key": K, "value": b64("bar")}),
        ("put-prev", "/v3/kv/put", {"key": K, "value": b64("baz"), "prev_kv": True}),
        ("put-a1", "/v3/kv/put", {"key": b64("a/1"), "value": b64("1")}),
        ("put-a2", "/v3/kv/put", {"key": b64("a/2"), "value": b64("2")}),
        ("put-a3", "/v3/kv/put", {"key": b64("a/3"), "value": b64("3")}),
        ("range", "/v3/kv/range", {"key": K}),
        ("range-missing", "/v3/kv/range", {"key": b64("nokey")}),
        ("range-all", "/v3/kv/range", {"key": b64("\0"), "range_end": b64("\0")}),
        ("range-prefix", "/v3/kv/range", {"key": b64("a/"), "range_end": b64("a0")}),
        ("range-limit", "/v3/kv/range", {"key": b64("a/"), "range_end": b64("a0"), "limit": 2}),
        ("range-count", "/v3/kv/range", {"key": b64("a/"), "range_end": b64("a0"),
                                         "count_only": True}),
        ("range-keys", "/v3/kv/range", {"key": b64("a/"), "range_end": b64("a0"),
                                        "keys_only": True}),
        ("range-sort", "/v3/kv/range", {"key": b64("a/"), "range_end": b64("a0"),
                                        "sort_order": "DESCEND", "sort_target": "KEY"}),
        ("range-sort-mod", "/v3/kv/range", {"key": b64("\0"), "range_end": b64("\0"),
                                            "sort_order": "ASCEND", "sort_target": "MOD"}),
        ("range-min-mod", "/v3/kv/range", {"key": b64("\0"), "range_end": b64("\0"),
                                           "min_mod_revision": "5", "limit": 1}),
        ("range-max-create", "/v3/kv/range", {"key": b64("a/"), "range_end": b64("a0"),
                                              "max_create_revision": "4", "max_mod_revision": "9",
                                              "min_create_revision": "2"}),
        ("range-old", "/v3/kv/range", {"key": K, "revision": "2"}),
        ("range-future", "/v3/kv/range", {"key": K, "revision": "1000"}),
        ("bad-json", "/v3/kv/range", "{bad json"),
        ("bad-base64", "/v3/kv/range", {"key": "!!!"}),
        # Go's base64.StdEncoding decodes bytes: padding required, newlines skipped, no URL-safe alphabet.
        ("base64-unpadded", "/v3/kv/put", {"key": "Zm9vYQ", "value": b64("x")}),
        ("base64-unpadded-value", "/v3/kv/put", {"key": K, "value": "YmF"}),
        ("base64-half-padded", "/v3/kv/put", {"key": "Zm9vYQ=", "value": b64("x")}),
        ("base64-after-padding", "/v3/kv/range", {"key": "Zm9vYQ==Zm9v"}),
        ("base64-url-safe", "/v3/kv/range", {"key": "-_-_"}),
        ("base64-space", "/v3/kv/range", {"key": "Zm9v YQ=="}),
        ("base64-newlines", "/v3/kv/range", {"key": "Zm\n9v\r\n"}),
        ("base64-leftover-bits", "/v3/kv/range", {"key": "Zm9vYR=="}),
        ("base64-range-end-unpadded", "/v3/kv/range", {"key": "AA==", "range_end": "AA"}),
        ("bad-enum", "/v3/kv/range", {"key": K, "sort_order": "UP"}),
        ("bad-bool", "/v3/kv/range", {"key": K, "keys_only": "true"}),
        ("bad-bytes", "/v3/kv/range", {"key": 5}),
        ("bad-body-array", "/v3/kv/range", "[1]"),
        ("null-body", "/v3/kv/range", "null"),
        ("bad-compare-target", "/v3/kv/txn", {"compare": [{"target": "FOO", "key": K}]}),
        ("delete-prev", "/v3/kv/deleterange", {"key": b64("a/1"), "prev_kv": True}),
        ("delete-missing", "/v3/kv/deleterange", {"key": b64("zzz")}),
        ("delete-prefix", "/v3/kv/deleterange", {"key": b64("a/"), "range_end": b64("a0")}),
        ("txn-create", "/v3/kv/txn", {
            "compare": [{"target": "CREATE", "key": b64("t"), "create_revision": "0"}],
            "success": [{"request_put": {"key": b64("t"), "value": b64("v1")}}],
            "failure": [{"request_range": {"key": b64("t")}}]}),
        ("txn-create-again", "/v3/kv/txn", {
            "compare": [{"target": "CREATE", "key": b64("t"), "create_revision": "0"}],
            "success": [{"request_put": {"key": b64("t"), "value": b64("v1")}}],
            "failure": [{"request_range": {"key": b64("t")}}]}),
        ("txn-value", "/v3/kv/txn", {
            "compare": [{"target": "VALUE", "key": b64("t"), "result": "EQUAL", "value": b64("v1")}],
            "success": [{"request_put": {"key": b64("t"), "value": b64("v2"), "prev_kv": True}},
                        {"request_delete_range": {"key": K}}]}),
        ("txn-version", "/v3/kv/txn", {
            "compare": [{"target": "VERSION", "key": b64("t"), "result": "GREATER", "version": "1"}],
            "success": [{"request_range": {"key": b64("t")}}]}),
        ("txn-mod-less", "/v3/kv/txn", {
            "compare": [{"target": "MOD", "key": b64("t"), "result": "LESS", "mod_revision": "3"}],
            "success": [{"request_range": {"key": b64("t")}}],
            "failure": [{"request_put": {"key": b64("t2"), "value": b64("x")}}]}),
        ("txn-dup", "/v3/kv/txn", {
            "success": [{"request_put": {"key": b64("d"), "value": b64("1")}},
                        {"request_put": {"key": b64("d"), "value": b64("2")}}]}),
        ("txn-empty", "/v3/kv/txn", {}),
        ("txn-empty-op", "/v3/kv/txn", {"success": [{}]}),
        ("txn-compare-no-key", "/v3/kv/txn", {
            "compare": [{"target": "VERSION", "result": "EQUAL", "version": "0"}]}),
        ("lease-grant", "/v3/lease/grant", {"TTL": "60", "ID": "7587"}),
        ("lease-grant-again", "/v3/lease/grant", {"TTL": "60", "ID": "7587"}),
        ("lease-put", "/v3/kv/put", {"key": b64("l"), "value": b64("x"), "lease": "7587"}),
        ("lease-put-missing", "/v3/kv/put", {"key": b64("l"), "value": b64("x"), "lease": "99"}),
        ("lease-ttl", "/v3/lease/timetolive", {"ID": "7587", "keys": True}),
        ("lease-leases", "/v3/lease/leases", {}),
        ("lease-keepalive-missing", "/v3/lease/keepalive", {"ID": "99"}),
        ("lease-keepalive-empty", "/v3/lease/keepalive", {}),
        ("lease-revoke", "/v3/lease/revoke", {"ID": "7587"}),
        ("lease-revoke-again", "/v3/lease/revoke", {"ID": "7587"}),
        ("lease-key-gone", "/v3/kv/range", {"key": b64("l")}),
        ("compact", "/v3/kv/compaction", {"revision": "4"}),
        ("compact-again", "/v3/kv/compaction", {"revision": "4"}),
        ("compact-future", "/v3/kv/compaction", {"revision": "1000"}),
        ("range-compacted", "/v3/kv/range", {"key": K, "revision": "3"}),
        ("put-ignore-value-missing", "/v3/kv/put", {"key": b64("nope"), "ignore_value": True}),
        ("put-too-large", "/v3/kv/put", {"key": b64("big"), "value": b64("x" * 1600000)}),
        # Over the limit but under etcd's gRPC bound (limit + 512 KiB): still etcd's own answer.
        ("put-too-large-2", "/v3/kv/put", {"key": b64("big"), "value": b64("x" * 2000000)}),
        # --max-request-bytes bounds a write inside etcd's InternalRaftRequest (its request
        # header is 13 or 14 bytes, by the member id): two bytes either side of the bound.
        ("put-at-limit", "/v3/kv/put", {"key": b64("big"), "value": b64("x" * 1572836)}),
        ("put-over-limit", "/v3/kv/put", {"key": b64("big"), "value": b64("x" * 1572841)}),
        ("txn-at-limit", "/v3/kv/txn", {"success": [{"request_put": {
            "key": b64("big"), "value": b64("x" * 1572828)}}]}),
        ("txn-over-limit", "/v3/kv/txn", {"success": [{"request_put": {
            "key": b64("big"), "value": b64("x" * 1572833)}}]}),
        # Over raft's 1 MiB per append message, under --max-request-bytes: one entry, taken.
        ("put-over-1mib", "/v3/kv/put", {"key": b64("big"), "value": b64("x" * 1200000)}),
        # Writes that go through the log: the filters of a range in a txn, a nested txn.
        ("txn-range-filters", "/v3/kv/txn", {"success": [
            {"request_put": {"key": b64("f"), "value": b64("1")}},
            {"request_range": {"key": b64("\0"), "range_end": b64("\0"), "keys_only": True,
                               "min_create_revision": "10", "max_mod_revision": "13"}}]}),
        ("txn-nested", "/v3/kv/txn", {"success": [{"request_txn": {
            "compare": [{"target": "VALUE", "key": b64("f"), "result": "EQUAL", "value": b64("1")}],
            "success": [{"request_put": {"key": b64("g"), "value": b64("2"), "prev_kv": True}},
                        {"request_range": {"key": b64("g")}}]}}]}),
        # Over what etcd's gRPC server takes (--max-request-bytes + 512 KiB, counted in
        # protobuf bytes): gRPC's own message with the exact size, code 8, 429.
        ("put-over-grpc-limit", "/v3/kv/put", {"key": b64("big"), "value": b64("x" * 2175000)}),
        ("txn-over-grpc-limit", "/v3/kv/txn", {"success": [{"request_put": {
            "key": b64("big"), "value": b64("x" * 2175000)}}]}),
        ("range-over-grpc-limit", "/v3/kv/range", {"key": b64("k" * 2175000)}),
        ("txn-compare-over-grpc-limit", "/v3/kv/txn", {"compare": [{
            "target": "VALUE", "result": "EQUAL", "key": b64("big"), "value": b64("x" * 2100000)}]}),
        # Paths and methods the gateway has no route for: plain text, as Go's muxes answer.
        ("unknown-v3-path", "/v3/kv/nothing", {}),
        ("unknown-v3-get", "/v3/nothing", None, "GET"),
        ("unknown-root", "/nothing", {}),
        ("unknown-v3alpha", "/v3alpha/kv/range", {"key": K}),
        ("wrong-method", "/v3/kv/range", None, "GET"),
        ("wrong-method-put", "/v3/kv/put", {}, "PUT"),
        ("wrong-method-health", "/health", None, "POST"),
        ("cors-preflight", "/v3/kv/range", None, "OPTIONS"),
        ("v3beta-range", "/v3beta/kv/range", {"key": b64("t")}),
        # Maintenance: no alarms raised, nothing to defragment, a hash.
        ("alarm-list", "/v3/maintenance/alarm", {}),
        ("alarm-get", "/v3/maintenance/alarm", {"action": "GET", "alarm": "NOSPACE"}),
        ("alarm-deactivate-none", "/v3/maintenance/alarm", {"action": "DEACTIVATE",
                                                            "alarm": "NOSPACE"}),
        ("alarm-bad-action", "/v3/maintenance/alarm", {"action": "BAD"}),
        ("alarm-bad-type", "/v3/maintenance/alarm", {"alarm": "FULL"}),
        ("defragment", "/v3/maintenance/defragment", {}),
        ("hash", "/v3/maintenance/hash", {}),
        # Membership: what etcd answers before it would change anything.
        ("member-add-no-urls", "/v3/cluster/member/add", {}),
        ("member-remove-unknown", "/v3/cluster/member/remove", {"ID": "5"}),
        ("member-update-unknown", "/v3/cluster/member/update", {"ID": "5", "peerURLs": ["http://a:1"]}),
        ("member-promote-unknown", "/v3/cluster/member/promote", {}),
        # Auth off, nobody added.
        ("auth-enable", "/v3/auth/enable", {}),
        ("auth-disable", "/v3/auth/disable", {}),
        ("auth-authenticate", "/v3/auth/authenticate", {"name": "root", "password": "x"}),
        ("auth-user-list", "/v3/auth/user/list", {}),
        ("auth-role-list", "/v3/auth/role/list", {}),
        ("auth-user-get", "/v3/auth/user/get", {"name": "u"}),
        ("auth-user-delete", "/v3/auth/user/delete", {"name": "u"}),
        ("auth-user-changepw", "/v3/auth/user/changepw", {"name": "u", "password": "p"}),
        ("auth-user-grant", "/v3/auth/user/grant", {"user": "u", "role": "r"}),
        ("auth-role-get", "/v3/auth/role/get", {"role": "r"}),
        ("auth-role-revoke", "/v3/auth/role/revoke", {"role": "r", "key": b64("k")}),
        ("status", "/v3/maintenance/status", {}),
    ]


def run_all(url):
    ep = Endpoint(url)
    out = []
    for name, path, body, *method in steps():
        out.append((name, ep.call(path, body, *method)))
    # Watches after the writes: a catch-up from an old revision with prev_kv, a compacted one.
    out.append(("watch-catchup", (200, ep.watch(
        {"create_request": {"key": b64("t"), "start_revision": "5", "prev_kv": True}}, 2))))
    out.append(("watch-compacted", (200, ep.watch(
        {"create_request": {"key": b64("t"), "start_revision": "2"}}, 2))))
    out.append(("watch-client-id", (200, ep.watch(
        {"create_request": {"key": b64("t"), "start_revision": "5", "watch_id": "7"}}, 2))))
    return out


class Conformance(unittest.TestCase):
    def test_same_answers_as_etcd(self):
        ref = Cluster(1, kind="etcd").start_all()
        ours = Cluster(1, kind="etcdlite").start_all()
        try:
            want = run_all(ref.client[0])
            got = run_all(ours.client[0])
        finally:
            ref.stop()
            ours.stop()
        problems = []
        for (name, (st_w, body_w)), (_, (st_g, body_g)) in zip(want, got):
            if name in DIFFERENT:
                if DIFFERENT[name] != ((st_w, body_w), (st_g, body_g)):
                    problems.append("%s: etcd %r, etcdlite %r; expected %r" % (
                        name, (st_w, body_w), (st_g, body_g), DIFFERENT[name]))
                continue
            if st_w != st_g:
                problems.append("%s: HTTP %s from etcd, %s from etcdlite" % (name, st_w, st_g))
            ignored = IGNORED_PATHS.get(name, set())
            for path, a, b in differences(body_w, body_g):
                if path.lstrip(".") in ignored or path in ALLOWED.get(name, set()):
                    continue
                problems.append("%s: %s: etcd %r, etcdlite %r" % (name, path, a, b))
        self.assertEqual([], problems, "\n" + "\n".join(problems))


class ConformanceCluster(unittest.TestCase):
    def test_member_list_in_id_order_and_leases_through_a_follower(self):
        answers = {}
        for kind in ("etcd", "etcdlite"):
            cl = Cluster(3, kind=kind).start_all()
            try:
                ep = Endpoint(cl.client[(cl.leader() + 1) % 3])
                members = ep.call("/v3/cluster/member/list", {})
                ep.call("/v3/lease/grant", {"TTL": "60", "ID": "42"})
                answers[kind] = [
                    ep.call("/v3/lease/keepalive", {"ID": "42"}),
                    ep.call("/v3/lease/keepalive", {"ID": "43"}),
                    ep.call("/v3/lease/timetolive", {"ID": "42"}),
                ]
            finally:
                cl.stop()
            self.assertEqual(200, members[0])
            ids = [int(m["ID"]) for m in members[1]["members"]]
            self.assertEqual(sorted(ids), ids, "%s lists members by ID" % kind)
            self.assertEqual(3, len(ids))
        for (st_w, body_w), (st_g, body_g) in zip(answers["etcd"], answers["etcdlite"]):
            self.assertEqual(st_w, st_g)
            self.assertEqual([], list(differences(body_w, body_g)))


if __name__ == "__main__":
    unittest.main()
