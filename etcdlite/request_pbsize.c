/* request_pbsize.c: the size of a request as etcd's protobuf message, which etcd's gRPC server bounds. */
#include "etcdlite/request.h"

/*
 * Protobuf 3 writes a field only when it is not its zero value: a tag (one
 * byte for field numbers below 16, two up to 2047), then a varint, or a
 * length and that many bytes. int64 and enums are varints of their two's
 * complement (ten bytes when negative); an embedded message is a length and
 * its bytes. The field numbers are those of etcd 3.4's rpc.proto.
 */

static size_t varint_size(uint64_t v)
{
	size_t n = 1;

	while (v >= 0x80) {
		v >>= 7;
		n++;
	}
	return n;
}

static size_t tag_size(unsigned field)
{
	return varint_size((uint64_t)field << 3);
}

static size_t int_field(unsigned field, int64_t v)
{
	return v ? tag_size(field) + varint_size((uint64_t)v) : 0;
}

static size_t bool_field(unsigned field, bool v)
{
	return v ? tag_size(field) + 1 : 0;
}

static size_t bytes_field(unsigned field, struct el_bytes b)
{
	return b.len ? tag_size(field) + varint_size(b.len) + b.len : 0;
}

/* An embedded message, written even when empty (a set oneof member). */
static size_t message_field(unsigned field, size_t size)
{
	return tag_size(field) + varint_size(size) + size;
}

static size_t range_size(const struct el_range_req *r)
{
	return bytes_field(1, r->key) + bytes_field(2, r->range_end) + int_field(3, r->limit) +
	       int_field(4, r->revision) + int_field(5, r->sort_order) + int_field(6, r->sort_target) +
	       bool_field(7, r->serializable) + bool_field(8, r->keys_only) + bool_field(9, r->count_only) +
	       int_field(10, r->min_mod_revision) + int_field(11, r->max_mod_revision) +
	       int_field(12, r->min_create_revision) + int_field(13, r->max_create_revision);
}

static size_t put_size(const struct el_put_req *p)
{
	return bytes_field(1, p->key) + bytes_field(2, p->value) + int_field(3, p->lease) +
	       bool_field(4, p->prev_kv) + bool_field(5, p->ignore_value) + bool_field(6, p->ignore_lease);
}

static size_t delete_size(const struct el_delete_req *d)
{
	return bytes_field(1, d->key) + bytes_field(2, d->range_end) + bool_field(3, d->prev_kv);
}

/*
 * Compare's target value is a oneof (version 4, create_revision 5,
 * mod_revision 6, value 7, lease 8): counted when nonzero, as JSON does not
 * tell a zero given from one left out.
 */
static size_t compare_size(const struct el_compare *c)
{
	size_t n = int_field(1, c->result) + int_field(2, c->target) + bytes_field(3, c->key) +
		   bytes_field(64, c->range_end);

	if (c->target == EL_CMP_VALUE)
		return n + bytes_field(7, c->value);
	return n + int_field(c->target == EL_CMP_LEASE ? 8 : 4u + c->target, c->number);
}

static size_t txn_size(const struct el_txn_req *t);

static size_t op_size(const struct el_op *op)
{
	switch (op->type) {
	case EL_OP_RANGE:
		return message_field(1, range_size(&op->u.range));
	case EL_OP_PUT:
		return message_field(2, put_size(&op->u.put));
	case EL_OP_DELETE:
		return message_field(3, delete_size(&op->u.del));
	default:
		return message_field(4, txn_size(&op->u.txn));
	}
}

static size_t txn_size(const struct el_txn_req *t)
{
	size_t n = 0;

	for (uint32_t i = 0; i < t->ncompares; i++)
		n += message_field(1, compare_size(&t->compares[i]));
	for (uint32_t i = 0; i < t->nsuccess; i++)
		n += message_field(2, op_size(&t->success[i]));
	for (uint32_t i = 0; i < t->nfailure; i++)
		n += message_field(3, op_size(&t->failure[i]));
	return n;
}

/* InternalRaftRequest's field for each request etcd proposes. */
static unsigned raft_field(uint8_t type)
{
	switch (type) {
	case EL_REQ_PUT: return 4;
	case EL_REQ_DELETE: return 5;
	case EL_REQ_TXN: return 6;
	case EL_REQ_COMPACTION: return 7;
	case EL_REQ_LEASE_GRANT: return 8;
	case EL_REQ_LEASE_REVOKE: return 9;
	default: return 3; /* range */
	}
}

size_t el_request_raft_pb_size(const struct el_request *req, uint64_t member_id)
{
	/*
	 * etcd's request ids: the member id's low 16 bits, then 40 bits of
	 * milliseconds and 8 of a counter; a clock's value (2^47) stands for those.
	 */
	uint64_t id = (member_id & 0xffff) << 48 | (uint64_t)1 << 47;
	size_t header = message_field(100, tag_size(1) + varint_size(id));

	return header + message_field(raft_field(req->type), el_request_pb_size(req));
}

size_t el_request_pb_size(const struct el_request *req)
{
	switch (req->type) {
	case EL_REQ_RANGE:
		return range_size(&req->u.range);
	case EL_REQ_PUT:
		return put_size(&req->u.put);
	case EL_REQ_DELETE:
		return delete_size(&req->u.del);
	case EL_REQ_TXN:
		return txn_size(&req->u.txn);
	case EL_REQ_COMPACTION:
		return int_field(1, req->u.compaction.revision) + bool_field(2, req->u.compaction.physical);
	case EL_REQ_LEASE_GRANT:
		return int_field(1, req->u.lease_grant.ttl) + int_field(2, req->u.lease_grant.id);
	case EL_REQ_LEASE_REVOKE:
		return int_field(1, req->u.lease_revoke.id);
	default:
		return 0; /* not a client's request */
	}
}
