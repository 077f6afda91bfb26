/* fuzz_selector.c: the label and field selector parsers. Input: a selector, a newline, then labels/object JSON. */
#include <errno.h>

#include "common/fieldsel.h"
#include "common/selector.h"
#include "tests/fuzz/fuzz_util.h"

static void label_selector(const char *text, const cJSON *labels)
{
	struct cm_buf err = CM_BUF_INIT, out = CM_BUF_INIT;
	struct cm_selector *sel = NULL;
	int rc = cm_selector_parse(text, &sel, &err);
	FUZZ_CHECK(rc == 0 || rc == -EINVAL);
	if (rc == 0) {
		(void)cm_selector_matches(sel, labels);
		(void)cm_selector_empty(sel);
		(void)cm_selector_count(sel);
		/* The canonical form must parse to a selector that formats the same. */
		FUZZ_CHECK(cm_selector_format(sel, &out) == 0);
		struct cm_selector *again = NULL;
		struct cm_buf out2 = CM_BUF_INIT;
		FUZZ_CHECK(cm_selector_parse(out.data ? out.data : "", &again, NULL) == 0);
		FUZZ_CHECK(cm_selector_format(again, &out2) == 0);
		FUZZ_CHECK(out.len == out2.len && (out.len == 0 || memcmp(out.data, out2.data, out.len) == 0));
		FUZZ_CHECK(cm_selector_matches(sel, labels) == cm_selector_matches(again, labels));
		cm_selector_free(again);
		cm_buf_close(&out2);
	}
	cm_selector_free(sel);
	/* The same text read as a metav1.LabelSelector object, if it is JSON. */
	if (labels) {
		sel = NULL;
		if (cm_selector_from_json(labels, &sel, &err) == 0) {
			(void)cm_selector_matches(sel, labels);
			cm_buf_reset(&out);
			(void)cm_selector_format(sel, &out);
		}
		cm_selector_free(sel);
	}
	cm_buf_close(&out);
	cm_buf_close(&err);
}

static void field_selector(const char *text, const cJSON *obj)
{
	static const char *const allowed[] = {"spec.nodeName", "status.phase", NULL};
	struct cm_buf err = CM_BUF_INIT;
	struct cm_fieldsel *fs = NULL;
	int rc = cm_fieldsel_parse(text, &fs, &err);
	FUZZ_CHECK(rc == 0 || rc == -EINVAL);
	if (rc == 0) {
		(void)cm_fieldsel_check(fs, &err);
		(void)cm_fieldsel_check_allowed(fs, allowed, &err);
		(void)cm_fieldsel_matches(fs, obj);
		(void)cm_fieldsel_required(fs, "metadata.name");
		(void)cm_fieldsel_empty(fs);
	}
	cm_fieldsel_free(fs);
	cm_buf_close(&err);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_quiet();
	char *s = fuzz_strdup(data, size), *rest;
	char *text = fuzz_line(s, &rest);
	cJSON *obj = cJSON_Parse(rest);
	if (!obj)
		obj = cJSON_Parse("{\"app\":\"web\",\"tier\":\"1\",\"metadata\":{\"name\":\"a\"}}");
	label_selector(text, cJSON_IsObject(obj) ? obj : NULL);
	field_selector(text, obj);
	cJSON_Delete(obj);
	free(s);
	return 0;
}
