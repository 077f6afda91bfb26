/* test_cm_json.c: path getters, int64 conventions, checked readers, set, parse/print/equal/copy. */
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/json.h"
#include "tests/lib/check_run.h"

static cJSON *doc;
static struct cm_buf err;

static cJSON *parse(const char *s)
{
	cJSON *j = NULL;

	ck_assert_int_eq(cm_json_parse(s, strlen(s), &j, NULL), 0);
	return j;
}

static void setup(void)
{
	cm_buf_init(&err);
	doc = parse("{\"metadata\":{\"name\":\"web-1\",\"namespace\":\"default\","
		    "\"labels\":{\"app.kubernetes.io/name\":\"web\",\"tier\":\"front\"},"
		    "\"resourceVersion\":\"42\",\"generation\":3},"
		    "\"spec\":{\"replicas\":\"x\",\"paused\":true,\"ratio\":1.5,"
		    "\"containers\":[{\"image\":\"nginx\"},{\"image\":\"redis\"}]},"
		    "\"big\":\"9223372036854775807\",\"neg\":\"-9223372036854775808\","
		    "\"over\":\"9223372036854775808\",\"numbig\":1e300,\"nul\":null,"
		    "\"empty\":\"\",\"minus\":\"-\",\"spaced\":\" 5\",\"dec\":\"1.0\"}");
}

static void teardown(void)
{
	cJSON_Delete(doc);
	cm_buf_close(&err);
}

/* The compact text of j. */
static char *text(const cJSON *j)
{
	struct cm_buf b = CM_BUF_INIT;

	ck_assert_int_eq(cm_json_print(j, &b), 0);
	return cm_buf_take(&b);
}

#define JSON_IS(j, expected)                                                         \
	do {                                                                         \
		char *t_ = text(j);                                                  \
		ck_assert_str_eq(t_, expected);                                      \
		free(t_);                                                            \
	} while (0)

#define INT64(path, expected)                                                        \
	do {                                                                         \
		int64_t v_ = -1;                                                     \
		ck_assert_int_eq(cm_json_get_int64(doc, path, &v_), 0);              \
		ck_assert_int_eq(v_, (expected));                                    \
	} while (0)

#define INT64_ERROR(rc, path)                                                        \
	do {                                                                         \
		int64_t v_ = 77;                                                     \
		ck_assert_int_eq(cm_json_get_int64(doc, path, &v_), (rc));           \
		ck_assert_int_eq(v_, 77);                                            \
	} while (0)

START_TEST(test_get_paths)
{
	ck_assert_str_eq(cm_json_get_str(doc, "metadata.name"), "web-1");
	ck_assert_str_eq(cm_json_get_str(doc, "spec.containers.1.image"), "redis");
	ck_assert_str_eq(cm_json_get_str(doc, "spec.containers.0.image"), "nginx");
	ck_assert_ptr_eq(cm_json_get(doc, ""), doc);
	ck_assert_ptr_eq(cm_json_get(doc, "metadata"), cJSON_GetObjectItem(doc, "metadata"));
}
END_TEST

START_TEST(test_get_escaped_dot)
{
	ck_assert_str_eq(cm_json_get_str(doc, "metadata.labels.app\\.kubernetes\\.io/name"), "web");
	ck_assert_ptr_null(cm_json_get(doc, "metadata.labels.app.kubernetes.io/name"));
}
END_TEST

START_TEST(test_get_missing)
{
	ck_assert_ptr_null(cm_json_get(doc, "metadata.uid"));
	ck_assert_ptr_null(cm_json_get(doc, "nope.deeper"));
	ck_assert_ptr_null(cm_json_get(doc, "spec.containers.2.image"));
	ck_assert_ptr_null(cm_json_get(doc, "spec.containers.-1"));
	ck_assert_ptr_null(cm_json_get(doc, "spec.containers.x"));
	ck_assert_ptr_null(cm_json_get(doc, "metadata.name.first")); /* through a string */
	ck_assert_ptr_null(cm_json_get(NULL, "a"));
	ck_assert_ptr_null(cm_json_get_str(doc, "metadata.generation")); /* not a string */
	ck_assert_str_eq(cm_json_str_or(doc, "metadata.uid", "none"), "none");
	ck_assert_str_eq(cm_json_str_or(doc, "metadata.name", "none"), "web-1");
	ck_assert_str_eq(cm_json_str_or(doc, "metadata.generation", "none"), "none");
}
END_TEST

