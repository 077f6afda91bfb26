"""etcdlite as a three-member cluster of real processes: failover, loss of quorum, catch-up.

Every wait polls with a deadline; every process is killed at the end.
"""
import base64
import os
import sys
import threading
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import harness  # noqa: E402
from etcd_cluster import Cluster  # noqa: E402


def b64(s):
    return base64.b64encode(s.encode()).decode()


def put(url, k, v, timeout=3.0):
    return harness.post_json(url + "/v3/kv/put", {"key": b64(k), "value": b64(v)}, timeout=timeout)


def get(url, k, serializable=False, timeout=3.0):
    st, body = harness.post_json(url + "/v3/kv/range",
                                 {"key": b64(k), "serializable": serializable}, timeout=timeout)
    if st != 200:
        return st, None
    kvs = body.get("kvs", [])
    return st, base64.b64decode(kvs[0]["value"]).decode() if kvs else None


def hashkv(url, rev):
    return harness.post_json(url + "/v3/maintenance/hashkv", {"revision": str(rev)})


class ClusterTest(unittest.TestCase):
    def setUp(self):
        self.c = Cluster(3, extra=["--snapshot-count", "200", "--request-timeout", "2s"]).start_all()

    def tearDown(self):
        self.c.stop()

    def assert_same_hash_everywhere(self, rev):
        """Every member hashes the key space at rev alike, once it has applied rev."""
        answers = {}

        def all_answer():
            for i in range(3):
                st, body = hashkv(self.c.client[i], rev)
                if st != 200:
                    return False
                answers[i] = (body["hash"], body.get("compact_revision"))
            return True
        harness.wait_until(all_answer, 15, "every member to hash revision %d" % rev)
        self.assertEqual(1, len(set(answers.values())), answers)
        return answers[0][0]

    def test_hashkv_agrees_across_members_and_membership_is_static(self):
        revs = []
        for i in range(6):
            st, body = put(self.c.client[i % 3], "h%d" % (i % 4), "v%d" % i)
            self.assertEqual(200, st)
            revs.append(int(body["header"]["revision"]))
        h1 = self.assert_same_hash_everywhere(revs[2])
        h2 = self.assert_same_hash_everywhere(revs[5])
        self.assertNotEqual(h1, h2)
        self.assertEqual(h1, hashkv(self.c.client[1], revs[2])[1]["hash"], "a past revision's hash stays")
        st, body = hashkv(self.c.client[0], revs[5] + 100)
        self.assertEqual((400, 11, "etcdserver: mvcc: required revision is a future revision"),
                         (st, body["code"], body["error"]))
        # Static membership: real members cannot be changed, and each says why.
        st, body = harness.post_json(self.c.client[0] + "/v3/cluster/member/list", {})
        ids = [m["ID"] for m in body["members"]]
        for path, req in (("add", {"peerURLs": ["http://127.0.0.1:1"]}), ("remove", {"ID": ids[1]}),
                          ("update", {"ID": ids[1], "peerURLs": ["http://127.0.0.1:1"]})):
            st, body = harness.post_json(self.c.client[0] + "/v3/cluster/member/" + path, req)
            self.assertEqual((501, 12), (st, body["code"]), path)
            self.assertEqual("etcdserver: etcdlite has static membership (--initial-cluster): "
                             "member %s is not supported" % path, body["error"])
        st, body = harness.post_json(self.c.client[0] + "/v3/cluster/member/promote", {"ID": ids[2]})
        self.assertEqual((412, 9, "etcdserver: can only promote a learner member"),
                         (st, body["code"], body["error"]))
        st, body = harness.post_json(self.c.client[0] + "/v3/cluster/member/list", {})
        self.assertEqual(ids, [m["ID"] for m in body["members"]])

    def test_writes_through_any_member_are_read_linearizably_everywhere(self):
        for i in range(3):
            st, _ = put(self.c.client[i], "k%d" % i, "v%d" % i)
            self.assertEqual(200, st)
        for i in range(3):
            for j in range(3):
                self.assertEqual((200, "v%d" % j), get(self.c.client[i], "k%d" % j))

    def test_leader_kill_during_writes_then_catch_up_by_snapshot(self):
        acked = {}
        leader = self.c.wait_leader()
        others = [i for i in range(3) if i != leader]
        for n in range(50):
            st, _ = put(self.c.client[others[0]], "w%d" % n, "x%d" % n)
            self.assertEqual(200, st)
            acked["w%d" % n] = "x%d" % n
        self.c.kill(leader)
        killed_at = time.monotonic()

        def write_ok():
            st, _ = put(self.c.client[others[0]], "after-kill", "1", timeout=1.0)
            return st == 200
        harness.wait_until(write_ok, 15, "a write after the leader was killed")
        print("\nfailover: first successful write %.0f ms after kill -9 of the leader" %
              ((time.monotonic() - killed_at) * 1000))
        acked["after-kill"] = "1"
        # Past --snapshot-count, so the killed member must be sent a snapshot.
        for n in range(400):
            st, _ = put(self.c.client[others[n % 2]], "s%d" % n, "y%d" % n)
            self.assertEqual(200, st)
            acked["s%d" % n] = "y%d" % n
        self.c.restart(leader)
        harness.wait_until(lambda: get(self.c.client[leader], "s399", serializable=True) ==
                           (200, "y399"), 15, "the restarted member to catch up")
        with open(self.c.procs[leader].log_path) as f:
            self.assertIn("installed snapshot", f.read(),
                          "the log was compacted past the member: it must catch up by snapshot")
        for k, v in acked.items():
            for i in range(3):
                self.assertEqual((200, v), get(self.c.client[i], k, serializable=True),
                                 "member %d key %s" % (i, k))

    def test_catch_up_by_snapshot_larger_than_a_client_request(self):
        # 4 MiB of values, twice what a client body may hold: the snapshot (and the
        # append batches) a lagging member is sent must still get through.
        leader = self.c.wait_leader()
        lag = next(i for i in range(3) if i != leader)
        up = [i for i in range(3) if i != lag]
        self.c.kill(lag)
        big = "z" * (256 * 1024)
        for n in range(16):
            st, _ = put(self.c.client[up[n % 2]], "big%d" % n, big + str(n), timeout=10)
            self.assertEqual(200, st)
        for n in range(250):  # past --snapshot-count: member 3 needs a snapshot
            st, body = put(self.c.client[up[n % 2]], "pad%d" % n, "p")
            self.assertEqual(200, st)
        self.c.restart(lag)
        harness.wait_until(lambda: get(self.c.client[lag], "pad249", serializable=True) == (200, "p"), 30,
                           "the restarted member to catch up")
        self.assertEqual((200, big + "15"), get(self.c.client[lag], "big15", serializable=True))
        with open(self.c.procs[lag].log_path) as f:
            log = f.read()
        self.assertIn("installed snapshot", log)
        self.assertNotIn("too large", log)
        # The member restored from a snapshot holds the same key space as those that applied the log.
        self.assert_same_hash_everywhere(int(body["header"]["revision"]))

    def test_without_quorum_writes_fail_in_bounded_time_and_serializable_reads_answer(self):
        self.assertEqual(200, put(self.c.client[0], "q", "1")[0])
        harness.wait_until(lambda: get(self.c.client[2], "q", serializable=True) == (200, "1"),
                           5, "member 3 to apply the write")
        self.c.kill(0)
        self.c.kill(1)
        t0 = time.monotonic()
        st, body = put(self.c.client[2], "q", "2", timeout=10)
        took = time.monotonic() - t0
        self.assertNotEqual(200, st)
        self.assertIn("etcdserver", body["message"])
        self.assertLess(took, 4.0)
        t0 = time.monotonic()
        st, _ = get(self.c.client[2], "q", timeout=10)
        self.assertNotEqual(200, st)
        self.assertLess(time.monotonic() - t0, 4.0)
        self.assertEqual((200, "1"), get(self.c.client[2], "q", serializable=True))
        self.c.restart(0)
        self.c.restart(1)
        harness.wait_until(lambda: put(self.c.client[2], "q", "3", timeout=1.0)[0] == 200, 15,
                           "writes to resume once quorum is back")
        for i in range(3):
            harness.wait_until(lambda i=i: get(self.c.client[i], "q") == (200, "3"), 10,
                               "member %d to read the newest value" % i)

    def test_survivor_alone_with_traffic_then_members_back_one_by_one(self):
        """The compose chaos run: two members killed, the third kept busy alone for 30 s,
        the others restarted one by one; then an election and linearizable reads through
        the survivor within seconds (they hung for 70 s there)."""
        s = self.c.wait_leader()
        a, b = [i for i in range(3) if i != s]
        for k in range(30):
            self.assertEqual(200, put(self.c.client[s], "k%d" % k, "v" * 2000)[0])
        self.c.kill(a)
        for k in range(10):
            self.assertEqual(200, put(self.c.client[s], "k%d" % k, "w" * 2000)[0])
        self.c.kill(b)
        stop = threading.Event()

        def traffic():
            n = 0
            while not stop.is_set():
                try:
                    put(self.c.client[s], "t%d" % (n % 20), "x" * 3000, timeout=2.5)
                    get(self.c.client[s], "t1", timeout=2.5)
                except OSError:
                    pass
                n += 1
        threads = [threading.Thread(target=traffic) for _ in range(3)]
        for t in threads:
            t.start()
        try:
            stop.wait(30)
            self.c.restart(a)
            harness.wait_until(lambda: put(self.c.client[s], "a", "1", timeout=1.0)[0] == 200,
                               10, "writes through the survivor once one member is back")
            self.c.restart(b)
            harness.wait_until(lambda: self.c.alive(b) and self.c.status(b) is not None, 10,
                               "the second member to serve")
            for i in (s, a, b):
                harness.wait_until(lambda i=i: get(self.c.client[i], "a", timeout=1.0) == (200, "1"),
                                   5, "a linearizable read through member %d" % i)
            t0 = time.monotonic()
            for _ in range(20):
                self.assertEqual((200, "1"), get(self.c.client[s], "a", timeout=2.0))
            self.assertLess(time.monotonic() - t0, 5.0)
        finally:
            stop.set()
            for t in threads:
                t.join()


if __name__ == "__main__":
    unittest.main()
