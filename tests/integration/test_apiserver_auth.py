"""The apiserver's HTTPS port with tokens, client certificates, RBAC and the Node authorizer
(certificates from deploy/certs.sh, an expired one made here): statuses and messages checked.

Every wait polls with a deadline; every process is killed at the end.
"""
import datetime
import http.client
import json
import os
import shutil
import signal
import ssl
import subprocess
import sys
import tempfile
import threading
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import harness  # noqa: E402
from apiserver_proc import Apiserver, tls_args  # noqa: E402
from etcd_cluster import Cluster  # noqa: E402

KUBECTL = shutil.which("kubectl")
TOKENS = """# token,user,uid,"groups"
admin-token,alice,u1,"system:masters"
view-token,bob,u2
n1-token,system:node:n1,u3,"system:nodes"
n2-token,system:node:n2,u6,"system:nodes"
carol-token,carol,u4
dave-token,dave,u5
"""


def make_pki(top):
    good, bad = os.path.join(top, "pki"), os.path.join(top, "foreign")
    env = dict(os.environ, ETCD_MEMBERS="e1", NODES="n1 n2")
    for d in (good, bad):
        subprocess.run([os.path.join(harness.ROOT, "deploy", "certs.sh"), d], env=env, check=True,
                       stdout=subprocess.DEVNULL)
    return good, bad


