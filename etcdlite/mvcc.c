/* mvcc.c: the store: revisions, Range, Put, Delete, Compaction and the dispatch of requests. */
#include "etcdlite/mvcc.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "etcdlite/mvcc_int.h"

int el_store_new(const struct el_store_opts *opts, struct el_store **out)
{
	struct el_store *st = calloc(1, sizeof(*st));

	if (!st)
		return -ENOMEM;
	if (el_index_init(st)) {
		free(st);
		return -ENOMEM;
	}
	st->rev = 1; /* as etcd: a fresh store is at revision 1 */
	/* As etcd: never compacted is below 0, so one compaction at revision 0 succeeds. */
	st->compact_rev = -1;
	st->min_ttl = opts && opts->min_lease_ttl > 0 ? opts->min_lease_ttl : 2;
	st->lease_seed = 0x6c656173652d6964ULL;
	*out = st;
	return 0;
}

void el_store_free(struct el_store *st)
{
	if (!st)
		return;
	el_lease_free_all(st);
	el_index_free_all(st);
	free(st->log);
	free(st);
}

int64_t el_store_revision(const struct el_store *st)
{
	return st->rev;
}

int64_t el_store_compact_revision(const struct el_store *st)
{
	return st->compact_rev;
}

void el_store_stats(const struct el_store *st, struct el_store_stats *out)
{
	out->keys = st->nkeys;
	out->live_keys = st->nlive;
	out->revisions = st->nvers;
	out->bytes = st->bytes + st->caplog * sizeof(st->log[0]);
	out->leases = st->nleases;
}

int el_mvcc_check_rev(const struct el_store *st, int64_t rev)
{
	if (rev <= 0)
		return 0;
	if (rev < st->compact_rev)
		return -CM_ECOMPACTED;
	if (rev > st->rev)
		return -CM_EFUTUREREV;
	return 0;
}

/* Appends v (made at st->wrev) to its key's history and to the log. */
static int record(struct el_store *st, struct el_key *k, struct el_ver *v)
{
	if (k->nvers == k->cap) {
		uint32_t cap = k->cap ? k->cap * 2 : 1;
		struct el_ver **p = realloc(k->vers, cap * sizeof(*p));

		if (!p)
			return -ENOMEM;
		st->bytes += (cap - k->cap) * sizeof(*p);
		k->vers = p;
		k->cap = cap;
	}
	if (st->nlog == st->caplog) {
		size_t cap = st->caplog ? st->caplog * 2 : 1024;
		struct el_ver **p = realloc(st->log, cap * sizeof(*p));

		if (!p)
			return -ENOMEM;
		st->log = p;
		st->caplog = cap;
	}
	v->key = k;
	v->mod = st->wrev;
	v->sub = st->wsub++;
	k->vers[k->nvers++] = v;
	st->log[st->nlog++] = v;
	st->nvers++;
	st->bytes += sizeof(*v) + v->vlen;
	return 0;
}

int el_mvcc_put(struct el_store *st, const struct el_put_req *p, struct el_put_resp *out)
{
	struct el_ver *prev, *v;
	struct el_key *k;
	const char *val = p->value.data;
	uint32_t vlen = p->value.len;
	int rc;

	if ((rc = el_index_get(st, p->key.data, p->key.len, &k)))
		return rc;
	prev = el_key_latest(k);
	if (prev && prev->create == 0)
		prev = NULL;
	if (p->ignore_value && prev) {
		val = prev->value;
		vlen = prev->vlen;
	}
	v = malloc(sizeof(*v) + vlen);
	if (!v)
		return -ENOMEM;
	if (vlen)
		memcpy(v->value, val, vlen);
	v->vlen = vlen;
	v->create = prev ? prev->create : st->wrev;
	v->version = prev ? prev->version + 1 : 1;
	v->lease = p->ignore_lease && prev ? prev->lease : p->lease;
	if ((rc = record(st, k, v))) {
		free(v);
		return rc;
	}
	if (!prev)
		st->nlive++;
	if (!prev || prev->lease != v->lease) {
		el_lease_detach(k);
		if (v->lease)
			el_lease_attach(el_lease_find(st, v->lease), k);
	}
	if (out && prev) {
		out->has_prev_kv = true;
		el_kv_from_ver(&out->prev_kv, prev, false);
	}
	return 0;
}

int el_mvcc_tombstone(struct el_store *st, struct el_key *k)
{
	struct el_ver *v = malloc(sizeof(*v));
	int rc;

	if (!v)
		return -ENOMEM;
	v->vlen = 0;
	v->create = 0;
	v->version = 0;
	v->lease = 0;
	if ((rc = record(st, k, v))) {
		free(v);
		return rc;
	}
	el_lease_detach(k);
	st->nlive--;
	return 0;
}

/* Where a range starts and whether a key is past its end; range_end semantics as etcd. */
struct span {
	struct el_bytes key, end;
	bool single, unbounded;
};

static struct span span_of(struct el_bytes key, struct el_bytes end)
{
	struct span s = {key, end, end.len == 0, end.len == 1 && end.data[0] == '\0'};

