/* cmd_node.c: cordon, uncordon and drain (evict or delete the node's pods, respecting DaemonSet pods). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <stdint.h>
#include <time.h>

#include "common/json.h"
#include "common/timeutil.h"
#include "ctl/cli.h"
#include "ctl/target.h"

/* Sets spec.unschedulable on a node; prints "node/x cordoned" or "already cordoned". */
static int set_unschedulable(struct mc_ctx *c, const char *node, bool on)
{
	const struct mc_resource *r = mc_resource_find("nodes");
	struct cm_buf path = CM_BUF_INIT;
	cJSON *obj = NULL, *patch = NULL;
	bool cur = false;
	int rc;

	mc_resource_path(r, NULL, node, &path);
	if ((rc = mc_get_json(c, path.data, false, &obj)))
		goto done;
	cm_json_get_bool(obj, "spec.unschedulable", &cur);
	if (cur == on) {
		fprintf(c->out, "node/%s already %s\n", node, on ? "cordoned" : "uncordoned");
		goto done;
	}
	patch = cJSON_CreateObject();
	if (on)
		cJSON_AddTrueToObject(cJSON_AddObjectToObject(patch, "spec"), "unschedulable");
	else
		cJSON_AddNullToObject(cJSON_AddObjectToObject(patch, "spec"), "unschedulable");
	rc = mc_send_json(c, "PATCH", path.data, "application/strategic-merge-patch+json", patch, NULL);
	if (!rc)
		fprintf(c->out, "node/%s %s\n", node, on ? "cordoned" : "uncordoned");
done:
	cJSON_Delete(obj);
	cJSON_Delete(patch);
	cm_buf_close(&path);
	return rc;
}

int mc_run_cordon(struct mc_ctx *c, const struct mc_cmd *cmd, int argc, char **argv)
{
	struct mc_strv pos = {0}, dash = {0};
	const char *selector = NULL;
	const struct mc_flag flags[] = {
		{"selector", 'l', MC_FLAG_STRING, &selector, "''", "Act on the nodes whose labels match, e.g. zone=a."},
	};
	int rc = mc_cmd_parse(c, cmd, flags, sizeof(flags) / sizeof(flags[0]), argc, argv, &pos, &dash);

	if (rc)
		goto done;
	if (pos.n < 1) {
		rc = mc_usage_error(c, cmd, "USAGE: " "cordon NODE [flags]");
		goto done;
	}
	for (size_t i = 0; i < pos.n && !rc; i++) {
		const char *n = pos.v[i];
		if (!strncmp(n, "node/", 5))
			n += 5;
		else if (!strncmp(n, "nodes/", 6))
			n += 6;
		rc = set_unschedulable(c, n, !strcmp(cmd->name, "cordon"));
	}
done:
	mc_strv_close(&pos);
	mc_strv_close(&dash);
	return rc;
}

static bool owned_by(const cJSON *pod, const char *kind)
{
	const cJSON *ref;

	cJSON_ArrayForEach(ref, cm_json_get(pod, "metadata.ownerReferences"))
	{
		bool ctl = false;
		cm_json_get_bool(ref, "controller", &ctl);
		if (ctl && (!kind || !strcmp(cm_json_str_or(ref, "kind", ""), kind)))
			return true;
	}
	return false;
}

