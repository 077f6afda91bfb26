/* test_kp_addr.c: address values: parsing, formatting, and which addresses are loopback. */
#include <check.h>

#include "kubeproxy/addr.h"
#include "tests/lib/check_run.h"

static struct kp_addr A(const char *ip, int port)
{
	struct kp_addr a;
	ck_assert_int_eq(kp_addr_parse(ip, port, &a), 0);
	return a;
}

static bool loopback(const char *ip)
{
	struct kp_addr a = A(ip, 80);
	return kp_addr_is_loopback(&a);
}

START_TEST(test_loopback_is_all_of_127_8)
{
	/* the local cluster's service range (127.96.0.0/16) is served without adding addresses */
	ck_assert(loopback("127.0.0.1"));
	ck_assert(loopback("127.96.0.1"));
	ck_assert(loopback("127.255.255.254"));
	ck_assert(loopback("::1"));
}
END_TEST

START_TEST(test_other_addresses_are_not_loopback)
{
	struct kp_addr none = {0};

	ck_assert(!loopback("10.96.0.1"));
	ck_assert(!loopback("128.0.0.1"));
	ck_assert(!loopback("126.255.255.255"));
	ck_assert(!loopback("::2"));
	ck_assert(!loopback("::ffff:127.0.0.1")); /* v4-mapped: a v6 socket cannot bind it as local */
	ck_assert(!kp_addr_is_loopback(&none));
}
END_TEST

START_TEST(test_format_round_trips)
{
	struct kp_addr a = A("127.96.0.10", 53), b = A("::1", 443);
	struct cm_buf s = CM_BUF_INIT;

	ck_assert_int_eq(kp_addr_format(&a, &s), 0);
	ck_assert_str_eq(s.data, "127.96.0.10:53");
	cm_buf_close(&s);
	ck_assert_int_eq(kp_addr_format(&b, &s), 0);
	ck_assert_str_eq(s.data, "[::1]:443");
	cm_buf_close(&s);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("kp_addr");
	TCase *tc = tcase_create("addr");

	tcase_add_test(tc, test_loopback_is_all_of_127_8);
	tcase_add_test(tc, test_other_addresses_are_not_loopback);
	tcase_add_test(tc, test_format_round_trips);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return check_run(suite());
}
