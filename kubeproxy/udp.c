/* udp.c: UDP service ports: a flow per client address, a connected socket per flow, closed when idle. */
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/log.h"
#include "kubeproxy/proxy_int.h"

/*
 * A flow is the pairing of one client address with one endpoint: datagrams
 * from the client go out on the flow's own socket, connected to the
 * endpoint, so the endpoint's answers come back on that socket and are sent
 * to the client from the listener (the address the client talked to).
 */
struct kp_flow {
	struct kp_flow *hnext; /* chain in the listener's table */
	struct kp_listener *l; /* NULL once closing */
	struct kp_proxy *p;
	uv_poll_t poll;
	int fd;
	struct kp_addr client;
	struct kp_addr backend;
	uint64_t last_ms;
};

#define DATAGRAMS_PER_EVENT 64

static void flow_closed(uv_handle_t *h)
{
	struct kp_flow *f = h->data;

	kp_proxy_handle_closed(f->p);
	close(f->fd);
	free(f);
}

static struct kp_flow **flow_slot(struct kp_listener *l, const struct kp_addr *client)
{
	struct kp_flow **pp = &l->flows[kp_addr_hash(client, true) & (l->capflows - 1)];

	while (*pp && !kp_addr_equal(&(*pp)->client, client))
		pp = &(*pp)->hnext;
	return pp;
}

static void flow_close(struct kp_flow *f)
{
	struct kp_listener *l = f->l;
	struct kp_flow **pp = flow_slot(l, &f->client);
	struct kp_proxy *p = l->sp->proxy;

	*pp = f->hnext;
	l->nflows--;
	p->nflows--;
	cm_metric_add(l->sp->m.active, -1);
	f->l = NULL;
	uv_close((uv_handle_t *)&f->poll, flow_closed);
}

/* Answers from the endpoint, sent back to the client from the address it used. */
static void on_flow(uv_poll_t *poll, int status, int events)
{
	struct kp_flow *f = poll->data;
	struct kp_listener *l = f->l;
	struct kp_proxy *p = l->sp->proxy;
	struct sockaddr_storage ss;
	socklen_t len = kp_addr_to_sockaddr(&f->client, &ss);
	(void)events;

	if (status < 0) {
		flow_close(f);
		return;
	}
	for (int i = 0; i < DATAGRAMS_PER_EVENT; i++) {
		ssize_t n = recv(f->fd, p->udp_buf, KP_UDP_MAX, 0);
		if (n < 0) {
			/* ECONNREFUSED: the endpoint has no socket; later datagrams may still work */
			if (errno != EAGAIN && errno != EINTR && errno != ECONNREFUSED)
				cm_metric_inc(l->sp->m.errors);
			break;
		}
		f->last_ms = uv_now(p->loop);
		cm_metric_add(l->sp->m.bytes_out, (double)n);
		/* A full client socket drops the datagram, as the network would. */
		sendto(l->fd, p->udp_buf, (size_t)n, MSG_DONTWAIT, (struct sockaddr *)&ss, len);
	}
}

static int table_grow(struct kp_listener *l)
{
	size_t cap = l->capflows ? l->capflows * 2 : 64;
	struct kp_flow **tab = calloc(cap, sizeof(*tab));

	if (!tab)
		return -ENOMEM;
	for (size_t i = 0; i < l->capflows; i++) {
		struct kp_flow *f = l->flows[i], *next;
		for (; f; f = next) {
			next = f->hnext;
			struct kp_flow **pp = &tab[kp_addr_hash(&f->client, true) & (cap - 1)];
			f->hnext = *pp;
			*pp = f;
		}
	}
	free(l->flows);
	l->flows = tab;
	l->capflows = cap;
	return 0;
}

