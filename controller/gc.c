/* gc.c: the garbage collector: dependents whose owner is gone are deleted; foreground and orphan deletion. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/json.h"
#include "common/log.h"
#include "common/objview.h"
#include "controller/manager.h"
#include "controller/queued.h"

/*
 * Owners and dependents are the kinds the controllers make: Deployments own
 * ReplicaSets, ReplicaSets and DaemonSets own Pods. A dependent names its
 * owner by uid; the owner is looked up in the cache and, when the cache does
 * not have it (it may simply lag behind the dependent's watch), on the API,
 * so that a dependent is deleted only once its owner is known to be gone.
 *
 * Work-queue keys are "D\tKind\tns\tname" (check a dependent's owner) and
 * "O\tKind\tns\tname" (an owner being deleted with a finalizer).
 */
struct ctl_gc {
	struct ctl_queued base;
};

struct kind_info {
	const char *kind, *api_version, *resource;
};

static const struct kind_info kinds[] = {
	{"Pod", "v1", "pods"},
	{"ReplicaSet", "apps/v1", "replicasets"},
	{"Deployment", "apps/v1", "deployments"},
	{"DaemonSet", "apps/v1", "daemonsets"},
};

static const struct kind_info *kind_find(const char *kind)
{
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if (strcmp(kinds[i].kind, kind) == 0)
			return &kinds[i];
	return NULL;
}

static struct cm_informer *cache_of(struct ctl_gc *c, const char *kind)
{
	if (!strcmp(kind, "Pod"))
		return c->base.m->pods;
	if (!strcmp(kind, "ReplicaSet"))
		return c->base.m->rs;
	if (!strcmp(kind, "Deployment"))
		return c->base.m->deploys;
	if (!strcmp(kind, "DaemonSet"))
		return c->base.m->ds;
	return NULL;
}

static void enqueue(struct ctl_gc *c, char type, const char *kind, const char *ns, const char *name)
{
	struct cm_buf k = CM_BUF_INIT;

	if (cm_buf_printf(&k, "%c\t%s\t%s\t%s", type, kind, ns ? ns : "", name) == 0)
		cm_workqueue_add(c->base.q, k.data);
	cm_buf_close(&k);
}

/* The controller owner of a dependent (pod view or tree): kind, name, uid, borrowed; false if none. */
static bool owner_of(const char *kind, const void *obj, const char **okind, const char **oname, const char **ouid)
{
	const cJSON *ref;

	if (!strcmp(kind, "Pod")) {
		const struct cm_pod *p = obj;
		*okind = p->m.owner_kind, *oname = p->m.owner_name, *ouid = p->m.owner_uid;
		return **ouid != 0;
	}
	cJSON_ArrayForEach(ref, cm_json_get(obj, "metadata.ownerReferences")) {
		if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(ref, "controller"))) {
			*okind = cm_json_str_or(ref, "kind", ""), *oname = cm_json_str_or(ref, "name", "");
			*ouid = cm_json_str_or(ref, "uid", "");
			return **ouid != 0;
		}
	}
	return false;
}

static const char *ns_of(const char *kind, const void *obj)
{
	return !strcmp(kind, "Pod") ? ((const struct cm_pod *)obj)->m.ns : cm_json_str_or(obj, "metadata.namespace", "");
}

static const char *name_of(const char *kind, const void *obj)
{
	return !strcmp(kind, "Pod") ? ((const struct cm_pod *)obj)->m.name : cm_json_str_or(obj, "metadata.name", "");
}

static const char *uid_of(const char *kind, const void *obj)
{
	return !strcmp(kind, "Pod") ? ((const struct cm_pod *)obj)->m.uid : cm_json_str_or(obj, "metadata.uid", "");
}

