/* test_cm_yaml.c: YAML to JSON with Kubernetes' scalar rules, errors with positions, and YAML printing. */
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/json.h"
#include "common/yaml.h"
#include "tests/lib/check_run.h"

static struct cm_buf out, err;

static void setup(void)
{
	cm_buf_init(&out);
	cm_buf_init(&err);
}

static void teardown(void)
{
	cm_buf_close(&out);
	cm_buf_close(&err);
}

/* The YAML text converts to exactly this compact JSON (an array of documents). */
#define CONVERTS(yaml, json)                                                                  \
	do {                                                                                  \
		cJSON *docs_ = NULL, *want_ = NULL;                                           \
		ck_assert_int_eq(cm_yaml_parse_all(yaml, strlen(yaml), "t.yaml", &docs_, &err), 0); \
		ck_assert_int_eq(cm_json_parse(json, strlen(json), &want_, NULL), 0);         \
		cm_buf_reset(&out);                                                           \
		cm_json_print(docs_, &out);                                                   \
		ck_assert_msg(cm_json_equal(docs_, want_), "got %s", out.data);               \
		cJSON_Delete(docs_);                                                          \
		cJSON_Delete(want_);                                                          \
	} while (0)

#define CONVERT_ERROR(yaml, msg)                                                              \
	do {                                                                                  \
		cJSON *docs_ = (cJSON *)&out;                                                 \
		cm_buf_reset(&err);                                                           \
		ck_assert_int_eq(cm_yaml_parse_all(yaml, strlen(yaml), "t.yaml", &docs_, &err), -EINVAL); \
		ck_assert_ptr_eq(docs_, (cJSON *)&out);                                       \
		ck_assert_msg(strstr(err.data, msg) != NULL, "error was %s", err.data);       \
	} while (0)

START_TEST(test_scalars_as_kubernetes_reads_them)
{
	CONVERTS("a: \"08\"\nb: 08\nc: yes\nd: 'yes'\ne: on\nf: ~\ng:\nh: 0x1F\ni: 0777\nj: 1.5\nk: 1e3\nl: abc\n"
		 "m: N\nnn: \"true\"\no: -12\np: 1_000\nq: .5\nr: 12:30\ns: !!str 42\n",
		 "[{\"a\":\"08\",\"b\":8,\"c\":true,\"d\":\"yes\",\"e\":true,\"f\":null,\"g\":null,\"h\":31,"
		 "\"i\":511,\"j\":1.5,\"k\":1000,\"l\":\"abc\",\"m\":false,\"nn\":\"true\",\"o\":-12,\"p\":1000,"
		 "\"q\":0.5,\"r\":\"12:30\",\"s\":\"42\"}]");
}
END_TEST

START_TEST(test_multi_document)
{
	CONVERTS("---\na: 1\n---\n# only a comment\n---\n- x\n- z\n...\n---\nb: 2\n",
		 "[{\"a\":1},[\"x\",\"z\"],{\"b\":2}]");
	CONVERTS("", "[]");
}
END_TEST

START_TEST(test_anchors_aliases_and_merge)
{
	CONVERTS("base: &b\n  image: nginx\n  port: 80\nc1: *b\nc2:\n  <<: *b\n  port: 81\n",
		 "[{\"base\":{\"image\":\"nginx\",\"port\":80},\"c1\":{\"image\":\"nginx\",\"port\":80},"
		 "\"c2\":{\"image\":\"nginx\",\"port\":81}}]");
	CONVERTS("x: &v hello\nyy: *v\n", "[{\"x\":\"hello\",\"yy\":\"hello\"}]");
	/* a billion laughs: ten levels of ten aliases each is refused, not expanded */
	CONVERT_ERROR("a: &a [x,x,x,x,x,x,x,x,x,x]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a,*a]\n"
		      "c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b,*b]\nd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c,*c]\n"
		      "e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d,*d]\nf: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e,*e]\n"
		      "g: [*f,*f,*f,*f,*f,*f,*f,*f,*f,*f]\n",
		      "excessive aliasing");
}
END_TEST

START_TEST(test_block_scalars)
{
	CONVERTS("lit: |\n  line1\n  line2\nfold: >\n  a\n  b\nstrip: |-\n  x\nkeep: |+\n  y\n\nz: 1\n",
		 "[{\"lit\":\"line1\\nline2\\n\",\"fold\":\"a b\\n\",\"strip\":\"x\",\"keep\":\"y\\n\\n\",\"z\":1}]");
}
END_TEST

START_TEST(test_json_input_and_keys)
{
	CONVERTS("{\"kind\": \"Pod\", \"spec\": {\"containers\": [{\"name\": \"a\"}]}}",
		 "[{\"kind\":\"Pod\",\"spec\":{\"containers\":[{\"name\":\"a\"}]}}]");
	CONVERTS("1: a\ntrue: b\n", "[{\"1\":\"a\",\"true\":\"b\"}]");
}
END_TEST

