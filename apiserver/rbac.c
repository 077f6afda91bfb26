/* rbac.c: RBAC evaluation: whether a Role or ClusterRole bound to the user has a rule covering the request. */
#include "apiserver/auth.h"

#include <errno.h>
#include <string.h>

#include "common/json.h"

/* Whether the string array arr holds "*" or v. */
static bool has(const cJSON *arr, const char *v)
{
	const cJSON *e;

	cJSON_ArrayForEach(e, arr)
		if (cJSON_IsString(e) && (!strcmp(e->valuestring, "*") || !strcmp(e->valuestring, v)))
			return true;
	return false;
}

/* As Kubernetes: "*" everything, "pods" the resource alone, "pods/status" or "*"+"/status" a subresource. */
static bool resource_matches(const cJSON *arr, const char *res, const char *sub)
{
	const cJSON *e;

	cJSON_ArrayForEach(e, arr) {
		const char *r = cJSON_IsString(e) ? e->valuestring : "";
		size_t n = strlen(res);

		if (!strcmp(r, "*"))
			return true;
		if (!sub || !*sub) {
			if (!strcmp(r, res))
				return true;
			continue;
		}
		if (!strncmp(r, res, n) && r[n] == '/' && !strcmp(r + n + 1, sub))
			return true;
		if (r[0] == '*' && r[1] == '/' && !strcmp(r + 2, sub))
			return true;
	}
	return false;
}

/* "/healthz" matches "/healthz"; "/apis/ + star" matches every path under "/apis/"; "*" everything. */
static bool path_matches(const cJSON *arr, const char *path)
{
	const cJSON *e;

	cJSON_ArrayForEach(e, arr) {
		const char *u = cJSON_IsString(e) ? e->valuestring : "";
		size_t n = strlen(u);

		if (!strcmp(u, "*") || !strcmp(u, path))
			return true;
		if (n > 0 && u[n - 1] == '*' && !strncmp(u, path, n - 1))
			return true;
	}
	return false;
}

bool api_rbac_rule_allows(const cJSON *rule, const struct api_authz_attrs *a)
{
	const cJSON *names;

	if (!has(cJSON_GetObjectItemCaseSensitive(rule, "verbs"), a->verb))
		return false;
	if (!a->resource_request)
		return path_matches(cJSON_GetObjectItemCaseSensitive(rule, "nonResourceURLs"), a->path ? a->path : "");
	if (!has(cJSON_GetObjectItemCaseSensitive(rule, "apiGroups"), a->group ? a->group : ""))
		return false;
	if (!resource_matches(cJSON_GetObjectItemCaseSensitive(rule, "resources"), a->resource ? a->resource : "",
			      a->subresource))
		return false;
	names = cJSON_GetObjectItemCaseSensitive(rule, "resourceNames");
	if (cJSON_GetArraySize(names) == 0)
		return true;
	/* a rule limited to names never covers list, watch or create without a name */
	if (!a->name || !*a->name)
		return false;
	cJSON_ArrayForEach(names, names)
		if (cJSON_IsString(names) && !strcmp(names->valuestring, a->name))
			return true;
	return false;
}

bool api_rbac_subject_matches(const cJSON *binding, const struct api_user *u, const char *binding_ns)
{
	const cJSON *s;

	cJSON_ArrayForEach(s, cJSON_GetObjectItemCaseSensitive(binding, "subjects")) {
		const char *kind = cm_json_str_or(s, "kind", ""), *name = cm_json_str_or(s, "name", "");

		if (!strcmp(kind, "User") && !strcmp(name, u->name))
			return true;
		if (!strcmp(kind, "Group") && api_user_in_group(u, name))
			return true;
		if (!strcmp(kind, "ServiceAccount")) {
			const char *ns = cm_json_str_or(s, "namespace", binding_ns ? binding_ns : "");
			static const char pre[] = "system:serviceaccount:";
			size_t nl = strlen(ns);

			if (!strncmp(u->name, pre, sizeof(pre) - 1) && !strncmp(u->name + sizeof(pre) - 1, ns, nl) &&
			    u->name[sizeof(pre) - 1 + nl] == ':' && !strcmp(u->name + sizeof(pre) + nl, name))
				return true;
		}
	}
	return false;
}

static bool role_allows(const cJSON *role, const struct api_authz_attrs *a)
{
	const cJSON *r;

	cJSON_ArrayForEach(r, cJSON_GetObjectItemCaseSensitive(role, "rules"))
		if (api_rbac_rule_allows(r, a))
			return true;
	return false;
}

struct walk {
	const struct api_rbac_source *src;
	const struct api_authz_attrs *a;
	const char *ns; /* the binding's namespace, NULL for ClusterRoleBindings */
	bool allowed;
};

