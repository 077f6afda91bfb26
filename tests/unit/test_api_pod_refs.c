/* test_api_pod_refs.c: the objects a pod names, as the Node authorizer's graph needs them. */
#include <check.h>
#include <string.h>

#include "apiserver/pod_refs.h"
#include "common/buf.h"
#include "tests/lib/check_run.h"

/* Collects "K:name " for every reference, in the order they come. */
static int collect(int kind, const char *name, void *ud)
{
	return cm_buf_printf(ud, "%c:%s ", kind, name);
}

static void refs_of(const char *json, struct cm_buf *out)
{
	cJSON *pod = cJSON_Parse(json);

	ck_assert_ptr_nonnull(pod);
	ck_assert_int_eq(api_pod_refs(pod, collect, out), 0);
	cJSON_Delete(pod);
}

START_TEST(every_place_a_pod_names_things)
{
	struct cm_buf b = CM_BUF_INIT;

	refs_of("{\"metadata\":{\"name\":\"web\"},\"spec\":{\"serviceAccountName\":\"sa\","
		"\"imagePullSecrets\":[{\"name\":\"pull\"}],"
		"\"initContainers\":[{\"envFrom\":[{\"configMapRef\":{\"name\":\"icm\"}}]}],"
		"\"containers\":[{\"env\":[{\"name\":\"A\",\"valueFrom\":{\"secretKeyRef\":{\"name\":\"es\",\"key\":\"k\"}}},"
		"{\"name\":\"B\",\"valueFrom\":{\"configMapKeyRef\":{\"name\":\"ec\",\"key\":\"k\"}}},{\"name\":\"C\",\"value\":\"x\"}],"
		"\"envFrom\":[{\"secretRef\":{\"name\":\"fs\"}}]}],"
		"\"volumes\":[{\"name\":\"v1\",\"secret\":{\"secretName\":\"vs\"}},{\"name\":\"v2\",\"configMap\":{\"name\":\"vc\"}},"
		"{\"name\":\"v3\",\"persistentVolumeClaim\":{\"claimName\":\"claim\"}},{\"name\":\"v4\",\"ephemeral\":{}},"
		"{\"name\":\"v5\",\"csi\":{\"driver\":\"d\",\"nodePublishSecretRef\":{\"name\":\"csis\"}}},"
		"{\"name\":\"v6\",\"projected\":{\"sources\":[{\"secret\":{\"name\":\"ps\"}},{\"configMap\":{\"name\":\"pc\"}},"
		"{\"serviceAccountToken\":{\"path\":\"token\"}}]}},{\"name\":\"v7\",\"emptyDir\":{}}]}}",
		&b);
	ck_assert_str_eq(b.data, "a:sa s:es c:ec s:fs c:icm s:pull s:vs c:vc p:claim p:web-v4 s:csis s:ps c:pc ");
	cm_buf_close(&b);
}
END_TEST

START_TEST(no_account_named_is_default)
{
	struct cm_buf b = CM_BUF_INIT;

	refs_of("{\"spec\":{\"containers\":[{\"name\":\"c\"}]}}", &b);
	ck_assert_str_eq(b.data, "a:default ");
	cm_buf_close(&b);
}
END_TEST

static int stop_at_secret(int kind, const char *name, void *ud)
{
	(void)name;
	(void)ud;
	return kind == API_POD_REF_SECRET ? 7 : 0;
}

START_TEST(a_nonzero_answer_stops_the_walk)
{
	cJSON *pod = cJSON_Parse("{\"spec\":{\"volumes\":[{\"name\":\"v\",\"secret\":{\"secretName\":\"s\"}}]}}");

	ck_assert_int_eq(api_pod_refs(pod, stop_at_secret, NULL), 7);
	cJSON_Delete(pod);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("api_pod_refs");
	TCase *tc = tcase_create("refs");

	tcase_add_test(tc, every_place_a_pod_names_things);
	tcase_add_test(tc, no_account_named_is_default);
	tcase_add_test(tc, a_nonzero_answer_stops_the_walk);
	suite_add_tcase(s, tc);
	return check_run(s);
}
