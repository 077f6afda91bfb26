#!/usr/bin/env python3
"""bench/startup: time from start to every node Ready, for the local cluster and the compose one.

Local: deploy/cluster.sh up (binaries built) in a temp folder on moved ports, RUNS times (default 3),
median. Compose: deploy/compose.sh up (images built by make image first, not timed), once, when a
Docker Engine answers and the ports are free. Printed against the published anchors of the issue
(kind 12-17 s, minikube with Docker 21-28 s, k3s about 50 s, kwok about 5 s to a usable API) and
the goals (local under 3 s, compose under 15 s). Wall-clock of the whole command, as a user waits.
"""
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
RUNS = int(os.environ.get("RUNS", "3"))
ANCHORS = [("kwok (usable API)", 5), ("kind", 12), ("kind (slow)", 17), ("minikube/docker", 21),
           ("minikube/docker (slow)", 28), ("k3s", 50)]


def free(port):
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        s.bind(("127.0.0.1", port))
        return True
    except OSError:
        return False
    finally:
        s.close()


def local_once():
    ports = [2379, 2380, 22379, 22380, 32379, 32380, 8080, 8081, 10250, 10256, 10260, 10266]
    offset = next(o for o in random.sample(range(-1300, -10, 7), 60) if all(free(p + o) for p in ports))
    d = tempfile.mkdtemp(prefix="minik8s-bench-")
    env = dict(os.environ, CLUSTER_DIR=d, PORT_OFFSET=str(offset), NODE_NET="127.0.%d" % random.randint(100, 250))
    t = time.monotonic()
    r = subprocess.run([os.path.join(ROOT, "deploy/cluster.sh"), "up"], env=env, capture_output=True, text=True)
    dt = time.monotonic() - t
    subprocess.run([os.path.join(ROOT, "deploy/cluster.sh"), "down"], env=dict(env, CLEAN="1"), capture_output=True)
    if r.returncode:
        raise SystemExit("local up failed:\n" + r.stdout + r.stderr)
    return dt


def compose_once():
    if subprocess.run(["docker", "info"], capture_output=True).returncode:
        return None, "no Docker Engine answers"
    if not all(free(p) for p in (8080, 8081, 2379, 22379, 32379, 30080, 30081)):
        return None, "the compose cluster's ports are taken"
    b = subprocess.run(["make", "--no-print-directory", "-C", ROOT, "image"], capture_output=True, text=True)
    if b.returncode:
        return None, "make image failed: " + b.stderr[-500:]
    t = time.monotonic()
    r = subprocess.run([os.path.join(ROOT, "deploy/compose.sh"), "up"], capture_output=True, text=True)
    dt = time.monotonic() - t
    subprocess.run([os.path.join(ROOT, "deploy/compose.sh"), "down"], capture_output=True)
    if r.returncode:
        return None, "compose up failed: " + (r.stdout + r.stderr)[-500:]
    return dt, ""


def show(name, secs, goal):
    print("%-8s %6.2f s to every node Ready (goal < %d s: %s)" % (name, secs, goal, "met" if secs < goal else "MISSED"))
    print("         " + ", ".join("%s %.1fx" % (a, s / secs) for a, s in ANCHORS) + "  (anchor / ours)")


def main():
    times = [local_once() for _ in range(RUNS)]
    print("bench/startup on %d cores, load %.1f" % (os.cpu_count(), os.getloadavg()[0]))
    print("local runs: " + ", ".join("%.2f s" % t for t in times))
    show("local", statistics.median(times), 3)
    if os.environ.get("SKIP_COMPOSE") == "1":
        print("compose  SKIPPED: SKIP_COMPOSE=1")
        return 0
    dt, why = compose_once()
    if dt is None:
        print("compose  SKIPPED: " + why)
    else:
        show("compose", dt, 15)
    return 0


if __name__ == "__main__":
    sys.exit(main())
