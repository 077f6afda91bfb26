/* request.h: etcd v3 KV and lease requests and responses as C structs, their binary codec and errors. */
#ifndef EL_REQUEST_H
#define EL_REQUEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"

/*
 * Keys and values are raw bytes (the JSON layer base64s them). An el_bytes
 * never owns its data: it points into a buffer someone else keeps alive.
 * data may be NULL when len is 0.
 */
struct el_bytes {
	const char *data;
	uint32_t len;
};

/* etcd's limits, so that etcdlite refuses what etcd refuses. */
#define EL_MAX_TXN_OPS 128              /* --max-txn-ops default */
#define EL_MAX_LEASE_TTL 9000000000LL   /* seconds, lease.MaxLeaseTTL */
#define EL_MAX_NESTING 16               /* nested Txn depth accepted by the codec */

/*
 * Errors beyond common/err.h that etcd reports with its own messages. Store
 * functions return these negated (-EL_ELEASENOTFOUND), as they do CM_E* codes.
 * CM_ECOMPACTED and CM_EFUTUREREV are used for mvcc's compacted / future revision.
 */
enum el_err {
	EL_EKEYNOTFOUND = 11000, /* "etcdserver: key not found" (put ignore_value on a missing key) */
	EL_ELEASENOTFOUND,       /* "etcdserver: requested lease not found" */
	EL_ELEASEEXISTS,         /* "etcdserver: lease already exists" */
	EL_ETTLTOOLARGE,         /* "etcdserver: too large lease TTL" */
	EL_EDUPKEY,              /* "etcdserver: duplicate key given in txn request" */
	EL_EVALUEPROVIDED,       /* "etcdserver: value is provided" (ignore_value with a value) */
	EL_ELEASEPROVIDED,       /* "etcdserver: lease is provided" (ignore_lease with a lease) */
	EL_EEMPTYKEY,            /* "etcdserver: key is not provided" */
	EL_ETOOMANYOPS,          /* "etcdserver: too many operations in txn request" */
	EL_EMEMBERNOTFOUND,      /* "etcdserver: member not found" */
	EL_EBADMEMBERURLS,       /* "etcdserver: given member URLs are invalid" */
	EL_EUSERNOTFOUND,        /* "etcdserver: user name not found" */
	EL_EROLENOTFOUND,        /* "etcdserver: role name not found" */
	EL_EAUTHNOTENABLED,      /* "etcdserver: authentication is not enabled" */
	EL_ENOTLEARNER,          /* "etcdserver: can only promote a learner member" */
	EL_ELAST
};

/*
 * etcd's message for err (negative: -EL_E*, -CM_ECOMPACTED, -CM_EFUTUREREV,
 * -EINVAL, ...), exactly as etcd's JSON gateway writes it in "error" and
 * "message". Never NULL, static storage.
 */
const char *el_strerror(int err);
/* The gRPC status code etcd's gateway puts in "code" for err (3 InvalidArgument, 5 NotFound, 9, 11 OutOfRange, ...). */
int el_err_grpc_code(int err);

enum el_sort_order { EL_SORT_NONE = 0, EL_SORT_ASCEND = 1, EL_SORT_DESCEND = 2 };
enum el_sort_target {
	EL_SORT_KEY = 0,
	EL_SORT_VERSION = 1,
	EL_SORT_CREATE = 2,
	EL_SORT_MOD = 3,
	EL_SORT_VALUE = 4
};

/*
 * range_end as etcd: len 0 -> the single key `key`; "\0" (len 1, byte 0) ->
 * every key >= key; otherwise [key, range_end). key "\0" with range_end "\0"
 * is every key. revision <= 0 -> the current revision. limit 0 -> no limit.
 */
