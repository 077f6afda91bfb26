/* rest.c: routes of the resource API: path parsing, verb choice, body checks, answers and their metrics. */
#include "apiserver/rest.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "apiserver/authz.h"
#include "apiserver/openapi.h"
#include "apiserver/path.h"
#include "apiserver/protobuf.h"
#include "apiserver/status.h"
#include "common/err.h"
#include "common/json.h"
#include "common/log.h"
#include "common/timeutil.h"
#include "common/yaml.h"

uint64_t api_rand(struct api_server *srv)
{
	/* xorshift64*: the server's own stream, seeded at start. */
	uint64_t x = srv->rng;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	srv->rng = x;
	return x * 0x2545F4914F6CDD1DULL;
}

void api_rand_uid(struct api_server *srv, char out[40])
{
	uint64_t a = api_rand(srv);

	snprintf(out, 40, "%08x-0000-4000-8000-%012llx", (unsigned)(a >> 32), (unsigned long long)(a & 0xffffffffffffULL));
}

static void record(struct api_ctx *c, int code)
{
	struct api_server *srv = c->srv;
	struct cm_buf l = CM_BUF_INIT;
	const char *res = c->res ? c->res->plural : "";

	if (!srv->metrics)
		return;
	if (cm_buf_printf(&l, "verb=\"%s\",resource=\"%s\",code=\"%d\"", c->verb, res, code) == 0)
		cm_metric_inc(cm_metrics_counter(srv->metrics, "apiserver_request_total",
						 "API requests by verb, resource and code", l.data));
	cm_buf_reset(&l);
	if (cm_buf_printf(&l, "verb=\"%s\",resource=\"%s\"", c->verb, res) == 0)
		cm_metric_observe(cm_metrics_histogram(srv->metrics, "apiserver_request_duration_seconds",
						       "API request latency by verb and resource", l.data, NULL, 0),
				  (double)(cm_time_mono_ns() - c->t0_ns) / 1e9);
	cm_buf_close(&l);
}

static void ctx_free(struct api_ctx *c)
{
	free(c->ns);
	free(c->name);
	free(c->sub);
	cJSON_Delete(c->body);
	cJSON_Delete(c->obj);
	cm_buf_close(&c->key);
	api_field_problems_close(&c->warnings);
	cm_buf_close(&c->dups);
	api_alloc_close(&c->alloc);
	api_listing_free(c->listing);
	if (c->extra_free)
		c->extra_free(c->extra);
	free(c);
}

void api_ctx_unref(struct api_ctx *c)
{
	if (--c->refs == 0)
		ctx_free(c);
}

static void on_req_done(struct cm_http_req *req, void *ud)
{
	struct api_ctx *c = ud;

	(void)req;
	c->req = NULL;
	api_ctx_unref(c);
}

/*
 * One Warning header per problem, as Kubernetes writes them: code 299, no
 * agent, the text quoted. kubectl prints each as "Warning: <text>".
 */
static void add_warnings(struct api_ctx *c)
{
	struct cm_buf h = CM_BUF_INIT;

	for (const char *w = NULL; (w = api_field_problems_next(&c->warnings, w));) {
		cm_buf_reset(&h);
		if (cm_buf_puts(&h, "299 - \"") < 0)
			break;
		for (const char *p = w; *p; p++) {
			int rc = *p == '"' || *p == '\\' ? cm_buf_putc(&h, '\\') : 0;

			if (!rc && (unsigned char)*p >= 0x20)
				rc = cm_buf_putc(&h, *p);
			if (rc < 0)
				goto done;
		}
		if (cm_buf_putc(&h, '"') < 0 || cm_http_req_add_header(c->req, "Warning", h.data) < 0)
			break;
	}
done:
	cm_buf_close(&h);
}

void api_ctx_reply_buf(struct api_ctx *c, int code, struct cm_buf *b)
{
	if (c->req) {
		record(c, code);
		add_warnings(c);
		if (cm_http_respond_buf(c->req, code, "application/json", b) < 0)
			cm_buf_close(b);
	} else {
		cm_buf_close(b);
	}
	if (!c->released) {
		c->released = true;
		c->srv->inflight--;
		if (c->mutating)
			c->srv->mutating_inflight--;
	}
	api_ctx_unref(c);
}

