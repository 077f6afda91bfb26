/* mvcc_int.h: the store's internal structures, shared by mvcc*.c, lease.c and watch.c only. */
#ifndef EL_MVCC_INT_H
#define EL_MVCC_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "etcdlite/mvcc.h"

struct el_key;

/*
 * One revision of one key, with its value inline (one allocation). A
 * tombstone (the key deleted) has create == 0. Never changed once made, and
 * only freed by compaction, restore or free: responses point at it.
 */
struct el_ver {
	int64_t mod;     /* main revision */
	int64_t create;  /* 0: tombstone */
	int64_t version;
	int64_t lease;
	struct el_key *key;
	uint32_t sub;    /* order inside a revision (a txn writes several keys) */
	uint32_t vlen;
	char value[];
};

struct el_lease;

/*
 * A key in the ordered index: a skip-list node whose level comes from a hash
 * of the key (deterministic, no randomness), its revisions oldest first, and
 * the lease its current revision is attached to. The key bytes follow next[].
 */
struct el_key {
	struct el_ver **vers;
	uint32_t nvers, cap;
	uint32_t klen;
	uint32_t lease_slot; /* index in lease->keys */
	struct el_lease *lease;
	uint8_t level;
	struct el_key *next[];
};

#define EL_SKIP_MAX 20

static inline const char *el_key_bytes(const struct el_key *k)
{
	return (const char *)(k->next + k->level);
}

static inline struct el_ver *el_key_latest(const struct el_key *k)
{
	return k->nvers ? k->vers[k->nvers - 1] : NULL;
}

struct el_lease {
	int64_t id;
	int64_t ttl;       /* seconds, granted */
	int64_t remaining; /* checkpointed remaining TTL, 0 if none */
	int64_t expiry_ms; /* local: when it expires */
	struct el_key **keys;
	uint32_t nkeys, cap;
};

struct el_store {
	int64_t rev;
	int64_t compact_rev;
	struct el_key *head; /* skip-list head, EL_SKIP_MAX levels, no key */
	size_t nkeys, nlive, nvers, bytes;
	/* Every revision kept at or above compact_rev, in (mod, sub) order: watch catch-up reads it. */
	struct el_ver **log;
	size_t nlog, caplog;
	struct el_lease **leases; /* sorted by id */
	size_t nleases, capleases;
	uint64_t lease_seed;
	int64_t min_ttl;
	uint64_t generation; /* bumped by restore, so watchers resynchronise */
	int64_t wrev;        /* revision being written, rev + 1 */
	uint32_t wsub;       /* writes made so far in wrev */
};

/* Index (mvcc_index.c). */
int el_index_init(struct el_store *st);
/* First key >= key (or NULL). */
struct el_key *el_index_seek(const struct el_store *st, const char *key, uint32_t klen);
/* The key or NULL. */
struct el_key *el_index_find(const struct el_store *st, const char *key, uint32_t klen);
/* Finds or inserts key; -ENOMEM. */
int el_index_get(struct el_store *st, const char *key, uint32_t klen, struct el_key **out);
/* Frees every key and version. */
void el_index_free_all(struct el_store *st);
/* Compacts every key's history at rev, dropping keys left empty; see mvcc.c. */
void el_index_compact(struct el_store *st, int64_t rev);
/* The revision of k visible at rev (tombstone included), or NULL. */
struct el_ver *el_key_at(const struct el_key *k, int64_t rev);
/* The revision of k before v (for prev_kv), or NULL if compacted away or v is the first. */
struct el_ver *el_ver_prev(const struct el_ver *v);
/* Compares a key with bytes, as memcmp then length. */
int el_bytes_cmp(const char *a, uint32_t alen, const char *b, uint32_t blen);
/* Fills kv from a live revision; keys_only leaves the value out. */
void el_kv_from_ver(struct el_kv *kv, const struct el_ver *v, bool keys_only);

/* Write primitives (mvcc.c): every change goes through these, at st->wrev. */
int el_mvcc_put(struct el_store *st, const struct el_put_req *p, struct el_put_resp *out);
int el_mvcc_delete(struct el_store *st, const struct el_delete_req *d, struct el_response *arena,
		   struct el_delete_resp *out);
int el_mvcc_range(const struct el_store *st, const struct el_range_req *r,
		  struct el_response *arena, struct el_range_resp *out);
int el_mvcc_check_rev(const struct el_store *st, int64_t rev);
/* Appends a tombstone for a live key; -ENOMEM. */
int el_mvcc_tombstone(struct el_store *st, struct el_key *k);

/* Leases (lease.c). */
struct el_lease *el_lease_find(const struct el_store *st, int64_t id);
void el_lease_attach(struct el_lease *l, struct el_key *k);
void el_lease_detach(struct el_key *k);
int el_lease_apply_grant(struct el_store *st, const struct el_lease_grant_req *g, int64_t now_ms,
			 struct el_lease_grant_resp *out);
int el_lease_apply_revoke(struct el_store *st, int64_t id);
int el_lease_insert(struct el_store *st, struct el_lease *l);
void el_lease_free_all(struct el_store *st);

/* Txn (mvcc_txn.c). */
int el_txn_apply(struct el_store *st, const struct el_txn_req *t, struct el_response *resp,
		 struct el_txn_resp *out);
/* Validation shared with single requests: etcd's checks before anything is applied. */
int el_txn_check_key(struct el_bytes key);

#endif
