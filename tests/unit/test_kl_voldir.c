/* test_kl_voldir.c: a volume's files swapped in at once: Kubernetes' ..data layout, no rewrite when equal, names gone. */
#include <check.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/fileio.h"
#include "kubelet/voldir.h"
#include "tests/lib/check_run.h"

static char root[] = "/tmp/kl-voldir-XXXXXX";

static void setup(void)
{
	ck_assert_ptr_nonnull(mkdtemp(root));
}

static void teardown(void)
{
	ck_assert_int_eq(cm_remove_tree(root), 0);
	memcpy(root + strlen(root) - 6, "XXXXXX", 6); /* the next test's mkdtemp pattern */
}

/* The file rel under root, read through the links as a container would; "" when it cannot be read. */
static const char *read_at(const char *rel, char *out, size_t cap)
{
	struct cm_buf p = CM_BUF_INIT, b = CM_BUF_INIT;

	cm_buf_printf(&p, "%s/%s", root, rel);
	out[0] = '\0';
	if (cm_file_read(p.data, cap - 1, &b) == 0)
		snprintf(out, cap, "%s", b.data ? b.data : "");
	cm_buf_close(&p);
	cm_buf_close(&b);
	return out;
}

/* Where the link rel under root points; "" for no link. */
static const char *link_at(const char *rel, char *out, size_t cap)
{
	struct cm_buf p = CM_BUF_INIT;
	ssize_t n;

	cm_buf_printf(&p, "%s/%s", root, rel);
	n = readlink(p.data, out, cap - 1);
	out[n < 0 ? 0 : n] = '\0';
	cm_buf_close(&p);
	return out;
}

static bool exists(const char *rel)
{
	struct cm_buf p = CM_BUF_INIT;
	struct stat st;
	bool there;

	cm_buf_printf(&p, "%s/%s", root, rel);
	there = lstat(p.data, &st) == 0;
	cm_buf_close(&p);
	return there;
}

START_TEST(test_layout_and_swap)
{
	struct kl_payload p = {0};
	char buf[256], first[NAME_MAX + 1];
	bool changed;
	struct stat st;
	struct cm_buf path = CM_BUF_INIT;

	ck_assert_int_eq(kl_payload_add(&p, "greeting", "v1", 2, 0644), 0);
	ck_assert_int_eq(kl_payload_add(&p, "extra", "x", 1, 0600), 0);
	ck_assert_int_eq(kl_payload_add(&p, "dir/nested", "n", 1, 0644), 0);
	ck_assert_int_eq(kl_voldir_write(root, &p, &changed), 0);
	ck_assert(changed);
	link_at("..data", first, sizeof(first));
	ck_assert_int_eq(strncmp(first, "..", 2), 0);
	ck_assert_ptr_null(strchr(first, '/'));
	ck_assert_str_eq(link_at("greeting", buf, sizeof(buf)), "..data/greeting");
	ck_assert_str_eq(link_at("dir", buf, sizeof(buf)), "..data/dir");
	ck_assert_str_eq(read_at("greeting", buf, sizeof(buf)), "v1");
	ck_assert_str_eq(read_at("dir/nested", buf, sizeof(buf)), "n");
	cm_buf_printf(&path, "%s/extra", root);
	ck_assert_int_eq(stat(path.data, &st), 0);
	ck_assert_int_eq(st.st_mode & 0777, 0600);

	/* the same payload again: nothing is written, the folder stays */
	ck_assert_int_eq(kl_voldir_write(root, &p, &changed), 0);
	ck_assert(!changed);
	ck_assert_str_eq(link_at("..data", buf, sizeof(buf)), first);

	/* a mode alone changes: written */
	ck_assert_int_eq(kl_payload_add(&p, "extra", "x", 1, 0644), 0);
	ck_assert_int_eq(kl_voldir_write(root, &p, &changed), 0);
	ck_assert(changed);

	/* a new set without extra and dir: their links go, with the previous folders */
	kl_payload_close(&p);
	ck_assert_int_eq(kl_payload_add(&p, "greeting", "v2", 2, 0644), 0);
	ck_assert_int_eq(kl_voldir_write(root, &p, &changed), 0);
	ck_assert(changed);
	ck_assert_str_eq(read_at("greeting", buf, sizeof(buf)), "v2");
	ck_assert(!exists("extra"));
	ck_assert(!exists("dir"));
	ck_assert(!exists(first));
	ck_assert(!exists("..data_tmp"));
	snprintf(buf, sizeof(buf), "%s", link_at("..data", first, sizeof(first)));
	ck_assert(exists(buf));

	/* an empty set: only ..data and its empty folder remain */
	kl_payload_close(&p);
	ck_assert_int_eq(kl_voldir_write(root, &p, &changed), 0);
	ck_assert(changed);
	ck_assert(!exists("greeting"));
	ck_assert(exists("..data"));
	cm_buf_close(&path);
	kl_payload_close(&p);
}
END_TEST

