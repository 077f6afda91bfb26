/* cmd_logs.c: logs (one-shot or followed) and wait (conditions, jsonpath values, deletion). */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "common/json.h"
#include "common/timeutil.h"
#include "ctl/cli.h"
#include "ctl/get.h"
#include "ctl/jsonpath.h"
#include "ctl/stream.h"
#include "ctl/target.h"

static int print_line(const char *line, size_t len, void *ud)
{
	struct mc_ctx *c = ud;

	fwrite(line, 1, len, c->out);
	fputc('\n', c->out);
	fflush(c->out);
	return 0;
}

/* The pods a logs argument names: a pod, TYPE/NAME of a workload (its first pod), or -l. */
static int pods_for(struct mc_ctx *c, const char *arg, const char *selector, cJSON *out)
{
	struct mc_get_opts go = {.selector = selector};
	const struct mc_resource *pods = mc_resource_find("pods");
	const char *slash = arg ? strchr(arg, '/') : NULL;

	if (!arg)
		return mc_get_objects(c, &go, &(struct mc_target){pods, NULL}, out);
	if (!slash || !strncmp(arg, "pod/", 4) || !strncmp(arg, "pods/", 5) || !strncmp(arg, "po/", 3))
		return mc_get_objects(c, &go, &(struct mc_target){pods, slash ? slash + 1 : arg}, out);
	{
		char type[64];
		const struct mc_resource *r;
		cJSON *owner = cJSON_CreateArray(), *all = cJSON_CreateArray(), *p;
		struct cm_buf sel = CM_BUF_INIT;
		const cJSON *ml, *e;
		int rc;
		snprintf(type, sizeof(type), "%.*s", (int)(slash - arg), arg);
		r = mc_resource_find(type);
		if (!r) {
			cJSON_Delete(owner);
			cJSON_Delete(all);
			return mc_errorf(c, "the server doesn't have a resource type \"%s\"", type);
		}
		rc = mc_get_objects(c, &go, &(struct mc_target){r, slash + 1}, owner);
		if (rc)
			goto out;
		ml = cm_json_get(cJSON_GetArrayItem(owner, 0), "spec.selector.matchLabels");
		if (!ml)
			ml = cm_json_get(cJSON_GetArrayItem(owner, 0), "spec.selector");
		cJSON_ArrayForEach(e, ml) cm_buf_printf(&sel, "%s%s=%s", sel.len ? "," : "", e->string, e->valuestring ? e->valuestring : "");
		go.selector = sel.data;
		rc = mc_get_objects(c, &go, &(struct mc_target){pods, NULL}, all);
		if (!rc && (p = cJSON_DetachItemFromArray(all, 0)))
			cJSON_AddItemToArray(out, p);
		else if (!rc)
			rc = mc_errorf(c, "timed out waiting for the condition");
	out:
		cm_buf_close(&sel);
		cJSON_Delete(owner);
		cJSON_Delete(all);
		return rc;
	}
}

