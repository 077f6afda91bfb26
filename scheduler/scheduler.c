/* scheduler.c: takes unbound pods from a queue, filters and scores nodes, assumes, binds, reports failures. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/apiclient.h"
#include "common/events.h"
#include "common/informer.h"
#include "common/json.h"
#include "common/leader.h"
#include "common/log.h"
#include "common/objview.h"
#include "common/strmap.h"
#include "common/workqueue.h"
#include "scheduler/cache.h"
#include "scheduler/filter.h"
#include "scheduler/scheduler.h"

struct sch_scheduler {
	const struct sch_config *cfg;
	uv_loop_t *loop;
	struct cm_api *api;
	struct cm_informer *pods, *nodes;
	struct cm_workqueue *q;
	struct cm_leader *leader;
	struct cm_events *events;
	struct sch_cache cache;
	struct cm_strmap unsched; /* pod key -> last FailedScheduling message (owned) */
	struct cand *cand; /* schedule_one's feasible nodes, kept between pods to spare a malloc each */
	size_t cand_cap;
	bool active, stopping, lost;
	char identity[128];
};

struct bind_ctx {
	struct sch_scheduler *s;
	char *key, *node, *ns, *name, *uid;
};

void sch_config_defaults(struct sch_config *cfg)
{
	static const char *def_servers[] = {"http://127.0.0.1:8080"};

	memset(cfg, 0, sizeof(*cfg));
	cfg->servers.items = def_servers;
	cfg->servers.n = 1;
	cfg->scheduler_name = "default-scheduler";
	cfg->lease_ms = 15000;
	cfg->renew_ms = 10000;
	cfg->retry_ms = 2000;
	cfg->parallelism = 64;
}

static bool ours(const struct sch_scheduler *s, const struct cm_pod *p)
{
	return !*p->node_name && !p->m.deleting && !cm_pod_terminal(p) &&
	       strcmp(p->scheduler_name, s->cfg->scheduler_name) == 0;
}

static void forget_unsched(struct sch_scheduler *s, const char *key)
{
	free(cm_strmap_del(&s->unsched, key));
}

static int requeue_one(const char *key, void *val, void *ud)
{
	(void)val;
	cm_workqueue_add(ud, key);
	return 0;
}

/* Something freed room or added a node: pods that fit nowhere get another try. */
static void retry_unschedulable(struct sch_scheduler *s)
{
	if (s->active && cm_strmap_count(&s->unsched))
		cm_strmap_foreach(&s->unsched, requeue_one, s->q);
}

static void pod_seen(struct sch_scheduler *s, const char *key, const struct cm_pod *p)
{
	if (*p->node_name && !cm_pod_terminal(p)) {
		sch_cache_add(&s->cache, key, p, p->node_name, false);
		forget_unsched(s, key);
	} else if (*p->node_name) {
		sch_cache_remove(&s->cache, key); /* finished: its resources are free */
		retry_unschedulable(s);
	} else if (ours(s, p) && s->active && !sch_cache_assumed(&s->cache, key)) {
		cm_workqueue_add(s->q, key);
	}
}

static void on_pod_add(void *ud, const char *key, const void *view)
{
	pod_seen(ud, key, view);
}

static void on_pod_update(void *ud, const char *key, const void *old, const void *view)
{
	(void)old;
	pod_seen(ud, key, view);
}

static void on_pod_delete(void *ud, const char *key, const void *view)
{
	struct sch_scheduler *s = ud;
	(void)view;
	sch_cache_remove(&s->cache, key);
	forget_unsched(s, key);
	retry_unschedulable(s);
}

static void on_node_add(void *ud, const char *key, const void *view)
{
	(void)key, (void)view;
	retry_unschedulable(ud);
}

static void on_node_update(void *ud, const char *key, const void *old, const void *view)
{
	const struct cm_node *a = old, *b = view;
	(void)key;
	if (a->ready != b->ready || a->unschedulable != b->unschedulable || a->ntaints != b->ntaints ||
	    a->cpu_milli != b->cpu_milli || a->mem_milli != b->mem_milli)
		retry_unschedulable(ud);
}

/* A node that passed the filters, with what its score needs (pointers borrowed for one pod). */
struct cand {
	const char *key;
	const struct cm_node *node;
	const struct sch_node_usage *use;
	int64_t same;
};

struct pick {
	struct sch_scheduler *s;
	const struct cm_pod *pod;
	size_t nnodes, feasible;
	size_t counts[SCH_NREASONS];
	const struct cm_taint *taint;
	int64_t max_same;
	bool oom;
};

