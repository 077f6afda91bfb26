/* dns_server.c: DNS over UDP and TCP on the loop: each query answered from the zone at once, or forwarded. */
#include <ctype.h>
#include <stdbool.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/log.h"
#include "kubeproxy/dns_forward.h"
#include "kubeproxy/dns_msg.h"
#include "kubeproxy/dns_server.h"

#define TCP_MAX_CONNS 256
#define TCP_IDLE_MS 10000 /* RFC 7766 suggests seconds, not minutes */
#define TCP_BUF (65535 + 2)
#define RECV_BATCH 8 /* datagrams per recvmmsg: two syscalls per query become about one and a bit */

struct tconn {
	uv_tcp_t h;
	uv_timer_t idle;
	struct kp_dns_server *s;
	struct tconn *prev, *next;
	uint8_t *buf; /* TCP_BUF bytes */
	size_t len;
	int closing; /* handles still to close */
};

struct kp_dns_server {
	uv_loop_t *loop;
	uv_udp_t udp;
	uv_tcp_t tcp;
	struct kp_dns_zone zone;
	char *domain;
	struct kp_dns_source src;
	struct kp_dns_forward *fwd;
	struct tconn *conns;
	size_t nconns;
	size_t conns_closing; /* closes started, not finished */
	bool stopping;
	struct kp_dns_server_stats stats;
	int port;
	int pending; /* closes left when stopping */
	void (*done)(void *);
	void *done_ud;
	uint8_t obuf[65535];
	/* received datagrams: room for RECV_BATCH of libuv's 64 KiB chunks, read with one recvmmsg */
	uint8_t rbuf[RECV_BATCH * 65536];
};

/* Sends a finished answer: one datagram, or a length-prefixed TCP message. */
static void tcp_send(struct tconn *c, const uint8_t *msg, size_t len);

static void reply(void *ud, const struct kp_dns_client *to, const uint8_t *msg, size_t len)
{
	struct kp_dns_server *s = ud;

	if (to->tcp) {
		tcp_send(to->conn, msg, len);
		return;
	}
	uv_buf_t b = uv_buf_init((char *)msg, (unsigned)len);
	/* best effort, as UDP is: a full socket buffer drops the answer and the client retries */
	if (uv_udp_try_send(&s->udp, &b, 1, (const struct sockaddr *)&to->addr) < 0)
		s->stats.dropped++;
}

static void handle(struct kp_dns_server *s, const struct kp_dns_client *from, const uint8_t *q, size_t qlen)
{
	size_t n = 0;

	switch (kp_dns_answer(&s->zone, &s->src, q, qlen, from->tcp, s->obuf, sizeof(s->obuf), &n)) {
	case KP_DNS_ANSWERED:
		s->stats.answered++;
		reply(s, from, s->obuf, n);
		break;
	case KP_DNS_FORWARD:
		s->stats.forwarded++;
		kp_dns_forward_query(s->fwd, from, q, qlen);
		break;
	case KP_DNS_DROP:
		s->stats.dropped++;
		break;
	}
}

static void udp_alloc(uv_handle_t *h, size_t hint, uv_buf_t *b)
{
	struct kp_dns_server *s = h->data;

	(void)hint;
	*b = uv_buf_init((char *)s->rbuf, sizeof(s->rbuf));
}

static void udp_recv(uv_udp_t *u, ssize_t nread, const uv_buf_t *b, const struct sockaddr *addr, unsigned flags)
{
	struct kp_dns_server *s = u->data;
	struct kp_dns_client from = {.tcp = false};

	(void)flags;
	if (nread <= 0 || !addr)
		return;
	s->stats.udp_queries++;
	memcpy(&from.addr, addr, addr->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in));
	handle(s, &from, (const uint8_t *)b->base, (size_t)nread);
}

/* ---- TCP: RFC 7766 framing, several queries per connection, answers in any order ---- */

static void server_part_closed(struct kp_dns_server *s);

static void conn_closed(uv_handle_t *h)
{
	struct tconn *c = h->data;
	struct kp_dns_server *s = c->s;

	if (--c->closing > 0)
		return;
	free(c->buf);
	free(c);
	s->conns_closing--;
	if (s->stopping)
		server_part_closed(s);
}

static void conn_close(struct tconn *c)
{
	struct kp_dns_server *s = c->s;

	if (c->closing)
		return;
	if (s->fwd)
		kp_dns_forward_forget(s->fwd, c);
	if (c->prev)
		c->prev->next = c->next;
	else
		s->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	s->nconns--;
	s->conns_closing++;
	c->closing = 2;
	uv_close((uv_handle_t *)&c->h, conn_closed);
	uv_close((uv_handle_t *)&c->idle, conn_closed);
}

static void on_idle(uv_timer_t *t)
{
	conn_close(t->data);
}

static void write_done(uv_write_t *req, int status)
{
	(void)status;
	free(req);
}

