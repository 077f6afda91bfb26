/* dns_forward.h: names outside the cluster zone sent to the node's upstream resolvers, answers cached briefly. */
#ifndef KP_DNS_FORWARD_H
#define KP_DNS_FORWARD_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <uv.h>

#include "kubeproxy/addr.h"

/* Who asked: a UDP address, or a TCP connection (conn, the server's). */
struct kp_dns_client {
	bool tcp;
	struct sockaddr_storage addr;
	void *conn;
};

/* Sends msg (len bytes, borrowed for the call) back to to. */
typedef void (*kp_dns_reply_fn)(void *ud, const struct kp_dns_client *to, const uint8_t *msg, size_t len);

struct kp_dns_forward;

/* An upstream resolver: address and port, and the interface of a link-local IPv6 one (0: none). */
struct kp_dns_upstream {
	struct kp_addr addr;
	uint32_t scope;
};

/*
 * The nameservers of a resolv.conf text, IPv4 and IPv6 ("fe80::1%eth0":
 * the interface by name or number; a line naming an unknown one is
 * skipped), in order, at most max, port 53; addresses equal to self (port
 * included: ours) are skipped so that a node whose resolv.conf names this
 * responder does not loop. Returns the number found (0 is fine: no upstream).
 */
size_t kp_dns_resolv_conf_parse(const char *text, const struct kp_addr *self, struct kp_dns_upstream *out,
				size_t max);

/*
 * Makes a forwarder on loop for upstreams[0..n) (copied; n may be 0: every
 * query then gets REFUSED), answering through reply(ud, ...). It opens a
 * UDP socket per family its upstreams use (IPv4 always). Returns 0 and
 * *out, or a negative errno (-ENOMEM, or the socket's error).
 */
int kp_dns_forward_new(uv_loop_t *loop, const struct kp_dns_upstream *upstreams, size_t n, kp_dns_reply_fn reply,
		       void *ud, struct kp_dns_forward **out);

/*
 * Answers query q for from: out of the cache at once (reply is called
 * before this returns), or later from an upstream (the first, then the
 * next after a 1.5 s silence; SERVFAIL when none answered). REFUSED
 * without upstreams, SERVFAIL when too many queries wait. from is copied.
 */
void kp_dns_forward_query(struct kp_dns_forward *f, const struct kp_dns_client *from, const uint8_t *q,
			  size_t qlen);

/* Forgets the waiting queries of TCP connection conn (it closed): no reply will name it. */
void kp_dns_forward_forget(struct kp_dns_forward *f, void *conn);

/* Counters for tests and logs. */
struct kp_dns_forward_stats {
	uint64_t forwarded, cache_hits, answered, failed;
};
void kp_dns_forward_stats(const struct kp_dns_forward *f, struct kp_dns_forward_stats *out);

/* Drops what waits (no replies), closes the sockets and frees f later; then calls done (may be NULL). */
void kp_dns_forward_close(struct kp_dns_forward *f, void (*done)(void *ud), void *ud);
#endif
