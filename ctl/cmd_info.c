/* cmd_info.c: verbs about the cluster and the client: cluster-info, api-resources, version, top, completion. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/json.h"
#include "common/yaml.h"
#include "ctl/cli.h"
#include "ctl/print.h"
#include "ctl/resource.h"

#define CLIENT_VERSION "v1.32.0-minik8s"

static int no_args(struct mc_ctx *c, const struct mc_cmd *cmd, const struct mc_flag *flags, size_t n, int argc,
		   char **argv)
{
	struct mc_strv pos = {0}, dash = {0};
	int rc = mc_cmd_parse(c, cmd, flags, n, argc, argv, &pos, &dash);

	if (!rc && pos.n)
		rc = mc_usage_error(c, cmd, "unexpected arguments");
	mc_strv_close(&pos);
	mc_strv_close(&dash);
	return rc;
}

int mc_run_cluster_info(struct mc_ctx *c, const struct mc_cmd *cmd, int argc, char **argv)
{
	bool color = isatty(fileno(c->out));
	cJSON *v = NULL, *svcs = NULL, *s;
	int rc = no_args(c, cmd, NULL, 0, argc, argv);

	if (rc)
		return rc;
	/* a cheap request that fails the way kubectl's does when the server is away */
	if ((rc = mc_get_json(c, "/version", false, &v)))
		return rc;
	cJSON_Delete(v);
	if (color)
		fprintf(c->out, "\033[0;32mKubernetes control plane\033[0m is running at \033[0;33m%s\033[0m\n", c->server_url);
	else
		fprintf(c->out, "Kubernetes control plane is running at %s\n", c->server_url);
	if (!mc_get_json(c, "/api/v1/namespaces/kube-system/services?labelSelector=kubernetes.io%2Fcluster-service%3Dtrue", true, &svcs)) {
		cJSON_ArrayForEach(s, cJSON_GetObjectItemCaseSensitive(svcs, "items"))
		{
			const char *name = cm_json_str_or(s, "metadata.labels.kubernetes\\.io/name", cm_json_str_or(s, "metadata.name", ""));
			fprintf(c->out, "%s is running at %s/api/v1/namespaces/kube-system/services/%s/proxy\n", name, c->server_url,
				cm_json_str_or(s, "metadata.name", ""));
		}
	}
	cJSON_Delete(svcs);
	fputs("\nTo further debug and diagnose cluster problems, use 'minictl cluster-info dump'.\n", c->out);
	return 0;
}

struct api_res {
	char *name, *shortnames, *api_version, *kind, *group;
	bool namespaced;
};

static int cmp_res(const void *a, const void *b)
{
	const struct api_res *x = a, *y = b;
	int g = strcmp(x->group, y->group);
	return g ? g : strcmp(x->name, y->name);
}

/* Adds the resources of one discovery document (an APIResourceList). */
static void add_list(const cJSON *list, const char *group, struct api_res **v, size_t *n, size_t *cap)
{
	const cJSON *r, *sn;

	cJSON_ArrayForEach(r, cJSON_GetObjectItemCaseSensitive(list, "resources"))
	{
		struct cm_buf shorts = CM_BUF_INIT;
		const char *name = cm_json_str_or(r, "name", "");
		if (strchr(name, '/'))
			continue; /* subresources are not listed */
		if (*n == *cap) {
			struct api_res *nv = realloc(*v, (*cap = *cap ? *cap * 2 : 32) * sizeof(**v));
			if (!nv)
				return;
			*v = nv;
		}
		cJSON_ArrayForEach(sn, cJSON_GetObjectItemCaseSensitive(r, "shortNames"))
			cm_buf_printf(&shorts, "%s%s", shorts.len ? "," : "", sn->valuestring ? sn->valuestring : "");
		(*v)[*n].name = strdup(name);
		(*v)[*n].shortnames = cm_buf_take(&shorts);
		(*v)[*n].api_version = strdup(cm_json_str_or(list, "groupVersion", ""));
		(*v)[*n].kind = strdup(cm_json_str_or(r, "kind", ""));
		(*v)[*n].group = strdup(group);
		(*v)[*n].namespaced = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(r, "namespaced"));
		(*n)++;
	}
}

