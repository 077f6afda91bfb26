/* authn_review.c: SelfSubjectReview ("who am I?", kubectl auth whoami) and TokenReview ("whose token is this?"): identities as the apiserver sees them. */
#include "apiserver/authz.h"

#include <errno.h>
#include <string.h>

#include "apiserver/rest.h"
#include "apiserver/sa_token.h"
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

/* Adds to info username, uid, groups and extra of u (empty ones left out, as Kubernetes). 0 or -ENOMEM. */
static int add_user(cJSON *info, const struct api_user *u)
{
	cJSON *groups;

	if (!info || !cJSON_AddStringToObject(info, "username", u->name))
		return -ENOMEM;
	if (u->uid && *u->uid && !cJSON_AddStringToObject(info, "uid", u->uid))
		return -ENOMEM;
	if (u->ngroups > 0) {
		if (!(groups = cJSON_AddArrayToObject(info, "groups")))
			return -ENOMEM;
		for (int i = 0; i < u->ngroups; i++)
			if (!cJSON_AddItemToArray(groups, cJSON_CreateString(u->groups[i])))
				return -ENOMEM;
	}
	return u->nextra > 0 ? add_extra(info, u) : 0;
}

/* A new authentication.k8s.io/v1 object of kind, with the metadata Kubernetes gives a review. */
static cJSON *new_review(const char *kind)
{
	cJSON *j = cJSON_CreateObject();

	if (!j || !cJSON_AddStringToObject(j, "kind", kind) ||
	    !cJSON_AddStringToObject(j, "apiVersion", "authentication.k8s.io/v1") ||
	    !cJSON_AddItemToObject(j, "metadata", cJSON_Parse("{\"creationTimestamp\":null}"))) {
		cJSON_Delete(j);
		return NULL;
	}
	return j;
}

/* The review answered for u: status.userInfo. */
static cJSON *review(const struct api_user *u)
{
	cJSON *j = new_review("SelfSubjectReview");

	if (j && add_user(cJSON_AddObjectToObject(cJSON_AddObjectToObject(j, "status"), "userInfo"), u) < 0) {
		cJSON_Delete(j);
		return NULL;
	}
	return j;
}

static void reply_created(struct cm_http_req *req, cJSON *j)
{
	struct cm_buf b = CM_BUF_INIT;

	if (!j || cm_json_print(j, &b) < 0)
		cm_http_respond_error(req, 500, "out of memory");
	else
		cm_http_respond_buf(req, 201, "application/json", &b);
	cm_buf_close(&b);
	cJSON_Delete(j);
}

/*
 * The body (JSON or kubectl's protobuf) carries nothing the answer needs, so
 * it is not read. Every authenticated user may ask, as Kubernetes'
 * system:basic-user role grants; others only if the authorizers allow it.
 */
static void handle_ssr(struct cm_http_req *req, struct api_server *srv, bool tls)
{
	struct api_user u;
	cJSON *j;

	if (api_auth_identify(srv->auth, req, tls, &u, &j) < 0) {
		reply_status(req, j);
		return;
	}
	if (!api_user_in_group(&u, "system:authenticated") &&
	    (j = api_auth_create_refused(srv->auth, &u, "authentication.k8s.io", "selfsubjectreviews", NULL))) {
		reply_status(req, j);
		return;
	}
	reply_created(req, review(&u));
}

/* Appends list as Go's %q writes a []string: ["a" "b"], quotes and backslashes escaped. */
static int go_quoted(struct cm_buf *out, const cJSON *list)
{
	const cJSON *a;
	int rc = cm_buf_putc(out, '[');

	cJSON_ArrayForEach(a, list)
	{
		const char *s = cJSON_IsString(a) ? a->valuestring : "";

		if (!rc && a != list->child)
			rc = cm_buf_putc(out, ' ');
		rc = rc ? rc : cm_buf_putc(out, '"');
		for (; !rc && *s; s++) {
			if (*s == '"' || *s == '\\')
				rc = cm_buf_putc(out, '\\');
			rc = rc ? rc : cm_buf_putc(out, *s);
		}
		rc = rc ? rc : cm_buf_putc(out, '"');
	}
	return rc ? rc : cm_buf_putc(out, ']');
}

/* Whether the audiences a review asks for (spec.audiences; none: the apiserver's own) include this apiserver's. */
static bool audience_matches(const cJSON *wanted)
{
	const cJSON *a;

	if (cJSON_GetArraySize(wanted) == 0)
		return true;
	cJSON_ArrayForEach(a, wanted)
		if (cJSON_IsString(a) && !strcmp(a->valuestring, API_SA_ISSUER))
			return true;
	return false;
}

