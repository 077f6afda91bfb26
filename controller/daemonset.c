/* daemonset.c: the DaemonSet controller: one pod per eligible node, following nodes, taints and selectors. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/json.h"
#include "common/log.h"
#include "common/strmap.h"
#include "common/timeutil.h"
#include "controller/daemonset.h"
#include "controller/endpoints.h"
#include "controller/manager.h"
#include "controller/queued.h"

#define MAX_TOLS 32
#define EXPECT_MS 10000 /* a create not seen by then is tried again */

/* The tolerations every daemon pod carries, so node trouble does not evict it. */
static const char *const default_tols[][2] = {
	{"node.kubernetes.io/not-ready", "NoExecute"},
	{"node.kubernetes.io/unreachable", "NoExecute"},
	{"node.kubernetes.io/unschedulable", "NoSchedule"},
	{"node.kubernetes.io/disk-pressure", "NoSchedule"},
	{"node.kubernetes.io/memory-pressure", "NoSchedule"},
};
#define NDEF (sizeof(default_tols) / sizeof(default_tols[0]))

bool ctl_daemonset_should_run(const struct cm_node *node, const cJSON *pod_spec)
{
	struct cm_toleration tols[MAX_TOLS + NDEF];
	size_t n = 0;
	const cJSON *t;

	if (node->m.deleting || !ctl_labels_match_map(cm_json_get(pod_spec, "nodeSelector"), node->m.labels))
		return false;
	for (size_t i = 0; i < NDEF; i++)
		tols[n++] = (struct cm_toleration){(char *)default_tols[i][0], "Exists", "", (char *)default_tols[i][1]};
	cJSON_ArrayForEach(t, cm_json_get(pod_spec, "tolerations")) {
		if (n == MAX_TOLS + NDEF)
			break;
		tols[n++] = (struct cm_toleration){(char *)cm_json_str_or(t, "key", ""), (char *)cm_json_str_or(t, "operator", "Equal"),
						   (char *)cm_json_str_or(t, "value", ""), (char *)cm_json_str_or(t, "effect", "")};
	}
	for (size_t i = 0; i < node->ntaints; i++) {
		const struct cm_taint *taint = &node->taints[i];
		bool ok = false;
		if (strcmp(taint->effect, "NoSchedule") && strcmp(taint->effect, "NoExecute"))
			continue;
		for (size_t j = 0; j < n && !ok; j++)
			ok = cm_toleration_tolerates(&tols[j], taint);
		if (!ok)
			return false;
	}
	return true;
}

struct ctl_daemonset {
	struct ctl_queued base;
	struct cm_strmap expect; /* "ns/ds\tnode" -> (void *)(intptr_t) mono ms of the create */
};

struct ds_pods {
	struct cm_strmap by_node; /* node -> count */
	const struct cm_pod **p;
	size_t n, cap;
};

static int collect(const char *key, const void *view, void *ud)
{
	struct ds_pods *s = ud;
	const struct cm_pod *p = view;

	(void)key;
	if (p->m.deleting || cm_pod_terminal(p))
		return 0;
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 16;
		const struct cm_pod **np = realloc(s->p, cap * sizeof(*np));
		if (!np)
			return 1;
		s->p = np;
		s->cap = cap;
	}
	s->p[s->n++] = p;
	cm_strmap_put(&s->by_node, p->node_name,
		      (void *)((intptr_t)cm_strmap_get(&s->by_node, p->node_name) + 1), NULL);
	return 0;
}

static cJSON *pod_for(const cJSON *ds, const char *node)
{
	cJSON *pod = cJSON_CreateObject(), *meta, *tols;
	const cJSON *tmpl = cm_json_get(ds, "spec.template");
	struct cm_buf gen = CM_BUF_INIT;

	if (!pod)
		return NULL;
	cJSON_AddStringToObject(pod, "apiVersion", "v1");
	cJSON_AddStringToObject(pod, "kind", "Pod");
	meta = cm_json_copy(cm_json_get(tmpl, "metadata"));
	cJSON_AddItemToObject(pod, "metadata", meta ? meta : cJSON_CreateObject());
	cJSON_DeleteItemFromObject(cJSON_GetObjectItem(pod, "metadata"), "name");
	cm_buf_printf(&gen, "%s-", cm_json_str_or(ds, "metadata.name", "ds"));
	cm_json_set_str(pod, "metadata.generateName", gen.data ? gen.data : "ds-");
	cm_json_set_str(pod, "metadata.namespace", cm_json_str_or(ds, "metadata.namespace", "default"));
	cm_json_set(pod, "metadata.ownerReferences", ctl_owner_refs(ds, "apps/v1", "DaemonSet"));
	cm_json_set(pod, "spec", cm_json_copy(cm_json_get(tmpl, "spec")));
	cm_json_set_str(pod, "spec.nodeName", node);
	tols = cm_json_get(pod, "spec.tolerations");
	if (!cJSON_IsArray(tols)) {
		tols = cJSON_CreateArray();
		cm_json_set(pod, "spec.tolerations", tols);
	}
	for (size_t i = 0; tols && i < NDEF; i++) {
		cJSON *t = cJSON_CreateObject();
		if (!t)
			break;
		cJSON_AddStringToObject(t, "key", default_tols[i][0]);
		cJSON_AddStringToObject(t, "operator", "Exists");
		cJSON_AddStringToObject(t, "effect", default_tols[i][1]);
		cJSON_AddItemToArray(tols, t);
	}
	cm_buf_close(&gen);
	return pod;
}