static unsigned tie_hash(const char *a, const char *b)
{
	unsigned h = 2166136261u;
	for (; *a; a++)
		h = (h ^ (unsigned char)*a) * 16777619u;
	for (; *b; b++)
		h = (h ^ (unsigned char)*b) * 16777619u;
	return h;
}

/*
 * The filters, once per node; the feasible ones are kept with their usage
 * and owner count so scoring does not look them up (and filter) again.
 */
static int visit_node(const char *key, const void *view, void *ud)
{
	struct pick *p = ud;
	struct sch_scheduler *s = p->s;
	const struct cm_node *n = view;
	const struct sch_node_usage *use = sch_cache_usage(&s->cache, key);
	const struct cm_taint *t = NULL;
	enum sch_reason r = sch_filter(p->pod, n, use, &t);

	p->nnodes++;
	p->counts[r]++;
	if (r == SCH_TAINT && !p->taint)
		p->taint = t;
	if (r != SCH_FIT)
		return 0;
	if (p->feasible == s->cand_cap) {
		size_t cap = s->cand_cap ? 2 * s->cand_cap : 256;
		struct cand *c = realloc(s->cand, cap * sizeof(*c));

		if (!c) {
			p->oom = true;
			return 1;
		}
		s->cand = c;
		s->cand_cap = cap;
	}
	s->cand[p->feasible] = (struct cand){key, n, use,
					     sch_cache_owner_count(&s->cache, p->pod->m.owner_uid, key)};
	if (s->cand[p->feasible].same > p->max_same)
		p->max_same = s->cand[p->feasible].same;
	p->feasible++;
	return 0;
}

/* The feasible node with the best score; ties go by a hash of pod and node, so pods spread. */
static const char *best_node(const struct pick *p)
{
	const struct cand *c = p->s->cand;
	const char *best = NULL;
	int64_t best_score = 0;
	unsigned best_tie = 0;

	for (size_t i = 0; i < p->feasible; i++) {
		int64_t score = sch_score(p->pod, c[i].node, c[i].use, c[i].same, p->max_same);
		unsigned tie = tie_hash(p->pod->m.name, c[i].key);

		if (!best || score > best_score || (score == best_score && tie > best_tie)) {
			best = c[i].key;
			best_score = score;
			best_tie = tie;
		}
	}
	return best;
}

static void free_bind(struct bind_ctx *b)
{
	free(b->key);
	free(b->node);
	free(b->ns);
	free(b->name);
	free(b->uid);
	free(b);
}

static void on_bound(const struct cm_api_resp *r, void *ud)
{
	struct bind_ctx *b = ud;
	struct sch_scheduler *s = b->s;

	if (s->stopping) {
		free_bind(b);
		return;
	}
	if (r->err == 0 && (r->status == 200 || r->status == 201)) {
		struct cm_event_ref ref = {"Pod", "v1", b->ns, b->name, b->uid};
		cm_events_record(s->events, &ref, "Normal", "Scheduled", "Successfully assigned %s/%s to %s", b->ns,
				 b->name, b->node);
		cm_debug(1, "pod %s: bound to %s", b->key, b->node);
		cm_workqueue_done(s->q, b->key, 0);
	} else {
		const struct cm_pod *p = cm_informer_get(s->pods, b->key);
		cm_warn("pod %s: binding to %s failed: %s", b->key, b->node, cm_api_resp_message(r));
		if (!p || !*p->node_name)
			sch_cache_remove(&s->cache, b->key); /* unassume: the node has that room again */
		cm_workqueue_done(s->q, b->key, r->status == 404 || r->status == 409 ? 0 : -EIO);
		if (r->status == 409 && p && !*p->node_name)
			cm_workqueue_add(s->q, b->key);
	}
	free_bind(b);
}

static void on_status_written(const struct cm_api_resp *r, void *ud)
{
	(void)ud;
	if (r->err || r->status >= 300)
		cm_debug(1, "scheduler: pod condition write failed: %s", cm_api_resp_message(r));
}

