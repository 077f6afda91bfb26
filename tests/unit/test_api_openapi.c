/* test_api_openapi.c: /openapi/v3: a document per group-version, every kind, references resolve. */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "apiserver/openapi.h"
#include "apiserver/openapi_schemas.h"
#include "apiserver/resources.h"
#include "common/json.h"
#include "tests/lib/check_run.h"
#include "tests/lib/json_oom.h"

static struct api_openapi *oa;

static void setup(void)
{
	struct cm_buf err = CM_BUF_INIT;
	int rc = api_openapi_new(&oa, &err);

	ck_assert_msg(rc == 0, "api_openapi_new: %d %s", rc, err.data ? err.data : "");
	cm_buf_close(&err);
}

static void teardown(void)
{
	api_openapi_free(oa);
}

static void key_of(const struct api_resource *r, char *key, size_t size)
{
	snprintf(key, size, "%s%s%s%s", *r->group ? "apis/" : "api/", r->group, *r->group ? "/" : "", r->version);
}

/* The parsed document of r's group-version (the caller frees it). */
static cJSON *doc_of(const struct api_resource *r)
{
	const char *json, *hash;
	char key[128];
	size_t len;
	cJSON *d = NULL;

	key_of(r, key, sizeof(key));
	ck_assert_msg(api_openapi_doc(oa, key, &json, &len, &hash) == 0, "no document %s", key);
	ck_assert_int_eq(cm_json_parse(json, len, &d, NULL), 0);
	return d;
}

static const cJSON *schema(const cJSON *doc, const char *name)
{
	return cJSON_GetObjectItemCaseSensitive(cm_json_get(doc, "components.schemas"), name);
}

static const cJSON *prop(const cJSON *doc, const char *schema_name, const char *field)
{
	const cJSON *p = cJSON_GetObjectItemCaseSensitive(cm_json_get(schema(doc, schema_name), "properties"), field);

	ck_assert_msg(p, "%s has no field %s", schema_name, field);
	return p;
}

static bool required(const cJSON *doc, const char *schema_name, const char *field)
{
	const cJSON *e;

	cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(schema(doc, schema_name), "required"))
		if (cJSON_IsString(e) && !strcmp(e->valuestring, field))
			return true;
	return false;
}

START_TEST(every_kind_has_a_schema_naming_it)
{
	for (int i = 0; i < API_NRES; i++) {
		const struct api_resource *r = &api_resources[i];
		cJSON *d = doc_of(r), *s;
		bool found = false;

		cJSON_ArrayForEach(s, cm_json_get(d, "components.schemas")) {
			const cJSON *g = cJSON_GetArrayItem(cJSON_GetObjectItem(s, "x-kubernetes-group-version-kind"), 0);

			if (g && !strcmp(cm_json_str_or(g, "group", "?"), r->group) &&
			    !strcmp(cm_json_str_or(g, "version", "?"), r->version) &&
			    !strcmp(cm_json_str_or(g, "kind", "?"), r->kind)) {
				found = true;
				ck_assert_ptr_nonnull(cm_json_get(s, "properties.metadata"));
				ck_assert_str_eq(cm_json_str_or(s, "properties.kind.type", ""), "string");
			}
		}
		ck_assert_msg(found, "no schema for %s", r->kind);
		cJSON_Delete(d);
	}
}
END_TEST

/* What makes kubectl send fieldValidation=Strict instead of validating on its own. */
START_TEST(every_kind_has_a_patch_taking_field_validation)
{
	for (int i = 0; i < API_NRES; i++) {
		const struct api_resource *r = &api_resources[i];
		cJSON *d = doc_of(r), *p;
		bool found = false;

		cJSON_ArrayForEach(p, cJSON_GetObjectItem(d, "paths")) {
			const cJSON *patch = cJSON_GetObjectItem(p, "patch");

			if (strcmp(cm_json_str_or(patch, "x-kubernetes-group-version-kind.kind", ""), r->kind))
				continue;
			found = strstr(p->string, r->plural) != NULL &&
				!strcmp(cm_json_str_or(cJSON_GetArrayItem(cJSON_GetObjectItem(patch, "parameters"), 0), "name", ""),
					"fieldValidation");
		}
		ck_assert_msg(found, "no patch path for %s", r->plural);
		cJSON_Delete(d);
	}
}
END_TEST

