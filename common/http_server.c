/* http_server.c: libmicrohttpd in external-epoll mode driven by a libuv loop, with routing, body limits and graceful close. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gnutls/gnutls.h>

#include "common/http_server_impl.h"
#include "common/log.h"

#define DEFAULT_MAX_BODY (3u * 1024 * 1024)
#define DEFAULT_IDLE_TIMEOUT_S 60
/* Kubernetes' apiserver gives a client 32 s to send its request headers (ReadHeaderTimeout). */
#define DEFAULT_HEADER_TIMEOUT_S 32
#define HEADER_SWEEP_MS 250
#define CONNECTION_LIMIT 10000
#define CONNECTION_MEMORY (64 * 1024)
#define LISTEN_BACKLOG 1024
/* How often MHD runs while only stalled TLS handshakes keep it asking for 0 ms:
 * enough for its connection timeouts, which count in seconds. */
#define STALL_RECHECK_MS 1000

/* ---- the loop glue: MHD's epoll fd under a uv_poll, its timeout under a uv_timer ---- */

static void finish_close(struct cm_http_server *s);
static void on_timer(uv_timer_t *t);
static void on_idle(uv_idle_t *h);

/*
 * "Run again at once" goes through a uv_idle, never a 0 ms timer: libuv
 * (before 1.45) runs a timer re-armed with 0 from its own callback again in
 * the same pass, so the loop never reaches epoll and a peer on this loop (or
 * any other I/O) starves. An active idle handle runs once per loop turn and
 * makes that turn's epoll wait not block, so I/O goes on between runs.
 */
static void run_soon(struct cm_http_server *s)
{
	uv_timer_stop(&s->timer);
	uv_idle_start(&s->idle, on_idle);
}

static void run_mhd(struct cm_http_server *s)
{
	unsigned long progress = s->progress;
	s->in_run = 1;
	s->kick = 0;
	MHD_run(s->mhd);
	s->in_run = 0;
	if (s->closing && s->nactive == 0) {
		finish_close(s);
		return;
	}
	/* MHD keeps connections with data already read in a list of its own, and
	 * then asks for a timeout of 0 rather than waking its epoll fd. */
	MHD_UNSIGNED_LONG_LONG ms;
	if (s->kick) {
		run_soon(s);
	} else if (MHD_get_timeout(s->mhd, &ms) != MHD_YES) {
		uv_idle_stop(&s->idle);
		uv_timer_stop(&s->timer);
	} else if (ms == 0 && !(s->tls_cert && s->progress == progress)) {
		run_soon(s);
	} else {
		/*
		 * Over TLS, a 0 after a run that moved no byte and no request is
		 * MHD 0.9.75 keeping a connection whose handshake waits for the
		 * peer on its ready list (a handshake that would block does not
		 * clear the connection's read-ready flag): running again could
		 * only spin. The peer's bytes wake the epoll fd instead.
		 */
		if (ms == 0)
			ms = STALL_RECHECK_MS;
		uv_idle_stop(&s->idle);
		uv_timer_start(&s->timer, on_timer, ms, 0);
	}
}

static void on_timer(uv_timer_t *t)
{
	run_mhd(t->data);
}

static void on_idle(uv_idle_t *h)
{
	uv_idle_stop(h);
	run_mhd(h->data);
}

static void on_poll(uv_poll_t *p, int status, int events)
{
	(void)status;
	(void)events;
	run_mhd(p->data);
}

/*
 * MHD picks resumed connections up only at its next run, and in external
 * epoll mode nothing wakes its fd for them: so a resume asks for a run on
 * the next loop turn.
 */
void cm_http_server_kick(struct cm_http_server *s)
{
	if (s->in_run)
		s->kick = 1;
	else if (!uv_is_closing((uv_handle_t *)&s->idle))
		run_soon(s);
}

