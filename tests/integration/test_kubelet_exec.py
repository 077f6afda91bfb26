"""kubectl exec (and the kubelet's /exec) on real processes: output, exit codes, stdin, a tty, Kubernetes' errors,
and RBAC on pods/exec (admin and edit may, view may not) through the apiserver's HTTPS port.

One etcdlite, an apiserver with a token file and RBAC on HTTPS, and a host-network kubelet (tests/lib/kubelet_proc).
Every wait polls with a deadline; every process is killed at the end.
"""
import os
import shutil
import subprocess
import sys
import urllib.parse
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import harness  # noqa: E402
import kubelet_proc  # noqa: E402
from apiserver_proc import Apiserver, tls_args  # noqa: E402
from etcd_cluster import Cluster  # noqa: E402
from ws_exec import exec_ws  # noqa: E402

KUBECTL = shutil.which("kubectl")
NODE = "n1"
NS = "/api/v1/namespaces/default"
TOKENS = """admin-token,alice,u1,"system:masters"
view-token,bob,u2
edit-token,carol,u3
"""


def make_pki(top):
    """deploy/certs.sh's CA and certificates (apiserver, kubelet of NODE, clients) in top/pki."""
    pki = os.path.join(top, "pki")
    subprocess.run([os.path.join(harness.ROOT, "deploy", "certs.sh"), pki], check=True,
                   stdout=subprocess.DEVNULL, env=dict(os.environ, ETCD_MEMBERS="e1", NODES=NODE))
    return pki


def run_sh_pod(api, env=()):
    """Creates pod sh (container main, a shell that sleeps) on NODE and waits until it runs."""
    api.req("POST", NS + "/pods", {
        "apiVersion": "v1", "kind": "Pod", "metadata": {"name": "sh"},
        "spec": {"nodeName": NODE, "terminationGracePeriodSeconds": 1, "containers": [
            {"name": "main", "image": "echoserver", "command": ["/bin/sh", "-c", "sleep 1000"],
             "env": [{"name": k, "value": v} for k, v in env]}]}})
    harness.wait_until(lambda: api.req("GET", NS + "/pods/sh")[1].get("status", {}).get("phase") == "Running",
                       30.0, "pod sh running")


def binding(user, role):
    return {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding",
            "metadata": {"name": "%s-%s" % (user, role)},
            "subjects": [{"kind": "User", "name": user, "apiGroup": "rbac.authorization.k8s.io"}],
            "roleRef": {"kind": "ClusterRole", "name": role, "apiGroup": "rbac.authorization.k8s.io"}}


