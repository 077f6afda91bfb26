/* test_kl_podnet.c: the bridge network's pure parts: podCIDR parsing, address choice, veth names. */
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "kubelet/podnet.h"
#include "tests/lib/check_run.h"

START_TEST(test_parse_cidr_masks_host_bits)
{
	uint32_t net = 0;
	int prefix = 0;

	ck_assert_int_eq(kl_podnet_parse_cidr("10.244.3.7/24", &net, &prefix), 0);
	ck_assert_uint_eq(net, 0x0af40300u);
	ck_assert_int_eq(prefix, 24);
	ck_assert_int_eq(kl_podnet_parse_cidr("10.0.0.0/16", &net, &prefix), 0);
	ck_assert_uint_eq(net, 0x0a000000u);
	ck_assert_int_eq(prefix, 16);
}
END_TEST

START_TEST(test_parse_cidr_rejects_bad_input)
{
	uint32_t net = 7;
	int prefix = 7;

	ck_assert_int_eq(kl_podnet_parse_cidr("10.0.0.0", &net, &prefix), -EINVAL);
	ck_assert_int_eq(kl_podnet_parse_cidr("10.0.0.0/31", &net, &prefix), -EINVAL);
	ck_assert_int_eq(kl_podnet_parse_cidr("10.0.0.0/4", &net, &prefix), -EINVAL);
	ck_assert_int_eq(kl_podnet_parse_cidr("10.0.0.0/2x", &net, &prefix), -EINVAL);
	ck_assert_int_eq(kl_podnet_parse_cidr("fd00::/64", &net, &prefix), -EINVAL);
	ck_assert_int_eq(kl_podnet_parse_cidr(NULL, &net, &prefix), -EINVAL);
	ck_assert_uint_eq(net, 7); /* outputs unchanged on failure */
	ck_assert_int_eq(prefix, 7);
}
END_TEST

START_TEST(test_pick_skips_network_gateway_and_taken)
{
	unsigned char used[256] = {0};
	uint32_t host = 0;

	ck_assert_int_eq(kl_podnet_pick(used, 24, &host), 0);
	ck_assert_uint_eq(host, 2); /* .0 network, .1 the bridge */
	used[2] = used[3] = 1;
	ck_assert_int_eq(kl_podnet_pick(used, 24, &host), 0);
	ck_assert_uint_eq(host, 4);
	used[3] = 0; /* a freed address is reused */
	ck_assert_int_eq(kl_podnet_pick(used, 24, &host), 0);
	ck_assert_uint_eq(host, 3);
}
END_TEST

START_TEST(test_pick_full_is_enospc_never_broadcast)
{
	unsigned char used[8] = {0};
	uint32_t host = 99;

	memset(used + 2, 1, 5); /* /29: .2 to .6 taken, .7 is broadcast */
	ck_assert_int_eq(kl_podnet_pick(used, 29, &host), -ENOSPC);
	ck_assert_uint_eq(host, 99);
}
END_TEST

START_TEST(test_veth_name_short_stable_distinct)
{
	char a[16], b[16], c[16];

	kl_podnet_veth_name("6f1c2d9e-0000-4a3b-9c1d-2e3f4a5b6c7d", a);
	kl_podnet_veth_name("6f1c2d9e-0000-4a3b-9c1d-2e3f4a5b6c7d", b);
	kl_podnet_veth_name("6f1c2d9e-0000-4a3b-9c1d-2e3f4a5b6c7e", c);
	ck_assert_str_eq(a, b);
	ck_assert_str_ne(a, c);
	ck_assert_uint_eq(strlen(a), 11); /* under IFNAMSIZ (16 with the NUL) */
	ck_assert(strncmp(a, "mkv", 3) == 0);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("kl_podnet");
	TCase *tc = tcase_create("podnet");

	tcase_add_test(tc, test_parse_cidr_masks_host_bits);
	tcase_add_test(tc, test_parse_cidr_rejects_bad_input);
	tcase_add_test(tc, test_pick_skips_network_gateway_and_taken);
	tcase_add_test(tc, test_pick_full_is_enospc_never_broadcast);
	tcase_add_test(tc, test_veth_name_short_stable_distinct);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return check_run(suite());
}
