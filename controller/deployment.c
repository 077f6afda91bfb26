/* deployment.c: the Deployment controller: a ReplicaSet per pod template, rolling update or recreate, revisions, status. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/json.h"
#include "common/log.h"
#include "common/timeutil.h"
#include "common/selector.h"
#include "controller/deployment_plan.h"
#include "controller/manager.h"
#include "controller/queued.h"

#define REV_PATH "metadata.annotations.deployment\\.kubernetes\\.io/revision"

struct ctl_deployment {
	struct ctl_queued base;
};

/* The pod-template-hash: FNV-1a of the template's compact JSON, as 10 characters of Kubernetes' safe alphabet. */
static void template_hash(const cJSON *tmpl, char out[11])
{
	static const char alpha[] = "bcdfghjklmnpqrstvwxz2456789";
	struct cm_buf b = CM_BUF_INIT;
	uint64_t h = 1469598103934665603ULL;

	cm_json_print(tmpl, &b);
	for (size_t i = 0; i < b.len; i++)
		h = (h ^ (unsigned char)b.data[i]) * 1099511628211ULL;
	cm_buf_close(&b);
	for (int i = 0; i < 10; i++) {
		out[i] = alpha[h % 27];
		h /= 27;
	}
	out[10] = 0;
}

struct owned {
	const cJSON *rs[64];
	size_t n;
};

static int collect_rs(const char *key, const void *view, void *ud)
{
	struct owned *o = ud;
	(void)key;
	if (o->n < 64)
		o->rs[o->n++] = view;
	return 0;
}

static void patch_replicas(struct ctl_deployment *c, struct ctl_op *op, const cJSON *d, const cJSON *rs, int64_t n,
			   const char *revision)
{
	struct cm_buf path = CM_BUF_INIT;
	cJSON *patch = cJSON_CreateObject();
	int64_t cur = cm_json_int64_or(rs, "spec.replicas", 1);
	const char *name = cm_json_str_or(rs, "metadata.name", "");

	if (!patch)
		return;
	cm_json_set(patch, "spec.replicas", cJSON_CreateNumber((double)n));
	if (revision)
		cm_json_set(patch, REV_PATH, cJSON_CreateString(revision));
	cm_api_path(&path, "apps/v1", "replicasets", cm_json_get_str(rs, "metadata.namespace"), name);
	ctl_op_write(c->base.m, op, "PATCH", path.data, patch);
	if (n != cur) {
		struct cm_event_ref ref = {"Deployment", "apps/v1", cm_json_str_or(d, "metadata.namespace", ""),
					   cm_json_str_or(d, "metadata.name", ""), cm_json_str_or(d, "metadata.uid", "")};
		cm_events_record(c->base.m->events, &ref, "Normal", "ScalingReplicaSet", "Scaled %s replica set %s from %lld to %lld",
				 n > cur ? "up" : "down", name, (long long)cur, (long long)n);
	}
	cm_buf_close(&path);
	cJSON_Delete(patch);
}

