/* manager.c: shared informers dispatching to the controllers, writes counted per reconcile, leader election. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/json.h"
#include "common/leader.h"
#include "common/log.h"
#include "common/objview.h"
#include "controller/manager.h"

void ctl_config_defaults(struct ctl_config *cfg)
{
	static const char *def_servers[] = {"http://127.0.0.1:8080"};

	memset(cfg, 0, sizeof(*cfg));
	cfg->servers.items = def_servers;
	cfg->servers.n = 1;
	cfg->lease_ms = 15000;
	cfg->renew_ms = 10000;
	cfg->retry_ms = 2000;
	cfg->workers = 16;
}

struct ctl_op *ctl_op_new(struct ctl_manager *m, struct cm_workqueue *q, const char *key)
{
	struct ctl_op *op = calloc(1, sizeof(*op));

	if (!op || !(op->key = strdup(key))) {
		free(op);
		cm_workqueue_done(q, key, -ENOMEM);
		return NULL;
	}
	op->q = q;
	op->pending = 1;
	op->stopping = &m->stopping;
	return op;
}

void ctl_op_release(struct ctl_op *op)
{
	if (--op->pending > 0)
		return;
	if (!*op->stopping)
		cm_workqueue_done(op->q, op->key, op->err);
	free(op->key);
	free(op);
}

struct write_ctx {
	struct ctl_op *op;
	char method[8];
	char *path;
};

static void on_written(const struct cm_api_resp *r, void *ud)
{
	struct write_ctx *w = ud;
	bool ok = r->err == 0 && (r->status < 300 || (r->status == 404 && strcmp(w->method, "DELETE") == 0) ||
				  (r->status == 409 && strcmp(w->method, "POST") == 0));

	if (!ok && r->err != -ECANCELED) {
		cm_warn("controller: %s %s failed: %ld %s", w->method, w->path, r->status, cm_api_resp_message(r));
		w->op->err = -EIO;
	}
	ctl_op_release(w->op);
	free(w->path);
	free(w);
}

void ctl_op_write(struct ctl_manager *m, struct ctl_op *op, const char *method, const char *path,
		  const cJSON *j)
{
	struct write_ctx *w = calloc(1, sizeof(*w));
	struct cm_buf body = CM_BUF_INIT;
	int rc = -ENOMEM;

	if (!w || !(w->path = strdup(path)))
		goto fail;
	w->op = op;
	snprintf(w->method, sizeof(w->method), "%s", method);
	if (j && cm_json_print(j, &body))
		goto fail;
	op->pending++;
	rc = cm_api_call(m->api, method, path, strcmp(method, "PATCH") == 0 ? "application/merge-patch+json" : NULL,
			 body.data, body.len, 0, on_written, w);
	if (rc) {
		op->pending--;
		goto fail;
	}
	cm_buf_close(&body);
	return;
fail:
	op->err = rc ? rc : -ENOMEM;
	if (w)
		free(w->path);
	free(w);
	cm_buf_close(&body);
}

const char *ctl_owner_uid(const void *obj)
{
	const cJSON *ref;

	cJSON_ArrayForEach(ref, cm_json_get(obj, "metadata.ownerReferences"))
		if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(ref, "controller")))
			return cm_json_get_str(ref, "uid");
	return NULL;
}

int ctl_owner_key(const struct cm_informer *owners, const char *ns, const char *kind, const char *owner_kind,
		  const char *owner_name, struct cm_buf *out)
{
	(void)owners;
	if (!owner_kind || strcmp(owner_kind, kind) != 0 || !owner_name || !*owner_name)
		return -ENOENT;
	return cm_buf_printf(out, "%s/%s", ns, owner_name);
}

cJSON *ctl_owner_refs(const cJSON *obj, const char *api_version, const char *kind)
{
	cJSON *refs = cJSON_CreateArray(), *ref = cJSON_CreateObject();

	if (!refs || !ref) {
		cJSON_Delete(refs);
		cJSON_Delete(ref);
		return NULL;
	}
	cJSON_AddStringToObject(ref, "apiVersion", api_version);
	cJSON_AddStringToObject(ref, "kind", kind);
	cJSON_AddStringToObject(ref, "name", cm_json_str_or(obj, "metadata.name", ""));
	cJSON_AddStringToObject(ref, "uid", cm_json_str_or(obj, "metadata.uid", ""));
	cJSON_AddBoolToObject(ref, "controller", 1);
	cJSON_AddBoolToObject(ref, "blockOwnerDeletion", 1);
	cJSON_AddItemToArray(refs, ref);
	return refs;
}

static void pod_event(struct ctl_manager *m, const void *old, const void *pod, int what)
{
	if (m->active)
		ctl_replicaset_pod_event(m->rsc, old, pod, what);
}

static void on_pod_add(void *ud, const char *key, const void *v)
{
	(void)key;
	pod_event(ud, NULL, v, CTL_ADDED);
}
static void on_pod_update(void *ud, const char *key, const void *o, const void *v)
{
	(void)key;
	pod_event(ud, o, v, CTL_UPDATED);
}
static void on_pod_delete(void *ud, const char *key, const void *v)
{
	(void)key;
	pod_event(ud, NULL, v, CTL_DELETED);
}

static void rs_event(struct ctl_manager *m, const char *key, const cJSON *rs)
{
	if (!m->active)
		return;
	ctl_replicaset_rs_event(m->rsc, key);
	ctl_deployment_rs_event(m->dc, rs);
}
static void on_rs_add(void *ud, const char *key, const void *v)
{
	rs_event(ud, key, v);
}
static void on_rs_update(void *ud, const char *key, const void *o, const void *v)
{
	(void)o;
	rs_event(ud, key, v);
}
static void on_rs_delete(void *ud, const char *key, const void *v)
{
	rs_event(ud, key, v);
}

static void on_d_event(void *ud, const char *key)
{
	struct ctl_manager *m = ud;
	if (m->active)
		ctl_deployment_event(m->dc, key);
}
static void on_d_add(void *ud, const char *key, const void *v)
{
	(void)v;
	on_d_event(ud, key);
}
static void on_d_update(void *ud, const char *key, const void *o, const void *v)
{
	(void)o, (void)v;
	on_d_event(ud, key);
}

static int kick_rs(const char *key, const void *v, void *ud)
{
	(void)v;
	ctl_replicaset_rs_event(ud, key);
	return 0;
}
static int kick_d(const char *key, const void *v, void *ud)
{
	(void)v;
	ctl_deployment_event(ud, key);
	return 0;
}

/* Acts once every informer has its first list and (with --leader-elect) we lead. */
static void maybe_activate(struct ctl_manager *m)
{
	if (m->active || m->stopping || !cm_informer_synced(m->pods) || !cm_informer_synced(m->rs) ||
	    !cm_informer_synced(m->deploys) || (m->cfg->leader_elect && !cm_leader_is_leader(m->leader)))
		return;
	m->active = true;
	cm_info("controller: caches synced, controllers running");
	cm_informer_foreach(m->rs, kick_rs, m->rsc);
	cm_informer_foreach(m->deploys, kick_d, m->dc);
}

