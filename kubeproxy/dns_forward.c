/* dns_forward.c: a UDP socket per family to the upstream resolvers, queries waiting under fresh ids, answers cached. */
#include <errno.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "kubeproxy/dns_cache.h"
#include "kubeproxy/dns_forward.h"
#include "kubeproxy/dns_msg.h"

#define MAX_UPSTREAMS 3     /* as the resolver library reads at most three */
#define MAX_WAITING 1024    /* queries in flight; more get SERVFAIL at once */
#define RETRY_MS 1500       /* silence after which the next upstream is tried */
#define TICK_MS 250
#define CACHE_MAX_TTL_S 30  /* "small": upstream changes show within half a minute */

struct waiting {
	struct waiting *next;
	struct kp_dns_client from;
	uint16_t client_id, our_id;
	size_t upstream;       /* the one asked last */
	uint64_t deadline_ms;  /* when to try the next one */
	uint8_t *q;            /* the query, with our id */
	size_t qlen;
	uint8_t key[KP_DNS_CACHE_KEY_MAX];
	size_t keylen;
};

struct kp_dns_forward {
	uv_loop_t *loop;
	uv_udp_t sock, sock6; /* IPv4; IPv6 when an upstream is (sock6.data NULL otherwise) */
	uv_timer_t tick;
	struct kp_dns_upstream up[MAX_UPSTREAMS];
	size_t nup;
	kp_dns_reply_fn reply;
	void *ud;
	struct waiting *waiting;
	size_t nwaiting;
	uint16_t next_id;
	struct kp_dns_cache cache;
	struct kp_dns_forward_stats stats;
	uint8_t rbuf[65536], obuf[65536];
	int closing;
	void (*done)(void *);
	void *done_ud;
};

/* One nameserver word: an IP literal, an IPv6 one perhaps with "%interface". Returns 0 or -EINVAL. */
static int nameserver_parse(char *word, struct kp_dns_upstream *out)
{
	char *pct = strchr(word, '%'), *end;
	unsigned long idx = 0;

	out->scope = 0;
	if (pct)
		*pct++ = 0;
	if (kp_addr_parse(word, 53, &out->addr) < 0 || (pct && out->addr.family != AF_INET6))
		return -EINVAL;
	if (!pct)
		return 0;
	idx = strtoul(pct, &end, 10);
	if (!*pct || *end || idx == 0 || idx > UINT32_MAX)
		idx = if_nametoindex(pct);
	if (!idx)
		return -EINVAL;
	out->scope = (uint32_t)idx;
	return 0;
}

size_t kp_dns_resolv_conf_parse(const char *text, const struct kp_addr *self, struct kp_dns_upstream *out,
				size_t max)
{
	size_t n = 0;

	for (const char *line = text; line && *line && n < max;) {
		const char *eol = strchr(line, '\n');
		size_t len = eol ? (size_t)(eol - line) : strlen(line);
		char buf[128], word[16], ip[80];
		struct kp_dns_upstream u;

		if (len < sizeof(buf)) {
			memcpy(buf, line, len);
			buf[len] = 0;
			if (sscanf(buf, "%15s %79s", word, ip) == 2 && !strcmp(word, "nameserver") &&
			    nameserver_parse(ip, &u) == 0 && !(self && kp_addr_equal(&u.addr, self)))
				out[n++] = u;
		}
		line = eol ? eol + 1 : NULL;
	}
	return n;
}

static void answer_error(struct kp_dns_forward *f, const struct kp_dns_client *to, const uint8_t *q, size_t qlen,
			 uint16_t id, int rcode)
{
	struct kp_dns_header h = {.id = id, .flags = qlen >= 4 ? (uint16_t)((q[2] << 8) | q[3]) : 0};
	size_t n = kp_dns_error_reply(&h, rcode, f->obuf);

	f->stats.failed++;
	f->reply(f->ud, to, f->obuf, n);
}

static int send_to(struct kp_dns_forward *f, struct waiting *w)
{
	struct sockaddr_storage ss;
	uv_buf_t b = uv_buf_init((char *)w->q, (unsigned)w->qlen);
	const struct kp_dns_upstream *up = &f->up[w->upstream];

	kp_addr_to_sockaddr(&up->addr, &ss);
	if (up->addr.family == AF_INET6)
		((struct sockaddr_in6 *)&ss)->sin6_scope_id = up->scope;
	w->deadline_ms = uv_now(f->loop) + RETRY_MS;
	int rc = uv_udp_try_send(up->addr.family == AF_INET6 ? &f->sock6 : &f->sock, &b, 1,
				 (const struct sockaddr *)&ss);
	return rc < 0 ? rc : 0;
}