int mc_run_api_resources(struct mc_ctx *c, const struct mc_cmd *cmd, int argc, char **argv)
{
	const char *output = "", *group = NULL;
	bool no_headers = false, namespaced_only = false;
	const char *namespaced = NULL;
	const struct mc_flag flags[] = {
		{"output", 'o', MC_FLAG_STRING, &output, "''", "Print as wide (more columns) or name."},
		{"api-group", 0, MC_FLAG_STRING, &group, "''", "Show only the types of this API group."},
		{"no-headers", 0, MC_FLAG_BOOL, &no_headers, "false", "Leave out the header row of the table."},
		{"namespaced", 0, MC_FLAG_STRING, &namespaced, "true", "true shows the namespaced types, false the cluster-wide ones."},
	};
	struct api_res *v = NULL;
	size_t n = 0, cap = 0;
	cJSON *core = NULL, *groups = NULL, *g;
	struct mc_table t;
	struct cm_buf out = CM_BUF_INIT;
	int rc = no_args(c, cmd, flags, sizeof(flags) / sizeof(flags[0]), argc, argv);

	(void)namespaced_only;
	if (rc)
		return rc;
	if ((rc = mc_get_json(c, "/api/v1", false, &core)))
		return rc;
	add_list(core, "", &v, &n, &cap);
	if (!mc_get_json(c, "/apis", false, &groups)) {
		cJSON_ArrayForEach(g, cJSON_GetObjectItemCaseSensitive(groups, "groups"))
		{
			struct cm_buf path = CM_BUF_INIT;
			cJSON *list = NULL;
			cm_buf_printf(&path, "/apis/%s", cm_json_str_or(g, "preferredVersion.groupVersion", ""));
			if (!mc_get_json(c, path.data, true, &list))
				add_list(list, cm_json_str_or(g, "name", ""), &v, &n, &cap);
			cJSON_Delete(list);
			cm_buf_close(&path);
		}
	}
	qsort(v, n, sizeof(*v), cmp_res);
	mc_table_init(&t, 5);
	if (!no_headers && strcmp(output, "name"))
		mc_table_add(&t, (const char *[]){"NAME", "SHORTNAMES", "APIVERSION", "NAMESPACED", "KIND"});
	for (size_t i = 0; i < n; i++) {
		if (group && strcmp(group, v[i].group))
			continue;
		if (namespaced && !strcmp(namespaced, "false") && v[i].namespaced)
			continue;
		if (!strcmp(output, "name")) {
			cm_buf_printf(&out, "%s%s%s\n", v[i].name, v[i].group[0] ? "." : "", v[i].group);
			continue;
		}
		mc_table_add(&t, (const char *[]){v[i].name, v[i].shortnames, v[i].api_version,
						  v[i].namespaced ? "true" : "false", v[i].kind});
	}
	mc_table_flush(&t, &out);
	mc_table_close(&t);
	fputs(out.data ? out.data : "", c->out);
	for (size_t i = 0; i < n; i++) {
		free(v[i].name);
		free(v[i].shortnames);
		free(v[i].api_version);
		free(v[i].kind);
		free(v[i].group);
	}
	free(v);
	cJSON_Delete(core);
	cJSON_Delete(groups);
	cm_buf_close(&out);
	return 0;
}