void api_ctx_reply_obj(struct api_ctx *c, int code, cJSON *obj)
{
	struct cm_buf b = CM_BUF_INIT;

	if (!obj || cm_json_print(obj, &b) < 0) {
		cJSON_Delete(obj);
		cm_buf_close(&b);
		obj = api_status_internal("out of memory");
		if (!obj || cm_json_print(obj, &b) < 0) {
			cm_buf_reset(&b);
			cm_buf_puts(&b, "{}");
		}
		code = 500;
	}
	cJSON_Delete(obj);
	api_ctx_reply_buf(c, code, &b);
}

void api_ctx_reply_status(struct api_ctx *c, cJSON *status)
{
	int code = status ? api_status_code(status) : 500;

	api_ctx_reply_obj(c, code, status);
}

void api_ctx_reply_err(struct api_ctx *c, int err, const char *message)
{
	api_ctx_reply_status(c, api_status_from_err(err, c->res ? c->res->group : "",
						     c->res ? c->res->plural : "", c->name, message));
}

/* Splits rest ("namespaces/ns/pods/web/status") into the context; *plural is malloc'd. 0, -ENOENT or -ENOMEM. */
static int parse_path(struct api_ctx *c, const char *rest, char **plural)
{
	struct api_path p;
	int rc = api_path_split(rest, &p);

	if (rc < 0)
		return rc;
	c->ns = p.ns ? strdup(p.ns) : NULL;
	c->name = p.name ? strdup(p.name) : NULL;
	c->sub = p.sub ? strdup(p.sub) : NULL;
	*plural = strdup(p.plural);
	api_path_close(&p);
	return *plural ? 0 : -ENOMEM;
}

static bool sub_allowed(const struct api_resource *r, const char *sub)
{
	if (!strcmp(sub, "status"))
		return r->subresources & API_SUB_STATUS;
	if (!strcmp(sub, "scale"))
		return r->subresources & API_SUB_SCALE;
	if (!strcmp(sub, "binding"))
		return r->subresources & API_SUB_BINDING;
	if (!strcmp(sub, "log"))
		return r->subresources & API_SUB_LOG;
	if (!strcmp(sub, "exec"))
		return r->subresources & API_SUB_EXEC;
	if (!strcmp(sub, "finalize"))
		return r->subresources & API_SUB_FINALIZE;
	if (!strcmp(sub, "token"))
		return r->subresources & API_SUB_TOKEN;
	return false;
}

static void not_found_path(struct api_ctx *c)
{
	api_ctx_reply_status(c, api_status_new(404, "NotFound", "the server could not find the requested resource"));
}

/*
 * A server-side apply's configuration: one YAML document; JSON (what kubectl
 * sends) is read as JSON first. A key given twice is reported as Kubernetes
 * reads apply bodies, as YAML whatever they are: the later value wins and
 * go-yaml's words and line go to c->dups.
 */
static int apply_body(struct api_ctx *c, const char *body, size_t len)
{
	struct cm_buf err = CM_BUF_INIT;
	cJSON *docs = NULL;
	int rc;

	if (cm_json_parse_dups(body, len, &c->body, NULL, &c->dups) == 0 && !c->dups.len)
		return 0;
	cJSON_Delete(c->body);
	c->body = NULL;
	cm_buf_reset(&c->dups);
	c->dups_yaml = true;
	rc = cm_yaml_parse_all_dups(body, len, NULL, &docs, &err, &c->dups);

	if (rc == -ENOMEM) {
		api_ctx_reply_err(c, rc, NULL);
	} else if (rc < 0 || cJSON_GetArraySize(docs) != 1) {
		struct cm_buf msg = CM_BUF_INIT;

		cm_buf_printf(&msg, "error decoding YAML: %s", rc < 0 && err.data ? err.data : "expected one document");
		api_ctx_reply_status(c, api_status_bad_request(msg.data ? msg.data : "error decoding YAML"));
		cm_buf_close(&msg);
		rc = -1;
	} else {
		c->body = cJSON_DetachItemFromArray(docs, 0);
	}
	cJSON_Delete(docs);
	cm_buf_close(&err);
	return rc < 0 ? -1 : 0;
}

