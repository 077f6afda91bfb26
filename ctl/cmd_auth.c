/* cmd_auth.c: minictl auth can-i: asks the server through a SelfSubjectAccessReview, prints yes or no. */
#include <stdio.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "ctl/cli.h"
#include "ctl/resource.h"
#include "common/json.h"

#define SSAR_PATH "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews"

/* Fills attrs from "VERB TYPE[/NAME] [NAME]" or "VERB /path"; returns 0 or an error message. */
static const char *fill(cJSON *attrs, const char *verb, const char *what, const char *name, const char *sub,
			const char *ns)
{
	const struct mc_resource *r;
	char type[128];
	const char *slash = strchr(what, '/');

	if (what[0] == '/') {
		cJSON_AddStringToObject(attrs, "path", what);
		cJSON_AddStringToObject(attrs, "verb", verb);
		return NULL;
	}
	if (slash) {
		if ((size_t)(slash - what) >= sizeof(type))
			return "resource type too long";
		memcpy(type, what, (size_t)(slash - what));
		type[slash - what] = '\0';
		name = slash + 1;
	} else {
		snprintf(type, sizeof(type), "%s", what);
	}
	r = mc_resource_find(type);
	cJSON_AddStringToObject(attrs, "verb", verb);
	/* an unknown type is asked about as typed, as kubectl does with a warning */
	cJSON_AddStringToObject(attrs, "group", r ? r->group : "");
	cJSON_AddStringToObject(attrs, "resource", r ? r->name : type);
	if (!r || r->namespaced)
		cJSON_AddStringToObject(attrs, "namespace", ns ? ns : "");
	if (name && *name)
		cJSON_AddStringToObject(attrs, "name", name);
	if (sub && *sub)
		cJSON_AddStringToObject(attrs, "subresource", sub);
	return NULL;
}

int mc_run_auth(struct mc_ctx *c, const struct mc_cmd *cmd, int argc, char **argv)
{
	bool all_ns = false, quiet = false, allowed = false;
	const char *sub = "";
	const struct mc_flag flags[] = {
		{"all-namespaces", 'A', MC_FLAG_BOOL, &all_ns, "false",
		 "If true, check the specified action in all namespaces."},
		{"quiet", 'q', MC_FLAG_BOOL, &quiet, "false", "If true, suppress output and just return the exit code."},
		{"subresource", 0, MC_FLAG_STRING, &sub, "''", "SubResource such as pod/log or deployment/scale"},
	};
	struct mc_strv pos = {0}, dash = {0};
	cJSON *req = NULL, *attrs, *answer = NULL;
	const char *err;
	int rc = mc_cmd_parse(c, cmd, flags, sizeof(flags) / sizeof(flags[0]), argc, argv, &pos, &dash);

	if (rc)
		goto out;
	if (pos.n < 1 || strcmp(pos.v[0], "can-i")) {
		rc = mc_usage_error(c, cmd, pos.n ? "unknown subcommand (only can-i)" : "a subcommand is required (can-i)");
		goto out;
	}
	if (pos.n < 3 || pos.n > 4) {
		rc = mc_usage_error(c, cmd, "you must specify two or three arguments: verb, resource, and optional resourceName");
		goto out;
	}
	req = cJSON_CreateObject();
	cJSON_AddStringToObject(req, "apiVersion", "authorization.k8s.io/v1");
	cJSON_AddStringToObject(req, "kind", "SelfSubjectAccessReview");
	attrs = cJSON_AddObjectToObject(cJSON_AddObjectToObject(req, "spec"),
					pos.v[2][0] == '/' ? "nonResourceAttributes" : "resourceAttributes");
	err = fill(attrs, pos.v[1], pos.v[2], pos.n == 4 ? pos.v[3] : NULL, sub, all_ns ? "" : c->ns);
	if (err) {
		rc = mc_usage_error(c, cmd, err);
		goto out;
	}
	rc = mc_send_json(c, "POST", SSAR_PATH, NULL, req, &answer);
	if (rc)
		goto out;
	if (cm_json_get_bool(answer, "status.allowed", &allowed) < 0) {
		rc = mc_errorf(c, "the server's answer has no status.allowed");
		goto out;
	}
	if (!quiet)
		fprintf(c->out, "%s\n", allowed ? "yes" : "no");
	rc = allowed ? 0 : MC_FAIL;
out:
	cJSON_Delete(req);
	cJSON_Delete(answer);
	mc_strv_close(&pos);
	mc_strv_close(&dash);
	return rc;
}
