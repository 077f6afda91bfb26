/* podnet.c: the bridge pod network: per-pod namespaces and veths, addresses from the node's podCIDR, host-gw routes to other nodes. */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common/fileio.h"
#include "common/informer.h"
#include "common/json.h"
#include "common/log.h"
#include "kubelet/kubelet.h"
#include "kubelet/netlink.h"
#include "kubelet/podnet.h"

/*
 * State on disk, so a restarted kubelet finds every pod's network again:
 * <root>/net/<uid>.ip holds the pod's address and <root>/net/<uid>.ns is the
 * bind mount that keeps its namespace alive. The bridge takes the podCIDR's
 * first address and is every pod's default gateway; the kernel's connected
 * route for the podCIDR on the bridge carries host-to-pod traffic.
 */
struct kl_podnet {
	struct kl_server *s;
	char *bridge;
	char *dir;
	int nl;                 /* rtnetlink in the host namespace */
	int br_index;
	bool ready;             /* the podCIDR is known and the bridge is up */
	uint32_t net;           /* host order */
	int prefix;
	unsigned char *used;    /* 1 << (32 - prefix) entries */
	struct cm_informer *nodes;
	cJSON *routes;          /* {node: "cidr via gw"} this kubelet added */
	int jobs;               /* setups and removals running on the thread pool */
	bool closed;            /* kl_podnet_free was called: the last job frees n */
};

/*
 * One pod's network being made on the thread pool: unshare, the bind mount,
 * the netlink round trips and the file creations wait on the kernel (its
 * locks, the file system's journal), and made on the loop they held every
 * other pod and every status write behind them. The thread gets copies of
 * all it reads and its own netlink socket; the loop keeps the address table.
 */
struct setup_job {
	uv_work_t req;
	struct kl_podnet *n;
	char *uid, *ns_path, *ip_path;
	uint32_t addr, net;     /* host order */
	int prefix, br_index;
	int rc;
	kl_podnet_done_cb done;
	void *ud;
};

int kl_podnet_parse_cidr(const char *cidr, uint32_t *net, int *prefix)
{
	char ip[32];
	const char *slash = strchr(cidr ? cidr : "", '/');
	struct in_addr a;
	char *end;
	long p;

	if (!slash || slash - cidr >= (long)sizeof(ip))
		return -EINVAL;
	memcpy(ip, cidr, (size_t)(slash - cidr));
	ip[slash - cidr] = '\0';
	p = strtol(slash + 1, &end, 10);
	if (*end || p < 8 || p > 30 || inet_pton(AF_INET, ip, &a) != 1)
		return -EINVAL;
	*net = ntohl(a.s_addr) & (uint32_t)(0xffffffffu << (32 - p));
	*prefix = (int)p;
	return 0;
}

int kl_podnet_pick(const unsigned char *used, int prefix, uint32_t *host)
{
	uint32_t size = 1u << (32 - prefix);

	for (uint32_t i = 2; i + 1 < size; i++) {
		if (!used[i]) {
			*host = i;
			return 0;
		}
	}
	return -ENOSPC;
}

void kl_podnet_veth_name(const char *uid, char out[16])
{
	uint32_t h = 2166136261u;

	for (const char *p = uid; *p; p++)
		h = (h ^ (unsigned char)*p) * 16777619u;
	snprintf(out, 16, "mkv%08x", h);
}

static void path_of(const struct kl_podnet *n, const char *uid, const char *ext, struct cm_buf *out)
{
	cm_buf_reset(out);
	cm_buf_printf(out, "%s/%s.%s", n->dir, uid, ext);
}

/* Reads the address a pod was given before (host order); 0 if none. */
static uint32_t read_ip(const char *path)
{
	char text[32] = "";
	struct in_addr a;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t got;

	if (fd < 0)
		return 0;
	got = read(fd, text, sizeof(text) - 1);
	close(fd);
	if (got <= 0)
		return 0;
	text[got] = '\0';
	text[strcspn(text, "\n")] = '\0';
	return inet_pton(AF_INET, text, &a) == 1 ? ntohl(a.s_addr) : 0;
}

static void mark(struct kl_podnet *n, uint32_t ip, unsigned char v)
{
	if (n->used && (ip & (uint32_t)(0xffffffffu << (32 - n->prefix))) == n->net)
		n->used[ip - n->net] = v;
}

