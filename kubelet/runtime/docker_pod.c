/* docker_pod.c: the docker backend's runtime interface: pods' sandboxes and containers as the kubelet asks for them. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common/fileio.h"
#include "common/log.h"
#include "kubelet/runtime/docker.h"

static void pod_dir(const struct dk *d, const char *uid, struct cm_buf *out)
{
	cm_buf_printf(out, "%s/%s", d->root, uid);
}

static int sandbox_name(const struct kl_sandbox_config *cfg, struct cm_buf *out)
{
	return kl_docker_name(KL_DOCKER_SANDBOX_CTR, cfg->pod_name, cfg->pod_namespace, cfg->pod_uid, 0, out);
}

/*
 * The pod's containers still running though its sandbox is dead or gone: they
 * hold a network no one reaches, so each is killed (SIGKILL: the pod's grace
 * period is the kubelet's, and the pod is cut off already), as Kubernetes'
 * kubelet kills a pod whose sandbox changed; the kubelet starts them again in
 * the new sandbox. Returns how many are not down yet (the kill is sent again
 * while they run: repeats are harmless).
 */
static int stop_orphans(struct dk *d, const char *pod_uid)
{
	int left = 0;

	for (struct dk_ctr *c = d->ctrs; c; c = c->next) {
		if (c->info.sandbox || c->removing || strcmp(c->info.pod_uid, pod_uid))
			continue;
		if (c->creating) {
			c->pending_sig = SIGKILL;
			left++;
		} else if (c->info.st.state == KL_CSTATE_RUNNING) {
			dk_ctr_signal(c, SIGKILL);
			left++;
		}
	}
	return left;
}

int dk_sandbox_create(struct kl_runtime *rt, const struct kl_sandbox_config *cfg, struct kl_sandbox *out)
{
	static const char *const sleeper[] = {"sleep", "2147483647", NULL};
	struct dk *d = rt->impl;
	struct cm_buf name = CM_BUF_INIT, dir = CM_BUF_INIT, body = CM_BUF_INIT;
	struct dk_ctr *c;
	struct dk_image *img;
	bool host = d->host_only || cfg->host_network;
	int rc = -ENOMEM;

	if (sandbox_name(cfg, &name) < 0)
		goto out;
	pod_dir(d, cfg->pod_uid, &dir);
	if ((c = dk_find(d, name.data))) {
		if (c->creating || c->info.st.state == KL_CSTATE_CREATED || c->removing) {
			rc = -EAGAIN;
		} else if (c->info.st.state == KL_CSTATE_RUNNING && (c->info.host_network || c->info.ip[0])) {
			if (!(out->dir = strdup(dir.data)) || (!c->info.host_network && !(out->ip = strdup(c->info.ip)))) {
				kl_sandbox_close(out);
				goto out;
			}
			rc = 0;
		} else if (c->info.st.state == KL_CSTATE_RUNNING) {
			dk_ctr_inspect(c); /* its address comes with the next inspect */
			rc = -EAGAIN;
		} else {
			/* the sandbox died: the pod's network went with it; a new one is made once it is gone */
			cm_warn("pod %s/%s: sandbox %s is not running: the pod's containers are killed and it is made "
				"again", cfg->pod_namespace, cfg->pod_name, c->name);
			stop_orphans(d, cfg->pod_uid);
			dk_ctr_remove(c);
			rc = -EAGAIN;
		}
		goto out;
	}
	rc = -EAGAIN;
	if (stop_orphans(d, cfg->pod_uid) > 0)
		goto out;
	rc = -ENOMEM;
	if (!(img = dk_image_get(d, d->infra)))
		goto out;
	if ((rc = dk_image_ready(d, img, "IfNotPresent")) < 0) {
		if (rc == -EINPROGRESS)
			rc = -EAGAIN;
		else if (rc == -EREMOTEIO)
			cm_warn("pod %s/%s: sandbox image %s: %s", cfg->pod_namespace, cfg->pod_name, d->infra, d->last_error);
		goto out;
	}
	if ((rc = cm_mkdir_p(dir.data, 0755)) < 0)
		goto out;
	/* an image with its own entrypoint (a real pause image) runs it; ours holds the namespaces by sleeping */
	if ((rc = kl_docker_sandbox_body(cfg, d->infra, img->has_entrypoint ? NULL : sleeper, host ? "host" : d->network,
					 cfg->hostname ? cfg->hostname : cfg->pod_name, d->node, &body)) < 0)
		goto out;
	rc = -ENOMEM;
	if (!(c = dk_ctr_new(d, name.data)))
		goto out;
	snprintf(c->info.name, sizeof(c->info.name), "%s", name.data);
	snprintf(c->info.pod_uid, sizeof(c->info.pod_uid), "%s", cfg->pod_uid);
	snprintf(c->info.ctr, sizeof(c->info.ctr), "%s", KL_DOCKER_SANDBOX_CTR);
	c->info.sandbox = true;
	c->info.host_network = host;
	if ((rc = dk_ctr_create(c, body.data)) < 0)
		dk_ctr_drop(c);
	else
		rc = -EAGAIN;
out:
	cm_buf_close(&name);
	cm_buf_close(&dir);
	cm_buf_close(&body);
	return rc;
}

