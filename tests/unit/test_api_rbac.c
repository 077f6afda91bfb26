/* test_api_rbac.c: RBAC rule matching, subjects, bindings by scope, and Kubernetes' 403 message, as tables of cases. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "apiserver/auth.h"
#include "tests/lib/check_run.h"

/* A fake cluster: roles and bindings as JSON, found by kind, namespace and name. */
static const char *const objects[] = {
	"{\"kind\":\"ClusterRole\",\"metadata\":{\"name\":\"reader\"},\"rules\":[{\"apiGroups\":[\"\",\"apps\"],"
	"\"resources\":[\"pods\",\"deployments\"],\"verbs\":[\"get\",\"list\",\"watch\"]}]}",
	"{\"kind\":\"ClusterRole\",\"metadata\":{\"name\":\"status-writer\"},\"rules\":[{\"apiGroups\":[\"\"],"
	"\"resources\":[\"pods/status\"],\"verbs\":[\"update\",\"patch\"]}]}",
	"{\"kind\":\"ClusterRole\",\"metadata\":{\"name\":\"health\"},\"rules\":[{\"nonResourceURLs\":[\"/healthz\",\"/apis/*\"],"
	"\"verbs\":[\"get\"]}]}",
	"{\"kind\":\"ClusterRole\",\"metadata\":{\"name\":\"all\"},\"rules\":[{\"apiGroups\":[\"*\"],\"resources\":[\"*\"],"
	"\"verbs\":[\"*\"]}]}",
	"{\"kind\":\"Role\",\"metadata\":{\"name\":\"cm-one\",\"namespace\":\"team\"},\"rules\":[{\"apiGroups\":[\"\"],"
	"\"resources\":[\"configmaps\"],\"resourceNames\":[\"settings\"],\"verbs\":[\"get\",\"update\"]}]}",
	/* bindings */
	"{\"kind\":\"ClusterRoleBinding\",\"metadata\":{\"name\":\"b1\"},\"subjects\":[{\"kind\":\"User\",\"name\":\"bob\"}],"
	"\"roleRef\":{\"kind\":\"ClusterRole\",\"name\":\"reader\"}}",
	"{\"kind\":\"ClusterRoleBinding\",\"metadata\":{\"name\":\"b2\"},\"subjects\":[{\"kind\":\"Group\",\"name\":\"ops\"}],"
	"\"roleRef\":{\"kind\":\"ClusterRole\",\"name\":\"health\"}}",
	"{\"kind\":\"RoleBinding\",\"metadata\":{\"name\":\"b3\",\"namespace\":\"team\"},\"subjects\":[{\"kind\":\"User\","
	"\"name\":\"carol\"}],\"roleRef\":{\"kind\":\"ClusterRole\",\"name\":\"all\"}}",
	"{\"kind\":\"RoleBinding\",\"metadata\":{\"name\":\"b4\",\"namespace\":\"team\"},\"subjects\":[{\"kind\":\"ServiceAccount\","
	"\"name\":\"robot\"}],\"roleRef\":{\"kind\":\"Role\",\"name\":\"cm-one\"}}",
	"{\"kind\":\"RoleBinding\",\"metadata\":{\"name\":\"b5\",\"namespace\":\"team\"},\"subjects\":[{\"kind\":\"User\","
	"\"name\":\"dave\"}],\"roleRef\":{\"kind\":\"ClusterRole\",\"name\":\"status-writer\"}}",
	/* a binding to a role that does not exist grants nothing */
	"{\"kind\":\"ClusterRoleBinding\",\"metadata\":{\"name\":\"b6\"},\"subjects\":[{\"kind\":\"User\",\"name\":\"erin\"}],"
	"\"roleRef\":{\"kind\":\"ClusterRole\",\"name\":\"missing\"}}",
};
#define NOBJ (sizeof(objects) / sizeof(objects[0]))

static cJSON *parsed[NOBJ];

static void setup(void)
{
	for (size_t i = 0; i < NOBJ; i++) {
		parsed[i] = cJSON_Parse(objects[i]);
		ck_assert_ptr_nonnull(parsed[i]);
	}
}

static void teardown(void)
{
	for (size_t i = 0; i < NOBJ; i++)
		cJSON_Delete(parsed[i]);
}

static const char *str(const cJSON *o, const char *a, const char *b)
{
	const cJSON *x = cJSON_GetObjectItemCaseSensitive(o, a);

	x = b ? cJSON_GetObjectItemCaseSensitive(x, b) : x;
	return cJSON_IsString(x) ? x->valuestring : "";
}

static void each(const char *kind, const char *ns, int (*fn)(const cJSON *, void *), void *arg)
{
	for (size_t i = 0; i < NOBJ; i++)
		if (!strcmp(str(parsed[i], "kind", NULL), kind) && (!ns || !strcmp(str(parsed[i], "metadata", "namespace"), ns)) &&
		    fn(parsed[i], arg))
			return;
}

