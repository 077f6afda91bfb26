/* test_ctl_nodelife.c: the node lifecycle decision over time: grace, unknown, taint, eviction, recovery. */
#include <check.h>

#include "controller/nodelife.h"
#include "tests/lib/check_run.h"

#define GRACE 40000
#define EVICT 300000

START_TEST(fresh_node_left_alone)
{
	struct ctl_node_state s = {.renewed_ms = 1000};

	ck_assert_int_eq(ctl_nodelife_decide(&s, 1000 + GRACE, GRACE, EVICT), 0);
	ck_assert_int_eq(s.unreachable_ms, 0);
}
END_TEST

START_TEST(stale_node_marked_and_tainted_once)
{
	struct ctl_node_state s = {.renewed_ms = 1000};
	int64_t t = 1000 + GRACE + 1;

	ck_assert_int_eq(ctl_nodelife_decide(&s, t, GRACE, EVICT), CTL_NODE_MARK_UNKNOWN | CTL_NODE_ADD_TAINT);
	ck_assert_int_eq(s.unreachable_ms, t);
	s.ready_unknown = s.tainted = true; /* the writes were seen */
	ck_assert_int_eq(ctl_nodelife_decide(&s, t + 1000, GRACE, EVICT), 0);
	ck_assert_int_eq(s.unreachable_ms, t);
}
END_TEST

START_TEST(pods_evicted_after_timeout)
{
	struct ctl_node_state s = {.renewed_ms = 0};
	int64_t t = GRACE + 1;

	ctl_nodelife_decide(&s, t, GRACE, EVICT);
	s.ready_unknown = s.tainted = true;
	ck_assert_int_eq(ctl_nodelife_decide(&s, t + EVICT - 1, GRACE, EVICT), 0);
	ck_assert_int_eq(ctl_nodelife_decide(&s, t + EVICT, GRACE, EVICT), CTL_NODE_EVICT);
}
END_TEST

START_TEST(renewal_recovers)
{
	struct ctl_node_state s = {.renewed_ms = 0};

	ctl_nodelife_decide(&s, GRACE + 5, GRACE, EVICT);
	s.ready_unknown = s.tainted = true;
	s.renewed_ms = GRACE + 10;
	ck_assert_int_eq(ctl_nodelife_decide(&s, GRACE + 20, GRACE, EVICT), CTL_NODE_RECOVER);
	ck_assert_int_eq(s.unreachable_ms, 0);
	s.ready_unknown = s.tainted = false;
	ck_assert_int_eq(ctl_nodelife_decide(&s, GRACE + 30, GRACE, EVICT), 0);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("ctl_nodelife");
	TCase *tc = tcase_create("decide");
	tcase_add_test(tc, fresh_node_left_alone);
	tcase_add_test(tc, stale_node_marked_and_tainted_once);
	tcase_add_test(tc, pods_evicted_after_timeout);
	tcase_add_test(tc, renewal_recovers);
	suite_add_tcase(s, tc);
	return check_run(s);
}
