/* cmd_config.c: config view|current-context|get-contexts|use-context|set-context|set-cluster|set-credentials on the kubeconfig file. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/json.h"
#include "common/yaml.h"
#include "ctl/cli.h"
#include "ctl/kubeconfig.h"
#include "ctl/print.h"

/* The kubeconfig being edited: the loaded one, or a new empty one. Owned by c afterwards. */
static cJSON *config_doc(struct mc_ctx *c)
{
	if (!c->kc) {
		c->kc = cJSON_CreateObject();
		cJSON_AddStringToObject(c->kc, "apiVersion", "v1");
		cJSON_AddArrayToObject(c->kc, "clusters");
		cJSON_AddArrayToObject(c->kc, "contexts");
		cJSON_AddStringToObject(c->kc, "current-context", "");
		cJSON_AddStringToObject(c->kc, "kind", "Config");
		cJSON_AddObjectToObject(c->kc, "preferences");
		cJSON_AddArrayToObject(c->kc, "users");
	}
	return c->kc;
}

/* The named entry of list, made if missing; *created tells which. Returns its inner object ("cluster", "user", "context"). */
static cJSON *entry(cJSON *kc, const char *list, const char *inner, const char *name, bool *created)
{
	cJSON *arr = cJSON_GetObjectItemCaseSensitive(kc, list), *e = mc_kubeconfig_named(kc, list, name), *in;

	*created = !e;
	if (!arr || !cJSON_IsArray(arr)) {
		cJSON_DeleteItemFromObjectCaseSensitive(kc, list);
		arr = cJSON_AddArrayToObject(kc, list);
	}
	if (!e) {
		e = cJSON_CreateObject();
		cJSON_AddStringToObject(e, "name", name);
		cJSON_AddItemToArray(arr, e);
	}
	in = cJSON_GetObjectItemCaseSensitive(e, inner);
	if (!in)
		in = cJSON_AddObjectToObject(e, inner);
	return in;
}

/* value may point into obj itself (keeping the current value), so it is copied before the old item goes. */
static void set_field(cJSON *obj, const char *key, const char *value)
{
	char *copy = value && *value ? strdup(value) : NULL;

	cJSON_DeleteItemFromObjectCaseSensitive(obj, key);
	if (copy)
		cJSON_AddStringToObject(obj, key, copy);
	free(copy);
}

/* Reads path for a change, or starts an empty config when it does not exist yet. */
static int load_for_write(struct mc_ctx *c, const char *path, cJSON **out)
{
	struct cm_buf err = CM_BUF_INIT;
	int rc = mc_kubeconfig_load(path, out, &err);

	if (rc == -ENOENT)
		rc = (*out = cJSON_CreateObject()) ? 0 : -ENOMEM;
	if (rc)
		rc = mc_errorf(c, "%s", err.len ? err.data : strerror(-rc));
	cm_buf_close(&err);
	return rc;
}

static int write_file(struct mc_ctx *c, const char *path, cJSON *doc)
{
	int rc;

	mc_kubeconfig_normalize(doc);
	rc = mc_kubeconfig_save(path, doc);
	return rc ? mc_errorf(c, "cannot write %s: %s", path, strerror(-rc)) : 0;
}

/*
 * Writes the merged entry name of list back as kubectl's ModifyConfig does:
 * into the file it came from, or, for a new entry, into the default file;
 * the other entries of that file stay as they are.
 */
static int save_entry(struct mc_ctx *c, const char *list, const char *name)
{
	char *path = NULL;
	cJSON *doc = NULL, *arr, *e = mc_kubeconfig_named(c->kc, list, name), *copy = NULL;
	int rc = mc_kubeconfig_origin(c->kc_files, list, name, &path);

	if (rc == -ENOENT)
		rc = (path = strdup(c->kc_path)) ? 0 : -ENOMEM;
	if (rc || (rc = load_for_write(c, path, &doc)))
		goto done;
	arr = cJSON_GetObjectItemCaseSensitive(doc, list);
	if (!cJSON_IsArray(arr)) {
		cJSON_DeleteItemFromObjectCaseSensitive(doc, list);
		arr = cJSON_AddArrayToObject(doc, list);
	}
	for (int i = cJSON_GetArraySize(arr) - 1; i >= 0; i--)
		if (!strcmp(cm_json_str_or(cJSON_GetArrayItem(arr, i), "name", ""), name))
			cJSON_DeleteItemFromArray(arr, i);
	if (!arr || !(copy = cJSON_Duplicate(e, 1)) || !cJSON_AddItemToArray(arr, copy)) {
		cJSON_Delete(copy);
		rc = -ENOMEM;
		goto done;
	}
	rc = write_file(c, path, doc);
done:
	cJSON_Delete(doc);
	free(path);
	return rc;
}

/* kubectl writes a new current-context into the default file (the first existing file of $KUBECONFIG). */
static int save_current(struct mc_ctx *c, const char *name)
{
	cJSON *doc = NULL;
	int rc = load_for_write(c, c->kc_path, &doc);

	if (rc)
		return rc;
	cJSON_DeleteItemFromObjectCaseSensitive(doc, "current-context");
	rc = cJSON_AddStringToObject(doc, "current-context", name) ? write_file(c, c->kc_path, doc) : -ENOMEM;
	cJSON_Delete(doc);
	return rc;
}

