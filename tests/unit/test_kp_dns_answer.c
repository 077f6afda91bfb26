/* test_kp_dns_answer.c: the cluster zone's answers from Service and Endpoints views. */
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/json.h"
#include "kubeproxy/dns_answer.h"
#include "kubeproxy/dns_msg.h"
#include "tests/lib/check_run.h"

#define NOBJ 8
static struct {
	const char *key;
	struct kp_svc_view *svc;
	struct kp_eps_view *eps;
} objs[NOBJ];
static size_t nobjs;
static uint8_t q[512], out[65536];
static size_t outlen;
static struct kp_dns_msg m;

static const struct kp_svc_view *get_svc(void *ud, const char *key)
{
	(void)ud;
	for (size_t i = 0; i < nobjs; i++)
		if (!strcmp(objs[i].key, key))
			return objs[i].svc;
	return NULL;
}

static const struct kp_eps_view *get_eps(void *ud, const char *key)
{
	(void)ud;
	for (size_t i = 0; i < nobjs; i++)
		if (!strcmp(objs[i].key, key))
			return objs[i].eps;
	return NULL;
}

static void each_svc(void *ud, int (*fn)(void *arg, const char *key, const struct kp_svc_view *svc), void *arg)
{
	(void)ud;
	for (size_t i = 0; i < nobjs; i++)
		if (fn(arg, objs[i].key, objs[i].svc))
			return;
}

static const struct kp_dns_source src = {get_svc, get_eps, NULL, each_svc};
static const struct kp_dns_zone zone = {"cluster.local", 5};

static void *decode(int (*fn)(const cJSON *, void **), const char *text)
{
	cJSON *j;
	void *v = NULL;

	ck_assert_int_eq(cm_json_parse(text, strlen(text), &j, NULL), 0);
	ck_assert_int_eq(fn(j, &v), 0);
	cJSON_Delete(j);
	return v;
}

static void add(const char *key, const char *svc, const char *eps)
{
	objs[nobjs].key = key;
	objs[nobjs].svc = decode(kp_svc_decode, svc);
	objs[nobjs].eps = eps ? decode(kp_eps_decode, eps) : NULL;
	nobjs++;
}

static void setup(void)
{
	add("default/web",
	    "{\"spec\":{\"clusterIP\":\"10.96.0.10\",\"ports\":[{\"name\":\"http\",\"port\":80},"
	    "{\"name\":\"dns\",\"port\":53,\"protocol\":\"UDP\"}]}}",
	    NULL);
	add("default/db",
	    "{\"spec\":{\"clusterIP\":\"None\",\"ports\":[{\"name\":\"pg\",\"port\":5432}]}}",
	    "{\"subsets\":[{\"addresses\":[{\"ip\":\"10.244.1.5\"},{\"ip\":\"10.244.2.6\"}],"
	    "\"notReadyAddresses\":[{\"ip\":\"10.244.3.7\"}],\"ports\":[{\"name\":\"pg\",\"port\":5432}]}]}");
	add("default/ext", "{\"spec\":{\"type\":\"ExternalName\",\"externalName\":\"db.example.com.\"}}", NULL);
	add("other/v6", "{\"spec\":{\"clusterIP\":\"fd00::10\",\"ports\":[{\"port\":80}]}}", NULL);
	add("default/pets", "{\"spec\":{\"clusterIP\":\"None\",\"ports\":[{\"name\":\"web\",\"port\":80}]}}",
	    "{\"subsets\":[{\"addresses\":[{\"ip\":\"10.244.4.2\",\"hostname\":\"pet-0\"},"
	    "{\"ip\":\"fd00::4:3\"}],\"ports\":[{\"name\":\"web\",\"port\":80}]}]}");
}

static void teardown(void)
{
	for (size_t i = 0; i < nobjs; i++) {
		kp_svc_free(objs[i].svc);
		kp_eps_free(objs[i].eps);
	}
	nobjs = 0;
}

