/* cmd_rollout.c: rollout status|history|undo|restart for deployments (and status for daemonsets), as kubectl words them. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <stdint.h>
#include <time.h>

#include "common/json.h"
#include "common/timeutil.h"
#include "ctl/cli.h"
#include "ctl/print.h"
#include "ctl/rollout.h"
#include "ctl/target.h"

#define REVISION "deployment.kubernetes.io/revision"

int mc_rollout_status_text(const cJSON *obj, struct cm_buf *out)
{
	const char *kind = cm_json_str_or(obj, "kind", ""), *name = cm_json_str_or(obj, "metadata.name", "");
	int64_t gen = cm_json_int64_or(obj, "metadata.generation", 0);
	int64_t observed = cm_json_int64_or(obj, "status.observedGeneration", 0);

	if (!strcmp(kind, "DaemonSet")) {
		int64_t desired = cm_json_int64_or(obj, "status.desiredNumberScheduled", 0);
		int64_t updated = cm_json_int64_or(obj, "status.updatedNumberScheduled", 0);
		int64_t avail = cm_json_int64_or(obj, "status.numberAvailable", 0);
		if (gen > observed) {
			cm_buf_puts(out, "Waiting for daemon set spec update to be observed...\n");
			return MC_ROLLOUT_WAITING;
		}
		if (updated < desired) {
			cm_buf_printf(out, "Waiting for daemon set \"%s\" rollout to finish: %lld out of %lld new pods have been updated...\n",
				      name, (long long)updated, (long long)desired);
			return MC_ROLLOUT_WAITING;
		}
		if (avail < desired) {
			cm_buf_printf(out, "Waiting for daemon set \"%s\" rollout to finish: %lld of %lld updated pods are available...\n",
				      name, (long long)avail, (long long)desired);
			return MC_ROLLOUT_WAITING;
		}
		cm_buf_printf(out, "daemon set \"%s\" successfully rolled out\n", name);
		return MC_ROLLOUT_DONE;
	}
	if (gen > observed) {
		cm_buf_puts(out, "Waiting for deployment spec update to be observed...\n");
		return MC_ROLLOUT_WAITING;
	}
	{
		const cJSON *cond;
		cJSON_ArrayForEach(cond, cm_json_get(obj, "status.conditions"))
		{
			if (!strcmp(cm_json_str_or(cond, "type", ""), "Progressing") &&
			    !strcmp(cm_json_str_or(cond, "reason", ""), "ProgressDeadlineExceeded")) {
				cm_buf_printf(out, "deployment \"%s\" exceeded its progress deadline", name);
				return MC_ROLLOUT_FAILED;
			}
		}
	}
	int64_t want = cm_json_int64_or(obj, "spec.replicas", 1);
	int64_t updated = cm_json_int64_or(obj, "status.updatedReplicas", 0);
	int64_t replicas = cm_json_int64_or(obj, "status.replicas", 0);
	int64_t avail = cm_json_int64_or(obj, "status.availableReplicas", 0);
	if (updated < want) {
		cm_buf_printf(out, "Waiting for deployment \"%s\" rollout to finish: %lld out of %lld new replicas have been updated...\n",
			      name, (long long)updated, (long long)want);
		return MC_ROLLOUT_WAITING;
	}
	if (replicas > updated) {
		cm_buf_printf(out, "Waiting for deployment \"%s\" rollout to finish: %lld old replicas are pending termination...\n",
			      name, (long long)(replicas - updated));
		return MC_ROLLOUT_WAITING;
	}
	if (avail < updated) {
		cm_buf_printf(out, "Waiting for deployment \"%s\" rollout to finish: %lld of %lld updated replicas are available...\n",
			      name, (long long)avail, (long long)updated);
		return MC_ROLLOUT_WAITING;
	}
	cm_buf_printf(out, "deployment \"%s\" successfully rolled out\n", name);
	return MC_ROLLOUT_DONE;
}

static int status(struct mc_ctx *c, const struct mc_target *t, bool watch, int64_t timeout_ms)
{
	struct cm_buf path = CM_BUF_INIT, last = CM_BUF_INIT;
	int64_t deadline = timeout_ms > 0 ? cm_time_mono_ms() + timeout_ms : INT64_MAX;
	int rc;

	mc_resource_path(t->res, c->ns, t->name, &path);
	for (;;) {
		struct cm_buf text = CM_BUF_INIT;
		cJSON *obj = NULL;
		int st;
		if ((rc = mc_get_json(c, path.data, false, &obj)))
			break;
		st = mc_rollout_status_text(obj, &text);
		cJSON_Delete(obj);
		if (st == MC_ROLLOUT_FAILED) {
			rc = mc_errorf(c, "%s", text.data);
			cm_buf_close(&text);
			break;
		}
		/* print each state once, as the watch-driven kubectl does */
		if (!last.data || strcmp(last.data, text.data)) {
			fputs(text.data, c->out);
			fflush(c->out);
			cm_buf_reset(&last);
			cm_buf_puts(&last, text.data);
		}
		cm_buf_close(&text);
		if (st == MC_ROLLOUT_DONE || !watch)
			break;
		if (cm_time_mono_ms() > deadline) {
			rc = mc_errorf(c, "timed out waiting for the condition");
			break;
		}
		nanosleep(&(struct timespec){0, 200000000L}, NULL);
	}
	cm_buf_close(&path);
	cm_buf_close(&last);
	return rc;
}

