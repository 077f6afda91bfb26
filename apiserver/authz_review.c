/* authz_review.c: SelfSubjectAccessReview ("may I?"), SelfSubjectRulesReview ("what may I?"), SubjectAccessReview and LocalSubjectAccessReview ("may they?"), read from JSON or protobuf, answered in JSON. */
#include "apiserver/authz.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "apiserver/protobuf.h"
#include "apiserver/rest.h"
#include "apiserver/status.h"
#include "common/json.h"

static void reply_status(struct cm_http_req *req, cJSON *st)
{
	cm_http_respond_json(req, st ? api_status_code(st) : 500, st);
	cJSON_Delete(st);
}

/* The caller and the review it sent (JSON, or the protobuf kubectl sends); false once answered with an error. */
static bool read_review(struct cm_http_req *req, struct api_server *srv, bool tls, const char *kind,
			struct api_user *u, cJSON **out)
{
	const char *ct = cm_http_req_header(req, "Content-Type");
	size_t len = 0;
	const char *body = cm_http_req_body(req, &len);
	struct cm_buf perr = CM_BUF_INIT, msg = CM_BUF_INIT;
	cJSON *j = NULL;
	int rc;

	if (api_auth_identify(srv->auth, req, tls, u, &j) < 0) {
		reply_status(req, j);
		return false;
	}
	/* the reason a body is refused is not needed here */
	if (ct && strstr(ct, "protobuf"))
		rc = api_protobuf_decode(body, len, &j, &perr);
	else
		rc = cm_json_parse(body, len, &j, &perr);
	cm_buf_close(&perr);
	if (rc < 0 || !cJSON_IsObject(j)) {
		cJSON_Delete(j);
		cm_buf_printf(&msg, "the body must be a %s", kind);
		reply_status(req, api_status_bad_request(msg.data ? msg.data : "bad body"));
		cm_buf_close(&msg);
		return false;
	}
	*out = j;
	return true;
}

/* Answers the review j (freed here) with its status set, as kind, 201. */
static void reply_review(struct cm_http_req *req, cJSON *j, const char *kind, bool ok)
{
	struct cm_buf b = CM_BUF_INIT;

	if (!ok || cm_json_set_str(j, "apiVersion", "authorization.k8s.io/v1") < 0 ||
	    cm_json_set_str(j, "kind", kind) < 0 || cm_json_print(j, &b) < 0)
		cm_http_respond_error(req, 500, "out of memory");
	else
		cm_http_respond_buf(req, 201, "application/json", &b);
	cm_buf_close(&b);
	cJSON_Delete(j);
}

/* The request a review's spec asks about, its strings borrowed from j. */
static void read_attrs(const cJSON *j, struct api_authz_attrs *at)
{
	const cJSON *ra = cm_json_get(j, "spec.resourceAttributes"), *nra = cm_json_get(j, "spec.nonResourceAttributes");

	at->resource_request = ra != NULL;
	if (ra) {
		at->verb = cm_json_str_or(ra, "verb", "");
		at->ns = cm_json_str_or(ra, "namespace", "");
		at->group = cm_json_str_or(ra, "group", "");
		at->resource = cm_json_str_or(ra, "resource", "");
		at->subresource = cm_json_str_or(ra, "subresource", "");
		at->name = cm_json_str_or(ra, "name", "");
	} else {
		at->verb = cm_json_str_or(nra, "verb", "");
		at->path = cm_json_str_or(nra, "path", "");
	}
}

/* Decides at and answers the review j (taken) as kind with status.allowed and the reason. */
static void decide_and_reply(struct cm_http_req *req, struct api_server *srv, cJSON *j, const char *kind,
			     const struct api_authz_attrs *at)
{
	const char *reason = NULL;
	bool allowed = !srv->auth || api_auth_decide(srv->auth, at, &reason);
	cJSON *st;

	cJSON_DeleteItemFromObjectCaseSensitive(j, "status");
	st = cJSON_AddObjectToObject(j, "status");
	reply_review(req, j, kind,
		     st && cJSON_AddBoolToObject(st, "allowed", allowed) &&
			     (!reason || cJSON_AddStringToObject(st, "reason", reason)));
}

