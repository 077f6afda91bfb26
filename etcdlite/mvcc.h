/* mvcc.h: etcdlite's deterministic multi-version key-value store (revisions, Range, Put, Delete, Txn, Compaction). */
#ifndef EL_MVCC_H
#define EL_MVCC_H

#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"
#include "etcdlite/request.h"

/*
 * The store is the state machine Raft feeds: applying the same requests in
 * the same order to two stores gives the same revisions, keys, leases and
 * responses. It does no I/O and reads no clock; time comes in as arguments
 * and only ever affects lease expiry, which is local (leader) state.
 *
 * Revisions as in etcd: a fresh store is at revision 1; every request that
 * changes something (a put, a delete that deleted a key, a txn whose chosen
 * branch wrote, a revoke of a lease with keys) moves it by exactly one.
 *
 * One loop, no locks: nothing here is thread-safe.
 */
struct el_store;

struct el_store_opts {
	int64_t min_lease_ttl; /* seconds; a lease granted a lower TTL gets this (etcd: 2 with default timeouts); <= 0 -> 2 */
};

/* Makes an empty store (revision 1). opts may be NULL for defaults. Returns 0 or -ENOMEM; *out set on success. */
int el_store_new(const struct el_store_opts *opts, struct el_store **out);
/* Frees the store and everything in it; el_store_free(NULL) does nothing. */
void el_store_free(struct el_store *st);

/*
 * Applies req (any type; a Range only reads, so the server also answers
 * reads through here) and fills resp, which the caller has set up with
 * el_response_init and later frees with el_response_close.
 * now_ms (any monotonic clock in ms) only sets the expiry of granted leases.
 *
 * The el_kv entries in resp point at keys and values inside the store: they
 * stay valid until the next compaction, restore or free of the store (puts and
 * deletes never free a revision), so encode or copy them before compacting.
 *
 * Returns 0 or a negative error and then changes nothing in the store:
 * -CM_ECOMPACTED / -CM_EFUTUREREV (range or compaction revision),
 * -EL_EEMPTYKEY, -EL_EKEYNOTFOUND, -EL_ELEASENOTFOUND, -EL_EVALUEPROVIDED,
 * -EL_ELEASEPROVIDED, -EL_EDUPKEY, -EL_ETOOMANYOPS, -EL_ELEASEEXISTS,
 * -EL_ETTLTOOLARGE, -EINVAL (malformed request). -ENOMEM in the middle of a
 * write may leave it half done: a member that runs out of memory while
 * applying must stop (as etcd panics).
 */
int el_store_apply(struct el_store *st, const struct el_request *req, int64_t now_ms,
		   struct el_response *resp);

/* The current revision (1 for a fresh store). */
int64_t el_store_revision(const struct el_store *st);
/*
 * The revision of the last compaction, -1 if never compacted (as etcd: a first
 * compaction at revision 0 succeeds, a second one is compacted). Ranges below it
 * give -CM_ECOMPACTED.
 */
int64_t el_store_compact_revision(const struct el_store *st);
/*
 * A CRC-32C over the key space as of rev (<= 0: the current revision): every
 * key in order with each version kept at or below rev (key, revisions,
 * version, lease, value; tombstones too). Stores that applied the same log
 * agree on it, which is what members compare (etcd's HashKV); *compact_rev is
 * the compaction it was taken after (-1: none), as etcd reports it. Returns 0,
 * -CM_ECOMPACTED (rev > 0 at or below the compaction) or -CM_EFUTUREREV.
 */
int el_store_hash_kv(const struct el_store *st, int64_t rev, uint32_t *hash, int64_t *compact_rev);

struct el_store_stats {
	size_t keys;       /* keys in the index, live or with history only */
	size_t live_keys;  /* keys that exist at the current revision */
	size_t revisions;  /* key revisions kept (history since compaction) */
	size_t bytes;      /* approximate memory held by keys, values and index */
	size_t leases;
};
void el_store_stats(const struct el_store *st, struct el_store_stats *out);

/*
 * Appends a snapshot of the whole store (every key revision kept since the
 * last compaction, leases with their TTLs and checkpointed remaining TTLs,
 * the compacted and current revision) to out, with a CRC32C. Returns 0 or
 * -ENOMEM (out unchanged).
 */
int el_store_snapshot(const struct el_store *st, struct cm_buf *out);

/*
 * Replaces the content of st by the snapshot in buf (st keeps its identity,
 * so a watch hub on it stays attached; its watchers catch up from the new
 * state or are cancelled as compacted). Lease expiries restart at now_ms +
 * remaining TTL. Returns 0, -CM_ECORRUPT (bad checksum, framing or content)
 * or -ENOMEM; on failure st is unchanged. Invalidates el_kv pointers from
 * earlier responses.
 */
int el_store_restore(struct el_store *st, const void *buf, size_t len, int64_t now_ms);

#endif
