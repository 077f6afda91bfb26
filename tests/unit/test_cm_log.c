/* test_cm_log.c: levels, verbosity gating, lazy arguments and the one-line format. */
#include <check.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "tests/lib/check_run.h"

static char *text;
static size_t text_len;
static FILE *mem;

static void setup(void)
{
	mem = open_memstream(&text, &text_len);
	ck_assert_ptr_nonnull(mem);
	cm_log_init("testd", 0);
	cm_log_set_output(mem);
}

static void teardown(void)
{
	cm_log_set_output(NULL);
	fclose(mem);
	free(text);
}

/* What was logged so far. */
static const char *captured(void)
{
	fflush(mem);
	return text ? text : "";
}

static int count_lines(const char *s)
{
	int n = 0;

	for (; *s; s++)
		n += *s == '\n';
	return n;
}

static int calls;

static int side_effect(void)
{
	calls++;
	return 7;
}

START_TEST(test_line_format)
{
	regex_t re;

	cm_info("pod %s/%s: started", "default", "web-1");
	ck_assert_int_eq(regcomp(&re,
				 "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\\.[0-9]{3}Z "
				 "info testd: pod default/web-1: started\n$",
				 REG_EXTENDED),
			 0);
	ck_assert_msg(regexec(&re, captured(), 0, NULL, 0) == 0, "line was: %s", captured());
	regfree(&re);
}
END_TEST

START_TEST(test_level_names)
{
	cm_error("e");
	cm_warn("w");
	cm_info("i");
	cm_log_init("testd", 1);
	cm_debug(1, "d");
	const char *t = captured();
	ck_assert_ptr_nonnull(strstr(t, "Z error testd: e\n"));
	ck_assert_ptr_nonnull(strstr(t, "Z warn testd: w\n"));
	ck_assert_ptr_nonnull(strstr(t, "Z info testd: i\n"));
	ck_assert_ptr_nonnull(strstr(t, "Z debug testd: d\n"));
	ck_assert_int_eq(count_lines(t), 4);
}
END_TEST

START_TEST(test_debug_gated_by_verbosity)
{
	cm_log_init("testd", 2);
	ck_assert_int_eq(cm_log_verbosity(), 2);
	cm_debug(1, "one");
	cm_debug(2, "two");
	cm_debug(3, "three");
	const char *t = captured();
	ck_assert_ptr_nonnull(strstr(t, ": one\n"));
	ck_assert_ptr_nonnull(strstr(t, ": two\n"));
	ck_assert_ptr_null(strstr(t, "three"));
	ck_assert_int_eq(count_lines(t), 2);
}
END_TEST

START_TEST(test_enabled)
{
	cm_log_init("testd", 0);
	ck_assert(cm_log_enabled(CM_LOG_ERROR, 0));
	ck_assert(cm_log_enabled(CM_LOG_WARN, 0));
	ck_assert(cm_log_enabled(CM_LOG_INFO, 0));
	ck_assert(!cm_log_enabled(CM_LOG_DEBUG, 1));
	cm_log_init("testd", 3);
	ck_assert(cm_log_enabled(CM_LOG_DEBUG, 3));
	ck_assert(!cm_log_enabled(CM_LOG_DEBUG, 4));
}
END_TEST

START_TEST(test_args_not_evaluated_when_disabled)
{
	calls = 0;
	cm_debug(1, "value %d", side_effect());
	ck_assert_int_eq(calls, 0);
	ck_assert_str_eq(captured(), "");
	cm_log_init("testd", 1);
	cm_debug(1, "value %d", side_effect());
	ck_assert_int_eq(calls, 1);
	ck_assert_ptr_nonnull(strstr(captured(), "value 7\n"));
}
END_TEST

START_TEST(test_embedded_newline_one_line)
{
	cm_warn("first\nsecond\r\nthird");
	const char *t = captured();
	ck_assert_int_eq(count_lines(t), 1);
	ck_assert_ptr_nonnull(strstr(t, "warn testd: first second  third\n"));
}
END_TEST

START_TEST(test_component_set)
{
	cm_log_init("etcdlite", 0);
	cm_error("member %s: down", "m1");
	ck_assert_ptr_nonnull(strstr(captured(), "Z error etcdlite: member m1: down\n"));
}
END_TEST

START_TEST(test_long_message_one_line)
{
	char big[10000];

	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	cm_info("%s", big);
	const char *t = captured();
	ck_assert_int_eq(count_lines(t), 1);
	ck_assert_int_eq(t[strlen(t) - 1], '\n');
	ck_assert_uint_ge(strlen(t), sizeof(big));
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("cm_log");
	TCase *tc = tcase_create("log");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_line_format);
	tcase_add_test(tc, test_level_names);
	tcase_add_test(tc, test_debug_gated_by_verbosity);
	tcase_add_test(tc, test_enabled);
	tcase_add_test(tc, test_args_not_evaluated_when_disabled);
	tcase_add_test(tc, test_embedded_newline_one_line);
	tcase_add_test(tc, test_component_set);
	tcase_add_test(tc, test_long_message_one_line);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return check_run(suite());
}
