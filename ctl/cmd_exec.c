/* cmd_exec.c: exec: a command in a pod's container over WebSocket (channel.k8s.io v5/v4), as kubectl exec. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include <uv.h>

#include "common/base64.h"
#include "common/err.h"
#include "common/http_tunnel.h"
#include "common/json.h"
#include "common/uv_alloc.h"
#include "common/websocket.h"
#include "ctl/cli.h"

struct ex {
	struct mc_ctx *c;
	uv_loop_t *loop;
	struct cm_http_tunnel *t;
	struct cm_ws_reader rd;
	struct cm_buf accept;  /* the Sec-WebSocket-Accept the server must send */
	struct cm_buf status;  /* channel 3 */
	struct cm_buf body;    /* a refusal's body */
	long body_len;
	long http_status;
	int err;
	bool v5, tty, upgraded, done;
	union {
		uv_pipe_t pipe;
		uv_tty_t tty;
	} in;
	bool in_open, raw;
};

/* Sends one masked frame (a client masks what it sends, RFC 6455 5.3). */
static int send_frame(struct ex *x, int op, int ch, const void *data, size_t len)
{
	struct cm_buf payload = CM_BUF_INIT, frame = CM_BUF_INIT;
	uint8_t mask[4];
	int rc = 0;

	if (uv_random(NULL, NULL, mask, sizeof(mask), 0, NULL) < 0)
		memset(mask, 0x5a, sizeof(mask));
	if (ch >= 0 && (rc = cm_buf_putc(&payload, (char)ch)) == 0)
		rc = cm_buf_append(&payload, data, len);
	if (!rc)
		rc = ch >= 0 ? cm_ws_frame_encode(&frame, op, payload.data, payload.len, mask)
			     : cm_ws_frame_encode(&frame, op, data, len, mask);
	if (!rc && x->t)
		rc = cm_http_tunnel_write(x->t, frame.data, frame.len);
	cm_buf_close(&payload);
	cm_buf_close(&frame);
	return rc;
}

static void stdin_closed(uv_handle_t *h)
{
	(void)h;
}

static void stop_stdin(struct ex *x)
{
	if (!x->in_open)
		return;
	x->in_open = false;
	if (x->raw)
		uv_tty_reset_mode();
	uv_close((uv_handle_t *)&x->in, stdin_closed);
}

static void finish(struct ex *x)
{
	x->done = true;
	stop_stdin(x);
	cm_http_tunnel_close(x->t);
	x->t = NULL;
}

static int on_message(int op, const uint8_t *data, size_t len, void *arg)
{
	struct ex *x = arg;

	if (op == CM_WS_OP_PING)
		return send_frame(x, CM_WS_OP_PONG, -1, data, len) < 0;
	if (op == CM_WS_OP_CLOSE) {
		send_frame(x, CM_WS_OP_CLOSE, -1, data, len > 2 ? 2 : len);
		finish(x);
		return 1;
	}
	if (op != CM_WS_OP_BINARY || len == 0)
		return 0;
	if (data[0] == CM_WS_CH_STDOUT)
		fwrite(data + 1, 1, len - 1, x->c->out), fflush(x->c->out);
	else if (data[0] == CM_WS_CH_STDERR)
		fwrite(data + 1, 1, len - 1, x->c->errout), fflush(x->c->errout);
	else if (data[0] == CM_WS_CH_ERROR)
		cm_buf_append(&x->status, data + 1, len - 1);
	return 0;
}

static void on_data(struct cm_http_tunnel *t, const char *data, ssize_t len, void *ud)
{
	struct ex *x = ud;

	(void)t;
	if (len < 0) {
		if (len != UV_EOF && !x->status.len)
			x->err = (int)len;
		finish(x);
		return;
	}
	if (!x->upgraded) {
		cm_buf_append(&x->body, data, (size_t)len);
		if (x->body_len >= 0 && (long)x->body.len >= x->body_len)
			finish(x);
		return;
	}
	if (cm_ws_reader_feed(&x->rd, data, (size_t)len, on_message, x) < 0) {
		x->err = -EPROTO;
		finish(x);
	}
}

static void send_stdin_end(struct ex *x)
{
	static const uint8_t end[] = {CM_WS_CH_CLOSE, CM_WS_CH_STDIN};

	if (x->v5)
		send_frame(x, CM_WS_OP_BINARY, -1, end, sizeof(end));
}

static void on_stdin(uv_stream_t *st, ssize_t n, const uv_buf_t *buf)
{
	struct ex *x = st->data;

	if (n > 0)
		send_frame(x, CM_WS_OP_BINARY, CM_WS_CH_STDIN, buf->base, (size_t)n);
	free(buf->base);
	if (n < 0) {
		/* the end of our stdin is the command's (v5; v4 has no way to say it) */
		send_stdin_end(x);
		stop_stdin(x);
	}
}

