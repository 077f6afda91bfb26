/* satoken.c: ServiceAccount tokens in projected volumes: the TokenRequest the kubelet sends for a pod, and their refresh. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "common/json.h"
#include "common/log.h"
#include "common/timeutil.h"
#include "kubelet/worker.h"

#define TTL_DEFAULT_S 3600                   /* a source without expirationSeconds, as Kubernetes defaults it */
#define REFRESH_MAX_MS (24LL * 3600 * 1000)  /* a long-lived token is still renewed daily */
#define RETRY_MS 10000

int kl_token_request(const struct kl_pod_worker *w, const cJSON *src, struct cm_buf *path, struct cm_buf *body)
{
	const char *sa = cm_json_get_str(w->pod, "spec.serviceAccountName");
	const char *aud = cm_json_get_str(src, "audience");
	cJSON *o = cJSON_CreateObject(), *spec, *ref;
	int rc = -ENOMEM;

	if (!sa || !*sa)
		sa = cm_json_str_or(w->pod, "spec.serviceAccount", "default"); /* the deprecated field */
	if (!*sa)
		sa = "default";
	if (!o || !cJSON_AddStringToObject(o, "apiVersion", "authentication.k8s.io/v1") ||
	    !cJSON_AddStringToObject(o, "kind", "TokenRequest") || !(spec = cJSON_AddObjectToObject(o, "spec")))
		goto out;
	if (aud && *aud) {
		cJSON *a = cJSON_AddArrayToObject(spec, "audiences");

		if (!a || !cJSON_AddItemToArray(a, cJSON_CreateString(aud)))
			goto out;
	}
	if (!cJSON_AddNumberToObject(spec, "expirationSeconds",
				     (double)cm_json_int64_or(src, "expirationSeconds", TTL_DEFAULT_S)) ||
	    !(ref = cJSON_AddObjectToObject(spec, "boundObjectRef")) ||
	    !cJSON_AddStringToObject(ref, "kind", "Pod") || !cJSON_AddStringToObject(ref, "apiVersion", "v1") ||
	    !cJSON_AddStringToObject(ref, "name", w->name) || !cJSON_AddStringToObject(ref, "uid", w->uid))
		goto out;
	if ((rc = cm_buf_printf(path, "/api/v1/namespaces/%s/serviceaccounts/%s/token", w->ns, sa)) == 0)
		rc = cm_json_print(o, body);
out:
	cJSON_Delete(o);
	return rc;
}

int kl_token_key(const char *vol, const cJSON *src, struct cm_buf *out)
{
	const char *p = cm_json_str_or(src, "path", "token");

	if (strstr(p, "..") || *p == '/')
		return -EINVAL;
	return cm_buf_printf(out, "tokens/%s/%s", vol, p);
}

void kl_token_stamp(struct kl_pod_worker *w, cJSON *obj)
{
	int64_t now = cm_time_wall_ms(), exp = 0, at;
	const char *ts = cm_json_get_str(obj, "status.expirationTimestamp");

	if (!ts || cm_time_parse(ts, &exp) < 0 || exp <= now)
		exp = now + 1000 * cm_json_int64_or(obj, "spec.expirationSeconds", TTL_DEFAULT_S);
	/* as Kubernetes' token manager: renewed once 80% of its life has passed, or after a day */
	at = now + (exp - now) * 8 / 10;
	if (at > now + REFRESH_MAX_MS)
		at = now + REFRESH_MAX_MS;
	if (!w->token_refresh_at || at < w->token_refresh_at)
		w->token_refresh_at = at;
}

struct refresh {
	struct kl_pod_worker *w;
	char *key;
};

static void refreshed(const struct cm_http_response *r, void *ud)
{
	struct refresh *f = ud;
	struct kl_pod_worker *w = f->w;
	cJSON *obj = NULL;
	int rc = -EIO;

	w->token_busy--;
	if (!w->removed && r->err == 0 && r->status == 201 && cm_json_parse(r->body, r->len, &obj, NULL) == 0) {
		kl_token_stamp(w, obj);
		cJSON_DeleteItemFromObject(w->deps, f->key);
		cJSON_AddItemToObject(w->deps, f->key, obj);
		rc = kl_volume_write_token(w, f->key);
	}
	if (!w->removed && rc < 0) {
		int64_t at = cm_time_wall_ms() + RETRY_MS;

		cm_warn("pod %s/%s: %s not renewed (status %ld, %s): retried in %ds", w->ns, w->name, f->key, r->status,
			r->err ? cm_strerror(r->err) : "", RETRY_MS / 1000);
		if (!w->token_refresh_at || at < w->token_refresh_at)
			w->token_refresh_at = at;
	}
	free(f->key);
	free(f);
	kl_worker_unref(w);
}

static void refresh_one(struct kl_pod_worker *w, const char *vol, const cJSON *src)
{
	struct cm_buf key = CM_BUF_INIT, path = CM_BUF_INIT, body = CM_BUF_INIT;
	struct refresh *f = NULL;
	int rc = -ENOMEM;

	if (kl_token_request(w, src, &path, &body) < 0 || kl_token_key(vol, src, &key) < 0 ||
	    !(f = calloc(1, sizeof(*f))))
		goto out;
	f->w = w;
	f->key = cm_buf_take(&key);
	w->token_busy++;
	w->refs++;
	if ((rc = kl_api_send(w->srv, "POST", path.data, "application/json", body.data, refreshed, f)) < 0) {
		w->token_busy--;
		w->refs--;
		free(f->key);
		free(f);
	}
out:
	if (rc < 0) {
		int64_t at = cm_time_wall_ms() + RETRY_MS;

		if (!w->token_refresh_at || at < w->token_refresh_at)
			w->token_refresh_at = at;
	}
	cm_buf_close(&key);
	cm_buf_close(&path);
	cm_buf_close(&body);
}

void kl_token_refresh(struct kl_pod_worker *w)
{
	const cJSON *v, *src;

	w->token_refresh_at = 0; /* each answer sets the next */
	cJSON_ArrayForEach(v, cm_json_get(w->pod, "spec.volumes"))
	{
		cJSON_ArrayForEach(src, cm_json_get(v, "projected.sources"))
		{
			if (cm_json_get(src, "serviceAccountToken"))
				refresh_one(w, cm_json_str_or(v, "name", ""), cm_json_get(src, "serviceAccountToken"));
		}
	}
}
