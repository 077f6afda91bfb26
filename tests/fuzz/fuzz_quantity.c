/* fuzz_quantity.c: the resource quantity parser, and that its canonical form reads back the same. */
#include <errno.h>

#include "common/quantity.h"
#include "tests/fuzz/fuzz_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = fuzz_strdup(data, size);
	int64_t milli = 0, units = 0;
	int rc = cm_quantity_parse_milli(s, &milli);
	FUZZ_CHECK(rc == 0 || rc == -EINVAL || rc == -ERANGE);
	int rc2 = cm_quantity_parse(s, &units);
	FUZZ_CHECK(rc2 == 0 || rc2 == -EINVAL || rc2 == -ERANGE);
	if (rc == 0) {
		for (int fmt = CM_QFMT_DECIMAL; fmt <= CM_QFMT_BINARY; fmt++) {
			struct cm_buf out = CM_BUF_INIT;
			int64_t back = 0;
			FUZZ_CHECK(cm_quantity_format_milli(milli, (enum cm_quantity_fmt)fmt, &out) == 0);
			FUZZ_CHECK(cm_quantity_parse_milli(out.data, &back) == 0);
			FUZZ_CHECK(back == milli);
			cm_buf_close(&out);
		}
	}
	free(s);
	return 0;
}
