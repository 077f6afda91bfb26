/* test_api_apply.c: server-side apply (ownership, conflicts, force, pruning) and the Update entries of other writes. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "apiserver/apply.h"
#include "apiserver/status.h"
#include "common/json.h"
#include "tests/lib/check_run.h"
#include "tests/lib/json_quoted.h"

#define J json_quoted

static struct api_apply_opts opts(const char *manager, const char *now, bool force)
{
	return (struct api_apply_opts){.manager = manager, .api_version = "apps/v1", .now = now, .force = force,
				       .skip_status = true};
}

/* The entry of manager and operation in obj's managedFields, or NULL. */
static const cJSON *entry(const cJSON *obj, const char *manager, const char *op)
{
	const cJSON *e;

	cJSON_ArrayForEach(e, cm_json_get(obj, "metadata.managedFields")) {
		if (!strcmp(cm_json_str_or(e, "manager", ""), manager) && !strcmp(cm_json_str_or(e, "operation", ""), op))
			return e;
	}
	return NULL;
}

static void assert_fields(const cJSON *e, const char *want)
{
	cJSON *w = J(want);
	char *got = cJSON_PrintUnformatted(cJSON_GetObjectItem(e, "fieldsV1"));

	ck_assert_ptr_nonnull(e);
	ck_assert_msg(cJSON_Compare(cJSON_GetObjectItem(e, "fieldsV1"), w, 1), "got %s", got);
	free(got);
	cJSON_Delete(w);
}

/* Applies config (' notation) onto live; the new object, or fails the test. */
static cJSON *applied(const cJSON *live, const char *config, struct api_apply_opts o)
{
	cJSON *c = J(config), *out = NULL, *st = api_apply_object(live, c, &o, &out);
	char *s = st ? cJSON_PrintUnformatted(st) : NULL;

	ck_assert_msg(st == NULL, "apply failed: %s", s);
	cJSON_Delete(c);
	return out;
}

static const char *CONFIG = "{'apiVersion':'apps/v1','kind':'Deployment','metadata':{'name':'web','labels':{'a':'1','b':'2'}},"
			    "'spec':{'replicas':2,'template':{'spec':{'containers':[{'name':'web','image':'v1'}]}}}}";

START_TEST(apply_creates_and_owns_what_it_applied)
{
	struct api_apply_opts o = opts("kubectl", "2026-01-01T00:00:00Z", false);
	cJSON *obj = applied(NULL, CONFIG, o);
	const cJSON *e = entry(obj, "kubectl", "Apply");

	ck_assert_int_eq(cm_json_int64_or(obj, "spec.replicas", 0), 2);
	ck_assert_str_eq(cm_json_str_or(e, "apiVersion", ""), "apps/v1");
	ck_assert_str_eq(cm_json_str_or(e, "time", ""), "2026-01-01T00:00:00Z");
	ck_assert_str_eq(cm_json_str_or(e, "fieldsType", ""), "FieldsV1");
	ck_assert_ptr_null(cJSON_GetObjectItem(e, "subresource"));
	assert_fields(e, "{'f:metadata':{'f:labels':{'f:a':{},'f:b':{}}},'f:spec':{'f:replicas':{},'f:template':{'f:spec':"
			 "{'f:containers':{'k:{\\'name\\':\\'web\\'}':{'.':{},'f:name':{},'f:image':{}}}}}}}");
	cJSON_Delete(obj);
}
END_TEST

START_TEST(same_config_twice_changes_nothing)
{
	cJSON *one = applied(NULL, CONFIG, opts("kubectl", "2026-01-01T00:00:00Z", false));
	cJSON *two = applied(one, CONFIG, opts("kubectl", "2026-01-02T00:00:00Z", false));

	/* the time stays: the object did not change */
	ck_assert_msg(cJSON_Compare(one, two, 1), "got %s", cJSON_PrintUnformatted(two));
	cJSON_Delete(one);
	cJSON_Delete(two);
}
END_TEST