static size_t make_query(const char *name, uint16_t type, uint16_t edns)
{
	struct kp_dns_writer w;
	struct kp_dns_header h = {.id = 42, .flags = KP_DNS_F_RD};

	kp_dns_writer_init(&w, q, sizeof(q), &h);
	ck_assert_int_eq(kp_dns_write_question(&w, name, type, KP_DNS_C_IN), 0);
	if (edns)
		ck_assert_int_eq(kp_dns_write_opt(&w, edns), 0);
	return kp_dns_writer_finish(&w, 0);
}

/* Asks name/type over UDP; returns the rcode, m holds the parsed answer. */
static int ask(const char *name, uint16_t type)
{
	size_t n = make_query(name, type, 0);

	ck_assert_int_eq(kp_dns_answer(&zone, &src, q, n, false, out, sizeof(out), &outlen), KP_DNS_ANSWERED);
	ck_assert_int_eq(kp_dns_msg_parse(out, outlen, &m), 0);
	ck_assert_uint_eq(m.hdr.id, 42);
	ck_assert(m.hdr.flags & KP_DNS_F_QR);
	return KP_DNS_F_RCODE(m.hdr.flags);
}

/* The IPv4 addresses in the answer section, "a b c". */
static const char *answer_ips(void)
{
	static char s[1024];

	s[0] = 0;
	for (size_t i = 0; i < m.nrrs; i++) {
		const uint8_t *p = out + m.rrs[i].rdoff;
		if (m.rrs[i].section != KP_DNS_ANSWER || m.rrs[i].type != KP_DNS_T_A)
			continue;
		size_t l = strlen(s);
		snprintf(s + l, sizeof(s) - l, "%s%u.%u.%u.%u", l ? " " : "", p[0], p[1], p[2], p[3]);
	}
	return s;
}

START_TEST(test_service_clusterip)
{
	ck_assert_int_eq(ask("web.default.svc.cluster.local", KP_DNS_T_A), KP_DNS_RC_NOERROR);
	ck_assert(m.hdr.flags & KP_DNS_F_AA);
	ck_assert(m.hdr.flags & KP_DNS_F_RD);
	ck_assert_uint_eq(m.hdr.ancount, 1);
	ck_assert_str_eq(answer_ips(), "10.96.0.10");
	ck_assert_uint_eq(m.rrs[0].ttl, 5);
}
END_TEST

START_TEST(test_case_of_question_kept)
{
	ck_assert_int_eq(ask("WeB.Default.SVC.cluster.LOCAL", KP_DNS_T_A), KP_DNS_RC_NOERROR);
	ck_assert_str_eq(answer_ips(), "10.96.0.10");
	ck_assert_int_eq(memcmp(out + 13, "WeB", 3), 0);
}
END_TEST

START_TEST(test_aaaa_of_v4_service_is_nodata)
{
	ck_assert_int_eq(ask("web.default.svc.cluster.local", KP_DNS_T_AAAA), KP_DNS_RC_NOERROR);
	ck_assert_uint_eq(m.hdr.ancount, 0);
	ck_assert_uint_eq(m.hdr.nscount, 1);
	ck_assert_uint_eq(m.rrs[0].type, KP_DNS_T_SOA);
}
END_TEST

START_TEST(test_v6_service)
{
	ck_assert_int_eq(ask("v6.other.svc.cluster.local", KP_DNS_T_AAAA), KP_DNS_RC_NOERROR);
	ck_assert_uint_eq(m.hdr.ancount, 1);
	ck_assert_uint_eq(m.rrs[0].rdlen, 16);
	ck_assert_uint_eq(out[m.rrs[0].rdoff], 0xfd);
}
END_TEST

