/* cmd_delete.c: minictl delete: by file, by TYPE NAME, by selector or --all, with propagation, grace period and waiting. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/json.h"
#include "common/timeutil.h"
#include "ctl/cli.h"
#include "ctl/get.h"
#include "ctl/manifest.h"
#include "ctl/target.h"

struct delete_opts {
	struct mc_strv files;
	bool recursive, all, ignore_not_found, now, force, wait;
	const char *selector, *field_selector, *cascade, *timeout, *output, *dry_run;
	long grace;
	int64_t timeout_ms;
};

/* Polls until the object is gone (404) or the deadline passes. Returns 0 or MC_FAIL (printed). */
static int wait_gone(struct mc_ctx *c, const char *path, int64_t timeout_ms)
{
	int64_t deadline = cm_time_mono_ms() + timeout_ms;

	for (;;) {
		struct cm_buf body = CM_BUF_INIT;
		long status = 0;
		int rc = mc_request(c, "GET", path, NULL, NULL, NULL, 0, &status, &body);
		cm_buf_close(&body);
		if (rc)
			return rc;
		if (status == 404)
			return 0;
		if (cm_time_mono_ms() > deadline)
			return mc_errorf(c, "timed out waiting for the condition");
		nanosleep(&(struct timespec){0, 100000000L}, NULL);
	}
}

static int delete_one(struct mc_ctx *c, const struct delete_opts *o, const struct mc_resource *r, const char *ns,
		      const char *name)
{
	struct cm_buf path = CM_BUF_INIT, resp = CM_BUF_INIT, ref = CM_BUF_INIT;
	cJSON *body = cJSON_CreateObject();
	char *text = NULL;
	long status = 0;
	const char *prop = "Background";
	int rc;

	if (!body)
		return -ENOMEM;
	if (o->cascade && (!strcmp(o->cascade, "orphan") || !strcmp(o->cascade, "false")))
		prop = "Orphan";
	else if (o->cascade && !strcmp(o->cascade, "foreground"))
		prop = "Foreground";
	cJSON_AddStringToObject(body, "kind", "DeleteOptions");
	cJSON_AddStringToObject(body, "apiVersion", "v1");
	cJSON_AddStringToObject(body, "propagationPolicy", prop);
	if (o->grace >= 0)
		cJSON_AddNumberToObject(body, "gracePeriodSeconds", (double)o->grace);
	if (o->dry_run && strcmp(o->dry_run, "none") && strcmp(o->dry_run, "client")) {
		cJSON *dr = cJSON_AddArrayToObject(body, "dryRun");
		cJSON_AddItemToArray(dr, cJSON_CreateString("All"));
	}
	text = cJSON_PrintUnformatted(body);
	mc_resource_path(r, ns, name, &path);
	mc_object_ref(r, name, &ref);
	if (o->dry_run && !strcmp(o->dry_run, "client")) {
		fprintf(c->out, "%s \"%s\" deleted (dry run)\n", r->singular, name);
		rc = 0;
		goto done;
	}
	rc = mc_request(c, "DELETE", path.data, NULL, NULL, text, strlen(text), &status, &resp);
	if (rc)
		goto done;
	if (status == 404 && o->ignore_not_found)
		goto done;
	if (status < 200 || status > 299) {
		rc = mc_print_api_error(c, status, resp.data);
		goto done;
	}
	if (o->output && !strcmp(o->output, "name")) {
		fprintf(c->out, "%s\n", ref.data);
	} else {
		/* kubectl: `pod "x" deleted`, `deployment.apps "web" deleted` */
		struct cm_buf q = CM_BUF_INIT;
		mc_resource_qualified(r, &q);
		fprintf(c->out, "%s \"%s\" deleted%s\n", q.data, name,
			o->dry_run && !strcmp(o->dry_run, "server") ? " (server dry run)" : "");
		cm_buf_close(&q);
	}
	fflush(c->out);
	if (o->wait && !(o->dry_run && !strcmp(o->dry_run, "server")))
		rc = wait_gone(c, path.data, o->timeout_ms);
done:
	free(text);
	cJSON_Delete(body);
	cm_buf_close(&path);
	cm_buf_close(&resp);
	cm_buf_close(&ref);
	return rc;
}

