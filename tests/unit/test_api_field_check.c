/* test_api_field_check.c: unknown and duplicate fields found at every depth, open schemas left alone. */
#include <check.h>
#include <stdio.h>
#include <string.h>

#include "apiserver/field_check.h"
#include "apiserver/resources.h"
#include "common/json.h"
#include "tests/lib/check_run.h"

static struct api_field_check *fc;
static struct api_field_problems got;
static struct cm_buf joined;

static void setup(void)
{
	ck_assert_int_eq(api_field_check_new(&fc), 0);
	api_field_problems_init(&got);
	cm_buf_init(&joined);
}

static void teardown(void)
{
	api_field_problems_close(&got);
	cm_buf_close(&joined);
	api_field_check_free(fc);
}

/* The problems json (a kind of apiVersion av) has, joined by " | " ("" for none). */
static const char *problems(const char *av, const char *kind, const char *json, unsigned flags)
{
	cJSON *obj = NULL;
	int schema = api_field_check_kind(fc, av, kind);

	ck_assert_msg(schema >= 0, "no schema for %s %s", av, kind);
	ck_assert_int_eq(cm_json_parse(json, strlen(json), &obj, NULL), 0);
	api_field_problems_reset(&got);
	ck_assert_int_eq(api_field_check_walk(fc, schema, obj, flags, &got), 0);
	cJSON_Delete(obj);
	cm_buf_reset(&joined);
	cm_buf_puts(&joined, "");
	for (const char *p = NULL; (p = api_field_problems_next(&got, p));)
		cm_buf_printf(&joined, "%s%s", joined.len ? " | " : "", p);
	return joined.data;
}

#define DEPLOY_HEAD "{\"apiVersion\":\"apps/v1\",\"kind\":\"Deployment\",\"metadata\":{\"name\":\"web\"},"
#define POD_TEMPLATE(containers)                                                                              \
	"\"template\":{\"metadata\":{\"labels\":{\"app\":\"web\"}},\"spec\":{\"containers\":[" containers "]}}"

START_TEST(every_served_kind_is_checked)
{
	for (int i = 0; i < API_NRES; i++) {
		const struct api_resource *r = &api_resources[i];
		char gv[128];

		snprintf(gv, sizeof(gv), "%s%s%s", r->group, *r->group ? "/" : "", r->version);
		ck_assert_msg(api_field_check_kind(fc, gv, r->kind) >= 0, "%s %s", gv, r->kind);
	}
	ck_assert_int_eq(api_field_check_kind(fc, "batch/v1", "Job"), -1);
}
END_TEST

START_TEST(a_full_deployment_has_no_problem)
{
	ck_assert_str_eq(
		problems("apps/v1", "Deployment",
			 DEPLOY_HEAD "\"spec\":{\"replicas\":2,\"selector\":{\"matchLabels\":{\"app\":\"web\"}},"
			 "\"strategy\":{\"type\":\"RollingUpdate\",\"rollingUpdate\":{\"maxSurge\":1}}," POD_TEMPLATE(
				 "{\"name\":\"web\",\"image\":\"nginx\",\"imagePullPolicy\":\"IfNotPresent\","
				 "\"ports\":[{\"containerPort\":80,\"name\":\"http\"}],"
				 "\"env\":[{\"name\":\"A\",\"valueFrom\":{\"fieldRef\":{\"fieldPath\":\"metadata.name\"}}}],"
				 "\"resources\":{\"limits\":{\"cpu\":\"1\",\"memory\":\"64Mi\"}},"
				 "\"readinessProbe\":{\"httpGet\":{\"path\":\"/\",\"port\":80},\"periodSeconds\":2}}") "},"
			 "\"status\":{\"replicas\":2,\"conditions\":[{\"type\":\"Available\",\"status\":\"True\"}]}}",
			 0),
		"");
}
END_TEST

/*
 * What the strategies add on create and update must be fields of the kind:
 * the walk would drop anything else, and a field the apiserver adds back on
 * every write bumps the generation each time (a ReplicaSet defaulted a
 * revisionHistoryLimit, and its controller chased the generation forever).
 */
