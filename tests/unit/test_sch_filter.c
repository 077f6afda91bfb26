/* test_sch_filter.c: the scheduler's filters, scores and FailedScheduling message, as tables of cases. */
#include <check.h>
#include <string.h>

#include "common/json.h"
#include "scheduler/filter.h"
#include "tests/lib/check_run.h"

static struct cm_pod *pod(const char *json)
{
	cJSON *j;
	void *v;
	ck_assert_int_eq(cm_json_parse(json, strlen(json), &j, NULL), 0);
	ck_assert_int_eq(cm_pod_decode(j, &v), 0);
	cJSON_Delete(j);
	return v;
}

static struct cm_node *node(const char *json)
{
	cJSON *j;
	void *v;
	ck_assert_int_eq(cm_json_parse(json, strlen(json), &j, NULL), 0);
	ck_assert_int_eq(cm_node_decode(j, &v), 0);
	cJSON_Delete(j);
	return v;
}

#define READY "\"conditions\":[{\"type\":\"Ready\",\"status\":\"True\"}]"
#define NODE4 "{\"metadata\":{\"name\":\"n\",\"labels\":{\"disk\":\"ssd\"}},\"status\":{\"allocatable\":{\"cpu\":\"4\",\"memory\":\"8Gi\",\"pods\":\"3\"}," READY "}}"
#define REQ(cpu, mem) "\"containers\":[{\"name\":\"a\",\"resources\":{\"requests\":{\"cpu\":\"" cpu "\",\"memory\":\"" mem "\"}}}]"

static const struct {
	const char *pod, *node;
	int64_t used_cpu, used_mem_mi, used_pods;
	int used_port;
	enum sch_reason want;
} cases[] = {
	{"{\"spec\":{" REQ("100m", "128Mi") "}}", NODE4, 0, 0, 0, 0, SCH_FIT},
	{"{\"spec\":{" REQ("0.5", "1Gi") "}}", NODE4, 3500, 0, 0, 0, SCH_FIT},            /* exactly full */
	{"{\"spec\":{" REQ("501m", "1Gi") "}}", NODE4, 3500, 0, 0, 0, SCH_CPU},
	{"{\"spec\":{" REQ("1", "1Gi") "}}", NODE4, 0, 7200, 0, 0, SCH_MEMORY},
	{"{\"spec\":{" REQ("1", "1Gi") "}}", NODE4, 0, 0, 3, 0, SCH_TOO_MANY_PODS},
	{"{\"spec\":{\"nodeSelector\":{\"disk\":\"ssd\"}}}", NODE4, 0, 0, 0, 0, SCH_FIT},
	{"{\"spec\":{\"nodeSelector\":{\"disk\":\"hdd\"}}}", NODE4, 0, 0, 0, 0, SCH_SELECTOR},
	{"{\"spec\":{}}", "{\"metadata\":{\"name\":\"n\"},\"status\":{\"conditions\":[{\"type\":\"Ready\",\"status\":\"False\"}]}}", 0, 0, 0, 0, SCH_NOT_READY},
	{"{\"spec\":{}}", "{\"metadata\":{\"name\":\"n\"},\"spec\":{\"unschedulable\":true},\"status\":{" READY "}}", 0, 0, 0, 0, SCH_UNSCHEDULABLE},
	{"{\"spec\":{}}", "{\"metadata\":{\"name\":\"n\"},\"spec\":{\"taints\":[{\"key\":\"gpu\",\"value\":\"y\",\"effect\":\"NoSchedule\"}]},\"status\":{" READY "}}", 0, 0, 0, 0, SCH_TAINT},
	{"{\"spec\":{\"tolerations\":[{\"key\":\"gpu\",\"operator\":\"Equal\",\"value\":\"y\",\"effect\":\"NoSchedule\"}]}}", "{\"metadata\":{\"name\":\"n\"},\"spec\":{\"taints\":[{\"key\":\"gpu\",\"value\":\"y\",\"effect\":\"NoSchedule\"}]},\"status\":{" READY "}}", 0, 0, 0, 0, SCH_FIT},
	{"{\"spec\":{\"tolerations\":[{\"operator\":\"Exists\"}]}}", "{\"metadata\":{\"name\":\"n\"},\"spec\":{\"taints\":[{\"key\":\"x\",\"effect\":\"NoExecute\"}]},\"status\":{" READY "}}", 0, 0, 0, 0, SCH_FIT},
	{"{\"spec\":{\"tolerations\":[{\"key\":\"gpu\",\"value\":\"n\"}]}}", "{\"metadata\":{\"name\":\"n\"},\"spec\":{\"taints\":[{\"key\":\"gpu\",\"value\":\"y\",\"effect\":\"NoExecute\"}]},\"status\":{" READY "}}", 0, 0, 0, 0, SCH_TAINT},
	{"{\"spec\":{}}", "{\"metadata\":{\"name\":\"n\"},\"spec\":{\"taints\":[{\"key\":\"soft\",\"effect\":\"PreferNoSchedule\"}]},\"status\":{" READY "}}", 0, 0, 0, 0, SCH_FIT},
	{"{\"spec\":{\"containers\":[{\"name\":\"a\",\"ports\":[{\"containerPort\":80,\"hostPort\":8080}]}]}}", NODE4, 0, 0, 0, 8080, SCH_PORTS},
	{"{\"spec\":{\"containers\":[{\"name\":\"a\",\"ports\":[{\"containerPort\":80,\"hostPort\":8081}]}]}}", NODE4, 0, 0, 0, 8080, SCH_FIT},
};