struct walk {
	struct ctl_daemonset *c;
	struct ctl_op *op;
	const cJSON *ds;
	const char *key, *ns;
	struct ds_pods *pods;
	struct cm_strmap wanted; /* nodes that should run one */
	int64_t desired, scheduled, creates;
};

static int visit_node(const char *key, const void *view, void *ud)
{
	struct walk *w = ud;
	const struct cm_node *n = view;
	intptr_t have = (intptr_t)cm_strmap_get(&w->pods->by_node, n->m.name);
	struct cm_buf ek = CM_BUF_INIT;

	(void)key;
	if (!ctl_daemonset_should_run(n, cm_json_get(w->ds, "spec.template.spec")))
		return 0;
	w->desired++;
	cm_strmap_put(&w->wanted, n->m.name, (void *)1, NULL);
	cm_buf_printf(&ek, "%s\t%s", w->key, n->m.name);
	if (have > 0) {
		w->scheduled++;
		cm_strmap_del(&w->c->expect, ek.data);
	} else if (ek.data) {
		intptr_t at = (intptr_t)cm_strmap_get(&w->c->expect, ek.data);
		if (!at || cm_time_mono_ms() - at > EXPECT_MS) {
			cJSON *pod = pod_for(w->ds, n->m.name);
			struct cm_buf path = CM_BUF_INIT;
			cm_api_path(&path, "v1", "pods", w->ns, NULL);
			if (pod && path.data) {
				cm_strmap_put(&w->c->expect, ek.data, (void *)(intptr_t)cm_time_mono_ms(), NULL);
				ctl_op_write(w->c->base.m, w->op, "POST", path.data, pod);
				w->creates++;
			}
			cJSON_Delete(pod);
			cm_buf_close(&path);
		}
	}
	cm_buf_close(&ek);
	return 0;
}

static void write_status(struct walk *w, int64_t misscheduled, int64_t ready)
{
	const cJSON *st = cm_json_get(w->ds, "status");
	int64_t gen = cm_json_int64_or(w->ds, "metadata.generation", 0);
	struct cm_buf path = CM_BUF_INIT;
	cJSON *patch;

	if (cm_json_int64_or(st, "desiredNumberScheduled", -1) == w->desired &&
	    cm_json_int64_or(st, "currentNumberScheduled", -1) == w->scheduled &&
	    cm_json_int64_or(st, "numberMisscheduled", -1) == misscheduled &&
	    cm_json_int64_or(st, "numberReady", -1) == ready && cm_json_int64_or(st, "observedGeneration", -1) == gen)
		return;
	if (!(patch = cJSON_CreateObject()))
		return;
	cm_json_set(patch, "status.desiredNumberScheduled", cJSON_CreateNumber((double)w->desired));
	cm_json_set(patch, "status.currentNumberScheduled", cJSON_CreateNumber((double)w->scheduled));
	cm_json_set(patch, "status.updatedNumberScheduled", cJSON_CreateNumber((double)w->scheduled));
	cm_json_set(patch, "status.numberMisscheduled", cJSON_CreateNumber((double)misscheduled));
	cm_json_set(patch, "status.numberReady", cJSON_CreateNumber((double)ready));
	cm_json_set(patch, "status.numberAvailable", cJSON_CreateNumber((double)ready));
	cm_json_set(patch, "status.numberUnavailable",
		    cJSON_CreateNumber((double)(w->desired > ready ? w->desired - ready : 0)));
	cm_json_set(patch, "status.observedGeneration", cJSON_CreateNumber((double)gen));
	cm_api_path(&path, "apps/v1", "daemonsets", w->ns, cm_json_str_or(w->ds, "metadata.name", ""));
	cm_buf_puts(&path, "/status");
	ctl_op_write(w->c->base.m, w->op, "PATCH", path.data, patch);
	cm_buf_close(&path);
	cJSON_Delete(patch);
}

