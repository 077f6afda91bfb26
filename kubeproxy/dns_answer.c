/* dns_answer.c: names in the cluster domain answered from Services and Endpoints, as CoreDNS's kubernetes plugin does. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include "kubeproxy/dns_answer.h"
#include "kubeproxy/dns_msg.h"

#define MAX_LABELS 8

/* One query being answered: the writer and what every record needs. */
struct ans {
	const struct kp_dns_zone *zone;
	const struct kp_dns_source *src;
	struct kp_dns_writer w;
	const char *qname; /* as the client spelled it (some resolvers check the case) */
	uint16_t qtype;
	uint32_t ttl;
	bool any_answer;
};

int kp_dns_query_name(const uint8_t *q, size_t qlen, char *name, uint16_t *qtype)
{
	size_t off = KP_DNS_HEADER_LEN;

	if (qlen < KP_DNS_HEADER_LEN || ((q[4] << 8) | q[5]) != 1)
		return -EBADMSG;
	if (kp_dns_name_read(q, qlen, &off, true, name) < 0 || off + 4 > qlen)
		return -EBADMSG;
	*qtype = (uint16_t)((q[off] << 8) | q[off + 1]);
	return 0;
}

static bool wants(const struct ans *a, uint16_t type)
{
	return a->qtype == type || a->qtype == KP_DNS_T_ANY;
}

/* Writes an A or AAAA record for ip if the query asks for its family. */
static void put_ip(struct ans *a, enum kp_dns_section sec, const char *name, const struct kp_addr *ip)
{
	int rc = -1;

	if (ip->family == AF_INET && (sec != KP_DNS_ANSWER || wants(a, KP_DNS_T_A)))
		rc = kp_dns_write_a(&a->w, sec, name, a->ttl, ip->ip);
	else if (ip->family == AF_INET6 && (sec != KP_DNS_ANSWER || wants(a, KP_DNS_T_AAAA)))
		rc = kp_dns_write_aaaa(&a->w, sec, name, a->ttl, ip->ip);
	if (rc == 0 && sec == KP_DNS_ANSWER)
		a->any_answer = true;
}

/* "10-244-1-5" (or an IPv6 address with '-' for ':') into ip. */
static int dashed_ip(const char *label, struct kp_addr *ip)
{
	char text[64];
	size_t n = strlen(label);

	if (n == 0 || n >= sizeof(text))
		return -EINVAL;
	for (size_t i = 0; i <= n; i++)
		text[i] = label[i] == '-' ? '.' : label[i];
	if (kp_addr_parse(text, 0, ip) == 0 && ip->family == AF_INET)
		return 0;
	for (size_t i = 0; i <= n; i++)
		text[i] = label[i] == '-' ? ':' : label[i];
	return kp_addr_parse(text, 0, ip);
}

/*
 * The first label of an endpoint's name (KP_DNS_LABEL_MAX + 1 bytes): its
 * hostname when that can be a label, else its IP dashed, as CoreDNS names it.
 */
static int endpoint_label(const struct kp_eps_subset *ss, size_t k, char *out)
{
	const char *host = ss->hostnames ? ss->hostnames[k] : "";
	size_t n = strlen(host);

	if (n > 0 && n <= KP_DNS_LABEL_MAX && !strchr(host, '.')) {
		memcpy(out, host, n + 1);
		return 0;
	}
	/* INET6_ADDRSTRLEN (46) fits a label */
	if (!inet_ntop(ss->ips[k].family, ss->ips[k].ip, out, KP_DNS_LABEL_MAX + 1))
		return -EINVAL;
	for (char *c = out; *c; c++)
		if (*c == '.' || *c == ':')
			*c = '-';
	return 0;
}

/* An endpoint's name: its label followed by ".suffix". Returns 0, -EINVAL or -ENAMETOOLONG. */
static int endpoint_name(const struct kp_eps_subset *ss, size_t k, const char *suffix, char out[KP_DNS_NAME_MAX + 1])
{
	char label[KP_DNS_LABEL_MAX + 1];

	if (endpoint_label(ss, k, label) < 0)
		return -EINVAL;
	if (snprintf(out, KP_DNS_NAME_MAX + 1, "%s.%s", label, suffix) > KP_DNS_NAME_MAX)
		return -ENAMETOOLONG;
	return 0;
}

static bool headless(const struct kp_svc_view *svc)
{
	return !strcmp(svc->cluster_ip, "None");
}