START_TEST(test_headless_ready_endpoints)
{
	ck_assert_int_eq(ask("db.default.svc.cluster.local", KP_DNS_T_A), KP_DNS_RC_NOERROR);
	ck_assert_str_eq(answer_ips(), "10.244.1.5 10.244.2.6");
	ck_assert_int_eq(ask("10-244-2-6.db.default.svc.cluster.local", KP_DNS_T_A), KP_DNS_RC_NOERROR);
	ck_assert_str_eq(answer_ips(), "10.244.2.6");
	/* not ready: not in the answer, and its own name does not exist */
	ck_assert_int_eq(ask("10-244-3-7.db.default.svc.cluster.local", KP_DNS_T_A), KP_DNS_RC_NXDOMAIN);
}
END_TEST

START_TEST(test_external_name_cname)
{
	char target[KP_DNS_NAME_MAX + 1];
	size_t off;

	ck_assert_int_eq(ask("ext.default.svc.cluster.local", KP_DNS_T_A), KP_DNS_RC_NOERROR);
	ck_assert_uint_eq(m.hdr.ancount, 1);
	ck_assert_uint_eq(m.rrs[0].type, KP_DNS_T_CNAME);
	off = m.rrs[0].rdoff;
	ck_assert_int_eq(kp_dns_name_read(out, outlen, &off, true, target), 0);
	ck_assert_str_eq(target, "db.example.com");
}
END_TEST

START_TEST(test_srv_named_port)
{
	char target[KP_DNS_NAME_MAX + 1];
	size_t off;

	ck_assert_int_eq(ask("_http._tcp.web.default.svc.cluster.local", KP_DNS_T_SRV), KP_DNS_RC_NOERROR);
	ck_assert_uint_eq(m.hdr.ancount, 1);
	ck_assert_uint_eq(m.rrs[0].type, KP_DNS_T_SRV);
	off = m.rrs[0].rdoff;
	ck_assert_uint_eq((out[off + 4] << 8) | out[off + 5], 80);
	off += 6;
	ck_assert_int_eq(kp_dns_name_read(out, outlen, &off, true, target), 0);
	ck_assert_str_eq(target, "web.default.svc.cluster.local");
	/* the target's address comes along */
	ck_assert_uint_eq(m.hdr.arcount, 1);
	ck_assert_uint_eq(m.rrs[1].type, KP_DNS_T_A);
	/* the UDP port by its protocol; a wrong protocol or name does not exist */
	ck_assert_int_eq(ask("_dns._udp.web.default.svc.cluster.local", KP_DNS_T_SRV), KP_DNS_RC_NOERROR);
	ck_assert_uint_eq(m.hdr.ancount, 1);
	ck_assert_int_eq(ask("_dns._tcp.web.default.svc.cluster.local", KP_DNS_T_SRV), KP_DNS_RC_NXDOMAIN);
	ck_assert_int_eq(ask("_nope._tcp.web.default.svc.cluster.local", KP_DNS_T_SRV), KP_DNS_RC_NXDOMAIN);
}
END_TEST

START_TEST(test_srv_headless_per_endpoint)
{
	ck_assert_int_eq(ask("_pg._tcp.db.default.svc.cluster.local", KP_DNS_T_SRV), KP_DNS_RC_NOERROR);
	ck_assert_uint_eq(m.hdr.ancount, 2);
	ck_assert_uint_eq(m.hdr.arcount, 2);
	/* the plain service name asked for SRV lists every named port */
	ck_assert_int_eq(ask("web.default.svc.cluster.local", KP_DNS_T_SRV), KP_DNS_RC_NOERROR);
	ck_assert_uint_eq(m.hdr.ancount, 2);
}
END_TEST

START_TEST(test_pod_names)
{
	ck_assert_int_eq(ask("10-244-1-9.default.pod.cluster.local", KP_DNS_T_A), KP_DNS_RC_NOERROR);
	ck_assert_str_eq(answer_ips(), "10.244.1.9");
	ck_assert_int_eq(ask("10-244-1.default.pod.cluster.local", KP_DNS_T_A), KP_DNS_RC_NXDOMAIN);
	ck_assert_int_eq(ask("x.10-244-1-9.default.pod.cluster.local", KP_DNS_T_A), KP_DNS_RC_NXDOMAIN);
}
END_TEST

