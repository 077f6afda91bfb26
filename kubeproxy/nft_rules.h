/* nft_rules.h: the nftables ruleset of the kernel fast path, rendered from the service ports (pure). */
#ifndef KP_NFT_RULES_H
#define KP_NFT_RULES_H
#include <stddef.h>

#include "common/buf.h"
#include "kubeproxy/proxy.h"

/*
 * Appends to out an nft script that replaces table `ip <table>` in one
 * transaction: for each IPv4 service port with endpoints and without
 * ClientIP affinity, DNAT of new connections (TCP) or flows (UDP) to the
 * ClusterIP:port, and to node:NodePort (node family 0: every local address),
 * onto its endpoints in turn (numgen inc: round robin per connection); and a
 * filter that resets packets of flows already translated to an endpoint the
 * port no longer lists, so those connections end. Ports it leaves out
 * (affinity, IPv6, no endpoints) are served by the userspace listeners.
 * Returns 0 or -ENOMEM; -EINVAL if table is not [A-Za-z0-9_]+.
 */
int kp_nft_render(const char *table, const struct kp_addr *node, const struct kp_service_port *ports,
		  size_t n, struct cm_buf *out);

/* Appends the script that removes the table (no error if it is absent). */
int kp_nft_render_delete(const char *table, struct cm_buf *out);

/* True if the fast path takes port sp (the rules above name it). */
bool kp_nft_handles(const struct kp_service_port *sp);
#endif