START_TEST(conflict_with_an_updater)
{
	cJSON *live = J("{'apiVersion':'apps/v1','kind':'Deployment','metadata':{'name':'web','managedFields':[{"
			"'manager':'kubectl-client-side-apply','operation':'Update','apiVersion':'apps/v1',"
			"'time':'2026-01-01T00:00:00Z','fieldsType':'FieldsV1','fieldsV1':{'f:spec':{'f:replicas':{}}}}]},"
			"'spec':{'replicas':2}}");
	cJSON *c = J("{'apiVersion':'apps/v1','kind':'Deployment','metadata':{'name':'web'},'spec':{'replicas':3}}");
	struct api_apply_opts o = opts("kubectl", "2026-01-02T00:00:00Z", false);
	cJSON *out = (cJSON *)0x1, *st = api_apply_object(live, c, &o, &out), *want;

	ck_assert_ptr_eq(out, (cJSON *)0x1);
	ck_assert_int_eq(api_status_code(st), 409);
	ck_assert_str_eq(cm_json_str_or(st, "reason", ""), "Conflict");
	ck_assert_str_eq(cm_json_str_or(st, "message", ""),
			 "Apply failed with 1 conflict: conflict with \"kubectl-client-side-apply\" using apps/v1: .spec.replicas");
	want = J("[{'type':'FieldManagerConflict','message':'conflict with \\'kubectl-client-side-apply\\' using apps/v1',"
		 "'field':'.spec.replicas'}]");
	ck_assert(cJSON_Compare(cm_json_get(st, "details.causes"), want, 1));
	cJSON_Delete(want);
	cJSON_Delete(st);
	/* the same value is no conflict: both own it */
	cJSON_ReplaceItemInObject(cJSON_GetObjectItem(c, "spec"), "replicas", cJSON_CreateNumber(2));
	st = api_apply_object(live, c, &o, &out);
	ck_assert_ptr_null(st);
	assert_fields(entry(out, "kubectl", "Apply"), "{'f:spec':{'f:replicas':{}}}");
	assert_fields(entry(out, "kubectl-client-side-apply", "Update"), "{'f:spec':{'f:replicas':{}}}");
	cJSON_Delete(out);
	/* force takes it over */
	cJSON_ReplaceItemInObject(cJSON_GetObjectItem(c, "spec"), "replicas", cJSON_CreateNumber(3));
	o.force = true;
	st = api_apply_object(live, c, &o, &out);
	ck_assert_ptr_null(st);
	ck_assert_int_eq(cm_json_int64_or(out, "spec.replicas", 0), 3);
	ck_assert_ptr_null(entry(out, "kubectl-client-side-apply", "Update"));
	assert_fields(entry(out, "kubectl", "Apply"), "{'f:spec':{'f:replicas':{}}}");
	cJSON_Delete(out);
	cJSON_Delete(live);
	cJSON_Delete(c);
}
END_TEST

START_TEST(conflicts_with_several_managers)
{
	cJSON *one = applied(NULL, "{'metadata':{'name':'x','labels':{'a':'1','b':'1'}},'spec':{'replicas':1}}",
			     opts("alice", "2026-01-01T00:00:00Z", false));
	cJSON *two = applied(one, "{'metadata':{'name':'x'},'spec':{'paused':true}}", opts("bob", "2026-01-01T00:00:01Z", false));
	cJSON *c = J("{'metadata':{'name':'x','labels':{'a':'2','b':'2'}},'spec':{'replicas':2,'paused':false}}");
	struct api_apply_opts o = opts("carol", "2026-01-02T00:00:00Z", false);
	cJSON *out = NULL, *st = api_apply_object(two, c, &o, &out);

	ck_assert_int_eq(api_status_code(st), 409);
	ck_assert_str_eq(cm_json_str_or(st, "message", ""),
			 "Apply failed with 4 conflicts: conflicts with \"alice\":\n- .metadata.labels.a\n- .metadata.labels.b\n"
			 "- .spec.replicas\nconflicts with \"bob\":\n- .spec.paused");
	ck_assert_int_eq(cJSON_GetArraySize(cm_json_get(st, "details.causes")), 4);
	cJSON_Delete(st);
	cJSON_Delete(one);
	cJSON_Delete(two);
	cJSON_Delete(c);
}
END_TEST

