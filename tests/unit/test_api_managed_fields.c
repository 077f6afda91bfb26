/* test_api_managed_fields.c: field sets of objects, their comparison and algebra, and the FieldsV1 encoding. */
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "apiserver/managed_fields.h"
#include "common/buf.h"
#include "tests/lib/check_run.h"
#include "tests/lib/json_quoted.h"

#define J json_quoted

/* Asserts that the FieldsV1 form of set is want (in ' notation). */
static void assert_fields(const cJSON *set, const char *want)
{
	cJSON *enc = NULL, *w = J(want);
	char *got;

	ck_assert_int_eq(api_mf_encode(set, &enc), 0);
	got = cJSON_PrintUnformatted(enc);
	ck_assert_msg(cJSON_Compare(enc, w, 1), "got %s", got);
	free(got);
	cJSON_Delete(enc);
	cJSON_Delete(w);
}

static cJSON *set_of(const char *obj, bool skip_status)
{
	cJSON *o = J(obj), *s = NULL;

	ck_assert_int_eq(api_mf_set_of(o, skip_status, &s), 0);
	cJSON_Delete(o);
	return s;
}

static cJSON *decoded(const char *fields)
{
	cJSON *f = J(fields), *s = NULL;

	ck_assert_int_eq(api_mf_decode(f, &s), 0);
	cJSON_Delete(f);
	return s;
}

static const char *DEPLOY =
	"{'apiVersion':'apps/v1','kind':'Deployment','metadata':{'name':'web','namespace':'default','uid':'u',"
	"'resourceVersion':'5','labels':{'app':'web'},'finalizers':['a','b']},"
	"'spec':{'replicas':2,'selector':{'matchLabels':{'app':'web'}},'template':{'metadata':{'labels':{'app':'web'}},"
	"'spec':{'containers':[{'name':'web','image':'nginx','args':['-x','-y'],"
	"'ports':[{'containerPort':80},{'containerPort':53,'protocol':'UDP'}],"
	"'env':[{'name':'A','value':'1'}],'resources':{}}]}}},'status':{'replicas':2}}";

START_TEST(set_of_an_applied_deployment)
{
	cJSON *s = set_of(DEPLOY, true);

	/* leaves and items; atomic selector and args as leaves; ports keyed with their protocol; server metadata out */
	assert_fields(s, "{'f:metadata':{'f:labels':{'f:app':{}},'f:finalizers':{'v:\\'a\\'':{},'v:\\'b\\'':{}}},"
			 "'f:spec':{'f:replicas':{},'f:selector':{},'f:template':{'f:metadata':{'f:labels':{'f:app':{}}},"
			 "'f:spec':{'f:containers':{'k:{\\'name\\':\\'web\\'}':{'.':{},'f:name':{},'f:image':{},'f:args':{},"
			 "'f:ports':{'k:{\\'containerPort\\':80,\\'protocol\\':\\'TCP\\'}':{'.':{},'f:containerPort':{}},"
			 "'k:{\\'containerPort\\':53,\\'protocol\\':\\'UDP\\'}':{'.':{},'f:containerPort':{},'f:protocol':{}}},"
			 "'f:env':{'k:{\\'name\\':\\'A\\'}':{'.':{},'f:name':{},'f:value':{}}},'f:resources':{}}}}}}}");
	cJSON_Delete(s);
	/* status counts where it is not a subresource */
	s = set_of("{'kind':'ConfigMap','data':{'a':'b'},'status':{'x':1}}", false);
	assert_fields(s, "{'f:data':{'f:a':{}},'f:status':{'f:x':{}}}");
	cJSON_Delete(s);
}
END_TEST

START_TEST(duplicate_keys_make_a_list_atomic)
{
	cJSON *s = set_of("{'spec':{'containers':[{'name':'a'},{'name':'a','image':'x'}],'volumes':[{'noName':1}]}}", false);

	assert_fields(s, "{'f:spec':{'f:containers':{},'f:volumes':{}}}");
	cJSON_Delete(s);
}
END_TEST

START_TEST(encode_decode_round_trip)
{
	const char *f = "{'f:spec':{'f:containers':{'k:{\\'name\\':\\'w\\'}':{'f:image':{},'.':{}}}},"
			"'f:metadata':{'f:labels':{'f:app':{},'.':{}}}}";
	cJSON *s = decoded(f), *bad = J("{'x:y':{}}"), *out = NULL;
	char *text;

	assert_fields(s, f);
	/* written in Kubernetes' order: "." first, then the path elements sorted */
	ck_assert_int_eq(api_mf_encode(s, &out), 0);
	text = cJSON_PrintUnformatted(out);
	ck_assert_str_eq(text, "{\"f:metadata\":{\"f:labels\":{\".\":{},\"f:app\":{}}},\"f:spec\":{\"f:containers\":"
			       "{\"k:{\\\"name\\\":\\\"w\\\"}\":{\".\":{},\"f:image\":{}}}}}");
	free(text);
	cJSON_Delete(out);
	out = (cJSON *)0x1;
	ck_assert_int_eq(api_mf_decode(bad, &out), -EINVAL);
	ck_assert_ptr_eq(out, (cJSON *)0x1);
	cJSON_Delete(bad);
	bad = J("{'f:a':7}");
	ck_assert_int_eq(api_mf_decode(bad, &out), -EINVAL);
	cJSON_Delete(bad);
	cJSON_Delete(s);
}
END_TEST