static void on_synced(void *ud)
{
	maybe_activate(ud);
}

static void on_lost(void *ud)
{
	struct ctl_manager *m = ud;

	cm_error("controller: leader election lost, stopping");
	m->lost = true;
	ctl_manager_stop(m);
}

int ctl_manager_start(uv_loop_t *loop, const struct ctl_config *cfg, struct ctl_manager **out)
{
	struct ctl_manager *m = calloc(1, sizeof(*m));
	struct cm_informer_opts po = {.path = "/api/v1/pods", .decode = cm_pod_decode, .free_view = cm_pod_free};
	struct cm_informer_opts ro = {.path = "/apis/apps/v1/replicasets"};
	struct cm_informer_opts dopt = {.path = "/apis/apps/v1/deployments"};
	struct cm_informer_handlers ph = {on_pod_add, on_pod_update, on_pod_delete, on_synced, NULL};
	struct cm_informer_handlers rh = {on_rs_add, on_rs_update, on_rs_delete, on_synced, NULL};
	struct cm_informer_handlers dh = {on_d_add, on_d_update, NULL, on_synced, NULL};
	int rc;

	if (!m)
		return -ENOMEM;
	m->cfg = cfg;
	m->loop = loop;
	ph.ud = rh.ud = dh.ud = m;
	po.indexes[0].name = "owner";
	po.indexes[0].fn = cm_pod_index_owner;
	po.indexes[1].name = "node";
	po.indexes[1].fn = cm_pod_index_node;
	ro.indexes[0].name = "owner";
	ro.indexes[0].fn = ctl_owner_uid;
	if (cfg->identity) {
		snprintf(m->identity, sizeof(m->identity), "%s", cfg->identity);
	} else {
		char host[64] = "host";
		gethostname(host, sizeof(host) - 1);
		snprintf(m->identity, sizeof(m->identity), "%s_%d", host, (int)getpid());
	}
	rc = cm_api_new(loop, cfg->servers.items, cfg->servers.n, &m->api);
	if (!rc)
		rc = cm_events_new(m->api, "controller-manager", &m->events);
	if (!rc)
		rc = cm_informer_new(m->api, &po, &ph, &m->pods);
	if (!rc)
		rc = cm_informer_new(m->api, &ro, &rh, &m->rs);
	if (!rc)
		rc = cm_informer_new(m->api, &dopt, &dh, &m->deploys);
	if (!rc)
		rc = ctl_replicaset_start(m, &m->rsc);
	if (!rc)
		rc = ctl_deployment_start(m, &m->dc);
	if (!rc && cfg->leader_elect) {
		struct cm_leader_opts lo = {.name = "kube-controller-manager", .identity = m->identity,
					    .lease_ms = cfg->lease_ms, .renew_deadline_ms = cfg->renew_ms,
					    .retry_ms = cfg->retry_ms, .on_start = on_synced, .on_stop = on_lost, .ud = m};
		rc = cm_leader_new(m->api, &lo, &m->leader);
	}
	if (rc) {
		ctl_manager_stop(m);
		return rc;
	}
	cm_informer_start(m->pods);
	cm_informer_start(m->rs);
	cm_informer_start(m->deploys);
	if (m->leader)
		cm_leader_start(m->leader);
	*out = m;
	return 0;
}

void ctl_manager_stop(struct ctl_manager *m)
{
	if (m->stopping)
		return;
	m->stopping = true;
	m->active = false;
	cm_leader_free(m->leader);
	if (m->rsc)
		ctl_replicaset_stop(m->rsc);
	if (m->dc)
		ctl_deployment_stop(m->dc);
	cm_informer_free(m->pods);
	cm_informer_free(m->rs);
	cm_informer_free(m->deploys);
	if (m->api)
		cm_api_free(m->api);
	m->leader = NULL;
}

void ctl_manager_free(struct ctl_manager *m)
{
	if (!m)
		return;
	cm_events_free(m->events);
	free(m);
}
