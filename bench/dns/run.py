#!/usr/bin/python3
"""run.py: bench/dns: kubeproxy's node-local DNS responder against dnsmasq, both serving 1,000 Services.

1,000 ClusterIP Services are written to a real apiserver over etcdlite;
bin/kubeproxy (DNS on an ephemeral loopback port, proxying off) answers their
names from its informer caches. dnsmasq (Debian) runs beside it with the same
records (--addn-hosts: "CLUSTER_IP NAME.default.svc.cluster.local" per
Service, --local=/cluster.local/ so the zone is its own). The load generator
(build/bench/dns_load, C on libuv, one UDP socket, BENCH_CONC queries in
flight) asks for every name round robin. The machine is shared, so rounds
alternate the two servers back to back and the median per server is printed
with the ratio. Goal (issue 10): at least dnsmasq's throughput. A benchmark
reports, it does not assert.

Environment: BIN, BUILD, BENCH_SERVICES (1000), BENCH_SECONDS (3), BENCH_ROUNDS (3), BENCH_CONC (32).
"""
import json
import os
import shutil
import socket
import struct
import subprocess
import sys
import threading

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "tests", "lib"))

import harness  # noqa: E402
from apiserver_proc import Apiserver  # noqa: E402
from etcd_cluster import Cluster  # noqa: E402

BUILD = os.path.join(ROOT, os.environ.get("BUILD", "build"))
LOAD = os.path.join(BUILD, "bench", "dns_load")
NSVC = int(os.environ.get("BENCH_SERVICES", "1000"))
SECONDS = int(os.environ.get("BENCH_SECONDS", "3"))
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "3"))
CONC = int(os.environ.get("BENCH_CONC", "32"))
NS = "/api/v1/namespaces/default"


def median(xs):
    xs = sorted(xs)
    return xs[len(xs) // 2] if len(xs) % 2 else (xs[len(xs) // 2 - 1] + xs[len(xs) // 2]) / 2


def rcode_of(port, name):
    q = struct.pack(">HHHHHH", 1, 0x0100, 1, 0, 0, 0)
    q += b"".join(bytes([len(x)]) + x.encode() for x in name.split(".")) + b"\0\0\1\0\1"
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(1)
    try:
        s.sendto(q, ("127.0.0.1", port))
        return s.recv(512)[3] & 0xF
    except OSError:
        return None
    finally:
        s.close()


def create_services(api):
    ips = [None] * NSVC

    def work(lo, hi):
        for i in range(lo, hi):
            st, svc = api.req("POST", NS + "/services", {
                "apiVersion": "v1", "kind": "Service", "metadata": {"name": "svc-%d" % i},
                "spec": {"ports": [{"name": "http", "port": 80}]}})
            assert st == 201, (st, svc)
            ips[i] = svc["spec"]["clusterIP"]
    step = (NSVC + 3) // 4
    ts = [threading.Thread(target=work, args=(k, min(NSVC, k + step))) for k in range(0, NSVC, step)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    return ips


def load(port, names):
    out = subprocess.run([LOAD, "127.0.0.1", str(port), names, str(CONC), str(SECONDS)],
                         capture_output=True, text=True, check=True).stdout
    return json.loads(out)


def main():
    if not shutil.which("dnsmasq"):
        print("bench/dns: dnsmasq is not installed (make deps); skipped")
        return 0
    d = harness.tempdir("bench-dns-")
    etcd = Cluster(size=1).start_all()
    api = Apiserver(etcd.client)
    procs = []
    try:
        ips = create_services(api)
        names = os.path.join(d, "names")
        hosts = os.path.join(d, "hosts")
        with open(names, "w") as f, open(hosts, "w") as h:
            for i, ip in enumerate(ips):
                f.write("svc-%d.default.svc.cluster.local\n" % i)
                h.write("%s svc-%d.default.svc.cluster.local\n" % (ip, i))
        kplog = os.path.join(d, "kubeproxy.log")
        procs.append(harness.start([os.path.join(harness.BIN, "kubeproxy"), "--master", api.url,
                                    "--hostname-override", "bench", "--bind-address", "127.0.0.1",
                                    "--healthz-port", "-1", "--metrics-port", "-1",
                                    "--cluster-ip-interface", "", "--dns-port", "0",
                                    "--dns-bind-address", "127.0.0.1", "--resolv-conf", ""], kplog))

        def kp_port():
            with open(kplog) as f:
                for line in f:
                    if "dns: serving" in line:
                        return int(line.split(" (udp")[0].rsplit(":", 1)[1])
            return None
        harness.wait_until(kp_port, 20.0, "kubeproxy dns port")
        kport = kp_port()
        harness.wait_until(lambda: all(rcode_of(kport, "svc-%d.default.svc.cluster.local" % i) == 0
                                       for i in (0, NSVC // 2, NSVC - 1)), 30.0, "kubeproxy knows every service")
        mport = harness.free_ports(1)[0]
        procs.append(harness.start(["dnsmasq", "-k", "--no-resolv", "--no-hosts", "--bind-interfaces",
                                    "--listen-address=127.0.0.1", "--port=%d" % mport, "--addn-hosts=" + hosts,
                                    "--local=/cluster.local/", "--cache-size=10000", "--pid-file=",
                                    "--user=root", "--group=root"], os.path.join(d, "dnsmasq.log")))
        harness.wait_until(lambda: rcode_of(mport, "svc-0.default.svc.cluster.local") == 0, 10.0, "dnsmasq up")
        res = {"kubeproxy": [], "dnsmasq": []}
        for r in range(ROUNDS):
            for who, port in (("kubeproxy", kport), ("dnsmasq", mport)) if r % 2 == 0 else \
                    (("dnsmasq", mport), ("kubeproxy", kport)):
                res[who].append(load(port, names))
        print("bench/dns: %d Services, A queries for every name round robin, %d in flight, %d rounds of %d s "
              "(median; 2 shared cores)" % (NSVC, CONC, ROUNDS, SECONDS))
        print("  %-10s %10s %8s %8s %8s %6s" % ("server", "qps", "p50 us", "p99 us", "max us", "lost"))
        med = {}
        for who in ("kubeproxy", "dnsmasq"):
            xs = res[who]
            med[who] = {k: median([x[k] for x in xs]) for k in ("qps", "p50_us", "p99_us", "max_us", "lost")}
            bad = sum(x["nxdomain"] + x["other"] for x in xs)
            m = med[who]
            print("  %-10s %10.0f %8.0f %8.0f %8.0f %6.0f%s" % (who, m["qps"], m["p50_us"], m["p99_us"], m["max_us"],
                                                            m["lost"], "  (%d non-NOERROR!)" % bad if bad else ""))
        ratios = [a["qps"] / b["qps"] for a, b in zip(res["kubeproxy"], res["dnsmasq"]) if b["qps"]]
        print("  kubeproxy/dnsmasq throughput: %.2fx (median of per-round ratios; rounds %s)"
              % (median(ratios), ", ".join("%.2f" % x for x in ratios)))
        print("  p99: kubeproxy %.0f us, dnsmasq %.0f us" % (med["kubeproxy"]["p99_us"], med["dnsmasq"]["p99_us"]))
    finally:
        for p in reversed(procs):
            harness.stop(p)
        api.stop()
        etcd.kill(0)
    return 0


if __name__ == "__main__":
    sys.exit(main())