/* Wires our stdin to channel 0: a pipe or terminal read on the loop, a file sent whole. */
static void start_stdin(struct ex *x)
{
	uv_handle_type type = uv_guess_handle(0);
	int rc = -EINVAL;

	if (type == UV_TTY && (rc = uv_tty_init(x->loop, &x->in.tty, 0, 1)) == 0) {
		int w, h;

		x->in_open = true;
		if (x->tty && uv_tty_set_mode(&x->in.tty, UV_TTY_MODE_RAW) == 0) {
			struct termios t;

			x->raw = true;
			/*
			 * libuv's raw mode keeps ONLCR, but the remote terminal
			 * already ends lines with \r\n: ours would add a second
			 * \r. uv_tty_reset_mode restores all of it.
			 */
			if (tcgetattr(0, &t) == 0) {
				t.c_oflag &= ~(tcflag_t)OPOST;
				(void)tcsetattr(0, TCSANOW, &t); /* best effort: a stray \r at worst */
			}
		}
		if (x->tty && uv_tty_get_winsize(&x->in.tty, &w, &h) == 0) {
			struct cm_buf sz = CM_BUF_INIT;

			if (cm_buf_printf(&sz, "{\"Width\":%d,\"Height\":%d}", w, h) == 0)
				send_frame(x, CM_WS_OP_BINARY, CM_WS_CH_RESIZE, sz.data, sz.len);
			cm_buf_close(&sz);
		}
	} else if (type == UV_NAMED_PIPE || type == UV_TCP) {
		if ((rc = uv_pipe_init(x->loop, &x->in.pipe, 0)) == 0) {
			x->in_open = true;
			rc = uv_pipe_open(&x->in.pipe, 0);
		}
	}
	if (rc == 0) {
		x->in.pipe.data = x;
		uv_read_start((uv_stream_t *)&x->in, cm_uv_alloc, on_stdin);
		return;
	}
	stop_stdin(x);
	/* a file (or nothing usable): read it now, the tool's own blocking read */
	char chunk[16384];
	ssize_t n;

	while ((n = read(0, chunk, sizeof(chunk))) > 0)
		send_frame(x, CM_WS_OP_BINARY, CM_WS_CH_STDIN, chunk, (size_t)n);
	send_stdin_end(x);
}

static void on_open(struct cm_http_tunnel *t, const struct cm_http_tunnel_resp *r, void *ud)
{
	struct ex *x = ud;
	struct cm_buf v = CM_BUF_INIT;

	if (r->err) {
		x->err = r->err;
		x->t = NULL;
		x->done = true;
		return;
	}
	x->http_status = r->status;
	if (r->status != 101) {
		x->body_len = cm_http_head_value(r->head, "Content-Length", &v) == 0 ? atol(v.data) : -1;
		cm_buf_close(&v);
		if (x->body_len == 0)
			finish(x);
		else
			cm_http_tunnel_read_start(t, on_data, x);
		return;
	}
	if (cm_http_head_value(r->head, "Sec-WebSocket-Accept", &v) < 0 || strcmp(v.data, x->accept.data)) {
		x->err = -EPROTO;
		cm_buf_close(&v);
		finish(x);
		return;
	}
	cm_buf_reset(&v);
	cm_http_head_value(r->head, "Sec-WebSocket-Protocol", &v);
	x->v5 = v.data && !strcmp(v.data, CM_WS_PROTO_V5);
	cm_buf_close(&v);
	x->upgraded = true;
	cm_http_tunnel_read_start(t, on_data, x);
}

/* kubectl's ending: the command's exit code, "command terminated with exit code N", or the error. */
static int result(struct ex *x)
{
	cJSON *st;
	const cJSON *cause;
	int code = MC_FAIL;

	if (x->err == -EPROTO)
		return mc_errorf(x->c, "the server's answer is not a WebSocket handshake this exec understands");
	if (x->err)
		return mc_errorf(x->c, "%s", cm_strerror(x->err));
	if (x->http_status != 101) {
		if (cm_buf_putc(&x->body, '\0') < 0)
			return MC_FAIL;
		return mc_print_api_error(x->c, x->http_status, x->body.data);
	}
	if (!x->status.len)
		return 0; /* v4 servers may end without a Status */
	st = cJSON_ParseWithLength(x->status.data, x->status.len);
	if (!strcmp(cm_json_str_or(st, "status", ""), "Success")) {
		code = 0;
	} else if (!strcmp(cm_json_str_or(st, "reason", ""), "NonZeroExitCode")) {
		cJSON_ArrayForEach(cause, cm_json_get(st, "details.causes"))
			if (!strcmp(cm_json_str_or(cause, "reason", ""), "ExitCode"))
				code = atoi(cm_json_str_or(cause, "message", "1"));
		fprintf(x->c->errout, "command terminated with exit code %d\n", code);
		x->c->exit_code = code;
		code = MC_FAIL;
	} else {
		mc_errorf(x->c, "%s", cm_json_str_or(st, "message", "the command failed"));
	}
	cJSON_Delete(st);
	return code;
}

