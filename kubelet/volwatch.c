/* volwatch.c: one informer per ConfigMap or Secret this node's pods mount, shared and counted; events mark pods for a volume rewrite. */
#include "kubelet/volwatch.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/informer.h"
#include "common/json.h"
#include "common/log.h"
#include "kubelet/worker.h"

struct watch {
	struct watch *next;
	struct kl_volwatch *vw;
	char *ns, *kind, *name; /* kind: "configmaps" or "secrets" */
	char *deps_key;         /* "kind/name": the key in a worker's deps and watched */
	int refs;               /* pods of the namespace using it */
	struct cm_informer *inf;
};

struct kl_volwatch {
	struct kl_server *s;
	struct watch *watches; /* a list: a node mounts tens of sources */
};

int kl_volwatch_new(struct kl_server *s, struct kl_volwatch **out)
{
	struct kl_volwatch *vw = calloc(1, sizeof(*vw));

	if (!vw)
		return -ENOMEM;
	vw->s = s;
	*out = vw;
	return 0;
}

static void watch_free(struct watch *x)
{
	cm_informer_free(x->inf);
	free(x->ns);
	free(x->kind);
	free(x->name);
	free(x->deps_key);
	free(x);
}

void kl_volwatch_free(struct kl_volwatch *vw)
{
	if (!vw)
		return;
	while (vw->watches) {
		struct watch *x = vw->watches;

		vw->watches = x->next;
		watch_free(x);
	}
	free(vw);
}

/* The source changed (or was listed, or deleted): the pods that mount it rewrite their volumes on the next tick. */
static void changed(struct watch *x)
{
	struct kl_server *s = x->vw->s;
	bool any = false;

	for (struct kl_pod_worker *w = s->workers; w; w = w->next) {
		if (w->deleting || strcmp(w->ns, x->ns) || !cJSON_GetObjectItemCaseSensitive(w->watched, x->deps_key))
			continue;
		w->vol_dirty = true;
		any = true;
	}
	cm_debug(2, "%s %s/%s changed: %s", x->kind, x->ns, x->name, any ? "volumes to update" : "no pod mounts it");
	if (any)
		kl_server_kick(s);
}

static void on_add(void *ud, const char *key, const void *view)
{
	(void)key;
	(void)view;
	changed(ud);
}

static void on_update(void *ud, const char *key, const void *old_view, const void *new_view)
{
	(void)key;
	(void)old_view;
	(void)new_view;
	changed(ud);
}

static void on_delete(void *ud, const char *key, const void *old_view)
{
	(void)key;
	(void)old_view;
	changed(ud);
}

static struct watch *find(struct kl_volwatch *vw, const char *ns, const char *deps_key)
{
	for (struct watch *x = vw->watches; x; x = x->next)
		if (!strcmp(x->ns, ns) && !strcmp(x->deps_key, deps_key))
			return x;
	return NULL;
}

/* A new watch on kind/name in ns, started. 0 and *out, or -errno. */
static int watch_new(struct kl_volwatch *vw, const char *ns, const char *kind, const char *name, const char *deps_key,
		     struct watch **out)
{
	struct watch *x = calloc(1, sizeof(*x));
	struct cm_buf path = CM_BUF_INIT, sel = CM_BUF_INIT;
	struct cm_informer_opts o = {0};
	struct cm_informer_handlers h = {on_add, on_update, on_delete, NULL, x};
	int rc = -ENOMEM;

	if (!x || !(x->ns = strdup(ns)) || !(x->kind = strdup(kind)) || !(x->name = strdup(name)) ||
	    !(x->deps_key = strdup(deps_key)) || cm_buf_printf(&path, "/api/v1/namespaces/%s/%s", ns, kind) < 0 ||
	    cm_buf_printf(&sel, "metadata.name=%s", name) < 0)
		goto fail;
	x->vw = vw;
	o.path = path.data;
	o.field_selector = sel.data;
	if ((rc = cm_informer_new(vw->s->client, &o, &h, &x->inf)) < 0 || (rc = cm_informer_start(x->inf)) < 0)
		goto fail;
	cm_buf_close(&path);
	cm_buf_close(&sel);
	*out = x;
	return 0;
fail:
	cm_buf_close(&path);
	cm_buf_close(&sel);
	if (x)
		watch_free(x);
	return rc;
}

