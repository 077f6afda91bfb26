/* fuzz_raft_codec.c: the peer transport's Raft message decoder on hostile bytes, and re-encoding what it accepts. */
#include <errno.h>

#include "etcdlite/raft/codec.h"
#include "tests/fuzz/fuzz_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct raft_msg *msgs = NULL;
	size_t n = 0;
	int rc = raft_codec_decode(data, size, &msgs, &n);
	FUZZ_CHECK(rc == 0 || rc == -EINVAL || rc == -ENOMEM);
	if (rc == 0) {
		/* The format has one encoding per batch: what decodes re-encodes to the same bytes. */
		struct cm_buf out = CM_BUF_INIT;
		FUZZ_CHECK(raft_codec_encode(msgs, n, &out) == 0);
		FUZZ_CHECK(out.len == size && memcmp(out.data, data, size) == 0);
		cm_buf_close(&out);
		raft_codec_free(msgs, n);
	}
	/* The WAL's single-entry reader on the same bytes. */
	struct raft_entry e;
	size_t used = 0;
	if (raft_codec_get_entry(data, size, &e, &used) == 0) {
		FUZZ_CHECK(used <= size);
		free(e.data);
	}
	return 0;
}
