/* test_api_discovery_agg.c: aggregated discovery: Accept negotiation and the folding of the plain lists. */
#include <check.h>
#include <errno.h>
#include <string.h>

#include "apiserver/discovery.h"
#include "common/json.h"
#include "tests/lib/check_run.h"
#include "tests/lib/json_oom.h"

#define KUBECTL_ACCEPT                                                                                                 \
	"application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,"                                       \
	"application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json"

START_TEST(accept_picks_the_first_form_served)
{
	ck_assert_int_eq(api_discovery_accept(KUBECTL_ACCEPT), API_DISCOVERY_V2);
	ck_assert_int_eq(api_discovery_accept("application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,"
					      "application/json"),
			 API_DISCOVERY_V2BETA1);
	/* blanks and case as clients send them; parameters in any order */
	ck_assert_int_eq(api_discovery_accept(" Application/JSON ; as=APIGroupDiscoveryList; v=v2 ;g=apidiscovery.k8s.io"),
			 API_DISCOVERY_V2);
	/* protobuf is not served: the next range decides */
	ck_assert_int_eq(api_discovery_accept("application/vnd.kubernetes.protobuf;g=apidiscovery.k8s.io;v=v2;"
					      "as=APIGroupDiscoveryList,application/json;g=apidiscovery.k8s.io;v=v2;"
					      "as=APIGroupDiscoveryList"),
			 API_DISCOVERY_V2);
	ck_assert_int_eq(api_discovery_accept("application/json"), API_DISCOVERY_PLAIN);
	ck_assert_int_eq(api_discovery_accept("application/json,application/json;g=apidiscovery.k8s.io;v=v2;"
					      "as=APIGroupDiscoveryList"),
			 API_DISCOVERY_PLAIN);
	ck_assert_int_eq(api_discovery_accept("*/*"), API_DISCOVERY_PLAIN);
	ck_assert_int_eq(api_discovery_accept(NULL), API_DISCOVERY_PLAIN);
	ck_assert_int_eq(api_discovery_accept(""), API_DISCOVERY_PLAIN);
	/* an unknown version or kind is not ours */
	ck_assert_int_eq(api_discovery_accept("application/json;g=apidiscovery.k8s.io;v=v3;as=APIGroupDiscoveryList"),
			 API_DISCOVERY_PLAIN);
	ck_assert_int_eq(api_discovery_accept("application/json;g=apidiscovery.k8s.io;v=v2;as=Table"),
			 API_DISCOVERY_PLAIN);
}
END_TEST

/* The item of j's array field list whose field key is name, or NULL. */
static const cJSON *named(const cJSON *j, const char *list, const char *key, const char *name)
{
	const cJSON *e;

	cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(j, list))
	if (!strcmp(cm_json_str_or(e, key, ""), name))
		return e;
	return NULL;
}

/* The aggregated entry of a resource in the version entry v, and of a subresource in a resource's. */
#define resource(v, name) named(v, "resources", "resource", name)
#define subresource(r, name) named(r, "subresources", "subresource", name)

static cJSON *aggregated(const char *group, const char *version)
{
	cJSON *list = api_discovery_resource_list(group, version), *v;

	ck_assert_ptr_nonnull(list);
	v = api_discovery_aggregate_version(list);
	cJSON_Delete(list);
	ck_assert_ptr_nonnull(v);
	return v;
}

