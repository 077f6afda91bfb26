/* docker.c: the docker runtime backend: pods' sandboxes and containers through the Docker Engine API. */
#define _XOPEN_SOURCE 700 /* nftw */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/err.h"
#include "common/fileio.h"
#include "common/json.h"
#include "common/log.h"
#include "common/timeutil.h"
#include "kubelet/runtime/crilog.h"
#include "kubelet/runtime/docker.h"

#define CALL_TIMEOUT_MS 60000L /* a create or start on a slow storage driver takes seconds */
#define RESYNC_MS 3000
#define STARTUP_MS 15000

/* ---- plumbing ---- */

int dk_send(struct dk *d, const char *method, const char *path, const char *body, long timeout_ms,
	    cm_http_line_cb on_line, cm_http_data_cb on_data, cm_http_done_cb done, void *ud,
	    struct cm_http_call **call)
{
	struct cm_buf url = CM_BUF_INIT;
	struct cm_http_request req = {0};
	int rc;

	if (d->closing)
		return -CM_ESTOPPED;
	if (cm_buf_printf(&url, "%s%s", d->base, path) < 0)
		return -ENOMEM;
	req.method = method;
	req.url = url.data;
	req.body = body;
	req.body_len = body ? strlen(body) : 0;
	req.timeout_ms = timeout_ms;
	req.on_line = on_line;
	req.on_data = on_data;
	rc = cm_http_client_send(d->http, &req, done, ud, call);
	cm_buf_close(&url);
	return rc;
}

int dk_query_escape(const char *s, struct cm_buf *out)
{
	static const char hex[] = "0123456789ABCDEF";

	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;
		int rc = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
				 strchr("-_.~", ch)
			 ? cm_buf_putc(out, (char)ch)
			 : cm_buf_printf(out, "%%%c%c", hex[ch >> 4], hex[ch & 15]);

		if (rc < 0)
			return -ENOMEM;
	}
	return 0;
}

struct dk_ctr *dk_find(struct dk *d, const char *name)
{
	for (struct dk_ctr *c = d->ctrs; c; c = c->next)
		if (!strcmp(c->name, name))
			return c;
	return NULL;
}

static void ctr_unref(struct dk_ctr *c)
{
	if (--c->refs > 0)
		return;
	kl_docker_demux_close(&c->demux);
	free(c->name);
	free(c);
}

static struct dk_ctr *ctr_new(struct dk *d, const char *name)
{
	struct dk_ctr *c = calloc(1, sizeof(*c));

	if (!c || !(c->name = strdup(name))) {
		free(c);
		return NULL;
	}
	c->d = d;
	c->refs = 1;
	kl_docker_demux_init(&c->demux, 0);
	c->next = d->ctrs;
	d->ctrs = c;
	return c;
}

/* Forgets c: it is gone from docker. Calls in flight keep it alive until they end. */
static void ctr_drop(struct dk_ctr *c)
{
	struct dk *d = c->d;

	if (c->dropped)
		return;
	for (struct dk_ctr **pp = &d->ctrs; *pp; pp = &(*pp)->next) {
		if (*pp == c) {
			*pp = c->next;
			break;
		}
	}
	c->dropped = true;
	if (c->log_call)
		cm_http_call_cancel(c->log_call);
	ctr_unref(c);
}

static void pod_dir(struct dk *d, const char *uid, struct cm_buf *out)
{
	cm_buf_printf(out, "%s/%s", d->root, uid);
}

static void log_file(struct dk *d, const struct kl_docker_info *i, struct cm_buf *out)
{
	cm_buf_printf(out, "%s/%s/logs/%s_%d.log", d->root, i->pod_uid, i->ctr, i->attempt);
}

/* ---- logs: the engine's stream, demultiplexed into the CRI file the kubelet API reads ---- */