static int add_command(struct cm_buf *url, const struct mc_strv *cmd)
{
	int rc = 0;

	for (size_t i = 0; !rc && i < cmd->n; i++)
		if (!(rc = cm_buf_puts(url, "&command=")))
			rc = mc_url_escape(url, cmd->v[i]);
	return rc;
}

static int exec_run(struct mc_ctx *c, const char *pod, const char *container, bool in, bool tty,
		    const struct mc_strv *cmd)
{
	struct ex x = {.c = c, .tty = tty, .body_len = -1};
	struct cm_buf url = CM_BUF_INIT, key = CM_BUF_INIT, hkey = CM_BUF_INIT;
	struct cm_http_client *client = NULL;
	uint8_t nonce[16];
	uv_loop_t loop;
	int rc;

	if (uv_loop_init(&loop))
		return mc_errorf(c, "out of memory");
	x.loop = &loop;
	cm_ws_reader_init(&x.rd, 0);
	if (uv_random(NULL, NULL, nonce, sizeof(nonce), 0, NULL) < 0)
		memset(nonce, 7, sizeof(nonce));
	rc = cm_base64_encode(nonce, sizeof(nonce), &key);
	if (!rc)
		rc = cm_ws_accept_key(key.data, &x.accept);
	if (!rc)
		rc = cm_buf_printf(&hkey, "Sec-WebSocket-Key: %s", key.data);
	if (!rc)
		rc = cm_buf_printf(&url, "%s/api/v1/namespaces/%s/pods/%s/exec?stdin=%s&stdout=true&stderr=%s&tty=%s",
				   c->server_url, c->ns, pod, in ? "true" : "false", tty ? "false" : "true",
				   tty ? "true" : "false");
	if (!rc && container && *container && !(rc = cm_buf_puts(&url, "&container=")))
		rc = mc_url_escape(&url, container);
	if (!rc)
		rc = add_command(&url, cmd);
	if (!rc)
		rc = cm_http_client_new(&loop, &c->http, &client);
	if (!rc) {
		const char *headers[] = {"Connection: Upgrade", "Upgrade: websocket", "Sec-WebSocket-Version: 13",
					 hkey.data,
					 "Sec-WebSocket-Protocol: " CM_WS_PROTO_V5 ", " CM_WS_PROTO_V4,
					 "User-Agent: minictl/v1.32.0", NULL};

		rc = cm_http_tunnel_open(client, "GET", url.data, headers, on_open, &x, &x.t);
	}
	if (!rc) {
		while (!x.done && !x.upgraded && uv_run(&loop, UV_RUN_ONCE))
			;
		if (!x.done && in)
			start_stdin(&x);
		while (!x.done && uv_run(&loop, UV_RUN_ONCE))
			;
		rc = result(&x);
	} else {
		rc = mc_errorf(c, "%s", cm_strerror(rc));
	}
	stop_stdin(&x);
	cm_http_tunnel_close(x.t);
	if (client)
		cm_http_client_close(client, NULL, NULL);
	uv_run(&loop, UV_RUN_DEFAULT);
	uv_loop_close(&loop);
	cm_ws_reader_close(&x.rd);
	cm_buf_close(&x.accept);
	cm_buf_close(&x.status);
	cm_buf_close(&x.body);
	cm_buf_close(&url);
	cm_buf_close(&key);
	cm_buf_close(&hkey);
	return rc;
}

int mc_run_exec(struct mc_ctx *c, const struct mc_cmd *cmd, int argc, char **argv)
{
	struct mc_strv pos = {0}, dash = {0};
	const char *container = NULL, *pod;
	bool in = false, tty = false;
	const struct mc_flag flags[] = {
		{"container", 'c', MC_FLAG_STRING, &container, "''", "Container name. If omitted, the pod's only container."},
		{"stdin", 'i', MC_FLAG_BOOL, &in, "false", "Pass stdin to the container."},
		{"tty", 't', MC_FLAG_BOOL, &tty, "false", "Stdin is a TTY."},
	};
	int rc = mc_cmd_parse(c, cmd, flags, sizeof(flags) / sizeof(flags[0]), argc, argv, &pos, &dash);

	if (rc)
		goto done;
	if (pos.n == 0) {
		rc = mc_usage_error(c, cmd, "pod or type/name must be specified");
		goto done;
	}
	if (dash.n == 0) {
		rc = mc_usage_error(c, cmd, "you must specify at least one command for the container");
		goto done;
	}
	pod = pos.v[0];
	/* "pod/NAME", as get -o name prints it */
	if (!strncmp(pod, "pod/", 4) || !strncmp(pod, "pods/", 5) || !strncmp(pod, "po/", 3))
		pod = strchr(pod, '/') + 1;
	else if (strchr(pod, '/')) {
		rc = mc_errorf(c, "exec takes a pod (POD or pod/POD), not %s", pod);
		goto done;
	}
	rc = exec_run(c, pod, container, in, tty, &dash);
done:
	mc_strv_close(&pos);
	mc_strv_close(&dash);
	return rc;
}
