/* docker_json.c: the docker backend's request and response bodies: pod spec -> container create, inspect -> status. */
#include "kubelet/runtime/docker_json.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/json.h"
#include "common/timeutil.h"

int kl_docker_name(const char *ctr, const char *pod, const char *ns, const char *uid, int attempt,
		   struct cm_buf *out)
{
	return cm_buf_printf(out, "mk8s_%s_%s_%s_%s_%d", ctr, pod, ns, uid, attempt) < 0 ? -ENOMEM : 0;
}

static cJSON *strings(const char *const *v)
{
	cJSON *a = cJSON_CreateArray();

	for (; a && v && *v; v++)
		if (!cJSON_AddItemToArray(a, cJSON_CreateString(*v))) {
			cJSON_Delete(a);
			return NULL;
		}
	return a;
}

static bool add_labels(cJSON *o, const char *uid, const char *ns, const char *pod, const char *ctr, int attempt,
		       const char *node, bool sandbox)
{
	cJSON *l = cJSON_AddObjectToObject(o, "Labels");
	char n[16];

	snprintf(n, sizeof(n), "%d", attempt);
	return l && cJSON_AddStringToObject(l, KL_DOCKER_LABEL_UID, uid) &&
	       cJSON_AddStringToObject(l, KL_DOCKER_LABEL_NS, ns) && cJSON_AddStringToObject(l, KL_DOCKER_LABEL_POD, pod) &&
	       cJSON_AddStringToObject(l, KL_DOCKER_LABEL_CTR, ctr) && cJSON_AddStringToObject(l, KL_DOCKER_LABEL_ATTEMPT, n) &&
	       cJSON_AddStringToObject(l, KL_DOCKER_LABEL_NODE, node ? node : "") &&
	       cJSON_AddStringToObject(l, KL_DOCKER_LABEL_TYPE, sandbox ? "sandbox" : "container");
}

static int finish(cJSON *o, bool ok, struct cm_buf *out)
{
	int rc = ok ? cm_json_print(o, out) : -ENOMEM;

	cJSON_Delete(o);
	return rc < 0 ? -ENOMEM : 0;
}

int kl_docker_create_body(const struct kl_container_config *cfg, const char *network_mode, const char *node,
			  struct cm_buf *out)
{
	cJSON *o = cJSON_CreateObject(), *env = NULL, *hc = NULL, *binds = NULL;
	struct cm_buf b = CM_BUF_INIT;
	bool ok = o != NULL;

	ok = ok && cJSON_AddStringToObject(o, "Image", cfg->image ? cfg->image : "");
	/* command replaces the image's ENTRYPOINT and, with it, its CMD: an empty Cmd says so */
	if (ok && cfg->spec_command && cfg->spec_command[0]) {
		ok = cJSON_AddItemToObject(o, "Entrypoint", strings(cfg->spec_command)) &&
		     cJSON_AddItemToObject(o, "Cmd", strings(cfg->spec_args));
	} else if (ok && cfg->spec_args && cfg->spec_args[0]) {
		ok = cJSON_AddItemToObject(o, "Cmd", strings(cfg->spec_args));
	}
	ok = ok && (env = cJSON_AddArrayToObject(o, "Env"));
	for (size_t i = 0; ok && i < cfg->n_env; i++) {
		cm_buf_reset(&b);
		ok = cm_buf_printf(&b, "%s=%s", cfg->env[i].name, cfg->env[i].value) == 0 &&
		     cJSON_AddItemToArray(env, cJSON_CreateString(b.data));
	}
	if (ok && cfg->working_dir && *cfg->working_dir)
		ok = cJSON_AddStringToObject(o, "WorkingDir", cfg->working_dir);
	ok = ok && add_labels(o, cfg->pod_uid, cfg->pod_namespace, cfg->pod_name, cfg->name, cfg->attempt, node, false);
	ok = ok && (hc = cJSON_AddObjectToObject(o, "HostConfig")) &&
	     cJSON_AddStringToObject(hc, "NetworkMode", network_mode) && (binds = cJSON_AddArrayToObject(hc, "Binds"));
	for (size_t i = 0; ok && i < cfg->n_mounts; i++) {
		cm_buf_reset(&b);
		ok = cm_buf_printf(&b, "%s:%s:%s", cfg->mounts[i].host_path, cfg->mounts[i].path,
				   cfg->mounts[i].read_only ? "ro" : "rw") == 0 &&
		     cJSON_AddItemToArray(binds, cJSON_CreateString(b.data));
	}
	/* the pod's containers share the sandbox's IPC namespace, as Kubernetes' do */
	if (ok && !strncmp(network_mode, "container:", 10))
		ok = cJSON_AddStringToObject(hc, "IpcMode", network_mode);
	if (ok && cfg->memory_limit > 0)
		ok = cJSON_AddNumberToObject(hc, "Memory", (double)cfg->memory_limit);
	if (ok && cfg->cpu_limit_m > 0)
		ok = cJSON_AddNumberToObject(hc, "NanoCpus", (double)cfg->cpu_limit_m * 1e6);
	if (ok && cfg->pids_limit > 0)
		ok = cJSON_AddNumberToObject(hc, "PidsLimit", (double)cfg->pids_limit);
	/* the kubelet restarts containers (a new attempt each time), never docker */
	ok = ok && cJSON_AddObjectToObject(hc, "RestartPolicy") &&
	     cJSON_AddStringToObject(cJSON_GetObjectItem(hc, "RestartPolicy"), "Name", "no");
	cm_buf_close(&b);
	return finish(o, ok, out);
}

