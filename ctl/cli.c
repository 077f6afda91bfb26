/* cli.c: the verb table, minictl --help, global flags, and the shared parse step of every verb. */
#include "ctl/cli.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ctl/help.h"

static const struct mc_cmd cmds[] = {
	{"create", "Basic Commands (Beginner)", "Create a resource from a file or from stdin", MC_HELP_CREATE,
	 "minictl create -f FILENAME [options]\n  minictl create deployment|namespace|configmap|secret generic NAME [options]",
	 mc_run_create},
	{"expose", "Basic Commands (Beginner)",
	 "Take a replication controller, service, deployment or pod and expose it as a new Kubernetes service",
	 MC_HELP_EXPOSE,
	 "minictl expose (-f FILENAME | TYPE NAME) [--port=port] [--protocol=TCP|UDP|SCTP] [--target-port=number-or-name] [--name=name] [--type=type] [options]",
	 mc_run_expose},
	{"run", "Basic Commands (Beginner)", "Run a particular image on the cluster", MC_HELP_RUN,
	 "minictl run NAME --image=image [--env=\"key=value\"] [--port=port] [--labels=key=value] [--command] -- [COMMAND] [args...] [options]",
	 mc_run_run},
	{"set", "Basic Commands (Beginner)", "Set specific features on objects", MC_HELP_SET,
	 "minictl set image (-f FILENAME | TYPE NAME) CONTAINER_NAME_1=CONTAINER_IMAGE_1 ... [options]", mc_run_set},
	{"get", "Basic Commands (Intermediate)", "Display one or many resources", MC_HELP_GET,
	 "minictl get [(-o|--output=)json|yaml|name|wide|custom-columns=...|jsonpath=...] (TYPE[.VERSION][.GROUP] [NAME | -l label] | TYPE[.VERSION][.GROUP]/NAME ...) [flags] [options]",
	 mc_run_get},
	{"edit", "Basic Commands (Intermediate)", "Edit a resource on the server", MC_HELP_EDIT,
	 "minictl edit (RESOURCE/NAME | -f FILENAME) [options]", mc_run_edit},
	{"delete", "Basic Commands (Intermediate)",
	 "Delete resources by file names, stdin, resources and names, or by resources and label selector",
	 MC_HELP_DELETE,
	 "minictl delete ([-f FILENAME] | TYPE [(NAME | -l label | --all)]) [options]", mc_run_delete},
	{"rollout", "Deploy Commands", "Manage the rollout of a resource", MC_HELP_ROLLOUT,
	 "minictl rollout SUBCOMMAND [options]   (SUBCOMMAND: status, history, undo, restart)", mc_run_rollout},
	{"scale", "Deploy Commands", "Set a new size for a deployment, replica set, or replication controller",
	 MC_HELP_SCALE,
	 "minictl scale [--resource-version=version] [--current-replicas=count] --replicas=COUNT (-f FILENAME | TYPE NAME) [options]",
	 mc_run_scale},
	{"cluster-info", "Cluster Management Commands", "Display cluster information", MC_HELP_CLUSTER_INFO,
	 "minictl cluster-info [flags] [options]", mc_run_cluster_info},
	{"top", "Cluster Management Commands", "Display resource (CPU/memory) usage", MC_HELP_TOP,
	 "minictl top [flags] [options]", mc_run_top},
	{"cordon", "Cluster Management Commands", "Mark node as unschedulable", MC_HELP_CORDON,
	 "minictl cordon NODE [options]", mc_run_cordon},
	{"uncordon", "Cluster Management Commands", "Mark node as schedulable", MC_HELP_UNCORDON,
	 "minictl uncordon NODE [options]", mc_run_cordon},
	{"drain", "Cluster Management Commands", "Drain node in preparation for maintenance", MC_HELP_DRAIN,
	 "minictl drain NODE [options]", mc_run_drain},
	{"describe", "Troubleshooting and Debugging Commands", "Show details of a specific resource or group of resources",
	 MC_HELP_DESCRIBE,
	 "minictl describe (-f FILENAME | TYPE [NAME_PREFIX | -l label] | TYPE/NAME) [options]", mc_run_describe},
	{"logs", "Troubleshooting and Debugging Commands", "Print the logs for a container in a pod", MC_HELP_LOGS,
	 "minictl logs [-f] [-p] (POD | TYPE/NAME) [-c CONTAINER] [options]", mc_run_logs},
	{"apply", "Advanced Commands", "Apply a configuration to a resource by file name or stdin", MC_HELP_APPLY,
	 "minictl apply (-f FILENAME | -k DIRECTORY) [options]", mc_run_apply},
	{"replace", "Advanced Commands", "Replace a resource by file name or stdin", MC_HELP_REPLACE,
	 "minictl replace -f FILENAME [options]", mc_run_replace},
	{"wait", "Advanced Commands", "Experimental: Wait for a specific condition on one or many resources",
	 MC_HELP_WAIT,
	 "minictl wait ([-f FILENAME] | resource.group/resource.name | resource.group [(-l label | --all)]) [--for=delete|--for condition=available|--for=jsonpath='{}'[=value]] [options]",
	 mc_run_wait},
	{"label", "Settings Commands", "Update the labels on a resource", MC_HELP_LABEL,
	 "minictl label [--overwrite] (-f FILENAME | TYPE NAME) KEY_1=VAL_1 ... KEY_N=VAL_N [--resource-version=version] [options]",
	 mc_run_label},
	{"annotate", "Settings Commands", "Update the annotations on a resource", MC_HELP_ANNOTATE,
	 "minictl annotate [--overwrite] (-f FILENAME | TYPE NAME) KEY_1=VAL_1 ... KEY_N=VAL_N [--resource-version=version] [options]",
	 mc_run_annotate},
	{"completion", "Settings Commands", "Output shell completion code for the specified shell (bash)",
	 MC_HELP_COMPLETION, "minictl completion SHELL [options]", mc_run_completion},
	{"api-resources", "Other Commands", "Print the supported API resources on the server", MC_HELP_API_RESOURCES,
	 "minictl api-resources [flags] [options]", mc_run_api_resources},
	{"config", "Other Commands", "Modify kubeconfig files", MC_HELP_CONFIG,
	 "minictl config SUBCOMMAND [options]   (SUBCOMMAND: view, current-context, get-contexts, use-context, set-context)",
	 mc_run_config},
	{"auth", "Cluster Management Commands", "Inspect authorization",
	 "Check whether an action is allowed: the server answers a SelfSubjectAccessReview.\n\n"
	 "Examples:\n  # Check to see if I can create pods in any namespace\n  minictl auth can-i create pods --all-namespaces\n\n"
	 "  # Check to see if I can read pod logs\n  minictl auth can-i get pods --subresource=log\n\n"
	 "  # Check to see if I can access the URL /logs/\n  minictl auth can-i get /logs/",
	 "minictl auth can-i VERB [TYPE | TYPE/NAME | NONRESOURCEURL] [options]", mc_run_auth},
	{"version", "Other Commands", "Print the client and server version information", MC_HELP_VERSION,
	 "minictl version [flags] [options]", mc_run_version},
	{"options", NULL, "Print the list of flags inherited by all commands", MC_HELP_OPTIONS, "minictl options [flags] [options]",
	 mc_run_options},
};
#define NCMDS (sizeof(cmds) / sizeof(cmds[0]))

