/* rest_mutate.c: how PUT, PATCH (three kinds and apply), binding, status and scale change a stored object. */
#include "apiserver/rest.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "apiserver/apply.h"
#include "apiserver/object.h"
#include "apiserver/patch.h"
#include "apiserver/status.h"
#include "common/json.h"

cJSON *api_check_type(struct api_ctx *c, cJSON *obj, const char *kind);
cJSON *api_prepare_create(struct api_ctx *c, cJSON *obj);

/* A resourceVersion the client sent is a precondition. NULL or a Status. */
static cJSON *take_precondition(struct api_ctx *c, const cJSON *obj)
{
	const char *rv = api_obj_meta_str(obj, "resourceVersion");
	char *end;

	if (!rv || !*rv)
		return NULL;
	c->precondition_rv = strtoll(rv, &end, 10);
	if (*end || c->precondition_rv <= 0)
		return api_status_bad_request("invalid resourceVersion");
	return NULL;
}

static cJSON *name_check(struct api_ctx *c, const cJSON *obj)
{
	const char *name = api_obj_meta_str(obj, "name");

	if (name && strcmp(name, c->name))
		return api_status_bad_request("the name of the object does not match the name on the URL");
	return NULL;
}

/* Scale (autoscaling/v1) of a deployment or replicaset. */
cJSON *api_scale_from(const struct api_resource *r, const cJSON *obj)
{
	cJSON *s = cJSON_CreateObject(), *meta, *spec, *status;
	struct cm_buf sel = CM_BUF_INIT;
	const cJSON *ml = cm_json_get(obj, "spec.selector.matchLabels"), *it;

	(void)r;
	if (!s)
		return NULL;
	cJSON_AddStringToObject(s, "kind", "Scale");
	cJSON_AddStringToObject(s, "apiVersion", "autoscaling/v1");
	meta = cJSON_AddObjectToObject(s, "metadata");
	spec = cJSON_AddObjectToObject(s, "spec");
	status = cJSON_AddObjectToObject(s, "status");
	if (!meta || !spec || !status) {
		cJSON_Delete(s);
		return NULL;
	}
	static const char *const m[] = {"name", "namespace", "uid", "resourceVersion", "creationTimestamp"};
	for (size_t i = 0; i < sizeof(m) / sizeof(m[0]); i++)
		if (api_obj_meta_str(obj, m[i]))
			cJSON_AddStringToObject(meta, m[i], api_obj_meta_str(obj, m[i]));
	cJSON_AddNumberToObject(spec, "replicas", (double)cm_json_int64_or(obj, "spec.replicas", 1));
	cJSON_AddNumberToObject(status, "replicas", (double)cm_json_int64_or(obj, "status.replicas", 0));
	cJSON_ArrayForEach(it, ml) {
		if (cJSON_IsString(it))
			cm_buf_printf(&sel, "%s%s=%s", sel.len ? "," : "", it->string, it->valuestring);
	}
	if (sel.len)
		cJSON_AddStringToObject(status, "selector", sel.data);
	cm_buf_close(&sel);
	return s;
}

/* Puts replicas from a Scale into a copy of old. */
static cJSON *apply_scale(struct api_ctx *c, const cJSON *old, const cJSON *scale, cJSON **out)
{
	int64_t n;
	cJSON *obj;

	if (cm_json_get_int64(scale, "spec.replicas", &n) < 0 || n < 0) {
		struct api_ferrs e;
		cJSON *st;

		api_ferrs_init(&e);
		api_ferr_invalid_int(&e, "spec.replicas", n, "must be greater than or equal to 0");
		st = api_status_invalid("autoscaling", "Scale", c->name, &e);
		api_ferrs_close(&e);
		return st;
	}
	obj = cm_json_copy(old);
	if (!obj || cm_json_set(obj, "spec.replicas", cJSON_CreateNumber((double)n)) < 0) {
		cJSON_Delete(obj);
		return api_status_internal("out of memory");
	}
	*out = obj;
	return NULL;
}

/* Takes the status of src into a copy of old (the status subresource). */
static cJSON *apply_status(const cJSON *old, const cJSON *src, cJSON **out)
{
	cJSON *obj = cm_json_copy(old);

	if (!obj || api_obj_copy_member(obj, src, "status") < 0) {
		cJSON_Delete(obj);
		return api_status_internal("out of memory");
	}
	/* a status writer may also change labels and annotations, as kubelet does */
	*out = obj;
	return NULL;
}

