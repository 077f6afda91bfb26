/* http_client.c: libcurl's multi-socket API driven by a libuv loop: polls, one timer, completions. */
#include "common/http_client.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <curl/curl.h>

#include "common/err.h"
#include "common/http_easy.h"
#include "common/log.h"

/*
 * How the pieces meet: libcurl tells us which sockets to watch (socket_cb ->
 * one uv_poll per socket) and when to wake it (timer_cb -> one uv_timer); we
 * hand readiness back with curl_multi_socket_action and then collect finished
 * transfers with curl_multi_info_read. Cancels cannot remove a handle while
 * libcurl is inside one of our callbacks, so they go through a zero-delay
 * "defer" timer that runs from the loop.
 */

struct list {
	struct list *prev, *next;
};

struct cm_http_call {
	struct list link; /* in the client's calls or cancels list */
	struct cm_http_client *client;
	struct cm_http_easy e;
	cm_http_done_cb done;
	cm_http_line_cb on_line;
	cm_http_data_cb on_data;
	void *ud;
	struct cm_buf body;  /* the body, or the partial line being streamed */
	int cancelled;
	int streaming;       /* -1 unknown yet, 0 collecting the body, 1 lines or raw bytes */
};

struct sock {
	uv_poll_t poll;
	struct list link;
	struct cm_http_client *client;
	curl_socket_t fd;
};

struct cm_http_client {
	uv_loop_t *loop;
	CURLM *multi;
	struct cm_http_client_opts opts; /* strings owned */
	uv_timer_t timer;                /* libcurl's timeout */
	uv_timer_t defer;                /* cancels and close, run from the loop */
	struct list calls;               /* in the multi handle */
	struct list cancels;             /* cancelled, maybe still in the multi handle */
	struct list pending;             /* sent from inside libcurl, added from the loop */
	int in_curl;                     /* inside curl_multi_socket_action */
	struct list socks;
	int handles;                     /* uv handles open */
	int closing;
	void (*close_cb)(void *ud);
	void *close_ud;
};

#define CONTAINER(ptr, type, member) ((type *)((char *)(ptr) - offsetof(type, member)))

static void list_init(struct list *l)
{
	l->prev = l->next = l;
}

static int list_empty(const struct list *l)
{
	return l->next == l;
}

static void list_add(struct list *head, struct list *n)
{
	n->prev = head->prev;
	n->next = head;
	head->prev->next = n;
	head->prev = n;
}

static void list_del(struct list *n)
{
	n->prev->next = n->next;
	n->next->prev = n->prev;
	list_init(n);
}

/* ---- ending calls ---- */

static void call_free(struct cm_http_call *call)
{
	list_del(&call->link);
	cm_http_easy_close(&call->e);
	cm_buf_close(&call->body);
	free(call);
}

/* Takes call out of libcurl, runs done once, frees it. Never called from inside libcurl. */
static void call_finish(struct cm_http_call *call, int err)
{
	struct cm_http_client *c = call->client;
	struct cm_http_response resp = {0};
	char *ct = NULL;

	curl_multi_remove_handle(c->multi, call->e.easy);
	if (call->cancelled)
		err = -ECANCELED;
	curl_easy_getinfo(call->e.easy, CURLINFO_RESPONSE_CODE, &resp.status);
	curl_easy_getinfo(call->e.easy, CURLINFO_CONTENT_TYPE, &ct);
	/* A last line without its newline still counts, but not after a failure. */
	if (!err && call->streaming == 1 && call->on_line && call->body.len) {
		call->on_line(call->body.data, call->body.len, call->ud);
		cm_buf_reset(&call->body);
	}
	if (call->cancelled)
		err = -ECANCELED; /* the final on_line may have cancelled */
	resp.err = err;
	resp.content_type = ct;
	resp.body = call->streaming == 1 || !call->body.data ? "" : call->body.data;
	resp.len = call->streaming == 1 ? 0 : call->body.len;
	call->done(&resp, call->ud);
	call_free(call);
}

