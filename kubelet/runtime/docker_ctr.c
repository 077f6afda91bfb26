/* docker_ctr.c: the docker backend's container records and the engine calls on one container (inspect, create + start, kill, remove). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "common/json.h"
#include "common/log.h"
#include "common/timeutil.h"
#include "kubelet/runtime/docker.h"

#define CALL_TIMEOUT_MS 60000L /* a create or start on a slow storage driver takes seconds */

struct dk_ctr *dk_find(struct dk *d, const char *name)
{
	for (struct dk_ctr *c = d->ctrs; c; c = c->next)
		if (!strcmp(c->name, name))
			return c;
	return NULL;
}

void dk_ctr_unref(struct dk_ctr *c)
{
	if (--c->refs > 0)
		return;
	kl_docker_demux_close(&c->demux);
	free(c->name);
	free(c);
}

struct dk_ctr *dk_ctr_new(struct dk *d, const char *name)
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

void dk_ctr_drop(struct dk_ctr *c)
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
	dk_ctr_unref(c);
}

/* ---- inspect ---- */

static void inspected(const struct cm_http_response *r, void *ud)
{
	struct dk_ctr *c = ud;
	struct kl_docker_info info;
	cJSON *j = NULL;

	c->inspecting = false;
	if (c->dropped || r->err == -ECANCELED) {
		dk_ctr_unref(c);
		return;
	}
	if (!r->err && r->status == 404 && !c->creating) {
		if (c->info.st.state != KL_CSTATE_EXITED || !c->removing)
			cm_debug(1, "container %s: gone from docker", c->name);
		dk_ctr_drop(c);
	} else if (!r->err && r->status == 200 && cm_json_parse(r->body, r->len, &j, NULL) == 0 &&
		   kl_docker_parse_inspect(j, c->d->network, &info) == 0) {
		c->info = info;
		if (c->info.st.state == KL_CSTATE_RUNNING || c->info.st.state == KL_CSTATE_EXITED)
			dk_logs_follow(c);
	}
	cJSON_Delete(j);
	if (c->inspect_again && !c->dropped) {
		c->inspect_again = false;
		dk_ctr_inspect(c);
	}
	dk_ctr_unref(c);
}

void dk_ctr_inspect(struct dk_ctr *c)
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
		dk_ctr_remove(c);
		return;
	}
	if (c->pending_sig)
		dk_ctr_signal(c, c->pending_sig);
	c->pending_sig = 0;
	dk_ctr_inspect(c);
}

static void started(const struct cm_http_response *r, void *ud)
{
	struct dk_ctr *c = ud;

	if (r->err || (r->status != 204 && r->status != 304))
		start_failed(c, r, "start");
	if (!c->dropped)
		settle(c);
	dk_ctr_unref(c);
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
			dk_ctr_drop(c);
		dk_ctr_unref(c);
		return;
	}
	cm_buf_printf(&path, "/containers/%s/start", c->name);
	if (dk_send(c->d, "POST", path.data, NULL, CALL_TIMEOUT_MS, NULL, NULL, started, c, NULL) < 0) {
		struct cm_http_response none = {.err = -CM_ESTOPPED, .body = ""};

		start_failed(c, &none, "start");
		settle(c);
		dk_ctr_unref(c);
	}
	cm_buf_close(&path);
}

int dk_ctr_create(struct dk_ctr *c, const char *body)
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
		dk_ctr_inspect(c);
	dk_ctr_unref(c);
}

void dk_ctr_signal(struct dk_ctr *c, int sig)
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
		dk_ctr_drop(c);
	else if (r->err != -ECANCELED)
		cm_warn("container %s: remove failed (%ld): %s", c->name, r->status,
			r->err ? cm_strerror(r->err) : r->body);
	dk_ctr_unref(c);
}

void dk_ctr_remove(struct dk_ctr *c)
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