static cJSON *mutate_put(struct api_ctx *c, const cJSON *old, cJSON **out)
{
	cJSON *st;

	if (c->sub && !strcmp(c->sub, "scale"))
		return apply_scale(c, old, c->body, out);
	if ((st = name_check(c, c->body)))
		return st;
	if (c->sub && !strcmp(c->sub, "status"))
		return apply_status(old, c->body, out);
	if (c->sub && !strcmp(c->sub, "finalize")) {
		/* namespaces/{name}/finalize: only spec.finalizers changes */
		const cJSON *want = cm_json_get(c->body, "spec.finalizers");
		cJSON *obj = cm_json_copy(old), *f = want ? cm_json_copy(want) : cJSON_CreateArray();

		if (!obj || !f) {
			cJSON_Delete(obj);
			cJSON_Delete(f);
			return api_status_internal("out of memory");
		}
		if (cm_json_set(obj, "spec.finalizers", f) < 0) {
			cJSON_Delete(obj);
			return api_status_internal("out of memory");
		}
		*out = obj;
		return NULL;
	}
	*out = cm_json_copy(c->body);
	return NULL;
}

void api_rest_update(struct api_ctx *c)
{
	cJSON *st;

	if (!c->body || !cJSON_IsObject(c->body)) {
		api_ctx_reply_status(c, api_status_bad_request("the body of the request must be an object"));
		return;
	}
	st = NULL;
	if (!c->sub || strcmp(c->sub, "scale"))
		st = api_check_type(c, c->body, c->res->kind);
	if (!st)
		st = take_precondition(c, c->body);
	if (st) {
		api_ctx_reply_status(c, st);
		return;
	}
	c->mutate = mutate_put;
	api_update_run(c);
}

static enum api_patch_type patch_type(const char *ct)
{
	if (!ct)
		return API_PATCH_NONE;
	if (!strncmp(ct, "application/merge-patch+json", 28))
		return API_PATCH_MERGE;
	if (!strncmp(ct, "application/strategic-merge-patch+json", 38))
		return API_PATCH_STRATEGIC;
	if (!strncmp(ct, "application/json-patch+json", 27))
		return API_PATCH_JSON;
	if (!strncmp(ct, "application/apply-patch+yaml", 28))
		return API_PATCH_APPLY;
	return API_PATCH_NONE;
}

static cJSON *run_patch(struct api_ctx *c, const cJSON *doc, cJSON **out)
{
	enum api_patch_type t = patch_type(cm_http_req_header(c->req, "Content-Type"));
	struct cm_buf err = CM_BUF_INIT;
	cJSON *st = NULL;
	int rc;

	switch (t) {
	case API_PATCH_MERGE:
		rc = api_patch_merge(doc, c->body, out);
		break;
	case API_PATCH_JSON:
		rc = api_patch_json(doc, c->body, out, &err);
		break;
	default:
		rc = api_patch_strategic(doc, c->body, out, &err);
		break;
	}
	if (rc == -ENOMEM)
		st = api_status_internal("out of memory");
	else if (rc < 0)
		st = api_status_bad_request(err.data ? err.data : "the patch could not be applied");
	cm_buf_close(&err);
	return st;
}

static cJSON *mutate_patch(struct api_ctx *c, const cJSON *old, cJSON **out)
{
	cJSON *patched = NULL, *st;
	bool scale = c->sub && !strcmp(c->sub, "scale");
	cJSON *doc = scale ? api_scale_from(c->res, old) : NULL;

	if (scale && !doc)
		return api_status_internal("out of memory");
	st = run_patch(c, scale ? doc : old, &patched);
	cJSON_Delete(doc);
	if (st)
		return st;
	if (!cJSON_IsObject(patched)) {
		cJSON_Delete(patched);
		return api_status_bad_request("the patch did not produce an object");
	}
	if (scale) {
		st = apply_scale(c, old, patched, out);
		cJSON_Delete(patched);
		return st;
	}
	if ((st = api_check_type(c, patched, c->res->kind)) || (st = name_check(c, patched))) {
		cJSON_Delete(patched);
		return st;
	}
	if (c->sub && !strcmp(c->sub, "status")) {
		st = apply_status(old, patched, out);
		cJSON_Delete(patched);
		return st;
	}
	*out = patched;
	return NULL;
}

