/* storage_codec.h: the etcd v3 JSON requests the apiserver sends and the answers it reads (no I/O). */
#ifndef API_STORAGE_CODEC_H
#define API_STORAGE_CODEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "apiserver/storage.h"
#include "common/buf.h"

/*
 * Builders append one request body to out and return 0 or -ENOMEM. Keys and
 * values are base64-encoded and int64 fields written as strings, as the
 * gateway expects.
 */

/* A RangeRequest for [key, range_end) (range_end NULL: key alone). */
int api_codec_range_request(const char *key, const char *range_end, const char *unused, int64_t limit,
			    int64_t rev, bool count_only, struct cm_buf *out);
/*
 * A TxnRequest: compare key's create_revision to 0 (mod_rev 0, put) or its
 * mod_revision to mod_rev (no compare for a delete with mod_rev 0), and each
 * extra key's create_revision to 0; success puts key (attached to lease if
 * lease > 0) or deletes it, puts
 * the extras and deletes delete_keys; failure reads key.
 */
int api_codec_txn_request(const char *key, const char *value, size_t len, int64_t lease, int64_t mod_rev, bool is_delete,
			  const struct api_txn_put *extra, size_t nextra, const char *const *delete_keys,
			  size_t ndelete, struct cm_buf *out);
/* A WatchCreateRequest for [key, range_end) from start_rev, with prev_kv and progress_notify. */
int api_codec_watch_request(const char *key, const char *range_end, int64_t start_rev, struct cm_buf *out);

/*
 * Reads an answer (HTTP status and body). On 0 or -CM_ECONFLICT (a txn whose
 * compares failed; kvs then hold its failure read) *r is filled and owned by
 * the caller (api_codec_result_close). Other errors: -CM_ECOMPACTED,
 * -CM_EFUTUREREV, -CM_ENOQUORUM (no leader), -ETIMEDOUT, -EPROTO (not an
 * answer we know), -EIO (another etcd error), -ENOMEM; *r is left empty.
 */
int api_codec_parse_response(long status, const char *body, size_t len, bool is_txn, struct api_kv_result *r);
void api_codec_result_close(struct api_kv_result *r);

struct api_codec_event {
	int type; /* 0 put, 1 delete */
	struct api_kv kv, prev;
	bool has_prev;
};

/* One message of a watch stream. */
struct api_codec_watch_msg {
	int64_t revision;         /* header.revision */
	int64_t compact_revision; /* > 0: the start revision was compacted */
	bool created, canceled, error;
	struct api_codec_event *events;
	size_t n;
};

/* Parses one line of /v3/watch. Returns 0 (*m owned by the caller), -EPROTO, or -ENOMEM. */
int api_codec_parse_watch(const char *line, size_t len, struct api_codec_watch_msg *m);
void api_codec_watch_msg_close(struct api_codec_watch_msg *m);

#endif
