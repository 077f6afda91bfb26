/* podstatus.c: the pod's status (phase, conditions, IPs, container states) written through pods/status when it changed. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/json.h"
#include "common/err.h"
#include "common/log.h"
#include "common/timeutil.h"
#include "kubelet/worker.h"

static void add_time(cJSON *o, const char *k, int64_t ms)
{
	char t[CM_RFC3339_LEN];

	if (ms > 0 && cm_time_format(ms, 0, t) == 0)
		cJSON_AddStringToObject(o, k, t);
}

/* ids are written "<runtime>://<id>" (process://, docker://) as Kubernetes writes them. */
static cJSON *terminated(const struct kl_container_status *st, const char *id, const char *rt)
{
	cJSON *t = cJSON_CreateObject();
	struct cm_buf cid = CM_BUF_INIT;

	cJSON_AddNumberToObject(t, "exitCode", st->exit_code);
	cJSON_AddStringToObject(t, "reason", st->reason[0] ? st->reason : "Error");
	if (st->message[0])
		cJSON_AddStringToObject(t, "message", st->message);
	add_time(t, "startedAt", st->started_ms);
	add_time(t, "finishedAt", st->finished_ms);
	if (id) {
		cm_buf_printf(&cid, "%s://%s", rt, id);
		cJSON_AddStringToObject(t, "containerID", cid.data);
	}
	cm_buf_close(&cid);
	return t;
}

static bool ctr_ready(const struct kl_ctr *c)
{
	if (c->st.state != KL_CSTATE_RUNNING || c->killing)
		return false;
	if (c->probes[KL_STARTUP].kind && c->pst[KL_STARTUP].result != KL_PROBE_SUCCESS)
		return false;
	if (c->probes[KL_READINESS].kind)
		return c->pst[KL_READINESS].result == KL_PROBE_SUCCESS;
	return true;
}

static cJSON *ctr_status(const struct kl_ctr *c, const char *rt)
{
	cJSON *o = cJSON_CreateObject(), *state = cJSON_CreateObject(), *x;
	struct cm_buf cid = CM_BUF_INIT;

	cJSON_AddStringToObject(o, "name", c->name);
	cJSON_AddStringToObject(o, "image", cm_json_str_or(c->spec, "image", ""));
	cJSON_AddStringToObject(o, "imageID", "");
	if (c->id) {
		cm_buf_printf(&cid, "%s://%s", rt, c->id);
		cJSON_AddStringToObject(o, "containerID", cid.data);
	}
	cJSON_AddBoolToObject(o, "ready", ctr_ready(c));
	cJSON_AddNumberToObject(o, "restartCount", c->restarts);
	if (!c->init)
		cJSON_AddBoolToObject(o, "started", c->st.state == KL_CSTATE_RUNNING &&
							    (!c->probes[KL_STARTUP].kind ||
							     c->pst[KL_STARTUP].result == KL_PROBE_SUCCESS));
	if (c->waiting_reason[0] || !c->id || c->st.state == KL_CSTATE_CREATED) {
		x = cJSON_AddObjectToObject(state, "waiting");
		cJSON_AddStringToObject(x, "reason", c->waiting_reason[0] ? c->waiting_reason : "ContainerCreating");
		if (c->waiting_msg[0])
			cJSON_AddStringToObject(x, "message", c->waiting_msg);
	} else if (c->st.state == KL_CSTATE_RUNNING) {
		x = cJSON_AddObjectToObject(state, "running");
		add_time(x, "startedAt", c->st.started_ms);
	} else {
		cJSON_AddItemToObject(state, "terminated", terminated(&c->st, c->id, rt));
	}
	cJSON_AddItemToObject(o, "state", state);
	x = cJSON_AddObjectToObject(o, "lastState");
	if (c->has_last)
		cJSON_AddItemToObject(x, "terminated", terminated(&c->last, c->prev_id, rt));
	cm_buf_close(&cid);
	return o;
}

static void add_cond(struct kl_pod_worker *w, cJSON *conds, int i, const char *type, bool val, int64_t now)
{
	cJSON *c = cJSON_CreateObject();

	if (w->cond_time[i] == 0 || w->cond_val[i] != val) {
		w->cond_time[i] = now;
		w->cond_val[i] = val;
	}
	cJSON_AddStringToObject(c, "type", type);
	cJSON_AddStringToObject(c, "status", val ? "True" : "False");
	cJSON_AddNullToObject(c, "lastProbeTime");
	add_time(c, "lastTransitionTime", w->cond_time[i]);
	cJSON_AddItemToArray(conds, c);
}