struct el_range_req {
	struct el_bytes key, range_end;
	int64_t limit;
	int64_t revision;
	uint8_t sort_order;  /* enum el_sort_order */
	uint8_t sort_target; /* enum el_sort_target */
	bool serializable;   /* not used by the store; for the server's read path */
	bool keys_only;
	bool count_only;
	/* etcd's filters on the keys found (0: none); count is taken before them. */
	int64_t min_mod_revision, max_mod_revision;
	int64_t min_create_revision, max_create_revision;
};

struct el_put_req {
	struct el_bytes key, value;
	int64_t lease; /* 0: no lease (detaches any) */
	bool prev_kv;
	bool ignore_value; /* keep the current value; the key must exist */
	bool ignore_lease; /* keep the current lease */
};

struct el_delete_req {
	struct el_bytes key, range_end; /* range_end as in el_range_req */
	bool prev_kv;
};

enum el_cmp_target {
	EL_CMP_VERSION = 0,
	EL_CMP_CREATE = 1,
	EL_CMP_MOD = 2,
	EL_CMP_VALUE = 3,
	EL_CMP_LEASE = 4
};
enum el_cmp_result { EL_CMP_EQUAL = 0, EL_CMP_GREATER = 1, EL_CMP_LESS = 2, EL_CMP_NOT_EQUAL = 3 };

/*
 * One compare. number holds version / create_revision / mod_revision / lease
 * for those targets; value for EL_CMP_VALUE. With a range_end every key of the
 * range must satisfy it; a missing key compares as all zeros (and fails any
 * VALUE compare), as in etcd.
 */
struct el_compare {
	uint8_t target; /* enum el_cmp_target */
	uint8_t result; /* enum el_cmp_result */
	struct el_bytes key, range_end;
	int64_t number;
	struct el_bytes value;
};

enum el_op_type { EL_OP_RANGE = 0, EL_OP_PUT = 1, EL_OP_DELETE = 2, EL_OP_TXN = 3 };

struct el_op;

struct el_txn_req {
	struct el_compare *compares;
	uint32_t ncompares;
	uint32_t nsuccess, nfailure;
	struct el_op *success;
	struct el_op *failure;
};

struct el_op {
	uint8_t type; /* enum el_op_type */
	union {
		struct el_range_req range;
		struct el_put_req put;
		struct el_delete_req del;
		struct el_txn_req txn;
	} u;
};

struct el_compaction_req {
	int64_t revision;
	bool physical; /* accepted and ignored: compaction is always done at once */
};

/* id 0: the store picks a fresh id deterministically. ttl in seconds. */
struct el_lease_grant_req {
	int64_t id;
	int64_t ttl;
};

struct el_lease_revoke_req {
	int64_t id;
};

/* etcd's LeaseCheckpoint: persists a lease's remaining TTL so a new leader resumes it. */
struct el_lease_checkpoint {
	int64_t id;
	int64_t remaining_ttl;
};
struct el_lease_checkpoint_req {
	struct el_lease_checkpoint *checkpoints;
	uint32_t n;
};

enum el_req_type {
	EL_REQ_RANGE = 0,
	EL_REQ_PUT = 1,
	EL_REQ_DELETE = 2,
	EL_REQ_TXN = 3,
	EL_REQ_COMPACTION = 4,
	EL_REQ_LEASE_GRANT = 5,
	EL_REQ_LEASE_REVOKE = 6,
	EL_REQ_LEASE_CHECKPOINT = 7,
	EL_REQ_LAST
};

/*
 * A request: what a client asks and what a Raft log entry carries. The
 * builder of a request owns the memory its pointers reach; a request made by
 * el_request_decode() owns its op/compare arrays in `mem` (freed by
 * el_request_close) and points into the decoded bytes for keys and values.
 */
struct el_request {
	uint8_t type; /* enum el_req_type */
	union {
		struct el_range_req range;
		struct el_put_req put;
		struct el_delete_req del;
		struct el_txn_req txn;
		struct el_compaction_req compaction;
		struct el_lease_grant_req lease_grant;
		struct el_lease_revoke_req lease_revoke;
		struct el_lease_checkpoint_req lease_checkpoint;
	} u;
	void *mem; /* NULL unless made by el_request_decode */
};