/* The deployment's ReplicaSets (owned by its uid), into arr. */
static int owned_replicasets(struct mc_ctx *c, const cJSON *deploy, cJSON *arr)
{
	const char *uid = cm_json_str_or(deploy, "metadata.uid", "");
	struct cm_buf path = CM_BUF_INIT;
	cJSON *list = NULL, *rs;
	int rc;

	mc_resource_path(mc_resource_find("replicasets"), c->ns, NULL, &path);
	rc = mc_get_json(c, path.data, false, &list);
	cm_buf_close(&path);
	if (rc)
		return rc;
	cJSON_ArrayForEach(rs, cJSON_GetObjectItemCaseSensitive(list, "items"))
	{
		const cJSON *ref;
		cJSON_ArrayForEach(ref, cm_json_get(rs, "metadata.ownerReferences"))
		{
			if (!strcmp(cm_json_str_or(ref, "uid", ""), uid)) {
				cJSON_AddItemToArray(arr, cJSON_Duplicate(rs, 1));
				break;
			}
		}
	}
	cJSON_Delete(list);
	return 0;
}

static long revision_of(const cJSON *rs)
{
	const char *r = cm_json_get_str(rs, "metadata.annotations." "deployment\\.kubernetes\\.io/revision");
	return r ? atol(r) : 0;
}

static int cmp_rev(const void *a, const void *b)
{
	long x = revision_of(*(const cJSON *const *)a), y = revision_of(*(const cJSON *const *)b);
	return (x > y) - (x < y);
}