const struct mc_cmd *mc_cmd_at(int i)
{
	return i >= 0 && (size_t)i < NCMDS ? &cmds[i] : NULL;
}

const struct mc_cmd *mc_cmd_find(const char *name)
{
	for (size_t i = 0; i < NCMDS; i++)
		if (!strcmp(cmds[i].name, name))
			return &cmds[i];
	return NULL;
}

#define NGLOBAL 13
/* The flags every verb accepts (kubectl's "options"), bound to the context. */
static void global_flags(struct mc_ctx *c, struct mc_flag g[NGLOBAL])
{
	const struct mc_flag t[NGLOBAL] = {
		{"kubeconfig", 0, MC_FLAG_STRING, &c->kubeconfig, "''", "Path to the kubeconfig file to use for CLI requests."},
		{"context", 0, MC_FLAG_STRING, &c->context, "''", "The name of the kubeconfig context to use"},
		{"cluster", 0, MC_FLAG_STRING, &c->cluster, "''", "The name of the kubeconfig cluster to use"},
		{"user", 0, MC_FLAG_STRING, &c->user, "''", "The name of the kubeconfig user to use"},
		{"server", 's', MC_FLAG_STRING, &c->server, "''", "The address and port of the Kubernetes API server"},
		{"token", 0, MC_FLAG_STRING, &c->token, "''", "Bearer token for authentication to the API server"},
		{"namespace", 'n', MC_FLAG_STRING, &c->ns_flag, "''", "If present, the namespace scope for this CLI request"},
		{"certificate-authority", 0, MC_FLAG_STRING, &c->ca_file, "''", "Path to a cert file for the certificate authority"},
		{"client-certificate", 0, MC_FLAG_STRING, &c->cert_file, "''", "Path to a client certificate file for TLS"},
		{"client-key", 0, MC_FLAG_STRING, &c->key_file, "''", "Path to a client key file for TLS"},
		{"insecure-skip-tls-verify", 0, MC_FLAG_BOOL, &c->insecure, "false",
		 "If true, the server's certificate will not be checked for validity. This will make your HTTPS connections insecure"},
		{"request-timeout", 0, MC_FLAG_STRING, &c->request_timeout, "'0'",
		 "The length of time to wait before giving up on a single server request. Non-zero values should contain a corresponding time unit (e.g. 1s, 2m, 3h). A value of zero means don't timeout requests."},
		{"v", 'v', MC_FLAG_INT, &c->v, "0", "number for the log level verbosity"},
	};
	memcpy(g, t, sizeof(t));
}

int mc_usage_error(struct mc_ctx *c, const struct mc_cmd *cmd, const char *msg)
{
	fprintf(c->errout, "error: %s\nSee 'minictl %s --help' for usage.\n", msg, cmd->name);
	return MC_FAIL;
}