static void crbs(void *ud, int (*fn)(const cJSON *, void *), void *arg)
{
	(void)ud;
	each("ClusterRoleBinding", NULL, fn, arg);
}

static void rbs(void *ud, const char *ns, int (*fn)(const cJSON *, void *), void *arg)
{
	(void)ud;
	each("RoleBinding", ns, fn, arg);
}

static const cJSON *find(const char *kind, const char *ns, const char *name)
{
	for (size_t i = 0; i < NOBJ; i++)
		if (!strcmp(str(parsed[i], "kind", NULL), kind) && !strcmp(str(parsed[i], "metadata", "name"), name) &&
		    (!ns || !strcmp(str(parsed[i], "metadata", "namespace"), ns)))
			return parsed[i];
	return NULL;
}

static const cJSON *cr(void *ud, const char *name)
{
	(void)ud;
	return find("ClusterRole", NULL, name);
}

static const cJSON *role(void *ud, const char *ns, const char *name)
{
	(void)ud;
	return find("Role", ns, name);
}

static const struct api_rbac_source src = {crbs, rbs, cr, role, NULL};

struct rcase {
	const char *user, *group; /* one optional group */
	const char *verb, *ns, *api_group, *resource, *sub, *name;
	const char *path; /* set: a non-resource request */
	bool allowed;
};

static const struct rcase cases[] = {
	/* bob reads pods and deployments anywhere, nothing else */
	{"bob", NULL, "get", "default", "", "pods", NULL, "web", NULL, true},
	{"bob", NULL, "list", NULL, "", "pods", NULL, NULL, NULL, true},
	{"bob", NULL, "watch", "x", "apps", "deployments", NULL, NULL, NULL, true},
	{"bob", NULL, "create", "default", "", "pods", NULL, NULL, NULL, false},
	{"bob", NULL, "get", "default", "", "secrets", NULL, "s", NULL, false},
	{"bob", NULL, "get", "default", "apps", "pods", NULL, "web", NULL, true},  /* groups and resources cross */
	{"bob", NULL, "get", "default", "batch", "pods", NULL, "web", NULL, false},
	/* "pods" does not cover its subresources */
	{"bob", NULL, "get", "default", "", "pods", "status", "web", NULL, false},
	{"bob", NULL, "get", "default", "", "pods", "log", "web", NULL, false},
	/* dave may write pods/status in team only (RoleBinding to a ClusterRole) */
	{"dave", NULL, "update", "team", "", "pods", "status", "p", NULL, true},
	{"dave", NULL, "patch", "team", "", "pods", "status", "p", NULL, true},
	{"dave", NULL, "update", "team", "", "pods", NULL, "p", NULL, false},
	{"dave", NULL, "update", "other", "", "pods", "status", "p", NULL, false},
	{"dave", NULL, "update", NULL, "", "pods", "status", "p", NULL, false},
	/* carol: everything in team through a wildcard role, nothing outside, no paths */
	{"carol", NULL, "delete", "team", "apps", "deployments", NULL, "d", NULL, true},
	{"carol", NULL, "create", "team", "", "pods", "binding", "p", NULL, true},
	{"carol", NULL, "list", NULL, "", "nodes", NULL, NULL, NULL, false},
	{"carol", NULL, "get", "default", "", "pods", NULL, "p", NULL, false},
	{"carol", NULL, "get", NULL, NULL, NULL, NULL, NULL, "/healthz", false},
	/* resourceNames: one object, never a list or a create */
	{"system:serviceaccount:team:robot", NULL, "get", "team", "", "configmaps", NULL, "settings", NULL, true},
	{"system:serviceaccount:team:robot", NULL, "update", "team", "", "configmaps", NULL, "settings", NULL, true},
	{"system:serviceaccount:team:robot", NULL, "get", "team", "", "configmaps", NULL, "other", NULL, false},
	{"system:serviceaccount:team:robot", NULL, "list", "team", "", "configmaps", NULL, NULL, NULL, false},
	{"system:serviceaccount:team:robot", NULL, "delete", "team", "", "configmaps", NULL, "settings", NULL, false},
	{"system:serviceaccount:other:robot", NULL, "get", "team", "", "configmaps", NULL, "settings", NULL, false},
	{"system:serviceaccount:team:robot2", NULL, "get", "team", "", "configmaps", NULL, "settings", NULL, false},
	/* groups and nonResourceURLs, exact and prefix */
	{"zed", "ops", "get", NULL, NULL, NULL, NULL, NULL, "/healthz", true},
	{"zed", "ops", "get", NULL, NULL, NULL, NULL, NULL, "/apis/apps/v1", true},
	{"zed", "ops", "get", NULL, NULL, NULL, NULL, NULL, "/api", false},
	{"zed", "ops", "post", NULL, NULL, NULL, NULL, NULL, "/healthz", false},
	{"zed", "ops", "get", "default", "", "pods", NULL, NULL, NULL, false}, /* a path rule is no resource rule */
	{"zed", "dev", "get", NULL, NULL, NULL, NULL, NULL, "/healthz", false},
	/* a binding whose role is missing, and nobody at all */
	{"erin", NULL, "get", "default", "", "pods", NULL, "p", NULL, false},
	{"system:anonymous", "system:unauthenticated", "get", "default", "", "pods", NULL, "p", NULL, false},
};

