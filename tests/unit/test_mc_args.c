/* test_mc_args.c: kubectl's flag syntax (pflag): long and short forms, -ojson, grouped booleans, "--", errors. */
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ctl/args.h"
#include "tests/lib/check_run.h"

static const char *ns, *output;
static bool all, watch;
static long replicas;
static struct mc_strv files, pos, dash;
static struct cm_buf err;
static const struct mc_flag flags[] = {
	{"namespace", 'n', MC_FLAG_STRING, &ns, NULL, "ns"},
	{"output", 'o', MC_FLAG_STRING, &output, NULL, "out"},
	{"all-namespaces", 'A', MC_FLAG_BOOL, &all, NULL, "all"},
	{"watch", 'w', MC_FLAG_BOOL, &watch, NULL, "watch"},
	{"replicas", 0, MC_FLAG_INT, &replicas, "0", "n"},
	{"filename", 'f', MC_FLAG_ARRAY, &files, "[]", "files"},
};

static int parse(int argc, char **argv)
{
	const struct mc_flag *t[1] = {flags};
	size_t n[1] = {sizeof(flags) / sizeof(flags[0])};

	ns = output = NULL;
	all = watch = false;
	replicas = 0;
	mc_strv_close(&files);
	mc_strv_close(&pos);
	mc_strv_close(&dash);
	cm_buf_reset(&err);
	return mc_args_parse(t, n, 1, argc, argv, &pos, &dash, &err);
}

#define PARSE(...)                                                      \
	({                                                              \
		char *argv_[] = {__VA_ARGS__};                          \
		parse((int)(sizeof(argv_) / sizeof(argv_[0])), argv_);  \
	})

START_TEST(test_forms)
{
	ck_assert_int_eq(PARSE("get", "-n", "kube-system", "pods", "-ojson", "-Aw", "--replicas=3"), 0);
	ck_assert_str_eq(ns, "kube-system");
	ck_assert_str_eq(output, "json");
	ck_assert(all && watch);
	ck_assert_int_eq(replicas, 3);
	ck_assert_uint_eq(pos.n, 2);
	ck_assert_str_eq(pos.v[0], "get");
	ck_assert_str_eq(pos.v[1], "pods");
	ck_assert_int_eq(PARSE("--namespace", "x", "-o=yaml", "--watch=false", "-f", "a.yaml", "--filename=b"), 0);
	ck_assert_str_eq(ns, "x");
	ck_assert_str_eq(output, "yaml");
	ck_assert(!watch);
	ck_assert_uint_eq(files.n, 2);
	ck_assert_str_eq(files.v[1], "b");
}
END_TEST

START_TEST(test_dash_dash)
{
	ck_assert_int_eq(PARSE("run", "bb", "--", "sleep", "-n", "3"), 0);
	ck_assert_uint_eq(pos.n, 2);
	ck_assert_uint_eq(dash.n, 3);
	ck_assert_str_eq(dash.v[1], "-n");
	ck_assert_ptr_null(ns);
}
END_TEST

START_TEST(test_errors_and_help)
{
	ck_assert_int_eq(PARSE("--nope"), -EINVAL);
	ck_assert_str_eq(err.data, "unknown flag: --nope");
	ck_assert_int_eq(PARSE("-x"), -EINVAL);
	ck_assert_str_eq(err.data, "unknown shorthand flag: 'x' in -x");
	ck_assert_int_eq(PARSE("-n"), -EINVAL);
	ck_assert_str_eq(err.data, "flag needs an argument: 'n' in -n");
	ck_assert_int_eq(PARSE("--replicas=many"), -EINVAL);
	ck_assert_str_eq(err.data, "invalid argument \"many\" for \"--replicas\" flag");
	ck_assert_int_eq(PARSE("get", "--help"), 1);
	ck_assert_int_eq(PARSE("-h"), 1);
}
END_TEST

START_TEST(test_usage_text)
{
	struct cm_buf u = CM_BUF_INIT;

	mc_args_usage(flags, 2, &u);
	ck_assert_str_eq(u.data, "    -n, --namespace='':\n\tns\n\n    -o, --output='':\n\tout\n\n");
	cm_buf_close(&u);
}
END_TEST

static void teardown(void)
{
	mc_strv_close(&files);
	mc_strv_close(&pos);
	mc_strv_close(&dash);
	cm_buf_close(&err);
}

static Suite *suite(void)
{
	Suite *s = suite_create("mc_args");
	TCase *tc = tcase_create("args");

	tcase_add_checked_fixture(tc, NULL, teardown);
	tcase_add_test(tc, test_forms);
	tcase_add_test(tc, test_dash_dash);
	tcase_add_test(tc, test_errors_and_help);
	tcase_add_test(tc, test_usage_text);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return check_run(suite());
}
