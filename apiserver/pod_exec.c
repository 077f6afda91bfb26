/* pod_exec.c: pods/{name}/exec: the client's WebSocket upgrade carried to the pod's kubelet, then bytes piped both ways. */
#include "apiserver/rest.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "apiserver/status.h"
#include "common/apiclient.h"
#include "common/err.h"
#include "common/http_tunnel.h"
#include "common/json.h"
#include "common/log.h"
#include "common/uv_alloc.h"

/* The kubelet's output is not read while this much waits for the client. */
#define HIGH_WATER (1u << 20)

struct execproxy {
	struct api_ctx *c;       /* until the client has its answer (c->req NULL once it left: rest.c) */
	struct cm_http_tunnel *tun;
	struct cm_http_upgraded *up;
	uv_stream_t *client;
	struct cm_buf body;      /* a refusal's body from the kubelet */
	long body_len;           /* its Content-Length, -1 unknown */
	int status;              /* the kubelet's answer */
	struct cm_buf pending;   /* bytes for the client while a write is in flight */
	int writes;              /* writes to the client in flight (one at a time) */
	bool tun_done, client_done, released;
};

static void proxy_free(struct execproxy *x)
{
	cm_buf_close(&x->body);
	cm_buf_close(&x->pending);
	free(x);
}

/* Once both sides are done and nothing is in flight, the client's connection goes and x with it. */
static void maybe_release(struct execproxy *x)
{
	if (!x->released && x->tun_done && x->client_done) {
		x->released = true;
		if (x->up)
			cm_http_upgraded_close(x->up); /* cancels writes still queued: their callbacks run later */
	}
	if (x->released && x->writes == 0)
		proxy_free(x);
}

static void end_tunnel(struct execproxy *x)
{
	if (x->tun_done)
		return;
	x->tun_done = true;
	cm_http_tunnel_close(x->tun);
	x->tun = NULL;
}

static void end_client(struct execproxy *x)
{
	if (x->client_done)
		return;
	x->client_done = true;
	if (x->client)
		uv_read_stop(x->client);
}

/* ---- the upgraded connection: bytes both ways ---- */

struct client_write {
	uv_write_t req;
	struct execproxy *x;
	struct cm_buf data;
};

static void from_kubelet(struct cm_http_tunnel *t, const char *data, ssize_t len, void *ud);

static void flush(struct execproxy *x);

static void client_written(uv_write_t *req, int status)
{
	struct client_write *w = (struct client_write *)req;
	struct execproxy *x = w->x;

	cm_buf_close(&w->data);
	free(w);
	x->writes--;
	if (status < 0 && !x->released) {
		end_tunnel(x);
		end_client(x);
	}
	if (!x->released && !x->client_done)
		flush(x);
	if (!x->released && !x->tun_done && x->tun && x->pending.len < HIGH_WATER / 2)
		cm_http_tunnel_read_start(x->tun, from_kubelet, x);
	if (x->tun_done && x->writes == 0)
		end_client(x); /* the kubelet ended and all it said is out */
	maybe_release(x);
}

/* Writes what is pending as one write: the kubelet's bytes may come a few at a time. */
static void flush(struct execproxy *x)
{
	struct client_write *w;
	uv_buf_t b;

	if (x->writes || !x->pending.len)
		return;
	if (!(w = malloc(sizeof(*w)))) {
		end_tunnel(x);
		end_client(x);
		return;
	}
	w->x = x;
	w->data = x->pending;
	cm_buf_init(&x->pending);
	b = uv_buf_init(w->data.data, (unsigned)w->data.len);
	if (uv_write(&w->req, x->client, &b, 1, client_written) < 0) {
		cm_buf_close(&w->data);
		free(w);
		end_tunnel(x);
		end_client(x);
		return;
	}
	x->writes++;
}

static void to_client(struct execproxy *x, const char *data, size_t len)
{
	if (cm_buf_append(&x->pending, data, len) < 0) {
		end_tunnel(x);
		end_client(x);
		return;
	}
	flush(x);
	if (x->pending.len > HIGH_WATER && x->tun)
		cm_http_tunnel_read_stop(x->tun);
}

