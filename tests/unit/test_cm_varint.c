/* test_cm_varint.c: protobuf's varint bytes, zigzag, and a reader that never reads past its end. */
#include <check.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/varint.h"
#include "tests/lib/check_run.h"

START_TEST(test_known_bytes)
{
	struct cm_buf b = CM_BUF_INIT;

	/* protobuf's documented example: 150 is 0x96 0x01 */
	ck_assert_int_eq(cm_varint_put(&b, 150), 0);
	ck_assert_uint_eq(b.len, 2);
	ck_assert_mem_eq(b.data, "\x96\x01", 2);
	cm_buf_reset(&b);
	ck_assert_int_eq(cm_varint_put(&b, UINT64_MAX), 0);
	ck_assert_uint_eq(b.len, 10);
	ck_assert_int_eq((unsigned char)b.data[9], 1);
	cm_buf_reset(&b);
	ck_assert_int_eq(cm_varint_put_signed(&b, -1), 0);
	ck_assert_uint_eq(b.len, 1);
	ck_assert_int_eq((unsigned char)b.data[0], 1);
	cm_buf_close(&b);
}
END_TEST

START_TEST(test_roundtrip)
{
	static const uint64_t u[] = {0, 1, 127, 128, 300, 16383, 16384, UINT32_MAX, (uint64_t)1 << 63, UINT64_MAX};
	static const int64_t s[] = {0, -1, 1, -64, 64, INT32_MIN, INT64_MIN, INT64_MAX};
	struct cm_buf b = CM_BUF_INIT;
	const unsigned char *p, *end;

	for (size_t i = 0; i < sizeof(u) / sizeof(u[0]); i++)
		ck_assert_int_eq(cm_varint_put(&b, u[i]), 0);
	for (size_t i = 0; i < sizeof(s) / sizeof(s[0]); i++)
		ck_assert_int_eq(cm_varint_put_signed(&b, s[i]), 0);
	p = (const unsigned char *)b.data;
	end = p + b.len;
	for (size_t i = 0; i < sizeof(u) / sizeof(u[0]); i++) {
		uint64_t v = 0;

		ck_assert_int_eq(cm_varint_get(&p, end, &v), 0);
		ck_assert_uint_eq(v, u[i]);
	}
	for (size_t i = 0; i < sizeof(s) / sizeof(s[0]); i++) {
		int64_t v = 0;

		ck_assert_int_eq(cm_varint_get_signed(&p, end, &v), 0);
		ck_assert_int_eq(v, s[i]);
	}
	ck_assert_ptr_eq(p, end);
	cm_buf_close(&b);
}
END_TEST

START_TEST(test_rejects)
{
	static const unsigned char truncated[] = {0x96};
	static const unsigned char too_long[] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02};
	static const unsigned char eleven[] = {0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00};
	const unsigned char *p;
	uint64_t v = 42;

	p = truncated;
	ck_assert_int_eq(cm_varint_get(&p, truncated + sizeof(truncated), &v), -EINVAL);
	p = truncated;
	ck_assert_int_eq(cm_varint_get(&p, truncated, &v), -EINVAL); /* empty */
	p = too_long;
	ck_assert_int_eq(cm_varint_get(&p, too_long + sizeof(too_long), &v), -EINVAL);
	p = eleven;
	ck_assert_int_eq(cm_varint_get(&p, eleven + sizeof(eleven), &v), -EINVAL);
	ck_assert_uint_eq(v, 42); /* untouched on error */
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("cm_varint");
	TCase *tc = tcase_create("varint");

	tcase_add_test(tc, test_known_bytes);
	tcase_add_test(tc, test_roundtrip);
	tcase_add_test(tc, test_rejects);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return check_run(suite());
}
