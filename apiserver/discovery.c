/* discovery.c: /version, /api, /apis, resource lists, /readyz and /livez (openapi.c serves /openapi/v3). */
#include "apiserver/rest.h"
#include "apiserver/discovery.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "apiserver/authz.h"
#include "apiserver/watch_cache.h"
#include "common/buf.h"
#include "common/json.h"

static const char *const groups[][2] = {{"apps", "v1"}, {"coordination.k8s.io", "v1"}, {"rbac.authorization.k8s.io", "v1"},
						{"discovery.k8s.io", "v1"}};
#define API_NGROUPS (sizeof(groups) / sizeof(groups[0]))

/*
 * Resources that are not stored but answer a POST (the reviews): listed with
 * the one verb Kubernetes gives them, create, so that kubectl api-resources
 * and can-i know them. Their groups are served for them alone.
 */
static const struct review_resource {
	const char *group, *plural, *singular, *kind;
	bool namespaced;
} reviews[] = {
	{"authentication.k8s.io", "selfsubjectreviews", "selfsubjectreview", "SelfSubjectReview", false},
	{"authentication.k8s.io", "tokenreviews", "tokenreview", "TokenReview", false},
	{"authorization.k8s.io", "localsubjectaccessreviews", "localsubjectaccessreview", "LocalSubjectAccessReview", true},
	{"authorization.k8s.io", "selfsubjectaccessreviews", "selfsubjectaccessreview", "SelfSubjectAccessReview", false},
	{"authorization.k8s.io", "selfsubjectrulesreviews", "selfsubjectrulesreview", "SelfSubjectRulesReview", false},
	{"authorization.k8s.io", "subjectaccessreviews", "subjectaccessreview", "SubjectAccessReview", false},
};
#define API_NREVIEWS (sizeof(reviews) / sizeof(reviews[0]))
static const char *const review_groups[] = {"authentication.k8s.io", "authorization.k8s.io"};
#define API_NREVIEW_GROUPS (sizeof(review_groups) / sizeof(review_groups[0]))

const char *api_discovery_group(size_t i, const char **version)
{
	if (i < API_NGROUPS) {
		*version = groups[i][1];
		return groups[i][0];
	}
	if (i - API_NGROUPS < API_NREVIEW_GROUPS) {
		*version = "v1";
		return review_groups[i - API_NGROUPS];
	}
	return NULL;
}

/* The version of a served group, or NULL. */
static const char *group_version(const char *g)
{
	const char *name, *version;

	for (size_t i = 0; (name = api_discovery_group(i, &version)); i++)
		if (!strcmp(g, name))
			return version;
	return NULL;
}

static void reply(struct cm_http_req *req, cJSON *j)
{
	if (!j) {
		cm_http_respond_error(req, 500, "out of memory");
		return;
	}
	cm_http_respond_json(req, 200, j);
	cJSON_Delete(j);
}

static void handle_version(struct cm_http_req *req, void *ud)
{
	(void)ud;
	reply(req, cJSON_Parse("{\"major\":\"1\",\"minor\":\"32\",\"gitVersion\":\"v1.32.0-minik8s\","
			       "\"gitCommit\":\"minik8s\",\"gitTreeState\":\"clean\",\"buildDate\":\"2026-01-01T00:00:00Z\","
			       "\"goVersion\":\"c11\",\"compiler\":\"gcc\",\"platform\":\"linux/amd64\"}"));
}

static void handle_api(struct cm_http_req *req, void *ud)
{
	struct api_server *srv = ud;

	if (api_discovery_serve(srv->discovery, req, true))
		return;
	reply(req, cJSON_Parse("{\"kind\":\"APIVersions\",\"versions\":[\"v1\"],\"serverAddressByClientCIDRs\":"
			       "[{\"clientCIDR\":\"0.0.0.0/0\",\"serverAddress\":\"127.0.0.1:8080\"}]}"));
}

static cJSON *group_json(const char *name, const char *version)
{
	cJSON *g = cJSON_CreateObject(), *vs, *v;
	char gv[128];

	if (!g)
		return NULL;
	snprintf(gv, sizeof(gv), "%s/%s", name, version);
	cJSON_AddStringToObject(g, "name", name);
	vs = cJSON_AddArrayToObject(g, "versions");
	v = cJSON_CreateObject();
	if (!vs || !v) {
		cJSON_Delete(v);
		cJSON_Delete(g);
		return NULL;
	}
	cJSON_AddStringToObject(v, "groupVersion", gv);
	cJSON_AddStringToObject(v, "version", version);
	cJSON_AddItemToArray(vs, v);
	cJSON_AddItemToObject(g, "preferredVersion", cJSON_Duplicate(v, 1));
	return g;
}