int dk_sandbox_check(struct kl_runtime *rt, const char *pod_uid)
{
	struct dk *d = rt->impl;

	for (struct dk_ctr *c = d->ctrs; c; c = c->next)
		if (c->info.sandbox && !strcmp(c->info.pod_uid, pod_uid))
			return c->info.st.state == KL_CSTATE_EXITED || c->removing ? -ESTALE : 0;
	return -ESTALE; /* removed behind our back */
}

void dk_sandbox_release(struct kl_runtime *rt, const char *pod_uid)
{
	struct dk *d = rt->impl;

	for (struct dk_ctr *c = d->ctrs, *next; c; c = next) {
		next = c->next;
		if (strcmp(c->info.pod_uid, pod_uid))
			continue;
		/* its stream would write in the folder the thread pool is removing: the containers ended already */
		if (c->log_call)
			cm_http_call_cancel(c->log_call);
		dk_ctr_remove(c);
	}
}

/* Safe on any thread (sandbox_remove_any_thread): reads only d->root, which never changes. */
int dk_sandbox_remove_files(struct kl_runtime *rt, const char *pod_uid)
{
	struct dk *d = rt->impl;
	struct cm_buf dir = CM_BUF_INIT;

	if (!*pod_uid || strchr(pod_uid, '/') || strstr(pod_uid, ".."))
		return -EINVAL;
	pod_dir(d, pod_uid, &dir);
	if (!dir.data)
		return -ENOMEM;
	cm_remove_tree(dir.data);
	cm_buf_close(&dir);
	return 0;
}

int dk_sandbox_remove(struct kl_runtime *rt, const char *pod_uid)
{
	dk_sandbox_release(rt, pod_uid);
	return dk_sandbox_remove_files(rt, pod_uid);
}