int kl_docker_sandbox_body(const struct kl_sandbox_config *cfg, const char *image, const char *const *cmd,
			   const char *network_mode, const char *hostname, const char *node, struct cm_buf *out)
{
	cJSON *o = cJSON_CreateObject(), *hc = NULL;
	bool ok = o != NULL;

	ok = ok && cJSON_AddStringToObject(o, "Image", image);
	if (ok && cmd)
		ok = cJSON_AddItemToObject(o, "Cmd", strings(cmd));
	if (ok && hostname && *hostname && strcmp(network_mode, "host"))
		ok = cJSON_AddStringToObject(o, "Hostname", hostname);
	ok = ok && add_labels(o, cfg->pod_uid, cfg->pod_namespace, cfg->pod_name, KL_DOCKER_SANDBOX_CTR, 0, node, true);
	ok = ok && (hc = cJSON_AddObjectToObject(o, "HostConfig")) &&
	     cJSON_AddStringToObject(hc, "NetworkMode", network_mode) &&
	     cJSON_AddStringToObject(hc, "IpcMode", "shareable") && cJSON_AddObjectToObject(hc, "RestartPolicy") &&
	     cJSON_AddStringToObject(cJSON_GetObjectItem(hc, "RestartPolicy"), "Name", "no");
	return finish(o, ok, out);
}

static const char *label(const cJSON *labels, const char *name)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(labels, name);

	return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* Docker writes "0001-01-01T00:00:00Z" for a time that never was. */
static int64_t when(const cJSON *state, const char *field)
{
	int64_t ms = 0;

	if (cm_time_parse(cm_json_str_or(state, field, ""), &ms) < 0 || ms <= 0)
		return 0;
	return ms;
}

static void map_state(const cJSON *state, struct kl_container_status *st)
{
	const char *status = cm_json_str_or(state, "Status", "");
	const char *err = cm_json_str_or(state, "Error", "");

	st->pid = (int)cm_json_int64_or(state, "Pid", 0);
	st->exit_code = (int)cm_json_int64_or(state, "ExitCode", 0);
	st->started_ms = when(state, "StartedAt");
	st->finished_ms = when(state, "FinishedAt");
	if (!strcmp(status, "running") || !strcmp(status, "paused") || !strcmp(status, "restarting")) {
		st->state = KL_CSTATE_RUNNING;
	} else if (!strcmp(status, "created") && !*err) {
		st->state = KL_CSTATE_CREATED;
	} else if (!strcmp(status, "created")) {
		/* docker made it but could not start it (no such executable, ...) */
		st->state = KL_CSTATE_EXITED;
		st->exit_code = 128;
		snprintf(st->reason, sizeof(st->reason), "StartError");
		snprintf(st->message, sizeof(st->message), "%s", err);
		return;
	} else if (*status) {
		st->state = KL_CSTATE_EXITED;
	}
	if (st->state != KL_CSTATE_EXITED)
		return;
	if (cJSON_IsTrue(cm_json_get(state, "OOMKilled")))
		snprintf(st->reason, sizeof(st->reason), "OOMKilled");
	else
		snprintf(st->reason, sizeof(st->reason), "%s", st->exit_code == 0 ? "Completed" : "Error");
	if (*err)
		snprintf(st->message, sizeof(st->message), "%s", err);
}

int kl_docker_parse_inspect(const cJSON *j, const char *network, struct kl_docker_info *out)
{
	const cJSON *labels = cm_json_get(j, "Config.Labels");
	const cJSON *nets = cm_json_get(j, "NetworkSettings.Networks");
	const char *uid = label(labels, KL_DOCKER_LABEL_UID), *ctr = label(labels, KL_DOCKER_LABEL_CTR);
	const char *name = cm_json_get_str(j, "Name"), *ip = NULL, *mode;
	struct kl_docker_info info = {0};

	if (!uid || !ctr || !name || !cJSON_IsObject(cm_json_get(j, "State")))
		return -EINVAL;
	snprintf(info.name, sizeof(info.name), "%s", name[0] == '/' ? name + 1 : name);
	snprintf(info.pod_uid, sizeof(info.pod_uid), "%s", uid);
	snprintf(info.ctr, sizeof(info.ctr), "%s", ctr);
	info.attempt = atoi(label(labels, KL_DOCKER_LABEL_ATTEMPT) ? label(labels, KL_DOCKER_LABEL_ATTEMPT) : "0");
	info.sandbox = !strcmp(label(labels, KL_DOCKER_LABEL_TYPE) ? label(labels, KL_DOCKER_LABEL_TYPE) : "", "sandbox");
	mode = cm_json_str_or(j, "HostConfig.NetworkMode", "");
	info.host_network = !strcmp(mode, "host");
	if (network)
		ip = cm_json_get_str(cJSON_GetObjectItemCaseSensitive(nets, network), "IPAddress");
	if (!ip || !*ip)
		ip = cm_json_get_str(j, "NetworkSettings.IPAddress");
	if (ip)
		snprintf(info.ip, sizeof(info.ip), "%s", ip);
	map_state(cm_json_get(j, "State"), &info.st);
	*out = info;
	return 0;
}

void kl_docker_error_message(const char *body, size_t len, char *out, size_t size)
{
	cJSON *j = NULL;
	const char *m;

	if (cm_json_parse(body, len, &j, NULL) == 0 && (m = cm_json_get_str(j, "message")))
		snprintf(out, size, "%s", m);
	else
		snprintf(out, size, "%.*s", (int)(len < size ? len : size - 1), body ? body : "");
	cJSON_Delete(j);
	/* a trailing newline reads badly inside a status message */
	for (size_t n = strlen(out); n && (out[n - 1] == '\n' || out[n - 1] == '\r'); n--)
		out[n - 1] = '\0';
}
