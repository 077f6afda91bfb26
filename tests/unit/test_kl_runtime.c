/* test_kl_runtime.c: what the runtime backends share: the log layout, and the previous attempt's log found on disk. */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/fileio.h"
#include "kubelet/runtime/runtime.h"
#include "tests/lib/check_run.h"

static char root[] = "/tmp/kl-runtime-XXXXXX";

static void setup(void)
{
	ck_assert_ptr_nonnull(mkdtemp(root));
}

static void teardown(void)
{
	char cmd[64];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", root);
	ck_assert_int_eq(system(cmd), 0);
	snprintf(root, sizeof(root), "/tmp/kl-runtime-XXXXXX");
}

static void touch(const char *name)
{
	struct cm_buf p = CM_BUF_INIT;
	int fd;

	cm_buf_printf(&p, "%s/u1/logs/c/%s", root, name);
	*strrchr(p.data, '/') = '\0';
	ck_assert_int_eq(cm_mkdir_p(p.data, 0755), 0);
	p.data[strlen(p.data)] = '/';
	ck_assert_int_ge(fd = open(p.data, O_WRONLY | O_CREAT, 0644), 0);
	close(fd);
	cm_buf_close(&p);
}

/* The previous log found for attempt, or "-ENOENT". */
static char *before(int attempt)
{
	struct cm_buf out = CM_BUF_INIT;
	static char got[256];
	int rc = kl_runtime_log_before(root, "u1", "c", attempt, &out);

	snprintf(got, sizeof(got), "%s", rc == 0 ? out.data + strlen(root) : rc == -ENOENT ? "-ENOENT" : "error");
	cm_buf_close(&out);
	return got;
}

START_TEST(test_log_file)
{
	struct cm_buf out = CM_BUF_INIT;

	ck_assert_int_eq(kl_runtime_log_file("/r", "u1", "web", 3, &out), 0);
	ck_assert_str_eq(out.data, "/r/u1/logs/web/3.log");
	ck_assert_int_eq(kl_runtime_log_file("/r", "u1", "..", 3, &out), -EINVAL);
	ck_assert_int_eq(kl_runtime_log_file("/r", "a/b", "web", 3, &out), -EINVAL);
	ck_assert_int_eq(kl_runtime_log_file("/r", "", "web", 3, &out), -EINVAL);
	cm_buf_close(&out);
}
END_TEST

START_TEST(test_log_before)
{
	ck_assert_str_eq(before(1), "-ENOENT"); /* no folder */
	touch("4.log");
	touch("7.log");
	touch("12.log");
	touch("9.log.tmp");
	touch("x.log");
	ck_assert_str_eq(before(12), "/u1/logs/c/7.log"); /* a skipped attempt (a start raced a restart) */
	ck_assert_str_eq(before(8), "/u1/logs/c/7.log");
	ck_assert_str_eq(before(13), "/u1/logs/c/12.log"); /* numbers, not names, are compared */
	ck_assert_str_eq(before(4), "-ENOENT");
	ck_assert_str_eq(before(0), "-ENOENT");
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("kl_runtime");
	TCase *tc = tcase_create("logs");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_log_file);
	tcase_add_test(tc, test_log_before);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return check_run(suite());
}