static void report_unschedulable(struct sch_scheduler *s, const char *key, const struct cm_pod *pod,
				 const char *msg)
{
	const char *prev = cm_strmap_get(&s->unsched, key);
	char *copy;
	struct cm_buf path = CM_BUF_INIT, body = CM_BUF_INIT;
	cJSON *patch, *cond, *conds;

	if (prev && strcmp(prev, msg) == 0)
		return; /* said already: stay quiet until something changes */
	copy = strdup(msg);
	if (!copy)
		return;
	free(cm_strmap_del(&s->unsched, key));
	if (cm_strmap_put(&s->unsched, key, copy, NULL))
		free(copy);
	cm_info("pod %s: %s", key, msg);
	{
		struct cm_event_ref ref = {"Pod", "v1", pod->m.ns, pod->m.name, pod->m.uid};
		cm_events_record(s->events, &ref, "Warning", "FailedScheduling", "%s", msg);
	}
	patch = cJSON_CreateObject();
	conds = cJSON_CreateArray();
	cond = cJSON_CreateObject();
	if (patch && conds && cond) {
		cJSON_AddStringToObject(cond, "type", "PodScheduled");
		cJSON_AddStringToObject(cond, "status", "False");
		cJSON_AddStringToObject(cond, "reason", "Unschedulable");
		cJSON_AddStringToObject(cond, "message", msg);
		cJSON_AddItemToArray(conds, cond);
		cond = NULL;
		cm_json_set(patch, "status.conditions", conds);
		conds = NULL;
		cm_json_print(patch, &body);
		cm_api_path(&path, "v1", "pods", pod->m.ns, pod->m.name);
		cm_buf_puts(&path, "/status");
		if (body.data && path.data)
			cm_api_call(s->api, "PATCH", path.data, "application/merge-patch+json", body.data, body.len, 0,
				    on_status_written, NULL);
	}
	cJSON_Delete(cond);
	cJSON_Delete(conds);
	cJSON_Delete(patch);
	cm_buf_close(&path);
	cm_buf_close(&body);
}

static int bind_pod(struct sch_scheduler *s, const char *key, const struct cm_pod *pod, const char *node)
{
	struct bind_ctx *b = calloc(1, sizeof(*b));
	struct cm_buf path = CM_BUF_INIT;
	cJSON *j = cJSON_CreateObject();
	int rc = -ENOMEM;

	if (!b || !j)
		goto out;
	b->s = s;
	b->key = strdup(key);
	b->node = strdup(node);
	b->ns = strdup(pod->m.ns);
	b->name = strdup(pod->m.name);
	b->uid = strdup(pod->m.uid);
	if (!b->key || !b->node || !b->ns || !b->name || !b->uid)
		goto out;
	cJSON_AddStringToObject(j, "apiVersion", "v1");
	cJSON_AddStringToObject(j, "kind", "Binding");
	cm_json_set_str(j, "metadata.name", pod->m.name);
	cm_json_set_str(j, "metadata.namespace", pod->m.ns);
	cm_json_set_str(j, "target.apiVersion", "v1");
	cm_json_set_str(j, "target.kind", "Node");
	cm_json_set_str(j, "target.name", node);
	if (cm_api_path(&path, "v1", "pods", pod->m.ns, pod->m.name) || cm_buf_puts(&path, "/binding"))
		goto out;
	rc = sch_cache_add(&s->cache, key, pod, node, true);
	if (rc)
		goto out;
	rc = cm_api_call_json(s->api, "POST", path.data, j, on_bound, b);
	if (rc)
		sch_cache_remove(&s->cache, key);
	else
		b = NULL;
out:
	if (b)
		free_bind(b);
	cJSON_Delete(j);
	cm_buf_close(&path);
	return rc;
}

static void schedule_one(struct cm_workqueue *q, const char *key, void *ud)
{
	struct sch_scheduler *s = ud;
	const struct cm_pod *pod = cm_informer_get(s->pods, key);
	struct pick p = {0};
	const char *best;

	if (!pod || !ours(s, pod) || sch_cache_assumed(&s->cache, key)) {
		cm_workqueue_done(q, key, 0);
		return;
	}
	p.s = s;
	p.pod = pod;
	cm_informer_foreach(s->nodes, visit_node, &p);
	if (p.oom) {
		cm_workqueue_done(q, key, -ENOMEM);
		return;
	}
	best = best_node(&p);
	if (!best) {
		struct cm_buf msg = CM_BUF_INIT;
		if (sch_fit_error(p.nnodes, p.counts, p.taint, &msg) == 0)
			report_unschedulable(s, key, pod, msg.data);
		cm_buf_close(&msg);
		cm_workqueue_done(q, key, 0); /* retried when nodes or pods change */
		return;
	}
	if (bind_pod(s, key, pod, best))
		cm_workqueue_done(q, key, -ENOMEM);
}

static int enqueue_pending(const char *key, const void *view, void *ud)
{
	struct sch_scheduler *s = ud;
	if (ours(s, view))
		cm_workqueue_add(s->q, key);
	return 0;
}

