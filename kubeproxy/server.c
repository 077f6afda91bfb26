/* server.c: the daemon's parts wired together: informers -> port sets -> engine; HTTP for health and metrics. */
#include <arpa/inet.h>
#include <ctype.h>
#include <ifaddrs.h>
#include <stdio.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/apiclient.h"
#include "common/http_server.h"
#include "common/informer.h"
#include "common/log.h"
#include "common/metrics.h"
#include "kubeproxy/dns_server.h"
#include "kubeproxy/proxy.h"
#include "kubeproxy/server.h"
#include "kubeproxy/view.h"

struct kp_server {
	uv_loop_t *loop;
	struct cm_api *api;
	struct cm_informer *svcs, *eps;
	struct kp_proxy *proxy;
	struct cm_metrics *metrics;
	struct cm_metric *syncs, *sync_errors, *services;
	struct cm_http_server *healthz, *metricsrv;
	struct kp_dns_server *dns;
	char *hostname;
	int pending; /* asynchronous closes left */
	void (*done)(void *ud);
	void *done_ud;
};

/* Recomputes one service's ports from both caches and hands them to the engine. */
static void sync_service(struct kp_server *s, const char *key)
{
	const struct kp_svc_view *svc = cm_informer_get(s->svcs, key);
	const struct kp_eps_view *eps = cm_informer_get(s->eps, key);
	struct kp_port_set set;
	int rc;

	cm_metric_inc(s->syncs);
	if (!svc) {
		rc = kp_proxy_set_service(s->proxy, key, NULL, 0);
	} else {
		rc = kp_port_set_build_node(key, svc, eps, s->hostname, &set);
		if (rc == 0) {
			rc = kp_proxy_set_service(s->proxy, key, set.ports, set.n);
			kp_port_set_close(&set);
		}
	}
	if (rc < 0) {
		cm_error("service %s: sync failed: %s", key, strerror(-rc));
		cm_metric_inc(s->sync_errors);
	}
	cm_metric_set(s->services, (double)cm_informer_count(s->svcs));
}

static void on_add(void *ud, const char *key, const void *view)
{
	(void)view;
	sync_service(ud, key);
}

static void on_update(void *ud, const char *key, const void *old_view, const void *new_view)
{
	(void)old_view;
	(void)new_view;
	sync_service(ud, key);
}

static void on_delete(void *ud, const char *key, const void *old_view)
{
	(void)old_view;
	sync_service(ud, key);
}

static void on_svcs_synced(void *ud)
{
	struct kp_server *s = ud;

	cm_info("services synced: %zu", cm_informer_count(s->svcs));
}

static void on_eps_synced(void *ud)
{
	struct kp_server *s = ud;

	cm_info("endpoints synced: %zu", cm_informer_count(s->eps));
}

/* /readyz: 200 once both caches hold their first list, so a test or probe knows rules are in. */
static void handle_readyz(struct cm_http_req *req, void *ud)
{
	struct kp_server *s = ud;

	if (cm_informer_synced(s->svcs) && cm_informer_synced(s->eps))
		cm_http_respond(req, 200, "text/plain", "ok", 2);
	else
		cm_http_respond(req, 503, "text/plain", "not synced", 10);
}

static int http_open(struct kp_server *s, const char *bind, int port, bool with_metrics,
		     struct cm_http_server **out, struct cm_buf *err)
{
	struct cm_http_server_opts o = {.bind_address = bind, .port = port};
	int rc;

	if (with_metrics)
		o.metrics = s->metrics;
	rc = cm_http_server_new(s->loop, &o, out);
	if (rc < 0)
		return cm_buf_printf(err, "cannot serve on %s:%d: %s", bind, port, strerror(-rc)), rc;
	rc = cm_http_server_route(*out, "GET", "/readyz", handle_readyz, s);
	if (rc < 0)
		return cm_buf_printf(err, "cannot route /readyz"), rc;
	return 0;
}

static int informer_open(struct kp_server *s, const char *path, cm_view_decode_fn decode,
			 cm_view_free_fn free_view, void (*synced)(void *), struct cm_informer **out)
{
	struct cm_informer_opts o = {.path = path, .decode = decode, .free_view = free_view};
	struct cm_informer_handlers h = {.on_add = on_add, .on_update = on_update,
					 .on_delete = on_delete, .on_synced = synced, .ud = s};
	int rc = cm_informer_new(s->api, &o, &h, out);

	return rc < 0 ? rc : cm_informer_start(*out);
}

