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
	cfg->node_grace_ms = 40000;
	cfg->eviction_ms = 300000;
	cfg->node_monitor_ms = 5000;
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
	if (!*op->stopping && op->on_end)
		op->on_end(op, op->end_ud);
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
		if (strcmp(w->method, "POST") == 0)
			w->op->failed_posts++;
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
	if (strcmp(method, "POST") == 0)
		op->posts++;
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

const char *ctl_tree_ns(const void *obj)
{
	return cm_json_get_str(obj, "metadata.namespace");
}

static void pod_event(struct ctl_manager *m, const void *old, const void *pod, int what)
{
	if (!m->active)
		return;
	ctl_replicaset_pod_event(m->rsc, old, pod, what);
	ctl_endpoints_pod_event(m->epc, old, pod);
	ctl_endpointslice_pod_event(m->esc, old, pod);
	ctl_daemonset_pod_event(m->dsc, pod);
	ctl_gc_dependent_event(m->gc, "Pod", old, pod, what);
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

static void rs_event(struct ctl_manager *m, const char *key, const cJSON *old, const cJSON *rs, int what)
{
	if (!m->active)
		return;
	ctl_replicaset_rs_event(m->rsc, key);
	ctl_deployment_rs_event(m->dc, rs);
	ctl_gc_owner_event(m->gc, "ReplicaSet", rs, what);
	ctl_gc_dependent_event(m->gc, "ReplicaSet", old, rs, what);
}
static void on_rs_add(void *ud, const char *key, const void *v)
{
	rs_event(ud, key, NULL, v, CTL_ADDED);
}
static void on_rs_update(void *ud, const char *key, const void *o, const void *v)
{
	rs_event(ud, key, o, v, CTL_UPDATED);
}
static void on_rs_delete(void *ud, const char *key, const void *v)
{
	rs_event(ud, key, NULL, v, CTL_DELETED);
}

static void d_event(struct ctl_manager *m, const char *key, const cJSON *d, int what)
{
	if (!m->active)
		return;
	if (what != CTL_DELETED)
		ctl_deployment_event(m->dc, key);
	ctl_gc_owner_event(m->gc, "Deployment", d, what);
}
static void on_d_add(void *ud, const char *key, const void *v)
{
	d_event(ud, key, v, CTL_ADDED);
}
static void on_d_update(void *ud, const char *key, const void *o, const void *v)
{
	(void)o;
	d_event(ud, key, v, CTL_UPDATED);
}
static void on_d_delete(void *ud, const char *key, const void *v)
{
	d_event(ud, key, v, CTL_DELETED);
}

static void ds_event(struct ctl_manager *m, const char *key, const cJSON *ds, int what)
{
	if (!m->active)
		return;
	ctl_daemonset_event(m->dsc, key);
	ctl_gc_owner_event(m->gc, "DaemonSet", ds, what);
}
static void on_ds_add(void *ud, const char *key, const void *v)
{
	ds_event(ud, key, v, CTL_ADDED);
}
static void on_ds_update(void *ud, const char *key, const void *o, const void *v)
{
	(void)o;
	ds_event(ud, key, v, CTL_UPDATED);
}
static void on_ds_delete(void *ud, const char *key, const void *v)
{
	ds_event(ud, key, v, CTL_DELETED);
}

static void on_svc_add(void *ud, const char *key, const void *v)
{
	struct ctl_manager *m = ud;
	(void)v;
	if (m->active) {
		ctl_endpoints_event(m->epc, key);
		ctl_endpointslice_event(m->esc, key);
		ctl_servicelb_event(m->slb, key);
	}
}
static void on_svc_update(void *ud, const char *key, const void *o, const void *v)
{
	(void)o;
	on_svc_add(ud, key, v);
}
static void on_ep_update(void *ud, const char *key, const void *o, const void *v)
{
	(void)o;
	on_svc_add(ud, key, v);
}

static void on_slice_add(void *ud, const char *key, const void *v)
{
	struct ctl_manager *m = ud;
	(void)key;
	if (m->active)
		ctl_endpointslice_slice_event(m->esc, v);
}
static void on_slice_update(void *ud, const char *key, const void *o, const void *v)
{
	(void)o;
	on_slice_add(ud, key, v);
}

static void node_event(struct ctl_manager *m)
{
	if (m->active) {
		ctl_daemonset_node_event(m->dsc);
		ctl_servicelb_node_event(m->slb);
	}
}
static void on_node_add(void *ud, const char *key, const void *v)
{
	(void)key, (void)v;
	node_event(ud);
}
static void on_node_update(void *ud, const char *key, const void *o, const void *v)
{
	const struct cm_node *a = o, *b = v;
	bool same = a->ntaints == b->ntaints && a->unschedulable == b->unschedulable &&
		    cm_json_equal(a->m.labels, b->m.labels);

	same = same && a->ready == b->ready && !strcmp(a->address, b->address); /* for servicelb */
	for (size_t i = 0; same && i < a->ntaints; i++)
		same = strcmp(a->taints[i].key, b->taints[i].key) == 0 &&
		       strcmp(a->taints[i].effect, b->taints[i].effect) == 0;
	(void)key;
	if (!same)
		node_event(ud);
}

/* Lease renewals are noted even while not leading, so a new leader does not see every node as stale. */
static void on_lease_add(void *ud, const char *key, const void *v)
{
	struct ctl_manager *m = ud;
	(void)key;
	ctl_nodelife_lease_event(m->nlc, NULL, v);
}
static void on_lease_update(void *ud, const char *key, const void *o, const void *v)
{
	struct ctl_manager *m = ud;
	(void)key;
	ctl_nodelife_lease_event(m->nlc, o, v);
}

static void on_ns_add(void *ud, const char *key, const void *v)
{
	struct ctl_manager *m = ud;
	(void)v;
	if (m->active)
		ctl_namespace_event(m->nsc, key);
}
static void on_ns_update(void *ud, const char *key, const void *o, const void *v)
{
	(void)o;
	on_ns_add(ud, key, v);
}

static int kick_rs(const char *key, const void *v, void *ud)
{
	struct ctl_manager *m = ud;
	ctl_replicaset_rs_event(m->rsc, key);
	ctl_gc_owner_event(m->gc, "ReplicaSet", v, CTL_UPDATED);
	ctl_gc_dependent_event(m->gc, "ReplicaSet", NULL, v, CTL_ADDED);
	return 0;
}
static int kick_d(const char *key, const void *v, void *ud)
{
	struct ctl_manager *m = ud;
	ctl_deployment_event(m->dc, key);
	ctl_gc_owner_event(m->gc, "Deployment", v, CTL_UPDATED);
	return 0;
}
static int kick_ds(const char *key, const void *v, void *ud)
{
	struct ctl_manager *m = ud;
	ctl_daemonset_event(m->dsc, key);
	ctl_gc_owner_event(m->gc, "DaemonSet", v, CTL_UPDATED);
	return 0;
}
static int kick_svc(const char *key, const void *v, void *ud)
{
	struct ctl_manager *m = ud;
	(void)v;
	ctl_endpoints_event(m->epc, key);
	ctl_endpointslice_event(m->esc, key);
	ctl_servicelb_event(m->slb, key);
	return 0;
}
static int kick_slice(const char *key, const void *v, void *ud)
{
	struct ctl_manager *m = ud;
	(void)key;
	ctl_endpointslice_slice_event(m->esc, v); /* slices whose Service is gone */
	return 0;
}
static int kick_ep(const char *key, const void *v, void *ud)
{
	struct ctl_manager *m = ud;
	/* Endpoints whose Service is gone */
	if (!cm_informer_get(m->svcs, key) && cm_json_get(v, "metadata.ownerReferences") == NULL)
		ctl_endpoints_event(m->epc, key);
	return 0;
}
static int kick_pod(const char *key, const void *v, void *ud)
{
	struct ctl_manager *m = ud;
	(void)key;
	ctl_gc_dependent_event(m->gc, "Pod", NULL, v, CTL_ADDED);
	return 0;
}
static int kick_ns(const char *key, const void *v, void *ud)
{
	struct ctl_manager *m = ud;
	(void)v;
	ctl_namespace_event(m->nsc, key);
	return 0;
}

#define NINF 10

/* Every informer's slot, for what is done to all of them alike. */
static void informers(struct ctl_manager *m, struct cm_informer **all[NINF])
{
	struct cm_informer **list[NINF] = {&m->pods, &m->rs, &m->deploys, &m->svcs, &m->eps,
					   &m->nodes, &m->leases, &m->ds, &m->nss, &m->slices};
	memcpy(all, list, sizeof(list));
}

/* Acts once every informer has its first list and (with --leader-elect) we lead. */
static void maybe_activate(struct ctl_manager *m)
{
	struct cm_informer **all[NINF];

	informers(m, all);
	if (m->active || m->stopping || (m->cfg->leader_elect && !cm_leader_is_leader(m->leader)))
		return;
	for (int i = 0; i < NINF; i++)
		if (!cm_informer_synced(*all[i]))
			return;
	m->active = true;
	cm_info("controller: caches synced, controllers running");
	cm_informer_foreach(m->rs, kick_rs, m);
	cm_informer_foreach(m->deploys, kick_d, m);
	cm_informer_foreach(m->ds, kick_ds, m);
	cm_informer_foreach(m->svcs, kick_svc, m);
	cm_informer_foreach(m->eps, kick_ep, m);
	cm_informer_foreach(m->slices, kick_slice, m);
	cm_informer_foreach(m->pods, kick_pod, m);
	cm_informer_foreach(m->nss, kick_ns, m);
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
	struct cm_informer_opts so = {.path = "/api/v1/services"};
	struct cm_informer_opts eo = {.path = "/api/v1/endpoints"};
	struct cm_informer_opts no = {.path = "/api/v1/nodes", .decode = cm_node_decode, .free_view = cm_node_free};
	struct cm_informer_opts lo = {.path = "/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases"};
	struct cm_informer_opts dso = {.path = "/apis/apps/v1/daemonsets"};
	struct cm_informer_opts nso = {.path = "/api/v1/namespaces"};
	struct cm_informer_opts eso = {.path = "/apis/discovery.k8s.io/v1/endpointslices"};
	struct cm_informer_handlers ph = {on_pod_add, on_pod_update, on_pod_delete, on_synced, m};
	struct cm_informer_handlers rh = {on_rs_add, on_rs_update, on_rs_delete, on_synced, m};
	struct cm_informer_handlers dh = {on_d_add, on_d_update, on_d_delete, on_synced, m};
	struct cm_informer_handlers sh = {on_svc_add, on_svc_update, on_svc_add, on_synced, m};
	struct cm_informer_handlers eh = {NULL, on_ep_update, on_svc_add, on_synced, m};
	struct cm_informer_handlers nh = {on_node_add, on_node_update, on_node_add, on_synced, m};
	struct cm_informer_handlers lh = {on_lease_add, on_lease_update, NULL, on_synced, m};
	struct cm_informer_handlers dsh = {on_ds_add, on_ds_update, on_ds_delete, on_synced, m};
	struct cm_informer_handlers nsh = {on_ns_add, on_ns_update, NULL, on_synced, m};
	struct cm_informer_handlers esh = {on_slice_add, on_slice_update, on_slice_add, on_synced, m};
	int rc;

	if (!m)
		return -ENOMEM;
	m->cfg = cfg;
	m->loop = loop;
	po.indexes[0].name = "owner";
	po.indexes[0].fn = cm_pod_index_owner;
	po.indexes[1].name = "node";
	po.indexes[1].fn = cm_pod_index_node;
	po.indexes[2].name = "ns";
	po.indexes[2].fn = cm_meta_index_ns;
	ro.indexes[0].name = "owner";
	ro.indexes[0].fn = ctl_owner_uid;
	ro.indexes[1].name = "ns";
	ro.indexes[1].fn = ctl_tree_ns;
	dopt.indexes[0].name = "ns";
	dopt.indexes[0].fn = ctl_tree_ns;
	so.indexes[0].name = "ns";
	so.indexes[0].fn = ctl_tree_ns;
	eso.indexes[0].name = "ns";
	eso.indexes[0].fn = ctl_tree_ns;
	ph.ud = rh.ud = dh.ud = sh.ud = eh.ud = nh.ud = lh.ud = dsh.ud = nsh.ud = m;
	if (cfg->identity) {
		snprintf(m->identity, sizeof(m->identity), "%s", cfg->identity);
	} else {
		char host[64] = "host";
		gethostname(host, sizeof(host) - 1);
		snprintf(m->identity, sizeof(m->identity), "%s_%d", host, (int)getpid());
	}
	rc = cm_api_new_opts(loop, cfg->servers.items, cfg->servers.n, &cfg->tls, &m->api);
	if (!rc)
		rc = cm_events_new(m->api, "controller-manager", &m->events);
	if (!rc)
		rc = cm_informer_new(m->api, &po, &ph, &m->pods);
	if (!rc)
		rc = cm_informer_new(m->api, &ro, &rh, &m->rs);
	if (!rc)
		rc = cm_informer_new(m->api, &dopt, &dh, &m->deploys);
	if (!rc)
		rc = cm_informer_new(m->api, &so, &sh, &m->svcs);
	if (!rc)
		rc = cm_informer_new(m->api, &eo, &eh, &m->eps);
	if (!rc)
		rc = cm_informer_new(m->api, &no, &nh, &m->nodes);
	if (!rc)
		rc = cm_informer_new(m->api, &lo, &lh, &m->leases);
	if (!rc)
		rc = cm_informer_new(m->api, &dso, &dsh, &m->ds);
	if (!rc)
		rc = cm_informer_new(m->api, &nso, &nsh, &m->nss);
	if (!rc)
		rc = cm_informer_new(m->api, &eso, &esh, &m->slices);
	if (!rc)
		rc = ctl_replicaset_start(m, &m->rsc);
	if (!rc)
		rc = ctl_deployment_start(m, &m->dc);
	if (!rc)
		rc = ctl_endpoints_start(m, &m->epc);
	if (!rc)
		rc = ctl_endpointslice_start(m, &m->esc);
	if (!rc)
		rc = ctl_nodelife_start(m, &m->nlc);
	if (!rc)
		rc = ctl_gc_start(m, &m->gc);
	if (!rc)
		rc = ctl_namespace_start(m, &m->nsc);
	if (!rc)
		rc = ctl_daemonset_start(m, &m->dsc);
	if (!rc)
		rc = ctl_servicelb_start(m, &m->slb);
	if (!rc && cfg->leader_elect) {
		struct cm_leader_opts lopt = {.name = "kube-controller-manager", .identity = m->identity,
					      .lease_ms = cfg->lease_ms, .renew_deadline_ms = cfg->renew_ms,
					      .retry_ms = cfg->retry_ms, .on_start = on_synced, .on_stop = on_lost, .ud = m};
		rc = cm_leader_new(m->api, &lopt, &m->leader);
	}
	if (rc) {
		ctl_manager_stop(m);
		return rc;
	}
	{
		struct cm_informer **all[NINF];
		informers(m, all);
		for (int i = 0; i < NINF; i++)
			cm_informer_start(*all[i]);
	}
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
	if (m->epc)
		ctl_endpoints_stop(m->epc);
	if (m->esc)
		ctl_endpointslice_stop(m->esc);
	if (m->nlc)
		ctl_nodelife_stop(m->nlc);
	if (m->gc)
		ctl_gc_stop(m->gc);
	if (m->nsc)
		ctl_namespace_stop(m->nsc);
	if (m->dsc)
		ctl_daemonset_stop(m->dsc);
	if (m->slb)
		ctl_servicelb_stop(m->slb);
	{
		struct cm_informer **all[NINF];
		informers(m, all);
		for (int i = 0; i < NINF; i++)
			cm_informer_free(*all[i]);
	}
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