static void handle_ssar(struct cm_http_req *req, struct api_server *srv, bool tls)
{
	struct api_user u;
	struct api_authz_attrs at = {0};
	cJSON *j = NULL;

	if (!read_review(req, srv, tls, "SelfSubjectAccessReview", &u, &j))
		return;
	at.user = &u;
	read_attrs(j, &at);
	decide_and_reply(req, srv, j, "SelfSubjectAccessReview", &at);
}

/* 422 as Kubernetes words a review's invalid spec: `KIND.authorization.k8s.io "" is invalid: FIELD: Invalid value: ...`. */
static void reply_invalid(struct cm_http_req *req, const char *kind, const char *field, const char *why)
{
	struct cm_buf msg = CM_BUF_INIT;

	if (cm_buf_printf(&msg, "%s.authorization.k8s.io \"\" is invalid: %s: Invalid value: %s", kind, field, why) < 0)
		reply_status(req, api_status_internal("out of memory"));
	else
		reply_status(req, api_status_new(422, "Invalid", msg.data));
	cm_buf_close(&msg);
}

/*
 * The subject of a (Local)SubjectAccessReview: spec.user, uid, groups and
 * extra, borrowed from j. False when it holds more groups or extras than a
 * user does (answered 400).
 */
static bool read_subject(struct cm_http_req *req, const cJSON *j, struct api_user *u)
{
	const cJSON *g, *kv, *v, *extra = cm_json_get(j, "spec.extra");

	if (!cJSON_IsObject(extra))
		extra = NULL;

	memset(u, 0, sizeof(*u));
	u->name = cm_json_str_or(j, "spec.user", "");
	u->uid = cm_json_str_or(j, "spec.uid", "");
	cJSON_ArrayForEach(g, cm_json_get(j, "spec.groups"))
	{
		if (!cJSON_IsString(g))
			continue;
		if (u->ngroups == API_AUTH_MAX_GROUPS)
			goto big;
		u->groups[u->ngroups++] = g->valuestring;
	}
	cJSON_ArrayForEach(kv, extra)
	{
		cJSON_ArrayForEach(v, kv)
		{
			if (!cJSON_IsString(v))
				continue;
			if (u->nextra == API_AUTH_MAX_EXTRA)
				goto big;
			u->extra_keys[u->nextra] = kv->string;
			u->extra_values[u->nextra++] = v->valuestring;
		}
	}
	return true;
big:
	reply_status(req, api_status_bad_request("spec: more groups or extra values than this apiserver judges"));
	return false;
}

/*
 * "May they?": SubjectAccessReview (cluster) or LocalSubjectAccessReview
 * (ns, resource attributes in that namespace only), for callers allowed to
 * create them (system:auth-delegator, or anyone RBAC grants).
 */
static void handle_sar(struct cm_http_req *req, struct api_server *srv, bool tls, const char *ns)
{
	const char *kind = ns ? "LocalSubjectAccessReview" : "SubjectAccessReview";
	struct api_user caller, subject;
	struct api_authz_attrs at = {0};
	struct cm_buf msg = CM_BUF_INIT;
	cJSON *j = NULL, *st;
	bool ra, nra;

	if (!read_review(req, srv, tls, kind, &caller, &j))
		return;
	if ((st = api_auth_create_refused(srv->auth, &caller, "authorization.k8s.io",
					  ns ? "localsubjectaccessreviews" : "subjectaccessreviews", ns))) {
		cJSON_Delete(j);
		reply_status(req, st);
		return;
	}
	ra = cm_json_get(j, "spec.resourceAttributes") != NULL;
	nra = cm_json_get(j, "spec.nonResourceAttributes") != NULL;
	if (ra == nra)
		reply_invalid(req, kind, "spec.resourceAttributes",
			      "exactly one of nonResourceAttributes or resourceAttributes must be specified");
	else if (ns && nra)
		reply_invalid(req, kind, "spec.nonResourceAttributes", "disallowed on this kind of request");
	else if (!*cm_json_str_or(j, "spec.user", "") && !cJSON_GetArraySize(cm_json_get(j, "spec.groups")))
		reply_invalid(req, kind, "spec.user", "\"\": at least one of user or group must be specified");
	else if (ns && strcmp(cm_json_str_or(j, "spec.resourceAttributes.namespace", ""), ns)) {
		if (cm_buf_printf(&msg, "spec.resourceAttributes.namespace must match namespace: %s", ns) < 0)
			reply_status(req, api_status_internal("out of memory"));
		else
			reply_status(req, api_status_bad_request(msg.data));
		cm_buf_close(&msg);
	} else if (read_subject(req, j, &subject)) {
		at.user = &subject;
		read_attrs(j, &at);
		decide_and_reply(req, srv, j, kind, &at);
		return;
	}
	cJSON_Delete(j);
}

