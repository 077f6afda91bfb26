/* fuzz_json.c: cm_json_parse, then the path getters and setters. Input: a path line, then JSON. */
#include <errno.h>

#include "common/json.h"
#include "tests/fuzz/fuzz_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_quiet();
	char *s = fuzz_strdup(data, size), *body;
	char *path = fuzz_line(s, &body);
	size_t blen = size - (size_t)(body - s);
	struct cm_buf err = CM_BUF_INIT;
	cJSON *root = NULL;
	int rc = cm_json_parse(body, blen, &root, &err);
	FUZZ_CHECK(rc == 0 || rc == -EINVAL);
	FUZZ_CHECK((rc == 0) == (root != NULL));
	if (rc == 0) {
		int64_t i64 = 0;
		bool b = false;
		const char *str = NULL;
		(void)cm_json_get(root, path);
		(void)cm_json_get_str(root, path);
		(void)cm_json_str_or(root, path, "x");
		(void)cm_json_get_int64(root, path, &i64);
		(void)cm_json_int64_or(root, path, 7);
		(void)cm_json_get_bool(root, path, &b);
		(void)cm_json_read_str(root, path, &str, &err);
		(void)cm_json_read_int64(root, path, &i64, &err);
		(void)cm_json_read_bool(root, path, &b, &err);

		/*
		 * What we print must parse back, and print the same again. (Not
		 * an equal tree: cJSON prints a double with 15 significant digits
		 * when that reads back within DBL_EPSILON, so 6.8888888888888886e68
		 * comes back as ...896e68. A known limit, see tests/fuzz/README.md.)
		 */
		struct cm_buf out = CM_BUF_INIT, out2 = CM_BUF_INIT;
		FUZZ_CHECK(cm_json_print(root, &out) == 0);
		cJSON *again = NULL;
		FUZZ_CHECK(cm_json_parse(out.data, out.len, &again, NULL) == 0);
		FUZZ_CHECK(cm_json_print(again, &out2) == 0);
		FUZZ_CHECK(out.len == out2.len && memcmp(out.data, out2.data, out.len) == 0);
		cJSON_Delete(again);
		cm_buf_close(&out);
		cm_buf_close(&out2);

		cJSON *copy = cm_json_copy(root);
		FUZZ_CHECK(copy && cm_json_equal(root, copy));
		if (cJSON_IsObject(copy) && cm_json_set_str(copy, path, "v") == 0 && path[0])
			FUZZ_CHECK(cm_json_get_str(copy, path) != NULL);
		(void)cm_json_add_int64_str(copy, "n", -1);
		cJSON_Delete(copy);
		cJSON_Delete(root);
	}
	cm_buf_close(&err);
	free(s);
	return 0;
}