int mc_run_logs(struct mc_ctx *c, const struct mc_cmd *cmd, int argc, char **argv)
{
	struct mc_strv pos = {0}, dash = {0};
	bool follow = false, previous = false, timestamps = false, all_containers = false, prefix = false;
	long tail = -1;
	const char *container = NULL, *selector = NULL, *since = NULL;
	cJSON *pods = cJSON_CreateArray(), *pod;
	const struct mc_flag flags[] = {
		{"follow", 'f', MC_FLAG_BOOL, &follow, "false", "Keep printing new lines as the container logs them."},
		{"container", 'c', MC_FLAG_STRING, &container, "''", "Name of the container whose log to print."},
		{"tail", 0, MC_FLAG_INT, &tail, "-1", "Print only this many of the last lines; -1 prints all, and with -l the\n\tdefault becomes 10."},
		{"previous", 'p', MC_FLAG_BOOL, &previous, "false", "Print the log of the container's previous run, when it has restarted."},
		{"selector", 'l', MC_FLAG_STRING, &selector, "''", "Print the logs of the pods whose labels match, e.g. app=web (=, ==, !=)."},
		{"timestamps", 0, MC_FLAG_BOOL, &timestamps, "false", "Start each line with the time it was logged."},
		{"since", 0, MC_FLAG_STRING, &since, "0s", "Print only what was logged in this last span of time, e.g. 30s, 5m, 2h."},
		{"all-containers", 0, MC_FLAG_BOOL, &all_containers, "false", "Print the logs of every container of the pod, not just one."},
		{"prefix", 0, MC_FLAG_BOOL, &prefix, "false", "Start each line with where it came from (pod and container name)."},
	};
	int rc = mc_cmd_parse(c, cmd, flags, sizeof(flags) / sizeof(flags[0]), argc, argv, &pos, &dash);

	if (rc)
		goto done;
	if (pos.n == 0 && !(selector && *selector)) {
		rc = mc_usage_error(c, cmd, "expected POD or TYPE/NAME is a required argument for the logs command");
		goto done;
	}
	if (selector && *selector && tail < 0)
		tail = 10;
	if ((rc = pods_for(c, pos.n ? pos.v[0] : NULL, selector, pods)))
		goto done;
	if (!pos.n && !cJSON_GetArraySize(pods)) {
		/* as kubectl: a selector matching nothing is not an error */
		fprintf(c->errout, "No resources found in %s namespace.\n", c->ns);
		goto done;
	}
	if (pos.n > 1 && !container)
		container = pos.v[1];
	cJSON_ArrayForEach(pod, pods)
	{
		const cJSON *ctrs = cm_json_get(pod, "spec.containers"), *ctr;
		cJSON_ArrayForEach(ctr, ctrs)
		{
			const char *cname = cm_json_str_or(ctr, "name", "");
			struct cm_buf path = CM_BUF_INIT, body = CM_BUF_INIT;
			long status = 0;
			if (container ? strcmp(container, cname) : (!all_containers && ctr != ctrs->child))
				continue;
			if (!container && !all_containers && cJSON_GetArraySize(ctrs) > 1) {
				struct cm_buf names = CM_BUF_INIT;
				const cJSON *x;
				cJSON_ArrayForEach(x, ctrs) cm_buf_printf(&names, "%s%s", names.len ? ", " : "", cm_json_str_or(x, "name", ""));
				fprintf(c->errout, "Defaulted container \"%s\" out of: %s\n", cname, names.data);
				cm_buf_close(&names);
			}
			cm_buf_printf(&path, "/api/v1/namespaces/%s/pods/%s/log?container=", cm_json_str_or(pod, "metadata.namespace", c->ns),
				      cm_json_str_or(pod, "metadata.name", ""));
			mc_url_escape(&path, cname);
			if (follow)
				cm_buf_puts(&path, "&follow=true");
			if (previous)
				cm_buf_puts(&path, "&previous=true");
			if (timestamps)
				cm_buf_puts(&path, "&timestamps=true");
			if (tail >= 0)
				cm_buf_printf(&path, "&tailLines=%ld", tail);
			if (since && strcmp(since, "0s")) {
				int64_t ms;
				if (!cm_duration_parse(since, &ms))
					cm_buf_printf(&path, "&sinceSeconds=%lld", (long long)(ms / 1000));
			}
			if (follow) {
				struct cm_buf err = CM_BUF_INIT;
				rc = mc_stream(c, path.data, "*/*", print_line, c, &status, &err);
				if (rc)
					rc = mc_errorf(c, "the log stream ended: %s", strerror(-rc));
				else if (status < 200 || status > 299)
					rc = mc_print_api_error(c, status, err.data);
				cm_buf_close(&err);
			} else {
				rc = mc_request(c, "GET", path.data, "*/*", NULL, NULL, 0, &status, &body);
				if (!rc && (status < 200 || status > 299))
					rc = mc_print_api_error(c, status, body.data);
				else if (!rc && body.len)
					fwrite(body.data, 1, body.len, c->out);
			}
			cm_buf_close(&path);
			cm_buf_close(&body);
			if (rc)
				goto done;
		}
		if (container && !cm_json_get(pod, "spec.containers")) {
			rc = mc_errorf(c, "container %s is not valid for pod %s", container, cm_json_str_or(pod, "metadata.name", ""));
			goto done;
		}
	}
done:
	cJSON_Delete(pods);
	mc_strv_close(&pos);
	mc_strv_close(&dash);
	return rc;
}

/* Whether obj meets the --for condition. */
static bool condition_met(const cJSON *obj, const char *cond)
{
	if (!strncmp(cond, "condition=", 10)) {
		char type[128], want[16] = "true";
		const char *eq = strchr(cond + 10, '=');
		const cJSON *e;
		snprintf(type, sizeof(type), "%.*s", eq ? (int)(eq - cond - 10) : (int)strlen(cond + 10), cond + 10);
		if (eq)
			snprintf(want, sizeof(want), "%s", eq + 1);
		cJSON_ArrayForEach(e, cm_json_get(obj, "status.conditions"))
		{
			if (!strcasecmp(cm_json_str_or(e, "type", ""), type))
				return !strcasecmp(cm_json_str_or(e, "status", ""), want);
		}
		return false;
	}
	if (!strncmp(cond, "jsonpath=", 9)) {
		const char *expr = cond + 9, *close = strchr(expr, '}');
		char path[256];
		const cJSON *v;
		const char *want = close && close[1] == '=' ? close + 2 : NULL;
		snprintf(path, sizeof(path), "%.*s", close ? (int)(close - expr + 1) : (int)strlen(expr), expr);
		v = mc_jsonpath_first(path, obj);
		if (!v)
			return false;
		if (!want)
			return true;
		if (cJSON_IsString(v))
			return !strcmp(v->valuestring, want);
		if (cJSON_IsNumber(v))
			return v->valuedouble == strtod(want, NULL);
		if (cJSON_IsBool(v))
			return !strcmp(cJSON_IsTrue(v) ? "true" : "false", want);
		return false;
	}
	return false;
}

