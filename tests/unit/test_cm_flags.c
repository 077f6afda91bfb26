/* test_cm_flags.c: flag syntaxes, positional arguments, errors, lists and --help text. */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/flags.h"
#include "tests/lib/check_run.h"

static const char *name;
static const char *dir;
static int port;
static int64_t big;
static int64_t timeout;
static bool verbose;
static struct cm_strlist peers;
static const char *default_peers[] = {"a:1", "b:2"};
static struct cm_buf err;

static const struct cm_flag table[] = {
	{"name", CM_FLAG_STRING, &name, "member name"},
	{"data-dir", CM_FLAG_STRING, &dir, "where data lives"},
	{"port", CM_FLAG_INT, &port, "port to listen on"},
	{"big", CM_FLAG_INT64, &big, "a large number"},
	{"timeout", CM_FLAG_DURATION, &timeout, "request timeout"},
	{"verbose", CM_FLAG_BOOL, &verbose, "say more"},
	{"peers", CM_FLAG_LIST, &peers, "peer addresses"},
};
#define NFLAGS (sizeof(table) / sizeof(table[0]))

static void setup(void)
{
	name = "default";
	dir = NULL;
	port = 2379;
	big = 0;
	timeout = 5000;
	verbose = false;
	peers = (struct cm_strlist){default_peers, 2, 0};
	cm_buf_init(&err);
}

static void teardown(void)
{
	cm_strlist_close(&peers);
	cm_buf_close(&err);
}

/* Parses a NULL-terminated list of arguments (argv[0] is "prog"). */
static int parse_args(char **argv, int *nargs)
{
	int argc = 0;

	while (argv[argc])
		argc++;
	return cm_flags_parse(table, NFLAGS, argc, argv, nargs, &err);
}

#define PARSE(...)                                                                   \
	char *argv[] = {"prog", __VA_ARGS__, NULL};                                  \
	int nargs = -1;                                                              \
	int rc = parse_args(argv, &nargs)

START_TEST(test_equals_and_space)
{
	PARSE("--name=m1", "--port", "2380", "--data-dir", "/tmp/x", "--big=-9000000000");
	ck_assert_int_eq(rc, 0);
	ck_assert_str_eq(name, "m1");
	ck_assert_int_eq(port, 2380);
	ck_assert_str_eq(dir, "/tmp/x");
	ck_assert_int_eq(big, -9000000000LL);
	ck_assert_int_eq(nargs, 0);
}
END_TEST

START_TEST(test_single_dash)
{
	PARSE("-name", "m2", "-port=1");
	ck_assert_int_eq(rc, 0);
	ck_assert_str_eq(name, "m2");
	ck_assert_int_eq(port, 1);
}
END_TEST

START_TEST(test_defaults_kept)
{
	PARSE("pos");
	ck_assert_int_eq(rc, 0);
	ck_assert_str_eq(name, "default");
	ck_assert_int_eq(port, 2379);
	ck_assert_int_eq(timeout, 5000);
	ck_assert(!verbose);
	ck_assert_uint_eq(peers.n, 2);
	ck_assert_str_eq(peers.items[0], "a:1");
}
END_TEST

START_TEST(test_bool_never_consumes)
{
	PARSE("--verbose", "false", "x");
	ck_assert_int_eq(rc, 0);
	ck_assert(verbose);
	ck_assert_int_eq(nargs, 2);
	ck_assert_str_eq(argv[1], "false");
	ck_assert_str_eq(argv[2], "x");
}
END_TEST

START_TEST(test_bool_values)
{
	{
		PARSE("--verbose=true");
		ck_assert_int_eq(rc, 0);
		ck_assert(verbose);
	}
	{
		PARSE("--verbose=false");
		ck_assert_int_eq(rc, 0);
		ck_assert(!verbose);
	}
	{
		PARSE("--verbose=1");
		ck_assert_int_eq(rc, 0);
		ck_assert(verbose);
	}
	{
		PARSE("--verbose=yes");
		ck_assert_int_eq(rc, -EINVAL);
		ck_assert_str_eq(err.data,
				 "invalid value \"yes\" for flag --verbose: expected true or false");
	}
}
END_TEST