/*
 * ---- TLS connections: gnutls moves their bytes through our functions ----
 *
 * They do what gnutls would do on the socket, and count each move of bytes
 * (or end, or error) as progress, which run_mhd needs to tell real work from
 * MHD's spin on a stalled handshake. A would-block is no progress.
 */

static int would_block(ssize_t n)
{
	return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR);
}

static void on_conn_readable(uv_poll_t *p, int status, int events)
{
	(void)status;
	(void)events;
	struct cm_http_conn *tc = p->data;
	uv_poll_stop(p);
	tc->polling = 0;
	cm_http_server_kick(tc->s);
}

static ssize_t tls_pull(gnutls_transport_ptr_t ptr, void *data, size_t len)
{
	struct cm_http_conn *tc = ptr;
	ssize_t n = recv(tc->fd, data, len, 0);
	if (!would_block(n)) {
		tc->s->progress++;
	} else if (tc->poll_ok && !tc->polling) {
		/*
		 * MHD 0.9.75 leaves a connection whose handshake would block on
		 * its ready list and never puts its socket in its epoll set, so
		 * the peer's next bytes would wake nothing (each handshake step
		 * waited for the stall recheck, a second). Watch the socket
		 * ourselves until it is readable.
		 */
		int saved = errno; /* gnutls reads the would-block from errno */
		if (uv_poll_start(&tc->poll, UV_READABLE, on_conn_readable) == 0)
			tc->polling = 1;
		errno = saved;
	}
	return n;
}

static void on_conn_poll_closed(uv_handle_t *h)
{
	cm_http_conn_free(h->data);
}

static ssize_t tls_push(gnutls_transport_ptr_t ptr, const void *data, size_t len)
{
	struct cm_http_conn *tc = ptr;
	/* MSG_NOSIGNAL: a peer gone away must not raise SIGPIPE in a daemon. */
	ssize_t n = send(tc->fd, data, len, MSG_NOSIGNAL);
	if (!would_block(n))
		tc->s->progress++;
	return n;
}

static void conn_unlink(struct cm_http_conn *c)
{
	struct cm_http_server *s = c->s;
	if (c->prev)
		c->prev->next = c->next;
	else if (s->conns == c)
		s->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	c->prev = c->next = NULL;
}

/*
 * MHD's connection start and end. Every connection gets a context (for the
 * header deadline, see on_header_timer); a TLS connection also gets its
 * transport here, before its handshake.
 */
static void on_connection(void *cls, struct MHD_Connection *conn, void **socket_ctx,
			  enum MHD_ConnectionNotificationCode code)
{
	struct cm_http_server *s = cls;
	s->progress++;
	if (code == MHD_CONNECTION_NOTIFY_CLOSED) {
		struct cm_http_conn *tc = *socket_ctx;
		*socket_ctx = NULL;
		if (!tc)
			return;
		conn_unlink(tc);
		/* Stopping the poll forgets the fd at once, before MHD closes it. */
		if (tc->poll_ok) {
			uv_poll_stop(&tc->poll);
			uv_close((uv_handle_t *)&tc->poll, on_conn_poll_closed);
		} else {
			cm_http_conn_free(tc);
		}
		return;
	}
	struct cm_http_conn *tc = calloc(1, sizeof(*tc));
	const union MHD_ConnectionInfo *fdi =
		MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
	if (!tc || !fdi) {
		/* The connection still works, without a header deadline (and over
		 * TLS with gnutls's own transport, without client certificates). */
		free(tc);
		return;
	}
	tc->s = s;
	tc->fd = fdi->connect_fd;
	tc->started_ms = uv_now(s->loop);
	tc->next = s->conns;
	if (s->conns)
		s->conns->prev = tc;
	s->conns = tc;
	*socket_ctx = tc;
	const union MHD_ConnectionInfo *info =
		MHD_get_connection_info(conn, MHD_CONNECTION_INFO_GNUTLS_SESSION);
	if (!info || !info->tls_session)
		return;
	gnutls_session_t session = (gnutls_session_t)info->tls_session;
	/* MHD asks for a certificate when it has a trust list; etcd's
	 * --client-cert-auth fails the handshake without one. */
	if (s->tls_trust && s->tls_client_required)
		gnutls_certificate_server_set_request(session, GNUTLS_CERT_REQUIRE);
	int rfd, wfd;
	gnutls_transport_get_int2(session, &rfd, &wfd);
	tc->fd = rfd;
	tc->poll_ok = uv_poll_init(s->loop, &tc->poll, rfd) == 0;
	tc->poll.data = tc;
	gnutls_transport_set_ptr(session, tc);
	gnutls_transport_set_pull_function(session, tls_pull);
	gnutls_transport_set_push_function(session, tls_push);
}

