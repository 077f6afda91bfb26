/* test_api_admission_sa.c: ServiceAccount admission: the default account, the credentials volume and its mounts. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "apiserver/admission_sa.h"
#include "common/json.h"
#include "tests/lib/check_run.h"

static cJSON *J(const char *s)
{
	cJSON *j = cJSON_Parse(s);

	ck_assert_ptr_nonnull(j);
	return j;
}

#define POD(spec) "{\"metadata\":{\"name\":\"p\",\"namespace\":\"team\"},\"spec\":" spec "}"
#define TWO_CONTAINERS "\"containers\":[{\"name\":\"a\",\"image\":\"x\"}],\"initContainers\":[{\"name\":\"i\",\"image\":\"x\"}]"

/* The mount of container path ("spec.containers") index 0 at the credentials path, or NULL. */
static const cJSON *credentials_mount(const cJSON *pod, const char *path)
{
	const cJSON *m;

	cJSON_ArrayForEach(m, cm_json_get(cJSON_GetArrayItem(cm_json_get(pod, path), 0), "volumeMounts"))
	{
		if (!strcmp(cm_json_str_or(m, "mountPath", ""), API_SA_MOUNT_PATH))
			return m;
	}
	return NULL;
}

START_TEST(default_account_name)
{
	cJSON *p = J(POD("{" TWO_CONTAINERS "}")), *q = J(POD("{\"serviceAccountName\":\"builder\"}"));

	ck_assert_int_eq(api_sa_admit_name(p), 0);
	ck_assert_str_eq(cm_json_get_str(p, "spec.serviceAccountName"), "default");
	ck_assert_str_eq(cm_json_get_str(p, "spec.serviceAccount"), "default");
	ck_assert_int_eq(api_sa_admit_name(q), 0);
	ck_assert_str_eq(cm_json_get_str(q, "spec.serviceAccountName"), "builder");
	ck_assert_str_eq(cm_json_get_str(q, "spec.serviceAccount"), "builder");
	cJSON_Delete(p);
	cJSON_Delete(q);
}
END_TEST

START_TEST(adds_projected_volume_and_mounts)
{
	cJSON *p = J(POD("{" TWO_CONTAINERS ",\"volumes\":[{\"name\":\"data\",\"emptyDir\":{}}]}"));
	cJSON *want = J("{\"defaultMode\":420,\"sources\":["
			"{\"serviceAccountToken\":{\"expirationSeconds\":3607,\"path\":\"token\"}},"
			"{\"configMap\":{\"name\":\"kube-root-ca.crt\",\"items\":[{\"key\":\"ca.crt\",\"path\":\"ca.crt\"}]}},"
			"{\"downwardAPI\":{\"items\":[{\"path\":\"namespace\",\"fieldRef\":{\"apiVersion\":\"v1\","
			"\"fieldPath\":\"metadata.namespace\"}}]}}]}");
	const cJSON *v, *m;
	const char *name;

	ck_assert(api_sa_needs_account(p));
	ck_assert_int_eq(api_sa_admit_token(p, NULL, 12345), 0);
	ck_assert_int_eq(cJSON_GetArraySize(cm_json_get(p, "spec.volumes")), 2);
	v = cJSON_GetArrayItem(cm_json_get(p, "spec.volumes"), 1);
	name = cm_json_get_str(v, "name");
	ck_assert_ptr_nonnull(name);
	ck_assert_int_eq(strlen(name), strlen("kube-api-access-") + 5);
	ck_assert(!strncmp(name, "kube-api-access-", 16));
	for (const char *s = name + 16; *s; s++)
		ck_assert((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9'));
	ck_assert(cm_json_equal(cm_json_get(v, "projected"), want));
	for (int k = 0; k < 2; k++) {
		m = credentials_mount(p, k ? "spec.initContainers" : "spec.containers");
		ck_assert_ptr_nonnull(m);
		ck_assert_str_eq(cm_json_get_str(m, "name"), name);
		ck_assert(cJSON_IsTrue(cm_json_get(m, "readOnly")));
	}
	cJSON_Delete(p);
	cJSON_Delete(want);
}
END_TEST

START_TEST(pod_automount_false_leaves_it_out)
{
	cJSON *p = J(POD("{\"automountServiceAccountToken\":false," TWO_CONTAINERS "}"));
	cJSON *sa = J("{\"automountServiceAccountToken\":true}");

	ck_assert(!api_sa_needs_account(p));
	ck_assert_int_eq(api_sa_admit_token(p, sa, 1), 0);
	ck_assert_ptr_null(cm_json_get(p, "spec.volumes"));
	ck_assert_ptr_null(credentials_mount(p, "spec.containers"));
	cJSON_Delete(p);
	cJSON_Delete(sa);
}
END_TEST

START_TEST(account_automount_false_unless_pod_says_true)
{
	cJSON *p = J(POD("{" TWO_CONTAINERS "}"));
	cJSON *q = J(POD("{\"automountServiceAccountToken\":true," TWO_CONTAINERS "}"));
	cJSON *sa = J("{\"automountServiceAccountToken\":false}");

	ck_assert_int_eq(api_sa_admit_token(p, sa, 1), 0);
	ck_assert_ptr_null(cm_json_get(p, "spec.volumes"));
	/* the pod's own field wins over its account's */
	ck_assert_int_eq(api_sa_admit_token(q, sa, 1), 0);
	ck_assert_int_eq(cJSON_GetArraySize(cm_json_get(q, "spec.volumes")), 1);
	ck_assert_ptr_nonnull(credentials_mount(q, "spec.containers"));
	cJSON_Delete(p);
	cJSON_Delete(q);
	cJSON_Delete(sa);
}
END_TEST

START_TEST(existing_mount_is_kept)
{
	cJSON *p = J(POD("{\"containers\":[{\"name\":\"a\",\"image\":\"x\",\"volumeMounts\":[{\"name\":\"mine\","
			 "\"mountPath\":\"" API_SA_MOUNT_PATH "\"}]}],\"volumes\":[{\"name\":\"mine\",\"emptyDir\":{}}]}"));

	ck_assert(!api_sa_needs_account(p));
	ck_assert_int_eq(api_sa_admit_token(p, NULL, 1), 0);
	ck_assert_int_eq(cJSON_GetArraySize(cm_json_get(p, "spec.volumes")), 1);
	ck_assert_int_eq(cJSON_GetArraySize(cm_json_get(cJSON_GetArrayItem(cm_json_get(p, "spec.containers"), 0),
							"volumeMounts")), 1);
	cJSON_Delete(p);
}
END_TEST

START_TEST(mirror_pod_is_left_alone)
{
	cJSON *p = J("{\"metadata\":{\"name\":\"p\",\"annotations\":{\"kubernetes.io/config.mirror\":\"x\"}},"
		     "\"spec\":{" TWO_CONTAINERS "}}");

	ck_assert(!api_sa_needs_account(p));
	ck_assert_int_eq(api_sa_admit_token(p, NULL, 1), 0);
	ck_assert_ptr_null(cm_json_get(p, "spec.volumes"));
	cJSON_Delete(p);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("api_admission_sa");
	TCase *tc = tcase_create("admission_sa");
	tcase_add_test(tc, default_account_name);
	tcase_add_test(tc, adds_projected_volume_and_mounts);
	tcase_add_test(tc, pod_automount_false_leaves_it_out);
	tcase_add_test(tc, account_automount_false_unless_pod_says_true);
	tcase_add_test(tc, existing_mount_is_kept);
	tcase_add_test(tc, mirror_pod_is_left_alone);
	suite_add_tcase(s, tc);
	return check_run(s);
}