static void check_done(struct cm_http_client *c)
{
	struct cm_http_call *call;
	CURLMsg *msg;
	int left;

	while ((msg = curl_multi_info_read(c->multi, &left))) {
		if (msg->msg != CURLMSG_DONE)
			continue;
		curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&call);
		CURLcode code = msg->data.result;
		int err = code == CURLE_WRITE_ERROR && !call->cancelled
				  ? -ENOMEM /* only a failed append refuses bytes */
				  : cm_http_easy_error(&call->e, code);
		call_finish(call, err);
	}
}

/* ---- the loop side ---- */

static void handle_closed(struct cm_http_client *c)
{
	if (--c->handles > 0)
		return;
	void (*cb)(void *) = c->close_cb;
	void *ud = c->close_ud;

	free((char *)c->opts.bearer_token);
	free((char *)c->opts.ca_file);
	free((char *)c->opts.cert_file);
	free((char *)c->opts.key_file);
	free((char *)c->opts.unix_socket);
	free(c);
	curl_global_cleanup();
	if (cb)
		cb(ud);
}

static void on_handle_closed(uv_handle_t *h)
{
	handle_closed(h->data);
}

static void on_sock_closed(uv_handle_t *h)
{
	struct sock *s = CONTAINER(h, struct sock, poll);
	struct cm_http_client *c = s->client;

	free(s);
	handle_closed(c);
}

static void sock_close(struct sock *s)
{
	list_del(&s->link);
	uv_poll_stop(&s->poll);
	uv_close((uv_handle_t *)&s->poll, on_sock_closed);
}

static void on_poll(uv_poll_t *p, int status, int events)
{
	struct sock *s = CONTAINER(p, struct sock, poll);
	struct cm_http_client *c = s->client;
	int flags = 0;
	int running;

	if (status < 0)
		flags = CURL_CSELECT_ERR;
	if (events & UV_READABLE)
		flags |= CURL_CSELECT_IN;
	if (events & UV_WRITABLE)
		flags |= CURL_CSELECT_OUT;
	/* s may be freed by this call (socket removed): only c is used after. */
	c->in_curl++;
	curl_multi_socket_action(c->multi, s->fd, flags, &running);
	c->in_curl--;
	check_done(c);
}

static int socket_cb(CURL *easy, curl_socket_t fd, int what, void *userp, void *socketp)
{
	struct cm_http_client *c = userp;
	struct sock *s = socketp;
	int events = 0;

	(void)easy;
	if (what == CURL_POLL_REMOVE) {
		if (s) {
			if (!c->closing)
				curl_multi_assign(c->multi, fd, NULL);
			sock_close(s);
		}
		return 0;
	}
	if (!s) {
		s = calloc(1, sizeof(*s));
		if (!s)
			return -1;
		if (uv_poll_init_socket(c->loop, &s->poll, fd) < 0) {
			free(s);
			return -1;
		}
		s->client = c;
		s->fd = fd;
		c->handles++;
		list_add(&c->socks, &s->link);
		curl_multi_assign(c->multi, fd, s);
	}
	if (what & CURL_POLL_IN)
		events |= UV_READABLE;
	if (what & CURL_POLL_OUT)
		events |= UV_WRITABLE;
	uv_poll_start(&s->poll, events, on_poll);
	return 0;
}

static void on_timer(uv_timer_t *t)
{
	struct cm_http_client *c = t->data;
	int running;

	c->in_curl++;
	curl_multi_socket_action(c->multi, CURL_SOCKET_TIMEOUT, 0, &running);
	c->in_curl--;
	check_done(c);
}

static int timer_cb(CURLM *multi, long timeout_ms, void *userp)
{
	struct cm_http_client *c = userp;

	(void)multi;
	if (timeout_ms < 0)
		uv_timer_stop(&c->timer);
	else
		uv_timer_start(&c->timer, on_timer, (uint64_t)timeout_ms, 0);
	return 0;
}

