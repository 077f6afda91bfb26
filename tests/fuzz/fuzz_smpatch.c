/* fuzz_smpatch.c: strategic merge patch apply (and diff, three-way) on a random document and patch. */
#include <errno.h>

#include "common/json.h"
#include "common/smpatch.h"
#include "tests/fuzz/fuzz_util.h"

/* Input: two JSON values one after the other, the document then the patch. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_quiet();
	const char *end = NULL;
	cJSON *doc = cJSON_ParseWithLengthOpts((const char *)data, size, &end, 0);
	if (!doc)
		return 0;
	size_t used = (size_t)(end - (const char *)data);
	cJSON *patch = cJSON_ParseWithLength(end, size - used);
	if (!patch) {
		cJSON_Delete(doc);
		return 0;
	}
	struct cm_buf err = CM_BUF_INIT;
	cJSON *out = NULL, *diff = NULL, *three = NULL;
	int rc = cm_smpatch_apply(doc, patch, &out, &err);
	FUZZ_CHECK(rc == 0 || rc == -EINVAL);
	FUZZ_CHECK((rc == 0) == (out != NULL));
	if (rc == 0 && cJSON_IsObject(doc) && cJSON_IsObject(out)) {
		if (cm_smpatch_diff(doc, out, &diff, &err) == 0) {
			cJSON *again = NULL;
			if (cm_smpatch_apply(doc, diff, &again, &err) == 0)
				cJSON_Delete(again);
		}
		if (cm_smpatch_three_way(patch, out, doc, &three, &err) == 0)
			cJSON_Delete(three);
	}
	cJSON_Delete(diff);
	cJSON_Delete(out);
	cJSON_Delete(patch);
	cJSON_Delete(doc);
	cm_buf_close(&err);
	return 0;
}
