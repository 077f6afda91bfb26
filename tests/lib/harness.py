"""harness.py: start real daemons on ephemeral loopback ports in temp folders, always kill them.

Integration tests use this instead of sleeping: every wait polls a condition
with a deadline (wait_until), and every process started is stopped at exit.

Under the sanitizers (make asan) every process a test starts, directly or not (a
kubelet's shims, minictl runs), writes its AddressSanitizer/LeakSanitizer reports
to a folder of the harness (log_path), since a CLI's stderr is captured. UBSan has
no log_path here (GCC's ignores it): its reports stay on stderr, so the logs are
scanned too: a daemon's, and at exit every *.log in the harness's temp folders (a
kubelet's shim.log, a container's log). stop() and kill() raise when a report
appeared, and at exit any report not raised yet makes the test program fail (exit
status 1). Leaks are only reported by a process that exits: stop() (SIGTERM) does,
kill() does not, and at exit every process still running gets SIGTERM before SIGKILL.
"""
import atexit
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
BIN = os.path.join(ROOT, os.environ.get("BIN", "bin"))

_procs = []
_dirs = []
SAN_DIR = tempfile.mkdtemp(prefix="minik8s-san-")
_raised = set()  # report files already raised by stop() or kill()
_log_seen = {}  # log path -> bytes of it already scanned for reports


def _sanitizer_env():
    """Reports to SAN_DIR/<tool>.<pid>; options the caller set come after, so they win."""
    for var, opts in (("ASAN_OPTIONS", "log_path=%s/asan:detect_leaks=1" % SAN_DIR),
                      ("UBSAN_OPTIONS", "log_path=%s/ubsan:print_stacktrace=1" % SAN_DIR)):
        old = os.environ.get(var)
        os.environ[var] = opts + (":" + old if old else "")


_sanitizer_env()


def sanitizer_reports(new_only=False):
    """{file: text} of the sanitizer reports written so far (new_only: not raised yet)."""
    out = {}
    for name in sorted(os.listdir(SAN_DIR)) if os.path.isdir(SAN_DIR) else []:
        path = os.path.join(SAN_DIR, name)
        if new_only and path in _raised:
            continue
        try:
            with open(path, errors="replace") as f:
                text = f.read()
        except OSError:
            continue
        if any(m in text for m in SANITIZER_MARKS):
            out[path] = text
    return out


def _new_log_reports(path):
    """Report lines added to the log at path since the last call for it."""
    try:
        with open(path, "rb") as f:
            f.seek(_log_seen.get(path, 0))
            data = f.read()
    except OSError:
        return []
    _log_seen[path] = _log_seen.get(path, 0) + len(data)
    return [l for l in data.decode(errors="replace").splitlines() if any(m in l for m in SANITIZER_MARKS)]


def _raise_new_reports(p):
    new = sanitizer_reports(new_only=True)
    lines = _new_log_reports(p.log_path) if getattr(p, "log_path", None) else []
    if lines:
        new[p.log_path] = "\n".join(lines)
    if new:
        _raised.update(new)
        # a report's file ends with the pid of the process that wrote it: p, a child, or an earlier run
        raise AssertionError("sanitizer report(s) found when %s (pid %d) exited with %s:\n%s" %
                             (os.path.basename(p.argv[0]), p.pid, p.returncode,
                              "\n".join("%s:\n%s" % kv for kv in new.items())[:20000]))

# MINIK8S_WRAP="valgrind --leak-check=full ..." runs daemons under a wrapper; MINIK8S_WRAP_ONLY
# ("apiserver etcdlite") limits it to those binaries. Waits stretch by MINIK8S_TIMEOUT_SCALE
# (10 when wrapped) since a daemon under valgrind runs tens of times slower.
WRAP = os.environ.get("MINIK8S_WRAP", "").split()
WRAP_ONLY = os.environ.get("MINIK8S_WRAP_ONLY", "").split()
TIMEOUT_SCALE = float(os.environ.get("MINIK8S_TIMEOUT_SCALE", "10" if WRAP else "1"))