static void handle_apis(struct cm_http_req *req, void *ud)
{
	struct api_server *srv = ud;
	const char *name, *version;
	cJSON *j, *gs;

	if (api_discovery_serve(srv->discovery, req, false))
		return;
	j = cJSON_CreateObject();
	if (j) {
		cJSON_AddStringToObject(j, "kind", "APIGroupList");
		cJSON_AddStringToObject(j, "apiVersion", "v1");
		gs = cJSON_AddArrayToObject(j, "groups");
		for (size_t i = 0; gs && (name = api_discovery_group(i, &version)); i++)
			cJSON_AddItemToArray(gs, group_json(name, version));
	}
	reply(req, j);
}

static void not_found(struct cm_http_req *req)
{
	static const char body[] = "{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"metadata\":{},\"status\":\"Failure\","
				   "\"message\":\"the server could not find the requested resource\",\"reason\":\"NotFound\","
				   "\"details\":{},\"code\":404}";

	cm_http_respond(req, 404, "application/json", body, sizeof(body) - 1);
}

static void handle_group(struct cm_http_req *req, void *ud)
{
	const char *g = cm_http_req_param(req, "group"), *version = group_version(g);

	(void)ud;
	if (version) {
		cJSON *j = group_json(g, version);

		if (j) {
			cJSON_AddStringToObject(j, "kind", "APIGroup");
			cJSON_AddStringToObject(j, "apiVersion", "v1");
		}
		reply(req, j);
		return;
	}
	not_found(req);
}

/* One APIResourceList entry; the optional fields are NULL (or 0) when absent. */
struct entry {
	const char *name, *singular;
	bool namespaced;
	const char *group, *version; /* a subresource answering in another group */
	const char *kind;
	const char *const *verbs;
	int nverbs;
	const char *const *short_names;
	int nshort;
	bool in_all;
	const char *hash; /* storageVersionHash */
};

/* Adds the array field key of v[0..n) (NULL items skipped) to o. false on -ENOMEM. */
static bool add_strings(cJSON *o, const char *key, const char *const *v, int n)
{
	cJSON *a = cJSON_AddArrayToObject(o, key);
	bool ok = a != NULL;

	for (int i = 0; ok && i < n; i++)
		ok = !v[i] || cJSON_AddItemToArray(a, cJSON_CreateString(v[i]));
	return ok;
}

/*
 * Appends e to list. The entry joins the list first, so what a failure
 * leaves half built goes with the list. 0 or -ENOMEM.
 */
static int add_entry(cJSON *list, const struct entry *e)
{
	static const char *const all[] = {"all"};
	cJSON *o = cJSON_CreateObject();
	bool ok = o && cJSON_AddItemToArray(list, o);

	if (!ok) {
		cJSON_Delete(o);
		return -ENOMEM;
	}
	ok = cJSON_AddStringToObject(o, "name", e->name) && cJSON_AddStringToObject(o, "singularName", e->singular) &&
	     cJSON_AddBoolToObject(o, "namespaced", e->namespaced);
	if (ok && e->group)
		ok = cJSON_AddStringToObject(o, "group", e->group) && cJSON_AddStringToObject(o, "version", e->version);
	ok = ok && cJSON_AddStringToObject(o, "kind", e->kind) && add_strings(o, "verbs", e->verbs, e->nverbs);
	if (ok && e->nshort && e->short_names[0])
		ok = add_strings(o, "shortNames", e->short_names, e->nshort);
	if (ok && e->in_all)
		ok = add_strings(o, "categories", all, 1);
	if (ok && e->hash)
		ok = cJSON_AddStringToObject(o, "storageVersionHash", e->hash);
	return ok ? 0 : -ENOMEM;
}

/* Appends r's subresource sub (answering kind, in group/version when not r's). 0 or -ENOMEM. */
static int add_sub(cJSON *list, const struct api_resource *r, const char *sub, const char *kind, const char *group,
		   const char *version, const char *const *verbs, int nverbs)
{
	char name[96];
	struct entry e = {name, "", r->namespaced, group, version, kind, verbs, nverbs, NULL, 0, false, NULL};

	snprintf(name, sizeof(name), "%s/%s", r->plural, sub);
	return add_entry(list, &e);
}