/* A volume written by a kubelet before this layout (plain files and folders) is taken over. */
START_TEST(test_old_layout_replaced)
{
	struct kl_payload p = {0};
	struct cm_buf path = CM_BUF_INIT;
	char buf[64];
	bool changed;

	cm_buf_printf(&path, "%s/key", root);
	ck_assert_int_eq(cm_file_write_atomic(path.data, "old", 3, 0644), 0);
	cm_buf_reset(&path);
	cm_buf_printf(&path, "%s/sub", root);
	ck_assert_int_eq(cm_mkdir_p(path.data, 0755), 0);
	cm_buf_puts(&path, "/f");
	ck_assert_int_eq(cm_file_write_atomic(path.data, "old-f", 5, 0644), 0);
	cm_buf_reset(&path);
	cm_buf_printf(&path, "%s/stale", root);
	ck_assert_int_eq(cm_file_write_atomic(path.data, "s", 1, 0644), 0);

	ck_assert_int_eq(kl_payload_add(&p, "key", "new", 3, 0644), 0);
	ck_assert_int_eq(kl_payload_add(&p, "sub/f", "f", 1, 0644), 0);
	ck_assert_int_eq(kl_voldir_write(root, &p, &changed), 0);
	ck_assert(changed);
	ck_assert_str_eq(link_at("key", buf, sizeof(buf)), "..data/key");
	ck_assert_str_eq(link_at("sub", buf, sizeof(buf)), "..data/sub");
	ck_assert_str_eq(read_at("key", buf, sizeof(buf)), "new");
	ck_assert_str_eq(read_at("sub/f", buf, sizeof(buf)), "f");
	ck_assert(!exists("stale"));
	cm_buf_close(&path);
	kl_payload_close(&p);
}
END_TEST

START_TEST(test_payload_paths)
{
	struct kl_payload p = {0};

	ck_assert_int_eq(kl_payload_add(&p, "", "x", 1, 0644), -EINVAL);
	ck_assert_int_eq(kl_payload_add(&p, "/abs", "x", 1, 0644), -EINVAL);
	ck_assert_int_eq(kl_payload_add(&p, "../up", "x", 1, 0644), -EINVAL);
	ck_assert_int_eq(kl_payload_add(&p, "..data", "x", 1, 0644), -EINVAL);
	/* a later source's file replaces an earlier one's (projected volumes) */
	ck_assert_int_eq(kl_payload_add(&p, "a", "1", 1, 0644), 0);
	ck_assert_int_eq(kl_payload_add(&p, "a", "22", 2, 0600), 0);
	ck_assert_uint_eq(p.n, 1);
	ck_assert_str_eq(p.v[0].data, "22");
	ck_assert_int_eq(p.v[0].mode, 0600);
	kl_payload_close(&p);
	ck_assert_uint_eq(p.n, 0);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("kl_voldir");
	TCase *tc = tcase_create("voldir");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_layout_and_swap);
	tcase_add_test(tc, test_old_layout_replaced);
	tcase_add_test(tc, test_payload_paths);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return check_run(suite());
}