START_TEST(compare_changed_and_removed)
{
	cJSON *old = J(DEPLOY), *new = J(DEPLOY), *ch = NULL, *rm = NULL;
	cJSON *c = cJSON_GetArrayItem(cJSON_GetObjectItem(
		cJSON_GetObjectItem(cJSON_GetObjectItem(cJSON_GetObjectItem(new, "spec"), "template"), "spec"), "containers"), 0);

	cJSON_ReplaceItemInObject(cJSON_GetObjectItem(new, "spec"), "replicas", cJSON_CreateNumber(3));
	cJSON_DeleteItemFromObject(c, "env");
	cJSON_AddItemToObject(cJSON_GetObjectItem(new, "metadata"), "annotations", J("{'a':'1'}"));
	cJSON_ReplaceItemInObject(cJSON_GetObjectItem(new, "status"), "replicas", cJSON_CreateNumber(9));
	cJSON_ReplaceItemInObject(cJSON_GetObjectItem(new, "metadata"), "resourceVersion", cJSON_CreateString("6"));
	ck_assert_int_eq(api_mf_compare(old, new, true, &ch, &rm), 0);
	/* an added map is itself a member, as Kubernetes records one absent before; status and rv are not compared */
	assert_fields(ch, "{'f:metadata':{'f:annotations':{'.':{},'f:a':{}}},'f:spec':{'f:replicas':{}}}");
	assert_fields(rm, "{'f:spec':{'f:template':{'f:spec':{'f:containers':{'k:{\\'name\\':\\'web\\'}':"
			  "{'f:env':{'.':{},'k:{\\'name\\':\\'A\\'}':{'.':{},'f:name':{},'f:value':{}}}}}}}}}");
	cJSON_Delete(ch);
	cJSON_Delete(rm);
	/* a create: everything is new, maps and lists Go omits when empty as members; the same object: nothing */
	cJSON_Delete(new);
	new = J("{'metadata':{'name':'x','labels':{'a':'1'}},'spec':{'strategy':{'rollingUpdate':{'maxSurge':1}},"
		"'template':{'spec':{'containers':[{'name':'c','ports':[{'containerPort':80}]}]}}}}");
	ck_assert_int_eq(api_mf_compare(NULL, new, true, &ch, &rm), 0);
	assert_fields(ch, "{'f:metadata':{'f:labels':{'.':{},'f:a':{}}},'f:spec':{'f:strategy':{'f:rollingUpdate':"
			  "{'.':{},'f:maxSurge':{}}},'f:template':{'f:spec':{'f:containers':{'k:{\\'name\\':\\'c\\'}':"
			  "{'.':{},'f:name':{},'f:ports':{'.':{},'k:{\\'containerPort\\':80,\\'protocol\\':\\'TCP\\'}':"
			  "{'.':{},'f:containerPort':{}}}}}}}}}");
	ck_assert(api_mf_empty(rm));
	cJSON_Delete(ch);
	cJSON_Delete(rm);
	ck_assert_int_eq(api_mf_compare(old, old, false, &ch, &rm), 0);
	ck_assert(api_mf_empty(ch) && api_mf_empty(rm));
	cJSON_Delete(ch);
	cJSON_Delete(rm);
	cJSON_Delete(old);
	cJSON_Delete(new);
}
END_TEST

START_TEST(set_algebra)
{
	cJSON *a = decoded("{'f:spec':{'f:replicas':{},'f:paused':{}},'f:metadata':{'f:labels':{'f:x':{}}}}");
	cJSON *b = decoded("{'f:spec':{'f:replicas':{}},'f:data':{}}");
	cJSON *i = NULL;

	ck_assert_int_eq(api_mf_intersect(a, b, &i), 0);
	assert_fields(i, "{'f:spec':{'f:replicas':{}}}");
	cJSON_Delete(i);
	api_mf_subtract(a, b);
	assert_fields(a, "{'f:spec':{'f:paused':{}},'f:metadata':{'f:labels':{'f:x':{}}}}");
	ck_assert_int_eq(api_mf_union(a, b), 0);
	assert_fields(a, "{'f:spec':{'f:paused':{},'f:replicas':{}},'f:metadata':{'f:labels':{'f:x':{}}},'f:data':{}}");
	/* a map that only led to the member taken goes with it */
	cJSON_Delete(b);
	b = decoded("{'f:metadata':{'f:labels':{'f:x':{}}}}");
	api_mf_subtract(a, b);
	assert_fields(a, "{'f:spec':{'f:paused':{},'f:replicas':{}},'f:data':{}}");
	ck_assert(!api_mf_empty(a));
	ck_assert(api_mf_empty(NULL));
	cJSON_Delete(a);
	cJSON_Delete(b);
}
END_TEST