static void ip_text(uint32_t ip, char out[INET_ADDRSTRLEN])
{
	struct in_addr a = {htonl(ip)};

	inet_ntop(AF_INET, &a, out, INET_ADDRSTRLEN);
}

static void on_iptables_exit(uv_process_t *p, int64_t status, int sig)
{
	if (status || sig)
		cm_warn("iptables: FORWARD accept rules for the pod bridge not added (exit %lld): pod-to-pod traffic may be dropped",
			(long long)status);
	uv_close((uv_handle_t *)p, (uv_close_cb)free);
}

/*
 * Where br_netfilter hands bridged frames to iptables and FORWARD drops by
 * default (Docker sets that), pod-to-pod traffic would be dropped: accept
 * what enters or leaves the pod bridge. iptables runs as a child, off the loop.
 */
static void open_forwarding(struct kl_podnet *n)
{
	struct cm_buf cmd = CM_BUF_INIT;
	uv_process_options_t po = {0};
	uv_process_t *p = calloc(1, sizeof(*p));
	char *argv[4] = {"/bin/sh", "-c", NULL, NULL};
	int rc;

	if (!p || cm_buf_printf(&cmd,
				"command -v iptables >/dev/null || exit 0; "
				"for d in -i -o; do iptables -w -C FORWARD $d %s -j ACCEPT 2>/dev/null || "
				"iptables -w -I FORWARD 1 $d %s -j ACCEPT || exit 1; done",
				n->bridge, n->bridge) < 0) {
		free(p);
		cm_buf_close(&cmd);
		return;
	}
	argv[2] = cmd.data;
	po.file = argv[0];
	po.args = argv;
	po.exit_cb = on_iptables_exit;
	if ((rc = uv_spawn(n->s->loop, p, &po)) < 0) {
		cm_warn("iptables: not started: %s", uv_strerror(rc));
		free(p);
	}
	cm_buf_close(&cmd);
}

/* The podCIDR is known: make the bridge, give it the gateway address, and mark addresses pods hold. */
static int become_ready(struct kl_podnet *n, const char *cidr)
{
	struct cm_buf p = CM_BUF_INIT;
	struct dirent *de;
	DIR *d;
	int rc;

	if ((rc = kl_podnet_parse_cidr(cidr, &n->net, &n->prefix)) < 0 || n->prefix < 16) {
		cm_error("node %s: podCIDR %s not usable (IPv4, /16 to /30)", n->s->cfg.node_name, cidr);
		return -EINVAL;
	}
	if (!(n->used = calloc(1u << (32 - n->prefix), 1)))
		return -ENOMEM;
	if ((rc = kl_nl_bridge_ensure(n->nl, n->bridge)) < 0 || (rc = kl_nl_link_index(n->nl, n->bridge, &n->br_index)) < 0)
		goto fail;
	rc = kl_nl_addr_add(n->nl, n->br_index, htonl(n->net + 1), n->prefix);
	if (rc < 0 && rc != -EEXIST)
		goto fail;
	if ((rc = kl_nl_link_up(n->nl, n->br_index)) < 0)
		goto fail;
	if ((d = opendir(n->dir))) {
		while ((de = readdir(d))) {
			size_t len = strlen(de->d_name);

			if (len > 3 && !strcmp(de->d_name + len - 3, ".ip")) {
				cm_buf_reset(&p);
				cm_buf_printf(&p, "%s/%s", n->dir, de->d_name);
				mark(n, read_ip(p.data), 1);
			}
		}
		closedir(d);
	}
	cm_buf_close(&p);
	open_forwarding(n);
	n->ready = true;
	cm_info("node %s: pod network %s on bridge %s", n->s->cfg.node_name, cidr, n->bridge);
	return 0;
fail:
	cm_error("node %s: bridge %s not made: %s", n->s->cfg.node_name, n->bridge, strerror(-rc));
	free(n->used);
	n->used = NULL;
	return rc;
}

/* Whether ip (text) is one of this host's addresses: then no route via it is needed or possible. */
static bool is_local(const char *ip)
{
	struct sockaddr_in sa = {.sin_family = AF_INET};
	int fd, rc;

	if (inet_pton(AF_INET, ip, &sa.sin_addr) != 1)
		return true;
	if ((fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0)) < 0)
		return false;
	rc = bind(fd, (struct sockaddr *)&sa, sizeof(sa));
	close(fd);
	return rc == 0;
}