/* Hides secrets as kubectl config view does without --raw. */
static void redact(cJSON *kc)
{
	cJSON *e;

	cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(kc, "clusters"))
	{
		cJSON *cl = cJSON_GetObjectItemCaseSensitive(e, "cluster");
		if (cJSON_GetObjectItemCaseSensitive(cl, "certificate-authority-data"))
			cJSON_ReplaceItemInObjectCaseSensitive(cl, "certificate-authority-data", cJSON_CreateString("DATA+OMITTED"));
	}
	cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(kc, "users"))
	{
		cJSON *u = cJSON_GetObjectItemCaseSensitive(e, "user");
		static const char *const data[] = {"client-certificate-data", "client-key-data"};
		for (size_t i = 0; i < 2; i++)
			if (cJSON_GetObjectItemCaseSensitive(u, data[i]))
				cJSON_ReplaceItemInObjectCaseSensitive(u, data[i], cJSON_CreateString("DATA+OMITTED"));
		if (cJSON_GetObjectItemCaseSensitive(u, "token"))
			cJSON_ReplaceItemInObjectCaseSensitive(u, "token", cJSON_CreateString("REDACTED"));
	}
}

/* --minify: only the current context and what it uses. */
static void minify(cJSON *kc, const char *ctx_name)
{
	cJSON *ctx = mc_kubeconfig_named(kc, "contexts", ctx_name);
	const char *lists[3] = {"contexts", "clusters", "users"};
	const char *keep[3] = {ctx_name, cm_json_get_str(ctx, "context.cluster"), cm_json_get_str(ctx, "context.user")};
	char *keep_copy[3];

	for (int i = 0; i < 3; i++)
		keep_copy[i] = keep[i] ? strdup(keep[i]) : NULL;
	for (int i = 0; i < 3; i++) {
		cJSON *arr = cJSON_GetObjectItemCaseSensitive(kc, lists[i]);
		for (int j = cJSON_GetArraySize(arr) - 1; j >= 0; j--) {
			const char *n = cm_json_str_or(cJSON_GetArrayItem(arr, j), "name", "");
			if (!keep_copy[i] || strcmp(n, keep_copy[i]))
				cJSON_DeleteItemFromArray(arr, j);
		}
	}
	for (int i = 0; i < 3; i++)
		free(keep_copy[i]);
}