static int visit(const cJSON *b, void *arg)
{
	struct walk *w = arg;
	const char *kind = cm_json_str_or(b, "roleRef.kind", ""), *name = cm_json_str_or(b, "roleRef.name", "");
	const cJSON *role = NULL;

	if (!api_rbac_subject_matches(b, w->a->user, w->ns))
		return 0;
	if (!strcmp(kind, "ClusterRole"))
		role = w->src->cluster_role(w->src->ud, name);
	else if (!strcmp(kind, "Role") && w->ns)
		role = w->src->role(w->src->ud, w->ns, name);
	w->allowed = role && role_allows(role, w->a);
	return w->allowed;
}

bool api_rbac_allows(const struct api_rbac_source *src, const struct api_authz_attrs *a)
{
	struct walk w = {src, a, NULL, false};

	if (!a->user)
		return false;
	src->cluster_role_bindings(src->ud, visit, &w);
	if (w.allowed)
		return true;
	/* a RoleBinding grants only inside its namespace, and never non-resource URLs */
	if (a->resource_request && a->ns && *a->ns) {
		w.ns = a->ns;
		src->role_bindings(src->ud, a->ns, visit, &w);
	}
	return w.allowed;
}

struct collect {
	const struct api_rbac_source *src;
	const struct api_user *user;
	const char *ns; /* the binding's namespace, NULL for ClusterRoleBindings */
	cJSON *resource_rules, *non_resource_rules;
	int rc;
};

/* The rules of a matching binding's role, split as SubjectRulesReviewStatus lists them. */
static int collect_binding(const cJSON *b, void *arg)
{
	struct collect *w = arg;
	const char *kind = cm_json_str_or(b, "roleRef.kind", ""), *name = cm_json_str_or(b, "roleRef.name", "");
	const cJSON *role = NULL, *r;

	if (!api_rbac_subject_matches(b, w->user, w->ns))
		return 0;
	if (!strcmp(kind, "ClusterRole"))
		role = w->src->cluster_role(w->src->ud, name);
	else if (!strcmp(kind, "Role") && w->ns)
		role = w->src->role(w->src->ud, w->ns, name);
	cJSON_ArrayForEach(r, cJSON_GetObjectItemCaseSensitive(role, "rules")) {
		bool non_resource = cJSON_GetObjectItemCaseSensitive(r, "nonResourceURLs") != NULL;
		cJSON *copy;

		if (non_resource && w->ns)
			continue; /* a RoleBinding never grants non-resource URLs */
		copy = cJSON_Duplicate(r, 1);
		if (!copy || !cJSON_AddItemToArray(non_resource ? w->non_resource_rules : w->resource_rules, copy)) {
			cJSON_Delete(copy);
			w->rc = -ENOMEM;
			return 1;
		}
	}
	return 0;
}

int api_rbac_rules(const struct api_rbac_source *src, const struct api_user *u, const char *ns,
		   cJSON *resource_rules, cJSON *non_resource_rules)
{
	struct collect w = {src, u, NULL, resource_rules, non_resource_rules, 0};

	src->cluster_role_bindings(src->ud, collect_binding, &w);
	if (!w.rc && ns && *ns) {
		w.ns = ns;
		src->role_bindings(src->ud, ns, collect_binding, &w);
	}
	return w.rc;
}

int api_authz_forbidden_why(const struct api_authz_attrs *a, const char *reason, struct cm_buf *out)
{
	const char *user = a->user ? a->user->name : "system:anonymous";
	bool sub = a->subresource && *a->subresource;
	int rc;

	if (!a->resource_request)
		rc = cm_buf_printf(out, "User \"%s\" cannot %s path \"%s\"", user, a->verb, a->path ? a->path : "");
	else
		rc = cm_buf_printf(out, "User \"%s\" cannot %s resource \"%s%s%s\" in API group \"%s\"", user, a->verb,
				   a->resource, sub ? "/" : "", sub ? a->subresource : "", a->group ? a->group : "");
	if (!rc && a->resource_request && a->ns && *a->ns)
		rc = cm_buf_printf(out, " in the namespace \"%s\"", a->ns);
	else if (!rc && a->resource_request)
		rc = cm_buf_puts(out, " at the cluster scope");
	if (!rc && reason && *reason)
		rc = cm_buf_printf(out, ": %s", reason);
	return rc;
}

int api_authz_forbidden_message(const struct api_authz_attrs *a, const char *reason, struct cm_buf *out)
{
	const char *g = a->group ? a->group : "";
	int rc;

	if (!a->resource_request)
		rc = cm_buf_puts(out, "forbidden");
	else
		rc = cm_buf_printf(out, "%s%s%s", a->resource, *g ? "." : "", g);
	if (!rc && a->resource_request && a->name && *a->name)
		rc = cm_buf_printf(out, " \"%s\"", a->name);
	if (!rc)
		rc = cm_buf_puts(out, a->resource_request ? " is forbidden: " : ": ");
	return rc ? rc : api_authz_forbidden_why(a, reason, out);
}
