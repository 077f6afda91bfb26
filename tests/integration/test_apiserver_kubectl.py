"""Real kubectl (v1.32, as installed) against the apiserver over etcdlite: outputs checked, not just exit codes;
explain reads /openapi/v3; server-side apply's managedFields, conflicts, --force-conflicts and pruning (test_ssa_*)."""
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import harness  # noqa: E402
from apiserver_proc import Apiserver, q, read_events  # noqa: E402
from etcd_cluster import Cluster  # noqa: E402
from fake_kubelet import FakeKubelet  # noqa: E402

KUBECTL = shutil.which("kubectl")
MINICTL = os.path.join(harness.BIN, "minictl")
TABLE = "application/json;as=Table;v=v1;g=meta.k8s.io,application/json"

POD = """apiVersion: v1
kind: Pod
metadata:
  name: web
  labels: {app: web}
spec:
  containers:
  - name: web
    image: nginx:1
    ports:
    - containerPort: 80
"""

DEPLOY = """apiVersion: apps/v1
kind: Deployment
metadata:
  name: front
spec:
  replicas: %(replicas)d
  selector:
    matchLabels: {app: front}
  template:
    metadata:
      labels: {app: front}
    spec:
      containers:
      - name: web
        image: %(image)s
        ports:
        - containerPort: 80
          name: http
"""

NODE = """apiVersion: v1
kind: Node
metadata:
  name: n1
status:
  conditions:
  - type: Ready
    status: "True"
"""

CONFIGMAP = """apiVersion: v1
kind: ConfigMap
metadata:
  name: %(name)s
data:
  color: blue
%(extra)s"""

# Fields from every corner of a pod template, as real manifests use them: all must pass fieldValidation=Strict.
RICH_DEPLOY = """apiVersion: apps/v1
kind: Deployment
metadata:
  name: rich
  namespace: default
  labels: {app: rich, tier: web}
  annotations: {note: "fields from real manifests"}
spec:
  replicas: 1
  revisionHistoryLimit: 3
  minReadySeconds: 1
  progressDeadlineSeconds: 60
  strategy: {type: RollingUpdate, rollingUpdate: {maxSurge: 25%, maxUnavailable: 0}}
  selector:
    matchLabels: {app: rich}
    matchExpressions: [{key: tier, operator: In, values: [web]}]
  template:
    metadata:
      labels: {app: rich, tier: web}
      annotations: {prometheus.io/scrape: "true"}
    spec:
      serviceAccountName: default
      automountServiceAccountToken: false
      terminationGracePeriodSeconds: 5
      dnsPolicy: ClusterFirst
      dnsConfig: {options: [{name: ndots, value: "2"}]}
      enableServiceLinks: false
      priorityClassName: ""
      preemptionPolicy: PreemptLowerPriority
      nodeSelector: {kubernetes.io/os: linux}
      hostAliases: [{ip: 127.0.0.1, hostnames: [local.test]}]
      securityContext: {runAsNonRoot: true, runAsUser: 1000, fsGroup: 2000, fsGroupChangePolicy: OnRootMismatch,
                        seccompProfile: {type: RuntimeDefault}, sysctls: [{name: net.ipv4.ping_group_range, value: "0 1"}]}
      affinity:
        podAntiAffinity:
          preferredDuringSchedulingIgnoredDuringExecution:
          - weight: 1
            podAffinityTerm: {labelSelector: {matchLabels: {app: rich}}, topologyKey: kubernetes.io/hostname}
      tolerations: [{key: dedicated, operator: Equal, value: web, effect: NoSchedule, tolerationSeconds: 60}]
      topologySpreadConstraints:
      - {maxSkew: 1, topologyKey: kubernetes.io/hostname, whenUnsatisfiable: ScheduleAnyway,
         labelSelector: {matchLabels: {app: rich}}}
      readinessGates: [{conditionType: example.com/ready}]
      imagePullSecrets: [{name: registry}]
      initContainers:
      - name: init
        image: busybox
        command: [sh, -c, "true"]
        restartPolicy: Always
      containers:
      - name: web
        image: nginx:1
        imagePullPolicy: IfNotPresent
        args: [--port, "8080"]
        workingDir: /srv
        ports: [{containerPort: 8080, name: http, protocol: TCP}]
        env:
        - {name: A, value: "1"}
        - name: NODE
          valueFrom: {fieldRef: {apiVersion: v1, fieldPath: spec.nodeName}}
        - name: MEM
          valueFrom: {resourceFieldRef: {containerName: web, resource: limits.memory, divisor: 1Mi}}
        - name: KEY
          valueFrom: {configMapKeyRef: {name: cfg, key: k, optional: true}}
        - name: PASS
          valueFrom: {secretKeyRef: {name: sec, key: p, optional: true}}
        envFrom: [{prefix: CFG_, configMapRef: {name: cfg, optional: true}}, {secretRef: {name: sec, optional: true}}]
        resources: {requests: {cpu: 100m, memory: 64Mi}, limits: {cpu: "1", memory: 128Mi, ephemeral-storage: 1Gi}}
        volumeMounts:
        - {name: data, mountPath: /data}
        - {name: cfg, mountPath: /etc/cfg, readOnly: true}
        - {name: tok, mountPath: /var/run/tok}
        - {name: pod, mountPath: /etc/pod, subPathExpr: $(NODE)}
        livenessProbe: {httpGet: {path: /healthz, port: http, scheme: HTTP, httpHeaders: [{name: X, value: y}]},
                        initialDelaySeconds: 1, periodSeconds: 5, timeoutSeconds: 2, failureThreshold: 3,
                        successThreshold: 1, terminationGracePeriodSeconds: 3}
        readinessProbe: {tcpSocket: {port: 8080}, periodSeconds: 2}
        startupProbe: {exec: {command: ["true"]}, failureThreshold: 30}
        lifecycle: {preStop: {exec: {command: [sleep, "1"]}}, postStart: {httpGet: {path: /, port: 8080}}}
        securityContext: {allowPrivilegeEscalation: false, readOnlyRootFilesystem: true,
                          capabilities: {drop: [ALL], add: [NET_BIND_SERVICE]}, privileged: false, runAsGroup: 3000}
        terminationMessagePolicy: FallbackToLogsOnError
        stdin: false
        tty: false
      volumes:
      - {name: data, emptyDir: {medium: Memory, sizeLimit: 64Mi}}
      - {name: cfg, configMap: {name: cfg, defaultMode: 420, items: [{key: k, path: k.txt, mode: 256}], optional: true}}
      - {name: sec, secret: {secretName: sec, optional: true}}
      - {name: host, hostPath: {path: /tmp, type: Directory}}
      - {name: claim, persistentVolumeClaim: {claimName: data, readOnly: true}}
      - {name: nfs, nfs: {server: nfs.local, path: /export}}
      - name: tok
        projected:
          sources:
          - serviceAccountToken: {path: token, expirationSeconds: 3600, audience: api}
          - configMap: {name: kube-root-ca.crt, items: [{key: ca.crt, path: ca.crt}]}
      - name: pod
        downwardAPI: {items: [{path: labels, fieldRef: {fieldPath: metadata.labels}}]}
"""