def make_expired(pki):
    """admin-expired.{crt,key}: CN=admin O=system:masters, signed by the cluster CA, expired yesterday."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    with open(os.path.join(pki, "ca.key"), "rb") as f:
        ca_key = serialization.load_pem_private_key(f.read(), None)
    with open(os.path.join(pki, "ca.crt"), "rb") as f:
        ca = x509.load_pem_x509_certificate(f.read())
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "admin"),
                                     x509.NameAttribute(NameOID.ORGANIZATION_NAME, "system:masters")]))
            .issuer_name(ca.subject).public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(days=10)).not_valid_after(now - datetime.timedelta(days=1))
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False)
            .sign(ca_key, hashes.SHA256()))
    with open(os.path.join(pki, "admin-expired.key"), "wb") as f:
        f.write(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                  serialization.NoEncryption()))
    with open(os.path.join(pki, "admin-expired.crt"), "wb") as f:
        f.write(cert.public_bytes(serialization.Encoding.PEM))


class AuthTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = harness.tempdir("apiauth-")
        cls.pki, cls.foreign = make_pki(cls.dir)
        make_expired(cls.pki)
        tokens = os.path.join(cls.dir, "tokens.csv")
        with open(tokens, "w") as f:
            f.write(TOKENS)
        cls.sa_key = os.path.join(cls.dir, "sa.key")
        with open(cls.sa_key, "wb") as f:
            f.write(os.urandom(32).hex().encode())
        cls.sport = harness.free_ports(1)[0]
        cls.etcd = Cluster(size=1).start_all()
        cls.api = Apiserver(cls.etcd.client, tls_args(cls.pki, cls.sport) + [
            "--token-auth-file", tokens, "--anonymous-auth=false", "--authorization-mode=Node,RBAC",
            "--service-account-key-file", cls.sa_key])
        # bob may view the cluster; two nodes and a pod bound to each (through the trusted loopback port)
        cls.admin("POST", "/apis/rbac.authorization.k8s.io/v1/clusterrolebindings", {
            "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding",
            "metadata": {"name": "bob-view"},
            "subjects": [{"kind": "User", "name": "bob", "apiGroup": "rbac.authorization.k8s.io"}],
            "roleRef": {"kind": "ClusterRole", "name": "view", "apiGroup": "rbac.authorization.k8s.io"}})
        for n in ("n1", "n2"):
            cls.admin("POST", "/api/v1/nodes", {"apiVersion": "v1", "kind": "Node", "metadata": {"name": n}})
            cls.admin("POST", "/api/v1/namespaces/default/pods", {
                "apiVersion": "v1", "kind": "Pod", "metadata": {"name": "on-" + n},
                "spec": {"nodeName": n, "containers": [{"name": "c", "image": "busybox"}]}})
        # RBAC follows storage through a watch: wait until bob's binding is seen
        harness.wait_until(lambda: cls.https("GET", "/api/v1/namespaces/default/pods", token="view-token")[0] == 200,
                           10.0, "bob's binding in effect")

    @classmethod
    def tearDownClass(cls):
        # SIGTERM: the orderly stop (authorizer caches freed before storage); under ASan, leaks show here
        rc = harness.stop(cls.api.proc)
        cls.etcd.stop()
        problems = harness.log_problems(os.path.join(cls.api.dir, "apiserver.log"))
        assert rc == 0 and not problems, (rc, problems)

    @classmethod
    def admin(cls, method, path, body):
        st, out = cls.api.req(method, path, body)
        assert st in (200, 201), (st, out)
        return out

    @classmethod
    def ctx(cls, cert=None, pki=None):
        c = ssl.create_default_context(cafile=os.path.join(cls.pki, "ca.crt"))
        if cert:
            d = pki or cls.pki
            c.load_cert_chain(os.path.join(d, cert + ".crt"), os.path.join(d, cert + ".key"))
        return c

    @classmethod
    def https(cls, method, path, body=None, token=None, cert=None, pki=None, ctype="application/json", headers=()):
        h = {}
        if token:
            h["Authorization"] = "Bearer " + token
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            h["Content-Type"] = ctype
        conn = http.client.HTTPSConnection("127.0.0.1", cls.sport, timeout=10, context=cls.ctx(cert, pki))
        try:
            conn.putrequest(method, path)
            # a list of pairs, as Impersonate-Group may be repeated
            for k, v in list(h.items()) + list(headers):
                conn.putheader(k, v)
            if data is not None:
                conn.putheader("Content-Length", str(len(data)))
            conn.endheaders(data)
            r = conn.getresponse()
            raw = r.read()
        finally:
            conn.close()
        try:
            return r.status, json.loads(raw) if raw else None, r
        except ValueError:
            return r.status, raw, r

    def test_no_credentials_401(self):
        st, body, _ = self.https("GET", "/api/v1/namespaces/default/pods")
        self.assertEqual(st, 401)
        self.assertEqual((body["kind"], body["reason"], body["code"]), ("Status", "Unauthorized", 401))

    def test_unknown_token_401(self):
        st, body, _ = self.https("GET", "/api/v1/namespaces/default/pods", token="nope")
        self.assertEqual(st, 401)

    def test_discovery_for_any_authenticated_user_metrics_refused(self):
        # carol has no binding: system:discovery and system:public-info-viewer still let her find the API
        for path in ("/api", "/api/v1", "/apis", "/apis/apps/v1", "/version", "/healthz", "/livez", "/readyz",
                     "/openapi/v3", "/openapi/v3/api/v1"):
            st, body, _ = self.https("GET", path, token="carol-token")
            self.assertEqual(st, 200, (path, body))
        st, body, _ = self.https("GET", "/metrics", token="carol-token")
        self.assertEqual(st, 403)
        self.assertEqual((body["kind"], body["reason"], body["message"]),
                         ("Status", "Forbidden", 'forbidden: User "carol" cannot get path "/metrics"'))
        self.assertEqual(self.https("GET", "/no/such/path", token="carol-token")[0], 403)
        self.assertEqual(self.https("GET", "/api/v1/namespaces/default/pods", token="carol-token")[0], 403)
        self.assertEqual(self.https("GET", "/metrics", token="admin-token")[0], 200)
        # with --anonymous-auth=false even the health paths want credentials, as in Kubernetes
        self.assertEqual(self.https("GET", "/healthz")[0], 401)
        self.assertEqual(self.https("GET", "/version")[0], 401)

    def test_non_resource_urls_in_a_cluster_role(self):
        self.admin("POST", "/apis/rbac.authorization.k8s.io/v1/clusterroles", {
            "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole", "metadata": {"name": "metrics-reader"},
            "rules": [{"nonResourceURLs": ["/metr*"], "verbs": ["get"]}]})
        self.admin("POST", "/apis/rbac.authorization.k8s.io/v1/clusterrolebindings", {
            "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding",
            "metadata": {"name": "dave-metrics"},
            "subjects": [{"kind": "User", "name": "dave", "apiGroup": "rbac.authorization.k8s.io"}],
            "roleRef": {"kind": "ClusterRole", "name": "metrics-reader", "apiGroup": "rbac.authorization.k8s.io"}})
        harness.wait_until(lambda: self.https("GET", "/metrics", token="dave-token")[0] == 200, 10.0,
                           "dave's metrics binding in effect")
        self.assertEqual(self.https("POST", "/metrics", {}, token="dave-token")[0], 403)
        self.assertEqual(self.https("GET", "/api/v1/namespaces/default/configmaps", token="dave-token")[0], 403)

    def sa_token(self, ns, name, **spec):
        st, body, _ = self.https("POST", "/api/v1/namespaces/%s/serviceaccounts/%s/token" % (ns, name), {
            "apiVersion": "authentication.k8s.io/v1", "kind": "TokenRequest", "spec": spec}, token="admin-token")
        self.assertEqual(st, 201, body)
        self.assertEqual(body["kind"], "TokenRequest")
        return body["status"]["token"]

    def test_serviceaccount_tokens(self):
        # every namespace gets a ServiceAccount "default", the new one too
        self.admin("POST", "/api/v1/namespaces", {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "team"}})
        for ns in ("default", "team"):
            harness.wait_until(lambda: self.api.req("GET", "/api/v1/namespaces/%s/serviceaccounts/default" % ns)[0] == 200,
                               10.0, "serviceaccount %s/default" % ns)
        tok = self.sa_token("default", "default", expirationSeconds=600)
        self.assertEqual(tok.count("."), 2)
        # authenticated (discovery works) but granted nothing yet
        self.assertEqual(self.https("GET", "/api", token=tok)[0], 200)
        st, body, _ = self.https("GET", "/api/v1/namespaces/default/pods", token=tok)
        self.assertEqual(st, 403)
        self.assertIn('User "system:serviceaccount:default:default" cannot list resource "pods"', body["message"])
        # a RoleBinding to the ServiceAccount applies in its namespace only
        self.admin("POST", "/apis/rbac.authorization.k8s.io/v1/namespaces/default/rolebindings", {
            "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding", "metadata": {"name": "sa-view"},
            "subjects": [{"kind": "ServiceAccount", "name": "default", "namespace": "default"}],
            "roleRef": {"kind": "ClusterRole", "name": "view", "apiGroup": "rbac.authorization.k8s.io"}})
        harness.wait_until(lambda: self.https("GET", "/api/v1/namespaces/default/pods", token=tok)[0] == 200, 10.0,
                           "the serviceaccount's binding in effect")
        self.assertEqual(self.https("GET", "/api/v1/namespaces/team/pods", token=tok)[0], 403)
        self.assertEqual(self.https("POST", "/api/v1/namespaces/default/configmaps", {
            "apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "sa-cm"}}, token=tok)[0], 403)
        # the groups: system:serviceaccounts:team
        team = self.sa_token("team", "default")
        self.admin("POST", "/apis/rbac.authorization.k8s.io/v1/clusterrolebindings", {
            "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding", "metadata": {"name": "team-view"},
            "subjects": [{"kind": "Group", "name": "system:serviceaccounts:team", "apiGroup": "rbac.authorization.k8s.io"}],
            "roleRef": {"kind": "ClusterRole", "name": "view", "apiGroup": "rbac.authorization.k8s.io"}})
        harness.wait_until(lambda: self.https("GET", "/api/v1/namespaces/default/pods", token=team)[0] == 200, 10.0,
                           "the group binding in effect")
        # a token altered by one character, or for a ServiceAccount that does not exist
        self.assertEqual(self.https("GET", "/api", token=tok[:-2] + ("AA" if tok[-2:] != "AA" else "BB"))[0], 401)
        st, body, _ = self.https("POST", "/api/v1/namespaces/default/serviceaccounts/nobody/token",
                                 {"kind": "TokenRequest", "apiVersion": "authentication.k8s.io/v1", "spec": {}},
                                 token="admin-token")
        self.assertEqual(st, 404, body)
        # asking for a token is itself authorized: bob (view) may not
        st, _, _ = self.https("POST", "/api/v1/namespaces/default/serviceaccounts/default/token",
                              {"kind": "TokenRequest", "apiVersion": "authentication.k8s.io/v1", "spec": {}},
                              token="view-token")
        self.assertEqual(st, 403)

    def test_token_dies_with_its_serviceaccount(self):
        """A token of a ServiceAccount stops working when the account is deleted, and stays dead when it is made again."""
        sas = "/api/v1/namespaces/default/serviceaccounts"

        def make_sa():
            return self.admin("POST", sas, {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "doomed"}})

        def status(tok):
            return self.https("GET", "/api", token=tok)[0]

        first = make_sa()
        plain = self.sa_token("default", "doomed")
        self.admin("POST", "/api/v1/namespaces/default/secrets", {"apiVersion": "v1", "kind": "Secret",
                                                                  "metadata": {"name": "doomed-anchor"}})
        st, body, _ = self.https("POST", sas + "/doomed/token", {
            "apiVersion": "authentication.k8s.io/v1", "kind": "TokenRequest",
            "spec": {"boundObjectRef": {"kind": "Secret", "apiVersion": "v1", "name": "doomed-anchor"}}},
            token="admin-token")
        self.assertEqual(st, 201, body)
        bound = body["status"]["token"]
        for tok in (plain, bound):
            harness.wait_until(lambda: status(tok) == 200, 10.0, "the token accepted")
        self.assertEqual(self.api.req("DELETE", sas + "/doomed")[0], 200)
        for tok in (plain, bound):
            harness.wait_until(lambda: status(tok) == 401, 10.0, "the token refused once its account is gone")
        # the same name again is another account (another uid): the old tokens stay dead, a new one works
        second = make_sa()
        self.assertNotEqual(first["metadata"]["uid"], second["metadata"]["uid"])
        fresh = self.sa_token("default", "doomed")
        harness.wait_until(lambda: status(fresh) == 200, 10.0, "the new account's token accepted")
        self.assertEqual([status(plain), status(bound)], [401, 401])
        # TokenReview says the same
        st, review, _ = self.https("POST", "/apis/authentication.k8s.io/v1/tokenreviews", {
            "apiVersion": "authentication.k8s.io/v1", "kind": "TokenReview", "spec": {"token": plain}},
            token="admin-token")
        self.assertEqual(st, 201, review)
        self.assertFalse(review["status"].get("authenticated", False))

    def test_bound_serviceaccount_tokens(self):
        """A token bound to a pod or secret works while that object lives, never after, not even for a namesake."""
        pods, token_path = "/api/v1/namespaces/default/pods", "/api/v1/namespaces/default/serviceaccounts/%s/token"
        harness.wait_until(lambda: self.api.req("GET", "/api/v1/namespaces/default/serviceaccounts/default")[0] == 200,
                           10.0, "serviceaccount default/default")

        def make_pod(name, sa="default"):
            return self.admin("POST", pods, {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name},
                                             "spec": {"serviceAccountName": sa,
                                                      "containers": [{"name": "c", "image": "busybox"}]}})

        def bound_request(kind, name, uid=None, sa="default"):
            ref = {"kind": kind, "apiVersion": "v1", "name": name}
            if uid:
                ref["uid"] = uid
            return self.https("POST", token_path % sa, {"apiVersion": "authentication.k8s.io/v1",
                                                        "kind": "TokenRequest", "spec": {"boundObjectRef": ref}},
                              token="admin-token")[:2]

        def works(tok):
            return self.https("GET", "/api", token=tok)[0] == 200

        holder = make_pod("token-holder")
        st, body = bound_request("Pod", "token-holder")
        self.assertEqual(st, 201, body)
        self.assertEqual(body["spec"]["boundObjectRef"], {"kind": "Pod", "apiVersion": "v1", "name": "token-holder",
                                                          "uid": holder["metadata"]["uid"]})
        tok = body["status"]["token"]
        # the pod is in the token's identity, as Kubernetes puts it there
        harness.wait_until(lambda: works(tok), 10.0, "the bound token accepted")
        st, review, _ = self.https("POST", self.WHOAMI, self.SSR, token=tok)
        self.assertEqual(st, 201, review)
        self.assertEqual(review["status"]["userInfo"]["extra"], {
            "authentication.kubernetes.io/pod-name": ["token-holder"],
            "authentication.kubernetes.io/pod-uid": [holder["metadata"]["uid"]]})
        # the pod goes (not scheduled: at once), and the token with it
        self.assertEqual(self.api.req("DELETE", pods + "/token-holder")[0], 200)
        harness.wait_until(lambda: self.https("GET", "/api", token=tok)[0] == 401, 10.0, "the token refused")
        st, body, _ = self.https("GET", pods, token=tok)
        self.assertEqual((st, body["reason"]), (401, "Unauthorized"))
        # a new pod of the same name has another uid: the old token stays dead while a new one works
        make_pod("token-holder")
        st, body = bound_request("Pod", "token-holder")
        self.assertEqual(st, 201, body)
        harness.wait_until(lambda: works(body["status"]["token"]), 10.0, "the new pod's token accepted")
        self.assertEqual(self.https("GET", "/api", token=tok)[0], 401)
        # refusals at issue: a missing pod, a stale uid, a pod of another account, a kind not bindable
        st, body = bound_request("Pod", "no-such-pod")
        self.assertEqual((st, body["message"]), (404, 'pods "no-such-pod" not found'))
        st, body = bound_request("Pod", "token-holder", uid=holder["metadata"]["uid"])
        self.assertEqual((st, body["reason"]), (409, "Conflict"), body)
        self.assertIn("does not match the UID in record", body["message"])
        self.admin("POST", "/api/v1/namespaces/default/serviceaccounts", {
            "apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "other-sa"}})
        make_pod("other-holder", sa="other-sa")
        st, body = bound_request("Pod", "other-holder")
        self.assertEqual(st, 400, body)
        self.assertEqual(body["message"], 'cannot bind token for serviceaccount "default" to pod running with '
                                          'different serviceaccount name.')
        self.assertEqual(bound_request("Pod", "other-holder", sa="other-sa")[0], 201)
        st, body = bound_request("ConfigMap", "x")
        self.assertEqual((st, body["message"]), (400, "cannot bind token to object of type /v1, Kind=ConfigMap"))
        # a pod being deleted gracefully keeps its token working while it stops (Kubernetes: up to 60 s past its
        # deletionTimestamp); removed, it is refused
        self.admin("POST", pods, {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "graceful-holder"},
                                  "spec": {"nodeName": "n2", "containers": [{"name": "c", "image": "busybox"}]}})
        st, body = bound_request("Pod", "graceful-holder")
        gtok = body["status"]["token"]
        harness.wait_until(lambda: works(gtok), 10.0, "the bound token accepted")
        st, body = self.api.req("DELETE", pods + "/graceful-holder")
        self.assertEqual(st, 200, body)
        self.assertIn("deletionTimestamp", body["metadata"])
        harness.wait_until(lambda: self.api.req("GET", pods + "/graceful-holder")[1]["metadata"].get(
            "deletionTimestamp"), 10.0, "the pod terminating")
        self.assertTrue(works(gtok))
        self.assertEqual(self.api.req("DELETE", pods + "/graceful-holder", {"gracePeriodSeconds": 0})[0], 200)
        harness.wait_until(lambda: self.https("GET", "/api", token=gtok)[0] == 401, 10.0, "the token refused")
        # a secret-bound token dies with its secret
        self.admin("POST", "/api/v1/namespaces/default/secrets", {"apiVersion": "v1", "kind": "Secret",
                                                                  "metadata": {"name": "token-anchor"}})
        st, body = bound_request("Secret", "token-anchor")
        self.assertEqual(st, 201, body)
        stok = body["status"]["token"]
        harness.wait_until(lambda: works(stok), 10.0, "the secret-bound token accepted")
        self.assertEqual(self.api.req("DELETE", "/api/v1/namespaces/default/secrets/token-anchor")[0], 200)
        harness.wait_until(lambda: self.https("GET", "/api", token=stok)[0] == 401, 10.0, "the token refused")

    def test_token_and_subject_access_reviews(self):
        """TokenReview and (Local)SubjectAccessReview, for callers allowed to create them (system:auth-delegator)."""
        tr, sar = "/apis/authentication.k8s.io/v1/tokenreviews", "/apis/authorization.k8s.io/v1/subjectaccessreviews"
        lsar = "/apis/authorization.k8s.io/v1/namespaces/default/localsubjectaccessreviews"

        def token_review(token, caller="carol-token"):
            return self.https("POST", tr, {"apiVersion": "authentication.k8s.io/v1", "kind": "TokenReview",
                                           "spec": {"token": token}}, token=caller)[:2]

        def access_review(path, caller="carol-token", **spec):
            kind = "LocalSubjectAccessReview" if "local" in path else "SubjectAccessReview"
            return self.https("POST", path, {"apiVersion": "authorization.k8s.io/v1", "kind": kind, "spec": spec},
                              token=caller)[:2]
        pods_list = {"verb": "list", "resource": "pods", "namespace": "default"}
        # carol may not ask, until bound to system:auth-delegator
        st, body = token_review("view-token")
        self.assertEqual(st, 403, body)
        self.assertEqual(body["message"], 'tokenreviews.authentication.k8s.io is forbidden: User "carol" cannot create '
                                          'resource "tokenreviews" in API group "authentication.k8s.io" at the '
                                          'cluster scope')
        self.assertEqual(access_review(sar, user="bob", resourceAttributes=pods_list)[0], 403)
        self.admin("POST", "/apis/rbac.authorization.k8s.io/v1/clusterrolebindings", {
            "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding",
            "metadata": {"name": "carol-delegator"},
            "subjects": [{"kind": "User", "name": "carol", "apiGroup": "rbac.authorization.k8s.io"}],
            "roleRef": {"kind": "ClusterRole", "name": "system:auth-delegator", "apiGroup": "rbac.authorization.k8s.io"}})
        harness.wait_until(lambda: token_review("view-token")[0] == 201, 10.0, "carol's binding in effect")
        st, body = token_review("view-token")
        self.assertEqual((body["kind"], body["apiVersion"]), ("TokenReview", "authentication.k8s.io/v1"))
        self.assertTrue(body["status"]["authenticated"])
        self.assertEqual(body["status"]["user"], {"username": "bob", "uid": "u2", "groups": ["system:authenticated"]})
        st, body = token_review("no-such-token")
        self.assertEqual(st, 201, body)
        self.assertFalse(body["status"].get("authenticated", False))
        self.assertEqual(body["status"]["user"], {})
        st, body = token_review("")
        self.assertEqual((st, body["message"]), (400, "token is required for TokenReview in authentication"))
        # what bob may do, judged by RBAC as for bob's own requests
        st, body = access_review(sar, user="bob", resourceAttributes=pods_list)
        self.assertEqual((st, body["kind"], body["status"]["allowed"]), (201, "SubjectAccessReview", True), body)
        st, body = access_review(sar, user="bob", resourceAttributes=dict(pods_list, verb="create"))
        self.assertFalse(body["status"]["allowed"])
        st, body = access_review(sar, user="x", groups=["system:masters"], resourceAttributes=dict(pods_list, verb="delete"))
        self.assertTrue(body["status"]["allowed"])
        st, body = access_review(sar, user="x", groups=["system:authenticated"],
                                 nonResourceAttributes={"verb": "get", "path": "/healthz"})
        self.assertTrue(body["status"]["allowed"])
        st, body = access_review(sar, resourceAttributes=pods_list)
        self.assertEqual((st, body["reason"]), (422, "Invalid"), body)
        self.assertIn("at least one of user or group must be specified", body["message"])
        # the namespaced kind: for those allowed it in the namespace, attributes of that namespace only
        self.assertEqual(access_review(lsar, user="bob", resourceAttributes=pods_list)[0], 403)
        st, body = access_review(lsar, caller="admin-token", user="bob", resourceAttributes=pods_list)
        self.assertEqual((st, body["kind"], body["status"]["allowed"]), (201, "LocalSubjectAccessReview", True), body)
        st, body = access_review(lsar, caller="admin-token", user="bob",
                                 resourceAttributes=dict(pods_list, namespace="kube-system"))
        self.assertEqual((st, body["message"]), (400, "spec.resourceAttributes.namespace must match namespace: default"))

    def test_token_review_audiences(self):
        """spec.audiences as Kubernetes honours it: status.audiences the match, unauthenticated when none matches."""
        api = "https://kubernetes.default.svc.cluster.local"
        harness.wait_until(lambda: self.api.req("GET", "/api/v1/namespaces/default/serviceaccounts/default")[0] == 200,
                           10.0, "serviceaccount default/default")
        sa = self.sa_token("default", "default")

        def review(token, audiences=None):
            spec = {"token": token}
            if audiences is not None:
                spec["audiences"] = audiences
            st, body, _ = self.https("POST", "/apis/authentication.k8s.io/v1/tokenreviews", {
                "apiVersion": "authentication.k8s.io/v1", "kind": "TokenReview", "spec": spec}, token="admin-token")
            self.assertEqual(st, 201, body)
            self.assertEqual(body["spec"], spec)
            return body["status"]

        for tok in (sa, "view-token"):
            for auds in (None, [], [api], ["other", api]):
                status = review(tok, auds)
                self.assertTrue(status.get("authenticated"), (tok, auds, status))
                self.assertEqual(status["audiences"], [api])
        # none of the token's audiences asked: not authenticated; a ServiceAccount token says why
        status = review(sa, ["vault", "other"])
        self.assertEqual(status, {"user": {}, "error": '[invalid bearer token, token audiences ["%s"] is invalid for '
                                                       'the target audiences ["vault" "other"]]' % api})
        self.assertEqual(review("view-token", ["vault"]), {"user": {}})

    def test_view_token_reads_but_cannot_create(self):
        st, body, _ = self.https("GET", "/api/v1/namespaces/default/pods/on-n1", token="view-token")
        self.assertEqual(st, 200)
        self.assertEqual(body["metadata"]["name"], "on-n1")
        st, body, _ = self.https("POST", "/api/v1/namespaces/default/pods", {
            "apiVersion": "v1", "kind": "Pod", "metadata": {"name": "bobs"},
            "spec": {"containers": [{"name": "c", "image": "busybox"}]}}, token="view-token")
        self.assertEqual(st, 403)
        self.assertEqual(body["reason"], "Forbidden")
        self.assertEqual(body["message"], 'pods is forbidden: User "bob" cannot create resource "pods" in API group "" '
                                          'in the namespace "default"')
        # view does not include secrets
        st, body, _ = self.https("GET", "/api/v1/namespaces/default/secrets", token="view-token")
        self.assertEqual(st, 403)
        self.assertEqual(body["message"], 'secrets is forbidden: User "bob" cannot list resource "secrets" in API '
                                          'group "" in the namespace "default"')

    def test_masters_token_writes(self):
        st, body, _ = self.https("POST", "/api/v1/namespaces/default/configmaps", {
            "apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "alice-cm"}}, token="admin-token")
        self.assertEqual(st, 201, body)

    def test_self_subject_access_review(self):
        def can(token, verb, res):
            st, body, _ = self.https("POST", "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews", {
                "apiVersion": "authorization.k8s.io/v1", "kind": "SelfSubjectAccessReview",
                "spec": {"resourceAttributes": {"namespace": "default", "verb": verb, "resource": res}}}, token=token)
            self.assertEqual(st, 201, body)
            return body["status"]["allowed"]
        self.assertTrue(can("view-token", "list", "pods"))
        self.assertFalse(can("view-token", "create", "pods"))
        self.assertTrue(can("admin-token", "create", "pods"))

    def node_writes(self, **cred):
        """(status of patching n1, n2, pod on-n1's status, on-n2's status, on-n1's spec) as that node."""
        mp = "application/merge-patch+json"
        out = []
        for n in ("n1", "n2"):
            out.append(self.https("PATCH", "/api/v1/nodes/%s/status" % n,
                                  {"status": {"conditions": [{"type": "Ready", "status": "True"}]}}, ctype=mp, **cred)[0])
        for n in ("n1", "n2"):
            out.append(self.https("PATCH", "/api/v1/namespaces/default/pods/on-%s/status" % n,
                                  {"status": {"phase": "Running"}}, ctype=mp, **cred)[0])
        out.append(self.https("PATCH", "/api/v1/namespaces/default/pods/on-n1",
                              {"metadata": {"labels": {"x": "y"}}}, ctype=mp, **cred)[0])
        return out

    def test_node_token_limited_to_its_objects(self):
        self.assertEqual(self.node_writes(token="n1-token"), [200, 403, 200, 403, 403])
        st, body, _ = self.https("PATCH", "/api/v1/nodes/n2", {"metadata": {"labels": {"a": "b"}}}, token="n1-token",
                                 ctype="application/merge-patch+json")
        self.assertEqual(st, 403)
        self.assertIn('User "system:node:n1" cannot patch resource "nodes" in API group "" at the cluster scope',
                      body["message"])
        self.assertEqual(self.https("GET", "/api/v1/pods", token="n1-token")[0], 200)

    def test_node_lists_and_watches_secrets_one_name_at_a_time(self):
        # as kube-apiserver: fieldSelector metadata.name=X makes the list or watch a request for X, which the
        # Node authorizer allows when a pod on the node names X (the kubelet watches what its pods mount so)
        self.admin("POST", "/api/v1/namespaces/default/pods", {
            "apiVersion": "v1", "kind": "Pod", "metadata": {"name": "watcher-on-n1"},
            "spec": {"nodeName": "n1", "containers": [{"name": "c", "image": "busybox", "envFrom": [
                {"secretRef": {"name": "some-secret"}}, {"configMapRef": {"name": "some-secret"}}]}]}})
        one = "?fieldSelector=metadata.name%3Dsome-secret"
        for res in ("secrets", "configmaps"):
            path = "/api/v1/namespaces/default/" + res
            harness.wait_until(lambda: self.https("GET", path + one, token="n1-token")[0] == 200, 10.0,
                               "the pod's reference to %s/some-secret seen" % res)
            self.assertEqual(self.https("GET", path + one + "&watch=1&timeoutSeconds=1", token="n1-token")[0], 200, res)
            # the same name, asked by a node none of whose pods names it
            self.assertEqual(self.https("GET", path + one, token="n2-token")[0], 403, res)
            self.assertEqual(self.https("GET", path + "?fieldSelector=metadata.name%3Dother&watch=1&timeoutSeconds=1",
                                        token="n1-token")[0], 403, res)
            st, body, _ = self.https("GET", path, token="n1-token")
            self.assertEqual(st, 403, res)
            self.assertEqual(self.https("GET", path + "?fieldSelector=metadata.namespace%3Ddefault",
                                        token="n1-token")[0], 403, res)

    def test_node_reads_only_what_its_pods_name(self):
        """Kubernetes' node graph: a kubelet reads a Secret, ConfigMap or claim only while a pod bound to it names it."""
        sec = "/api/v1/namespaces/default/secrets/"
        for name in ("graph-mounted", "graph-unnamed", "graph-elsewhere"):
            self.admin("POST", "/api/v1/namespaces/default/secrets", {
                "apiVersion": "v1", "kind": "Secret", "metadata": {"name": name}, "data": {"k": "dg=="}})

        def pod(name, node, secret):
            self.admin("POST", "/api/v1/namespaces/default/pods", {
                "apiVersion": "v1", "kind": "Pod", "metadata": {"name": name},
                "spec": {"nodeName": node, "containers": [{"name": "c", "image": "busybox", "env": [
                    {"name": "C", "valueFrom": {"configMapKeyRef": {"name": "graph-cm", "key": "k"}}}]}],
                    "volumes": [{"name": "s", "secret": {"secretName": secret}},
                                {"name": "d", "persistentVolumeClaim": {"claimName": "graph-claim"}}]}})

        pod("graph-reader", "n1", "graph-mounted")
        pod("graph-far", "n2", "graph-elsewhere")
        harness.wait_until(lambda: self.https("GET", sec + "graph-mounted", token="n1-token")[0] == 200, 10.0,
                           "the mounted secret readable by n1")
        self.assertEqual(self.https("GET", sec + "graph-mounted", token="n1-token")[1]["data"], {"k": "dg=="})
        # another secret of the same namespace, and one a pod on another node mounts
        for name in ("graph-unnamed", "graph-elsewhere"):
            st, body, _ = self.https("GET", sec + name, token="n1-token")
            self.assertEqual(st, 403, name)
            self.assertEqual(body["message"], 'secrets "%s" is forbidden: User "system:node:n1" cannot get resource '
                             '"secrets" in API group "" in the namespace "default": no relationship found between '
                             "node 'n1' and this object" % name)
        self.assertEqual(self.https("GET", sec + "graph-elsewhere", token="n2-token")[0], 200)
        # named but absent: the kubelet learns it is missing, as from Kubernetes
        self.assertEqual(self.https("GET", "/api/v1/namespaces/default/configmaps/graph-cm", token="n1-token")[0], 404)
        self.assertEqual(self.https("GET", "/api/v1/namespaces/default/persistentvolumeclaims/graph-claim",
                                    token="n1-token")[0], 404)
        self.assertEqual(self.https("GET", "/api/v1/namespaces/default/persistentvolumeclaims?fieldSelector="
                                    "metadata.name%3Dgraph-claim", token="n1-token")[0], 403)
        # the pod goes: so does the access it gave
        self.assertEqual(self.api.req("DELETE", "/api/v1/namespaces/default/pods/graph-reader",
                                      {"gracePeriodSeconds": 0})[0], 200)
        harness.wait_until(lambda: self.https("GET", sec + "graph-mounted", token="n1-token")[0] == 403, 10.0,
                           "the secret refused once its pod is gone")
        self.assertEqual(self.https("GET", "/api/v1/namespaces/default/configmaps/graph-cm", token="n1-token")[0], 403)
        self.assertEqual(self.https("GET", sec + "graph-elsewhere", token="n2-token")[0], 200)

    def test_node_certificate_limited_to_its_objects(self):
        self.assertEqual(self.node_writes(cert="kubelet-n1"), [200, 403, 200, 403, 403])

    def test_admin_certificate(self):
        st, body, _ = self.https("GET", "/api/v1/namespaces", cert="admin")
        self.assertEqual(st, 200)

    def refused(self, cert, pki=None):
        try:
            st = self.https("GET", "/api/v1/namespaces", cert=cert, pki=pki)[0]
        except (OSError, ssl.SSLError):
            return True
        return st == 401

    def test_expired_or_foreign_certificate_refused(self):
        self.assertTrue(self.refused("admin-expired"))
        self.assertTrue(self.refused("admin", pki=self.foreign))

    def kubeconfig(self, user):
        path = os.path.join(self.dir, "kc-%d" % len(os.listdir(self.dir)))
        with open(path, "w") as f:
            f.write("""apiVersion: v1
kind: Config
clusters:
- name: mini
  cluster: {server: "https://127.0.0.1:%d", certificate-authority: "%s"}
users:
- name: u
  user: %s
contexts:
- name: c
  context: {cluster: mini, user: u, namespace: default}
current-context: c
""" % (self.sport, os.path.join(self.pki, "ca.crt"), user))
        return path

    def cert_kubeconfig(self, cert):
        return self.kubeconfig('{client-certificate: "%s", client-key: "%s"}' % (
            os.path.join(self.pki, cert + ".crt"), os.path.join(self.pki, cert + ".key")))

    def cm_file(self, name):
        path = os.path.join(self.dir, name + ".yaml")
        with open(path, "w") as f:
            f.write("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: %s}\ndata: {a: b}\n" % name)
        return path

    def kubectl(self, cfg, *args):
        cache = tempfile.mkdtemp(dir=self.dir)
        return subprocess.run([KUBECTL, "--kubeconfig", cfg, "--cache-dir", cache] + list(args),
                              capture_output=True, text=True, timeout=60)

    @unittest.skipUnless(KUBECTL, "kubectl not installed")
    def test_kubectl_token_over_https(self):
        cfg = self.kubeconfig("{token: view-token}")
        p = self.kubectl(cfg, "get", "pods", "-o", "name")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("pod/on-n1", p.stdout.split())
        p = self.kubectl(cfg, "create", "-f", self.cm_file("bobs"))
        self.assertNotEqual(p.returncode, 0)
        self.assertIn('configmaps is forbidden: User "bob" cannot create resource "configmaps"', p.stderr)
        p = self.kubectl(cfg, "auth", "can-i", "create", "pods")
        self.assertEqual((p.returncode, p.stdout.strip()), (1, "no"), p.stderr)
        p = self.kubectl(cfg, "auth", "can-i", "list", "pods")
        self.assertEqual((p.returncode, p.stdout.strip()), (0, "yes"), p.stderr)

    @unittest.skipUnless(KUBECTL, "kubectl not installed")
    def test_kubectl_can_i_list_rules_review(self):
        """kubectl auth can-i --list: SelfSubjectRulesReview (sent as protobuf) lists the caller's RBAC rules."""
        self.admin("POST", "/apis/rbac.authorization.k8s.io/v1/namespaces/default/roles", {
            "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role", "metadata": {"name": "bob-cm"},
            "rules": [{"apiGroups": [""], "resources": ["configmaps"], "resourceNames": ["mine"],
                       "verbs": ["update"]}]})
        self.admin("POST", "/apis/rbac.authorization.k8s.io/v1/namespaces/default/rolebindings", {
            "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding", "metadata": {"name": "bob-cm"},
            "subjects": [{"kind": "User", "name": "bob", "apiGroup": "rbac.authorization.k8s.io"}],
            "roleRef": {"kind": "Role", "name": "bob-cm", "apiGroup": "rbac.authorization.k8s.io"}})
        cfg = self.kubeconfig("{token: view-token}")

        def rows(*args):
            p = self.kubectl(cfg, "auth", "can-i", "--list", *args)
            self.assertEqual(p.returncode, 0, p.stderr)
            return [line.split() for line in p.stdout.splitlines()]
        harness.wait_until(lambda: ["configmaps", "[]", "[mine]", "[update]"] in rows("-n", "default"), 10.0,
                           "bob's RoleBinding listed")
        got = rows("-n", "default")
        self.assertEqual(got[0], ["Resources", "Non-Resource", "URLs", "Resource", "Names", "Verbs"])
        self.assertIn(["pods", "[]", "[]", "[get", "list", "watch]"], got)
        self.assertIn(["selfsubjectrulesreviews.authorization.k8s.io", "[]", "[]", "[create]"], got)
        self.assertIn(["selfsubjectreviews.authentication.k8s.io", "[]", "[]", "[create]"], got)
        self.assertIn(["[/healthz]", "[]", "[get]"], got)
        self.assertNotIn(["*.*", "[]", "[]", "[*]"], got)
        # the RoleBinding grants in its namespace only
        self.assertNotIn(["configmaps", "[]", "[mine]", "[update]"], rows("-n", "kube-system"))
        admin = self.cert_kubeconfig("admin")
        p = self.kubectl(admin, "auth", "can-i", "--list")
        self.assertEqual([line.split() for line in p.stdout.splitlines()[1:]],
                         [["*.*", "[]", "[]", "[*]"], ["[*]", "[]", "[*]"]], p.stderr)

    @unittest.skipUnless(KUBECTL, "kubectl not installed")
    def test_kubectl_client_certificate(self):
        cfg = self.cert_kubeconfig("admin")
        p = self.kubectl(cfg, "create", "-f", self.cm_file("from-cert"))
        self.assertEqual(p.returncode, 0, p.stderr)
        p = self.kubectl(cfg, "auth", "can-i", "delete", "nodes")
        self.assertEqual(p.stdout.strip(), "yes", p.stderr)

    @unittest.skipUnless(KUBECTL, "kubectl not installed")
    def test_kubectl_auth_whoami(self):
        p = self.kubectl(self.kubeconfig("{token: view-token}"), "auth", "whoami", "-o", "json")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(json.loads(p.stdout)["status"]["userInfo"],
                         {"username": "bob", "uid": "u2", "groups": ["system:authenticated"]})
        p = self.kubectl(self.cert_kubeconfig("admin"), "auth", "whoami")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("Username    admin", p.stdout)
        self.assertIn("system:masters", p.stdout)
        p = self.kubectl(self.kubeconfig("{token: no-such-token}"), "auth", "whoami")
        self.assertNotEqual(p.returncode, 0)
        self.assertIn("Unauthorized", p.stderr)

    @unittest.skipUnless(KUBECTL, "kubectl not installed")
    def test_kubectl_create_token_bound_to_pod(self):
        """kubectl create token --bound-object-kind=Pod (a protobuf TokenRequest): the token dies with its pod."""
        admin = self.cert_kubeconfig("admin")
        pod = self.admin("POST", "/api/v1/namespaces/default/pods", {
            "apiVersion": "v1", "kind": "Pod", "metadata": {"name": "kc-holder"},
            "spec": {"containers": [{"name": "c", "image": "busybox"}]}})
        harness.wait_until(lambda: self.api.req("GET", "/api/v1/namespaces/default/serviceaccounts/default")[0] == 200,
                           10.0, "serviceaccount default/default")
        p = self.kubectl(admin, "create", "token", "default", "--duration=20m", "--bound-object-kind=Pod",
                         "--bound-object-name=kc-holder")
        self.assertEqual(p.returncode, 0, p.stderr)
        holder = self.kubeconfig("{token: %s}" % p.stdout.strip())

        def whoami():
            return self.kubectl(holder, "auth", "whoami", "-o", "json")
        harness.wait_until(lambda: whoami().returncode == 0, 10.0, "the bound token accepted")
        self.assertEqual(json.loads(whoami().stdout)["status"]["userInfo"]["extra"], {
            "authentication.kubernetes.io/pod-name": ["kc-holder"],
            "authentication.kubernetes.io/pod-uid": [pod["metadata"]["uid"]]})
        p = self.kubectl(admin, "create", "token", "default", "--bound-object-kind=Pod", "--bound-object-name=absent")
        self.assertEqual(p.stderr.strip(), 'error: failed to create token: pods "absent" not found')
        self.assertEqual(self.kubectl(admin, "delete", "pod", "kc-holder").returncode, 0)
        harness.wait_until(lambda: "Unauthorized" in whoami().stderr, 10.0, "the token refused")

    WHOAMI = "/apis/authentication.k8s.io/v1/selfsubjectreviews"
    SSR = {"apiVersion": "authentication.k8s.io/v1", "kind": "SelfSubjectReview"}

    def test_impersonation_headers(self):
        """Impersonate-*: each part authorized for the caller, then the request runs as the user acted as."""
        pods = "/api/v1/namespaces/default/pods"
        # a master may act as carol, who has no bindings: the request is judged as carol's
        st, body, _ = self.https("GET", pods, token="admin-token", headers=[("Impersonate-User", "carol")])
        self.assertEqual(st, 403)
        self.assertEqual(body["message"], 'pods is forbidden: User "carol" cannot list resource "pods" in API group '
                                          '"" in the namespace "default"')
        st, body, _ = self.https("POST", self.WHOAMI, self.SSR, token="admin-token", headers=[
            ("Impersonate-User", "carol"), ("Impersonate-Group", "g1"), ("Impersonate-Group", "g2"),
            ("Impersonate-Uid", "c-1"), ("Impersonate-Extra-Scopes", "view"), ("Impersonate-Extra-scopes", "edit")])
        self.assertEqual(st, 201, body)
        self.assertEqual(body["status"]["userInfo"], {"username": "carol", "uid": "c-1",
                                                      "groups": ["g1", "g2", "system:authenticated"],
                                                      "extra": {"scopes": ["view", "edit"]}})
        st, body, _ = self.https("POST", self.WHOAMI, self.SSR, cert="admin",
                                 headers=[("Impersonate-User", "system:serviceaccount:kube-system:robot")])
        self.assertEqual(body["status"]["userInfo"]["groups"],
                         ["system:serviceaccounts", "system:serviceaccounts:kube-system", "system:authenticated"])
        # bob may view but not impersonate
        st, body, _ = self.https("GET", pods, token="view-token", headers=[("Impersonate-User", "carol")])
        self.assertEqual(st, 403)
        self.assertEqual(body["message"], 'users "carol" is forbidden: User "bob" cannot impersonate resource "users" '
                                          'in API group "" at the cluster scope')
        self.assertEqual(body["details"], {"name": "carol", "kind": "users"})
        st, body, _ = self.https("GET", pods, token="view-token",
                                 headers=[("Impersonate-User", "system:serviceaccount:default:robot")])
        self.assertEqual(body["message"], 'serviceaccounts "robot" is forbidden: User "bob" cannot impersonate '
                                          'resource "serviceaccounts" in API group "" in the namespace "default"')
        # groups without a user: Kubernetes' filter answers an internal error
        st, body, _ = self.https("GET", pods, token="admin-token", headers=[("Impersonate-Group", "system:masters")])
        self.assertEqual(st, 500)
        self.assertIn("without impersonating a user", body["message"])
        # non-resource paths are judged as the impersonated user too
        st, body, _ = self.https("GET", "/metrics", token="admin-token", headers=[("Impersonate-User", "carol")])
        self.assertEqual(st, 403)
        self.assertIn('User "carol" cannot get path "/metrics"', body["message"])
        # the trusted plain port is system:masters: it may impersonate, and then is judged as the user
        st, body = self.api.req("GET", pods, headers={"Impersonate-User": "carol"})
        self.assertEqual(st, 403, body)
        st, body = self.api.req("GET", pods, headers={"Impersonate-User": "bob"})
        self.assertEqual(st, 200, body)

    @unittest.skipUnless(KUBECTL, "kubectl not installed")
    def test_kubectl_as(self):
        """kubectl --as: refused without the impersonate verb; with it, the identity and RBAC are bob's."""
        self.admin("POST", "/apis/rbac.authorization.k8s.io/v1/clusterroles", {
            "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole", "metadata": {"name": "as-bob"},
            "rules": [{"apiGroups": [""], "resources": ["users"], "resourceNames": ["bob"],
                       "verbs": ["impersonate"]}]})
        admin = self.cert_kubeconfig("admin")
        dave = self.kubeconfig("{token: dave-token}")
        # an admin acting as carol (no bindings) is refused what carol is refused
        p = self.kubectl(admin, "--as=carol", "get", "pods")
        self.assertNotEqual(p.returncode, 0)
        self.assertIn('User "carol" cannot list resource "pods"', p.stderr)
        # bob views, but may not impersonate. With a cold discovery cache kubectl 1.32 fails at discovery: its
        # discovery client reads /api raw and makes any error body that is not text/* "unknown", so it prints
        # "Error from server (Forbidden): unknown" against kube-apiserver 1.32 too, which answers the same Status.
        bob = self.kubeconfig("{token: view-token}")
        p = self.kubectl(bob, "--as=carol", "get", "pods")
        self.assertNotEqual(p.returncode, 0)
        self.assertIn("Error from server (Forbidden)", p.stderr)
        # with discovery cached (bob has used kubectl before) the refused request's Status reaches the user
        cache = tempfile.mkdtemp(dir=self.dir)
        run = [KUBECTL, "--kubeconfig", bob, "--cache-dir", cache]
        p = subprocess.run(run + ["get", "pods", "-o", "name"], capture_output=True, text=True, timeout=60)
        self.assertEqual(p.returncode, 0, p.stderr)
        p = subprocess.run(run + ["--as=carol", "get", "pods"], capture_output=True, text=True, timeout=60)
        self.assertNotEqual(p.returncode, 0)
        self.assertEqual(p.stderr.strip(), 'Error from server (Forbidden): users "carol" is forbidden: User "bob" '
                                           'cannot impersonate resource "users" in API group "" at the cluster scope')
        p = self.kubectl(dave, "--as=bob", "get", "pods")
        self.assertIn("Error from server (Forbidden)", p.stderr)
        p = self.kubectl(dave, "--as=bob", "auth", "can-i", "list", "pods")
        self.assertNotEqual(p.returncode, 0)
        self.admin("POST", "/apis/rbac.authorization.k8s.io/v1/clusterrolebindings", {
            "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding",
            "metadata": {"name": "dave-as-bob"},
            "subjects": [{"kind": "User", "name": "dave", "apiGroup": "rbac.authorization.k8s.io"}],
            "roleRef": {"kind": "ClusterRole", "name": "as-bob", "apiGroup": "rbac.authorization.k8s.io"}})
        harness.wait_until(lambda: self.kubectl(dave, "--as=bob", "get", "pods").returncode == 0, 10.0,
                           "dave's impersonate binding in effect")
        p = self.kubectl(dave, "--as=bob", "auth", "whoami", "-o", "json")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(json.loads(p.stdout)["status"]["userInfo"],
                         {"username": "bob", "groups": ["system:authenticated"]})
        p = self.kubectl(dave, "--as=bob", "auth", "can-i", "create", "pods")
        self.assertEqual((p.returncode, p.stdout.strip()), (1, "no"), p.stderr)
        p = self.kubectl(dave, "--as=bob", "auth", "can-i", "list", "pods")
        self.assertEqual((p.returncode, p.stdout.strip()), (0, "yes"), p.stderr)
        # the binding names bob only, and no groups
        p = self.kubectl(dave, "--as=carol", "get", "pods")
        self.assertIn("Error from server (Forbidden)", p.stderr)
        p = self.kubectl(dave, "--as=bob", "--as-group=system:masters", "auth", "can-i", "create", "pods")
        self.assertNotEqual(p.returncode, 0)
        self.assertNotEqual(p.stdout.strip(), "yes")
        st, body, _ = self.https("POST", self.WHOAMI, self.SSR, token="dave-token", headers=[
            ("Impersonate-User", "bob"), ("Impersonate-Group", "system:masters")])
        self.assertEqual(body["message"], 'groups "system:masters" is forbidden: User "dave" cannot impersonate '
                                          'resource "groups" in API group "" at the cluster scope')

    def test_minictl_can_i(self):
        minictl = os.path.join(harness.BIN, "minictl")

        def can(cfg, *args):
            p = subprocess.run([minictl, "--kubeconfig", cfg, "auth", "can-i"] + list(args), capture_output=True,
                               text=True, timeout=30)
            return p.returncode, p.stdout.strip(), p.stderr
        bob = self.kubeconfig("{token: view-token}")
        self.assertEqual(can(bob, "list", "pods")[:2], (0, "yes"))
        self.assertEqual(can(bob, "create", "pods")[:2], (1, "no"))
        self.assertEqual(can(bob, "get", "secrets")[:2], (1, "no"))
        self.assertEqual(can(bob, "get", "deployments.apps", "-A")[:2], (0, "yes"))
        n1 = self.cert_kubeconfig("kubelet-n1")
        self.assertEqual(can(n1, "update", "nodes/n1", "--subresource=status")[:2], (0, "yes"))
        self.assertEqual(can(n1, "update", "nodes/n2", "--subresource=status")[:2], (1, "no"))
        self.assertEqual(can(n1, "patch", "pods", "on-n1", "--subresource=status")[:2], (0, "yes"))
        self.assertEqual(can(n1, "patch", "pods", "on-n2", "--subresource=status")[:2], (1, "no"))

    def test_secret_values_not_logged(self):
        secret = "c3VwZXItc2VjcmV0LXZhbHVl"  # base64 of a value that must not reach the log
        st, _, _ = self.https("POST", "/api/v1/namespaces/default/secrets", {
            "apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s1"}, "data": {"k": secret},
            "stringData": {"other": "plain-secret-text"}}, token="admin-token")
        self.assertEqual(st, 201)
        st, _, _ = self.https("POST", "/api/v1/namespaces/default/secrets", {
            "apiVersion": "v1", "kind": "Secret", "metadata": {"name": "BAD_NAME"}, "data": {"k": secret}},
            token="admin-token")
        self.assertEqual(st, 422)
        with open(os.path.join(self.api.dir, "apiserver.log")) as f:
            log = f.read()
        for s in (secret, "super-secret-value", "plain-secret-text", "view-token", "admin-token"):
            self.assertNotIn(s, log)
        # minictl shows the data only when asked for the object
        minictl = os.path.join(harness.BIN, "minictl")
        cfg = self.kubeconfig("{token: admin-token}")
        p = subprocess.run([minictl, "--kubeconfig", cfg, "get", "secrets"], capture_output=True, text=True, timeout=30)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("s1", p.stdout)
        self.assertNotIn(secret, p.stdout)
        p = subprocess.run([minictl, "--kubeconfig", cfg, "get", "secret", "s1", "-o", "json"], capture_output=True,
                           text=True, timeout=30)
        self.assertEqual(json.loads(p.stdout)["data"]["k"], secret)