static const char *node_ip(const cJSON *node)
{
	const cJSON *a;

	cJSON_ArrayForEach(a, cm_json_get(node, "status.addresses"))
	{
		if (!strcmp(cm_json_str_or(a, "type", ""), "InternalIP"))
			return cm_json_get_str(a, "address");
	}
	return NULL;
}

static void route_del(struct kl_podnet *n, const char *node)
{
	cJSON *r = cJSON_GetObjectItemCaseSensitive(n->routes, node);
	char cidr[64], gw[64];
	uint32_t net, ip;
	int prefix;

	if (!r || sscanf(r->valuestring, "%63s via %63s", cidr, gw) != 2)
		return;
	if (!kl_podnet_parse_cidr(cidr, &net, &prefix) && inet_pton(AF_INET, gw, &ip) == 1)
		kl_nl_route(n->nl, 0, htonl(net), prefix, ip, 0);
	cm_info("node %s: route to %s via %s removed", node, cidr, gw);
	cJSON_DeleteItemFromObjectCaseSensitive(n->routes, node);
}

/* Another node: a route to its podCIDR via its address (host-gw), unless it is this host. */
static void route_set(struct kl_podnet *n, const cJSON *node)
{
	const char *name = cm_json_str_or(node, "metadata.name", ""), *cidr = cm_json_get_str(node, "spec.podCIDR");
	const char *ip = node_ip(node);
	cJSON *had = cJSON_GetObjectItemCaseSensitive(n->routes, name);
	struct cm_buf want = CM_BUF_INIT;
	uint32_t net, gw;
	int prefix, rc;

	if (!cidr || !ip || kl_podnet_parse_cidr(cidr, &net, &prefix) < 0 || inet_pton(AF_INET, ip, &gw) != 1)
		return;
	cm_buf_printf(&want, "%s via %s", cidr, ip);
	if (had && !strcmp(had->valuestring, want.data))
		goto out;
	route_del(n, name);
	if (is_local(ip)) {
		/* two kubelets on one host: the other bridge's connected route already leads there */
		cm_debug(1, "node %s: %s is on this host: no route needed", name, cidr);
		goto out;
	}
	rc = kl_nl_route(n->nl, 1, htonl(net), prefix, gw, 0);
	if (rc < 0 && rc != -EEXIST) {
		cm_warn("node %s: route to %s via %s not added: %s", name, cidr, ip, strerror(-rc));
		goto out;
	}
	cJSON_AddStringToObject(n->routes, name, want.data);
	cm_info("node %s: route to %s via %s", name, cidr, ip);
out:
	cm_buf_close(&want);
}

static void on_node(void *ud, const char *key, const void *view)
{
	struct kl_podnet *n = ud;
	const char *cidr = cm_json_get_str(view, "spec.podCIDR");

	if (strcmp(key, n->s->cfg.node_name)) {
		route_set(n, view);
		return;
	}
	if (!n->ready && cidr)
		become_ready(n, cidr);
}

static void on_node_update(void *ud, const char *key, const void *old_view, const void *new_view)
{
	(void)old_view;
	on_node(ud, key, new_view);
}

static void on_node_delete(void *ud, const char *key, const void *old_view)
{
	(void)old_view;
	route_del(ud, key);
}

static void free_net(struct kl_podnet *n)
{
	cJSON_Delete(n->routes);
	free(n->used);
	free(n->bridge);
	free(n->dir);
	free(n);
}

int kl_podnet_new(struct kl_server *s, const char *bridge, struct kl_podnet **out)
{
	struct kl_podnet *n = calloc(1, sizeof(*n));
	struct cm_informer_opts o = {.path = "/api/v1/nodes"};
	struct cm_informer_handlers h = {on_node, on_node_update, on_node_delete, NULL, NULL};
	struct cm_buf dir = CM_BUF_INIT;
	int rc = -ENOMEM;

	if (!n)
		return -ENOMEM;
	n->s = s;
	n->nl = -1;
	h.ud = n;
	if (cm_buf_printf(&dir, "%s/net", s->cfg.root_dir) < 0 || !(n->dir = cm_buf_take(&dir)) ||
	    !(n->bridge = strdup(bridge)) || !(n->routes = cJSON_CreateObject()))
		goto fail;
	if (mkdir(n->dir, 0755) < 0 && errno != EEXIST) {
		rc = -errno;
		goto fail;
	}
	if ((rc = kl_nl_open(-1, &n->nl)) < 0 || (rc = cm_informer_new(s->client, &o, &h, &n->nodes)) < 0 ||
	    (rc = cm_informer_start(n->nodes)) < 0)
		goto fail;
	*out = n;
	return 0;
fail:
	cm_buf_close(&dir);
	kl_podnet_free(n);
	return rc;
}