/*
 * Slowloris: a client that opens connections and sends its request headers a
 * byte at a time resets MHD's idle timeout with every byte. A connection
 * whose first request's headers are not in header_timeout after it was
 * accepted is shut down; MHD then reads the end and closes it. (Later
 * requests on a kept-alive connection are bounded by the idle timeout only.)
 */
static void on_header_timer(uv_timer_t *t)
{
	struct cm_http_server *s = t->data;
	uint64_t now = uv_now(s->loop);
	int shut = 0;
	for (struct cm_http_conn *c = s->conns; c; c = c->next) {
		if (c->headers_done || now - c->started_ms < s->header_timeout_ms)
			continue;
		c->headers_done = 1; /* once */
		cm_debug(1, "http: connection %d: no request headers after %llu ms, closing", c->fd,
			 (unsigned long long)(now - c->started_ms));
		shutdown(c->fd, SHUT_RDWR);
		shut = 1;
	}
	if (shut)
		cm_http_server_kick(s);
}

/* ---- requests: MHD's access handler and completion callback ---- */

static void count_request(struct cm_http_server *s, const struct cm_http_req *req)
{
	struct cm_http_counter *c = NULL;
	for (size_t i = 0; i < s->ncounters; i++) {
		if (s->counters[i].code == req->status && strcmp(s->counters[i].method, req->method) == 0) {
			c = &s->counters[i];
			break;
		}
	}
	if (!c) {
		/* Odd methods share one series, so clients cannot grow the registry. */
		const char *method = strlen(req->method) < sizeof(c->method) ? req->method : "OTHER";
		struct cm_buf labels = CM_BUF_INIT;
		if (cm_buf_printf(&labels, "method=\"%s\",code=\"%d\"", method, req->status) < 0)
			return;
		struct cm_metric *m = cm_metrics_counter(s->metrics, "http_requests_total",
							 "HTTP requests served, by method and status code.",
							 labels.data);
		cm_buf_close(&labels);
		if (s->ncounters == CM_HTTP_COUNTERS) {
			cm_metric_inc(m);
			return;
		}
		c = &s->counters[s->ncounters++];
		strcpy(c->method, method);
		c->code = req->status;
		c->m = m;
	}
	cm_metric_inc(c->m);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
			 enum MHD_RequestTerminationCode toe)
{
	(void)conn;
	struct cm_http_server *s = cls;
	struct cm_http_req *req = *con_cls;
	s->progress++;
	if (!req)
		return;
	*con_cls = NULL;
	if (toe != MHD_REQUEST_TERMINATED_COMPLETED_OK)
		cm_debug(1, "http: %s %s: ended early (%d)", req->method, req->path, (int)toe);
	req->over = 1;
	if (req->prev)
		req->prev->next = req->next;
	else
		s->active = req->next;
	if (req->next)
		req->next->prev = req->prev;
	s->nactive--;
	if (s->metrics && req->answered)
		count_request(s, req);
	if (req->upgrade)
		cm_http_upgrade_request_ended(req->upgrade);
	if (req->done_cb)
		req->done_cb(req, req->done_ud);
	if (req->resp)
		MHD_destroy_response(req->resp);
	cm_http_req_put(s, req);
}