/* Server-side apply onto old (the object or its status subresource). */
static cJSON *mutate_apply(struct api_ctx *c, const cJSON *old, cJSON **out)
{
	cJSON *obj = NULL, *st = api_apply_run(c, old, &obj);

	if (st)
		return st;
	if ((st = api_check_type(c, obj, c->res->kind)) || (st = name_check(c, obj))) {
		cJSON_Delete(obj);
		return st;
	}
	if (c->sub && !strcmp(c->sub, "status")) {
		st = apply_status(old, obj, out);
		/* the status write keeps the entries the apply computed */
		if (!st && api_obj_copy_member(api_obj_meta(*out), cJSON_GetObjectItemCaseSensitive(obj, "metadata"),
					       "managedFields") < 0) {
			cJSON_Delete(*out);
			*out = NULL;
			st = api_status_internal("out of memory");
		}
		cJSON_Delete(obj);
		return st;
	}
	*out = obj;
	return NULL;
}

void api_rest_create(struct api_ctx *c);

static void patch_create_if_missing(int err, const struct api_kv_result *r, void *ud)
{
	struct api_ctx *c = ud;

	(void)r;
	if (err == -ENOENT) {
		/* server-side apply of a missing object creates it */
		api_rest_create(c);
		return;
	}
	if (err) {
		api_ctx_reply_err(c, err, NULL);
		return;
	}
	api_update_run(c);
}

void api_rest_patch(struct api_ctx *c)
{
	enum api_patch_type t = patch_type(cm_http_req_header(c->req, "Content-Type"));
	cJSON *st = NULL;

	if (t == API_PATCH_NONE) {
		api_ctx_reply_status(c, api_status_unsupported_media_type(
						"application/json-patch+json, application/merge-patch+json, application/strategic-merge-patch+json, application/apply-patch+yaml"));
		return;
	}
	if (!c->body) {
		api_ctx_reply_status(c, api_status_bad_request("the body of the request was empty"));
		return;
	}
	st = api_apply_check_options(c);
	if (!st && t == API_PATCH_APPLY && cJSON_IsObject(c->body))
		st = api_apply_unknown_fields(c);
	if (!st && t != API_PATCH_JSON && cJSON_IsObject(c->body))
		st = take_precondition(c, c->body);
	if (st) {
		api_ctx_reply_status(c, st);
		return;
	}
	c->mutate = t == API_PATCH_APPLY && (!c->sub || !strcmp(c->sub, "status")) ? mutate_apply : mutate_patch;
	if (t == API_PATCH_APPLY && !c->sub) {
		int rc = api_resource_key(c->res, c->ns, c->name, &c->key);

		if (!rc)
			rc = api_storage_get(c->srv->store, c->key.data, patch_create_if_missing, c);
		if (rc < 0)
			api_ctx_reply_err(c, rc, NULL);
		return;
	}
	api_update_run(c);
}

static cJSON *mutate_binding(struct api_ctx *c, const cJSON *old, cJSON **out)
{
	const char *node = cm_json_get_str(c->body, "target.name");
	const char *cur = cm_json_get_str(old, "spec.nodeName");
	cJSON *obj;

	if (cur && *cur) {
		struct cm_buf m = CM_BUF_INIT;
		cJSON *st;

		cm_buf_printf(&m, "pod %s is already assigned to node \"%s\"", c->name, cur);
		st = api_status_conflict(c->res->group, c->res->plural, c->name, m.data);
		cm_buf_close(&m);
		return st;
	}
	if (cm_json_get(old, "metadata.deletionTimestamp"))
		return api_status_conflict(c->res->group, c->res->plural, c->name, "pod is being deleted, cannot be assigned to a host");
	obj = cm_json_copy(old);
	if (!obj || cm_json_set_str(obj, "spec.nodeName", node) < 0) {
		cJSON_Delete(obj);
		return api_status_internal("out of memory");
	}
	*out = obj;
	return NULL;
}

void api_rest_binding(struct api_ctx *c)
{
	const char *node = c->body ? cm_json_get_str(c->body, "target.name") : NULL;
	const char *name = c->body ? api_obj_meta_str(c->body, "name") : NULL;

	if (!node || !*node) {
		struct api_ferrs e;

		api_ferrs_init(&e);
		api_ferr_required(&e, "target.name", NULL);
		api_ctx_reply_status(c, api_status_invalid("", "Binding", c->name, &e));
		api_ferrs_close(&e);
		return;
	}
	if (name && strcmp(name, c->name)) {
		api_ctx_reply_status(c, api_status_bad_request("the name of the binding does not match the pod"));
		return;
	}
	c->mutate = mutate_binding;
	api_update_run(c);
}
