/* authz_bootstrap.c: Kubernetes' default ClusterRoles and bindings (users, components, controller loops), written at start when missing. */
#include "apiserver/authz.h"

#include <stdio.h>
#include <stdlib.h>

#include "apiserver/object.h"
#include "apiserver/rest.h"
#include "common/err.h"
#include "common/log.h"
#include "common/timeutil.h"

#define CORE_NS_RES                                                                                              \
	"\"pods\",\"pods/log\",\"pods/status\",\"services\",\"services/status\",\"endpoints\",\"configmaps\","     \
	"\"events\",\"serviceaccounts\",\"persistentvolumeclaims\",\"persistentvolumeclaims/status\","            \
	"\"resourcequotas\",\"resourcequotas/status\",\"limitranges\",\"bindings\""
#define APPS_RES                                                                                                 \
	"\"deployments\",\"deployments/scale\",\"deployments/status\",\"replicasets\",\"replicasets/scale\","       \
	"\"replicasets/status\",\"daemonsets\",\"daemonsets/status\""
#define RW "[\"create\",\"delete\",\"deletecollection\",\"get\",\"list\",\"patch\",\"update\",\"watch\"]"
#define RO "[\"get\",\"list\",\"watch\"]"
#define LW "[\"list\",\"watch\"]"
/* A rule: API groups, resources (quoted, comma-separated) and verbs (a JSON array). */
#define RULE(groups, res, verbs) "{\"apiGroups\":[" groups "],\"resources\":[" res "],\"verbs\":" verbs "}"
#define CORE "\"\""
#define APPS "\"apps\",\"extensions\""
#define EVENTS_RULE RULE(CORE ",\"events.k8s.io\"", "\"events\"", "[\"create\",\"patch\",\"update\"]")
/* Leader election: any Lease may be created, only the component's own read and renewed. */
#define LEASE_RULES(name)                                                                                          \
	RULE("\"coordination.k8s.io\"", "\"leases\"", "[\"create\"]") ","                                           \
	"{\"apiGroups\":[\"coordination.k8s.io\"],\"resources\":[\"leases\"],\"resourceNames\":[\"" name "\"],"     \
	"\"verbs\":[\"get\",\"update\"]}"
#define REVIEW_RULES                                                                                               \
	RULE("\"authentication.k8s.io\"", "\"tokenreviews\"", "[\"create\"]") ","                                   \
	RULE("\"authorization.k8s.io\"", "\"subjectaccessreviews\"", "[\"create\"]")
#define SUBJECT(kind, name) "{\"apiGroup\":\"rbac.authorization.k8s.io\",\"kind\":\"" kind "\",\"name\":\"" name "\"}"
#define ROLE_REF(name) "\"roleRef\":{\"apiGroup\":\"rbac.authorization.k8s.io\",\"kind\":\"ClusterRole\",\"name\":\"" name "\"}"
/*
 * Kubernetes binds each system:controller:NAME role to the ServiceAccount
 * kube-system/NAME, which kube-controller-manager uses with
 * --use-service-account-credentials. Our controller runs every loop with its
 * own certificate (system:kube-controller-manager), like kube-controller-manager
 * without that flag, for which Kubernetes asks that the user be granted the
 * loops' roles: so the user is a second subject of each binding.
 */
#define CONTROLLER_BINDING(name)                                                                                   \
	{"ClusterRoleBinding", "system:controller:" name,                                                          \
	 "\"subjects\":[{\"kind\":\"ServiceAccount\",\"name\":\"" name "\",\"namespace\":\"kube-system\"},"           \
	 SUBJECT("User", "system:kube-controller-manager") "]," ROLE_REF("system:controller:" name)}

