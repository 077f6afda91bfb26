/* test_el_request.c: the request codec: every type round-trips, hostile bytes are refused. */
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "etcdlite/request.h"
#include "tests/lib/check_run.h"

#define B(s) ((struct el_bytes){(s), sizeof(s) - 1})

static struct cm_buf enc(const struct el_request *r)
{
	struct cm_buf b = CM_BUF_INIT;

	ck_assert_int_eq(el_request_encode(r, &b), 0);
	return b;
}

static void roundtrip(const struct el_request *in, struct el_request *out, struct cm_buf *b)
{
	*b = enc(in);
	ck_assert_int_eq(el_request_decode(b->data, b->len, out), 0);
	ck_assert_int_eq(out->type, in->type);
}

static bool bytes_eq(struct el_bytes a, struct el_bytes b)
{
	return a.len == b.len && (a.len == 0 || memcmp(a.data, b.data, a.len) == 0);
}

START_TEST(test_range_roundtrip)
{
	struct el_request in = {.type = EL_REQ_RANGE}, out;
	struct cm_buf b;

	in.u.range = (struct el_range_req){.key = B("/registry/pods/"), .range_end = B("/registry/pods0"),
					   .limit = 500, .revision = -3, .sort_order = EL_SORT_DESCEND,
					   .sort_target = EL_SORT_MOD, .serializable = true, .keys_only = true};
	roundtrip(&in, &out, &b);
	ck_assert(bytes_eq(out.u.range.key, in.u.range.key));
	ck_assert(bytes_eq(out.u.range.range_end, in.u.range.range_end));
	ck_assert_int_eq(out.u.range.limit, 500);
	ck_assert_int_eq(out.u.range.revision, -3);
	ck_assert_int_eq(out.u.range.sort_order, EL_SORT_DESCEND);
	ck_assert_int_eq(out.u.range.sort_target, EL_SORT_MOD);
	ck_assert(out.u.range.serializable && out.u.range.keys_only && !out.u.range.count_only);
	el_request_close(&out);
	cm_buf_close(&b);
}
END_TEST

START_TEST(test_range_filters_roundtrip)
{
	struct el_request in = {.type = EL_REQ_RANGE}, out;
	struct el_range_req *r = &in.u.range;
	struct cm_buf b;

	r->key = B("k");
	r->min_mod_revision = 3;
	r->max_mod_revision = 9;
	r->min_create_revision = 2;
	r->max_create_revision = 7;
	roundtrip(&in, &out, &b);
	ck_assert_int_eq(out.u.range.min_mod_revision, 3);
	ck_assert_int_eq(out.u.range.max_mod_revision, 9);
	ck_assert_int_eq(out.u.range.min_create_revision, 2);
	ck_assert_int_eq(out.u.range.max_create_revision, 7);
	el_request_close(&out);
	cm_buf_close(&b);

	/* Without filters the entry is what it was before they existed: the flags byte last. */
	r->min_mod_revision = r->max_mod_revision = r->min_create_revision = r->max_create_revision = 0;
	r->keys_only = true;
	roundtrip(&in, &out, &b);
	ck_assert_int_eq(b.data[b.len - 1], 2);
	ck_assert(out.u.range.keys_only);
	ck_assert_int_eq(out.u.range.min_mod_revision + out.u.range.max_create_revision, 0);
	el_request_close(&out);
	cm_buf_close(&b);
}
END_TEST

START_TEST(test_put_roundtrip_binary)
{
	static const char val[] = {0, 1, 2, (char)255, 0};
	struct el_request in = {.type = EL_REQ_PUT}, out;
	struct cm_buf b;

	in.u.put = (struct el_put_req){B("k\0x"), {val, sizeof(val)}, INT64_MAX, true, false, true};
	roundtrip(&in, &out, &b);
	ck_assert(bytes_eq(out.u.put.key, in.u.put.key));
	ck_assert(bytes_eq(out.u.put.value, in.u.put.value));
	ck_assert_int_eq(out.u.put.lease, INT64_MAX);
	ck_assert(out.u.put.prev_kv && !out.u.put.ignore_value && out.u.put.ignore_lease);
	el_request_close(&out);
	cm_buf_close(&b);
}
END_TEST