static void log_data(const char *data, size_t len, void *ud)
{
	struct dk_ctr *c = ud;
	struct cm_buf out = CM_BUF_INIT, path = CM_BUF_INIT;
	int fd, rc = kl_docker_demux_feed(&c->demux, data, len, &out);

	if (rc < 0) {
		cm_warn("container %s: log stream not understood: %s", c->name, cm_strerror(rc));
		cm_http_call_cancel(c->log_call);
	}
	if (out.len) {
		log_file(c->d, &c->info, &path);
		/* a few small appends per line of output: cheap enough on the loop, as the shim's are */
		fd = open(path.data, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
		if (fd < 0 || cm_write_all(fd, out.data, out.len) < 0)
			cm_warn("container %s: log not written to %s", c->name, path.data);
		if (fd >= 0)
			close(fd);
	}
	cm_buf_close(&out);
	cm_buf_close(&path);
}

static void log_ended(const struct cm_http_response *r, void *ud)
{
	struct dk_ctr *c = ud;

	c->log_call = NULL;
	/* the stream ends when the container stops; an error is retried on the resync */
	if (!r->err && (r->status == 200 || r->status == 404)) /* 404: docker never made it */
		c->logs_done = true;
	else if (r->err != -ECANCELED)
		cm_debug(1, "container %s: log stream ended: %s (%ld)", c->name, cm_strerror(r->err), r->status);
	ctr_unref(c);
}

/* The time of the last record in path, so that a restarted follower writes no line twice. */
static int64_t last_logged_ns(const char *path)
{
	char tail[4096];
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	off_t end;
	ssize_t n;
	int64_t ns = 0;

	if (fd < 0)
		return 0;
	end = lseek(fd, 0, SEEK_END);
	if (end > 0 && (n = pread(fd, tail, sizeof(tail) - 1, end > (off_t)sizeof(tail) - 1 ? end - (off_t)sizeof(tail) + 1 : 0)) > 0) {
		char *line;

		tail[n] = '\0';
		if (tail[n - 1] == '\n')
			tail[--n] = '\0';
		line = strrchr(tail, '\n');
		line = line ? line + 1 : tail;
		if (strchr(line, ' '))
			kl_docker_time_ns(line, (size_t)(strchr(line, ' ') - line), &ns);
	}
	close(fd);
	return ns;
}

static void logs_follow(struct dk_ctr *c)
{
	struct dk *d = c->d;
	struct cm_buf path = CM_BUF_INIT, file = CM_BUF_INIT;
	int64_t since;

	if (c->log_call || c->logs_done || c->info.sandbox || c->dropped || d->closing)
		return;
	log_file(d, &c->info, &file);
	since = c->demux.last_ns ? c->demux.last_ns : last_logged_ns(file.data);
	kl_docker_demux_close(&c->demux);
	kl_docker_demux_init(&c->demux, since);
	cm_buf_printf(&path, "/containers/%s/logs?follow=1&stdout=1&stderr=1&timestamps=1&since=%lld.%09lld", c->name,
		      (long long)(since / 1000000000), (long long)(since % 1000000000));
	if (dk_send(d, "GET", path.data, NULL, 0, NULL, log_data, log_ended, c, &c->log_call) == 0)
		c->refs++;
	else
		c->log_call = NULL;
	cm_buf_close(&path);
	cm_buf_close(&file);
}

/* ---- inspect ---- */

static void inspect(struct dk_ctr *c);

static void inspected(const struct cm_http_response *r, void *ud)
{
	struct dk_ctr *c = ud;
	struct kl_docker_info info;
	cJSON *j = NULL;

	c->inspecting = false;
	if (c->dropped || r->err == -ECANCELED) {
		ctr_unref(c);
		return;
	}
	if (!r->err && r->status == 404 && !c->creating) {
		if (c->info.st.state != KL_CSTATE_EXITED || !c->removing)
			cm_debug(1, "container %s: gone from docker", c->name);
		ctr_drop(c);
	} else if (!r->err && r->status == 200 && cm_json_parse(r->body, r->len, &j, NULL) == 0 &&
		   kl_docker_parse_inspect(j, c->d->network, &info) == 0) {
		c->info = info;
		if (c->info.st.state == KL_CSTATE_RUNNING || c->info.st.state == KL_CSTATE_EXITED)
			logs_follow(c);
	}
	cJSON_Delete(j);
	if (c->inspect_again && !c->dropped) {
		c->inspect_again = false;
		inspect(c);
	}
	ctr_unref(c);
}

static void inspect(struct dk_ctr *c)
{
	struct cm_buf path = CM_BUF_INIT;

	if (c->inspecting) {
		c->inspect_again = true;
		return;
	}
	cm_buf_printf(&path, "/containers/%s/json", c->name);
	if (dk_send(c->d, "GET", path.data, NULL, 30000, NULL, NULL, inspected, c, NULL) == 0) {
		c->inspecting = true;
		c->refs++;
	}
	cm_buf_close(&path);
}

/* ---- create, start, signal, remove ---- */

static void do_remove(struct dk_ctr *c);
static void do_signal(struct dk_ctr *c, int sig);

/* A container docker would not create or start: it ends as StartError with docker's words. */
static void start_failed(struct dk_ctr *c, const struct cm_http_response *r, const char *what)
{
	struct kl_container_status *st = &c->info.st;

	st->state = KL_CSTATE_EXITED;
	st->exit_code = 128;
	st->finished_ms = cm_time_wall_ms();
	snprintf(st->reason, sizeof(st->reason), "StartError");
	if (r->err)
		snprintf(st->message, sizeof(st->message), "%s: %s", what, cm_strerror(r->err));
	else
		kl_docker_error_message(r->body, r->len, st->message, sizeof(st->message));
	cm_warn("container %s: %s failed: %s", c->name, what, st->message);
}

/* After the create + start sequence: what was asked meanwhile. */
static void settle(struct dk_ctr *c)
{
	c->creating = false;
	if (c->remove_wanted) {
		do_remove(c);
		return;
	}
	if (c->pending_sig)
		do_signal(c, c->pending_sig);
	c->pending_sig = 0;
	inspect(c);
}

static void started(const struct cm_http_response *r, void *ud)
{
	struct dk_ctr *c = ud;

	if (r->err || (r->status != 204 && r->status != 304))
		start_failed(c, r, "start");
	if (!c->dropped)
		settle(c);
	ctr_unref(c);
}

static void created(const struct cm_http_response *r, void *ud)
{
	struct dk_ctr *c = ud;
	struct cm_buf path = CM_BUF_INIT;

	/* 409: the name exists (a start that raced a kubelet restart): start that one */
	if (r->err || (r->status != 201 && r->status != 409)) {
		start_failed(c, r, "create");
		c->creating = false;
		if (c->remove_wanted)
			ctr_drop(c);
		ctr_unref(c);
		return;
	}
	cm_buf_printf(&path, "/containers/%s/start", c->name);
	if (dk_send(c->d, "POST", path.data, NULL, CALL_TIMEOUT_MS, NULL, NULL, started, c, NULL) < 0) {
		struct cm_http_response none = {.err = -CM_ESTOPPED, .body = ""};

		start_failed(c, &none, "start");
		settle(c);
		ctr_unref(c);
	}
	cm_buf_close(&path);
}

/* Sends the create (the start follows); c holds CREATED meanwhile. 0 or -errno. */
static int create(struct dk_ctr *c, const char *body)
{
	struct cm_buf path = CM_BUF_INIT;
	int rc;

	c->info.st.state = KL_CSTATE_CREATED;
	cm_buf_printf(&path, "/containers/create?name=%s", c->name);
	rc = dk_send(c->d, "POST", path.data, body, CALL_TIMEOUT_MS, NULL, NULL, created, c, NULL);
	cm_buf_close(&path);
	if (rc == 0) {
		c->creating = true;
		c->refs++;
	}
	return rc;
}

static void signalled(const struct cm_http_response *r, void *ud)
{
	struct dk_ctr *c = ud;

	/* 409: it was not running any more, which is what a kill wants */
	if (!r->err && r->status >= 300 && r->status != 409 && r->status != 404)
		cm_warn("container %s: kill answered %ld: %.*s", c->name, r->status, (int)r->len, r->body);
	if (!c->dropped)
		inspect(c);
	ctr_unref(c);
}

static void do_signal(struct dk_ctr *c, int sig)
{
	struct cm_buf path = CM_BUF_INIT;

	cm_buf_printf(&path, "/containers/%s/kill?signal=%d", c->name, sig);
	if (dk_send(c->d, "POST", path.data, NULL, 30000, NULL, NULL, signalled, c, NULL) == 0)
		c->refs++;
	cm_buf_close(&path);
}

static void removed(const struct cm_http_response *r, void *ud)
{
	struct dk_ctr *c = ud;

	c->removing = false;
	if (!r->err && (r->status == 204 || r->status == 404))
		ctr_drop(c);
	else if (r->err != -ECANCELED)
		cm_warn("container %s: remove failed (%ld): %s", c->name, r->status,
			r->err ? cm_strerror(r->err) : r->body);
	ctr_unref(c);
}

static void do_remove(struct dk_ctr *c)
{
	struct cm_buf path = CM_BUF_INIT;

	if (c->removing || c->dropped)
		return;
	if (c->creating) {
		c->remove_wanted = true;
		return;
	}
	cm_buf_printf(&path, "/containers/%s?force=1&v=1", c->name);
	if (dk_send(c->d, "DELETE", path.data, NULL, 30000, NULL, NULL, removed, c, NULL) == 0) {
		c->removing = true;
		c->refs++;
	}
	cm_buf_close(&path);
}

/* ---- the runtime interface ---- */

static int sandbox_name(const struct kl_sandbox_config *cfg, struct cm_buf *out)
{
	return kl_docker_name(KL_DOCKER_SANDBOX_CTR, cfg->pod_name, cfg->pod_namespace, cfg->pod_uid, 0, out);
}

static int d_sandbox_create(struct kl_runtime *rt, const struct kl_sandbox_config *cfg, struct kl_sandbox *out)
{
	static const char *const sleeper[] = {"sleep", "2147483647", NULL};
	struct dk *d = rt->impl;
	struct cm_buf name = CM_BUF_INIT, dir = CM_BUF_INIT, body = CM_BUF_INIT;
	struct dk_ctr *c;
	struct dk_image *img;
	bool host = d->host_only || cfg->host_network;
	char hostname[64];
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
			inspect(c); /* its address comes with the next inspect */
			rc = -EAGAIN;
		} else {
			/* the sandbox died: the pod's network went with it; a new one is made on the next call */
			cm_warn("pod %s/%s: sandbox %s is not running: replacing it", cfg->pod_namespace, cfg->pod_name,
				c->name);
			do_remove(c);
			rc = -EAGAIN;
		}
		goto out;
	}
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
	snprintf(hostname, sizeof(hostname), "%s", cfg->pod_name);
	/* an image with its own entrypoint (a real pause image) runs it; ours holds the namespaces by sleeping */
	if ((rc = kl_docker_sandbox_body(cfg, d->infra, img->has_entrypoint ? NULL : sleeper, host ? "host" : d->network,
					 hostname, d->node, &body)) < 0)
		goto out;
	rc = -ENOMEM;
	if (!(c = ctr_new(d, name.data)))
		goto out;
	snprintf(c->info.name, sizeof(c->info.name), "%s", name.data);
	snprintf(c->info.pod_uid, sizeof(c->info.pod_uid), "%s", cfg->pod_uid);
	snprintf(c->info.ctr, sizeof(c->info.ctr), "%s", KL_DOCKER_SANDBOX_CTR);
	c->info.sandbox = true;
	c->info.host_network = host;
	if ((rc = create(c, body.data)) < 0)
		ctr_drop(c);
	else
		rc = -EAGAIN;