static void from_kubelet(struct cm_http_tunnel *t, const char *data, ssize_t len, void *ud)
{
	struct execproxy *x = ud;

	(void)t;
	if (len > 0) {
		to_client(x, data, (size_t)len);
	} else {
		end_tunnel(x);
		if (x->writes == 0)
			end_client(x);
	}
	maybe_release(x);
}

static void from_client(uv_stream_t *st, ssize_t n, const uv_buf_t *buf)
{
	struct execproxy *x = st->data;

	if (n > 0 && (x->tun_done || cm_http_tunnel_write(x->tun, buf->base, (size_t)n) < 0))
		n = UV_EPIPE;
	free(buf->base);
	if (n < 0) {
		/* the client left: the kubelet sees its connection end and stops the command */
		end_client(x);
		end_tunnel(x);
		maybe_release(x);
	}
}

static void on_upgraded(struct cm_http_upgraded *up, uv_stream_t *stream, const char *head, size_t len, void *ud)
{
	struct execproxy *x = ud;

	if (!stream) {
		end_tunnel(x);
		proxy_free(x);
		return;
	}
	x->up = up;
	x->client = stream;
	stream->data = x;
	if (len && cm_http_tunnel_write(x->tun, head, len) < 0) {
		end_tunnel(x);
		x->client_done = true;
		maybe_release(x);
		return;
	}
	uv_read_start(stream, cm_uv_alloc, from_client);
	cm_http_tunnel_read_start(x->tun, from_kubelet, x);
}

/* ---- before the upgrade ---- */

/* The kubelet refused (no upgrade): its message as kube-apiserver's Status. */
static void reply_refusal(struct execproxy *x)
{
	struct api_ctx *c = x->c;
	cJSON *j = cJSON_ParseWithLength(x->body.data ? x->body.data : "", x->body.len);
	const char *msg = cm_json_get_str(j, "message");
	struct cm_buf m = CM_BUF_INIT;

	cm_buf_printf(&m, "%s", msg ? msg : x->body.data ? x->body.data : "the kubelet refused the exec");
	api_ctx_reply_status(c, x->status == 400   ? api_status_bad_request(m.data ? m.data : "bad request")
				: x->status == 404 ? api_status_new(404, "NotFound", m.data ? m.data : "not found")
						   : api_status_internal(m.data ? m.data : "kubelet error"));
	cJSON_Delete(j);
	cm_buf_close(&m);
}

static void refusal_body(struct cm_http_tunnel *t, const char *data, ssize_t len, void *ud)
{
	struct execproxy *x = ud;

	(void)t;
	if (len > 0 && cm_buf_append(&x->body, data, (size_t)len) < 0)
		len = -ENOMEM;
	if (len > 0 && (x->body_len < 0 || (long)x->body.len < x->body_len))
		return;
	end_tunnel(x);
	reply_refusal(x);
	proxy_free(x);
}

static int copy_header(struct api_ctx *c, const char *head, const char *name)
{
	struct cm_buf v = CM_BUF_INIT;
	int rc = cm_http_head_value(head, name, &v);

	if (!rc)
		rc = cm_http_req_add_header(c->req, name, v.data ? v.data : "");
	cm_buf_close(&v);
	return rc == -ENOENT ? 0 : rc;
}

static void release_ctx(struct api_ctx *c)
{
	if (!c->released) {
		c->released = true;
		c->srv->inflight--;
	}
	api_ctx_unref(c);
}