static void create_rs(struct ctl_deployment *c, struct ctl_op *op, const cJSON *d, const char *hash, int64_t replicas,
		      int64_t revision)
{
	cJSON *rs = cJSON_CreateObject(), *tmpl = cm_json_copy(cm_json_get(d, "spec.template"));
	cJSON *sel = cm_json_copy(cm_json_get(d, "spec.selector"));
	struct cm_buf name = CM_BUF_INIT, path = CM_BUF_INIT;
	char rev[24];
	const char *ns = cm_json_str_or(d, "metadata.namespace", "default");

	if (!rs || !tmpl || !sel)
		goto out;
	snprintf(rev, sizeof(rev), "%lld", (long long)revision);
	cm_buf_printf(&name, "%s-%s", cm_json_str_or(d, "metadata.name", ""), hash);
	cJSON_AddStringToObject(rs, "apiVersion", "apps/v1");
	cJSON_AddStringToObject(rs, "kind", "ReplicaSet");
	cm_json_set_str(rs, "metadata.name", name.data);
	cm_json_set_str(rs, "metadata.namespace", ns);
	cm_json_set(rs, "metadata.labels", cm_json_copy(cm_json_get(tmpl, "metadata.labels")));
	cm_json_set_str(rs, "metadata.labels.pod-template-hash", hash);
	cm_json_set_str(rs, REV_PATH, rev);
	cm_json_set(rs, "metadata.ownerReferences", ctl_owner_refs(d, "apps/v1", "Deployment"));
	cm_json_set_str(tmpl, "metadata.labels.pod-template-hash", hash);
	cm_json_set_str(sel, "matchLabels.pod-template-hash", hash);
	cm_json_set(rs, "spec.replicas", cJSON_CreateNumber((double)replicas));
	cm_json_set(rs, "spec.selector", sel);
	sel = NULL;
	cm_json_set(rs, "spec.template", tmpl);
	tmpl = NULL;
	cm_api_path(&path, "apps/v1", "replicasets", ns, NULL);
	ctl_op_write(c->base.m, op, "POST", path.data, rs);
	{
		struct cm_event_ref ref = {"Deployment", "apps/v1", ns, cm_json_str_or(d, "metadata.name", ""),
					   cm_json_str_or(d, "metadata.uid", "")};
		cm_events_record(c->base.m->events, &ref, "Normal", "ScalingReplicaSet", "Scaled up replica set %s from 0 to %lld",
				 name.data, (long long)replicas);
	}
out:
	cJSON_Delete(rs);
	cJSON_Delete(tmpl);
	cJSON_Delete(sel);
	cm_buf_close(&name);
	cm_buf_close(&path);
}

static const cJSON *condition(const cJSON *st, const char *type)
{
	const cJSON *c;

	cJSON_ArrayForEach(c, cm_json_get(st, "conditions"))
		if (strcmp(cm_json_str_or(c, "type", ""), type) == 0)
			return c;
	return NULL;
}

/*
 * Progressing, as Kubernetes: True/NewReplicaSetAvailable once complete;
 * True/ReplicaSetUpdated with lastUpdateTime moved on whenever the counts
 * move; False/ProgressDeadlineExceeded once they have not moved for
 * progressDeadlineSeconds. Returns the ms until the deadline (0: none to wait for).
 */
static int64_t progressing(const cJSON *d, bool complete, bool moved, const char **status, const char **reason,
			   char when[CM_RFC3339_LEN])
{
	const cJSON *prev = condition(cm_json_get(d, "status"), "Progressing");
	const char *preason = cm_json_str_or(prev, "reason", "");
	int64_t deadline_ms = cm_json_int64_or(d, "spec.progressDeadlineSeconds", 600) * 1000, last = 0;
	int64_t now = cm_time_wall_ms();

	*status = "True";
	cm_time_format(now, 0, when);
	if (complete) {
		*reason = "NewReplicaSetAvailable";
		if (!strcmp(preason, *reason))
			snprintf(when, CM_RFC3339_LEN, "%s", cm_json_str_or(prev, "lastUpdateTime", when));
		return 0;
	}
	*reason = "ReplicaSetUpdated";
	if (moved || !prev || !strcmp(preason, "NewReplicaSetAvailable") ||
	    cm_time_parse(cm_json_str_or(prev, "lastUpdateTime", ""), &last))
		return deadline_ms;
	snprintf(when, CM_RFC3339_LEN, "%s", cm_json_str_or(prev, "lastUpdateTime", ""));
	if (now - last > deadline_ms || !strcmp(preason, "ProgressDeadlineExceeded")) {
		*status = "False";
		*reason = "ProgressDeadlineExceeded";
		return 0;
	}
	return deadline_ms - (now - last) + 1000;
}

