/* fuzz_request.c: el_request_decode on hostile bytes (a Raft entry), and re-encoding what it accepts. */
#include <errno.h>

#include "etcdlite/request.h"
#include "tests/fuzz/fuzz_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct el_request req;
	int rc = el_request_decode(data, size, &req);
	FUZZ_CHECK(rc == 0 || rc == -EINVAL || rc == -ENOMEM);
	if (rc != 0)
		return 0;
	/* Decoding is lenient only where the encoding is canonical: decode(encode(x)) encodes the same. */
	struct cm_buf a = CM_BUF_INIT, b = CM_BUF_INIT;
	if (el_request_encode(&req, &a) == 0) {
		struct el_request again;
		FUZZ_CHECK(el_request_decode(a.data, a.len, &again) == 0);
		FUZZ_CHECK(el_request_encode(&again, &b) == 0);
		FUZZ_CHECK(a.len == b.len && memcmp(a.data, b.data, a.len) == 0);
		el_request_close(&again);
	}
	cm_buf_close(&a);
	cm_buf_close(&b);
	el_request_close(&req);
	return 0;
}
