/* proxy.c: the engine's state: service ports, their listeners and cluster IPs, metrics, and closing. */
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/log.h"
#include "kubeproxy/ifaddr.h"
#include "kubeproxy/nft_rules.h"
#include "kubeproxy/proxy_int.h"

#define DEFAULT_BUF_SIZE (32 * 1024)
#define DEFAULT_UDP_IDLE_MS 30000
#define DEFAULT_MAX_FREE 1024
#define DEFAULT_AFFINITY_S 10800

static void proxy_free(struct kp_proxy *p)
{
	void (*done)(void *) = p->done;
	void *ud = p->done_ud;

	kp_tcp_free_pool(p);
	free(p->all_udp);
	free(p->udp_buf);
	free(p->node_ip);
	free(p->iface);
	free(p->nft_table);
	free(p);
	if (done)
		done(ud);
}

void kp_proxy_handle_opened(struct kp_proxy *p)
{
	p->handles++;
}

void kp_proxy_handle_closed(struct kp_proxy *p)
{
	if (--p->handles == 0 && p->closing)
		proxy_free(p);
}

/*
 * A cluster IP someone else had added (another proxy on this host) may have
 * been removed by its owner since: take it over, so it stays up while we
 * listen on it.
 */
static void vips_reclaim(struct kp_proxy *p)
{
	for (struct kp_vip *v = p->vips; v && p->iface; v = v->next)
		if (!v->owned && kp_ifaddr_add(p->iface, &v->ip) == 0)
			v->owned = true;
}

static void on_sweep(uv_timer_t *t)
{
	struct kp_proxy *p = t->data;
	uint64_t now = uv_now(p->loop);

	if (now - p->last_udp_sweep >= p->opts.udp_idle_ms / 4) {
		p->last_udp_sweep = now;
		for (size_t i = 0; i < p->nudp; i++)
			kp_udp_sweep(p->all_udp[i], now, false);
	}
	vips_reclaim(p);
}

int kp_proxy_new(uv_loop_t *loop, const struct kp_proxy_opts *opts, struct kp_proxy **out)
{
	struct kp_proxy *p = calloc(1, sizeof(*p));
	uint64_t period;

	if (!p)
		return -ENOMEM;
	p->loop = loop;
	p->opts = *opts;
	if (!p->opts.buf_size)
		p->opts.buf_size = DEFAULT_BUF_SIZE;
	if (!p->opts.udp_idle_ms)
		p->opts.udp_idle_ms = DEFAULT_UDP_IDLE_MS;
	if (!p->opts.max_free_conns)
		p->opts.max_free_conns = DEFAULT_MAX_FREE;
	if (opts->node_ip && strcmp(opts->node_ip, "0.0.0.0") != 0 &&
	    kp_addr_parse(opts->node_ip, 0, &p->node_addr) < 0) {
		free(p);
		return -EINVAL;
	}
	p->node_ip = opts->node_ip ? strdup(opts->node_ip) : NULL;
	p->iface = opts->cluster_ip_iface && *opts->cluster_ip_iface ? strdup(opts->cluster_ip_iface) : NULL;
	p->udp_buf = malloc(KP_UDP_MAX);
	if ((opts->node_ip && !p->node_ip) || (opts->cluster_ip_iface && *opts->cluster_ip_iface && !p->iface) ||
	    !p->udp_buf) {
		free(p->udp_buf);
		free(p->node_ip);
		free(p->iface);
		free(p);
		return -ENOMEM;
	}
	if (opts->nft_table) {
		struct cm_buf probe = CM_BUF_INIT;
		int bad = kp_nft_render_delete(opts->nft_table, &probe) == -EINVAL;
		cm_buf_close(&probe);
		if (bad) {
			free(p->udp_buf);
			free(p->node_ip);
			free(p->iface);
			free(p);
			return -EINVAL;
		}
	}
	if (opts->nft_table && !(p->nft_table = strdup(opts->nft_table))) {
		free(p->udp_buf);
		free(p->node_ip);
		free(p->iface);
		free(p);
		return -ENOMEM;
	}
	p->opts.node_ip = p->node_ip;
	p->opts.cluster_ip_iface = p->iface;
	p->opts.nft_table = p->nft_table;
	uv_timer_init(loop, &p->sweep);
	p->sweep.data = p;
	p->handles = 1;
	/* Sweep a few times per idle period so a flow lives at most ~1.25 of it; cluster IPs
	 * are checked every second. */
	period = p->opts.udp_idle_ms / 4 ? p->opts.udp_idle_ms / 4 : 1;
	if (period > 1000)
		period = 1000;
	uv_timer_start(&p->sweep, on_sweep, period, period);
	if (p->nft_table)
		kp_fastpath_init(p);
	*out = p;
	return 0;
}

