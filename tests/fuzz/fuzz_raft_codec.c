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
		/*
		 * Encoding is a fixed point after one round: decode(encode(m))
		 * encodes the same bytes. (Not the input's bytes: a reserved u64
		 * is ignored on decode and written as 0.)
		 */
		struct cm_buf out = CM_BUF_INIT, out2 = CM_BUF_INIT;
		FUZZ_CHECK(raft_codec_encode(msgs, n, &out) == 0);
		FUZZ_CHECK(out.len == size);
		struct raft_msg *again = NULL;
		size_t n2 = 0;
		FUZZ_CHECK(raft_codec_decode((const uint8_t *)out.data, out.len, &again, &n2) == 0);
		FUZZ_CHECK(n2 == n);
		FUZZ_CHECK(raft_codec_encode(again, n2, &out2) == 0);
		FUZZ_CHECK(out2.len == out.len && memcmp(out.data, out2.data, out.len) == 0);
		raft_codec_free(again, n2);
		cm_buf_close(&out);
		cm_buf_close(&out2);
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
