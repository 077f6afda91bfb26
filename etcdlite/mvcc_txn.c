/* mvcc_txn.c: Txn: etcd's validation, compares, the chosen path and its atomic execution as one revision. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "etcdlite/mvcc_int.h"

int el_txn_check_key(struct el_bytes key)
{
	return key.len == 0 ? -EL_EEMPTYKEY : 0;
}

/* ---- static checks, before anything runs (etcd does them in its gRPC layer) ---- */

static int check_ops(const struct el_op *ops, uint32_t n, int depth);

static int check_txn(const struct el_txn_req *t, int depth)
{
	int rc;

	if (depth > EL_MAX_NESTING)
		return -EINVAL;
	if (t->ncompares > EL_MAX_TXN_OPS || t->nsuccess > EL_MAX_TXN_OPS ||
	    t->nfailure > EL_MAX_TXN_OPS)
		return -EL_ETOOMANYOPS;
	for (uint32_t i = 0; i < t->ncompares; i++)
		if (t->compares[i].target > EL_CMP_LEASE || t->compares[i].result > EL_CMP_NOT_EQUAL)
			return -EINVAL;
	if ((rc = check_ops(t->success, t->nsuccess, depth)))
		return rc;
	return check_ops(t->failure, t->nfailure, depth);
}

static int check_ops(const struct el_op *ops, uint32_t n, int depth)
{
	int rc = 0;

	for (uint32_t i = 0; rc == 0 && i < n; i++) {
		const struct el_op *op = &ops[i];

		switch (op->type) {
		case EL_OP_RANGE: rc = el_txn_check_key(op->u.range.key); break;
		case EL_OP_PUT:
			if ((rc = el_txn_check_key(op->u.put.key)))
				break;
			if (op->u.put.ignore_value && op->u.put.value.len)
				rc = -EL_EVALUEPROVIDED;
			else if (op->u.put.ignore_lease && op->u.put.lease)
				rc = -EL_ELEASEPROVIDED;
			break;
		case EL_OP_DELETE: rc = el_txn_check_key(op->u.del.key); break;
		case EL_OP_TXN: rc = check_txn(&op->u.txn, depth + 1); break;
		default: rc = -EINVAL;
		}
	}
	return rc;
}

/*
 * etcd's checkIntervals: within one branch a key may be put once, and not
 * both put and deleted; the two branches of a nested txn may put the same key
 * since only one runs. Sets are small (at most 128 ops a level), so arrays.
 */
struct ival {
	struct el_bytes key, end;
};

struct keyset {
	struct el_bytes *puts;
	size_t nputs, capputs;
	struct ival *dels;
	size_t ndels, capdels;
};

static void keyset_close(struct keyset *s)
{
	free(s->puts);
	free(s->dels);
}

static bool bytes_eq(struct el_bytes a, struct el_bytes b)
{
	return el_bytes_cmp(a.data, a.len, b.data, b.len) == 0;
}

static bool has_put(const struct keyset *s, struct el_bytes k)
{
	for (size_t i = 0; i < s->nputs; i++)
		if (bytes_eq(s->puts[i], k))
			return true;
	return false;
}

static bool in_dels(const struct keyset *s, struct el_bytes k)
{
	for (size_t i = 0; i < s->ndels; i++) {
		const struct ival *d = &s->dels[i];
		int c = el_bytes_cmp(k.data, k.len, d->key.data, d->key.len);

		if (d->end.len == 0) {
			if (c == 0)
				return true;
		} else if (c >= 0 && ((d->end.len == 1 && d->end.data[0] == '\0') ||
				      el_bytes_cmp(k.data, k.len, d->end.data, d->end.len) < 0)) {
			return true;
		}
	}
	return false;
}

static int add_put(struct keyset *s, struct el_bytes k)
{
	if (s->nputs == s->capputs) {
		size_t cap = s->capputs ? s->capputs * 2 : 8;
		struct el_bytes *p = realloc(s->puts, cap * sizeof(*p));

		if (!p)
			return -ENOMEM;
		s->puts = p;
		s->capputs = cap;
	}
	s->puts[s->nputs++] = k;
	return 0;
}

static int add_del(struct keyset *s, struct ival d)
{
	if (s->ndels == s->capdels) {
		size_t cap = s->capdels ? s->capdels * 2 : 8;
		struct ival *p = realloc(s->dels, cap * sizeof(*p));

		if (!p)
			return -ENOMEM;
		s->dels = p;
		s->capdels = cap;
	}
	s->dels[s->ndels++] = d;
	return 0;
}