/*
 * A review's answer for a token that authenticates but not for the audiences
 * asked: unauthenticated, and for a ServiceAccount token the error Kubernetes
 * gives (a token file's token is audience-agnostic: no error).
 */
static bool audience_refused(cJSON *st, const char *token, const cJSON *wanted)
{
	struct cm_buf e = CM_BUF_INIT;
	bool ok = cJSON_AddObjectToObject(st, "user") != NULL;

	if (ok && api_sa_token_is_jwt(token)) {
		ok = cm_buf_puts(&e, "[invalid bearer token, token audiences [\"" API_SA_ISSUER
				     "\"] is invalid for the target audiences ") == 0 &&
		     go_quoted(&e, wanted) == 0 && cm_buf_putc(&e, ']') == 0 &&
		     cJSON_AddStringToObject(st, "error", e.data);
	}
	cm_buf_close(&e);
	return ok;
}

/*
 * TokenReview, as webhook token authenticators and kube-rbac-proxy ask: whose
 * is spec.token? The caller needs create tokenreviews (system:auth-delegator
 * grants it). An unknown, expired or revoked token is answered
 * authenticated: false, not an error. spec.audiences, when given, must
 * include this apiserver's audience (its tokens have no other), which
 * status.audiences then names, as Kubernetes answers.
 */
static void handle_tr(struct cm_http_req *req, struct api_server *srv, bool tls)
{
	struct api_user caller, who;
	size_t len = 0;
	const char *body = cm_http_req_body(req, &len), *token;
	cJSON *j = NULL, *out, *st, *aud;
	const cJSON *wanted;
	bool ok, authed;

	if (api_auth_identify(srv->auth, req, tls, &caller, &j) < 0) {
		reply_status(req, j);
		return;
	}
	if ((j = api_auth_create_refused(srv->auth, &caller, "authentication.k8s.io", "tokenreviews", NULL))) {
		reply_status(req, j);
		return;
	}
	if (cm_json_parse(body, len, &j, NULL) < 0 || !cJSON_IsObject(j)) {
		cJSON_Delete(j);
		reply_status(req, api_status_bad_request("the body must be a TokenReview"));
		return;
	}
	token = cm_json_str_or(j, "spec.token", "");
	if (!*token) {
		cJSON_Delete(j);
		reply_status(req, api_status_bad_request("token is required for TokenReview in authentication"));
		return;
	}
	out = new_review("TokenReview");
	st = out ? cJSON_AddObjectToObject(out, "status") : NULL;
	ok = st && cJSON_AddItemToObject(out, "spec", cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(j, "spec"), 1));
	wanted = cm_json_get(j, "spec.audiences");
	authed = ok && api_auth_token(srv->auth, token, &who) == 0;
	if (authed && !audience_matches(wanted)) {
		ok = audience_refused(st, token, wanted);
	} else if (authed) {
		/* the only audience this apiserver's tokens are for: the intersection with what was asked */
		ok = cJSON_AddTrueToObject(st, "authenticated") && add_user(cJSON_AddObjectToObject(st, "user"), &who) == 0 &&
		     (aud = cJSON_AddArrayToObject(st, "audiences")) &&
		     cJSON_AddItemToArray(aud, cJSON_CreateString(API_SA_ISSUER));
	} else if (ok) {
		ok = cJSON_AddObjectToObject(st, "user") != NULL;
	}
	cJSON_Delete(j);
	if (!ok) {
		cJSON_Delete(out);
		out = NULL;
	}
	reply_created(req, out);
}

static void handle_ssr_plain(struct cm_http_req *req, void *ud)
{
	handle_ssr(req, ud, false);
}

static void handle_ssr_tls(struct cm_http_req *req, void *ud)
{
	handle_ssr(req, ud, true);
}

static void handle_tr_plain(struct cm_http_req *req, void *ud)
{
	handle_tr(req, ud, false);
}

static void handle_tr_tls(struct cm_http_req *req, void *ud)
{
	handle_tr(req, ud, true);
}

int api_authn_review_route(struct api_server *srv, struct cm_http_server *http, bool tls)
{
	int rc = cm_http_server_route(http, "POST", "/apis/authentication.k8s.io/v1/selfsubjectreviews",
				      tls ? handle_ssr_tls : handle_ssr_plain, srv);

	if (!rc)
		rc = cm_http_server_route(http, "POST", "/apis/authentication.k8s.io/v1/tokenreviews",
					  tls ? handle_tr_tls : handle_tr_plain, srv);
	return rc;
}