START_TEST(test_nested_txn_roundtrip)
{
	struct el_op inner_ops[2] = {
		{.type = EL_OP_DELETE, .u.del = {B("a"), B("b"), true}},
		{.type = EL_OP_RANGE, .u.range = {.key = B("x"), .limit = 1}},
	};
	struct el_compare cmps[2] = {
		{EL_CMP_MOD, EL_CMP_LESS, B("k"), {0}, 42, {0}},
		{EL_CMP_VALUE, EL_CMP_NOT_EQUAL, B("k"), B("\0"), 0, B("v")},
	};
	struct el_op ops[2] = {
		{.type = EL_OP_PUT, .u.put = {.key = B("k"), .value = B("v")}},
		{.type = EL_OP_TXN, .u.txn = {.nsuccess = 2, .success = inner_ops}},
	};
	struct el_request in = {.type = EL_REQ_TXN}, out;
	struct cm_buf b;

	in.u.txn = (struct el_txn_req){cmps, 2, 1, 1, ops, ops + 1};
	roundtrip(&in, &out, &b);
	ck_assert_int_eq(out.u.txn.ncompares, 2);
	ck_assert_int_eq(out.u.txn.compares[0].target, EL_CMP_MOD);
	ck_assert_int_eq(out.u.txn.compares[0].number, 42);
	ck_assert(bytes_eq(out.u.txn.compares[1].range_end, B("\0")));
	ck_assert(bytes_eq(out.u.txn.compares[1].value, B("v")));
	ck_assert_int_eq(out.u.txn.nsuccess, 1);
	ck_assert_int_eq(out.u.txn.nfailure, 1);
	ck_assert_int_eq(out.u.txn.failure[0].type, EL_OP_TXN);
	ck_assert_int_eq(out.u.txn.failure[0].u.txn.nsuccess, 2);
	ck_assert(out.u.txn.failure[0].u.txn.success[0].u.del.prev_kv);
	ck_assert(bytes_eq(out.u.txn.failure[0].u.txn.success[0].u.del.range_end, B("b")));
	ck_assert_int_eq(out.u.txn.failure[0].u.txn.success[1].u.range.limit, 1);
	el_request_close(&out);
	cm_buf_close(&b);
}
END_TEST

START_TEST(test_lease_and_compaction_roundtrip)
{
	struct el_lease_checkpoint cps[2] = {{7, 30}, {-1, 0}};
	struct el_request reqs[4] = {
		{.type = EL_REQ_COMPACTION, .u.compaction = {123456789, true}},
		{.type = EL_REQ_LEASE_GRANT, .u.lease_grant = {0, 60}},
		{.type = EL_REQ_LEASE_REVOKE, .u.lease_revoke = {7}},
		{.type = EL_REQ_LEASE_CHECKPOINT, .u.lease_checkpoint = {cps, 2}},
	};
	struct el_request out;
	struct cm_buf b;

	roundtrip(&reqs[0], &out, &b);
	ck_assert_int_eq(out.u.compaction.revision, 123456789);
	ck_assert(out.u.compaction.physical);
	cm_buf_close(&b);
	roundtrip(&reqs[1], &out, &b);
	ck_assert_int_eq(out.u.lease_grant.ttl, 60);
	cm_buf_close(&b);
	roundtrip(&reqs[2], &out, &b);
	ck_assert_int_eq(out.u.lease_revoke.id, 7);
	cm_buf_close(&b);
	roundtrip(&reqs[3], &out, &b);
	ck_assert_int_eq(out.u.lease_checkpoint.n, 2);
	ck_assert_int_eq(out.u.lease_checkpoint.checkpoints[0].remaining_ttl, 30);
	ck_assert_int_eq(out.u.lease_checkpoint.checkpoints[1].id, -1);
	el_request_close(&out);
	cm_buf_close(&b);
}
END_TEST