static void tcp_send(struct tconn *c, const uint8_t *msg, size_t len)
{
	/* the request, the prefix and the message in one allocation, freed when written */
	uv_write_t *req = malloc(sizeof(*req) + 2 + len);
	uint8_t *p;

	if (!req || c->closing) {
		free(req);
		return;
	}
	p = (uint8_t *)(req + 1);
	p[0] = (uint8_t)(len >> 8);
	p[1] = (uint8_t)len;
	memcpy(p + 2, msg, len);
	uv_buf_t b = uv_buf_init((char *)p, (unsigned)(len + 2));
	if (uv_write(req, (uv_stream_t *)&c->h, &b, 1, write_done) < 0) {
		free(req);
		conn_close(c);
	}
}

static void tcp_alloc(uv_handle_t *h, size_t hint, uv_buf_t *b)
{
	struct tconn *c = h->data;

	(void)hint;
	*b = uv_buf_init((char *)c->buf + c->len, (unsigned)(TCP_BUF - c->len));
}

static void tcp_read(uv_stream_t *st, ssize_t nread, const uv_buf_t *b)
{
	struct tconn *c = st->data;
	struct kp_dns_client from = {.tcp = true, .conn = c};
	size_t off = 0, mlen;
	long n;

	(void)b;
	if (nread < 0) {
		conn_close(c);
		return;
	}
	c->len += (size_t)nread;
	uv_timer_start(&c->idle, on_idle, TCP_IDLE_MS, 0);
	while ((n = kp_dns_tcp_frame(c->buf + off, c->len - off, &mlen)) > 0 && !c->closing) {
		c->s->stats.tcp_queries++;
		handle(c->s, &from, c->buf + off + 2, mlen);
		off += (size_t)n;
	}
	if (n < 0) { /* a zero-length frame: the stream cannot be trusted further */
		conn_close(c);
		return;
	}
	memmove(c->buf, c->buf + off, c->len - off);
	c->len -= off;
}

static void on_connection(uv_stream_t *ls, int status)
{
	struct kp_dns_server *s = ls->data;
	struct tconn *c;

	if (status < 0)
		return;
	c = calloc(1, sizeof(*c));
	if (c)
		c->buf = malloc(TCP_BUF);
	if (!c || !c->buf || uv_tcp_init(s->loop, &c->h) < 0) {
		if (c)
			free(c->buf);
		free(c);
		return;
	}
	c->s = s;
	c->h.data = c->idle.data = c;
	uv_timer_init(s->loop, &c->idle);
	c->next = s->conns;
	if (s->conns)
		s->conns->prev = c;
	s->conns = c;
	s->nconns++;
	if (uv_accept(ls, (uv_stream_t *)&c->h) < 0 || s->nconns > TCP_MAX_CONNS ||
	    uv_read_start((uv_stream_t *)&c->h, tcp_alloc, tcp_read) < 0) {
		conn_close(c);
		return;
	}
	uv_timer_start(&c->idle, on_idle, TCP_IDLE_MS, 0);
}

/* ---- life cycle ---- */

static void read_upstreams(const char *path, const struct kp_addr *self, struct kp_dns_upstream *up, size_t *n)
{
	FILE *fp;
	char text[8192];
	size_t len;

	*n = 0;
	if (!path || !*path)
		return;
	fp = fopen(path, "r");
	if (!fp) {
		cm_warn("dns: cannot read %s: %s; names outside the cluster get REFUSED", path, strerror(errno));
		return;
	}
	len = fread(text, 1, sizeof(text) - 1, fp);
	text[len] = 0;
	fclose(fp);
	*n = kp_dns_resolv_conf_parse(text, self, up, 3);
	if (!*n)
		cm_warn("dns: no nameserver in %s; names outside the cluster get REFUSED", path);
}

/*
 * A UDP and a TCP socket bound to the same address and port. With port 0
 * the kernel picks the UDP port, and the TCP one may be taken: pick again.
 */
static int bind_pair(const struct kp_addr *a, int *ufd, int *tfd)
{
	struct sockaddr_storage ss;
	socklen_t sl = kp_addr_to_sockaddr(a, &ss), gl;
	int u = -1, t = -1, one = 1, rc = -EADDRINUSE;

	for (int tries = 0; tries < 16 && rc == -EADDRINUSE; tries++) {
		u = socket(ss.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
		t = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (u < 0 || t < 0) {
			rc = -errno;
			break;
		}
		setsockopt(t, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)); /* restarts while TIME_WAIT lingers */
		struct sockaddr_storage got = ss;
		gl = sizeof(got);
		if (bind(u, (struct sockaddr *)&ss, sl) < 0 || getsockname(u, (struct sockaddr *)&got, &gl) < 0) {
			rc = -errno;
			break;
		}
		rc = bind(t, (struct sockaddr *)&got, gl) < 0 ? -errno : 0;
		if (rc == 0) {
			*ufd = u;
			*tfd = t;
			return 0;
		}
		if (a->port) /* a fixed port taken: no other to try */
			break;
		close(u);
		close(t);
		u = t = -1;
	}
	if (u >= 0)
		close(u);
	if (t >= 0)
		close(t);
	return rc;
}

