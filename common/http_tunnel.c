/* http_tunnel.c: connect on the thread pool (libcurl CONNECT_ONLY), then one HTTP request and raw bytes over curl_easy_send/recv. */
#include "common/http_tunnel.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>

#include "common/http_easy.h"
#include "common/log.h"

/* The response head may not grow past this: a peer that sends no end of headers is cut off. */
#define MAX_HEAD (64 * 1024)
/*
 * Reads per wake-up at most: a peer that sends as fast as we read (in tiny
 * TLS records, as libmicrohttpd 0.9.75 forwards an upgraded connection) must
 * not hold the loop; the rest is read on the next turn.
 */
#define READ_BUDGET 64

enum tunnel_state { T_CONNECTING, T_HEAD, T_OPEN, T_DEAD };

struct cm_http_tunnel {
	uv_loop_t *loop;
	struct cm_http_easy e;
	uv_work_t work;
	CURLcode connect_rc;
	uv_poll_t poll;
	uv_idle_t idle; /* reads again on the next loop turn when the budget ran out */
	bool poll_open;
	int handles;    /* open libuv handles: t is freed when the last closes */
	enum tunnel_state state;
	bool closing, reading;
	struct cm_buf out; /* the request, then the caller's bytes, not yet sent */
	size_t out_off;
	struct cm_buf in;  /* the response head as it comes; after it, body bytes not yet delivered */
	cm_http_tunnel_open_cb open_cb;
	void *open_ud;
	cm_http_tunnel_data_cb data_cb;
	void *data_ud;
};

static void tunnel_free(struct cm_http_tunnel *t)
{
	cm_http_easy_close(&t->e);
	cm_buf_close(&t->out);
	cm_buf_close(&t->in);
	free(t);
}

static void handle_closed(uv_handle_t *h)
{
	struct cm_http_tunnel *t = h->data;

	if (--t->handles == 0)
		tunnel_free(t);
}

/* Runs on the thread pool: the connect and the TLS handshake block there, not on the loop. */
static void do_connect(uv_work_t *w)
{
	struct cm_http_tunnel *t = w->data;

	t->connect_rc = curl_easy_perform(t->e.easy);
}

static void update_poll(struct cm_http_tunnel *t);

static void fail(struct cm_http_tunnel *t, int err)
{
	enum tunnel_state was = t->state;

	t->state = T_DEAD;
	if (was == T_CONNECTING || was == T_HEAD) {
		struct cm_http_tunnel_resp r = {.err = err, .status = 0, .head = ""};

		t->open_cb(t, &r, t->open_ud);
		cm_http_tunnel_close(t);
	} else if (t->reading && !t->closing) {
		t->data_cb(t, NULL, err, t->data_ud);
	}
}

/* Hands over what is buffered, while the caller reads. */
static void deliver(struct cm_http_tunnel *t)
{
	while (t->state == T_OPEN && t->reading && !t->closing && t->in.len) {
		struct cm_buf b = t->in;

		cm_buf_init(&t->in);
		t->data_cb(t, b.data, (ssize_t)b.len, t->data_ud);
		cm_buf_close(&b);
	}
}

/* The head is complete once "\r\n\r\n" came: the status goes to the caller, the rest stays for reads. */
static void parse_head(struct cm_http_tunnel *t)
{
	char *end = t->in.len ? memmem(t->in.data, t->in.len, "\r\n\r\n", 4) : NULL;
	struct cm_http_tunnel_resp r = {0};
	struct cm_buf head = CM_BUF_INIT;
	int major, minor;

	if (!end) {
		if (t->in.len > MAX_HEAD)
			fail(t, -EPROTO);
		return;
	}
	size_t n = (size_t)(end - t->in.data) + 4;
	if (cm_buf_append(&head, t->in.data, n) < 0) {
		fail(t, -ENOMEM);
		return;
	}
	cm_buf_consume(&t->in, n);
	if (sscanf(head.data, "HTTP/%d.%d %d", &major, &minor, &r.status) != 3) {
		cm_buf_close(&head);
		fail(t, -EPROTO);
		return;
	}
	t->state = T_OPEN;
	r.head = head.data;
	t->open_cb(t, &r, t->open_ud);
	cm_buf_close(&head);
	deliver(t);
}

static void on_idle(uv_idle_t *h);

