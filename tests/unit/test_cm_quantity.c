/* test_cm_quantity.c: quantity parsing (cpu, memory, exponents, garbage) and canonical printing. */
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/quantity.h"
#include "tests/lib/check_run.h"

static void MILLI(const char *s, int64_t want)
{
	int64_t v = -777;
	int rc = cm_quantity_parse_milli(s, &v);
	ck_assert_msg(rc == 0, "%s: rc %d", s, rc);
	ck_assert_msg(v == want, "%s: got %lld want %lld", s, (long long)v, (long long)want);
}

static void UNITS(const char *s, int64_t want)
{
	int64_t v = -777;
	ck_assert_int_eq(cm_quantity_parse(s, &v), 0);
	ck_assert_msg(v == want, "%s: got %lld want %lld", s, (long long)v, (long long)want);
}

static void BAD(const char *s, int want_rc)
{
	int64_t v = -777;
	ck_assert_msg(cm_quantity_parse_milli(s, &v) == want_rc, "%s should fail", s ? s : "NULL");
	ck_assert_int_eq(v, -777);
}

static void FMT(int64_t milli, enum cm_quantity_fmt f, const char *want)
{
	struct cm_buf b = CM_BUF_INIT;
	ck_assert_int_eq(cm_quantity_format_milli(milli, f, &b), 0);
	ck_assert_str_eq(b.data, want);
	cm_buf_close(&b);
}

START_TEST(cpu)
{
	MILLI("100m", 100);
	MILLI("0.5", 500);
	MILLI(".5", 500);
	MILLI("2", 2000);
	MILLI("1.5", 1500);
	MILLI("0", 0);
	MILLI("250m", 250);
	MILLI("+3", 3000);
	MILLI("-2", -2000);
	MILLI("0.0001", 1); /* finer than a milli-unit rounds up */
	MILLI("1n", 1);
	MILLI("1000000u", 1000);
	MILLI("007", 7000);
	/* Tiny fractions with many significant digits (found by fuzzing: an overflow). */
	MILLI(".00000000000000000000183332825921873793710", 1);
	MILLI("-.00000000000000000000000000000000000000000000000183332825921873793710", 0);
	MILLI("0.000000000000000000000000000000000000001", 1);
}
END_TEST

START_TEST(memory)
{
	UNITS("128Mi", 134217728);
	UNITS("1Gi", 1073741824);
	UNITS("1G", 1000000000);
	UNITS("1e3", 1000);
	UNITS("1E3", 1000);
	UNITS("500k", 500000);
	UNITS("1Ki", 1024);
	UNITS("1.5Gi", 1610612736);
	UNITS("1M", 1000000);
	UNITS("1T", 1000000000000LL);
	UNITS("2Ei", 2305843009213693952LL);
	UNITS("1E", 1000000000000000000LL);
	UNITS("12e-1", 2); /* 1.2 rounds up to 2 whole units */
	UNITS("100m", 1);
	UNITS("1e+2", 100);
	MILLI("128Mi", 134217728000LL);
}
END_TEST

START_TEST(garbage)
{
	BAD("", -EINVAL);
	BAD(NULL, -EINVAL);
	BAD("abc", -EINVAL);
	BAD("1.2.3", -EINVAL);
	BAD("1 Gi", -EINVAL);
	BAD("1Gb", -EINVAL);
	BAD("1ki", -EINVAL);
	BAD("1KI", -EINVAL);
	BAD("Mi", -EINVAL);
	BAD("1e", -EINVAL);
	BAD("1e3x", -EINVAL);
	BAD("--1", -EINVAL);
	BAD(".", -EINVAL);
	BAD("1mm", -EINVAL);
	BAD("2Ei", -ERANGE); /* fits as units, not as milli-units */
	BAD("1e30", -ERANGE);
	BAD("99999999999999999999999999999999999999999", -ERANGE);
}
END_TEST

START_TEST(format)
{
	FMT(100, CM_QFMT_DECIMAL, "100m");
	FMT(2000, CM_QFMT_DECIMAL, "2");
	FMT(1500, CM_QFMT_DECIMAL, "1500m");
	FMT(0, CM_QFMT_DECIMAL, "0");
	FMT(2000000, CM_QFMT_DECIMAL, "2k");
	FMT(1000000000000LL, CM_QFMT_DECIMAL, "1G");
	FMT(134217728000LL, CM_QFMT_BINARY, "128Mi");
	FMT(1073741824000LL, CM_QFMT_BINARY, "1Gi");
	FMT(2000000, CM_QFMT_BINARY, "2000");
	FMT(500, CM_QFMT_BINARY, "500m");
	FMT(-3000, CM_QFMT_DECIMAL, "-3");
}
END_TEST

START_TEST(round_trip)
{
	const char *in[] = {"100m", "2", "128Mi", "1Gi", "3k", "1500m"};
	for (size_t i = 0; i < sizeof(in) / sizeof(in[0]); i++) {
		int64_t v, w;
		struct cm_buf b = CM_BUF_INIT;
		ck_assert_int_eq(cm_quantity_parse_milli(in[i], &v), 0);
		ck_assert_int_eq(cm_quantity_format_milli(v, strchr(in[i], 'i') ? CM_QFMT_BINARY : CM_QFMT_DECIMAL,
							  &b),
				 0);
		ck_assert_str_eq(b.data, in[i]);
		ck_assert_int_eq(cm_quantity_parse_milli(b.data, &w), 0);
		ck_assert_int_eq(v, w);
		cm_buf_close(&b);
	}
}
END_TEST


START_TEST(random_strings)
{
	static const char pieces[] = "0123456789.+-eEkMGTPmunKi ";
	unsigned long long st = 0x1234567ULL;
	for (int i = 0; i < 50000; i++) {
		char s[16];
		int n = 0;
		st ^= st << 13, st ^= st >> 7, st ^= st << 17;
		for (unsigned long long x = st, len = st % 12; (unsigned long long)n < len; n++, x /= 26)
			s[n] = pieces[x % 26];
		s[n] = '\0';
		int64_t v, w;
		int rc = cm_quantity_parse_milli(s, &v);
		ck_assert(rc == 0 || rc == -EINVAL || rc == -ERANGE);
		if (rc == 0) {
			/* whatever parses prints to something that parses to the same value */
			struct cm_buf b = CM_BUF_INIT;
			ck_assert_int_eq(cm_quantity_format_milli(v, CM_QFMT_DECIMAL, &b), 0);
			ck_assert_int_eq(cm_quantity_parse_milli(b.data, &w), 0);
			ck_assert_msg(v == w, "%s -> %s", s, b.data);
			cm_buf_close(&b);
		}
	}
}
END_TEST

int main(void)
{
	Suite *s = suite_create("cm_quantity");
	TCase *tc = tcase_create("quantity");
	tcase_add_test(tc, cpu);
	tcase_add_test(tc, memory);
	tcase_add_test(tc, garbage);
	tcase_add_test(tc, format);
	tcase_add_test(tc, round_trip);
	tcase_add_test(tc, random_strings);
	suite_add_tcase(s, tc);
	return check_run(s);
}