int dk_container_start(struct kl_runtime *rt, const struct kl_container_config *cfg, char **id_out)
{
	struct dk *d = rt->impl;
	struct cm_buf name = CM_BUF_INIT, sb = CM_BUF_INIT, mode = CM_BUF_INIT, body = CM_BUF_INIT, logs = CM_BUF_INIT;
	struct kl_sandbox_config scfg = {cfg->pod_uid, cfg->pod_namespace, cfg->pod_name, false, NULL};
	struct dk_ctr *c, *box;
	struct dk_image *img;
	char *id;
	int rc = -ENOMEM;

	if (kl_docker_name(cfg->name, cfg->pod_name, cfg->pod_namespace, cfg->pod_uid, cfg->attempt, &name) < 0 ||
	    sandbox_name(&scfg, &sb) < 0)
		goto out;
	rc = -EEXIST;
	if (dk_find(d, name.data))
		goto out;
	rc = -EAGAIN;
	if (!(box = dk_find(d, sb.data)) || box->info.st.state != KL_CSTATE_RUNNING)
		goto out;
	rc = -ENOMEM;
	if (!(img = dk_image_get(d, cfg->image && *cfg->image ? cfg->image : "?")))
		goto out;
	if ((rc = dk_image_ready(d, img, cfg->pull_policy)) < 0)
		goto out;
	rc = -ENOMEM;
	if ((box->info.host_network ? cm_buf_puts(&mode, "host") : cm_buf_printf(&mode, "container:%s", sb.data)) < 0 ||
	    kl_docker_create_body(cfg, mode.data, d->node, &body) < 0)
		goto out;
	if ((rc = kl_runtime_log_file(d->root, cfg->pod_uid, cfg->name, cfg->attempt, &logs)) < 0)
		goto out;
	*strrchr(logs.data, '/') = '\0'; /* its folder: the follower's appends make the file */
	if ((rc = cm_mkdir_p(logs.data, 0755)) < 0)
		goto out;
	rc = -ENOMEM;
	if (!(id = strdup(name.data)) || !(c = dk_ctr_new(d, name.data))) {
		free(id);
		goto out;
	}
	snprintf(c->info.name, sizeof(c->info.name), "%s", name.data);
	snprintf(c->info.pod_uid, sizeof(c->info.pod_uid), "%s", cfg->pod_uid);
	snprintf(c->info.ctr, sizeof(c->info.ctr), "%s", cfg->name);
	c->info.attempt = cfg->attempt;
	if ((rc = dk_ctr_create(c, body.data)) < 0) {
		dk_ctr_drop(c);
		free(id);
		goto out;
	}
	*id_out = id;
out:
	cm_buf_close(&name);
	cm_buf_close(&sb);
	cm_buf_close(&mode);
	cm_buf_close(&body);
	cm_buf_close(&logs);
	return rc;
}

int dk_container_signal(struct kl_runtime *rt, const char *id, int sig)
{
	struct dk_ctr *c = dk_find(rt->impl, id);

	if (!c)
		return -ENOENT;
	if (c->creating) {
		c->pending_sig = c->pending_sig == SIGKILL ? SIGKILL : sig;
		return 0;
	}
	if (c->info.st.state == KL_CSTATE_RUNNING)
		dk_ctr_signal(c, sig);
	return 0;
}

int dk_container_status(struct kl_runtime *rt, const char *id, struct kl_container_status *out)
{
	struct dk_ctr *c = dk_find(rt->impl, id);

	if (!c || c->info.sandbox) {
		memset(out, 0, sizeof(*out));
		return -ENOENT;
	}
	*out = c->info.st;
	return 0;
}

int dk_container_remove(struct kl_runtime *rt, const char *id)
{
	struct dk_ctr *c = dk_find(rt->impl, id);

	if (c)
		dk_ctr_remove(c);
	return 0;
}

int dk_log_path(struct kl_runtime *rt, const char *id, struct cm_buf *out)
{
	struct dk *d = rt->impl;
	struct dk_ctr *c = dk_find(d, id);

	if (!c || c->info.sandbox)
		return -ENOENT;
	dk_log_file(d, &c->info, out);
	return out->data ? 0 : -ENOMEM;
}

int dk_log_path_before(struct kl_runtime *rt, const char *pod_uid, const char *name, int attempt, struct cm_buf *out)
{
	struct dk *d = rt->impl;

	return kl_runtime_log_before(d->root, pod_uid, name, attempt, out);
}

int dk_list(struct kl_runtime *rt, kl_runtime_list_cb cb, void *ud)
{
	struct dk *d = rt->impl;

	for (struct dk_ctr *c = d->ctrs, *next; c; c = next) {
		next = c->next; /* cb may kill or remove */
		/* sandboxes too ("POD", a name no spec has): a pod deleted before its first container still had one */
		if (!c->removing)
			cb(c->info.pod_uid, c->info.ctr, c->info.attempt, c->name, ud);
	}
	return 0;
}

int dk_last_error(struct kl_runtime *rt, struct cm_buf *out)
{
	struct dk *d = rt->impl;

	if (!d->last_error[0])
		return -ENOENT;
	return cm_buf_puts(out, d->last_error) < 0 ? -ENOMEM : 0;
}
