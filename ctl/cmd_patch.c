/* cmd_patch.c: verbs that patch one field of named objects: scale, set image, label, annotate. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/json.h"
#include "ctl/cli.h"
#include "ctl/get.h"
#include "ctl/target.h"

#define MERGE "application/merge-patch+json"
#define STRATEGIC "application/strategic-merge-patch+json"

/* PATCHes one object (sub may be NULL or "scale") and prints "<kind>/<name> <verb>". Returns 0 or MC_FAIL. */
static int patch_and_report(struct mc_ctx *c, const struct mc_resource *r, const char *ns, const char *name,
			    const char *sub, const char *query, const char *ctype, const cJSON *patch, const char *verb)
{
	struct cm_buf path = CM_BUF_INIT, ref = CM_BUF_INIT;
	int rc = mc_resource_path(r, ns, name, &path);

	if (!rc && sub)
		rc = cm_buf_printf(&path, "/%s", sub);
	if (!rc && query)
		rc = cm_buf_printf(&path, "?%s", query);
	if (!rc)
		rc = mc_send_json(c, "PATCH", path.data, ctype, patch, NULL);
	if (!rc && verb) {
		mc_object_ref(r, name, &ref);
		fprintf(c->out, "%s %s\n", ref.data, verb);
	}
	cm_buf_close(&path);
	cm_buf_close(&ref);
	return rc;
}

/* Resolves the named objects of a verb: TYPE NAME..., TYPE/NAME..., or TYPE with --all / -l (listed). */
static int resolve(struct mc_ctx *c, const struct mc_strv *pos, size_t first, size_t count, bool all,
		   const char *selector, cJSON *out)
{
	struct mc_strv sub = {0};
	struct mc_targets ts = {0};
	int rc = 0;

	for (size_t i = first; i < first + count && i < pos->n; i++)
		mc_strv_push(&sub, pos->v[i]);
	if ((rc = mc_targets_parse(c, &sub, 0, &ts)))
		goto done;
	for (size_t i = 0; i < ts.n && !rc; i++) {
		struct mc_get_opts go = {.selector = selector};
		if (!ts.v[i].name && !all && !(selector && *selector)) {
			rc = mc_errorf(c, "resource(s) were provided, but no name was specified");
			break;
		}
		rc = mc_get_objects(c, &go, &ts.v[i], out);
	}
done:
	mc_targets_close(&ts);
	mc_strv_close(&sub);
	return rc;
}

int mc_run_scale(struct mc_ctx *c, const struct mc_cmd *cmd, int argc, char **argv)
{
	struct mc_strv pos = {0}, dash = {0};
	struct mc_targets ts = {0};
	long replicas = -1, current = -1;
	const char *rv = NULL;
	const struct mc_flag flags[] = {
		{"replicas", 0, MC_FLAG_INT, &replicas, "0", "Number of replicas to keep. Required."},
		{"current-replicas", 0, MC_FLAG_INT, &current, "-1", "Scale only if the replica count is this now; -1 (the default) skips the check."},
		{"resource-version", 0, MC_FLAG_STRING, &rv, "''", "Scale only if the object's resourceVersion is this now."},
	};
	int rc = mc_cmd_parse(c, cmd, flags, sizeof(flags) / sizeof(flags[0]), argc, argv, &pos, &dash);

	if (rc)
		goto done;
	if (replicas < 0) {
		rc = mc_usage_error(c, cmd, "The --replicas=COUNT flag is required, and COUNT must be greater than or equal to 0");
		goto done;
	}
	if ((rc = mc_targets_parse(c, &pos, 0, &ts)))
		goto done;
	for (size_t i = 0; i < ts.n && !rc; i++) {
		const struct mc_target *t = &ts.v[i];
		cJSON *patch;
		if (strcmp(t->res->name, "deployments") && strcmp(t->res->name, "replicasets")) {
			rc = mc_errorf(c, "cannot scale %s", t->res->name);
			break;
		}
		if (!t->name) {
			rc = mc_errorf(c, "resource(s) were provided, but no name was specified");
			break;
		}
		if (current >= 0 || rv) {
			struct cm_buf path = CM_BUF_INIT;
			cJSON *obj = NULL;
			mc_resource_path(t->res, c->ns, t->name, &path);
			rc = mc_get_json(c, path.data, false, &obj);
			cm_buf_close(&path);
			if (!rc && current >= 0 && cm_json_int64_or(obj, "spec.replicas", 1) != current)
				rc = mc_errorf(c, "Expected replicas to be %ld, was %lld", current,
					       (long long)cm_json_int64_or(obj, "spec.replicas", 1));
			if (!rc && rv && strcmp(rv, cm_json_str_or(obj, "metadata.resourceVersion", "")))
				rc = mc_errorf(c, "Expected resourceVersion to be %s, was %s", rv,
					       cm_json_str_or(obj, "metadata.resourceVersion", ""));
			cJSON_Delete(obj);
			if (rc)
				break;
		}
		patch = cJSON_CreateObject();
		cJSON_AddNumberToObject(cJSON_AddObjectToObject(patch, "spec"), "replicas", (double)replicas);
		rc = patch_and_report(c, t->res, c->ns, t->name, "scale", NULL, MERGE, patch, "scaled");
		cJSON_Delete(patch);
	}
done:
	mc_targets_close(&ts);
	mc_strv_close(&pos);
	mc_strv_close(&dash);
	return rc;
}

