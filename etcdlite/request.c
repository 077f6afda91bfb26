/* request.c: the compact binary codec of el_request, the bytes a Raft log entry carries. */
#include "etcdlite/request.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/varint.h"

/*
 * Format: a version byte, the type byte, then the fields of that type in a
 * fixed order. Integers are LEB128 varints (signed ones zigzagged so small
 * negatives stay short), byte strings are a varint length then the bytes,
 * booleans are packed into one flags byte. No field is optional, so the
 * decoder never has to guess, and every count is bounded by the bytes left.
 * The one exception is a range's revision filters: a fourth flag says they
 * follow, so entries written before the filters existed still decode.
 */
#define CODEC_VERSION 1

/* ---- encoding ---- */

static int put_bytes(struct cm_buf *b, struct el_bytes s)
{
	int rc = cm_varint_put(b, s.len);

	if (rc == 0 && s.len)
		rc = cm_buf_append(b, s.data, s.len);
	return rc;
}

static int put_flags(struct cm_buf *b, bool f0, bool f1, bool f2, bool f3)
{
	return cm_buf_putc(b, (char)((f0 ? 1 : 0) | (f1 ? 2 : 0) | (f2 ? 4 : 0) | (f3 ? 8 : 0)));
}

static bool has_filters(const struct el_range_req *r)
{
	return r->min_mod_revision || r->max_mod_revision || r->min_create_revision ||
	       r->max_create_revision;
}

static int enc_range(struct cm_buf *b, const struct el_range_req *r)
{
	bool filters = has_filters(r);
	int rc;

	if ((rc = put_bytes(b, r->key)) || (rc = put_bytes(b, r->range_end)) ||
	    (rc = cm_varint_put_signed(b, r->limit)) || (rc = cm_varint_put_signed(b, r->revision)) ||
	    (rc = cm_buf_putc(b, (char)r->sort_order)) || (rc = cm_buf_putc(b, (char)r->sort_target)) ||
	    (rc = put_flags(b, r->serializable, r->keys_only, r->count_only, filters)) || !filters)
		return rc;
	if ((rc = cm_varint_put_signed(b, r->min_mod_revision)) ||
	    (rc = cm_varint_put_signed(b, r->max_mod_revision)) ||
	    (rc = cm_varint_put_signed(b, r->min_create_revision)))
		return rc;
	return cm_varint_put_signed(b, r->max_create_revision);
}

static int enc_put(struct cm_buf *b, const struct el_put_req *p)
{
	int rc;

	if ((rc = put_bytes(b, p->key)) || (rc = put_bytes(b, p->value)) || (rc = cm_varint_put_signed(b, p->lease)))
		return rc;
	return put_flags(b, p->prev_kv, p->ignore_value, p->ignore_lease, false);
}

static int enc_del(struct cm_buf *b, const struct el_delete_req *d)
{
	int rc;

	if ((rc = put_bytes(b, d->key)) || (rc = put_bytes(b, d->range_end)))
		return rc;
	return put_flags(b, d->prev_kv, false, false, false);
}

static int enc_ops(struct cm_buf *b, const struct el_op *ops, uint32_t n, int depth);

static int enc_txn(struct cm_buf *b, const struct el_txn_req *t, int depth)
{
	int rc;

	if (depth > EL_MAX_NESTING)
		return -EINVAL;
	if ((rc = cm_varint_put(b, t->ncompares)))
		return rc;
	for (uint32_t i = 0; i < t->ncompares; i++) {
		const struct el_compare *c = &t->compares[i];

		if ((rc = cm_buf_putc(b, (char)c->target)) || (rc = cm_buf_putc(b, (char)c->result)) ||
		    (rc = put_bytes(b, c->key)) || (rc = put_bytes(b, c->range_end)) ||
		    (rc = cm_varint_put_signed(b, c->number)) || (rc = put_bytes(b, c->value)))
			return rc;
	}
	if ((rc = enc_ops(b, t->success, t->nsuccess, depth)))
		return rc;
	return enc_ops(b, t->failure, t->nfailure, depth);
}