/* Appends r and its subresources. 0 or -ENOMEM. */
static int add_resource(cJSON *list, const struct api_resource *r)
{
	static const char *const verbs[] = {"create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"};
	static const char *const sub_verbs[] = {"get", "patch", "update"};
	static const char *const create_verb[] = {"create"};
	static const char *const get_verb[] = {"get"};
	static const char *const exec_verbs[] = {"create", "get"};
	struct entry e = {r->plural, r->singular, r->namespaced, NULL, NULL, r->kind, verbs, 8, r->short_names, 3,
			  r->in_all, r->kind};
	int rc = add_entry(list, &e);

	if (!rc && (r->subresources & API_SUB_STATUS))
		rc = add_sub(list, r, "status", r->kind, NULL, NULL, sub_verbs, 3);
	if (!rc && (r->subresources & API_SUB_SCALE))
		rc = add_sub(list, r, "scale", "Scale", "autoscaling", "v1", sub_verbs, 3);
	if (!rc && (r->subresources & API_SUB_BINDING))
		rc = add_sub(list, r, "binding", "Binding", NULL, NULL, create_verb, 1);
	if (!rc && (r->subresources & API_SUB_LOG))
		rc = add_sub(list, r, "log", "Pod", NULL, NULL, get_verb, 1);
	if (!rc && (r->subresources & API_SUB_EXEC))
		rc = add_sub(list, r, "exec", "PodExecOptions", NULL, NULL, exec_verbs, 2);
	if (!rc && (r->subresources & API_SUB_TOKEN))
		rc = add_sub(list, r, "token", "TokenRequest", "authentication.k8s.io", "v1", create_verb, 1);
	return rc;
}

cJSON *api_discovery_resource_list(const char *group, const char *version)
{
	static const char *const create_verb[] = {"create"};
	static const struct entry bindings = {"bindings", "binding", true, NULL, NULL, "Binding", create_verb, 1,
					      NULL, 0, false, NULL};
	cJSON *j = cJSON_CreateObject(), *list = NULL;
	char gv[128];
	int rc;

	snprintf(gv, sizeof(gv), "%s%s%s", group, *group ? "/" : "", version);
	rc = j && cJSON_AddStringToObject(j, "kind", "APIResourceList") && cJSON_AddStringToObject(j, "apiVersion", "v1") &&
		     cJSON_AddStringToObject(j, "groupVersion", gv) && (list = cJSON_AddArrayToObject(j, "resources"))
		     ? 0
		     : -ENOMEM;
	if (!rc && !*group)
		rc = add_entry(list, &bindings);
	for (int i = 0; !rc && i < API_NRES; i++)
		if (!strcmp(api_resources[i].group, group) && !strcmp(api_resources[i].version, version))
			rc = add_resource(list, &api_resources[i]);
	for (size_t i = 0; !rc && i < API_NREVIEWS; i++) {
		const struct review_resource *r = &reviews[i];
		struct entry e = {r->plural, r->singular, r->namespaced, NULL, NULL, r->kind, create_verb, 1,
				  NULL, 0, false, NULL};

		if (!strcmp(r->group, group) && !strcmp("v1", version))
			rc = add_entry(list, &e);
	}
	if (rc) {
		cJSON_Delete(j);
		return NULL;
	}
	return j;
}

static void handle_core_list(struct cm_http_req *req, void *ud)
{
	(void)ud;
	reply(req, api_discovery_resource_list("", "v1"));
}

static void handle_group_list(struct cm_http_req *req, void *ud)
{
	const char *g = cm_http_req_param(req, "group"), *v = cm_http_req_param(req, "version");
	const char *served = group_version(g);

	(void)ud;
	if (served && !strcmp(v, served))
		reply(req, api_discovery_resource_list(g, v));
	else
		not_found(req);
}

static bool caches_ready(const struct api_server *srv)
{
	if (srv->boot_pending > 0)
		return false;
	for (int i = 0; i < API_NRES; i++)
		if (!srv->caches[i] || !api_wcache_ready(srv->caches[i]))
			return false;
	return true;
}

