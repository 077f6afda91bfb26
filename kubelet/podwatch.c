/* podwatch.c: lists and watches the pods bound to this node (fieldSelector spec.nodeName) and feeds the pod workers. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/json.h"
#include "common/err.h"
#include "common/log.h"
#include "kubelet/kubelet.h"

/*
 * The common informer (common/informer.h) is not on this branch yet: this is
 * the smallest list+watch the kubelet needs, relisting after any error.
 */
static void start_list(struct kl_server *s);

static void on_relist(uv_timer_t *t)
{
	start_list(t->data);
}

static void relist_later(struct kl_server *s)
{
	s->watch_call = NULL;
	if (!s->stopping)
		uv_timer_start(&s->relist_timer, on_relist, 1000, 0);
}

static void on_event(const char *line, size_t len, void *ud)
{
	struct kl_server *s = ud;
	cJSON *ev = NULL;
	const char *type, *rv;
	const cJSON *obj;

	if (cm_json_parse(line, len, &ev, NULL) < 0)
		return;
	type = cm_json_str_or(ev, "type", "");
	obj = cm_json_get(ev, "object");
	if ((rv = cm_json_get_str(obj, "metadata.resourceVersion"))) {
		cm_buf_reset(&s->watch_rv);
		cm_buf_puts(&s->watch_rv, rv);
	}
	if (!strcmp(type, "ADDED") || !strcmp(type, "MODIFIED"))
		kl_worker_update(s, obj);
	else if (!strcmp(type, "DELETED"))
		kl_worker_gone(s, cm_json_str_or(obj, "metadata.uid", ""));
	else if (!strcmp(type, "ERROR"))
		cm_warn("pod watch: %s: relisting", cm_json_str_or(obj, "message", "error"));
	cJSON_Delete(ev);
}

static void watch_done(const struct cm_http_response *r, void *ud)
{
	struct kl_server *s = ud;

	if (!s->stopping)
		cm_debug(1, "pod watch ended (%ld, %s): relisting", r->status, cm_strerror(r->err));
	relist_later(s);
}

static void start_watch(struct kl_server *s)
{
	struct cm_buf url = CM_BUF_INIT;
	struct cm_http_request req = {0};

	cm_buf_printf(&url, "%s/api/v1/pods?watch=1&fieldSelector=spec.nodeName%%3D%s&resourceVersion=%s", s->cfg.master,
		      s->cfg.node_name, s->watch_rv.data ? s->watch_rv.data : "0");
	req.url = url.data;
	req.on_line = on_event;
	if (cm_http_client_send(s->http, &req, watch_done, s, &s->watch_call) < 0)
		relist_later(s);
	cm_buf_close(&url);
}

static void listed(const struct cm_http_response *r, void *ud)
{
	struct kl_server *s = ud;
	cJSON *list = NULL;
	const cJSON *it;

	if (s->stopping)
		return;
	if (r->err || r->status != 200 || cm_json_parse(r->body, r->len, &list, NULL) < 0) {
		cm_warn("pod list failed (%ld, %s): retrying", r->status, r->err ? cm_strerror(r->err) : "bad answer");
		relist_later(s);
		return;
	}
	cm_buf_reset(&s->watch_rv);
	cm_buf_puts(&s->watch_rv, cm_json_str_or(list, "metadata.resourceVersion", "0"));
	cJSON_ArrayForEach(it, cm_json_get(list, "items"))
		kl_worker_update(s, it);
	if (!s->listed) {
		s->listed = true;
		kl_workers_clean_orphans(s, cm_json_get(list, "items"));
		cm_info("node %s: %d pods bound here", s->cfg.node_name, cJSON_GetArraySize(cm_json_get(list, "items")));
	}
	/* pods deleted while the list was being made are caught by the worker's next relist; rare */
	cJSON_Delete(list);
	start_watch(s);
}

static void start_list(struct kl_server *s)
{
	struct cm_buf path = CM_BUF_INIT;

	cm_buf_printf(&path, "/api/v1/pods?fieldSelector=spec.nodeName%%3D%s", s->cfg.node_name);
	if (kl_api_send(s, "GET", path.data, NULL, NULL, listed, s) < 0)
		relist_later(s);
	cm_buf_close(&path);
}

void kl_podwatch_start(struct kl_server *s)
{
	start_list(s);
}