/* kubectl auth can-i --list: the rules the caller has in spec.namespace. */
static void handle_ssrr(struct cm_http_req *req, struct api_server *srv, bool tls)
{
	struct api_user u;
	cJSON *j = NULL, *st, *rr, *nrr;
	bool incomplete = false, ok;

	if (!read_review(req, srv, tls, "SelfSubjectRulesReview", &u, &j))
		return;
	cJSON_DeleteItemFromObjectCaseSensitive(j, "status");
	st = cJSON_AddObjectToObject(j, "status");
	rr = st ? cJSON_AddArrayToObject(st, "resourceRules") : NULL;
	nrr = rr ? cJSON_AddArrayToObject(st, "nonResourceRules") : NULL;
	ok = nrr && api_auth_rules(srv->auth, &u, cm_json_str_or(j, "spec.namespace", ""), rr, nrr, &incomplete) == 0 &&
	     cJSON_AddBoolToObject(st, "incomplete", incomplete);
	reply_review(req, j, "SelfSubjectRulesReview", ok);
}

static void handle_ssar_plain(struct cm_http_req *req, void *ud)
{
	handle_ssar(req, ud, false);
}

static void handle_ssar_tls(struct cm_http_req *req, void *ud)
{
	handle_ssar(req, ud, true);
}

static void handle_ssrr_plain(struct cm_http_req *req, void *ud)
{
	handle_ssrr(req, ud, false);
}

static void handle_ssrr_tls(struct cm_http_req *req, void *ud)
{
	handle_ssrr(req, ud, true);
}

static void handle_sar_plain(struct cm_http_req *req, void *ud)
{
	handle_sar(req, ud, false, NULL);
}

static void handle_sar_tls(struct cm_http_req *req, void *ud)
{
	handle_sar(req, ud, true, NULL);
}

static void handle_lsar_plain(struct cm_http_req *req, void *ud)
{
	handle_sar(req, ud, false, cm_http_req_param(req, "namespace"));
}

static void handle_lsar_tls(struct cm_http_req *req, void *ud)
{
	handle_sar(req, ud, true, cm_http_req_param(req, "namespace"));
}

int api_auth_routes(struct api_server *srv, struct cm_http_server *http, bool tls)
{
	int rc = cm_http_server_route(http, "POST", "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews",
				      tls ? handle_ssar_tls : handle_ssar_plain, srv);

	if (!rc)
		rc = cm_http_server_route(http, "POST", "/apis/authorization.k8s.io/v1/selfsubjectrulesreviews",
					  tls ? handle_ssrr_tls : handle_ssrr_plain, srv);
	if (!rc)
		rc = cm_http_server_route(http, "POST", "/apis/authorization.k8s.io/v1/subjectaccessreviews",
					  tls ? handle_sar_tls : handle_sar_plain, srv);
	if (!rc)
		rc = cm_http_server_route(http, "POST",
					  "/apis/authorization.k8s.io/v1/namespaces/{namespace}/localsubjectaccessreviews",
					  tls ? handle_lsar_tls : handle_lsar_plain, srv);
	return rc;
}
