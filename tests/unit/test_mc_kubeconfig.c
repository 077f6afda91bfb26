/* test_mc_kubeconfig.c: $KUBECONFIG lists merged as kubectl merges them, and the file kubectl writes to. */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/json.h"
#include "ctl/kubeconfig.h"
#include "tests/lib/check_run.h"

static char dir[64];

static void setup(void)
{
	snprintf(dir, sizeof(dir), "/tmp/mc-kc-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
}

static void teardown(void)
{
	char path[128];
	static const char *const names[] = {"a", "b"};

	for (size_t i = 0; i < 2; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		unlink(path);
	}
	rmdir(dir);
}

static void write_file(const char *name, const char *text)
{
	char path[128];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fputs(text, f);
	fclose(f);
}

/* The file list for $KUBECONFIG=value, where "%s" stands for the test's folder. */
static cJSON *files_for(const char *value)
{
	char env[512];
	struct mc_ctx c = {0};
	cJSON *files = NULL;
	const char *p = value;
	size_t n = 0;

	while (*p && n + 80 < sizeof(env)) {
		if (p[0] == '%' && p[1] == 's') {
			n += (size_t)snprintf(env + n, sizeof(env) - n, "%s", dir);
			p += 2;
		} else {
			env[n++] = *p++;
		}
	}
	env[n] = '\0';
	setenv("KUBECONFIG", env, 1);
	ck_assert_int_eq(mc_kubeconfig_files(&c, &files), 0);
	return files;
}

START_TEST(test_env_list_split_and_deduplicated)
{
	cJSON *files = files_for("%s/a::%s/b:%s/a:");
	char *out = NULL;

	ck_assert_int_eq(cJSON_GetArraySize(files), 2);
	ck_assert_str_eq(cJSON_GetArrayItem(files, 0)->valuestring + strlen(dir), "/a");
	ck_assert_str_eq(cJSON_GetArrayItem(files, 1)->valuestring + strlen(dir), "/b");
	/* nothing exists yet: the last file; then the first that exists */
	ck_assert_int_eq(mc_kubeconfig_default_file(files, &out), 0);
	ck_assert_str_eq(out + strlen(dir), "/b");
	free(out);
	write_file("b", "kind: Config\n");
	ck_assert_int_eq(mc_kubeconfig_default_file(files, &out), 0);
	ck_assert_str_eq(out + strlen(dir), "/b");
	free(out);
	write_file("a", "kind: Config\n");
	ck_assert_int_eq(mc_kubeconfig_default_file(files, &out), 0);
	ck_assert_str_eq(out + strlen(dir), "/a");
	free(out);
	cJSON_Delete(files);
}
END_TEST

START_TEST(test_first_file_wins)
{
	cJSON *files = files_for("%s/a:%s/missing:%s/b"), *kc = NULL;
	struct cm_buf err = CM_BUF_INIT;
	char *origin = NULL;

	write_file("a", "clusters:\n- name: shared\n  cluster: {server: http://a}\ncontexts:\n- name: x\n  context: {cluster: shared}\n");
	write_file("b", "clusters:\n- name: shared\n  cluster: {server: http://b, insecure-skip-tls-verify: true}\n"
			"- name: only-b\n  cluster: {server: http://b2}\ncurrent-context: yctx\n"
			"contexts:\n- name: yctx\n  context: {cluster: only-b, namespace: n}\n");
	ck_assert_int_eq(mc_kubeconfig_load_all(files, &kc, &err), 0);
	/* an entry comes whole from the first file naming it: no insecure flag from b's "shared" */
	ck_assert_str_eq(cm_json_get_str(mc_kubeconfig_named(kc, "clusters", "shared"), "cluster.server"), "http://a");
	ck_assert_ptr_null(cm_json_get(mc_kubeconfig_named(kc, "clusters", "shared"), "cluster.insecure-skip-tls-verify"));
	ck_assert_ptr_nonnull(mc_kubeconfig_named(kc, "clusters", "only-b"));
	ck_assert_str_eq(cm_json_get_str(kc, "current-context"), "yctx");
	ck_assert_int_eq(mc_kubeconfig_origin(files, "contexts", "yctx", &origin), 0);
	ck_assert_str_eq(origin + strlen(dir), "/b");
	free(origin);
	ck_assert_int_eq(mc_kubeconfig_origin(files, "clusters", "shared", &origin), 0);
	ck_assert_str_eq(origin + strlen(dir), "/a");
	free(origin);
	ck_assert_int_eq(mc_kubeconfig_origin(files, "users", "nobody", &origin), -ENOENT);
	cJSON_Delete(kc);
	cJSON_Delete(files);
	cm_buf_close(&err);
}
END_TEST

START_TEST(test_normalize_as_kubectl_writes)
{
	cJSON *kc = cJSON_Parse("{\"kind\":\"Config\",\"contexts\":[{\"name\":\"z\",\"context\":{\"cluster\":\"c\"}},"
				"{\"name\":\"a\",\"context\":{\"namespace\":\"n\",\"cluster\":\"c\"}}],\"users\":[]}");
	char *text;

	mc_kubeconfig_normalize(kc);
	text = cJSON_PrintUnformatted(kc);
	ck_assert_str_eq(text, "{\"apiVersion\":\"v1\",\"clusters\":null,\"contexts\":["
			       "{\"context\":{\"cluster\":\"c\",\"namespace\":\"n\",\"user\":\"\"},\"name\":\"a\"},"
			       "{\"context\":{\"cluster\":\"c\",\"user\":\"\"},\"name\":\"z\"}],"
			       "\"current-context\":\"\",\"kind\":\"Config\",\"preferences\":{},\"users\":null}");
	free(text);
	cJSON_Delete(kc);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("mc_kubeconfig");
	TCase *tc = tcase_create("kubeconfig");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_env_list_split_and_deduplicated);
	tcase_add_test(tc, test_first_file_wins);
	tcase_add_test(tc, test_normalize_as_kubectl_writes);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return check_run(suite());
}
