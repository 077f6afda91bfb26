/* netlink.h: the few rtnetlink and network-namespace operations the pod network needs, as short synchronous syscalls. */
#ifndef KL_NETLINK_H
#define KL_NETLINK_H

#include <stdint.h>

/*
 * Every call is a handful of syscalls answered by the kernel at once (no
 * waiting on anything outside the machine), so the kubelet makes them from
 * its loop: a pod's network costs well under a millisecond. Addresses are
 * IPv4 in network byte order. Functions return 0 or a negative errno as the
 * kernel answered it (-EEXIST, -ENODEV, -EPERM).
 */

/* Opens an rtnetlink socket in the network namespace of nsfd (-1: the caller's). 0 and *fd, or -errno. */
int kl_nl_open(int nsfd, int *fd);

/* Makes a bridge named name if there is none. 0 (made or there) or -errno. */
int kl_nl_bridge_ensure(int nl, const char *name);
/* The interface index of name in nl's namespace. 0 and *index, -ENODEV, or -errno. */
int kl_nl_link_index(int nl, const char *name, int *index);
/* Sets link index up. */
int kl_nl_link_up(int nl, int index);
/* Deletes link name (one end of a veth takes its peer with it). -ENODEV if there is none. */
int kl_nl_link_del(int nl, const char *name);
/* Adds addr/prefix to link index; -EEXIST if it has it. */
int kl_nl_addr_add(int nl, int index, uint32_t addr, int prefix);
/*
 * Makes a veth pair: host_name in nl's namespace, up and enslaved to the
 * bridge master (an index; 0 for none), and peer_name (down, its MAC
 * address peer_mac, or a random one when NULL) inside the namespace of
 * peer_nsfd. -EEXIST if host_name exists.
 */
int kl_nl_veth_add(int nl, const char *host_name, int master, const char *peer_name, const unsigned char peer_mac[6],
		   int peer_nsfd);
/* Adds (add != 0) or deletes the route dst/prefix via gw (0: on link oif, 0: any). -EEXIST, -ESRCH. */
int kl_nl_route(int nl, int add, uint32_t dst, int prefix, uint32_t gw, int oif);

/*
 * Makes a new network namespace kept alive by a bind mount on path (a file
 * made here), without moving the caller. 0 or -errno.
 */
int kl_netns_create(const char *path);
/* Unmounts and removes path. 0 or -errno (-ENOENT if it is not there). */
int kl_netns_remove(const char *path);

#endif