/* set image TYPE NAME c=img...: a strategic merge patch of the pod template's containers by name. */
static int set_image(struct mc_ctx *c, const struct mc_cmd *cmd, const struct mc_strv *pos, bool all,
		     const char *selector)
{
	size_t nspec = 0, nres;
	cJSON *objs = cJSON_CreateArray(), *obj;
	int rc = 0;

	for (size_t i = 1; i < pos->n; i++)
		if (strchr(pos->v[i], '='))
			nspec++;
	nres = pos->n - 1 - nspec;
	if (!nspec || !nres) {
		cJSON_Delete(objs);
		return mc_usage_error(c, cmd, "at least one image update is required");
	}
	if ((rc = resolve(c, pos, 1, nres, all, selector, objs)))
		goto done;
	cJSON_ArrayForEach(obj, objs)
	{
		const struct mc_resource *r = mc_resource_by_kind(cm_json_get_str(obj, "apiVersion"), cm_json_get_str(obj, "kind"));
		bool pod = r && !strcmp(r->kind, "Pod");
		const cJSON *live = cm_json_get(obj, pod ? "spec.containers" : "spec.template.spec.containers"), *lc;
		cJSON *patch = cJSON_CreateObject(), *list = cJSON_CreateArray();
		for (size_t i = 1 + nres; i < pos->n && !rc; i++) {
			const char *eq = strchr(pos->v[i], '=');
			char cname[256];
			bool found = false;
			snprintf(cname, sizeof(cname), "%.*s", (int)(eq - pos->v[i]), pos->v[i]);
			cJSON_ArrayForEach(lc, live)
			{
				if (!strcmp(cname, "*") || !strcmp(cname, cm_json_str_or(lc, "name", ""))) {
					cJSON *e = cJSON_CreateObject();
					cJSON_AddStringToObject(e, "image", eq + 1);
					cJSON_AddStringToObject(e, "name", cm_json_str_or(lc, "name", ""));
					cJSON_AddItemToArray(list, e);
					found = true;
				}
			}
			if (!found)
				rc = mc_errorf(c, "unable to find container named \"%s\"", cname);
		}
		if (!rc) {
			cm_json_set(patch, pod ? "spec.containers" : "spec.template.spec.containers", list);
			list = NULL;
			rc = patch_and_report(c, r, cm_json_get_str(obj, "metadata.namespace"),
					      cm_json_str_or(obj, "metadata.name", ""), NULL, "fieldManager=kubectl-set",
					      STRATEGIC, patch, "image updated");
		}
		cJSON_Delete(list);
		cJSON_Delete(patch);
		if (rc)
			break;
	}
done:
	cJSON_Delete(objs);
	return rc;
}

int mc_run_set(struct mc_ctx *c, const struct mc_cmd *cmd, int argc, char **argv)
{
	struct mc_strv pos = {0}, dash = {0};
	bool all = false;
	const char *selector = NULL;
	const struct mc_flag flags[] = {
		{"all", 0, MC_FLAG_BOOL, &all, "false", "Act on every object of the given types in the namespace."},
		{"selector", 'l', MC_FLAG_STRING, &selector, "''", "Act on the objects whose labels match, e.g. app=web."},
	};
	int rc = mc_cmd_parse(c, cmd, flags, sizeof(flags) / sizeof(flags[0]), argc, argv, &pos, &dash);

	if (rc)
		goto done;
	if (pos.n < 1 || strcmp(pos.v[0], "image")) {
		rc = mc_usage_error(c, cmd, "unknown subcommand; only \"set image\" is supported");
		goto done;
	}
	rc = set_image(c, cmd, &pos, all, selector);
done:
	mc_strv_close(&pos);
	mc_strv_close(&dash);
	return rc;
}

