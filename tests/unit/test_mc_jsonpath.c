/* test_mc_jsonpath.c: the JSONPath templates of kubectl -o jsonpath and --sort-by. */
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ctl/jsonpath.h"
#include "tests/lib/check_run.h"

static struct cm_buf out, err;
static cJSON *data;

static const char list[] =
	"{\"kind\":\"List\",\"items\":["
	"{\"metadata\":{\"name\":\"a\",\"labels\":{\"app.kubernetes.io/name\":\"x\"}},\"spec\":{\"replicas\":1},"
	"\"status\":{\"podIP\":\"10.0.0.1\",\"conditions\":[{\"type\":\"Ready\",\"status\":\"True\"}]}},"
	"{\"metadata\":{\"name\":\"b\"},\"spec\":{\"replicas\":3},\"status\":{\"podIP\":\"10.0.0.2\"}}]}";

static void setup(void)
{
	cm_buf_init(&out);
	cm_buf_init(&err);
	data = cJSON_Parse(list);
}

static void teardown(void)
{
	cm_buf_close(&out);
	cm_buf_close(&err);
	cJSON_Delete(data);
}

#define RUNS(tmpl, want)                                                                  \
	do {                                                                              \
		cm_buf_reset(&out);                                                       \
		ck_assert_int_eq(mc_jsonpath_exec(tmpl, data, &out, &err), 0);            \
		ck_assert_str_eq(out.data ? out.data : "", want);                          \
	} while (0)

#define FAILS(tmpl, msg)                                                                  \
	do {                                                                              \
		cm_buf_reset(&err);                                                       \
		ck_assert_int_eq(mc_jsonpath_exec(tmpl, data, &out, &err), -EINVAL);      \
		ck_assert_msg(strstr(err.data, msg) != NULL, "error was %s", err.data);   \
	} while (0)

START_TEST(test_fields_and_wildcards)
{
	RUNS("{.items[*].metadata.name}", "a b");
	RUNS("{.items[0].status.podIP}", "10.0.0.1");
	RUNS("{.items[-1].spec.replicas}", "3");
	RUNS("{.items[0:1].metadata.name}", "a");
	RUNS("{.kind}", "List");
	RUNS("{$.kind}", "List");
	RUNS("names: {.items[*].metadata.name}!", "names: a b!");
	RUNS("{.items[1].spec}", "{\"replicas\":3}");
}
END_TEST

START_TEST(test_range_and_literals)
{
	RUNS("{range .items[*]}{.metadata.name}{\"\\t\"}{.spec.replicas}{\"\\n\"}{end}", "a\t1\nb\t3\n");
	RUNS("{range .items[*]}[{.metadata.name}]{end}", "[a][b]");
}
END_TEST

START_TEST(test_filters_and_escaped_keys)
{
	RUNS("{.items[?(@.metadata.name==\"b\")].spec.replicas}", "3");
	RUNS("{.items[?(@.spec.replicas>1)].metadata.name}", "b");
	RUNS("{.items[0].status.conditions[?(@.type==\"Ready\")].status}", "True");
	RUNS("{.items[0].metadata.labels.app\\.kubernetes\\.io/name}", "x");
	RUNS("{.items[0].metadata.labels['app.kubernetes.io/name']}", "x");
}
END_TEST

START_TEST(test_errors)
{
	FAILS("{.nope}", "nope is not found");
	FAILS("{.items[5]}", "out of bounds");
	FAILS("{.kind", "unclosed action");
	FAILS("{range .items[*]}{.kind}", "range without end");
}
END_TEST

START_TEST(test_first_for_sort_by)
{
	const cJSON *item = cJSON_GetArrayItem(cJSON_GetObjectItem(data, "items"), 1);

	ck_assert_int_eq(mc_jsonpath_first(".spec.replicas", item)->valueint, 3);
	ck_assert_str_eq(mc_jsonpath_first("{.metadata.name}", item)->valuestring, "b");
	ck_assert_ptr_null(mc_jsonpath_first(".metadata.missing", item));
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("mc_jsonpath");
	TCase *tc = tcase_create("jsonpath");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_fields_and_wildcards);
	tcase_add_test(tc, test_range_and_literals);
	tcase_add_test(tc, test_filters_and_escaped_keys);
	tcase_add_test(tc, test_errors);
	tcase_add_test(tc, test_first_for_sort_by);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return check_run(suite());
}