int mc_run_delete(struct mc_ctx *c, const struct mc_cmd *cmd, int argc, char **argv)
{
	struct delete_opts o = {.grace = -1, .wait = true, .cascade = "background"};
	struct mc_strv pos = {0}, dash = {0};
	struct mc_targets ts = {0};
	cJSON *objs = NULL;
	bool failed = false, all_ns = false;
	const struct mc_flag flags[] = {
		{"filename", 'f', MC_FLAG_ARRAY, &o.files, "[]", "Manifest file or directory naming what to delete; \"-\" reads stdin."},
		{"recursive", 'R', MC_FLAG_BOOL, &o.recursive, "false", "Also read the subdirectories of a directory given with -f."},
		{"all", 0, MC_FLAG_BOOL, &o.all, "false", "Delete every object of the given types in the namespace."},
		{"all-namespaces", 'A', MC_FLAG_BOOL, &all_ns, "false",
		 "Delete matching objects in every namespace, not only the current one."},
		{"selector", 'l', MC_FLAG_STRING, &o.selector, "''", "Delete only objects whose labels match, e.g. app=web,tier!=db."},
		{"field-selector", 0, MC_FLAG_STRING, &o.field_selector, "''", "Delete only objects whose fields match, e.g. status.phase=Failed."},
		{"ignore-not-found", 0, MC_FLAG_BOOL, &o.ignore_not_found, "false",
		 "Succeed when an object is already gone. On by default with --all."},
		{"cascade", 0, MC_FLAG_STRING, &o.cascade, "'background'",
		 "What happens to dependents such as a deployment's pods: background (the default)\n\tdeletes them afterwards, foreground first, orphan keeps them."},
		{"grace-period", 0, MC_FLAG_INT, &o.grace, "-1",
		 "Seconds the object gets to shut down cleanly; negative keeps its own setting,\n\t1 means at once, 0 needs --force."},
		{"now", 0, MC_FLAG_BOOL, &o.now, "false", "Shut down at once; short for --grace-period=1."},
		{"force", 0, MC_FLAG_BOOL, &o.force, "false",
		 "Remove the objects from the API at once, without a clean shutdown. This can\n\tleave work running or lose data."},
		{"wait", 0, MC_FLAG_BOOL, &o.wait, "true", "Return only once the objects are gone, finalizers included."},
		{"timeout", 0, MC_FLAG_STRING, &o.timeout, "0s",
		 "How long --wait waits before giving up; 0 picks a limit from the object's size."},
		{"output", 'o', MC_FLAG_STRING, &o.output, "''", "\"name\" prints just type/name of each deleted object."},
		{"dry-run", 0, MC_FLAG_STRING, &o.dry_run, "'none'", "One of none, server, client: client or server only try the change, nothing is stored."},
	};
	int rc = mc_cmd_parse(c, cmd, flags, sizeof(flags) / sizeof(flags[0]), argc, argv, &pos, &dash);

	if (rc)
		goto done;
	if (o.now)
		o.grace = 1;
	if (o.force && o.grace < 0)
		o.grace = 0;
	if (o.force)
		fputs("Warning: Immediate deletion does not wait for confirmation that the running resource has been terminated. The resource may continue to run on the cluster indefinitely.\n",
		      c->errout);
	o.timeout_ms = 60000;
	if (o.timeout && strcmp(o.timeout, "0s") && strcmp(o.timeout, "0") && cm_duration_parse(o.timeout, &o.timeout_ms)) {
		rc = mc_usage_error(c, cmd, "invalid --timeout");
		goto done;
	}
	if (o.files.n) {
		cJSON *it;
		if ((rc = mc_manifest_load(c, &o.files, o.recursive, &objs)))
			goto done;
		cJSON_ArrayForEach(it, objs)
		{
			const struct mc_resource *r;
			const char *ns;
			if (mc_object_locate(c, it, &r, &ns) || delete_one(c, &o, r, ns, cm_json_get_str(it, "metadata.name")))
				failed = true;
		}
		rc = failed ? MC_FAIL : 0;
		goto done;
	}
	if ((rc = mc_targets_parse(c, &pos, 0, &ts)))
		goto done;
	for (size_t i = 0; i < ts.n; i++) {
		const struct mc_target *t = &ts.v[i];
		if (t->name) {
			if (delete_one(c, &o, t->res, c->ns, t->name))
				failed = true;
			continue;
		}
		if (!o.all && !(o.selector && *o.selector) && !(o.field_selector && *o.field_selector)) {
			rc = mc_errorf(c, "resource(s) were provided, but no name was specified");
			goto done;
		}
		/* --all and -l: list, then delete one by one, as kubectl does */
		struct mc_get_opts go = {.selector = o.selector, .field_selector = o.field_selector, .all_ns = all_ns};
		cJSON *items = cJSON_CreateArray(), *it;
		struct delete_opts one = o;
		one.ignore_not_found = true;
		if (mc_get_objects(c, &go, t, items)) {
			failed = true;
		} else {
			if (!cJSON_GetArraySize(items) && t == &ts.v[0] && ts.n == 1)
				fputs("No resources found\n", c->errout);
			cJSON_ArrayForEach(it, items)
			{
				if (delete_one(c, &one, t->res, cm_json_get_str(it, "metadata.namespace"),
					       cm_json_str_or(it, "metadata.name", "")))
					failed = true;
			}
		}
		cJSON_Delete(items);
	}
	rc = failed ? MC_FAIL : 0;
done:
	cJSON_Delete(objs);
	mc_targets_close(&ts);
	mc_strv_close(&o.files);
	mc_strv_close(&pos);
	mc_strv_close(&dash);
	return rc;
}
