/* test_api_patch_json.c: RFC 6902 JSON patch: each operation, pointer escapes, errors, atomicity. */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "apiserver/patch.h"
#include "tests/lib/check_run.h"

static void PATCH(const char *doc, const char *patch, const char *want)
{
	cJSON *d = cJSON_Parse(doc), *p = cJSON_Parse(patch), *w = cJSON_Parse(want), *out = NULL;
	struct cm_buf err = CM_BUF_INIT;
	ck_assert_ptr_nonnull(d);
	ck_assert_ptr_nonnull(p);
	ck_assert_ptr_nonnull(w);
	int rc = api_patch_json(d, p, &out, &err);
	ck_assert_msg(rc == 0, "%s: %s", patch, err.data ? err.data : "");
	char *got = cJSON_PrintUnformatted(out), *wants = cJSON_PrintUnformatted(w);
	ck_assert_str_eq(got, wants);
	free(got), free(wants);
	cJSON_Delete(d), cJSON_Delete(p), cJSON_Delete(w), cJSON_Delete(out);
	cm_buf_close(&err);
}

static void PATCH_ERROR(const char *doc, const char *patch, const char *msg_part)
{
	cJSON *d = cJSON_Parse(doc), *p = cJSON_Parse(patch), *out = (cJSON *)0x1;
	struct cm_buf err = CM_BUF_INIT;
	ck_assert_ptr_nonnull(p);
	char *before = cJSON_PrintUnformatted(d);
	ck_assert_int_eq(api_patch_json(d, p, &out, &err), -EINVAL);
	ck_assert_ptr_eq(out, (cJSON *)0x1);
	ck_assert_msg(err.data && strstr(err.data, msg_part), "%s: got '%s'", patch, err.data ? err.data : "");
	char *after = cJSON_PrintUnformatted(d);
	ck_assert_str_eq(before, after);
	free(before), free(after);
	cJSON_Delete(d), cJSON_Delete(p);
	cm_buf_close(&err);
}

START_TEST(add)
{
	PATCH("{\"foo\":\"bar\"}", "[{\"op\":\"add\",\"path\":\"/baz\",\"value\":\"qux\"}]",
	      "{\"foo\":\"bar\",\"baz\":\"qux\"}");
	PATCH("{\"foo\":[\"bar\",\"baz\"]}", "[{\"op\":\"add\",\"path\":\"/foo/1\",\"value\":\"qux\"}]",
	      "{\"foo\":[\"bar\",\"qux\",\"baz\"]}");
	PATCH("{\"foo\":[\"bar\"]}", "[{\"op\":\"add\",\"path\":\"/foo/-\",\"value\":[\"abc\",\"def\"]}]",
	      "{\"foo\":[\"bar\",[\"abc\",\"def\"]]}");
	PATCH("{\"foo\":[\"bar\"]}", "[{\"op\":\"add\",\"path\":\"/foo/1\",\"value\":1}]", "{\"foo\":[\"bar\",1]}");
	PATCH("{\"foo\":\"bar\"}", "[{\"op\":\"add\",\"path\":\"/foo\",\"value\":null}]", "{\"foo\":null}");
	PATCH("{\"foo\":\"bar\"}", "[{\"op\":\"add\",\"path\":\"\",\"value\":{\"x\":1}}]", "{\"x\":1}");
	PATCH("{\"foo\":{}}", "[{\"op\":\"add\",\"path\":\"/foo/\",\"value\":1}]", "{\"foo\":{\"\":1}}");
}
END_TEST

START_TEST(remove_replace)
{
	PATCH("{\"baz\":\"qux\",\"foo\":\"bar\"}", "[{\"op\":\"remove\",\"path\":\"/baz\"}]", "{\"foo\":\"bar\"}");
	PATCH("{\"foo\":[\"bar\",\"qux\",\"baz\"]}", "[{\"op\":\"remove\",\"path\":\"/foo/1\"}]",
	      "{\"foo\":[\"bar\",\"baz\"]}");
	PATCH("{\"baz\":\"qux\",\"foo\":\"bar\"}", "[{\"op\":\"replace\",\"path\":\"/baz\",\"value\":\"boo\"}]",
	      "{\"baz\":\"boo\",\"foo\":\"bar\"}");
	PATCH("{\"spec\":{\"containers\":[{\"name\":\"a\",\"image\":\"v1\"}]}}",
	      "[{\"op\":\"replace\",\"path\":\"/spec/containers/0/image\",\"value\":\"v2\"}]",
	      "{\"spec\":{\"containers\":[{\"name\":\"a\",\"image\":\"v2\"}]}}");
}
END_TEST