START_TEST(rbac_table)
{
	const struct rcase *t = &cases[_i];
	struct api_user u = {.name = t->user, .uid = "", .groups = {t->group}, .ngroups = t->group ? 1 : 0};
	struct api_authz_attrs a = {&u, t->path == NULL, t->verb, t->ns, t->api_group, t->resource, t->sub, t->name,
				    t->path};

	ck_assert_msg(api_rbac_allows(&src, &a) == t->allowed, "case %d: %s %s %s/%s%s%s %s: want %s", _i, t->user,
		      t->verb, t->ns ? t->ns : "-", t->resource ? t->resource : t->path, t->sub ? "/" : "",
		      t->sub ? t->sub : "", t->name ? t->name : "", t->allowed ? "allowed" : "denied");
}
END_TEST

START_TEST(rule_wildcard_subresource)
{
	cJSON *rule = cJSON_Parse("{\"apiGroups\":[\"\"],\"resources\":[\"*/status\"],\"verbs\":[\"get\"]}");
	struct api_user u = {.name = "x", .uid = ""};
	struct api_authz_attrs a = {&u, true, "get", "ns", "", "pods", "status", "p", NULL};

	ck_assert(api_rbac_rule_allows(rule, &a));
	a.resource = "nodes";
	ck_assert(api_rbac_rule_allows(rule, &a));
	a.subresource = "log";
	ck_assert(!api_rbac_rule_allows(rule, &a));
	a.subresource = NULL;
	ck_assert(!api_rbac_rule_allows(rule, &a));
	cJSON_Delete(rule);
}
END_TEST

struct mcase {
	const char *verb, *ns, *group, *resource, *sub, *name, *path, *reason, *want;
};

static const struct mcase messages[] = {
	{"create", "default", "", "pods", NULL, NULL, NULL, NULL,
	 "pods is forbidden: User \"bob\" cannot create resource \"pods\" in API group \"\" in the namespace \"default\""},
	{"get", "default", "", "pods", NULL, "web", NULL, NULL,
	 "pods \"web\" is forbidden: User \"bob\" cannot get resource \"pods\" in API group \"\" in the namespace "
	 "\"default\""},
	{"list", NULL, "", "nodes", NULL, NULL, NULL, NULL,
	 "nodes is forbidden: User \"bob\" cannot list resource \"nodes\" in API group \"\" at the cluster scope"},
	{"update", "default", "apps", "deployments", "scale", "d", NULL, NULL,
	 "deployments.apps \"d\" is forbidden: User \"bob\" cannot update resource \"deployments/scale\" in API group "
	 "\"apps\" in the namespace \"default\""},
	{"patch", NULL, "", "nodes", "status", "n2", NULL, "no relationship found",
	 "nodes \"n2\" is forbidden: User \"bob\" cannot patch resource \"nodes/status\" in API group \"\" at the "
	 "cluster scope: no relationship found"},
	{"get", NULL, NULL, NULL, NULL, NULL, "/metrics", NULL, "forbidden: User \"bob\" cannot get path \"/metrics\""},
};

START_TEST(forbidden_messages)
{
	const struct mcase *m = &messages[_i];
	struct api_user u = {.name = "bob", .uid = ""};
	struct api_authz_attrs a = {&u, m->path == NULL, m->verb, m->ns, m->group, m->resource, m->sub, m->name, m->path};
	struct cm_buf b = CM_BUF_INIT;

	ck_assert_int_eq(api_authz_forbidden_message(&a, m->reason, &b), 0);
	ck_assert_str_eq(b.data, m->want);
	cm_buf_close(&b);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("api_rbac");
	TCase *tc = tcase_create("rbac");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_loop_test(tc, rbac_table, 0, (int)(sizeof(cases) / sizeof(cases[0])));
	tcase_add_test(tc, rule_wildcard_subresource);
	tcase_add_loop_test(tc, forbidden_messages, 0, (int)(sizeof(messages) / sizeof(messages[0])));
	suite_add_tcase(s, tc);
	return check_run(s);
}
