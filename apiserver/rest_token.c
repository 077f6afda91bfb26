/* rest_token.c: TokenRequest (POST serviceaccounts/{name}/token): a signed token for an existing ServiceAccount, maybe bound to a pod or secret. */
#include "apiserver/rest.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "apiserver/authz.h"
#include "apiserver/object.h"
#include "apiserver/sa_token.h"
#include "apiserver/status.h"
#include "common/json.h"
#include "common/timeutil.h"

/* As Kubernetes: an hour unless asked, at least 10 minutes, at most 48 hours (its --service-account-max-token-expiration) */
#define TTL_DEFAULT 3600
#define TTL_MIN 600
#define TTL_MAX (48 * 3600)

/* What the request carries from reading the ServiceAccount to reading the bound object (c->extra). */
struct token_req {
	char *sa_uid;
	int64_t ttl;
	struct api_sa_bound bound; /* kind and name from the request; uid the stored object's */
	const struct api_resource *bound_res;
	char *bound_uid;
};

static void token_req_free(void *p)
{
	struct token_req *t = p;

	free(t->sa_uid);
	free(t->bound_uid);
	free(t);
}

/* Signs and answers the TokenRequest, its spec as Kubernetes echoes it (boundObjectRef with the uid filled). */
static void issue(struct api_ctx *c, struct token_req *t)
{
	struct cm_buf tok = CM_BUF_INIT;
	char exp[CM_RFC3339_LEN];
	cJSON *out = NULL, *spec, *st;
	int rc;

	rc = api_auth_sa_token(c->srv->auth, c->ns, c->name, t->sa_uid, &t->bound, t->ttl, &tok);
	if (rc < 0) {
		cm_buf_close(&tok);
		api_ctx_reply_err(c, rc, NULL);
		return;
	}
	cm_time_format((cm_time_wall_ms() / 1000 + t->ttl) * 1000, 0, exp);
	out = cJSON_CreateObject();
	if (out && cJSON_AddStringToObject(out, "kind", "TokenRequest") &&
	    cJSON_AddStringToObject(out, "apiVersion", "authentication.k8s.io/v1")) {
		cJSON *meta = cJSON_AddObjectToObject(out, "metadata");

		if (meta) {
			cJSON_AddStringToObject(meta, "name", c->name);
			cJSON_AddStringToObject(meta, "namespace", c->ns);
		}
		spec = cJSON_AddObjectToObject(out, "spec");
		if (spec) {
			cJSON *aud = cJSON_AddArrayToObject(spec, "audiences"), *ref;

			if (aud)
				cJSON_AddItemToArray(aud, cJSON_CreateString(API_SA_ISSUER));
			cJSON_AddNumberToObject(spec, "expirationSeconds", (double)t->ttl);
			if (t->bound.kind != API_SA_UNBOUND && (ref = cJSON_AddObjectToObject(spec, "boundObjectRef"))) {
				cJSON_AddStringToObject(ref, "kind", t->bound_res->kind);
				cJSON_AddStringToObject(ref, "apiVersion", "v1");
				cJSON_AddStringToObject(ref, "name", t->bound.name);
				cJSON_AddStringToObject(ref, "uid", t->bound.uid);
			}
		}
		st = cJSON_AddObjectToObject(out, "status");
		if (st) {
			cJSON_AddStringToObject(st, "token", tok.data);
			cJSON_AddStringToObject(st, "expirationTimestamp", exp);
		}
	}
	cm_buf_close(&tok);
	api_ctx_reply_obj(c, 201, out);
}

/* The bound object as stored: it must exist, hold the uid asked (if any) and, a pod, run as the ServiceAccount. */
static void got_bound(int err, const struct api_kv_result *r, void *ud)
{
	struct api_ctx *c = ud;
	struct token_req *t = c->extra;
	const char *want = cm_json_str_or(c->body, "spec.boundObjectRef.uid", "");
	struct cm_buf msg = CM_BUF_INIT;
	cJSON *obj;

	if (err) {
		api_ctx_reply_status(c, err == -ENOENT ? api_status_not_found("", t->bound_res->plural, t->bound.name)
						       : api_status_from_err(err, "", t->bound_res->plural, t->bound.name, NULL));
		return;
	}
	obj = api_obj_parse_stored(r->kvs[0].value, r->kvs[0].value_len, r->kvs[0].mod_rev);
	if (!obj) {
		api_ctx_reply_err(c, -EIO, "stored object is not readable");
		return;
	}
	t->bound_uid = strdup(cm_json_str_or(obj, "metadata.uid", ""));
	if (!t->bound_uid) {
		cJSON_Delete(obj);
		api_ctx_reply_err(c, -ENOMEM, NULL);
		return;
	}
	t->bound.uid = t->bound_uid;
	if (t->bound.kind == API_SA_BOUND_POD) {
		const char *sa = cm_json_str_or(obj, "spec.serviceAccountName", "");

		if (strcmp(*sa ? sa : "default", c->name)) {
			cJSON_Delete(obj);
			cm_buf_printf(&msg, "cannot bind token for serviceaccount \"%s\" to pod running with different "
					    "serviceaccount name.", c->name);
			api_ctx_reply_status(c, api_status_bad_request(msg.data ? msg.data : "serviceaccount mismatch"));
			cm_buf_close(&msg);
			return;
		}
	}
	cJSON_Delete(obj);
	if (*want && strcmp(want, t->bound_uid)) {
		cm_buf_printf(&msg, "the UID in the bound object reference (%s) does not match the UID in record. The "
				    "object might have been deleted and then recreated", want);
		api_ctx_reply_status(c, api_status_conflict("", t->bound_res->kind, t->bound.name,
							    msg.data ? msg.data : "uid mismatch"));
		cm_buf_close(&msg);
		return;
	}
	issue(c, t);
}