START_TEST(test_missing_names_nxdomain_with_soa)
{
	ck_assert_int_eq(ask("nope.default.svc.cluster.local", KP_DNS_T_A), KP_DNS_RC_NXDOMAIN);
	ck_assert_uint_eq(m.hdr.ancount, 0);
	ck_assert_uint_eq(m.hdr.nscount, 1);
	ck_assert_uint_eq(m.rrs[0].type, KP_DNS_T_SOA);
	ck_assert_str_eq(m.rrs[0].name, "cluster.local");
	ck_assert_int_eq(ask("web.nope.svc.cluster.local", KP_DNS_T_A), KP_DNS_RC_NXDOMAIN);
	ck_assert_int_eq(ask("foo.cluster.local", KP_DNS_T_A), KP_DNS_RC_NXDOMAIN);
	ck_assert_int_eq(ask("a.b.c.web.default.svc.cluster.local", KP_DNS_T_A), KP_DNS_RC_NXDOMAIN);
	/* names that exist as parents answer NOERROR with nothing */
	ck_assert_int_eq(ask("default.svc.cluster.local", KP_DNS_T_A), KP_DNS_RC_NOERROR);
	ck_assert_int_eq(ask("cluster.local", KP_DNS_T_A), KP_DNS_RC_NOERROR);
}
END_TEST

START_TEST(test_outside_zone_forwarded)
{
	size_t n = make_query("example.com", KP_DNS_T_A, 0);

	ck_assert_int_eq(kp_dns_answer(&zone, &src, q, n, false, out, sizeof(out), &outlen), KP_DNS_FORWARD);
	n = make_query("notcluster.local", KP_DNS_T_A, 0);
	ck_assert_int_eq(kp_dns_answer(&zone, &src, q, n, false, out, sizeof(out), &outlen), KP_DNS_FORWARD);
}
END_TEST

START_TEST(test_malformed_formerr_or_dropped)
{
	size_t n = make_query("web.default.svc.cluster.local", KP_DNS_T_A, 0);

	/* shorter than a header: nothing to answer */
	ck_assert_int_eq(kp_dns_answer(&zone, &src, q, 11, false, out, sizeof(out), &outlen), KP_DNS_DROP);
	/* a response: never answered (no loops between servers) */
	q[2] |= 0x80;
	ck_assert_int_eq(kp_dns_answer(&zone, &src, q, n, false, out, sizeof(out), &outlen), KP_DNS_DROP);
	q[2] &= 0x7f;
	/* cut in the middle of the name */
	ck_assert_int_eq(kp_dns_answer(&zone, &src, q, 20, false, out, sizeof(out), &outlen), KP_DNS_ANSWERED);
	ck_assert_uint_eq(outlen, 12);
	ck_assert_int_eq(kp_dns_msg_parse(out, outlen, &m), 0);
	ck_assert_uint_eq(KP_DNS_F_RCODE(m.hdr.flags), KP_DNS_RC_FORMERR);
	ck_assert_uint_eq(m.hdr.id, 42);
	/* a pointer loop in the question */
	q[12] = 0xc0;
	q[13] = 12;
	ck_assert_int_eq(kp_dns_answer(&zone, &src, q, n, false, out, sizeof(out), &outlen), KP_DNS_ANSWERED);
	ck_assert_int_eq(kp_dns_msg_parse(out, outlen, &m), 0);
	ck_assert_uint_eq(KP_DNS_F_RCODE(m.hdr.flags), KP_DNS_RC_FORMERR);
	/* an opcode other than QUERY */
	n = make_query("web.default.svc.cluster.local", KP_DNS_T_A, 0);
	q[2] |= 0x10; /* opcode 2, STATUS */
	ck_assert_int_eq(kp_dns_answer(&zone, &src, q, n, false, out, sizeof(out), &outlen), KP_DNS_ANSWERED);
	ck_assert_int_eq(kp_dns_msg_parse(out, outlen, &m), 0);
	ck_assert_uint_eq(KP_DNS_F_RCODE(m.hdr.flags), KP_DNS_RC_NOTIMP);
}
END_TEST

