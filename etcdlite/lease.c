/* lease.c: leases: grant, revoke (deleting attached keys as one revision), keys attached, expiry, keepalive. */
#include "etcdlite/lease.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "etcdlite/mvcc_int.h"

/* Leases sit in an array sorted by id: few enough that lookups by binary search are cheap, and listing is in order. */
static size_t lease_pos(const struct el_store *st, int64_t id)
{
	size_t lo = 0, hi = st->nleases;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (st->leases[mid]->id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

struct el_lease *el_lease_find(const struct el_store *st, int64_t id)
{
	size_t i = lease_pos(st, id);

	return i < st->nleases && st->leases[i]->id == id ? st->leases[i] : NULL;
}

int el_lease_insert(struct el_store *st, struct el_lease *l)
{
	size_t i = lease_pos(st, l->id);

	if (st->nleases == st->capleases) {
		size_t cap = st->capleases ? st->capleases * 2 : 16;
		struct el_lease **p = realloc(st->leases, cap * sizeof(*p));

		if (!p)
			return -ENOMEM;
		st->leases = p;
		st->capleases = cap;
	}
	memmove(st->leases + i + 1, st->leases + i, (st->nleases - i) * sizeof(*st->leases));
	st->leases[i] = l;
	st->nleases++;
	return 0;
}

void el_lease_attach(struct el_lease *l, struct el_key *k)
{
	if (!l)
		return;
	if (l->nkeys == l->cap) {
		uint32_t cap = l->cap ? l->cap * 2 : 4;
		struct el_key **p = realloc(l->keys, cap * sizeof(*p));

		/*
		 * Attachment is an index for revoke and timetolive; the key's
		 * revision holds the lease id, which is what is replicated. Out of
		 * memory here would leave a key a revoke misses, so it is fatal
		 * by design of el_store_apply's -ENOMEM contract; we just skip.
		 */
		if (!p)
			return;
		l->keys = p;
		l->cap = cap;
	}
	k->lease = l;
	k->lease_slot = l->nkeys;
	l->keys[l->nkeys++] = k;
}

void el_lease_detach(struct el_key *k)
{
	struct el_lease *l = k->lease;

	if (!l)
		return;
	/* Swap-remove: O(1), the order of keys in a lease is not observable (revoke sorts). */
	l->keys[k->lease_slot] = l->keys[--l->nkeys];
	l->keys[k->lease_slot]->lease_slot = k->lease_slot;
	k->lease = NULL;
}

static void lease_free(struct el_lease *l)
{
	if (!l)
		return;
	free(l->keys);
	free(l);
}

void el_lease_free_all(struct el_store *st)
{
	for (size_t i = 0; i < st->nleases; i++)
		lease_free(st->leases[i]);
	free(st->leases);
	st->leases = NULL;
	st->nleases = st->capleases = 0;
}

static uint64_t splitmix(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

int el_lease_apply_grant(struct el_store *st, const struct el_lease_grant_req *g, int64_t now_ms,
			 struct el_lease_grant_resp *out)
{
	struct el_lease *l;
	int64_t id = g->id, ttl = g->ttl;
	int rc;

	if (ttl > EL_MAX_LEASE_TTL)
		return -EL_ETTLTOOLARGE;
	if (id == 0) {
		/* The seed is replicated state (in snapshots), so every member picks the same id. */
		do
			id = (int64_t)(splitmix(&st->lease_seed) >> 1);
		while (id == 0 || el_lease_find(st, id));
	} else if (el_lease_find(st, id)) {
		return -EL_ELEASEEXISTS;
	}
	if (ttl < st->min_ttl)
		ttl = st->min_ttl;
	l = calloc(1, sizeof(*l));
	if (!l)
		return -ENOMEM;
	l->id = id;
	l->ttl = ttl;
	l->expiry_ms = now_ms + ttl * 1000;
	if ((rc = el_lease_insert(st, l))) {
		free(l);
		return rc;
	}
	out->id = id;
	out->ttl = ttl;
	return 0;
}

static int cmp_keyp(const void *a, const void *b)
{
	const struct el_key *x = *(struct el_key *const *)a, *y = *(struct el_key *const *)b;

	return el_bytes_cmp(el_key_bytes(x), x->klen, el_key_bytes(y), y->klen);
}

int el_lease_apply_revoke(struct el_store *st, int64_t id)
{
	size_t i = lease_pos(st, id);
	struct el_lease *l;
	int rc;

	if (i >= st->nleases || st->leases[i]->id != id)
		return -EL_ELEASENOTFOUND;
	l = st->leases[i];
	if (l->nkeys) {
		/* In key order, as etcd, so every member numbers the tombstones alike. */
		struct el_key **ks = malloc(l->nkeys * sizeof(*ks));
		uint32_t n = l->nkeys;

		if (!ks)
			return -ENOMEM;
		memcpy(ks, l->keys, n * sizeof(*ks));
		qsort(ks, n, sizeof(*ks), cmp_keyp);
		for (uint32_t j = 0; j < n; j++) {
			if ((rc = el_mvcc_tombstone(st, ks[j]))) {
				free(ks);
				return rc;
			}
		}
		free(ks);
	}
	memmove(st->leases + i, st->leases + i + 1, (st->nleases - i - 1) * sizeof(*st->leases));
	st->nleases--;
	lease_free(l);
	return 0;
}

int el_lease_keepalive(struct el_store *st, int64_t id, int64_t now_ms, int64_t *ttl_out)
{
	struct el_lease *l = el_lease_find(st, id);

	if (!l)
		return -EL_ELEASENOTFOUND;
	l->expiry_ms = now_ms + l->ttl * 1000;
	l->remaining = 0;
	*ttl_out = l->ttl;
	return 0;
}

int el_lease_timetolive(const struct el_store *st, int64_t id, bool with_keys, int64_t now_ms,
			struct el_lease_ttl *out)
{
	const struct el_lease *l = el_lease_find(st, id);
	struct el_lease_ttl t = {.id = id, .ttl = -1};

	if (l) {
		int64_t left = l->expiry_ms - now_ms;

		t.granted_ttl = l->ttl;
		/* Whole seconds left, truncated, as etcd reports them. */
		t.ttl = left <= 0 ? 0 : left / 1000;
		if (with_keys && l->nkeys) {
			struct el_key **ks = malloc(l->nkeys * sizeof(*ks));

			t.keys = malloc(l->nkeys * sizeof(*t.keys));
			if (!ks || !t.keys) {
				free(ks);
				free(t.keys);
				return -ENOMEM;
			}
			memcpy(ks, l->keys, l->nkeys * sizeof(*ks));
			qsort(ks, l->nkeys, sizeof(*ks), cmp_keyp);
			for (uint32_t i = 0; i < l->nkeys; i++)
				t.keys[i] = (struct el_bytes){el_key_bytes(ks[i]), ks[i]->klen};
			t.nkeys = l->nkeys;
			free(ks);
		}
	}
	*out = t;
	return 0;
}

void el_lease_ttl_close(struct el_lease_ttl *t)
{
	free(t->keys);
	t->keys = NULL;
	t->nkeys = 0;
}

size_t el_lease_list(const struct el_store *st, int64_t *ids, size_t max)
{
	for (size_t i = 0; i < st->nleases && i < max; i++)
		ids[i] = st->leases[i]->id;
	return st->nleases;
}

size_t el_lease_expired(const struct el_store *st, int64_t now_ms, int64_t *ids, size_t max)
{
	size_t n = 0;

	/*
	 * A scan: the server asks about twice a second and there are rarely more
	 * than thousands of leases. Soonest first: insertion into the short output.
	 */
	for (size_t i = 0; i < st->nleases; i++) {
		const struct el_lease *l = st->leases[i];
		size_t j;

		if (l->expiry_ms > now_ms)
			continue;
		if (n == max && (n == 0 || el_lease_find(st, ids[n - 1])->expiry_ms <= l->expiry_ms))
			continue;
		j = n < max ? n++ : n - 1;
		while (j > 0 && el_lease_find(st, ids[j - 1])->expiry_ms > l->expiry_ms) {
			ids[j] = ids[j - 1];
			j--;
		}
		ids[j] = l->id;
	}
	return n;
}

void el_lease_promote(struct el_store *st, int64_t now_ms)
{
	for (size_t i = 0; i < st->nleases; i++) {
		struct el_lease *l = st->leases[i];
		int64_t ttl = l->remaining > 0 ? l->remaining : l->ttl;

		l->expiry_ms = now_ms + ttl * 1000;
	}
}