START_TEST(test_int64_number_and_string)
{
	INT64("metadata.generation", 3);
	INT64("metadata.resourceVersion", 42);
	INT64("big", INT64_MAX);
	INT64("neg", INT64_MIN);
}
END_TEST

START_TEST(test_int64_rejects)
{
	INT64_ERROR(-ENOENT, "metadata.uid");
	INT64_ERROR(-EINVAL, "spec.replicas"); /* "x" */
	INT64_ERROR(-EINVAL, "spec.ratio");    /* 1.5 */
	INT64_ERROR(-EINVAL, "over");
	INT64_ERROR(-EINVAL, "numbig");
	INT64_ERROR(-EINVAL, "spec.paused");
	INT64_ERROR(-EINVAL, "nul");
	INT64_ERROR(-EINVAL, "empty");
	INT64_ERROR(-EINVAL, "minus");
	INT64_ERROR(-EINVAL, "spaced");
	INT64_ERROR(-EINVAL, "dec");
	INT64_ERROR(-EINVAL, "metadata");
	ck_assert_int_eq(cm_json_int64_or(doc, "spec.ratio", -5), -5);
	ck_assert_int_eq(cm_json_int64_or(doc, "metadata.uid", -6), -6);
	ck_assert_int_eq(cm_json_int64_or(doc, "metadata.generation", -6), 3);
}
END_TEST

START_TEST(test_bool)
{
	bool b = false;

	ck_assert_int_eq(cm_json_get_bool(doc, "spec.paused", &b), 0);
	ck_assert(b);
	b = true;
	ck_assert_int_eq(cm_json_get_bool(doc, "metadata.name", &b), -EINVAL);
	ck_assert_int_eq(cm_json_get_bool(doc, "metadata.nope", &b), -ENOENT);
	ck_assert(b);
}
END_TEST

START_TEST(test_read_messages)
{
	int64_t v = 9;
	const char *s = NULL;
	bool b = false;

	ck_assert_int_eq(cm_json_read_int64(doc, "spec.replicas", &v, &err), -EINVAL);
	ck_assert_str_eq(err.data, "spec.replicas: expected integer, got string");
	ck_assert_int_eq(v, 9);
	ck_assert_int_eq(cm_json_read_str(doc, "metadata.generation", &s, &err), -EINVAL);
	ck_assert_str_eq(err.data, "spec.replicas: expected integer, got string; "
				   "metadata.generation: expected string, got number");
	ck_assert_ptr_null(s);
	cm_buf_reset(&err);
	ck_assert_int_eq(cm_json_read_bool(doc, "metadata.labels", &b, &err), -EINVAL);
	ck_assert_str_eq(err.data, "metadata.labels: expected boolean, got object");
	cm_buf_reset(&err);
	ck_assert_int_eq(cm_json_read_int64(doc, "spec.ratio", &v, &err), -EINVAL);
	ck_assert_str_eq(err.data, "spec.ratio: expected integer, got fractional number");
	cm_buf_reset(&err);
	ck_assert_int_eq(cm_json_read_int64(doc, "over", &v, &err), -EINVAL);
	ck_assert_str_eq(err.data, "over: integer out of range");
}
END_TEST

START_TEST(test_read_ok_and_missing)
{
	int64_t v = 0;
	const char *s = NULL;
	bool b = false;

	ck_assert_int_eq(cm_json_read_int64(doc, "metadata.resourceVersion", &v, &err), 0);
	ck_assert_int_eq(v, 42);
	ck_assert_int_eq(cm_json_read_str(doc, "metadata.namespace", &s, &err), 0);
	ck_assert_str_eq(s, "default");
	ck_assert_int_eq(cm_json_read_bool(doc, "spec.paused", &b, &err), 0);
	ck_assert(b);
	ck_assert_int_eq(cm_json_read_str(doc, "metadata.uid", &s, &err), -ENOENT);
	ck_assert_int_eq(cm_json_read_int64(doc, "spec.x", &v, &err), -ENOENT);
	ck_assert_int_eq(cm_json_read_bool(doc, "spec.y", &b, &err), -ENOENT);
	ck_assert_uint_eq(err.len, 0);
}
END_TEST

START_TEST(test_add_int64_str)
{
	cJSON *o = cJSON_CreateObject();

	ck_assert_int_eq(cm_json_add_int64_str(o, "revision", INT64_MIN), 0);
	ck_assert_int_eq(cm_json_add_int64_str(o, "n", 7), 0);
	JSON_IS(o, "{\"revision\":\"-9223372036854775808\",\"n\":\"7\"}");
	cJSON_Delete(o);
}
END_TEST

