/* fuzz_yaml.c: the YAML loader (manifests), then the emitter: what we print must load back as the same JSON. */
#include <errno.h>

#include "common/json.h"
#include "common/yaml.h"
#include "tests/fuzz/fuzz_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_quiet();
	struct cm_buf err = CM_BUF_INIT;
	cJSON *docs = NULL;
	int rc = cm_yaml_parse_all((const char *)data, size, "fuzz.yaml", &docs, &err);
	FUZZ_CHECK(rc == 0 || rc == -EINVAL);
	FUZZ_CHECK((rc == 0) == (docs != NULL));
	FUZZ_CHECK(rc == 0 || err.len > 0);
	if (rc == 0) {
		FUZZ_CHECK(cJSON_IsArray(docs));
		const cJSON *doc;
		cJSON_ArrayForEach(doc, docs) {
			struct cm_buf y = CM_BUF_INIT;
			cJSON *back = NULL;
			FUZZ_CHECK(cm_yaml_emit(doc, &y) == 0);
			FUZZ_CHECK(cm_yaml_parse_all(y.data ? y.data : "", y.len, "emitted", &back, NULL) == 0);
			/* a null document is skipped on the way back, as an empty one; keys come back sorted */
			if (!cJSON_IsNull(doc)) {
				FUZZ_CHECK(cJSON_GetArraySize(back) == 1);
				FUZZ_CHECK(cm_json_equal(doc, back->child));
			}
			cJSON_Delete(back);
			cm_buf_close(&y);
		}
		cJSON_Delete(docs);
	}
	cm_buf_close(&err);
	return 0;
}
