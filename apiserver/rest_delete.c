/* rest_delete.c: delete with DeleteOptions (preconditions, grace, propagation, finalizers) and deletecollection. */
#include "apiserver/rest.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "apiserver/object.h"
#include "apiserver/status.h"
#include "common/err.h"
#include "common/json.h"
#include "common/timeutil.h"

#define MAX_ATTEMPTS 16

static void del_read(struct api_ctx *c);

static const char *option(struct api_ctx *c, const char *name)
{
	const char *q = c->req ? cm_http_req_query(c->req, name) : NULL;

	if (q)
		return q;
	return c->body ? cm_json_get_str(c->body, name) : NULL;
}

static int64_t grace_option(struct api_ctx *c)
{
	const char *q = c->req ? cm_http_req_query(c->req, "gracePeriodSeconds") : NULL;
	int64_t g;

	if (q && *q)
		return strtoll(q, NULL, 10);
	if (c->body && cm_json_get_int64(c->body, "gracePeriodSeconds", &g) == 0)
		return g;
	return -1;
}

/* Adds a finalizer unless present. 0 or -ENOMEM. */
static int add_finalizer(cJSON *obj, const char *f)
{
	cJSON *meta = api_obj_meta(obj), *list, *it;

	if (!meta)
		return -ENOMEM;
	list = cJSON_GetObjectItemCaseSensitive(meta, "finalizers");
	if (!cJSON_IsArray(list)) {
		cJSON_DeleteItemFromObjectCaseSensitive(meta, "finalizers");
		list = cJSON_AddArrayToObject(meta, "finalizers");
		if (!list)
			return -ENOMEM;
	}
	cJSON_ArrayForEach(it, list) {
		if (cJSON_IsString(it) && !strcmp(it->valuestring, f))
			return 0;
	}
	return cJSON_AddItemToArray(list, cJSON_CreateString(f)) ? 0 : -ENOMEM;
}

/* The mark: deletionTimestamp now + grace, and the propagation finalizer. */
static cJSON *mutate_mark(struct api_ctx *c, const cJSON *old, cJSON **out)
{
	const char *prop = option(c, "propagationPolicy");
	char when[CM_RFC3339_LEN];
	cJSON *obj = cm_json_copy(old), *g;
	int rc = 0;

	if (!obj)
		return api_status_internal("out of memory");
	if (prop && !strcmp(prop, "Foreground"))
		rc = add_finalizer(obj, "foregroundDeletion");
	else if (prop && !strcmp(prop, "Orphan"))
		rc = add_finalizer(obj, "orphan");
	if (!rc && !strcmp(c->res->plural, "namespaces"))
		rc = cm_json_set_str(obj, "status.phase", "Terminating");
	if (!rc && !cm_json_get(old, "metadata.deletionTimestamp")) {
		api_obj_now(cm_time_wall_ms() + c->delete_grace * 1000, when);
		rc = api_obj_meta_set(obj, "deletionTimestamp", when);
	}
	if (!rc) {
		g = cJSON_CreateNumber((double)c->delete_grace);
		rc = g ? cm_json_set(obj, "metadata.deletionGracePeriodSeconds", g) : -ENOMEM;
	}
	if (rc < 0) {
		cJSON_Delete(obj);
		return api_status_internal("out of memory");
	}
	*out = obj;
	return NULL;
}

static void deleted(int err, const struct api_kv_result *r, void *ud)
{
	struct api_ctx *c = ud;
	cJSON *obj = c->obj;

	if (err == -CM_ECONFLICT && ++c->attempts < MAX_ATTEMPTS) {
		del_read(c);
		return;
	}
	if (err) {
		api_ctx_reply_err(c, err, NULL);
		return;
	}
	c->obj = NULL;
	api_obj_set_rv(obj, r->revision);
	api_ctx_reply_obj(c, 200, obj);
}