/* Answers a request the server refuses itself: the owner's way if it has one. */
static void refuse(struct cm_http_server *s, struct cm_http_req *req, int status, const char *message)
{
	if (s->refuse) {
		unsigned was = req->in_handler;

		req->in_handler = 1;
		s->refuse(req, status, s->refuse_ud);
		req->in_handler = was;
		if (req->answered)
			return;
		cm_error("http: %s %s: the refusal hook did not answer %d", req->method, req->path, status);
	}
	cm_http_respond_error(req, status, message);
}

/* Runs the route's handler, or answers 404/405 itself. */
static void dispatch(struct cm_http_server *s, struct cm_http_req *req)
{
	struct cm_http_match m;
	if (s->gate) {
		req->in_handler = 1;
		int stop = s->gate(req, s->gate_ud);
		req->in_handler = 0;
		if (stop)
			return;
	}
	int rc = cm_http_router_match(&s->router, req->method, req->path, &m);
	if (rc == -ENOENT) {
		refuse(s, req, 404, "not found");
		return;
	}
	if (rc < 0) {
		refuse(s, req, 405, "method not allowed");
		return;
	}
	for (size_t i = 0; i < m.nparams; i++) {
		req->param_names[i] = m.params[i].name;
		req->param_offs[i] = req->params.len;
		if (cm_buf_append(&req->params, req->path + m.params[i].off, m.params[i].len) < 0 ||
		    cm_buf_putc(&req->params, '\0') < 0) {
			cm_http_respond_error(req, 500, "out of memory");
			return;
		}
	}
	req->nparams = m.nparams;
	const struct cm_http_route_target *t = m.data;
	req->in_handler = 1;
	t->handler(req, t->ud);
	req->in_handler = 0;
}

/* The first call for a request: its headers are in. */
static enum MHD_Result begin_request(struct cm_http_server *s, struct MHD_Connection *conn,
				     const char *url, const char *method, void **con_cls)
{
	const union MHD_ConnectionInfo *ctx =
		MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
	if (ctx && ctx->socket_context)
		((struct cm_http_conn *)ctx->socket_context)->headers_done = 1;
	struct cm_http_req *req = cm_http_req_get(s);
	if (!req)
		return MHD_NO;
	req->conn = conn;
	req->method = method;
	req->path = url;
	req->next = s->active;
	if (s->active)
		s->active->prev = req;
	s->active = req;
	s->nactive++;
	*con_cls = req;
	const char *why = NULL;
	if (cm_http_tls_check_peer(s, conn, &req->peer, &why) < 0) {
		req->refused = 1;
		req->dispatched = 1;
		cm_http_respond_error(req, 401, why);
		return cm_http_req_queue(req);
	}
	/* Refuse a declared oversize body before reading it; MHD then closes the connection. */
	const char *cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
						     MHD_HTTP_HEADER_CONTENT_LENGTH);
	if (cl && strtoull(cl, NULL, 10) > s->max_body) {
		req->too_large = 1;
		req->dispatched = 1;
		refuse(s, req, 413, "request body too large");
		return cm_http_req_queue(req);
	}
	return MHD_YES;
}

static enum MHD_Result on_access(void *cls, struct MHD_Connection *conn, const char *url,
				 const char *method, const char *version, const char *upload_data,
				 size_t *upload_data_size, void **con_cls)
{
	(void)version;
	struct cm_http_server *s = cls;
	struct cm_http_req *req = *con_cls;
	s->progress++;
	if (!req)
		return begin_request(s, conn, url, method, con_cls);
	if (*upload_data_size > 0) {
		size_t n = *upload_data_size;
		*upload_data_size = 0;
		if (req->too_large || req->refused)
			return MHD_YES;
		if (req->body.len + n > s->max_body) {
			/* A chunked body gives no warning: drop what came and discard the rest. */
			req->too_large = 1;
			cm_buf_close(&req->body);
		} else if (cm_buf_append(&req->body, upload_data, n) < 0) {
			return MHD_NO;
		}
		return MHD_YES;
	}
	if (!req->dispatched) {
		req->dispatched = 1;
		if (req->too_large)
			refuse(s, req, 413, "request body too large");
		else
			dispatch(s, req);
	}
	if (req->answered)
		return cm_http_req_queue(req);
	/* No answer yet: park the connection until respond resumes it. */
	req->suspended = 1;
	MHD_suspend_connection(conn);
	return MHD_YES;
}

