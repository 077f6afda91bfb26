/* test_cm_crc32c.c: CRC-32C against known vectors, incremental and unaligned use. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "common/crc32c.h"
#include "tests/lib/check_run.h"

START_TEST(test_check_value)
{
	ck_assert_uint_eq(cm_crc32c(0, "123456789", 9), 0xe3069283u);
}
END_TEST

START_TEST(test_empty)
{
	ck_assert_uint_eq(cm_crc32c(0, "", 0), 0);
	ck_assert_uint_eq(cm_crc32c(0x12345678u, "", 0), 0x12345678u);
}
END_TEST

/* RFC 3720 (iSCSI) appendix B.4 test vectors. */
START_TEST(test_rfc3720_vectors)
{
	unsigned char buf[32];

	memset(buf, 0, sizeof(buf));
	ck_assert_uint_eq(cm_crc32c(0, buf, 32), 0x8a9136aau);
	memset(buf, 0xff, sizeof(buf));
	ck_assert_uint_eq(cm_crc32c(0, buf, 32), 0x62a8ab43u);
	for (int i = 0; i < 32; i++)
		buf[i] = (unsigned char)i;
	ck_assert_uint_eq(cm_crc32c(0, buf, 32), 0x46dd794eu);
	for (int i = 0; i < 32; i++)
		buf[i] = (unsigned char)(31 - i);
	ck_assert_uint_eq(cm_crc32c(0, buf, 32), 0x113fdb5cu);
}
END_TEST

START_TEST(test_short_inputs)
{
	ck_assert_uint_eq(cm_crc32c(0, "a", 1), 0xc1d04330u);
	ck_assert_uint_eq(cm_crc32c(0, "abc", 3), 0x364b3fb7u);
}
END_TEST

START_TEST(test_incremental_equals_oneshot)
{
	unsigned char data[1000];
	uint32_t whole;

	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = (unsigned char)(i * 131 + 7);
	whole = cm_crc32c(0, data, sizeof(data));
	for (size_t split = 0; split <= sizeof(data); split += 37) {
		uint32_t c = cm_crc32c(0, data, split);
		c = cm_crc32c(c, data + split, sizeof(data) - split);
		ck_assert_uint_eq(c, whole);
	}
	/* Byte at a time walks only the tail loop. */
	uint32_t c = 0;
	for (size_t i = 0; i < sizeof(data); i++)
		c = cm_crc32c(c, data + i, 1);
	ck_assert_uint_eq(c, whole);
}
END_TEST

START_TEST(test_unaligned)
{
	unsigned char buf[64];
	const char *msg = "123456789";

	for (int off = 0; off < 8; off++) {
		memcpy(buf + off, msg, 9);
		ck_assert_uint_eq(cm_crc32c(0, buf + off, 9), 0xe3069283u);
	}
}
END_TEST

START_TEST(test_detects_change)
{
	char a[] = "the quick brown fox";
	uint32_t before = cm_crc32c(0, a, strlen(a));

	a[5] ^= 1;
	ck_assert_uint_ne(cm_crc32c(0, a, strlen(a)), before);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("cm_crc32c");
	TCase *tc = tcase_create("crc32c");

	tcase_add_test(tc, test_check_value);
	tcase_add_test(tc, test_empty);
	tcase_add_test(tc, test_rfc3720_vectors);
	tcase_add_test(tc, test_short_inputs);
	tcase_add_test(tc, test_incremental_equals_oneshot);
	tcase_add_test(tc, test_unaligned);
	tcase_add_test(tc, test_detects_change);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return check_run(suite());
}
