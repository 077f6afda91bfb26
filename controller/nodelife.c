/* nodelife.c: the node lifecycle controller: unrenewed Leases → Ready=Unknown, the unreachable taint, evictions. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/json.h"
#include "common/log.h"
#include "common/objview.h"
#include "common/strmap.h"
#include "common/timeutil.h"
#include "controller/manager.h"
#include "controller/nodelife.h"

int ctl_nodelife_decide(struct ctl_node_state *s, int64_t now_ms, int64_t grace_ms, int64_t eviction_ms)
{
	int act = 0;

	if (now_ms - s->renewed_ms <= grace_ms) {
		s->unreachable_ms = 0;
		if (s->tainted || s->ready_unknown)
			act |= CTL_NODE_RECOVER;
		return act;
	}
	if (!s->unreachable_ms)
		s->unreachable_ms = now_ms;
	if (!s->ready_unknown)
		act |= CTL_NODE_MARK_UNKNOWN;
	if (!s->tainted)
		act |= CTL_NODE_ADD_TAINT;
	if (now_ms - s->unreachable_ms >= eviction_ms)
		act |= CTL_NODE_EVICT;
	return act;
}

struct ctl_nodelife {
	struct ctl_manager *m;
	uv_timer_t timer;
	struct cm_strmap nodes; /* node name -> struct ctl_node_state */
};

static struct ctl_node_state *state(struct ctl_nodelife *c, const char *name, int64_t now)
{
	struct ctl_node_state *s = cm_strmap_get(&c->nodes, name);

	if (!s && (s = calloc(1, sizeof(*s)))) {
		s->renewed_ms = now;
		if (cm_strmap_put(&c->nodes, name, s, NULL)) {
			free(s);
			s = NULL;
		}
	}
	return s;
}

void ctl_nodelife_lease_event(struct ctl_nodelife *c, const cJSON *old_lease, const cJSON *lease)
{
	struct ctl_node_state *s;

	if (old_lease && cm_json_equal(cm_json_get(old_lease, "spec.renewTime"), cm_json_get(lease, "spec.renewTime")))
		return;
	s = state(c, cm_json_str_or(lease, "metadata.name", ""), cm_time_mono_ms());
	if (s)
		s->renewed_ms = cm_time_mono_ms();
}

static void on_written(const struct cm_api_resp *r, void *ud)
{
	char *what = ud;

	if (r->err != -ECANCELED && (r->err || (r->status >= 300 && r->status != 404)))
		cm_warn("node lifecycle: %s failed: %ld %s", what, r->status, cm_api_resp_message(r));
	free(what);
}

static void send_req(struct ctl_nodelife *c, const char *method, const char *path, const char *ctype, const cJSON *j)
{
	struct cm_buf body = CM_BUF_INIT;
	char *what = strdup(path);

	if (!what || (j && cm_json_print(j, &body)) ||
	    cm_api_call(c->m->api, method, path, ctype, body.data, body.len, 0, on_written, what))
		free(what);
	cm_buf_close(&body);
}

static void patch_ready(struct ctl_nodelife *c, const struct cm_node *n, bool unknown)
{
	struct cm_buf path = CM_BUF_INIT;
	cJSON *p = cJSON_CreateObject(), *conds = cJSON_CreateArray(), *cond = cJSON_CreateObject();
	char now[CM_RFC3339_LEN];

	if (!p || !conds || !cond) {
		cJSON_Delete(p);
		cJSON_Delete(conds);
		cJSON_Delete(cond);
		return;
	}
	cm_time_format(cm_time_wall_ms(), 0, now);
	cJSON_AddStringToObject(cond, "type", "Ready");
	cJSON_AddStringToObject(cond, "status", unknown ? "Unknown" : "True");
	cJSON_AddStringToObject(cond, "reason", unknown ? "NodeStatusUnknown" : "KubeletReady");
	cJSON_AddStringToObject(cond, "message",
				unknown ? "Kubelet stopped posting node status." : "kubelet is posting ready status");
	cJSON_AddStringToObject(cond, "lastTransitionTime", now);
	cJSON_AddStringToObject(cond, "lastHeartbeatTime", now);
	cJSON_AddItemToArray(conds, cond);
	cm_json_set(p, "status.conditions", conds);
	cm_api_path(&path, "v1", "nodes", NULL, n->m.name);
	cm_buf_puts(&path, "/status");
	send_req(c, "PATCH", path.data, "application/strategic-merge-patch+json", p);
	cm_buf_close(&path);
	cJSON_Delete(p);
}

