/* test_cm_timeutil.c: clocks, RFC3339 format/parse and duration parsing. */
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/timeutil.h"
#include "tests/lib/check_run.h"

#define FORMATS(ms, millis, text)                                                    \
	do {                                                                         \
		char out_[CM_RFC3339_LEN];                                           \
		ck_assert_int_eq(cm_time_format((ms), (millis), out_), 0);           \
		ck_assert_str_eq(out_, text);                                        \
	} while (0)

#define PARSES(text, ms)                                                             \
	do {                                                                         \
		int64_t v_ = -12345;                                                 \
		ck_assert_int_eq(cm_time_parse(text, &v_), 0);                       \
		ck_assert_int_eq(v_, (ms));                                          \
	} while (0)

#define PARSE_ERROR(text)                                                            \
	do {                                                                         \
		int64_t v_ = -12345;                                                 \
		ck_assert_int_eq(cm_time_parse(text, &v_), -EINVAL);                 \
		ck_assert_int_eq(v_, -12345);                                        \
	} while (0)

#define DURATION(text, ms)                                                           \
	do {                                                                         \
		int64_t v_ = -12345;                                                 \
		ck_assert_int_eq(cm_duration_parse(text, &v_), 0);                   \
		ck_assert_int_eq(v_, (ms));                                          \
	} while (0)

#define DURATION_ERROR(text)                                                         \
	do {                                                                         \
		int64_t v_ = -12345;                                                 \
		ck_assert_int_eq(cm_duration_parse(text, &v_), -EINVAL);             \
		ck_assert_int_eq(v_, -12345);                                        \
	} while (0)

START_TEST(test_clocks)
{
	int64_t a = cm_time_mono_ms(), an = cm_time_mono_ns(), b, bn;
	int64_t w = cm_time_wall_ms();

	b = cm_time_mono_ms();
	bn = cm_time_mono_ns();
	ck_assert_int_ge(b, a);
	ck_assert_int_gt(bn, an);
	ck_assert_int_le(b - bn / 1000000, 1);
	/* After 2020-01-01 and before 2200-01-01. */
	ck_assert_int_gt(w, 1577836800000LL);
	ck_assert_int_lt(w, 7258118400000LL);
}
END_TEST

START_TEST(test_format)
{
	FORMATS(0, 0, "1970-01-01T00:00:00Z");
	FORMATS(0, 1, "1970-01-01T00:00:00.000Z");
	FORMATS(1795846282123LL, 0, "2026-11-28T06:11:22Z");
	FORMATS(1795846282123LL, 1, "2026-11-28T06:11:22.123Z");
	FORMATS(951782400000LL, 0, "2000-02-29T00:00:00Z"); /* leap day */
	FORMATS(253402300799999LL, 1, "9999-12-31T23:59:59.999Z");
}
END_TEST

START_TEST(test_format_before_epoch)
{
	FORMATS(-1, 1, "1969-12-31T23:59:59.999Z");
	FORMATS(-86400000LL, 0, "1969-12-31T00:00:00Z");
}
END_TEST

START_TEST(test_format_out_of_range)
{
	char out[CM_RFC3339_LEN];

	ck_assert_int_eq(cm_time_format(253402300800000LL, 0, out), -EINVAL);
	ck_assert_int_eq(cm_time_format(-62167219200001LL, 0, out), -EINVAL);
}
END_TEST

START_TEST(test_parse_utc)
{
	PARSES("1970-01-01T00:00:00Z", 0);
	PARSES("2026-11-28T06:11:22Z", 1795846282000LL);
	PARSES("2026-11-28t06:11:22z", 1795846282000LL);
	PARSES("2000-02-29T00:00:00Z", 951782400000LL);
}
END_TEST

START_TEST(test_parse_fraction)
{
	PARSES("2026-11-28T06:11:22.123Z", 1795846282123LL);
	PARSES("2026-11-28T06:11:22.1Z", 1795846282100LL);
	PARSES("2026-11-28T06:11:22.12Z", 1795846282120LL);
	PARSES("2026-11-28T06:11:22.123456789Z", 1795846282123LL);
}
END_TEST

START_TEST(test_parse_offsets)
{
	PARSES("2026-11-28T07:11:22+01:00", 1795846282000LL);
	PARSES("2026-11-28T00:41:22.5-05:30", 1795846282500LL);
	PARSES("2026-11-28T06:11:22+00:00", 1795846282000LL);
	PARSES("1970-01-01T00:00:00+01:00", -3600000LL);
}
END_TEST

