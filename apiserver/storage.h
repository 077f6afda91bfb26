/* storage.h: the apiserver's client of the etcd v3 JSON API (etcdlite or etcd 3.4), async on the loop. */
#ifndef API_STORAGE_H
#define API_STORAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <uv.h>

#include "common/buf.h"
#include "common/http_client.h"
#include "common/metrics.h"

/*
 * Every call is asynchronous: it returns 0 and later calls its callback
 * exactly once from the loop, or returns a negative error and never calls it.
 * A call that fails on the transport (refused, reset, timed out) or with a
 * "no leader" answer is retried on the next member of --etcd-servers; a
 * member that failed is tried last afterwards.
 *
 * Errors given to callbacks: -ENOENT (get of a missing key), -CM_ECONFLICT
 * (a compare failed), -CM_ECOMPACTED (the revision asked for is compacted),
 * -CM_EFUTUREREV, -CM_ENOQUORUM / -ETIMEDOUT / -ECONNREFUSED (no member
 * answered), -EPROTO (an answer we could not read), -ENOMEM.
 */
struct api_storage;
struct api_storage_watch;

/* One key-value as etcd returns it; value decoded from base64, NUL-terminated. */
struct api_kv {
	char *key;
	char *value;
	size_t value_len;
	int64_t create_rev, mod_rev, version;
	int64_t lease; /* the lease the key is attached to, 0 if none */
};

/* What a read or write returns. Borrowed by the callback only. */
struct api_kv_result {
	int64_t revision; /* the store's revision when the call was answered */
	struct api_kv *kvs;
	size_t n;
	bool more;        /* range: more keys past the limit */
	int64_t count;    /* range: keys in the whole range */
	int64_t lease_id; /* lease grant: the new lease */
};

typedef void (*api_kv_cb)(int err, const struct api_kv_result *r, void *ud);

/*
 * Makes a client of the members in urls[0..n) ("http://127.0.0.1:2379"),
 * copied. timeout_ms bounds a call across its attempts (0 means 10000); each
 * attempt gets a third of it. tls (may be NULL, copied) holds the CA and the
 * client certificate for https:// members. metrics (may be
 * NULL, borrowed) receives etcd_request_duration_seconds by operation.
 * Returns 0 and *out, -EINVAL (no url, or a TLS file not readable), or -ENOMEM.
 */
int api_storage_new(uv_loop_t *loop, const char *const *urls, size_t n, long timeout_ms,
		    const struct cm_http_client_opts *tls, struct cm_metrics *metrics, struct api_storage **out);
/* Cancels every call and watch (their callbacks run with -ECANCELED), then frees. */
void api_storage_free(struct api_storage *s);

/* Reads one key: r->n is 1, or err -ENOENT. */
int api_storage_get(struct api_storage *s, const char *key, api_kv_cb cb, void *ud);
/*
 * Reads keys in [start, end) ("end" NULL: every key with prefix `start`'s
 * prefix given as prefix): keys from start up to the end of prefix, at most
 * limit (0: all), at revision rev (0: the latest). count_only returns no kvs.
 */
int api_storage_range(struct api_storage *s, const char *prefix, const char *start, int64_t limit,
		      int64_t rev, bool count_only, api_kv_cb cb, void *ud);

/*
 * Writes key=value together with the writes in extra (more keys that must be
 * absent, e.g. allocated IPs, put with their value) in one transaction, if
 * key is absent (mod_rev 0) or at mod_rev. delete_keys are deleted in the
 * same transaction (released allocations). lease > 0 attaches key to that
 * lease (0: none). On success r->revision is the
 * new revision. On a failed compare err is -CM_ECONFLICT and r->kvs holds
 * the current key (r->n 0 if it is absent), so the caller can tell
 * "already exists" from "taken allocation" from "stale".
 */
struct api_txn_put {
	const char *key;
	const char *value;
	size_t value_len;
};
int api_storage_put(struct api_storage *s, const char *key, const char *value, size_t len, int64_t lease, int64_t mod_rev,
		    const struct api_txn_put *extra, size_t nextra, const char *const *delete_keys,
		    size_t ndelete, api_kv_cb cb, void *ud);
/* Deletes key if at mod_rev (0: whatever its revision), with delete_keys. Conflict as api_storage_put. */
int api_storage_delete(struct api_storage *s, const char *key, int64_t mod_rev, const char *const *delete_keys,
		       size_t ndelete, api_kv_cb cb, void *ud);
/* Grants a lease of ttl_s seconds: r->lease_id. Keys put with it go when it expires. */
int api_storage_lease_grant(struct api_storage *s, int64_t ttl_s, api_kv_cb cb, void *ud);
/* Compacts history up to rev (tests and benchmarks). */
int api_storage_compact(struct api_storage *s, int64_t rev, api_kv_cb cb, void *ud);

/*
 * Watches every key under prefix from revision from_rev. on_event is called
 * per event in revision order: type 0 put, 1 delete; kv is the new value
 * (for a delete, key and mod_rev only), prev the value before (NULL if
 * unknown). A lost stream is re-opened from the last revision + 1 on the
 * next member, silently. If that revision has been compacted, on_error is
 * called once with -CM_ECOMPACTED and the watch stops (the caller relists and
 * watches again). on_progress (may be NULL) tells the revision the stream has
 * reached when etcd sends a progress notification.
 */
struct api_watch_handlers {
	void (*on_event)(int type, const struct api_kv *kv, const struct api_kv *prev, void *ud);
	void (*on_error)(int err, void *ud);
	void (*on_progress)(int64_t rev, void *ud);
};
int api_storage_watch(struct api_storage *s, const char *prefix, int64_t from_rev,
		      const struct api_watch_handlers *h, void *ud, struct api_storage_watch **out);
/* Stops a watch; no callback follows. */
void api_storage_watch_stop(struct api_storage_watch *w);

/* The range end for a prefix (prefix with its last byte incremented), appended to out. */
int api_storage_prefix_end(const char *prefix, struct cm_buf *out);

#endif
