/* test_api_authz_node.c: the Node authorizer as a table: a kubelet's own objects, its pods, and nothing else. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "apiserver/auth.h"
#include "apiserver/pod_refs.h"
#include "tests/lib/check_run.h"

/* Pods: default/a on n1, default/b on n2, default/c unscheduled. */
static const char *pod_node(void *ud, const char *ns, const char *name)
{
	(void)ud;
	if (strcmp(ns, "default"))
		return NULL;
	if (!strcmp(name, "a"))
		return "n1";
	if (!strcmp(name, "b"))
		return "n2";
	if (!strcmp(name, "c"))
		return "";
	return NULL;
}

/*
 * Pod default/a (on n1) runs as ServiceAccount web, mounts Secret s and
 * ConfigMap c and claim data; pod default/b (on n2) mounts Secret other.
 */
static bool node_refs(void *ud, const char *node, int kind, const char *ns, const char *name)
{
	static const struct {
		const char *node;
		int kind;
		const char *name;
	} edges[] = {
		{"n1", API_POD_REF_SA, "web"},	      {"n1", API_POD_REF_SECRET, "s"}, {"n1", API_POD_REF_CONFIGMAP, "c"},
		{"n1", API_POD_REF_PVC, "data"}, {"n2", API_POD_REF_SECRET, "other"},
	};

	(void)ud;
	for (size_t i = 0; i < sizeof(edges) / sizeof(edges[0]); i++)
		if (!strcmp(node, edges[i].node) && kind == edges[i].kind && !strcmp(ns, "default") &&
		    !strcmp(name, edges[i].name))
			return true;
	return false;
}

static const struct api_node_graph graph = {pod_node, node_refs, NULL};

enum { N = API_AUTHZ_NO_OPINION, A = API_AUTHZ_ALLOW, D = API_AUTHZ_DENY };

struct ncase {
	const char *user, *group;
	const char *verb, *ns, *api_group, *resource, *sub, *name;
	int want;
};

#define CO "coordination.k8s.io"
#define NL "kube-node-lease"

static const struct ncase cases[] = {
	/* its own Node and its status; not another's */
	{"system:node:n1", "system:nodes", "update", NULL, "", "nodes", "status", "n1", A},
	{"system:node:n1", "system:nodes", "patch", NULL, "", "nodes", NULL, "n1", A},
	{"system:node:n1", "system:nodes", "create", NULL, "", "nodes", NULL, NULL, A},
	{"system:node:n1", "system:nodes", "patch", NULL, "", "nodes", "status", "n2", D},
	{"system:node:n1", "system:nodes", "delete", NULL, "", "nodes", NULL, "n2", D},
	/* its Lease in kube-node-lease only */
	{"system:node:n1", "system:nodes", "update", NL, CO, "leases", NULL, "n1", A},
	{"system:node:n1", "system:nodes", "create", NL, CO, "leases", NULL, NULL, A},
	{"system:node:n1", "system:nodes", "update", NL, CO, "leases", NULL, "n2", D},
	{"system:node:n1", "system:nodes", "update", "default", CO, "leases", NULL, "n1", D},
	/* status of pods bound to it; not others', not unscheduled ones, never their spec */
	{"system:node:n1", "system:nodes", "patch", "default", "", "pods", "status", "a", A},
	{"system:node:n1", "system:nodes", "update", "default", "", "pods", "status", "a", A},
	{"system:node:n1", "system:nodes", "patch", "default", "", "pods", "status", "b", D},
	{"system:node:n1", "system:nodes", "patch", "default", "", "pods", "status", "c", D},
	{"system:node:n1", "system:nodes", "patch", "default", "", "pods", "status", "gone", D},
	{"system:node:n1", "system:nodes", "update", "default", "", "pods", NULL, "a", D},
	{"system:node:n1", "system:nodes", "delete", "default", "", "pods", NULL, "a", A},
	{"system:node:n1", "system:nodes", "delete", "default", "", "pods", NULL, "b", D},
	{"system:node:n1", "system:nodes", "create", "default", "", "pods", NULL, NULL, D},
	/* reads a kubelet needs; secrets one at a time only, and only those its pods name */
	{"system:node:n1", "system:nodes", "list", NULL, "", "pods", NULL, NULL, A},
	{"system:node:n1", "system:nodes", "watch", NULL, "", "services", NULL, NULL, A},
	{"system:node:n1", "system:nodes", "get", NULL, "", "nodes", NULL, "n2", A},
	{"system:node:n1", "system:nodes", "get", "default", "", "secrets", NULL, "s", A},
	{"system:node:n1", "system:nodes", "get", "default", "", "secrets", NULL, "t", D},     /* same namespace, unnamed */
	{"system:node:n1", "system:nodes", "get", "default", "", "secrets", NULL, "other", D}, /* a pod on n2's */
	{"system:node:n2", "system:nodes", "get", "default", "", "secrets", NULL, "other", A},
	{"system:node:n1", "system:nodes", "get", "kube-system", "", "secrets", NULL, "s", D},
	{"system:node:n1", "system:nodes", "get", "default", "", "configmaps", NULL, "s", D}, /* s is a Secret */
	{"system:node:n1", "system:nodes", "list", "default", "", "secrets", NULL, NULL, D},
	{"system:node:n1", "system:nodes", "list", NULL, "", "secrets", NULL, NULL, D},
	/* a list or watch of one name (fieldSelector metadata.name): how the kubelet follows what its pods mount */
	{"system:node:n1", "system:nodes", "watch", "default", "", "secrets", NULL, "s", A},
	{"system:node:n1", "system:nodes", "watch", "default", "", "secrets", NULL, "other", D},
	{"system:node:n1", "system:nodes", "list", "default", "", "configmaps", NULL, "c", A},
	{"system:node:n1", "system:nodes", "list", "default", "", "configmaps", NULL, "x", D},
	{"system:node:n1", "system:nodes", "watch", "default", "", "configmaps", NULL, NULL, D},
	/* claims: got, never listed */
	{"system:node:n1", "system:nodes", "get", "default", "", "persistentvolumeclaims", NULL, "data", A},
	{"system:node:n2", "system:nodes", "get", "default", "", "persistentvolumeclaims", NULL, "data", D},
	{"system:node:n1", "system:nodes", "watch", "default", "", "persistentvolumeclaims", NULL, "data", D},
	{"system:node:n1", "system:nodes", "list", "default", "apps", "deployments", NULL, NULL, D},
	/* tokens of the ServiceAccounts its pods run as, nothing more */
	{"system:node:n1", "system:nodes", "create", "default", "", "serviceaccounts", "token", "web", A},
	{"system:node:n2", "system:nodes", "create", "default", "", "serviceaccounts", "token", "web", D},
	{"system:node:n1", "system:nodes", "create", "default", "", "serviceaccounts", "token", "admin", D},
	{"system:node:n1", "system:nodes", "create", "kube-system", "", "serviceaccounts", "token", "web", D},
	{"system:node:n1", "system:nodes", "get", "default", "", "serviceaccounts", "token", "web", D},
	/* events: created, not deleted */
	{"system:node:n1", "system:nodes", "create", "default", "", "events", NULL, NULL, A},
	{"system:node:n1", "system:nodes", "delete", "default", "", "events", NULL, "e", D},
	/* anything else: denied; other identities: no opinion */
	{"system:node:n1", "system:nodes", "update", "default", "", "configmaps", NULL, "x", D},
	{"system:node:n1", NULL, "update", NULL, "", "nodes", NULL, "n1", N},     /* not in system:nodes */
	{"system:node:", "system:nodes", "update", NULL, "", "nodes", NULL, "", N}, /* no node name */
	{"bob", "system:nodes", "update", NULL, "", "nodes", NULL, "n1", N},
	{"alice", NULL, "get", "default", "", "pods", NULL, "a", N},
};