int mc_run_wait(struct mc_ctx *c, const struct mc_cmd *cmd, int argc, char **argv)
{
	struct mc_strv pos = {0}, dash = {0};
	struct mc_targets ts = {0};
	const char *for_ = NULL, *timeout = "30s", *selector = NULL;
	bool all = false;
	int64_t timeout_ms = 30000, deadline;
	const struct mc_flag flags[] = {
		{"for", 0, MC_FLAG_STRING, &for_, "''", "What to wait for: create, delete, condition=NAME[=VALUE] (VALUE defaults to\n\ttrue) or jsonpath='{EXPR}'=VALUE."},
		{"timeout", 0, MC_FLAG_STRING, &timeout, "30s", "How long to wait before failing; 0 checks once, a negative value waits a week."},
		{"selector", 'l', MC_FLAG_STRING, &selector, "''", "Wait on the objects whose labels match, e.g. app=web (=, ==, !=)."},
		{"all", 0, MC_FLAG_BOOL, &all, "false", "Wait on every object of the given types in the namespace."},
	};
	int rc = mc_cmd_parse(c, cmd, flags, sizeof(flags) / sizeof(flags[0]), argc, argv, &pos, &dash);

	if (rc)
		goto done;
	if (!for_ || (strcmp(for_, "delete") && strcmp(for_, "create") && strncmp(for_, "condition=", 10) &&
		      strncmp(for_, "jsonpath=", 9))) {
		rc = mc_usage_error(c, cmd, "--for must be: delete, create, condition=..., or jsonpath=...");
		goto done;
	}
	if (timeout[0] == '-')
		timeout_ms = 7LL * 86400 * 1000;
	else if (cm_duration_parse(timeout, &timeout_ms)) {
		rc = mc_usage_error(c, cmd, "invalid --timeout");
		goto done;
	}
	if ((rc = mc_targets_parse(c, &pos, 0, &ts)))
		goto done;
	deadline = cm_time_mono_ms() + timeout_ms;
	for (size_t i = 0; i < ts.n && !rc; i++) {
		const struct mc_target *t = &ts.v[i];
		struct mc_get_opts go = {.selector = selector, .ignore_not_found = true};
		cJSON *objs = cJSON_CreateArray(), *o;
		if (!t->name && !all && !(selector && *selector)) {
			cJSON_Delete(objs);
			rc = mc_errorf(c, "resource(s) were provided, but no name was specified");
			break;
		}
		/* the objects to wait for; with a name, one that may not exist yet */
		if (t->name) {
			o = cJSON_CreateObject();
			cm_json_set_str(o, "metadata.name", t->name);
			cJSON_AddItemToArray(objs, o);
		} else if ((rc = mc_get_objects(c, &go, t, objs))) {
			cJSON_Delete(objs);
			break;
		}
		if (!cJSON_GetArraySize(objs)) {
			rc = mc_errorf(c, "no matching resources found");
			cJSON_Delete(objs);
			break;
		}
		cJSON_ArrayForEach(o, objs)
		{
			const char *name = cm_json_str_or(o, "metadata.name", "");
			struct cm_buf path = CM_BUF_INIT, ref = CM_BUF_INIT;
			mc_resource_path(t->res, c->ns, name, &path);
			mc_object_ref(t->res, name, &ref);
			for (;;) {
				cJSON *cur = NULL;
				int r = mc_get_json(c, path.data, true, &cur);
				bool met;
				if (r && r != -ENOENT) {
					rc = r;
					break;
				}
				if (!strcmp(for_, "delete"))
					met = r == -ENOENT;
				else if (!strcmp(for_, "create"))
					met = r == 0;
				else
					met = r == 0 && condition_met(cur, for_);
				cJSON_Delete(cur);
				if (met) {
					fprintf(c->out, "%s %s\n", ref.data,
						!strcmp(for_, "delete") ? "deleted" : !strcmp(for_, "create") ? "created" : "condition met");
					break;
				}
				if (r == -ENOENT && strcmp(for_, "create") && strcmp(for_, "delete") && cm_time_mono_ms() > deadline) {
					fprintf(c->errout, "Error from server (NotFound): %s \"%s\" not found\n", t->res->name, name);
					rc = MC_FAIL;
					break;
				}
				if (cm_time_mono_ms() > deadline) {
					rc = mc_errorf(c, "timed out waiting for the condition on %s/%s", t->res->name, name);
					break;
				}
				nanosleep(&(struct timespec){0, 100000000L}, NULL);
			}
			cm_buf_close(&path);
			cm_buf_close(&ref);
			if (rc)
				break;
		}
		cJSON_Delete(objs);
	}
done:
	mc_targets_close(&ts);
	mc_strv_close(&pos);
	mc_strv_close(&dash);
	return rc;
}