class InsecurePortTest(unittest.TestCase):
    """--insecure-port=0 turns the trusted plain port off; it never listens beyond loopback."""

    @classmethod
    def setUpClass(cls):
        cls.dir = harness.tempdir("apiinsecure-")
        cls.pki, _ = make_pki(cls.dir)
        cls.etcd = Cluster(size=1).start_all()

    @classmethod
    def tearDownClass(cls):
        cls.etcd.stop()

    def apiserver(self, *flags):
        return subprocess.run([os.path.join(harness.BIN, "apiserver"), "--etcd-servers", self.etcd.client[0]] +
                              list(flags), capture_output=True, text=True, timeout=10)

    def test_port_zero_is_off(self):
        sport = harness.free_ports(1)[0]
        p = harness.start([os.path.join(harness.BIN, "apiserver"), "--etcd-servers", self.etcd.client[0],
                           "--insecure-port", "0"] + tls_args(self.pki, sport) + ["--authorization-mode=Node,RBAC"],
                          os.path.join(self.dir, "apiserver.log"))
        ctx = ssl.create_default_context(cafile=os.path.join(self.pki, "ca.crt"))
        ctx.load_cert_chain(os.path.join(self.pki, "admin.crt"), os.path.join(self.pki, "admin.key"))

        def ready():
            conn = http.client.HTTPSConnection("127.0.0.1", sport, timeout=2, context=ctx)
            try:
                conn.request("GET", "/readyz")
                return conn.getresponse().status == 200
            finally:
                conn.close()
        try:
            harness.wait_until(ready, 15.0, "apiserver ready over HTTPS")
            self.assertEqual(harness.listening_ports(p.pid), {sport})
            # ready means RBAC's bootstrap roles are written, as Kubernetes' readyz check says
            conn = http.client.HTTPSConnection("127.0.0.1", sport, timeout=2, context=ctx)
            try:
                conn.request("GET", "/readyz?verbose")
                r = conn.getresponse()
                body = r.read().decode()
            finally:
                conn.close()
            self.assertEqual(r.status, 200, body)
            self.assertIn("[+]poststarthook/rbac/bootstrap-roles ok\n", body)
            self.assertTrue(body.endswith("readyz check passed\n"), body)
        finally:
            self.assertEqual(harness.stop(p), 0)

    def test_plain_port_only_on_loopback(self):
        # --bind-address is the secure port's: the trusted plain port stays on loopback
        port, sport = harness.free_ports(2)
        p = harness.start([os.path.join(harness.BIN, "apiserver"), "--etcd-servers", self.etcd.client[0],
                           "--insecure-port", str(port), "--bind-address", "0.0.0.0", "--secure-port", str(sport),
                           "--tls-cert-file", os.path.join(self.pki, "apiserver.crt"),
                           "--tls-private-key-file", os.path.join(self.pki, "apiserver.key")],
                          os.path.join(self.dir, "apiserver-bind.log"))
        try:
            harness.wait_until(lambda: harness.http("GET", "http://127.0.0.1:%d/healthz" % port,
                                                    timeout=1.0)[0] == 200, 15.0, "plain port up")
            with open("/proc/net/tcp") as f:
                rows = [l.split() for l in f.readlines()[1:]]
            plain = [r[1] for r in rows if r[3] == "0A" and int(r[1].split(":")[1], 16) == port]
            self.assertEqual(plain, ["0100007F:%04X" % port], "plain port listens on 127.0.0.1 only")
        finally:
            harness.stop(p)
        # neither port: nothing to serve
        p = self.apiserver("--insecure-port", "0")
        self.assertEqual(p.returncode, 2, p.stderr)