/* The node's taints with the unreachable one added or removed, as a merge patch of spec.taints. */
static void patch_taints(struct ctl_nodelife *c, const struct cm_node *n, bool add)
{
	struct cm_buf path = CM_BUF_INIT;
	cJSON *p = cJSON_CreateObject(), *list = cJSON_CreateArray(), *t;
	char now[CM_RFC3339_LEN];

	if (!p || !list) {
		cJSON_Delete(p);
		cJSON_Delete(list);
		return;
	}
	for (size_t i = 0; i < n->ntaints; i++) {
		if (strcmp(n->taints[i].key, CTL_UNREACHABLE_TAINT) == 0)
			continue;
		if (!(t = cJSON_CreateObject()))
			break;
		cJSON_AddStringToObject(t, "key", n->taints[i].key);
		if (*n->taints[i].value)
			cJSON_AddStringToObject(t, "value", n->taints[i].value);
		cJSON_AddStringToObject(t, "effect", n->taints[i].effect);
		cJSON_AddItemToArray(list, t);
	}
	if (add && (t = cJSON_CreateObject())) {
		cm_time_format(cm_time_wall_ms(), 0, now);
		cJSON_AddStringToObject(t, "key", CTL_UNREACHABLE_TAINT);
		cJSON_AddStringToObject(t, "effect", "NoExecute");
		cJSON_AddStringToObject(t, "timeAdded", now);
		cJSON_AddItemToArray(list, t);
	}
	cm_json_set(p, "spec.taints", list);
	cm_api_path(&path, "v1", "nodes", NULL, n->m.name);
	send_req(c, "PATCH", path.data, "application/merge-patch+json", p);
	cm_buf_close(&path);
	cJSON_Delete(p);
}

static int evict(const char *key, const void *view, void *ud)
{
	struct ctl_nodelife *c = ud;
	const struct cm_pod *p = view;
	struct cm_taint t = {CTL_UNREACHABLE_TAINT, "", "NoExecute"};
	struct cm_buf path = CM_BUF_INIT;

	(void)key;
	if (p->m.deleting || cm_pod_terminal(p) || cm_pod_tolerates(p, &t))
		return 0;
	cm_api_path(&path, "v1", "pods", p->m.ns, p->m.name);
	cm_info("node lifecycle: pod %s/%s: evicted from unreachable node %s", p->m.ns, p->m.name, p->node_name);
	{
		struct cm_event_ref ref = {"Pod", "v1", p->m.ns, p->m.name, p->m.uid};
		cm_events_record(c->m->events, &ref, "Normal", "TaintManagerEviction", "Marking for deletion Pod %s/%s",
				 p->m.ns, p->m.name);
	}
	send_req(c, "DELETE", path.data, NULL, NULL);
	cm_buf_close(&path);
	return 0;
}

static int check(const char *key, const void *view, void *ud)
{
	struct ctl_nodelife *c = ud;
	const struct cm_node *n = view;
	int64_t now = cm_time_mono_ms();
	struct ctl_node_state *s = state(c, key, now);
	int act;

	if (!s)
		return 0;
	s->ready_unknown = strcmp(n->ready_status, "Unknown") == 0;
	s->tainted = false;
	for (size_t i = 0; i < n->ntaints; i++)
		if (strcmp(n->taints[i].key, CTL_UNREACHABLE_TAINT) == 0)
			s->tainted = true;
	act = ctl_nodelife_decide(s, now, c->m->cfg->node_grace_ms, c->m->cfg->eviction_ms);
	if (act & CTL_NODE_MARK_UNKNOWN) {
		struct cm_event_ref ref = {"Node", "v1", "", n->m.name, n->m.uid};
		cm_info("node lifecycle: node %s: lease not renewed for %lld ms, Ready=Unknown", n->m.name,
			(long long)(now - s->renewed_ms));
		cm_events_record(c->m->events, &ref, "Normal", "NodeNotReady", "Node %s status is now: NodeNotReady",
				 n->m.name);
		patch_ready(c, n, true);
	}
	if (act & CTL_NODE_ADD_TAINT)
		patch_taints(c, n, true);
	if (act & CTL_NODE_EVICT)
		cm_informer_index_foreach(c->m->pods, "node", n->m.name, evict, c);
	if (act & CTL_NODE_RECOVER) {
		cm_info("node lifecycle: node %s: lease renewed again", n->m.name);
		if (s->tainted)
			patch_taints(c, n, false);
		if (s->ready_unknown)
			patch_ready(c, n, false);
	}
	return 0;
}

static void on_tick(uv_timer_t *t)
{
	struct ctl_nodelife *c = t->data;

	if (c->m->active)
		cm_informer_foreach(c->m->nodes, check, c);
}

int ctl_nodelife_start(struct ctl_manager *m, struct ctl_nodelife **out)
{
	struct ctl_nodelife *c = calloc(1, sizeof(*c));
	uint64_t period = (uint64_t)(m->cfg->node_monitor_ms > 50 ? m->cfg->node_monitor_ms : 50);

	if (!c)
		return -ENOMEM;
	c->m = m;
	cm_strmap_init(&c->nodes);
	uv_timer_init(m->loop, &c->timer);
	c->timer.data = c;
	uv_timer_start(&c->timer, on_tick, period, period);
	*out = c;
	return 0;
}

static int free_val(const char *k, void *v, void *ud)
{
	(void)k, (void)ud;
	free(v);
	return 0;
}

static void on_closed(uv_handle_t *h)
{
	struct ctl_nodelife *c = h->data;

	cm_strmap_foreach(&c->nodes, free_val, NULL);
	cm_strmap_close(&c->nodes);
	free(c);
}

void ctl_nodelife_stop(struct ctl_nodelife *c)
{
	uv_close((uv_handle_t *)&c->timer, on_closed);
}
