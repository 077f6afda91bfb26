/* authz_node.c: the Node authorizer: a kubelet may write only its own Node, its Lease, its pods' status and their tokens, and read only what its pods name. */
#include "apiserver/auth.h"

#include <string.h>

#include "apiserver/pod_refs.h"

#define NODE_PREFIX "system:node:"

static bool is(const char *a, const char *b)
{
	return a && b && !strcmp(a, b);
}

static bool verb_in(const char *verb, const char *const *list)
{
	for (; *list; list++)
		if (!strcmp(verb, *list))
			return true;
	return false;
}

static const char *const reads[] = {"get", "list", "watch", NULL};
static const char *const writes[] = {"create", "update", "patch", "delete", NULL};

/* Resources a kubelet reads in full to run its pods: the pods, nodes, services and endpoints of the cluster. */
static bool readable(const struct api_authz_attrs *a)
{
	static const char *const core[] = {"pods", "nodes", "services", "endpoints", "namespaces", NULL};

	if (!*a->group && verb_in(a->resource, core))
		return true;
	return is(a->group, "coordination.k8s.io") && is(a->resource, "leases") && is(a->ns, "kube-node-lease");
}

/*
 * The kind of graph edge a read of a's resource needs, or 0 when the resource
 * is not one a kubelet reads through its pods. Secrets and ConfigMaps may be
 * listed or watched by one name (fieldSelector metadata.name: how the kubelet
 * follows what its pods mount); claims only got, as in Kubernetes.
 */
static int ref_kind(const struct api_authz_attrs *a)
{
	if (*a->group)
		return 0;
	if (is(a->resource, "secrets"))
		return API_POD_REF_SECRET;
	if (is(a->resource, "configmaps"))
		return API_POD_REF_CONFIGMAP;
	if (is(a->resource, "persistentvolumeclaims"))
		return is(a->verb, "get") ? API_POD_REF_PVC : -1;
	return 0;
}

/* ALLOW when a pod bound to node names ns/name of kind, else DENY with Kubernetes' reason. */
static enum api_authz_decision by_graph(const struct api_node_graph *g, const char *node, int kind, const char *ns,
					const char *name, struct cm_buf *why)
{
	if (name && *name && ns && *ns && g->node_refs && g->node_refs(g->ud, node, kind, ns, name))
		return API_AUTHZ_ALLOW;
	if (why && (!name || !*name))
		cm_buf_puts(why, "No Object name found");
	else if (why)
		cm_buf_printf(why, "no relationship found between node '%s' and this object", node);
	return API_AUTHZ_DENY;
}

enum api_authz_decision api_authz_node(const struct api_authz_attrs *a, const struct api_node_graph *g,
				       struct cm_buf *why)
{
	const struct api_user *u = a->user;
	const char *node;

	if (!u || strncmp(u->name, NODE_PREFIX, sizeof(NODE_PREFIX) - 1) || !api_user_in_group(u, "system:nodes"))
		return API_AUTHZ_NO_OPINION;
	node = u->name + sizeof(NODE_PREFIX) - 1;
	if (!*node)
		return API_AUTHZ_NO_OPINION;
	if (!a->resource_request)
		return API_AUTHZ_NO_OPINION; /* discovery paths: RBAC's business */
	if (!a->group)
		return API_AUTHZ_DENY;
	if (verb_in(a->verb, reads) && !(a->subresource && *a->subresource)) {
		int kind = ref_kind(a);

		if (kind > 0)
			return by_graph(g, node, kind, a->ns, a->name, why);
		if (kind == 0 && readable(a))
			return API_AUTHZ_ALLOW;
		return API_AUTHZ_DENY;
	}
	if (!verb_in(a->verb, writes))
		return API_AUTHZ_DENY;
	if (*a->group == '\0' && is(a->resource, "nodes")) {
		/* its own Node object and status, created at registration */
		return is(a->name, node) || (is(a->verb, "create") && (!a->name || !*a->name)) ? API_AUTHZ_ALLOW
											     : API_AUTHZ_DENY;
	}
	if (is(a->group, "coordination.k8s.io") && is(a->resource, "leases")) {
		if (!is(a->ns, "kube-node-lease"))
			return API_AUTHZ_DENY;
		return is(a->name, node) || (is(a->verb, "create") && (!a->name || !*a->name)) ? API_AUTHZ_ALLOW
											     : API_AUTHZ_DENY;
	}
	if (*a->group == '\0' && is(a->resource, "events"))
		return is(a->verb, "delete") ? API_AUTHZ_DENY : API_AUTHZ_ALLOW;
	if (*a->group == '\0' && is(a->resource, "pods") && a->name && *a->name) {
		const char *bound;
		bool status = is(a->subresource, "status");

		/* a kubelet reports status of its pods and removes them once they are gone; it cannot rewrite specs */
		if (!(status && (is(a->verb, "update") || is(a->verb, "patch"))) &&
		    !(!a->subresource && is(a->verb, "delete")))
			return API_AUTHZ_DENY;
		bound = g->pod_node ? g->pod_node(g->ud, a->ns ? a->ns : "", a->name) : NULL;
		return bound && !strcmp(bound, node) ? API_AUTHZ_ALLOW : API_AUTHZ_DENY;
	}
	if (*a->group == '\0' && is(a->resource, "serviceaccounts") && is(a->subresource, "token") &&
	    is(a->verb, "create") && a->ns && a->name && *a->name) {
		/* the projected token of a pod it runs (kube-api-access-*), as Kubernetes' node graph allows */
		return by_graph(g, node, API_POD_REF_SA, a->ns, a->name, why);
	}
	return API_AUTHZ_DENY;
}