START_TEST(fields_no_longer_applied_are_removed)
{
	cJSON *one = applied(NULL, CONFIG, opts("kubectl", "2026-01-01T00:00:00Z", false));
	/* another applier shares label b */
	cJSON *two = applied(one, "{'metadata':{'name':'web','labels':{'b':'2'}}}", opts("other", "2026-01-01T00:00:01Z", false));
	cJSON *three = applied(two,
			       "{'apiVersion':'apps/v1','kind':'Deployment','metadata':{'name':'web'},"
			       "'spec':{'template':{'spec':{'containers':[{'name':'web','image':'v1'}]}}}}",
			       opts("kubectl", "2026-01-02T00:00:00Z", false));

	cJSON *labels = J("{'b':'2'}");

	/* a goes (kubectl's alone), b stays (other's too), replicas goes */
	ck_assert(cJSON_Compare(cm_json_get(three, "metadata.labels"), labels, 1));
	cJSON_Delete(labels);
	ck_assert_ptr_null(cm_json_get(three, "spec.replicas"));
	ck_assert_str_eq(cm_json_str_or(entry(three, "kubectl", "Apply"), "time", ""), "2026-01-02T00:00:00Z");
	cJSON_Delete(one);
	cJSON_Delete(two);
	cJSON_Delete(three);
}
END_TEST

START_TEST(updates_record_their_manager)
{
	cJSON *old = applied(NULL, CONFIG, opts("kubectl", "2026-01-01T00:00:00Z", false));
	cJSON *obj = cm_json_copy(old);
	struct api_apply_opts o = opts("kubectl-edit", "2026-01-02T00:00:00Z", false);
	const cJSON *e;

	/* nothing changed: no entry */
	ck_assert_int_eq(api_managed_update_object(old, obj, &o), 0);
	ck_assert(cJSON_Compare(old, obj, 1));
	/* a change: the editor owns it, the applier loses it */
	cm_json_set(obj, "spec.replicas", cJSON_CreateNumber(5));
	ck_assert_int_eq(api_managed_update_object(old, obj, &o), 0);
	e = entry(obj, "kubectl-edit", "Update");
	assert_fields(e, "{'f:spec':{'f:replicas':{}}}");
	ck_assert_str_eq(cm_json_str_or(e, "time", ""), "2026-01-02T00:00:00Z");
	ck_assert_str_eq(cm_json_str_or(e, "apiVersion", ""), "apps/v1");
	ck_assert_ptr_null(cm_json_get(entry(obj, "kubectl", "Apply"), "fieldsV1.f:spec.f:replicas"));
	/* Apply entries come first */
	ck_assert_str_eq(cm_json_str_or(cJSON_GetArrayItem(cm_json_get(obj, "metadata.managedFields"), 0), "operation", ""),
			 "Apply");
	/* the same manager again: its entry grows, one entry */
	cJSON_Delete(old);
	old = cm_json_copy(obj);
	cm_json_set(obj, "spec.paused", cJSON_CreateBool(1));
	ck_assert_int_eq(api_managed_update_object(old, obj, &o), 0);
	assert_fields(entry(obj, "kubectl-edit", "Update"), "{'f:spec':{'f:replicas':{},'f:paused':{}}}");
	ck_assert_int_eq(cJSON_GetArraySize(cm_json_get(obj, "metadata.managedFields")), 2);
	/* a status write is recorded under its subresource */
	cJSON_Delete(old);
	old = cm_json_copy(obj);
	cm_json_set(obj, "status", J("{'replicas':5}"));
	o = opts("ctl", "2026-01-03T00:00:00Z", false);
	o.subresource = "status";
	o.skip_status = false;
	ck_assert_int_eq(api_managed_update_object(old, obj, &o), 0);
	e = entry(obj, "ctl", "Update");
	ck_assert_str_eq(cm_json_str_or(e, "subresource", ""), "status");
	assert_fields(e, "{'f:status':{'f:replicas':{}}}");
	/* [{}] from the client clears them all */
	cJSON_Delete(old);
	old = cm_json_copy(obj);
	cJSON_ReplaceItemInObject(cJSON_GetObjectItem(obj, "metadata"), "managedFields", J("[{}]"));
	ck_assert_int_eq(api_managed_update_object(old, obj, &o), 0);
	ck_assert_ptr_null(cm_json_get(obj, "metadata.managedFields"));
	cJSON_Delete(old);
	cJSON_Delete(obj);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("api_apply");
	TCase *tc = tcase_create("apply");

	tcase_add_test(tc, apply_creates_and_owns_what_it_applied);
	tcase_add_test(tc, same_config_twice_changes_nothing);
	tcase_add_test(tc, conflict_with_an_updater);
	tcase_add_test(tc, conflicts_with_several_managers);
	tcase_add_test(tc, fields_no_longer_applied_are_removed);
	tcase_add_test(tc, updates_record_their_manager);
	suite_add_tcase(s, tc);
	return check_run(s);
}