/* label and annotate: KEY=VAL sets, KEY- removes; a changed value needs --overwrite. */
static int run_meta(struct mc_ctx *c, const struct mc_cmd *cmd, int argc, char **argv, const char *field)
{
	struct mc_strv pos = {0}, dash = {0};
	bool overwrite = false, all = false, labels = !strcmp(field, "labels");
	const char *selector = NULL, *rv = NULL;
	cJSON *objs = cJSON_CreateArray(), *obj;
	size_t nspec = 0, nres;
	const struct mc_flag flags[] = {
		{"overwrite", 0, MC_FLAG_BOOL, &overwrite, "false", labels ? "Allow changing labels that are already set; without it such changes fail." : "Allow changing annotations that are already set; without it such changes fail."},
		{"all", 0, MC_FLAG_BOOL, &all, "false", "Act on every object of the given types in the namespace."},
		{"selector", 'l', MC_FLAG_STRING, &selector, "''", "Act on the objects whose labels match, e.g. app=web."},
		{"resource-version", 0, MC_FLAG_STRING, &rv, "''", "Update only if the object's resourceVersion is this now (one object only)."},
	};
	int rc = mc_cmd_parse(c, cmd, flags, sizeof(flags) / sizeof(flags[0]), argc, argv, &pos, &dash);

	if (rc)
		goto done;
	for (size_t i = 0; i < pos.n; i++) {
		size_t l = strlen(pos.v[i]);
		if (strchr(pos.v[i], '=') || (l > 1 && pos.v[i][l - 1] == '-'))
			nspec++;
	}
	nres = pos.n - nspec;
	if (!nspec) {
		rc = mc_usage_error(c, cmd, labels ? "at least one label update is required" : "at least one annotation update is required");
		goto done;
	}
	if ((rc = resolve(c, &pos, 0, nres, all, selector, objs)))
		goto done;
	cJSON_ArrayForEach(obj, objs)
	{
		const struct mc_resource *r = mc_resource_by_kind(cm_json_get_str(obj, "apiVersion"), cm_json_get_str(obj, "kind"));
		const cJSON *cur = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(obj, "metadata"), field);
		cJSON *patch = cJSON_CreateObject(), *meta = cJSON_AddObjectToObject(patch, "metadata");
		cJSON *set = cJSON_AddObjectToObject(meta, field);
		bool changed = false, removed_only = true;
		if (rv)
			cJSON_AddStringToObject(meta, "resourceVersion", rv);
		for (size_t i = nres; i < pos.n && !rc; i++) {
			const char *a = pos.v[i], *eq = strchr(a, '=');
			char key[320];
			const cJSON *have;
			if (eq) {
				snprintf(key, sizeof(key), "%.*s", (int)(eq - a), a);
				have = cJSON_GetObjectItemCaseSensitive(cur, key);
				if (cJSON_IsString(have) && strcmp(have->valuestring, eq + 1) && !overwrite) {
					rc = mc_errorf(c, "'%s' already has a value (%s), and --overwrite is false", key, have->valuestring);
					break;
				}
				if (!cJSON_IsString(have) || strcmp(have->valuestring, eq + 1))
					changed = true;
				removed_only = false;
				cJSON_AddStringToObject(set, key, eq + 1);
			} else {
				snprintf(key, sizeof(key), "%.*s", (int)(strlen(a) - 1), a);
				if (cJSON_GetObjectItemCaseSensitive(cur, key))
					changed = true;
				cJSON_AddNullToObject(set, key);
			}
		}
		if (!rc) {
			const char *verb = labels ? (changed ? (removed_only ? "unlabeled" : "labeled") : "not labeled")
						  : "annotated";
			if (changed || !labels)
				rc = patch_and_report(c, r, cm_json_get_str(obj, "metadata.namespace"),
						      cm_json_str_or(obj, "metadata.name", ""), NULL,
						      labels ? "fieldManager=kubectl-label" : "fieldManager=kubectl-annotate",
						      MERGE, patch, verb);
			else {
				struct cm_buf ref = CM_BUF_INIT;
				mc_object_ref(r, cm_json_str_or(obj, "metadata.name", ""), &ref);
				fprintf(c->out, "%s %s\n", ref.data, verb);
				cm_buf_close(&ref);
			}
		}
		cJSON_Delete(patch);
		if (rc)
			break;
	}
done:
	cJSON_Delete(objs);
	mc_strv_close(&pos);
	mc_strv_close(&dash);
	return rc;
}

int mc_run_label(struct mc_ctx *c, const struct mc_cmd *cmd, int argc, char **argv)
{
	return run_meta(c, cmd, argc, argv, "labels");
}

int mc_run_annotate(struct mc_ctx *c, const struct mc_cmd *cmd, int argc, char **argv)
{
	return run_meta(c, cmd, argc, argv, "annotations");
}
