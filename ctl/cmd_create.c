/* cmd_create.c: verbs that build objects from flags: create deployment|namespace|configmap|secret, run, expose. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/base64.h"
#include "common/json.h"
#include "ctl/cli.h"
#include "ctl/target.h"
#include "ctl/write.h"

/* The container name kubectl derives from an image: "docker.io/library/nginx:1.25" -> "nginx". */
static void image_name(const char *image, char *out, size_t n)
{
	const char *slash = strrchr(image, '/'), *base = slash ? slash + 1 : image;
	size_t len = strcspn(base, ":@");
	size_t j = 0;

	for (size_t i = 0; i < len && j + 1 < n; i++) {
		char ch = base[i];
		if (ch >= 'A' && ch <= 'Z')
			ch = (char)(ch + 32);
		out[j++] = (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '-' ? ch : '-';
	}
	out[j] = '\0';
}

/* Reads a whole file into out. Returns 0 or a negative errno. */
static int slurp(const char *path, struct cm_buf *out)
{
	FILE *f = fopen(path, "rb");
	char chunk[8192];
	size_t n;
	int rc = 0;

	if (!f)
		return -errno;
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0 && !rc)
		rc = cm_buf_append(out, chunk, n);
	fclose(f);
	return rc;
}

/* Fills data from --from-literal k=v and --from-file [k=]path; base64 encodes for secrets. */
static int fill_data(struct mc_ctx *c, cJSON *data, const struct mc_strv *literals, const struct mc_strv *files, bool b64)
{
	for (size_t i = 0; i < literals->n + files->n; i++) {
		bool lit = i < literals->n;
		const char *arg = lit ? literals->v[i] : files->v[i - literals->n];
		const char *eq = strchr(arg, '=');
		char key[256];
		struct cm_buf val = CM_BUF_INIT, enc = CM_BUF_INIT;
		const char *path;
		if (lit && !eq)
			return mc_errorf(c, "invalid literal source %s, expected key=value", arg);
		if (lit) {
			snprintf(key, sizeof(key), "%.*s", (int)(eq - arg), arg);
			cm_buf_puts(&val, eq + 1);
		} else {
			path = eq ? eq + 1 : arg;
			if (eq)
				snprintf(key, sizeof(key), "%.*s", (int)(eq - arg), arg);
			else
				snprintf(key, sizeof(key), "%s", strrchr(path, '/') ? strrchr(path, '/') + 1 : path);
			if (slurp(path, &val)) {
				cm_buf_close(&val);
				return mc_errorf(c, "error reading %s: no such file or directory", path);
			}
		}
		if (b64) {
			cm_base64_encode(val.data ? val.data : "", val.len, &enc);
			cJSON_AddStringToObject(data, key, enc.data ? enc.data : "");
		} else {
			cJSON_AddStringToObject(data, key, val.data ? val.data : "");
		}
		cm_buf_close(&val);
		cm_buf_close(&enc);
	}
	return 0;
}

static cJSON *new_object(const char *api_version, const char *kind, const char *name)
{
	cJSON *o = cJSON_CreateObject();

	cJSON_AddStringToObject(o, "apiVersion", api_version);
	cJSON_AddStringToObject(o, "kind", kind);
	cJSON_AddStringToObject(cJSON_AddObjectToObject(o, "metadata"), "name", name);
	return o;
}

/* Sends one generated object as create does, and frees it. */
static int create_generated(struct mc_ctx *c, cJSON *obj, const struct mc_create_opts *o)
{
	cJSON *arr = cJSON_CreateArray();
	int rc;

	cJSON_AddItemToArray(arr, obj);
	rc = mc_create_objects(c, arr, o);
	cJSON_Delete(arr);
	return rc;
}

