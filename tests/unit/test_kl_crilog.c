/* test_kl_crilog.c: CRI log records: the format written, parsing, rendering with tails and timestamps. */
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "kubelet/runtime/crilog.h"
#include "tests/lib/check_run.h"

static const char LOG[] = "2026-01-02T03:04:05.000000001Z stdout F one\n"
			  "2026-01-02T03:04:06.000000000Z stderr P tw\n"
			  "2026-01-02T03:04:06.000000001Z stderr F o\n"
			  "garbage line\n"
			  "2026-01-02T03:04:07.000000000Z stdout F \n"
			  "2026-01-02T03:04:08.000000000Z stdout F four\n";

START_TEST(test_format)
{
	struct cm_buf b = CM_BUF_INIT;

	ck_assert_int_eq(kl_crilog_format(&b, 1767323045000000001LL, "stdout", false, "hi there", 8), 0);
	ck_assert_str_eq(b.data, "2026-01-02T03:04:05.000000001Z stdout F hi there\n");
	cm_buf_reset(&b);
	ck_assert_int_eq(kl_crilog_format(&b, 0, "stderr", true, "", 0), 0);
	ck_assert_str_eq(b.data, "1970-01-01T00:00:00.000000000Z stderr P \n");
	cm_buf_close(&b);
}
END_TEST

START_TEST(test_parse)
{
	struct kl_crilog_rec r;
	const char *l = "2026-01-02T03:04:05.1Z stderr P part of it";

	ck_assert_int_eq(kl_crilog_parse(l, strlen(l), &r), 0);
	ck_assert(r.partial);
	ck_assert_int_eq((int)r.stream_len, 6);
	ck_assert_int_eq(strncmp(r.msg, "part of it", r.msg_len), 0);
	ck_assert_int_eq(kl_crilog_parse("x y Z msg", 9, &r), -EINVAL);
	ck_assert_int_eq(kl_crilog_parse("nospace", 7, &r), -EINVAL);
}
END_TEST

START_TEST(test_render_all)
{
	struct cm_buf b = CM_BUF_INIT;

	ck_assert_int_eq(kl_crilog_render(LOG, strlen(LOG), false, -1, &b), 0);
	ck_assert_str_eq(b.data, "one\ntwo\n\nfour\n");
	cm_buf_close(&b);
}
END_TEST

START_TEST(test_render_timestamps)
{
	struct cm_buf b = CM_BUF_INIT;

	ck_assert_int_eq(kl_crilog_render(LOG, strlen(LOG), true, 1, &b), 0);
	ck_assert_str_eq(b.data, "2026-01-02T03:04:08.000000000Z four\n");
	cm_buf_close(&b);
}
END_TEST

START_TEST(test_render_tail_joins_parts)
{
	struct cm_buf b = CM_BUF_INIT;

	ck_assert_int_eq(kl_crilog_render(LOG, strlen(LOG), false, 3, &b), 0);
	ck_assert_str_eq(b.data, "two\n\nfour\n");
	cm_buf_reset(&b);
	ck_assert_int_eq(kl_crilog_render(LOG, strlen(LOG), false, 0, &b), 0);
	ck_assert_uint_eq(b.len, 0);
	cm_buf_reset(&b);
	ck_assert_int_eq(kl_crilog_render(LOG, strlen(LOG), false, 100, &b), 0);
	ck_assert_str_eq(b.data, "one\ntwo\n\nfour\n");
	cm_buf_close(&b);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("kl_crilog");
	TCase *tc = tcase_create("crilog");

	tcase_add_test(tc, test_format);
	tcase_add_test(tc, test_parse);
	tcase_add_test(tc, test_render_all);
	tcase_add_test(tc, test_render_timestamps);
	tcase_add_test(tc, test_render_tail_joins_parts);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return check_run(suite());
}
