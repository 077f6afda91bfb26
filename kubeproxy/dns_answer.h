/* dns_answer.h: the cluster zone's answers, computed from Service and Endpoints views without any I/O. */
#ifndef KP_DNS_ANSWER_H
#define KP_DNS_ANSWER_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kubeproxy/view.h"

/* Where answers come from: the daemon's informer caches; a table in tests. */
struct kp_dns_source {
	/* The views of key "namespace/name", or NULL. Borrowed for the call. */
	const struct kp_svc_view *(*service)(void *ud, const char *key);
	const struct kp_eps_view *(*endpoints)(void *ud, const char *key);
	void *ud;
	/*
	 * Calls fn(arg, key, view) for every Service until fn returns nonzero;
	 * reverse (PTR) lookups scan with it. NULL: every reverse name is forwarded.
	 */
	void (*each_service)(void *ud, int (*fn)(void *arg, const char *key, const struct kp_svc_view *svc),
			     void *arg);
};

struct kp_dns_zone {
	const char *domain; /* "cluster.local", lower case, no trailing dot */
	uint32_t ttl;       /* of every answer, and the SOA minimum of negative ones; 0: 5 s */
};

enum kp_dns_verdict {
	KP_DNS_ANSWERED, /* out holds the response */
	KP_DNS_FORWARD,  /* a well-formed query for a name outside the zone: the caller forwards it */
	KP_DNS_DROP,     /* not worth an answer: shorter than a header, or itself a response */
};

/*
 * Answers query q (qlen bytes, as received) into out (outcap bytes, at
 * least KP_DNS_HEADER_LEN). tcp lifts the size limit to 65535; over UDP the
 * answer is cut to 512 bytes, or to the query's EDNS0 size (at most 4096),
 * and TC is set when records were left out. The zone serves:
 *   SVC.NS.svc.DOMAIN           A/AAAA: the ClusterIP, or for a headless
 *                               Service (clusterIP None) its ready endpoints;
 *                               CNAME for ExternalName; SRV: its named ports
 *   _PORT._PROTO.SVC.NS.svc.DOMAIN  SRV for a named port
 *   HOST.SVC.NS.svc.DOMAIN      A: a headless Service's endpoint, HOST its
 *                               hostname or else its IP dashed
 *   IP-DASHED.NS.pod.DOMAIN     A: that IP
 * and NXDOMAIN (with the zone's SOA) for other names in the zone, NOERROR
 * with no answer for a name that exists with another type. Reverse names
 * (D.C.B.A.in-addr.arpa, 32 nibbles .ip6.arpa) asked for PTR are answered
 * for a ClusterIP (SVC.NS.svc.DOMAIN), else for the ready endpoints of
 * headless Services with that IP (HOST.SVC.NS.svc.DOMAIN, one record per
 * Service); other reverse names are forwarded, as CoreDNS's "fallthrough
 * in-addr.arpa ip6.arpa" does. A malformed
 * query gets FORMERR, an opcode other than QUERY NOTIMP. *outlen is set
 * for KP_DNS_ANSWERED only. Never fails otherwise.
 */
enum kp_dns_verdict kp_dns_answer(const struct kp_dns_zone *zone, const struct kp_dns_source *src,
				  const uint8_t *q, size_t qlen, bool tcp, uint8_t *out, size_t outcap,
				  size_t *outlen);

/*
 * The qname of a well-formed query, lower case, into name (KP_DNS_NAME_MAX + 1
 * bytes), with its type. Returns 0 or -EBADMSG. (The forwarder keys its cache on it.)
 */
int kp_dns_query_name(const uint8_t *q, size_t qlen, char *name, uint16_t *qtype);
#endif