RICH_SERVICE = """apiVersion: v1
kind: Service
metadata:
  name: rich
spec:
  type: NodePort
  selector: {app: rich}
  sessionAffinity: ClientIP
  sessionAffinityConfig: {clientIP: {timeoutSeconds: 60}}
  externalTrafficPolicy: Cluster
  internalTrafficPolicy: Cluster
  ipFamilyPolicy: SingleStack
  ipFamilies: [IPv4]
  publishNotReadyAddresses: false
  ports: [{name: http, port: 80, targetPort: http, protocol: TCP, appProtocol: http}]
"""

NESTED_BAD = """apiVersion: apps/v1
kind: Deployment
metadata:
  name: nested
spec:
  bogus: 1
  selector:
    matchLabels: {app: nested}
  template:
    metadata:
      labels: {app: nested}
    spec:
      containers:
      - name: web
        image: nginx:1
        imagePullPolicyy: Always
"""


def fields(text):
    """{field: type} of the FIELDS section of explain's output (two-space indented lines only)."""
    return dict(re.findall(r"^  (\w+)\t<([^>]+)>", text, re.M))


DEPLOYMENTS = "/apis/apps/v1/namespaces/default/deployments/"

def ssa_manifest(name, replicas=2, env=True, extra_label=True):
    """A Deployment for server-side apply, as JSON (which is YAML); replicas None leaves the field out."""
    container = {"name": "web", "image": "nginx:1", "ports": [{"containerPort": 80}]}
    if env:
        container["env"] = [{"name": "MODE", "value": "fast"}]
    labels = {"app": name, "tier": "front"} if extra_label else {"app": name}
    spec = {"selector": {"matchLabels": {"app": name}},
            "template": {"metadata": {"labels": {"app": name}}, "spec": {"containers": [container]}}}
    if replicas is not None:
        spec["replicas"] = replicas
    return json.dumps({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name, "labels": labels},
                       "spec": spec})