static void do_read(struct cm_http_tunnel *t)
{
	char chunk[16384];
	int budget = READ_BUDGET;

	while (!t->closing && t->state != T_DEAD && (t->state == T_HEAD || t->reading)) {
		if (budget-- == 0) {
			/* TLS may hold decrypted bytes the socket will not signal: come back next turn */
			uv_idle_start(&t->idle, on_idle);
			return;
		}
		size_t n = 0;
		CURLcode rc = curl_easy_recv(t->e.easy, chunk, sizeof(chunk), &n);

		if (rc == CURLE_AGAIN)
			return;
		if (rc != CURLE_OK || n == 0) {
			fail(t, rc == CURLE_OK ? UV_EOF : cm_http_easy_error(&t->e, rc));
			return;
		}
		if (t->state == T_HEAD) {
			if (cm_buf_append(&t->in, chunk, n) < 0) {
				fail(t, -ENOMEM);
				return;
			}
			parse_head(t);
		} else {
			t->data_cb(t, chunk, (ssize_t)n, t->data_ud);
		}
	}
}

static void do_write(struct cm_http_tunnel *t)
{
	while (!t->closing && t->state != T_DEAD && t->out_off < t->out.len) {
		size_t n = 0;
		CURLcode rc = curl_easy_send(t->e.easy, t->out.data + t->out_off, t->out.len - t->out_off, &n);

		if (rc == CURLE_AGAIN)
			break;
		if (rc != CURLE_OK) {
			fail(t, cm_http_easy_error(&t->e, rc));
			return;
		}
		t->out_off += n;
	}
	if (t->out_off == t->out.len) {
		cm_buf_reset(&t->out);
		t->out_off = 0;
	}
}

static void on_poll(uv_poll_t *p, int status, int events)
{
	struct cm_http_tunnel *t = p->data;

	if (status < 0)
		events = UV_READABLE | UV_WRITABLE; /* the calls below find the error */
	if (events & UV_WRITABLE)
		do_write(t);
	if (events & UV_READABLE)
		do_read(t);
	update_poll(t);
}

static void on_idle(uv_idle_t *h)
{
	struct cm_http_tunnel *t = h->data;

	uv_idle_stop(h);
	do_read(t);
	update_poll(t);
}

static void update_poll(struct cm_http_tunnel *t)
{
	int ev = 0;

	if (!t->poll_open || t->closing)
		return;
	if (t->state == T_DEAD) {
		uv_poll_stop(&t->poll);
		return;
	}
	if (t->state == T_HEAD || t->reading)
		ev |= UV_READABLE;
	if (t->out_off < t->out.len)
		ev |= UV_WRITABLE;
	if (ev)
		uv_poll_start(&t->poll, ev, on_poll);
	else
		uv_poll_stop(&t->poll);
}

static void connected(uv_work_t *w, int status)
{
	struct cm_http_tunnel *t = w->data;
	curl_socket_t fd = CURL_SOCKET_BAD;

	if (t->closing) {
		tunnel_free(t);
		return;
	}
	if (status < 0 || t->connect_rc != CURLE_OK) {
		fail(t, status < 0 ? status : cm_http_easy_error(&t->e, t->connect_rc));
		return;
	}
	if (curl_easy_getinfo(t->e.easy, CURLINFO_ACTIVESOCKET, &fd) != CURLE_OK || fd == CURL_SOCKET_BAD ||
	    uv_poll_init_socket(t->loop, &t->poll, fd) < 0) {
		fail(t, -EPROTO);
		return;
	}
	uv_idle_init(t->loop, &t->idle);
	t->poll.data = t->idle.data = t;
	t->poll_open = true;
	t->handles = 2;
	t->state = T_HEAD;
	do_write(t);
	if (t->state != T_DEAD)
		do_read(t); /* TLS may hold bytes already */
	update_poll(t);
}

