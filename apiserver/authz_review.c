/* authz_review.c: SelfSubjectAccessReview ("may I?") and SelfSubjectRulesReview ("what may I?"), read from JSON or from kubectl's protobuf, answered in JSON. */
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

static void handle_ssar(struct cm_http_req *req, struct api_server *srv, bool tls)
{
	struct api_user u;
	struct api_authz_attrs at = {0};
	const cJSON *ra, *nra;
	const char *reason = NULL;
	cJSON *j = NULL, *st;
	bool allowed;

	if (!read_review(req, srv, tls, "SelfSubjectAccessReview", &u, &j))
		return;
	ra = cm_json_get(j, "spec.resourceAttributes");
	nra = cm_json_get(j, "spec.nonResourceAttributes");
	at.user = &u;
	at.resource_request = ra != NULL;
	if (ra) {
		at.verb = cm_json_str_or(ra, "verb", "");
		at.ns = cm_json_str_or(ra, "namespace", "");
		at.group = cm_json_str_or(ra, "group", "");
		at.resource = cm_json_str_or(ra, "resource", "");
		at.subresource = cm_json_str_or(ra, "subresource", "");
		at.name = cm_json_str_or(ra, "name", "");
	} else {
		at.verb = cm_json_str_or(nra, "verb", "");
		at.path = cm_json_str_or(nra, "path", "");
	}
	allowed = !srv->auth || api_auth_decide(srv->auth, &at, &reason);
	cJSON_DeleteItemFromObjectCaseSensitive(j, "status");
	st = cJSON_AddObjectToObject(j, "status");
	reply_review(req, j, "SelfSubjectAccessReview",
		     st && cJSON_AddBoolToObject(st, "allowed", allowed) &&
			     (!reason || cJSON_AddStringToObject(st, "reason", reason)));
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

int api_auth_routes(struct api_server *srv, struct cm_http_server *http, bool tls)
{
	int rc = cm_http_server_route(http, "POST", "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews",
				      tls ? handle_ssar_tls : handle_ssar_plain, srv);

	if (!rc)
		rc = cm_http_server_route(http, "POST", "/apis/authorization.k8s.io/v1/selfsubjectrulesreviews",
					  tls ? handle_ssrr_tls : handle_ssrr_plain, srv);
	return rc;
}
