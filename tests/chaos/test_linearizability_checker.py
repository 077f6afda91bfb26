"""Tests of tests/lib/linearizability.py: histories known to be linearizable or not, timeouts."""
import os
import random
import sys
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from linearizability import CAS, FAIL, INFO, OK, READ, WRITE, Op, check  # noqa: E402


def W(v, call, ret, status=OK, key="k", p=None):
    return Op(key, WRITE, value=v, status=status, call=call, ret=ret, process=p)


def R(v, call, ret, status=OK, key="k", p=None):
    return Op(key, READ, output=v, status=status, call=call, ret=ret, process=p)


def C(exp, new, call, ret, succeeded=None, seen=None, status=OK, key="k", p=None):
    out = None if status != OK else (succeeded, seen)
    return Op(key, CAS, value=(exp, new), output=out, status=status, call=call, ret=ret,
              process=p)


class Linearizable(unittest.TestCase):
    def ok(self, ops, init=None):
        verdict, results = check(ops, init)
        self.assertIs(True, verdict, "\n".join(r.explain() for r in results))

    def bad(self, ops, init=None):
        verdict, results = check(ops, init)
        self.assertIs(False, verdict)
        return results

    def test_empty_and_sequential_histories(self):
        self.ok([])
        self.ok([R(None, 0, 1), W("a", 2, 3), R("a", 4, 5), W("b", 6, 7), R("b", 8, 9)])

    def test_concurrent_read_may_see_old_or_new_value(self):
        self.ok([W("a", 0, 1), W("b", 2, 10), R("a", 3, 4), R("b", 5, 6), R("b", 11, 12)])

    def test_reads_order_concurrent_writes_consistently(self):
        # Two concurrent writes; every later read agrees on which came last.
        self.ok([W("a", 0, 10), W("b", 0, 10), R("a", 11, 12), R("a", 13, 14)])
        self.bad([W("a", 0, 10), W("b", 0, 10), R("a", 11, 12), R("b", 13, 14)])

    def test_stale_read_is_rejected(self):
        results = self.bad([W("a", 0, 1), W("b", 2, 3), R("a", 4, 5)])
        self.assertIn("NOT linearizable", results[0].explain())

    def test_lost_acknowledged_write_is_rejected(self):
        self.bad([W("a", 0, 1), R(None, 2, 3)])
        self.bad([W("a", 0, 1), W("b", 2, 3), R("a", 4, 5), R("b", 6, 7)])

    def test_read_of_a_value_never_written_is_rejected(self):
        self.bad([W("a", 0, 1), R("zz", 2, 3)])
        self.bad([R("zz", 0, 1)])

    def test_reads_may_not_go_back_in_time(self):
        # The write is concurrent with both reads, but once one read saw it, a later one must.
        self.ok([W("b", 0, 10), R("a", 1, 2), R("b", 3, 4)], init="a")
        self.bad([W("b", 0, 10), R("b", 1, 2), R("a", 3, 4)], init="a")

    def test_cas_success_and_failure(self):
        self.ok([W("a", 0, 1), C("a", "b", 2, 3, True), R("b", 4, 5),
                 C("a", "c", 6, 7, False, "b"), R("b", 8, 9)])

    def test_cas_anomalies_are_rejected(self):
        # Succeeds though the register held something else.
        self.bad([W("a", 0, 1), C("x", "b", 2, 3, True)])
        # Fails though the register held the expected value.
        self.bad([W("a", 0, 1), C("a", "b", 2, 3, False, "a")])
        # Fails and reports a value the register did not hold.
        self.bad([W("a", 0, 1), C("x", "b", 2, 3, False, "q")])
        # Two sequential CASes from the same value both succeed.
        self.bad([W("a", 0, 1), C("a", "b", 2, 3, True), C("a", "c", 4, 5, True)])
        # ...though concurrent ones may not either: only one can win.
        self.bad([W("a", 0, 1), C("a", "b", 2, 5, True), C("a", "c", 2, 5, True)])
        self.ok([W("a", 0, 1), C("a", "b", 2, 5, True), C("a", "c", 2, 5, False, "b")])
        # A write lost under a CAS: the CAS saw it gone.
        self.bad([W("a", 0, 1), W("b", 2, 3), C("a", "c", 4, 5, True)])

    def test_failed_ops_never_take_effect(self):
        self.bad([W("a", 0, 1), W("b", 2, 3, status=FAIL), R("b", 4, 5)])
        self.ok([W("a", 0, 1), W("b", 2, 3, status=FAIL), R("a", 4, 5)])

    def test_timed_out_write_may_take_effect_later_or_never(self):
        # Not seen at first, then seen long after the client gave up: allowed.
        self.ok([W("a", 0, 1), W("b", 2, None, status=INFO), R("a", 5, 6), R("b", 100, 101)])
        # Never seen: allowed.
        self.ok([W("a", 0, 1), W("b", 2, None, status=INFO), R("a", 5, 6), R("a", 100, 101)])
        # But not before it was invoked.
        self.bad([W("a", 0, 1), R("b", 2, 3), W("b", 5, None, status=INFO)])
        # And once seen, it cannot be unseen.
        self.bad([W("a", 0, 1), W("b", 2, None, status=INFO), R("b", 5, 6), R("a", 7, 8)])

    def test_timed_out_cas_may_take_effect_later_or_never(self):
        self.ok([W("a", 0, 1), C("a", "b", 2, None, status=INFO), R("a", 3, 4), R("b", 5, 6)])
        self.ok([W("a", 0, 1), C("a", "b", 2, None, status=INFO), R("a", 3, 4), R("a", 5, 6)])
        # It can only apply if the expected value held at some point after its invocation.
        self.bad([W("a", 0, 1), W("x", 2, 3), C("a", "b", 4, None, status=INFO), R("b", 5, 6)])

    def test_many_unobserved_timeouts_stay_fast(self):
        ops, t = [], 0
        for i in range(200):
            ops.append(W("lost%d" % i, t, None, status=INFO))
            ops.append(W("v%d" % i, t + 1, t + 2))
            ops.append(R("v%d" % i, t + 3, t + 4))
            t += 5
        start = time.monotonic()
        self.ok(ops)
        self.assertLess(time.monotonic() - start, 2.0)

    def test_keys_are_independent(self):
        self.ok([W("a", 0, 1, key="x"), W("b", 0, 1, key="y"), R("a", 2, 3, key="x"),
                 R("b", 2, 3, key="y")])
        verdict, results = check([W("a", 0, 1, key="x"), R("a", 2, 3, key="y")])
        self.assertIs(False, verdict)
        self.assertEqual([True, False], [r.ok for r in results])

    def test_init_per_key(self):
        self.ok([R("a", 0, 1, key="x"), R(None, 0, 1, key="y")], init={"x": "a"})