START_TEST(strategy_defaults_are_known_fields)
{
	static const char *const minimal[] = {
		"{\"metadata\":{\"name\":\"x\"},\"spec\":{\"containers\":[{\"name\":\"c\",\"image\":\"i\","
		"\"ports\":[{\"containerPort\":80}]}]}}",
		"{\"metadata\":{\"name\":\"x\"},\"spec\":{\"selector\":{\"matchLabels\":{\"a\":\"b\"}},"
		"\"template\":{\"metadata\":{\"labels\":{\"a\":\"b\"}},\"spec\":{\"containers\":"
		"[{\"name\":\"c\",\"image\":\"i\",\"ports\":[{\"containerPort\":80}]}]}},"
		"\"ports\":[{\"port\":80}]}}",
	};
	static const struct api_strategy_env env = {0};

	for (int i = 0; i < API_NRES; i++) {
		const struct api_resource *r = &api_resources[i];
		const struct api_strategy *st = r->strategy;
		char gv[128];
		int schema;

		snprintf(gv, sizeof(gv), "%s%s%s", r->group, *r->group ? "/" : "", r->version);
		schema = api_field_check_kind(fc, gv, r->kind);
		for (size_t m = 0; st && m < sizeof(minimal) / sizeof(minimal[0]); m++) {
			cJSON *obj = NULL, *old;

			ck_assert_int_eq(cm_json_parse(minimal[m], strlen(minimal[m]), &obj, NULL), 0);
			/* a pod-shaped spec on a Service, a template on a Pod: drop what the kind lacks first */
			ck_assert_int_eq(api_field_check_walk(fc, schema, obj, API_FIELD_PRUNE, &got), 0);
			api_field_problems_reset(&got);
			if (st->prepare_create)
				ck_assert_int_eq(st->prepare_create(obj, &env), 0);
			old = cm_json_copy(obj);
			ck_assert_ptr_nonnull(old);
			if (st->prepare_update)
				ck_assert_int_eq(st->prepare_update(obj, old), 0);
			ck_assert_int_eq(api_field_check_walk(fc, schema, obj, 0, &got), 0);
			ck_assert_msg(!got.n, "%s: the defaults added %s", r->kind, api_field_problems_next(&got, NULL));
			cJSON_Delete(old);
			cJSON_Delete(obj);
		}
	}
}
END_TEST

START_TEST(nested_unknown_fields_are_named_by_path_in_document_order)
{
	ck_assert_str_eq(problems("apps/v1", "Deployment",
				  DEPLOY_HEAD "\"spec\":{\"bogus\":1,\"selector\":{\"matchLabels\":{}}," POD_TEMPLATE(
					  "{\"name\":\"a\"},{\"name\":\"b\",\"imagePullPolicyy\":\"Always\","
					  "\"ports\":[{\"containerPort\":1,\"x\":2}]}") "},\"extra\":true}",
				  0),
			 "unknown field \"spec.bogus\" | "
			 "unknown field \"spec.template.spec.containers[1].imagePullPolicyy\" | "
			 "unknown field \"spec.template.spec.containers[1].ports[0].x\" | unknown field \"extra\"");
	ck_assert_str_eq(problems("v1", "ConfigMap", "{\"metadata\":{\"name\":\"a\",\"lables\":{}},\"data\":{}}", 0),
			 "unknown field \"metadata.lables\"");
}
END_TEST

START_TEST(open_schemas_and_maps_accept_anything)
{
	ck_assert_str_eq(problems("v1", "Pod",
				  "{\"metadata\":{\"name\":\"p\",\"labels\":{\"any\":\"x\"},\"annotations\":{\"b\":\"c\"}},"
				  "\"spec\":{\"affinity\":{\"nodeAffinity\":{\"whatever\":1}},"
				  "\"nodeSelector\":{\"disk\":\"ssd\"},"
				  "\"containers\":[{\"name\":\"c\",\"lifecycle\":{\"preStop\":{\"sleep\":{\"seconds\":1}}},"
				  "\"securityContext\":{\"capabilities\":{\"add\":[\"NET_ADMIN\"]}},"
				  "\"resources\":{\"limits\":{\"nvidia.com/gpu\":1}}}],"
				  "\"volumes\":[{\"name\":\"v\",\"projected\":{\"sources\":[{\"anything\":{}}]}}]}}",
				  0),
			 "");
	/* a wrong type is not this walk's business: no descent, no report */
	ck_assert_str_eq(problems("v1", "Pod", "{\"spec\":{\"containers\":{\"name\":\"c\"},\"dnsConfig\":[1]}}", 0),
			 "");
}
END_TEST