/*
 * The size of req as etcd's protobuf message (RangeRequest, PutRequest, ...):
 * what etcd's gRPC server bounds at --max-request-bytes + 512 KiB when its
 * JSON gateway hands a request on. A compare's target value counts only when
 * nonzero (from JSON, a zero given and one left out look the same here).
 */
size_t el_request_pb_size(const struct el_request *req);
/*
 * The size of req inside the InternalRaftRequest etcd proposes for it from
 * the member member_id (a header with a request id, then req): what etcd
 * bounds at --max-request-bytes ("etcdserver: request is too large").
 */
size_t el_request_raft_pb_size(const struct el_request *req, uint64_t member_id);

/*
 * Appends the binary encoding of req to out (compact: varints, lengths before
 * bytes). Returns 0, -EINVAL (unknown type, nesting deeper than
 * EL_MAX_NESTING) or -ENOMEM; out is unchanged on failure.
 */
int el_request_encode(const struct el_request *req, struct cm_buf *out);

/*
 * Decodes len bytes at buf into *out. Every length and count is checked
 * against the bytes left, so hostile input gives -EINVAL (never a crash or a
 * huge allocation); -ENOMEM. On success keys and values in *out point into
 * buf, which the caller must keep alive and unchanged while *out is used, and
 * el_request_close(out) frees the rest. On failure *out is untouched.
 */
int el_request_decode(const void *buf, size_t len, struct el_request *out);

/* Frees what el_request_decode allocated; safe on a caller-built request (mem NULL). */
void el_request_close(struct el_request *req);

/*
 * A key-value as a response shows it. key and value point into the store
 * (see mvcc.h for how long they stay valid); value is NULL/0 for keys_only.
 */
struct el_kv {
	const char *key;
	const char *value;
	uint32_t klen, vlen;
	int64_t create_revision;
	int64_t mod_revision;
	int64_t version;
	int64_t lease;
};

struct el_range_resp {
	struct el_kv *kvs;
	size_t nkvs;
	bool more;     /* more keys in the range than limit allowed */
	int64_t count; /* keys in the range, regardless of limit */
};

struct el_put_resp {
	bool has_prev_kv;
	struct el_kv prev_kv;
};

struct el_delete_resp {
	int64_t deleted;
	struct el_kv *prev_kvs; /* only when prev_kv was asked */
	size_t nprev_kvs;
};

struct el_op_resp;

struct el_txn_resp {
	bool succeeded;
	struct el_op_resp *responses;
	size_t nresponses;
};

struct el_op_resp {
	uint8_t type; /* enum el_op_type */
	union {
		struct el_range_resp range;
		struct el_put_resp put;
		struct el_delete_resp del;
		struct el_txn_resp txn;
	} u;
};

struct el_lease_grant_resp {
	int64_t id;
	int64_t ttl; /* granted TTL: raised to the store's minimum TTL if lower */
};

struct el_arena_block;

/*
 * A response. revision is the header revision (the store's revision after
 * the request). Arrays live in an arena owned by the response: initialize
 * with el_response_init, free with el_response_close.
 */
struct el_response {
	uint8_t type; /* enum el_req_type */
	int64_t revision;
	union {
		struct el_range_resp range;
		struct el_put_resp put;
		struct el_delete_resp del;
		struct el_txn_resp txn;
		struct el_lease_grant_resp lease_grant;
	} u;
	struct el_arena_block *arena;
};

void el_response_init(struct el_response *resp);
/* Frees the arrays of resp (not the kvs' key/value bytes, which are the store's); resp is reusable. */
void el_response_close(struct el_response *resp);
/* Allocates size zeroed bytes owned by resp (freed by el_response_close); NULL on out of memory. */
void *el_response_alloc(struct el_response *resp, size_t size);

#endif
