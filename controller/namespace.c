/* namespace.c: the Namespace controller: a deleted namespace is emptied, then its "kubernetes" finalizer goes. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/json.h"
#include "common/log.h"
#include "controller/manager.h"
#include "controller/queued.h"

/*
 * Every namespace carries the "kubernetes" finalizer, added here when the
 * controller first sees it, so that a DELETE only marks it (phase
 * Terminating in tables). Each pass deletes every collection in it
 * (workloads first, so their controllers stop making pods) and counts what
 * the deletes returned: objects that still exist (pods ending gracefully).
 * A pass that finds nothing removes the finalizer and the apiserver deletes
 * the namespace.
 */
#define FINALIZER "kubernetes"
#define RETRY_MS 300

struct ctl_namespace {
	struct ctl_queued base;
};

static const struct {
	const char *api_version, *resource;
} collections[] = {
	{"apps/v1", "deployments"}, {"apps/v1", "daemonsets"}, {"apps/v1", "replicasets"},
	{"v1", "pods"},             {"v1", "services"},        {"v1", "endpoints"},
	{"v1", "configmaps"},       {"v1", "secrets"},         {"v1", "serviceaccounts"},
	{"v1", "persistentvolumeclaims"}, {"v1", "resourcequotas"}, {"v1", "limitranges"},
	{"coordination.k8s.io/v1", "leases"}, {"discovery.k8s.io/v1", "endpointslices"}, {"v1", "events"},
};
#define NCOLL (sizeof(collections) / sizeof(collections[0]))

struct pass {
	struct ctl_manager *m; /* outlives the controller: checked for stopping before the queue is touched */
	struct ctl_namespace *c;
	char *key;
	cJSON *finalizers; /* the namespace's, to write back without ours */
	char *rv;
	int pending;
	long left; /* objects the lists after the deletes found, events aside */
	bool failed;
	bool listing; /* second phase: counting what is left */
};

static void start_phase(struct pass *p);

static bool has_finalizer(const cJSON *ns)
{
	const cJSON *f;

	cJSON_ArrayForEach(f, cm_json_get(ns, "metadata.finalizers"))
		if (cJSON_IsString(f) && !strcmp(f->valuestring, FINALIZER))
			return true;
	return false;
}

static void pass_free(struct pass *p)
{
	cJSON_Delete(p->finalizers);
	free(p->rv);
	free(p->key);
	free(p);
}

static void on_spec_finalized(const struct cm_api_resp *r, void *ud)
{
	struct pass *p = ud;
	bool ok = r->err == 0 && (r->status < 300 || r->status == 404);

	if (r->err == -ECANCELED || p->m->stopping) {
		pass_free(p);
		return;
	}
	if (!ok)
		cm_warn("namespace %s: finalize failed: %ld %s", p->key, r->status, cm_api_resp_message(r));
	else
		cm_info("namespace %s: emptied and finalized", p->key);
	cm_workqueue_done(p->c->base.q, p->key, ok ? 0 : -EIO);
	pass_free(p);
}

/*
 * The apiserver keeps a deleted namespace until spec.finalizers is empty, and
 * only the finalize subresource changes it, as in Kubernetes.
 */
static void finalize_spec(struct pass *p)
{
	struct cm_buf path = CM_BUF_INIT, body = CM_BUF_INIT;
	int rc = cm_api_path(&path, "v1", "namespaces", NULL, p->key);

	if (!rc)
		rc = cm_buf_printf(&body, "{\"apiVersion\":\"v1\",\"kind\":\"Namespace\",\"metadata\":"
				   "{\"name\":\"%s\"},\"spec\":{\"finalizers\":[]}}", p->key);
	if (!rc)
		rc = cm_buf_puts(&path, "/finalize");
	if (rc || cm_api_call(p->c->base.m->api, "PUT", path.data, "application/json", body.data, body.len, 0,
			      on_spec_finalized, p) != 0) {
		cm_workqueue_done(p->c->base.q, p->key, -ENOMEM);
		pass_free(p);
	}
	cm_buf_close(&path);
	cm_buf_close(&body);
}

static void on_finalized(const struct cm_api_resp *r, void *ud)
{
	struct pass *p = ud;
	bool ok = r->err == 0 && (r->status < 300 || r->status == 404);

	if (r->err == -ECANCELED || p->m->stopping) {
		pass_free(p);
		return;
	}
	if (!ok) {
		cm_warn("namespace %s: removing the finalizer failed: %ld %s", p->key, r->status,
			cm_api_resp_message(r));
		cm_workqueue_done(p->c->base.q, p->key, -EIO);
		pass_free(p);
		return;
	}
	if (r->status == 404) {
		cm_workqueue_done(p->c->base.q, p->key, 0);
		pass_free(p);
		return;
	}
	finalize_spec(p);
}