/* Kind, name, and the rest of the object after metadata (rules, or subjects and roleRef). */
static const char *const defaults[][3] = {
	{"ClusterRole", "cluster-admin",
	 "\"rules\":[{\"apiGroups\":[\"*\"],\"resources\":[\"*\"],\"verbs\":[\"*\"]},"
	 "{\"nonResourceURLs\":[\"*\"],\"verbs\":[\"*\"]}]"},
	/* admin: everything in a namespace, including who may do what there */
	{"ClusterRole", "admin",
	 "\"rules\":[{\"apiGroups\":[\"\"],\"resources\":[" CORE_NS_RES ",\"secrets\"],\"verbs\":" RW "},"
	 "{\"apiGroups\":[\"\"],\"resources\":[\"pods/exec\"],\"verbs\":[\"create\",\"get\"]},"
	 "{\"apiGroups\":[\"apps\"],\"resources\":[" APPS_RES "],\"verbs\":" RW "},"
	 "{\"apiGroups\":[\"coordination.k8s.io\"],\"resources\":[\"leases\"],\"verbs\":" RW "},"
	 "{\"apiGroups\":[\"rbac.authorization.k8s.io\"],\"resources\":[\"roles\",\"rolebindings\"],\"verbs\":" RW "},"
	 "{\"apiGroups\":[\"discovery.k8s.io\"],\"resources\":[\"endpointslices\"],\"verbs\":" RO "},"
	 "{\"apiGroups\":[\"\"],\"resources\":[\"namespaces\"],\"verbs\":" RO "}]"},
	/* edit: the workloads and their configuration, secrets included, but not roles */
	{"ClusterRole", "edit",
	 "\"rules\":[{\"apiGroups\":[\"\"],\"resources\":[" CORE_NS_RES ",\"secrets\"],\"verbs\":" RW "},"
	 "{\"apiGroups\":[\"\"],\"resources\":[\"pods/exec\"],\"verbs\":[\"create\",\"get\"]},"
	 "{\"apiGroups\":[\"apps\"],\"resources\":[" APPS_RES "],\"verbs\":" RW "},"
	 "{\"apiGroups\":[\"coordination.k8s.io\"],\"resources\":[\"leases\"],\"verbs\":" RW "},"
	 "{\"apiGroups\":[\"discovery.k8s.io\"],\"resources\":[\"endpointslices\"],\"verbs\":" RO "},"
	 "{\"apiGroups\":[\"\"],\"resources\":[\"namespaces\"],\"verbs\":" RO "}]"},
	/* view: read everything but secrets (reading a secret is acting as whoever it belongs to) */
	{"ClusterRole", "view",
	 "\"rules\":[{\"apiGroups\":[\"\"],\"resources\":[" CORE_NS_RES ",\"namespaces\",\"namespaces/status\"],"
	 "\"verbs\":" RO "},"
	 "{\"apiGroups\":[\"apps\"],\"resources\":[" APPS_RES "],\"verbs\":" RO "},"
	 "{\"apiGroups\":[\"coordination.k8s.io\"],\"resources\":[\"leases\"],\"verbs\":" RO "},"
	 "{\"apiGroups\":[\"discovery.k8s.io\"],\"resources\":[\"endpointslices\"],\"verbs\":" RO "}]"},
	/* system:node: what a kubelet does; the Node authorizer narrows it to the kubelet's own objects */
	{"ClusterRole", "system:node",
	 "\"rules\":[{\"apiGroups\":[\"\"],\"resources\":[\"pods\",\"nodes\",\"services\",\"endpoints\"],"
	 "\"verbs\":" RO "},"
	 "{\"apiGroups\":[\"\"],\"resources\":[\"nodes\",\"nodes/status\"],\"verbs\":[\"create\",\"get\",\"patch\",\"update\"]},"
	 "{\"apiGroups\":[\"\"],\"resources\":[\"pods/status\"],\"verbs\":[\"patch\",\"update\"]},"
	 "{\"apiGroups\":[\"\"],\"resources\":[\"pods\"],\"verbs\":[\"delete\"]},"
	 "{\"apiGroups\":[\"\"],\"resources\":[\"configmaps\",\"secrets\"],\"verbs\":" RO "},"
	 "{\"apiGroups\":[\"\"],\"resources\":[\"persistentvolumeclaims\"],\"verbs\":[\"get\"]},"
	 "{\"apiGroups\":[\"\"],\"resources\":[\"events\"],\"verbs\":[\"create\",\"patch\",\"update\"]},"
	 "{\"apiGroups\":[\"coordination.k8s.io\"],\"resources\":[\"leases\"],\"verbs\":[\"create\",\"get\",\"update\",\"patch\",\"delete\"]}]"},
	/* discovery, for anyone authenticated: enough for kubectl to find the API */
	{"ClusterRole", "system:discovery",
	 "\"rules\":[{\"nonResourceURLs\":[\"/api\",\"/api/*\",\"/apis\",\"/apis/*\",\"/healthz\",\"/livez\","
	 "\"/openapi\",\"/openapi/*\",\"/readyz\",\"/version\",\"/version/\"],\"verbs\":[\"get\"]}]"},
	/* health and version, for everyone: load balancers probe without credentials */
	{"ClusterRole", "system:public-info-viewer",
	 "\"rules\":[{\"nonResourceURLs\":[\"/healthz\",\"/livez\",\"/readyz\",\"/version\",\"/version/\"],"
	 "\"verbs\":[\"get\"]}]"},
	/* what every user may ask about itself */
	{"ClusterRole", "system:basic-user",
	 "\"rules\":[{\"apiGroups\":[\"authorization.k8s.io\"],"
	 "\"resources\":[\"selfsubjectaccessreviews\",\"selfsubjectrulesreviews\"],\"verbs\":[\"create\"]},"
	 "{\"apiGroups\":[\"authentication.k8s.io\"],\"resources\":[\"selfsubjectreviews\"],\"verbs\":[\"create\"]}]"},
	/* for servers that delegate authentication and authorization to the apiserver (TokenReview, SubjectAccessReview) */
	{"ClusterRole", "system:auth-delegator", "\"rules\":[" REVIEW_RULES "]"},
	/* metrics and detailed health, for monitoring agents (group system:monitoring) */
	{"ClusterRole", "system:monitoring",
	 "\"rules\":[{\"nonResourceURLs\":[\"/healthz\",\"/healthz/*\",\"/livez\",\"/livez/*\",\"/readyz\","
	 "\"/readyz/*\",\"/metrics\",\"/metrics/slis\"],\"verbs\":[\"get\"]}]"},
	/* the components' roles (Kubernetes' bootstrap policy, minus kinds minik8s does not serve) */
	{"ClusterRole", "system:kube-scheduler",
	 "\"rules\":[" EVENTS_RULE "," LEASE_RULES("kube-scheduler") ","
	 RULE(CORE, "\"nodes\"", RO) ","
	 RULE(CORE, "\"pods\"", "[\"delete\",\"get\",\"list\",\"watch\"]") ","
	 RULE(CORE, "\"bindings\",\"pods/binding\"", "[\"create\"]") ","
	 RULE(CORE, "\"pods/status\"", "[\"patch\",\"update\"]") ","
	 RULE(CORE, "\"replicationcontrollers\",\"services\"", RO) ","
	 RULE(APPS, "\"replicasets\"", RO) "," RULE("\"apps\"", "\"statefulsets\"", RO) ","
	 RULE("\"policy\"", "\"poddisruptionbudgets\"", RO) ","
	 RULE(CORE, "\"persistentvolumeclaims\",\"persistentvolumes\"", RO) "," REVIEW_RULES ","
	 RULE(CORE, "\"namespaces\"", RO) "]"},
	{"ClusterRole", "system:kube-controller-manager",
	 "\"rules\":[" EVENTS_RULE "," LEASE_RULES("kube-controller-manager") ","
	 RULE(CORE, "\"secrets\",\"serviceaccounts\"", "[\"create\"]") ","
	 RULE(CORE, "\"secrets\"", "[\"delete\"]") ","
	 RULE(CORE, "\"configmaps\",\"namespaces\",\"secrets\",\"serviceaccounts\"", "[\"get\"]") ","
	 RULE(CORE, "\"secrets\",\"serviceaccounts\"", "[\"update\"]") "," REVIEW_RULES ","
	 RULE("\"*\"", "\"*\"", LW) "," RULE(CORE, "\"serviceaccounts/token\"", "[\"create\"]") "]"},
	{"ClusterRole", "system:node-proxier",
	 "\"rules\":[" RULE(CORE, "\"endpoints\",\"services\"", LW) "," RULE(CORE, "\"nodes\"", RO) ","
	 EVENTS_RULE "," RULE("\"discovery.k8s.io\"", "\"endpointslices\"", LW) "]"},
	/* the controller loops minik8s runs */
	{"ClusterRole", "system:controller:replicaset-controller",
	 "\"rules\":[" RULE(APPS, "\"replicasets\"", "[\"get\",\"list\",\"update\",\"watch\"]") ","
	 RULE(APPS, "\"replicasets/status\",\"replicasets/finalizers\"", "[\"update\"]") ","
	 RULE(CORE, "\"pods\"", "[\"create\",\"delete\",\"list\",\"patch\",\"watch\"]") "," EVENTS_RULE "]"},
	{"ClusterRole", "system:controller:deployment-controller",
	 "\"rules\":[" RULE(APPS, "\"deployments\"", "[\"get\",\"list\",\"update\",\"watch\"]") ","
	 RULE(APPS, "\"deployments/status\",\"deployments/finalizers\"", "[\"update\"]") ","
	 RULE(APPS, "\"replicasets\"", "[\"create\",\"delete\",\"get\",\"list\",\"patch\",\"update\",\"watch\"]") ","
	 RULE(CORE, "\"pods\"", "[\"get\",\"list\",\"update\",\"watch\"]") "," EVENTS_RULE "]"},
	{"ClusterRole", "system:controller:daemon-set-controller",
	 "\"rules\":[" RULE(APPS, "\"daemonsets\"", RO) ","
	 RULE(APPS, "\"daemonsets/status\",\"daemonsets/finalizers\"", "[\"update\"]") ","
	 RULE(CORE, "\"nodes\"", LW) ","
	 RULE(CORE, "\"pods\"", "[\"create\",\"delete\",\"list\",\"patch\",\"watch\"]") ","
	 RULE(CORE, "\"pods/binding\"", "[\"create\"]") ","
	 RULE("\"apps\"", "\"controllerrevisions\"", "[\"create\",\"delete\",\"get\",\"list\",\"patch\",\"update\",\"watch\"]") ","
	 EVENTS_RULE "]"},
	{"ClusterRole", "system:controller:endpoint-controller",
	 "\"rules\":[" RULE(CORE, "\"pods\",\"services\"", RO) ","
	 RULE(CORE, "\"endpoints\"", "[\"create\",\"delete\",\"get\",\"list\",\"update\",\"watch\"]") ","
	 RULE(CORE, "\"endpoints/restricted\"", "[\"create\"]") "," EVENTS_RULE "]"},
	{"ClusterRole", "system:controller:endpointslice-controller",
	 "\"rules\":[" RULE(CORE, "\"nodes\",\"pods\",\"services\"", RO) ","
	 RULE(CORE, "\"services/finalizers\"", "[\"update\"]") ","
	 RULE("\"discovery.k8s.io\"", "\"endpointslices\"", "[\"create\",\"delete\",\"get\",\"list\",\"update\",\"watch\"]") ","
	 EVENTS_RULE "]"},
	{"ClusterRole", "system:controller:node-controller",
	 "\"rules\":[" RULE(CORE, "\"nodes\"", "[\"delete\",\"get\",\"list\",\"patch\",\"update\",\"watch\"]") ","
	 RULE(CORE, "\"nodes/status\",\"pods/status\"", "[\"patch\",\"update\"]") ","
	 RULE(CORE, "\"pods\"", "[\"delete\",\"get\",\"list\",\"watch\"]") "," EVENTS_RULE "]"},
	{"ClusterRole", "system:controller:generic-garbage-collector",
	 "\"rules\":[" RULE("\"*\"", "\"*\"", "[\"delete\",\"get\",\"list\",\"patch\",\"update\",\"watch\"]") ","
	 EVENTS_RULE "]"},
	{"ClusterRole", "system:controller:namespace-controller",
	 "\"rules\":[" RULE(CORE, "\"namespaces\"", "[\"delete\",\"get\",\"list\",\"watch\"]") ","
	 RULE(CORE, "\"namespaces/finalize\",\"namespaces/status\"", "[\"update\"]") ","
	 RULE("\"*\"", "\"*\"", "[\"delete\",\"deletecollection\",\"get\",\"list\",\"watch\"]") "]"},
	{"ClusterRole", "system:controller:service-controller",
	 "\"rules\":[" RULE(CORE, "\"services\"", RO) "," RULE(CORE, "\"services/status\"", "[\"patch\",\"update\"]") ","
	 RULE(CORE, "\"nodes\"", LW) "," EVENTS_RULE "]"},
	{"ClusterRoleBinding", "system:kube-scheduler",
	 "\"subjects\":[" SUBJECT("User", "system:kube-scheduler") "]," ROLE_REF("system:kube-scheduler")},
	{"ClusterRoleBinding", "system:kube-controller-manager",
	 "\"subjects\":[" SUBJECT("User", "system:kube-controller-manager") "]," ROLE_REF("system:kube-controller-manager")},
	{"ClusterRoleBinding", "system:node-proxier",
	 "\"subjects\":[" SUBJECT("User", "system:kube-proxy") "]," ROLE_REF("system:node-proxier")},
	CONTROLLER_BINDING("replicaset-controller"),
	CONTROLLER_BINDING("deployment-controller"),
	CONTROLLER_BINDING("daemon-set-controller"),
	CONTROLLER_BINDING("endpoint-controller"),
	CONTROLLER_BINDING("endpointslice-controller"),
	CONTROLLER_BINDING("node-controller"),
	CONTROLLER_BINDING("generic-garbage-collector"),
	CONTROLLER_BINDING("namespace-controller"),
	CONTROLLER_BINDING("service-controller"),
	{"ClusterRoleBinding", "system:discovery",
	 "\"subjects\":[{\"apiGroup\":\"rbac.authorization.k8s.io\",\"kind\":\"Group\",\"name\":\"system:authenticated\"}],"
	 "\"roleRef\":{\"apiGroup\":\"rbac.authorization.k8s.io\",\"kind\":\"ClusterRole\",\"name\":\"system:discovery\"}"},
	{"ClusterRoleBinding", "system:public-info-viewer",
	 "\"subjects\":[{\"apiGroup\":\"rbac.authorization.k8s.io\",\"kind\":\"Group\",\"name\":\"system:authenticated\"},"
	 "{\"apiGroup\":\"rbac.authorization.k8s.io\",\"kind\":\"Group\",\"name\":\"system:unauthenticated\"}],"
	 "\"roleRef\":{\"apiGroup\":\"rbac.authorization.k8s.io\",\"kind\":\"ClusterRole\",\"name\":\"system:public-info-viewer\"}"},
	{"ClusterRoleBinding", "system:basic-user",
	 "\"subjects\":[{\"apiGroup\":\"rbac.authorization.k8s.io\",\"kind\":\"Group\",\"name\":\"system:authenticated\"}],"
	 "\"roleRef\":{\"apiGroup\":\"rbac.authorization.k8s.io\",\"kind\":\"ClusterRole\",\"name\":\"system:basic-user\"}"},
	{"ClusterRoleBinding", "system:monitoring",
	 "\"subjects\":[{\"apiGroup\":\"rbac.authorization.k8s.io\",\"kind\":\"Group\",\"name\":\"system:monitoring\"}],"
	 "\"roleRef\":{\"apiGroup\":\"rbac.authorization.k8s.io\",\"kind\":\"ClusterRole\",\"name\":\"system:monitoring\"}"},
	{"ClusterRoleBinding", "cluster-admin",
	 "\"subjects\":[{\"apiGroup\":\"rbac.authorization.k8s.io\",\"kind\":\"Group\",\"name\":\"system:masters\"}],"
	 "\"roleRef\":{\"apiGroup\":\"rbac.authorization.k8s.io\",\"kind\":\"ClusterRole\",\"name\":\"cluster-admin\"}"},
};

