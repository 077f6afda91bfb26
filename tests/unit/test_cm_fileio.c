/* test_cm_fileio.c: mkdir -p semantics (parents made, existing ones fine, a file in the way refused); atomic writes; rm -rf. */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/fileio.h"
#include "tests/lib/check_run.h"

static char root[64];

static void setup(void)
{
	strcpy(root, "/tmp/cm-fileio-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(root));
}

static void teardown(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	ck_assert_int_eq(system(cmd), 0);
}

static int is_dir(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

START_TEST(test_mkdir_p_makes_parents)
{
	char path[128];

	snprintf(path, sizeof(path), "%s/a/b/c", root);
	ck_assert_int_eq(cm_mkdir_p(path, 0755), 0);
	ck_assert(is_dir(path));
	ck_assert_int_eq(cm_mkdir_p(path, 0755), 0); /* again: nothing to do */
	snprintf(path, sizeof(path), "%s/a/b/d/", root); /* a trailing slash */
	ck_assert_int_eq(cm_mkdir_p(path, 0755), 0);
	ck_assert(is_dir(path));
	ck_assert_int_eq(cm_mkdir_p("", 0755), 0);
	ck_assert_int_eq(cm_mkdir_p("/", 0755), 0);
}
END_TEST

START_TEST(test_mkdir_p_file_in_the_way)
{
	char path[128];
	FILE *f;

	snprintf(path, sizeof(path), "%s/file", root);
	ck_assert_ptr_nonnull(f = fopen(path, "w"));
	fclose(f);
	snprintf(path, sizeof(path), "%s/file/sub", root);
	ck_assert_int_eq(cm_mkdir_p(path, 0755), -ENOTDIR);
}
END_TEST

START_TEST(test_write_atomic_replaces_with_mode)
{
	char path[128];
	struct cm_buf b = CM_BUF_INIT;
	struct stat st;

	snprintf(path, sizeof(path), "%s/f", root);
	ck_assert_int_eq(cm_file_write_atomic(path, "old", 3, 0644), 0);
	ck_assert_int_eq(cm_file_write_atomic(path, "new!", 4, 0400), 0);
	ck_assert_int_eq(cm_file_read(path, 100, &b), 0);
	ck_assert_str_eq(b.data, "new!");
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_int_eq(st.st_mode & 07777, 0400);
	snprintf(path, sizeof(path), "%s/f.tmp", root);
	ck_assert_int_eq(access(path, F_OK), -1);
	snprintf(path, sizeof(path), "%s/missing/f", root);
	ck_assert_int_eq(cm_file_write_atomic(path, "x", 1, 0644), -ENOENT);
	cm_buf_close(&b);
}
END_TEST

START_TEST(test_remove_tree_keeps_what_links_name)
{
	char path[128], kept[128], link[128];

	snprintf(kept, sizeof(kept), "%s/kept", root);
	ck_assert_int_eq(cm_mkdir_p(kept, 0755), 0);
	snprintf(path, sizeof(path), "%s/kept/f", root);
	ck_assert_int_eq(cm_file_write_atomic(path, "x", 1, 0644), 0);
	snprintf(path, sizeof(path), "%s/t/a/b", root);
	ck_assert_int_eq(cm_mkdir_p(path, 0755), 0);
	snprintf(path, sizeof(path), "%s/t/a/b/f", root);
	ck_assert_int_eq(cm_file_write_atomic(path, "x", 1, 0400), 0);
	snprintf(link, sizeof(link), "%s/t/link", root);
	ck_assert_int_eq(symlink(kept, link), 0);
	snprintf(path, sizeof(path), "%s/t", root);
	ck_assert_int_eq(cm_remove_tree(path), 0);
	ck_assert_int_eq(access(path, F_OK), -1);
	/* the link went, not what it named */
	snprintf(path, sizeof(path), "%s/kept/f", root);
	ck_assert_int_eq(access(path, F_OK), 0);
	snprintf(path, sizeof(path), "%s/t", root);
	ck_assert_int_eq(cm_remove_tree(path), -ENOENT);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("cm_fileio");
	TCase *tc = tcase_create("mkdir_p");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_mkdir_p_makes_parents);
	tcase_add_test(tc, test_mkdir_p_file_in_the_way);
	tcase_add_test(tc, test_write_atomic_replaces_with_mode);
	tcase_add_test(tc, test_remove_tree_keeps_what_links_name);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return check_run(suite());
}