void kl_podnet_free(struct kl_podnet *n)
{
	if (!n)
		return;
	cm_informer_free(n->nodes);
	n->nodes = NULL;
	if (n->nl >= 0)
		close(n->nl);
	n->nl = -1;
	n->closed = true;
	if (n->jobs == 0)
		free_net(n);
}

/*
 * A pod's MAC address from its IPv4 address (0a:58 and the address, as the
 * CNI bridge plugin made them): an address given again (a pod deleted, a
 * pod's network made again after its veth died) keeps its MAC, so the
 * host's and other pods' ARP caches that still hold it stay right. With a
 * random one they sent to the old MAC, unanswered, until the entry aged.
 */
static void pod_mac(uint32_t addr, unsigned char mac[6])
{
	mac[0] = 0x0a;
	mac[1] = 0x58;
	mac[2] = (unsigned char)(addr >> 24);
	mac[3] = (unsigned char)(addr >> 16);
	mac[4] = (unsigned char)(addr >> 8);
	mac[5] = (unsigned char)addr;
}

/* Wires a fresh namespace through host netlink socket nl: the veth into the bridge, then lo, eth0, its address and the default route inside. */
static int wire(const struct setup_job *j, int nl)
{
	unsigned char mac[6];
	char veth[16];
	int nsfd, inner = -1, idx, rc;

	kl_podnet_veth_name(j->uid, veth);
	if ((nsfd = open(j->ns_path, O_RDONLY | O_CLOEXEC)) < 0)
		return -errno;
	/*
	 * Every request waits for the kernel's rtnl lock, which all pods being
	 * made (and torn down) on the host share: as few as can do. The host
	 * end comes up made; one half made before a crash is removed only if found.
	 */
	pod_mac(j->addr, mac);
	rc = kl_nl_veth_add(nl, veth, j->br_index, "eth0", mac, nsfd);
	if (rc == -EEXIST && kl_nl_link_del(nl, veth) == 0)
		rc = kl_nl_veth_add(nl, veth, j->br_index, "eth0", mac, nsfd);
	if (rc < 0)
		goto out;
	if ((rc = kl_nl_open(nsfd, &inner)) < 0 || (rc = kl_nl_link_up(inner, 1)) < 0 ||
	    (rc = kl_nl_link_index(inner, "eth0", &idx)) < 0 ||
	    (rc = kl_nl_addr_add(inner, idx, htonl(j->addr), j->prefix)) < 0 || (rc = kl_nl_link_up(inner, idx)) < 0 ||
	    (rc = kl_nl_route(inner, 1, 0, 0, htonl(j->net + 1), idx)) < 0)
		goto out;
out:
	if (inner >= 0)
		close(inner);
	close(nsfd);
	if (rc < 0)
		kl_nl_link_del(nl, veth);
	return rc;
}

/* A datagram socket made in the namespace of nsfd (-1: this thread's): for interface ioctls there. */
static int ns_socket(int nsfd)
{
	int self = -1, fd;

	if (nsfd >= 0 && ((self = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC)) < 0 ||
			  setns(nsfd, CLONE_NEWNET) < 0)) {
		if (self >= 0)
			close(self);
		return -1;
	}
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (self >= 0) {
		if (setns(self, CLONE_NEWNET) < 0 && fd >= 0) {
			close(fd);
			fd = -1;
		}
		close(self);
	}
	return fd;
}

static bool running(int fd, const char *name)
{
	struct ifreq ifr;

	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	return ioctl(fd, SIOCGIFFLAGS, &ifr) == 0 && (ifr.ifr_flags & IFF_RUNNING);
}

/*
 * Waits (up to KL_NET_SETTLE_MS) until the kernel has taken both ends of the
 * veth as running. That happens asynchronously (linkwatch, behind the rtnl
 * lock): until then the bridge port does not forward and the pod's eth0
 * drops what it sends, so a busy node lost a new pod's first ARP or SYN and
 * its readiness probe waited a second for the retry. Best effort: a pod
 * whose link is still settling then starts anyway.
 */
#define KL_NET_SETTLE_MS 2000