@unittest.skipUnless(KUBECTL, "kubectl is not installed")
class ExecTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = harness.tempdir("kubelet-exec-")
        cls.pki = make_pki(cls.dir)
        tokens = os.path.join(cls.dir, "tokens.csv")
        with open(tokens, "w") as f:
            f.write(TOKENS)
        cls.sport = harness.free_ports(1)[0]
        cls.node = kubelet_proc.OneNode(NODE, dir=cls.dir, api_args=tls_args(cls.pki, cls.sport) + [
            "--token-auth-file", tokens, "--authorization-mode=RBAC"])
        cls.api = cls.node.api
        cls.cache = os.path.join(cls.dir, "kubectl-cache")
        for user, role in (("bob", "view"), ("carol", "edit")):
            cls.api.req("POST", "/apis/rbac.authorization.k8s.io/v1/clusterrolebindings", binding(user, role))
        run_sh_pod(cls.api, env=[("GREETING", "hello")])

    @classmethod
    def tearDownClass(cls):
        cls.node.stop(NS)

    def kubectl(self, *args, token="admin-token", stdin=None):
        return subprocess.run([KUBECTL, "--server", "https://127.0.0.1:%d" % self.sport, "--token", token,
                               "--certificate-authority", os.path.join(self.pki, "ca.crt"),
                               "--cache-dir", self.cache] + list(args),
                              input=stdin, capture_output=True, text=True, timeout=60)

    def test_output_and_exit_codes(self):
        p = self.kubectl("exec", "sh", "--", "echo", "hi")
        self.assertEqual((p.returncode, p.stdout, p.stderr), (0, "hi\n", ""))
        p = self.kubectl("exec", "sh", "--", "sh", "-c", "echo out; echo err >&2; exit 3")
        self.assertEqual(p.returncode, 3)
        self.assertEqual(p.stdout, "out\n")
        self.assertIn("err\n", p.stderr)
        self.assertIn("command terminated with exit code 3", p.stderr)

    @unittest.skipUnless(shutil.which("script"), "script (util-linux) is not installed")
    def test_tty_and_its_size(self):
        # script gives kubectl a terminal: -t makes a pty there, of this terminal's size (channel 4)
        cmd = ("stty cols 91 rows 33; %s --server https://127.0.0.1:%d --token admin-token --certificate-authority %s "
               "--cache-dir %s exec -it sh -- sh -c 'tty; stty size; exit 5'; echo rc=$?"
               % (KUBECTL, self.sport, os.path.join(self.pki, "ca.crt"), self.cache))
        p = subprocess.run(["script", "-qec", cmd, "/dev/null"], capture_output=True, text=True, timeout=60,
                           stdin=subprocess.DEVNULL)
        self.assertIn("/dev/pts/", p.stdout)
        self.assertIn("33 91", p.stdout.split("\n"))
        self.assertIn("command terminated with exit code 5", p.stdout)
        self.assertIn("rc=5", p.stdout)

    def test_container_environment(self):
        p = self.kubectl("exec", "sh", "-c", "main", "--", "sh", "-c", "echo $GREETING")
        self.assertEqual((p.returncode, p.stdout), (0, "hello\n"), p.stderr)

    def test_stdin_piped(self):
        p = self.kubectl("exec", "-i", "sh", "--", "cat", stdin="data\nmore\n")
        self.assertEqual((p.returncode, p.stdout), (0, "data\nmore\n"), p.stderr)
        # all of it reaches the command before its stdin ends, however fast it comes
        big = "".join("line %06d\n" % i for i in range(100000))
        p = self.kubectl("exec", "-i", "sh", "--", "wc", "-lc", stdin=big)
        self.assertEqual((p.returncode, p.stdout.split()), (0, ["100000", str(len(big))]), p.stderr)

    def test_missing_pod_and_container(self):
        p = self.kubectl("exec", "nope", "--", "true")
        self.assertEqual(p.returncode, 1)
        self.assertIn('pods "nope" not found', p.stderr)
        p = self.kubectl("exec", "sh", "-c", "other", "--", "true")
        self.assertEqual(p.returncode, 1)
        self.assertIn("container other is not valid for pod sh", p.stderr)

    def test_missing_command(self):
        p = self.kubectl("exec", "sh", "--", "no-such-command")
        self.assertNotEqual(p.returncode, 0)
        self.assertIn("no-such-command", p.stderr)

    def test_rbac(self):
        p = self.kubectl("exec", "sh", "--", "true", token="view-token")
        self.assertEqual(p.returncode, 1)
        self.assertIn("Forbidden", p.stderr)
        self.assertIn('cannot create resource "pods/exec"', p.stderr)
        p = self.kubectl("exec", "sh", "--", "echo", "edit", token="edit-token")
        self.assertEqual((p.returncode, p.stdout), (0, "edit\n"), p.stderr)

    def minictl(self, *args, token="admin-token", stdin=None):
        return subprocess.run([os.path.join(harness.BIN, "minictl"), "--server", "https://127.0.0.1:%d" % self.sport,
                               "--token", token, "--certificate-authority", os.path.join(self.pki, "ca.crt")]
                              + list(args), input=stdin, capture_output=True, text=True, timeout=60)

    def test_minictl_exec(self):
        p = self.minictl("exec", "pod/sh", "--", "echo", "hi")
        self.assertEqual((p.returncode, p.stdout, p.stderr), (0, "hi\n", ""))
        p = self.minictl("exec", "sh", "--", "sh", "-c", "echo err >&2; exit 3")
        self.assertEqual(p.returncode, 3)
        self.assertEqual(p.stderr, "err\ncommand terminated with exit code 3\n")
        p = self.minictl("exec", "-i", "sh", "-c", "main", "--", "cat", stdin="data\n")
        self.assertEqual((p.returncode, p.stdout), (0, "data\n"), p.stderr)
        p = self.minictl("exec", "nope", "--", "true")
        self.assertEqual((p.returncode, p.stderr), (1, 'Error from server (NotFound): pods "nope" not found\n'))
        p = self.minictl("exec", "sh", "-c", "other", "--", "true")
        self.assertEqual(p.returncode, 1)
        self.assertIn("container other is not valid for pod sh", p.stderr)
        p = self.minictl("exec", "sh", "--", "true", token="view-token")
        self.assertEqual(p.returncode, 1)
        self.assertIn("Forbidden", p.stderr)
        # -it on a terminal: the remote pty ends lines with \r\n and ours must not add another \r
        cmd = ("%s --server https://127.0.0.1:%d --token admin-token --certificate-authority %s exec -it sh -- "
               "sh -c 'tty; exit 4'; echo rc=$?" % (os.path.join(harness.BIN, "minictl"), self.sport,
                                                      os.path.join(self.pki, "ca.crt")))
        p = subprocess.run(["script", "-qec", cmd, "/dev/null"], capture_output=True, timeout=60,
                           stdin=subprocess.DEVNULL)
        self.assertIn(b"/dev/pts/", p.stdout)
        self.assertNotIn(b"\r\r\n", p.stdout)
        self.assertIn(b"rc=4", p.stdout)

    def kubelet_exec(self, container, cmd, stdin=None, **flags):
        q = "&".join(["command=" + urllib.parse.quote(c) for c in cmd] + ["%s=true" % f.rstrip("_") for f in flags])
        return exec_ws("127.0.0.1", self.node.kport, "/exec/default/sh/%s?%s" % (container, q), stdin=stdin)

    def test_kubelet_endpoint(self):
        st, out, status = self.kubelet_exec("main", ["sh", "-c", "echo a; exit 7"], stdout=1, stderr=1)
        self.assertEqual((st, out[1]), (101, b"a\n"))
        self.assertEqual(status["reason"], "NonZeroExitCode")
        self.assertEqual(status["details"]["causes"], [{"reason": "ExitCode", "message": "7"}])
        # a tty: the command sees a terminal, and output comes on stdout
        st, out, status = self.kubelet_exec("main", ["sh", "-c", "test -t 0 && tty"], stdin=b"", tty=1,
                                            stdout=1)
        self.assertEqual(st, 101)
        self.assertEqual(status["status"], "Success", out)
        self.assertIn(b"/dev/pts/", out[1])
        # stdin's end (v5) comes after everything sent before it, however much waits for the command
        st, out, status = self.kubelet_exec("main", ["wc", "-c"], stdin=b"x" * 8000000, stdin_=1, stdout=1)
        self.assertEqual((st, status["status"], out[1].strip()), (101, "Success", b"8000000"))
        st, head, body = self.kubelet_exec("nope", ["true"], stdout=1)
        self.assertEqual(st, 404)
        self.assertIn(b'container not found (\\"nope\\")', body)


