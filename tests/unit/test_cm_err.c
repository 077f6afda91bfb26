/* test_cm_err.c: the project error codes and cm_strerror. */
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "tests/lib/check_run.h"

START_TEST(test_project_codes)
{
	ck_assert_str_eq(cm_strerror(-CM_ENOTLEADER), "not the leader");
	ck_assert_str_eq(cm_strerror(-CM_ENOQUORUM), "no quorum");
	ck_assert_str_eq(cm_strerror(-CM_ECONFLICT), "conflict");
	ck_assert_str_eq(cm_strerror(-CM_ECOMPACTED), "revision has been compacted");
	ck_assert_str_eq(cm_strerror(-CM_EFUTUREREV), "revision is a future revision");
	ck_assert_str_eq(cm_strerror(-CM_ECORRUPT), "data corrupted");
	ck_assert_str_eq(cm_strerror(-CM_ETOOLARGE), "request too large");
	ck_assert_str_eq(cm_strerror(-CM_EBADREQUEST), "bad request");
	ck_assert_str_eq(cm_strerror(-CM_ESTOPPED), "stopped");
	ck_assert_str_eq(cm_strerror(-CM_EHTTP), "http exchange failed");
}
END_TEST

START_TEST(test_positive_same_as_negative)
{
	ck_assert_str_eq(cm_strerror(CM_ECONFLICT), "conflict");
	ck_assert_str_eq(cm_strerror(ENOENT), cm_strerror(-ENOENT));
}
END_TEST

START_TEST(test_every_code_has_message)
{
	for (int c = CM_ENOTLEADER; c < CM_ELAST; c++) {
		const char *m = cm_strerror(-c);
		ck_assert_ptr_nonnull(m);
		ck_assert_uint_gt(strlen(m), 0);
	}
}
END_TEST

START_TEST(test_errno)
{
	ck_assert_str_eq(cm_strerror(-ENOENT), strerror(ENOENT));
	ck_assert_str_eq(cm_strerror(-ENOMEM), strerror(ENOMEM));
	ck_assert_str_eq(cm_strerror(0), "success");
}
END_TEST

START_TEST(test_codes_above_errno)
{
	ck_assert_int_gt(CM_ENOTLEADER, 4095); /* Linux errno values stay below 4096 */
	ck_assert_ptr_nonnull(cm_strerror(-CM_ELAST));
	ck_assert_ptr_nonnull(cm_strerror(-99999));
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("cm_err");
	TCase *tc = tcase_create("err");

	tcase_add_test(tc, test_project_codes);
	tcase_add_test(tc, test_positive_same_as_negative);
	tcase_add_test(tc, test_every_code_has_message);
	tcase_add_test(tc, test_errno);
	tcase_add_test(tc, test_codes_above_errno);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return check_run(suite());
}