START_TEST(test_parse_errors)
{
	PARSE_ERROR("");
	PARSE_ERROR("2026-11-28");
	PARSE_ERROR("2026-11-28T06:11:22");    /* no zone */
	PARSE_ERROR("2026-11-28T06:11:22Zjunk");
	PARSE_ERROR("2026-13-01T00:00:00Z");
	PARSE_ERROR("2026-02-29T00:00:00Z");   /* not a leap year */
	PARSE_ERROR("2026-04-31T00:00:00Z");
	PARSE_ERROR("2026-11-28T24:00:00Z");
	PARSE_ERROR("2026-11-28T06:60:00Z");
	PARSE_ERROR("2026-11-28T06:11:61Z");
	PARSE_ERROR("2026-11-28T06:11:22.Z");
	PARSE_ERROR("2026-11-28T06:11:22+0100");
	PARSE_ERROR("2026-11-28T06:11:22+24:00");
	PARSE_ERROR("26-11-28T06:11:22Z");
	PARSE_ERROR("2026-1-28T06:11:22Z");
	PARSE_ERROR("2026-11-28X06:11:22Z");
}
END_TEST

START_TEST(test_roundtrip)
{
	for (int64_t ms = -100000000000LL; ms < 4000000000000LL; ms += 123456789013LL) {
		char out[CM_RFC3339_LEN];
		int64_t back;
		ck_assert_int_eq(cm_time_format(ms, 1, out), 0);
		ck_assert_int_eq(cm_time_parse(out, &back), 0);
		ck_assert_int_eq(back, ms);
	}
}
END_TEST

START_TEST(test_duration_units)
{
	DURATION("5s", 5000);
	DURATION("100ms", 100);
	DURATION("2m", 120000);
	DURATION("3h", 10800000);
	DURATION("1500us", 1);
	DURATION("1500\xc2\xb5s", 1);
	DURATION("2000000ns", 2);
	DURATION("0s", 0);
	DURATION("0", 0);
}
END_TEST

START_TEST(test_duration_combined)
{
	DURATION("1m30s", 90000);
	DURATION("1h2m3s", 3723000);
	DURATION("1s500ms", 1500);
	DURATION("2h45m", 9900000);
}
END_TEST

START_TEST(test_duration_fraction)
{
	DURATION("1.5s", 1500);
	DURATION("0.5m", 30000);
	DURATION(".25s", 250);
	DURATION("1.5h", 5400000);
	DURATION("2.5ms", 2);
}
END_TEST

START_TEST(test_duration_bare_seconds)
{
	DURATION("5", 5000);
	DURATION("1.5", 1500);
	DURATION("+10s", 10000);
}
END_TEST

START_TEST(test_duration_errors)
{
	DURATION_ERROR("");
	DURATION_ERROR("s");
	DURATION_ERROR("5x");
	DURATION_ERROR("5 s");
	DURATION_ERROR("-5s");
	DURATION_ERROR("1m30");     /* a unit is needed after the first */
	DURATION_ERROR("abc");
	DURATION_ERROR(".s");
	DURATION_ERROR("5s ");
	DURATION_ERROR("3000000h"); /* beyond int64 nanoseconds */
	DURATION_ERROR("99999999999999999999s");
	DURATION_ERROR("9223372036854775807");
}
END_TEST

START_TEST(test_duration_near_limit)
{
	DURATION("2562047h", 2562047LL * 3600000);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("cm_timeutil");
	TCase *tc = tcase_create("time");

	tcase_add_test(tc, test_clocks);
	tcase_add_test(tc, test_format);
	tcase_add_test(tc, test_format_before_epoch);
	tcase_add_test(tc, test_format_out_of_range);
	tcase_add_test(tc, test_parse_utc);
	tcase_add_test(tc, test_parse_fraction);
	tcase_add_test(tc, test_parse_offsets);
	tcase_add_test(tc, test_parse_errors);
	tcase_add_test(tc, test_roundtrip);
	suite_add_tcase(s, tc);
	tc = tcase_create("duration");
	tcase_add_test(tc, test_duration_units);
	tcase_add_test(tc, test_duration_combined);
	tcase_add_test(tc, test_duration_fraction);
	tcase_add_test(tc, test_duration_bare_seconds);
	tcase_add_test(tc, test_duration_errors);
	tcase_add_test(tc, test_duration_near_limit);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return check_run(suite());
}
