/* cmd_apply.c: apply, create -f and replace -f: kubectl's client-side apply (last-applied annotation + three-way strategic merge patch). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/json.h"
#include "ctl/apply.h"
#include "ctl/cli.h"
#include "ctl/get.h"
#include "ctl/manifest.h"
#include "ctl/print.h"
#include "ctl/target.h"
#include "ctl/write.h"

enum dry_run { DRY_NONE, DRY_CLIENT, DRY_SERVER };

struct write_opts {
	struct mc_strv files;
	bool recursive, save_config, force, server_side, force_conflicts;
	const char *dry_run, *output, *field_manager, *validate, *verb;
	enum dry_run dry;
};

static int parse_dry_run(struct mc_ctx *c, const struct mc_cmd *cmd, struct write_opts *o)
{
	if (!o->dry_run || !strcmp(o->dry_run, "none") || !strcmp(o->dry_run, "false"))
		o->dry = DRY_NONE;
	else if (!strcmp(o->dry_run, "client") || !strcmp(o->dry_run, "true"))
		o->dry = DRY_CLIENT;
	else if (!strcmp(o->dry_run, "server"))
		o->dry = DRY_SERVER;
	else
		return mc_usage_error(c, cmd, "Invalid dry-run value. Must be \"none\", \"server\", or \"client\".");
	return 0;
}

/* --validate as the fieldValidation query kubectl sends: strict|true, warn, ignore|false. */
static const char *field_validation(const struct write_opts *o)
{
	if (!o->validate || !strcmp(o->validate, "strict") || !strcmp(o->validate, "true"))
		return "Strict";
	if (!strcmp(o->validate, "warn"))
		return "Warn";
	return "Ignore";
}

static const char *dry_suffix(const struct write_opts *o)
{
	return o->dry == DRY_CLIENT ? " (dry run)" : o->dry == DRY_SERVER ? " (server dry run)" : "";
}

/* Prints the outcome line ("pod/web configured") or, with -o, the object. */
static void report(struct mc_ctx *c, const struct write_opts *o, const struct mc_resource *r, const cJSON *obj,
		   const char *verb)
{
	struct cm_buf ref = CM_BUF_INIT;

	if (o->output && *o->output) {
		cJSON *items = cJSON_CreateArray();
		struct mc_get_opts go = {.output = o->output};
		cJSON_AddItemToArray(items, cJSON_Duplicate(obj, 1));
		mc_print_objects(c, &go, items, true);
		cJSON_Delete(items);
		return;
	}
	mc_object_ref(r, cm_json_str_or(obj, "metadata.name", ""), &ref);
	fprintf(c->out, "%s %s%s\n", ref.data, verb, dry_suffix(o));
	cm_buf_close(&ref);
}

static int build_path(const struct mc_resource *r, const char *ns, const char *name, const char *query,
		      const struct write_opts *o, struct cm_buf *path)
{
	int rc = mc_resource_path(r, ns, name, path);
	if (!rc && query)
		rc = cm_buf_printf(path, "?%s", query);
	if (!rc && o->dry == DRY_SERVER)
		rc = cm_buf_puts(path, query ? "&dryRun=All" : "?dryRun=All");
	return rc;
}

static int apply_one(struct mc_ctx *c, const struct write_opts *o, cJSON *manifest)
{
	const struct mc_resource *r;
	const char *ns, *name;
	struct cm_buf path = CM_BUF_INIT, err = CM_BUF_INIT, q = CM_BUF_INIT;
	cJSON *modified = NULL, *live = NULL, *patch = NULL, *result = NULL;
	int rc = mc_object_locate(c, manifest, &r, &ns);

	if (rc)
		return rc;
	name = cm_json_get_str(manifest, "metadata.name");
	if (!(modified = mc_apply_annotated(manifest))) {
		rc = -ENOMEM;
		goto done;
	}
	mc_resource_path(r, ns, name, &path);
	rc = mc_get_json(c, path.data, true, &live);
	if (rc == -ENOENT) {
		cm_buf_reset(&path);
		cm_buf_printf(&q, "fieldManager=%s&fieldValidation=%s", o->field_manager ? o->field_manager : "kubectl-client-side-apply", field_validation(o));
		build_path(r, ns, NULL, q.data, o, &path);
		if (o->dry == DRY_CLIENT)
			rc = 0, result = cJSON_Duplicate(modified, 1);
		else
			rc = mc_send_json(c, "POST", path.data, NULL, modified, &result);
		if (!rc)
			report(c, o, r, result, "created");
		goto done;
	}
	if (rc)
		goto done;
	if ((rc = mc_apply_patch(modified, live, &patch, &err))) {
		rc = mc_errorf(c, "error when computing the patch for %s \"%s\": %s", r->name, name,
			       err.data ? err.data : strerror(-rc));
		goto done;
	}
	if (!patch->child) {
		report(c, o, r, live, "unchanged");
		goto done;
	}
	if (o->dry == DRY_CLIENT) {
		report(c, o, r, live, "configured");
		goto done;
	}
	cm_buf_reset(&path);
	cm_buf_printf(&q, "fieldManager=%s&fieldValidation=%s", o->field_manager ? o->field_manager : "kubectl-client-side-apply", field_validation(o));
	build_path(r, ns, name, q.data, o, &path);
	rc = mc_send_json(c, "PATCH", path.data, "application/strategic-merge-patch+json", patch, &result);
	if (!rc)
		report(c, o, r, result, "configured");
done:
	cJSON_Delete(modified);
	cJSON_Delete(live);
	cJSON_Delete(patch);
	cJSON_Delete(result);
	cm_buf_close(&path);
	cm_buf_close(&err);
	cm_buf_close(&q);
	return rc;
}

