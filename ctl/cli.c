/* cli.c: the verb table, minictl --help, global flags, and the shared parse step of every verb. */
#include "ctl/cli.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ctl/help.h"

static const struct mc_cmd cmds[] = {
	{"create", "Basic Commands (Beginner)", "Create resources from manifests or from flags", MC_HELP_CREATE,
	 "minictl create -f FILENAME [options]\n  minictl create deployment|namespace|configmap|secret generic NAME [options]",
	 mc_run_create},
	{"expose", "Basic Commands (Beginner)",
	 "Put a new service in front of a deployment, replica set, service or pod",
	 MC_HELP_EXPOSE,
	 "minictl expose (-f FILENAME | TYPE NAME) [--port=port] [--protocol=TCP|UDP|SCTP] [--target-port=number-or-name] [--name=name] [--type=type] [options]",
	 mc_run_expose},
	{"run", "Basic Commands (Beginner)", "Start a pod that runs one image", MC_HELP_RUN,
	 "minictl run NAME --image=image [--env=\"key=value\"] [--port=port] [--labels=key=value] [--command] -- [COMMAND] [args...] [options]",
	 mc_run_run},
	{"set", "Basic Commands (Beginner)", "Change chosen fields of objects", MC_HELP_SET,
	 "minictl set image (-f FILENAME | TYPE NAME) CONTAINER_NAME_1=CONTAINER_IMAGE_1 ... [options]", mc_run_set},
	{"get", "Basic Commands (Intermediate)", "List resources or show chosen ones", MC_HELP_GET,
	 "minictl get [(-o|--output=)json|yaml|name|wide|custom-columns=...|jsonpath=...] (TYPE[.VERSION][.GROUP] [NAME | -l label] | TYPE[.VERSION][.GROUP]/NAME ...) [flags] [options]",
	 mc_run_get},
	{"edit", "Basic Commands (Intermediate)", "Change a live resource in a text editor", MC_HELP_EDIT,
	 "minictl edit (RESOURCE/NAME | -f FILENAME) [options]", mc_run_edit},
	{"delete", "Basic Commands (Intermediate)",
	 "Remove resources named in manifests, by name, or by label",
	 MC_HELP_DELETE,
	 "minictl delete ([-f FILENAME] | TYPE [(NAME | -l label | --all)]) [options]", mc_run_delete},
	{"rollout", "Deploy Commands", "Follow, inspect and revert rollouts", MC_HELP_ROLLOUT,
	 "minictl rollout SUBCOMMAND [options]   (SUBCOMMAND: status, history, undo, restart)", mc_run_rollout},
	{"scale", "Deploy Commands", "Change the replica count of a workload",
	 MC_HELP_SCALE,
	 "minictl scale [--resource-version=version] [--current-replicas=count] --replicas=COUNT (-f FILENAME | TYPE NAME) [options]",
	 mc_run_scale},
	{"cluster-info", "Cluster Management Commands", "Show where the control plane can be reached", MC_HELP_CLUSTER_INFO,
	 "minictl cluster-info [flags] [options]", mc_run_cluster_info},
	{"top", "Cluster Management Commands", "Show CPU and memory in use", MC_HELP_TOP,
	 "minictl top [flags] [options]", mc_run_top},
	{"cordon", "Cluster Management Commands", "Keep new pods off a node", MC_HELP_CORDON,
	 "minictl cordon NODE [options]", mc_run_cordon},
	{"uncordon", "Cluster Management Commands", "Let pods onto a node again", MC_HELP_UNCORDON,
	 "minictl uncordon NODE [options]", mc_run_cordon},
	{"drain", "Cluster Management Commands", "Move the pods off a node before maintenance", MC_HELP_DRAIN,
	 "minictl drain NODE [options]", mc_run_drain},
	{"describe", "Troubleshooting and Debugging Commands", "Print a readable report on resources",
	 MC_HELP_DESCRIBE,
	 "minictl describe (-f FILENAME | TYPE [NAME_PREFIX | -l label] | TYPE/NAME) [options]", mc_run_describe},
	{"logs", "Troubleshooting and Debugging Commands", "Print what a container has logged", MC_HELP_LOGS,
	 "minictl logs [-f] [-p] (POD | TYPE/NAME) [-c CONTAINER] [options]", mc_run_logs},
	{"exec", "Troubleshooting and Debugging Commands", "Run a command in a container", MC_HELP_EXEC,
	 "minictl exec POD [-c CONTAINER] [-i] [-t] -- COMMAND [args...] [options]", mc_run_exec},
	{"apply", "Advanced Commands", "Create or update resources to match manifests", MC_HELP_APPLY,
	 "minictl apply (-f FILENAME | -k DIRECTORY) [options]", mc_run_apply},
	{"replace", "Advanced Commands", "Swap live resources for manifests", MC_HELP_REPLACE,
	 "minictl replace -f FILENAME [options]", mc_run_replace},
	{"wait", "Advanced Commands", "Experimental: block until resources meet a condition",
	 MC_HELP_WAIT,
	 "minictl wait ([-f FILENAME] | resource.group/resource.name | resource.group [(-l label | --all)]) [--for=delete|--for condition=available|--for=jsonpath='{}'[=value]] [options]",
	 mc_run_wait},
	{"label", "Settings Commands", "Add, change or remove labels", MC_HELP_LABEL,
	 "minictl label [--overwrite] (-f FILENAME | TYPE NAME) KEY_1=VAL_1 ... KEY_N=VAL_N [--resource-version=version] [options]",
	 mc_run_label},
	{"annotate", "Settings Commands", "Add, change or remove annotations", MC_HELP_ANNOTATE,
	 "minictl annotate [--overwrite] (-f FILENAME | TYPE NAME) KEY_1=VAL_1 ... KEY_N=VAL_N [--resource-version=version] [options]",
	 mc_run_annotate},
	{"completion", "Settings Commands", "Print a bash completion script",
	 MC_HELP_COMPLETION, "minictl completion SHELL [options]", mc_run_completion},
	{"api-resources", "Other Commands", "List the resource types the server offers", MC_HELP_API_RESOURCES,
	 "minictl api-resources [flags] [options]", mc_run_api_resources},
	{"config", "Other Commands", "Read and change kubeconfig files", MC_HELP_CONFIG,
	 "minictl config SUBCOMMAND [options]   (SUBCOMMAND: view, current-context, get-contexts, use-context, set-context)",
	 mc_run_config},
	{"auth", "Cluster Management Commands", "Ask what you are allowed to do",
	 "Ask the server whether the current user may perform an action (a SelfSubjectAccessReview);\n"
	 "prints yes or no and exits 0 or 1.\n\n"
	 "Examples:\n  # May I create deployments in the current namespace?\n  minictl auth can-i create deployments\n\n"
	 "  # May I read the logs of the pods in namespace staging?\n  minictl auth can-i get pods --subresource=log -n staging\n\n"
	 "  # May I fetch the /healthz path?\n  minictl auth can-i get /healthz",
	 "minictl auth can-i VERB [TYPE | TYPE/NAME | NONRESOURCEURL] [options]", mc_run_auth},
	{"version", "Other Commands", "Show the client and server versions", MC_HELP_VERSION,
	 "minictl version [flags] [options]", mc_run_version},
	{"options", NULL, "List the flags every command accepts", MC_HELP_OPTIONS, "minictl options [flags] [options]",
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
		{"kubeconfig", 0, MC_FLAG_STRING, &c->kubeconfig, "''", "Read the connection settings from this kubeconfig file."},
		{"context", 0, MC_FLAG_STRING, &c->context, "''", "Use this context of the kubeconfig instead of the current one."},
		{"cluster", 0, MC_FLAG_STRING, &c->cluster, "''", "Use this cluster entry of the kubeconfig."},
		{"user", 0, MC_FLAG_STRING, &c->user, "''", "Use this user entry of the kubeconfig."},
		{"server", 's', MC_FLAG_STRING, &c->server, "''", "Talk to the API server at this address (host and port)."},
		{"token", 0, MC_FLAG_STRING, &c->token, "''", "Send this bearer token to the API server to authenticate."},
		{"namespace", 'n', MC_FLAG_STRING, &c->ns_flag, "''", "Work in this namespace instead of the context's one."},
		{"certificate-authority", 0, MC_FLAG_STRING, &c->ca_file, "''", "File holding the CA certificate that signed the server's certificate."},
		{"client-certificate", 0, MC_FLAG_STRING, &c->cert_file, "''", "File holding the TLS client certificate to present."},
		{"client-key", 0, MC_FLAG_STRING, &c->key_file, "''", "File holding the private key of the TLS client certificate."},
		{"insecure-skip-tls-verify", 0, MC_FLAG_BOOL, &c->insecure, "false",
		 "Accept any server certificate without checking it. Unsafe: anyone in\n\tbetween can read and change the traffic."},
		{"request-timeout", 0, MC_FLAG_STRING, &c->request_timeout, "'0'",
		 "How long one request to the server may take before it is abandoned, with a\n\tunit (30s, 2m, 1h); 0 waits without limit."},
		{"v", 'v', MC_FLAG_INT, &c->v, "0", "How much to log: higher numbers print more detail."},
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
	cm_buf_printf(&b, "Usage:\n  %s\n\nRun \"minictl options\" to see the flags that every command takes.\n",
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
	cm_buf_puts(&b, "Every command accepts these flags:\n\n");
	mc_args_usage(g, NGLOBAL, &b);
	fputs(b.data, c->out);
	cm_buf_close(&b);
	return 0;
}

static void print_main_help(FILE *out)
{
	const char *group = NULL;

	fputs("minictl drives a minik8s cluster from the command line.\n\n"
	      " It talks to the Kubernetes API and takes the same verbs and flags as kubectl.\n",
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
	      "Run \"minictl <command> --help\" to see what a command does, its flags and examples.\n"
	      "Run \"minictl options\" to see the flags that every command takes.\n",
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
	if (rc == MC_FAIL && c.exit_code > 0)
		rc = c.exit_code; /* exec: the remote command's own code */
	else
		rc = rc == MC_STOP ? 0 : rc ? 1 : 0;
	mc_ctx_close(&c);
	free(rest);
	fflush(out);
	return rc;
}