	return s;
}

static struct el_key *span_first(const struct el_store *st, const struct span *s)
{
	if (s->single)
		return el_index_find(st, s->key.data, s->key.len);
	return el_index_seek(st, s->key.data, s->key.len);
}

static struct el_key *span_next(const struct span *s, struct el_key *k)
{
	if (s->single)
		return NULL;
	k = k->next[0];
	if (k && !s->unbounded && el_bytes_cmp(el_key_bytes(k), k->klen, s->end.data, s->end.len) >= 0)
		return NULL;
	return k;
}

static struct el_key *span_begin(const struct el_store *st, const struct span *s)
{
	struct el_key *k = span_first(st, s);

	if (k && !s->single && !s->unbounded &&
	    el_bytes_cmp(el_key_bytes(k), k->klen, s->end.data, s->end.len) >= 0)
		return NULL;
	return k;
}

int el_mvcc_delete(struct el_store *st, const struct el_delete_req *d, struct el_response *arena,
		   struct el_delete_resp *out)
{
	struct span s = span_of(d->key, d->range_end);
	size_t cap = 0;
	int rc;

	for (struct el_key *k = span_begin(st, &s); k; k = span_next(&s, k)) {
		struct el_ver *prev = el_key_latest(k);

		if (!prev || prev->create == 0)
			continue;
		if ((rc = el_mvcc_tombstone(st, k)))
			return rc;
		if (out && d->prev_kv) {
			if (out->nprev_kvs == cap) {
				struct el_kv *p;

				cap = cap ? cap * 2 : 8;
				p = el_response_alloc(arena, cap * sizeof(*p));
				if (!p)
					return -ENOMEM;
				if (out->nprev_kvs)
					memcpy(p, out->prev_kvs, out->nprev_kvs * sizeof(*p));
				out->prev_kvs = p;
			}
			el_kv_from_ver(&out->prev_kvs[out->nprev_kvs++], prev, false);
		}
		if (out)
			out->deleted++;
	}
	return 0;
}

struct sort_ctx {
	uint8_t target;
	bool desc;
};

static int cmp_ver(const struct el_ver *a, const struct el_ver *b, uint8_t target)
{
	int64_t x, y;

	switch (target) {
	case EL_SORT_VERSION: x = a->version; y = b->version; break;
	case EL_SORT_CREATE: x = a->create; y = b->create; break;
	case EL_SORT_MOD: x = a->mod; y = b->mod; break;
	case EL_SORT_VALUE: {
		int c = el_bytes_cmp(a->value, a->vlen, b->value, b->vlen);

		if (c)
			return c;
		x = y = 0;
		break;
	}
	default: x = y = 0;
	}
	if (x != y)
		return x < y ? -1 : 1;
	/* Ties (and the KEY target) in key order, so every member sorts alike. */
	return el_bytes_cmp(el_key_bytes(a->key), a->key->klen, el_key_bytes(b->key), b->key->klen);
}

static int cmp_sort(const void *pa, const void *pb, void *arg)
{
	const struct sort_ctx *c = arg;
	int r = cmp_ver(*(struct el_ver *const *)pa, *(struct el_ver *const *)pb, c->target);

	return c->desc ? -r : r;
}

/* etcd prunes what its store found: a filter of 0 is off. */
static bool filtered_out(const struct el_range_req *r, const struct el_ver *v)
{
	return (r->min_mod_revision && v->mod < r->min_mod_revision) ||
	       (r->max_mod_revision && v->mod > r->max_mod_revision) ||
	       (r->min_create_revision && v->create < r->min_create_revision) ||
	       (r->max_create_revision && v->create > r->max_create_revision);
}

int el_mvcc_range(const struct el_store *st, const struct el_range_req *r,
		  struct el_response *arena, struct el_range_resp *out)
{
	struct span s = span_of(r->key, r->range_end);
	int64_t rev = r->revision > 0 ? r->revision : INT64_MAX;
	uint8_t order = r->sort_order;
	struct el_ver **hits = NULL;
	size_t nhits = 0, cap = 0, keep;
	int rc;