int mc_run_version(struct mc_ctx *c, const struct mc_cmd *cmd, int argc, char **argv)
{
	bool client = false;
	const char *output = "";
	const struct mc_flag flags[] = {
		{"client", 0, MC_FLAG_BOOL, &client, "false", "Print the minictl version alone, without asking the server."},
		{"output", 'o', MC_FLAG_STRING, &output, "''", "Print as yaml or json."},
	};
	cJSON *server = NULL, *doc;
	int rc = no_args(c, cmd, flags, sizeof(flags) / sizeof(flags[0]), argc, argv);

	if (rc)
		return rc;
	if (!client && (rc = mc_get_json(c, "/version", false, &server))) {
		fprintf(c->out, "Client Version: %s\n", CLIENT_VERSION);
		return rc;
	}
	if (!strcmp(output, "json") || !strcmp(output, "yaml")) {
		struct cm_buf out = CM_BUF_INIT;
		cJSON *cv = cJSON_CreateObject();
		doc = cJSON_CreateObject();
		cJSON_AddStringToObject(cv, "major", "1");
		cJSON_AddStringToObject(cv, "minor", "32");
		cJSON_AddStringToObject(cv, "gitVersion", CLIENT_VERSION);
		cJSON_AddStringToObject(cv, "platform", "linux/amd64");
		cJSON_AddItemToObject(doc, "clientVersion", cv);
		if (server)
			cJSON_AddItemToObject(doc, "serverVersion", cJSON_Duplicate(server, 1));
		if (!strcmp(output, "json"))
			mc_json_pretty(doc, &out);
		else
			cm_yaml_emit(doc, &out);
		fputs(out.data, c->out);
		cm_buf_close(&out);
		cJSON_Delete(doc);
	} else if (*output) {
		rc = mc_usage_error(c, cmd, "--output must be 'yaml' or 'json'");
	} else {
		fprintf(c->out, "Client Version: %s\n", CLIENT_VERSION);
		if (server)
			fprintf(c->out, "Server Version: %s\n", cm_json_str_or(server, "gitVersion", "unknown"));
	}
	cJSON_Delete(server);
	return rc;
}

int mc_run_top(struct mc_ctx *c, const struct mc_cmd *cmd, int argc, char **argv)
{
	struct mc_strv pos = {0}, dash = {0};
	cJSON *g = NULL;
	int rc = mc_cmd_parse(c, cmd, NULL, 0, argc, argv, &pos, &dash);

	if (!rc) {
		rc = mc_get_json(c, "/apis/metrics.k8s.io/v1beta1", true, &g);
		if (rc == -ENOENT)
			rc = mc_errorf(c, "Metrics API not available");
		else if (!rc)
			rc = mc_errorf(c, "top is not implemented by minictl; the metrics API is at /apis/metrics.k8s.io/v1beta1");
	}
	cJSON_Delete(g);
	mc_strv_close(&pos);
	mc_strv_close(&dash);
	return rc;
}

