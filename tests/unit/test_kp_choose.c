/* test_kp_choose.c: the proxy's endpoint choice: round robin, set changes, ClientIP affinity. */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "kubeproxy/choose.h"
#include "tests/lib/check_run.h"

static struct kp_chooser c;

static struct kp_addr A(const char *ip, int port)
{
	struct kp_addr a;
	ck_assert_int_eq(kp_addr_parse(ip, port, &a), 0);
	return a;
}

/* Sets the endpoints to "10.0.0.<i>:80" for each i in ids (ending with 0). */
static void set_eps(const int *ids)
{
	struct kp_addr eps[16];
	size_t n = 0;
	char ip[32];

	for (; ids[n]; n++) {
		snprintf(ip, sizeof(ip), "10.0.0.%d", ids[n]);
		eps[n] = A(ip, 80);
	}
	ck_assert_int_eq(kp_chooser_set_endpoints(&c, eps, n), 0);
}

/* The last byte of the endpoint picked for client at now. */
static int pick(const char *client, uint64_t now)
{
	struct kp_addr cl = A(client, 40000), out;

	ck_assert_int_eq(kp_chooser_pick(&c, &cl, now, &out), 0);
	ck_assert_uint_eq(out.port, 80);
	return out.ip[3];
}

static void setup(void)
{
	kp_chooser_init(&c);
}

static void teardown(void)
{
	kp_chooser_close(&c);
}

START_TEST(test_no_endpoints)
{
	struct kp_addr cl = A("1.1.1.1", 1), out = A("9.9.9.9", 9);

	ck_assert_int_eq(kp_chooser_pick(&c, &cl, 1000, &out), -ENOENT);
	ck_assert_uint_eq(out.ip[0], 9);
	set_eps((int[]){1, 0});
	set_eps((int[]){0});
	ck_assert_int_eq(kp_chooser_pick(&c, &cl, 1000, &out), -ENOENT);
}
END_TEST

START_TEST(test_round_robin_cycles)
{
	set_eps((int[]){1, 2, 3, 0});
	for (int round = 0; round < 3; round++) {
		ck_assert_int_eq(pick("1.1.1.1", 1000), 1);
		ck_assert_int_eq(pick("1.1.1.2", 1000), 2);
		ck_assert_int_eq(pick("1.1.1.1", 1000), 3);
	}
}
END_TEST

START_TEST(test_round_robin_even_spread)
{
	int count[8] = {0};

	set_eps((int[]){1, 2, 3, 4, 5, 0});
	for (int i = 0; i < 500; i++)
		count[pick("1.1.1.1", 1000)]++;
	for (int i = 1; i <= 5; i++)
		ck_assert_int_eq(count[i], 100);
}
END_TEST

START_TEST(test_removed_endpoint_never_picked)
{
	set_eps((int[]){1, 2, 3, 0});
	pick("1.1.1.1", 1000);
	set_eps((int[]){1, 3, 0});
	for (int i = 0; i < 10; i++)
		ck_assert_int_ne(pick("1.1.1.1", 1000), 2);
	ck_assert(!kp_chooser_has(&c, &(struct kp_addr){0}));
}
END_TEST

START_TEST(test_shrink_keeps_cursor_in_range)
{
	set_eps((int[]){1, 2, 3, 4, 0});
	pick("1.1.1.1", 1000);
	pick("1.1.1.1", 1000);
	pick("1.1.1.1", 1000); /* cursor at 3 */
	set_eps((int[]){7, 8, 0});
	ck_assert_int_eq(pick("1.1.1.1", 1000), 8); /* 3 % 2 */
	ck_assert_int_eq(pick("1.1.1.1", 1000), 7);
}
END_TEST

START_TEST(test_affinity_sticks_per_client_ip)
{
	set_eps((int[]){1, 2, 3, 0});
	kp_chooser_set_affinity(&c, true, 10000);
	int a = pick("1.1.1.1", 1000), b = pick("1.1.1.2", 1000);
	ck_assert_int_ne(a, b);
	for (int i = 0; i < 10; i++) {
		/* another source port, same IP: same endpoint */
		ck_assert_int_eq(pick("1.1.1.1", 1000 + i), a);
		ck_assert_int_eq(pick("1.1.1.2", 1000 + i), b);
	}
}
END_TEST

