/* tcp.c: TCP service ports: accept, connect to a chosen endpoint, and copy both ways with bounded buffers. */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/log.h"
#include "kubeproxy/proxy_int.h"

/*
 * One direction of a connection. Bytes are read only while the buffer is
 * empty, so at most buf_size bytes wait per direction: a slow reader on one
 * side stops the proxy reading the other side, and TCP's own window then
 * pushes back on the sender. The buffer lives in the connection, which is
 * reused from a pool: no allocation per chunk or per connection once warm.
 */
struct half {
	char *buf;
	size_t off, len;
	bool eof;  /* the source closed its sending side */
	bool shut; /* ... and that was passed on with shutdown(SHUT_WR) */
};

struct kp_conn {
	struct kp_conn *prev, *next; /* in sp->conns, or next in the free pool */
	struct kp_proxy *p;
	struct kp_svcport *sp; /* NULL once closing */
	struct kp_port_metrics m;
	uv_poll_t cpoll, bpoll;
	int cfd, bfd;
	int cmask, bmask; /* events each poll is started with, 0 if stopped */
	int closing;      /* poll handles still to close */
	bool connecting;
	int attempts; /* endpoints tried for this connection */
	struct kp_addr client;
	struct kp_addr backend;
	struct half up;   /* client to endpoint */
	struct half down; /* endpoint to client */
	char bufs[];      /* 2 * buf_size */
};

/* Reads per event before yielding to the loop, so a bulk stream does not starve others. */
#define READS_PER_EVENT 4
#define ACCEPTS_PER_EVENT 64
/* Endpoints tried before a client is turned away: one dead endpoint should not fail a connection. */
#define MAX_ATTEMPTS 3

int kp_socket_bind(const struct kp_addr *addr, int type, bool reuse_port)
{
	struct sockaddr_storage ss;
	socklen_t len = kp_addr_to_sockaddr(addr, &ss);
	int fd, one = 1, rc;

	fd = socket(addr->family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (reuse_port)
		setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one));
	/* A cluster IP may not be up (yet, or at all without privileges): bind anyway. */
	if (addr->family == AF_INET)
		setsockopt(fd, IPPROTO_IP, IP_FREEBIND, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&ss, len) < 0)
		goto fail;
	if (type == SOCK_STREAM && listen(fd, 4096) < 0)
		goto fail;
	return fd;
fail:
	rc = -errno;
	close(fd);
	return rc;
}

static void conn_update(struct kp_conn *c);

/* A nonblocking socket connecting to ep. Returns the fd or -errno. */
static int backend_connect(const struct kp_addr *ep)
{
	struct sockaddr_storage ss;
	socklen_t len = kp_addr_to_sockaddr(ep, &ss);
	int fd, one = 1, rc;

	fd = socket(ep->family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (connect(fd, (struct sockaddr *)&ss, len) < 0 && errno != EINPROGRESS) {
		rc = -errno;
		close(fd);
		return rc;
	}
	return fd;
}

static void conn_closed(uv_handle_t *h)
{
	struct kp_conn *c = h->data;
	struct kp_proxy *p = c->p;

	if (--c->closing == 0) {
		close(c->cfd);
		close(c->bfd);
		if (!p->closing && p->nfree < p->opts.max_free_conns) {
			c->next = p->free_conns;
			p->free_conns = c;
			p->nfree++;
		} else {
			free(c);
		}
	}
	kp_proxy_handle_closed(p); /* last: it may free the engine */
}

static void conn_close(struct kp_conn *c)
{
	struct kp_svcport *sp = c->sp;

	if (!sp)
		return; /* already closing */
	if (c->prev)
		c->prev->next = c->next;
	else
		sp->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	c->sp = NULL;
	c->p->nconns--;
	cm_metric_add(c->m.active, -1);
	c->closing = 2;
	uv_close((uv_handle_t *)&c->cpoll, conn_closed);
	uv_close((uv_handle_t *)&c->bpoll, conn_closed);
}

/* Writes what h holds to fd. Returns 0 (all written, or the socket is full) or -errno. */
static int half_flush(struct half *h, int fd)
{
	while (h->off < h->len) {
		ssize_t n = send(fd, h->buf + h->off, h->len - h->off, MSG_NOSIGNAL);
		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR)
				return 0;
			return -errno;
		}
		h->off += (size_t)n;
	}
	h->off = h->len = 0;
	if (h->eof && !h->shut) {
		shutdown(fd, SHUT_WR);
		h->shut = true;
	}
	return 0;
}

/* Moves bytes from one socket to the other while neither blocks. Returns 0 or -errno. */
static int half_pump(struct half *h, int from, int to, size_t size, struct cm_metric *bytes)
{
	for (int i = 0; i < READS_PER_EVENT && !h->eof && !h->len; i++) {
		ssize_t n = recv(from, h->buf, size, 0);
		if (n < 0)
			return errno == EAGAIN || errno == EINTR ? 0 : -errno;
		if (n == 0)
			h->eof = true;
		h->off = 0;
		h->len = (size_t)n;
		cm_metric_add(bytes, (double)n);
		int rc = half_flush(h, to);
		if (rc < 0)
			return rc;
		if ((size_t)n < size)
			break; /* the socket is likely drained: let the loop tell us */
	}
	return 0;
}

