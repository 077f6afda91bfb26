"""The apiserver over a 3-member etcdlite cluster: a killed member costs nothing but a retry; watches resume with no gap."""
import os
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import harness  # noqa: E402
from apiserver_proc import Apiserver, read_events, q  # noqa: E402
from etcd_cluster import Cluster  # noqa: E402

NS = "/api/v1/namespaces/default"


def cm(name):
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name}}


class FailoverTest(unittest.TestCase):
    def test_member_loss(self):
        etcd = Cluster(size=3).start_all()
        api = Apiserver(etcd.client)
        try:
            st, lst = api.req("GET", NS + "/configmaps")
            conn, resp = api.watch(NS + "/configmaps" + q(watch=1, resourceVersion=lst["metadata"]["resourceVersion"]),
                                   timeout=20)
            self.assertEqual(api.req("POST", NS + "/configmaps", cm("before"))[0], 201)
            # the first member is the one the apiserver talks to first: kill it
            etcd.kill(0)
            for i in range(5):
                st, body = api.req("POST", NS + "/configmaps", cm("after-%d" % i), timeout=20)
                self.assertEqual(st, 201, body)
            names = [e["object"]["metadata"]["name"] for e in read_events(resp, n=6)]
            conn.close()
            self.assertEqual(names, ["before"] + ["after-%d" % i for i in range(5)])
            st, got = api.req("GET", NS + "/configmaps/after-4")
            self.assertEqual(st, 200)
        finally:
            api.stop()
            etcd.stop()


if __name__ == "__main__":
    unittest.main(verbosity=2)
