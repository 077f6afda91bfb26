/* stream.c: a streamed GET over common/http_client on a private loop, for watches and followed logs. */
#include "ctl/stream.h"

#include <errno.h>
#include <string.h>

#include <uv.h>

struct stream {
	mc_line_cb cb;
	void *ud;
	struct cm_http_call *call;
	bool stopped, done;
	int err;
	long status;
	struct cm_buf *errbody;
};

static void on_line(const char *line, size_t len, void *ud)
{
	struct stream *s = ud;

	if (s->stopped)
		return;
	if (s->cb(line, len, s->ud)) {
		s->stopped = true;
		cm_http_call_cancel(s->call);
	}
}

static void on_done(const struct cm_http_response *resp, void *ud)
{
	struct stream *s = ud;

	s->done = true;
	s->status = resp->status;
	s->err = s->stopped ? 0 : resp->err;
	if (resp->status && (resp->status < 200 || resp->status > 299) && s->errbody)
		cm_buf_append(s->errbody, resp->body, resp->len);
}

static void on_closed(void *ud)
{
	(void)ud;
}

int mc_stream(struct mc_ctx *c, const char *path, const char *accept, mc_line_cb cb, void *ud, long *status,
	      struct cm_buf *errbody)
{
	struct stream s = {.cb = cb, .ud = ud, .errbody = errbody};
	struct cm_http_client *client = NULL;
	struct cm_buf url = CM_BUF_INIT, acc = CM_BUF_INIT;
	const char *headers[3] = {NULL, "User-Agent: minictl/v1.32.0", NULL};
	struct cm_http_request req = {0};
	uv_loop_t loop;
	int rc;

	if (uv_loop_init(&loop))
		return -ENOMEM;
	if (cm_buf_printf(&url, "%s%s", c->server_url, path) ||
	    cm_buf_printf(&acc, "Accept: %s", accept ? accept : "application/json")) {
		rc = -ENOMEM;
		goto out;
	}
	headers[0] = acc.data;
	req.url = url.data;
	req.headers = headers;
	req.on_line = on_line;
	if ((rc = cm_http_client_new(&loop, &c->http, &client)))
		goto out;
	if ((rc = cm_http_client_send(client, &req, on_done, &s, &s.call)) == 0) {
		while (!s.done && uv_run(&loop, UV_RUN_ONCE))
			;
		rc = s.err;
	}
	cm_http_client_close(client, on_closed, NULL);
	uv_run(&loop, UV_RUN_DEFAULT);
out:
	uv_loop_close(&loop);
	cm_buf_close(&url);
	cm_buf_close(&acc);
	*status = s.status;
	return rc;
}