static void check_refs(const cJSON *doc, const cJSON *j)
{
	const cJSON *c;

	if (cJSON_IsString(j) && j->string && !strcmp(j->string, "$ref")) {
		const char *prefix = "#/components/schemas/";

		ck_assert_msg(!strncmp(j->valuestring, prefix, strlen(prefix)), "bad $ref %s", j->valuestring);
		ck_assert_msg(schema(doc, j->valuestring + strlen(prefix)), "dangling $ref %s", j->valuestring);
		return;
	}
	cJSON_ArrayForEach(c, j) check_refs(doc, c);
}

START_TEST(references_resolve_in_their_document)
{
	for (int i = 0; i < API_NRES; i++) {
		cJSON *d = doc_of(&api_resources[i]);

		check_refs(d, d);
		cJSON_Delete(d);
	}
}
END_TEST

/* No schema of the table is left out of every document (a typo'd or forgotten type). */
START_TEST(every_table_schema_is_published)
{
	for (size_t row = 0; row < api_oa_nrows; row++) {
		const struct api_oa_row *h = &api_oa_rows[row];
		bool found = false;

		if (h->what == API_OA_FIELD || h->what == API_OA_REQUIRED)
			continue;
		for (int i = 0; !found && i < API_NRES; i++) {
			cJSON *d = doc_of(&api_resources[i]);

			found = schema(d, h->name) != NULL;
			cJSON_Delete(d);
		}
		ck_assert_msg(found, "%s is in no document", h->name);
	}
}
END_TEST

START_TEST(apps_document_carries_the_pod_types)
{
	const struct api_resource *r = api_resource_find("apps", "v1", "deployments");
	cJSON *d = doc_of(r);
	const cJSON *p;

	ck_assert_ptr_nonnull(schema(d, "io.k8s.api.core.v1.PodSpec"));
	ck_assert_ptr_nonnull(schema(d, "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"));
	ck_assert_ptr_null(schema(d, "io.k8s.api.core.v1.ServiceSpec")); /* only what deployments and co. use */
	ck_assert(required(d, "io.k8s.api.apps.v1.DeploymentSpec", "selector"));
	ck_assert(required(d, "io.k8s.api.apps.v1.DeploymentSpec", "template"));
	ck_assert(!required(d, "io.k8s.api.apps.v1.DeploymentSpec", "replicas"));
	ck_assert(required(d, "io.k8s.api.core.v1.Container", "name"));
	/* a reference with a description: a one-item allOf, as kubectl explain reads it */
	p = prop(d, "io.k8s.api.apps.v1.DeploymentSpec", "strategy");
	ck_assert_str_eq(cm_json_str_or(cJSON_GetArrayItem(cJSON_GetObjectItem(p, "allOf"), 0), "$ref", ""),
			 "#/components/schemas/io.k8s.api.apps.v1.DeploymentStrategy");
	ck_assert_ptr_nonnull(cJSON_GetObjectItem(p, "description"));
	p = prop(d, "io.k8s.api.core.v1.PodSpec", "containers");
	ck_assert_str_eq(cm_json_str_or(p, "type", ""), "array");
	ck_assert_str_eq(cm_json_str_or(p, "items.$ref", ""), "#/components/schemas/io.k8s.api.core.v1.Container");
	p = prop(d, "io.k8s.api.core.v1.PodSpec", "restartPolicy");
	ck_assert_int_eq(cJSON_GetArraySize(cJSON_GetObjectItem(p, "enum")), 3);
	p = prop(d, "io.k8s.api.core.v1.ResourceRequirements", "limits");
	ck_assert_str_eq(cm_json_str_or(p, "additionalProperties.$ref", ""),
			 "#/components/schemas/io.k8s.apimachinery.pkg.api.resource.Quantity");
	/* a number or a string: no type of its own, so explain names it IntOrString */
	p = schema(d, "io.k8s.apimachinery.pkg.util.intstr.IntOrString");
	ck_assert_ptr_null(cJSON_GetObjectItem(p, "type"));
	ck_assert_int_eq(cJSON_GetArraySize(cJSON_GetObjectItem(p, "oneOf")), 2);
	cJSON_Delete(d);
}
END_TEST

