#!/usr/bin/python3
"""chaos_etcd.py: concurrent clients, a nemesis and a watcher against a 3-member cluster; checks linearizability.

Each run starts a fresh 3-member cluster (etcdlite, or real etcd with --kind etcd
to check the test itself), then for --duration seconds:
  - client threads put, read linearizably and compare-and-set (a txn comparing
    the value, with a range in its failure branch) random keys of a small set
    through random members, recording every operation as ok / fail / info;
  - a nemesis kills -9 members (any, or the leader), pauses them (SIGSTOP),
    simulates power loss (kill -9, then cut the WAL back to what was fsynced as
    the ETCDLITE_TEST_SYNC_HOOK file says) and compacts while the watcher lags;
    by default at most one member is down at a time (--two-down also takes two
    down for a while, so the cluster loses quorum);
  - a watcher keeps a watch on the key prefix, resuming from the last revision
    it saw + 1 whenever its stream breaks, and re-listing when that revision was
    compacted.
Then it heals everything and checks: no member crashed, the cluster kept making
progress (one member down must not stall it), all members converge to the same
keys and values, the history is linearizable (tests/lib/linearizability.py),
and the watch saw every acknowledged write at its revision, in order, once,
with no gaps and nothing no client wrote.

A failing run keeps its folder (member logs, history.jsonl, nemesis.log) and
prints how to replay it: the seed fixes the schedule of faults and the clients'
choices (not the timing of the processes).
"""
import argparse
import base64
import json
import os
import random
import signal
import sys
import tempfile
import threading
import time
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import harness  # noqa: E402
import linearizability as lin  # noqa: E402
from etcd_cluster import Cluster  # noqa: E402

PREFIX = "chaos/"
PREFIX_END = "chaos0"  # "/" + 1


def b64(s):
    return base64.b64encode(s.encode()).decode()


def unb64(s):
    return base64.b64decode(s).decode()


