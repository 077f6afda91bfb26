/* test_kl_unpack.c: layers applied under a root: files, links, whiteouts, opaque directories, escapes refused. */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kubelet/image/unpack.h"
#include "kubelet/image/ref.h"
#include "kubelet/image/user.h"
#include "tests/lib/tar_writer.h"
#include "tests/lib/check_run.h"

static char base[64];
static char root[128], outside[128];
static int rootfd = -1;

static void setup(void)
{
	snprintf(base, sizeof(base), "/tmp/kl-unpack-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(base));
	snprintf(root, sizeof(root), "%s/root", base);
	snprintf(outside, sizeof(outside), "%s/outside", base);
	ck_assert_int_eq(mkdir(root, 0755), 0);
	ck_assert_int_eq(mkdir(outside, 0755), 0);
	rootfd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
	ck_assert_int_ge(rootfd, 0);
}

static void teardown(void)
{
	int fd = open("/tmp", O_PATH | O_DIRECTORY);

	close(rootfd);
	kl_rm_tree_at(fd, base + 5);
	close(fd);
}

/* Applies the archive t as a layer; returns kl_unpack_tar's code. */
static int layer(struct cm_buf *t, bool whiteouts)
{
	struct kl_unpack_opts o = {.whiteouts = whiteouts, .chown = false};
	struct tw_src src;
	struct cm_tar_reader *r;
	struct cm_buf err = CM_BUF_INIT;
	int rc;

	tw_end(t);
	src = (struct tw_src){t->data, t->len, 0, 0};
	ck_assert_int_eq(cm_tar_reader_new(tw_read, &src, &r), 0);
	rc = kl_unpack_tar(rootfd, r, &o, NULL, &err);
	cm_tar_reader_free(r);
	cm_buf_close(&err);
	cm_buf_reset(t);
	return rc;
}

/* The content of root/rel, or "<missing>". */
static const char *cat(const char *rel)
{
	static char data[256];
	char p[512];
	FILE *f;
	size_t n;

	snprintf(p, sizeof(p), "%s/%s", root, rel);
	if (!(f = fopen(p, "r")))
		return "<missing>";
	n = fread(data, 1, sizeof(data) - 1, f);
	data[n] = '\0';
	fclose(f);
	return data;
}

static bool exists_at(const char *dir, const char *rel)
{
	char p[512];
	struct stat st;

	snprintf(p, sizeof(p), "%s/%s", dir, rel);
	return lstat(p, &st) == 0;
}

START_TEST(test_files_links_modes)
{
	struct cm_buf t = CM_BUF_INIT;
	struct stat st;
	char p[512];

	tw_file(&t, "a/b/c.txt", "deep"); /* parents made on the way */
	tw_member(&t, "bin/tool", '0', 04755, NULL, "#!", 2);
	tw_symlink(&t, "lnk", "a/b/c.txt");
	tw_hardlink(&t, "hard", "a/b/c.txt");
	ck_assert_int_eq(layer(&t, true), 0);
	ck_assert_str_eq(cat("a/b/c.txt"), "deep");
	ck_assert_str_eq(cat("lnk"), "deep");
	ck_assert_str_eq(cat("hard"), "deep");
	snprintf(p, sizeof(p), "%s/bin/tool", root);
	ck_assert_int_eq(stat(p, &st), 0);
	ck_assert_int_eq(st.st_mode & 07777, 04755);
	snprintf(p, sizeof(p), "%s/hard", root);
	ck_assert_int_eq(stat(p, &st), 0);
	ck_assert_int_eq((int)st.st_nlink, 2);
	/* a later layer replaces a file with a directory and a symlink with a file */
	tw_dir(&t, "hard");
	tw_file(&t, "lnk", "now a file");
	ck_assert_int_eq(layer(&t, true), 0);
	ck_assert_str_eq(cat("lnk"), "now a file");
	ck_assert_str_eq(cat("a/b/c.txt"), "deep"); /* not written through the old symlink */
	cm_buf_close(&t);
}
END_TEST

START_TEST(test_whiteout_removes)
{
	struct cm_buf t = CM_BUF_INIT;

	tw_file(&t, "etc/keep", "k");
	tw_file(&t, "etc/gone", "g");
	tw_file(&t, "var/tree/x/y", "deep");
	ck_assert_int_eq(layer(&t, true), 0);
	tw_file(&t, "etc/.wh.gone", "");
	tw_file(&t, "var/.wh.tree", "");
	tw_file(&t, "nodir/.wh.nothing", ""); /* a whiteout of nothing makes nothing */
	ck_assert_int_eq(layer(&t, true), 0);
	ck_assert_str_eq(cat("etc/keep"), "k");
	ck_assert(!exists_at(root, "etc/gone"));
	ck_assert(!exists_at(root, "etc/.wh.gone"));
	ck_assert(!exists_at(root, "var/tree"));
	ck_assert(exists_at(root, "var"));
	ck_assert(!exists_at(root, "nodir"));
	cm_buf_close(&t);
}
END_TEST

START_TEST(test_opaque_dir)
{
	struct cm_buf t = CM_BUF_INIT;

	tw_file(&t, "app/old", "1");
	tw_file(&t, "app/sub/older", "2");
	tw_file(&t, "other/stays", "3");
	ck_assert_int_eq(layer(&t, true), 0);
	tw_dir(&t, "app");
	tw_file(&t, "app/new", "4"); /* written by this layer before the marker: kept */
	tw_file(&t, "app/.wh..wh..opq", "");
	ck_assert_int_eq(layer(&t, true), 0);
	ck_assert_str_eq(cat("app/new"), "4");
	ck_assert(!exists_at(root, "app/old"));
	ck_assert(!exists_at(root, "app/sub"));
	ck_assert(!exists_at(root, "app/.wh..wh..opq"));
	ck_assert_str_eq(cat("other/stays"), "3");
	cm_buf_close(&t);
}
END_TEST

START_TEST(test_whiteouts_are_files_outside_layers)
{
	struct cm_buf t = CM_BUF_INIT;

	tw_file(&t, ".wh.x", "plain");
	ck_assert_int_eq(layer(&t, false), 0);
	ck_assert_str_eq(cat(".wh.x"), "plain");
	cm_buf_close(&t);
}
END_TEST

START_TEST(test_dotdot_refused)
{
	struct cm_buf t = CM_BUF_INIT;

	tw_file(&t, "../outside/pwned", "x");
	ck_assert_int_eq(layer(&t, true), -EINVAL);
	ck_assert(!exists_at(outside, "pwned"));
	tw_file(&t, "a/../../outside/pwned", "x");
	ck_assert_int_eq(layer(&t, true), -EINVAL);
	tw_hardlink(&t, "h", "../outside");
	ck_assert_int_eq(layer(&t, true), -EINVAL);
	ck_assert(!exists_at(outside, "pwned"));
	cm_buf_close(&t);
}
END_TEST

START_TEST(test_absolute_paths_stay_inside)
{
	struct cm_buf t = CM_BUF_INIT;
	char abs[256];

	snprintf(abs, sizeof(abs), "%s/pwned", outside);
	tw_file(&t, abs, "x"); /* "/tmp/.../outside/pwned": the leading "/" is the root's */
	ck_assert_int_eq(layer(&t, true), 0);
	ck_assert(!exists_at(outside, "pwned"));
	ck_assert_str_eq(cat(abs + 1), "x");
	cm_buf_close(&t);
}
END_TEST

START_TEST(test_symlink_escape_stays_inside)
{
	struct cm_buf t = CM_BUF_INIT;

	/* layer 1: links pointing out of the root, absolute and relative */
	tw_symlink(&t, "evil", outside);
	tw_symlink(&t, "rel", "../../../../../../../../../../..");
	ck_assert_int_eq(layer(&t, true), 0);
	/* layer 2 writes through them: the writes land inside the root or fail, never outside */
	tw_file(&t, "evil/pwned", "x");
	layer(&t, true);
	tw_file(&t, "rel/pwned2", "x");
	layer(&t, true);
	tw_file(&t, "evil", "replaced"); /* the last component is never followed: the link itself goes */
	ck_assert_int_eq(layer(&t, true), 0);
	ck_assert(!exists_at(outside, "pwned"));
	ck_assert(!exists_at(outside, "pwned2"));
	ck_assert(!exists_at(base, "pwned2"));
	ck_assert(!exists_at("/", "pwned2"));
	ck_assert_str_eq(cat("evil"), "replaced");
	/* a hard link to a path through a symlink that leaves the root */
	tw_symlink(&t, "out2", outside);
	tw_hardlink(&t, "h", "out2/victim");
	{
		char p[512];
		FILE *f;

		snprintf(p, sizeof(p), "%s/victim", outside);
		f = fopen(p, "w");
		fputs("secret", f);
		fclose(f);
	}
	ck_assert_int_lt(layer(&t, true), 0);
	ck_assert(!exists_at(root, "h"));
	cm_buf_close(&t);
}
END_TEST

START_TEST(test_remove_tree_does_not_follow_links)
{
	struct cm_buf t = CM_BUF_INIT;
	char p[512];
	FILE *f;

	snprintf(p, sizeof(p), "%s/precious", outside);
	f = fopen(p, "w");
	fputs("x", f);
	fclose(f);
	tw_symlink(&t, "d/link", outside);
	tw_file(&t, "d/f", "1");
	ck_assert_int_eq(layer(&t, true), 0);
	tw_file(&t, ".wh.d", "");
	ck_assert_int_eq(layer(&t, true), 0);
	ck_assert(!exists_at(root, "d"));
	ck_assert(exists_at(outside, "precious"));
	cm_buf_close(&t);
}
END_TEST

START_TEST(test_refs)
{
	static const struct {
		const char *in, *norm, *key;
	} cases[] = {
		{"nginx", "nginx:latest", "nginx:latest"},
		{"docker.io/library/nginx:1.25", "nginx:1.25", "nginx:1.25"},
		{"library/nginx", "nginx:latest", "nginx:latest"},
		{"docker.io/bitnami/redis", "bitnami/redis:latest", "bitnami+redis:latest"},
		{"localhost:5000/app", "localhost:5000/app:latest", "localhost:5000+app:latest"},
		{"quay.io/x/y@sha256:abc", "quay.io/x/y@sha256:abc", "quay.io+x+y@sha256:abc"},
	};
	static const char *const bad[] = {"", "a b", "../x", "a/../b", ".hidden", "a//b", "a/", "x+y", "a/.b"};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct cm_buf n = CM_BUF_INIT, k = CM_BUF_INIT, back = CM_BUF_INIT;

		ck_assert_int_eq(kl_image_ref_normalize(cases[i].in, &n), 0);
		ck_assert_str_eq(n.data, cases[i].norm);
		ck_assert_int_eq(kl_image_ref_key(cases[i].in, &k), 0);
		ck_assert_str_eq(k.data, cases[i].key);
		ck_assert_int_eq(kl_image_ref_from_key(k.data, &back), 0);
		ck_assert_str_eq(back.data, cases[i].norm);
		cm_buf_close(&n);
		cm_buf_close(&k);
		cm_buf_close(&back);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct cm_buf n = CM_BUF_INIT;

		ck_assert_msg(kl_image_ref_normalize(bad[i], &n) == -EINVAL, "%s accepted", bad[i]);
		cm_buf_close(&n);
	}
}
END_TEST