static void waiting_free(struct kp_dns_forward *f, struct waiting *w)
{
	struct waiting **pp;

	for (pp = &f->waiting; *pp != w; pp = &(*pp)->next)
		;
	*pp = w->next;
	f->nwaiting--;
	free(w->q);
	free(w);
	if (!f->waiting)
		uv_timer_stop(&f->tick);
}

static void on_tick(uv_timer_t *t)
{
	struct kp_dns_forward *f = t->data;
	uint64_t now = uv_now(f->loop);

	for (struct waiting *w = f->waiting, *next; w; w = next) {
		next = w->next;
		if (now < w->deadline_ms)
			continue;
		if (w->upstream + 1 < f->nup) {
			w->upstream++;
			if (send_to(f, w) == 0)
				continue;
		}
		if (!w->from.tcp || w->from.conn)
			answer_error(f, &w->from, w->q, w->qlen, w->client_id, KP_DNS_RC_SERVFAIL);
		waiting_free(f, w);
	}
}

void kp_dns_forward_query(struct kp_dns_forward *f, const struct kp_dns_client *from, const uint8_t *q,
			  size_t qlen)
{
	uint16_t id = (uint16_t)((q[0] << 8) | q[1]);
	uint8_t key[KP_DNS_CACHE_KEY_MAX];
	size_t keylen, n;
	struct waiting *w;

	if (kp_dns_cache_key(q, qlen, key, &keylen) < 0) {
		answer_error(f, from, q, qlen, id, KP_DNS_RC_FORMERR);
		return;
	}
	if (!f->nup || f->closing) {
		answer_error(f, from, q, qlen, id, KP_DNS_RC_REFUSED);
		return;
	}
	n = kp_dns_cache_get(&f->cache, key, keylen, uv_now(f->loop), id, f->obuf, sizeof(f->obuf));
	if (n) {
		f->stats.cache_hits++;
		f->reply(f->ud, from, f->obuf, n);
		return;
	}
	if (f->nwaiting >= MAX_WAITING || !(w = calloc(1, sizeof(*w))) || !(w->q = malloc(qlen))) {
		if (f->nwaiting < MAX_WAITING)
			free(w);
		answer_error(f, from, q, qlen, id, KP_DNS_RC_SERVFAIL);
		return;
	}
	w->from = *from;
	w->client_id = id;
	/* a fresh id per query, so answers are matched to it, not to what the client chose */
	w->our_id = f->next_id;
	f->next_id = (uint16_t)(f->next_id * 31421u + 6927u);
	memcpy(w->q, q, qlen);
	w->q[0] = (uint8_t)(w->our_id >> 8);
	w->q[1] = (uint8_t)w->our_id;
	w->qlen = qlen;
	memcpy(w->key, key, keylen);
	w->keylen = keylen;
	w->next = f->waiting;
	f->waiting = w;
	f->nwaiting++;
	f->stats.forwarded++;
	if (!uv_is_active((uv_handle_t *)&f->tick))
		uv_timer_start(&f->tick, on_tick, TICK_MS, TICK_MS);
	if (send_to(f, w) < 0)
		w->deadline_ms = 0; /* the next tick moves on */
}

static void on_alloc(uv_handle_t *h, size_t hint, uv_buf_t *b)
{
	struct kp_dns_forward *f = h->data;

	(void)hint;
	*b = uv_buf_init((char *)f->rbuf, sizeof(f->rbuf));
}

static void on_recv(uv_udp_t *u, ssize_t nread, const uv_buf_t *b, const struct sockaddr *from, unsigned flags)
{
	struct kp_dns_forward *f = u->data;
	uint8_t *m = (uint8_t *)b->base, key[KP_DNS_CACHE_KEY_MAX];
	struct kp_dns_msg *parsed;
	struct kp_addr src;
	size_t keylen;
	struct waiting *w;

	(void)flags;
	if (nread < KP_DNS_HEADER_LEN || !from || kp_addr_from_sockaddr(from, &src) < 0)
		return;
	uint16_t id = (uint16_t)((m[0] << 8) | m[1]);
	for (w = f->waiting; w; w = w->next)
		if (w->our_id == id && kp_addr_equal(&f->up[w->upstream].addr, &src))
			break;
	/* the same id, source and question, or it is not the answer (spoofing, a late one) */
	if (!w || !(m[2] & 0x80) || kp_dns_cache_key(m, (size_t)nread, key, &keylen) < 0 || keylen != w->keylen ||
	    memcmp(key, w->key, keylen))
		return;
	m[0] = (uint8_t)(w->client_id >> 8);
	m[1] = (uint8_t)w->client_id;
	int rcode = m[3] & 0xf;
	parsed = malloc(sizeof(*parsed)); /* 9 KiB: kept off the loop's stack */
	if (parsed && !(m[2] & (KP_DNS_F_TC >> 8)) && (rcode == KP_DNS_RC_NOERROR || rcode == KP_DNS_RC_NXDOMAIN) &&
	    kp_dns_msg_parse(m, (size_t)nread, parsed) == 0)
		kp_dns_cache_put(&f->cache, key, keylen, m, (size_t)nread,
				 parsed->min_ttl == UINT32_MAX ? 5 : parsed->min_ttl, uv_now(f->loop));
	free(parsed);
	if (!w->from.tcp || w->from.conn) {
		f->stats.answered++;
		f->reply(f->ud, &w->from, m, (size_t)nread);
	}
	waiting_free(f, w);
}