static void finish(struct pass *p)
{
	struct ctl_namespace *c = p->c;
	struct cm_buf path = CM_BUF_INIT, body = CM_BUF_INIT;
	cJSON *patch;

	if (p->m->stopping) {
		pass_free(p);
		return;
	}
	if (p->failed || p->left > 0) {
		cm_workqueue_done(c->base.q, p->key, p->failed ? -EIO : 0);
		if (!p->failed)
			cm_workqueue_add_after(c->base.q, p->key, RETRY_MS);
		pass_free(p);
		return;
	}
	patch = cJSON_CreateObject();
	cm_json_set(patch, "metadata.finalizers", p->finalizers);
	p->finalizers = NULL;
	cm_json_set_str(patch, "metadata.resourceVersion", p->rv);
	cm_api_path(&path, "v1", "namespaces", NULL, p->key);
	if (!patch || !path.data || cm_json_print(patch, &body) ||
	    cm_api_call(c->base.m->api, "PATCH", path.data, "application/merge-patch+json", body.data, body.len, 0,
			on_finalized, p) != 0) {
		cm_workqueue_done(c->base.q, p->key, -ENOMEM);
		pass_free(p);
	}
	cJSON_Delete(patch);
	cm_buf_close(&path);
	cm_buf_close(&body);
}

struct coll_ctx {
	struct pass *p;
	bool events;
};

static void on_deleted(const struct cm_api_resp *r, void *ud)
{
	struct coll_ctx *x = ud;
	struct pass *p = x->p;

	if (r->err == -ECANCELED) {
		p->failed = true;
	} else if (r->err || (r->status >= 300 && r->status != 404 && r->status != 405)) {
		cm_warn("namespace %s: delete collection failed: %ld %s", p->key, r->status, cm_api_resp_message(r));
		p->failed = true;
	} else if (p->listing && !x->events) {
		p->left += cJSON_GetArraySize(cm_json_get(r->obj, "items"));
	}
	free(x);
	if (--p->pending > 0)
		return;
	if (!p->listing && !p->failed && !p->m->stopping) {
		p->listing = true;
		start_phase(p);
		return;
	}
	finish(p);
}

static void reconcile(struct cm_workqueue *q, const char *key, void *ud)
{
	struct ctl_namespace *c = ud;
	const cJSON *ns = cm_informer_get(c->base.m->nss, key), *f;
	struct pass *p;

	if (!ns) {
		cm_workqueue_done(q, key, 0);
		return;
	}
	if (!cm_json_get(ns, "metadata.deletionTimestamp")) {
		struct ctl_op *op;
		cJSON *patch, *list;
		struct cm_buf path = CM_BUF_INIT;

		if (has_finalizer(ns) || !(op = ctl_op_new(c->base.m, q, key))) {
			if (has_finalizer(ns))
				cm_workqueue_done(q, key, 0);
			return;
		}
		patch = cJSON_CreateObject();
		list = cm_json_copy(cm_json_get(ns, "metadata.finalizers"));
		if (!cJSON_IsArray(list)) {
			cJSON_Delete(list);
			list = cJSON_CreateArray();
		}
		cJSON_AddItemToArray(list, cJSON_CreateString(FINALIZER));
		cm_json_set(patch, "metadata.finalizers", list);
		cm_json_set_str(patch, "metadata.resourceVersion", cm_json_str_or(ns, "metadata.resourceVersion", ""));
		cm_api_path(&path, "v1", "namespaces", NULL, key);
		ctl_op_write(c->base.m, op, "PATCH", path.data, patch);
		cm_buf_close(&path);
		cJSON_Delete(patch);
		ctl_op_release(op);
		return;
	}
	if (!has_finalizer(ns)) {
		cm_workqueue_done(q, key, 0);
		return;
	}
	p = calloc(1, sizeof(*p));
	if (!p || !(p->key = strdup(key)) || !(p->rv = strdup(cm_json_str_or(ns, "metadata.resourceVersion", ""))) ||
	    !(p->finalizers = cJSON_CreateArray())) {
		if (p)
			pass_free(p);
		cm_workqueue_done(q, key, -ENOMEM);
		return;
	}
	p->c = c;
	p->m = c->base.m;
	cJSON_ArrayForEach(f, cm_json_get(ns, "metadata.finalizers"))
		if (!cJSON_IsString(f) || strcmp(f->valuestring, FINALIZER))
			cJSON_AddItemToArray(p->finalizers, cm_json_copy(f));
	start_phase(p);
}

/* Deletes every collection (first phase) or lists them (second), the last answer moving the pass on. */
static void start_phase(struct pass *p)
{
	p->pending = 1;
	for (size_t i = 0; i < NCOLL; i++) {
		struct cm_buf path = CM_BUF_INIT;
		struct coll_ctx *x = calloc(1, sizeof(*x));

		if (!x || cm_api_path(&path, collections[i].api_version, collections[i].resource, p->key, NULL)) {
			free(x);
			p->failed = true;
			cm_buf_close(&path);
			continue;
		}
		x->p = p;
		x->events = !strcmp(collections[i].resource, "events");
		if (!p->listing)
			cm_buf_puts(&path, "?propagationPolicy=Background");
		p->pending++;
		if (cm_api_call(p->m->api, p->listing ? "GET" : "DELETE", path.data, NULL, NULL, 0, 0, on_deleted, x)) {
			p->pending--;
			p->failed = true;
			free(x);
		}
		cm_buf_close(&path);
	}
	if (--p->pending == 0)
		finish(p);
}

void ctl_namespace_event(struct ctl_namespace *c, const char *key)
{
	cm_workqueue_add(c->base.q, key);
}

int ctl_namespace_start(struct ctl_manager *m, struct ctl_namespace **out)
{
	struct ctl_namespace *c = ctl_queued_new(m, sizeof(*c), 4, 200, reconcile);

	if (!c)
		return -ENOMEM;
	*out = c;
	return 0;
}

void ctl_namespace_stop(struct ctl_namespace *c)
{
	ctl_queued_free(&c->base);
}