static int check_body(struct api_ctx *c, bool patch)
{
	size_t len = 0;
	const char *body = cm_http_req_body(c->req, &len);
	const char *ct = cm_http_req_header(c->req, "Content-Type");
	struct cm_buf err = CM_BUF_INIT;
	int rc;

	if ((int64_t)len > c->srv->cfg.max_body) {
		api_ctx_reply_status(c, api_status_too_large(c->srv->cfg.max_body));
		return -1;
	}
	if (!patch && ct && !strncmp(ct, API_PROTOBUF_TYPE, strlen(API_PROTOBUF_TYPE)) && len > 0) {
		/* kubectl's create generators send protobuf without asking discovery first */
		rc = api_protobuf_decode(body, len, &c->body, &err);
		if (rc < 0) {
			if (rc == -ENOMEM)
				api_ctx_reply_err(c, rc, NULL);
			else
				api_ctx_reply_status(c, api_status_bad_request(err.data ? err.data : "bad protobuf body"));
			cm_buf_close(&err);
			return -1;
		}
		cm_buf_close(&err);
		return 0;
	}
	if (!patch && ct && !strstr(ct, "json") && !strstr(ct, "*/*")) {
		api_ctx_reply_status(c, api_status_unsupported_media_type(
						"application/json, application/yaml, application/vnd.kubernetes.protobuf"));
		return -1;
	}
	if (len == 0)
		return 0;
	if (patch && ct && !strncmp(ct, "application/apply-patch+yaml", 28))
		return apply_body(c, body, len);
	rc = cm_json_parse_dups(body, len, &c->body, &err, &c->dups);
	if (rc < 0) {
		struct cm_buf msg = CM_BUF_INIT;

		cm_buf_printf(&msg, "couldn't get version/kind; json parse error: %s", err.data ? err.data : "invalid JSON");
		api_ctx_reply_status(c, api_status_bad_request(msg.data ? msg.data : "invalid JSON"));
		cm_buf_close(&msg);
		cm_buf_close(&err);
		return -1;
	}
	cm_buf_close(&err);
	return 0;
}

bool api_query_bool(const char *v)
{
	/* as Go's strconv.ParseBool, which Kubernetes uses for query flags */
	static const char *const yes[] = {"1", "t", "T", "true", "TRUE", "True"};

	for (size_t i = 0; v && i < sizeof(yes) / sizeof(yes[0]); i++)
		if (!strcmp(v, yes[i]))
			return true;
	return false;
}

/* POST .../namespaces/{ns}/bindings: the old form of pods/{name}/binding, the pod named in the body. */
static bool rewrite_bindings(struct api_ctx *c, const char *method, const char *plural)
{
	size_t len = 0;
	const char *body = cm_http_req_body(c->req, &len);
	cJSON *j = NULL;
	const char *name;

	if (strcmp(plural, "bindings") || strcmp(method, "POST") || !c->ns || c->name)
		return false;
	if (cm_json_parse(body, len, &j, NULL) < 0 || !(name = cm_json_get_str(j, "metadata.name"))) {
		cJSON_Delete(j);
		return false;
	}
	c->res = api_resource_find("", "v1", "pods");
	c->name = strdup(name);
	c->sub = strdup("binding");
	cJSON_Delete(j);
	return c->name && c->sub;
}

/*
 * A write's fieldValidation must be empty, Ignore, Strict or Warn; anything
 * else is refused as Kubernetes refuses its options: 422, the options' kind
 * (CreateOptions, UpdateOptions, PatchOptions) in group meta.k8s.io named "".
 * True when it answered.
 */