int mc_run_completion(struct mc_ctx *c, const struct mc_cmd *cmd, int argc, char **argv)
{
	struct mc_strv pos = {0}, dash = {0};
	struct cm_buf verbs = CM_BUF_INIT, types = CM_BUF_INIT;
	const struct mc_cmd *v;
	const struct mc_resource *r;
	int rc = mc_cmd_parse(c, cmd, NULL, 0, argc, argv, &pos, &dash);

	if (rc)
		goto done;
	if (pos.n != 1 || strcmp(pos.v[0], "bash")) {
		rc = mc_usage_error(c, cmd, pos.n ? "Unsupported shell type; minictl completes bash" : "Shell not specified.");
		goto done;
	}
	for (int i = 0; (v = mc_cmd_at(i)); i++)
		cm_buf_printf(&verbs, "%s%s", i ? " " : "", v->name);
	for (int i = 0; (r = mc_resource_at(i)); i++) {
		cm_buf_printf(&types, "%s%s %s", i ? " " : "", r->name, r->singular);
		if (r->shortname)
			cm_buf_printf(&types, " %s", r->shortname);
	}
	fprintf(c->out,
		"# bash completion for minictl; load it with: source <(minictl completion bash)\n"
		"_minictl_names()\n"
		"{\n"
		"    local args=()\n"
		"    local i\n"
		"    for ((i = 1; i < COMP_CWORD; i++)); do\n"
		"        case \"${COMP_WORDS[i]}\" in\n"
		"            -n|--namespace|-s|--server|--kubeconfig|--context)\n"
		"                args+=(\"${COMP_WORDS[i]}\" \"${COMP_WORDS[i+1]}\"); i=$((i+1));;\n"
		"            --namespace=*|--server=*|--kubeconfig=*|--context=*) args+=(\"${COMP_WORDS[i]}\");;\n"
		"        esac\n"
		"    done\n"
		"    minictl \"${args[@]}\" get \"$1\" -o 'jsonpath={.items[*].metadata.name}' 2>/dev/null\n"
		"}\n"
		"\n"
		"_minictl()\n"
		"{\n"
		"    local cur=\"${COMP_WORDS[COMP_CWORD]}\"\n"
		"    local prev=\"${COMP_WORDS[COMP_CWORD-1]}\"\n"
		"    local verbs=\"%s\"\n"
		"    local types=\"%s all\"\n"
		"    local flags=\"--namespace --all-namespaces --output --selector --server --kubeconfig --context --filename --help --watch --show-labels --show-managed-fields --field-selector --sort-by\"\n"
		"    local verb=\"\" type=\"\" nwords=0 i\n"
		"    for ((i = 1; i < COMP_CWORD; i++)); do\n"
		"        case \"${COMP_WORDS[i]}\" in\n"
		"            -n|--namespace|-s|--server|--kubeconfig|--context|-o|--output|-l|--selector|-f|--filename) i=$((i+1));;\n"
		"            -*) ;;\n"
		"            *) if [ -z \"$verb\" ]; then verb=\"${COMP_WORDS[i]}\"; elif [ -z \"$type\" ]; then type=\"${COMP_WORDS[i]}\"; fi; nwords=$((nwords+1));;\n"
		"        esac\n"
		"    done\n"
		"    case \"$prev\" in\n"
		"        -n|--namespace) COMPREPLY=( $(compgen -W \"$(_minictl_names namespaces)\" -- \"$cur\") ); return;;\n"
		"        -o|--output) COMPREPLY=( $(compgen -W \"json yaml name wide jsonpath= custom-columns=\" -- \"$cur\") ); return;;\n"
		"        -f|--filename) COMPREPLY=( $(compgen -f -- \"$cur\") ); return;;\n"
		"    esac\n"
		"    if [[ \"$cur\" == -* ]]; then COMPREPLY=( $(compgen -W \"$flags\" -- \"$cur\") ); return; fi\n"
		"    if [ -z \"$verb\" ]; then COMPREPLY=( $(compgen -W \"$verbs\" -- \"$cur\") ); return; fi\n"
		"    case \"$verb\" in\n"
		"        get|describe|delete|edit|label|annotate|scale|expose|wait)\n"
		"            if [ -z \"$type\" ]; then COMPREPLY=( $(compgen -W \"$types\" -- \"$cur\") );\n"
		"            else COMPREPLY=( $(compgen -W \"$(_minictl_names \"$type\")\" -- \"$cur\") ); fi;;\n"
		"        logs) COMPREPLY=( $(compgen -W \"$(_minictl_names pods)\" -- \"$cur\") );;\n"
		"        cordon|uncordon|drain) COMPREPLY=( $(compgen -W \"$(_minictl_names nodes)\" -- \"$cur\") );;\n"
		"        rollout) if [ -z \"$type\" ]; then COMPREPLY=( $(compgen -W \"status history undo restart\" -- \"$cur\") );\n"
		"            else COMPREPLY=( $(compgen -W \"deployment/ daemonset/\" -- \"$cur\") ); fi;;\n"
		"        config) COMPREPLY=( $(compgen -W \"view current-context get-contexts use-context set-context set-cluster set-credentials\" -- \"$cur\") );;\n"
		"        create) COMPREPLY=( $(compgen -W \"deployment namespace configmap secret\" -- \"$cur\") );;\n"
		"        completion) COMPREPLY=( $(compgen -W \"bash\" -- \"$cur\") );;\n"
		"    esac\n"
		"}\n"
		"complete -o default -F _minictl minictl\n",
		verbs.data, types.data);
done:
	cm_buf_close(&verbs);
	cm_buf_close(&types);
	mc_strv_close(&pos);
	mc_strv_close(&dash);
	return rc;
}
