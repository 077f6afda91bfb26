/* ifaddr.h: adding and removing a host address (/32 or /128) on a network interface, via rtnetlink. */
#ifndef KP_IFADDR_H
#define KP_IFADDR_H
#include "kubeproxy/addr.h"

/*
 * Adds ip (its port is ignored) as a host-only address to the interface
 * named ifname, so the node accepts traffic for it (how cluster IPs become
 * local). Returns 0, -EEXIST if the address is already there (someone else
 * owns it: do not delete it later), -ENODEV (no such interface), -EPERM
 * (not allowed), or another negative errno from the kernel.
 */
int kp_ifaddr_add(const char *ifname, const struct kp_addr *ip);
/* Removes what kp_ifaddr_add added. Returns 0, -EADDRNOTAVAIL, -ENODEV, -EPERM, ... */
int kp_ifaddr_del(const char *ifname, const struct kp_addr *ip);
#endif
