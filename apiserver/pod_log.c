/* pod_log.c: pods/{name}/log, proxied to the kubelet of the pod's node (kubelet_target.c), followed or not. */
#include "apiserver/rest.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "apiserver/object.h"
#include "apiserver/status.h"
#include "common/err.h"
#include "common/http_client.h"
#include "common/json.h"

struct logproxy {
	struct api_ctx *c;
	struct cm_http_call *call;
	char *node;
	bool follow, begun;
};

static void logproxy_free(void *p)
{
	struct logproxy *lp = p;

	free(lp->node);
	free(lp);
}

static void client_left(struct cm_http_req *req, void *ud)
{
	struct api_ctx *c = ud;
	struct logproxy *lp = c->extra;

	(void)req;
	c->req = NULL;
	if (lp && lp->call)
		cm_http_call_cancel(lp->call);
	api_ctx_unref(c);
}

static void on_line(const char *line, size_t len, void *ud)
{
	struct api_ctx *c = ud;
	struct logproxy *lp = c->extra;

	if (!c->req)
		return;
	if (!lp->begun) {
		if (cm_http_stream_begin(c->req, 200, "text/plain") < 0)
			return;
		lp->begun = true;
	}
	cm_http_stream_write(c->req, line, len);
	cm_http_stream_write(c->req, "\n", 1);
}

static void on_done(const struct cm_http_response *resp, void *ud)
{
	struct api_ctx *c = ud;
	struct logproxy *lp = c->extra;
	struct cm_buf m = CM_BUF_INIT;

	lp->call = NULL;
	if (lp->begun) {
		if (c->req)
			cm_http_stream_end(c->req);
		c->released = true;
		c->srv->inflight--;
		api_ctx_unref(c);
		return;
	}
	if (resp->err) {
		cm_buf_printf(&m, "pods/log: cannot reach the kubelet of node \"%s\": %s", lp->node, cm_strerror(resp->err));
		api_ctx_reply_status(c, api_status_unavailable(m.data ? m.data : "kubelet unreachable"));
	} else if (c->req && resp->status != 200) {
		/* as kube-apiserver's response checker: the kubelet's refusal becomes a Status (400 BadRequest, ...) */
		cJSON *j = cJSON_ParseWithLength(resp->body ? resp->body : "", resp->len);
		const char *msg = cm_json_get_str(j, "message");

		cm_buf_append(&m, msg ? msg : resp->body ? resp->body : "", msg ? strlen(msg) : resp->len);
		if (!m.data)
			cm_buf_puts(&m, "");
		api_ctx_reply_status(c, resp->status == 400   ? api_status_bad_request(m.data)
					: resp->status == 404 ? api_status_new(404, "NotFound", m.data)
							      : api_status_internal(m.data));
		cJSON_Delete(j);
	} else if (c->req) {
		struct cm_buf b = CM_BUF_INIT;

		cm_buf_append(&b, resp->body, resp->len);
		c->released = true;
		c->srv->inflight--;
		if (cm_http_respond_buf(c->req, (int)resp->status, resp->status == 200 ? "text/plain" : resp->content_type,
					&b) < 0)
			cm_buf_close(&b);
		api_ctx_unref(c);
	} else {
		api_ctx_reply_err(c, -ECANCELED, NULL);
	}
	cm_buf_close(&m);
}

static void append_query(struct api_ctx *c, struct cm_buf *url)
{
	static const char *const pass[] = {"tailLines", "timestamps", "previous", "sinceSeconds", "limitBytes"};

	cm_buf_printf(url, "?follow=%s", ((struct logproxy *)c->extra)->follow ? "true" : "false");
	for (size_t i = 0; i < sizeof(pass) / sizeof(pass[0]); i++) {
		const char *v = cm_http_req_query(c->req, pass[i]);

		if (v && *v && !strpbrk(v, "&# "))
			cm_buf_printf(url, "&%s=%s", pass[i], v);
	}
}

static void got_target(struct api_ctx *c, const char *base_url, const char *container, const char *node)
{
	struct logproxy *lp = c->extra;
	struct cm_buf url = CM_BUF_INIT;
	struct cm_http_request req = {.method = "GET"};
	int rc;

	rc = cm_buf_printf(&url, "%s/containerLogs/%s/%s/%s", base_url, c->ns, c->name, container);
	if (rc < 0) {
		api_ctx_reply_err(c, rc, NULL);
		return;
	}
	append_query(c, &url);
	if (!(lp->node = strdup(node))) {
		cm_buf_close(&url);
		api_ctx_reply_err(c, -ENOMEM, NULL);
		return;
	}
	req.url = url.data;
	req.on_line = lp->follow ? on_line : NULL;
	req.timeout_ms = lp->follow ? 0 : 30000;
	cm_http_req_on_done(c->req, client_left, c);
	rc = cm_http_client_send(c->srv->kubelet_http, &req, on_done, c, &lp->call);
	cm_buf_close(&url);
	if (rc < 0)
		api_ctx_reply_err(c, rc, NULL);
}

void api_rest_pod_log(struct api_ctx *c)
{
	struct logproxy *lp = calloc(1, sizeof(*lp));

	if (!lp) {
		api_ctx_reply_err(c, -ENOMEM, NULL);
		return;
	}
	lp->c = c;
	lp->follow = api_query_bool(cm_http_req_query(c->req, "follow"));
	c->extra = lp;
	c->extra_free = logproxy_free;
	api_kubelet_target(c, "pods/log", got_target);
}