static void set_mask(uv_poll_t *poll, int *cur, int want, uv_poll_cb cb)
{
	if (want == *cur)
		return;
	*cur = want;
	if (want)
		uv_poll_start(poll, want, cb);
	else
		uv_poll_stop(poll);
}

static void on_client(uv_poll_t *poll, int status, int events);
static void on_backend(uv_poll_t *poll, int status, int events);

/* Starts or stops each poll for what its socket may do now; closes a finished connection. */
static void conn_update(struct kp_conn *c)
{
	int cm = 0, bm = 0;

	if (c->up.shut && c->down.shut) {
		conn_close(c);
		return;
	}
	if (c->connecting) {
		bm = UV_WRITABLE;
	} else {
		if (!c->up.eof && !c->up.len)
			cm |= UV_READABLE;
		if (c->down.len)
			cm |= UV_WRITABLE;
		if (!c->down.eof && !c->down.len)
			bm |= UV_READABLE;
		if (c->up.len)
			bm |= UV_WRITABLE;
	}
	set_mask(&c->cpoll, &c->cmask, cm, on_client);
	set_mask(&c->bpoll, &c->bmask, bm, on_backend);
}

static void on_client(uv_poll_t *poll, int status, int events)
{
	struct kp_conn *c = poll->data;
	size_t size = c->p->opts.buf_size;
	int rc = status;

	if (rc >= 0 && (events & UV_WRITABLE))
		rc = half_flush(&c->down, c->cfd);
	if (rc >= 0 && (events & UV_READABLE))
		rc = half_pump(&c->up, c->cfd, c->bfd, size, c->m.bytes_in);
	if (rc < 0) {
		cm_debug(1, "service %s: connection closed: %s", c->sp->name, strerror(-rc));
		conn_close(c);
		return;
	}
	conn_update(c);
}

/*
 * Connects to another endpoint after a failed connect. The new socket takes
 * the old one's descriptor number (dup3), so the poll handle stays; the poll
 * is stopped first so epoll forgets the old socket. Returns 0 or -errno.
 */
static int conn_retry(struct kp_conn *c)
{
	struct kp_addr ep;
	int fd, rc;

	if (++c->attempts >= MAX_ATTEMPTS)
		return -EHOSTUNREACH;
	rc = kp_chooser_pick(&c->sp->chooser, &c->client, uv_now(c->p->loop), &ep);
	if (rc < 0)
		return rc;
	if (kp_addr_equal(&ep, &c->backend) &&
	    kp_chooser_pick(&c->sp->chooser, &c->client, uv_now(c->p->loop), &ep) < 0)
		return -EHOSTUNREACH;
	if (kp_addr_equal(&ep, &c->backend))
		return -EHOSTUNREACH; /* the only endpoint (or affinity holds to it) */
	fd = backend_connect(&ep);
	if (fd < 0)
		return fd;
	uv_poll_stop(&c->bpoll);
	c->bmask = 0;
	if (dup3(fd, c->bfd, O_CLOEXEC) < 0) {
		rc = -errno;
		close(fd);
		return rc;
	}
	close(fd);
	c->backend = ep;
	conn_update(c);
	return 0;
}

static void on_backend(uv_poll_t *poll, int status, int events)
{
	struct kp_conn *c = poll->data;
	size_t size = c->p->opts.buf_size;
	int rc = status, err = 0;
	socklen_t len = sizeof(err);

	if (c->connecting) {
		/* libuv reports a socket error (a refused connect) as status UV_EBADF, having
		 * stopped the poll: the real reason is in SO_ERROR. */
		getsockopt(c->bfd, SOL_SOCKET, SO_ERROR, &err, &len);
		if (!err && rc < 0)
			err = -rc;
		if (err) {
			c->bmask = 0;
			struct cm_buf b = CM_BUF_INIT;
			kp_addr_format(&c->backend, &b);
			cm_warn("service %s: connect to endpoint %s failed: %s", c->sp->name,
				b.data ? b.data : "?", strerror(err));
			cm_buf_close(&b);
			cm_metric_inc(c->m.errors);
			if (conn_retry(c) < 0)
				conn_close(c);
			return;
		}
		c->connecting = false;
		conn_update(c);
		return;
	}
	if (rc >= 0 && (events & UV_WRITABLE))
		rc = half_flush(&c->up, c->bfd);
	if (rc >= 0 && (events & UV_READABLE))
		rc = half_pump(&c->down, c->bfd, c->cfd, size, c->m.bytes_out);
	if (rc < 0) {
		cm_debug(1, "service %s: connection closed: %s", c->sp->name, strerror(-rc));
		conn_close(c);
		return;
	}
	conn_update(c);
}

static struct kp_conn *conn_get(struct kp_proxy *p)
{
	struct kp_conn *c = p->free_conns;

