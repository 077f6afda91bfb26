/* test_api_patch_merge.c: RFC 7386 merge patch, including the RFC's own examples. */
#include <check.h>
#include <errno.h>
#include <stdlib.h>

#include "apiserver/patch.h"
#include "tests/lib/check_run.h"

/* Applies patch to doc (JSON texts) and compares with want, member order included. */
static void MERGE(const char *doc, const char *patch, const char *want)
{
	cJSON *d = cJSON_Parse(doc), *p = cJSON_Parse(patch), *w = cJSON_Parse(want), *out = NULL;
	ck_assert_ptr_nonnull(d);
	ck_assert_ptr_nonnull(p);
	ck_assert_ptr_nonnull(w);
	char *before = cJSON_PrintUnformatted(d);
	ck_assert_int_eq(api_patch_merge(d, p, &out), 0);
	char *got = cJSON_PrintUnformatted(out), *wants = cJSON_PrintUnformatted(w), *after = cJSON_PrintUnformatted(d);
	ck_assert_str_eq(got, wants);
	ck_assert_str_eq(before, after); /* the input is left alone */
	free(got), free(wants), free(before), free(after);
	cJSON_Delete(d), cJSON_Delete(p), cJSON_Delete(w), cJSON_Delete(out);
}

START_TEST(rfc7386_examples)
{
	MERGE("{\"a\":\"b\"}", "{\"a\":\"c\"}", "{\"a\":\"c\"}");
	MERGE("{\"a\":\"b\"}", "{\"b\":\"c\"}", "{\"a\":\"b\",\"b\":\"c\"}");
	MERGE("{\"a\":\"b\"}", "{\"a\":null}", "{}");
	MERGE("{\"a\":\"b\",\"b\":\"c\"}", "{\"a\":null}", "{\"b\":\"c\"}");
	MERGE("{\"a\":[\"b\"]}", "{\"a\":\"c\"}", "{\"a\":\"c\"}");
	MERGE("{\"a\":\"c\"}", "{\"a\":[\"b\"]}", "{\"a\":[\"b\"]}");
	MERGE("{\"a\":{\"b\":\"c\"}}", "{\"a\":{\"b\":\"d\",\"c\":null}}", "{\"a\":{\"b\":\"d\"}}");
	MERGE("{\"a\":[{\"b\":\"c\"}]}", "{\"a\":[1]}", "{\"a\":[1]}");
	MERGE("[\"a\",\"b\"]", "[\"c\",\"d\"]", "[\"c\",\"d\"]");
	MERGE("{\"a\":\"b\"}", "[\"c\"]", "[\"c\"]");
	MERGE("{\"a\":\"foo\"}", "null", "null");
	MERGE("{\"a\":\"foo\"}", "\"bar\"", "\"bar\"");
	MERGE("{\"e\":null}", "{\"a\":1}", "{\"e\":null,\"a\":1}");
	MERGE("[1,2]", "{\"a\":\"b\",\"c\":null}", "{\"a\":\"b\"}");
	MERGE("{}", "{\"a\":{\"bb\":{\"ccc\":null}}}", "{\"a\":{\"bb\":{}}}");
	MERGE("{\"a\":1,\"z\":2}", "{\"a\":{\"b\":null,\"c\":1}}", "{\"a\":{\"c\":1},\"z\":2}");
}
END_TEST

START_TEST(kubernetes_uses)
{
	/* kubectl scale and kubectl label send merge patches like these */
	MERGE("{\"spec\":{\"replicas\":1,\"selector\":{\"app\":\"w\"}}}", "{\"spec\":{\"replicas\":3}}",
	      "{\"spec\":{\"replicas\":3,\"selector\":{\"app\":\"w\"}}}");
	MERGE("{\"metadata\":{\"name\":\"p\",\"labels\":{\"a\":\"1\",\"b\":\"2\"}}}",
	      "{\"metadata\":{\"labels\":{\"a\":null,\"c\":\"3\"}}}",
	      "{\"metadata\":{\"name\":\"p\",\"labels\":{\"b\":\"2\",\"c\":\"3\"}}}");
	/* a list is replaced whole: the reason kubectl apply needs strategic merge */
	MERGE("{\"c\":[{\"name\":\"a\",\"image\":\"x\"}]}", "{\"c\":[{\"name\":\"a\"}]}", "{\"c\":[{\"name\":\"a\"}]}");
}
END_TEST

START_TEST(null_patch)
{
	cJSON *d = cJSON_Parse("{}"), *out = (cJSON *)0x1;
	ck_assert_int_eq(api_patch_merge(d, NULL, &out), -EINVAL);
	ck_assert_ptr_eq(out, (cJSON *)0x1);
	cJSON *p = cJSON_Parse("{\"a\":1}");
	ck_assert_int_eq(api_patch_merge(NULL, p, &out), 0);
	ck_assert_int_eq(cJSON_GetObjectItem(out, "a")->valueint, 1);
	cJSON_Delete(out), cJSON_Delete(p), cJSON_Delete(d);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("api_patch_merge");
	TCase *tc = tcase_create("merge");
	tcase_add_test(tc, rfc7386_examples);
	tcase_add_test(tc, kubernetes_uses);
	tcase_add_test(tc, null_patch);
	suite_add_tcase(s, tc);
	return check_run(s);
}
