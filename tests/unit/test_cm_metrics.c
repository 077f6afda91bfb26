/* test_cm_metrics.c: counters, gauges, histograms and the Prometheus text they render to. */
#include <check.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/metrics.h"
#include "tests/lib/check_run.h"

static struct cm_metrics *reg;
static struct cm_buf out;

static void setup(void)
{
	ck_assert_int_eq(cm_metrics_new(&reg), 0);
	cm_buf_init(&out);
}

static void teardown(void)
{
	cm_metrics_free(reg);
	cm_buf_close(&out);
}

static const char *render(void)
{
	cm_buf_reset(&out);
	ck_assert_int_eq(cm_metrics_render(reg, &out), 0);
	return out.data;
}

START_TEST(test_empty)
{
	ck_assert_str_eq(render(), "");
}
END_TEST

START_TEST(test_counter)
{
	struct cm_metric *c = cm_metrics_counter(reg, "requests_total", "Requests served.", NULL);

	ck_assert_ptr_nonnull(c);
	cm_metric_inc(c);
	cm_metric_add(c, 2.5);
	cm_metric_add(c, -10); /* counters never go down */
	ck_assert(cm_metric_value(c) == 3.5);
	ck_assert_str_eq(render(), "# HELP requests_total Requests served.\n"
				   "# TYPE requests_total counter\n"
				   "requests_total 3.5\n");
}
END_TEST

START_TEST(test_series_by_labels)
{
	struct cm_metric *a = cm_metrics_counter(reg, "http_requests_total", "Requests.",
						 "verb=\"GET\",code=\"200\"");
	struct cm_metric *b = cm_metrics_counter(reg, "http_requests_total", "Requests.",
						 "verb=\"PUT\",code=\"409\"");

	ck_assert_ptr_ne(a, b);
	ck_assert_ptr_eq(cm_metrics_counter(reg, "http_requests_total", "Requests.",
					    "verb=\"GET\",code=\"200\""),
			 a);
	cm_metric_inc(a);
	cm_metric_inc(a);
	cm_metric_inc(b);
	ck_assert_str_eq(render(), "# HELP http_requests_total Requests.\n"
				   "# TYPE http_requests_total counter\n"
				   "http_requests_total{verb=\"GET\",code=\"200\"} 2\n"
				   "http_requests_total{verb=\"PUT\",code=\"409\"} 1\n");
}
END_TEST

START_TEST(test_gauge)
{
	struct cm_metric *g = cm_metrics_gauge(reg, "watchers", "Open watches.", NULL);

	cm_metric_set(g, 10);
	cm_metric_add(g, -3);
	cm_metric_inc(g);
	ck_assert(cm_metric_value(g) == 8);
	cm_metric_set(g, 0.25);
	ck_assert_str_eq(render(), "# HELP watchers Open watches.\n"
				   "# TYPE watchers gauge\n"
				   "watchers 0.25\n");
}
END_TEST

START_TEST(test_histogram_custom)
{
	static const double b[] = {0.1, 1, 10};
	struct cm_metric *h = cm_metrics_histogram(reg, "lat_seconds", "Latency.",
						   "op=\"put\"", b, 3);

	cm_metric_observe(h, 0.05);
	cm_metric_observe(h, 0.1); /* le is inclusive */
	cm_metric_observe(h, 5);
	cm_metric_observe(h, 100);
	ck_assert(cm_metric_value(h) == 4);
	ck_assert_str_eq(render(), "# HELP lat_seconds Latency.\n"
				   "# TYPE lat_seconds histogram\n"
				   "lat_seconds_bucket{op=\"put\",le=\"0.1\"} 2\n"
				   "lat_seconds_bucket{op=\"put\",le=\"1\"} 2\n"
				   "lat_seconds_bucket{op=\"put\",le=\"10\"} 3\n"
				   "lat_seconds_bucket{op=\"put\",le=\"+Inf\"} 4\n"
				   "lat_seconds_sum{op=\"put\"} 105.15\n"
				   "lat_seconds_count{op=\"put\"} 4\n");
}
END_TEST

START_TEST(test_histogram_default_buckets)
{
	struct cm_metric *h = cm_metrics_histogram(reg, "d_seconds", "D.", NULL, NULL, 0);

	cm_metric_observe(h, 0.003);
	ck_assert_str_eq(render(), "# HELP d_seconds D.\n"
				   "# TYPE d_seconds histogram\n"
				   "d_seconds_bucket{le=\"0.0005\"} 0\n"
				   "d_seconds_bucket{le=\"0.001\"} 0\n"
				   "d_seconds_bucket{le=\"0.0025\"} 0\n"
				   "d_seconds_bucket{le=\"0.005\"} 1\n"
				   "d_seconds_bucket{le=\"0.01\"} 1\n"
				   "d_seconds_bucket{le=\"0.025\"} 1\n"
				   "d_seconds_bucket{le=\"0.05\"} 1\n"
				   "d_seconds_bucket{le=\"0.1\"} 1\n"
				   "d_seconds_bucket{le=\"0.25\"} 1\n"
				   "d_seconds_bucket{le=\"0.5\"} 1\n"
				   "d_seconds_bucket{le=\"1\"} 1\n"
				   "d_seconds_bucket{le=\"2.5\"} 1\n"
				   "d_seconds_bucket{le=\"5\"} 1\n"
				   "d_seconds_bucket{le=\"10\"} 1\n"
				   "d_seconds_bucket{le=\"+Inf\"} 1\n"
				   "d_seconds_sum 0.003\n"
				   "d_seconds_count 1\n");
}
END_TEST

