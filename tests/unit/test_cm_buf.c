/* test_cm_buf.c: the growable buffer: appends, printf, consume, take. */
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "tests/lib/check_run.h"

static struct cm_buf b;

static void setup(void)
{
	cm_buf_init(&b);
}

static void teardown(void)
{
	cm_buf_close(&b);
}

START_TEST(test_empty)
{
	ck_assert_ptr_null(b.data);
	ck_assert_uint_eq(b.len, 0);
}
END_TEST

START_TEST(test_append_terminates)
{
	ck_assert_int_eq(cm_buf_append(&b, "abc", 3), 0);
	ck_assert_uint_eq(b.len, 3);
	ck_assert_str_eq(b.data, "abc");
	ck_assert_int_eq(cm_buf_puts(&b, "de"), 0);
	ck_assert_int_eq(cm_buf_putc(&b, 'f'), 0);
	ck_assert_str_eq(b.data, "abcdef");
	ck_assert_uint_eq(b.len, 6);
}
END_TEST

START_TEST(test_binary_data)
{
	ck_assert_int_eq(cm_buf_append(&b, "a\0b", 3), 0);
	ck_assert_uint_eq(b.len, 3);
	ck_assert_mem_eq(b.data, "a\0b\0", 4);
}
END_TEST

START_TEST(test_grows_large)
{
	for (int i = 0; i < 10000; i++)
		ck_assert_int_eq(cm_buf_putc(&b, (char)('a' + i % 26)), 0);
	ck_assert_uint_eq(b.len, 10000);
	ck_assert_uint_ge(b.cap, 10001);
	ck_assert_int_eq(b.data[9999], 'a' + 9999 % 26);
	ck_assert_int_eq(b.data[10000], '\0');
}
END_TEST

START_TEST(test_printf)
{
	ck_assert_int_eq(cm_buf_printf(&b, "%s=%d", "x", 42), 0);
	ck_assert_int_eq(cm_buf_printf(&b, ",%05.1f", 3.14159), 0);
	ck_assert_str_eq(b.data, "x=42,003.1");
	ck_assert_uint_eq(b.len, strlen("x=42,003.1"));
}
END_TEST

START_TEST(test_printf_long)
{
	char big[5000];

	memset(big, 'z', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	ck_assert_int_eq(cm_buf_puts(&b, "<"), 0);
	ck_assert_int_eq(cm_buf_printf(&b, "%s>", big), 0);
	ck_assert_uint_eq(b.len, 5001);
	ck_assert_int_eq(b.data[0], '<');
	ck_assert_int_eq(b.data[4999], 'z');
	ck_assert_int_eq(b.data[5000], '>');
}
END_TEST

START_TEST(test_printf_empty)
{
	ck_assert_int_eq(cm_buf_printf(&b, "%s", ""), 0);
	ck_assert_ptr_nonnull(b.data);
	ck_assert_str_eq(b.data, "");
	ck_assert_uint_eq(b.len, 0);
}
END_TEST

START_TEST(test_reset_keeps_storage)
{
	cm_buf_puts(&b, "hello");
	char *before = b.data;
	cm_buf_reset(&b);
	ck_assert_uint_eq(b.len, 0);
	ck_assert_ptr_eq(b.data, before);
	ck_assert_str_eq(b.data, "");
	cm_buf_puts(&b, "x");
	ck_assert_str_eq(b.data, "x");
}
END_TEST

START_TEST(test_reset_empty)
{
	cm_buf_reset(&b);
	ck_assert_uint_eq(b.len, 0);
}
END_TEST

START_TEST(test_consume)
{
	cm_buf_puts(&b, "line1\nline2\n");
	cm_buf_consume(&b, 6);
	ck_assert_str_eq(b.data, "line2\n");
	ck_assert_uint_eq(b.len, 6);
	cm_buf_consume(&b, 6);
	ck_assert_uint_eq(b.len, 0);
	ck_assert_str_eq(b.data, "");
}
END_TEST

START_TEST(test_reserve)
{
	ck_assert_int_eq(cm_buf_reserve(&b, 100), 0);
	ck_assert_uint_ge(b.cap, 101);
	ck_assert_uint_eq(b.len, 0);
	ck_assert_str_eq(b.data, ""); /* reserved storage reads as an empty string */
	ck_assert_int_eq(cm_buf_reserve(&b, (size_t)-1), -ENOMEM);
	ck_assert_uint_eq(b.len, 0);
}
END_TEST

START_TEST(test_take)
{
	cm_buf_puts(&b, "owned");
	char *s = cm_buf_take(&b);
	ck_assert_str_eq(s, "owned");
	ck_assert_ptr_null(b.data);
	ck_assert_uint_eq(b.len, 0);
	free(s);
}
END_TEST

START_TEST(test_take_empty)
{
	char *s = cm_buf_take(&b);
	ck_assert_ptr_nonnull(s);
	ck_assert_str_eq(s, "");
	free(s);
}
END_TEST

START_TEST(test_take_after_reset)
{
	cm_buf_puts(&b, "gone");
	cm_buf_reset(&b);
	char *s = cm_buf_take(&b);
	ck_assert_str_eq(s, "");
	free(s);
}
END_TEST

START_TEST(test_close_reusable)
{
	cm_buf_puts(&b, "abc");
	cm_buf_close(&b);
	ck_assert_ptr_null(b.data);
	ck_assert_uint_eq(b.len, 0);
	ck_assert_uint_eq(b.cap, 0);
	cm_buf_puts(&b, "again");
	ck_assert_str_eq(b.data, "again");
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("cm_buf");
	TCase *tc = tcase_create("buf");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_empty);
	tcase_add_test(tc, test_append_terminates);
	tcase_add_test(tc, test_binary_data);
	tcase_add_test(tc, test_grows_large);
	tcase_add_test(tc, test_printf);
	tcase_add_test(tc, test_printf_long);
	tcase_add_test(tc, test_printf_empty);
	tcase_add_test(tc, test_reset_keeps_storage);
	tcase_add_test(tc, test_reset_empty);
	tcase_add_test(tc, test_consume);
	tcase_add_test(tc, test_reserve);
	tcase_add_test(tc, test_take);
	tcase_add_test(tc, test_take_empty);
	tcase_add_test(tc, test_take_after_reset);
	tcase_add_test(tc, test_close_reusable);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return check_run(suite());
}
