"""A kubelet on the host network for integration tests: started, waited for, and cleaned up after."""
import os

import harness


def start(api_url, node, port, root, cgroup, log_path, extra=()):
    """Starts a kubelet (host network, fast back-off and status) and waits for its /healthz."""
    p = harness.start([os.path.join(harness.BIN, "kubelet"), "--master", api_url, "--hostname-override", node,
                       "--node-ip", "127.0.0.1", "--bind-address", "127.0.0.1", "--port", str(port),
                       "--root-dir", root] + list(extra) +
                      ["--restart-backoff", "500ms", "--pod-network", "host", "--node-status-update-frequency", "2s",
                       "--cgroup-name", cgroup], log_path)
    harness.wait_until(lambda: harness.http("GET", "http://127.0.0.1:%d/healthz" % port, timeout=1.0)[0] == 200,
                       10.0, "kubelet up")
    return p


def delete_pods(api, ns_path):
    """Deletes every pod under ns_path and waits (up to 20 s) for them to go."""
    for p in (api.req("GET", ns_path + "/pods")[1] or {}).get("items", []):
        api.req("DELETE", ns_path + "/pods/" + p["metadata"]["name"])
    try:
        harness.wait_until(lambda: not api.req("GET", ns_path + "/pods")[1]["items"], 20.0, "pods gone")
    except Exception:  # noqa: BLE001 - teardown goes on; the kubelet's stop reports what is left
        pass


def remove_cgroup(name):
    """Removes the kubelet's cgroup under every hierarchy it may have used (v2, v1 controllers)."""
    for c in ("", "memory/", "cpu/", "pids/"):
        try:
            os.rmdir("/sys/fs/cgroup/%s%s" % (c, name))
        except OSError:
            pass


def stop(proc, api, ns_path, cgroup):
    """Deletes the pods, stops the kubelet and removes its cgroup; what harness.stop_problems found."""
    delete_pods(api, ns_path)
    problems = harness.stop_problems(proc)
    remove_cgroup(cgroup)
    return problems


class OneNode:
    """A one-member etcdlite, an apiserver (api_args added to its flags) and a host-network kubelet named node,
    in the folder dir (a new temporary one when None): what a kubelet test runs against. stop() ends them."""

    def __init__(self, node, dir=None, api_args=(), kubelet_args=(), master=None):
        """master: the URL the kubelet uses (default: the apiserver's plain loopback port)."""
        from apiserver_proc import Apiserver
        from etcd_cluster import Cluster
        self.dir = dir or harness.tempdir("kubelet-%s-" % node)
        self.etcd = Cluster(size=1).start_all()
        self.api = Apiserver(self.etcd.client, list(api_args))
        self.root = os.path.join(self.dir, "root")
        self.kport = harness.free_ports(1)[0]
        self.cgroup = "minik8s-it-%d" % os.getpid()
        self._args = (master or self.api.url, node, self.kport, self.root, self.cgroup,
                      os.path.join(self.dir, "kubelet.log"), kubelet_args)
        self.kubelet = start(*self._args)

    def restart_kubelet(self):
        """SIGKILLs the kubelet (its pods run on) and starts it again with the same flags."""
        harness.kill(self.kubelet)
        self.kubelet = start(*self._args)

    def stop(self, ns_path):
        """Deletes the pods under ns_path, stops the kubelet, the apiserver and etcd; raises what went wrong."""
        problems = stop(self.kubelet, self.api, ns_path, self.cgroup)
        self.api.stop()
        self.etcd.stop()
        assert not problems, problems