static int check_intervals(const struct el_op *ops, uint32_t n, struct keyset *s)
{
	int rc;

	for (uint32_t i = 0; i < n; i++)
		if (ops[i].type == EL_OP_DELETE)
			if ((rc = add_del(s, (struct ival){ops[i].u.del.key, ops[i].u.del.range_end})))
				return rc;
	for (uint32_t i = 0; i < n; i++) {
		const struct el_op *op = &ops[i];

		if (op->type == EL_OP_PUT) {
			if (has_put(s, op->u.put.key) || in_dels(s, op->u.put.key))
				return -EL_EDUPKEY;
			if ((rc = add_put(s, op->u.put.key)))
				return rc;
		} else if (op->type == EL_OP_TXN) {
			struct keyset then = {0}, other = {0};

			rc = check_intervals(op->u.txn.success, op->u.txn.nsuccess, &then);
			if (!rc)
				rc = check_intervals(op->u.txn.failure, op->u.txn.nfailure, &other);
			for (size_t j = 0; !rc && j < then.nputs; j++) {
				if (has_put(s, then.puts[j]) || in_dels(s, then.puts[j]))
					rc = -EL_EDUPKEY;
				else
					rc = add_put(s, then.puts[j]);
			}
			for (size_t j = 0; !rc && j < other.nputs; j++) {
				/* Already put by the other branch is fine: only one of them runs. */
				if ((has_put(s, other.puts[j]) && !has_put(&then, other.puts[j])) ||
				    in_dels(s, other.puts[j]))
					rc = -EL_EDUPKEY;
				else if (!has_put(s, other.puts[j]))
					rc = add_put(s, other.puts[j]);
			}
			for (size_t j = 0; !rc && j < then.ndels; j++)
				rc = add_del(s, then.dels[j]);
			for (size_t j = 0; !rc && j < other.ndels; j++)
				rc = add_del(s, other.dels[j]);
			keyset_close(&then);
			keyset_close(&other);
			if (rc)
				return rc;
		}
	}
	return 0;
}

static int check_dups(const struct el_txn_req *t)
{
	struct keyset a = {0}, b = {0};
	int rc = check_intervals(t->success, t->nsuccess, &a);

	if (!rc)
		rc = check_intervals(t->failure, t->nfailure, &b);
	keyset_close(&a);
	keyset_close(&b);
	return rc;
}

/* ---- compares and the path ---- */

static int cmp_i64(int64_t a, int64_t b)
{
	return a < b ? -1 : a > b;
}

static bool compare_kv(const struct el_compare *c, const struct el_ver *v)
{
	static const struct el_ver zero;
	int r;

	if (!v)
		v = &zero; /* a missing key compares as zeros, as in etcd */
	switch (c->target) {
	case EL_CMP_VALUE: r = el_bytes_cmp(v->value, v->vlen, c->value.data, c->value.len); break;
	case EL_CMP_CREATE: r = cmp_i64(v->create, c->number); break;
	case EL_CMP_MOD: r = cmp_i64(v->mod, c->number); break;
	case EL_CMP_LEASE: r = cmp_i64(v->lease, c->number); break;
	default: r = cmp_i64(v->version, c->number); break;
	}
	switch (c->result) {
	case EL_CMP_EQUAL: return r == 0;
	case EL_CMP_GREATER: return r > 0;
	case EL_CMP_LESS: return r < 0;
	default: return r != 0;
	}
}

static bool compare(const struct el_store *st, const struct el_compare *c)
{
	const struct el_key *k;
	bool any = false;

	if (c->range_end.len == 0) {
		k = el_index_find(st, c->key.data, c->key.len);
		const struct el_ver *v = k ? el_key_latest(k) : NULL;

		if (v && v->create == 0)
			v = NULL;
		if (!v && c->target == EL_CMP_VALUE)
			return false;
		return compare_kv(c, v);
	}
	bool unbounded = c->range_end.len == 1 && c->range_end.data[0] == '\0';

	for (k = el_index_seek(st, c->key.data, c->key.len); k; k = k->next[0]) {
		const struct el_ver *v = el_key_latest(k);

		if (!unbounded &&
		    el_bytes_cmp(el_key_bytes(k), k->klen, c->range_end.data, c->range_end.len) >= 0)
			break;
		if (!v || v->create == 0)
			continue;
		any = true;
		if (!compare_kv(c, v))
			return false;
	}
	if (!any)
		return c->target == EL_CMP_VALUE ? false : compare_kv(c, NULL);
	return true;
}

