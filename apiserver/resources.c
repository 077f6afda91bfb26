/* resources.c: every resource the apiserver serves: group, version, names, scope, subresources. */
#include "apiserver/resources.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#define SUB API_SUBDOMAIN
#define API_SUBDOMAIN API_NAME_DNS1123_SUBDOMAIN

const struct api_resource api_resources[API_NRES] = {
	{0, "", "v1", "namespaces", "namespace", "Namespace", false, {"ns"}, false, API_SUB_STATUS | API_SUB_FINALIZE,
	 API_NAME_DNS1123_LABEL, &api_strategy_namespace},
	{1, "", "v1", "pods", "pod", "Pod", true, {"po"}, true, API_SUB_STATUS | API_SUB_BINDING | API_SUB_LOG | API_SUB_EXEC,
	 SUB, &api_strategy_pod},
	{2, "", "v1", "services", "service", "Service", true, {"svc"}, true, API_SUB_STATUS,
	 API_NAME_DNS1035_LABEL, &api_strategy_service},
	{3, "", "v1", "endpoints", "endpoints", "Endpoints", true, {"ep"}, false, 0, SUB,
	 &api_strategy_endpoints},
	{4, "", "v1", "nodes", "node", "Node", false, {"no"}, false, API_SUB_STATUS, SUB,
	 &api_strategy_node},
	{5, "", "v1", "configmaps", "configmap", "ConfigMap", true, {"cm"}, false, 0, SUB, &api_strategy_generic},
	{6, "", "v1", "secrets", "secret", "Secret", true, {NULL}, false, 0, SUB, &api_strategy_generic},
	{7, "", "v1", "events", "event", "Event", true, {"ev"}, false, 0, SUB,
	 &api_strategy_event},
	{8, "", "v1", "serviceaccounts", "serviceaccount", "ServiceAccount", true, {"sa"}, false, API_SUB_TOKEN, SUB, &api_strategy_generic},
	{9, "apps", "v1", "deployments", "deployment", "Deployment", true, {"deploy"}, true,
	 API_SUB_STATUS | API_SUB_SCALE, SUB, &api_strategy_deployment},
	{10, "apps", "v1", "replicasets", "replicaset", "ReplicaSet", true, {"rs"}, true,
	 API_SUB_STATUS | API_SUB_SCALE, SUB, &api_strategy_replicaset},
	{11, "apps", "v1", "daemonsets", "daemonset", "DaemonSet", true, {"ds"}, true, API_SUB_STATUS, SUB, &api_strategy_daemonset},
	{12, "coordination.k8s.io", "v1", "leases", "lease", "Lease", true, {NULL}, false, 0, SUB,
	 &api_strategy_generic},
	{13, "", "v1", "persistentvolumeclaims", "persistentvolumeclaim", "PersistentVolumeClaim", true,
	 {"pvc"}, false, API_SUB_STATUS, SUB, &api_strategy_generic},
	{14, "", "v1", "resourcequotas", "resourcequota", "ResourceQuota", true, {"quota"}, false,
	 API_SUB_STATUS, SUB, &api_strategy_generic},
	{15, "", "v1", "limitranges", "limitrange", "LimitRange", true, {"limits"}, false, 0, SUB,
	 &api_strategy_generic},
	/* RBAC objects (rbac.c evaluates them; authz_cache.c follows them) */
	{16, "rbac.authorization.k8s.io", "v1", "roles", "role", "Role", true, {NULL}, false, 0, API_NAME_PATH_SEGMENT,
	 &api_strategy_generic},
	{17, "rbac.authorization.k8s.io", "v1", "clusterroles", "clusterrole", "ClusterRole", false, {NULL}, false, 0,
	 API_NAME_PATH_SEGMENT, &api_strategy_generic},
	{18, "rbac.authorization.k8s.io", "v1", "rolebindings", "rolebinding", "RoleBinding", true, {NULL}, false, 0,
	 API_NAME_PATH_SEGMENT, &api_strategy_generic},
	{19, "rbac.authorization.k8s.io", "v1", "clusterrolebindings", "clusterrolebinding", "ClusterRoleBinding",
	 false, {NULL}, false, 0, API_NAME_PATH_SEGMENT, &api_strategy_generic},
	/* written by the controller-manager's EndpointSlice controller; kubectl describe svc reads them */
	{20, "discovery.k8s.io", "v1", "endpointslices", "endpointslice", "EndpointSlice", true, {NULL}, false, 0, SUB, &api_strategy_endpointslice},
};

