/* test_kp_dns_forward.c: resolv.conf's nameservers (IPv4 and IPv6), and queries forwarded to an IPv6 upstream. */
#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kubeproxy/dns_forward.h"
#include "kubeproxy/dns_msg.h"
#include "tests/lib/loop_until.h"
#include "tests/lib/check_run.h"

static struct kp_dns_upstream up[4];

static size_t parse(const char *text, const struct kp_addr *self)
{
	memset(up, 0, sizeof(up));
	return kp_dns_resolv_conf_parse(text, self, up, 3);
}

static const char *ip_of(size_t i)
{
	static char s[INET6_ADDRSTRLEN];

	ck_assert_ptr_nonnull(inet_ntop(up[i].addr.family, up[i].addr.ip, s, sizeof(s)));
	return s;
}

START_TEST(test_resolv_conf_both_families_in_order)
{
	ck_assert_uint_eq(parse("search example.org\nnameserver 10.0.0.2\nnameserver ::1\n"
				"options ndots:5\nnameserver 2001:db8::53\nnameserver 10.0.0.9\n",
				NULL),
			  3);
	ck_assert_str_eq(ip_of(0), "10.0.0.2");
	ck_assert_str_eq(ip_of(1), "::1");
	ck_assert_uint_eq(up[1].addr.family, AF_INET6);
	ck_assert_uint_eq(up[1].addr.port, 53);
	ck_assert_uint_eq(up[1].scope, 0);
	ck_assert_str_eq(ip_of(2), "2001:db8::53");
}
END_TEST

START_TEST(test_resolv_conf_link_local_scope)
{
	char line[64];
	unsigned lo = if_nametoindex("lo");

	ck_assert_uint_ne(lo, 0);
	ck_assert_uint_eq(parse("nameserver fe80::1%lo\n", NULL), 1);
	ck_assert_str_eq(ip_of(0), "fe80::1");
	ck_assert_uint_eq(up[0].scope, lo);
	snprintf(line, sizeof(line), "nameserver fe80::2%%%u", lo);
	ck_assert_uint_eq(parse(line, NULL), 1);
	ck_assert_uint_eq(up[0].scope, lo);
	/* an interface that does not exist, a scope on IPv4, or garbage: the line is skipped */
	ck_assert_uint_eq(parse("nameserver fe80::1%nosuchif0\nnameserver 10.0.0.1%lo\nnameserver fe80::1%\n"
				"nameserver nope\nnameserver 10.0.0.3\n",
				NULL),
			  1);
	ck_assert_str_eq(ip_of(0), "10.0.0.3");
}
END_TEST

START_TEST(test_resolv_conf_self_skipped)
{
	struct kp_addr self;

	ck_assert_int_eq(kp_addr_parse("::1", 53, &self), 0);
	ck_assert_uint_eq(parse("nameserver ::1\nnameserver 127.0.0.1\n", &self), 1);
	ck_assert_str_eq(ip_of(0), "127.0.0.1");
}
END_TEST

/* ---- a query forwarded to an upstream on [::1] ---- */

static uv_loop_t loop;
static uv_udp_t upstream;
static uv_timer_t ticker;
static int upstream_queries, replies, closed;
static uint8_t reply_msg[512];
static size_t reply_len;

static void up_alloc(uv_handle_t *h, size_t hint, uv_buf_t *b)
{
	static char buf[512];

	(void)h;
	(void)hint;
	*b = uv_buf_init(buf, sizeof(buf));
}

/* Answers every A question with 192.0.2.6. */
static void up_recv(uv_udp_t *u, ssize_t n, const uv_buf_t *b, const struct sockaddr *from, unsigned flags)
{
	struct kp_dns_msg m;
	struct kp_dns_writer w;
	uint8_t out[512];
	static const uint8_t ip[4] = {192, 0, 2, 6};

	(void)flags;
	if (n <= 0 || !from || kp_dns_msg_parse((uint8_t *)b->base, (size_t)n, &m) < 0)
		return;
	upstream_queries++;
	m.hdr.flags = KP_DNS_F_QR | KP_DNS_F_RD | KP_DNS_F_RA;
	kp_dns_writer_init(&w, out, sizeof(out), &m.hdr);
	ck_assert_int_eq(kp_dns_write_question(&w, m.qname, m.qtype, m.qclass), 0);
	ck_assert_int_eq(kp_dns_write_a(&w, KP_DNS_ANSWER, m.qname, 60, ip), 0);
	uv_buf_t rb = uv_buf_init((char *)out, (unsigned)kp_dns_writer_finish(&w, 0));
	ck_assert_int_ge(uv_udp_try_send(u, &rb, 1, from), 0);
}

