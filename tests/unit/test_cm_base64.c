/* test_cm_base64.c: RFC 4648 vectors, lenient padding, rejection of bad input. */
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/base64.h"
#include "tests/lib/check_run.h"

static struct cm_buf out;

static void setup(void)
{
	cm_buf_init(&out);
}

static void teardown(void)
{
	cm_buf_close(&out);
}

#define ENCODES(plain, enc)                                                          \
	do {                                                                         \
		cm_buf_reset(&out);                                                  \
		ck_assert_int_eq(cm_base64_encode(plain, strlen(plain), &out), 0);    \
		ck_assert_str_eq(out.data, enc);                                     \
		ck_assert_uint_eq(out.len, strlen(enc));                             \
	} while (0)

#define DECODES(enc, plain)                                                          \
	do {                                                                         \
		cm_buf_reset(&out);                                                  \
		ck_assert_int_eq(cm_base64_decode(enc, strlen(enc), &out), 0);        \
		ck_assert_uint_eq(out.len, strlen(plain));                           \
		ck_assert_mem_eq(out.data, plain, strlen(plain));                    \
	} while (0)

#define DECODE_ERROR(enc)                                                            \
	do {                                                                         \
		cm_buf_reset(&out);                                                  \
		cm_buf_puts(&out, "keep");                                           \
		ck_assert_int_eq(cm_base64_decode(enc, strlen(enc), &out), -EINVAL);  \
		ck_assert_str_eq(out.data, "keep");                                  \
		ck_assert_uint_eq(out.len, 4);                                       \
	} while (0)

START_TEST(test_rfc4648_encode)
{
	ENCODES("", "");
	ENCODES("f", "Zg==");
	ENCODES("fo", "Zm8=");
	ENCODES("foo", "Zm9v");
	ENCODES("foob", "Zm9vYg==");
	ENCODES("fooba", "Zm9vYmE=");
	ENCODES("foobar", "Zm9vYmFy");
}
END_TEST

START_TEST(test_rfc4648_decode)
{
	DECODES("", "");
	DECODES("Zg==", "f");
	DECODES("Zm8=", "fo");
	DECODES("Zm9v", "foo");
	DECODES("Zm9vYg==", "foob");
	DECODES("Zm9vYmE=", "fooba");
	DECODES("Zm9vYmFy", "foobar");
}
END_TEST

START_TEST(test_decode_missing_padding)
{
	DECODES("Zg", "f");
	DECODES("Zm8", "fo");
	DECODES("Zm9vYg", "foob");
	DECODES("L3JlZ2lzdHJ5L3BvZHM", "/registry/pods");
}
END_TEST

START_TEST(test_standard_alphabet)
{
	const unsigned char bytes[] = {0xfb, 0xff, 0xbf};

	cm_buf_reset(&out);
	ck_assert_int_eq(cm_base64_encode(bytes, 3, &out), 0);
	ck_assert_str_eq(out.data, "+/+/");
	cm_buf_reset(&out);
	ck_assert_int_eq(cm_base64_decode("+/+/", 4, &out), 0);
	ck_assert_mem_eq(out.data, bytes, 3);
}
END_TEST

START_TEST(test_decode_rejects)
{
	DECODE_ERROR("Zm9v!");
	DECODE_ERROR("Zm-v");   /* URL alphabet is not accepted */
	DECODE_ERROR("Zm_v");
	DECODE_ERROR("Zm 9v");
	DECODE_ERROR("Z");      /* one character cannot make a byte */
	DECODE_ERROR("Zm9vY");
	DECODE_ERROR("Zg=");    /* padding that does not complete a quad */
	DECODE_ERROR("Z===");
	DECODE_ERROR("Zg==Zg=="); /* padding in the middle */
	DECODE_ERROR("=");
}
END_TEST

START_TEST(test_appends)
{
	cm_buf_puts(&out, "k=");
	ck_assert_int_eq(cm_base64_encode("foo", 3, &out), 0);
	ck_assert_str_eq(out.data, "k=Zm9v");
	ck_assert_int_eq(cm_base64_decode("YmFy", 4, &out), 0);
	ck_assert_str_eq(out.data, "k=Zm9vbar");
}
END_TEST

START_TEST(test_decode_not_terminated)
{
	const char s[] = "Zm9vYmFyXXXX";

	cm_buf_reset(&out);
	ck_assert_int_eq(cm_base64_decode(s, 8, &out), 0);
	ck_assert_str_eq(out.data, "foobar");
}
END_TEST