/* ---- built-in routes ---- */

static void handle_healthz(struct cm_http_req *req, void *ud)
{
	(void)ud;
	cm_http_respond(req, 200, "text/plain", "ok", 2);
}

static void handle_metrics(struct cm_http_req *req, void *ud)
{
	struct cm_http_server *s = ud;
	struct cm_buf out = CM_BUF_INIT;
	if (cm_metrics_render(s->metrics, &out) < 0) {
		cm_buf_close(&out);
		cm_http_respond_error(req, 500, "out of memory");
		return;
	}
	cm_http_respond_buf(req, 200, "text/plain; version=0.0.4", &out);
	cm_buf_close(&out);
}

/* ---- set-up and tear-down ---- */

static void mhd_log(void *cls, const char *fmt, va_list ap)
{
	(void)cls;
	if (!cm_log_enabled(CM_LOG_DEBUG, 1))
		return;
	struct cm_buf b = CM_BUF_INIT;
	if (cm_buf_vprintf(&b, fmt, ap) == 0) {
		while (b.len > 0 && b.data[b.len - 1] == '\n')
			b.data[--b.len] = '\0';
		cm_debug(1, "http: microhttpd: %s", b.data);
	}
	cm_buf_close(&b);
}

/* Reads a whole PEM file; the text is the caller's. */
static int read_file(const char *path, char **out)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return -errno;
	struct cm_buf b = CM_BUF_INIT;
	char chunk[4096];
	size_t n;
	int rc = 0;
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		if ((rc = cm_buf_append(&b, chunk, n)) < 0)
			break;
	if (rc == 0 && ferror(f))
		rc = -EIO;
	fclose(f);
	char *text = rc == 0 ? cm_buf_take(&b) : NULL;
	cm_buf_close(&b);
	if (rc == 0 && !text)
		rc = -ENOMEM;
	if (rc == 0)
		*out = text;
	return rc;
}

/* Binds the listening socket ourselves, so a failure has its errno. */
static int listen_on(const char *addr, int port, int *is_v6, int *out_fd, int *out_port)
{
	struct sockaddr_storage ss;
	memset(&ss, 0, sizeof(ss));
	struct sockaddr_in *sin = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;
	socklen_t len;
	if (port < 0 || port > 65535)
		return -EINVAL;
	if (inet_pton(AF_INET, addr, &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons((uint16_t)port);
		len = sizeof(*sin);
		*is_v6 = 0;
	} else if (inet_pton(AF_INET6, addr, &sin6->sin6_addr) == 1) {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons((uint16_t)port);
		len = sizeof(*sin6);
		*is_v6 = 1;
	} else {
		return -EINVAL;
	}
	int fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	int one = 1;
	int rc = 0;
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    bind(fd, (struct sockaddr *)&ss, len) < 0 || listen(fd, LISTEN_BACKLOG) < 0 ||
	    getsockname(fd, (struct sockaddr *)&ss, &len) < 0) {
		rc = -errno;
		close(fd);
		return rc;
	}
	*out_port = ntohs(ss.ss_family == AF_INET ? sin->sin_port : sin6->sin6_port);
	*out_fd = fd;
	return 0;
}