static void write_status(struct ctl_deployment *c, struct ctl_op *op, const cJSON *d, const struct ctl_plan_in *in,
			 size_t new_idx, const char *key)
{
	int64_t replicas = 0, ready = 0, avail = 0, updated = 0, wait;
	const cJSON *st = cm_json_get(d, "status"), *pa = condition(st, "Available"), *pp = condition(st, "Progressing");
	int64_t gen = cm_json_int64_or(d, "metadata.generation", 0);
	cJSON *patch, *conds, *cond;
	struct cm_buf path = CM_BUF_INIT;
	bool complete, moved, avail_ok;
	const char *pstatus, *preason;
	char now[CM_RFC3339_LEN], pwhen[CM_RFC3339_LEN];

	for (size_t i = 0; i < in->n; i++) {
		replicas += in->rs[i].status_replicas;
		ready += in->rs[i].ready;
		avail += in->rs[i].available;
	}
	if (new_idx < in->n)
		updated = in->rs[new_idx].status_replicas;
	complete = new_idx < in->n && updated == in->replicas && replicas == in->replicas && avail >= in->replicas;
	moved = cm_json_int64_or(st, "replicas", -1) != replicas || cm_json_int64_or(st, "readyReplicas", -1) != ready ||
		cm_json_int64_or(st, "availableReplicas", -1) != avail ||
		cm_json_int64_or(st, "updatedReplicas", -1) != updated ||
		cm_json_int64_or(st, "observedGeneration", -1) != gen;
	avail_ok = avail >= in->replicas - in->max_unavailable;
	wait = progressing(d, complete, moved, &pstatus, &preason, pwhen);
	if (wait > 0)
		cm_workqueue_add_after(c->base.q, key, wait);
	if (!moved && pp && !strcmp(cm_json_str_or(pp, "status", ""), pstatus) &&
	    !strcmp(cm_json_str_or(pp, "reason", ""), preason) &&
	    !strcmp(cm_json_str_or(pp, "lastUpdateTime", ""), pwhen) &&
	    !strcmp(cm_json_str_or(pa, "status", ""), avail_ok ? "True" : "False"))
		return;
	patch = cJSON_CreateObject();
	conds = cJSON_CreateArray();
	if (!patch || !conds) {
		cJSON_Delete(patch);
		cJSON_Delete(conds);
		return;
	}
	cm_time_format(cm_time_wall_ms(), 0, now);
	cm_json_set(patch, "status.replicas", cJSON_CreateNumber((double)replicas));
	cm_json_set(patch, "status.readyReplicas", cJSON_CreateNumber((double)ready));
	cm_json_set(patch, "status.availableReplicas", cJSON_CreateNumber((double)avail));
	cm_json_set(patch, "status.updatedReplicas", cJSON_CreateNumber((double)updated));
	cm_json_set(patch, "status.unavailableReplicas",
		    cJSON_CreateNumber((double)(replicas > avail ? replicas - avail : 0)));
	cm_json_set(patch, "status.observedGeneration", cJSON_CreateNumber((double)gen));
	cond = cJSON_CreateObject();
	cJSON_AddStringToObject(cond, "type", "Available");
	cJSON_AddStringToObject(cond, "status", avail_ok ? "True" : "False");
	cJSON_AddStringToObject(cond, "reason", avail_ok ? "MinimumReplicasAvailable" : "MinimumReplicasUnavailable");
	cJSON_AddStringToObject(cond, "lastUpdateTime", now);
	cJSON_AddItemToArray(conds, cond);
	cond = cJSON_CreateObject();
	cJSON_AddStringToObject(cond, "type", "Progressing");
	cJSON_AddStringToObject(cond, "status", pstatus);
	cJSON_AddStringToObject(cond, "reason", preason);
	if (!strcmp(preason, "ProgressDeadlineExceeded"))
		cJSON_AddStringToObject(cond, "message", "has timed out progressing.");
	cJSON_AddStringToObject(cond, "lastUpdateTime", pwhen);
	cJSON_AddItemToArray(conds, cond);
	cm_json_set(patch, "status.conditions", conds);
	cm_api_path(&path, "apps/v1", "deployments", cm_json_get_str(d, "metadata.namespace"),
		    cm_json_get_str(d, "metadata.name"));
	cm_buf_puts(&path, "/status");
	ctl_op_write(c->base.m, op, "PATCH", path.data, patch);
	cm_buf_close(&path);
	cJSON_Delete(patch);
}

