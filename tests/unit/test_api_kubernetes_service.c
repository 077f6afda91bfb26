/* test_api_kubernetes_service.c: the kubernetes Endpoints' subsets from apiserver leases. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "apiserver/kubernetes_service.h"
#include "common/json.h"
#include "common/timeutil.h"
#include "tests/lib/check_run.h"

#define NOW 1800000000000LL /* 2027-01-15T08:00:00Z */

/* A lease of identity id for addr:port renewed at renew_ms, 15 s. */
static cJSON *lease(const char *id, const char *addr, const char *port, int64_t renew_ms)
{
	char t[CM_RFC3339_LEN];
	cJSON *l = cJSON_CreateObject(), *meta = cJSON_AddObjectToObject(l, "metadata"), *spec;
	cJSON *labels = cJSON_AddObjectToObject(meta, "labels"), *ann = cJSON_AddObjectToObject(meta, "annotations");

	ck_assert_int_eq(cm_time_format(renew_ms, 1, t), 0);
	cJSON_AddStringToObject(labels, "apiserver.kubernetes.io/identity", id);
	cJSON_AddStringToObject(ann, "minik8s.io/advertise-address", addr);
	cJSON_AddStringToObject(ann, "minik8s.io/advertise-port", port);
	spec = cJSON_AddObjectToObject(l, "spec");
	cJSON_AddNumberToObject(spec, "leaseDurationSeconds", 15);
	cJSON_AddStringToObject(spec, "renewTime", t);
	return l;
}

START_TEST(fresh_leases_grouped_by_port_sorted)
{
	cJSON *ls = cJSON_CreateArray(), *got, *want;

	cJSON_AddItemToArray(ls, lease("kube-apiserver", "10.0.0.9", "6443", NOW - 1000));
	cJSON_AddItemToArray(ls, lease("kube-apiserver", "10.0.0.2", "6443", NOW - 14000));
	cJSON_AddItemToArray(ls, lease("kube-apiserver", "127.0.0.1", "8080", NOW));
	cJSON_AddItemToArray(ls, lease("kube-apiserver", "10.0.0.2", "6443", NOW)); /* the same twice: once */
	cJSON_AddItemToArray(ls, lease("kube-apiserver", "10.0.0.5", "6443", NOW - 16000)); /* expired */
	cJSON_AddItemToArray(ls, lease("other", "10.0.0.6", "6443", NOW));                  /* not an apiserver */
	cJSON_AddItemToArray(ls, lease("kube-apiserver", "10.0.0.7", "x", NOW));            /* bad port */
	got = api_kubesvc_subsets(ls, NOW);
	want = cJSON_Parse("[{\"addresses\":[{\"ip\":\"10.0.0.2\"},{\"ip\":\"10.0.0.9\"}],"
			   "\"ports\":[{\"name\":\"https\",\"port\":6443,\"protocol\":\"TCP\"}]},"
			   "{\"addresses\":[{\"ip\":\"127.0.0.1\"}],"
			   "\"ports\":[{\"name\":\"https\",\"port\":8080,\"protocol\":\"TCP\"}]}]");
	ck_assert_ptr_nonnull(got);
	ck_assert_msg(cm_json_equal(got, want), "got %s", cJSON_PrintUnformatted(got));
	cJSON_Delete(ls);
	cJSON_Delete(got);
	cJSON_Delete(want);
}
END_TEST

/* Subsets met in descending port order are sorted, none lost (three apiservers on three ports). */
START_TEST(subsets_sorted_by_port_none_lost)
{
	cJSON *ls = cJSON_CreateArray(), *got;
	const char *ports[] = {"9003", "9002", "9001"};

	for (int i = 0; i < 3; i++)
		cJSON_AddItemToArray(ls, lease("kube-apiserver", "127.0.0.1", ports[i], NOW));
	got = api_kubesvc_subsets(ls, NOW);
	ck_assert_ptr_nonnull(got);
	ck_assert_int_eq(cJSON_GetArraySize(got), 3);
	for (int i = 0; i < 3; i++)
		ck_assert_int_eq(cm_json_int64_or(cJSON_GetArrayItem(cm_json_get(cJSON_GetArrayItem(got, i), "ports"), 0),
						  "port", 0),
				 9001 + i);
	cJSON_Delete(ls);
	cJSON_Delete(got);
}
END_TEST

START_TEST(no_fresh_lease_no_subset)
{
	cJSON *ls = cJSON_CreateArray(), *got;

	cJSON_AddItemToArray(ls, lease("kube-apiserver", "10.0.0.9", "6443", NOW - 15000));
	got = api_kubesvc_subsets(ls, NOW);
	ck_assert_ptr_nonnull(got);
	ck_assert_int_eq(cJSON_GetArraySize(got), 0);
	cJSON_Delete(ls);
	cJSON_Delete(got);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("api_kubernetes_service");
	TCase *tc = tcase_create("subsets");
	tcase_add_test(tc, fresh_leases_grouped_by_port_sorted);
	tcase_add_test(tc, subsets_sorted_by_port_none_lost);
	tcase_add_test(tc, no_fresh_lease_no_subset);
	suite_add_tcase(s, tc);
	return check_run(s);
}