START_TEST(test_set_creates_intermediates)
{
	cJSON *o = cJSON_CreateObject();

	ck_assert_int_eq(cm_json_set_str(o, "metadata.labels.app\\.io/name", "web"), 0);
	ck_assert_int_eq(cm_json_set(o, "spec.replicas", cJSON_CreateNumber(3)), 0);
	ck_assert_int_eq(cm_json_set_str(o, "metadata.name", "a"), 0);
	JSON_IS(o, "{\"metadata\":{\"labels\":{\"app.io/name\":\"web\"},\"name\":\"a\"},"
		   "\"spec\":{\"replicas\":3}}");
	cJSON_Delete(o);
}
END_TEST

START_TEST(test_set_replaces)
{
	ck_assert_int_eq(cm_json_set_str(doc, "metadata.name", "web-2"), 0);
	ck_assert_str_eq(cm_json_get_str(doc, "metadata.name"), "web-2");
	ck_assert_int_eq(cm_json_set_str(doc, "spec.containers.1.image", "redis:7"), 0);
	ck_assert_str_eq(cm_json_get_str(doc, "spec.containers.1.image"), "redis:7");
	ck_assert_int_eq(cm_json_set(doc, "spec.containers.0", cJSON_CreateNull()), 0);
	ck_assert(cJSON_IsNull(cm_json_get(doc, "spec.containers.0")));
	ck_assert_int_eq(cm_json_set(doc, "metadata", cJSON_CreateTrue()), 0);
	ck_assert(cJSON_IsTrue(cm_json_get(doc, "metadata")));
}
END_TEST

START_TEST(test_set_failures_free_item)
{
	char *before = text(doc);

	/* Under ASan a leaked item fails the test. */
	ck_assert_int_eq(cm_json_set(doc, "metadata.name.first", cJSON_CreateString("x")), -EINVAL);
	ck_assert_int_eq(cm_json_set(doc, "metadata.name.first.second", cJSON_CreateString("x")),
			 -EINVAL);
	ck_assert_int_eq(cm_json_set(doc, "spec.containers.5", cJSON_CreateString("x")), -EINVAL);
	ck_assert_int_eq(cm_json_set(doc, "spec.containers.5.image", cJSON_CreateString("x")),
			 -EINVAL);
	ck_assert_int_eq(cm_json_set(doc, "", cJSON_CreateString("x")), -EINVAL);
	ck_assert_int_eq(cm_json_set(doc, "a", NULL), -ENOMEM);
	char *after = text(doc);
	ck_assert_str_eq(after, before);
	free(before);
	free(after);
}
END_TEST

START_TEST(test_parse_not_terminated)
{
	const char src[] = "{\"a\":[1,2,{\"b\":\"c\"}]}GARBAGE";
	size_t n = strlen("{\"a\":[1,2,{\"b\":\"c\"}]}");
	char *exact = malloc(n); /* no NUL: ASan catches a read past the end */
	cJSON *j = NULL;

	memcpy(exact, src, n);
	ck_assert_int_eq(cm_json_parse(exact, n, &j, &err), 0);
	JSON_IS(j, "{\"a\":[1,2,{\"b\":\"c\"}]}");
	cJSON_Delete(j);
	free(exact);
}
END_TEST

/* "[[[...1...]]]" nested n deep, owned by the caller. */
static char *nested(int n)
{
	char *s = malloc((size_t)n * 2 + 2);
	memset(s, '[', (size_t)n);
	s[n] = '1';
	memset(s + n + 1, ']', (size_t)n);
	s[2 * n + 1] = '\0';
	return s;
}

START_TEST(test_parse_depth_limit)
{
	cJSON *j = NULL;
	char *ok = nested(CM_JSON_MAX_DEPTH), *deep = nested(CM_JSON_MAX_DEPTH + 1);

	ck_assert_int_eq(cm_json_parse(ok, strlen(ok), &j, &err), 0);
	cJSON_Delete(j);
	j = NULL;
	ck_assert_int_eq(cm_json_parse(deep, strlen(deep), &j, &err), -EINVAL);
	ck_assert_str_eq(err.data, "invalid JSON: nested deeper than 100 levels");
	ck_assert_ptr_null(j);
	/* Brackets inside strings are text, not nesting. */
	cm_buf_reset(&err);
	deep[0] = '"';
	deep[CM_JSON_MAX_DEPTH + 1] = '"';
	deep[CM_JSON_MAX_DEPTH + 2] = '\0';
	ck_assert_int_eq(cm_json_parse(deep, strlen(deep), &j, &err), 0);
	cJSON_Delete(j);
	free(ok);
	free(deep);
}
END_TEST