static int start_mhd(struct cm_http_server *s, const struct cm_http_server_opts *opts, int fd,
		     int is_v6)
{
	unsigned idle = opts->idle_timeout_s ? opts->idle_timeout_s : DEFAULT_IDLE_TIMEOUT_S;
	unsigned flags = MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME | MHD_ALLOW_UPGRADE | MHD_USE_TURBO | MHD_USE_ERROR_LOG;
	if (is_v6)
		flags |= MHD_USE_IPv6;
	struct MHD_OptionItem tls[5] = {{MHD_OPTION_END, 0, NULL}};
	if (s->tls_cert) {
		flags |= MHD_USE_TLS;
		tls[0] = (struct MHD_OptionItem){MHD_OPTION_HTTPS_MEM_KEY, 0, s->tls_key};
		tls[1] = (struct MHD_OptionItem){MHD_OPTION_HTTPS_MEM_CERT, 0, s->tls_cert};
		if (s->tls_trust)
			tls[2] = (struct MHD_OptionItem){MHD_OPTION_HTTPS_MEM_TRUST, 0, s->tls_trust};
	}
	s->mhd = MHD_start_daemon(flags, 0, NULL, NULL, on_access, s,
				  MHD_OPTION_LISTEN_SOCKET, fd,
				  MHD_OPTION_NOTIFY_COMPLETED, on_completed, s,
				  MHD_OPTION_NOTIFY_CONNECTION, on_connection, s,
				  MHD_OPTION_CONNECTION_TIMEOUT, idle,
				  MHD_OPTION_CONNECTION_LIMIT, (unsigned)CONNECTION_LIMIT,
				  MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)CONNECTION_MEMORY,
				  MHD_OPTION_EXTERNAL_LOGGER, mhd_log, s,
				  MHD_OPTION_ARRAY, tls,
				  MHD_OPTION_END);
	if (!s->mhd)
		return -EINVAL;
	const union MHD_DaemonInfo *info = MHD_get_daemon_info(s->mhd, MHD_DAEMON_INFO_EPOLL_FD);
	if (!info)
		return -EINVAL;
	return 0;
}

static void free_server(struct cm_http_server *s)
{
	for (size_t i = 0; i < s->router.n; i++)
		free(s->router.routes[i].data);
	cm_http_router_close(&s->router);
	s->closing = 1; /* so that put frees rather than recycles */
	while (s->free_reqs) {
		struct cm_http_req *req = s->free_reqs;
		s->free_reqs = req->next;
		cm_http_req_put(s, req);
	}
	free(s->tls_cert);
	free(s->tls_key);
	free(s->tls_trust);
	free(s);
}

