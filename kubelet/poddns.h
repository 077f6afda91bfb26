/* poddns.h: a pod's /etc/resolv.conf per dnsPolicy and its /etc/hosts, as Kubernetes' kubelet writes them. */
#ifndef KL_PODDNS_H
#define KL_PODDNS_H

#include <cjson/cJSON.h>

#include "common/buf.h"
#include "kubelet/runtime/runtime.h"

/*
 * The resolv.conf of pod (a Pod tree) appended to out:
 *   ClusterFirst (the default): nameserver cluster_dns, search
 *     NS.svc.DOMAIN svc.DOMAIN DOMAIN and the host's search domains,
 *     options ndots:5; a hostNetwork pod, or a kubelet without cluster_dns
 *     (NULL or ""), gets Default instead, as Kubernetes does;
 *   ClusterFirstWithHostNet: ClusterFirst even with hostNetwork;
 *   Default: host_resolv (the node's file) as it is;
 *   None: only spec.dnsConfig.
 * spec.dnsConfig (nameservers, searches, options) is merged in for every
 * policy. Returns 0, -EINVAL (an unknown dnsPolicy, or None without any
 * nameserver) or -ENOMEM.
 */
int kl_dns_resolv_conf(const cJSON *pod, const char *cluster_dns, const char *domain, const char *host_resolv,
		       struct cm_buf *out);

/*
 * The pod's hostname as Kubernetes gives it, into out: spec.hostname, else its
 * name, cut to 63 characters (a DNS label) without a trailing '-' or '.'.
 */
void kl_dns_hostname(const cJSON *pod, char out[64]);

/*
 * The pod's FQDN HOSTNAME.SUBDOMAIN.NS.svc.DOMAIN (hostname as
 * kl_dns_hostname gives it) appended to out. Returns 0, -ENOENT when it has
 * none (no spec.subdomain, or domain NULL or "") or -ENOMEM.
 */
int kl_dns_fqdn(const cJSON *pod, const char *domain, struct cm_buf *out);

/* The longest hostname the kernel holds (the nodename of struct utsname). */
#define KL_DNS_UTS_MAX 64

/*
 * The hostname the pod's containers see (their UTS namespace) into out:
 * kl_dns_hostname, or, with spec.setHostnameAsFQDN and a subdomain (and
 * domain, the cluster's), its FQDN HOST.SUBDOMAIN.NS.svc.DOMAIN as
 * Kubernetes gives it. Returns 0, -ENOMEM, or -ENAMETOOLONG when that FQDN
 * is longer than KL_DNS_UTS_MAX: Kubernetes then makes no sandbox for the
 * pod (out holds the short hostname on failure).
 */
int kl_dns_uts_hostname(const cJSON *pod, const char *domain, char out[KL_DNS_UTS_MAX + 1]);

/*
 * The pod's /etc/hosts appended to out, as Kubernetes' kubelet writes it:
 * its header and localhost lines, then ip with the pod's hostname
 * (spec.hostname or its name), after its FQDN HOST.SUBDOMAIN.NS.svc.DOMAIN
 * under spec.subdomain (with a domain), then spec.hostAliases under their
 * own header, one line per ip. Returns 0 or -ENOMEM.
 */
int kl_dns_hosts(const cJSON *pod, const char *ip, const char *domain, struct cm_buf *out);

/*
 * The /etc/hosts of a pod in the host's network appended to out, as
 * Kubernetes' kubelet writes it: its own header, host_hosts (the node's
 * file) as it is, then spec.hostAliases as kl_dns_hosts ends. So aliases
 * reach a pod that shares the node's names. Returns 0 or -ENOMEM.
 */
int kl_dns_hosts_host_network(const cJSON *pod, const char *host_hosts, struct cm_buf *out);

/* The pod's files, as bits of which: what kl_dns_texts gives and kl_dns_write wrote. */
enum { KL_DNS_RESOLV = 1, KL_DNS_HOSTS = 2 };

/*
 * The texts of the pod's resolv.conf (host_resolv: the node's file) and
 * hosts (in the host's network: host_hosts, the node's file, under
 * Kubernetes' header and with the pod's hostAliases) into resolv and
 * hosts; *which says which the pod has. 0, -EINVAL (no resolv.conf: a bad
 * dnsConfig; hosts is still given) or -ENOMEM.
 */
int kl_dns_texts(const cJSON *pod, const char *ip, const char *cluster_dns, const char *domain,
		 const char *host_resolv, const char *host_hosts, struct cm_buf *resolv, struct cm_buf *hosts,
		 unsigned *which);

/*
 * Writes the texts named by which as <dir>/resolv.conf and <dir>/hosts
 * (in place: running containers have them bound). Any thread. Returns the
 * bits of those written; the first error is in *err (0 if none).
 */
unsigned kl_dns_write(const char *dir, const struct cm_buf *resolv, const struct cm_buf *hosts, unsigned which,
		      int *err);

/*
 * Fills mounts[0..2) binding the files named by which (written in dir) over
 * /etc/resolv.conf and /etc/hosts; paths[0..2) hold their paths (the
 * caller closes them). A container that mounts one of those paths itself
 * keeps its own (container: a Container tree). Returns the number filled.
 */
int kl_dns_mounts(const cJSON *container, const char *dir, unsigned which, struct kl_mount mounts[2],
		  struct cm_buf paths[2]);
#endif