unsigned kp_proxy_nft_applies(const struct kp_proxy *p, bool *failed)
{
	if (failed)
		*failed = p->nft_failed;
	return p->nft_applies;
}

size_t kp_proxy_active_conns(const struct kp_proxy *p)
{
	return p->nconns;
}

size_t kp_proxy_active_flows(const struct kp_proxy *p)
{
	return p->nflows;
}

/* Cluster IPs: the first listener on an IP brings it up, the last one takes it down. */
static struct kp_vip *vip_get(struct kp_proxy *p, const struct kp_addr *addr)
{
	struct kp_addr ip = *addr;
	struct kp_vip *v;
	int rc;

	ip.port = 0;
	for (v = p->vips; v; v = v->next) {
		if (kp_addr_ip_equal(&v->ip, &ip)) {
			v->refs++;
			return v;
		}
	}
	v = calloc(1, sizeof(*v));
	if (!v)
		return NULL;
	v->ip = ip;
	v->refs = 1;
	rc = kp_ifaddr_add(p->iface, &ip);
	v->owned = rc == 0;
	if (rc < 0 && rc != -EEXIST) {
		struct cm_buf b = CM_BUF_INIT;
		kp_addr_format(&ip, &b);
		cm_warn("cluster ip %s: cannot add it to interface %s: %s; it is reachable here "
			"only if routed to this node", b.data ? b.data : "?", p->iface, strerror(-rc));
		cm_buf_close(&b);
	}
	v->next = p->vips;
	p->vips = v;
	return v;
}

static void vip_put(struct kp_proxy *p, struct kp_vip *v)
{
	struct kp_vip **pp;

	if (!v || --v->refs > 0)
		return;
	for (pp = &p->vips; *pp != v; pp = &(*pp)->next)
		;
	*pp = v->next;
	if (v->owned)
		kp_ifaddr_del(p->iface, &v->ip);
	free(v);
}

static void listener_closed(uv_handle_t *h)
{
	struct kp_listener *l = h->data;
	struct kp_proxy *p = l->p;

	close(l->fd);
	free(l->flows);
	free(l);
	kp_proxy_handle_closed(p);
}

void kp_listener_close(struct kp_listener *l)
{
	struct kp_proxy *p = l->p;

	if (l->protocol == IPPROTO_UDP) {
		kp_udp_sweep(l, 0, true);
		for (size_t i = 0; i < p->nudp; i++) {
			if (p->all_udp[i] == l) {
				p->all_udp[i] = p->all_udp[--p->nudp];
				break;
			}
		}
	}
	vip_put(p, l->vip);
	l->vip = NULL;
	l->sp = NULL;
	uv_close((uv_handle_t *)&l->poll, listener_closed);
}

const char *kp_bind_hint(int rc, int port)
{
	/* ports below net.ipv4.ip_unprivileged_port_start (1024 by default) */
	if (rc == -EACCES && port > 0 && port < 1024)
		return " (a port below 1024 needs root or CAP_NET_BIND_SERVICE, or a lower "
		       "sysctl net.ipv4.ip_unprivileged_port_start)";
	return "";
}