static void tunnel_opened(struct cm_http_tunnel *t, const struct cm_http_tunnel_resp *r, void *ud)
{
	struct execproxy *x = ud;
	struct api_ctx *c = x->c;
	struct cm_buf m = CM_BUF_INIT, len = CM_BUF_INIT;

	if (r->err) {
		x->tun = NULL; /* closed by itself */
		x->tun_done = true;
		cm_buf_printf(&m, "error dialing backend: %s", cm_strerror(r->err));
		api_ctx_reply_status(c, api_status_unavailable(m.data ? m.data : "error dialing backend"));
		cm_buf_close(&m);
		proxy_free(x);
		return;
	}
	if (!c->req) { /* the client left meanwhile */
		end_tunnel(x);
		api_ctx_reply_err(c, -ECANCELED, NULL);
		proxy_free(x);
		return;
	}
	if (r->status != 101) {
		x->status = r->status;
		x->body_len = cm_http_head_value(r->head, "Content-Length", &len) == 0 ? atol(len.data) : -1;
		cm_buf_close(&len);
		if (x->body_len == 0)
			refusal_body(t, NULL, 0, x);
		else
			cm_http_tunnel_read_start(t, refusal_body, x);
		return;
	}
	/* the kubelet's handshake answer is the client's: it computed the accept key from the client's key */
	x->c = NULL;
	if (cm_http_req_add_header(c->req, "Upgrade", "websocket") < 0 ||
	    copy_header(c, r->head, "Sec-WebSocket-Accept") < 0 ||
	    copy_header(c, r->head, "Sec-WebSocket-Protocol") < 0 ||
	    cm_http_respond_upgrade(c->req, on_upgraded, x) < 0) {
		end_tunnel(x);
		proxy_free(x);
	}
	release_ctx(c);
}

static int add_query(const char *value, void *arg)
{
	struct cm_buf *url = arg;
	int rc = cm_buf_puts(url, "&command=");

	return rc ? rc : cm_api_query_escape(url, value);
}

static void got_target(struct api_ctx *c, const char *base_url, const char *container, const char *node)
{
	static const char *const flags[] = {"stdin", "stdout", "stderr", "tty"};
	const char *key = cm_http_req_header(c->req, "Sec-WebSocket-Key");
	const char *proto = cm_http_req_header(c->req, "Sec-WebSocket-Protocol");
	const char *version = cm_http_req_header(c->req, "Sec-WebSocket-Version");
	struct cm_buf url = CM_BUF_INIT, hk = CM_BUF_INIT, hp = CM_BUF_INIT, hv = CM_BUF_INIT;
	const char *upgrade = cm_http_req_header(c->req, "Upgrade");
	struct execproxy *x;
	int rc;

	(void)node;
	/* kubectl 1.32 speaks WebSocket; SPDY (its fallback, and older kubectls') is not served */
	if (!upgrade || strcasecmp(upgrade, "websocket") || !key) {
		api_ctx_reply_status(c, api_status_bad_request("Upgrade request required: exec is served over WebSocket "
							       "(v5.channel.k8s.io or v4.channel.k8s.io)"));
		return;
	}
	x = calloc(1, sizeof(*x));
	rc = x ? 0 : -ENOMEM;

	if (!rc)
		rc = cm_buf_printf(&url, "%s/exec/%s/%s/%s?", base_url, c->ns, c->name, container);
	for (size_t i = 0; !rc && i < sizeof(flags) / sizeof(flags[0]); i++)
		rc = cm_buf_printf(&url, "%s%s=%s", i ? "&" : "", flags[i],
				   api_query_bool(cm_http_req_query(c->req, flags[i])) ? "true" : "false");
	if (!rc)
		rc = cm_http_req_query_each(c->req, "command", add_query, &url);
	if (!rc)
		rc = cm_buf_printf(&hk, "Sec-WebSocket-Key: %s", key);
	if (!rc)
		rc = cm_buf_printf(&hp, "Sec-WebSocket-Protocol: %s", proto ? proto : "");
	if (!rc)
		rc = cm_buf_printf(&hv, "Sec-WebSocket-Version: %s", version ? version : "13");
	if (!rc) {
		const char *headers[] = {"Connection: Upgrade", "Upgrade: websocket", hk.data, hp.data, hv.data, NULL};

		x->c = c;
		rc = cm_http_tunnel_open(c->srv->kubelet_http, "GET", url.data, headers, tunnel_opened, x, &x->tun);
	}
	cm_buf_close(&url);
	cm_buf_close(&hk);
	cm_buf_close(&hp);
	cm_buf_close(&hv);
	if (rc < 0) {
		if (x)
			x->c = NULL;
		free(x);
		api_ctx_reply_err(c, rc, NULL);
	}
}

void api_rest_pod_exec(struct api_ctx *c)
{
	/* the pod and container are checked first, so that their errors reach a SPDY client too */
	api_kubelet_target(c, "pods/exec", got_target);
}