int mc_run_create(struct mc_ctx *c, const struct mc_cmd *cmd, int argc, char **argv)
{
	struct mc_strv pos = {0}, dash = {0}, literals = {0}, files = {0}, fnames = {0};
	const char *image = NULL, *dry_run = NULL, *output = NULL, *type = NULL;
	long replicas = 1, port = -1;
	bool save_config = false, recursive = false;
	cJSON *obj = NULL;
	const struct mc_flag flags[] = {
		{"filename", 'f', MC_FLAG_ARRAY, &fnames, "[]", "Manifest file or directory to create from; \"-\" reads stdin. Repeatable."},
		{"recursive", 'R', MC_FLAG_BOOL, &recursive, "false", "Also read the subdirectories of a directory given with -f."},
		{"image", 0, MC_FLAG_STRING, &image, "[]", "create deployment: the container image to run."},
		{"replicas", 'r', MC_FLAG_INT, &replicas, "1", "create deployment: how many pods to keep running."},
		{"port", 0, MC_FLAG_INT, &port, "-1", "create deployment: the container port to declare."},
		{"from-literal", 0, MC_FLAG_ARRAY, &literals, "[]", "Add the entry KEY=VALUE. Repeatable."},
		{"from-file", 0, MC_FLAG_ARRAY, &files, "[]", "Add a file's content as an entry: PATH uses the file name as key, KEY=PATH\n\tnames the key. Repeatable."},
		{"type", 0, MC_FLAG_STRING, &type, "''", "The type field of the new secret."},
		{"dry-run", 0, MC_FLAG_STRING, &dry_run, "'none'", "One of none, server, client: client or server only try the change, nothing is stored."},
		{"output", 'o', MC_FLAG_STRING, &output, "''", "Print the result as json, yaml, name or jsonpath=TEMPLATE."},
		{"save-config", 0, MC_FLAG_BOOL, &save_config, "false", "Keep the manifest in the last-applied annotation, so apply can be used later."},
	};
	int rc;

	/* create -f goes through the manifest writer with its own flags */
	for (int i = 0; i < argc; i++)
		if (!strcmp(argv[i], "-f") || !strncmp(argv[i], "--filename", 10) || !strncmp(argv[i], "-f", 2))
			return mc_create_from_files(c, cmd, argc, argv);
	rc = mc_cmd_parse(c, cmd, flags, sizeof(flags) / sizeof(flags[0]), argc, argv, &pos, &dash);
	if (rc)
		goto done;
	if (pos.n < 1) {
		rc = mc_usage_error(c, cmd, "must specify one of -f and -k");
		goto done;
	}
	const char *what = pos.v[0], *name = pos.n > 1 ? pos.v[1] : NULL;
	if (!strcmp(what, "secret")) {
		/* "create secret generic NAME" */
		if (pos.n < 3 || strcmp(pos.v[1], "generic")) {
			rc = mc_usage_error(c, cmd, "only \"create secret generic NAME\" is supported");
			goto done;
		}
		name = pos.v[2];
	}
	if (!name) {
		rc = mc_usage_error(c, cmd, "NAME is required");
		goto done;
	}
	if (!strcmp(what, "namespace") || !strcmp(what, "ns")) {
		obj = new_object("v1", "Namespace", name);
	} else if (!strcmp(what, "configmap") || !strcmp(what, "cm")) {
		obj = new_object("v1", "ConfigMap", name);
		if ((rc = fill_data(c, cJSON_AddObjectToObject(obj, "data"), &literals, &files, false)))
			goto done;
	} else if (!strcmp(what, "secret")) {
		obj = new_object("v1", "Secret", name);
		cJSON_AddStringToObject(obj, "type", type && *type ? type : "Opaque");
		if ((rc = fill_data(c, cJSON_AddObjectToObject(obj, "data"), &literals, &files, true)))
			goto done;
	} else if (!strcmp(what, "deployment") || !strcmp(what, "deploy")) {
		cJSON *labels, *spec, *tmpl, *containers, *ctr;
		char cname[128];
		if (!image) {
			rc = mc_usage_error(c, cmd, "required flag(s) \"image\" not set");
			goto done;
		}
		obj = new_object("apps/v1", "Deployment", name);
		labels = cJSON_AddObjectToObject(cJSON_GetObjectItem(obj, "metadata"), "labels");
		cJSON_AddStringToObject(labels, "app", name);
		spec = cJSON_AddObjectToObject(obj, "spec");
		cJSON_AddNumberToObject(spec, "replicas", (double)replicas);
		cJSON_AddItemToObject(cJSON_AddObjectToObject(spec, "selector"), "matchLabels", cJSON_Duplicate(labels, 1));
		tmpl = cJSON_AddObjectToObject(spec, "template");
		cJSON_AddItemToObject(cJSON_AddObjectToObject(tmpl, "metadata"), "labels", cJSON_Duplicate(labels, 1));
		containers = cJSON_AddArrayToObject(cJSON_AddObjectToObject(tmpl, "spec"), "containers");
		ctr = cJSON_CreateObject();
		image_name(image, cname, sizeof(cname));
		cJSON_AddStringToObject(ctr, "name", cname);
		cJSON_AddStringToObject(ctr, "image", image);
		if (port >= 0) {
			cJSON *p = cJSON_CreateObject();
			cJSON_AddNumberToObject(p, "containerPort", (double)port);
			cJSON_AddItemToArray(cJSON_AddArrayToObject(ctr, "ports"), p);
		}
		if (dash.n) {
			cJSON *cmdv = cJSON_AddArrayToObject(ctr, "command");
			for (size_t i = 0; i < dash.n; i++)
				cJSON_AddItemToArray(cmdv, cJSON_CreateString(dash.v[i]));
		}
		cJSON_AddItemToArray(containers, ctr);
	} else {
		rc = mc_usage_error(c, cmd, "unknown object type; use deployment, namespace, configmap or secret generic");
		goto done;
	}
	rc = create_generated(c, obj, &(struct mc_create_opts){.dry_run = dry_run, .output = output, .save_config = save_config});
	obj = NULL;
done:
	cJSON_Delete(obj);
	mc_strv_close(&pos);
	mc_strv_close(&dash);
	mc_strv_close(&literals);
	mc_strv_close(&files);
	mc_strv_close(&fnames);
	return rc;
}