void ctl_gc_dependent_event(struct ctl_gc *c, const char *kind, const void *old, const void *obj, int what)
{
	const char *okind, *oname, *ouid, *nkind, *nname, *nuid;

	if (what == CTL_ADDED) {
		if (owner_of(kind, obj, &okind, &oname, &ouid) && kind_find(okind))
			enqueue(c, 'D', kind, ns_of(kind, obj), name_of(kind, obj));
		return;
	}
	/* an owner in foreground or orphan deletion waits for its dependents to go or let go */
	if (what == CTL_UPDATED && old && owner_of(kind, old, &okind, &oname, &ouid) && kind_find(okind)) {
		bool same = owner_of(kind, obj, &nkind, &nname, &nuid) && strcmp(ouid, nuid) == 0;
		bool deleting = !strcmp(kind, "Pod") ? ((const struct cm_pod *)obj)->m.deleting
						     : cm_json_get(obj, "metadata.deletionTimestamp") != NULL;
		if (!same || deleting)
			enqueue(c, 'O', okind, ns_of(kind, obj), oname);
	}
	if (what == CTL_DELETED && owner_of(kind, obj, &okind, &oname, &ouid) && kind_find(okind))
		enqueue(c, 'O', okind, ns_of(kind, obj), oname);
}

static int enqueue_dep(const char *key, const void *view, void *ud);

struct dep_walk {
	struct ctl_gc *c;
	const char *kind;
};

static int enqueue_dep(const char *key, const void *view, void *ud)
{
	struct dep_walk *w = ud;
	(void)key;
	enqueue(w->c, 'D', w->kind, ns_of(w->kind, view), name_of(w->kind, view));
	return 0;
}

void ctl_gc_owner_event(struct ctl_gc *c, const char *kind, const cJSON *owner, int what)
{
	const char *uid = cm_json_str_or(owner, "metadata.uid", "");

	if (what == CTL_DELETED) {
		struct dep_walk w = {c, "Pod"};
		cm_informer_index_foreach(c->base.m->pods, "owner", uid, enqueue_dep, &w);
		w.kind = "ReplicaSet";
		cm_informer_index_foreach(c->base.m->rs, "owner", uid, enqueue_dep, &w);
		return;
	}
	if (cm_json_get(owner, "metadata.deletionTimestamp") && cJSON_GetArraySize(cm_json_get(owner, "metadata.finalizers")))
		enqueue(c, 'O', kind, cm_json_str_or(owner, "metadata.namespace", ""),
			cm_json_str_or(owner, "metadata.name", ""));
}

/* ---- a dependent: is its owner still there? ---- */

struct verify {
	struct ctl_gc *c;
	struct ctl_op *op;
	char *dep_path, *dep_uid, *owner_uid;
};

static void delete_dependent(struct ctl_gc *c, struct ctl_op *op, const char *path, const char *uid)
{
	cJSON *opts = cJSON_CreateObject();

	if (!opts) {
		op->err = -ENOMEM;
		return;
	}
	cJSON_AddStringToObject(opts, "kind", "DeleteOptions");
	cJSON_AddStringToObject(opts, "apiVersion", "v1");
	cJSON_AddStringToObject(opts, "propagationPolicy", "Background");
	cm_json_set_str(opts, "preconditions.uid", uid);
	cm_info("garbage collector: deleting %s: its owner is gone", path);
	ctl_op_write(c->base.m, op, "DELETE", path, opts);
	cJSON_Delete(opts);
}

static void on_owner_read(const struct cm_api_resp *r, void *ud)
{
	struct verify *v = ud;

	if (r->err == 0 && (r->status == 404 ||
			    (r->status == 200 && strcmp(cm_json_str_or(r->obj, "metadata.uid", ""), v->owner_uid) != 0)))
		delete_dependent(v->c, v->op, v->dep_path, v->dep_uid);
	else if (r->err || r->status != 200)
		v->op->err = -EIO;
	ctl_op_release(v->op);
	free(v->dep_path);
	free(v->dep_uid);
	free(v->owner_uid);
	free(v);
}

