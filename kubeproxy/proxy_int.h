/* proxy_int.h: the engine's internal structures, shared by proxy.c, tcp.c and udp.c only. */
#ifndef KP_PROXY_INT_H
#define KP_PROXY_INT_H
#include "kubeproxy/choose.h"
#include "kubeproxy/proxy.h"

struct kp_conn;
struct kp_flow;
struct kp_listener;

/* A cluster IP the engine wants up on its interface; refcounted by listeners. */
struct kp_vip {
	struct kp_vip *next;
	struct kp_addr ip; /* port 0 */
	int refs;
	bool owned; /* we added it, so we remove it */
};

/* The per-port metric series; the registry owns them and they outlive the port. */
struct kp_port_metrics {
	struct cm_metric *conns;  /* connections (TCP) or flows (UDP) accepted */
	struct cm_metric *active; /* open now */
	struct cm_metric *bytes_in;  /* client to endpoint */
	struct cm_metric *bytes_out; /* endpoint to client */
	struct cm_metric *errors; /* no endpoint, connect failed, listener failed */
};

struct kp_svcport {
	struct kp_svcport *next;
	struct kp_proxy *proxy;
	char *service; /* "ns/name" */
	char *name;    /* "ns/name:port" */
	int protocol;
	struct kp_addr cluster;
	uint16_t node_port;
	bool node_local; /* see kp_service_port */
	struct kp_chooser chooser;
	struct kp_listener *cluster_l, *node_l; /* NULL when absent or failed */
	struct kp_conn *conns;                  /* TCP connections, doubly linked */
	struct kp_port_metrics m;
	bool seen; /* mark for kp_proxy_set_service's sweep */
};

struct kp_listener {
	uv_poll_t poll;
	int fd;
	int protocol;
	struct kp_proxy *p;
	struct kp_svcport *sp; /* NULL once closing */
	struct kp_vip *vip;    /* the cluster IP it holds up, or NULL */
	/* UDP: flows by client address, chained */
	struct kp_flow **flows;
	size_t nflows, capflows;
};

struct kp_proxy {
	uv_loop_t *loop;
	struct kp_proxy_opts opts; /* strings below are owned copies */
	char *node_ip, *iface;
	struct kp_addr node_addr; /* family 0: every address */
	struct kp_svcport *ports;
	struct kp_vip *vips;
	struct kp_conn *free_conns;
	size_t nfree, nconns, nflows;
	char *udp_buf; /* one datagram at a time, reused */
	uv_timer_t sweep; /* closes idle UDP flows, re-claims cluster IPs */
	uint64_t last_udp_sweep;
	size_t handles;   /* open handles; the engine is freed when it reaches 0 while closing */
	bool closing;
	void (*done)(void *ud);
	void *done_ud;
	struct kp_listener **all_udp; /* UDP listeners, for the sweep */
	size_t nudp, capudp;
	char *nft_table;      /* fast path on: owned copy of opts.nft_table */
	uv_timer_t nft_timer; /* coalesces changes into one nft run per loop pass */
	bool nft_failed;
	unsigned nft_applies;
};

#define KP_UDP_MAX 65536

/* proxy.c: handle accounting, so the engine can free itself after the last close. */
void kp_proxy_handle_opened(struct kp_proxy *p);
void kp_proxy_handle_closed(struct kp_proxy *p);

/*
 * tcp.c: opens a TCP listener for sp on addr. reuse_port lets another proxy on
 * the same host serve the same cluster IP. Returns 0 and *out, or -errno.
 */
int kp_tcp_listen(struct kp_svcport *sp, const struct kp_addr *addr, bool reuse_port,
		  struct kp_listener **out);
/* Closes every connection of sp whose endpoint is no longer in its chooser (all if all). */
void kp_tcp_close_stale(struct kp_svcport *sp, bool all);
/* Frees the pool of closed connections. */
void kp_tcp_free_pool(struct kp_proxy *p);

/* udp.c: the same for UDP, and the idle sweep. */
int kp_udp_listen(struct kp_svcport *sp, const struct kp_addr *addr, bool reuse_port,
		  struct kp_listener **out);
/* Closes flows of l that idled past the timeout (now_ms), or whose endpoint left (or all). */
void kp_udp_sweep(struct kp_listener *l, uint64_t now_ms, bool all);

/* Either protocol: closes l (flows first for UDP); its memory goes with the handle. */
void kp_listener_close(struct kp_listener *l);

/* fastpath.c: the nftables fast path, when opts.nft_table is set. */
int kp_fastpath_init(struct kp_proxy *p);
/* The ports changed: the rules are rewritten on the next loop pass. */
void kp_fastpath_dirty(struct kp_proxy *p);
/* Deletes the table (blocking) and closes the timer. */
void kp_fastpath_close(struct kp_proxy *p);

/* Opens a nonblocking socket bound to addr, listening (TCP) or not (UDP). Returns fd or -errno. */
int kp_socket_bind(const struct kp_addr *addr, int type, bool reuse_port);
#endif