out:
	cm_buf_close(&name);
	cm_buf_close(&dir);
	cm_buf_close(&body);
	return rc;
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	remove(path);
	return 0;
}

static int d_sandbox_remove(struct kl_runtime *rt, const char *pod_uid)
{
	struct dk *d = rt->impl;
	struct cm_buf dir = CM_BUF_INIT;

	for (struct dk_ctr *c = d->ctrs, *next; c; c = next) {
		next = c->next;
		if (!strcmp(c->info.pod_uid, pod_uid))
			do_remove(c);
	}
	pod_dir(d, pod_uid, &dir);
	if (dir.data && strstr(pod_uid, "..") == NULL && *pod_uid)
		nftw(dir.data, rm_one, 16, FTW_DEPTH | FTW_PHYS | FTW_MOUNT);
	cm_buf_close(&dir);
	return 0;
}

static int d_container_start(struct kl_runtime *rt, const struct kl_container_config *cfg, char **id_out)
{
	struct dk *d = rt->impl;
	struct cm_buf name = CM_BUF_INIT, sb = CM_BUF_INIT, mode = CM_BUF_INIT, body = CM_BUF_INIT, logs = CM_BUF_INIT;
	struct kl_sandbox_config scfg = {cfg->pod_uid, cfg->pod_namespace, cfg->pod_name, false};
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
	cm_buf_printf(&logs, "%s/%s/logs", d->root, cfg->pod_uid);
	if (!logs.data || (rc = cm_mkdir_p(logs.data, 0755)) < 0)
		goto out;
	rc = -ENOMEM;
	if (!(id = strdup(name.data)) || !(c = ctr_new(d, name.data))) {
		free(id);
		goto out;
	}
	snprintf(c->info.name, sizeof(c->info.name), "%s", name.data);
	snprintf(c->info.pod_uid, sizeof(c->info.pod_uid), "%s", cfg->pod_uid);
	snprintf(c->info.ctr, sizeof(c->info.ctr), "%s", cfg->name);
	c->info.attempt = cfg->attempt;
	if ((rc = create(c, body.data)) < 0) {
		ctr_drop(c);
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

static int d_container_signal(struct kl_runtime *rt, const char *id, int sig)
{
	struct dk_ctr *c = dk_find(rt->impl, id);

	if (!c)
		return -ENOENT;
	if (c->creating) {
		c->pending_sig = c->pending_sig == SIGKILL ? SIGKILL : sig;
		return 0;
	}
	if (c->info.st.state == KL_CSTATE_RUNNING)
		do_signal(c, sig);
	return 0;
}

static int d_container_status(struct kl_runtime *rt, const char *id, struct kl_container_status *out)
{
	struct dk_ctr *c = dk_find(rt->impl, id);

	if (!c || c->info.sandbox) {
		memset(out, 0, sizeof(*out));
		return -ENOENT;
	}
	*out = c->info.st;
	return 0;
}

static int d_container_remove(struct kl_runtime *rt, const char *id)
{
	struct dk_ctr *c = dk_find(rt->impl, id);

	if (c)
		do_remove(c);
	return 0;
}

static int d_log_path(struct kl_runtime *rt, const char *id, struct cm_buf *out)
{
	struct dk *d = rt->impl;
	struct dk_ctr *c = dk_find(d, id);

	if (!c || c->info.sandbox)
		return -ENOENT;
	log_file(d, &c->info, out);
	return out->data ? 0 : -ENOMEM;
}

static int d_list(struct kl_runtime *rt, kl_runtime_list_cb cb, void *ud)
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

static int d_last_error(struct kl_runtime *rt, struct cm_buf *out)
{
	struct dk *d = rt->impl;

	if (!d->last_error[0])
		return -ENOENT;
	return cm_buf_puts(out, d->last_error) < 0 ? -ENOMEM : 0;
}

/* ---- events and resync ---- */

static void event_line(const char *line, size_t len, void *ud)
{
	struct dk *d = ud;
	cJSON *j = NULL;
	const char *name;
	struct dk_ctr *c;

	if (cm_json_parse(line, len, &j, NULL) == 0 && (name = cm_json_get_str(j, "Actor.Attributes.name")) &&
	    (c = dk_find(d, name)) && !c->creating)
		inspect(c);
	cJSON_Delete(j);
}

static void events_ended(const struct cm_http_response *r, void *ud)
{
	struct dk *d = ud;

	d->events = NULL;
	if (r->err != -ECANCELED)
		cm_debug(1, "docker events ended (%s, %ld): the resync restarts them", cm_strerror(r->err), r->status);
}

static void events_start(struct dk *d)
{
	struct cm_buf path = CM_BUF_INIT, filter = CM_BUF_INIT;

	cm_buf_printf(&filter, "{\"type\":[\"container\"],\"label\":[\"%s=%s\"]}", KL_DOCKER_LABEL_NODE, d->node);
	cm_buf_puts(&path, "/events?filters=");
	if (filter.data && path.data && dk_query_escape(filter.data, &path) == 0 &&
	    dk_send(d, "GET", path.data, NULL, 0, event_line, NULL, events_ended, d, &d->events) < 0)
		d->events = NULL;
	cm_buf_close(&path);
	cm_buf_close(&filter);
}

static void on_resync(uv_timer_t *t)
{
	struct dk *d = t->data;

	if (!d->events)
		events_start(d);
	for (struct dk_ctr *c = d->ctrs; c; c = c->next) {
		if (c->creating || c->removing)
			continue;
		if (c->info.st.state == KL_CSTATE_RUNNING || c->info.st.state == KL_CSTATE_CREATED)
			inspect(c);
		else if (c->info.st.state == KL_CSTATE_EXITED)
			logs_follow(c);
	}
}

/* ---- lifecycle ---- */

static void http_closed(void *ud)
{
	((struct dk *)ud)->http_closed = true;
}

static void d_shutdown(struct kl_runtime *rt)
{
	struct dk *d = rt->impl;

	if (d->closing)
		return;
	d->closing = true;
	uv_close((uv_handle_t *)&d->timer, NULL);
	cm_http_client_close(d->http, http_closed, d);
}

static void d_free(struct kl_runtime *rt)
{
	struct dk *d = rt->impl;

	d_shutdown(rt);
	while (d->ctrs) {
		struct dk_ctr *c = d->ctrs;

		d->ctrs = c->next;
		kl_docker_demux_close(&c->demux);
		free(c->name);
		free(c);
	}
	while (d->images) {
		struct dk_image *i = d->images;

		d->images = i->next;
		free(i->name);
		free(i);
	}
	free(d->base);
	free(d->root);
	free(d->network);
	free(d->node);
	free(d->infra);
	free(d);
}

static const struct kl_runtime_ops docker_ops = {
	.name = "docker",
	.sandbox_create = d_sandbox_create,
	.sandbox_remove = d_sandbox_remove,
	.container_start = d_container_start,
	.container_signal = d_container_signal,
	.container_status = d_container_status,
	.container_remove = d_container_remove,
	.log_path = d_log_path,
	.list = d_list,
	.free = d_free,
	.last_error = d_last_error,
	.exec = dk_exec,
	.shutdown = d_shutdown,
};

struct listing {
	struct dk *d;
	bool done;
	int err;
};

static void listed(const struct cm_http_response *r, void *ud)
{
	struct listing *l = ud;
	cJSON *j = NULL, *it;

	l->done = true;
	if (r->err || r->status != 200 || cm_json_parse(r->body, r->len, &j, NULL) < 0) {
		l->err = r->err ? r->err : -EPROTO;
		if (!r->err)
			cm_error("docker: containers list answered %ld: %.*s", r->status, (int)r->len, r->body);
		return;
	}
	cJSON_ArrayForEach(it, j)
	{
		const char *name = cJSON_GetStringValue(cJSON_GetArrayItem(cm_json_get(it, "Names"), 0));
		struct dk_ctr *c;

		if (name && *name == '/')
			name++;
		if (!name || !(c = ctr_new(l->d, name)))
			continue;
		c->info.st.state = KL_CSTATE_UNKNOWN;
		inspect(c);
	}
	cJSON_Delete(j);
}

/* Lists this node's containers and inspects each, running the loop until all answered. */
static int adopt_existing(struct dk *d)
{
	struct listing l = {d, false, 0};
	struct cm_buf path = CM_BUF_INIT, filter = CM_BUF_INIT;
	int64_t deadline = cm_time_mono_ms() + STARTUP_MS;
	bool busy = true;
	int rc = -ENOMEM;

	cm_buf_printf(&filter, "{\"label\":[\"%s=%s\"]}", KL_DOCKER_LABEL_NODE, d->node);
	cm_buf_puts(&path, "/containers/json?all=1&filters=");
	if (!filter.data || !path.data || dk_query_escape(filter.data, &path) < 0)
		goto out;
	if ((rc = dk_send(d, "GET", path.data, NULL, 10000, NULL, NULL, listed, &l, NULL)) < 0)
		goto out;
	while (busy && cm_time_mono_ms() < deadline) {
		uv_run(d->loop, UV_RUN_ONCE);
		busy = !l.done;
		for (struct dk_ctr *c = d->ctrs; c && !busy; c = c->next)
			busy = c->inspecting;
	}
	/* l lives on this stack: its call (10 s timeout) must have ended before we return */
	while (!l.done)
		uv_run(d->loop, UV_RUN_ONCE);
	rc = busy ? -ETIMEDOUT : l.err;
	/* a container whose inspect failed is not this node's to adopt */
	for (struct dk_ctr *c = d->ctrs, *next; c; c = next) {
		next = c->next;
		if (!c->info.pod_uid[0])
			ctr_drop(c);
	}
out:
	cm_buf_close(&path);
	cm_buf_close(&filter);
	return rc;
}

static int set_endpoint(struct dk *d, const char *endpoint, struct cm_http_client_opts *hopts)
{
	if (!strncmp(endpoint, "unix://", 7)) {
		hopts->unix_socket = endpoint + 7;
		d->base = strdup("http://docker");
	} else if (!strncmp(endpoint, "tcp://", 6) || !strncmp(endpoint, "http://", 7)) {
		struct cm_buf b = CM_BUF_INIT;

		cm_buf_printf(&b, "http://%s", endpoint + (endpoint[0] == 't' ? 6 : 7));
		d->base = cm_buf_take(&b);
	} else {
		return -EINVAL;
	}
	return d->base ? 0 : -ENOMEM;
}

int kl_runtime_docker_new(uv_loop_t *loop, const struct kl_docker_opts *opts, struct kl_runtime **out)
{
	struct dk *d;
	struct cm_http_client_opts hopts = {.connect_timeout_ms = 3000};
	struct cm_buf root = CM_BUF_INIT;
	int rc = -ENOMEM;

	if (!loop || !opts->root_dir || !opts->node_name)
		return -EINVAL;
	if (!(d = calloc(1, sizeof(*d))))
		return -ENOMEM;
	d->loop = loop;
	d->host_only = opts->host_network_only;
	if ((rc = set_endpoint(d, opts->endpoint ? opts->endpoint : "unix:///var/run/docker.sock", &hopts)) < 0)
		goto fail;
	rc = -ENOMEM;
	if (cm_buf_printf(&root, "%s/pods", opts->root_dir) < 0 || !(d->root = cm_buf_take(&root)) ||
	    !(d->network = strdup(opts->network ? opts->network : "bridge")) || !(d->node = strdup(opts->node_name)) ||
	    !(d->infra = strdup(opts->infra_image ? opts->infra_image : "minik8s:latest")))
		goto fail;
	if ((rc = cm_mkdir_p(d->root, 0755)) < 0 || (rc = cm_http_client_new(loop, &hopts, &d->http)) < 0)
		goto fail;
	d->rt.ops = &docker_ops;
	d->rt.impl = d;
	uv_timer_init(loop, &d->timer);
	d->timer.data = d;
	if ((rc = adopt_existing(d)) < 0) {
		/* the cancelled calls end from the loop: let them, then free what they held */
		d_shutdown(&d->rt);
		while (!d->http_closed)
			uv_run(loop, UV_RUN_ONCE);
		uv_run(loop, UV_RUN_NOWAIT);
		d_free(&d->rt);
		return rc;
	}
	events_start(d);
	uv_timer_start(&d->timer, on_resync, RESYNC_MS, RESYNC_MS);
	*out = &d->rt;
	return 0;
fail:
	free(d->base);
	free(d->root);
	free(d->network);
	free(d->node);
	free(d->infra);
	free(d);
	return rc;
}
