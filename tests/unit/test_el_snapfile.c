/* test_el_snapfile.c: snapshot files: save/load, corrupt newest falls back, temp files ignored, pruning. */
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/log.h"
#include "etcdlite/snapfile.h"
#include "tests/lib/check_run.h"

static char dir[64];

static void setup(void)
{
	snprintf(dir, sizeof(dir), "/tmp/el_snap_XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	cm_log_init("test", 0);
}

static int rm_cb(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static void teardown(void)
{
	nftw(dir, rm_cb, 16, FTW_DEPTH | FTW_PHYS);
}

static int count_files(const char *suffix)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	int n = 0;
	ck_assert_ptr_nonnull(d);
	while ((de = readdir(d))) {
		size_t l = strlen(de->d_name), sl = strlen(suffix);
		if (l > sl && strcmp(de->d_name + l - sl, suffix) == 0)
			n++;
	}
	closedir(d);
	return n;
}

#define SAVE(idx, term, str) \
	ck_assert_int_eq(el_snapfile_save(dir, (idx), (term), (str), strlen(str)), 0)

/* Loads and checks the latest is (idx, term) with payload str. */
static void load_is(uint64_t idx, uint64_t term, const char *str)
{
	uint64_t i = 0, t = 0;
	void *data = NULL;
	size_t len = 0;
	ck_assert_int_eq(el_snapfile_load_latest(dir, &i, &t, &data, &len), 0);
	ck_assert_uint_eq(i, idx);
	ck_assert_uint_eq(t, term);
	ck_assert_uint_eq(len, strlen(str));
	ck_assert(memcmp(data, str, len) == 0);
	free(data);
}

static void path_of(uint64_t idx, uint64_t term, char *out, size_t n)
{
	snprintf(out, n, "%s/%016llx-%016llx.snap", dir, (unsigned long long)term,
		 (unsigned long long)idx);
}

START_TEST(test_save_load)
{
	uint64_t i = 99, t = 99;
	void *data = (void *)0x1;
	size_t len = 99;
	ck_assert_int_eq(el_snapfile_load_latest(dir, &i, &t, &data, &len), -ENOENT);
	ck_assert_uint_eq(i, 99);
	ck_assert_ptr_eq(data, (void *)0x1);

	SAVE(10, 2, "hello snapshot");
	load_is(10, 2, "hello snapshot");
	SAVE(20, 3, "");
	load_is(20, 3, "");
	ck_assert_int_eq(el_snapfile_save(dir, 0, 1, "x", 1), -EINVAL);
}
END_TEST

START_TEST(test_keeps_last_two)
{
	SAVE(10, 1, "a");
	SAVE(20, 1, "b");
	SAVE(30, 2, "c");
	SAVE(40, 2, "d");
	ck_assert_int_eq(count_files(".snap"), 2);
	load_is(40, 2, "d");
	char p[256];
	path_of(30, 2, p, sizeof(p));
	ck_assert_int_eq(access(p, F_OK), 0);
}
END_TEST

START_TEST(test_corrupt_newest_falls_back)
{
	char p[256];
	SAVE(10, 1, "older state");
	SAVE(20, 1, "newer state");
	path_of(20, 1, p, sizeof(p));
	int fd = open(p, O_RDWR);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(pwrite(fd, "X", 1, 50), 1); /* inside the payload */
	close(fd);
	load_is(10, 1, "older state");

}
END_TEST

START_TEST(test_truncated_newest_falls_back)
{
	char p[256];
	SAVE(10, 1, "older state");
	SAVE(30, 2, "third");
	path_of(30, 2, p, sizeof(p));
	ck_assert_int_eq(truncate(p, 20), 0);
	load_is(10, 1, "older state");
	/* A new save is then the newest and loads. */
	SAVE(40, 2, "fourth");
	load_is(40, 2, "fourth");
}
END_TEST

START_TEST(test_all_corrupt_is_enoent)
{
	char p[256];
	SAVE(10, 1, "only");
	path_of(10, 1, p, sizeof(p));
	ck_assert_int_eq(truncate(p, 60), 0);
	uint64_t i, t;
	void *data;
	size_t len;
	ck_assert_int_eq(el_snapfile_load_latest(dir, &i, &t, &data, &len), -ENOENT);
}
END_TEST

START_TEST(test_temp_file_ignored)
{
	char p[256];
	SAVE(10, 1, "good");
	/* A save that crashed before its rename. */
	snprintf(p, sizeof(p), "%s/%016x-%016x.snap.tmp", dir, 2, 20);
	FILE *f = fopen(p, "w");
	ck_assert_ptr_nonnull(f);
	fputs("half written", f);
	fclose(f);
	load_is(10, 1, "good");
	ck_assert_int_eq(access(p, F_OK), -1);
	ck_assert_int_eq(count_files(".tmp"), 0);
}
END_TEST

START_TEST(test_missing_dir)
{
	char p[256];
	snprintf(p, sizeof(p), "%s/nope", dir);
	ck_assert_int_eq(el_snapfile_save(p, 1, 1, "x", 1), -ENOENT);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("el_snapfile");
	TCase *tc = tcase_create("snapfile");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_save_load);
	tcase_add_test(tc, test_keeps_last_two);
	tcase_add_test(tc, test_corrupt_newest_falls_back);
	tcase_add_test(tc, test_truncated_newest_falls_back);
	tcase_add_test(tc, test_all_corrupt_is_enoent);
	tcase_add_test(tc, test_temp_file_ignored);
	tcase_add_test(tc, test_missing_dir);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return check_run(suite());
}