START_TEST(test_errors_name_file_line_column)
{
	CONVERT_ERROR("a: 1\nb: c: d\n", "t.yaml:2:5: mapping values are not allowed");
	CONVERT_ERROR("a: *nope\n", "t.yaml:1:4: unknown anchor 'nope'");
	CONVERT_ERROR("a: 1\na: 2\n", "t.yaml:2:1: key \"a\" already set");
	CONVERT_ERROR("a: [1, 2\n", "t.yaml:");
	CONVERT_ERROR("? {a: 1}\n: b\n", "t.yaml:1:3: a map key must be a scalar");
	CONVERT_ERROR("{[1, 2]: b}\n", "t.yaml:1:2: a map key must be a scalar");
}
END_TEST

#define EMITS(json, yaml)                                                             \
	do {                                                                          \
		cJSON *j_ = NULL;                                                     \
		ck_assert_int_eq(cm_json_parse(json, strlen(json), &j_, NULL), 0);    \
		cm_buf_reset(&out);                                                   \
		ck_assert_int_eq(cm_yaml_emit(j_, &out), 0);                          \
		ck_assert_str_eq(out.data, yaml);                                     \
		cJSON_Delete(j_);                                                     \
	} while (0)

/* The lenient reading of apply bodies: the later value wins and each repeat is reported with its line. */
START_TEST(test_duplicates_reported_not_refused)
{
	const char *text = "a: 1\nm:\n  x: 1\n  x: 2\na: 3\n";
	struct cm_buf dups = CM_BUF_INIT, why = CM_BUF_INIT;
	cJSON *docs = NULL;
	char *s;

	ck_assert_int_eq(cm_yaml_parse_all_dups(text, strlen(text), NULL, &docs, &why, &dups), 0);
	s = cJSON_PrintUnformatted(cJSON_GetArrayItem(docs, 0));
	ck_assert_str_eq(s, "{\"a\":3,\"m\":{\"x\":2}}");
	ck_assert_str_eq(dups.data, "line 4: key \"x\" already set in map");
	ck_assert_str_eq(dups.data + strlen(dups.data) + 1, "line 5: key \"a\" already set in map");
	ck_assert_uint_eq(dups.len, strlen(dups.data) + 1 + strlen(dups.data + strlen(dups.data) + 1) + 1);
	free(s);
	cJSON_Delete(docs);
	cm_buf_close(&dups);
	cm_buf_close(&why);
}
END_TEST

START_TEST(test_emit_like_kubectl)
{
	EMITS("{\"kind\":\"Pod\",\"apiVersion\":\"v1\",\"spec\":{\"containers\":[{\"name\":\"a\",\"image\":\"x\","
	      "\"ports\":[{\"containerPort\":80}]}],\"nodeSelector\":{}},\"list\":[]}",
	      "apiVersion: v1\nkind: Pod\nlist: []\nspec:\n  containers:\n  - image: x\n    name: a\n    ports:\n"
	      "    - containerPort: 80\n  nodeSelector: {}\n");
	EMITS("{\"a\":\"08\",\"b\":\"yes\",\"c\":\"\",\"d\":\"x: y\",\"e\":\"it's\",\"f\":\"l1\\nl2\\n\",\"g\":\"l1\\nl2\","
	      "\"h\":null,\"i\":1.5,\"j\":[[1,2],\"s\"]}",
	      "a: \"08\"\nb: \"yes\"\nc: \"\"\nd: 'x: y'\ne: it's\nf: |\n  l1\n  l2\ng: |-\n  l1\n  l2\nh: null\ni: 1.5\n"
	      "j:\n- - 1\n  - 2\n- s\n");
}
END_TEST

START_TEST(test_emit_roundtrips)
{
	const char *json = "{\"m\":{\"k\":[{\"a\":\"- x\",\"b\":\"#c\",\"c\":\"1e3\",\"d\":\"multi\\n  indented\\nend\"}]},"
			   "\"t\":true,\"n\":-3,\"s\":\"\\u0001bin\"}";
	cJSON *j = NULL, *docs = NULL;

	ck_assert_int_eq(cm_json_parse(json, strlen(json), &j, NULL), 0);
	ck_assert_int_eq(cm_yaml_emit(j, &out), 0);
	ck_assert_int_eq(cm_yaml_parse_all(out.data, out.len, NULL, &docs, &err), 0);
	ck_assert_msg(cm_json_equal(cJSON_GetArrayItem(docs, 0), j), "yaml was %s", out.data);
	cJSON_Delete(j);
	cJSON_Delete(docs);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("cm_yaml");
	TCase *tc = tcase_create("yaml");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_scalars_as_kubernetes_reads_them);
	tcase_add_test(tc, test_multi_document);
	tcase_add_test(tc, test_anchors_aliases_and_merge);
	tcase_add_test(tc, test_block_scalars);
	tcase_add_test(tc, test_json_input_and_keys);
	tcase_add_test(tc, test_errors_name_file_line_column);
	tcase_add_test(tc, test_duplicates_reported_not_refused);
	tcase_add_test(tc, test_emit_like_kubectl);
	tcase_add_test(tc, test_emit_roundtrips);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return check_run(suite());
}