/* Whether ip was seen earlier in eps (subsets may list an address once per port group). */
static bool seen_before(const struct kp_eps_view *eps, size_t si, size_t ai)
{
	for (size_t s = 0; s <= si; s++)
		for (size_t i = 0; i < (s == si ? ai : eps->subsets[s].nips); i++)
			if (kp_addr_ip_equal(&eps->subsets[s].ips[i], &eps->subsets[si].ips[ai]))
				return true;
	return false;
}

/*
 * SRV records for the ports of svc named port (every named port when NULL)
 * of protocol proto (0: any): the service's own name for a ClusterIP
 * Service, each ready endpoint's name for a headless one.
 */
static void put_srv(struct ans *a, const char *svcname, const struct kp_svc_view *svc,
		    const struct kp_eps_view *eps, const char *port, int proto)
{
	char target[KP_DNS_NAME_MAX + 1];

	for (size_t i = 0; i < svc->nports; i++) {
		const struct kp_svc_port_view *pv = &svc->ports[i];
		if (!*pv->name || (port && strcmp(pv->name, port)) || (proto && pv->protocol != proto))
			continue;
		if (!headless(svc)) {
			if (kp_dns_write_srv(&a->w, KP_DNS_ANSWER, a->qname, a->ttl, 0, 100, (uint16_t)pv->port,
					     svcname) == 0)
				a->any_answer = true;
			continue;
		}
		for (size_t s = 0; eps && s < eps->n; s++) {
			const struct kp_eps_subset *ss = &eps->subsets[s];
			for (size_t j = 0; j < ss->nports; j++) {
				if (strcmp(ss->ports[j].name, pv->name) || ss->ports[j].protocol != pv->protocol)
					continue;
				for (size_t k = 0; k < ss->nips; k++)
					if (endpoint_name(ss, k, svcname, target) == 0 &&
					    kp_dns_write_srv(&a->w, KP_DNS_ANSWER, a->qname, a->ttl, 0, 100,
							     (uint16_t)ss->ports[j].port, target) == 0)
						a->any_answer = true;
			}
		}
	}
	/* the targets' addresses, so that the client needs no second query */
	struct kp_addr ip;
	if (!headless(svc) && kp_addr_parse(svc->cluster_ip, 0, &ip) == 0 && a->any_answer)
		put_ip(a, KP_DNS_ADDITIONAL, svcname, &ip);
	for (size_t s = 0; headless(svc) && eps && s < eps->n; s++)
		for (size_t k = 0; k < eps->subsets[s].nips; k++)
			if (!seen_before(eps, s, k) && endpoint_name(&eps->subsets[s], k, svcname, target) == 0)
				put_ip(a, KP_DNS_ADDITIONAL, target, &eps->subsets[s].ips[k]);
}

/* SVC.NS.svc.DOMAIN: the ClusterIP, the ready endpoints, or a CNAME. */
static int answer_service(struct ans *a, const char *svcname, const struct kp_svc_view *svc,
			  const struct kp_eps_view *eps)
{
	struct kp_addr ip;

	if (!strcmp(svc->type, "ExternalName")) {
		char target[KP_DNS_NAME_MAX + 1];
		size_t n = strlen(svc->external_name);
		if (n == 0 || n > KP_DNS_NAME_MAX)
			return KP_DNS_RC_NOERROR;
		memcpy(target, svc->external_name, n + 1);
		if (target[n - 1] == '.')
			target[n - 1] = 0;
		if (kp_dns_write_name_rr(&a->w, KP_DNS_ANSWER, a->qname, KP_DNS_T_CNAME, a->ttl, target) == 0)
			a->any_answer = true;
		return KP_DNS_RC_NOERROR;
	}
	if (a->qtype == KP_DNS_T_SRV) {
		put_srv(a, svcname, svc, eps, NULL, 0);
		return KP_DNS_RC_NOERROR;
	}
	if (!headless(svc)) {
		if (kp_addr_parse(svc->cluster_ip, 0, &ip) == 0)
			put_ip(a, KP_DNS_ANSWER, a->qname, &ip);
		return KP_DNS_RC_NOERROR;
	}
	for (size_t s = 0; eps && s < eps->n; s++)
		for (size_t k = 0; k < eps->subsets[s].nips; k++)
			if (!seen_before(eps, s, k))
				put_ip(a, KP_DNS_ANSWER, a->qname, &eps->subsets[s].ips[k]);
	return KP_DNS_RC_NOERROR;
}