START_TEST(test_big_headless_truncated_over_udp_whole_over_tcp)
{
	struct cm_buf b = CM_BUF_INIT;
	size_t n;

	cm_buf_puts(&b, "{\"subsets\":[{\"addresses\":[");
	for (int i = 0; i < 100; i++)
		cm_buf_printf(&b, "%s{\"ip\":\"10.1.0.%d\"}", i ? "," : "", i);
	cm_buf_puts(&b, "],\"ports\":[{\"port\":1}]}]}");
	add("big/many", "{\"spec\":{\"clusterIP\":\"None\",\"ports\":[{\"port\":1}]}}", b.data);
	cm_buf_close(&b);
	ck_assert_int_eq(ask("many.big.svc.cluster.local", KP_DNS_T_A), KP_DNS_RC_NOERROR);
	ck_assert(m.hdr.flags & KP_DNS_F_TC);
	ck_assert_uint_le(outlen, 512);
	ck_assert_uint_lt(m.hdr.ancount, 100);
	/* EDNS0 1232: more fits, still cut */
	n = make_query("many.big.svc.cluster.local", KP_DNS_T_A, 1232);
	ck_assert_int_eq(kp_dns_answer(&zone, &src, q, n, false, out, sizeof(out), &outlen), KP_DNS_ANSWERED);
	ck_assert_int_eq(kp_dns_msg_parse(out, outlen, &m), 0);
	ck_assert_uint_le(outlen, 1232);
	ck_assert_uint_gt(m.hdr.ancount, 29);
	/* TCP: all of them */
	n = make_query("many.big.svc.cluster.local", KP_DNS_T_A, 0);
	ck_assert_int_eq(kp_dns_answer(&zone, &src, q, n, true, out, sizeof(out), &outlen), KP_DNS_ANSWERED);
	ck_assert_int_eq(kp_dns_msg_parse(out, outlen, &m), 0);
	ck_assert(!(m.hdr.flags & KP_DNS_F_TC));
	ck_assert_uint_eq(m.hdr.ancount, 100);
}
END_TEST

START_TEST(test_query_name)
{
	char name[KP_DNS_NAME_MAX + 1];
	uint16_t type = 0;
	size_t n = make_query("Example.COM", KP_DNS_T_AAAA, 0);

	ck_assert_int_eq(kp_dns_query_name(q, n, name, &type), 0);
	ck_assert_str_eq(name, "example.com");
	ck_assert_uint_eq(type, KP_DNS_T_AAAA);
	ck_assert_int_eq(kp_dns_query_name(q, 14, name, &type), -EBADMSG);
}
END_TEST

/* The target of answer record i (PTR, CNAME), or "" when it is not one. */
static const char *answer_target(size_t i)
{
	static char target[KP_DNS_NAME_MAX + 1];
	size_t off;

	target[0] = 0;
	if (i < m.nrrs && m.rrs[i].section == KP_DNS_ANSWER) {
		off = m.rrs[i].rdoff;
		ck_assert_int_eq(kp_dns_name_read(out, outlen, &off, true, target), 0);
	}
	return target;
}

/* The verdict on a question, for those that are not answered here. */
static enum kp_dns_verdict ask_verdict(const char *name, uint16_t type)
{
	size_t n = make_query(name, type, 0);

	return kp_dns_answer(&zone, &src, q, n, false, out, sizeof(out), &outlen);
}

