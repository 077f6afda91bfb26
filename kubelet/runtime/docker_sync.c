/* docker_sync.c: the docker backend keeps its records current (docker's event stream, a slow resync) and adopts what it finds at start. */
#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include "common/err.h"
#include "common/json.h"
#include "common/log.h"
#include "common/timeutil.h"
#include "kubelet/runtime/docker.h"

#define STARTUP_MS 15000

/* ---- events and resync ---- */

static void event_line(const char *line, size_t len, void *ud)
{
	struct dk *d = ud;
	cJSON *j = NULL;
	const char *name;
	struct dk_ctr *c;

	if (cm_json_parse(line, len, &j, NULL) == 0 && (name = cm_json_get_str(j, "Actor.Attributes.name")) &&
	    (c = dk_find(d, name)) && !c->creating)
		dk_ctr_inspect(c);
	cJSON_Delete(j);
}

static void events_ended(const struct cm_http_response *r, void *ud)
{
	struct dk *d = ud;

	d->events = NULL;
	if (r->err != -ECANCELED)
		cm_debug(1, "docker events ended (%s, %ld): the resync restarts them", cm_strerror(r->err), r->status);
}

void dk_events_start(struct dk *d)
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

void dk_resync(uv_timer_t *t)
{
	struct dk *d = t->data;

	if (!d->events)
		dk_events_start(d);
	for (struct dk_ctr *c = d->ctrs; c; c = c->next) {
		if (c->creating || c->removing)
			continue;
		if (c->info.st.state == KL_CSTATE_RUNNING || c->info.st.state == KL_CSTATE_CREATED)
			dk_ctr_inspect(c);
		else if (c->info.st.state == KL_CSTATE_EXITED)
			dk_logs_follow(c);
	}
}

/* ---- adoption ---- */

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
		if (!name || !(c = dk_ctr_new(l->d, name)))
			continue;
		c->info.st.state = KL_CSTATE_UNKNOWN;
		dk_ctr_inspect(c);
	}
	cJSON_Delete(j);
}

int dk_adopt(struct dk *d)
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
			dk_ctr_drop(c);
	}
out:
	cm_buf_close(&path);
	cm_buf_close(&filter);
	return rc;
}
