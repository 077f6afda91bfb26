"""harness.py: start real daemons on ephemeral loopback ports in temp folders, always kill them.

Integration tests use this instead of sleeping: every wait polls a condition
with a deadline (wait_until), and every process started is killed at exit.
"""
import atexit
import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
BIN = os.path.join(ROOT, os.environ.get("BIN", "bin"))

_procs = []
_dirs = []

# MINIK8S_WRAP="valgrind --leak-check=full ..." runs daemons under a wrapper; MINIK8S_WRAP_ONLY
# ("apiserver etcdlite") limits it to those binaries. Waits stretch by MINIK8S_TIMEOUT_SCALE
# (10 when wrapped) since a daemon under valgrind runs tens of times slower.
WRAP = os.environ.get("MINIK8S_WRAP", "").split()
WRAP_ONLY = os.environ.get("MINIK8S_WRAP_ONLY", "").split()
TIMEOUT_SCALE = float(os.environ.get("MINIK8S_TIMEOUT_SCALE", "10" if WRAP else "1"))


def _cleanup():
    for p in _procs:
        if p.poll() is None:
            try:
                os.killpg(p.pid, signal.SIGKILL)
            except OSError:
                pass
            p.wait()
    for d in _dirs:
        if os.environ.get("KEEP_TMP"):
            print("kept", d)
        else:
            shutil.rmtree(d, ignore_errors=True)


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


def stop(p, timeout=10.0):
    """Stops p with SIGTERM as an operator would; SIGKILL after timeout. Returns its exit code."""
    if p.poll() is not None:
        return p.returncode
    os.killpg(p.pid, signal.SIGTERM)
    timeout *= TIMEOUT_SCALE
    try:
        return p.wait(timeout)
    except subprocess.TimeoutExpired:
        os.killpg(p.pid, signal.SIGKILL)
        p.wait()
        return "killed after %.0fs" % timeout


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
    """Lines of a daemon's log that report a sanitizer finding."""
    try:
        with open(path, errors="replace") as f:
            return [l.rstrip() for l in f if any(m in l for m in SANITIZER_MARKS)]
    except OSError:
        return []


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