static void reconcile(struct cm_workqueue *q, const char *key, void *ud)
{
	struct ctl_deployment *c = ud;
	const cJSON *d = cm_informer_get(c->base.m->deploys, key);
	struct owned own = {0};
	struct ctl_plan_in in = {0};
	struct ctl_plan_out out;
	char hash[11];
	size_t new_idx;
	struct ctl_op *op;
	int64_t max_rev = 0;

	if (!d || cm_json_get(d, "metadata.deletionTimestamp")) {
		cm_workqueue_done(q, key, 0);
		return;
	}
	op = ctl_op_new(c->base.m, q, key);
	if (!op)
		return;
	template_hash(cm_json_get(d, "spec.template"), hash);
	cm_informer_index_foreach(c->base.m->rs, "owner", cm_json_str_or(d, "metadata.uid", ""), collect_rs, &own);
	ctl_plan_read_deployment(d, &in);
	new_idx = own.n;
	for (size_t i = 0; i < own.n && i < CTL_PLAN_MAX; i++) {
		const cJSON *rs = own.rs[i];
		int64_t rev = cm_json_int64_or(rs, REV_PATH, 0);
		const char *h = cm_json_str_or(rs, "metadata.labels.pod-template-hash", "");
		ctl_plan_read_rs(rs, &in.rs[in.n]);
		if (strcmp(h, hash) == 0)
			new_idx = in.n;
		if (rev > max_rev)
			max_rev = rev;
		in.n++;
	}
	if (new_idx == in.n) {
		/* A new template: its ReplicaSet starts at what the strategy allows now. */
		int64_t start = ctl_plan_new_rs_size(&in);
		create_rs(c, op, d, hash, start, max_rev + 1);
	} else {
		char rev[24];
		int64_t cur_rev = cm_json_int64_or(own.rs[new_idx], REV_PATH, 0);
		/* A rollback made an old template current again: it becomes the newest revision. */
		snprintf(rev, sizeof(rev), "%lld", (long long)(max_rev + 1));
		in.new_idx = (int)new_idx;
		ctl_plan_compute(&in, &out);
		for (size_t i = 0; i < in.n; i++)
			if (out.replicas[i] != in.rs[i].spec_replicas || (i == new_idx && cur_rev < max_rev))
				patch_replicas(c, op, d, own.rs[i], out.replicas[i],
					       i == new_idx && cur_rev < max_rev ? rev : NULL);
		for (size_t i = 0; i < in.n; i++)
			if (out.delete_rs[i]) {
				struct cm_buf path = CM_BUF_INIT;
				cm_api_path(&path, "apps/v1", "replicasets", cm_json_get_str(own.rs[i], "metadata.namespace"),
					    cm_json_get_str(own.rs[i], "metadata.name"));
				cm_buf_puts(&path, "?propagationPolicy=Background");
				ctl_op_write(c->base.m, op, "DELETE", path.data, NULL);
				cm_buf_close(&path);
			}
		write_status(c, op, d, &in, new_idx, key);
	}
	ctl_op_release(op);
}

void ctl_deployment_rs_event(struct ctl_deployment *c, const cJSON *rs)
{
	const cJSON *ref;

	cJSON_ArrayForEach(ref, cm_json_get(rs, "metadata.ownerReferences")) {
		if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(ref, "controller")) &&
		    strcmp(cm_json_str_or(ref, "kind", ""), "Deployment") == 0) {
			struct cm_buf key = CM_BUF_INIT;
			if (cm_buf_printf(&key, "%s/%s", cm_json_str_or(rs, "metadata.namespace", ""),
					  cm_json_str_or(ref, "name", "")) == 0)
				cm_workqueue_add(c->base.q, key.data);
			cm_buf_close(&key);
		}
	}
}

void ctl_deployment_event(struct ctl_deployment *c, const char *key)
{
	cm_workqueue_add(c->base.q, key);
}

int ctl_deployment_start(struct ctl_manager *m, struct ctl_deployment **out)
{
	struct ctl_deployment *c = ctl_queued_new(m, sizeof(*c), m->cfg->workers, 50, reconcile);

	if (!c)
		return -ENOMEM;
	*out = c;
	return 0;
}

void ctl_deployment_stop(struct ctl_deployment *c)
{
	ctl_queued_free(&c->base);
}