/* HOST.SVC.NS.svc.DOMAIN: the endpoints of a headless Service by that name (a hostname may be shared). */
static int answer_endpoint(struct ans *a, const char *label, const struct kp_svc_view *svc,
			   const struct kp_eps_view *eps)
{
	char have[KP_DNS_LABEL_MAX + 1];
	bool found = false;

	if (!headless(svc))
		return KP_DNS_RC_NXDOMAIN;
	for (size_t s = 0; eps && s < eps->n; s++)
		for (size_t k = 0; k < eps->subsets[s].nips; k++)
			if (endpoint_label(&eps->subsets[s], k, have) == 0 && kp_dns_name_eq(have, label)) {
				if (!seen_before(eps, s, k))
					put_ip(a, KP_DNS_ANSWER, a->qname, &eps->subsets[s].ips[k]);
				found = true;
			}
	return found ? KP_DNS_RC_NOERROR : KP_DNS_RC_NXDOMAIN;
}

/* The labels of rel (a copy in buf), left to right. Returns their count or -1 for too many. */
static int split(const char *rel, char *buf, char *labels[MAX_LABELS])
{
	int n = 0;

	strcpy(buf, rel);
	if (!*buf)
		return 0;
	for (char *p = buf;;) {
		if (n == MAX_LABELS)
			return -1;
		labels[n++] = p;
		p = strchr(p, '.');
		if (!p)
			break;
		*p++ = 0;
	}
	return n;
}

/* Names under svc.DOMAIN: labels are [..., SVC, NS] with "svc" removed. */
static int answer_svc_tree(struct ans *a, char **l, int n)
{
	char key[KP_DNS_NAME_MAX + 2], svcname[KP_DNS_NAME_MAX + 1];
	const struct kp_svc_view *svc;
	const struct kp_eps_view *eps;

	if (n < 2)
		return KP_DNS_RC_NOERROR; /* svc.DOMAIN and NS.svc.DOMAIN exist, with no records */
	if (n > 4)
		return KP_DNS_RC_NXDOMAIN;
	const char *ns = l[n - 1], *name = l[n - 2];
	snprintf(key, sizeof(key), "%s/%s", ns, name);
	svc = a->src->service(a->src->ud, key);
	if (!svc)
		return KP_DNS_RC_NXDOMAIN;
	eps = a->src->endpoints(a->src->ud, key);
	if (snprintf(svcname, sizeof(svcname), "%s.%s.svc.%s", name, ns, a->zone->domain) >= (int)sizeof(svcname))
		return KP_DNS_RC_NXDOMAIN;
	if (n == 2)
		return answer_service(a, svcname, svc, eps);
	if (n == 3)
		return answer_endpoint(a, l[0], svc, eps);
	/* _PORT._PROTO.SVC.NS */
	if (l[0][0] != '_' || l[1][0] != '_')
		return KP_DNS_RC_NXDOMAIN;
	int proto = !strcmp(l[1] + 1, "tcp") ? IPPROTO_TCP : !strcmp(l[1] + 1, "udp") ? IPPROTO_UDP : -1;
	if (proto < 0)
		return KP_DNS_RC_NXDOMAIN;
	for (size_t i = 0; i < svc->nports; i++)
		if (!strcmp(svc->ports[i].name, l[0] + 1) && svc->ports[i].protocol == proto) {
			if (wants(a, KP_DNS_T_SRV))
				put_srv(a, svcname, svc, eps, l[0] + 1, proto);
			return KP_DNS_RC_NOERROR;
		}
	return KP_DNS_RC_NXDOMAIN;
}

/* The response code for qname (lower case) in the zone, records written on the way. */
static int answer_zone(struct ans *a, const char *rel)
{
	char buf[KP_DNS_NAME_MAX + 1], *l[MAX_LABELS];
	struct kp_addr ip;
	int n = split(rel, buf, l);

	if (n < 0)
		return KP_DNS_RC_NXDOMAIN;
	if (n == 0)
		return KP_DNS_RC_NOERROR; /* the apex: its SOA goes in the authority section */
	if (!strcmp(l[n - 1], "svc"))
		return answer_svc_tree(a, l, n - 1);
	if (!strcmp(l[n - 1], "pod")) {
		if (n < 3)
			return KP_DNS_RC_NOERROR;
		if (n > 3 || dashed_ip(l[0], &ip) < 0)
			return KP_DNS_RC_NXDOMAIN;
		put_ip(a, KP_DNS_ANSWER, a->qname, &ip);
		return KP_DNS_RC_NOERROR;
	}
	return KP_DNS_RC_NXDOMAIN;
}

