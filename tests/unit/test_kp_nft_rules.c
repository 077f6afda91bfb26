/* test_kp_nft_rules.c: the nftables script of the kernel fast path, rendered from service ports. */
#include <check.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "kubeproxy/nft_rules.h"
#include "tests/lib/check_run.h"

static struct kp_addr eps[2], node;
static struct kp_service_port sp;
static struct cm_buf out;

static void setup(void)
{
	memset(&node, 0, sizeof(node));
	ck_assert_int_eq(kp_addr_parse("10.244.1.2", 8080, &eps[0]), 0);
	ck_assert_int_eq(kp_addr_parse("10.244.2.3", 8080, &eps[1]), 0);
	memset(&sp, 0, sizeof(sp));
	sp.name = "default/web:http";
	sp.protocol = IPPROTO_TCP;
	ck_assert_int_eq(kp_addr_parse("10.96.0.10", 80, &sp.cluster), 0);
	sp.node_port = 30080;
	sp.endpoints = eps;
	sp.nendpoints = 2;
	cm_buf_init(&out);
}

static void teardown(void)
{
	cm_buf_close(&out);
}

#define HAS(s) ck_assert_msg(strstr(out.data, s), "missing: %s\nin:\n%s", s, out.data)
#define HAS_NOT(s) ck_assert_msg(!strstr(out.data, s), "unexpected: %s\nin:\n%s", s, out.data)

START_TEST(test_round_robin_dnat)
{
	ck_assert_int_eq(kp_nft_render("minik8s_n1", &node, &sp, 1, &out), 0);
	HAS("table ip minik8s_n1 {}\ndelete table ip minik8s_n1\ntable ip minik8s_n1 {\n");
	HAS("ip daddr 10.96.0.10 tcp dport 80 dnat to numgen inc mod 2 map { 0 : 10.244.1.2 . 8080, "
	    "1 : 10.244.2.3 . 8080 }");
	HAS("fib daddr type local tcp dport 30080 dnat to numgen inc mod 2");
	HAS("type nat hook output priority -100;");
	HAS("type nat hook prerouting priority -100;");
}
END_TEST

START_TEST(test_node_address)
{
	ck_assert_int_eq(kp_addr_parse("192.0.2.2", 0, &node), 0);
	ck_assert_int_eq(kp_nft_render("t", &node, &sp, 1, &out), 0);
	HAS("ip daddr 192.0.2.2 tcp dport 30080 dnat");
	HAS_NOT("fib daddr");
}
END_TEST

START_TEST(test_stale_flows_reset)
{
	sp.nendpoints = 1;
	ck_assert_int_eq(kp_nft_render("t", &node, &sp, 1, &out), 0);
	HAS("meta l4proto tcp ct direction original ct status dnat ct original ip daddr 10.96.0.10 "
	    "ct original proto-dst 80 ip daddr . tcp dport != { 10.244.1.2 . 8080 } reject with tcp reset");
	HAS("ct original proto-dst 30080 ip daddr . tcp dport != { 10.244.1.2 . 8080 }");
	HAS("type filter hook forward priority 0;");
}
END_TEST

START_TEST(test_no_endpoints_left_to_userspace)
{
	sp.nendpoints = 0;
	ck_assert_int_eq(kp_nft_render("t", &node, &sp, 1, &out), 0);
	HAS_NOT("dnat to");
	/* every flow once translated for the port is stale now */
	HAS("ct original proto-dst 80 reject with tcp reset");
	ck_assert(!kp_nft_handles(&sp));
}
END_TEST

START_TEST(test_affinity_and_ipv6_left_to_userspace)
{
	struct kp_addr v6;

	sp.affinity = true;
	ck_assert(!kp_nft_handles(&sp));
	ck_assert_int_eq(kp_nft_render("t", &node, &sp, 1, &out), 0);
	HAS_NOT("10.96.0.10");
	sp.affinity = false;
	ck_assert_int_eq(kp_addr_parse("fd00::1", 8080, &v6), 0);
	sp.endpoints = &v6;
	sp.nendpoints = 1;
	ck_assert(!kp_nft_handles(&sp));
}
END_TEST

START_TEST(test_udp_drop)
{
	sp.protocol = IPPROTO_UDP;
	sp.node_port = 0;
	sp.nendpoints = 1;
	ck_assert_int_eq(kp_nft_render("t", &node, &sp, 1, &out), 0);
	HAS("ip daddr 10.96.0.10 udp dport 80 dnat to numgen inc mod 1 map { 0 : 10.244.1.2 . 8080 }");
	HAS("ip daddr . udp dport != { 10.244.1.2 . 8080 } drop");
	HAS_NOT("30080");
}
END_TEST

START_TEST(test_bad_table_name)
{
	ck_assert_int_eq(kp_nft_render("x; flush ruleset", &node, &sp, 1, &out), -EINVAL);
	ck_assert_int_eq(kp_nft_render_delete("", &out), -EINVAL);
	ck_assert_uint_eq(out.len, 0);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("kp_nft_rules");
	TCase *tc = tcase_create("nft_rules");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_round_robin_dnat);
	tcase_add_test(tc, test_node_address);
	tcase_add_test(tc, test_stale_flows_reset);
	tcase_add_test(tc, test_no_endpoints_left_to_userspace);
	tcase_add_test(tc, test_affinity_and_ipv6_left_to_userspace);
	tcase_add_test(tc, test_udp_drop);
	tcase_add_test(tc, test_bad_table_name);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return check_run(suite());
}
