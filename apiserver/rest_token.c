/* rest_token.c: TokenRequest (POST serviceaccounts/{name}/token): a signed token for an existing ServiceAccount. */
#include "apiserver/rest.h"

#include <errno.h>
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

static void got_sa(int err, const struct api_kv_result *r, void *ud)
{
	struct api_ctx *c = ud;
	struct cm_buf tok = CM_BUF_INIT;
	char exp[CM_RFC3339_LEN];
	cJSON *sa, *out = NULL, *spec, *st;
	int64_t ttl = TTL_DEFAULT;
	int rc;

	if (err) {
		api_ctx_reply_err(c, err, NULL);
		return;
	}
	sa = api_obj_parse_stored(r->kvs[0].value, r->kvs[0].value_len, r->kvs[0].mod_rev);
	if (!sa) {
		api_ctx_reply_err(c, -EIO, "stored object is not readable");
		return;
	}
	if (c->body)
		cm_json_get_int64(c->body, "spec.expirationSeconds", &ttl);
	if (ttl < TTL_MIN) {
		cJSON_Delete(sa);
		api_ctx_reply_status(c, api_status_bad_request("spec.expirationSeconds: may not specify a duration less "
								"than 10 minutes"));
		return;
	}
	if (ttl > TTL_MAX)
		ttl = TTL_MAX;
	rc = api_auth_sa_token(c->srv->auth, c->ns, c->name, api_obj_meta_str(sa, "uid"), ttl, &tok);
	cJSON_Delete(sa);
	if (rc < 0) {
		cm_buf_close(&tok);
		api_ctx_reply_err(c, rc, NULL);
		return;
	}
	cm_time_format((cm_time_wall_ms() / 1000 + ttl) * 1000, 0, exp);
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
			cJSON *aud = cJSON_AddArrayToObject(spec, "audiences");

			if (aud)
				cJSON_AddItemToArray(aud, cJSON_CreateString(API_SA_ISSUER));
			cJSON_AddNumberToObject(spec, "expirationSeconds", (double)ttl);
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

void api_rest_token_request(struct api_ctx *c)
{
	int rc;

	if (!c->name || !c->ns) {
		api_ctx_reply_status(c, api_status_method_not_allowed("", "serviceaccounts", NULL));
		return;
	}
	if (api_auth_sa_token(c->srv->auth, "x", "x", "", TTL_MIN, NULL) == -ENOTSUP) {
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
