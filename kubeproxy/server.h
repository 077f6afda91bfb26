/* server.h: the kubeproxy daemon: informers on Services and Endpoints driving the engine, /healthz and /metrics. */
#ifndef KP_SERVER_H
#define KP_SERVER_H
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "common/buf.h"
#include "common/http_client.h"

struct kp_server;

struct kp_server_config {
	const char *const *masters; /* apiserver base URLs, n >= 1 */
	size_t nmasters;
	struct cm_http_client_opts tls; /* CA and client certificate towards them (strings borrowed) */
	const char *hostname;       /* the node's name (--hostname-override), for logs */
	const char *bind_address;   /* NodePorts and the HTTP endpoints listen here; "0.0.0.0": all */
	int healthz_port;           /* /healthz; 0: ephemeral, -1: off */
	int metrics_port;           /* /metrics; may equal healthz_port; 0: ephemeral, -1: off */
	const char *cluster_ip_iface; /* cluster IPs are added here; "" leaves interfaces alone */
	uint64_t udp_idle_ms;       /* 0: 30 s */
	/* "userspace" (NULL too): every connection through the engine; "nftables": the kernel
	 * fast path (table minik8s_<hostname>) with the engine as the fallback */
	const char *proxy_mode;
	/* DNS: the cluster zone answered on dns_bind_address:dns_port (UDP and TCP) */
	int dns_port;                 /* 0: ephemeral; -1: no DNS */
	const char *dns_bind_address; /* NULL or "": the pod bridge's address if there is one, else 127.0.0.1 */
	const char *dns_bridge;       /* the pod network's bridge ("mk8s0") for that default */
	const char *cluster_domain;   /* NULL: "cluster.local" */
	const char *resolv_conf;      /* upstreams for other names; NULL or "": none */
};

/*
 * Starts everything on loop: the engine, the HTTP servers, then the two
 * informers (their events reconfigure the engine right away). cfg is
 * copied. Returns 0 and *out, or a negative errno with a reason in err:
 * -EINVAL (bad address, no master, unknown proxy mode), -EADDRINUSE (a port taken), -ENOMEM.
 */
int kp_server_start(uv_loop_t *loop, const struct kp_server_config *cfg, struct kp_server **out,
		    struct cm_buf *err);
/* The ports the HTTP endpoints got (useful with port 0), or -1 when off. */
int kp_server_healthz_port(const struct kp_server *s);
int kp_server_metrics_port(const struct kp_server *s);
/* The port DNS got (useful with port 0), or -1 when off. */
int kp_server_dns_port(const struct kp_server *s);
/*
 * Stops the informers and HTTP servers, closes every proxied connection and
 * removes the cluster IPs it added; frees s from the loop, then calls done.
 */
void kp_server_stop(struct kp_server *s, void (*done)(void *ud), void *ud);
#endif