static void check_dependent(struct ctl_gc *c, struct ctl_op *op, const char *kind, const char *ns, const char *name)
{
	struct cm_informer *cache = cache_of(c, kind);
	const struct kind_info *dk = kind_find(kind), *ok;
	struct cm_buf key = CM_BUF_INIT, opath = CM_BUF_INIT, dpath = CM_BUF_INIT;
	const char *okind, *oname, *ouid;
	const void *dep, *owner;
	struct verify *v;

	cm_buf_printf(&key, "%s/%s", ns, name);
	dep = cache && key.data ? cm_informer_get(cache, key.data) : NULL;
	if (!dep || !dk || !owner_of(kind, dep, &okind, &oname, &ouid) || !(ok = kind_find(okind)))
		goto out;
	cm_buf_reset(&key);
	cm_buf_printf(&key, "%s/%s", ns, oname);
	owner = key.data ? cm_informer_get(cache_of(c, okind), key.data) : NULL;
	if (owner && strcmp(uid_of(okind, owner), ouid) == 0)
		goto out;
	/* not in the cache: ask the API before deleting anything */
	cm_api_path(&opath, ok->api_version, ok->resource, ns, oname);
	cm_api_path(&dpath, dk->api_version, dk->resource, ns, name);
	v = calloc(1, sizeof(*v));
	if (!v || !opath.data || !dpath.data || !(v->dep_path = strdup(dpath.data)) ||
	    !(v->dep_uid = strdup(uid_of(kind, dep))) || !(v->owner_uid = strdup(ouid))) {
		if (v) {
			free(v->dep_path);
			free(v->dep_uid);
		}
		free(v);
		op->err = -ENOMEM;
		goto out;
	}
	v->c = c;
	v->op = op;
	op->pending++;
	if (cm_api_call(c->base.m->api, "GET", opath.data, NULL, NULL, 0, 0, on_owner_read, v)) {
		op->pending--;
		op->err = -EIO;
		free(v->dep_path);
		free(v->dep_uid);
		free(v->owner_uid);
		free(v);
	}
out:
	cm_buf_close(&key);
	cm_buf_close(&opath);
	cm_buf_close(&dpath);
}

/* ---- an owner with a finalizer: foreground and orphan ---- */

struct owner_walk {
	struct ctl_gc *c;
	struct ctl_op *op;
	const char *kind; /* the dependents' kind */
	const char *owner_uid;
	bool orphan;
	size_t seen;
};

static void orphan_one(struct owner_walk *w, const void *view)
{
	struct cm_buf path = CM_BUF_INIT;
	const struct kind_info *k = kind_find(w->kind);
	cJSON *patch = cJSON_CreateObject(), *refs = cJSON_CreateArray(), *ref;

	if (!patch || !refs) {
		cJSON_Delete(patch);
		cJSON_Delete(refs);
		return;
	}
	if (strcmp(w->kind, "Pod") != 0) {
		cJSON_ArrayForEach(ref, cm_json_get(view, "metadata.ownerReferences"))
			if (strcmp(cm_json_str_or(ref, "uid", ""), w->owner_uid) != 0)
				cJSON_AddItemToArray(refs, cm_json_copy(ref));
	}
	/* a pod view keeps only its controller reference, the one removed here */
	cm_json_set(patch, "metadata.ownerReferences", cJSON_GetArraySize(refs) ? refs : cJSON_CreateNull());
	if (!cJSON_GetArraySize(refs))
		cJSON_Delete(refs);
	cm_api_path(&path, k->api_version, k->resource, ns_of(w->kind, view), name_of(w->kind, view));
	ctl_op_write(w->c->base.m, w->op, "PATCH", path.data, patch);
	cm_buf_close(&path);
	cJSON_Delete(patch);
}

static int owner_dep(const char *key, const void *view, void *ud)
{
	struct owner_walk *w = ud;
	const struct kind_info *k = kind_find(w->kind);
	bool deleting = !strcmp(w->kind, "Pod") ? ((const struct cm_pod *)view)->m.deleting
						: cm_json_get(view, "metadata.deletionTimestamp") != NULL;
	(void)key;
	w->seen++;
	if (w->orphan) {
		orphan_one(w, view);
	} else if (!deleting) {
		struct cm_buf path = CM_BUF_INIT;
		cm_api_path(&path, k->api_version, k->resource, ns_of(w->kind, view), name_of(w->kind, view));
		/* a dependent that owns others goes in the foreground too, so the owner waits for the whole tree */
		cm_buf_puts(&path, strcmp(w->kind, "Pod") ? "?propagationPolicy=Foreground" : "?propagationPolicy=Background");
		ctl_op_write(w->c->base.m, w->op, "DELETE", path.data, NULL);
		cm_buf_close(&path);
	}
	return 0;
}