/* Opens one listener of sp; a failure is logged and counted, never fatal for the others. */
static struct kp_listener *listener_open(struct kp_svcport *sp, const struct kp_addr *addr,
					 bool cluster)
{
	struct kp_proxy *p = sp->proxy;
	struct kp_listener *l = NULL;
	struct kp_vip *vip = NULL;
	int rc;

	if (p->nudp == p->capudp && sp->protocol == IPPROTO_UDP) {
		size_t cap = p->capudp ? p->capudp * 2 : 16;
		struct kp_listener **a = realloc(p->all_udp, cap * sizeof(*a));
		if (!a)
			return NULL;
		p->all_udp = a;
		p->capudp = cap;
	}
	/* 127/8 is the host's already (the local cluster's service range): nothing to add */
	if (cluster && p->iface && !sp->node_local && !kp_addr_is_loopback(addr))
		vip = vip_get(p, addr);
	if (sp->protocol == IPPROTO_TCP)
		rc = kp_tcp_listen(sp, addr, cluster, &l);
	else
		rc = kp_udp_listen(sp, addr, cluster, &l);
	if (rc < 0) {
		struct cm_buf b = CM_BUF_INIT;
		kp_addr_format(addr, &b);
		cm_error("service %s: cannot listen on %s/%s: %s%s", sp->name, b.data ? b.data : "?",
			 sp->protocol == IPPROTO_TCP ? "tcp" : "udp", strerror(-rc), kp_bind_hint(rc, addr->port));
		cm_buf_close(&b);
		cm_metric_inc(sp->m.errors);
		vip_put(p, vip);
		return NULL;
	}
	l->vip = vip;
	if (sp->protocol == IPPROTO_UDP)
		p->all_udp[p->nudp++] = l;
	return l;
}

static void port_close_listeners(struct kp_svcport *sp)
{
	if (sp->cluster_l)
		kp_listener_close(sp->cluster_l);
	if (sp->node_l)
		kp_listener_close(sp->node_l);
	sp->cluster_l = sp->node_l = NULL;
}

static void port_open_listeners(struct kp_svcport *sp)
{
	struct kp_proxy *p = sp->proxy;

	if (sp->cluster.family)
		sp->cluster_l = listener_open(sp, &sp->cluster, true);
	if (sp->node_port) {
		struct kp_addr a = p->node_addr;
		if (!a.family)
			kp_addr_parse("0.0.0.0", 0, &a);
		a.port = sp->node_port;
		sp->node_l = listener_open(sp, &a, false);
	}
}

static void port_free(struct kp_svcport *sp)
{
	if (sp->protocol == IPPROTO_TCP)
		kp_tcp_close_stale(sp, true);
	port_close_listeners(sp);
	if (sp->m.active)
		cm_metric_set(sp->m.active, 0);
	kp_chooser_close(&sp->chooser);
	free(sp->service);
	free(sp->name);
	free(sp);
}

static void port_metrics(struct kp_svcport *sp, struct cm_metrics *m)
{
	struct cm_buf l = CM_BUF_INIT, in = CM_BUF_INIT, out = CM_BUF_INIT;

	if (!m)
		return;
	/* Names are "ns/name:port": no quotes or backslashes can reach a label value. */
	if (cm_buf_printf(&l, "service=\"%s\",protocol=\"%s\"", sp->name,
			  sp->protocol == IPPROTO_TCP ? "tcp" : "udp") == 0 &&
	    cm_buf_printf(&in, "%s,direction=\"in\"", l.data) == 0 &&
	    cm_buf_printf(&out, "%s,direction=\"out\"", l.data) == 0) {
		sp->m.conns = cm_metrics_counter(m, "kubeproxy_connections_total",
						 "Connections (TCP) or flows (UDP) accepted.", l.data);
		sp->m.active = cm_metrics_gauge(m, "kubeproxy_active_connections",
						"Connections or flows open now.", l.data);
		sp->m.bytes_in = cm_metrics_counter(m, "kubeproxy_bytes_total",
						    "Bytes forwarded (in: client to endpoint).", in.data);
		sp->m.bytes_out = cm_metrics_counter(m, "kubeproxy_bytes_total",
						     "Bytes forwarded (in: client to endpoint).", out.data);
		sp->m.errors = cm_metrics_counter(m, "kubeproxy_errors_total",
						  "No endpoint, connect or listen failures.", l.data);
	}
	cm_buf_close(&l);
	cm_buf_close(&in);
	cm_buf_close(&out);
}