START_TEST(move_copy)
{
	PATCH("{\"foo\":{\"bar\":\"baz\",\"waldo\":\"fred\"},\"qux\":{\"corge\":\"grault\"}}",
	      "[{\"op\":\"move\",\"from\":\"/foo/waldo\",\"path\":\"/qux/thud\"}]",
	      "{\"foo\":{\"bar\":\"baz\"},\"qux\":{\"corge\":\"grault\",\"thud\":\"fred\"}}");
	PATCH("{\"foo\":[\"all\",\"grass\",\"cows\",\"eat\"]}", "[{\"op\":\"move\",\"from\":\"/foo/1\",\"path\":\"/foo/3\"}]",
	      "{\"foo\":[\"all\",\"cows\",\"eat\",\"grass\"]}");
	PATCH("{\"a\":{\"b\":1}}", "[{\"op\":\"copy\",\"from\":\"/a\",\"path\":\"/c\"}]", "{\"a\":{\"b\":1},\"c\":{\"b\":1}}");
	PATCH("{\"a\":1}", "[{\"op\":\"move\",\"from\":\"/a\",\"path\":\"/a\"}]", "{\"a\":1}");
}
END_TEST

START_TEST(test_op)
{
	PATCH("{\"baz\":\"qux\",\"foo\":[\"a\",2,\"c\"]}",
	      "[{\"op\":\"test\",\"path\":\"/baz\",\"value\":\"qux\"},{\"op\":\"test\",\"path\":\"/foo/1\",\"value\":2}]",
	      "{\"baz\":\"qux\",\"foo\":[\"a\",2,\"c\"]}");
	PATCH("{\"/\":9,\"~1\":10}", "[{\"op\":\"test\",\"path\":\"/~01\",\"value\":10}]", "{\"/\":9,\"~1\":10}");
	PATCH("{\"a/b\":1,\"m~n\":2}",
	      "[{\"op\":\"replace\",\"path\":\"/a~1b\",\"value\":3},{\"op\":\"remove\",\"path\":\"/m~0n\"}]",
	      "{\"a/b\":3}");
	PATCH("{\"a\":{\"x\":1,\"y\":2}}", "[{\"op\":\"test\",\"path\":\"/a\",\"value\":{\"y\":2,\"x\":1}}]",
	      "{\"a\":{\"x\":1,\"y\":2}}");
}
END_TEST

START_TEST(errors)
{
	PATCH_ERROR("{\"baz\":\"qux\"}", "[{\"op\":\"test\",\"path\":\"/baz\",\"value\":\"bar\"}]",
		    "testing value /baz failed");
	PATCH_ERROR("{\"a\":1}", "[{\"op\":\"add\",\"path\":\"/b/c\",\"value\":1}]", "missing path");
	PATCH_ERROR("{\"a\":1}", "[{\"op\":\"remove\",\"path\":\"/b\"}]", "missing path");
	PATCH_ERROR("{\"a\":1}", "[{\"op\":\"replace\",\"path\":\"/b\",\"value\":1}]", "missing key");
	PATCH_ERROR("{\"a\":[1]}", "[{\"op\":\"add\",\"path\":\"/a/5\",\"value\":1}]", "invalid index");
	PATCH_ERROR("{\"a\":[1]}", "[{\"op\":\"add\",\"path\":\"/a/01\",\"value\":1}]", "invalid index");
	PATCH_ERROR("{\"a\":[1]}", "[{\"op\":\"remove\",\"path\":\"/a/-\"}]", "missing path");
	PATCH_ERROR("{\"a\":[1]}", "[{\"op\":\"remove\",\"path\":\"/a/1\"}]", "missing path");
	PATCH_ERROR("{\"a\":1}", "[{\"op\":\"frob\",\"path\":\"/a\"}]", "unexpected op \"frob\"");
	PATCH_ERROR("{\"a\":1}", "[{\"path\":\"/a\"}]", "missing \"op\"");
	PATCH_ERROR("{\"a\":1}", "[{\"op\":\"add\",\"path\":\"/a\"}]", "missing \"value\"");
	PATCH_ERROR("{\"a\":1}", "[{\"op\":\"add\",\"value\":1}]", "missing \"path\"");
	PATCH_ERROR("{\"a\":1}", "[{\"op\":\"move\",\"path\":\"/b\"}]", "missing \"from\"");
	PATCH_ERROR("{\"a\":1}", "[{\"op\":\"add\",\"path\":\"a\",\"value\":1}]", "start with '/'");
	PATCH_ERROR("{\"a\":1}", "[{\"op\":\"add\",\"path\":\"/~2\",\"value\":1}]", "'~'");
	PATCH_ERROR("{\"a\":{\"b\":1}}", "[{\"op\":\"move\",\"from\":\"/a\",\"path\":\"/a/b/c\"}]", "own child");
	PATCH_ERROR("{\"a\":1}", "[{\"op\":\"remove\",\"path\":\"\"}]", "whole document");
	PATCH_ERROR("{\"a\":1}", "{\"op\":\"remove\",\"path\":\"/a\"}", "list of operations");
	PATCH_ERROR("{\"a\":1}", "[42]", "missing \"op\"");
	/* all or nothing: the first op succeeded but the doc stays as it was */
	PATCH_ERROR("{\"a\":1}",
		    "[{\"op\":\"add\",\"path\":\"/b\",\"value\":2},{\"op\":\"test\",\"path\":\"/a\",\"value\":2}]",
		    "test failed");
	PATCH_ERROR("{\"a\":\"s\"}", "[{\"op\":\"add\",\"path\":\"/a/b\",\"value\":1}]", "missing path");
	struct cm_buf many = CM_BUF_INIT;
	cm_buf_putc(&many, '[');
	for (int i = 0; i <= API_JSON_PATCH_MAX_OPS; i++)
		cm_buf_printf(&many, "%s{\"op\":\"test\",\"path\":\"/a\",\"value\":1}", i ? "," : "");
	cm_buf_putc(&many, ']');
	PATCH_ERROR("{\"a\":1}", many.data, "maximum operations in a JSON patch is 10000, got 10001");
	cm_buf_close(&many);
}
END_TEST


