/* test_ctl_daemonset.c: which nodes a DaemonSet runs on: nodeSelector, taints, its own and default tolerations. */
#include <check.h>
#include <string.h>

#include "common/json.h"
#include "controller/daemonset.h"
#include "tests/lib/check_run.h"

static const struct {
	const char *node, *spec;
	bool want;
} cases[] = {
	{"{\"metadata\":{\"name\":\"n\"}}", "{}", true},
	{"{\"metadata\":{\"name\":\"n\",\"labels\":{\"disk\":\"ssd\"}}}", "{\"nodeSelector\":{\"disk\":\"ssd\"}}", true},
	{"{\"metadata\":{\"name\":\"n\",\"labels\":{\"disk\":\"hdd\"}}}", "{\"nodeSelector\":{\"disk\":\"ssd\"}}", false},
	{"{\"metadata\":{\"name\":\"n\"},\"spec\":{\"taints\":[{\"key\":\"dedicated\",\"value\":\"db\",\"effect\":\"NoSchedule\"}]}}", "{}", false},
	{"{\"metadata\":{\"name\":\"n\"},\"spec\":{\"taints\":[{\"key\":\"dedicated\",\"value\":\"db\",\"effect\":\"NoSchedule\"}]}}",
	 "{\"tolerations\":[{\"key\":\"dedicated\",\"operator\":\"Equal\",\"value\":\"db\",\"effect\":\"NoSchedule\"}]}", true},
	{"{\"metadata\":{\"name\":\"n\"},\"spec\":{\"taints\":[{\"key\":\"soft\",\"effect\":\"PreferNoSchedule\"}]}}", "{}", true},
	/* what every daemon pod tolerates: an unreachable or cordoned node keeps its daemon */
	{"{\"metadata\":{\"name\":\"n\"},\"spec\":{\"taints\":[{\"key\":\"node.kubernetes.io/unreachable\",\"effect\":\"NoExecute\"}]}}", "{}", true},
	{"{\"metadata\":{\"name\":\"n\"},\"spec\":{\"unschedulable\":true,\"taints\":[{\"key\":\"node.kubernetes.io/unschedulable\",\"effect\":\"NoSchedule\"}]}}", "{}", true},
	{"{\"metadata\":{\"name\":\"n\",\"deletionTimestamp\":\"2024-01-01T00:00:00Z\"}}", "{}", false},
};

START_TEST(should_run_table)
{
	cJSON *nj, *spec;
	void *n;

	ck_assert_int_eq(cm_json_parse(cases[_i].node, strlen(cases[_i].node), &nj, NULL), 0);
	ck_assert_int_eq(cm_json_parse(cases[_i].spec, strlen(cases[_i].spec), &spec, NULL), 0);
	ck_assert_int_eq(cm_node_decode(nj, &n), 0);
	ck_assert_msg(ctl_daemonset_should_run(n, spec) == cases[_i].want, "case %d", _i);
	cm_node_free(n);
	cJSON_Delete(nj);
	cJSON_Delete(spec);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("ctl_daemonset");
	TCase *tc = tcase_create("should_run");
	tcase_add_loop_test(tc, should_run_table, 0, (int)(sizeof(cases) / sizeof(cases[0])));
	suite_add_tcase(s, tc);
	return check_run(s);
}