static int history(struct mc_ctx *c, const struct mc_target *t, long revision)
{
	struct cm_buf path = CM_BUF_INIT, out = CM_BUF_INIT;
	cJSON *deploy = NULL, *rss = cJSON_CreateArray();
	const cJSON **v = NULL;
	size_t n;
	int rc;

	mc_resource_path(t->res, c->ns, t->name, &path);
	if ((rc = mc_get_json(c, path.data, false, &deploy)) || (rc = owned_replicasets(c, deploy, rss)))
		goto done;
	n = (size_t)cJSON_GetArraySize(rss);
	v = calloc(n + 1, sizeof(*v));
	for (size_t i = 0; i < n; i++)
		v[i] = cJSON_GetArrayItem(rss, (int)i);
	qsort(v, n, sizeof(*v), cmp_rev);
	if (revision > 0) {
		for (size_t i = 0; i < n; i++) {
			if (revision_of(v[i]) == revision) {
				cJSON *tmpl = cJSON_Duplicate(cm_json_get(v[i], "spec.template"), 1);
				fprintf(c->out, "deployment.apps/%s with revision #%ld\n", t->name, revision);
				mc_json_pretty(tmpl, &out);
				fputs("Pod Template:\n", c->out);
				fputs(out.data, c->out);
				cJSON_Delete(tmpl);
				goto done;
			}
		}
		rc = mc_errorf(c, "unable to find the specified revision");
		goto done;
	}
	struct mc_table tab;
	mc_table_init(&tab, 2);
	mc_table_add(&tab, (const char *[]){"REVISION", "CHANGE-CAUSE"});
	for (size_t i = 0; i < n; i++) {
		char rev[32];
		const char *cause = cm_json_get_str(v[i], "metadata.annotations.kubernetes\\.io/change-cause");
		if (!revision_of(v[i]))
			continue;
		snprintf(rev, sizeof(rev), "%ld", revision_of(v[i]));
		mc_table_add(&tab, (const char *[]){rev, cause ? cause : "<none>"});
	}
	cm_buf_printf(&out, "deployment.apps/%s \n", t->name);
	mc_table_flush(&tab, &out);
	cm_buf_putc(&out, '\n');
	mc_table_close(&tab);
	fputs(out.data, c->out);
done:
	free(v);
	cJSON_Delete(deploy);
	cJSON_Delete(rss);
	cm_buf_close(&path);
	cm_buf_close(&out);
	return rc;
}

static int undo(struct mc_ctx *c, const struct mc_target *t, long to)
{
	struct cm_buf path = CM_BUF_INIT;
	cJSON *deploy = NULL, *rss = cJSON_CreateArray(), *patch = NULL, *tmpl = NULL;
	const cJSON *target = NULL, *rs;
	long current = 0, best = 0;
	int rc;

	mc_resource_path(t->res, c->ns, t->name, &path);
	if ((rc = mc_get_json(c, path.data, false, &deploy)) || (rc = owned_replicasets(c, deploy, rss)))
		goto done;
	current = atol(cm_json_str_or(deploy, "metadata.annotations.deployment\\.kubernetes\\.io/revision", "0"));
	cJSON_ArrayForEach(rs, rss)
	{
		long r = revision_of(rs);
		if (to > 0 ? r == to : (r != current && r > best)) {
			target = rs;
			best = r;
		}
	}
	if (!target) {
		rc = to > 0 ? mc_errorf(c, "unable to find specified revision %ld in history", to)
			    : mc_errorf(c, "no rollout history found for deployment \"%s\"", t->name);
		goto done;
	}
	tmpl = cJSON_Duplicate(cm_json_get(target, "spec.template"), 1);
	cJSON_DeleteItemFromObjectCaseSensitive(cm_json_get(tmpl, "metadata.labels"), "pod-template-hash");
	if (cm_json_equal(tmpl, cm_json_get(deploy, "spec.template"))) {
		fprintf(c->out, "deployment.apps/%s skipped rollback (current template already matches revision %ld)\n",
			t->name, revision_of(target));
		goto done;
	}
	patch = cJSON_CreateArray();
	{
		cJSON *op = cJSON_CreateObject();
		cJSON_AddStringToObject(op, "op", "replace");
		cJSON_AddStringToObject(op, "path", "/spec/template");
		cJSON_AddItemToObject(op, "value", tmpl);
		tmpl = NULL;
		cJSON_AddItemToArray(patch, op);
	}
	if (!(rc = mc_send_json(c, "PATCH", path.data, "application/json-patch+json", patch, NULL)))
		fprintf(c->out, "deployment.apps/%s rolled back\n", t->name);
done:
	cJSON_Delete(tmpl);
	cJSON_Delete(patch);
	cJSON_Delete(deploy);
	cJSON_Delete(rss);
	cm_buf_close(&path);
	return rc;
}