class SourceAndLimitTest(unittest.TestCase):
    """--allowed-client-cidrs and --max-mutating-requests-inflight on the trusted plain port."""

    @classmethod
    def setUpClass(cls):
        cls.etcd = Cluster(size=1).start_all()

    @classmethod
    def tearDownClass(cls):
        cls.etcd.stop()

    def test_other_sources_refused(self):
        api = Apiserver(self.etcd.client, ["--allowed-client-cidrs", "10.0.0.0/8,192.168.0.0/16"], ready_status=403)
        try:
            # before any other work: discovery and health too
            self.assertEqual(api.req("GET", "/version")[0], 403)
            st, body = api.req("GET", "/api/v1/namespaces")
            self.assertEqual(st, 403)
            self.assertEqual(body["reason"], "Forbidden")
        finally:
            api.stop()
        api = Apiserver(self.etcd.client, ["--allowed-client-cidrs", "10.0.0.0/8,127.0.0.0/8"])
        try:
            self.assertEqual(api.req("GET", "/api/v1/namespaces")[0], 200)
        finally:
            api.stop()

    def test_mutating_limit_429(self):
        api = Apiserver(self.etcd.client, ["--max-mutating-requests-inflight", "1", "--etcd-timeout", "5s"])
        cm = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "held"}}
        out = {}
        try:
            self.etcd.kill(0, signal.SIGSTOP)  # the first write waits on storage, holding the one slot
            t = threading.Thread(target=lambda: out.update(first=api.req("POST", "/api/v1/namespaces/default/configmaps", cm)))
            t.start()
            def second():
                # if this one got in before the first, it holds the slot itself: give up on it and ask again
                conn = http.client.HTTPConnection("127.0.0.1", api.port, timeout=1)
                try:
                    conn.request("POST", "/api/v1/namespaces/default/configmaps",
                                 body=json.dumps(dict(cm, metadata={"name": "other"})),
                                 headers={"Content-Type": "application/json"})
                    r = conn.getresponse()
                    out["second"] = (r.status, r.getheader("Retry-After"), json.loads(r.read()))
                except OSError:
                    return False
                finally:
                    conn.close()
                return r.status == 429
            harness.wait_until(second, 5.0, "a second write refused while the first is in flight")
            self.assertEqual(out["second"][1], "1")
            self.assertEqual(out["second"][2]["reason"], "TooManyRequests")
            self.assertEqual(api.req("GET", "/api/v1/namespaces/default/configmaps")[0] in (200, 504, 500), True)
        finally:
            self.etcd.kill(0, signal.SIGCONT)
            t.join(15)
            api.stop()
        # whichever write held the slot was answered once storage came back (or timed out)
        self.assertIn("first", out)

    def test_bad_flags_refused_at_start(self):
        for flag in (["--allowed-client-cidrs", "10.0.0.0/33"], ["--authorization-mode", "ABAC"],
                     ["--token-auth-file", "/nonexistent.csv"]):
            p = subprocess.run([os.path.join(harness.BIN, "apiserver"), "--etcd-servers", self.etcd.client[0],
                                "--insecure-port", "0"] + flag, capture_output=True, text=True, timeout=10)
            self.assertNotEqual(p.returncode, 0, flag)


if __name__ == "__main__":
    unittest.main(verbosity=2)
