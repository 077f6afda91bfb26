/* authn_review.c: SelfSubjectReview ("who am I?", kubectl auth whoami): the caller's identity as the apiserver sees it. */
#include "apiserver/authz.h"

#include <errno.h>

#include "apiserver/rest.h"
#include "apiserver/status.h"
#include "common/json.h"

static void reply_status(struct cm_http_req *req, cJSON *st)
{
	cm_http_respond_json(req, st ? api_status_code(st) : 500, st);
	cJSON_Delete(st);
}

/* userInfo.extra: each key with its values, in the order given. */
static int add_extra(cJSON *info, const struct api_user *u)
{
	cJSON *extra = cJSON_AddObjectToObject(info, "extra");

	for (int i = 0; extra && i < u->nextra; i++) {
		cJSON *vals = cJSON_GetObjectItemCaseSensitive(extra, u->extra_keys[i]);

		if (!vals && !(vals = cJSON_AddArrayToObject(extra, u->extra_keys[i])))
			return -ENOMEM;
		if (!cJSON_AddItemToArray(vals, cJSON_CreateString(u->extra_values[i])))
			return -ENOMEM;
	}
	return extra ? 0 : -ENOMEM;
}

/* The review answered for u: status.userInfo with username, uid, groups and extra (empty ones left out, as Kubernetes). */
static cJSON *review(const struct api_user *u)
{
	cJSON *j = cJSON_CreateObject(), *info, *groups;

	if (!j || !cJSON_AddStringToObject(j, "kind", "SelfSubjectReview") ||
	    !cJSON_AddStringToObject(j, "apiVersion", "authentication.k8s.io/v1") ||
	    !cJSON_AddItemToObject(j, "metadata", cJSON_Parse("{\"creationTimestamp\":null}")) ||
	    !(info = cJSON_AddObjectToObject(cJSON_AddObjectToObject(j, "status"), "userInfo")) ||
	    !cJSON_AddStringToObject(info, "username", u->name))
		goto fail;
	if (u->uid && *u->uid && !cJSON_AddStringToObject(info, "uid", u->uid))
		goto fail;
	if (u->ngroups > 0) {
		if (!(groups = cJSON_AddArrayToObject(info, "groups")))
			goto fail;
		for (int i = 0; i < u->ngroups; i++)
			if (!cJSON_AddItemToArray(groups, cJSON_CreateString(u->groups[i])))
				goto fail;
	}
	if (u->nextra > 0 && add_extra(info, u) < 0)
		goto fail;
	return j;
fail:
	cJSON_Delete(j);
	return NULL;
}

/*
 * The body (JSON or kubectl's protobuf) carries nothing the answer needs, so
 * it is not read. Every authenticated user may ask, as Kubernetes'
 * system:basic-user role grants; others only if the authorizers allow it.
 */
static void handle_ssr(struct cm_http_req *req, struct api_server *srv, bool tls)
{
	struct api_user u;
	struct api_authz_attrs at = {0};
	const char *reason = NULL;
	struct cm_buf b = CM_BUF_INIT;
	cJSON *j;

	if (api_auth_identify(srv->auth, req, tls, &u, &j) < 0) {
		reply_status(req, j);
		return;
	}
	at.user = &u;
	at.resource_request = true;
	at.verb = "create";
	at.group = "authentication.k8s.io";
	at.resource = "selfsubjectreviews";
	if (srv->auth && !api_user_in_group(&u, "system:authenticated") && !api_auth_decide(srv->auth, &at, &reason)) {
		if (api_authz_forbidden_why(&at, reason, &b) < 0)
			reply_status(req, api_status_internal("out of memory"));
		else
			reply_status(req, api_status_forbidden(at.group, at.resource, NULL, b.data));
		cm_buf_close(&b);
		return;
	}
	j = review(&u);
	if (!j || cm_json_print(j, &b) < 0)
		cm_http_respond_error(req, 500, "out of memory");
	else
		cm_http_respond_buf(req, 201, "application/json", &b);
	cm_buf_close(&b);
	cJSON_Delete(j);
}

static void handle_ssr_plain(struct cm_http_req *req, void *ud)
{
	handle_ssr(req, ud, false);
}

static void handle_ssr_tls(struct cm_http_req *req, void *ud)
{
	handle_ssr(req, ud, true);
}

int api_authn_review_route(struct api_server *srv, struct cm_http_server *http, bool tls)
{
	return cm_http_server_route(http, "POST", "/apis/authentication.k8s.io/v1/selfsubjectreviews",
				    tls ? handle_ssr_tls : handle_ssr_plain, srv);
}