START_TEST(filter_table)
{
	struct cm_pod *p = pod(cases[_i].pod);
	struct cm_node *n = node(cases[_i].node);
	int port = cases[_i].used_port;
	struct sch_node_usage use = {cases[_i].used_cpu, cases[_i].used_mem_mi * 1024 * 1024 * 1000,
				     cases[_i].used_pods, port ? &port : NULL, port ? 1 : 0};

	ck_assert_msg(sch_filter(p, n, &use, NULL) == cases[_i].want, "case %d: got %d want %d", _i,
		      sch_filter(p, n, &use, NULL), cases[_i].want);
	cm_pod_free(p);
	cm_node_free(n);
}
END_TEST

START_TEST(score_prefers_free_and_spread)
{
	struct cm_pod *p = pod("{\"metadata\":{\"name\":\"x\",\"ownerReferences\":[{\"uid\":\"rs1\",\"controller\":true}]},"
			       "\"spec\":{" REQ("1", "1Gi") "}}");
	struct cm_node *n = node(NODE4);
	struct sch_node_usage empty = {0}, busy = {2000, 0, 1, NULL, 0};

	ck_assert_int_gt(sch_score(p, n, &empty, 0, 1), sch_score(p, n, &busy, 0, 1));
	ck_assert_int_gt(sch_score(p, n, &empty, 0, 2), sch_score(p, n, &empty, 2, 2));
	cm_pod_free(p);
	cm_node_free(n);
}
END_TEST

START_TEST(fit_error_message_as_kubernetes)
{
	size_t counts[SCH_NREASONS] = {0};
	struct cm_taint t = {"dedicated", "gpu", "NoSchedule"};
	struct cm_buf out = CM_BUF_INIT;

	counts[SCH_CPU] = 2;
	counts[SCH_TAINT] = 1;
	ck_assert_int_eq(sch_fit_error(3, counts, &t, &out), 0);
	ck_assert_str_eq(out.data,
			 "0/3 nodes are available: 1 node(s) had untolerated taint {dedicated: gpu}, 2 Insufficient cpu.");
	cm_buf_close(&out);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("sch_filter");
	TCase *tc = tcase_create("core");
	tcase_add_loop_test(tc, filter_table, 0, sizeof(cases) / sizeof(cases[0]));
	tcase_add_test(tc, score_prefers_free_and_spread);
	tcase_add_test(tc, fit_error_message_as_kubernetes);
	suite_add_tcase(s, tc);
	return check_run(s);
}