static bool bad_field_validation(struct api_ctx *c, const char *fv, const char *options_kind)
{
	static const char *const allowed[] = {"", "Ignore", "Strict", "Warn", NULL};
	struct api_ferrs errs;

	for (const char *const *a = allowed; *a; a++)
		if (!fv || !strcmp(fv, *a))
			return false;
	api_ferrs_init(&errs);
	api_ferr_not_supported(&errs, "fieldValidation", fv, allowed);
	api_ctx_reply_status(c, api_ferrs_status(&errs) < 0
					? api_status_internal("out of memory")
					: api_status_invalid("meta.k8s.io", options_kind, "", &errs));
	api_ferrs_close(&errs);
	return true;
}

static void dispatch(struct api_ctx *c, const char *method, const char *plural)
{
	const char *fv = cm_http_req_query(c->req, "fieldValidation");
	const char *accept = cm_http_req_header(c->req, "Accept");
	const char *watch = cm_http_req_query(c->req, "watch");
	const char *dry = cm_http_req_query(c->req, "dryRun");
	const char *include = cm_http_req_query(c->req, "includeObject");

	if (api_table_mode_parse(accept, include, &c->table) < 0) {
		struct cm_buf m = CM_BUF_INIT;

		cm_buf_printf(&m, "unrecognized includeObject value: \"%s\"", include);
		api_ctx_reply_status(c, api_status_bad_request(m.data ? m.data : "unrecognized includeObject value"));
		cm_buf_close(&m);
		return;
	}
	c->fv = fv && !strcmp(fv, "Strict") ? API_FV_STRICT : fv && !strcmp(fv, "Ignore") ? API_FV_IGNORE : API_FV_WARN;
	c->dry_run = dry && *dry;
	if (!c->res && c->res_group_core)
		rewrite_bindings(c, method, plural);
	if (!c->res) {
		not_found_path(c);
		return;
	}
	(void)plural;
	if ((c->ns && !c->res->namespaced) || (c->sub && !sub_allowed(c->res, c->sub))) {
		not_found_path(c);
		return;
	}
	if (c->sub && !strcmp(c->sub, "token") && strcmp(method, "POST")) {
		api_ctx_reply_status(c, api_status_method_not_allowed(c->res->group, c->res->plural, NULL));
		return;
	}
	if (c->sub && !strcmp(c->sub, "exec") && (!strcmp(method, "GET") || !strcmp(method, "POST"))) {
		c->verb = "create"; /* a WebSocket upgrade is a GET; Kubernetes asks create on pods/exec for both */
		api_rest_pod_exec(c);
		return;
	}
	if (!strcmp(method, "GET")) {
		bool w = api_query_bool(watch);

		c->verb = w ? "watch" : c->name ? "get" : "list";
		if (c->sub && !strcmp(c->sub, "log")) {
			c->verb = "log";
			api_rest_pod_log(c);
			return;
		}
		if (w)
			api_rest_watch(c);
		else if (c->name)
			api_rest_get(c);
		else
			api_rest_list(c);
		return;
	}
	if (!strcmp(method, "POST")) {
		c->verb = "create";
		if (bad_field_validation(c, fv, "CreateOptions") || check_body(c, false))
			return;
		if (c->sub && !strcmp(c->sub, "binding"))
			api_rest_binding(c);
		else if (c->sub && !strcmp(c->sub, "token"))
			api_rest_token_request(c);
		else if (c->name)
			api_ctx_reply_status(c, api_status_method_not_allowed(c->res->group, c->res->plural, "create"));
		else if (c->res->namespaced && !c->ns)
			not_found_path(c);
		else
			api_rest_create(c);
		return;
	}
	if (!strcmp(method, "PUT") || !strcmp(method, "PATCH")) {
		bool put = method[1] == 'U';

		c->verb = put ? "update" : "patch";
		if (!c->name || (c->res->namespaced && !c->ns) || (c->sub && !strcmp(c->sub, "binding"))) {
			api_ctx_reply_status(c, api_status_method_not_allowed(c->res->group, c->res->plural, NULL));
			return;
		}
		if (bad_field_validation(c, fv, put ? "UpdateOptions" : "PatchOptions") || check_body(c, !put))
			return;
		if (put)
			api_rest_update(c);
		else
			api_rest_patch(c);
		return;
	}
	if (!strcmp(method, "DELETE")) {
		c->verb = c->name ? "delete" : "deletecollection";
		if (c->sub || (c->name && c->res->namespaced && !c->ns)) {
			api_ctx_reply_status(c, api_status_method_not_allowed(c->res->group, c->res->plural, NULL));
			return;
		}
		if (check_body(c, false))
			return;
		if (c->name)
			api_rest_delete(c);
		else
			api_rest_deletecollection(c);
		return;
	}
	c->verb = "unknown";
	api_ctx_reply_status(c, api_status_method_not_allowed(c->res->group, c->res->plural, NULL));
}