/* Runs from the loop: finishes cancelled calls, then, when closing, tears down. */
static void on_defer(uv_timer_t *t)
{
	struct cm_http_client *c = t->data;

	while (!list_empty(&c->pending)) {
		struct cm_http_call *call = CONTAINER(c->pending.next, struct cm_http_call, link);

		list_del(&call->link);
		if (curl_multi_add_handle(c->multi, call->e.easy) == CURLM_OK) {
			list_add(&c->calls, &call->link);
		} else {
			/* Too late to fail the send: report it through done. */
			list_add(&c->cancels, &call->link);
			call_finish(call, -ENOMEM);
		}
	}
	while (!list_empty(&c->cancels))
		call_finish(CONTAINER(c->cancels.next, struct cm_http_call, link), -ECANCELED);
	if (!c->closing || !list_empty(&c->calls) || !c->multi)
		return;
	/* Cleanup closes cached connections; their REMOVE callbacks close the polls. */
	curl_multi_cleanup(c->multi);
	c->multi = NULL;
	while (!list_empty(&c->socks))
		sock_close(CONTAINER(c->socks.next, struct sock, link));
	uv_close((uv_handle_t *)&c->timer, on_handle_closed);
	uv_close((uv_handle_t *)&c->defer, on_handle_closed);
}

/* ---- bytes arriving ---- */

/* Hands every complete line in call->body to on_line; keeps the partial tail. */
static int split_lines(struct cm_http_call *call, size_t scan_from)
{
	size_t start = 0;
	char *nl;

	while (!call->cancelled &&
	       (nl = memchr(call->body.data + scan_from, '\n', call->body.len - scan_from))) {
		size_t end = (size_t)(nl - call->body.data);
		size_t len = end - start;

		if (len && call->body.data[end - 1] == '\r')
			len--;
		call->body.data[start + len] = '\0';
		call->on_line(call->body.data + start, len, call->ud);
		start = scan_from = end + 1;
	}
	cm_buf_consume(&call->body, start);
	return call->cancelled ? -ECANCELED : 0;
}

static size_t on_write(char *ptr, size_t size, size_t nmemb, void *ud)
{
	struct cm_http_call *call = ud;
	size_t n = size * nmemb;
	size_t old = call->body.len;

	/* Refusing bytes makes libcurl end the transfer: how a cancel stops a stream. */
	if (call->cancelled)
		return 0;
	if (call->streaming < 0) {
		long status = 0;

		curl_easy_getinfo(call->e.easy, CURLINFO_RESPONSE_CODE, &status);
		call->streaming = (call->on_line || call->on_data) && status >= 200 && status < 300;
	}
	if (call->streaming == 1 && !call->on_line) {
		call->on_data(ptr, n, call->ud);
		return call->cancelled ? 0 : n;
	}
	if (cm_buf_append(&call->body, ptr, n))
		return 0;
	if (call->streaming == 1 && split_lines(call, old))
		return 0;
	return n;
}

/* ---- public ---- */

static int dup_opt(const char **dst, const char *src)
{
	*dst = NULL;
	if (!src)
		return 0;
	*dst = strdup(src);
	return *dst ? 0 : -ENOMEM;
}

static int check_file(const char *path)
{
	return !path || access(path, R_OK) == 0 ? 0 : -EINVAL;
}

int cm_http_client_new(uv_loop_t *loop, const struct cm_http_client_opts *opts,
		       struct cm_http_client **out)
{
	struct cm_http_client_opts none = {0};
	struct cm_http_client *c;
	int rc = -ENOMEM;