struct boot_write {
	struct api_server *srv;
	size_t i; /* in defaults */
};

static int put_default(struct boot_write *b);

static void written(int err, const struct api_kv_result *r, void *ud)
{
	struct boot_write *b = ud;
	struct api_server *srv = b->srv;

	(void)r;
	if (err == -ECANCELED) {
		free(b);
		return;
	}
	/*
	 * A conflict means it exists: an administrator's edits are kept. Any
	 * other failure (the store slow or without quorum at boot) is tried
	 * again, paced by the storage's own timeout: without these objects every
	 * component is refused for good.
	 */
	if (err && err != -CM_ECONFLICT) {
		cm_warn("bootstrap rbac %s %s: cannot create (%s), trying again", defaults[b->i][0], defaults[b->i][1],
			cm_strerror(err));
		if (put_default(b) == 0)
			return;
	}
	free(b);
	srv->rbac_pending--;
}

static int put_default(struct boot_write *b)
{
	struct api_server *srv = b->srv;
	const char *const *d = defaults[b->i];
	struct cm_buf key = CM_BUF_INIT, val = CM_BUF_INIT;
	bool binding = d[0][11] == 'B'; /* "ClusterRoleBinding" */
	uint64_t a = api_rand(srv);
	char now[CM_RFC3339_LEN];
	int rc;

	api_obj_now(cm_time_wall_ms(), now);
	rc = cm_buf_printf(&key, "/registry/rbac.authorization.k8s.io/%s/%s",
			   binding ? "clusterrolebindings" : "clusterroles", d[1]);
	if (!rc)
		rc = cm_buf_printf(&val,
				   "{\"apiVersion\":\"rbac.authorization.k8s.io/v1\",\"kind\":\"%s\",\"metadata\":{\"name\":\"%s\","
				   "\"uid\":\"%08x-0000-4000-8000-%012llx\",\"creationTimestamp\":\"%s\","
				   "\"labels\":{\"kubernetes.io/bootstrapping\":\"rbac-defaults\"},"
				   "\"annotations\":{\"rbac.authorization.kubernetes.io/autoupdate\":\"true\"}},%s}",
				   d[0], d[1], (unsigned)(a >> 32), (unsigned long long)(a & 0xffffffffffffULL), now, d[2]);
	if (!rc)
		rc = api_storage_put(srv->store, key.data, val.data, val.len, 0, 0, NULL, 0, NULL, 0, written, b);
	cm_buf_close(&key);
	cm_buf_close(&val);
	return rc;
}

void api_auth_bootstrap(struct api_server *srv)
{
	if (!api_auth_rbac_enabled(srv->auth))
		return;
	srv->rbac_started = true;
	for (size_t i = 0; i < sizeof(defaults) / sizeof(defaults[0]); i++) {
		struct boot_write *b = malloc(sizeof(*b));

		if (!b) {
			cm_error("bootstrap rbac %s %s: out of memory", defaults[i][0], defaults[i][1]);
			continue;
		}
		b->srv = srv;
		b->i = i;
		if (put_default(b) == 0)
			srv->rbac_pending++;
		else
			free(b);
	}
}