/* EndpointPort names a type of the field's own package first (core's and discovery's differ). */
START_TEST(short_names_prefer_their_package)
{
	cJSON *d = doc_of(api_resource_find("discovery.k8s.io", "v1", "endpointslices"));

	ck_assert_str_eq(cm_json_str_or(prop(d, "io.k8s.api.discovery.v1.EndpointSlice", "ports"), "items.$ref", ""),
			 "#/components/schemas/io.k8s.api.discovery.v1.EndpointPort");
	cJSON_Delete(d);
	d = doc_of(api_resource_find("", "v1", "endpoints"));
	ck_assert_str_eq(cm_json_str_or(prop(d, "io.k8s.api.core.v1.EndpointSubset", "ports"), "items.$ref", ""),
			 "#/components/schemas/io.k8s.api.core.v1.EndpointPort");
	cJSON_Delete(d);
}
END_TEST

START_TEST(index_names_each_document_with_its_hash)
{
	const char *index;
	size_t index_len;
	struct cm_buf text = CM_BUF_INIT;

	api_openapi_index(oa, &index, &index_len);
	ck_assert_int_eq(cm_buf_append(&text, index, index_len), 0);
	for (int i = 0; i < API_NRES; i++) {
		const char *json, *hash;
		char key[128], url[512];
		size_t len;

		key_of(&api_resources[i], key, sizeof(key));
		ck_assert_int_eq(api_openapi_doc(oa, key, &json, &len, &hash), 0);
		ck_assert_uint_ge(strlen(hash), 8);
		snprintf(url, sizeof(url), "\"%s\":{\"serverRelativeURL\":\"/openapi/v3/%s?hash=%s\"}", key, key, hash);
		ck_assert_msg(strstr(text.data, url), "%s not in %s", url, text.data);
	}
	cm_buf_close(&text);
	ck_assert_int_eq(api_openapi_doc(oa, "apis/batch/v1", NULL, NULL, NULL), -ENOENT);
}
END_TEST

/* JSON allocations failing from the Nth on, N spread over the build: -ENOMEM (or success), never a crash or a leak. */
START_TEST(out_of_memory_anywhere_is_enomem)
{
	struct api_openapi *o = NULL;
	int rc = -ENOMEM;

	for (long n = 0; rc == -ENOMEM; n += 1 + n / 8) {
		struct cm_buf err = CM_BUF_INIT;

		json_oom_begin(n);
		rc = api_openapi_new(&o, &err);
		json_oom_end();
		ck_assert_msg(rc == 0 || rc == -ENOMEM, "rc %d after %ld allocations: %s", rc, n, err.data ? err.data : "");
		cm_buf_close(&err);
	}
	api_openapi_free(o);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("api_openapi");
	TCase *tc = tcase_create("documents");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, every_kind_has_a_schema_naming_it);
	tcase_add_test(tc, every_kind_has_a_patch_taking_field_validation);
	tcase_add_test(tc, references_resolve_in_their_document);
	tcase_add_test(tc, every_table_schema_is_published);
	tcase_add_test(tc, apps_document_carries_the_pod_types);
	tcase_add_test(tc, short_names_prefer_their_package);
	tcase_add_test(tc, index_names_each_document_with_its_hash);
	tcase_add_test(tc, out_of_memory_anywhere_is_enomem);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return check_run(suite());
}
