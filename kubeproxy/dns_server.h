/* dns_server.h: the node-local DNS responder: UDP and TCP on libuv, the cluster zone from the caches, the rest forwarded. */
#ifndef KP_DNS_SERVER_H
#define KP_DNS_SERVER_H
#include <stdint.h>
#include <uv.h>

#include "common/buf.h"
#include "kubeproxy/dns_answer.h"

struct kp_dns_server;

struct kp_dns_server_opts {
	const char *bind_address; /* an IP literal */
	int port;                 /* 0: ephemeral (the same port for UDP and TCP) */
	const char *domain;       /* the cluster domain ("cluster.local"); copied, lower-cased */
	uint32_t ttl;             /* of cluster answers; 0: 5 s */
	const char *resolv_conf;  /* the upstreams' file; NULL or "": none (REFUSED outside the zone) */
	struct kp_dns_source source; /* copied; its ud must outlive the server */
};

/*
 * Listens on bind_address:port over UDP and TCP and answers from then on.
 * Returns 0 and *out, or a negative errno with a reason in err: -EINVAL (bad
 * address or domain), -EADDRINUSE, -EACCES (port 53 without the right),
 * -ENOMEM. An unreadable resolv_conf is logged and means no upstream.
 */
int kp_dns_server_new(uv_loop_t *loop, const struct kp_dns_server_opts *opts, struct kp_dns_server **out,
		      struct cm_buf *err);
/* The port it listens on (useful with port 0). */
int kp_dns_server_port(const struct kp_dns_server *s);

struct kp_dns_server_stats {
	uint64_t udp_queries, tcp_queries, answered, forwarded, dropped;
};
void kp_dns_server_stats(const struct kp_dns_server *s, struct kp_dns_server_stats *out);

/* Closes the sockets and connections; frees s from the loop, then calls done (may be NULL). */
void kp_dns_server_close(struct kp_dns_server *s, void (*done)(void *ud), void *ud);
#endif