START_TEST(test_user)
{
	static const char passwd[] = "root:x:0:0:root:/root:/bin/sh\napp:x:1000:2000::/home/app:/bin/sh\n"
				     "broken-line\nweb:x:33:33::/var/www:/bin/false";
	static const char group[] = "root:x:0:\nstaff:x:50:app\n";
	uint32_t u = 7, g = 7;

	ck_assert_int_eq(kl_image_user_parse("app", passwd, group, &u, &g), 0);
	ck_assert_int_eq(u, 1000);
	ck_assert_int_eq(g, 2000);
	ck_assert_int_eq(kl_image_user_parse("web", passwd, group, &u, &g), 0); /* last line, no newline */
	ck_assert_int_eq(u, 33);
	ck_assert_int_eq(kl_image_user_parse("1000", passwd, group, &u, &g), 0);
	ck_assert_int_eq(g, 2000); /* a listed uid: its primary group */
	ck_assert_int_eq(kl_image_user_parse("4242", passwd, group, &u, &g), 0);
	ck_assert_int_eq(u, 4242);
	ck_assert_int_eq(g, 0);
	ck_assert_int_eq(kl_image_user_parse("app:staff", passwd, group, &u, &g), 0);
	ck_assert_int_eq(g, 50);
	ck_assert_int_eq(kl_image_user_parse("5:6", NULL, NULL, &u, &g), 0);
	ck_assert_int_eq(u, 5);
	ck_assert_int_eq(g, 6);
	u = g = 7;
	ck_assert_int_eq(kl_image_user_parse("nobody", passwd, group, &u, &g), -ENOENT);
	ck_assert_int_eq(kl_image_user_parse("app:nogroup", passwd, group, &u, &g), -ENOENT);
	ck_assert_int_eq(kl_image_user_parse("", passwd, group, &u, &g), -EINVAL);
	ck_assert_int_eq(kl_image_user_parse("app:", passwd, group, &u, &g), -EINVAL);
	ck_assert_int_eq(kl_image_user_parse("99999999999", passwd, group, &u, &g), -EINVAL);
	ck_assert_int_eq(u, 7); /* unchanged on failure */
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("kl_unpack");
	TCase *tc = tcase_create("unpack");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_files_links_modes);
	tcase_add_test(tc, test_whiteout_removes);
	tcase_add_test(tc, test_opaque_dir);
	tcase_add_test(tc, test_whiteouts_are_files_outside_layers);
	tcase_add_test(tc, test_dotdot_refused);
	tcase_add_test(tc, test_absolute_paths_stay_inside);
	tcase_add_test(tc, test_symlink_escape_stays_inside);
	tcase_add_test(tc, test_remove_tree_does_not_follow_links);
	tcase_add_test(tc, test_refs);
	tcase_add_test(tc, test_user);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return check_run(suite());
}