static void check_owner(struct ctl_gc *c, struct ctl_op *op, const char *kind, const char *ns, const char *name)
{
	struct cm_informer *cache = cache_of(c, kind);
	const struct kind_info *k = kind_find(kind);
	struct cm_buf key = CM_BUF_INIT, path = CM_BUF_INIT;
	const cJSON *owner, *f;
	struct owner_walk w = {c, op, "Pod", NULL, false, 0};
	bool fg = false, orphan = false;
	cJSON *patch, *rest;

	cm_buf_printf(&key, "%s/%s", ns, name);
	owner = cache && key.data && strcmp(kind, "Pod") ? cm_informer_get(cache, key.data) : NULL;
	if (!owner || !cm_json_get(owner, "metadata.deletionTimestamp"))
		goto out;
	cJSON_ArrayForEach(f, cm_json_get(owner, "metadata.finalizers")) {
		fg |= cJSON_IsString(f) && !strcmp(f->valuestring, "foregroundDeletion");
		orphan |= cJSON_IsString(f) && !strcmp(f->valuestring, "orphan");
	}
	if (!fg && !orphan)
		goto out;
	w.owner_uid = cm_json_str_or(owner, "metadata.uid", "");
	w.orphan = orphan;
	cm_informer_index_foreach(c->base.m->pods, "owner", w.owner_uid, owner_dep, &w);
	w.kind = "ReplicaSet";
	cm_informer_index_foreach(c->base.m->rs, "owner", w.owner_uid, owner_dep, &w);
	if (w.seen)
		goto out; /* their updates and deletes bring this owner back */
	patch = cJSON_CreateObject();
	rest = cJSON_CreateArray();
	if (!patch || !rest) {
		cJSON_Delete(patch);
		cJSON_Delete(rest);
		op->err = -ENOMEM;
		goto out;
	}
	cJSON_ArrayForEach(f, cm_json_get(owner, "metadata.finalizers"))
		if (!cJSON_IsString(f) || (strcmp(f->valuestring, "foregroundDeletion") && strcmp(f->valuestring, "orphan")))
			cJSON_AddItemToArray(rest, cm_json_copy(f));
	cm_json_set(patch, "metadata.finalizers", rest);
	cm_json_set_str(patch, "metadata.resourceVersion", cm_json_str_or(owner, "metadata.resourceVersion", ""));
	cm_api_path(&path, k->api_version, k->resource, ns, name);
	cm_info("garbage collector: %s %s/%s: dependents handled, %s finalizer removed", kind, ns, name,
		fg ? "foregroundDeletion" : "orphan");
	ctl_op_write(c->base.m, op, "PATCH", path.data, patch);
	cJSON_Delete(patch);
out:
	cm_buf_close(&key);
	cm_buf_close(&path);
}

static void reconcile(struct cm_workqueue *q, const char *key, void *ud)
{
	struct ctl_gc *c = ud;
	char type, kind[32], ns[256], name[256];
	struct ctl_op *op;

	if (sscanf(key, "%c\t%31[^\t]\t%255[^\t]\t%255s", &type, kind, ns, name) != 4) {
		cm_workqueue_done(q, key, 0);
		return;
	}
	if (!(op = ctl_op_new(c->base.m, q, key)))
		return;
	if (type == 'D')
		check_dependent(c, op, kind, ns, name);
	else
		check_owner(c, op, kind, ns, name);
	ctl_op_release(op);
}

int ctl_gc_start(struct ctl_manager *m, struct ctl_gc **out)
{
	struct ctl_gc *c = ctl_queued_new(m, sizeof(*c), m->cfg->workers, 100, reconcile);

	if (!c)
		return -ENOMEM;
	*out = c;
	return 0;
}

void ctl_gc_stop(struct ctl_gc *c)
{
	ctl_queued_free(&c->base);
}