START_TEST(node_table)
{
	const struct ncase *t = &cases[_i];
	struct api_user u = {.name = t->user, .uid = "", .groups = {t->group}, .ngroups = t->group ? 1 : 0};
	struct api_authz_attrs a = {&u, true, t->verb, t->ns, t->api_group, t->resource, t->sub, t->name, NULL};

	ck_assert_msg((int)api_authz_node(&a, &graph, NULL) == t->want, "case %d: %s %s %s/%s%s%s %s: want %d", _i,
		      t->user, t->verb, t->ns ? t->ns : "-", t->resource, t->sub ? "/" : "", t->sub ? t->sub : "",
		      t->name ? t->name : "", t->want);
}
END_TEST

START_TEST(paths_are_rbacs_business)
{
	struct api_user u = {.name = "system:node:n1", .uid = "", .groups = {"system:nodes"}, .ngroups = 1};
	struct api_authz_attrs a = {&u, false, "get", NULL, NULL, NULL, NULL, NULL, "/healthz"};

	ck_assert_int_eq(api_authz_node(&a, &graph, NULL), API_AUTHZ_NO_OPINION);
}
END_TEST

/* A refused graph lookup says so as Kubernetes does, naming the node; other refusals give no reason. */
START_TEST(graph_refusal_reason)
{
	struct api_user u = {.name = "system:node:n1", .uid = "", .groups = {"system:nodes"}, .ngroups = 1};
	struct api_authz_attrs a = {&u, true, "get", "default", "", "secrets", NULL, "other", NULL};
	struct cm_buf why = CM_BUF_INIT;

	ck_assert_int_eq(api_authz_node(&a, &graph, &why), API_AUTHZ_DENY);
	ck_assert_str_eq(why.data, "no relationship found between node 'n1' and this object");
	cm_buf_reset(&why);
	a.verb = "list";
	a.name = NULL;
	ck_assert_int_eq(api_authz_node(&a, &graph, &why), API_AUTHZ_DENY);
	ck_assert_str_eq(why.data, "No Object name found");
	cm_buf_reset(&why);
	a.verb = "delete";
	a.resource = "nodes";
	a.ns = NULL;
	a.name = "n2";
	ck_assert_int_eq(api_authz_node(&a, &graph, &why), API_AUTHZ_DENY);
	ck_assert_uint_eq(why.len, 0);
	cm_buf_close(&why);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("api_authz_node");
	TCase *tc = tcase_create("node");
	tcase_add_loop_test(tc, node_table, 0, (int)(sizeof(cases) / sizeof(cases[0])));
	tcase_add_test(tc, paths_are_rbacs_business);
	tcase_add_test(tc, graph_refusal_reason);
	suite_add_tcase(s, tc);
	return check_run(s);
}