/* The branch each txn on the path takes, in the order execution meets them. */
struct path {
	bool *taken;
	size_t n, cap, pos;
};

static int path_build(const struct el_store *st, const struct el_txn_req *t, struct path *p)
{
	bool ok = true;
	const struct el_op *ops;
	uint32_t n;
	int rc;

	for (uint32_t i = 0; ok && i < t->ncompares; i++)
		ok = compare(st, &t->compares[i]);
	if (p->n == p->cap) {
		size_t cap = p->cap ? p->cap * 2 : 8;
		bool *b = realloc(p->taken, cap * sizeof(*b));

		if (!b)
			return -ENOMEM;
		p->taken = b;
		p->cap = cap;
	}
	p->taken[p->n++] = ok;
	ops = ok ? t->success : t->failure;
	n = ok ? t->nsuccess : t->nfailure;
	for (uint32_t i = 0; i < n; i++)
		if (ops[i].type == EL_OP_TXN && (rc = path_build(st, &ops[i].u.txn, p)))
			return rc;
	return 0;
}

/* etcd's checkPut / checkRange on the chosen path, against the state before the txn. */
static int path_check(const struct el_store *st, const struct el_txn_req *t, const struct path *p,
		      size_t *pos)
{
	bool ok = p->taken[(*pos)++];
	const struct el_op *ops = ok ? t->success : t->failure;
	uint32_t n = ok ? t->nsuccess : t->nfailure;
	int rc = 0;

	for (uint32_t i = 0; rc == 0 && i < n; i++) {
		const struct el_op *op = &ops[i];

		if (op->type == EL_OP_RANGE) {
			rc = el_mvcc_check_rev(st, op->u.range.revision);
		} else if (op->type == EL_OP_PUT) {
			const struct el_put_req *q = &op->u.put;

			if (!q->ignore_lease && q->lease && !el_lease_find(st, q->lease))
				rc = -EL_ELEASENOTFOUND;
			if (!rc && (q->ignore_value || q->ignore_lease)) {
				const struct el_key *k = el_index_find(st, q->key.data, q->key.len);
				const struct el_ver *v = k ? el_key_latest(k) : NULL;

				if (!v || v->create == 0)
					rc = -EL_EKEYNOTFOUND;
			}
		} else if (op->type == EL_OP_TXN) {
			rc = path_check(st, &op->u.txn, p, pos);
		}
	}
	return rc;
}

static int execute(struct el_store *st, const struct el_txn_req *t, struct path *p,
		   struct el_response *resp, struct el_txn_resp *out)
{
	bool ok = p->taken[p->pos++];
	const struct el_op *ops = ok ? t->success : t->failure;
	uint32_t n = ok ? t->nsuccess : t->nfailure;
	int rc = 0;

	memset(out, 0, sizeof(*out));
	out->succeeded = ok;
	if (n) {
		out->responses = el_response_alloc(resp, n * sizeof(*out->responses));
		if (!out->responses)
			return -ENOMEM;
		out->nresponses = n;
	}
	for (uint32_t i = 0; rc == 0 && i < n; i++) {
		struct el_op_resp *r = &out->responses[i];

		r->type = ops[i].type;
		switch (ops[i].type) {
		case EL_OP_RANGE: rc = el_mvcc_range(st, &ops[i].u.range, resp, &r->u.range); break;
		case EL_OP_PUT: {
			struct el_put_req q = ops[i].u.put;

			rc = el_mvcc_put(st, &q, &r->u.put);
			if (!q.prev_kv)
				memset(&r->u.put, 0, sizeof(r->u.put));
			break;
		}
		case EL_OP_DELETE: rc = el_mvcc_delete(st, &ops[i].u.del, resp, &r->u.del); break;
		default: rc = execute(st, &ops[i].u.txn, p, resp, &r->u.txn); break;
		}
	}
	return rc;
}

int el_txn_apply(struct el_store *st, const struct el_txn_req *t, struct el_response *resp,
		 struct el_txn_resp *out)
{
	struct path p = {0};
	size_t pos = 0;
	int rc;

	if ((rc = check_txn(t, 0)) || (rc = check_dups(t)))
		return rc;
	if ((rc = path_build(st, t, &p)))
		goto out;
	if ((rc = path_check(st, t, &p, &pos)))
		goto out;
	rc = execute(st, t, &p, resp, out);
out:
	free(p.taken);
	return rc;
}