START_TEST(test_ptr_cluster_ip)
{
	ck_assert_int_eq(ask("10.0.96.10.in-addr.arpa", KP_DNS_T_PTR), KP_DNS_RC_NOERROR);
	ck_assert(m.hdr.flags & KP_DNS_F_AA);
	ck_assert_uint_eq(m.hdr.ancount, 1);
	ck_assert_uint_eq(m.rrs[0].type, KP_DNS_T_PTR);
	ck_assert_str_eq(m.rrs[0].name, "10.0.96.10.in-addr.arpa");
	ck_assert_uint_eq(m.rrs[0].ttl, 5);
	ck_assert_str_eq(answer_target(0), "web.default.svc.cluster.local");
	/* the case the client spelled comes back in the question and the owner name */
	ck_assert_int_eq(ask("10.0.96.10.IN-ADDR.ARPA", KP_DNS_T_PTR), KP_DNS_RC_NOERROR);
	ck_assert_str_eq(answer_target(0), "web.default.svc.cluster.local");
}
END_TEST

START_TEST(test_ptr_v6_cluster_ip)
{
	/* fd00::10 nibble by nibble, least significant first */
	ck_assert_int_eq(ask("0.1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.d.f.ip6.arpa", KP_DNS_T_PTR),
			 KP_DNS_RC_NOERROR);
	ck_assert_uint_eq(m.hdr.ancount, 1);
	ck_assert_str_eq(answer_target(0), "v6.other.svc.cluster.local");
}
END_TEST

START_TEST(test_ptr_headless_endpoints)
{
	/* no hostname: the dashed IP, which resolves back */
	ck_assert_int_eq(ask("6.2.244.10.in-addr.arpa", KP_DNS_T_PTR), KP_DNS_RC_NOERROR);
	ck_assert_uint_eq(m.hdr.ancount, 1);
	ck_assert_str_eq(answer_target(0), "10-244-2-6.db.default.svc.cluster.local");
	/* a hostname wins, and is the name that resolves forward */
	ck_assert_int_eq(ask("2.4.244.10.in-addr.arpa", KP_DNS_T_PTR), KP_DNS_RC_NOERROR);
	ck_assert_str_eq(answer_target(0), "pet-0.pets.default.svc.cluster.local");
	ck_assert_int_eq(ask("pet-0.pets.default.svc.cluster.local", KP_DNS_T_A), KP_DNS_RC_NOERROR);
	ck_assert_str_eq(answer_ips(), "10.244.4.2");
	ck_assert_int_eq(ask("10-244-4-2.pets.default.svc.cluster.local", KP_DNS_T_A), KP_DNS_RC_NXDOMAIN);
	/* an IPv6 endpoint without hostname */
	ck_assert_int_eq(ask("3.0.0.0.4.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.d.f.ip6.arpa", KP_DNS_T_PTR),
			 KP_DNS_RC_NOERROR);
	ck_assert_str_eq(answer_target(0), "fd00--4-3.pets.default.svc.cluster.local");
	ck_assert_int_eq(ask("fd00--4-3.pets.default.svc.cluster.local", KP_DNS_T_AAAA), KP_DNS_RC_NOERROR);
	ck_assert_uint_eq(m.hdr.ancount, 1);
	/* SRV targets name the endpoints the same way */
	ck_assert_int_eq(ask("_web._tcp.pets.default.svc.cluster.local", KP_DNS_T_SRV), KP_DNS_RC_NOERROR);
	ck_assert_uint_eq(m.hdr.ancount, 2);
}
END_TEST

