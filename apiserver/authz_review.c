/* authz_review.c: SelfSubjectAccessReview ("may I?"), read from JSON or from kubectl's protobuf, answered in JSON. */
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

static void handle_ssar(struct cm_http_req *req, struct api_server *srv, bool tls)
{
	struct api_user u;
	struct api_authz_attrs at = {0};
	const cJSON *ra, *nra;
	const char *reason = NULL, *ct = cm_http_req_header(req, "Content-Type");
	cJSON *j = NULL, *st;
	size_t len = 0;
	const char *body = cm_http_req_body(req, &len);
	struct cm_buf b = CM_BUF_INIT, perr = CM_BUF_INIT;
	bool allowed;
	int rc;

	if (api_auth_identify(srv->auth, req, tls, &u) < 0) {
		reply_status(req, api_status_unauthorized(NULL));
		return;
	}
	/* kubectl auth can-i sends protobuf; the reason a body is refused is not needed here. */
	if (ct && strstr(ct, "protobuf"))
		rc = api_protobuf_decode(body, len, &j, &perr);
	else
		rc = cm_json_parse(body, len, &j, &perr);
	cm_buf_close(&perr);
	if (rc < 0 || !cJSON_IsObject(j)) {
		cJSON_Delete(j);
		reply_status(req, api_status_bad_request("the body must be a SelfSubjectAccessReview"));
		return;
	}
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
	if (!st || !cJSON_AddBoolToObject(st, "allowed", allowed) ||
	    (reason && !cJSON_AddStringToObject(st, "reason", reason)) ||
	    cm_json_set_str(j, "apiVersion", "authorization.k8s.io/v1") < 0 ||
	    cm_json_set_str(j, "kind", "SelfSubjectAccessReview") < 0 || cm_json_print(j, &b) < 0)
		cm_http_respond_error(req, 500, "out of memory");
	else
		cm_http_respond_buf(req, 201, "application/json", &b);
	cm_buf_close(&b);
	cJSON_Delete(j);
}

static void handle_ssar_plain(struct cm_http_req *req, void *ud)
{
	handle_ssar(req, ud, false);
}

static void handle_ssar_tls(struct cm_http_req *req, void *ud)
{
	handle_ssar(req, ud, true);
}

int api_auth_routes(struct api_server *srv, struct cm_http_server *http, bool tls)
{
	return cm_http_server_route(http, "POST", "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews",
				    tls ? handle_ssar_tls : handle_ssar_plain, srv);
}