int mc_run_config(struct mc_ctx *c, const struct mc_cmd *cmd, int argc, char **argv)
{
	struct mc_strv pos = {0}, dash = {0};
	bool raw = false, do_minify = false, current = false, no_headers = false;
	const char *output = "yaml", *ns = NULL, *cluster = NULL, *user = NULL, *server = NULL, *token = NULL, *ca = NULL;
	const char *insecure = NULL;
	const struct mc_flag flags[] = {
		{"raw", 0, MC_FLAG_BOOL, &raw, "false", "Show secrets and certificate data as they are, not redacted."},
		{"minify", 0, MC_FLAG_BOOL, &do_minify, "false", "Print only the entries the current context uses."},
		{"output", 'o', MC_FLAG_STRING, &output, "'yaml'", "Print as yaml or json."},
		{"current", 0, MC_FLAG_BOOL, &current, "false", "Change the context in use instead of a named one."},
		{"no-headers", 0, MC_FLAG_BOOL, &no_headers, "false", "Leave out the header row of tables."},
		{"server", 0, MC_FLAG_STRING, &server, "''", "set-cluster: the API server address of the entry."},
		{"certificate-authority", 0, MC_FLAG_STRING, &ca, "''", "set-cluster: the CA certificate file of the entry."},
		{"insecure-skip-tls-verify", 0, MC_FLAG_STRING, &insecure, "''", "set-cluster: true to skip checking the server's certificate."},
		{"token", 0, MC_FLAG_STRING, &token, "''", "set-credentials: the bearer token of the user entry."},
	};
	int rc;
	const char *sub;

	c->config_only = true;
	/* set-context takes --namespace, --cluster, --user for the entry, not for the connection */
	for (int i = 0; i < argc; i++) {
		if (!strncmp(argv[i], "--namespace=", 12))
			ns = argv[i] + 12;
		else if (!strncmp(argv[i], "--cluster=", 10))
			cluster = argv[i] + 10;
		else if (!strncmp(argv[i], "--user=", 7))
			user = argv[i] + 7;
	}
	rc = mc_cmd_parse(c, cmd, flags, sizeof(flags) / sizeof(flags[0]), argc, argv, &pos, &dash);
	if (rc)
		goto done;
	if (!ns && c->ns_flag)
		ns = c->ns_flag;
	if (!cluster)
		cluster = c->cluster;
	if (!user)
		user = c->user;
	if (!server)
		server = c->server;
	if (!token)
		token = c->token;
	if (pos.n < 1) {
		rc = mc_usage_error(c, cmd, "a subcommand is required");
		goto done;
	}
	sub = pos.v[0];
	if (!strcmp(sub, "view")) {
		cJSON *doc = cJSON_Duplicate(config_doc(c), 1);
		struct cm_buf out = CM_BUF_INIT;
		if (do_minify)
			minify(doc, c->context ? c->context : cm_json_str_or(doc, "current-context", ""));
		mc_kubeconfig_normalize(doc);
		if (!raw)
			redact(doc);
		if (!strcmp(output, "json"))
			mc_json_pretty(doc, &out);
		else
			cm_yaml_emit(doc, &out);
		fputs(out.data, c->out);
		cm_buf_close(&out);
		cJSON_Delete(doc);
	} else if (!strcmp(sub, "current-context")) {
		const char *cur = cm_json_get_str(c->kc, "current-context");
		if (!cur || !*cur)
			rc = mc_errorf(c, "current-context is not set");
		else
			fprintf(c->out, "%s\n", cur);
	} else if (!strcmp(sub, "get-contexts")) {
		struct mc_table t;
		struct cm_buf out = CM_BUF_INIT;
		const cJSON *e;
		const char *cur = cm_json_str_or(c->kc, "current-context", "");
		mc_table_init(&t, 5);
		if (!no_headers)
			mc_table_add(&t, (const char *[]){"CURRENT", "NAME", "CLUSTER", "AUTHINFO", "NAMESPACE"});
		cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(c->kc, "contexts"))
		{
			const char *n = cm_json_str_or(e, "name", "");
			if (pos.n > 1 && strcmp(pos.v[1], n))
				continue;
			mc_table_add(&t, (const char *[]){!strcmp(n, cur) ? "*" : "", n, cm_json_str_or(e, "context.cluster", ""),
							  cm_json_str_or(e, "context.user", ""), cm_json_str_or(e, "context.namespace", "")});
		}
		mc_table_flush(&t, &out);
		mc_table_close(&t);
		fputs(out.data ? out.data : "", c->out);
		cm_buf_close(&out);
	} else if (!strcmp(sub, "use-context") || !strcmp(sub, "use")) {
		if (pos.n != 2) {
			rc = mc_usage_error(c, cmd, "Unexpected args: use-context CONTEXT_NAME");
		} else if (!mc_kubeconfig_named(c->kc, "contexts", pos.v[1])) {
			rc = mc_errorf(c, "no context exists with the name: \"%s\"", pos.v[1]);
		} else {
			/* as kubectl: nothing to write when it is already the current one */
			if (strcmp(cm_json_str_or(c->kc, "current-context", ""), pos.v[1]))
				rc = save_current(c, pos.v[1]);
			if (!rc)
				fprintf(c->out, "Switched to context \"%s\".\n", pos.v[1]);
		}
	} else if (!strcmp(sub, "set-context")) {
		const char *name = pos.n > 1 ? pos.v[1] : NULL;
		bool created;
		cJSON *ctx;
		if (current)
			name = cm_json_get_str(config_doc(c), "current-context");
		if (!name || !*name) {
			rc = mc_errorf(c, current ? "no current context is set" : "you must specify a non-empty context name or --current");
			goto done;
		}
		char *saved = strdup(name);
		ctx = entry(config_doc(c), "contexts", "context", saved, &created);
		set_field(ctx, "cluster", cluster ? cluster : cm_json_get_str(ctx, "cluster"));
		set_field(ctx, "user", user ? user : cm_json_get_str(ctx, "user"));
		if (ns)
			set_field(ctx, "namespace", ns);
		if (!(rc = save_entry(c, "contexts", saved)))
			fprintf(c->out, "Context \"%s\" %s.\n", saved, created ? "created" : "modified");
		free(saved);
	} else if (!strcmp(sub, "set-cluster") || !strcmp(sub, "set-credentials")) {
		bool is_cluster = !strcmp(sub, "set-cluster"), created;
		cJSON *e;
		if (pos.n != 2) {
			rc = mc_usage_error(c, cmd, is_cluster ? "Unexpected args: set-cluster NAME" : "Unexpected args: set-credentials NAME");
			goto done;
		}
		e = entry(config_doc(c), is_cluster ? "clusters" : "users", is_cluster ? "cluster" : "user", pos.v[1], &created);
		if (is_cluster) {
			if (server)
				set_field(e, "server", server);
			if (ca)
				set_field(e, "certificate-authority", ca);
			if (insecure) {
				cJSON_DeleteItemFromObjectCaseSensitive(e, "insecure-skip-tls-verify");
				if (!strcmp(insecure, "true"))
					cJSON_AddTrueToObject(e, "insecure-skip-tls-verify");
			}
		} else if (token) {
			set_field(e, "token", token);
		}
		if (!(rc = save_entry(c, is_cluster ? "clusters" : "users", pos.v[1])))
			fprintf(c->out, "%s \"%s\" set.\n", is_cluster ? "Cluster" : "User", pos.v[1]);
	} else {
		rc = mc_usage_error(c, cmd, "unknown subcommand");
	}
done:
	mc_strv_close(&pos);
	mc_strv_close(&dash);
	return rc;
}