struct add_ctx {
	struct kl_volwatch *vw;
	struct kl_pod_worker *w;
};

/* One reference of w's volumes to kind/name: watched once per pod, optional only if every reference is. */
static int add_source(void *ud, const char *kind, const char *name, bool optional)
{
	struct add_ctx *a = ud;
	struct kl_pod_worker *w = a->w;
	struct cm_buf key = CM_BUF_INIT;
	cJSON *seen;
	struct watch *x;
	int rc;

	if (!*name)
		return 0;
	if ((rc = cm_buf_printf(&key, "%s/%s", kind, name)) < 0)
		return rc;
	if ((seen = cJSON_GetObjectItemCaseSensitive(w->watched, key.data))) {
		if (!optional && cJSON_IsTrue(seen))
			cJSON_ReplaceItemInObjectCaseSensitive(w->watched, key.data, cJSON_CreateFalse());
		goto out;
	}
	if (!(x = find(a->vw, w->ns, key.data)) && (rc = watch_new(a->vw, w->ns, kind, name, key.data, &x)) == 0) {
		x->next = a->vw->watches;
		a->vw->watches = x;
	}
	if (rc == 0 && !cJSON_AddBoolToObject(w->watched, key.data, optional))
		rc = -ENOMEM;
	if (rc == 0)
		x->refs++;
	else if (x && x->refs == 0 && a->vw->watches == x) { /* made for this pod, which could not record it */
		a->vw->watches = x->next;
		watch_free(x);
	}
out:
	cm_buf_close(&key);
	return rc;
}

int kl_volwatch_add(struct kl_volwatch *vw, struct kl_pod_worker *w)
{
	struct add_ctx a = {vw, w};

	if (!vw)
		return 0;
	if (!w->watched && !(w->watched = cJSON_CreateObject()))
		return -ENOMEM;
	return kl_volume_sources(w, add_source, &a);
}

void kl_volwatch_remove(struct kl_volwatch *vw, struct kl_pod_worker *w)
{
	const cJSON *k;

	if (!vw)
		return;
	cJSON_ArrayForEach(k, w->watched)
	{
		for (struct watch **pp = &vw->watches; *pp; pp = &(*pp)->next) {
			struct watch *x = *pp;

			if (strcmp(x->ns, w->ns) || strcmp(x->deps_key, k->string))
				continue;
			if (--x->refs == 0) {
				*pp = x->next;
				watch_free(x);
			}
			break;
		}
	}
	cJSON_Delete(w->watched);
	w->watched = NULL;
}

void kl_volwatch_pull(struct kl_volwatch *vw, struct kl_pod_worker *w)
{
	const cJSON *k;
	struct cm_buf key = CM_BUF_INIT;

	if (!vw)
		return;
	cJSON_ArrayForEach(k, w->watched)
	{
		struct watch *x = find(vw, w->ns, k->string);
		const cJSON *now, *had = cJSON_GetObjectItemCaseSensitive(w->deps, k->string);
		cJSON *copy;

		cm_buf_reset(&key);
		if (!x || !cm_informer_synced(x->inf) || cm_buf_printf(&key, "%s/%s", x->ns, x->name) < 0)
			continue;
		if (!(now = cm_informer_get(x->inf, key.data))) {
			if (had && cJSON_IsTrue(k)) /* an optional source deleted: its files go */
				cJSON_DeleteItemFromObjectCaseSensitive(w->deps, k->string);
			continue;
		}
		if (had && !strcmp(cm_json_str_or(had, "metadata.resourceVersion", ""),
				   cm_json_str_or(now, "metadata.resourceVersion", "")))
			continue;
		if (!(copy = cm_json_copy(now)))
			continue; /* out of memory: the old copy stays */
		cJSON_DeleteItemFromObjectCaseSensitive(w->deps, k->string);
		cJSON_AddItemToObject(w->deps, k->string, copy);
	}
	cm_buf_close(&key);
}