/* apply --server-side: one apply-patch+yaml PATCH (JSON is YAML) that creates or updates. */
static int apply_server_side(struct mc_ctx *c, const struct write_opts *o, cJSON *manifest)
{
	const struct mc_resource *r;
	const char *ns;
	struct cm_buf path = CM_BUF_INIT, q = CM_BUF_INIT;
	cJSON *result = NULL;
	int rc = mc_object_locate(c, manifest, &r, &ns);

	if (rc)
		return rc;
	cm_buf_printf(&q, "fieldManager=%s%s", o->field_manager ? o->field_manager : "kubectl",
		      o->force_conflicts ? "&force=true" : "");
	build_path(r, ns, cm_json_get_str(manifest, "metadata.name"), q.data, o, &path);
	rc = mc_send_json(c, "PATCH", path.data, "application/apply-patch+yaml", manifest, &result);
	if (!rc)
		report(c, o, r, result, "serverside-applied");
	cJSON_Delete(result);
	cm_buf_close(&path);
	cm_buf_close(&q);
	return rc;
}

static int create_one(struct mc_ctx *c, const struct write_opts *o, cJSON *manifest)
{
	const struct mc_resource *r;
	const char *ns;
	struct cm_buf path = CM_BUF_INIT, q = CM_BUF_INIT;
	cJSON *body = NULL, *result = NULL;
	int rc = mc_object_locate(c, manifest, &r, &ns);

	if (rc)
		return rc;
	body = o->save_config ? mc_apply_annotated(manifest) : cJSON_Duplicate(manifest, 1);
	cm_buf_printf(&q, "fieldManager=%s&fieldValidation=%s", o->field_manager ? o->field_manager : "kubectl-create", field_validation(o));
	build_path(r, ns, NULL, q.data, o, &path);
	if (o->dry == DRY_CLIENT)
		result = cJSON_Duplicate(body, 1);
	else
		rc = mc_send_json(c, "POST", path.data, NULL, body, &result);
	if (!rc)
		report(c, o, r, result, o->verb ? o->verb : "created");
	cJSON_Delete(body);
	cJSON_Delete(result);
	cm_buf_close(&path);
	cm_buf_close(&q);
	return rc;
}

int mc_create_objects(struct mc_ctx *c, cJSON *objs, const struct mc_create_opts *co)
{
	struct write_opts o = {.dry_run = co->dry_run, .output = co->output, .save_config = co->save_config,
			       .field_manager = co->field_manager, .verb = co->verb};
	const char *dry_run = co->dry_run;
	cJSON *it;
	bool failed = false;

	o.dry = !dry_run || !strcmp(dry_run, "none") ? DRY_NONE : !strcmp(dry_run, "server") ? DRY_SERVER : DRY_CLIENT;
	cJSON_ArrayForEach(it, objs) if (create_one(c, &o, it)) failed = true;
	return failed ? MC_FAIL : 0;
}