START_TEST(test_every_truncation_refused)
{
	struct el_op ops[1] = {{.type = EL_OP_PUT, .u.put = {.key = B("key"), .value = B("value")}}};
	struct el_compare c = {EL_CMP_VERSION, EL_CMP_EQUAL, B("key"), {0}, 0, {0}};
	struct el_request in = {.type = EL_REQ_TXN}, out;
	struct cm_buf b;

	in.u.txn = (struct el_txn_req){&c, 1, 1, 1, ops, ops};
	b = enc(&in);
	for (size_t n = 0; n < b.len; n++)
		ck_assert_int_eq(el_request_decode(b.data, n, &out), -EINVAL);
	/* and trailing garbage */
	cm_buf_putc(&b, 0);
	ck_assert_int_eq(el_request_decode(b.data, b.len, &out), -EINVAL);
	cm_buf_close(&b);
}
END_TEST

START_TEST(test_hostile_bytes_never_crash)
{
	unsigned char buf[64];
	uint64_t s = 88172645463325252ULL;
	int ok = 0;

	/* Random bytes behind a valid header: each decode fails cleanly or gives something closable. */
	for (int iter = 0; iter < 200000; iter++) {
		struct el_request out;
		size_t n = 2 + iter % 60;

		buf[0] = 1;
		buf[1] = (unsigned char)(iter % EL_REQ_LAST);
		for (size_t i = 2; i < n; i++) {
			s ^= s << 13, s ^= s >> 7, s ^= s << 17;
			buf[i] = (unsigned char)(s & 0xff);
			if (s & 0x100)
				buf[i] &= 0x7; /* small numbers make deeper structures */
		}
		if (el_request_decode(buf, n, &out) == 0) {
			ok++;
			el_request_close(&out);
		}
	}
	ck_assert_int_gt(ok, 0);
}
END_TEST

START_TEST(test_huge_counts_refused)
{
	/* a txn claiming 2^32-1 compares in a few bytes */
	const unsigned char bad[] = {1, EL_REQ_TXN, 0xff, 0xff, 0xff, 0xff, 0x0f, 0};
	const unsigned char badver[] = {9, EL_REQ_RANGE};
	const unsigned char badtype[] = {1, 200};
	const unsigned char longvarint[] = {1, EL_REQ_LEASE_REVOKE, 0xff, 0xff, 0xff, 0xff, 0xff,
					    0xff, 0xff, 0xff, 0xff, 0xff, 0x01};
	struct el_request out;

	ck_assert_int_eq(el_request_decode(bad, sizeof(bad), &out), -EINVAL);
	ck_assert_int_eq(el_request_decode(badver, sizeof(badver), &out), -EINVAL);
	ck_assert_int_eq(el_request_decode(badtype, sizeof(badtype), &out), -EINVAL);
	ck_assert_int_eq(el_request_decode(longvarint, sizeof(longvarint), &out), -EINVAL);
	ck_assert_int_eq(el_request_decode(NULL, 0, &out), -EINVAL);
}
END_TEST

START_TEST(test_deep_nesting_refused)
{
	struct el_op ops[EL_MAX_NESTING + 3];
	struct el_request in = {.type = EL_REQ_TXN};
	struct cm_buf b = CM_BUF_INIT;

	memset(ops, 0, sizeof(ops));
	for (int i = 0; i < EL_MAX_NESTING + 2; i++) {
		ops[i].type = EL_OP_TXN;
		ops[i].u.txn.nsuccess = 1;
		ops[i].u.txn.success = &ops[i + 1];
	}
	ops[EL_MAX_NESTING + 2].type = EL_OP_RANGE;
	in.u.txn.nsuccess = 1;
	in.u.txn.success = ops;
	ck_assert_int_eq(el_request_encode(&in, &b), -EINVAL);
	ck_assert_uint_eq(b.len, 0);
	cm_buf_close(&b);
}
END_TEST

