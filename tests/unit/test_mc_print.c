/* test_mc_print.c: kubectl's table alignment, AGE strings, Go-style JSON, describe's tab alignment, label strings. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "common/json.h"
#include "ctl/print.h"
#include "tests/lib/check_run.h"

static struct cm_buf out;

static void setup(void)
{
	cm_buf_init(&out);
}

static void teardown(void)
{
	cm_buf_close(&out);
}

#define AGE(secs, want)                                      \
	do {                                                 \
		char a_[32];                                 \
		mc_age_format(secs, a_, sizeof(a_));         \
		ck_assert_str_eq(a_, want);                  \
	} while (0)

START_TEST(test_age_like_human_duration)
{
	AGE(-5, "0s");
	AGE(0, "0s");
	AGE(119, "119s");
	AGE(120, "2m");
	AGE(150, "2m30s");
	AGE(599, "9m59s");
	AGE(600, "10m");
	AGE(3 * 3600 - 1, "179m");
	AGE(3 * 3600, "3h");
	AGE(3 * 3600 + 1800, "3h30m");
	AGE(8 * 3600, "8h");
	AGE(47 * 3600, "47h");
	AGE(48 * 3600, "2d");
	AGE(53 * 3600, "2d5h");
	AGE(8 * 86400, "8d");
	AGE(729LL * 86400, "729d");
	AGE(730LL * 86400, "2y");
	AGE(740LL * 86400, "2y10d");
	AGE(9LL * 365 * 86400, "9y");
}
END_TEST

START_TEST(test_age_of_object)
{
	cJSON *o = cJSON_Parse("{\"metadata\":{\"creationTimestamp\":\"2026-01-01T00:00:00Z\"}}");
	char a[32];
	int64_t t0 = 1767225600000LL; /* 2026-01-01T00:00:00Z */

	mc_age_of(o, t0 + 90 * 1000, a, sizeof(a));
	ck_assert_str_eq(a, "90s");
	mc_age_of(NULL, t0, a, sizeof(a));
	ck_assert_str_eq(a, "<unknown>");
	cJSON_Delete(o);
}
END_TEST

START_TEST(test_table_aligns_like_tabwriter)
{
	struct mc_table t;

	ck_assert_int_eq(mc_table_init(&t, 3), 0);
	mc_table_add(&t, (const char *[]){"NAME", "READY", "AGE"});
	mc_table_add(&t, (const char *[]){"nginx-7d9", "1/1", "5s"});
	mc_table_add(&t, (const char *[]){"a", NULL, "10m"});
	ck_assert_int_eq(mc_table_flush(&t, &out), 0);
	ck_assert_str_eq(out.data, "NAME        READY   AGE\n"
				   "nginx-7d9   1/1     5s\n"
				   "a                   10m\n");
	/* widths are remembered: a later narrow row lines up with the header */
	cm_buf_reset(&out);
	mc_table_add(&t, (const char *[]){"b", "0/1", "1s"});
	mc_table_flush(&t, &out);
	ck_assert_str_eq(out.data, "b           0/1     1s\n");
	mc_table_close(&t);
}
END_TEST

START_TEST(test_table_min_width)
{
	struct mc_table t;

	mc_table_init(&t, 2);
	mc_table_add(&t, (const char *[]){"A", "B"});
	mc_table_flush(&t, &out);
	ck_assert_str_eq(out.data, "A     B\n");
	mc_table_close(&t);
}
END_TEST

START_TEST(test_json_pretty_like_go)
{
	cJSON *j = cJSON_Parse("{\"b\":1,\"a\":[],\"c\":{\"x\":\"<&>\",\"y\":[true,null,1.5]},\"d\":{}}");

	ck_assert_int_eq(mc_json_pretty(j, &out), 0);
	ck_assert_str_eq(out.data, "{\n"
				   "    \"a\": [],\n"
				   "    \"b\": 1,\n"
				   "    \"c\": {\n"
				   "        \"x\": \"\\u003c\\u0026\\u003e\",\n"
				   "        \"y\": [\n"
				   "            true,\n"
				   "            null,\n"
				   "            1.5\n"
				   "        ]\n"
				   "    },\n"
				   "    \"d\": {}\n"
				   "}\n");
	cm_buf_reset(&out);
	ck_assert_int_eq(mc_json_compact(j, &out), 0);
	ck_assert_str_eq(out.data, "{\"a\":[],\"b\":1,\"c\":{\"x\":\"\\u003c\\u0026\\u003e\",\"y\":[true,null,1.5]},\"d\":{}}");
	cJSON_Delete(j);
}
END_TEST

START_TEST(test_tabwrite_blocks)
{
	ck_assert_int_eq(mc_tabwrite("Name:\tx\nNamespace:\tdefault\nContainers:\n  web:\n    Image:\tnginx\n    Port:\t80/TCP\n", &out), 0);
	ck_assert_str_eq(out.data, "Name:       x\n"
				   "Namespace:  default\n"
				   "Containers:\n"
				   "  web:\n"
				   "    Image:  nginx\n"
				   "    Port:   80/TCP\n");
}
END_TEST

START_TEST(test_labels_string)
{
	cJSON *o = cJSON_Parse("{\"metadata\":{\"labels\":{\"tier\":\"fe\",\"app\":\"web\"}}}");

	mc_labels_string(o, &out);
	ck_assert_str_eq(out.data, "app=web,tier=fe");
	cm_buf_reset(&out);
	mc_labels_string(NULL, &out);
	ck_assert_str_eq(out.data, "<none>");
	cJSON_Delete(o);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("mc_print");
	TCase *tc = tcase_create("print");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_age_like_human_duration);
	tcase_add_test(tc, test_age_of_object);
	tcase_add_test(tc, test_table_aligns_like_tabwriter);
	tcase_add_test(tc, test_table_min_width);
	tcase_add_test(tc, test_json_pretty_like_go);
	tcase_add_test(tc, test_tabwrite_blocks);
	tcase_add_test(tc, test_labels_string);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return check_run(suite());
}