START_TEST(test_roundtrip_binary)
{
	unsigned char data[300];
	struct cm_buf back = CM_BUF_INIT;

	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = (unsigned char)(i * 7);
	for (size_t n = 0; n <= sizeof(data); n += 13) {
		cm_buf_reset(&out);
		cm_buf_reset(&back);
		ck_assert_int_eq(cm_base64_encode(data, n, &out), 0);
		ck_assert_uint_eq(out.len, (n + 2) / 3 * 4);
		ck_assert_int_eq(cm_base64_decode(out.data, out.len, &back), 0);
		ck_assert_uint_eq(back.len, n);
		if (n)
			ck_assert_mem_eq(back.data, data, n);
	}
	cm_buf_close(&back);
}
END_TEST

/* Go's base64.StdEncoding, as etcd 3.4's gateway answered these (offsets in its messages). */
#define STD_DECODES(enc, plain)                                                       \
	do {                                                                          \
		size_t at_ = 99;                                                      \
		cm_buf_reset(&out);                                                   \
		ck_assert_int_eq(cm_base64_decode_std(enc, strlen(enc), &out, &at_), 0); \
		ck_assert_uint_eq(out.len, strlen(plain));                            \
		ck_assert_mem_eq(out.data, plain, strlen(plain));                     \
		ck_assert_uint_eq(at_, 99);                                           \
	} while (0)

#define STD_BAD_AT(enc, at)                                                           \
	do {                                                                          \
		size_t at_ = 99;                                                      \
		cm_buf_reset(&out);                                                   \
		cm_buf_puts(&out, "keep");                                            \
		ck_assert_int_eq(cm_base64_decode_std(enc, strlen(enc), &out, &at_), -EINVAL); \
		ck_assert_uint_eq(at_, at);                                           \
		ck_assert_str_eq(out.data, "keep");                                   \
		ck_assert_uint_eq(out.len, 4);                                        \
	} while (0)

START_TEST(test_std_accepts_as_go)
{
	STD_DECODES("", "");
	STD_DECODES("Zm9vYQ==", "fooa");
	STD_DECODES("Zm9vYmE=", "fooba");
	STD_DECODES("Zm9vYmFy", "foobar");
	STD_DECODES("Zm9v\nYQ==", "fooa");  /* newlines are skipped anywhere */
	STD_DECODES("Zm9v\rYQ=\n=\n", "fooa");
	STD_DECODES("\n", "");
	STD_DECODES("Zm9vYR==", "fooa"); /* leftover bits are not checked */
	STD_DECODES("+/+/", "\xfb\xff\xbf");
}
END_TEST

START_TEST(test_std_refuses_as_go)
{
	STD_BAD_AT("Zm9vYQ", 4);      /* unpadded: the group that was cut short */
	STD_BAD_AT("Zm8", 0);
	STD_BAD_AT("Z", 0);
	STD_BAD_AT("Zm9vY", 4);
	STD_BAD_AT("Zm9vYQ=", 7);     /* one '=' of two: the end of input */
	STD_BAD_AT("Zm9vYQ==Zm9v", 8); /* anything after the padding */
	STD_BAD_AT("=", 0);
	STD_BAD_AT("Zm9v YQ==", 4);   /* a space is not skipped */
	STD_BAD_AT("-_-_", 0);        /* not the URL-safe alphabet */
	STD_BAD_AT("Y-F", 1);
	STD_BAD_AT("Zm9vY+_", 6);
	STD_BAD_AT("Zm9vY=x=", 5);    /* '=' after one character of a group */
	STD_BAD_AT("Zm9vYQ=x", 6);    /* '=' then not '=': before the second */
	STD_BAD_AT("Zm9vYQ=\n", 8);   /* newlines skipped, then the end */
	STD_BAD_AT("Zm9vYQ=\nx", 7);
	STD_BAD_AT("Zm\n9vY", 5);
	STD_BAD_AT("Zm9vYmE=\nx", 9);
	STD_BAD_AT("YmFyYmF6YmF", 8);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("cm_base64");
	TCase *tc = tcase_create("base64");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_rfc4648_encode);
	tcase_add_test(tc, test_rfc4648_decode);
	tcase_add_test(tc, test_decode_missing_padding);
	tcase_add_test(tc, test_standard_alphabet);
	tcase_add_test(tc, test_decode_rejects);
	tcase_add_test(tc, test_appends);
	tcase_add_test(tc, test_decode_not_terminated);
	tcase_add_test(tc, test_roundtrip_binary);
	tcase_add_test(tc, test_std_accepts_as_go);
	tcase_add_test(tc, test_std_refuses_as_go);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return check_run(suite());
}