static void part_closed(void *ud)
{
	struct kp_server *s = ud;
	void (*done)(void *) = s->done;
	void *done_ud = s->done_ud;

	if (--s->pending > 0)
		return;
	cm_metrics_free(s->metrics);
	free(s->hostname);
	free(s);
	if (done)
		done(done_ud);
}

void kp_server_stop(struct kp_server *s, void (*done)(void *ud), void *ud)
{
	s->done = done;
	s->done_ud = ud;
	s->pending = 1; /* held until every close below is started */
	cm_informer_free(s->svcs);
	cm_informer_free(s->eps);
	s->svcs = s->eps = NULL;
	cm_api_free(s->api);
	s->api = NULL;
	if (s->healthz) {
		s->pending++;
		cm_http_server_close(s->healthz, part_closed, s);
	}
	if (s->metricsrv) {
		s->pending++;
		cm_http_server_close(s->metricsrv, part_closed, s);
	}
	if (s->dns) {
		s->pending++;
		kp_dns_server_close(s->dns, part_closed, s);
		s->dns = NULL;
	}
	if (s->proxy) {
		s->pending++;
		kp_proxy_close(s->proxy, part_closed, s);
	}
	part_closed(s);
}

int kp_server_healthz_port(const struct kp_server *s)
{
	return s->healthz ? cm_http_server_port(s->healthz) : -1;
}

int kp_server_dns_port(const struct kp_server *s)
{
	return s->dns ? kp_dns_server_port(s->dns) : -1;
}

static const struct kp_svc_view *dns_service(void *ud, const char *key)
{
	struct kp_server *s = ud;

	return s->svcs ? cm_informer_get(s->svcs, key) : NULL;
}

static const struct kp_eps_view *dns_endpoints(void *ud, const char *key)
{
	struct kp_server *s = ud;

	return s->eps ? cm_informer_get(s->eps, key) : NULL;
}

/* cm_informer_foreach's callback shape to the DNS source's. */
struct dns_each {
	int (*fn)(void *arg, const char *key, const struct kp_svc_view *svc);
	void *arg;
};

static int dns_each_one(const char *key, const void *view, void *ud)
{
	struct dns_each *e = ud;

	return e->fn(e->arg, key, view);
}

static void dns_each_service(void *ud, int (*fn)(void *arg, const char *key, const struct kp_svc_view *svc),
			     void *arg)
{
	struct kp_server *s = ud;
	struct dns_each e = {fn, arg};

	if (s->svcs)
		cm_informer_foreach(s->svcs, dns_each_one, &e);
}

/* The DNS address by default: the pod bridge's (pods reach the node there), else loopback. */
static void dns_default_bind(const char *bridge, char *out, size_t cap)
{
	struct ifaddrs *ifs, *i;

	snprintf(out, cap, "127.0.0.1");
	if (!bridge || !*bridge || getifaddrs(&ifs) < 0)
		return;
	for (i = ifs; i; i = i->ifa_next)
		if (i->ifa_addr && i->ifa_addr->sa_family == AF_INET && !strcmp(i->ifa_name, bridge)) {
			inet_ntop(AF_INET, &((struct sockaddr_in *)i->ifa_addr)->sin_addr, out, (socklen_t)cap);
			break;
		}
	freeifaddrs(ifs);
}

static int dns_open(struct kp_server *s, const struct kp_server_config *cfg, struct cm_buf *err)
{
	char bind[64];
	struct kp_dns_server_opts o = {.port = cfg->dns_port,
				       .domain = cfg->cluster_domain ? cfg->cluster_domain : "cluster.local",
				       .resolv_conf = cfg->resolv_conf,
				       .source = {dns_service, dns_endpoints, s, dns_each_service}};

	if (cfg->dns_bind_address && *cfg->dns_bind_address)
		snprintf(bind, sizeof(bind), "%s", cfg->dns_bind_address);
	else
		dns_default_bind(cfg->dns_bridge, bind, sizeof(bind));
	o.bind_address = bind;
	return kp_dns_server_new(s->loop, &o, &s->dns, err);
}

int kp_server_metrics_port(const struct kp_server *s)
{
	if (s->metricsrv)
		return cm_http_server_port(s->metricsrv);
	return kp_server_healthz_port(s); /* served together, or -1 for both off */
}