def _cleanup():
    # SIGTERM first, as an operator stops a daemon: LeakSanitizer runs only at a clean exit
    alive = [p for p in _procs if p.poll() is None]
    for p in alive:
        try:
            os.killpg(p.pid, signal.SIGTERM)
        except OSError:
            pass
    deadline = time.monotonic() + 10.0 * TIMEOUT_SCALE
    for p in alive:
        try:
            rc = p.wait(max(0.1, deadline - time.monotonic()))
            if rc != 0:
                print("harness: %s exited with %s on SIGTERM" % (p.argv[0], rc), file=sys.stderr)
        except subprocess.TimeoutExpired:
            print("harness: %s did not stop on SIGTERM, killed" % p.argv[0], file=sys.stderr)
            try:
                os.killpg(p.pid, signal.SIGKILL)
            except OSError:
                pass
            p.wait()
    left = sanitizer_reports(new_only=True)
    logs = {p.log_path for p in _procs if getattr(p, "log_path", None)}  # benches add bare Popens
    for d in _dirs:
        for dirpath, dirs, files in os.walk(d):
            dirs[:] = [x for x in dirs if not os.path.ismount(os.path.join(dirpath, x))]  # a pod's mounts
            logs.update(os.path.join(dirpath, f) for f in files if f.endswith(".log"))
    for path in sorted(logs):
        lines = _new_log_reports(path)
        if lines:
            left[path] = "\n".join(lines)
    for d in _dirs:
        if os.environ.get("KEEP_TMP"):
            print("kept", d)
        else:
            shutil.rmtree(d, ignore_errors=True)
    if not left:
        shutil.rmtree(SAN_DIR, ignore_errors=True)
        return
    for path, text in left.items():
        print("harness: sanitizer report %s:\n%s" % (path, text), file=sys.stderr)
    print("harness: FAIL: %d sanitizer report(s)" % len(left), file=sys.stderr)
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(1)  # an exception or sys.exit in an atexit handler leaves the exit status as it was


atexit.register(_cleanup)


def tempdir(prefix="minik8s-"):
    d = tempfile.mkdtemp(prefix=prefix)
    _dirs.append(d)
    return d


def free_ports(n):
    """n distinct free loopback ports (bound then released: good enough on a test machine)."""
    socks, ports = [], []
    for _ in range(n):
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        socks.append(s)
        ports.append(s.getsockname()[1])
    for s in socks:
        s.close()
    return ports


def start(argv, log_path, env=None):
    """Starts argv in its own process group with output to log_path; killed at exit."""
    logf = open(log_path, "ab")
    full_env = dict(os.environ)
    if env:
        full_env.update(env)
    cmd = list(argv)
    if WRAP and argv[0].startswith(BIN) and (not WRAP_ONLY or os.path.basename(argv[0]) in WRAP_ONLY):
        cmd = WRAP + cmd
    p = subprocess.Popen(cmd, stdout=logf, stderr=subprocess.STDOUT, start_new_session=True,
                         env=full_env)
    logf.close()
    p.argv = argv
    p.log_path = log_path
    p.wrapped = cmd is not argv and len(cmd) > len(argv)
    _procs.append(p)
    return p


def kill(p, sig=signal.SIGKILL):
    """Sends sig to p's group; for SIGKILL and SIGTERM waits, then raises on a sanitizer report."""
    if WRAP and sig == signal.SIGKILL and getattr(p, "wrapped", False):
        stop(p)  # a wrapped daemon (valgrind) reports leaks only when it exits by itself
        return
    if p.poll() is None:
        try:
            os.killpg(p.pid, sig)
        except OSError:
            pass
    if sig in (signal.SIGKILL, signal.SIGTERM):
        p.wait()
        _raise_new_reports(p)