static unsigned long long rng_state = 0xDEADBEEFCAFEULL;

static unsigned rnd(unsigned n)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return (unsigned)(rng_state % n);
}

static const char *random_pointer(char *buf, size_t size)
{
	static const char *const toks[] = {"a", "b", "0", "1", "2", "-", "01", "~0", "~1", "~", "x~1y", ""};
	size_t len = 0;
	buf[0] = '\0';
	for (unsigned k = rnd(4); k > 0 && len + 8 < size; k--)
		len += (size_t)snprintf(buf + len, size - len, "/%s", toks[rnd(sizeof(toks) / sizeof(toks[0]))]);
	return buf;
}

START_TEST(random_operations)
{
	static const char *const ops[] = {"add", "remove", "replace", "move", "copy", "test", "bogus"};
	cJSON *doc = cJSON_Parse("{\"a\":{\"b\":[1,2,{\"a\":3}],\"0\":null},\"b\":[[],{}],\"~\":1,\"/\":2}");
	for (int i = 0; i < 20000; i++) {
		cJSON *patch = cJSON_CreateArray(), *out = NULL;
		struct cm_buf err = CM_BUF_INIT;
		char p1[64], p2[64];
		for (unsigned k = rnd(3) + 1; k > 0; k--) {
			cJSON *op = cJSON_CreateObject();
			if (rnd(10))
				cJSON_AddStringToObject(op, "op", ops[rnd(7)]);
			if (rnd(10))
				cJSON_AddStringToObject(op, "path", random_pointer(p1, sizeof(p1)));
			if (rnd(2))
				cJSON_AddStringToObject(op, "from", random_pointer(p2, sizeof(p2)));
			if (rnd(3))
				cJSON_AddItemToObject(op, "value", rnd(2) ? cJSON_CreateNumber(rnd(3)) : cJSON_CreateObject());
			cJSON_AddItemToArray(patch, op);
		}
		int rc = api_patch_json(doc, patch, &out, &err);
		ck_assert(rc == 0 || rc == -EINVAL);
		if (rc)
			ck_assert_ptr_nonnull(err.data);
		cJSON_Delete(out);
		cJSON_Delete(patch);
		cm_buf_close(&err);
	}
	cJSON_Delete(doc);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("api_patch_json");
	TCase *tc = tcase_create("json_patch");
	tcase_add_test(tc, add);
	tcase_add_test(tc, remove_replace);
	tcase_add_test(tc, move_copy);
	tcase_add_test(tc, test_op);
	tcase_add_test(tc, errors);
	tcase_add_test(tc, random_operations);
	suite_add_tcase(s, tc);
	return check_run(s);
}