/* Evicts a pod through the eviction subresource, or deletes it when the server has none. */
static int evict(struct mc_ctx *c, const cJSON *pod, long grace, bool disable_eviction)
{
	const char *ns = cm_json_str_or(pod, "metadata.namespace", "default"), *name = cm_json_str_or(pod, "metadata.name", "");
	struct cm_buf path = CM_BUF_INIT, resp = CM_BUF_INIT;
	cJSON *body = cJSON_CreateObject();
	char *text;
	long status = 0;
	int rc;

	cJSON_AddStringToObject(body, "apiVersion", "policy/v1");
	cJSON_AddStringToObject(body, "kind", "Eviction");
	cJSON_AddStringToObject(cJSON_AddObjectToObject(body, "metadata"), "name", name);
	cJSON_AddStringToObject(cJSON_GetObjectItem(body, "metadata"), "namespace", ns);
	if (grace >= 0)
		cJSON_AddNumberToObject(cJSON_AddObjectToObject(body, "deleteOptions"), "gracePeriodSeconds", (double)grace);
	text = cJSON_PrintUnformatted(body);
	if (!disable_eviction) {
		fprintf(c->out, "evicting pod %s/%s\n", ns, name);
		cm_buf_printf(&path, "/api/v1/namespaces/%s/pods/%s/eviction", ns, name);
		rc = mc_request(c, "POST", path.data, NULL, NULL, text, strlen(text), &status, &resp);
		if (rc)
			goto done;
		if (status >= 200 && status < 300)
			goto evicted;
		if (status != 404 && status != 405) {
			rc = mc_print_api_error(c, status, resp.data);
			goto done;
		}
	}
	/* no eviction subresource (or --disable-eviction): delete, as kubectl does */
	cm_buf_reset(&path);
	cm_buf_reset(&resp);
	cm_buf_printf(&path, "/api/v1/namespaces/%s/pods/%s", ns, name);
	{
		char del[96];
		if (grace >= 0)
			snprintf(del, sizeof(del), "{\"gracePeriodSeconds\":%ld}", grace);
		else
			snprintf(del, sizeof(del), "{}");
		rc = mc_request(c, "DELETE", path.data, NULL, NULL, del, strlen(del), &status, &resp);
	}
	if (rc)
		goto done;
	if ((status < 200 || status > 299) && status != 404) {
		rc = mc_print_api_error(c, status, resp.data);
		goto done;
	}
	if (disable_eviction) {
		fprintf(c->out, "pod/%s deleted\n", name);
		goto done;
	}
evicted:
	fprintf(c->out, "pod/%s evicted\n", name);
done:
	free(text);
	cJSON_Delete(body);
	cm_buf_close(&path);
	cm_buf_close(&resp);
	return rc;
}