def stop(p, timeout=10.0):
    """Stops p with SIGTERM as an operator would; SIGKILL after timeout. Returns its exit code;
    raises if a sanitizer report appeared (a leak is reported at this exit)."""
    if p.poll() is not None:
        _raise_new_reports(p)
        return p.returncode
    os.killpg(p.pid, signal.SIGTERM)
    timeout *= TIMEOUT_SCALE
    try:
        rc = p.wait(timeout)
    except subprocess.TimeoutExpired:
        os.killpg(p.pid, signal.SIGKILL)
        p.wait()
        rc = "killed after %.0fs" % timeout
    _raise_new_reports(p)
    return rc


def stop_clean(p, timeout=10.0):
    """stop(), and fail unless p exited 0: a daemon must end cleanly on SIGTERM (under ASan,
    that is also where LeakSanitizer looks)."""
    rc = stop(p, timeout)
    if rc != 0:
        raise AssertionError("%s exited with %s on SIGTERM:\n%s" %
                             (os.path.basename(p.argv[0]), rc, tail(p.log_path)))


def stop_problems(*procs):
    """stop_clean() for each; returns what went wrong instead of raising, for a teardown
    that has more to clean up before it asserts."""
    out = []
    for p in procs:
        try:
            stop_clean(p)
        except AssertionError as e:
            out.append(str(e))
    return out


SANITIZER_MARKS = ("runtime error:", "ERROR: AddressSanitizer", "ERROR: LeakSanitizer",
                   # valgrind's memcheck (MINIK8S_WRAP)
                   "Invalid read of size", "Invalid write of size", "Invalid free", "Mismatched free",
                   "Conditional jump or move depends", "Use of uninitialised value", "definitely lost in loss record")


def listening_ports(pid):
    """The TCP ports process pid listens on (from /proc: its socket inodes in LISTEN state)."""
    inodes = set()
    for fd in os.listdir("/proc/%d/fd" % pid):
        try:
            link = os.readlink("/proc/%d/fd/%s" % (pid, fd))
        except OSError:
            continue
        if link.startswith("socket:["):
            inodes.add(link[8:-1])
    ports = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            with open(table) as f:
                next(f)
                for line in f:
                    cols = line.split()
                    if cols[3] == "0A" and cols[9] in inodes:
                        ports.add(int(cols[1].rsplit(":", 1)[1], 16))
        except OSError:
            pass
    return ports


def log_problems(path):
    """Lines of a daemon's log that report a sanitizer finding, and those of the reports
    of any process in SAN_DIR (where the harness sends them) that stop() or kill() did not
    raise already."""
    lines = []
    for f in [path] + list(sanitizer_reports(new_only=True)):
        try:
            with open(f, errors="replace") as fh:
                lines += [l.rstrip() for l in fh if any(m in l for m in SANITIZER_MARKS)]
        except OSError:
            pass
    return lines


def tail(path, n=20):
    try:
        with open(path, errors="replace") as f:
            return "".join(f.readlines()[-n:])
    except OSError:
        return ""


def wait_until(cond, timeout=10.0, what="condition", interval=0.02):
    """Polls cond() until it returns a true value; raises AssertionError after timeout seconds."""
    timeout *= TIMEOUT_SCALE
    deadline = time.monotonic() + timeout
    last_exc = None
    while time.monotonic() < deadline:
        try:
            v = cond()
            if v:
                return v
        except Exception as e:  # the condition may fail until the daemon is up
            last_exc = e
        time.sleep(interval)
    raise AssertionError("timed out after %.1fs waiting for %s (last error: %r)" %
                         (timeout, what, last_exc))


def http(method, url, body=None, timeout=5.0, headers=None):
    """One HTTP request; returns (status, body bytes). Transport errors raise."""
    data = None
    if body is not None:
        data = body if isinstance(body, (bytes, bytearray)) else json.dumps(body).encode()
    req = urllib.request.Request(url, data=data, method=method, headers=headers or {})
    if data is not None and "Content-Type" not in (headers or {}):
        req.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


def post_json(url, obj, timeout=5.0):
    status, body = http("POST", url, obj, timeout=timeout)
    try:
        return status, json.loads(body) if body else None
    except ValueError:
        return status, body