def simulate(seed, nops=3000, nproc=6, keys=1, stale=False):
    """A concurrent history from a true atomic register: each op takes effect at a random
    instant inside its interval. With stale=True one late read returns an old value."""
    rng = random.Random(seed)
    events = []  # (effect time, op)
    free_at = [0.0] * nproc
    for n in range(nops):
        p = n % nproc
        call = free_at[p] + rng.random()
        ret = call + rng.random() * 3
        effect = call + (ret - call) * rng.random()
        r = rng.random()
        key = "k%d" % rng.randrange(keys)
        if r < 0.4:
            op = Op(key, READ, call=call, ret=ret, process=p)
        elif r < 0.75:
            op = Op(key, WRITE, value="v%d" % n, call=call, ret=ret, process=p)
        else:
            op = Op(key, CAS, value=(None, "v%d" % n), call=call, ret=ret, process=p)
        if rng.random() < 0.03 and op.kind != READ:
            op.status = INFO
            op.ret = None
            if rng.random() < 0.5:
                effect = None  # never applied
        free_at[p] = ret
        events.append((effect, op))
    state = {}
    history = []
    applied = [e for e in events if e[0] is not None]
    applied.sort(key=lambda e: e[0])
    last_seen = {}
    for _, op in applied:
        cur = state.get(op.key)
        if op.kind == READ:
            op.output = cur
        elif op.kind == WRITE:
            state[op.key] = op.value
        else:
            exp = last_seen.get((op.process, op.key))
            op.value = (exp, op.value[1])
            if cur == exp:
                op.output = (True, None)
                state[op.key] = op.value[1]
            else:
                op.output = (False, cur)
        last_seen[(op.process, op.key)] = state.get(op.key)
        if op.status == INFO:
            op.output = None
        history.append(op)
    history += [e[1] for e in events if e[0] is None]
    if stale:
        # A read long after two later writes returning the value before them.
        writes = [op for op in history if op.kind == WRITE and op.status == OK]
        old = writes[len(writes) // 2]
        t = max(op.ret or 0 for op in history) + 10
        history.append(Op(old.key, WRITE, value="newest", call=t, ret=t + 1, process=99))
        history.append(Op(old.key, READ, output=old.value, call=t + 2, ret=t + 3, process=99))
    return history


class Generated(unittest.TestCase):
    def test_histories_of_an_atomic_register_pass_in_seconds(self):
        for seed in range(3):
            start = time.monotonic()
            verdict, results = check(simulate(seed), timeout=30)
            self.assertIs(True, verdict, "seed %d:\n%s" % (
                seed, "\n".join(r.explain() for r in results)))
            self.assertLess(time.monotonic() - start, 10.0, "seed %d too slow" % seed)

    def test_generated_histories_mix_cas_outcomes_and_keys(self):
        h = simulate(3, keys=3)
        cas = [op for op in h if op.kind == CAS and op.status == OK]
        self.assertTrue(any(op.output[0] for op in cas) and any(not op.output[0] for op in cas))
        self.assertIs(True, check(h, timeout=30)[0])

    def test_a_stale_read_in_a_long_history_is_found(self):
        verdict, results = check(simulate(7, nops=2000, stale=True), timeout=30)
        self.assertIs(False, verdict)

    def test_search_timeout_gives_unknown_not_a_verdict(self):
        verdict, _ = check(simulate(1, nops=3000), timeout=0.0)
        self.assertIsNone(verdict)


if __name__ == "__main__":
    unittest.main()