const struct api_resource *api_resource_find(const char *group, const char *version, const char *plural)
{
	for (int i = 0; i < API_NRES; i++) {
		const struct api_resource *r = &api_resources[i];

		if (!strcmp(r->group, group ? group : "") && !strcmp(r->version, version) &&
		    !strcmp(r->plural, plural))
			return r;
	}
	return NULL;
}

int api_resource_api_version(const struct api_resource *r, struct cm_buf *out)
{
	if (r->group[0])
		return cm_buf_printf(out, "%s/%s", r->group, r->version);
	return cm_buf_puts(out, r->version);
}

int api_resource_key(const struct api_resource *r, const char *ns, const char *name, struct cm_buf *out)
{
	int rc = cm_buf_printf(out, "/registry/%s%s%s/", r->group[0] ? r->group : "", r->group[0] ? "/" : "",
			       r->plural);

	if (!rc && r->namespaced && ns && *ns)
		rc = cm_buf_printf(out, "%s/", ns);
	if (!rc && name)
		rc = cm_buf_puts(out, name);
	return rc;
}

const char *const *api_resource_field_labels(const struct api_resource *r)
{
	/* what kube-apiserver accepts in fieldSelector, besides metadata.name and metadata.namespace */
	static const char *const pods[] = {"spec.nodeName", "spec.restartPolicy", "spec.schedulerName",
					   "spec.serviceAccountName", "spec.hostNetwork", "status.phase",
					   "status.podIP", "status.nominatedNodeName", NULL};
	static const char *const events[] = {"involvedObject.kind", "involvedObject.namespace", "involvedObject.name",
					     "involvedObject.uid", "involvedObject.apiVersion",
					     "involvedObject.resourceVersion", "involvedObject.fieldPath", "reason",
					     "reportingComponent", "source", "type", NULL};
	static const char *const nodes[] = {"spec.unschedulable", NULL};
	static const char *const secrets[] = {"type", NULL};
	static const char *const namespaces[] = {"status.phase", NULL};
	static const char *const none[] = {NULL};

	if (!strcmp(r->plural, "pods"))
		return pods;
	if (!strcmp(r->plural, "events"))
		return events;
	if (!strcmp(r->plural, "nodes"))
		return nodes;
	if (!strcmp(r->plural, "secrets"))
		return secrets;
	if (!strcmp(r->plural, "namespaces"))
		return namespaces;
	return none;
}

void api_alloc_close(struct api_alloc *a)
{
	for (int i = 0; i < a->ntake; i++)
		free(a->take[i]);
	for (int i = 0; i < a->nrelease; i++)
		free(a->release[i]);
	free(a->taken_field);
	free(a->taken_value);
	memset(a, 0, sizeof(*a));
}

static int add_key(char **v, int *n, const char *fmt, va_list ap)
{
	struct cm_buf b = CM_BUF_INIT;

	if (*n >= API_ALLOC_MAX)
		return -ENOSPC;
	if (cm_buf_vprintf(&b, fmt, ap) < 0)
		return -ENOMEM;
	v[(*n)++] = cm_buf_take(&b);
	return 0;
}

int api_alloc_take(struct api_alloc *a, const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = add_key(a->take, &a->ntake, fmt, ap);
	va_end(ap);
	return rc;
}

int api_alloc_release(struct api_alloc *a, const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = add_key(a->release, &a->nrelease, fmt, ap);
	va_end(ap);
	return rc;
}