static void status_done(const struct cm_http_response *r, void *ud)
{
	struct kl_pod_worker *w = ud;

	w->status_busy = false;
	if (r->err || r->status >= 300) {
		cm_warn("pod %s/%s: status update failed (%ld): %.200s", w->ns, w->name, r->status,
			r->err ? cm_strerror(r->err) : r->body);
		free(w->last_status); /* written again on the next tick */
		w->last_status = NULL;
	} else if (w->status_dirty && !w->removed) {
		/* what changed meanwhile goes out now rather than a tick later */
		w->status_dirty = false;
		kl_status_sync(w);
	}
	kl_worker_unref(w);
}

void kl_status_sync(struct kl_pod_worker *w)
{
	cJSON *body = cJSON_CreateObject(), *st, *conds, *list, *ilist, *ips;
	int64_t now = cm_time_wall_ms();
	bool inits = true, ready = w->n_ctrs > w->n_init;
	struct cm_buf text = CM_BUF_INIT, path = CM_BUF_INIT;
	const char *ip = kl_worker_ip(w);

	if (!body)
		goto out;
	if (w->status_busy) {
		w->status_dirty = true;
		goto out;
	}
	st = cJSON_AddObjectToObject(body, "status");
	cJSON_AddStringToObject(st, "phase", w->phase);
	for (size_t i = 0; i < w->n_init; i++)
		inits &= w->ctrs[i].done;
	ilist = cJSON_CreateArray();
	list = cJSON_CreateArray();
	for (size_t i = 0; i < w->n_ctrs; i++) {
		cJSON_AddItemToArray(w->ctrs[i].init ? ilist : list, ctr_status(&w->ctrs[i], w->srv->rt->ops->name));
		if (!w->ctrs[i].init)
			ready &= ctr_ready(&w->ctrs[i]);
	}
	conds = cJSON_AddArrayToObject(st, "conditions");
	add_cond(w, conds, 0, "PodScheduled", true, now);
	add_cond(w, conds, 1, "Initialized", inits, now);
	add_cond(w, conds, 2, "ContainersReady", ready, now);
	add_cond(w, conds, 3, "Ready", ready, now);
	cJSON_AddStringToObject(st, "hostIP", w->srv->cfg.node_ip);
	ips = cJSON_AddArrayToObject(st, "hostIPs");
	cJSON_AddItemToArray(ips, cJSON_CreateObject());
	cJSON_AddStringToObject(cJSON_GetArrayItem(ips, 0), "ip", w->srv->cfg.node_ip);
	if (w->sandbox_ok) {
		cJSON_AddStringToObject(st, "podIP", ip);
		ips = cJSON_AddArrayToObject(st, "podIPs");
		cJSON_AddItemToArray(ips, cJSON_CreateObject());
		cJSON_AddStringToObject(cJSON_GetArrayItem(ips, 0), "ip", ip);
	}
	add_time(st, "startTime", w->start_ms);
	cJSON_AddStringToObject(st, "qosClass", "BestEffort");
	if (w->n_init)
		cJSON_AddItemToObject(st, "initContainerStatuses", ilist);
	else
		cJSON_Delete(ilist);
	cJSON_AddItemToObject(st, "containerStatuses", list);
	if (cm_json_print(body, &text) < 0 || (w->last_status && !strcmp(w->last_status, text.data)))
		goto out;
	cm_buf_printf(&path, "/api/v1/namespaces/%s/pods/%s/status", w->ns, w->name);
	w->refs++;
	w->status_busy = true;
	if (kl_api_send(w->srv, "PATCH", path.data, "application/merge-patch+json", text.data, status_done, w) < 0) {
		w->refs--;
		w->status_busy = false;
		goto out;
	}
	cm_debug(1, "pod %s/%s: status %s", w->ns, w->name, w->phase);
	free(w->last_status);
	w->last_status = strdup(text.data); /* not the print buffer: it holds 4 KiB at least */
	/* the pod view served by /pods carries the status written */
	cm_json_set(w->pod, "status", cJSON_Duplicate(st, 1));
out:
	cJSON_Delete(body);
	cm_buf_close(&text);
	cm_buf_close(&path);
}