START_TEST(test_positional_order)
{
	PARSE("get", "--port=1", "pods", "-", "--verbose", "web");
	ck_assert_int_eq(rc, 0);
	ck_assert_int_eq(nargs, 4);
	ck_assert_str_eq(argv[1], "get");
	ck_assert_str_eq(argv[2], "pods");
	ck_assert_str_eq(argv[3], "-");
	ck_assert_str_eq(argv[4], "web");
}
END_TEST

START_TEST(test_double_dash_ends_flags)
{
	PARSE("--port=7", "--", "--name=x", "-v");
	ck_assert_int_eq(rc, 0);
	ck_assert_int_eq(port, 7);
	ck_assert_str_eq(name, "default");
	ck_assert_int_eq(nargs, 2);
	ck_assert_str_eq(argv[1], "--name=x");
	ck_assert_str_eq(argv[2], "-v");
}
END_TEST

START_TEST(test_unknown_flag)
{
	PARSE("--nope=1");
	ck_assert_int_eq(rc, -EINVAL);
	ck_assert_str_eq(err.data, "unknown flag: --nope");
}
END_TEST

START_TEST(test_bad_int)
{
	{
		PARSE("--port=abc");
		ck_assert_int_eq(rc, -EINVAL);
		ck_assert_str_eq(err.data,
				 "invalid value \"abc\" for flag --port: expected an integer");
	}
	cm_buf_reset(&err);
	{
		PARSE("--port", "99999999999");
		ck_assert_int_eq(rc, -EINVAL);
	}
	{
		PARSE("--port=12x");
		ck_assert_int_eq(rc, -EINVAL);
	}
	{
		PARSE("--port=");
		ck_assert_int_eq(rc, -EINVAL);
	}
	{
		PARSE("--port= 5");
		ck_assert_int_eq(rc, -EINVAL);
	}
	ck_assert_int_eq(port, 2379);
}
END_TEST

START_TEST(test_missing_value)
{
	PARSE("--port");
	ck_assert_int_eq(rc, -EINVAL);
	ck_assert_str_eq(err.data, "flag needs an argument: --port");
}
END_TEST

START_TEST(test_duration)
{
	{
		PARSE("--timeout=1m30s");
		ck_assert_int_eq(rc, 0);
		ck_assert_int_eq(timeout, 90000);
	}
	{
		PARSE("--timeout", "250ms");
		ck_assert_int_eq(rc, 0);
		ck_assert_int_eq(timeout, 250);
	}
	{
		PARSE("--timeout=soon");
		ck_assert_int_eq(rc, -EINVAL);
		ck_assert_str_eq(err.data, "invalid value \"soon\" for flag --timeout: expected "
					   "a duration such as 5s, 100ms or 1m30s");
	}
}
END_TEST

START_TEST(test_list_replaces_default_then_appends)
{
	PARSE("--peers=x:1,y:2", "--peers", "z:3", "--peers=,w:4,");
	ck_assert_int_eq(rc, 0);
	ck_assert_uint_eq(peers.n, 4);
	ck_assert_str_eq(peers.items[0], "x:1");
	ck_assert_str_eq(peers.items[1], "y:2");
	ck_assert_str_eq(peers.items[2], "z:3");
	ck_assert_str_eq(peers.items[3], "w:4");
	cm_strlist_close(&peers);
	ck_assert_uint_eq(peers.n, 0);
	ck_assert_ptr_null(peers.items);
}
END_TEST

START_TEST(test_list_reparse_frees)
{
	{
		PARSE("--peers=a,b");
		ck_assert_int_eq(rc, 0);
	}
	{
		/* A second parse replaces the owned list; ASan reports a leak otherwise. */
		PARSE("--peers=c");
		ck_assert_int_eq(rc, 0);
		ck_assert_uint_eq(peers.n, 1);
		ck_assert_str_eq(peers.items[0], "c");
	}
}
END_TEST

