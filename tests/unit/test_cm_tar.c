/* test_cm_tar.c: the tar reader: ustar, pax and GNU long names, numbers, damage and truncation, path cleaning. */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/tar.h"
#include "tests/lib/tar_writer.h"
#include "tests/lib/check_run.h"

/* The archive's members as "TYPE PATH -> LINK (SIZE) DATA" lines, or "error N: reason". */
static char *listing(const struct cm_buf *t, size_t chunk)
{
	struct tw_src src = {t->data, t->len, 0, chunk};
	struct cm_tar_reader *r;
	const struct cm_tar_entry *e;
	struct cm_buf out = CM_BUF_INIT, err = CM_BUF_INIT;
	int rc;

	ck_assert_int_eq(cm_tar_reader_new(tw_read, &src, &r), 0);
	while ((rc = cm_tar_next(r, &e, &err)) == 0) {
		char data[256];
		ssize_t n = cm_tar_read(r, data, sizeof(data) - 1);

		if (n < 0) {
			cm_buf_printf(&out, "read error %d\n", (int)n);
			continue;
		}
		data[n] = '\0';
		cm_buf_printf(&out, "%d %s%s%s (%lld) %s\n", (int)e->type, e->path, *e->link ? " -> " : "", e->link,
			      (long long)e->size, data);
	}
	if (rc != 1)
		cm_buf_printf(&out, "error %d: %s\n", rc, err.data ? err.data : "");
	/* the error sticks */
	ck_assert_int_eq(cm_tar_next(r, &e, NULL), rc);
	cm_tar_reader_free(r);
	cm_buf_close(&err);
	return cm_buf_take(&out);
}

#define LISTS(t, want)                                   \
	do {                                             \
		char *got_ = listing(t, 0);              \
		ck_assert_str_eq(got_, want);            \
		free(got_);                              \
		got_ = listing(t, 7); /* short reads */  \
		ck_assert_str_eq(got_, want);            \
		free(got_);                              \
	} while (0)

START_TEST(test_plain_members)
{
	struct cm_buf t = CM_BUF_INIT;

	tw_dir(&t, "etc/");
	tw_file(&t, "etc/hostname", "box");
	tw_symlink(&t, "bin", "usr/bin");
	tw_hardlink(&t, "etc/hn", "etc/hostname");
	tw_end(&t);
	LISTS(&t, "1 etc/ (0) \n0 etc/hostname (3) box\n2 bin -> usr/bin (0) \n3 etc/hn -> etc/hostname (0) \n");
	cm_buf_close(&t);
}
END_TEST

START_TEST(test_ustar_prefix)
{
	struct cm_buf t = CM_BUF_INIT;
	char *got;

	tw_file(&t, "name", "x");
	/* prefix field at 345: "long/prefix" then name "name" -> "long/prefix/name" (checksum redone) */
	memcpy(t.data + 345, "long/prefix", 11);
	{
		unsigned sum = 0;
		memset(t.data + 148, ' ', 8);
		for (int i = 0; i < 512; i++)
			sum += (unsigned char)t.data[i];
		snprintf(t.data + 148, 8, "%06o", sum);
	}
	tw_end(&t);
	got = listing(&t, 0);
	ck_assert_str_eq(got, "0 long/prefix/name (1) x\n");
	free(got);
	cm_buf_close(&t);
}
END_TEST

START_TEST(test_pax_long_names)
{
	struct cm_buf t = CM_BUF_INIT, want = CM_BUF_INIT;
	char longname[301], longlink[201];

	memset(longname, 'a', 300);
	longname[300] = '\0';
	longname[100] = '/';
	memset(longlink, 'b', 200);
	longlink[200] = '\0';
	tw_pax(&t, "path", longname);
	tw_file(&t, "cut-name", "data");
	tw_pax(&t, "linkpath", longlink);
	tw_symlink(&t, "s", "cut");
	tw_file(&t, "after", "y"); /* the pax values applied to one member only */
	tw_end(&t);
	cm_buf_printf(&want, "0 %s (4) data\n2 s -> %s (0) \n0 after (1) y\n", longname, longlink);
	LISTS(&t, want.data);
	cm_buf_close(&t);
	cm_buf_close(&want);
}
END_TEST

START_TEST(test_pax_size_overrides_header)
{
	struct cm_buf t = CM_BUF_INIT;

	tw_pax(&t, "size", "5");
	/* the header says 5 too (a writer with a real big file would put 0 there) */
	tw_file(&t, "f", "hello");
	tw_end(&t);
	LISTS(&t, "0 f (5) hello\n");
	cm_buf_close(&t);
}
END_TEST

START_TEST(test_gnu_long_name_and_link)
{
	struct cm_buf t = CM_BUF_INIT, want = CM_BUF_INIT;
	char longname[200];

	memset(longname, 'n', 199);
	longname[199] = '\0';
	tw_member(&t, "././@LongLink", 'L', 0644, NULL, longname, 200); /* the NUL counted, as GNU tar does */
	tw_member(&t, "././@LongLink", 'K', 0644, NULL, "target/far/away", 15);
	tw_symlink(&t, "short", "x");
	tw_end(&t);
	cm_buf_printf(&want, "2 %s -> target/far/away (0) \n", longname);
	LISTS(&t, want.data);
	cm_buf_close(&t);
	cm_buf_close(&want);
}
END_TEST