START_TEST(problems_are_added_with_their_path)
{
	api_field_problems_add(&got, "duplicate", "spec.template.spec.containers[0]", "name");
	api_field_problems_add(&got, "duplicate", "kind", NULL);
	ck_assert_uint_eq(got.n, 2);
	ck_assert_str_eq(api_field_problems_next(&got, NULL), "duplicate field \"spec.template.spec.containers[0].name\"");
	ck_assert_str_eq(api_field_problems_next(&got, api_field_problems_next(&got, NULL)), "duplicate field \"kind\"");
}
END_TEST

START_TEST(directives_pass_only_when_allowed)
{
	const char *p = "{\"spec\":{\"template\":{\"spec\":{\"$setElementOrder/containers\":[{\"name\":\"c\"}],"
			"\"containers\":[{\"name\":\"c\",\"$patch\":\"delete\"}]}}}}";

	ck_assert_str_eq(problems("apps/v1", "Deployment", p, API_FIELD_DIRECTIVES), "");
	ck_assert_str_eq(problems("apps/v1", "Deployment", p, 0),
			 "unknown field \"spec.template.spec.$setElementOrder/containers\" | "
			 "unknown field \"spec.template.spec.containers[0].$patch\"");
}
END_TEST

START_TEST(prune_removes_what_it_reports)
{
	const char *json = "{\"spec\":{\"x\":1,\"containers\":[{\"name\":\"c\",\"y\":2,\"z\":3}],"
			   "\"affinity\":{\"free\":1}},\"w\":4}";
	struct cm_buf text = CM_BUF_INIT;
	cJSON *obj = NULL;

	ck_assert_int_eq(cm_json_parse(json, strlen(json), &obj, NULL), 0);
	ck_assert_int_eq(api_field_check_walk(fc, api_field_check_kind(fc, "v1", "Pod"), obj, API_FIELD_PRUNE, &got), 0);
	ck_assert_uint_eq(got.n, 4);
	ck_assert_int_eq(cm_json_print(obj, &text), 0);
	ck_assert_str_eq(text.data, "{\"spec\":{\"containers\":[{\"name\":\"c\"}],\"affinity\":{\"free\":1}}}");
	cm_buf_close(&text);
	cJSON_Delete(obj);
}
END_TEST

START_TEST(problems_stop_at_the_cap)
{
	struct cm_buf j = CM_BUF_INIT;

	cm_buf_puts(&j, "{\"data\":{}");
	for (int i = 0; i < API_FIELD_PROBLEMS_MAX + 50; i++)
		cm_buf_printf(&j, ",\"x%d\":1", i);
	cm_buf_puts(&j, "}");
	problems("v1", "ConfigMap", j.data, 0);
	ck_assert_uint_eq(got.n, API_FIELD_PROBLEMS_MAX);
	cm_buf_close(&j);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("api_field_check");
	TCase *tc = tcase_create("walk");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, every_served_kind_is_checked);
	tcase_add_test(tc, a_full_deployment_has_no_problem);
	tcase_add_test(tc, strategy_defaults_are_known_fields);
	tcase_add_test(tc, nested_unknown_fields_are_named_by_path_in_document_order);
	tcase_add_test(tc, open_schemas_and_maps_accept_anything);
	tcase_add_test(tc, problems_are_added_with_their_path);
	tcase_add_test(tc, directives_pass_only_when_allowed);
	tcase_add_test(tc, prune_removes_what_it_reports);
	tcase_add_test(tc, problems_stop_at_the_cap);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return check_run(suite());
}