static void print_cmd_help(struct mc_ctx *c, const struct mc_cmd *cmd, const struct mc_flag *flags, size_t n)
{
	struct cm_buf b = CM_BUF_INIT;

	cm_buf_printf(&b, "%s\n", cmd->long_help);
	if (n) {
		cm_buf_puts(&b, "\nOptions:\n");
		mc_args_usage(flags, n, &b);
	} else {
		cm_buf_putc(&b, '\n');
	}
	cm_buf_printf(&b, "Usage:\n  %s\n\nUse \"minictl options\" for a list of global command-line options (applies to all commands).\n",
		      cmd->usage);
	fputs(b.data, c->out);
	cm_buf_close(&b);
}

int mc_cmd_parse(struct mc_ctx *c, const struct mc_cmd *cmd, const struct mc_flag *flags, size_t n, int argc,
		 char **argv, struct mc_strv *pos, struct mc_strv *dash)
{
	struct mc_flag g[NGLOBAL];
	const struct mc_flag *tables[2] = {flags, g};
	size_t ns[2] = {n, NGLOBAL};
	struct cm_buf err = CM_BUF_INIT;
	int rc;

	global_flags(c, g);
	rc = mc_args_parse(tables, ns, 2, argc, argv, pos, dash, &err);
	if (rc == 1) {
		print_cmd_help(c, cmd, flags, n);
		rc = MC_STOP;
	} else if (rc == -EINVAL) {
		rc = mc_usage_error(c, cmd, err.data);
	} else if (rc) {
		rc = mc_errorf(c, "%s", strerror(-rc));
	} else if ((rc = mc_ctx_resolve(c, &err))) {
		rc = mc_errorf(c, "%s", err.data ? err.data : strerror(-rc));
	}
	cm_buf_close(&err);
	return rc;
}

int mc_run_options(struct mc_ctx *c, const struct mc_cmd *cmd, int argc, char **argv)
{
	struct mc_flag g[NGLOBAL];
	struct cm_buf b = CM_BUF_INIT;

	(void)cmd;
	(void)argc;
	(void)argv;
	global_flags(c, g);
	cm_buf_puts(&b, "The following options can be passed to any command:\n\n");
	mc_args_usage(g, NGLOBAL, &b);
	fputs(b.data, c->out);
	cm_buf_close(&b);
	return 0;
}

static void print_main_help(FILE *out)
{
	const char *group = NULL;

	fputs("minictl controls the minik8s cluster manager.\n\n"
	      " It speaks the Kubernetes API; its verbs and flags are kubectl's.\n",
	      out);
	for (size_t i = 0; i < NCMDS; i++) {
		if (!cmds[i].group)
			continue;
		if (!group || strcmp(group, cmds[i].group)) {
			group = cmds[i].group;
			fprintf(out, "\n%s:\n", group);
		}
		fprintf(out, "  %-15s %s\n", cmds[i].name, cmds[i].short_help);
	}
	fputs("\nUsage:\n  minictl [flags] [options]\n\n"
	      "Use \"minictl <command> --help\" for more information about a given command.\n"
	      "Use \"minictl options\" for a list of global command-line options (applies to all commands).\n",
	      out);
}

/* Global flags that take a value when written "--flag value" (so the value is not taken for the verb). */
static bool takes_value(const char *a)
{
	static const char *const v[] = {"--kubeconfig", "--context", "--cluster", "--user", "--server", "-s",
					"--token", "--namespace", "-n", "--certificate-authority",
					"--client-certificate", "--client-key", "--request-timeout", "--v", "-v", NULL};
	for (size_t i = 0; v[i]; i++)
		if (!strcmp(a, v[i]))
			return true;
	return false;
}

int mc_main(int argc, char **argv, FILE *out, FILE *err)
{
	struct mc_ctx c;
	const struct mc_cmd *cmd = NULL;
	char **rest;
	int verb = -1, nrest = 0, rc;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--"))
			break;
		if (argv[i][0] == '-') {
			if (takes_value(argv[i]))
				i++;
			continue;
		}
		verb = i;
		break;
	}
	if (verb < 0) {
		for (int i = 1; i < argc; i++)
			if (!strcmp(argv[i], "--version")) {
				fputs("Client Version: v1.32.0-minik8s\n", out);
				return 0;
			}
		print_main_help(out);
		return 0;
	}
	cmd = mc_cmd_find(argv[verb]);
	if (!cmd) {
		fprintf(err, "error: unknown command \"%s\" for \"minictl\"\nRun 'minictl --help' for usage.\n", argv[verb]);
		return 1;
	}
	rest = calloc((size_t)argc, sizeof(*rest));
	if (!rest)
		return 1;
	for (int i = 1; i < argc; i++)
		if (i != verb)
			rest[nrest++] = argv[i];
	mc_ctx_init(&c, out, err);
	rc = cmd->run(&c, cmd, nrest, rest);
	mc_ctx_close(&c);
	free(rest);
	fflush(out);
	return rc == MC_STOP ? 0 : rc ? 1 : 0;
}
