/* resource.c: the static table of resource types the apiserver serves, and their names and paths. */
#include "ctl/resource.h"

#include <stddef.h>
#include <string.h>
#include <strings.h>

/* Kept in step with the apiserver's discovery (apiserver/resources.c); get all lists in_all ones in this order. */
static const struct mc_resource resources[] = {
	{"", "v1", "pods", "pod", "Pod", "po", true, true},
	{"", "v1", "services", "service", "Service", "svc", true, true},
	{"apps", "v1", "daemonsets", "daemonset", "DaemonSet", "ds", true, true},
	{"apps", "v1", "deployments", "deployment", "Deployment", "deploy", true, true},
	{"apps", "v1", "replicasets", "replicaset", "ReplicaSet", "rs", true, true},
	{"", "v1", "namespaces", "namespace", "Namespace", "ns", false, false},
	{"", "v1", "nodes", "node", "Node", "no", false, false},
	{"", "v1", "endpoints", "endpoints", "Endpoints", "ep", true, false},
	{"", "v1", "configmaps", "configmap", "ConfigMap", "cm", true, false},
	{"", "v1", "secrets", "secret", "Secret", NULL, true, false},
	{"", "v1", "events", "event", "Event", "ev", true, false},
	{"", "v1", "serviceaccounts", "serviceaccount", "ServiceAccount", "sa", true, false},
	{"", "v1", "persistentvolumeclaims", "persistentvolumeclaim", "PersistentVolumeClaim", "pvc", true, false},
	{"", "v1", "resourcequotas", "resourcequota", "ResourceQuota", "quota", true, false},
	{"", "v1", "limitranges", "limitrange", "LimitRange", "limits", true, false},
	{"coordination.k8s.io", "v1", "leases", "lease", "Lease", NULL, true, false},
	{"discovery.k8s.io", "v1", "endpointslices", "endpointslice", "EndpointSlice", NULL, true, false},
	{"rbac.authorization.k8s.io", "v1", "roles", "role", "Role", NULL, true, false},
	{"rbac.authorization.k8s.io", "v1", "rolebindings", "rolebinding", "RoleBinding", NULL, true, false},
	{"rbac.authorization.k8s.io", "v1", "clusterroles", "clusterrole", "ClusterRole", NULL, false, false},
	{"rbac.authorization.k8s.io", "v1", "clusterrolebindings", "clusterrolebinding", "ClusterRoleBinding", NULL, false,
	 false},
};
#define NRES (sizeof(resources) / sizeof(resources[0]))

const struct mc_resource *mc_resource_at(int i)
{
	return i >= 0 && (size_t)i < NRES ? &resources[i] : NULL;
}

const struct mc_resource *mc_resource_find(const char *word)
{
	const char *dot = strchr(word, '.');
	size_t len = dot ? (size_t)(dot - word) : strlen(word);

	for (size_t i = 0; i < NRES; i++) {
		const struct mc_resource *r = &resources[i];
		if (dot && strcasecmp(dot + 1, r->group) != 0)
			continue;
		if ((strlen(r->name) == len && !strncasecmp(word, r->name, len)) ||
		    (strlen(r->singular) == len && !strncasecmp(word, r->singular, len)) ||
		    (r->shortname && strlen(r->shortname) == len && !strncasecmp(word, r->shortname, len)))
			return r;
	}
	return NULL;
}

const struct mc_resource *mc_resource_by_kind(const char *api_version, const char *kind)
{
	if (!kind)
		return NULL;
	for (size_t i = 0; i < NRES; i++) {
		const struct mc_resource *r = &resources[i];
		if (strcmp(r->kind, kind) == 0 && (!api_version || strcmp(api_version, mc_resource_api_version(r)) == 0))
			return r;
	}
	return NULL;
}

const char *mc_resource_api_version(const struct mc_resource *r)
{
	if (!r->group[0])
		return r->version;
	if (!strcmp(r->group, "apps"))
		return "apps/v1";
	return "coordination.k8s.io/v1";
}

int mc_resource_qualified(const struct mc_resource *r, struct cm_buf *out)
{
	if (r->group[0])
		return cm_buf_printf(out, "%s.%s", r->singular, r->group);
	return cm_buf_puts(out, r->singular);
}

int mc_resource_path(const struct mc_resource *r, const char *ns, const char *name, struct cm_buf *out)
{
	int rc;

	if (r->group[0])
		rc = cm_buf_printf(out, "/apis/%s/%s", r->group, r->version);
	else
		rc = cm_buf_printf(out, "/api/%s", r->version);
	if (!rc && r->namespaced && ns && *ns)
		rc = cm_buf_printf(out, "/namespaces/%s", ns);
	if (!rc)
		rc = cm_buf_printf(out, "/%s", r->name);
	if (!rc && name)
		rc = cm_buf_printf(out, "/%s", name);
	return rc;
}