START_TEST(test_affinity_expires)
{
	set_eps((int[]){1, 2, 0});
	kp_chooser_set_affinity(&c, true, 10000);
	int a = pick("1.1.1.1", 1000);
	ck_assert_int_eq(pick("1.1.1.1", 10999), a); /* refreshed at 10999 */
	ck_assert_int_eq(pick("1.1.1.1", 20998), a);
	ck_assert_int_ne(pick("1.1.1.1", 30998), a); /* 10000 ms idle: a fresh round robin choice */
}
END_TEST

START_TEST(test_affinity_forgets_removed_endpoint)
{
	set_eps((int[]){1, 2, 0});
	kp_chooser_set_affinity(&c, true, 10000);
	ck_assert_int_eq(pick("1.1.1.1", 1000), 1);
	set_eps((int[]){2, 3, 0});
	int now = pick("1.1.1.1", 1001);
	ck_assert(now == 2 || now == 3);
	ck_assert_int_eq(pick("1.1.1.1", 1002), now);
}
END_TEST

START_TEST(test_affinity_survives_unrelated_change)
{
	set_eps((int[]){1, 2, 0});
	kp_chooser_set_affinity(&c, true, 10000);
	int a = pick("1.1.1.1", 1000);
	set_eps((int[]){1, 2, 3, 4, 0});
	ck_assert_int_eq(pick("1.1.1.1", 1001), a);
}
END_TEST

START_TEST(test_affinity_many_clients)
{
	char ip[32];
	int first[1000];

	set_eps((int[]){1, 2, 3, 0});
	kp_chooser_set_affinity(&c, true, 10000);
	for (int i = 0; i < 1000; i++) {
		snprintf(ip, sizeof(ip), "172.16.%d.%d", i / 250, i % 250 + 1);
		first[i] = pick(ip, 1000);
	}
	ck_assert_uint_eq(c.nsticky, 1000);
	for (int i = 0; i < 1000; i++) {
		snprintf(ip, sizeof(ip), "172.16.%d.%d", i / 250, i % 250 + 1);
		ck_assert_int_eq(pick(ip, 2000), first[i]);
	}
}
END_TEST

START_TEST(test_affinity_off_forgets)
{
	set_eps((int[]){1, 2, 0});
	kp_chooser_set_affinity(&c, true, 10000);
	pick("1.1.1.1", 1000);
	kp_chooser_set_affinity(&c, false, 0);
	ck_assert_uint_eq(c.nsticky, 0);
	ck_assert_int_eq(pick("1.1.1.1", 1000), 2);
	ck_assert_int_eq(pick("1.1.1.1", 1000), 1);
}
END_TEST

START_TEST(test_ipv6_endpoints)
{
	struct kp_addr eps[2] = {A("fd00::1", 8080), A("fd00::2", 8080)}, cl = A("fd00::9", 1), out;

	ck_assert_int_eq(kp_chooser_set_endpoints(&c, eps, 2), 0);
	ck_assert_int_eq(kp_chooser_pick(&c, &cl, 1, &out), 0);
	ck_assert(kp_addr_equal(&out, &eps[0]));
	ck_assert_int_eq(kp_chooser_pick(&c, &cl, 1, &out), 0);
	ck_assert(kp_addr_equal(&out, &eps[1]));
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("kp_choose");
	TCase *tc = tcase_create("choose");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_no_endpoints);
	tcase_add_test(tc, test_round_robin_cycles);
	tcase_add_test(tc, test_round_robin_even_spread);
	tcase_add_test(tc, test_removed_endpoint_never_picked);
	tcase_add_test(tc, test_shrink_keeps_cursor_in_range);
	tcase_add_test(tc, test_affinity_sticks_per_client_ip);
	tcase_add_test(tc, test_affinity_expires);
	tcase_add_test(tc, test_affinity_forgets_removed_endpoint);
	tcase_add_test(tc, test_affinity_survives_unrelated_change);
	tcase_add_test(tc, test_affinity_many_clients);
	tcase_add_test(tc, test_affinity_off_forgets);
	tcase_add_test(tc, test_ipv6_endpoints);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return check_run(suite());
}