int kp_dns_server_new(uv_loop_t *loop, const struct kp_dns_server_opts *opts, struct kp_dns_server **out,
		      struct cm_buf *err)
{
	struct kp_dns_server *s;
	struct kp_addr bind, self;
	struct kp_dns_upstream up[3];
	struct sockaddr_storage ss;
	size_t nup;
	int rc, len, ufd = -1, tfd = -1;

	if (!opts->bind_address || kp_addr_parse(opts->bind_address, opts->port, &bind) < 0)
		return cm_buf_invalid(err, "bad dns bind address %s", opts->bind_address ? opts->bind_address : "(none)");
	if (!opts->domain || !*opts->domain || strlen(opts->domain) > 200)
		return cm_buf_invalid(err, "bad cluster domain");
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->loop = loop;
	s->src = opts->source;
	s->domain = strdup(opts->domain);
	if (!s->domain) {
		free(s);
		return -ENOMEM;
	}
	for (char *p = s->domain; *p; p++)
		*p = (char)tolower((unsigned char)*p);
	if (s->domain[strlen(s->domain) - 1] == '.')
		s->domain[strlen(s->domain) - 1] = 0;
	s->zone.domain = s->domain;
	s->zone.ttl = opts->ttl;
	uv_udp_init_ex(loop, &s->udp, UV_UDP_RECVMMSG);
	uv_tcp_init(loop, &s->tcp);
	s->udp.data = s->tcp.data = s;
	if ((rc = bind_pair(&bind, &ufd, &tfd)) < 0) {
		cm_buf_printf(err, "dns: cannot listen on %s:%d: %s", opts->bind_address, opts->port, strerror(-rc));
		goto fail;
	}
	if ((rc = uv_udp_open(&s->udp, ufd)) < 0) {
		close(ufd);
		close(tfd);
		goto fail;
	}
	if ((rc = uv_tcp_open(&s->tcp, tfd)) < 0) {
		close(tfd);
		goto fail;
	}
	len = sizeof(ss);
	uv_udp_getsockname(&s->udp, (struct sockaddr *)&ss, &len);
	kp_addr_from_sockaddr((struct sockaddr *)&ss, &self);
	s->port = self.port;
	if ((rc = uv_listen((uv_stream_t *)&s->tcp, 128, on_connection)) < 0) {
		cm_buf_printf(err, "dns: cannot listen on %s:%d/tcp: %s", opts->bind_address, s->port, uv_strerror(rc));
		goto fail;
	}
	read_upstreams(opts->resolv_conf, &self, up, &nup);
	if ((rc = kp_dns_forward_new(loop, up, nup, reply, s, &s->fwd)) < 0) {
		cm_buf_printf(err, "dns: cannot open the upstream socket: %s", uv_strerror(rc));
		goto fail;
	}
	if ((rc = uv_udp_recv_start(&s->udp, udp_alloc, udp_recv)) < 0) {
		cm_buf_printf(err, "dns: cannot read: %s", uv_strerror(rc));
		goto fail;
	}
	cm_info("dns: serving %s on %s:%d (udp, tcp), %zu upstream(s)", s->domain, opts->bind_address, s->port, nup);
	*out = s;
	return 0;
fail:
	kp_dns_server_close(s, NULL, NULL);
	return rc == UV_EADDRINUSE ? -EADDRINUSE : rc == UV_EACCES ? -EACCES : rc;
}

int kp_dns_server_port(const struct kp_dns_server *s)
{
	return s->port;
}

void kp_dns_server_stats(const struct kp_dns_server *s, struct kp_dns_server_stats *out)
{
	*out = s->stats;
}

static void server_part_closed(struct kp_dns_server *s)
{
	if (--s->pending > 0)
		return;
	void (*done)(void *) = s->done;
	void *ud = s->done_ud;
	free(s->domain);
	free(s);
	if (done)
		done(ud);
}

static void handle_closed(uv_handle_t *h)
{
	server_part_closed(h->data);
}

static void fwd_closed(void *ud)
{
	server_part_closed(ud);
}

void kp_dns_server_close(struct kp_dns_server *s, void (*done)(void *ud), void *ud)
{
	s->done = done;
	s->done_ud = ud;
	s->pending = 1; /* held until every close below has started */
	s->stopping = true;
	while (s->conns)
		conn_close(s->conns);
	s->pending += s->conns_closing + 2; /* every connection closing, even those started before */
	uv_close((uv_handle_t *)&s->udp, handle_closed);
	uv_close((uv_handle_t *)&s->tcp, handle_closed);
	if (s->fwd) {
		s->pending++;
		kp_dns_forward_close(s->fwd, fwd_closed, s);
		s->fwd = NULL;
	}
	server_part_closed(s);
}
