/* netlink.c: rtnetlink requests (links, bridges, veths, addresses, routes) and bind-mounted network namespaces. */
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/veth.h>

#include "kubelet/netlink.h"

/* A request under construction: one message, attributes appended, nests closed by offset. */
struct req {
	union {
		struct nlmsghdr h;
		char buf[1024];
	} u;
};

static void *tail(struct req *r)
{
	return r->u.buf + NLMSG_ALIGN(r->u.h.nlmsg_len);
}

static int put(struct req *r, unsigned short type, const void *data, size_t len)
{
	struct rtattr *a = tail(r);
	size_t need = NLMSG_ALIGN(r->u.h.nlmsg_len) + RTA_SPACE(len);

	if (need > sizeof(r->u.buf))
		return -ENOBUFS;
	a->rta_type = type;
	a->rta_len = (unsigned short)RTA_LENGTH(len);
	if (len)
		memcpy(RTA_DATA(a), data, len);
	r->u.h.nlmsg_len = (unsigned)need;
	return 0;
}

static int put_str(struct req *r, unsigned short type, const char *s)
{
	return put(r, type, s, strlen(s) + 1);
}

static int put_u32(struct req *r, unsigned short type, uint32_t v)
{
	return put(r, type, &v, sizeof(v));
}

/* Opens a nested attribute; returns its offset for nest_end (or -ENOBUFS). */
static long nest(struct req *r, unsigned short type)
{
	long off = (long)NLMSG_ALIGN(r->u.h.nlmsg_len);
	int rc = put(r, type, NULL, 0);

	return rc < 0 ? rc : off;
}

static void nest_end(struct req *r, long off)
{
	struct rtattr *a = (struct rtattr *)(r->u.buf + off);

	a->rta_len = (unsigned short)(r->u.h.nlmsg_len - (unsigned)off);
}

/* Appends raw bytes (a header inside a nest, as veth's peer ifinfomsg). */
static int put_raw(struct req *r, const void *data, size_t len)
{
	size_t at = NLMSG_ALIGN(r->u.h.nlmsg_len);

	if (at + NLMSG_ALIGN(len) > sizeof(r->u.buf))
		return -ENOBUFS;
	memcpy(r->u.buf + at, data, len);
	r->u.h.nlmsg_len = (unsigned)(at + NLMSG_ALIGN(len));
	return 0;
}

static void start(struct req *r, unsigned short type, unsigned short flags, const void *hdr, size_t len)
{
	memset(r, 0, sizeof(*r));
	r->u.h.nlmsg_len = (unsigned)NLMSG_LENGTH(len);
	r->u.h.nlmsg_type = type;
	r->u.h.nlmsg_flags = (unsigned short)(NLM_F_REQUEST | NLM_F_ACK | flags);
	r->u.h.nlmsg_seq = 1;
	memcpy(NLMSG_DATA(&r->u.h), hdr, len);
}

/* Sends r and reads the kernel's ack: 0 or its negative errno; *index (may be NULL) gets a link answered. */
static int talk_index(int nl, struct req *r, int *index)
{
	union {
		struct nlmsghdr h;
		char buf[4096];
	} ans;
	ssize_t n;

	if (send(nl, r->u.buf, r->u.h.nlmsg_len, 0) < 0)
		return -errno;
	for (;;) {
		n = recv(nl, ans.buf, sizeof(ans.buf), 0);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		for (struct nlmsghdr *h = &ans.h; NLMSG_OK(h, (unsigned)n); h = NLMSG_NEXT(h, n)) {
			if (h->nlmsg_type == RTM_NEWLINK && index)
				*index = ((struct ifinfomsg *)NLMSG_DATA(h))->ifi_index;
			if (h->nlmsg_type == NLMSG_ERROR)
				return ((struct nlmsgerr *)NLMSG_DATA(h))->error;
			if (h->nlmsg_type == NLMSG_DONE)
				return 0;
		}
	}
}

static int talk(int nl, struct req *r)
{
	return talk_index(nl, r, NULL);
}

