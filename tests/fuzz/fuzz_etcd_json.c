/* fuzz_etcd_json.c: the etcd v3 JSON request decoder for every kind, and the binary codec on what it accepts. */
#include <errno.h>

#include "etcdlite/json_codec.h"
#include "etcdlite/request.h"
#include "tests/fuzz/fuzz_util.h"

/* First byte: the kind (mod 9). The rest: the body. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_quiet();
	if (size < 1)
		return 0;
	enum el_jkind kind = (enum el_jkind)(data[0] % (EL_J_WATCH + 1));
	struct el_jreq jr;
	memset(&jr, 0, sizeof(jr));
	struct cm_buf err = CM_BUF_INIT;
	/* An exact-size copy: the decoder must not read past len. */
	char *body = malloc(size);
	FUZZ_CHECK(body != NULL);
	memcpy(body, data + 1, size - 1);
	int rc = el_json_decode(kind, body, size - 1, &jr, &err);
	FUZZ_CHECK(rc == 0 || rc == -EINVAL || rc < 0);
	if (rc == 0 && kind <= EL_J_LEASE_REVOKE) {
		(void)el_request_is_read_only(&jr.req);
		/* What the gateway accepts goes into the Raft log: it must encode and decode back. */
		struct cm_buf enc = CM_BUF_INIT, enc2 = CM_BUF_INIT;
		if (el_request_encode(&jr.req, &enc) == 0) {
			struct el_request back;
			FUZZ_CHECK(el_request_decode(enc.data, enc.len, &back) == 0);
			FUZZ_CHECK(el_request_encode(&back, &enc2) == 0);
			FUZZ_CHECK(enc.len == enc2.len && memcmp(enc.data, enc2.data, enc.len) == 0);
			el_request_close(&back);
		}
		cm_buf_close(&enc);
		cm_buf_close(&enc2);
	}
	el_jreq_close(&jr);
	cm_buf_close(&err);
	free(body);
	return 0;
}