@unittest.skipUnless(KUBECTL, "kubectl is not installed")
class ExecOverHttpsKubeletTest(unittest.TestCase):
    """The apiserver reaches an HTTPS kubelet with its client certificate (--authorization-mode=Webhook)."""

    @classmethod
    def setUpClass(cls):
        cls.dir = harness.tempdir("kubelet-exec-tls-")
        cls.pki = make_pki(cls.dir)
        p = lambda f: os.path.join(cls.pki, f)  # noqa: E731
        cls.etcd = Cluster(size=1).start_all()
        cls.api = Apiserver(cls.etcd.client, ["--kubelet-client-certificate", p("apiserver-kubelet-client.crt"),
                                              "--kubelet-client-key", p("apiserver-kubelet-client.key"),
                                              "--kubelet-certificate-authority", p("ca.crt")])
        cls.kport = harness.free_ports(1)[0]
        cls.cgroup = "minik8s-exec-tls-%d" % os.getpid()
        cls.kubelet = harness.start([
            os.path.join(harness.BIN, "kubelet"), "--master", cls.api.url, "--hostname-override", NODE,
            "--node-ip", "127.0.0.1", "--bind-address", "127.0.0.1", "--port", str(cls.kport),
            "--root-dir", os.path.join(cls.dir, "root"), "--pod-network", "host", "--cgroup-name", cls.cgroup,
            "--restart-backoff", "500ms", "--node-status-update-frequency", "2s",
            "--tls-cert-file", p("kubelet-%s-server.crt" % NODE), "--tls-private-key-file", p("kubelet-%s-server.key" % NODE),
            "--client-ca-file", p("ca.crt"), "--anonymous-auth=false", "--authorization-mode=Webhook"],
            os.path.join(cls.dir, "kubelet.log"))
        cls.cache = os.path.join(cls.dir, "kubectl-cache")
        run_sh_pod(cls.api)

    @classmethod
    def tearDownClass(cls):
        problems = kubelet_proc.stop(cls.kubelet, cls.api, NS, cls.cgroup)
        cls.api.stop()
        cls.etcd.stop()
        assert not problems, problems

    def kubectl(self, *args, stdin=None):
        return subprocess.run([KUBECTL, "--server", self.api.url, "--cache-dir", self.cache] + list(args),
                              input=stdin, capture_output=True, text=True, timeout=60)

    def test_exec_through_https(self):
        p = self.kubectl("exec", "sh", "--", "sh", "-c", "echo hi; exit 4")
        self.assertEqual((p.returncode, p.stdout), (4, "hi\n"), p.stderr)
        self.assertIn("command terminated with exit code 4", p.stderr)
        data = "".join("%06d\n" % i for i in range(20000))
        p = self.kubectl("exec", "-i", "sh", "--", "cat", stdin=data)
        self.assertEqual((p.returncode, p.stdout == data), (0, True), p.stderr)
        # the apiserver answers others while an exec streams (an HTTPS kubelet sends in tiny TLS records)
        size = 1000000
        ex = subprocess.Popen([KUBECTL, "--server", self.api.url, "--cache-dir", self.cache, "exec", "sh", "--",
                               "sh", "-c", "head -c %d /dev/zero | tr '\\0' a" % size],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        answered = []
        while ex.poll() is None and len(answered) < 3:
            answered.append(harness.http("GET", self.api.url + "/healthz", timeout=2.0)[0])
        out, err = ex.communicate(timeout=60)
        self.assertEqual((ex.returncode, len(out)), (0, size), err)
        self.assertEqual(set(answered) | {200}, {200})

if __name__ == "__main__":
    unittest.main(verbosity=2)