/* Makes the flow for client, choosing its endpoint. Returns 0 and *out or -errno. */
static int flow_open(struct kp_listener *l, const struct kp_addr *client, struct kp_flow **out)
{
	struct kp_svcport *sp = l->sp;
	struct kp_proxy *p = sp->proxy;
	struct sockaddr_storage ss;
	struct kp_addr ep;
	struct kp_flow *f;
	socklen_t len;
	int fd, rc;

	if (l->nflows >= l->capflows && (rc = table_grow(l)) < 0)
		return rc;
	rc = kp_chooser_pick(&sp->chooser, client, uv_now(p->loop), &ep);
	if (rc < 0)
		return rc;
	len = kp_addr_to_sockaddr(&ep, &ss);
	fd = socket(ep.family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&ss, len) < 0) {
		rc = -errno;
		close(fd);
		return rc;
	}
	f = calloc(1, sizeof(*f));
	if (!f) {
		close(fd);
		return -ENOMEM;
	}
	f->l = l;
	f->p = p;
	f->fd = fd;
	f->client = *client;
	f->backend = ep;
	f->last_ms = uv_now(p->loop);
	uv_poll_init(p->loop, &f->poll, fd);
	f->poll.data = f;
	kp_proxy_handle_opened(p);
	uv_poll_start(&f->poll, UV_READABLE, on_flow);
	struct kp_flow **pp = flow_slot(l, client);
	*pp = f;
	l->nflows++;
	p->nflows++;
	cm_metric_inc(sp->m.conns);
	cm_metric_inc(sp->m.active);
	*out = f;
	return 0;
}

static void on_datagram(uv_poll_t *poll, int status, int events)
{
	struct kp_listener *l = poll->data;
	struct kp_svcport *sp = l->sp;
	(void)events;

	if (status < 0 || !sp)
		return;
	for (int i = 0; i < DATAGRAMS_PER_EVENT; i++) {
		struct sockaddr_storage ss;
		socklen_t len = sizeof(ss);
		struct kp_addr client;
		struct kp_flow *f;
		ssize_t n = recvfrom(l->fd, sp->proxy->udp_buf, KP_UDP_MAX, 0,
				     (struct sockaddr *)&ss, &len);
		int rc;

		if (n < 0)
			return;
		if (kp_addr_from_sockaddr((struct sockaddr *)&ss, &client) < 0)
			continue;
		f = l->capflows ? *flow_slot(l, &client) : NULL;
		if (!f && (rc = flow_open(l, &client, &f)) < 0) {
			cm_debug(1, "service %s: datagram dropped: %s", sp->name, strerror(-rc));
			cm_metric_inc(sp->m.errors);
			continue;
		}
		f->last_ms = uv_now(sp->proxy->loop);
		cm_metric_add(sp->m.bytes_in, (double)n);
		send(f->fd, sp->proxy->udp_buf, (size_t)n, MSG_DONTWAIT);
	}
}

int kp_udp_listen(struct kp_svcport *sp, const struct kp_addr *addr, bool reuse_port,
		  struct kp_listener **out)
{
	struct kp_listener *l = calloc(1, sizeof(*l));
	int fd;

	if (!l)
		return -ENOMEM;
	fd = kp_socket_bind(addr, SOCK_DGRAM, reuse_port);
	if (fd < 0) {
		free(l);
		return fd;
	}
	l->fd = fd;
	l->protocol = IPPROTO_UDP;
	l->sp = sp;
	l->p = sp->proxy;
	uv_poll_init(sp->proxy->loop, &l->poll, fd);
	l->poll.data = l;
	kp_proxy_handle_opened(sp->proxy);
	uv_poll_start(&l->poll, UV_READABLE, on_datagram);
	*out = l;
	return 0;
}

void kp_udp_sweep(struct kp_listener *l, uint64_t now_ms, bool all)
{
	struct kp_svcport *sp = l->sp;
	uint64_t idle = sp->proxy->opts.udp_idle_ms;

	for (size_t i = 0; i < l->capflows; i++) {
		struct kp_flow *f = l->flows[i], *next;
		for (; f; f = next) {
			next = f->hnext;
			if (all || now_ms - f->last_ms >= idle ||
			    !kp_chooser_has(&sp->chooser, &f->backend))
				flow_close(f);
		}
	}
}