static void activate(struct sch_scheduler *s)
{
	if (s->active)
		return;
	s->active = true;
	cm_informer_foreach(s->pods, enqueue_pending, s);
}

static void on_synced(void *ud)
{
	struct sch_scheduler *s = ud;

	if (cm_informer_synced(s->pods) && cm_informer_synced(s->nodes) &&
	    (!s->cfg->leader_elect || cm_leader_is_leader(s->leader)))
		activate(s);
}

static void on_lead(void *ud)
{
	on_synced(ud);
}

static void on_lost(void *ud)
{
	struct sch_scheduler *s = ud;

	cm_error("scheduler: leader election lost, stopping");
	s->lost = true;
	sch_scheduler_stop(s);
}

int sch_scheduler_start(uv_loop_t *loop, const struct sch_config *cfg, struct sch_scheduler **out)
{
	struct sch_scheduler *s = calloc(1, sizeof(*s));
	struct cm_informer_opts po = {.path = "/api/v1/pods", .decode = cm_pod_decode, .free_view = cm_pod_free};
	struct cm_informer_opts no = {.path = "/api/v1/nodes", .decode = cm_node_decode, .free_view = cm_node_free};
	struct cm_informer_handlers ph = {on_pod_add, on_pod_update, on_pod_delete, on_synced, NULL};
	struct cm_informer_handlers nh = {on_node_add, on_node_update, NULL, on_synced, NULL};
	struct cm_workqueue_opts qo = {.workers = cfg->parallelism, .base_delay_ms = 50, .max_delay_ms = 10000};
	int rc;

	if (!s)
		return -ENOMEM;
	s->cfg = cfg;
	s->loop = loop;
	sch_cache_init(&s->cache);
	cm_strmap_init(&s->unsched);
	ph.ud = nh.ud = s;
	po.indexes[0].name = "node";
	po.indexes[0].fn = cm_pod_index_node;
	if (cfg->identity)
		snprintf(s->identity, sizeof(s->identity), "%s", cfg->identity);
	else {
		char host[64] = "host";
		gethostname(host, sizeof(host) - 1);
		snprintf(s->identity, sizeof(s->identity), "%s_%d", host, (int)getpid());
	}
	rc = cm_api_new_opts(loop, cfg->servers.items, cfg->servers.n, &cfg->tls, &s->api);
	if (!rc)
		rc = cm_events_new(s->api, cfg->scheduler_name, &s->events);
	if (!rc)
		rc = cm_workqueue_new(loop, &qo, schedule_one, s, &s->q);
	if (!rc)
		rc = cm_informer_new(s->api, &po, &ph, &s->pods);
	if (!rc)
		rc = cm_informer_new(s->api, &no, &nh, &s->nodes);
	if (!rc && cfg->leader_elect) {
		struct cm_leader_opts lo = {.name = "kube-scheduler", .identity = s->identity,
					    .lease_ms = cfg->lease_ms, .renew_deadline_ms = cfg->renew_ms,
					    .retry_ms = cfg->retry_ms, .on_start = on_lead, .on_stop = on_lost, .ud = s};
		rc = cm_leader_new(s->api, &lo, &s->leader);
	}
	if (rc) {
		sch_scheduler_stop(s);
		return rc;
	}
	cm_informer_start(s->nodes);
	cm_informer_start(s->pods);
	if (s->leader)
		cm_leader_start(s->leader);
	*out = s;
	return 0;
}

void sch_scheduler_stop(struct sch_scheduler *s)
{
	if (s->stopping)
		return;
	s->stopping = true;
	s->active = false;
	cm_leader_free(s->leader);
	cm_informer_free(s->pods);
	cm_informer_free(s->nodes);
	cm_workqueue_free(s->q);
	if (s->api)
		cm_api_free(s->api);
	s->leader = NULL;
	s->pods = s->nodes = NULL;
	s->q = NULL;
}

static int free_str(const char *k, void *v, void *ud)
{
	(void)k, (void)ud;
	free(v);
	return 0;
}

void sch_scheduler_free(struct sch_scheduler *s)
{
	if (!s)
		return;
	cm_events_free(s->events);
	sch_cache_close(&s->cache);
	free(s->cand);
	cm_strmap_foreach(&s->unsched, free_str, NULL);
	cm_strmap_close(&s->unsched);
	free(s);
}

bool sch_scheduler_lost_lease(const struct sch_scheduler *s)
{
	return s->lost;
}