int mc_run_drain(struct mc_ctx *c, const struct mc_cmd *cmd, int argc, char **argv)
{
	struct mc_strv pos = {0}, dash = {0};
	bool ignore_ds = false, force = false, delete_emptydir = false, disable_eviction = false;
	long grace = -1;
	const char *timeout = "0s", *selector = NULL;
	cJSON *pods = NULL;
	struct cm_buf path = CM_BUF_INIT, refused = CM_BUF_INIT, ignored = CM_BUF_INIT;
	int64_t timeout_ms = 0;
	const struct mc_flag flags[] = {
		{"ignore-daemonsets", 0, MC_FLAG_BOOL, &ignore_ds, "false", "Go on even though daemon set pods run on the node (they stay)."},
		{"force", 0, MC_FLAG_BOOL, &force, "false", "Also remove pods that no controller owns; they are not recreated."},
		{"delete-emptydir-data", 0, MC_FLAG_BOOL, &delete_emptydir, "false", "Also remove pods with emptyDir volumes, whose data is lost."},
		{"disable-eviction", 0, MC_FLAG_BOOL, &disable_eviction, "false", "Delete pods instead of evicting them. PodDisruptionBudgets are then not\n\tconsulted: use with care."},
		{"grace-period", 0, MC_FLAG_INT, &grace, "-1", "Seconds each pod gets to shut down cleanly; negative keeps the pod's own setting."},
		{"timeout", 0, MC_FLAG_STRING, &timeout, "0s", "How long to wait for the pods to go before failing; 0 waits forever."},
		{"pod-selector", 0, MC_FLAG_STRING, &selector, "''", "Remove only the pods whose labels match."},
	};
	int rc = mc_cmd_parse(c, cmd, flags, sizeof(flags) / sizeof(flags[0]), argc, argv, &pos, &dash);
	const cJSON *pod;

	if (rc)
		goto done;
	if (pos.n != 1) {
		rc = mc_usage_error(c, cmd, "USAGE: drain NODE [flags]");
		goto done;
	}
	if (strcmp(timeout, "0s") && strcmp(timeout, "0") && cm_duration_parse(timeout, &timeout_ms)) {
		rc = mc_usage_error(c, cmd, "invalid --timeout");
		goto done;
	}
	if ((rc = set_unschedulable(c, pos.v[0], true)))
		goto done;
	cm_buf_puts(&path, "/api/v1/pods?fieldSelector=spec.nodeName%3D");
	mc_url_escape(&path, pos.v[0]);
	if (selector && *selector) {
		cm_buf_puts(&path, "&labelSelector=");
		mc_url_escape(&path, selector);
	}
	if ((rc = mc_get_json(c, path.data, false, &pods)))
		goto done;
	/* check everything first: drain refuses before evicting anything */
	cJSON_ArrayForEach(pod, cJSON_GetObjectItemCaseSensitive(pods, "items"))
	{
		const char *ns = cm_json_str_or(pod, "metadata.namespace", ""), *name = cm_json_str_or(pod, "metadata.name", "");
		const char *phase = cm_json_str_or(pod, "status.phase", "");
		if (!strcmp(phase, "Succeeded") || !strcmp(phase, "Failed"))
			continue;
		if (owned_by(pod, "DaemonSet")) {
			if (!ignore_ds)
				cm_buf_printf(&refused, "%scannot delete DaemonSet-managed Pods (use --ignore-daemonsets to ignore): %s/%s",
					      refused.len ? ", " : "", ns, name);
			else
				cm_buf_printf(&ignored, "%s%s/%s", ignored.len ? ", " : "", ns, name);
		} else if (!owned_by(pod, NULL) && !force) {
			cm_buf_printf(&refused, "%scannot delete Pods that declare no controller (use --force to override): %s/%s",
				      refused.len ? ", " : "", ns, name);
		}
	}
	if (refused.len) {
		fprintf(c->errout, "error: unable to drain node \"%s\" due to error: %s, continuing command...\n"
				   "There are pending nodes to be drained:\n %s\n%s\n",
			pos.v[0], refused.data, pos.v[0], refused.data);
		rc = MC_FAIL;
		goto done;
	}
	if (ignored.len)
		fprintf(c->errout, "Warning: ignoring DaemonSet-managed Pods: %s\n", ignored.data);
	cJSON_ArrayForEach(pod, cJSON_GetObjectItemCaseSensitive(pods, "items"))
	{
		if (owned_by(pod, "DaemonSet"))
			continue;
		if ((rc = evict(c, pod, grace, disable_eviction)))
			goto done;
	}
	/* wait until the evicted pods are gone */
	{
		int64_t deadline = timeout_ms ? cm_time_mono_ms() + timeout_ms : INT64_MAX;
		cJSON_ArrayForEach(pod, cJSON_GetObjectItemCaseSensitive(pods, "items"))
		{
			struct cm_buf p = CM_BUF_INIT;
			if (owned_by(pod, "DaemonSet"))
				continue;
			cm_buf_printf(&p, "/api/v1/namespaces/%s/pods/%s", cm_json_str_or(pod, "metadata.namespace", ""),
				      cm_json_str_or(pod, "metadata.name", ""));
			for (;;) {
				cJSON *cur = NULL;
				int r = mc_get_json(c, p.data, true, &cur);
				bool gone = r == -ENOENT || (cur && strcmp(cm_json_str_or(cur, "metadata.uid", ""),
									 cm_json_str_or(pod, "metadata.uid", "")));
				cJSON_Delete(cur);
				if (gone || (r && r != -ENOENT))
					break;
				if (cm_time_mono_ms() > deadline) {
					rc = mc_errorf(c, "unable to drain node \"%s\": timed out waiting for the condition", pos.v[0]);
					cm_buf_close(&p);
					goto done;
				}
				nanosleep(&(struct timespec){0, 200000000L}, NULL);
			}
			cm_buf_close(&p);
		}
	}
	fprintf(c->out, "node/%s drained\n", pos.v[0]);
done:
	cJSON_Delete(pods);
	cm_buf_close(&path);
	cm_buf_close(&refused);
	cm_buf_close(&ignored);
	mc_strv_close(&pos);
	mc_strv_close(&dash);
	return rc;
}