int cm_http_server_new(uv_loop_t *loop, const struct cm_http_server_opts *opts,
		       struct cm_http_server **out)
{
	if (!loop || !opts || !out || (!opts->tls_cert_file != !opts->tls_key_file) ||
	    (opts->tls_client_ca_file && !opts->tls_cert_file))
		return -EINVAL;
	struct cm_http_server *s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->loop = loop;
	s->max_body = opts->max_body ? opts->max_body : DEFAULT_MAX_BODY;
	s->header_timeout_ms = 1000ull * (opts->header_timeout_s ? opts->header_timeout_s
								 : DEFAULT_HEADER_TIMEOUT_S);
	s->metrics = opts->metrics;
	s->gate = opts->gate;
	s->gate_ud = opts->gate_ud;
	s->refuse = opts->refuse;
	s->refuse_ud = opts->refuse_ud;
	cm_http_router_init(&s->router);
	int rc, fd = -1, is_v6 = 0;
	if (opts->tls_cert_file) {
		if (!MHD_is_feature_supported(MHD_FEATURE_TLS)) {
			rc = -EINVAL;
			goto fail;
		}
		if ((rc = read_file(opts->tls_cert_file, &s->tls_cert)) < 0 ||
		    (rc = read_file(opts->tls_key_file, &s->tls_key)) < 0) {
			cm_warn("http: tls files %s, %s: %s", opts->tls_cert_file,
				opts->tls_key_file, strerror(-rc));
			rc = rc == -ENOMEM ? rc : -EINVAL;
			goto fail;
		}
		if (opts->tls_client_ca_file &&
		    (rc = read_file(opts->tls_client_ca_file, &s->tls_trust)) < 0) {
			cm_warn("http: client ca file %s: %s", opts->tls_client_ca_file, strerror(-rc));
			rc = rc == -ENOMEM ? rc : -EINVAL;
			goto fail;
		}
		s->tls_client_required = opts->tls_client_ca_file && opts->tls_client_cert_required;
	}
	if (!opts->own_healthz && (rc = cm_http_server_route(s, "GET", "/healthz", handle_healthz, NULL)) < 0)
		goto fail;
	if (s->metrics && (rc = cm_http_server_route(s, "GET", "/metrics", handle_metrics, s)) < 0)
		goto fail;
	rc = listen_on(opts->bind_address ? opts->bind_address : "127.0.0.1", opts->port, &is_v6,
		       &fd, &s->port);
	if (rc < 0)
		goto fail;
	if ((rc = start_mhd(s, opts, fd, is_v6)) < 0)
		goto fail_mhd;
	int efd = MHD_get_daemon_info(s->mhd, MHD_DAEMON_INFO_EPOLL_FD)->epoll_fd;
	if ((rc = uv_poll_init(loop, &s->poll, efd)) < 0)
		goto fail_mhd;
	uv_timer_init(loop, &s->timer);
	uv_timer_init(loop, &s->header_timer);
	uv_idle_init(loop, &s->idle);
	s->poll.data = s;
	s->timer.data = s;
	s->idle.data = s;
	s->header_timer.data = s;
	s->handles_open = 4;
	uv_timer_start(&s->header_timer, on_header_timer, HEADER_SWEEP_MS, HEADER_SWEEP_MS);
	uv_poll_start(&s->poll, UV_READABLE, on_poll);
	*out = s;
	return 0;
fail_mhd:
	if (s->mhd)
		MHD_stop_daemon(s->mhd); /* closes fd, which MHD took */
	else
		close(fd);
fail:
	free_server(s);
	return rc;
}

int cm_http_server_port(const struct cm_http_server *s)
{
	return s->port;
}

int cm_http_server_route(struct cm_http_server *s, const char *method, const char *pattern,
			 cm_http_handler handler, void *ud)
{
	if (!handler)
		return -EINVAL;
	struct cm_http_route_target *t = malloc(sizeof(*t));
	if (!t)
		return -ENOMEM;
	t->handler = handler;
	t->ud = ud;
	int rc = cm_http_router_add(&s->router, method, pattern, t);
	if (rc < 0)
		free(t);
	return rc;
}

static void on_handle_closed(uv_handle_t *h)
{
	struct cm_http_server *s = h->data;
	if (--s->handles_open > 0)
		return;
	/* No request is left, so no connection is suspended: MHD may stop. */
	MHD_stop_daemon(s->mhd);
	void (*done)(void *) = s->done;
	void *ud = s->done_ud;
	free_server(s);
	if (done)
		done(ud);
}

static void finish_close(struct cm_http_server *s)
{
	if (uv_is_closing((uv_handle_t *)&s->timer))
		return;
	uv_poll_stop(&s->poll);
	uv_close((uv_handle_t *)&s->poll, on_handle_closed);
	uv_close((uv_handle_t *)&s->timer, on_handle_closed);
	uv_close((uv_handle_t *)&s->idle, on_handle_closed);
	uv_close((uv_handle_t *)&s->header_timer, on_handle_closed);
}

void cm_http_server_close(struct cm_http_server *s, void (*done)(void *ud), void *ud)
{
	if (s->closing)
		return;
	s->closing = 1;
	s->done = done;
	s->done_ud = ud;
	MHD_socket lfd = MHD_quiesce_daemon(s->mhd);
	if (lfd != MHD_INVALID_SOCKET)
		close(lfd);
	for (struct cm_http_req *req = s->active; req; req = req->next)
		cm_http_stream_end(req);
	cm_http_upgrades_shutdown(s);
	if (!s->in_run && s->nactive == 0)
		finish_close(s);
	else if (!s->in_run)
		run_soon(s); /* let MHD see the ended streams */
}
