/* test_kl_docker_logs.c: Docker's multiplexed log stream to CRI records, frames cut anywhere. */
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "kubelet/runtime/docker_logs.h"
#include "tests/lib/check_run.h"

/* Appends one frame of stream s with payload p to b. */
static void frame(struct cm_buf *b, int s, const char *p)
{
	size_t n = strlen(p);
	unsigned char h[8] = {(unsigned char)s, 0, 0, 0, (unsigned char)(n >> 24), (unsigned char)(n >> 16),
			      (unsigned char)(n >> 8), (unsigned char)n};

	cm_buf_append(b, h, 8);
	cm_buf_append(b, p, n);
}

static struct cm_buf stream(void)
{
	struct cm_buf b = CM_BUF_INIT;

	frame(&b, 1, "2026-01-02T03:04:05.5Z hello\n");
	frame(&b, 2, "2026-01-02T03:04:06.000000001Z oops\n");
	frame(&b, 1, "2026-01-02T03:04:07Z a long li");
	frame(&b, 1, "2026-01-02T03:04:07.1Z ne\n");
	frame(&b, 1, "2026-01-02T03:04:08Z \n");
	return b;
}

static const char WANT[] = "2026-01-02T03:04:05.500000000Z stdout F hello\n"
			   "2026-01-02T03:04:06.000000001Z stderr F oops\n"
			   "2026-01-02T03:04:07.000000000Z stdout P a long li\n"
			   "2026-01-02T03:04:07.100000000Z stdout F ne\n"
			   "2026-01-02T03:04:08.000000000Z stdout F \n";

START_TEST(test_whole)
{
	struct kl_docker_demux d;
	struct cm_buf in = stream(), out = CM_BUF_INIT;

	kl_docker_demux_init(&d, 0);
	ck_assert_int_eq(kl_docker_demux_feed(&d, in.data, in.len, &out), 0);
	ck_assert_str_eq(out.data, WANT);
	ck_assert_int_eq(d.last_ns, 1767323048000000000LL);
	kl_docker_demux_close(&d);
	cm_buf_close(&in);
	cm_buf_close(&out);
}
END_TEST

START_TEST(test_byte_by_byte)
{
	struct kl_docker_demux d;
	struct cm_buf in = stream(), out = CM_BUF_INIT;

	kl_docker_demux_init(&d, 0);
	for (size_t i = 0; i < in.len; i++)
		ck_assert_int_eq(kl_docker_demux_feed(&d, in.data + i, 1, &out), 0);
	ck_assert_str_eq(out.data, WANT);
	kl_docker_demux_close(&d);
	cm_buf_close(&in);
	cm_buf_close(&out);
}
END_TEST

START_TEST(test_skips_what_was_written)
{
	struct kl_docker_demux d;
	struct cm_buf in = stream(), out = CM_BUF_INIT;

	/* a follower restarted after the stderr line: docker's since= is in seconds, the rest is dropped here */
	kl_docker_demux_init(&d, 1767323046000000001LL);
	ck_assert_int_eq(kl_docker_demux_feed(&d, in.data, in.len, &out), 0);
	ck_assert_str_eq(out.data, WANT + strlen("2026-01-02T03:04:05.500000000Z stdout F hello\n"
						 "2026-01-02T03:04:06.000000001Z stderr F oops\n"));
	kl_docker_demux_close(&d);
	cm_buf_close(&in);
	cm_buf_close(&out);
}
END_TEST

START_TEST(test_not_a_frame)
{
	struct kl_docker_demux d;
	struct cm_buf out = CM_BUF_INIT;
	const char *tty = "2026-01-02T03:04:05Z raw tty output\n";

	kl_docker_demux_init(&d, 0);
	ck_assert_int_eq(kl_docker_demux_feed(&d, tty, strlen(tty), &out), -EINVAL);
	ck_assert_uint_eq(out.len, 0);
	kl_docker_demux_close(&d);
}
END_TEST

START_TEST(test_time)
{
	int64_t ns = 0;

	ck_assert_int_eq(kl_docker_time_ns("1970-01-01T00:00:01.000000002Z", 30, &ns), 0);
	ck_assert_int_eq(ns, 1000000002LL);
	ck_assert_int_eq(kl_docker_time_ns("2026-01-02T03:04:05Z", 20, &ns), 0);
	ck_assert_int_eq(ns, 1767323045000000000LL);
	ck_assert_int_eq(kl_docker_time_ns("yesterday", 9, &ns), -EINVAL);
	ck_assert_int_eq(ns, 1767323045000000000LL);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("kl_docker_logs");
	TCase *tc = tcase_create("demux");

	tcase_add_test(tc, test_whole);
	tcase_add_test(tc, test_byte_by_byte);
	tcase_add_test(tc, test_skips_what_was_written);
	tcase_add_test(tc, test_not_a_frame);
	tcase_add_test(tc, test_time);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return check_run(suite());
}