static void settle(const struct setup_job *j)
{
	struct timespec step = {0, 2 * 1000 * 1000};
	char veth[16];
	int nsfd = open(j->ns_path, O_RDONLY | O_CLOEXEC), in = nsfd >= 0 ? ns_socket(nsfd) : -1, out = ns_socket(-1);

	kl_podnet_veth_name(j->uid, veth);
	for (int i = 0; in >= 0 && out >= 0 && i < KL_NET_SETTLE_MS / 2; i++) {
		if (running(in, "eth0") && running(out, veth))
			break;
		nanosleep(&step, NULL);
	}
	if (in >= 0)
		close(in);
	if (out >= 0)
		close(out);
	if (nsfd >= 0)
		close(nsfd);
}

/* On a pool thread: the namespace, its wiring, then the address file that says it is complete. */
static void setup_work(uv_work_t *req)
{
	struct setup_job *j = req->data;
	char ip[INET_ADDRSTRLEN], veth[16];
	int nl = -1, fd = -1, rc;
	size_t len;

	if ((rc = kl_nl_open(-1, &nl)) < 0)
		goto out;
	if ((rc = kl_netns_create(j->ns_path)) < 0)
		goto out;
	if ((rc = wire(j, nl)) < 0) {
		kl_netns_remove(j->ns_path);
		goto out;
	}
	settle(j);
	ip_text(j->addr, ip);
	len = strlen(ip);
	ip[len] = '\n';
	if ((fd = open(j->ip_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644)) < 0 ||
	    cm_write_all(fd, ip, len + 1) < 0) {
		rc = -EIO;
		kl_podnet_veth_name(j->uid, veth);
		kl_nl_link_del(nl, veth);
		kl_netns_remove(j->ns_path);
	}
out:
	if (fd >= 0)
		close(fd);
	if (nl >= 0)
		close(nl);
	j->rc = rc;
}

/* Back on the loop: hands the result over, or frees the address again. */
static void setup_after(uv_work_t *req, int status)
{
	struct setup_job *j = req->data;
	struct kl_podnet *n = j->n;
	char ip[INET_ADDRSTRLEN], *ip_out = NULL, *ns_out = NULL;
	int rc = status < 0 ? status : j->rc;

	if (rc == 0) {
		ip_text(j->addr, ip);
		ip_out = strdup(ip);
		ns_out = strdup(j->ns_path);
		if (!ip_out || !ns_out) {
			free(ip_out);
			free(ns_out);
			ip_out = ns_out = NULL;
			rc = -ENOMEM; /* what was made is adopted by the next try */
		}
	}
	if (rc < 0 && rc != -ENOMEM && !n->closed)
		mark(n, j->addr, 0);
	j->done(rc, ip_out, ns_out, j->ud);
	free(j->uid);
	free(j->ns_path);
	free(j->ip_path);
	free(j);
	if (--n->jobs == 0 && n->closed)
		free_net(n);
}

int kl_podnet_setup(struct kl_podnet *n, const char *uid, char **ip_out, char **ns_out, kl_podnet_done_cb done,
		    void *ud)
{
	struct cm_buf ipf = CM_BUF_INIT, nsf = CM_BUF_INIT;
	char ip[INET_ADDRSTRLEN], veth[16];
	struct setup_job *j = NULL;
	struct stat st;
	uint32_t host, addr;
	int rc, idx;

	if (!n->ready)
		return -EAGAIN;
	path_of(n, uid, "ip", &ipf);
	path_of(n, uid, "ns", &nsf);
	kl_podnet_veth_name(uid, veth);
	addr = read_ip(ipf.data);
	if (addr && stat(nsf.data, &st) == 0 && kl_nl_link_index(n->nl, veth, &idx) == 0) {
		mark(n, addr, 1); /* made before this kubelet started: adopt it */
		ip_text(addr, ip);
		*ip_out = strdup(ip);
		*ns_out = strdup(nsf.data);
		rc = *ip_out && *ns_out ? 0 : -ENOMEM;
		if (rc) {
			free(*ip_out);
			free(*ns_out);
			*ip_out = *ns_out = NULL;
		}
		goto out;
	}
	if (addr)
		kl_podnet_teardown(n, uid); /* half made: start again */
	if ((rc = kl_podnet_pick(n->used, n->prefix, &host)) < 0)
		goto out;
	rc = -ENOMEM;
	if (!(j = calloc(1, sizeof(*j))) || !(j->uid = strdup(uid)))
		goto out;
	j->req.data = j;
	j->n = n;
	j->ns_path = cm_buf_take(&nsf);
	j->ip_path = cm_buf_take(&ipf);
	j->addr = n->net + host;
	j->net = n->net;
	j->prefix = n->prefix;
	j->br_index = n->br_index;
	j->done = done;
	j->ud = ud;
	ip_text(j->addr, ip);
	if (!j->ns_path || !j->ip_path || !(*ip_out = strdup(ip)))
		goto out;
	if ((rc = uv_queue_work(n->s->loop, &j->req, setup_work, setup_after)) < 0) {
		free(*ip_out);
		*ip_out = NULL;
		goto out;
	}
	mark(n, j->addr, 1); /* held while the thread works, so the next pod takes another */
	n->jobs++;
	j = NULL;
	rc = -EINPROGRESS;
out:
	if (j) {
		free(j->uid);
		free(j->ns_path);
		free(j->ip_path);
		free(j);
	}
	cm_buf_close(&ipf);
	cm_buf_close(&nsf);
	return rc;
}