/* Reads spec.boundObjectRef into t: 0 (none, or kind and name set), or answers 400 and returns -EINVAL. */
static int read_bound(struct api_ctx *c, struct token_req *t)
{
	const cJSON *ref = cm_json_get(c->body, "spec.boundObjectRef");
	const char *kind, *api_version;
	struct cm_buf msg = CM_BUF_INIT;

	if (!ref || cJSON_IsNull(ref))
		return 0;
	kind = cm_json_str_or(ref, "kind", "");
	api_version = cm_json_str_or(ref, "apiVersion", "v1");
	if (!strcmp(api_version, "v1") && !strcmp(kind, "Pod"))
		t->bound.kind = API_SA_BOUND_POD;
	else if (!strcmp(api_version, "v1") && !strcmp(kind, "Secret"))
		t->bound.kind = API_SA_BOUND_SECRET;
	if (t->bound.kind == API_SA_UNBOUND) {
		/* as Kubernetes prints a group-version-kind: "/v1, Kind=ConfigMap" for the core group */
		cm_buf_printf(&msg, "cannot bind token to object of type %s%s, Kind=%s", strchr(api_version, '/') ? "" : "/",
			      api_version, kind);
		api_ctx_reply_status(c, api_status_bad_request(msg.data ? msg.data : "cannot bind token"));
		cm_buf_close(&msg);
		return -EINVAL;
	}
	t->bound.name = cm_json_str_or(ref, "name", "");
	if (!*t->bound.name) {
		api_ctx_reply_status(c, api_status_bad_request("spec.boundObjectRef.name: Required value"));
		return -EINVAL;
	}
	t->bound_res = api_resource_find("", "v1", t->bound.kind == API_SA_BOUND_POD ? "pods" : "secrets");
	return 0;
}

static void got_sa(int err, const struct api_kv_result *r, void *ud)
{
	struct api_ctx *c = ud;
	struct token_req *t = calloc(1, sizeof(*t));
	cJSON *sa;
	int rc;

	if (!t || err) {
		free(t);
		api_ctx_reply_err(c, err ? err : -ENOMEM, NULL);
		return;
	}
	c->extra = t;
	c->extra_free = token_req_free;
	sa = api_obj_parse_stored(r->kvs[0].value, r->kvs[0].value_len, r->kvs[0].mod_rev);
	if (!sa) {
		api_ctx_reply_err(c, -EIO, "stored object is not readable");
		return;
	}
	t->sa_uid = strdup(cm_json_str_or(sa, "metadata.uid", ""));
	cJSON_Delete(sa);
	if (!t->sa_uid) {
		api_ctx_reply_err(c, -ENOMEM, NULL);
		return;
	}
	t->ttl = TTL_DEFAULT;
	if (c->body)
		cm_json_get_int64(c->body, "spec.expirationSeconds", &t->ttl);
	if (t->ttl < TTL_MIN) {
		api_ctx_reply_status(c, api_status_bad_request("spec.expirationSeconds: may not specify a duration less "
								"than 10 minutes"));
		return;
	}
	if (t->ttl > TTL_MAX)
		t->ttl = TTL_MAX;
	if (read_bound(c, t) < 0)
		return;
	if (t->bound.kind == API_SA_UNBOUND) {
		issue(c, t);
		return;
	}
	/* read through storage, not a cache: a token must not be bound to an object already gone */
	cm_buf_reset(&c->key);
	rc = api_resource_key(t->bound_res, c->ns, t->bound.name, &c->key);
	if (!rc)
		rc = api_storage_get(c->srv->store, c->key.data, got_bound, c);
	if (rc < 0)
		api_ctx_reply_err(c, rc, NULL);
}

void api_rest_token_request(struct api_ctx *c)
{
	int rc;

	if (!c->name || !c->ns) {
		api_ctx_reply_status(c, api_status_method_not_allowed("", "serviceaccounts", NULL));
		return;
	}
	if (api_auth_sa_token(c->srv->auth, "x", "x", "", NULL, TTL_MIN, NULL) == -ENOTSUP) {
		api_ctx_reply_status(c, api_status_new(404, "NotFound",
						       "the server could not find the requested resource "
						       "(ServiceAccount tokens need --service-account-key-file)"));
		return;
	}
	rc = api_resource_key(c->res, c->ns, c->name, &c->key);
	if (!rc)
		rc = api_storage_get(c->srv->store, c->key.data, got_sa, c);
	if (rc < 0)
		api_ctx_reply_err(c, rc, NULL);
}