START_TEST(test_parse_duplicate_keys_last_wins)
{
	const char *s = "{\"a\":1,\"b\":{\"x\":\"first\",\"y\":0,\"x\":\"last\"},\"a\":2}";
	cJSON *j = NULL;

	ck_assert_int_eq(cm_json_parse(s, strlen(s), &j, &err), 0);
	JSON_IS(j, "{\"b\":{\"y\":0,\"x\":\"last\"},\"a\":2}");
	ck_assert(cm_json_equal(j, j));
	cJSON_Delete(j);
}
END_TEST

START_TEST(test_parse_dups_names_the_dropped_members)
{
	const char *s = "{\"spec\":{\"replicas\":1,\"c\":[{\"n\":1},{\"n\":2,\"n\":3}],\"replicas\":2},\"k\":1,\"k\":2}";
	struct cm_buf dups = CM_BUF_INIT;
	cJSON *j = NULL;

	ck_assert_int_eq(cm_json_parse_dups(s, strlen(s), &j, &err, &dups), 0);
	JSON_IS(j, "{\"spec\":{\"c\":[{\"n\":1},{\"n\":3}],\"replicas\":2},\"k\":2}");
	ck_assert_str_eq(dups.data, "spec.c[1].n");
	ck_assert_str_eq(dups.data + strlen("spec.c[1].n") + 1, "spec.replicas");
	ck_assert_str_eq(dups.data + strlen("spec.c[1].n") + strlen("spec.replicas") + 2, "k");
	ck_assert_uint_eq(dups.len, strlen("spec.c[1].n") + strlen("spec.replicas") + strlen("k") + 3);
	cJSON_Delete(j);
	cm_buf_close(&dups);
}
END_TEST

START_TEST(test_parse_refuses_data_after_nul)
{
	cJSON *j = NULL;

	ck_assert_int_eq(cm_json_parse("{}\0{\"a\":1}", 10, &j, &err), -EINVAL);
	ck_assert_str_eq(err.data, "invalid JSON at offset 2: trailing data");
	ck_assert_ptr_null(j);
}
END_TEST

START_TEST(test_parse_errors)
{
	cJSON *j = (cJSON *)&err; /* any non-NULL marker */

	ck_assert_int_eq(cm_json_parse("{\"a\":}", 6, &j, &err), -EINVAL);
	ck_assert_str_eq(err.data, "invalid JSON at offset 5");
	ck_assert_ptr_eq(j, (cJSON *)&err);
	cm_buf_reset(&err);
	ck_assert_int_eq(cm_json_parse("{} x", 4, &j, &err), -EINVAL);
	ck_assert_str_eq(err.data, "invalid JSON at offset 3: trailing data");
	cm_buf_reset(&err);
	ck_assert_int_eq(cm_json_parse("", 0, &j, &err), -EINVAL);
	ck_assert_str_eq(err.data, "invalid JSON at offset 0: empty input");
	cm_buf_reset(&err);
	/* Cut short by len although the text goes on. */
	ck_assert_int_eq(cm_json_parse("{\"a\":1}", 5, &j, &err), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err.data, "invalid JSON at offset"));
	ck_assert_ptr_eq(j, (cJSON *)&err);
	ck_assert_int_eq(cm_json_parse("[1] \n", 5, &j, NULL), 0);
	JSON_IS(j, "[1]");
	cJSON_Delete(j);
}
END_TEST

START_TEST(test_print_compact_appends)
{
	struct cm_buf b = CM_BUF_INIT;
	cJSON *j = parse("{ \"a\" : [ 1 , true , null ] , \"b\" : \"x\\ny\" }");

	cm_buf_puts(&b, ">");
	ck_assert_int_eq(cm_json_print(j, &b), 0);
	ck_assert_str_eq(b.data, ">{\"a\":[1,true,null],\"b\":\"x\\ny\"}");
	cm_buf_close(&b);
	cJSON_Delete(j);
}
END_TEST

