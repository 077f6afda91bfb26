/* test_kp_kubeconfig.c: the apiserver URLs read from a kubeconfig file. */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kubeproxy/kubeconfig.h"
#include "tests/lib/check_run.h"

static char path[64];
static struct cm_strlist list;
static struct cm_buf err;

static void write_file(const char *text)
{
	FILE *f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fputs(text, f);
	fclose(f);
}

static void setup(void)
{
	int fd;

	strcpy(path, "/tmp/kp-kubeconfig-XXXXXX");
	fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	close(fd);
	memset(&list, 0, sizeof(list));
	cm_buf_init(&err);
}

static void teardown(void)
{
	unlink(path);
	cm_strlist_close(&list);
	cm_buf_close(&err);
}

static const char *const CONFIG =
	"apiVersion: v1\n"
	"kind: Config\n"
	"clusters:\n"
	"- name: a\n"
	"  cluster:\n"
	"    certificate-authority-data: AAAA\n"
	"    server: http://10.0.0.1:8080\n"
	"- cluster:\n"
	"    server: http://10.0.0.2:8080\n"
	"  name: b\n"
	"contexts:\n"
	"- name: ctx-a\n"
	"  context: {cluster: a, user: u}\n"
	"- name: ctx-b\n"
	"  context:\n"
	"    cluster: b\n"
	"    user: u\n"
	"users:\n"
	"- name: u\n"
	"  user: {token: t}\n";

START_TEST(test_current_context)
{
	struct cm_buf text = CM_BUF_INIT;

	cm_buf_printf(&text, "%scurrent-context: ctx-b\n", CONFIG);
	write_file(text.data);
	cm_buf_close(&text);
	ck_assert_int_eq(kp_kubeconfig_servers(path, &list, &err), 0);
	ck_assert_uint_eq(list.n, 1);
	ck_assert_str_eq(list.items[0], "http://10.0.0.2:8080");
}
END_TEST

START_TEST(test_every_cluster_without_context)
{
	write_file(CONFIG);
	ck_assert_int_eq(kp_kubeconfig_servers(path, &list, &err), 0);
	ck_assert_uint_eq(list.n, 2);
	ck_assert_str_eq(list.items[0], "http://10.0.0.1:8080");
	ck_assert_str_eq(list.items[1], "http://10.0.0.2:8080");
}
END_TEST

START_TEST(test_json_form)
{
	write_file("{\"clusters\":[{\"name\":\"x\",\"cluster\":{\"server\":\"http://127.0.0.1:6443\"}}]}");
	ck_assert_int_eq(kp_kubeconfig_servers(path, &list, &err), 0);
	ck_assert_str_eq(list.items[0], "http://127.0.0.1:6443");
}
END_TEST

START_TEST(test_errors)
{
	write_file("kind: Config\nclusters: []\n");
	ck_assert_int_eq(kp_kubeconfig_servers(path, &list, &err), -ENOENT);
	write_file("clusters: [\n  - : :\n");
	ck_assert_int_eq(kp_kubeconfig_servers(path, &list, &err), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err.data, "line"));
	ck_assert_int_eq(kp_kubeconfig_servers("/nonexistent/kubeconfig", &list, &err), -ENOENT);
	ck_assert_uint_eq(list.n, 0);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("kp_kubeconfig");
	TCase *tc = tcase_create("kubeconfig");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_current_context);
	tcase_add_test(tc, test_every_cluster_without_context);
	tcase_add_test(tc, test_json_form);
	tcase_add_test(tc, test_errors);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return check_run(suite());
}
