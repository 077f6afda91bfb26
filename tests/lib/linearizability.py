"""linearizability.py: a Wing-Gong / porcupine-style linearizability checker for per-key registers.

A history is a list of Op records, one per client operation, each with the
time it was invoked and the time its answer came back. The model is a
register per key (the value, or None when the key does not exist) with three
operations:

  read()              -> value                  (None: the key is absent)
  write(v)            -> (nothing)
  cas(expected, new)  -> (True, None) if the register held `expected`, and
                         then it holds `new`; else (False, current value),
                         which is what an etcd txn comparing on the value
                         with a range in its failure branch answers.

Each operation ends in one of three ways, as in Jepsen:

  ok    the answer came back: the operation took effect between its
        invocation and its return, with that output;
  fail  the operation certainly did not take effect (it is dropped);
  info  unknown (a timeout, a lost connection): it may have taken effect at
        any time after its invocation, or never, so it stays open until the
        end of the history with an unknown output.

Registers are independent, so the history is split by key and each key is
checked alone (P-compositionality). The search is the iterative depth-first
search of Wing and Gong with Lowe's memoization, as porcupine does it: a
doubly linked list of call and return entries in time order; at each step the
first entries of the list (the calls before the first return) are the
operations that may be linearized next; a (set of linearized ops, state) pair
seen before is never explored again.

Open (info) writes whose value nobody ever observed are removed before the
search: if such a write took effect, nothing after it depended on it until it
was overwritten, so a history is linearizable with it iff it is without it.
Without this, every open write doubles the states the search may visit.
"""
import time

OK, FAIL, INFO = "ok", "fail", "info"
READ, WRITE, CAS = "read", "write", "cas"

INF = float("inf")


class Op:
    """One client operation. kind: READ/WRITE/CAS; value: what was written (WRITE), or
    (expected, new) for CAS; output: the read value for READ, (succeeded, seen) for CAS;
    status OK/FAIL/INFO; call and ret: times (any monotonic numbers, ret None while open)."""
    __slots__ = ("key", "kind", "value", "output", "status", "call", "ret", "process", "id",
                 "extra")

    def __init__(self, key, kind, value=None, output=None, status=OK, call=0, ret=None,
                 process=None, extra=None):
        self.key, self.kind, self.value, self.output = key, kind, value, output
        self.status, self.call, self.ret, self.process = status, call, ret, process
        self.extra = extra
        self.id = None

    def __repr__(self):
        if self.kind == READ:
            what = "read -> %r" % (self.output,) if self.status == OK else "read"
        elif self.kind == WRITE:
            what = "write %r" % (self.value,)
        else:
            what = "cas %r -> %r" % self.value
            if self.status == OK:
                what += " = %r" % (self.output,)
        return "<%s %s %s [%s, %s] p%s>" % (self.key, what, self.status, self.call,
                                           "inf" if self.ret is None or self.ret == INF
                                           else self.ret, self.process)


def step(state, op):
    """The register model: (legal, new state) for applying op to state; an INFO op has no
    known output, so any outcome consistent with state is legal."""
    if op.kind == READ:
        if op.status == INFO:
            return True, state
        return op.output == state, state
    if op.kind == WRITE:
        return True, op.value
    expected, new = op.value
    if op.status == INFO:
        return True, (new if state == expected else state)
    succeeded, seen = op.output
    if succeeded:
        return state == expected, new
    return state != expected and seen == state, state


class _Entry:
    __slots__ = ("op", "is_call", "time", "match", "prev", "next")

    def __init__(self, op, is_call, t):
        self.op, self.is_call, self.time = op, is_call, t
        self.match = self.prev = self.next = None


def _prune(ops):
    """Drops FAIL ops, INFO reads, and INFO writes/CASes whose written value nobody
    observed (see the module comment)."""
    observed = set()
    for op in ops:
        if op.kind == READ and op.status == OK:
            observed.add(op.output)
        elif op.kind == CAS:
            observed.add(op.value[0])
            if op.status == OK and not op.output[0]:
                observed.add(op.output[1])
    kept = []
    for op in ops:
        if op.status == FAIL:
            continue
        if op.status == INFO:
            if op.kind == READ:
                continue
            written = op.value if op.kind == WRITE else op.value[1]
            if written not in observed:
                continue
        kept.append(op)
    return kept


