"""Tests of chaos_etcd.py's watch validator on hand-made histories and watch logs."""
import os
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "lib"))
sys.path.insert(0, HERE)
import chaos_etcd  # noqa: E402
import linearizability as lin  # noqa: E402


def put(key, value, rev, status=lin.OK):
    return lin.Op(key, lin.WRITE, value=value, status=status, call=0, ret=1,
                  extra={"rev": rev} if status == lin.OK else {})


def ev(rev, key, value):
    return (rev, "PUT", key, value, 0)


class Validator(unittest.TestCase):
    def validate(self, history, events, final, relists=()):
        r = chaos_etcd.Run.__new__(chaos_etcd.Run)
        r.history = history
        r.w = {"events": events, "relists": list(relists), "watches": 1}
        r.failures = []
        r.fail = r.failures.append
        r.validate_watch(final)
        return r.failures

    def test_a_complete_watch_passes(self):
        h = [put("a", "1", 2), put("b", "2", 3), put("a", "3", 4)]
        self.assertEqual([], self.validate(h, [ev(2, "a", "1"), ev(3, "b", "2"), ev(4, "a", "3")],
                                           (4, [("a", "3", 4), ("b", "2", 3)])))

    def test_timed_out_write_may_appear(self):
        h = [put("a", "1", 2), put("a", "x", None, status=lin.INFO)]
        self.assertEqual([], self.validate(h, [ev(2, "a", "1"), ev(3, "a", "x")],
                                           (3, [("a", "x", 3)])))

    def test_gap_duplicate_order_and_missing_are_caught(self):
        h = [put("a", "1", 2), put("a", "2", 3), put("a", "3", 4)]
        f = self.validate(h, [ev(2, "a", "1"), ev(4, "a", "3")], (4, [("a", "3", 4)]))
        self.assertTrue(any("gap" in x for x in f), f)
        self.assertTrue(any("missing" in x for x in f), f)
        f = self.validate(h, [ev(2, "a", "1"), ev(3, "a", "2"), ev(3, "a", "2"), ev(4, "a", "3")],
                          (4, [("a", "3", 4)]))
        self.assertTrue(any("duplicate" in x for x in f), f)

    def test_invented_or_wrong_events_are_caught(self):
        h = [put("a", "1", 2), put("a", "lost", None, status=lin.FAIL)]
        f = self.validate(h, [ev(2, "a", "1"), ev(3, "a", "lost")], (3, [("a", "lost", 3)]))
        self.assertTrue(any("never written" in x for x in f), f)
        f = self.validate([put("a", "1", 2)], [ev(2, "a", "other")], (2, [("a", "other", 2)]))
        self.assertTrue(any("client was told" in x for x in f), f)

    def test_final_state_must_match_the_watch(self):
        f = self.validate([put("a", "1", 2)], [ev(2, "a", "1")], (2, [("a", "zz", 2)]))
        self.assertTrue(any("differs" in x for x in f), f)

    def test_relist_after_compaction_covers_the_gap(self):
        h = [put("a", "1", 2), put("a", "2", 3), put("a", "3", 4), put("b", "4", 5)]
        relist = {"from": 3, "compact": 4, "rev": 4, "kvs": [("a", "3", 4)], "at": 1}
        self.assertEqual([], self.validate(h, [ev(2, "a", "1"), ev(5, "b", "4")],
                                           (5, [("a", "3", 4), ("b", "4", 5)]), [relist]))
        bad = dict(relist, kvs=[("a", "nope", 4)])
        f = self.validate(h, [ev(2, "a", "1"), ev(5, "b", "4")],
                          (5, [("a", "3", 4), ("b", "4", 5)]), [bad])
        self.assertTrue(any("re-list" in x for x in f), f)


if __name__ == "__main__":
    unittest.main()