static void handle(struct cm_http_req *req, struct api_server *srv, bool tls, const char *group,
		   const char *version, const char *rest)
{
	struct api_ctx *c = calloc(1, sizeof(*c));
	char *plural = NULL;
	const char *method = cm_http_req_method(req);

	if (!c) {
		cm_http_respond_error(req, 500, "out of memory");
		return;
	}
	c->srv = srv;
	c->req = req;
	c->refs = 2; /* the handler's part, and the HTTP request's (dropped in on_req_done) */
	c->verb = "unknown";
	c->t0_ns = cm_time_mono_ns();
	cm_http_req_on_done(req, on_req_done, c);
	srv->inflight++;
	if (parse_path(c, rest, &plural) < 0) {
		free(plural);
		not_found_path(c);
		return;
	}
	c->res = api_resource_find(group, version, plural);
	c->res_group_core = !*group;
	/* as kube-apiserver, long-running requests (watches) are not held to --max-requests-inflight:
	 * a thousand informers opening at once must not be turned away */
	if (srv->cfg.max_inflight > 0 && srv->inflight > srv->cfg.max_inflight &&
	    !api_query_bool(cm_http_req_query(req, "watch"))) {
		free(plural);
		cm_http_req_add_header(req, "Retry-After", "1");
		api_ctx_reply_status(c, api_status_too_many_requests("Too many requests, please try again later.", 1));
		return;
	}
	if (api_auth_gate(c, method, group, plural, tls)) {
		free(plural);
		return;
	}
	dispatch(c, method, plural);
	free(plural);
}

static void handle_core(struct cm_http_req *req, void *ud)
{
	handle(req, ud, false, "", "v1", cm_http_req_param(req, "rest"));
}

static void handle_group(struct cm_http_req *req, void *ud)
{
	handle(req, ud, false, cm_http_req_param(req, "group"), cm_http_req_param(req, "version"),
	       cm_http_req_param(req, "rest"));
}

/* The TLS listener's routes: the same, with authentication (authz.c). */
static void handle_core_tls(struct cm_http_req *req, void *ud)
{
	handle(req, ud, true, "", "v1", cm_http_req_param(req, "rest"));
}

static void handle_group_tls(struct cm_http_req *req, void *ud)
{
	handle(req, ud, true, cm_http_req_param(req, "group"), cm_http_req_param(req, "version"),
	       cm_http_req_param(req, "rest"));
}

int api_discovery_routes(struct api_server *srv, struct cm_http_server *http);

int api_rest_routes(struct api_server *srv, struct cm_http_server *http)
{
	bool tls = http == srv->https;
	int rc = api_discovery_routes(srv, http);

	if (!rc)
		rc = api_openapi_routes(srv->openapi, http);
	if (!rc)
		rc = api_auth_routes(srv, http, tls);
	if (!rc)
		rc = api_authn_review_route(srv, http, tls);
	if (!rc)
		rc = cm_http_server_route(http, "*", "/api/v1/{rest...}", tls ? handle_core_tls : handle_core, srv);
	if (!rc)
		rc = cm_http_server_route(http, "*", "/apis/{group}/{version}/{rest...}", tls ? handle_group_tls : handle_group,
					  srv);
	return rc;
}