static int enc_ops(struct cm_buf *b, const struct el_op *ops, uint32_t n, int depth)
{
	int rc = cm_varint_put(b, n);

	for (uint32_t i = 0; rc == 0 && i < n; i++) {
		rc = cm_buf_putc(b, (char)ops[i].type);
		if (rc)
			break;
		switch (ops[i].type) {
		case EL_OP_RANGE: rc = enc_range(b, &ops[i].u.range); break;
		case EL_OP_PUT: rc = enc_put(b, &ops[i].u.put); break;
		case EL_OP_DELETE: rc = enc_del(b, &ops[i].u.del); break;
		case EL_OP_TXN: rc = enc_txn(b, &ops[i].u.txn, depth + 1); break;
		default: rc = -EINVAL;
		}
	}
	return rc;
}

int el_request_encode(const struct el_request *req, struct cm_buf *out)
{
	size_t start = out->len;
	int rc;

	if ((rc = cm_buf_putc(out, CODEC_VERSION)) || (rc = cm_buf_putc(out, (char)req->type)))
		goto fail;
	switch (req->type) {
	case EL_REQ_RANGE: rc = enc_range(out, &req->u.range); break;
	case EL_REQ_PUT: rc = enc_put(out, &req->u.put); break;
	case EL_REQ_DELETE: rc = enc_del(out, &req->u.del); break;
	case EL_REQ_TXN: rc = enc_txn(out, &req->u.txn, 0); break;
	case EL_REQ_COMPACTION:
		if (!(rc = cm_varint_put_signed(out, req->u.compaction.revision)))
			rc = put_flags(out, req->u.compaction.physical, false, false, false);
		break;
	case EL_REQ_LEASE_GRANT:
		if (!(rc = cm_varint_put_signed(out, req->u.lease_grant.id)))
			rc = cm_varint_put_signed(out, req->u.lease_grant.ttl);
		break;
	case EL_REQ_LEASE_REVOKE: rc = cm_varint_put_signed(out, req->u.lease_revoke.id); break;
	case EL_REQ_LEASE_CHECKPOINT:
		rc = cm_varint_put(out, req->u.lease_checkpoint.n);
		for (uint32_t i = 0; rc == 0 && i < req->u.lease_checkpoint.n; i++) {
			const struct el_lease_checkpoint *c = &req->u.lease_checkpoint.checkpoints[i];

			if (!(rc = cm_varint_put_signed(out, c->id)))
				rc = cm_varint_put_signed(out, c->remaining_ttl);
		}
		break;
	default: rc = -EINVAL;
	}
	if (rc)
		goto fail;
	return 0;
fail:
	out->len = start;
	if (out->data)
		out->data[start] = '\0';
	return rc;
}

/* ---- decoding ---- */

struct reader {
	const unsigned char *p, *end;
	void *mem; /* chain of allocations: each starts with a pointer to the previous */
};

static int get_u64(struct reader *r, uint64_t *v)
{
	return cm_varint_get(&r->p, r->end, v);
}

static int get_i64(struct reader *r, int64_t *v)
{
	return cm_varint_get_signed(&r->p, r->end, v);
}

static int get_u8(struct reader *r, uint8_t *v, uint8_t max)
{
	if (r->p >= r->end || *r->p > max)
		return -EINVAL;
	*v = *r->p++;
	return 0;
}

static int get_bytes(struct reader *r, struct el_bytes *s)
{
	uint64_t n;
	int rc = get_u64(r, &n);

	if (rc)
		return rc;
	if (n > (uint64_t)(r->end - r->p) || n > UINT32_MAX)
		return -EINVAL;
	s->data = n ? (const char *)r->p : NULL;
	s->len = (uint32_t)n;
	r->p += n;
	return 0;
}