static void reconcile(struct cm_workqueue *q, const char *key, void *ud)
{
	struct ctl_daemonset *c = ud;
	const cJSON *ds = cm_informer_get(c->base.m->ds, key);
	struct ds_pods pods = {0};
	struct walk w = {0};
	struct cm_strmap seen;
	int64_t misscheduled = 0, ready = 0;
	struct ctl_op *op;

	if (!ds || cm_json_get(ds, "metadata.deletionTimestamp")) {
		cm_workqueue_done(q, key, 0);
		return;
	}
	if (!(op = ctl_op_new(c->base.m, q, key)))
		return;
	cm_strmap_init(&pods.by_node);
	cm_strmap_init(&w.wanted);
	cm_strmap_init(&seen);
	cm_informer_index_foreach(c->base.m->pods, "owner", cm_json_str_or(ds, "metadata.uid", ""), collect, &pods);
	w = (struct walk){c, op, ds, key, cm_json_str_or(ds, "metadata.namespace", "default"), &pods, w.wanted, 0, 0, 0};
	cm_informer_foreach(c->base.m->nodes, visit_node, &w);
	if (w.creates) {
		struct cm_event_ref ref = {"DaemonSet", "apps/v1", w.ns, cm_json_str_or(ds, "metadata.name", ""),
					   cm_json_str_or(ds, "metadata.uid", "")};
		cm_events_record(c->base.m->events, &ref, "Normal", "SuccessfulCreate", "Created %lld pod(s)",
				 (long long)w.creates);
	}
	/* pods on nodes that should not run one, and second pods on a node */
	for (size_t i = 0; i < pods.n; i++) {
		const struct cm_pod *p = pods.p[i];
		bool extra = !cm_strmap_get(&w.wanted, p->node_name) || cm_strmap_get(&seen, p->node_name);
		if (!extra) {
			cm_strmap_put(&seen, p->node_name, (void *)1, NULL);
			ready += p->ready;
			continue;
		}
		if (!cm_strmap_get(&w.wanted, p->node_name))
			misscheduled++;
		struct cm_buf path = CM_BUF_INIT;
		cm_api_path(&path, "v1", "pods", p->m.ns, p->m.name);
		/* no node left to end it gracefully: it goes at once, as Kubernetes' pod GC does */
		if (!cm_informer_get(c->base.m->nodes, p->node_name))
			cm_buf_puts(&path, "?gracePeriodSeconds=0");
		cm_info("daemonset %s: deleting pod %s on node %s", key, p->m.name, p->node_name);
		ctl_op_write(c->base.m, op, "DELETE", path.data, NULL);
		cm_buf_close(&path);
	}
	write_status(&w, misscheduled, ready);
	free(pods.p);
	cm_strmap_close(&pods.by_node);
	cm_strmap_close(&w.wanted);
	cm_strmap_close(&seen);
	ctl_op_release(op);
}

void ctl_daemonset_event(struct ctl_daemonset *c, const char *key)
{
	cm_workqueue_add(c->base.q, key);
}

void ctl_daemonset_pod_event(struct ctl_daemonset *c, const void *pod)
{
	const struct cm_pod *p = pod;
	struct cm_buf key = CM_BUF_INIT;

	if (strcmp(p->m.owner_kind, "DaemonSet") != 0)
		return;
	if (cm_buf_printf(&key, "%s/%s", p->m.ns, p->m.owner_name) == 0)
		cm_workqueue_add(c->base.q, key.data);
	cm_buf_close(&key);
}

static int kick(const char *key, const void *v, void *ud)
{
	(void)v;
	cm_workqueue_add(ud, key);
	return 0;
}

void ctl_daemonset_node_event(struct ctl_daemonset *c)
{
	cm_informer_foreach(c->base.m->ds, kick, c->base.q);
}

int ctl_daemonset_start(struct ctl_manager *m, struct ctl_daemonset **out)
{
	struct ctl_daemonset *c = ctl_queued_new(m, sizeof(*c), m->cfg->workers, 50, reconcile);

	if (!c)
		return -ENOMEM;
	cm_strmap_init(&c->expect);
	*out = c;
	return 0;
}

void ctl_daemonset_stop(struct ctl_daemonset *c)
{
	cm_strmap_close(&c->expect);
	ctl_queued_free(&c->base);
}