static int replace_one(struct mc_ctx *c, const struct write_opts *o, cJSON *manifest)
{
	const struct mc_resource *r;
	const char *ns, *name;
	struct cm_buf path = CM_BUF_INIT, q = CM_BUF_INIT;
	cJSON *body = NULL, *result = NULL;
	int rc = mc_object_locate(c, manifest, &r, &ns);

	if (rc)
		return rc;
	name = cm_json_get_str(manifest, "metadata.name");
	body = o->save_config ? mc_apply_annotated(manifest) : cJSON_Duplicate(manifest, 1);
	if (o->force) {
		mc_resource_path(r, ns, name, &path);
		rc = mc_send_json(c, "DELETE", path.data, NULL, NULL, NULL);
		if (!rc) {
			struct cm_buf ref = CM_BUF_INIT;
			mc_object_ref(r, name, &ref);
			fprintf(c->out, "%s deleted\n", ref.data);
			cm_buf_close(&ref);
			rc = create_one(c, o, body);
		}
		goto done;
	}
	cm_buf_printf(&q, "fieldManager=%s&fieldValidation=%s", o->field_manager ? o->field_manager : "kubectl-replace", field_validation(o));
	build_path(r, ns, name, q.data, o, &path);
	if (o->dry == DRY_CLIENT)
		result = cJSON_Duplicate(body, 1);
	else
		rc = mc_send_json(c, "PUT", path.data, NULL, body, &result);
	if (!rc)
		report(c, o, r, result, "replaced");
done:
	cJSON_Delete(body);
	cJSON_Delete(result);
	cm_buf_close(&path);
	cm_buf_close(&q);
	return rc;
}

static int run_write(struct mc_ctx *c, const struct mc_cmd *cmd, int argc, char **argv,
		     int (*one)(struct mc_ctx *, const struct write_opts *, cJSON *))
{
	struct write_opts o = {0};
	struct mc_strv pos = {0}, dash = {0};
	cJSON *objs = NULL, *it;
	bool failed = false;
	const struct mc_flag flags[] = {
		{"filename", 'f', MC_FLAG_ARRAY, &o.files, "[]", "Manifest file or directory to apply; \"-\" reads stdin. Repeatable."},
		{"recursive", 'R', MC_FLAG_BOOL, &o.recursive, "false",
		 "Also read the subdirectories of a directory given with -f."},
		{"dry-run", 0, MC_FLAG_STRING, &o.dry_run, "'none'",
		 "One of none, server, client. client prints what would be sent and sends nothing;\n\tserver sends it but asks the server not to store the result."},
		{"output", 'o', MC_FLAG_STRING, &o.output, "''", "Print the result as json, yaml, name or jsonpath=TEMPLATE."},
		{"field-manager", 0, MC_FLAG_STRING, &o.field_manager, "''", "Record field ownership under this manager name."},
		{"validate", 0, MC_FLAG_STRING, &o.validate, "'strict'",
		 "How the server treats unknown fields: strict (true), warn or ignore (false)."},
		{"save-config", 0, MC_FLAG_BOOL, &o.save_config, "false",
		 "Keep the manifest in the last-applied annotation, so a later apply can diff\n\tagainst it."},
		{"force", 0, MC_FLAG_BOOL, &o.force, "false", "replace: delete the object and create it again instead of updating it in place."},
		{"server-side", 0, MC_FLAG_BOOL, &o.server_side, "false",
		 "Let the API server compute and apply the merge."},
		{"force-conflicts", 0, MC_FLAG_BOOL, &o.force_conflicts, "false",
		 "With --server-side, take over fields that another manager owns instead of failing."},
	};
	int rc = mc_cmd_parse(c, cmd, flags, sizeof(flags) / sizeof(flags[0]), argc, argv, &pos, &dash);

	if (rc)
		goto done;
	if ((rc = parse_dry_run(c, cmd, &o)))
		goto done;
	if (!o.files.n) {
		rc = mc_usage_error(c, cmd, "must specify one of -f and -k");
		goto done;
	}
	if ((rc = mc_manifest_load(c, &o.files, o.recursive, &objs)))
		goto done;
	if (!cJSON_GetArraySize(objs)) {
		rc = mc_errorf(c, "no objects passed to %s", cmd->name);
		goto done;
	}
	if (o.server_side && one == apply_one)
		one = apply_server_side;
	cJSON_ArrayForEach(it, objs)
	{
		if (one(c, &o, it))
			failed = true;
	}
	rc = failed ? MC_FAIL : 0;
done:
	cJSON_Delete(objs);
	mc_strv_close(&o.files);
	mc_strv_close(&pos);
	mc_strv_close(&dash);
	return rc;
}

int mc_run_apply(struct mc_ctx *c, const struct mc_cmd *cmd, int argc, char **argv)
{
	return run_write(c, cmd, argc, argv, apply_one);
}

int mc_run_replace(struct mc_ctx *c, const struct mc_cmd *cmd, int argc, char **argv)
{
	return run_write(c, cmd, argc, argv, replace_one);
}

int mc_create_from_files(struct mc_ctx *c, const struct mc_cmd *cmd, int argc, char **argv)
{
	return run_write(c, cmd, argc, argv, create_one);
}