static int get_flags(struct reader *r, bool *f0, bool *f1, bool *f2, bool *f3)
{
	uint8_t f;
	int rc = get_u8(r, &f, 15);

	if (rc)
		return rc;
	*f0 = f & 1;
	if (f1)
		*f1 = f & 2;
	if (f2)
		*f2 = f & 4;
	if (f3)
		*f3 = f & 8;
	return 0;
}

/* Reads a count, refusing one larger than min_size-byte items could fill from what is left. */
static int get_count(struct reader *r, uint32_t *n, size_t min_size)
{
	uint64_t v;
	int rc = get_u64(r, &v);

	if (rc)
		return rc;
	if (v > (uint64_t)(r->end - r->p) / min_size || v > UINT32_MAX)
		return -EINVAL;
	*n = (uint32_t)v;
	return 0;
}

static void *reader_alloc(struct reader *r, size_t size)
{
	void **blk;

	if (size == 0)
		return NULL;
	blk = calloc(1, sizeof(void *) + size);
	if (!blk)
		return NULL;
	blk[0] = r->mem;
	r->mem = blk;
	return blk + 1;
}

static void mem_free(void *mem)
{
	while (mem) {
		void *prev = ((void **)mem)[0];

		free(mem);
		mem = prev;
	}
}

static int dec_range(struct reader *r, struct el_range_req *q)
{
	bool filters = false;
	int rc;

	if ((rc = get_bytes(r, &q->key)) || (rc = get_bytes(r, &q->range_end)) ||
	    (rc = get_i64(r, &q->limit)) || (rc = get_i64(r, &q->revision)) ||
	    (rc = get_u8(r, &q->sort_order, EL_SORT_DESCEND)) ||
	    (rc = get_u8(r, &q->sort_target, EL_SORT_VALUE)))
		return rc;
	q->min_mod_revision = q->max_mod_revision = 0;
	q->min_create_revision = q->max_create_revision = 0;
	if ((rc = get_flags(r, &q->serializable, &q->keys_only, &q->count_only, &filters)) || !filters)
		return rc;
	if ((rc = get_i64(r, &q->min_mod_revision)) || (rc = get_i64(r, &q->max_mod_revision)) ||
	    (rc = get_i64(r, &q->min_create_revision)))
		return rc;
	return get_i64(r, &q->max_create_revision);
}

static int dec_put(struct reader *r, struct el_put_req *p)
{
	int rc;

	if ((rc = get_bytes(r, &p->key)) || (rc = get_bytes(r, &p->value)) || (rc = get_i64(r, &p->lease)))
		return rc;
	return get_flags(r, &p->prev_kv, &p->ignore_value, &p->ignore_lease, NULL);
}

static int dec_del(struct reader *r, struct el_delete_req *d)
{
	int rc;

	if ((rc = get_bytes(r, &d->key)) || (rc = get_bytes(r, &d->range_end)))
		return rc;
	return get_flags(r, &d->prev_kv, NULL, NULL, NULL);
}

static int dec_ops(struct reader *r, struct el_op **ops, uint32_t *n, int depth);

static int dec_txn(struct reader *r, struct el_txn_req *t, int depth)
{
	int rc;

	if (depth > EL_MAX_NESTING)
		return -EINVAL;
	/* A compare is at least 6 bytes: target, result, three lengths, a number. */
	if ((rc = get_count(r, &t->ncompares, 6)))
		return rc;
	t->compares = reader_alloc(r, (size_t)t->ncompares * sizeof(*t->compares));
	if (t->ncompares && !t->compares)
		return -ENOMEM;
	for (uint32_t i = 0; i < t->ncompares; i++) {
		struct el_compare *c = &t->compares[i];

		if ((rc = get_u8(r, &c->target, EL_CMP_LEASE)) ||
		    (rc = get_u8(r, &c->result, EL_CMP_NOT_EQUAL)) || (rc = get_bytes(r, &c->key)) ||
		    (rc = get_bytes(r, &c->range_end)) || (rc = get_i64(r, &c->number)) ||
		    (rc = get_bytes(r, &c->value)))
			return rc;
	}
	if ((rc = dec_ops(r, &t->success, &t->nsuccess, depth)))
		return rc;
	return dec_ops(r, &t->failure, &t->nfailure, depth);
}

