/* test_api_patch_strategic.c: the server's strategic merge patch on whole objects, as kubectl sends them. */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "apiserver/patch.h"
#include "tests/lib/check_run.h"

static cJSON *J(const char *s)
{
	cJSON *j = cJSON_Parse(s);
	ck_assert_msg(j != NULL, "bad test JSON: %s", s);
	return j;
}

static const char *LIVE =
	"{\"apiVersion\":\"apps/v1\",\"kind\":\"Deployment\",\"metadata\":{\"name\":\"web\",\"namespace\":\"default\","
	"\"resourceVersion\":\"7\",\"annotations\":{\"kubectl.kubernetes.io/last-applied-configuration\":\"{}\"}},"
	"\"spec\":{\"replicas\":2,\"selector\":{\"matchLabels\":{\"app\":\"web\"}},"
	"\"strategy\":{\"type\":\"RollingUpdate\",\"rollingUpdate\":{\"maxSurge\":\"25%\"}},"
	"\"template\":{\"metadata\":{\"labels\":{\"app\":\"web\"}},\"spec\":{\"containers\":["
	"{\"name\":\"web\",\"image\":\"v1\",\"ports\":[{\"containerPort\":80,\"protocol\":\"TCP\"}],"
	"\"env\":[{\"name\":\"A\",\"value\":\"1\"}]},"
	"{\"name\":\"log\",\"image\":\"busybox\"}]}}},\"status\":{\"replicas\":2}}";

static cJSON *patched(const char *patch)
{
	cJSON *d = J(LIVE), *p = J(patch), *out = NULL;
	struct cm_buf err = CM_BUF_INIT;
	int rc = api_patch_strategic(d, p, &out, &err);
	ck_assert_msg(rc == 0, "%s", err.data ? err.data : "");
	cJSON_Delete(d), cJSON_Delete(p);
	cm_buf_close(&err);
	return out;
}

static const cJSON *at(const cJSON *j, const char *path)
{
	char buf[256], *save = NULL;
	snprintf(buf, sizeof(buf), "%s", path);
	for (char *t = strtok_r(buf, ".", &save); t && j; t = strtok_r(NULL, ".", &save))
		j = (*t >= '0' && *t <= '9') ? cJSON_GetArrayItem(j, atoi(t)) : cJSON_GetObjectItemCaseSensitive(j, t);
	return j;
}

static const char *str_at(const cJSON *j, const char *path)
{
	const cJSON *v = at(j, path);
	return cJSON_IsString(v) ? v->valuestring : NULL;
}

#define C "spec.template.spec.containers"

START_TEST(kubectl_apply_image_change)
{
	/* the body kubectl apply sends when only the image changed */
	cJSON *o = patched("{\"metadata\":{\"annotations\":{\"kubectl.kubernetes.io/last-applied-configuration\":\"{\\\"x\\\":1}\"}},"
			   "\"spec\":{\"template\":{\"spec\":{\"$setElementOrder/containers\":[{\"name\":\"web\"},{\"name\":\"log\"}],"
			   "\"containers\":[{\"image\":\"v2\",\"name\":\"web\"}]}}}}");
	ck_assert_str_eq(str_at(o, C ".0.image"), "v2");
	ck_assert_int_eq(at(o, C ".0.ports.0.containerPort")->valueint, 80);
	ck_assert_str_eq(str_at(o, C ".0.env.0.value"), "1");
	ck_assert_str_eq(str_at(o, C ".1.image"), "busybox");
	ck_assert_int_eq(cJSON_GetArraySize(at(o, C)), 2);
	ck_assert_str_eq(cJSON_GetObjectItem(at(o, "metadata.annotations"), "kubectl.kubernetes.io/last-applied-configuration")->valuestring, "{\"x\":1}");
	ck_assert_int_eq(at(o, "status.replicas")->valueint, 2);
	ck_assert_str_eq(str_at(o, "metadata.name"), "web");
	cJSON_Delete(o);
}
END_TEST

START_TEST(reorder_delete_and_null)
{
	cJSON *o = patched("{\"spec\":{\"template\":{\"spec\":{\"$setElementOrder/containers\":[{\"name\":\"log\"},{\"name\":\"web\"}]}}}}");
	ck_assert_str_eq(str_at(o, C ".0.name"), "log");
	ck_assert_str_eq(str_at(o, C ".1.name"), "web");
	cJSON_Delete(o);
	o = patched("{\"spec\":{\"template\":{\"spec\":{\"containers\":[{\"name\":\"log\",\"$patch\":\"delete\"}]}}}}");
	ck_assert_int_eq(cJSON_GetArraySize(at(o, C)), 1);
	ck_assert_str_eq(str_at(o, C ".0.name"), "web");
	cJSON_Delete(o);
	o = patched("{\"spec\":{\"strategy\":{\"rollingUpdate\":null,\"type\":\"Recreate\"}}}");
	ck_assert_ptr_null(at(o, "spec.strategy.rollingUpdate"));
	ck_assert_str_eq(str_at(o, "spec.strategy.type"), "Recreate");
	cJSON_Delete(o);
	/* kubectl cordon */
	cJSON *node = J("{\"kind\":\"Node\",\"spec\":{\"podCIDR\":\"10.0.0.0/24\"}}"), *p = J("{\"spec\":{\"unschedulable\":true}}");
	ck_assert_int_eq(api_patch_strategic(node, p, &o, NULL), 0);
	ck_assert(cJSON_IsTrue(at(o, "spec.unschedulable")));
	ck_assert_str_eq(str_at(o, "spec.podCIDR"), "10.0.0.0/24");
	cJSON_Delete(o), cJSON_Delete(node), cJSON_Delete(p);
}
END_TEST

START_TEST(malformed)
{
	cJSON *d = J(LIVE), *out = (cJSON *)0x1;
	const char *bad[] = {
		"[1]",
		"\"x\"",
		"{\"spec\":{\"template\":{\"spec\":{\"containers\":[{\"image\":\"no-name\"}]}}}}",
		"{\"spec\":{\"$patch\":\"explode\"}}",
		"{\"spec\":{\"template\":{\"spec\":{\"containers\":[7]}}}}",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct cm_buf err = CM_BUF_INIT;
		cJSON *p = J(bad[i]);
		ck_assert_int_eq(api_patch_strategic(d, p, &out, &err), -EINVAL);
		ck_assert_ptr_eq(out, (cJSON *)0x1);
		ck_assert_ptr_nonnull(err.data);
		cJSON_Delete(p);
		cm_buf_close(&err);
	}
	cJSON *p = J("{}");
	ck_assert_int_eq(api_patch_strategic(NULL, p, &out, NULL), -EINVAL);
	cJSON_Delete(p);
	cJSON_Delete(d);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("api_patch_strategic");
	TCase *tc = tcase_create("strategic");
	tcase_add_test(tc, kubectl_apply_image_change);
	tcase_add_test(tc, reorder_delete_and_null);
	tcase_add_test(tc, malformed);
	suite_add_tcase(s, tc);
	return check_run(s);
}