def _build_list(ops):
    """A sentinel-headed doubly linked list of call/return entries in time order.
    At equal times calls go first, so touching operations count as concurrent."""
    entries = []
    for op in ops:
        c = _Entry(op, True, op.call)
        r = _Entry(op, False, INF if op.status == INFO or op.ret is None else op.ret)
        c.match, r.match = r, c
        entries.append(c)
        entries.append(r)
    entries.sort(key=lambda e: (e.time, 0 if e.is_call else 1))
    head = _Entry(None, False, -INF)
    prev = head
    for e in entries:
        prev.next, e.prev = e, prev
        prev = e
    return head


def _lift(e):
    e.prev.next = e.next
    if e.next:
        e.next.prev = e.prev
    m = e.match
    m.prev.next = m.next
    if m.next:
        m.next.prev = m.prev


def _unlift(e):
    m = e.match
    m.prev.next = m
    if m.next:
        m.next.prev = m
    e.prev.next = e
    if e.next:
        e.next.prev = e


class KeyResult:
    """The verdict for one key: ok True/False, or None when the search ran out of time.
    On failure, `stuck` is the operation that could not be linearized at the deepest point
    the search reached and `prefix` the linearization up to there (oldest first)."""

    def __init__(self, key, ok, nops, visited, stuck=None, prefix=None, init=None):
        self.key, self.ok, self.nops, self.visited = key, ok, nops, visited
        self.stuck, self.prefix, self.init = stuck, prefix or [], init

    def explain(self, last=12):
        if self.ok:
            return "key %r: linearizable (%d ops)" % (self.key, self.nops)
        if self.ok is None:
            return "key %r: unknown, search timed out (%d ops, %d states)" % (
                self.key, self.nops, self.visited)
        lines = ["key %r: NOT linearizable (%d ops, %d states searched)" % (
            self.key, self.nops, self.visited),
            "  longest linearizable prefix: %d ops; its last %d:" % (
                len(self.prefix), min(last, len(self.prefix)))]
        for op in self.prefix[-last:]:
            lines.append("    %r" % (op,))
        lines.append("  then no pending operation fits; the first that must complete: %r"
                     % (self.stuck,))
        return "\n".join(lines)


def check_key(key, ops, init=None, deadline=None):
    """Checks the ops of one key against a register starting at init. Returns a KeyResult;
    ok is None if time.monotonic() passed deadline first."""
    ops = _prune(ops)
    for i, op in enumerate(ops):
        op.id = i
    head = _build_list(ops)
    state, linearized = init, 0
    cache = set()
    calls = []  # stack of (entry, state before it)
    best_depth, best = -1, (None, [])
    entry = head.next
    visited = 0
    while head.next is not None:
        visited += 1
        if deadline is not None and (visited & 4095) == 0 and time.monotonic() > deadline:
            return KeyResult(key, None, len(ops), visited, init=init)
        if entry.is_call:
            legal, new_state = step(state, entry.op)
            if legal:
                new_lin = linearized | (1 << entry.op.id)
                k = (new_lin, new_state)
                if k not in cache:
                    cache.add(k)
                    calls.append((entry, state))
                    state, linearized = new_state, new_lin
                    _lift(entry)
                    entry = head.next
                    continue
            entry = entry.next
        else:
            # A return whose call was not linearized: that op must come first, so backtrack.
            if len(calls) > best_depth:
                best_depth = len(calls)
                best = (entry.op, [c[0].op for c in calls])
            if not calls:
                return KeyResult(key, False, len(ops), visited, best[0], best[1], init)
            top, state = calls.pop()
            linearized &= ~(1 << top.op.id)
            _unlift(top)
            entry = top.next
    return KeyResult(key, True, len(ops), visited, init=init)


def check(ops, init=None, timeout=None):
    """Checks a whole history (ops of any keys; init: the value every register starts with,
    or a dict key -> value). Returns (verdict, results): verdict True if every key is
    linearizable, False if one is not, None if none failed but one timed out."""
    deadline = None if timeout is None else time.monotonic() + timeout
    by_key = {}
    for op in ops:
        by_key.setdefault(op.key, []).append(op)
    results = []
    verdict = True
    for key in sorted(by_key, key=repr):
        start = init.get(key) if isinstance(init, dict) else init
        r = check_key(key, by_key[key], start, deadline)
        results.append(r)
        if r.ok is False:
            verdict = False
        elif r.ok is None and verdict is True:
            verdict = None
    return verdict, results