/*
 * /readyz and /livez as kube-apiserver answers them: named checks, "ok" or the
 * list of checks ([+]name ok / [-]name failed: reason) when one fails or
 * ?verbose is given, and /readyz/NAME for one check (a name may hold slashes,
 * as poststarthook/rbac/bootstrap-roles; an unknown one is a 404). Failures answer 503.
 */
struct health_check {
	const char *name;
	const char *(*failure)(struct api_server *srv); /* NULL when the check passes */
};

static const char *check_ping(struct api_server *srv)
{
	(void)srv;
	return NULL;
}

static const char *check_etcd(struct api_server *srv)
{
	return api_health_store_ok(srv) ? NULL : "reads through the store do not go through";
}

static const char *check_informers(struct api_server *srv)
{
	return caches_ready(srv) ? NULL : "watch caches not ready";
}

/*
 * Until the bootstrap ClusterRoles and bindings are written, the daemons' own
 * users would be refused: a launcher that waits for /readyz starts them after.
 */
static const char *check_bootstrap_roles(struct api_server *srv)
{
	if (!api_auth_rbac_enabled(srv->auth) || (srv->rbac_started && srv->rbac_pending == 0))
		return NULL;
	return "not finished";
}

static const struct health_check readyz_checks[] = {
	{"ping", check_ping},
	{"etcd", check_etcd},
	{"informer-sync", check_informers},
	{"poststarthook/rbac/bootstrap-roles", check_bootstrap_roles}};
static const struct health_check livez_checks[] = {{"ping", check_ping}};

static void health_answer(struct cm_http_req *req, struct api_server *srv, const char *what,
			  const struct health_check *checks, size_t n)
{
	const char *one = cm_http_req_param(req, "check");
	bool verbose = cm_http_req_query(req, "verbose") != NULL, failed = false;
	struct cm_buf b = CM_BUF_INIT;
	int rc = 0;

	for (size_t i = 0; i < n; i++) {
		const char *why;

		if (one && strcmp(one, checks[i].name))
			continue;
		why = checks[i].failure(srv);
		failed |= why != NULL;
		if (one) {
			if (why)
				rc = cm_buf_printf(&b, "internal server error: %s\n", why);
			else
				rc = cm_buf_puts(&b, "ok");
			break;
		}
		if (why)
			rc |= cm_buf_printf(&b, "[-]%s failed: %s\n", checks[i].name, why);
		else
			rc |= cm_buf_printf(&b, "[+]%s ok\n", checks[i].name);
	}
	if (one && !b.len && !rc) {
		cm_buf_close(&b);
		cm_http_respond(req, 404, "text/plain", "404 page not found\n", 19);
		return;
	}
	if (!one && (verbose || failed))
		rc |= cm_buf_printf(&b, "%s check %s\n", what, failed ? "failed" : "passed");
	if (rc < 0) {
		cm_buf_close(&b);
		cm_http_respond_error(req, 500, "out of memory");
		return;
	}
	if (!one && !verbose && !failed)
		cm_http_respond(req, 200, "text/plain", "ok", 2);
	else
		cm_http_respond(req, failed ? 503 : 200, "text/plain", b.data, b.len);
	cm_buf_close(&b);
}

static void handle_readyz(struct cm_http_req *req, void *ud)
{
	health_answer(req, ud, "readyz", readyz_checks, sizeof(readyz_checks) / sizeof(readyz_checks[0]));
}

static void handle_livez(struct cm_http_req *req, void *ud)
{
	health_answer(req, ud, "livez", livez_checks, sizeof(livez_checks) / sizeof(livez_checks[0]));
}

int api_discovery_routes(struct api_server *srv, struct cm_http_server *http);
int api_discovery_routes(struct api_server *srv, struct cm_http_server *http)
{
	static const struct {
		const char *pattern;
		cm_http_handler h;
	} routes[] = {
		{"/version", handle_version},
		{"/api", handle_api},
		{"/api/v1", handle_core_list},
		{"/apis", handle_apis},
		{"/apis/{group}", handle_group},
		{"/apis/{group}/{version}", handle_group_list},
		{"/readyz", handle_readyz},
		{"/livez", handle_livez},
		{"/readyz/{check...}", handle_readyz},
		{"/livez/{check...}", handle_livez},
	};
	int rc = 0;

	for (size_t i = 0; !rc && i < sizeof(routes) / sizeof(routes[0]); i++)
		rc = cm_http_server_route(http, "GET", routes[i].pattern, routes[i].h, srv);
	return rc;
}