START_TEST(test_help_type_once_per_name)
{
	cm_metric_inc(cm_metrics_counter(reg, "a_total", "A.", "x=\"1\""));
	cm_metric_set(cm_metrics_gauge(reg, "b", "B.", NULL), 2);
	cm_metric_inc(cm_metrics_counter(reg, "a_total", "ignored later help", "x=\"2\""));
	ck_assert_str_eq(render(), "# HELP a_total A.\n"
				   "# TYPE a_total counter\n"
				   "a_total{x=\"1\"} 1\n"
				   "a_total{x=\"2\"} 1\n"
				   "# HELP b B.\n"
				   "# TYPE b gauge\n"
				   "b 2\n");
}
END_TEST

START_TEST(test_type_clash)
{
	ck_assert_ptr_nonnull(cm_metrics_counter(reg, "x", "X.", NULL));
	ck_assert_ptr_null(cm_metrics_gauge(reg, "x", "X.", NULL));
	ck_assert_ptr_null(cm_metrics_gauge(reg, "x", "X.", "l=\"1\""));
	ck_assert_ptr_null(cm_metrics_histogram(reg, "x", "X.", NULL, NULL, 0));
}
END_TEST

START_TEST(test_bad_buckets)
{
	static const double b[] = {1, 0.5};

	ck_assert_ptr_null(cm_metrics_histogram(reg, "h", "H.", NULL, b, 2));
}
END_TEST

START_TEST(test_null_safe)
{
	cm_metric_inc(NULL);
	cm_metric_add(NULL, 1);
	cm_metric_set(NULL, 1);
	cm_metric_observe(NULL, 1);
	ck_assert(cm_metric_value(NULL) == 0);
	cm_metrics_free(NULL);
}
END_TEST

START_TEST(test_wrong_operation_ignored)
{
	struct cm_metric *c = cm_metrics_counter(reg, "c_total", "C.", NULL);
	struct cm_metric *h = cm_metrics_histogram(reg, "h", "H.", NULL, NULL, 0);

	cm_metric_set(c, 100); /* only gauges are set */
	cm_metric_observe(c, 1);
	cm_metric_inc(h);
	ck_assert(cm_metric_value(c) == 0);
	ck_assert(cm_metric_value(h) == 0);
}
END_TEST

START_TEST(test_help_escaped_and_numbers)
{
	struct cm_metric *g = cm_metrics_gauge(reg, "g", "line\\one\ntwo", NULL);

	cm_metric_set(g, 1e21);
	ck_assert_str_eq(render(), "# HELP g line\\\\one\\ntwo\n"
				   "# TYPE g gauge\n"
				   "g 1e+21\n");
	cm_metric_set(g, 0.1);
	ck_assert_ptr_nonnull(strstr(render(), "\ng 0.1\n"));
	cm_metric_set(g, -INFINITY);
	ck_assert_ptr_nonnull(strstr(render(), "\ng -Inf\n"));
}
END_TEST

START_TEST(test_many_series)
{
	char labels[32];

	for (int i = 0; i < 500; i++) {
		snprintf(labels, sizeof(labels), "i=\"%d\"", i);
		cm_metric_add(cm_metrics_counter(reg, "many_total", "M.", labels), i);
	}
	for (int i = 0; i < 500; i++) {
		snprintf(labels, sizeof(labels), "i=\"%d\"", i);
		ck_assert(cm_metric_value(cm_metrics_counter(reg, "many_total", "M.", labels)) == i);
	}
	ck_assert_ptr_nonnull(strstr(render(), "\nmany_total{i=\"499\"} 499\n"));
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("cm_metrics");
	TCase *tc = tcase_create("metrics");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_empty);
	tcase_add_test(tc, test_counter);
	tcase_add_test(tc, test_series_by_labels);
	tcase_add_test(tc, test_gauge);
	tcase_add_test(tc, test_histogram_custom);
	tcase_add_test(tc, test_histogram_default_buckets);
	tcase_add_test(tc, test_help_type_once_per_name);
	tcase_add_test(tc, test_type_clash);
	tcase_add_test(tc, test_bad_buckets);
	tcase_add_test(tc, test_null_safe);
	tcase_add_test(tc, test_wrong_operation_ignored);
	tcase_add_test(tc, test_help_escaped_and_numbers);
	tcase_add_test(tc, test_many_series);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return check_run(suite());
}
