/* ifaddr.c: one rtnetlink request per address change, answered by the kernel's ack. */
#include <errno.h>
#include <linux/if_addr.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "kubeproxy/ifaddr.h"

struct addr_req {
	struct nlmsghdr nh;
	struct ifaddrmsg ifa;
	char attrs[64];
};

static void add_attr(struct addr_req *r, unsigned short type, const void *data, size_t len)
{
	struct rtattr *rta = (struct rtattr *)((char *)r + NLMSG_ALIGN(r->nh.nlmsg_len));

	rta->rta_type = type;
	rta->rta_len = (unsigned short)RTA_LENGTH(len);
	memcpy(RTA_DATA(rta), data, len);
	r->nh.nlmsg_len = NLMSG_ALIGN(r->nh.nlmsg_len) + RTA_ALIGN(rta->rta_len);
}

/* Sends one RTM_NEWADDR/RTM_DELADDR and returns the kernel's verdict (0 or -errno). */
static int ifaddr_change(int type, int flags, const char *ifname, const struct kp_addr *ip)
{
	struct addr_req req;
	struct sockaddr_nl kernel = {.nl_family = AF_NETLINK};
	char reply[512];
	unsigned idx = if_nametoindex(ifname);
	size_t iplen = ip->family == AF_INET ? 4 : 16;
	int fd, rc;
	ssize_t n;

	if (!idx)
		return -ENODEV;
	if (ip->family != AF_INET && ip->family != AF_INET6)
		return -EINVAL;
	memset(&req, 0, sizeof(req));
	req.nh.nlmsg_len = NLMSG_LENGTH(sizeof(struct ifaddrmsg));
	req.nh.nlmsg_type = (unsigned short)type;
	req.nh.nlmsg_flags = (unsigned short)(NLM_F_REQUEST | NLM_F_ACK | flags);
	req.nh.nlmsg_seq = 1;
	req.ifa.ifa_family = ip->family;
	req.ifa.ifa_prefixlen = (unsigned char)(iplen * 8);
	req.ifa.ifa_scope = RT_SCOPE_HOST;
	req.ifa.ifa_index = idx;
	add_attr(&req, IFA_LOCAL, ip->ip, iplen);
	add_attr(&req, IFA_ADDRESS, ip->ip, iplen);

	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (fd < 0)
		return -errno;
	if (sendto(fd, &req, req.nh.nlmsg_len, 0, (struct sockaddr *)&kernel, sizeof(kernel)) < 0) {
		rc = -errno;
		goto out;
	}
	n = recv(fd, reply, sizeof(reply), 0);
	if (n < 0) {
		rc = -errno;
		goto out;
	}
	rc = -EPROTO;
	for (struct nlmsghdr *h = (struct nlmsghdr *)reply; NLMSG_OK(h, (size_t)n);
	     h = NLMSG_NEXT(h, n)) {
		if (h->nlmsg_type == NLMSG_ERROR) {
			struct nlmsgerr *e = NLMSG_DATA(h);
			rc = e->error; /* already negative, 0 for the ack */
			break;
		}
	}
out:
	close(fd);
	return rc;
}

int kp_ifaddr_add(const char *ifname, const struct kp_addr *ip)
{
	return ifaddr_change(RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL, ifname, ip);
}

int kp_ifaddr_del(const char *ifname, const struct kp_addr *ip)
{
	return ifaddr_change(RTM_DELADDR, 0, ifname, ip);
}