	if (!opts)
		opts = &none;
	if (!loop || check_file(opts->ca_file) || check_file(opts->cert_file) ||
	    check_file(opts->key_file))
		return -EINVAL;
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		return -ENOMEM;
	c = calloc(1, sizeof(*c));
	if (!c)
		goto err_global;
	c->opts = *opts;
	if (dup_opt(&c->opts.bearer_token, opts->bearer_token) ||
	    dup_opt(&c->opts.ca_file, opts->ca_file) || dup_opt(&c->opts.cert_file, opts->cert_file) ||
	    dup_opt(&c->opts.key_file, opts->key_file) || dup_opt(&c->opts.unix_socket, opts->unix_socket))
		goto err_opts;
	c->multi = curl_multi_init();
	if (!c->multi)
		goto err_opts;
	curl_multi_setopt(c->multi, CURLMOPT_SOCKETFUNCTION, socket_cb);
	curl_multi_setopt(c->multi, CURLMOPT_SOCKETDATA, c);
	curl_multi_setopt(c->multi, CURLMOPT_TIMERFUNCTION, timer_cb);
	curl_multi_setopt(c->multi, CURLMOPT_TIMERDATA, c);
	/* Many watches stay open at once; keep their connections to reuse. */
	curl_multi_setopt(c->multi, CURLMOPT_MAXCONNECTS, 256L);
	c->loop = loop;
	list_init(&c->calls);
	list_init(&c->cancels);
	list_init(&c->pending);
	list_init(&c->socks);
	uv_timer_init(loop, &c->timer);
	uv_timer_init(loop, &c->defer);
	c->timer.data = c->defer.data = c;
	c->handles = 2;
	*out = c;
	return 0;

err_opts:
	free((char *)c->opts.bearer_token);
	free((char *)c->opts.ca_file);
	free((char *)c->opts.cert_file);
	free((char *)c->opts.key_file);
	free((char *)c->opts.unix_socket);
	free(c);
err_global:
	curl_global_cleanup();
	return rc;
}

int cm_http_client_send(struct cm_http_client *c, const struct cm_http_request *req,
			cm_http_done_cb done, void *ud, struct cm_http_call **out)
{
	struct cm_http_call *call;
	int rc;

	if (c->closing)
		return -CM_ESTOPPED;
	if (!done)
		return -EINVAL;
	call = calloc(1, sizeof(*call));
	if (!call)
		return -ENOMEM;
	rc = cm_http_easy_init(&call->e, &c->opts, req);
	if (rc)
		goto err_call;
	call->client = c;
	call->done = done;
	call->on_line = req->on_line;
	call->on_data = req->on_data;
	call->ud = ud;
	call->streaming = -1;
	list_init(&call->link);
	if (curl_easy_setopt(call->e.easy, CURLOPT_WRITEFUNCTION, on_write) != CURLE_OK ||
	    curl_easy_setopt(call->e.easy, CURLOPT_WRITEDATA, call) != CURLE_OK ||
	    curl_easy_setopt(call->e.easy, CURLOPT_PRIVATE, call) != CURLE_OK) {
		rc = -ENOMEM;
		goto err_easy;
	}
	/*
	 * Adding only arms the timer: the transfer and done all happen from the
	 * loop. libcurl refuses adds from inside its callbacks (a send from
	 * on_line), so those wait for the defer timer.
	 */
	if (c->in_curl) {
		list_add(&c->pending, &call->link);
		uv_timer_start(&c->defer, on_defer, 0, 0);
	} else if (curl_multi_add_handle(c->multi, call->e.easy) != CURLM_OK) {
		rc = -ENOMEM;
		goto err_easy;
	} else {
		list_add(&c->calls, &call->link);
	}
	if (out)
		*out = call;
	return 0;

err_easy:
	cm_http_easy_close(&call->e);
err_call:
	free(call);
	return rc;
}

void cm_http_call_cancel(struct cm_http_call *call)
{
	struct cm_http_client *c = call->client;

	if (call->cancelled)
		return;
	call->cancelled = 1;
	list_del(&call->link);
	list_add(&c->cancels, &call->link);
	uv_timer_start(&c->defer, on_defer, 0, 0);
}

void cm_http_client_close(struct cm_http_client *c, void (*done)(void *ud), void *ud)
{
	if (c->closing)
		return;
	c->closing = 1;
	c->close_cb = done;
	c->close_ud = ud;
	while (!list_empty(&c->calls))
		cm_http_call_cancel(CONTAINER(c->calls.next, struct cm_http_call, link));
	while (!list_empty(&c->pending))
		cm_http_call_cancel(CONTAINER(c->pending.next, struct cm_http_call, link));
	uv_timer_start(&c->defer, on_defer, 0, 0);
}

const struct cm_http_client_opts *cm_http_client_options(const struct cm_http_client *c)
{
	return &c->opts;
}

uv_loop_t *cm_http_client_loop(const struct cm_http_client *c)
{
	return c->loop;
}
