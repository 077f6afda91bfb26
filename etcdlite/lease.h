/* lease.h: etcdlite's leases: the leader-local side (expiry, keepalive, queries) of the store's leases. */
#ifndef EL_LEASE_H
#define EL_LEASE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "etcdlite/mvcc.h"

/*
 * Grant, revoke and checkpoint are requests applied through el_store_apply
 * (they go through Raft). What is here does not change replicated state:
 * expiry times are local to each member, computed from the now_ms the caller
 * passes (the leader its monotonic clock). Revoking expired leases is the
 * server's job: it asks el_lease_expired() and proposes EL_REQ_LEASE_REVOKE.
 */

/*
 * Keepalive: the lease's expiry becomes now_ms + its TTL. *ttl_out gets the
 * TTL in seconds. Returns 0 or -EL_ELEASENOTFOUND (ttl_out untouched).
 */
int el_lease_keepalive(struct el_store *st, int64_t id, int64_t now_ms, int64_t *ttl_out);

struct el_lease_ttl {
	int64_t id;
	int64_t ttl;         /* seconds left (rounded up), -1 if not found, 0 if expired */
	int64_t granted_ttl; /* the TTL the lease was granted with */
	struct el_bytes *keys; /* attached keys when asked (point into the store), malloc'd array */
	size_t nkeys;
};

/*
 * etcd's LeaseTimeToLive. Fills *out (keys sorted, only if with_keys; free
 * them with el_lease_ttl_close). An unknown lease is not an error: out->ttl
 * is -1, as etcd answers. Returns 0 or -ENOMEM (out untouched). Key pointers
 * are valid until the store next changes.
 */
int el_lease_timetolive(const struct el_store *st, int64_t id, bool with_keys, int64_t now_ms,
			struct el_lease_ttl *out);
void el_lease_ttl_close(struct el_lease_ttl *t);

/* Writes up to max lease IDs (ascending) to ids; returns how many leases exist. */
size_t el_lease_list(const struct el_store *st, int64_t *ids, size_t max);

/*
 * Writes up to max IDs of leases expired as of now_ms to ids (soonest expired
 * first) and returns how many were written. Does not remove them: the server
 * proposes their revocation.
 */
size_t el_lease_expired(const struct el_store *st, int64_t now_ms, int64_t *ids, size_t max);

/*
 * For a member becoming leader: every lease expires at now_ms + its remaining
 * TTL (checkpointed if any, else its TTL), as etcd's Promote, so leases do not
 * expire because of time spent without a leader.
 */
void el_lease_promote(struct el_store *st, int64_t now_ms);

#endif