/* The value of a hex digit, or -1. */
static int hexval(char c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/*
 * The address a reverse name (lower case) spells: D.C.B.A.in-addr.arpa
 * (decimal, no leading zeros) or 32 nibbles, least significant first,
 * .ip6.arpa. Partial names (a network, not an address) are not addresses.
 */
static bool reverse_addr(const char *name, struct kp_addr *ip)
{
	static const char v4[] = ".in-addr.arpa", v6[] = ".ip6.arpa";
	size_t n = strlen(name), n4 = sizeof(v4) - 1, n6 = sizeof(v6) - 1;

	memset(ip, 0, sizeof(*ip));
	if (n > n4 && !strcmp(name + n - n4, v4)) {
		const char *p = name, *end = name + n - n4;
		for (int i = 3; i >= 0; i--) {
			unsigned v = 0, digits = 0;
			for (; p < end && *p >= '0' && *p <= '9' && digits < 4; p++, digits++)
				v = v * 10 + (unsigned)(*p - '0');
			if (digits == 0 || digits > 3 || v > 255 || (digits > 1 && p[-(long)digits] == '0'))
				return false;
			ip->ip[i] = (uint8_t)v;
			if (i > 0 && (p >= end || *p++ != '.'))
				return false;
		}
		ip->family = AF_INET;
		return p == end;
	}
	if (n == 63 + n6 && !strcmp(name + 63, v6)) {
		for (int i = 0; i < 32; i++) {
			int v = hexval(name[2 * i]);
			if (v < 0 || (i < 31 && name[2 * i + 1] != '.'))
				return false;
			ip->ip[15 - i / 2] |= (uint8_t)(i % 2 ? v << 4 : v);
		}
		ip->family = AF_INET6;
		return true;
	}
	return false;
}

/* A reverse lookup's scan over the Services: ClusterIPs first, then headless endpoints. */
struct reverse {
	struct ans *a;
	struct kp_addr ip;
	bool endpoints; /* the second pass */
	int found;
};

static void put_ptr(struct ans *a, const char *target)
{
	if (kp_dns_write_name_rr(&a->w, KP_DNS_ANSWER, a->qname, KP_DNS_T_PTR, a->ttl, target) == 0)
		a->any_answer = true;
}

static int reverse_service(void *arg, const char *key, const struct kp_svc_view *svc)
{
	struct reverse *r = arg;
	struct ans *a = r->a;
	const char *slash = strchr(key, '/');
	char svcname[KP_DNS_NAME_MAX + 1], target[KP_DNS_NAME_MAX + 1];
	const struct kp_eps_view *eps;
	struct kp_addr ip;

	if (!slash || snprintf(svcname, sizeof(svcname), "%s.%.*s.svc.%s", slash + 1, (int)(slash - key), key,
			       a->zone->domain) >= (int)sizeof(svcname))
		return 0;
	if (!r->endpoints) {
		if (headless(svc) || kp_addr_parse(svc->cluster_ip, 0, &ip) < 0 || !kp_addr_ip_equal(&ip, &r->ip))
			return 0;
		put_ptr(a, svcname);
		r->found++;
		return 1; /* one Service owns a ClusterIP */
	}
	if (!headless(svc) || !(eps = a->src->endpoints(a->src->ud, key)))
		return 0;
	for (size_t s = 0; s < eps->n; s++)
		for (size_t k = 0; k < eps->subsets[s].nips; k++)
			if (kp_addr_ip_equal(&eps->subsets[s].ips[k], &r->ip)) {
				if (endpoint_name(&eps->subsets[s], k, svcname, target) == 0) {
					put_ptr(a, target);
					r->found++;
				}
				return 0; /* one name per Service, then the next Service */
			}
	return 0;
}

/* PTR records for ip; returns how many names it has (0: not a cluster address). */
static int answer_reverse(struct ans *a, const struct kp_addr *ip)
{
	struct reverse r = {.a = a, .ip = *ip};

	a->src->each_service(a->src->ud, reverse_service, &r);
	if (!r.found) {
		r.endpoints = true;
		a->src->each_service(a->src->ud, reverse_service, &r);
	}
	return r.found;
}

/* rel := qname without ".DOMAIN" when qname is in the zone. */
static bool in_zone(const char *qname, const char *domain, const char **rel_end)
{
	size_t q = strlen(qname), d = strlen(domain);

	if (q == d && !strcmp(qname, domain)) {
		*rel_end = qname;
		return true;
	}
	if (q > d + 1 && qname[q - d - 1] == '.' && !strcmp(qname + q - d, domain)) {
		*rel_end = qname + q - d - 1;
		return true;
	}
	return false;
}

enum kp_dns_verdict kp_dns_answer(const struct kp_dns_zone *zone, const struct kp_dns_source *src,
				  const uint8_t *q, size_t qlen, bool tcp, uint8_t *out, size_t outcap,
				  size_t *outlen)
{
	struct kp_dns_msg m;
	struct ans a = {.zone = zone, .src = src, .ttl = zone->ttl ? zone->ttl : 5};
	char spelled[KP_DNS_NAME_MAX + 1], rel[KP_DNS_NAME_MAX + 1], mname[KP_DNS_NAME_MAX + 1],
		rname[KP_DNS_NAME_MAX + 1];
	const char *rel_end = NULL;
	struct kp_addr rip;
	bool reverse = false;
	size_t off = KP_DNS_HEADER_LEN, cap;
	int rcode;

	if (qlen < KP_DNS_HEADER_LEN || (q[2] & 0x80))
		return KP_DNS_DROP;
	if (kp_dns_msg_parse(q, qlen, &m) < 0 || m.hdr.qdcount != 1 ||
	    kp_dns_name_read(q, qlen, &off, false, spelled) < 0) {
		struct kp_dns_header h = {.id = (uint16_t)((q[0] << 8) | q[1]),
					  .flags = (uint16_t)((q[2] << 8) | q[3])};
		*outlen = kp_dns_error_reply(&h, KP_DNS_RC_FORMERR, out);
		return KP_DNS_ANSWERED;
	}
	if (KP_DNS_F_OPCODE(m.hdr.flags) != 0) {
		*outlen = kp_dns_error_reply(&m.hdr, KP_DNS_RC_NOTIMP, out);
		return KP_DNS_ANSWERED;
	}
	if (!in_zone(m.qname, zone->domain, &rel_end)) {
		/* a reverse name is ours only for a cluster address; the rest falls through upstream */
		if (!src->each_service || (m.qtype != KP_DNS_T_PTR && m.qtype != KP_DNS_T_ANY) ||
		    m.qclass != KP_DNS_C_IN || !reverse_addr(m.qname, &rip))
			return KP_DNS_FORWARD;
		reverse = true;
	}
	cap = tcp ? 65535 : m.edns_size > KP_DNS_UDP_MAX ? m.edns_size : KP_DNS_UDP_MAX;
	if (cap > KP_DNS_EDNS_MAX && !tcp)
		cap = KP_DNS_EDNS_MAX;
	if (cap > outcap)
		cap = outcap;
	struct kp_dns_header h = {.id = m.hdr.id,
				  .flags = (uint16_t)(KP_DNS_F_QR | KP_DNS_F_AA | KP_DNS_F_RA |
						      (m.hdr.flags & KP_DNS_F_RD))};
	kp_dns_writer_init(&a.w, out, cap, &h);
	if (kp_dns_write_question(&a.w, spelled, m.qtype, m.qclass) < 0) {
		*outlen = kp_dns_error_reply(&m.hdr, KP_DNS_RC_SERVFAIL, out);
		return KP_DNS_ANSWERED;
	}
	a.qname = spelled;
	a.qtype = m.qtype;
	if (reverse) {
		if (answer_reverse(&a, &rip) == 0)
			return KP_DNS_FORWARD;
		rcode = KP_DNS_RC_NOERROR;
	} else if (m.qclass != KP_DNS_C_IN && m.qclass != KP_DNS_T_ANY) {
		rcode = KP_DNS_RC_REFUSED;
	} else {
		memcpy(rel, m.qname, (size_t)(rel_end - m.qname));
		rel[rel_end - m.qname] = 0;
		rcode = answer_zone(&a, rel);
	}
	if (!reverse && rcode != KP_DNS_RC_REFUSED && (!a.any_answer || rcode == KP_DNS_RC_NXDOMAIN)) {
		/* negative answers carry the SOA so that resolvers cache them for ttl */
		snprintf(mname, sizeof(mname), "ns.dns.%s", zone->domain);
		snprintf(rname, sizeof(rname), "hostmaster.%s", zone->domain);
		kp_dns_write_soa(&a.w, KP_DNS_AUTHORITY, zone->domain, a.ttl, mname, rname, 1, a.ttl);
	}
	if (m.edns_size)
		kp_dns_write_opt(&a.w, KP_DNS_EDNS_MAX);
	*outlen = kp_dns_writer_finish(&a.w, rcode);
	return KP_DNS_ANSWERED;
}
