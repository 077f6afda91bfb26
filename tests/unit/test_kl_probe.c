/* test_kl_probe.c: probe spec parsing, when probes run, thresholds, and the restart back-off. */
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/json.h"
#include "kubelet/probe.h"
#include "tests/lib/check_run.h"

static cJSON *J(const char *text)
{
	cJSON *j = NULL;

	ck_assert_int_eq(cm_json_parse(text, strlen(text), &j, NULL), 0);
	return j;
}

START_TEST(test_parse_http_defaults)
{
	cJSON *p = J("{\"httpGet\":{\"path\":\"/healthz\",\"port\":8080}}");
	struct kl_probe_spec s;

	ck_assert_int_eq(kl_probe_spec_parse(p, NULL, &s), 0);
	ck_assert_int_eq(s.kind, KL_PROBE_HTTP);
	ck_assert_int_eq(s.port, 8080);
	ck_assert_str_eq(s.path, "/healthz");
	ck_assert_int_eq(s.period_ms, 10000);
	ck_assert_int_eq(s.timeout_ms, 1000);
	ck_assert_int_eq(s.failure_threshold, 3);
	ck_assert_int_eq(s.success_threshold, 1);
	cJSON_Delete(p);
}
END_TEST

START_TEST(test_parse_named_port_and_timing)
{
	cJSON *ports = J("[{\"name\":\"http\",\"containerPort\":9000}]");
	cJSON *p = J("{\"tcpSocket\":{\"port\":\"http\"},\"initialDelaySeconds\":2,\"periodSeconds\":1,"
		     "\"timeoutSeconds\":3,\"failureThreshold\":5,\"successThreshold\":2}");
	cJSON *bad = J("{\"tcpSocket\":{\"port\":\"nope\"}}"), *none = J("{\"periodSeconds\":1}");
	struct kl_probe_spec s;

	ck_assert_int_eq(kl_probe_spec_parse(p, ports, &s), 0);
	ck_assert_int_eq(s.kind, KL_PROBE_TCP);
	ck_assert_int_eq(s.port, 9000);
	ck_assert_int_eq(s.initial_delay_ms, 2000);
	ck_assert_int_eq(s.period_ms, 1000);
	ck_assert_int_eq(s.timeout_ms, 3000);
	ck_assert_int_eq(s.failure_threshold, 5);
	ck_assert_int_eq(s.success_threshold, 2);
	ck_assert_int_eq(kl_probe_spec_parse(bad, ports, &s), -EINVAL);
	ck_assert_int_eq(kl_probe_spec_parse(none, ports, &s), -EINVAL);
	ck_assert_int_eq(kl_probe_spec_parse(NULL, ports, &s), -ENOENT);
	cJSON_Delete(p);
	cJSON_Delete(bad);
	cJSON_Delete(none);
	cJSON_Delete(ports);
}
END_TEST

START_TEST(test_parse_exec)
{
	cJSON *p = J("{\"exec\":{\"command\":[\"cat\",\"/tmp/ok\"]}}");
	struct kl_probe_spec s;

	ck_assert_int_eq(kl_probe_spec_parse(p, NULL, &s), 0);
	ck_assert_int_eq(s.kind, KL_PROBE_EXEC);
	ck_assert_int_eq(cJSON_GetArraySize(s.command), 2);
	cJSON_Delete(p);
}
END_TEST

START_TEST(test_due_initial_delay_then_period)
{
	struct kl_probe_spec s = {.kind = KL_PROBE_TCP, .initial_delay_ms = 5000, .period_ms = 1000,
				  .success_threshold = 1, .failure_threshold = 3};
	struct kl_probe_state st;

	kl_probe_state_reset(&st);
	ck_assert(!kl_probe_due(&s, &st, 1000, 5999));
	ck_assert(kl_probe_due(&s, &st, 1000, 6000));
	kl_probe_record(&s, &st, true, 6000);
	ck_assert(!kl_probe_due(&s, &st, 1000, 6999));
	ck_assert(kl_probe_due(&s, &st, 1000, 7000));
	s.kind = KL_PROBE_NONE;
	ck_assert(!kl_probe_due(&s, &st, 1000, 99999));
}
END_TEST

START_TEST(test_failure_threshold)
{
	struct kl_probe_spec s = {.kind = KL_PROBE_HTTP, .period_ms = 1000, .success_threshold = 1,
				  .failure_threshold = 3};
	struct kl_probe_state st;

	kl_probe_state_reset(&st);
	ck_assert(kl_probe_record(&s, &st, true, 1));
	ck_assert_int_eq(st.result, KL_PROBE_SUCCESS);
	ck_assert(!kl_probe_record(&s, &st, false, 2));
	ck_assert(!kl_probe_record(&s, &st, false, 3));
	ck_assert_int_eq(st.result, KL_PROBE_SUCCESS);
	ck_assert(kl_probe_record(&s, &st, false, 4));
	ck_assert_int_eq(st.result, KL_PROBE_FAILURE);
}
END_TEST

START_TEST(test_success_threshold_and_reset_by_failure)
{
	struct kl_probe_spec s = {.kind = KL_PROBE_HTTP, .period_ms = 1000, .success_threshold = 2,
				  .failure_threshold = 1};
	struct kl_probe_state st;

	kl_probe_state_reset(&st);
	ck_assert(!kl_probe_record(&s, &st, true, 1));
	ck_assert_int_eq(st.result, KL_PROBE_UNKNOWN);
	ck_assert(kl_probe_record(&s, &st, false, 2));
	ck_assert_int_eq(st.result, KL_PROBE_FAILURE);
	ck_assert(!kl_probe_record(&s, &st, true, 3));
	ck_assert(kl_probe_record(&s, &st, true, 4));
	ck_assert_int_eq(st.result, KL_PROBE_SUCCESS);
}
END_TEST

START_TEST(test_backoff_doubles_to_cap)
{
	ck_assert_int_eq(kl_backoff_delay(0, 10000, 300000), 0);
	ck_assert_int_eq(kl_backoff_delay(1, 10000, 300000), 10000);
	ck_assert_int_eq(kl_backoff_delay(2, 10000, 300000), 20000);
	ck_assert_int_eq(kl_backoff_delay(5, 10000, 300000), 160000);
	ck_assert_int_eq(kl_backoff_delay(6, 10000, 300000), 300000);
	ck_assert_int_eq(kl_backoff_delay(1000, 10000, 300000), 300000);
}
END_TEST

START_TEST(test_image_backoff_is_kubernetes_10s_to_5min)
{
	static const int64_t want[] = {10000, 20000, 40000, 80000, 160000, 300000, 300000};

	ck_assert_int_eq(kl_image_backoff_delay(0), 0);
	for (int i = 0; i < (int)(sizeof(want) / sizeof(want[0])); i++)
		ck_assert_int_eq(kl_image_backoff_delay(i + 1), want[i]);
	ck_assert_int_eq(kl_image_backoff_delay(1 << 30), 300000);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("kl_probe");
	TCase *tc = tcase_create("probe");

	tcase_add_test(tc, test_parse_http_defaults);
	tcase_add_test(tc, test_parse_named_port_and_timing);
	tcase_add_test(tc, test_parse_exec);
	tcase_add_test(tc, test_due_initial_delay_then_period);
	tcase_add_test(tc, test_failure_threshold);
	tcase_add_test(tc, test_success_threshold_and_reset_by_failure);
	tcase_add_test(tc, test_backoff_doubles_to_cap);
	tcase_add_test(tc, test_image_backoff_is_kubernetes_10s_to_5min);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return check_run(suite());
}