int kp_server_start(uv_loop_t *loop, const struct kp_server_config *cfg, struct kp_server **out,
		    struct cm_buf *err)
{
	const char *bind = cfg->bind_address && *cfg->bind_address ? cfg->bind_address : "0.0.0.0";
	struct kp_proxy_opts po = {.node_ip = bind, .cluster_ip_iface = cfg->cluster_ip_iface,
				   .udp_idle_ms = cfg->udp_idle_ms};
	struct kp_server *s;
	struct cm_buf table = CM_BUF_INIT, dnserr = CM_BUF_INIT;
	int rc;

	if (!cfg->nmasters)
		return cm_buf_invalid(err, "no apiserver given (--master or --kubeconfig)");
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->loop = loop;
	s->hostname = strdup(cfg->hostname ? cfg->hostname : "");
	if (!s->hostname || cm_metrics_new(&s->metrics) < 0) {
		rc = -ENOMEM;
		goto fail;
	}
	s->syncs = cm_metrics_counter(s->metrics, "kubeproxy_sync_total",
				      "Services reconfigured after a watch event.", NULL);
	s->sync_errors = cm_metrics_counter(s->metrics, "kubeproxy_sync_errors_total",
					    "Services whose reconfiguration failed.", NULL);
	s->services = cm_metrics_gauge(s->metrics, "kubeproxy_services", "Services known.", NULL);
	po.metrics = s->metrics;
	if (cfg->proxy_mode && !strcmp(cfg->proxy_mode, "nftables")) {
		cm_buf_puts(&table, "minik8s_");
		for (const char *h = s->hostname; *h; h++)
			cm_buf_putc(&table, isalnum((unsigned char)*h) ? *h : '_');
		if (!table.data) {
			rc = -ENOMEM;
			goto fail;
		}
		po.nft_table = table.data;
	} else if (cfg->proxy_mode && strcmp(cfg->proxy_mode, "userspace")) {
		rc = cm_buf_invalid(err, "unknown --proxy-mode %s (userspace or nftables)", cfg->proxy_mode);
		goto fail;
	}
	rc = kp_proxy_new(loop, &po, &s->proxy);
	if (rc < 0) {
		cm_buf_printf(err, "bad --bind-address %s: %s", bind, strerror(-rc));
		goto fail;
	}
	cm_buf_close(&table);
	if (po.nft_table) {
		/* the name was copied by the engine */
		cm_info("proxy mode nftables: ports with endpoints and no affinity are DNATed by the kernel");
	}
	/* One server when both ports are the same fixed port; /healthz is on both anyway. */
	bool both = cfg->metrics_port == cfg->healthz_port && cfg->healthz_port > 0;
	if (cfg->healthz_port >= 0 &&
	    (rc = http_open(s, bind, cfg->healthz_port, both, &s->healthz, err)) < 0)
		goto fail;
	if (!both && cfg->metrics_port >= 0 &&
	    (rc = http_open(s, bind, cfg->metrics_port, true, &s->metricsrv, err)) < 0)
		goto fail;
	rc = cm_api_new_opts(loop, cfg->masters, cfg->nmasters, &cfg->tls, &s->api);
	if (rc < 0)
		goto fail;
	rc = informer_open(s, "/api/v1/services", kp_svc_decode, kp_svc_free, on_svcs_synced, &s->svcs);
	if (rc == 0)
		rc = informer_open(s, "/api/v1/endpoints", kp_eps_decode, kp_eps_free, on_eps_synced,
				   &s->eps);
	if (rc < 0) {
		cm_buf_printf(err, "cannot start informers: %s", strerror(-rc));
		goto fail;
	}
	if (cfg->dns_port >= 0 && (rc = dns_open(s, cfg, &dnserr)) < 0) {
		/* the proxy is still worth running: Services work by IP without names */
		cm_error("node %s: no DNS: %s%s", s->hostname, dnserr.len ? dnserr.data : strerror(-rc),
			 kp_bind_hint(rc, cfg->dns_port));
		cm_buf_close(&dnserr);
	}
	cm_info("node %s: proxying services from %s; healthz on %s:%d, metrics on %s:%d", s->hostname,
		cm_api_server(s->api), bind, kp_server_healthz_port(s), bind, kp_server_metrics_port(s));
	*out = s;
	return 0;
fail:
	cm_buf_close(&table);
	/* Stop frees what was made; the caller runs the loop to let the closes finish. */
	kp_server_stop(s, NULL, NULL);
	return rc;
}