START_TEST(test_ptr_other_addresses_forwarded)
{
	/* not ready, unknown, partial, malformed, or another type: upstream's business */
	ck_assert_int_eq(ask_verdict("7.3.244.10.in-addr.arpa", KP_DNS_T_PTR), KP_DNS_FORWARD);
	ck_assert_int_eq(ask_verdict("8.8.8.8.in-addr.arpa", KP_DNS_T_PTR), KP_DNS_FORWARD);
	ck_assert_int_eq(ask_verdict("96.10.in-addr.arpa", KP_DNS_T_PTR), KP_DNS_FORWARD);
	ck_assert_int_eq(ask_verdict("010.0.96.10.in-addr.arpa", KP_DNS_T_PTR), KP_DNS_FORWARD);
	ck_assert_int_eq(ask_verdict("256.0.96.10.in-addr.arpa", KP_DNS_T_PTR), KP_DNS_FORWARD);
	ck_assert_int_eq(ask_verdict("1.10.0.96.10.in-addr.arpa", KP_DNS_T_PTR), KP_DNS_FORWARD);
	ck_assert_int_eq(ask_verdict("x.0.96.10.in-addr.arpa", KP_DNS_T_PTR), KP_DNS_FORWARD);
	ck_assert_int_eq(ask_verdict("in-addr.arpa", KP_DNS_T_PTR), KP_DNS_FORWARD);
	ck_assert_int_eq(ask_verdict("d.f.ip6.arpa", KP_DNS_T_PTR), KP_DNS_FORWARD);
	ck_assert_int_eq(ask_verdict("0.1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.d.g.ip6.arpa",
				     KP_DNS_T_PTR),
			 KP_DNS_FORWARD);
	ck_assert_int_eq(ask_verdict("10.0.96.10.in-addr.arpa", KP_DNS_T_A), KP_DNS_FORWARD);
	/* a ClusterIP Service's endpoints are not named here (only headless ones are) */
	objs[0].eps = decode(kp_eps_decode, "{\"subsets\":[{\"addresses\":[{\"ip\":\"10.244.9.9\"}]}]}");
	ck_assert_int_eq(ask_verdict("9.9.244.10.in-addr.arpa", KP_DNS_T_PTR), KP_DNS_FORWARD);
}
END_TEST

START_TEST(test_ptr_without_scan_forwarded)
{
	struct kp_dns_source plain = {get_svc, get_eps, NULL, NULL};
	size_t n = make_query("10.0.96.10.in-addr.arpa", KP_DNS_T_PTR, 0);

	ck_assert_int_eq(kp_dns_answer(&zone, &plain, q, n, false, out, sizeof(out), &outlen), KP_DNS_FORWARD);
}
END_TEST

START_TEST(test_ptr_endpoint_of_two_services)
{
	add("default/db2", "{\"spec\":{\"clusterIP\":\"None\"}}",
	    "{\"subsets\":[{\"addresses\":[{\"ip\":\"10.244.1.5\",\"hostname\":\"primary\"}]}]}");
	ck_assert_int_eq(ask("5.1.244.10.in-addr.arpa", KP_DNS_T_PTR), KP_DNS_RC_NOERROR);
	ck_assert_uint_eq(m.hdr.ancount, 2);
	ck_assert_str_eq(answer_target(0), "10-244-1-5.db.default.svc.cluster.local");
	ck_assert_str_eq(answer_target(1), "primary.db2.default.svc.cluster.local");
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("kp_dns_answer");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_service_clusterip);
	tcase_add_test(tc, test_case_of_question_kept);
	tcase_add_test(tc, test_aaaa_of_v4_service_is_nodata);
	tcase_add_test(tc, test_v6_service);
	tcase_add_test(tc, test_headless_ready_endpoints);
	tcase_add_test(tc, test_external_name_cname);
	tcase_add_test(tc, test_srv_named_port);
	tcase_add_test(tc, test_srv_headless_per_endpoint);
	tcase_add_test(tc, test_pod_names);
	tcase_add_test(tc, test_missing_names_nxdomain_with_soa);
	tcase_add_test(tc, test_outside_zone_forwarded);
	tcase_add_test(tc, test_malformed_formerr_or_dropped);
	tcase_add_test(tc, test_big_headless_truncated_over_udp_whole_over_tcp);
	tcase_add_test(tc, test_query_name);
	tcase_add_test(tc, test_ptr_cluster_ip);
	tcase_add_test(tc, test_ptr_v6_cluster_ip);
	tcase_add_test(tc, test_ptr_headless_endpoints);
	tcase_add_test(tc, test_ptr_other_addresses_forwarded);
	tcase_add_test(tc, test_ptr_without_scan_forwarded);
	tcase_add_test(tc, test_ptr_endpoint_of_two_services);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return check_run(suite());
}