/* "METHOD /path?query HTTP/1.1", Host, the token and the caller's headers. */
static int build_request(struct cm_http_tunnel *t, const struct cm_http_client_opts *opts, const char *method,
			 const char *url, const char *const *headers)
{
	CURLU *u = curl_url();
	char *path = NULL, *query = NULL, *host = NULL, *port = NULL;
	int rc = -EINVAL;

	if (!u)
		return -ENOMEM;
	if (curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK || curl_url_get(u, CURLUPART_PATH, &path, 0) ||
	    curl_url_get(u, CURLUPART_HOST, &host, 0))
		goto out;
	curl_url_get(u, CURLUPART_QUERY, &query, 0);
	curl_url_get(u, CURLUPART_PORT, &port, 0);
	rc = cm_buf_printf(&t->out, "%s %s%s%s HTTP/1.1\r\nHost: %s%s%s\r\n", method, path, query ? "?" : "",
			   query ? query : "", host, port ? ":" : "", port ? port : "");
	if (!rc && opts->bearer_token && *opts->bearer_token)
		rc = cm_buf_printf(&t->out, "Authorization: Bearer %s\r\n", opts->bearer_token);
	for (const char *const *h = headers; !rc && h && *h; h++)
		rc = cm_buf_printf(&t->out, "%s\r\n", *h);
	if (!rc)
		rc = cm_buf_puts(&t->out, "\r\n");
out:
	curl_free(path);
	curl_free(query);
	curl_free(host);
	curl_free(port);
	curl_url_cleanup(u);
	return rc;
}

int cm_http_tunnel_open(struct cm_http_client *c, const char *method, const char *url, const char *const *headers,
			cm_http_tunnel_open_cb cb, void *ud, struct cm_http_tunnel **out)
{
	const struct cm_http_client_opts *opts = cm_http_client_options(c);
	struct cm_http_request req = {.method = "GET", .url = url};
	struct cm_http_tunnel *t;
	int rc;

	if (!url || !cb)
		return -EINVAL;
	if (!(t = calloc(1, sizeof(*t))))
		return -ENOMEM;
	t->loop = cm_http_client_loop(c);
	t->open_cb = cb;
	t->open_ud = ud;
	if ((rc = build_request(t, opts, method ? method : "GET", url, headers)) < 0 ||
	    (rc = cm_http_easy_init(&t->e, opts, &req)) < 0) {
		cm_buf_close(&t->out);
		free(t);
		return rc;
	}
	if (curl_easy_setopt(t->e.easy, CURLOPT_CONNECT_ONLY, 1L) != CURLE_OK) {
		tunnel_free(t);
		return -ENOMEM;
	}
	t->work.data = t;
	if ((rc = uv_queue_work(t->loop, &t->work, do_connect, connected)) < 0) {
		tunnel_free(t);
		return rc;
	}
	*out = t;
	return 0;
}

void cm_http_tunnel_read_start(struct cm_http_tunnel *t, cm_http_tunnel_data_cb fn, void *ud)
{
	if (t->closing || t->state != T_OPEN)
		return;
	t->data_cb = fn;
	t->data_ud = ud;
	t->reading = true;
	deliver(t);
	if (t->state == T_OPEN && t->reading && !t->closing) {
		do_read(t); /* TLS may hold decrypted bytes the socket will not signal */
		update_poll(t);
	}
}

void cm_http_tunnel_read_stop(struct cm_http_tunnel *t)
{
	t->reading = false;
	update_poll(t);
}

int cm_http_tunnel_write(struct cm_http_tunnel *t, const void *data, size_t len)
{
	if (t->closing || t->state == T_DEAD)
		return -EPIPE;
	if (cm_buf_append(&t->out, data, len) < 0)
		return -ENOMEM;
	if (t->state == T_OPEN) {
		do_write(t);
		update_poll(t);
	}
	return 0;
}

size_t cm_http_tunnel_pending(const struct cm_http_tunnel *t)
{
	return t->out.len - t->out_off;
}

void cm_http_tunnel_close(struct cm_http_tunnel *t)
{
	if (!t || t->closing)
		return;
	t->closing = true;
	if (t->state == T_CONNECTING)
		return; /* freed when the connect returns from the thread pool */
	if (t->poll_open) {
		uv_poll_stop(&t->poll);
		uv_close((uv_handle_t *)&t->poll, handle_closed);
		uv_close((uv_handle_t *)&t->idle, handle_closed);
	} else {
		tunnel_free(t);
	}
}

int cm_http_head_value(const char *head, const char *name, struct cm_buf *out)
{
	size_t n = strlen(name);

	for (const char *l = strstr(head, "\r\n"); l && l[2]; l = strstr(l + 2, "\r\n")) {
		const char *p = l + 2;

		if (strncasecmp(p, name, n) || p[n] != ':')
			continue;
		p += n + 1;
		while (*p == ' ' || *p == '\t')
			p++;
		const char *end = strstr(p, "\r\n");
		while (end && end > p && (end[-1] == ' ' || end[-1] == '\t'))
			end--;
		return cm_buf_append(out, p, end ? (size_t)(end - p) : strlen(p));
	}
	return -ENOENT;
}
