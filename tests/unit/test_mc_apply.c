/* test_mc_apply.c: kubectl apply's annotation bytes and the three-way patch minictl sends. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "common/json.h"
#include "ctl/apply.h"
#include "tests/lib/check_run.h"

static cJSON *parse(const char *s)
{
	cJSON *j = NULL;
	ck_assert_int_eq(cm_json_parse(s, strlen(s), &j, NULL), 0);
	return j;
}

START_TEST(test_annotation_is_sorted_compact_json)
{
	cJSON *m = parse("{\"kind\":\"ConfigMap\",\"apiVersion\":\"v1\",\"metadata\":{\"name\":\"c\",\"namespace\":\"default\"},"
			 "\"data\":{\"b\":\"<x>\",\"a\":\"1\"}}");
	cJSON *a = mc_apply_annotated(m);
	const char *la = cm_json_get_str(a, "metadata.annotations.kubectl\\.kubernetes\\.io/last-applied-configuration");

	/* exactly what kubectl v1.32 writes for this manifest */
	ck_assert_str_eq(la, "{\"apiVersion\":\"v1\",\"data\":{\"a\":\"1\",\"b\":\"\\u003cx\\u003e\"},\"kind\":\"ConfigMap\","
			     "\"metadata\":{\"annotations\":{},\"name\":\"c\",\"namespace\":\"default\"}}\n");
	/* annotating again does not nest the old annotation */
	cJSON *again = mc_apply_annotated(a);
	ck_assert_str_eq(cm_json_get_str(again, "metadata.annotations.kubectl\\.kubernetes\\.io/last-applied-configuration"), la);
	ck_assert_ptr_null(cm_json_get(m, "metadata.annotations")); /* the input is untouched */
	cJSON_Delete(m);
	cJSON_Delete(a);
	cJSON_Delete(again);
}
END_TEST

START_TEST(test_user_annotations_kept)
{
	cJSON *m = parse("{\"kind\":\"Pod\",\"metadata\":{\"name\":\"p\",\"annotations\":{\"note\":\"x\"}}}");
	cJSON *a = mc_apply_annotated(m);

	ck_assert_str_eq(cm_json_get_str(a, "metadata.annotations.note"), "x");
	ck_assert_str_eq(cm_json_get_str(a, "metadata.annotations.kubectl\\.kubernetes\\.io/last-applied-configuration"),
			 "{\"kind\":\"Pod\",\"metadata\":{\"annotations\":{\"note\":\"x\"},\"name\":\"p\"}}\n");
	cJSON_Delete(m);
	cJSON_Delete(a);
}
END_TEST

START_TEST(test_three_way_deletes_only_what_was_applied)
{
	/* applied: replicas and image; someone else set paused; the new manifest drops replicas */
	cJSON *v1 = parse("{\"apiVersion\":\"apps/v1\",\"kind\":\"Deployment\",\"metadata\":{\"name\":\"d\"},"
			  "\"spec\":{\"replicas\":2,\"template\":{\"spec\":{\"containers\":[{\"name\":\"w\",\"image\":\"v1\"}]}}}}");
	cJSON *v2 = parse("{\"apiVersion\":\"apps/v1\",\"kind\":\"Deployment\",\"metadata\":{\"name\":\"d\"},"
			  "\"spec\":{\"template\":{\"spec\":{\"containers\":[{\"name\":\"w\",\"image\":\"v2\"}]}}}}");
	cJSON *a1 = mc_apply_annotated(v1), *a2 = mc_apply_annotated(v2), *live = cJSON_Duplicate(a1, 1), *patch = NULL;
	struct cm_buf err = CM_BUF_INIT;

	cm_json_set(live, "spec.paused", cJSON_CreateTrue());
	cm_json_set(live, "spec.template.spec.containers.0.imagePullPolicy", cJSON_CreateString("Always"));
	ck_assert_int_eq(mc_apply_patch(a2, live, &patch, &err), 0);
	ck_assert(cJSON_IsNull(cm_json_get(patch, "spec.replicas")));
	ck_assert_ptr_null(cm_json_get(patch, "spec.paused"));
	ck_assert_str_eq(cm_json_get_str(patch, "spec.template.spec.containers.0.image"), "v2");
	ck_assert_str_eq(cm_json_get_str(patch, "spec.template.spec.containers.0.name"), "w");
	ck_assert_ptr_null(cm_json_get(patch, "spec.template.spec.containers.0.imagePullPolicy"));
	ck_assert_ptr_nonnull(cm_json_get(patch, "metadata.annotations"));
	cJSON_Delete(patch);
	patch = NULL;
	/* the same manifest again: nothing to send ("unchanged") */
	ck_assert_int_eq(mc_apply_patch(a1, live, &patch, &err), 0);
	ck_assert_ptr_null(patch->child);
	cJSON_Delete(patch);
	cJSON_Delete(v1);
	cJSON_Delete(v2);
	cJSON_Delete(a1);
	cJSON_Delete(a2);
	cJSON_Delete(live);
	cm_buf_close(&err);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("mc_apply");
	TCase *tc = tcase_create("apply");

	tcase_add_test(tc, test_annotation_is_sorted_compact_json);
	tcase_add_test(tc, test_user_annotations_kept);
	tcase_add_test(tc, test_three_way_deletes_only_what_was_applied);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return check_run(suite());
}