void kp_dns_forward_forget(struct kp_dns_forward *f, void *conn)
{
	for (struct waiting *w = f->waiting; w; w = w->next)
		if (w->from.tcp && w->from.conn == conn)
			w->from.conn = NULL;
}

void kp_dns_forward_stats(const struct kp_dns_forward *f, struct kp_dns_forward_stats *out)
{
	*out = f->stats;
	out->cache_hits = f->cache.hits;
}

/* A UDP socket on an ephemeral port of the family's any-address, reading answers. */
static int open_socket(uv_udp_t *u, int family)
{
	struct sockaddr_in any4 = {.sin_family = AF_INET};
	struct sockaddr_in6 any6 = {.sin6_family = AF_INET6, .sin6_addr = IN6ADDR_ANY_INIT};
	const struct sockaddr *any = family == AF_INET6 ? (const struct sockaddr *)&any6 : (const struct sockaddr *)&any4;
	int rc;

	/* IPV6ONLY: IPv4 upstreams keep the IPv4 socket, and a host without IPv4 mapping still binds */
	if ((rc = uv_udp_bind(u, any, family == AF_INET6 ? UV_UDP_IPV6ONLY : 0)) < 0)
		return rc;
	return uv_udp_recv_start(u, on_alloc, on_recv);
}

/* A host without IPv6 cannot reach the IPv6 upstreams: the others still serve. */
static void drop_v6(struct kp_dns_forward *f)
{
	size_t n = 0;

	for (size_t i = 0; i < f->nup; i++)
		if (f->up[i].addr.family == AF_INET)
			f->up[n++] = f->up[i];
	cm_warn("dns: no IPv6 socket; %zu IPv6 upstream(s) left out", f->nup - n);
	f->nup = n;
}

int kp_dns_forward_new(uv_loop_t *loop, const struct kp_dns_upstream *upstreams, size_t n, kp_dns_reply_fn reply,
		       void *ud, struct kp_dns_forward **out)
{
	struct kp_dns_forward *f = calloc(1, sizeof(*f));
	bool v6 = false;
	int rc;

	if (!f)
		return -ENOMEM;
	f->loop = loop;
	f->reply = reply;
	f->ud = ud;
	f->nup = n > MAX_UPSTREAMS ? MAX_UPSTREAMS : n;
	memcpy(f->up, upstreams, f->nup * sizeof(*f->up));
	for (size_t i = 0; i < f->nup; i++)
		v6 |= f->up[i].addr.family == AF_INET6;
	f->next_id = (uint16_t)(uv_hrtime() ^ (uintptr_t)f);
	kp_dns_cache_init(&f->cache, CACHE_MAX_TTL_S);
	if ((rc = uv_udp_init(loop, &f->sock)) < 0) {
		free(f);
		return rc;
	}
	uv_timer_init(loop, &f->tick);
	f->sock.data = f->tick.data = f;
	if (v6 && (rc = uv_udp_init(loop, &f->sock6)) == 0)
		f->sock6.data = f;
	if (rc == 0 && (rc = open_socket(&f->sock, AF_INET)) == 0 && v6 && open_socket(&f->sock6, AF_INET6) < 0)
		drop_v6(f);
	if (rc < 0) {
		kp_dns_forward_close(f, NULL, NULL);
		return rc;
	}
	*out = f;
	return 0;
}

static void on_closed(uv_handle_t *h)
{
	struct kp_dns_forward *f = h->data;

	if (--f->closing > 0)
		return;
	void (*done)(void *) = f->done;
	void *done_ud = f->done_ud;
	kp_dns_cache_close(&f->cache);
	free(f);
	if (done)
		done(done_ud);
}

void kp_dns_forward_close(struct kp_dns_forward *f, void (*done)(void *ud), void *ud)
{
	while (f->waiting)
		waiting_free(f, f->waiting);
	f->done = done;
	f->done_ud = ud;
	f->closing = f->sock6.data ? 3 : 2;
	uv_close((uv_handle_t *)&f->sock, on_closed);
	uv_close((uv_handle_t *)&f->tick, on_closed);
	if (f->sock6.data)
		uv_close((uv_handle_t *)&f->sock6, on_closed);
}
