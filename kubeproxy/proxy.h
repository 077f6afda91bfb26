/* proxy.h: the proxy engine: listeners per service port, TCP splicing and UDP flows to chosen endpoints. */
#ifndef KP_PROXY_H
#define KP_PROXY_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "common/metrics.h"
#include "kubeproxy/addr.h"

/*
 * The engine knows nothing of the API: the daemon hands it typed views of
 * each Service's ports with their ready endpoints, and it makes the sockets
 * match. Everything runs on one libuv loop.
 */
struct kp_proxy;

struct kp_proxy_opts {
	/* NodePorts listen on this address; NULL or "0.0.0.0" means every node address. */
	const char *node_ip;
	/* Cluster IPs are added as host addresses to this interface ("lo"); NULL: leave interfaces alone. */
	const char *cluster_ip_iface;
	size_t buf_size;        /* TCP bytes buffered per direction of a connection; 0: 32 KiB */
	uint64_t udp_idle_ms;   /* a UDP flow without traffic for this long is closed; 0: 30 s */
	size_t max_free_conns;  /* closed connections kept for reuse; 0: 1024 */
	struct cm_metrics *metrics; /* borrowed, may be NULL; must outlive the proxy */
	/*
	 * Set: the kernel fast path. Ports it can take (IPv4, no affinity, with
	 * endpoints) are DNATed by nftables table `ip <nft_table>` ([A-Za-z0-9_]),
	 * rewritten by `nft` after every change; the listeners stay as the
	 * fallback (and serve the other ports). Connections taken by the kernel
	 * are not counted in the metrics. The table is deleted on close.
	 */
	const char *nft_table;
};

struct kp_service_port {
	const char *name;          /* "namespace/service:port": unique per port, used in logs and metrics */
	int protocol;              /* IPPROTO_TCP or IPPROTO_UDP */
	struct kp_addr cluster;    /* ClusterIP and port; family 0 for none (headless) */
	uint16_t node_port;        /* 0 for none */
	bool node_local;           /* cluster is an address the node has (a load balancer ingress): not added to the interface */
	bool affinity;             /* sessionAffinity: ClientIP */
	uint32_t affinity_timeout_s; /* 0: Kubernetes' default, 10800 */
	const struct kp_addr *endpoints; /* ready endpoints; copied */
	size_t nendpoints;
};

/*
 * Makes an engine on loop; opts are copied (metrics borrowed). Returns 0 and
 * *out, -EINVAL (node_ip not an IP literal, nft_table not a plain name), or
 * -ENOMEM.
 */
int kp_proxy_new(uv_loop_t *loop, const struct kp_proxy_opts *opts, struct kp_proxy **out);

/*
 * Makes the ports of one service (key "namespace/name") be ports[0..n),
 * everything copied: ports of the service not listed are closed (with their
 * connections and flows), new ones open their listeners, and each port's
 * endpoint set is replaced. New connections use the new set at once;
 * connections and flows to an endpoint no longer listed are closed. n = 0
 * removes the service. A listener that cannot open (port in use, address
 * not local) is logged and counted as an error of its port, and the rest
 * goes on. Returns 0, -EINVAL (a port without name or with an unknown
 * protocol: nothing changed), -ESHUTDOWN while closing, or -ENOMEM (the
 * service may be partly applied; calling again with the same ports finishes).
 */
int kp_proxy_set_service(struct kp_proxy *p, const char *service,
			 const struct kp_service_port *ports, size_t n);

/*
 * What to add to the log line of a bind that failed with rc on port: why a
 * normal user gets -EACCES below 1024 (ClusterIPs in 127/8 and DNS on 53 are
 * bound as they are), else "". A static string.
 */
const char *kp_bind_hint(int rc, int port);

/* Times the nftables rules were written, and whether the last write failed (tests, /metrics). */
unsigned kp_proxy_nft_applies(const struct kp_proxy *p, bool *failed);

/* Live counts, for tests and /metrics: open TCP connections and UDP flows. */
size_t kp_proxy_active_conns(const struct kp_proxy *p);
size_t kp_proxy_active_flows(const struct kp_proxy *p);

/*
 * Closes every listener, connection and flow, removes the cluster IPs it
 * added, frees the engine once the handles are closed, then calls done (may
 * be NULL). p is invalid afterwards.
 */
void kp_proxy_close(struct kp_proxy *p, void (*done)(void *ud), void *ud);
#endif