class Run:
    """One chaos run: a cluster, its clients, nemesis and watcher, and the checks."""

    def __init__(self, args, seed, two_down):
        self.args = args
        self.two_down = two_down
        self.seed = seed
        self.rng = random.Random(seed)
        self.t0 = time.monotonic()
        self.lock = threading.Lock()
        self.history = []
        self.nemesis_log = []
        self.failures = []
        self.stop = threading.Event()
        self.down = set()      # members the nemesis killed or paused on purpose
        self.keys = [PREFIX + "k%d" % i for i in range(args.keys)]
        env = {"ETCDLITE_TEST_SYNC_HOOK": "1"} if args.kind == "etcdlite" else None
        extra = ["--heartbeat-interval", "100", "--election-timeout", "1000",
                 "--snapshot-count", str(args.snapshot_count)]
        if args.kind == "etcdlite":
            extra += ["--request-timeout", "2s"]
        self.c = Cluster(3, kind=args.kind, extra=extra, env=env)

    # ---- helpers

    def now(self):
        return time.monotonic() - self.t0

    def log(self, msg):
        line = "%7.3f %s" % (self.now(), msg)
        with self.lock:
            self.nemesis_log.append(line)
        if self.args.verbose:
            print(line, flush=True)

    def fail(self, msg):
        with self.lock:
            self.failures.append(msg)
        self.log("FAILURE: " + msg)

    def post(self, i, path, body, timeout=None):
        return harness.post_json(self.c.client[i] + path, body,
                                 timeout=timeout or self.args.op_timeout)

    # ---- clients

    def client(self, p):
        rng = random.Random(self.seed * 1000 + p)
        seen = {}  # key -> last value this client saw, to aim CASes at
        n = 0
        while not self.stop.is_set():
            n += 1
            key = rng.choice(self.keys)
            member = rng.randrange(3)
            r = rng.random()
            if r < 0.4:
                op = self.do_read(p, key, member)
            elif r < 0.75:
                op = self.do_write(p, key, member, "p%d-%d" % (p, n))
            else:
                exp = seen.get(key) if rng.random() < 0.8 else "p%d-never" % p
                op = self.do_cas(p, key, member, exp, "p%d-%d" % (p, n))
            if op.status == lin.OK:
                if op.kind == lin.READ:
                    seen[key] = op.output
                elif op.kind == lin.CAS:
                    seen[key] = op.value[1] if op.output[0] else op.output[1]
                else:
                    seen[key] = op.value
            elif op.status == lin.FAIL:
                time.sleep(0.02)  # the member is down: do not spin on refused connections

    def record(self, op):
        with self.lock:
            self.history.append(op)
        return op

    def classify_error(self, op, exc):
        """A refused connection never reached the server: the op certainly did not happen.
        Anything else (timeout, reset, an error status) may have applied: info."""
        op.ret = self.now()
        op.extra["err"] = repr(exc)
        if isinstance(exc, ConnectionRefusedError) or (
                hasattr(exc, "reason") and isinstance(exc.reason, ConnectionRefusedError)):
            op.status = lin.FAIL
        else:
            op.status = lin.INFO
        return self.record(op)

    def do_read(self, p, key, member):
        op = lin.Op(key, lin.READ, call=self.now(), process=p, extra={"m": member})
        try:
            st, body = self.post(member, "/v3/kv/range", {"key": b64(key)})
        except Exception as e:  # noqa: BLE001 - any transport error
            self.classify_error(op, e)
            op.status = lin.FAIL  # a read has no effect either way
            return op
        op.ret = self.now()
        if st != 200:
            op.status = lin.FAIL
            op.extra["err"] = "%d %s" % (st, body)
            return self.record(op)
        kvs = body.get("kvs", [])
        if kvs and unb64(kvs[0]["key"]) != key:
            self.fail("range of %s via member %d answered key %s" % (key, member,
                                                                   unb64(kvs[0]["key"])))
        op.output = unb64(kvs[0]["value"]) if kvs else None
        op.extra["rev"] = int(body["header"]["revision"])
        return self.record(op)

    def do_write(self, p, key, member, value):
        op = lin.Op(key, lin.WRITE, value=value, call=self.now(), process=p, extra={"m": member})
        try:
            st, body = self.post(member, "/v3/kv/put", {"key": b64(key), "value": b64(value)})
        except Exception as e:  # noqa: BLE001
            return self.classify_error(op, e)
        op.ret = self.now()
        if st != 200:
            op.status = lin.INFO
            op.extra["err"] = "%d %s" % (st, body)
            return self.record(op)
        op.extra["rev"] = int(body["header"]["revision"])
        return self.record(op)

    def do_cas(self, p, key, member, exp, new):
        op = lin.Op(key, lin.CAS, value=(exp, new), call=self.now(), process=p,
                    extra={"m": member})
        if exp is None:
            # The key does not exist yet: compare on create_revision == 0.
            cmp = {"key": b64(key), "result": "EQUAL", "target": "CREATE", "create_revision": "0"}
        else:
            cmp = {"key": b64(key), "result": "EQUAL", "target": "VALUE", "value": b64(exp)}
        req = {"compare": [cmp],
               "success": [{"request_put": {"key": b64(key), "value": b64(new)}}],
               "failure": [{"request_range": {"key": b64(key)}}]}
        try:
            st, body = self.post(member, "/v3/kv/txn", req)
        except Exception as e:  # noqa: BLE001
            return self.classify_error(op, e)
        op.ret = self.now()
        if st != 200:
            op.status = lin.INFO
            op.extra["err"] = "%d %s" % (st, body)
            return self.record(op)
        if body.get("succeeded"):
            op.output = (True, None)
            op.extra["rev"] = int(body["header"]["revision"])
        else:
            resps = body.get("responses") or [{}]
            if "response_range" not in resps[0]:
                # Not the answer to this txn (etcdlite once answered with another request's).
                self.fail("txn on %s via member %d: answer without the failure branch's range: "
                          "%r" % (key, member, body))
                op.status = lin.INFO
                return self.record(op)
            kvs = resps[0]["response_range"].get("kvs", [])
            if kvs and unb64(kvs[0]["key"]) != key:
                self.fail("txn on %s via member %d: range answered key %s" %
                          (key, member, unb64(kvs[0]["key"])))
            op.output = (False, unb64(kvs[0]["value"]) if kvs else None)
        return self.record(op)

    # ---- watcher

    def watcher(self):
        """Follows the prefix from revision 1; events, re-watches and re-lists are kept for
        validate_watch. Runs until self.watch_stop (set after the final convergence)."""
        w = self.w
        rng = random.Random(self.seed * 1000 + 999)
        while not self.watch_stop.is_set():
            if w["pause"].is_set():
                w["paused"].set()
                time.sleep(0.05)
                continue
            w["paused"].clear()
            m = rng.randrange(3)
            start = w["last"] + 1
            body = {"create_request": {"key": b64(PREFIX), "range_end": b64(PREFIX_END),
                                       "start_revision": str(start)}}
            w["watches"] += 1
            try:
                req = urllib.request.Request(self.c.client[m] + "/v3/watch",
                                             data=json.dumps(body).encode(), method="POST")
                with urllib.request.urlopen(req, timeout=1.0) as resp:
                    while not self.watch_stop.is_set() and not w["pause"].is_set():
                        line = resp.readline()
                        if not line:
                            break
                        res = json.loads(line).get("result", {})
                        if int(res.get("compact_revision", "0")) > 0:
                            self.relist(m, int(res["compact_revision"]))
                            break
                        for ev in res.get("events", []):
                            kv = ev["kv"]
                            rev = int(kv["mod_revision"])
                            w["events"].append((rev, ev.get("type", "PUT"), unb64(kv["key"]),
                                                unb64(kv.get("value", "")), m))
                            w["last"] = rev
            except Exception:  # noqa: BLE001 - stream lost or idle: resume from last + 1
                pass

    def relist(self, m, compact_rev):
        """After a compacted watch: read the prefix at the current revision and go on from it."""
        w = self.w
        for _ in range(50):
            try:
                st, body = self.post(m, "/v3/kv/range", {"key": b64(PREFIX),
                                                         "range_end": b64(PREFIX_END)})
            except Exception:  # noqa: BLE001
                st = 0
            if st == 200:
                rev = int(body["header"]["revision"])
                if rev < compact_rev:
                    self.fail("watch: re-list at %d below the compact revision %d" %
                              (rev, compact_rev))
                kvs = [(unb64(kv["key"]), unb64(kv["value"]), int(kv["mod_revision"]))
                       for kv in body.get("kvs", [])]
                w["relists"].append({"from": w["last"] + 1, "compact": compact_rev,
                                     "rev": rev, "kvs": kvs, "at": len(w["events"])})
                self.log("watch: compacted at %d; re-listed at %d (%d keys)" %
                         (compact_rev, rev, len(kvs)))
                w["last"] = rev
                return
            m = (m + 1) % 3
            time.sleep(0.1)
        raise RuntimeError("re-list failed")

    # ---- nemesis

    def nemesis(self):
        rng = random.Random(self.seed)
        kinds = ["kill", "kill-leader", "pause", "power-loss", "compact"]
        if self.two_down:
            kinds.append("two-down")
        first = True
        while not self.stop.wait(rng.uniform(1.0, 3.0)):
            self.check_crashes()
            # A two-down run surely loses quorum once.
            kind = "two-down" if first and self.two_down else rng.choice(kinds)
            first = False
            hold = rng.uniform(1.0, 3.0)
            try:
                self.nemesis_action(kind, rng, hold)
            except Exception as e:  # noqa: BLE001 - a nemesis failure is a test failure
                self.fail("nemesis %s raised %r" % (kind, e))
            self.count[kind] = self.count.get(kind, 0) + 1

    def nemesis_action(self, kind, rng, hold):
        c = self.c
        if kind in ("kill", "power-loss", "kill-leader"):
            i = rng.randrange(3)
            if kind == "kill-leader":
                ld = c.leader()
                if ld is None:
                    self.log("kill-leader: no leader now; killing %d instead" % i)
                else:
                    i = ld
            self.down.add(i)
            c.kill(i)
            cut = self.power_loss(i) if kind == "power-loss" else ""
            self.log("%s: member %d killed%s; restart in %.1fs" % (kind, i, cut, hold))
            self.stop.wait(hold)
            c.restart(i)
            self.down.discard(i)
            self.log("%s: member %d restarted" % (kind, i))
        elif kind == "pause":
            i = rng.randrange(3)
            self.down.add(i)
            c.kill(i, signal.SIGSTOP)
            self.log("pause: member %d stopped for %.1fs" % (i, hold))
            self.stop.wait(hold)
            c.kill(i, signal.SIGCONT)
            self.down.discard(i)
            self.log("pause: member %d continued" % i)
        elif kind == "two-down":
            pair = rng.sample(range(3), 2)
            for i in pair:
                self.down.add(i)
                c.kill(i)
            self.log("two-down: members %s killed for %.1fs" % (pair, hold + 1))
            self.stop.wait(hold + 1)
            for i in pair:
                c.restart(i)
                self.down.discard(i)
            self.log("two-down: members %s restarted" % (pair,))
        elif kind == "compact":
            self.compact(rng)

    def power_loss(self, i):
        """Cuts member i's WAL back to what the sync hook says was fsynced; returns a note."""
        if self.args.kind != "etcdlite":
            return " (no power-loss hook in etcd: plain kill)"
        wal = os.path.join(self.c.data_dir(i), "member", "wal")
        try:
            with open(os.path.join(wal, ".synced")) as f:
                name, off = f.readline().split()[:2]
        except (OSError, ValueError):
            return " (no .synced yet)"
        off = int(off)
        path = os.path.join(wal, name)
        lost = os.path.getsize(path) - off
        with open(path, "r+b") as f:
            f.truncate(off)
        removed = [s for s in sorted(os.listdir(wal)) if s.endswith(".wal") and s > name]
        for s in removed:
            lost += os.path.getsize(os.path.join(wal, s))
            os.remove(os.path.join(wal, s))
        self.count["power-loss-bytes"] = self.count.get("power-loss-bytes", 0) + lost
        return "; WAL cut to %s@%d (%d bytes lost, %d later segments removed)" % (
            name, off, lost, len(removed))

    def compact(self, rng):
        """Lets the watcher fall behind, compacts past where it stands, lets it resume: it
        must get compact_revision and re-list. Sometimes compacts at an older revision only."""
        w = self.w
        w["pause"].set()
        w["paused"].wait(3.0)
        self.stop.wait(rng.uniform(0.5, 1.0))
        cur = None
        for m in rng.sample(range(3), 3):
            if m in self.down:
                continue
            try:
                st, body = self.post(m, "/v3/kv/range", {"key": b64(PREFIX), "count_only": True,
                                                         "serializable": True})
            except Exception:  # noqa: BLE001
                continue
            if st == 200:
                cur = int(body["header"]["revision"])
                break
        if cur is None or cur <= self.compacted + 1:
            w["pause"].clear()
            self.log("compact: skipped (revision %s)" % cur)
            return
        rev = cur if rng.random() < 0.7 else rng.randrange(self.compacted + 1, cur)
        m = rng.choice([i for i in range(3) if i not in self.down])
        try:
            st, body = self.post(m, "/v3/kv/compaction", {"revision": str(rev), "physical": True},
                                 timeout=3.0)
        except Exception as e:  # noqa: BLE001
            st, body = 0, repr(e)
        if st == 200:
            self.compacted = rev
        self.log("compact: at %d via member %d (watcher at %d): %s" % (rev, m, w["last"], st))
        w["pause"].clear()

    def check_crashes(self):
        for i in range(3):
            if i not in self.down and not self.c.alive(i):
                p = self.c.procs[i]
                self.fail("member %d exited by itself (status %s); log %s" %
                          (i, p.returncode, p.log_path))
                self.c.restart(i)  # keep going so the rest of the run still checks something

    # ---- the run

    def execute(self):
        a = self.args
        c = self.c
        c.start_all()
        self.t0 = time.monotonic()
        self.count = {}
        self.compacted = 0
        self.w = {"events": [], "relists": [], "last": 0, "watches": 0,
                  "pause": threading.Event(), "paused": threading.Event()}
        self.watch_stop = threading.Event()
        threads = [threading.Thread(target=self.client, args=(p,), daemon=True)
                   for p in range(a.clients)]
        threads.append(threading.Thread(target=self.nemesis, daemon=True))
        wt = threading.Thread(target=self.watcher, daemon=True)
        wt.start()
        for t in threads:
            t.start()
        self.stop.wait(a.duration)
        self.stop.set()
        for t in threads:
            t.join(30)
            if t.is_alive():
                self.fail("a client or the nemesis did not stop")
        self.heal()
        final = self.converge()
        if final is not None:
            self.final_reads()
            harness.wait_until(lambda: self.w["last"] >= final[0], 20,
                               "the watcher to reach revision %d" % final[0])
        self.watch_stop.set()
        wt.join(10)
        self.check_progress()
        if final is not None:
            self.validate_watch(final)
        self.verdict, self.results = lin.check(self.history, timeout=a.check_timeout)
        if self.verdict is False:
            self.fail("history is NOT linearizable")
        elif self.verdict is None:
            self.fail("linearizability check timed out")

    def heal(self):
        c = self.c
        self.check_crashes()
        for i in range(3):
            if c.alive(i):
                c.kill(i, signal.SIGCONT)
            else:
                c.restart(i)
        self.down.clear()
        try:
            c.wait_leader(20)
        except AssertionError as e:
            self.fail("no leader 20s after healing: %s" % e)

    def converge(self):
        """Waits until every member serves the same prefix at the same revision (serializable
        reads); returns (revision, kvs) or None after recording a failure."""
        last = {}

        def same():
            views = []
            for i in range(3):
                st, body = self.post(i, "/v3/kv/range", {"key": b64(PREFIX),
                                                         "range_end": b64(PREFIX_END),
                                                         "serializable": True}, timeout=2.0)
                if st != 200:
                    return False
                kvs = [(unb64(kv["key"]), unb64(kv["value"]), int(kv["mod_revision"]))
                       for kv in body.get("kvs", [])]
                views.append((int(body["header"]["revision"]), kvs))
            last["views"] = views
            return views[0] if all(v == views[0] for v in views) else False
        try:
            return harness.wait_until(same, 30, "all members to converge", interval=0.2)
        except AssertionError as e:
            self.fail("members did not converge: %s; views %r" % (e, last.get("views")))
            return None

    def final_reads(self):
        """A linearizable read of every key on every member, into the history."""
        for key in self.keys:
            for i in range(3):
                op = self.do_read(-1, key, i)
                if op.status != lin.OK:
                    self.fail("final read of %s on member %d failed: %s" %
                              (key, i, op.extra.get("err")))

    def check_progress(self):
        """With one member down at most, some write must succeed at least every few seconds."""
        if self.two_down:
            return
        t = sorted(op.ret for op in self.history
                   if op.status == lin.OK and op.kind != lin.READ and op.process != -1)
        points = [1.0] + t + [self.args.duration]
        gaps = [(b - a, a) for a, b in zip(points, points[1:])]
        worst = max(gaps) if gaps else (0, 0)
        self.max_stall = worst[0]
        if worst[0] > self.args.max_stall:
            self.fail("no write succeeded for %.1fs from t=%.1f with at most one member down" %
                      worst)

    def validate_watch(self, final):
        """The watch against the acknowledged writes: in order, once, no gaps, no inventions."""
        w = self.w
        acked, maybe = {}, {}
        for op in self.history:
            if op.kind == lin.WRITE or op.kind == lin.CAS:
                val = op.value if op.kind == lin.WRITE else op.value[1]
                if op.status == lin.OK and (op.kind == lin.WRITE or op.output[0]):
                    rev = op.extra["rev"]
                    if rev in acked:
                        self.fail("two acknowledged writes at revision %d: %r and %r" %
                                  (rev, acked[rev], op))
                    acked[rev] = op
                elif op.status == lin.INFO:
                    maybe[val] = op
        by_value = {}
        gaps = [(r["from"], r["rev"]) for r in w["relists"]]
        prev = 1  # revision 1 is the empty store; the first write is revision 2
        state = {}
        relists = list(w["relists"])
        problems = []
        for n, (rev, typ, key, value, m) in enumerate(w["events"]):
            while relists and relists[0]["at"] <= n:
                r = relists.pop(0)
                state = {k: (v, mr) for k, v, mr in r["kvs"]}
                prev = r["rev"]
            if rev <= prev:
                problems.append("event at %d after %d (out of order or duplicate)" % (rev, prev))
            elif rev != prev + 1:
                problems.append("gap: revisions %d..%d missing from the watch" % (prev + 1, rev - 1))
            prev = max(prev, rev)
            if typ != "PUT":
                problems.append("unexpected %s event at %d" % (typ, rev))
            if value in by_value:
                problems.append("value %r seen twice (revisions %d and %d)" %
                                (value, by_value[value], rev))
            by_value[value] = rev
            op = acked.get(rev)
            if op is not None:
                val = op.value if op.kind == lin.WRITE else op.value[1]
                if (op.key, val) != (key, value):
                    problems.append("revision %d: watch says %s=%r, the client was told %s=%r" %
                                    (rev, key, value, op.key, val))
            elif value not in maybe or maybe[value].key != key:
                problems.append("revision %d: %s=%r was never written by a client whose write "
                                "timed out" % (rev, key, value))
            state[key] = (value, rev)
        while relists:
            r = relists.pop(0)
            state = {k: (v, mr) for k, v, mr in r["kvs"]}
        seen_revs = {e[0] for e in w["events"]}
        missing = [r for r in acked if r <= final[0] and r not in seen_revs and
                   not any(a <= r <= b for a, b in gaps)]
        if missing:
            problems.append("%d acknowledged writes missing from the watch, e.g. revisions %s" %
                            (len(missing), sorted(missing)[:5]))
        want = sorted((k, v, r) for k, (v, r) in state.items())
        if want != sorted(final[1]):
            problems.append("state built from the watch %r differs from the final range %r" %
                            (want, final[1]))
        for r in w["relists"]:
            for k, v, mr in r["kvs"]:
                op = acked.get(mr)
                ok = (op is not None and op.key == k and
                      (op.value if op.kind == lin.WRITE else op.value[1]) == v) or (
                    v in maybe and maybe[v].key == k)
                if not ok:
                    problems.append("re-list at %d: %s=%r@%d matches no write" % (r["rev"], k, v, mr))
        self.watch_summary = "%d events, %d watches, %d re-lists after compaction" % (
            len(w["events"]), w["watches"], len(w["relists"]))
        for p in problems[:20]:
            self.fail("watch: " + p)

    # ---- report

    def save(self):
        with open(os.path.join(self.c.dir, "history.jsonl"), "w") as f:
            for op in sorted(self.history, key=lambda o: o.call):
                f.write(json.dumps({"key": op.key, "kind": op.kind, "value": op.value,
                                    "output": op.output, "status": op.status, "call": op.call,
                                    "ret": op.ret, "process": op.process,
                                    "extra": op.extra}) + "\n")
        with open(os.path.join(self.c.dir, "nemesis.log"), "w") as f:
            f.write("\n".join(self.nemesis_log) + "\n")
        with open(os.path.join(self.c.dir, "watch.jsonl"), "w") as f:
            for e in self.w["events"]:
                f.write(json.dumps(e) + "\n")