static int collect(const char *path, void *ud)
{
	struct cm_buf *b = ud;

	return cm_buf_printf(b, "%s;", path);
}

START_TEST(paths_as_kubernetes_prints_them)
{
	cJSON *s = decoded("{'f:spec':{'f:replicas':{},'f:containers':{'k:{\\'name\\':\\'web\\'}':{'f:image':{}},"
			   "'k:{\\'containerPort\\':80,\\'protocol\\':\\'TCP\\'}':{}}},"
			   "'f:metadata':{'f:finalizers':{'v:\\'x\\'':{}}}}");
	struct cm_buf b = CM_BUF_INIT;

	ck_assert_int_eq(api_mf_each_path(s, collect, &b), 0);
	ck_assert_str_eq(b.data, ".metadata.finalizers[=\"x\"];.spec.containers[containerPort=80,protocol=\"TCP\"];"
				 ".spec.containers[name=\"web\"].image;.spec.replicas;");
	cm_buf_close(&b);
	cJSON_Delete(s);
}
END_TEST

START_TEST(remove_members_from_an_object)
{
	cJSON *o = J(DEPLOY);
	cJSON *s = decoded("{'f:metadata':{'f:labels':{'f:app':{}},'f:finalizers':{'v:\\'a\\'':{}}},"
			   "'f:spec':{'f:replicas':{},'f:template':{'f:spec':{'f:containers':{'k:{\\'name\\':\\'web\\'}':{"
			   "'f:env':{'k:{\\'name\\':\\'A\\'}':{}},'f:ports':{'k:{\\'containerPort\\':53,\\'protocol\\':\\'UDP\\'}':{}}}}}}}}");
	cJSON *want = J(DEPLOY);
	cJSON *wc = cJSON_GetArrayItem(cJSON_GetObjectItem(
		cJSON_GetObjectItem(cJSON_GetObjectItem(cJSON_GetObjectItem(want, "spec"), "template"), "spec"), "containers"), 0);

	api_mf_remove(o, s, NULL);
	/* emptied maps and lists go with their last member */
	cJSON_DeleteItemFromObject(cJSON_GetObjectItem(want, "metadata"), "labels");
	cJSON_ReplaceItemInObject(cJSON_GetObjectItem(want, "metadata"), "finalizers", J("['b']"));
	cJSON_DeleteItemFromObject(cJSON_GetObjectItem(want, "spec"), "replicas");
	cJSON_DeleteItemFromObject(wc, "env");
	cJSON_ReplaceItemInObject(wc, "ports", J("[{'containerPort':80}]"));
	ck_assert_msg(cJSON_Compare(o, want, 1), "got %s", cJSON_PrintUnformatted(o));
	cJSON_Delete(o);
	cJSON_Delete(s);
	cJSON_Delete(want);
}
END_TEST

START_TEST(remove_keeps_what_others_own)
{
	cJSON *o = J("{'metadata':{'annotations':{'x':'1','y':'2'}},'spec':{'containers':[{'name':'a','image':'i',"
		     "'args':['z'],'ports':[{'containerPort':80,'protocol':'TCP'}]},{'name':'b','image':'j'}]}}");
	/* the applier gave up the annotations map, container a and container b; another owns x and a's image */
	cJSON *s = decoded("{'f:metadata':{'f:annotations':{'.':{}}},'f:spec':{'f:containers':{"
			   "'k:{\\'name\\':\\'a\\'}':{'.':{}},'k:{\\'name\\':\\'b\\'}':{'.':{}}}}}");
	cJSON *keep = decoded("{'f:metadata':{'f:annotations':{'f:x':{}}},'f:spec':{'f:containers':{"
			      "'k:{\\'name\\':\\'a\\'}':{'f:image':{}}}}}");
	cJSON *want = J("{'metadata':{'annotations':{'x':'1'}},'spec':{'containers':[{'name':'a','image':'i'}]}}");

	api_mf_remove(o, s, keep);
	ck_assert_msg(cJSON_Compare(o, want, 1), "got %s", cJSON_PrintUnformatted(o));
	cJSON_Delete(o);
	cJSON_Delete(s);
	cJSON_Delete(keep);
	cJSON_Delete(want);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("api_managed_fields");
	TCase *tc = tcase_create("managed_fields");

	tcase_add_test(tc, set_of_an_applied_deployment);
	tcase_add_test(tc, duplicate_keys_make_a_list_atomic);
	tcase_add_test(tc, encode_decode_round_trip);
	tcase_add_test(tc, compare_changed_and_removed);
	tcase_add_test(tc, set_algebra);
	tcase_add_test(tc, paths_as_kubernetes_prints_them);
	tcase_add_test(tc, remove_members_from_an_object);
	tcase_add_test(tc, remove_keeps_what_others_own);
	suite_add_tcase(s, tc);
	return check_run(s);
}
