/* podnet.h: --pod-network=bridge: a network namespace per pod, a veth into the node's bridge, an IP from the podCIDR, host-gw routes. */
#ifndef KL_PODNET_H
#define KL_PODNET_H

#include <stdint.h>

#include <cjson/cJSON.h>

struct kl_server;
struct kl_podnet;

/*
 * Pure helpers (unit tested). Parses "a.b.c.d/n" (n 8..30) into *net (host
 * order, masked) and *prefix. 0 or -EINVAL.
 */
int kl_podnet_parse_cidr(const char *cidr, uint32_t *net, int *prefix);
/*
 * The lowest free pod address of net/prefix: .1 is the bridge, the last is
 * broadcast; used[i] is nonzero when host number i is taken (size
 * 1 << (32 - prefix)). 0 and *host (the host number), or -ENOSPC.
 */
int kl_podnet_pick(const unsigned char *used, int prefix, uint32_t *host);
/* The host side veth name of a pod: "mkv" and 8 hex digits of a hash of uid (IFNAMSIZ-safe). */
void kl_podnet_veth_name(const char *uid, char out[16]);

/*
 * Starts the pod network of server s: state (addresses, namespace mounts)
 * under <root-dir>/net, a bridge named bridge (copied), and an informer on
 * Nodes that gives this node's podCIDR (pods wait until it is known) and the
 * other nodes' routes. Returns 0 and *out, -ENOMEM, or -errno (no netlink).
 */
int kl_podnet_new(struct kl_server *s, const char *bridge, struct kl_podnet **out);
/* Stops the informer and frees n; pods' namespaces and veths stay for the next kubelet. NULL does nothing. */
void kl_podnet_free(struct kl_podnet *n);
/*
 * Called on the loop when a setup ends: rc 0 with ip and netns_path
 * (malloc'd, the callee's), or a negative errno from the kernel (nothing
 * left behind). Also called, with whatever rc, after kl_podnet_free.
 */
typedef void (*kl_podnet_done_cb)(int rc, char *ip, char *netns_path, void *ud);
/*
 * Gives pod uid its network. One it has from before a restart is adopted
 * at once: 0, *ip and *netns_path (malloc'd, the caller's). A new one is
 * made on the thread pool: -EINPROGRESS and *ip, the address it is given
 * (malloc'd, the caller's; so files that name it can be made meanwhile),
 * then done(ud) on the loop; until then the pod's network must not be torn
 * down. Otherwise -EAGAIN (no podCIDR yet), -ENOSPC (no address left),
 * -ENOMEM, and done is not called.
 */
int kl_podnet_setup(struct kl_podnet *n, const char *uid, char **ip, char **netns_path, kl_podnet_done_cb done,
		    void *ud);
/*
 * Whether pod uid's network, made by kl_podnet_setup, still stands: 0, or
 * -ESTALE when its veth is gone (deleted by hand, or with its namespace):
 * the pod is off the bridge, as a pod whose sandbox died. Cheap (no
 * netlink, no rtnl lock): the kubelet asks at every sync.
 */
int kl_podnet_check(struct kl_podnet *n, const char *uid);
/*
 * A pod's network being removed off the loop (kubelet/teardown.c): deleting
 * a veth waits on the kernel's rtnl lock and RCU grace periods (15-60 ms on
 * a busy host), unmounting the namespace and removing the address file on
 * the file system. The loop copies what the thread needs (begin), a thread
 * removes (run), the loop takes the result (end). The pod's address stays
 * taken until end, so no new pod gets it while the old veth may still hold it.
 */
struct kl_podnet_gone {
	char *uid, *ns_path, *ip_path;
	uint32_t addr; /* host order, found by run; 0 if the pod had none */
};
/* On the loop: fills g for pod uid and holds n until kl_podnet_gone_end. 0, or -ENOMEM (g empty, n not held). */
int kl_podnet_gone_begin(struct kl_podnet *n, const char *uid, struct kl_podnet_gone *g);
/* On any thread: removes the veth (through a netlink socket of its own), the namespace and the address file. */
void kl_podnet_gone_run(struct kl_podnet_gone *g);
/* On the loop: frees g's address for other pods and g's strings, and lets n go (freed here after kl_podnet_free). */
void kl_podnet_gone_end(struct kl_podnet *n, struct kl_podnet_gone *g);
/* The three steps at once, on the loop: for a half-made network found before a new one is made. */
void kl_podnet_teardown(struct kl_podnet *n, const char *uid);
/* Calls cb for every pod with network state whose uid is not a key of known_uids (gone while the kubelet was down). */
void kl_podnet_orphans(struct kl_podnet *n, const cJSON *known_uids, void (*cb)(const char *uid, void *ud), void *ud);

#endif