int kl_podnet_check(struct kl_podnet *n, const char *uid)
{
	char veth[16];

	(void)n;
	kl_podnet_veth_name(uid, veth);
	/* an ioctl under RCU in the kernel: no netlink round trip, no rtnl lock */
	return if_nametoindex(veth) == 0 && errno == ENODEV ? -ESTALE : 0;
}

int kl_podnet_gone_begin(struct kl_podnet *n, const char *uid, struct kl_podnet_gone *g)
{
	struct cm_buf ipf = CM_BUF_INIT, nsf = CM_BUF_INIT;

	memset(g, 0, sizeof(*g));
	path_of(n, uid, "ip", &ipf);
	path_of(n, uid, "ns", &nsf);
	if (!(g->uid = strdup(uid)) || !(g->ip_path = cm_buf_take(&ipf)) || !(g->ns_path = cm_buf_take(&nsf))) {
		free(g->uid);
		free(g->ip_path);
		memset(g, 0, sizeof(*g));
		cm_buf_close(&ipf);
		cm_buf_close(&nsf);
		return -ENOMEM;
	}
	n->jobs++;
	return 0;
}

void kl_podnet_gone_run(struct kl_podnet_gone *g)
{
	char veth[16];
	int nl;

	kl_podnet_veth_name(g->uid, veth);
	/* the veth goes first: a namespace some process still holds keeps no address on the bridge */
	if (kl_nl_open(-1, &nl) == 0) {
		kl_nl_link_del(nl, veth);
		close(nl);
	}
	kl_netns_remove(g->ns_path);
	g->addr = read_ip(g->ip_path);
	unlink(g->ip_path);
}

void kl_podnet_gone_end(struct kl_podnet *n, struct kl_podnet_gone *g)
{
	if (!n->closed)
		mark(n, g->addr, 0);
	free(g->uid);
	free(g->ns_path);
	free(g->ip_path);
	memset(g, 0, sizeof(*g));
	if (--n->jobs == 0 && n->closed)
		free_net(n);
}

void kl_podnet_teardown(struct kl_podnet *n, const char *uid)
{
	struct kl_podnet_gone g;

	if (kl_podnet_gone_begin(n, uid, &g) < 0)
		return;
	kl_podnet_gone_run(&g);
	kl_podnet_gone_end(n, &g);
}

void kl_podnet_orphans(struct kl_podnet *n, const cJSON *known_uids, void (*cb)(const char *uid, void *ud), void *ud)
{
	struct dirent *de;
	DIR *d = opendir(n->dir);
	cJSON *gone = cJSON_CreateArray();
	const cJSON *u;

	if (!d || !gone)
		goto out;
	while ((de = readdir(d))) {
		char uid[256];
		size_t len = strlen(de->d_name);

		if (len < 4 || len >= sizeof(uid) || strcmp(de->d_name + len - 3, ".ip"))
			continue;
		memcpy(uid, de->d_name, len - 3);
		uid[len - 3] = '\0';
		if (!cJSON_GetObjectItemCaseSensitive(known_uids, uid))
			cJSON_AddItemToArray(gone, cJSON_CreateString(uid));
	}
	closedir(d);
	d = NULL; /* before cb, which may start removing what it is given */
	cJSON_ArrayForEach(u, gone)
		cb(u->valuestring, ud);
out:
	if (d)
		closedir(d);
	cJSON_Delete(gone);
}