static int restart(struct mc_ctx *c, const struct mc_target *t)
{
	struct cm_buf path = CM_BUF_INIT, ref = CM_BUF_INIT;
	char now[CM_RFC3339_LEN];
	cJSON *patch = cJSON_CreateObject();
	int rc;

	cm_time_format(cm_time_wall_ms(), 0, now);
	cm_json_set_str(patch, "spec.template.metadata.annotations.kubectl\\.kubernetes\\.io/restartedAt", now);
	mc_resource_path(t->res, c->ns, t->name, &path);
	rc = mc_send_json(c, "PATCH", path.data, "application/strategic-merge-patch+json", patch, NULL);
	if (!rc) {
		mc_object_ref(t->res, t->name, &ref);
		fprintf(c->out, "%s restarted\n", ref.data);
	}
	cJSON_Delete(patch);
	cm_buf_close(&path);
	cm_buf_close(&ref);
	return rc;
}

int mc_run_rollout(struct mc_ctx *c, const struct mc_cmd *cmd, int argc, char **argv)
{
	struct mc_strv pos = {0}, dash = {0};
	struct mc_targets ts = {0};
	bool watch = true;
	long revision = 0, to_revision = 0;
	const char *timeout = "0s";
	int64_t timeout_ms = 0;
	const struct mc_flag flags[] = {
		{"watch", 'w', MC_FLAG_BOOL, &watch, "true", "status: keep reporting until the rollout has finished."},
		{"timeout", 0, MC_FLAG_STRING, &timeout, "0s", "status: how long to watch before giving up, with a unit (30s, 5m); 0 never gives up."},
		{"revision", 0, MC_FLAG_INT, &revision, "0", "history: print this revision in full, pod template included."},
		{"to-revision", 0, MC_FLAG_INT, &to_revision, "0", "undo: the revision to return to; 0 (the default) means the one before now."},
	};
	int rc = mc_cmd_parse(c, cmd, flags, sizeof(flags) / sizeof(flags[0]), argc, argv, &pos, &dash);
	const char *sub;

	if (rc)
		goto done;
	if (pos.n < 2) {
		rc = mc_usage_error(c, cmd, "required resource not specified");
		goto done;
	}
	sub = pos.v[0];
	if (strcmp(timeout, "0s") && strcmp(timeout, "0") && cm_duration_parse(timeout, &timeout_ms)) {
		rc = mc_usage_error(c, cmd, "invalid --timeout");
		goto done;
	}
	if ((rc = mc_targets_parse(c, &pos, 1, &ts)))
		goto done;
	for (size_t i = 0; i < ts.n && !rc; i++) {
		const struct mc_target *t = &ts.v[i];
		bool deploy = !strcmp(t->res->name, "deployments"), ds = !strcmp(t->res->name, "daemonsets");
		if (!t->name) {
			rc = mc_errorf(c, "resource(s) were provided, but no name was specified");
		} else if (!deploy && !(ds && (!strcmp(sub, "status") || !strcmp(sub, "restart")))) {
			rc = mc_errorf(c, "no %s has been implemented for %s", sub, t->res->kind);
		} else if (!strcmp(sub, "status")) {
			rc = status(c, t, watch, timeout_ms);
		} else if (!strcmp(sub, "history")) {
			rc = history(c, t, revision);
		} else if (!strcmp(sub, "undo")) {
			rc = undo(c, t, to_revision);
		} else if (!strcmp(sub, "restart")) {
			rc = restart(c, t);
		} else {
			rc = mc_usage_error(c, cmd, "unknown subcommand; use status, history, undo or restart");
		}
	}
done:
	mc_targets_close(&ts);
	mc_strv_close(&pos);
	mc_strv_close(&dash);
	return rc;
}