/* The sizes etcd 3.4's gRPC server named in "received message larger than max (N vs. M)". */
START_TEST(test_pb_size_as_etcd_counts)
{
	size_t n = 2175000;
	char *big = calloc(1, n + 3);
	struct el_bytes key = {"big", 3}, value = {big, (uint32_t)n};
	struct el_request r = {.type = EL_REQ_PUT, .u.put = {.key = key, .value = value}};
	struct el_op op = {.type = EL_OP_PUT, .u.put = r.u.put};

	ck_assert_ptr_nonnull(big);
	ck_assert_uint_eq(el_request_pb_size(&r), 2175010);
	r.u.put.key = (struct el_bytes){big, (uint32_t)n + 3};
	r.u.put.value = (struct el_bytes){"x", 1};
	ck_assert_uint_eq(el_request_pb_size(&r), 2175011);
	r = (struct el_request){.type = EL_REQ_TXN, .u.txn = {.nsuccess = 1, .success = &op}};
	ck_assert_uint_eq(el_request_pb_size(&r), 2175020);
	r = (struct el_request){.type = EL_REQ_RANGE, .u.range = {.key = value}};
	ck_assert_uint_eq(el_request_pb_size(&r), 2175005);
	/* zero values are left out; a negative int64 takes ten bytes; an empty op is still there */
	r = (struct el_request){.type = EL_REQ_RANGE, .u.range = {.key = key, .revision = -1, .keys_only = true}};
	ck_assert_uint_eq(el_request_pb_size(&r), 5 + 11 + 2);
	op = (struct el_op){.type = EL_OP_RANGE};
	r = (struct el_request){.type = EL_REQ_TXN, .u.txn = {.nfailure = 1, .failure = &op}};
	ck_assert_uint_eq(el_request_pb_size(&r), 4);
	/* a compare's range_end is field 64: a two-byte tag */
	struct el_compare c = {.target = EL_CMP_MOD, .key = key, .range_end = key, .number = 5};
	r = (struct el_request){.type = EL_REQ_TXN, .u.txn = {.ncompares = 1, .compares = &c}};
	ck_assert_uint_eq(el_request_pb_size(&r), 2 + (2 + 5 + 6 + 2));
	/* etcd 3.4 took a put of "big" with 1572838 bytes and no more, a txn of it 1572830: at
	 * --max-request-bytes (1572864) inside its InternalRaftRequest, whose header here is 13 bytes. */
	r = (struct el_request){.type = EL_REQ_PUT, .u.put = {.key = key, .value = {big, 1572838}}};
	ck_assert_uint_eq(el_request_raft_pb_size(&r, 0x1234), 1572864);
	op = (struct el_op){.type = EL_OP_PUT, .u.put = {.key = key, .value = {big, 1572830}}};
	r = (struct el_request){.type = EL_REQ_TXN, .u.txn = {.nsuccess = 1, .success = &op}};
	ck_assert_uint_eq(el_request_raft_pb_size(&r, 0x1234), 1572864);
	/* a member id with bit 15 set makes the request id a ten-byte varint */
	ck_assert_uint_eq(el_request_raft_pb_size(&r, 0x8234), 1572865);
	free(big);
}
END_TEST

START_TEST(test_error_messages)
{
	ck_assert_str_eq(el_strerror(-EL_EDUPKEY), "etcdserver: duplicate key given in txn request");
	ck_assert_str_eq(el_strerror(-EL_ELEASENOTFOUND), "etcdserver: requested lease not found");
	ck_assert_str_eq(el_strerror(-CM_ECOMPACTED), "etcdserver: mvcc: required revision has been compacted");
	ck_assert_int_eq(el_err_grpc_code(-CM_EFUTUREREV), 11);
	ck_assert_int_eq(el_err_grpc_code(-EL_ELEASENOTFOUND), 5);
	ck_assert_int_eq(el_err_grpc_code(-EL_EDUPKEY), 3);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("el_request");
	TCase *tc = tcase_create("codec");

	tcase_add_test(tc, test_range_roundtrip);
	tcase_add_test(tc, test_range_filters_roundtrip);
	tcase_add_test(tc, test_put_roundtrip_binary);
	tcase_add_test(tc, test_nested_txn_roundtrip);
	tcase_add_test(tc, test_lease_and_compaction_roundtrip);
	tcase_add_test(tc, test_every_truncation_refused);
	tcase_add_test(tc, test_hostile_bytes_never_crash);
	tcase_add_test(tc, test_huge_counts_refused);
	tcase_add_test(tc, test_deep_nesting_refused);
	tcase_add_test(tc, test_error_messages);
	tcase_add_test(tc, test_pb_size_as_etcd_counts);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return check_run(suite());
}