int kl_nl_open(int nsfd, int *fd)
{
	int self = -1, s, rc = 0;
	struct sockaddr_nl sa = {.nl_family = AF_NETLINK};
	struct timeval tv = {2, 0};

	/* a socket belongs to the namespace it was made in: step in, make it, step back */
	if (nsfd >= 0) {
		if ((self = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC)) < 0)
			return -errno;
		if (setns(nsfd, CLONE_NEWNET) < 0) {
			rc = -errno;
			close(self);
			return rc;
		}
	}
	s = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (s < 0)
		rc = -errno;
	if (self >= 0) {
		if (setns(self, CLONE_NEWNET) < 0 && !rc)
			rc = -errno;
		close(self);
	}
	if (!rc && bind(s, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		rc = -errno;
	if (rc) {
		if (s >= 0)
			close(s);
		return rc;
	}
	setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	*fd = s;
	return 0;
}

int kl_nl_link_index(int nl, const char *name, int *index)
{
	struct ifinfomsg ifi = {.ifi_family = AF_UNSPEC};
	struct req r;
	int rc, got = 0;

	start(&r, RTM_GETLINK, 0, &ifi, sizeof(ifi));
	if ((rc = put_str(&r, IFLA_IFNAME, name)) < 0)
		return rc;
	/* the link comes first, then the ack */
	if ((rc = talk_index(nl, &r, &got)) < 0)
		return rc == -ENOENT ? -ENODEV : rc;
	if (got <= 0)
		return -ENODEV;
	*index = got;
	return 0;
}

/*
 * A bridge without an address of its own takes the lowest of its ports',
 * so it changed as pods' veths joined; pods that had resolved the gateway
 * kept the old one and their replies were dropped until ARP found out (a
 * readiness probe then timed out). Its own fixed address, locally
 * administered and derived from its name, never changes.
 */
static void bridge_mac(const char *name, unsigned char mac[6])
{
	uint32_t h = 2166136261u;

	for (const char *p = name; *p; p++)
		h = (h ^ (unsigned char)*p) * 16777619u;
	mac[0] = 0x02;
	mac[1] = 0x6b; /* 'k' */
	mac[2] = (unsigned char)(h >> 24);
	mac[3] = (unsigned char)(h >> 16);
	mac[4] = (unsigned char)(h >> 8);
	mac[5] = (unsigned char)h;
}

int kl_nl_bridge_ensure(int nl, const char *name)
{
	struct ifinfomsg ifi = {.ifi_family = AF_UNSPEC};
	unsigned char mac[6];
	struct req r;
	long li;
	int rc;

	bridge_mac(name, mac);
	start(&r, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL, &ifi, sizeof(ifi));
	if ((rc = put_str(&r, IFLA_IFNAME, name)) < 0 || (rc = put(&r, IFLA_ADDRESS, mac, sizeof(mac))) < 0 ||
	    (li = nest(&r, IFLA_LINKINFO)) < 0 ||
	    (rc = put_str(&r, IFLA_INFO_KIND, "bridge")) < 0)
		return rc < 0 ? rc : -ENOBUFS;
	nest_end(&r, li);
	rc = talk(nl, &r);
	return rc == -EEXIST ? 0 : rc;
}

int kl_nl_link_up(int nl, int index)
{
	struct ifinfomsg ifi = {.ifi_family = AF_UNSPEC, .ifi_index = index, .ifi_flags = IFF_UP, .ifi_change = IFF_UP};
	struct req r;

	start(&r, RTM_NEWLINK, 0, &ifi, sizeof(ifi));
	return talk(nl, &r);
}

int kl_nl_link_del(int nl, const char *name)
{
	struct ifinfomsg ifi = {.ifi_family = AF_UNSPEC};
	struct req r;
	int rc;

	start(&r, RTM_DELLINK, 0, &ifi, sizeof(ifi));
	if ((rc = put_str(&r, IFLA_IFNAME, name)) < 0)
		return rc;
	return talk(nl, &r);
}

int kl_nl_addr_add(int nl, int index, uint32_t addr, int prefix)
{
	struct ifaddrmsg ifa = {.ifa_family = AF_INET, .ifa_prefixlen = (unsigned char)prefix,
				.ifa_index = (unsigned)index};
	struct req r;
	int rc;

	start(&r, RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL, &ifa, sizeof(ifa));
	if ((rc = put(&r, IFA_LOCAL, &addr, 4)) < 0 || (rc = put(&r, IFA_ADDRESS, &addr, 4)) < 0)
		return rc;
	return talk(nl, &r);
}

int kl_nl_veth_add(int nl, const char *host_name, int master, const char *peer_name, const unsigned char peer_mac[6],
		   int peer_nsfd)
{
	/*
	 * The host end is made up (two requests fewer, each waiting for the
	 * kernel's rtnl lock); the peer cannot be: a veth opens only once its
	 * peer is linked, after the peer is configured (-ENOTCONN).
	 */
	struct ifinfomsg ifi = {.ifi_family = AF_UNSPEC, .ifi_flags = IFF_UP, .ifi_change = IFF_UP};
	struct ifinfomsg peer_ifi = {.ifi_family = AF_UNSPEC};
	struct req r;
	long li, data, peer;
	int rc;

	start(&r, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL, &ifi, sizeof(ifi));
	if ((rc = put_str(&r, IFLA_IFNAME, host_name)) < 0)
		return rc;
	if (master > 0 && (rc = put_u32(&r, IFLA_MASTER, (uint32_t)master)) < 0)
		return rc;
	if ((li = nest(&r, IFLA_LINKINFO)) < 0 || (rc = put_str(&r, IFLA_INFO_KIND, "veth")) < 0 ||
	    (data = nest(&r, IFLA_INFO_DATA)) < 0 || (peer = nest(&r, VETH_INFO_PEER)) < 0 ||
	    (rc = put_raw(&r, &peer_ifi, sizeof(peer_ifi))) < 0 || (rc = put_str(&r, IFLA_IFNAME, peer_name)) < 0 ||
	    (rc = put_u32(&r, IFLA_NET_NS_FD, (uint32_t)peer_nsfd)) < 0 ||
	    (peer_mac && (rc = put(&r, IFLA_ADDRESS, peer_mac, 6)) < 0))
		return rc < 0 ? rc : -ENOBUFS;
	nest_end(&r, peer);
	nest_end(&r, data);
	nest_end(&r, li);
	return talk(nl, &r);
}

int kl_nl_route(int nl, int add, uint32_t dst, int prefix, uint32_t gw, int oif)
{
	struct rtmsg rt = {.rtm_family = AF_INET, .rtm_dst_len = (unsigned char)prefix, .rtm_table = RT_TABLE_MAIN,
			   .rtm_protocol = RTPROT_BOOT, .rtm_scope = gw ? RT_SCOPE_UNIVERSE : RT_SCOPE_LINK,
			   .rtm_type = RTN_UNICAST};
	struct req r;
	int rc = 0;

	if (!add)
		rt.rtm_scope = RT_SCOPE_NOWHERE;
	start(&r, add ? RTM_NEWROUTE : RTM_DELROUTE, add ? NLM_F_CREATE | NLM_F_EXCL : 0, &rt, sizeof(rt));
	if (prefix > 0)
		rc = put(&r, RTA_DST, &dst, 4);
	if (!rc && gw)
		rc = put(&r, RTA_GATEWAY, &gw, 4);
	if (!rc && oif)
		rc = put_u32(&r, RTA_OIF, (uint32_t)oif);
	return rc < 0 ? rc : talk(nl, &r);
}

int kl_netns_create(const char *path)
{
	int self, fd, rc = 0;
	char src[64];

	if ((fd = open(path, O_RDONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0444)) < 0)
		return -errno;
	close(fd);
	if ((self = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC)) < 0) {
		rc = -errno;
		goto fail;
	}
	/* only this thread moves, and only until the bind mount holds the new namespace */
	if (unshare(CLONE_NEWNET) < 0) {
		rc = -errno;
		close(self);
		goto fail;
	}
	snprintf(src, sizeof(src), "/proc/thread-self/ns/net");
	if (mount(src, path, NULL, MS_BIND, NULL) < 0)
		rc = -errno;
	if (setns(self, CLONE_NEWNET) < 0 && !rc)
		rc = -errno;
	close(self);
	if (rc)
		goto fail;
	return 0;
fail:
	umount2(path, MNT_DETACH);
	unlink(path);
	return rc;
}

int kl_netns_remove(const char *path)
{
	struct stat st;

	if (stat(path, &st) < 0)
		return -errno;
	umount2(path, MNT_DETACH);
	return unlink(path) < 0 ? -errno : 0;
}