START_TEST(core_resources_fold_their_subresources)
{
	cJSON *v = aggregated("", "v1");
	const cJSON *pods = resource(v, "pods"), *nodes = resource(v, "nodes"), *s;

	ck_assert_str_eq(cm_json_str_or(v, "version", ""), "v1");
	ck_assert_str_eq(cm_json_str_or(v, "freshness", ""), "Current");
	ck_assert_ptr_nonnull(pods);
	ck_assert_str_eq(cm_json_str_or(pods, "scope", ""), "Namespaced");
	ck_assert_str_eq(cm_json_str_or(pods, "singularResource", ""), "pod");
	ck_assert_str_eq(cm_json_str_or(pods, "responseKind.kind", ""), "Pod");
	ck_assert_str_eq(cm_json_str_or(pods, "responseKind.group", "x"), "");
	ck_assert_str_eq(cm_json_str_or(pods, "shortNames.0", ""), "po");
	ck_assert_str_eq(cm_json_str_or(pods, "categories.0", ""), "all");
	s = subresource(pods, "binding");
	ck_assert_ptr_nonnull(s);
	ck_assert_str_eq(cm_json_str_or(s, "responseKind.kind", ""), "Binding");
	ck_assert_str_eq(cm_json_str_or(s, "verbs.0", ""), "create");
	ck_assert_ptr_nonnull(subresource(pods, "status"));
	ck_assert_ptr_nonnull(subresource(pods, "log"));
	/* no "pods/status" left as a resource of its own */
	ck_assert_ptr_null(resource(v, "pods/status"));
	ck_assert_ptr_nonnull(nodes);
	ck_assert_str_eq(cm_json_str_or(nodes, "scope", ""), "Cluster");
	/* no empty arrays: absent as Kubernetes omits them */
	ck_assert_ptr_null(cJSON_GetObjectItemCaseSensitive(resource(v, "secrets"), "shortNames"));
	ck_assert_ptr_null(cJSON_GetObjectItemCaseSensitive(resource(v, "configmaps"), "subresources"));
	cJSON_Delete(v);
}
END_TEST

START_TEST(scale_answers_in_its_own_group)
{
	cJSON *v = aggregated("apps", "v1");
	const cJSON *scale = subresource(resource(v, "deployments"), "scale");

	ck_assert_ptr_nonnull(scale);
	ck_assert_str_eq(cm_json_str_or(scale, "responseKind.group", ""), "autoscaling");
	ck_assert_str_eq(cm_json_str_or(scale, "responseKind.version", ""), "v1");
	ck_assert_str_eq(cm_json_str_or(scale, "responseKind.kind", ""), "Scale");
	ck_assert_str_eq(cm_json_str_or(resource(v, "deployments"), "responseKind.group", ""), "apps");
	cJSON_Delete(v);
}
END_TEST

/* Every plain entry is in the aggregated form, as a resource or a subresource. */
START_TEST(nothing_is_lost_in_the_folding)
{
	const char *group = "", *version = "v1";

	for (size_t i = 0; group; group = api_discovery_group(i++, &version)) {
		cJSON *list = api_discovery_resource_list(group, version), *v = api_discovery_aggregate_version(list);
		const cJSON *e, *r;
		int plain = 0, folded = 0;

		cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(list, "resources"))
		plain++;
		cJSON_ArrayForEach(r, cJSON_GetObjectItemCaseSensitive(v, "resources"))
		folded += 1 + cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(r, "subresources"));
		ck_assert_msg(plain > 0 && plain == folded, "%s: %d plain, %d aggregated", group, plain, folded);
		cJSON_Delete(list);
		cJSON_Delete(v);
	}
}
END_TEST

START_TEST(out_of_memory_is_enomem)
{
	struct api_discovery *d = NULL;
	int rc = -ENOMEM;

	for (long n = 0; rc == -ENOMEM; n += 1 + n / 8) {
		json_oom_begin(n);
		rc = api_discovery_new(&d);
		json_oom_end();
		ck_assert_msg(rc == 0 || rc == -ENOMEM, "rc %d after %ld allocations", rc, n);
	}
	api_discovery_free(d);
	api_discovery_free(NULL);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("api_discovery_agg");
	TCase *tc = tcase_create("aggregated");

	tcase_add_test(tc, accept_picks_the_first_form_served);
	tcase_add_test(tc, core_resources_fold_their_subresources);
	tcase_add_test(tc, scale_answers_in_its_own_group);
	tcase_add_test(tc, nothing_is_lost_in_the_folding);
	tcase_add_test(tc, out_of_memory_is_enomem);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return check_run(suite());
}