START_TEST(test_help)
{
	{
		PARSE("--port=1", "--help");
		ck_assert_int_eq(rc, 1);
		ck_assert_ptr_nonnull(strstr(err.data, "usage: prog"));
		ck_assert_ptr_nonnull(strstr(err.data, "--port int"));
	}
	{
		PARSE("-h");
		ck_assert_int_eq(rc, 1);
	}
}
END_TEST

START_TEST(test_usage_text)
{
	struct cm_buf u = CM_BUF_INIT;

	dir = "";
	ck_assert_int_eq(cm_flags_usage(table, NFLAGS, "etcdlite [flags]", &u), 0);
	ck_assert_str_eq(u.data, "usage: etcdlite [flags]\n"
				 "\n"
				 "flags:\n"
				 "  --name string       member name (default \"default\")\n"
				 "  --data-dir string   where data lives\n"
				 "  --port int          port to listen on (default 2379)\n"
				 "  --big int           a large number (default 0)\n"
				 "  --timeout duration  request timeout (default 5s)\n"
				 "  --verbose           say more\n"
				 "  --peers list        peer addresses (default \"a:1,b:2\")\n"
				 "  -h, --help          show this help\n");
	cm_buf_close(&u);
}
END_TEST

START_TEST(test_usage_durations)
{
	static const int64_t ms[] = {0, 250, 1500, 90000, 3600000, 5430250};
	static const char *const want[] = {"0s", "250ms", "1.5s", "1m30s", "1h", "1h30m30.25s"};
	struct cm_flag f = {"t", CM_FLAG_DURATION, &timeout, "x"};

	for (size_t i = 0; i < 6; i++) {
		struct cm_buf u = CM_BUF_INIT;
		char expect[64];
		timeout = ms[i];
		ck_assert_int_eq(cm_flags_usage(&f, 1, NULL, &u), 0);
		snprintf(expect, sizeof(expect), "(default %s)\n", want[i]);
		ck_assert_msg(strstr(u.data, expect), "for %lld: %s", (long long)ms[i], u.data);
		cm_buf_close(&u);
	}
}
END_TEST

/* Runs cm_flags_parse_or_exit in a child; returns its exit status. */
static int exit_status(char **argv, int argc)
{
	pid_t pid = fork();
	int st, nargs;

	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		int devnull = open("/dev/null", O_WRONLY);
		dup2(devnull, 1);
		dup2(devnull, 2);
		cm_flags_parse_or_exit(table, NFLAGS, "prog [flags]", argc, argv, &nargs);
		_exit(99);
	}
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	ck_assert(WIFEXITED(st));
	return WEXITSTATUS(st);
}

START_TEST(test_parse_or_exit)
{
	char *help[] = {"prog", "--help", NULL};
	char *bad[] = {"prog", "--port=x", NULL};
	char *good[] = {"prog", "--port=5", NULL};

	ck_assert_int_eq(exit_status(help, 2), 0);
	ck_assert_int_eq(exit_status(bad, 2), 2);
	ck_assert_int_eq(exit_status(good, 2), 99);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("cm_flags");
	TCase *tc = tcase_create("flags");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_equals_and_space);
	tcase_add_test(tc, test_single_dash);
	tcase_add_test(tc, test_defaults_kept);
	tcase_add_test(tc, test_bool_never_consumes);
	tcase_add_test(tc, test_bool_values);
	tcase_add_test(tc, test_positional_order);
	tcase_add_test(tc, test_double_dash_ends_flags);
	tcase_add_test(tc, test_unknown_flag);
	tcase_add_test(tc, test_bad_int);
	tcase_add_test(tc, test_missing_value);
	tcase_add_test(tc, test_duration);
	tcase_add_test(tc, test_list_replaces_default_then_appends);
	tcase_add_test(tc, test_list_reparse_frees);
	tcase_add_test(tc, test_help);
	tcase_add_test(tc, test_usage_text);
	tcase_add_test(tc, test_usage_durations);
	tcase_add_test(tc, test_parse_or_exit);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return check_run(suite());
}