START_TEST(test_base256_size)
{
	struct cm_buf t = CM_BUF_INIT;
	unsigned sum = 0;

	tw_file(&t, "f", "abc");
	memset(t.data + 124, 0, 12);
	t.data[124] = (char)0x80;
	t.data[135] = 3;
	memset(t.data + 148, ' ', 8);
	for (int i = 0; i < 512; i++)
		sum += (unsigned char)t.data[i];
	snprintf(t.data + 148, 8, "%06o", sum);
	tw_end(&t);
	LISTS(&t, "0 f (3) abc\n");
	cm_buf_close(&t);
}
END_TEST

START_TEST(test_end_without_second_zero_block)
{
	struct cm_buf t = CM_BUF_INIT;

	tw_file(&t, "f", "1");
	LISTS(&t, "0 f (1) 1\n"); /* input ends at a block boundary */
	tw_end(&t);
	t.len -= 512;
	LISTS(&t, "0 f (1) 1\n"); /* one zero block */
	cm_buf_close(&t);
}
END_TEST

START_TEST(test_truncated_is_an_error)
{
	struct cm_buf t = CM_BUF_INIT;
	char *got;

	tw_file(&t, "a", "first");
	tw_file(&t, "b", "0123456789");
	tw_end(&t);
	for (size_t cut = 1; cut < 3 * 512; cut++) {
		struct cm_buf part = CM_BUF_INIT;

		if (cut % 512 == 0)
			continue; /* at a block boundary the archive just looks shorter */
		cm_buf_append(&part, t.data, cut);
		got = listing(&part, 0);
		ck_assert_msg(strstr(got, "error -22") || strstr(got, "read error -22"), "cut %zu: %s", cut, got);
		free(got);
		cm_buf_close(&part);
	}
	cm_buf_close(&t);
}
END_TEST

START_TEST(test_damage_is_an_error)
{
	struct cm_buf t = CM_BUF_INIT, pax = CM_BUF_INIT;
	char *got;

	tw_file(&t, "a", "x");
	t.data[0] = 'b'; /* checksum no longer matches */
	got = listing(&t, 0);
	ck_assert_str_eq(got, "error -22: bad header checksum\n");
	free(got);
	cm_buf_reset(&t);
	tw_member(&t, "PaxHeader", 'x', 0644, NULL, "99 path=x\n", 10); /* a length past the header */
	tw_file(&t, "a", "x");
	got = listing(&t, 0);
	ck_assert_ptr_nonnull(strstr(got, "error -22"));
	free(got);
	cm_buf_reset(&t);
	tw_member(&t, "PaxHeader", 'x', 0644, NULL, "8 pathx\n", 8); /* no '=' */
	tw_file(&t, "a", "x");
	got = listing(&t, 0);
	ck_assert_ptr_nonnull(strstr(got, "error -22"));
	free(got);
	cm_buf_reset(&t);
	tw_file(&t, "a", "x");
	memcpy(t.data + 124, "0000000009z", 11); /* not octal */
	{
		unsigned sum = 0;
		memset(t.data + 148, ' ', 8);
		for (int i = 0; i < 512; i++)
			sum += (unsigned char)t.data[i];
		snprintf(t.data + 148, 8, "%06o", sum);
	}
	got = listing(&t, 0);
	ck_assert_str_eq(got, "error -22: bad number in a header\n");
	free(got);
	cm_buf_close(&t);
	cm_buf_close(&pax);
}
END_TEST

START_TEST(test_clean_path)
{
	static const struct {
		const char *in, *out;
		int rc;
	} cases[] = {
		{"a/b", "a/b", 0},         {"./a//b/", "a/b", 0}, {"/etc/passwd", "etc/passwd", 0},
		{".", "", 0},              {"./", "", 0},         {"a/./b/.", "a/b", 0},
		{"../x", NULL, -EINVAL},   {"a/../b", NULL, -EINVAL}, {"a/..", NULL, -EINVAL},
		{"..", NULL, -EINVAL},     {"...", "...", 0},     {"a/..b", "a/..b", 0},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct cm_buf b = CM_BUF_INIT;

		cm_buf_puts(&b, "keep:");
		ck_assert_int_eq(cm_tar_clean_path(cases[i].in, &b), cases[i].rc);
		if (cases[i].rc == 0)
			ck_assert_str_eq(b.data + 5, cases[i].out);
		else
			ck_assert_str_eq(b.data, "keep:"); /* unchanged on failure */
		cm_buf_close(&b);
	}
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("cm_tar");
	TCase *tc = tcase_create("tar");

	tcase_add_test(tc, test_plain_members);
	tcase_add_test(tc, test_ustar_prefix);
	tcase_add_test(tc, test_pax_long_names);
	tcase_add_test(tc, test_pax_size_overrides_header);
	tcase_add_test(tc, test_gnu_long_name_and_link);
	tcase_add_test(tc, test_base256_size);
	tcase_add_test(tc, test_end_without_second_zero_block);
	tcase_add_test(tc, test_truncated_is_an_error);
	tcase_add_test(tc, test_damage_is_an_error);
	tcase_add_test(tc, test_clean_path);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return check_run(suite());
}