static cJSON *check_preconditions(struct api_ctx *c, const cJSON *old, int64_t mod)
{
	const char *uid = c->body ? cm_json_get_str(c->body, "preconditions.uid") : NULL;
	const char *rv = c->body ? cm_json_get_str(c->body, "preconditions.resourceVersion") : NULL;
	struct cm_buf m = CM_BUF_INIT;
	cJSON *st = NULL;

	if (uid && strcmp(uid, api_obj_meta_str(old, "uid") ? api_obj_meta_str(old, "uid") : "")) {
		cm_buf_printf(&m, "Precondition failed: UID in precondition: %s, UID in object meta: %s", uid,
			      api_obj_meta_str(old, "uid"));
		st = api_status_conflict(c->res->group, c->res->plural, c->name, m.data);
	} else if (rv && strtoll(rv, NULL, 10) != mod) {
		cm_buf_printf(&m, "Precondition failed: ResourceVersion in precondition: %s, ResourceVersion in object meta: %lld",
			      rv, (long long)mod);
		st = api_status_conflict(c->res->group, c->res->plural, c->name, m.data);
	}
	cm_buf_close(&m);
	return st;
}

static void del_got(int err, const struct api_kv_result *r, void *ud)
{
	struct api_ctx *c = ud;
	const char *prop = option(c, "propagationPolicy");
	int64_t grace = grace_option(c), mod;
	bool mark;
	cJSON *old, *st;
	int rc = 0;

	if (err) {
		api_ctx_reply_err(c, err, NULL);
		return;
	}
	mod = r->kvs[0].mod_rev;
	old = api_obj_parse_stored(r->kvs[0].value, r->kvs[0].value_len, mod);
	if (!old) {
		api_ctx_reply_err(c, -EIO, "stored object is not readable");
		return;
	}
	if ((st = check_preconditions(c, old, mod))) {
		cJSON_Delete(old);
		api_ctx_reply_status(c, st);
		return;
	}
	/* a pod on a node ends gracefully: the kubelet stops it, then deletes with grace 0 */
	if (!strcmp(c->res->plural, "pods") && cm_json_get_str(old, "spec.nodeName") &&
	    *cm_json_get_str(old, "spec.nodeName") &&
	    strcmp(cm_json_str_or(old, "status.phase", ""), "Succeeded") &&
	    strcmp(cm_json_str_or(old, "status.phase", ""), "Failed")) {
		if (grace < 0)
			grace = cm_json_int64_or(old, "spec.terminationGracePeriodSeconds", 30);
	} else {
		grace = 0;
	}
	c->delete_grace = grace;
	mark = grace > 0 || api_pending_finalizers(old) > 0 ||
	       (prop && (!strcmp(prop, "Foreground") || !strcmp(prop, "Orphan")) &&
		!cm_json_get(old, "metadata.deletionTimestamp"));
	if (mark) {
		if (cm_json_get(old, "metadata.deletionTimestamp") &&
		    grace >= cm_json_int64_or(old, "metadata.deletionGracePeriodSeconds", 0)) {
			/* already being deleted: nothing to change */
			api_ctx_reply_obj(c, 200, old);
			return;
		}
		cJSON_Delete(old);
		c->marking = true;
		c->mutate = mutate_mark;
		api_update_run(c);
		return;
	}
	cJSON_Delete(c->obj);
	c->obj = old;
	api_alloc_close(&c->alloc);
	if (c->res->strategy->release)
		rc = c->res->strategy->release(old, &c->srv->env, &c->alloc);
	if (c->dry_run) {
		c->obj = NULL;
		api_ctx_reply_obj(c, 200, old);
		return;
	}
	if (!rc)
		rc = api_storage_delete(c->srv->store, c->key.data, mod, (const char *const *)c->alloc.release,
					(size_t)c->alloc.nrelease, deleted, c);
	if (rc < 0)
		api_ctx_reply_err(c, rc, NULL);
}

static void del_read(struct api_ctx *c)
{
	int rc = api_storage_get(c->srv->store, c->key.data, del_got, c);

	if (rc < 0)
		api_ctx_reply_err(c, rc, NULL);
}

void api_rest_delete(struct api_ctx *c)
{
	static const char *const kept[] = {"default", "kube-system", "kube-public"};

	for (size_t i = 0; !strcmp(c->res->plural, "namespaces") && i < sizeof(kept) / sizeof(kept[0]); i++) {
		if (!strcmp(c->name, kept[i])) {
			api_ctx_reply_status(c, api_status_forbidden("", "namespaces", c->name,
								     "this namespace may not be deleted"));
			return;
		}
	}
	if (c->body && !cJSON_IsObject(c->body)) {
		api_ctx_reply_status(c, api_status_bad_request("DeleteOptions must be an object"));
		return;
	}
	if (api_resource_key(c->res, c->ns, c->name, &c->key) < 0) {
		api_ctx_reply_err(c, -ENOMEM, NULL);
		return;
	}
	del_read(c);
}