class RunTimeout(Exception):
    pass


def on_alarm(signum, frame):
    raise RunTimeout("the run went past its time bound")


def run_one(args, seed, index, two_down):
    start = time.monotonic()
    r = Run(args, seed, two_down)
    err = None
    # Every run is bounded: the chaos, then healing, convergence and the check.
    signal.signal(signal.SIGALRM, on_alarm)
    signal.alarm(int(args.duration + 120 + args.check_timeout))
    try:
        r.execute()
    except Exception as e:  # noqa: BLE001 - any harness error fails the run, with the seed
        import traceback
        err = traceback.format_exc()
        r.failures.append("run raised %r" % e)
    finally:
        signal.alarm(0)
        r.stop.set()
        r.watch_stop.set() if hasattr(r, "watch_stop") else None
        r.c.stop()
    h = r.history
    n = {s: sum(1 for op in h if op.status == s) for s in (lin.OK, lin.FAIL, lin.INFO)}
    kinds = {k: sum(1 for op in h if op.kind == k and op.status == lin.OK)
             for k in (lin.READ, lin.WRITE, lin.CAS)}
    cas_won = sum(1 for op in h if op.kind == lin.CAS and op.status == lin.OK and op.output[0])
    print("run %d seed %d (%s%s): %d ops: ok %d (reads %d, writes %d, cas %d of which won %d), "
          "fail %d, info %d" % (index, seed, args.kind, ", two-down" if two_down else "",
                                len(h), n[lin.OK], kinds[lin.READ], kinds[lin.WRITE],
                                kinds[lin.CAS], cas_won, n[lin.FAIL], n[lin.INFO]))
    print("  nemesis: %s" % ", ".join("%s %d" % kv for kv in sorted(getattr(r, "count", {}).items())))
    stall = getattr(r, "max_stall", None)
    print("  watch: %s; longest write stall %s" % (
        getattr(r, "watch_summary", "not validated"),
        "%.1fs" % stall if stall is not None else "not checked (two down)"))
    verdict = getattr(r, "verdict", "not run")
    print("  linearizable: %s; %.1fs" % (verdict, time.monotonic() - start))
    try:
        r.save()
    except Exception:  # noqa: BLE001
        pass
    if r.failures:
        for f in r.failures[:30]:
            print("  FAIL: " + f)
        for res in getattr(r, "results", []):
            if res.ok is not True:
                print("  " + res.explain().replace("\n", "\n  "))
        if err:
            print(err)
        if r.c.dir in harness._dirs:  # keep the evidence of a failing run
            harness._dirs.remove(r.c.dir)
        print("  kept %s (member logs, history.jsonl, nemesis.log, watch.jsonl)" % r.c.dir)
        print("  replay: /usr/bin/python3 %s --seed %d --runs 1 --duration %g%s" % (
            os.path.relpath(__file__), seed, args.duration,
            " --two-down" if two_down else "") + (" --kind etcd" if args.kind == "etcd"
                                                       else ""))
        return False
    return True


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--duration", type=float, default=20.0, help="seconds of chaos per run")
    ap.add_argument("--runs", type=int, default=1)
    ap.add_argument("--seed", type=int, default=None, help="seed of the first run (run i: +i)")
    ap.add_argument("--kind", choices=["etcdlite", "etcd"], default="etcdlite")
    ap.add_argument("--two-down", action="store_true",
                    help="also take two members down for a while (quorum lost)")
    ap.add_argument("--two-down-every", type=int, default=0, metavar="N",
                    help="make every Nth run a --two-down run")
    ap.add_argument("--clients", type=int, default=6)
    ap.add_argument("--keys", type=int, default=5)
    ap.add_argument("--op-timeout", type=float, default=1.5)
    ap.add_argument("--snapshot-count", type=int, default=500)
    ap.add_argument("--max-stall", type=float, default=10.0)
    ap.add_argument("--check-timeout", type=float, default=120.0)
    ap.add_argument("-v", "--verbose", action="store_true")
    args = ap.parse_args()
    seed = args.seed if args.seed is not None else random.SystemRandom().randrange(1, 1 << 31)
    print("chaos: %d run(s) of %gs against %s, seed %d" % (args.runs, args.duration, args.kind,
                                                          seed), flush=True)
    # Our own parent folder: nothing else on the machine cleans it under us, and it
    # goes at exit unless a run failed (its folder is then kept) or KEEP_TMP is set.
    tempfile.tempdir = harness.tempdir("minik8s-chaos-")
    failed = []
    for i in range(args.runs):
        two_down = args.two_down or (args.two_down_every > 0 and
                                     i % args.two_down_every == args.two_down_every - 1)
        if not run_one(args, seed + i, i, two_down):
            failed.append(seed + i)
        sys.stdout.flush()
    if failed and tempfile.tempdir in harness._dirs:
        harness._dirs.remove(tempfile.tempdir)
    if failed:
        print("chaos: %d of %d runs FAILED (seeds %s)" % (len(failed), args.runs, failed))
        return 1
    print("chaos: all %d runs passed" % args.runs)
    return 0


if __name__ == "__main__":
    sys.exit(main())