/* "a=b,c=d" into obj. Returns 0 or -EINVAL. */
static int parse_labels(const char *s, cJSON *obj)
{
	char *copy = strdup(s), *save = NULL, *tok;
	int rc = 0;

	for (tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(tok, '=');
		if (!eq) {
			rc = -EINVAL;
			break;
		}
		*eq = '\0';
		cJSON_AddStringToObject(obj, tok, eq + 1);
	}
	free(copy);
	return rc;
}

int mc_run_run(struct mc_ctx *c, const struct mc_cmd *cmd, int argc, char **argv)
{
	struct mc_strv pos = {0}, dash = {0}, env = {0};
	const char *image = NULL, *labels = NULL, *restart = "Always", *dry_run = NULL, *output = NULL, *pull = NULL;
	long port = -1;
	bool command = false;
	cJSON *obj = NULL, *spec, *ctr, *lab;
	const struct mc_flag flags[] = {
		{"image", 0, MC_FLAG_STRING, &image, "''", "Container image the pod runs."},
		{"port", 0, MC_FLAG_INT, &port, "-1", "Container port to declare."},
		{"env", 0, MC_FLAG_ARRAY, &env, "[]", "Set the environment variable NAME=VALUE in the container. Repeatable."},
		{"labels", 'l', MC_FLAG_STRING, &labels, "''", "Labels of the pod, as key=value pairs joined by commas."},
		{"restart", 0, MC_FLAG_STRING, &restart, "'Always'", "Restart policy of the pod: Always, OnFailure or Never."},
		{"command", 0, MC_FLAG_BOOL, &command, "false", "Put the words after \"--\" in the container's command instead of its args."},
		{"image-pull-policy", 0, MC_FLAG_STRING, &pull, "''", "When to pull the image: Always, IfNotPresent or Never."},
		{"dry-run", 0, MC_FLAG_STRING, &dry_run, "'none'", "One of none, server, client: client or server only try the change, nothing is stored."},
		{"output", 'o', MC_FLAG_STRING, &output, "''", "Print the result as json, yaml, name or jsonpath=TEMPLATE."},
	};
	int rc = mc_cmd_parse(c, cmd, flags, sizeof(flags) / sizeof(flags[0]), argc, argv, &pos, &dash);

	if (rc)
		goto done;
	if (pos.n != 1) {
		rc = mc_usage_error(c, cmd, "NAME is required for run");
		goto done;
	}
	if (!image || !*image) {
		rc = mc_usage_error(c, cmd, "required flag(s) \"image\" not set");
		goto done;
	}
	obj = new_object("v1", "Pod", pos.v[0]);
	lab = cJSON_AddObjectToObject(cJSON_GetObjectItem(obj, "metadata"), "labels");
	if (labels && *labels) {
		if (parse_labels(labels, lab)) {
			rc = mc_usage_error(c, cmd, "invalid label spec");
			goto done;
		}
	} else {
		cJSON_AddStringToObject(lab, "run", pos.v[0]);
	}
	spec = cJSON_AddObjectToObject(obj, "spec");
	ctr = cJSON_CreateObject();
	cJSON_AddStringToObject(ctr, "name", pos.v[0]);
	cJSON_AddStringToObject(ctr, "image", image);
	if (pull && *pull)
		cJSON_AddStringToObject(ctr, "imagePullPolicy", pull);
	if (dash.n) {
		cJSON *a = cJSON_AddArrayToObject(ctr, command ? "command" : "args");
		for (size_t i = 0; i < dash.n; i++)
			cJSON_AddItemToArray(a, cJSON_CreateString(dash.v[i]));
	}
	if (port >= 0) {
		cJSON *p = cJSON_CreateObject();
		cJSON_AddNumberToObject(p, "containerPort", (double)port);
		cJSON_AddItemToArray(cJSON_AddArrayToObject(ctr, "ports"), p);
	}
	if (env.n) {
		cJSON *e = cJSON_AddArrayToObject(ctr, "env");
		for (size_t i = 0; i < env.n; i++) {
			const char *eq = strchr(env.v[i], '=');
			cJSON *kv = cJSON_CreateObject();
			char key[256];
			snprintf(key, sizeof(key), "%.*s", eq ? (int)(eq - env.v[i]) : (int)strlen(env.v[i]), env.v[i]);
			cJSON_AddStringToObject(kv, "name", key);
			cJSON_AddStringToObject(kv, "value", eq ? eq + 1 : "");
			cJSON_AddItemToArray(e, kv);
		}
	}
	cJSON_AddItemToArray(cJSON_AddArrayToObject(spec, "containers"), ctr);
	cJSON_AddStringToObject(spec, "dnsPolicy", "ClusterFirst");
	cJSON_AddStringToObject(spec, "restartPolicy", restart);
	rc = create_generated(c, obj, &(struct mc_create_opts){.dry_run = dry_run, .output = output, .field_manager = "kubectl-run"});
	obj = NULL;
done:
	cJSON_Delete(obj);
	mc_strv_close(&pos);
	mc_strv_close(&dash);
	mc_strv_close(&env);
	return rc;
}

