/* test_mc_podres.c: a pod's requests and limits of a resource, totalled as kubectl describe node does. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "common/json.h"
#include "ctl/podres.h"
#include "tests/lib/check_run.h"

static cJSON *pod;
static struct cm_buf out;

static void teardown(void)
{
	cJSON_Delete(pod);
	pod = NULL;
	cm_buf_close(&out);
}

static void set_pod(const char *text)
{
	cJSON_Delete(pod);
	pod = NULL;
	ck_assert_int_eq(cm_json_parse(text, strlen(text), &pod, NULL), 0);
}

/* The total as kubectl prints it. */
static const char *total(const char *which, const char *name)
{
	struct mc_qty q = mc_pod_resource(pod, which, name);

	cm_buf_reset(&out);
	ck_assert_int_eq(mc_qty_format(&q, &out), 0);
	return out.data;
}

START_TEST(test_containers_summed_in_the_first_format)
{
	set_pod("{\"spec\":{\"containers\":["
		"{\"resources\":{\"requests\":{\"cpu\":\"100m\",\"memory\":\"64Mi\"},\"limits\":{\"memory\":\"128Mi\"}}},"
		"{\"resources\":{\"requests\":{\"cpu\":\"0.25\",\"memory\":\"100M\"},\"limits\":{\"memory\":\"1Gi\"}}},"
		"{}]}}");
	ck_assert_str_eq(total("requests", "cpu"), "350m");
	ck_assert_str_eq(total("requests", "memory"), "167108864"); /* binary, not a whole Ki: a plain number */
	ck_assert_str_eq(total("limits", "memory"), "1152Mi");
	ck_assert_str_eq(total("limits", "cpu"), "0");
	ck_assert(!mc_pod_resource(pod, "limits", "cpu").set);
}
END_TEST

START_TEST(test_init_containers_and_sidecars)
{
	set_pod("{\"spec\":{\"containers\":[{\"resources\":{\"requests\":{\"cpu\":\"500m\",\"example.com/gpu\":\"1\"}}}],"
		"\"initContainers\":["
		"{\"restartPolicy\":\"Always\",\"resources\":{\"requests\":{\"cpu\":\"200m\"}}},"
		"{\"resources\":{\"requests\":{\"cpu\":\"1\",\"example.com/gpu\":\"2\"}}},"
		"{\"resources\":{\"requests\":{\"cpu\":\"300m\"}}}]}}");
	/* containers 500m + sidecar 200m = 700m; the largest init 1 + the sidecar before it = 1200m */
	ck_assert_str_eq(total("requests", "cpu"), "1200m");
	ck_assert_str_eq(total("requests", "example.com/gpu"), "2");
}
END_TEST

START_TEST(test_overhead)
{
	set_pod("{\"spec\":{\"overhead\":{\"cpu\":\"50m\",\"memory\":\"1Mi\"},"
		"\"containers\":[{\"resources\":{\"requests\":{\"cpu\":\"100m\"},\"limits\":{\"cpu\":\"1\"}}}]}}");
	ck_assert_str_eq(total("requests", "cpu"), "150m");
	ck_assert_str_eq(total("requests", "memory"), "1Mi");
	ck_assert_str_eq(total("limits", "cpu"), "1050m");
	ck_assert_str_eq(total("limits", "memory"), "0"); /* no limit set: overhead does not make one */
}
END_TEST

START_TEST(test_value_rounds_up)
{
	struct mc_qty q;

	ck_assert_int_eq(mc_qty_parse("1500m", &q), 0);
	ck_assert_int_eq(mc_qty_value(&q), 2);
	ck_assert_int_eq(mc_qty_parse("3917012Ki", &q), 0);
	ck_assert_int_eq(mc_qty_value(&q), 3917012LL * 1024);
	ck_assert_int_eq(q.fmt, CM_QFMT_BINARY);
	ck_assert_int_ne(mc_qty_parse("lots", &q), 0);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("mc_podres");
	TCase *tc = tcase_create("core");
	tcase_add_checked_fixture(tc, NULL, teardown);
	tcase_add_test(tc, test_containers_summed_in_the_first_format);
	tcase_add_test(tc, test_init_containers_and_sidecars);
	tcase_add_test(tc, test_overhead);
	tcase_add_test(tc, test_value_rounds_up);
	suite_add_tcase(s, tc);
	return check_run(s);
}