/* Applies one port's spec to sp (new or existing). Returns 0 or -ENOMEM. */
static int port_apply(struct kp_svcport *sp, const struct kp_service_port *spec)
{
	bool moved = !kp_addr_equal(&sp->cluster, &spec->cluster) || sp->node_port != spec->node_port ||
		     sp->protocol != spec->protocol;
	uint32_t tmo = spec->affinity_timeout_s ? spec->affinity_timeout_s : DEFAULT_AFFINITY_S;
	int rc;

	rc = kp_chooser_set_endpoints(&sp->chooser, spec->endpoints, spec->nendpoints);
	if (rc < 0)
		return rc;
	kp_chooser_set_affinity(&sp->chooser, spec->affinity, (uint64_t)tmo * 1000);
	if (sp->protocol == IPPROTO_TCP)
		kp_tcp_close_stale(sp, sp->protocol != spec->protocol);
	else if (sp->protocol == IPPROTO_UDP) {
		if (sp->cluster_l)
			kp_udp_sweep(sp->cluster_l, uv_now(sp->proxy->loop), false);
		if (sp->node_l)
			kp_udp_sweep(sp->node_l, uv_now(sp->proxy->loop), false);
	}
	if (moved || (!sp->cluster_l && spec->cluster.family) || (!sp->node_l && spec->node_port)) {
		/* (Re)open: a listener that failed before is retried on every update. */
		port_close_listeners(sp);
		sp->cluster = spec->cluster;
		sp->node_port = spec->node_port;
		sp->protocol = spec->protocol;
		sp->node_local = spec->node_local;
		port_open_listeners(sp);
	}
	return 0;
}

int kp_proxy_set_service(struct kp_proxy *p, const char *service,
			 const struct kp_service_port *ports, size_t n)
{
	struct kp_svcport **pp, *sp;
	int rc = 0;

	if (p->closing)
		return -ESHUTDOWN;
	for (size_t i = 0; i < n; i++)
		if (!ports[i].name ||
		    (ports[i].protocol != IPPROTO_TCP && ports[i].protocol != IPPROTO_UDP))
			return -EINVAL;
	for (sp = p->ports; sp; sp = sp->next)
		sp->seen = false;
	for (size_t i = 0; i < n; i++) {
		for (sp = p->ports; sp; sp = sp->next)
			if (!strcmp(sp->service, service) && !strcmp(sp->name, ports[i].name))
				break;
		if (!sp) {
			sp = calloc(1, sizeof(*sp));
			if (!sp)
				return -ENOMEM;
			sp->proxy = p;
			sp->service = strdup(service);
			sp->name = strdup(ports[i].name);
			if (!sp->service || !sp->name) {
				free(sp->service);
				free(sp->name);
				free(sp);
				return -ENOMEM;
			}
			kp_chooser_init(&sp->chooser);
			sp->protocol = ports[i].protocol;
			port_metrics(sp, p->opts.metrics);
			sp->next = p->ports;
			p->ports = sp;
			cm_info("service %s: added", sp->name);
		}
		sp->seen = true;
		if ((rc = port_apply(sp, &ports[i])) < 0)
			return rc;
	}
	for (pp = &p->ports; (sp = *pp);) {
		if (!sp->seen && !strcmp(sp->service, service)) {
			*pp = sp->next;
			cm_info("service %s: removed", sp->name);
			port_free(sp);
		} else {
			pp = &sp->next;
		}
	}
	kp_fastpath_dirty(p);
	return 0;
}

static void sweep_closed(uv_handle_t *h)
{
	kp_proxy_handle_closed(h->data);
}

void kp_proxy_close(struct kp_proxy *p, void (*done)(void *ud), void *ud)
{
	p->closing = true;
	p->done = done;
	p->done_ud = ud;
	while (p->ports) {
		struct kp_svcport *sp = p->ports;
		p->ports = sp->next;
		port_free(sp);
	}
	kp_tcp_free_pool(p);
	kp_fastpath_close(p);
	/* The timer is the engine's own handle: its close is counted like the others. */
	uv_close((uv_handle_t *)&p->sweep, sweep_closed);
}