int mc_run_expose(struct mc_ctx *c, const struct mc_cmd *cmd, int argc, char **argv)
{
	struct mc_strv pos = {0}, dash = {0};
	struct mc_targets ts = {0};
	const char *port = NULL, *target_port = NULL, *type = NULL, *name = NULL, *protocol = "TCP", *dry_run = NULL,
		   *output = NULL, *selector = NULL;
	cJSON *src = NULL, *svc = NULL, *spec, *ports, *p, *sel = NULL;
	struct cm_buf path = CM_BUF_INIT;
	char portbuf[32];
	const struct mc_flag flags[] = {
		{"port", 0, MC_FLAG_STRING, &port, "''", "Port the service listens on; taken from the exposed resource when not given."},
		{"target-port", 0, MC_FLAG_STRING, &target_port, "''", "Container port (number or name) that traffic is sent to; defaults to --port."},
		{"type", 0, MC_FLAG_STRING, &type, "''", "Service type: ClusterIP (the default), NodePort, LoadBalancer or ExternalName."},
		{"name", 0, MC_FLAG_STRING, &name, "''", "Name of the new service; the exposed resource's name when not given."},
		{"protocol", 0, MC_FLAG_STRING, &protocol, "'TCP'", "Protocol of the service port: TCP (the default), UDP or SCTP."},
		{"selector", 0, MC_FLAG_STRING, &selector, "''", "Selector of the new service instead of the resource's own, as key=value pairs."},
		{"dry-run", 0, MC_FLAG_STRING, &dry_run, "'none'", "One of none, server, client: client or server only try the change, nothing is stored."},
		{"output", 'o', MC_FLAG_STRING, &output, "''", "Print the result as json, yaml, name or jsonpath=TEMPLATE."},
	};
	int rc = mc_cmd_parse(c, cmd, flags, sizeof(flags) / sizeof(flags[0]), argc, argv, &pos, &dash);

	if (rc)
		goto done;
	if ((rc = mc_targets_parse(c, &pos, 0, &ts)))
		goto done;
	if (ts.n != 1 || !ts.v[0].name) {
		rc = mc_usage_error(c, cmd, "You must provide the resource type and name to expose");
		goto done;
	}
	mc_resource_path(ts.v[0].res, c->ns, ts.v[0].name, &path);
	if ((rc = mc_get_json(c, path.data, false, &src)))
		goto done;
	if (selector && *selector) {
		sel = cJSON_CreateObject();
		parse_labels(selector, sel);
	} else if (!strcmp(ts.v[0].res->kind, "Pod")) {
		sel = cJSON_Duplicate(cm_json_get(src, "metadata.labels"), 1);
	} else if (!strcmp(ts.v[0].res->kind, "Service")) {
		sel = cJSON_Duplicate(cm_json_get(src, "spec.selector"), 1);
	} else {
		sel = cJSON_Duplicate(cm_json_get(src, "spec.selector.matchLabels"), 1);
	}
	if (!sel || !sel->child) {
		cJSON_Delete(sel);
		rc = mc_errorf(c, "couldn't retrieve selectors via --selector flag or introspection: the %s has no labels to select by",
			       ts.v[0].res->singular);
		goto done;
	}
	if (!port || !*port) {
		/* the first container port of the pod template (or pod) */
		const cJSON *cp = cm_json_get(src, "spec.template.spec.containers.0.ports.0.containerPort");
		if (!cp)
			cp = cm_json_get(src, "spec.containers.0.ports.0.containerPort");
		if (!cp)
			cp = cm_json_get(src, "spec.ports.0.port");
		if (!cJSON_IsNumber(cp)) {
			cJSON_Delete(sel);
			rc = mc_errorf(c, "couldn't find port via --port flag or introspection");
			goto done;
		}
		snprintf(portbuf, sizeof(portbuf), "%d", cp->valueint);
		port = portbuf;
	}
	svc = new_object("v1", "Service", name && *name ? name : ts.v[0].name);
	if (cm_json_get(src, "metadata.labels"))
		cJSON_AddItemToObject(cJSON_GetObjectItem(svc, "metadata"), "labels",
				      cJSON_Duplicate(cm_json_get(src, "metadata.labels"), 1));
	spec = cJSON_AddObjectToObject(svc, "spec");
	ports = cJSON_AddArrayToObject(spec, "ports");
	p = cJSON_CreateObject();
	cJSON_AddNumberToObject(p, "port", atoi(port));
	cJSON_AddStringToObject(p, "protocol", protocol);
	if (target_port && *target_port && strspn(target_port, "0123456789") != strlen(target_port))
		cJSON_AddStringToObject(p, "targetPort", target_port);
	else
		cJSON_AddNumberToObject(p, "targetPort", atoi(target_port && *target_port ? target_port : port));
	cJSON_AddItemToArray(ports, p);
	cJSON_AddItemToObject(spec, "selector", sel);
	if (type && *type)
		cJSON_AddStringToObject(spec, "type", type);
	rc = create_generated(c, svc, &(struct mc_create_opts){.dry_run = dry_run, .output = output,
							       .field_manager = "kubectl-expose", .verb = "exposed"});
	svc = NULL;
done:
	cJSON_Delete(src);
	cJSON_Delete(svc);
	cm_buf_close(&path);
	mc_targets_close(&ts);
	mc_strv_close(&pos);
	mc_strv_close(&dash);
	return rc;
}