static int dec_ops(struct reader *r, struct el_op **ops, uint32_t *n, int depth)
{
	int rc;

	/* An op is at least 4 bytes (type, two lengths, flags). */
	if ((rc = get_count(r, n, 4)))
		return rc;
	*ops = reader_alloc(r, (size_t)*n * sizeof(**ops));
	if (*n && !*ops)
		return -ENOMEM;
	for (uint32_t i = 0; i < *n; i++) {
		struct el_op *op = &(*ops)[i];

		if ((rc = get_u8(r, &op->type, EL_OP_TXN)))
			return rc;
		switch (op->type) {
		case EL_OP_RANGE: rc = dec_range(r, &op->u.range); break;
		case EL_OP_PUT: rc = dec_put(r, &op->u.put); break;
		case EL_OP_DELETE: rc = dec_del(r, &op->u.del); break;
		default: rc = dec_txn(r, &op->u.txn, depth + 1); break;
		}
		if (rc)
			return rc;
	}
	return 0;
}

int el_request_decode(const void *buf, size_t len, struct el_request *out)
{
	struct reader r = {buf, (const unsigned char *)buf + len, NULL};
	struct el_request req;
	uint8_t version;
	int rc;

	memset(&req, 0, sizeof(req));
	if ((rc = get_u8(&r, &version, CODEC_VERSION)) || version != CODEC_VERSION ||
	    (rc = get_u8(&r, &req.type, EL_REQ_LAST - 1))) {
		rc = -EINVAL;
		goto fail;
	}
	switch (req.type) {
	case EL_REQ_RANGE: rc = dec_range(&r, &req.u.range); break;
	case EL_REQ_PUT: rc = dec_put(&r, &req.u.put); break;
	case EL_REQ_DELETE: rc = dec_del(&r, &req.u.del); break;
	case EL_REQ_TXN: rc = dec_txn(&r, &req.u.txn, 0); break;
	case EL_REQ_COMPACTION:
		if (!(rc = get_i64(&r, &req.u.compaction.revision)))
			rc = get_flags(&r, &req.u.compaction.physical, NULL, NULL, NULL);
		break;
	case EL_REQ_LEASE_GRANT:
		if (!(rc = get_i64(&r, &req.u.lease_grant.id)))
			rc = get_i64(&r, &req.u.lease_grant.ttl);
		break;
	case EL_REQ_LEASE_REVOKE: rc = get_i64(&r, &req.u.lease_revoke.id); break;
	default: {
		struct el_lease_checkpoint_req *cp = &req.u.lease_checkpoint;

		if ((rc = get_count(&r, &cp->n, 2)))
			break;
		cp->checkpoints = reader_alloc(&r, (size_t)cp->n * sizeof(*cp->checkpoints));
		if (cp->n && !cp->checkpoints) {
			rc = -ENOMEM;
			break;
		}
		for (uint32_t i = 0; rc == 0 && i < cp->n; i++)
			if (!(rc = get_i64(&r, &cp->checkpoints[i].id)))
				rc = get_i64(&r, &cp->checkpoints[i].remaining_ttl);
	}
	}
	if (rc == 0 && r.p != r.end)
		rc = -EINVAL; /* trailing bytes: not something we wrote */
	if (rc)
		goto fail;
	req.mem = r.mem;
	*out = req;
	return 0;
fail:
	mem_free(r.mem);
	return rc;
}

void el_request_close(struct el_request *req)
{
	mem_free(req->mem);
	req->mem = NULL;
}