	if (c) {
		p->free_conns = c->next;
		p->nfree--;
	} else {
		c = malloc(sizeof(*c) + 2 * p->opts.buf_size);
		if (!c)
			return NULL;
	}
	memset(c, 0, sizeof(*c));
	c->p = p;
	c->up.buf = c->bufs;
	c->down.buf = c->bufs + p->opts.buf_size;
	return c;
}

/* Connects to endpoint ep for the accepted socket cfd. Takes cfd (closed on failure). Returns 0 or -errno. */
static int conn_start(struct kp_svcport *sp, int cfd, const struct kp_addr *client,
		      const struct kp_addr *ep)
{
	struct kp_proxy *p = sp->proxy;
	struct kp_conn *c;
	int bfd, one = 1, rc;

	struct kp_addr chosen = *ep;
	int attempts = 0;

	/* On loopback a refused connect fails at once, here rather than in on_backend. */
	while ((bfd = backend_connect(&chosen)) < 0) {
		struct kp_addr next;
		cm_metric_inc(sp->m.errors);
		if (++attempts >= MAX_ATTEMPTS ||
		    kp_chooser_pick(&sp->chooser, client, uv_now(p->loop), &next) < 0 ||
		    kp_addr_equal(&next, &chosen)) {
			rc = bfd;
			goto fail_cfd;
		}
		chosen = next;
	}
	ep = &chosen;
	setsockopt(cfd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	c = conn_get(p);
	if (!c) {
		rc = -ENOMEM;
		goto fail_bfd;
	}
	c->sp = sp;
	c->m = sp->m;
	c->cfd = cfd;
	c->bfd = bfd;
	c->client = *client;
	c->backend = *ep;
	c->attempts = attempts;
	c->connecting = true;
	uv_poll_init(p->loop, &c->cpoll, cfd);
	uv_poll_init(p->loop, &c->bpoll, bfd);
	c->cpoll.data = c->bpoll.data = c;
	kp_proxy_handle_opened(p);
	kp_proxy_handle_opened(p);
	c->next = sp->conns;
	if (sp->conns)
		sp->conns->prev = c;
	sp->conns = c;
	p->nconns++;
	cm_metric_inc(c->m.conns);
	cm_metric_inc(c->m.active);
	conn_update(c);
	return 0;
fail_bfd:
	close(bfd);
fail_cfd:
	close(cfd);
	return rc;
}

static void on_accept(uv_poll_t *poll, int status, int events)
{
	struct kp_listener *l = poll->data;
	struct kp_svcport *sp = l->sp;
	(void)events;

	if (status < 0 || !sp)
		return;
	for (int i = 0; i < ACCEPTS_PER_EVENT; i++) {
		struct sockaddr_storage ss;
		socklen_t len = sizeof(ss);
		struct kp_addr client, ep;
		int fd = accept4(l->fd, (struct sockaddr *)&ss, &len, SOCK_NONBLOCK | SOCK_CLOEXEC);
		int rc;

		if (fd < 0) {
			if (errno != EAGAIN && errno != EINTR && errno != ECONNABORTED) {
				cm_warn("service %s: accept failed: %s", sp->name, strerror(errno));
				cm_metric_inc(sp->m.errors);
			}
			return;
		}
		if (kp_addr_from_sockaddr((struct sockaddr *)&ss, &client) < 0)
			memset(&client, 0, sizeof(client));
		rc = kp_chooser_pick(&sp->chooser, &client, uv_now(sp->proxy->loop), &ep);
		if (rc == 0)
			rc = conn_start(sp, fd, &client, &ep);
		else
			close(fd); /* no endpoint: the client sees the connection closed at once */
		if (rc < 0) {
			cm_debug(1, "service %s: connection refused: %s", sp->name, strerror(-rc));
			cm_metric_inc(sp->m.errors);
		}
	}
}

int kp_tcp_listen(struct kp_svcport *sp, const struct kp_addr *addr, bool reuse_port,
		  struct kp_listener **out)
{
	struct kp_listener *l = calloc(1, sizeof(*l));
	int fd;

	if (!l)
		return -ENOMEM;
	fd = kp_socket_bind(addr, SOCK_STREAM, reuse_port);
	if (fd < 0) {
		free(l);
		return fd;
	}
	l->fd = fd;
	l->protocol = IPPROTO_TCP;
	l->sp = sp;
	l->p = sp->proxy;
	uv_poll_init(sp->proxy->loop, &l->poll, fd);
	l->poll.data = l;
	kp_proxy_handle_opened(sp->proxy);
	uv_poll_start(&l->poll, UV_READABLE, on_accept);
	*out = l;
	return 0;
}

void kp_tcp_close_stale(struct kp_svcport *sp, bool all)
{
	struct kp_conn *c = sp->conns, *next;

	for (; c; c = next) {
		next = c->next;
		if (all || !kp_chooser_has(&sp->chooser, &c->backend))
			conn_close(c);
	}
}

void kp_tcp_free_pool(struct kp_proxy *p)
{
	while (p->free_conns) {
		struct kp_conn *c = p->free_conns;
		p->free_conns = c->next;
		free(c);
	}
	p->nfree = 0;
}