	if ((rc = el_mvcc_check_rev(st, r->revision)))
		return rc;
	/* As etcd: sorting by anything but the key with no order means ascending. */
	if (order == EL_SORT_NONE && r->sort_target != EL_SORT_KEY)
		order = EL_SORT_ASCEND;
	/* Keys come in key order: without a sort only limit + 1 are needed, the rest only counted. */
	keep = order == EL_SORT_NONE && r->limit > 0 ? (size_t)r->limit + 1 : SIZE_MAX;
	if (order == EL_SORT_ASCEND && r->sort_target == EL_SORT_KEY)
		order = EL_SORT_NONE;
	if (r->count_only)
		keep = 0;
	memset(out, 0, sizeof(*out));
	for (struct el_key *k = span_begin(st, &s); k; k = span_next(&s, k)) {
		struct el_ver *v = el_key_at(k, rev);

		if (!v || v->create == 0)
			continue;
		out->count++;
		if (nhits >= keep || filtered_out(r, v))
			continue;
		if (nhits == cap) {
			struct el_ver **p;

			cap = cap ? cap * 2 : 64;
			p = realloc(hits, cap * sizeof(*p));
			if (!p) {
				free(hits);
				return -ENOMEM;
			}
			hits = p;
		}
		hits[nhits++] = v;
	}
	if (order != EL_SORT_NONE && nhits > 1) {
		struct sort_ctx c = {r->sort_target, order == EL_SORT_DESCEND};

		qsort_r(hits, nhits, sizeof(*hits), cmp_sort, &c);
	}
	if (r->limit > 0 && nhits > (size_t)r->limit) {
		nhits = (size_t)r->limit;
		out->more = true;
	}
	if (nhits) {
		out->kvs = el_response_alloc(arena, nhits * sizeof(*out->kvs));
		if (!out->kvs) {
			free(hits);
			return -ENOMEM;
		}
		for (size_t i = 0; i < nhits; i++)
			el_kv_from_ver(&out->kvs[i], hits[i], r->keys_only);
		out->nkvs = nhits;
	}
	free(hits);
	return 0;
}

/* Drops the log below rev, then every key's history (mvcc_index.c). */
static void compact(struct el_store *st, int64_t rev)
{
	size_t lo = 0, hi = st->nlog;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (st->log[mid]->mod < rev)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo) /* the log may be empty (and NULL): a compaction at 0 */
		memmove(st->log, st->log + lo, (st->nlog - lo) * sizeof(st->log[0]));
	st->nlog -= lo;
	el_index_compact(st, rev);
	st->compact_rev = rev;
	/* Give memory back after a big compaction: the log is the largest array. */
	if (st->caplog > 4096 && st->nlog < st->caplog / 4) {
		size_t cap = st->nlog * 2 > 1024 ? st->nlog * 2 : 1024;
		struct el_ver **p = realloc(st->log, cap * sizeof(*p));

		if (p) {
			st->log = p;
			st->caplog = cap;
		}
	}
}

static int check_put(const struct el_put_req *p)
{
	int rc = el_txn_check_key(p->key);

	if (rc)
		return rc;
	if (p->ignore_value && p->value.len)
		return -EL_EVALUEPROVIDED;
	if (p->ignore_lease && p->lease)
		return -EL_ELEASEPROVIDED;
	return 0;
}

int el_store_apply(struct el_store *st, const struct el_request *req, int64_t now_ms,
		   struct el_response *resp)
{
	int rc = 0;

	resp->type = req->type;
	st->wrev = st->rev + 1;
	st->wsub = 0;
	switch (req->type) {
	case EL_REQ_RANGE:
		if ((rc = el_txn_check_key(req->u.range.key)))
			break;
		rc = el_mvcc_range(st, &req->u.range, resp, &resp->u.range);
		break;
	case EL_REQ_PUT: {
		struct el_op op = {.type = EL_OP_PUT, .u.put = req->u.put};
		struct el_txn_req t = {.nsuccess = 1, .success = &op};
		struct el_txn_resp tr;

		/* A put is a txn of one op: the same checks, one code path. */
		if ((rc = check_put(&req->u.put)))
			break;
		if ((rc = el_txn_apply(st, &t, resp, &tr)))
			break;
		resp->u.put = tr.responses[0].u.put;
		break;
	}
	case EL_REQ_DELETE:
		if ((rc = el_txn_check_key(req->u.del.key)))
			break;
		memset(&resp->u.del, 0, sizeof(resp->u.del));
		rc = el_mvcc_delete(st, &req->u.del, resp, &resp->u.del);
		break;
	case EL_REQ_TXN:
		rc = el_txn_apply(st, &req->u.txn, resp, &resp->u.txn);
		break;
	case EL_REQ_COMPACTION:
		if (req->u.compaction.revision <= st->compact_rev)
			rc = -CM_ECOMPACTED;
		else if (req->u.compaction.revision > st->rev)
			rc = -CM_EFUTUREREV;
		else
			compact(st, req->u.compaction.revision);
		break;
	case EL_REQ_LEASE_GRANT:
		rc = el_lease_apply_grant(st, &req->u.lease_grant, now_ms, &resp->u.lease_grant);
		break;
	case EL_REQ_LEASE_REVOKE:
		rc = el_lease_apply_revoke(st, req->u.lease_revoke.id);
		break;
	case EL_REQ_LEASE_CHECKPOINT:
		for (uint32_t i = 0; i < req->u.lease_checkpoint.n; i++) {
			const struct el_lease_checkpoint *c = &req->u.lease_checkpoint.checkpoints[i];
			struct el_lease *l = el_lease_find(st, c->id);

			if (l)
				l->remaining = c->remaining_ttl;
		}
		break;
	default:
		rc = -EINVAL;
	}
	if (st->wsub > 0)
		st->rev = st->wrev; /* something was written: one new revision */
	resp->revision = st->rev;
	return rc;
}