@unittest.skipUnless(KUBECTL, "kubectl is not installed")
class KubectlTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.etcd = Cluster(size=1).start_all()
        cls.api = Apiserver(cls.etcd.client)
        cls.dir = harness.tempdir("kubectl-")
        cls.cache = tempfile.mkdtemp(dir=cls.dir)

    @classmethod
    def tearDownClass(cls):
        cls.api.stop()
        cls.etcd.stop()

    def kubectl(self, *args, ok=True, stdin=None):
        argv = [KUBECTL, "--server", self.api.url, "--cache-dir", self.cache] + list(args)
        p = subprocess.run(argv, capture_output=True, text=True, input=stdin, timeout=60)
        if ok:
            self.assertEqual(p.returncode, 0, "%s\nstdout: %s\nstderr: %s" % (argv, p.stdout, p.stderr))
        return p

    def minictl(self, *args):
        p = subprocess.run([MINICTL, "--server", self.api.url] + list(args), capture_output=True, text=True,
                           timeout=60)
        self.assertEqual(p.returncode, 0, "minictl %s: %s%s" % (" ".join(args), p.stdout, p.stderr))
        return p

    def write(self, name, text):
        path = os.path.join(self.dir, name)
        with open(path, "w") as f:
            f.write(text)
        return path

    def test_1_pod_lifecycle(self):
        p = self.kubectl("get", "pods")
        self.assertIn("No resources found in default namespace.", p.stderr)
        p = self.kubectl("create", "-f", self.write("pod.yaml", POD))
        self.assertEqual(p.stdout.strip(), "pod/web created")
        p = self.kubectl("get", "pods")
        lines = p.stdout.strip().splitlines()
        self.assertEqual(lines[0].split(), ["NAME", "READY", "STATUS", "RESTARTS", "AGE"])
        self.assertEqual(lines[1].split()[:4], ["web", "0/1", "Pending", "0"])
        p = self.kubectl("get", "pods", "-o", "wide")
        self.assertEqual(p.stdout.splitlines()[0].split()[:7], ["NAME", "READY", "STATUS", "RESTARTS", "AGE", "IP", "NODE"])
        p = self.kubectl("get", "pod", "web", "-o", "json")
        self.assertEqual(json.loads(p.stdout)["spec"]["containers"][0]["image"], "nginx:1")
        p = self.kubectl("get", "po", "-o", "name")
        self.assertEqual(p.stdout.strip(), "pod/web")
        p = self.kubectl("get", "pod", "web", "-o", "yaml")
        self.assertIn("name: web", p.stdout)
        p = self.kubectl("label", "pod", "web", "tier=front")
        self.assertEqual(p.stdout.strip(), "pod/web labeled")
        p = self.kubectl("get", "pods", "-l", "tier=front", "--show-labels")
        self.assertIn("tier=front", p.stdout)
        p = self.kubectl("get", "pods", "-A")
        self.assertEqual(p.stdout.splitlines()[1].split()[:2], ["default", "web"])
        p = self.kubectl("describe", "pod", "web")
        self.assertIn("Name:", p.stdout)
        self.assertIn("nginx:1", p.stdout)
        p = self.kubectl("delete", "pod", "web")
        self.assertEqual(p.stdout.strip(), 'pod "web" deleted')
        self.assertEqual(self.api.req("GET", "/api/v1/namespaces/default/pods/web")[0], 404)

    def test_2_apply_scale_rollout(self):
        path = self.write("deploy.yaml", DEPLOY % {"replicas": 2, "image": "nginx:1"})
        self.assertEqual(self.kubectl("apply", "-f", path).stdout.strip(), "deployment.apps/front created")
        self.assertEqual(self.kubectl("apply", "-f", path).stdout.strip(), "deployment.apps/front unchanged")
        self.write("deploy.yaml", DEPLOY % {"replicas": 3, "image": "nginx:2"})
        self.assertEqual(self.kubectl("apply", "-f", path).stdout.strip(), "deployment.apps/front configured")
        st, d = self.api.req("GET", "/apis/apps/v1/namespaces/default/deployments/front")
        c = d["spec"]["template"]["spec"]["containers"][0]
        self.assertEqual((d["spec"]["replicas"], c["image"], c["ports"][0]["containerPort"]), (3, "nginx:2", 80))
        self.assertIn("kubectl.kubernetes.io/last-applied-configuration", d["metadata"]["annotations"])
        p = self.kubectl("scale", "deployment", "front", "--replicas=5")
        self.assertEqual(p.stdout.strip(), "deployment.apps/front scaled")
        p = self.kubectl("get", "deploy", "front")
        self.assertEqual(p.stdout.splitlines()[0].split(), ["NAME", "READY", "UP-TO-DATE", "AVAILABLE", "AGE"])
        self.assertEqual(p.stdout.splitlines()[1].split()[:2], ["front", "0/5"])
        # a status written as the controller would: rollout status is then done
        st, d = self.api.req("GET", "/apis/apps/v1/namespaces/default/deployments/front")
        d["status"] = {"observedGeneration": d["metadata"]["generation"], "replicas": 5, "updatedReplicas": 5,
                       "readyReplicas": 5, "availableReplicas": 5}
        st, _ = self.api.req("PUT", "/apis/apps/v1/namespaces/default/deployments/front/status", d)
        self.assertEqual(st, 200)
        p = self.kubectl("rollout", "status", "deployment/front", "--timeout=20s")
        self.assertIn('deployment "front" successfully rolled out', p.stdout)
        p = self.kubectl("get", "all")
        self.assertIn("deployment.apps/front", p.stdout)
        p = self.kubectl("delete", "-f", path)
        self.assertEqual(p.stdout.strip(), 'deployment.apps "front" deleted')

    def test_3_server_side_apply_and_nodes(self):
        path = self.write("cm.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ssa\ndata:\n  a: b\n")
        p = self.kubectl("apply", "--server-side", "-f", path)
        self.assertEqual(p.stdout.strip(), "configmap/ssa serverside-applied")
        st, cm = self.api.req("GET", "/api/v1/namespaces/default/configmaps/ssa")
        self.assertEqual(cm["data"], {"a": "b"})
        self.kubectl("create", "-f", self.write("node.yaml", NODE))
        p = self.kubectl("cordon", "n1")
        self.assertEqual(p.stdout.strip(), "node/n1 cordoned")
        p = self.kubectl("get", "nodes")
        self.assertEqual(p.stdout.splitlines()[1].split()[:2], ["n1", "Ready,SchedulingDisabled"])
        p = self.kubectl("api-resources")
        self.assertRegex(p.stdout, r"deployments\s+deploy\s+apps/v1\s+true\s+Deployment")
        # the reviews, which answer create only
        p = self.kubectl("api-resources", "--api-group=authorization.k8s.io", "-o", "wide")
        self.assertEqual([l.split() for l in p.stdout.splitlines()[1:]],
                         [["localsubjectaccessreviews", "authorization.k8s.io/v1", "true", "LocalSubjectAccessReview",
                           "create"],
                          ["selfsubjectaccessreviews", "authorization.k8s.io/v1", "false", "SelfSubjectAccessReview",
                           "create"],
                          ["selfsubjectrulesreviews", "authorization.k8s.io/v1", "false", "SelfSubjectRulesReview",
                           "create"],
                          ["subjectaccessreviews", "authorization.k8s.io/v1", "false", "SubjectAccessReview",
                           "create"]])
        p = self.kubectl("api-resources", "--verbs=create", "--namespaced=false", "-o", "name")
        self.assertIn("selfsubjectreviews.authentication.k8s.io", p.stdout.split())
        p = self.kubectl("api-resources", "--verbs=list", "-o", "name")
        self.assertIn("namespaces", p.stdout.split())
        self.assertNotIn("selfsubjectreviews.authentication.k8s.io", p.stdout.split())

    def test_3_drain_deletes_with_protobuf_delete_options(self):
        """kubectl drain deletes through the typed client: its DeleteOptions come as protobuf."""
        st, _ = self.api.req("POST", "/api/v1/nodes", {"apiVersion": "v1", "kind": "Node",
                                                        "metadata": {"name": "zz-drained"}})
        self.assertEqual(st, 201)
        for name in ("d1", "d2"):
            pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "namespace": "default"},
                   "spec": {"nodeName": "zz-drained", "containers": [{"name": "c", "image": "busybox"}]}}
            self.assertEqual(self.api.req("POST", "/api/v1/namespaces/default/pods", pod)[0], 201)
        p = self.kubectl("drain", "zz-drained", "--ignore-daemonsets", "--force", "--grace-period=0", "--timeout=20s")
        self.assertIn("node/zz-drained cordoned", p.stdout)
        self.assertIn("node/zz-drained drained", p.stdout)
        for name in ("d1", "d2"):
            self.assertEqual(self.api.req("GET", "/api/v1/namespaces/default/pods/" + name)[0], 404)
        st, node = self.api.req("GET", "/api/v1/nodes/zz-drained")
        self.assertTrue(node["spec"]["unschedulable"])

    def test_3_wrong_field_types_are_400(self):
        """An unquoted YAML boolean in a ConfigMap, quoted replicas: kube-apiserver's decoder refuses them."""
        path = self.write("badcm.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: badcm\n"
                                        "data:\n  enabled: true\n  name: x\n")
        p = self.kubectl("apply", "-f", path, ok=False)
        self.assertEqual(p.returncode, 1)
        self.assertIn('Error from server (BadRequest): error when creating "%s": ConfigMap in version "v1" cannot be '
                      'handled as a ConfigMap: json: cannot unmarshal bool into Go struct field ConfigMap.data of '
                      'type string' % path, p.stderr)
        self.assertEqual(self.api.req("GET", "/api/v1/namespaces/default/configmaps/badcm")[0], 404)
        self.kubectl("create", "deployment", "typed", "--image=nginx:1")
        p = self.kubectl("patch", "deployment", "typed", "--type=merge", "-p", '{"spec":{"replicas":"3"}}', ok=False)
        self.assertIn("cannot unmarshal string into Go struct field DeploymentSpec.spec.replicas of type int32",
                      p.stderr)
        p = self.kubectl("patch", "deployment", "typed", "--type=merge", "-p", '{"spec":{"replicas":3}}')
        self.assertEqual(self.api.req("GET", "/apis/apps/v1/namespaces/default/deployments/typed")[1]["spec"]["replicas"], 3)
        self.kubectl("create", "secret", "generic", "typed", "--from-literal=a=b")
        p = self.kubectl("patch", "secret", "typed", "-p", '{"data":{"n":5}}', ok=False)
        self.assertIn("cannot unmarshal number into Go struct field Secret.data of type string", p.stderr)

    def test_5_logs_and_events(self):
        kubelet = FakeKubelet(["hello from web"])
        try:
            st, _ = self.api.req("POST", "/api/v1/nodes", {
                "apiVersion": "v1", "kind": "Node", "metadata": {"name": "logs-node"},
                "status": {"addresses": [{"type": "InternalIP", "address": "127.0.0.1"}],
                           "daemonEndpoints": {"kubeletEndpoint": {"Port": kubelet.port}}}})
            self.assertEqual(st, 201)
            pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "talker"},
                   "spec": {"nodeName": "logs-node", "containers": [{"name": "c", "image": "busybox"}]}}
            st, made = self.api.req("POST", "/api/v1/namespaces/default/pods", pod)
            self.assertEqual(st, 201)
            p = self.kubectl("logs", "talker")
            self.assertEqual(p.stdout, "hello from web\n")
            st, _ = self.api.req("POST", "/api/v1/namespaces/default/events", {
                "apiVersion": "v1", "kind": "Event", "metadata": {"name": "talker.1"},
                "involvedObject": {"kind": "Pod", "name": "talker", "namespace": "default",
                                   "uid": made["metadata"]["uid"]},
                "reason": "Pulled", "message": "image pulled", "type": "Normal", "count": 1,
                "source": {"component": "kubelet"}})
            self.assertEqual(st, 201)
            p = self.kubectl("describe", "pod", "talker")
            self.assertRegex(p.stdout, r"Normal\s+Pulled\s+.*image pulled")
            p = self.kubectl("get", "events")
            self.assertIn("image pulled", p.stdout)
        finally:
            kubelet.stop()

    def test_6_kubeconfig(self):
        cfg = self.write("kubeconfig", """apiVersion: v1
kind: Config
clusters:
- name: mini
  cluster: {server: "%s"}
users:
- name: me
  user: {}
contexts:
- name: mini
  context: {cluster: mini, user: me, namespace: kube-system}
current-context: mini
""" % self.api.url)
        p = subprocess.run([KUBECTL, "--kubeconfig", cfg, "--cache-dir", self.cache, "get", "ns", "-o", "name"],
                           capture_output=True, text=True, timeout=60)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("namespace/kube-system", p.stdout.split())
        cm = self.write("inks.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: inks\ndata:\n  a: b\n")
        p = subprocess.run([KUBECTL, "--kubeconfig", cfg, "--cache-dir", self.cache, "create", "-f", cm],
                           capture_output=True, text=True, timeout=60)
        self.assertEqual(p.stdout.strip(), "configmap/inks created", p.stderr)
        st, cm = self.api.req("GET", "/api/v1/namespaces/kube-system/configmaps/inks")
        self.assertEqual((st, cm["data"]), (200, {"a": "b"}))

    def test_7_auth_whoami_insecure_port(self):
        """The trusted loopback port answers as system:unsecured in system:masters."""
        p = self.kubectl("auth", "whoami", "-o", "json")
        review = json.loads(p.stdout)
        self.assertEqual((review["apiVersion"], review["kind"]), ("authentication.k8s.io/v1", "SelfSubjectReview"))
        self.assertEqual(review["status"]["userInfo"], {"username": "system:unsecured",
                                                        "groups": ["system:masters", "system:authenticated"]})
        rows = [l.split(None, 1) for l in self.kubectl("auth", "whoami").stdout.splitlines()]
        self.assertEqual(rows, [["ATTRIBUTE", "VALUE"], ["Username", "system:unsecured"],
                                ["Groups", "[system:masters system:authenticated]"]])

    def test_7_aggregated_discovery_is_two_requests(self):
        """On a cold cache kubectl learns every group from /api and /apis (aggregated), not one list per group."""
        argv = [KUBECTL, "--server", self.api.url, "--cache-dir", tempfile.mkdtemp(dir=self.dir), "get", "pods", "-v=8"]
        p = subprocess.run(argv, capture_output=True, text=True, timeout=60)
        self.assertEqual(p.returncode, 0, p.stderr)
        gets = re.findall(r"\] GET (?:https?://[^/ ]+)(/[^? ]*)", p.stderr)
        discovery = [g for g in gets if g in ("/api", "/apis") or g.startswith(("/api/v1", "/apis/")) and
                     "/namespaces/" not in g]
        self.assertEqual(discovery, ["/api", "/apis"], gets)
        self.assertIn("Content-Type: application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList", p.stderr)
        # what discovery feeds still works from it: api-resources, can-i, short names of other groups
        rows = {l.split()[0]: l.split()[1:] for l in self.kubectl("api-resources").stdout.splitlines()[1:]}
        self.assertEqual(rows["pods"], ["po", "v1", "true", "Pod"])
        self.assertEqual(rows["deployments"], ["deploy", "apps/v1", "true", "Deployment"])
        self.assertEqual(rows["clusterroles"], ["rbac.authorization.k8s.io/v1", "false", "ClusterRole"])
        self.assertNotIn("pods/status", rows)
        namespaced = self.kubectl("api-resources", "--namespaced=false", "-o", "name").stdout.split()
        self.assertIn("nodes", namespaced)
        self.assertNotIn("pods", namespaced)
        self.assertEqual(self.kubectl("api-resources", "--categories=all", "-o", "name").stdout.split(),
                         ["pods", "services", "daemonsets.apps", "deployments.apps", "replicasets.apps"])
        self.assertEqual(self.kubectl("auth", "can-i", "--list").stdout.splitlines()[1].split(),
                         ["*.*", "[]", "[]", "[*]"])
        self.assertEqual(self.kubectl("auth", "can-i", "patch", "deploy", "--subresource=scale").stdout.strip(), "yes")

    def test_7_large_configmaps(self):
        """What kubectl prints for an object etcd refuses (2 MiB) and for a body over the apiserver's 3 MiB."""
        for name, size, said in (
                ("big2", 2 << 20, "Error from server: error when creating \"%s\": etcdserver: request is too large"),
                ("big4", 4 << 20, "Error from server (RequestEntityTooLarge): error when creating \"%s\": "
                                  "Request entity too large: limit is 3145728")):
            path = self.write(name + ".json", json.dumps({"apiVersion": "v1", "kind": "ConfigMap",
                                                         "metadata": {"name": name}, "data": {"k": "x" * size}}))
            p = self.kubectl("create", "-f", path, ok=False)
            self.assertEqual((p.returncode, p.stderr.strip()), (1, said % path))

    def test_7_health_checks_verbose_and_by_name(self):
        p = self.kubectl("get", "--raw", "/readyz?verbose")
        self.assertEqual(p.stdout.splitlines(), ["[+]ping ok", "[+]etcd ok", "[+]informer-sync ok",
                                                 "[+]poststarthook/rbac/bootstrap-roles ok",
                                                 "readyz check passed"])
        self.assertEqual(self.kubectl("get", "--raw", "/readyz").stdout, "ok")
        self.assertEqual(self.kubectl("get", "--raw", "/readyz/etcd").stdout, "ok")
        self.assertEqual(self.kubectl("get", "--raw", "/livez?verbose").stdout.splitlines(),
                         ["[+]ping ok", "livez check passed"])
        # a check's name may hold slashes, as Kubernetes' post-start hooks do
        self.assertEqual(self.kubectl("get", "--raw", "/readyz/poststarthook/rbac/bootstrap-roles").stdout, "ok")
        self.assertEqual(self.kubectl("get", "--raw", "/livez/ping").stdout, "ok")
        for path in ("/readyz/no-such-check", "/readyz/poststarthook/rbac", "/readyz/etcd/more", "/livez/etcd"):
            p = self.kubectl("get", "--raw", path, ok=False)
            self.assertIn("NotFound", p.stderr, path)

    @unittest.skipUnless(shutil.which("openssl"), "openssl is not installed")
    def test_7_https_with_token(self):
        key, crt = os.path.join(self.dir, "tls.key"), os.path.join(self.dir, "tls.crt")
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", crt,
                        "-days", "1", "-subj", "/CN=127.0.0.1"], check=True, capture_output=True)
        port = harness.free_ports(1)[0]
        api = Apiserver(self.etcd.client, ["--secure-port", str(port), "--tls-cert-file", crt,
                                           "--tls-private-key-file", key])
        try:
            p = subprocess.run([KUBECTL, "--server", "https://127.0.0.1:%d" % port, "--insecure-skip-tls-verify",
                                "--token", "t0ken", "--cache-dir", tempfile.mkdtemp(dir=self.dir), "get", "ns",
                                "-o", "name"], capture_output=True, text=True, timeout=60)
            self.assertEqual(p.returncode, 0, p.stderr)
            self.assertIn("namespace/default", p.stdout.split())
        finally:
            api.stop()

    def test_8_create_generators_send_protobuf(self):
        """kubectl 1.32's create generators POST protobuf bodies without asking discovery first."""
        p = self.kubectl("create", "namespace", "gen")
        self.assertEqual(p.stdout.strip(), "namespace/gen created")
        p = self.kubectl("create", "configmap", "cfg", "-n", "gen", "--from-literal=a=b", "--from-literal=c=")
        self.assertEqual(p.stdout.strip(), "configmap/cfg created")
        p = self.kubectl("create", "secret", "generic", "sec", "-n", "gen", "--from-literal=k=v")
        self.assertEqual(p.stdout.strip(), "secret/sec created")
        p = self.kubectl("create", "deployment", "gen", "-n", "gen", "--image=nginx:1", "--replicas=2", "--port=80")
        self.assertEqual(p.stdout.strip(), "deployment.apps/gen created")
        st, ns = self.api.req("GET", "/api/v1/namespaces/gen")
        self.assertEqual((st, ns["status"]["phase"]), (200, "Active"))
        st, cm = self.api.req("GET", "/api/v1/namespaces/gen/configmaps/cfg")
        self.assertEqual(cm["data"], {"a": "b", "c": ""})
        st, sec = self.api.req("GET", "/api/v1/namespaces/gen/secrets/sec")
        self.assertEqual(sec["data"], {"k": "dg=="})  # kubectl leaves type empty; the server does not default it yet
        st, d = self.api.req("GET", "/apis/apps/v1/namespaces/gen/deployments/gen")
        self.assertEqual(d["spec"]["replicas"], 2)
        self.assertEqual(d["spec"]["selector"], {"matchLabels": {"app": "gen"}})
        self.assertEqual(d["spec"]["template"]["metadata"]["labels"], {"app": "gen"})
        c = d["spec"]["template"]["spec"]["containers"][0]
        self.assertEqual((c["name"], c["image"], c["ports"]), ("nginx", "nginx:1", [{"containerPort": 80, "protocol": "TCP"}]))
        p = self.kubectl("get", "deployment", "gen", "-n", "gen", "-o", "name")
        self.assertEqual(p.stdout.strip(), "deployment.apps/gen")
        p = self.kubectl("create", "configmap", "cfg", "-n", "gen", "--from-literal=a=b", ok=False)
        self.assertNotEqual(p.returncode, 0)
        self.assertIn('configmaps "cfg" already exists', p.stderr)

    def test_8_create_services_accounts_rbac_protobuf(self):
        """kubectl create service|serviceaccount|role|rolebinding|clusterrole|clusterrolebinding send protobuf too."""
        out = lambda *a: self.kubectl(*a).stdout.strip()  # noqa: E731
        self.assertEqual(out("create", "service", "clusterip", "pb-svc", "--tcp=80:8080", "--tcp=443:https"),
                         "service/pb-svc created")
        self.assertEqual(out("create", "service", "nodeport", "pb-np", "--tcp=80:8080", "--node-port=30080"),
                         "service/pb-np created")
        self.assertEqual(out("create", "service", "externalname", "pb-ext", "--external-name=example.com"),
                         "service/pb-ext created")
        self.assertEqual(out("create", "serviceaccount", "pb-sa"), "serviceaccount/pb-sa created")
        self.assertEqual(out("create", "role", "pb-r", "--verb=get,list", "--resource=pods,deployments.apps"),
                         "role.rbac.authorization.k8s.io/pb-r created")
        self.assertEqual(out("create", "rolebinding", "pb-rb", "--role=pb-r", "--serviceaccount=default:pb-sa",
                             "--user=bob"), "rolebinding.rbac.authorization.k8s.io/pb-rb created")
        self.assertEqual(out("create", "clusterrole", "pb-cr", "--verb=get", "--non-resource-url=/healthz"),
                         "clusterrole.rbac.authorization.k8s.io/pb-cr created")
        self.assertEqual(out("create", "clusterrolebinding", "pb-crb", "--clusterrole=pb-cr", "--group=devs"),
                         "clusterrolebinding.rbac.authorization.k8s.io/pb-crb created")
        get = lambda path: self.api.req("GET", path)[1]  # noqa: E731
        svc = get("/api/v1/namespaces/default/services/pb-svc")
        self.assertEqual(svc["spec"]["ports"], [
            {"name": "80-8080", "protocol": "TCP", "port": 80, "targetPort": 8080},
            {"name": "443-https", "protocol": "TCP", "port": 443, "targetPort": "https"}])
        self.assertEqual((svc["spec"]["type"], svc["spec"]["selector"]), ("ClusterIP", {"app": "pb-svc"}))
        self.assertTrue(svc["spec"]["clusterIP"])
        np = get("/api/v1/namespaces/default/services/pb-np")
        self.assertEqual((np["spec"]["type"], np["spec"]["ports"][0]["nodePort"]), ("NodePort", 30080))
        ext = get("/api/v1/namespaces/default/services/pb-ext")
        self.assertEqual((ext["spec"]["type"], ext["spec"]["externalName"]), ("ExternalName", "example.com"))
        self.assertEqual(get("/api/v1/namespaces/default/serviceaccounts/pb-sa")["metadata"]["name"], "pb-sa")
        rbac = "/apis/rbac.authorization.k8s.io/v1"
        self.assertEqual(get(rbac + "/namespaces/default/roles/pb-r")["rules"], [
            {"verbs": ["get", "list"], "apiGroups": [""], "resources": ["pods"]},
            {"verbs": ["get", "list"], "apiGroups": ["apps"], "resources": ["deployments"]}])
        rb = get(rbac + "/namespaces/default/rolebindings/pb-rb")
        self.assertEqual(rb["roleRef"], {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "pb-r"})
        self.assertEqual(sorted((s["kind"], s["name"]) for s in rb["subjects"]),
                         [("ServiceAccount", "pb-sa"), ("User", "bob")])
        self.assertEqual(get(rbac + "/clusterroles/pb-cr")["rules"], [{"verbs": ["get"], "nonResourceURLs": ["/healthz"]}])
        self.assertEqual(get(rbac + "/clusterrolebindings/pb-crb")["subjects"],
                         [{"kind": "Group", "apiGroup": "rbac.authorization.k8s.io", "name": "devs"}])

    def test_4_get_watch(self):
        argv = [KUBECTL, "--server", self.api.url, "--cache-dir", self.cache, "get", "configmaps", "-w"]
        p = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            # the first line is the table of what exists; then one line per event
            first = p.stdout.readline()
            self.assertTrue(first.startswith("NAME"), first)
            for i in range(3):
                st, _ = self.api.req("POST", "/api/v1/namespaces/default/configmaps",
                                     {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "watched-%d" % i}})
                self.assertEqual(st, 201)
            seen = []
            deadline = time.monotonic() + 10
            while len(seen) < 3 and time.monotonic() < deadline:
                line = p.stdout.readline()
                if line.startswith("watched-"):
                    seen.append(line.split()[0])
            self.assertEqual(seen, ["watched-0", "watched-1", "watched-2"])
        finally:
            p.kill()
            p.wait()
            p.stdout.close()
            p.stderr.close()

    def test_9_sort_by_asks_rows_with_objects(self):
        """--sort-by sorts on rows[].object, so kubectl asks includeObject=Object and the rows must carry it."""
        self.kubectl("create", "namespace", "sorted")
        for name, minute in (("ev-b", 3), ("ev-a", 5), ("ev-c", 1)):
            st, _ = self.api.req("POST", "/api/v1/namespaces/sorted/events", {
                "apiVersion": "v1", "kind": "Event", "metadata": {"name": name},
                "involvedObject": {"kind": "Pod", "name": "p-" + name, "namespace": "sorted"},
                "reason": "R" + name, "message": "m " + name, "type": "Normal", "count": 1,
                "firstTimestamp": "2024-01-01T00:0%d:00Z" % minute,
                "lastTimestamp": "2024-01-01T00:0%d:00Z" % minute, "source": {"component": "test"}})
            self.assertEqual(st, 201)
        p = self.kubectl("get", "events", "-n", "sorted", "--sort-by=.lastTimestamp")
        self.assertNotIn("No resources found", p.stderr)
        objs = [line.split()[3] for line in p.stdout.strip().splitlines()[1:]]  # LAST SEEN, TYPE, REASON, OBJECT
        self.assertEqual(objs, ["pod/p-ev-c", "pod/p-ev-b", "pod/p-ev-a"], p.stdout)
        for name in ("zeta", "alpha", "mid"):
            pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "labels": {"sort": "me"}},
                   "spec": {"containers": [{"name": "c", "image": "img:%s" % name}]}}
            self.assertEqual(self.api.req("POST", "/api/v1/namespaces/sorted/pods", pod)[0], 201)
        p = self.kubectl("get", "pods", "-n", "sorted", "--sort-by=.metadata.name")
        self.assertEqual([l.split()[0] for l in p.stdout.strip().splitlines()], ["NAME", "alpha", "mid", "zeta"])
        p = self.kubectl("get", "pods", "-n", "sorted", "--sort-by=.spec.containers[0].image", "-o", "wide")
        self.assertEqual([l.split()[0] for l in p.stdout.strip().splitlines()[1:]], ["alpha", "mid", "zeta"])
        # custom-columns lists plain objects (no Table): sorted the same
        p = self.kubectl("get", "pods", "-n", "sorted", "--sort-by=.metadata.name",
                         "-o", "custom-columns=NAME:.metadata.name,IMAGE:.spec.containers[0].image")
        self.assertEqual(p.stdout.strip().splitlines(), ["NAME    IMAGE", "alpha   img:alpha", "mid     img:mid",
                                                         "zeta    img:zeta"])

        # the three includeObject policies, on a get, a list and a watch; anything else is a 400
        base = "/api/v1/namespaces/sorted/pods"
        st, t = self.api.req("GET", base, headers={"Accept": TABLE})
        self.assertEqual(t["rows"][0]["object"]["kind"], "PartialObjectMetadata")
        self.assertNotIn("spec", t["rows"][0]["object"])
        st, t = self.api.req("GET", base + q(includeObject="Object"), headers={"Accept": TABLE})
        self.assertEqual((st, t["kind"]), (200, "Table"))
        self.assertEqual([(r["object"]["kind"], r["object"]["apiVersion"], r["object"]["spec"]["containers"][0]["image"])
                          for r in t["rows"]], [("Pod", "v1", "img:alpha"), ("Pod", "v1", "img:mid"),
                                                ("Pod", "v1", "img:zeta")])
        self.assertTrue(t["rows"][0]["object"]["metadata"]["resourceVersion"])
        st, t = self.api.req("GET", base + "/mid" + q(includeObject="Object"), headers={"Accept": TABLE})
        self.assertEqual(t["rows"][0]["object"]["spec"]["containers"][0]["image"], "img:mid")
        st, t = self.api.req("GET", base + q(includeObject="None"), headers={"Accept": TABLE})
        self.assertEqual((st, len(t["rows"])), (200, 3))
        self.assertNotIn("object", t["rows"][0])
        st, t = self.api.req("GET", base + q(includeObject="Metadata"), headers={"Accept": TABLE})
        self.assertEqual(t["rows"][0]["object"]["apiVersion"], "meta.k8s.io/v1")
        st, s = self.api.req("GET", base + q(includeObject="Everything"), headers={"Accept": TABLE})
        self.assertEqual((st, s["reason"]), (400, "BadRequest"))
        self.assertEqual(s["message"], 'unrecognized includeObject value: "Everything"')
        # without a Table the option is not read
        self.assertEqual(self.api.req("GET", base + q(includeObject="Everything"))[0], 200)
        for policy, want in (("Object", "Pod"), ("None", None), ("Metadata", "PartialObjectMetadata")):
            conn, resp = self.api.watch(base + q(watch="true", includeObject=policy, labelSelector="sort=me"),
                                        headers={"Accept": TABLE})
            try:
                evs = read_events(resp, n=3)
            finally:
                conn.close()
            rows = [e["object"]["rows"][0] for e in evs]
            self.assertEqual([r.get("object", {}).get("kind") for r in rows], [want] * 3, policy)


    def test_10_explain_kind(self):
        out = self.kubectl("explain", "pods").stdout
        self.assertRegex(out, r"KIND:\s+Pod\n")
        self.assertRegex(out, r"VERSION:\s+v1\n")
        self.assertEqual(fields(out), {"apiVersion": "string", "kind": "string", "metadata": "ObjectMeta",
                                       "spec": "PodSpec", "status": "PodStatus"})
        self.assertIn("DESCRIPTION:", out)

    def test_10_explain_field_with_required_and_enums(self):
        out = self.kubectl("explain", "pod.spec.containers").stdout
        self.assertIn("FIELD: containers <[]Container>", out)
        f = fields(out)
        self.assertEqual((f["name"], f["image"], f["ports"], f["env"], f["resources"], f["livenessProbe"]),
                         ("string", "string", "[]ContainerPort", "[]EnvVar", "ResourceRequirements", "Probe"))
        self.assertRegex(out, r"name\t<string> -required-")
        self.assertNotRegex(out, r"image\t<string> -required-")
        self.assertRegex(out, r"imagePullPolicy\t<string>\n\s+enum: Always, IfNotPresent, Never")
        out = self.kubectl("explain", "pod.spec.containers.resources").stdout
        self.assertEqual(fields(out)["limits"], "map[string]Quantity")
        out = self.kubectl("explain", "pod.metadata").stdout
        self.assertEqual((fields(out)["labels"], fields(out)["creationTimestamp"]), ("map[string]string", "string"))

    def test_10_explain_recursive_in_a_group(self):
        out = self.kubectl("explain", "deployment.spec.strategy", "--recursive").stdout
        self.assertRegex(out, r"GROUP:\s+apps\n")
        self.assertIn("FIELD: strategy <DeploymentStrategy>", out)
        # the nested fields, indented under rollingUpdate
        self.assertRegex(out, r"  rollingUpdate\t<RollingUpdateDeployment>\n    maxSurge\t<IntOrString>\n"
                              r"    maxUnavailable\t<IntOrString>\n  type\t<string>")
        out = self.kubectl("explain", "deploy.spec").stdout
        self.assertRegex(out, r"selector\t<LabelSelector> -required-")
        self.assertRegex(out, r"template\t<PodTemplateSpec> -required-")
        self.assertEqual(fields(out)["replicas"], "integer")

    def test_10_explain_short_names_and_other_groups(self):
        out = self.kubectl("explain", "svc.spec.ports").stdout
        f = fields(out)
        self.assertEqual((f["port"], f["targetPort"], f["nodePort"], f["protocol"]),
                         ("integer", "IntOrString", "integer", "string"))
        self.assertRegex(out, r"port\t<integer> -required-")
        self.assertEqual(fields(self.kubectl("explain", "cm").stdout)["data"], "map[string]string")
        self.assertEqual(fields(self.kubectl("explain", "lease.spec").stdout)["renewTime"], "string")
        out = self.kubectl("explain", "clusterrolebinding.roleRef").stdout
        self.assertRegex(out, r"GROUP:\s+rbac.authorization.k8s.io\n")
        self.assertEqual(fields(out)["kind"], "string")
        out = self.kubectl("explain", "endpointslices.endpoints.conditions").stdout
        self.assertEqual(fields(out)["ready"], "boolean")
        p = self.kubectl("explain", "pod.spec.nosuchfield", ok=False)
        self.assertNotEqual(p.returncode, 0)
        self.assertIn("nosuchfield", p.stderr)

    def test_10_openapi_documents_are_hashed_and_redirected(self):
        st, index = self.api.req("GET", "/openapi/v3")
        self.assertEqual(st, 200)
        url = index["paths"]["apis/apps/v1"]["serverRelativeURL"]
        self.assertRegex(url, r"^/openapi/v3/apis/apps/v1\?hash=\w+$")
        st, doc = self.api.req("GET", url)
        self.assertEqual(st, 200)
        self.assertIn("io.k8s.api.apps.v1.Deployment", doc["components"]["schemas"])
        # another hash: sent to the current one, as kube-apiserver does
        st, _ = self.api.req("GET", "/openapi/v3/apis/apps/v1?hash=0")
        self.assertEqual(st, 301)
        self.assertEqual(self.api.req("GET", "/openapi/v3/apis/batch/v1")[0], 404)

    def test_10_validation_is_still_the_servers(self):
        path = os.path.join(self.dir, "explain-cm.yaml")
        with open(path, "w") as f:
            f.write(CONFIGMAP % {"name": "strict-bad", "extra": "colour: red\n"})
        p = self.kubectl("apply", "-f", path, ok=False)
        self.assertNotEqual(p.returncode, 0)
        self.assertIn('Error from server (BadRequest): error when creating "%s": strict decoding error: '
                      'unknown field "colour"' % path, p.stderr)
        p = self.kubectl("create", "-f", path, "-v=6", ok=False)
        self.assertRegex(p.stderr, r"POST \S+/configmaps\?fieldManager=kubectl-create&fieldValidation=Strict 400")
        self.assertIn("created", self.kubectl("apply", "-f", path, "--validate=false").stdout)
        with open(path, "w") as f:
            f.write(CONFIGMAP % {"name": "strict-good", "extra": ""})
        self.assertEqual(self.kubectl("apply", "-f", path).stdout.strip(), "configmap/strict-good created")
        self.assertEqual(self.kubectl("apply", "-f", path).stdout.strip(), "configmap/strict-good unchanged")

    def get_deployment(self, name):
        st, d = self.api.req("GET", DEPLOYMENTS + name)
        self.assertEqual(st, 200)
        return d

    def managed(self, d):
        return {(e["manager"], e["operation"]): e for e in d["metadata"].get("managedFields", [])}

    def test_ssa_1_apply_conflict_force_prune(self):
        path = self.write("ssa-web.yaml", ssa_manifest("ssa-web"))
        p = self.kubectl("apply", "--server-side", "-f", path)
        self.assertEqual(p.stdout.strip(), "deployment.apps/ssa-web serverside-applied")
        d = self.get_deployment("ssa-web")
        mine = self.managed(d)[("kubectl", "Apply")]
        self.assertEqual((mine["apiVersion"], mine["fieldsType"]), ("apps/v1", "FieldsV1"))
        self.assertRegex(mine["time"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
        f = mine["fieldsV1"]
        self.assertEqual(f["f:spec"]["f:replicas"], {})
        self.assertEqual(f["f:spec"]["f:selector"], {})
        self.assertEqual(f["f:metadata"]["f:labels"], {"f:app": {}, "f:tier": {}})
        web = f["f:spec"]["f:template"]["f:spec"]["f:containers"]['k:{"name":"web"}']
        self.assertEqual(web["."], {})
        self.assertEqual(web["f:image"], {})
        self.assertIn('k:{"containerPort":80,"protocol":"TCP"}', web["f:ports"])
        self.assertIn('k:{"name":"MODE"}', web["f:env"])
        # defaults the server added belong to nobody
        self.assertNotIn("f:protocol", web["f:ports"]['k:{"containerPort":80,"protocol":"TCP"}'])

        # the same manifest again changes nothing
        rv = d["metadata"]["resourceVersion"]
        self.kubectl("apply", "--server-side", "-f", path)
        self.assertEqual(self.get_deployment("ssa-web")["metadata"]["resourceVersion"], rv)

        # another manager changing replicas conflicts with kubectl's ownership
        other = self.write("ssa-other.yaml", "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: ssa-web\n"
                                         "spec:\n  replicas: 5\n")
        p = self.kubectl("apply", "--server-side", "--field-manager=other", "-f", other, ok=False)
        self.assertEqual(p.returncode, 1, p.stderr)
        self.assertIn('Apply failed with 1 conflict: conflict with "kubectl": .spec.replicas', p.stderr)
        self.assertEqual(self.get_deployment("ssa-web")["spec"]["replicas"], 2)
        # the Status as Kubernetes shapes it
        st, s = self.api.req("PATCH", DEPLOYMENTS + "ssa-web?fieldManager=other",
                             {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "ssa-web"},
                              "spec": {"replicas": 5}},
                             ctype="application/apply-patch+yaml")
        self.assertEqual((st, s["reason"]), (409, "Conflict"))
        self.assertEqual(s["details"]["causes"], [{"type": "FieldManagerConflict",
                                                   "message": 'conflict with "kubectl"',
                                                   "field": ".spec.replicas"}])

        # --force-conflicts takes it over
        self.kubectl("apply", "--server-side", "--field-manager=other", "--force-conflicts", "-f", other)
        d = self.get_deployment("ssa-web")
        self.assertEqual(d["spec"]["replicas"], 5)
        e = self.managed(d)
        self.assertEqual(e[("other", "Apply")]["fieldsV1"], {"f:spec": {"f:replicas": {}}})
        self.assertNotIn("f:replicas", e[("kubectl", "Apply")]["fieldsV1"]["f:spec"])

        # fields dropped from kubectl's manifest go from the object; replicas, now other's, stays
        self.write("ssa-web.yaml", ssa_manifest("ssa-web", replicas=None, env=False, extra_label=False))
        self.kubectl("apply", "--server-side", "-f", path)
        d = self.get_deployment("ssa-web")
        self.assertEqual(d["metadata"]["labels"], {"app": "ssa-web"})
        self.assertNotIn("env", d["spec"]["template"]["spec"]["containers"][0])
        self.assertEqual(d["spec"]["replicas"], 5)

        # shown with --show-managed-fields, hidden without
        p = self.kubectl("get", "deployment", "ssa-web", "-o", "yaml", "--show-managed-fields")
        self.assertIn("managedFields:", p.stdout)
        self.assertIn("manager: other", p.stdout)
        self.assertIn("operation: Apply", p.stdout)
        p = self.kubectl("get", "deployment", "ssa-web", "-o", "yaml")
        self.assertNotIn("managedFields", p.stdout)
        # minictl prints as kubectl does
        for out in ("yaml", "json"):
            p = self.minictl("get", "deployment", "ssa-web", "-o", out)
            self.assertNotIn("managedFields", p.stdout)
            self.assertIn("nginx:1", p.stdout)
            p = self.minictl("get", "deployment", "ssa-web", "-o", out, "--show-managed-fields")
            self.assertIn("managedFields", p.stdout)
            self.assertIn("f:replicas", p.stdout)

    def test_ssa_2_updates_record_their_manager(self):
        path = self.write("ssa-cs.yaml", ssa_manifest("ssa-cs"))
        self.kubectl("apply", "-f", path)
        e = self.managed(self.get_deployment("ssa-cs"))
        self.assertIn(("kubectl-client-side-apply", "Update"), e)
        f = e[("kubectl-client-side-apply", "Update")]["fieldsV1"]
        self.assertIn("f:kubectl.kubernetes.io/last-applied-configuration", f["f:metadata"]["f:annotations"])
        self.assertEqual(f["f:spec"]["f:replicas"], {})
        # a server-side apply of another replicas value conflicts with the client-side applier
        p = self.kubectl("apply", "--server-side", "-f", self.write("ssa-cs2.yaml", ssa_manifest("ssa-cs", replicas=4)),
                         ok=False)
        self.assertEqual(p.returncode, 1)
        self.assertIn('conflict with "kubectl-client-side-apply" using apps/v1', p.stderr)
        self.assertIn(".spec.replicas", p.stderr)
        # kubectl scale records its own Update through the scale subresource
        self.kubectl("scale", "deployment", "ssa-cs", "--replicas=3")
        e = self.managed(self.get_deployment("ssa-cs"))
        scale = [v for (m, op), v in e.items() if v.get("subresource") == "scale"]
        self.assertEqual(len(scale), 1)
        self.assertEqual(scale[0]["fieldsV1"], {"f:spec": {"f:replicas": {}}})
        self.assertNotIn("f:replicas", e[("kubectl-client-side-apply", "Update")]["fieldsV1"]["f:spec"])
        # a status write records with subresource status
        d = self.get_deployment("ssa-cs")
        d["status"] = {"replicas": 3}
        st, _ = self.api.req("PUT", DEPLOYMENTS + "ssa-cs/status?fieldManager=ctl", d)
        self.assertEqual(st, 200)
        e = self.managed(self.get_deployment("ssa-cs"))
        self.assertEqual(e[("ctl", "Update")]["subresource"], "status")
        self.assertEqual(e[("ctl", "Update")]["fieldsV1"], {"f:status": {"f:replicas": {}}})

    def test_ssa_2_client_side_to_server_side(self):
        """kubectl hands a client-side applier's fields to the server-side one (a JSON patch of managedFields)."""
        path = self.write("ssa-cm.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ssa-cm\ndata:\n  a: '1'\n")
        self.kubectl("apply", "-f", path)
        self.kubectl("apply", "--server-side", "-f", path)
        st, cm = self.api.req("GET", "/api/v1/namespaces/default/configmaps/ssa-cm")
        # the last-applied annotation stays, owned by kubectl-last-applied; the data is kubectl's
        self.assertIn("kubectl.kubernetes.io/last-applied-configuration", cm["metadata"]["annotations"])
        e = self.managed(cm)
        self.assertEqual(sorted(e), [("kubectl", "Apply"), ("kubectl-last-applied", "Apply")])
        self.assertEqual(e[("kubectl", "Apply")]["fieldsV1"], {"f:data": {"f:a": {}}})

    def test_ssa_3_apply_needs_a_field_manager(self):
        st, s = self.api.req("PATCH", DEPLOYMENTS + "nobody",
                             {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "nobody"}},
                             ctype="application/apply-patch+yaml")
        self.assertEqual((st, s["reason"]), (422, "Invalid"))
        self.assertIn("fieldManager: Required value", s["message"])
        # a YAML body is read as YAML
        body = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: from-yaml\ndata:\n  k: v\n"
        st, cm = self.api.req("PATCH", "/api/v1/namespaces/default/configmaps/from-yaml?fieldManager=me", body.encode(),
                              ctype="application/apply-patch+yaml")
        self.assertEqual(st, 201, cm)
        self.assertEqual(cm["data"], {"k": "v"})
        self.assertEqual(cm["metadata"]["managedFields"][0]["fieldsV1"], {"f:data": {"f:k": {}}})


    def test_ssa_4_unknown_fields(self):
        """Server-side apply refuses unknown fields whatever --validate says, worded as Kubernetes' typed conversion
        fails (kubectl itself reads a key given twice as its last value: apply bodies' duplicates are
        test_apiserver's)."""
        path = self.write("ssa-bad.yaml", NESTED_BAD.replace("name: nested", "name: ssa-nested"))
        for validate in ("strict", "false"):
            p = self.kubectl("apply", "--server-side", "--validate=" + validate, "-f", path, ok=False)
            self.assertEqual(p.returncode, 1, p.stderr)
            self.assertIn("Error from server: failed to create typed patch object (default/ssa-nested; apps/v1, "
                          "Kind=Deployment): errors:\n  .spec.bogus: field not declared in schema\n  "
                          '.spec.template.spec.containers[name="web"].imagePullPolicyy: field not declared in schema',
                          p.stderr)
        self.assertIn("NotFound", self.kubectl("get", "deploy", "ssa-nested", ok=False).stderr)

    def test_11_nested_unknown_fields_strict_warn_ignore(self):
        path = self.write("nested-bad.yaml", NESTED_BAD)
        msg = ('strict decoding error: unknown field "spec.bogus", '
               'unknown field "spec.template.spec.containers[0].imagePullPolicyy"')
        for verb in ("apply", "create"):
            p = self.kubectl(verb, "-f", path, ok=False)
            self.assertEqual(p.returncode, 1, p.stderr)
            self.assertIn('Error from server (BadRequest): error when creating "%s": %s' % (path, msg), p.stderr)
        self.assertIn("NotFound", self.kubectl("get", "deploy", "nested", ok=False).stderr)
        # Warn: written, each field named in a warning, and dropped as Kubernetes drops them
        p = self.kubectl("apply", "-f", path, "--validate=warn")
        self.assertEqual(p.stdout.strip(), "deployment.apps/nested created")
        self.assertIn('Warning: unknown field "spec.bogus"\n', p.stderr)
        self.assertIn('Warning: unknown field "spec.template.spec.containers[0].imagePullPolicyy"\n', p.stderr)
        got = json.loads(self.kubectl("get", "deploy", "nested", "-o", "json").stdout)
        self.assertNotIn("bogus", got["spec"])
        self.assertNotIn("imagePullPolicyy", got["spec"]["template"]["spec"]["containers"][0])
        # an update (apply's strategic merge patch) is checked on its result, at any depth
        bad = NESTED_BAD.replace("  bogus: 1\n", "").replace(
            "imagePullPolicyy: Always", "livenessProbe: {httpGet: {paht: /, port: 80}}")
        path = self.write("nested-bad.yaml", bad)
        p = self.kubectl("apply", "-f", path, ok=False)
        self.assertEqual(p.returncode, 1, p.stderr)
        self.assertIn('strict decoding error: unknown field '
                      '"spec.template.spec.containers[0].livenessProbe.httpGet.paht"', p.stderr)
        # Ignore: no warning, the field dropped
        p = self.kubectl("apply", "-f", path, "--validate=false")
        self.assertEqual((p.stdout.strip(), p.stderr), ("deployment.apps/nested configured", ""))
        got = json.loads(self.kubectl("get", "deploy", "nested", "-o", "json").stdout)
        self.assertEqual(got["spec"]["template"]["spec"]["containers"][0]["livenessProbe"]["httpGet"], {"port": 80})

    def test_11_real_world_manifests_pass_strict(self):
        example = os.path.join(os.path.dirname(__file__), "..", "..", "deploy", "examples", "echoserver.yaml")
        manifests = [example, self.write("rich.yaml", RICH_DEPLOY + "---\n" + RICH_SERVICE),
                     self.write("plain.yaml", "---\n".join([POD, DEPLOY % {"replicas": 1, "image": "nginx:1"},
                                                            NODE.replace("n1", "n-strict"),
                                                            CONFIGMAP % {"name": "plain", "extra": ""}]))]
        for path in manifests:
            p = self.kubectl("apply", "--dry-run=server", "-f", path)
            self.assertNotIn("Warning", p.stderr)
            self.assertIn("(server dry run)", p.stdout)
        p = self.kubectl("create", "-f", manifests[1])
        self.assertEqual(p.stderr, "")
        self.assertEqual(p.stdout.split(), ["deployment.apps/rich", "created", "service/rich", "created"])

if __name__ == "__main__":
    unittest.main(verbosity=2)