/* Texts of every size print whole: in place, after the room doubled, and past the in-place limit. */
START_TEST(test_print_sizes)
{
	static const size_t sizes[] = {10, 4000, 5000, 70000, (1u << 20) + 100, 3u << 20};

	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		struct cm_buf b = CM_BUF_INIT;
		char *s = malloc(sizes[i] + 1);
		cJSON *j = cJSON_CreateObject();

		ck_assert_ptr_nonnull(s);
		memset(s, 'x', sizes[i]);
		s[sizes[i]] = '\0';
		ck_assert_ptr_nonnull(cJSON_AddStringToObject(j, "k", s));
		cm_buf_puts(&b, "<");
		ck_assert_int_eq(cm_json_print(j, &b), 0);
		ck_assert_uint_eq(b.len, 1 + sizes[i] + strlen("{\"k\":\"\"}"));
		ck_assert_uint_eq(strlen(b.data), b.len);
		ck_assert(!strncmp(b.data, "<{\"k\":\"xxx", 10) && !strcmp(b.data + b.len - 3, "x\"}"));
		cm_buf_close(&b);
		cJSON_Delete(j);
		free(s);
	}
}
END_TEST

START_TEST(test_equal)
{
	cJSON *a = parse("{\"x\":1,\"y\":{\"p\":[1,2],\"q\":\"s\"},\"z\":null}");
	cJSON *b = parse("{\"y\":{\"q\":\"s\",\"p\":[1,2]},\"z\":null,\"x\":1}");
	cJSON *c = parse("{\"y\":{\"q\":\"s\",\"p\":[2,1]},\"z\":null,\"x\":1}");
	cJSON *d = parse("{\"x\":1,\"y\":{\"p\":[1,2],\"q\":\"s\"}}");
	cJSON *e = parse("{\"x\":1,\"y\":{\"p\":[1,2],\"q\":\"s\"},\"z\":false}");
	cJSON *f = parse("{\"x\":\"1\",\"y\":{\"p\":[1,2],\"q\":\"s\"},\"z\":null}");

	ck_assert(cm_json_equal(a, b));
	ck_assert(cm_json_equal(b, a));
	ck_assert(!cm_json_equal(a, c)); /* array order matters */
	ck_assert(!cm_json_equal(a, d));
	ck_assert(!cm_json_equal(d, a));
	ck_assert(!cm_json_equal(a, e));
	ck_assert(!cm_json_equal(a, f));
	ck_assert(!cm_json_equal(a, NULL));
	ck_assert(cm_json_equal(NULL, NULL));
	cJSON_Delete(a);
	cJSON_Delete(b);
	cJSON_Delete(c);
	cJSON_Delete(d);
	cJSON_Delete(e);
	cJSON_Delete(f);
}
END_TEST

START_TEST(test_copy_is_deep)
{
	cJSON *c = cm_json_copy(doc);

	ck_assert_ptr_nonnull(c);
	ck_assert(cm_json_equal(c, doc));
	ck_assert_int_eq(cm_json_set_str(c, "spec.containers.0.image", "busybox"), 0);
	ck_assert_str_eq(cm_json_get_str(doc, "spec.containers.0.image"), "nginx");
	ck_assert(!cm_json_equal(c, doc));
	cJSON_Delete(c);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("cm_json");
	TCase *tc = tcase_create("json");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_get_paths);
	tcase_add_test(tc, test_get_escaped_dot);
	tcase_add_test(tc, test_get_missing);
	tcase_add_test(tc, test_int64_number_and_string);
	tcase_add_test(tc, test_int64_rejects);
	tcase_add_test(tc, test_bool);
	tcase_add_test(tc, test_read_messages);
	tcase_add_test(tc, test_read_ok_and_missing);
	tcase_add_test(tc, test_add_int64_str);
	tcase_add_test(tc, test_set_creates_intermediates);
	tcase_add_test(tc, test_set_replaces);
	tcase_add_test(tc, test_set_failures_free_item);
	tcase_add_test(tc, test_parse_not_terminated);
	tcase_add_test(tc, test_parse_errors);
	tcase_add_test(tc, test_parse_depth_limit);
	tcase_add_test(tc, test_parse_duplicate_keys_last_wins);
	tcase_add_test(tc, test_parse_dups_names_the_dropped_members);
	tcase_add_test(tc, test_parse_refuses_data_after_nul);
	tcase_add_test(tc, test_print_compact_appends);
	tcase_add_test(tc, test_print_sizes);
	tcase_add_test(tc, test_equal);
	tcase_add_test(tc, test_copy_is_deep);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return check_run(suite());
}
