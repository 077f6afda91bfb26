/* test_api_object.c: resourceVersion splicing, member order, spec comparison, table ages, resource keys. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "apiserver/object.h"
#include "apiserver/resources.h"
#include "apiserver/server.h"
#include "apiserver/table.h"
#include "common/json.h"
#include "tests/lib/check_run.h"

START_TEST(splice_rv)
{
	struct cm_buf b = CM_BUF_INIT;
	static const char obj[] = "{\"apiVersion\":\"apps/v1\",\"kind\":\"Deployment\",\"metadata\":{\"name\":\"a\"},"
				  "\"spec\":{\"template\":{\"metadata\":{\"labels\":{}}}}}";

	ck_assert_int_eq(api_obj_splice_rv(obj, strlen(obj), 42, &b), 0);
	ck_assert_str_eq(b.data, "{\"apiVersion\":\"apps/v1\",\"kind\":\"Deployment\",\"metadata\":{\"resourceVersion\":\"42\","
				 "\"name\":\"a\"},\"spec\":{\"template\":{\"metadata\":{\"labels\":{}}}}}");
	cm_buf_reset(&b);
	ck_assert_int_eq(api_obj_splice_rv("{\"metadata\":{}}", 15, 7, &b), 0);
	ck_assert_str_eq(b.data, "{\"metadata\":{\"resourceVersion\":\"7\"}}");
	cm_buf_close(&b);
}
END_TEST

START_TEST(order_puts_metadata_first)
{
	cJSON *j = cJSON_Parse("{\"spec\":{\"metadata\":{\"x\":1}},\"metadata\":{\"name\":\"a\"},\"kind\":\"Pod\",\"apiVersion\":\"v1\"}");
	char *s;

	api_obj_order(j);
	s = cJSON_PrintUnformatted(j);
	ck_assert_str_eq(s, "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"a\"},\"spec\":{\"metadata\":{\"x\":1}}}");
	free(s);
	cJSON_Delete(j);
}
END_TEST

START_TEST(spec_equal_ignores_metadata_and_status)
{
	cJSON *a = cJSON_Parse("{\"metadata\":{\"labels\":{\"a\":\"b\"}},\"spec\":{\"r\":1},\"status\":{\"x\":1}}");
	cJSON *b = cJSON_Parse("{\"metadata\":{},\"spec\":{\"r\":1},\"status\":{\"x\":2}}");
	cJSON *c = cJSON_Parse("{\"metadata\":{},\"spec\":{\"r\":2}}");

	ck_assert(api_obj_spec_equal(a, b));
	ck_assert(!api_obj_spec_equal(a, c));
	ck_assert(!api_obj_equal_ignoring_rv(a, b));
	cJSON_Delete(a);
	cJSON_Delete(b);
	cJSON_Delete(c);
}
END_TEST

START_TEST(equal_ignoring_rv)
{
	cJSON *a = cJSON_Parse("{\"metadata\":{\"name\":\"x\",\"resourceVersion\":\"5\"},\"data\":{}}");
	cJSON *b = cJSON_Parse("{\"metadata\":{\"name\":\"x\"},\"data\":{}}");

	ck_assert(api_obj_equal_ignoring_rv(a, b));
	cJSON_Delete(a);
	cJSON_Delete(b);
}
END_TEST

START_TEST(ages_as_kubectl)
{
	cJSON *o = cJSON_Parse("{\"metadata\":{\"creationTimestamp\":\"2026-01-01T00:00:00Z\"}}");
	int64_t t0 = 1767225600000LL; /* 2026-01-01T00:00:00Z */
	char s[32];

	api_table_age(t0 + 5000, o, s, sizeof(s));
	ck_assert_str_eq(s, "5s");
	api_table_age(t0 + 200000, o, s, sizeof(s));
	ck_assert_str_eq(s, "3m20s");
	api_table_age(t0 + 3600000LL * 4 + 60000 * 5, o, s, sizeof(s));
	ck_assert_str_eq(s, "4h5m");
	api_table_age(t0 + 86400000LL * 3 + 3600000, o, s, sizeof(s));
	ck_assert_str_eq(s, "3d1h");
	cJSON_Delete(o);
}
END_TEST

START_TEST(keys_and_lookup)
{
	struct cm_buf b = CM_BUF_INIT;
	const struct api_resource *d = api_resource_find("apps", "v1", "deployments");
	const struct api_resource *n = api_resource_find("", "v1", "nodes");

	ck_assert_ptr_nonnull(d);
	ck_assert_ptr_null(api_resource_find("", "v1", "deployments"));
	ck_assert_int_eq(api_resource_key(d, "default", "web", &b), 0);
	ck_assert_str_eq(b.data, "/registry/apps/deployments/default/web");
	cm_buf_reset(&b);
	ck_assert_int_eq(api_resource_key(n, "ignored", "n1", &b), 0);
	ck_assert_str_eq(b.data, "/registry/nodes/n1");
	cm_buf_close(&b);
	for (int i = 0; i < API_NRES; i++)
		ck_assert_int_eq(api_resources[i].index, i);
}
END_TEST

START_TEST(cidrs)
{
	uint32_t base;
	int bits;

	ck_assert_int_eq(api_parse_cidr("10.96.0.0/12", &base, &bits), 0);
	ck_assert_uint_eq(base, 0x0a600000u);
	ck_assert_int_eq(bits, 12);
	ck_assert_int_eq(api_parse_cidr("10.244.7.9/16", &base, &bits), 0);
	ck_assert_uint_eq(base, 0x0af40000u);
	ck_assert_int_lt(api_parse_cidr("10.0.0.0", &base, &bits), 0);
	ck_assert_int_lt(api_parse_cidr("10.0.0.0/40", &base, &bits), 0);
	ck_assert_int_lt(api_parse_cidr("x/8", &base, &bits), 0);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("api_object");
	TCase *tc = tcase_create("object");
	tcase_add_test(tc, splice_rv);
	tcase_add_test(tc, order_puts_metadata_first);
	tcase_add_test(tc, spec_equal_ignores_metadata_and_status);
	tcase_add_test(tc, equal_ignoring_rv);
	tcase_add_test(tc, ages_as_kubectl);
	tcase_add_test(tc, keys_and_lookup);
	tcase_add_test(tc, cidrs);
	suite_add_tcase(s, tc);
	return check_run(s);
}