static void on_reply(void *ud, const struct kp_dns_client *to, const uint8_t *msg, size_t len)
{
	(void)ud;
	(void)to;
	ck_assert_uint_le(len, sizeof(reply_msg));
	memcpy(reply_msg, msg, len);
	reply_len = len;
	replies++;
}

static void on_tick(uv_timer_t *t)
{
	(void)t;
}

static void forward_closed(void *ud)
{
	(void)ud;
	closed++;
}

START_TEST(test_forward_to_ipv6_upstream)
{
	struct sockaddr_in6 sa = {.sin6_family = AF_INET6, .sin6_addr = IN6ADDR_LOOPBACK_INIT};
	struct sockaddr_storage got;
	int len = sizeof(got);
	struct kp_dns_upstream u = {0};
	struct kp_dns_forward *f;
	struct kp_dns_client from = {.tcp = false};
	struct kp_dns_writer w;
	struct kp_dns_header h = {.id = 7, .flags = KP_DNS_F_RD};
	struct kp_dns_msg m;
	uint8_t q[128];

	ck_assert_int_eq(uv_loop_init(&loop), 0);
	ck_assert_int_eq(uv_udp_init(&loop, &upstream), 0);
	if (uv_udp_bind(&upstream, (struct sockaddr *)&sa, UV_UDP_IPV6ONLY) < 0) {
		fprintf(stderr, "test_forward_to_ipv6_upstream: skipped: cannot bind [::1] (no IPv6 on loopback)\n");
		uv_close((uv_handle_t *)&upstream, NULL);
		uv_run(&loop, UV_RUN_DEFAULT);
		uv_loop_close(&loop);
		return;
	}
	ck_assert_int_eq(uv_udp_getsockname(&upstream, (struct sockaddr *)&got, &len), 0);
	ck_assert_int_eq(kp_addr_from_sockaddr((struct sockaddr *)&got, &u.addr), 0);
	ck_assert_int_eq(uv_udp_recv_start(&upstream, up_alloc, up_recv), 0);
	uv_timer_init(&loop, &ticker);
	uv_timer_start(&ticker, on_tick, 10, 10);

	ck_assert_int_eq(kp_dns_forward_new(&loop, &u, 1, on_reply, NULL, &f), 0);
	kp_dns_writer_init(&w, q, sizeof(q), &h);
	ck_assert_int_eq(kp_dns_write_question(&w, "www.example.com", KP_DNS_T_A, KP_DNS_C_IN), 0);
	kp_dns_forward_query(f, &from, q, kp_dns_writer_finish(&w, 0));
	LOOP_RUN_UNTIL(&loop, replies == 1, 5000);
	ck_assert_int_eq(upstream_queries, 1);
	ck_assert_int_eq(kp_dns_msg_parse(reply_msg, reply_len, &m), 0);
	ck_assert_uint_eq(m.hdr.id, 7); /* the client's id back, not ours */
	ck_assert_uint_eq(m.hdr.ancount, 1);
	ck_assert_uint_eq(reply_msg[m.rrs[0].rdoff + 3], 6);

	kp_dns_forward_close(f, forward_closed, NULL);
	uv_close((uv_handle_t *)&upstream, NULL);
	uv_close((uv_handle_t *)&ticker, NULL);
	uv_run(&loop, UV_RUN_DEFAULT);
	ck_assert_int_eq(closed, 1);
	ck_assert_int_eq(uv_loop_close(&loop), 0);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("kp_dns_forward");
	TCase *tc = tcase_create("forward");

	tcase_add_test(tc, test_resolv_conf_both_families_in_order);
	tcase_add_test(tc, test_resolv_conf_link_local_scope);
	tcase_add_test(tc, test_resolv_conf_self_skipped);
	tcase_add_test(tc, test_forward_to_ipv6_upstream);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return check_run(suite());
}