/* ---- deletecollection: the matching objects, deleted (or marked) one after another ---- */

struct coll {
	struct api_kv *kvs;
	size_t n, i;
	int64_t deleted;
};

static void coll_next(struct api_ctx *c, struct coll *k);

static void coll_one_done(int err, const struct api_kv_result *r, void *ud)
{
	struct api_ctx *c = ud;
	struct coll *k = c->extra;

	(void)r;
	if (!err)
		k->deleted++;
	k->i++;
	coll_next(c, k);
}

static void coll_free(void *p)
{
	struct coll *k = p;

	for (size_t i = 0; i < k->n; i++) {
		free(k->kvs[i].key);
		free(k->kvs[i].value);
	}
	free(k->kvs);
	free(k);
}

static void coll_next(struct api_ctx *c, struct coll *k)
{
	int rc = 0;

	while (k->i < k->n) {
		struct api_kv *kv = &k->kvs[k->i];
		cJSON *obj = api_obj_parse_stored(kv->value, kv->value_len, kv->mod_rev);

		if (obj && api_pending_finalizers(obj) > 0) {
			struct cm_buf t = CM_BUF_INIT;
			char now[CM_RFC3339_LEN];

			api_obj_now(cm_time_wall_ms(), now);
			if (!cm_json_get(obj, "metadata.deletionTimestamp"))
				api_obj_meta_set(obj, "deletionTimestamp", now);
			cJSON_DeleteItemFromObjectCaseSensitive(api_obj_meta(obj), "resourceVersion");
			api_obj_order(obj);
			rc = cm_json_print(obj, &t);
			if (!rc)
				rc = api_storage_put(c->srv->store, kv->key, t.data, t.len, kv->lease, kv->mod_rev, NULL, 0, NULL, 0,
						     coll_one_done, c);
			cm_buf_close(&t);
		} else {
			struct api_alloc a = {0};

			if (obj && c->res->strategy->release)
				c->res->strategy->release(obj, &c->srv->env, &a);
			rc = api_storage_delete(c->srv->store, kv->key, kv->mod_rev, (const char *const *)a.release,
						(size_t)a.nrelease, coll_one_done, c);
			api_alloc_close(&a);
		}
		cJSON_Delete(obj);
		if (rc == 0)
			return;
		k->i++;
	}
	api_ctx_reply_status(c, api_status_success(c->res->group, c->res->plural, NULL, NULL));
}

static void coll_listed(int err, const struct api_kv_result *r, void *ud)
{
	struct api_ctx *c = ud;
	struct coll *k;

	if (err) {
		api_ctx_reply_err(c, err, NULL);
		return;
	}
	k = calloc(1, sizeof(*k));
	if (!k || (r->n && !(k->kvs = calloc(r->n, sizeof(*k->kvs))))) {
		free(k);
		api_ctx_reply_err(c, -ENOMEM, NULL);
		return;
	}
	for (size_t i = 0; i < r->n; i++) {
		cJSON *o = api_obj_parse_stored(r->kvs[i].value, r->kvs[i].value_len, r->kvs[i].mod_rev);
		bool ok = o && api_listing_match(c->listing, o);

		cJSON_Delete(o);
		if (!ok)
			continue;
		k->kvs[k->n] = r->kvs[i];
		k->kvs[k->n].key = strdup(r->kvs[i].key);
		k->kvs[k->n].value = strdup(r->kvs[i].value);
		k->n++;
	}
	c->extra = k;
	c->extra_free = coll_free;
	coll_next(c, k);
}

void api_rest_deletecollection(struct api_ctx *c)
{
	int rc = api_listing_prepare(c);
	struct cm_buf prefix = CM_BUF_INIT;

	if (rc > 0)
		return;
	if (!rc)
		rc = api_resource_key(c->res, c->ns, NULL, &prefix);
	if (!rc)
		rc = api_storage_range(c->srv->store, prefix.data, NULL, 0, 0, false, coll_listed, c);
	cm_buf_close(&prefix);
	if (rc < 0)
		api_ctx_reply_err(c, rc, NULL);
}
