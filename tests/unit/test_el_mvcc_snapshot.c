/* test_el_mvcc_snapshot.c: a store restored from its snapshot answers and continues identically; bad bytes are refused. */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "etcdlite/lease.h"
#include "etcdlite/mvcc.h"
#include "tests/lib/check_run.h"

static struct el_bytes S(const char *s)
{
	return (struct el_bytes){s, (uint32_t)strlen(s)};
}

static void apply(struct el_store *st, struct el_request *r)
{
	struct el_response resp;

	el_response_init(&resp);
	el_store_apply(st, r, 0, &resp); /* errors are part of the history too */
	el_response_close(&resp);
}

/* A deterministic mixed history: puts, deletes, leases, revokes, txns, a compaction. */
static void history(struct el_store *st, uint64_t seed, int n)
{
	uint64_t x = seed;

	for (int i = 0; i < n; i++) {
		char k[16], v[16];
		struct el_request r = {0};

		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		snprintf(k, sizeof(k), "k%02d", (int)(x % 40));
		snprintf(v, sizeof(v), "v%d", i);
		switch ((x >> 8) % 8) {
		case 0:
		case 1:
		case 2:
			r.type = EL_REQ_PUT;
			r.u.put = (struct el_put_req){.key = S(k), .value = S(v),
						      .lease = (x >> 16) % 4 == 0 ? (int64_t)(x >> 20) % 3 + 1 : 0};
			break;
		case 3:
			r.type = EL_REQ_DELETE;
			r.u.del = (struct el_delete_req){.key = S(k), .range_end = (x >> 12) % 2 ? S("k2") : S("")};
			break;
		case 4:
			r.type = EL_REQ_LEASE_GRANT;
			r.u.lease_grant = (struct el_lease_grant_req){(int64_t)(x >> 20) % 3 + 1, 30};
			break;
		case 5:
			r.type = EL_REQ_LEASE_REVOKE;
			r.u.lease_revoke.id = (int64_t)(x >> 20) % 3 + 1;
			break;
		case 6: {
			static struct el_compare c;
			static struct el_op ops[1];

			c = (struct el_compare){EL_CMP_VERSION, EL_CMP_GREATER, S(k), {0}, 2, {0}};
			ops[0] = (struct el_op){.type = EL_OP_DELETE, .u.del = {.key = S(k)}};
			r.type = EL_REQ_TXN;
			r.u.txn = (struct el_txn_req){&c, 1, 1, 0, ops, NULL};
			break;
		}
		default:
			r.type = EL_REQ_COMPACTION;
			r.u.compaction.revision = el_store_revision(st) - 5;
		}
		apply(st, &r);
	}
}

static void same_answers(struct el_store *a, struct el_store *b)
{
	ck_assert_int_eq(el_store_revision(a), el_store_revision(b));
	ck_assert_int_eq(el_store_compact_revision(a), el_store_compact_revision(b));
	for (int64_t rev = el_store_compact_revision(a) - 1; rev <= el_store_revision(a) + 1; rev++) {
		struct el_request r = {.type = EL_REQ_RANGE,
				       .u.range = {.key = {"\0", 1}, .range_end = {"\0", 1}, .revision = rev}};
		struct el_response ra, rb;
		int ea, eb;

		el_response_init(&ra);
		el_response_init(&rb);
		ea = el_store_apply(a, &r, 0, &ra);
		eb = el_store_apply(b, &r, 0, &rb);
		ck_assert_int_eq(ea, eb);
		ck_assert_int_eq(ra.u.range.nkvs, rb.u.range.nkvs);
		for (size_t i = 0; i < ra.u.range.nkvs; i++) {
			struct el_kv *x = &ra.u.range.kvs[i], *y = &rb.u.range.kvs[i];

			ck_assert(x->klen == y->klen && memcmp(x->key, y->key, x->klen) == 0);
			ck_assert(x->vlen == y->vlen && memcmp(x->value, y->value, x->vlen) == 0);
			ck_assert(x->create_revision == y->create_revision &&
				  x->mod_revision == y->mod_revision && x->version == y->version &&
				  x->lease == y->lease);
		}
		el_response_close(&ra);
		el_response_close(&rb);
		{
			/* the hash members compare agrees too, revision by revision */
			uint32_t ha = 1, hb = 2;
			int64_t ca = 3, cb = 4;

			ea = el_store_hash_kv(a, rev, &ha, &ca);
			ck_assert_int_eq(ea, el_store_hash_kv(b, rev, &hb, &cb));
			if (ea == 0) {
				ck_assert_uint_eq(ha, hb);
				ck_assert_int_eq(ca, cb);
			}
		}
	}
}

START_TEST(test_restore_answers_and_continues_identically)
{
	struct el_store *a, *b;
	struct cm_buf sa = CM_BUF_INIT, sb = CM_BUF_INIT;
	int64_t la[8], lb[8];

	ck_assert_int_eq(el_store_new(NULL, &a), 0);
	ck_assert_int_eq(el_store_new(NULL, &b), 0);
	history(a, 99, 3000);
	ck_assert_int_gt(el_store_compact_revision(a), 0);
	ck_assert_int_eq(el_store_snapshot(a, &sa), 0);
	ck_assert_int_eq(el_store_restore(b, sa.data, sa.len, 0), 0);
	same_answers(a, b);
	ck_assert_uint_eq(el_lease_list(a, la, 8), el_lease_list(b, lb, 8));
	/* both go on with the same requests and stay equal, byte for byte */
	history(a, 7, 2000);
	history(b, 7, 2000);
	same_answers(a, b);
	cm_buf_reset(&sa);
	ck_assert_int_eq(el_store_snapshot(a, &sa), 0);
	ck_assert_int_eq(el_store_snapshot(b, &sb), 0);
	ck_assert_uint_eq(sa.len, sb.len);
	ck_assert(memcmp(sa.data, sb.data, sa.len) == 0);
	cm_buf_close(&sa);
	cm_buf_close(&sb);
	el_store_free(a);
	el_store_free(b);
}
END_TEST

START_TEST(test_bad_bytes_refused_store_unchanged)
{
	struct el_store *a, *b;
	struct cm_buf s = CM_BUF_INIT;

	ck_assert_int_eq(el_store_new(NULL, &a), 0);
	ck_assert_int_eq(el_store_new(NULL, &b), 0);
	history(a, 5, 300);
	history(b, 6, 50);
	ck_assert_int_eq(el_store_snapshot(a, &s), 0);
	for (size_t n = 0; n < s.len; n++)
		ck_assert_int_eq(el_store_restore(b, s.data, n, 0), -CM_ECORRUPT);
	for (size_t i = 0; i < s.len; i += 7) {
		s.data[i] ^= 0x40;
		ck_assert_int_eq(el_store_restore(b, s.data, s.len, 0), -CM_ECORRUPT);
		s.data[i] ^= 0x40;
	}
	ck_assert_int_eq(el_store_revision(b) > 1, 1);
	ck_assert_int_eq(el_store_restore(b, s.data, s.len, 0), 0);
	same_answers(a, b);
	cm_buf_close(&s);
	el_store_free(a);
	el_store_free(b);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("el_mvcc_snapshot");
	TCase *tc = tcase_create("snapshot");

	tcase_set_timeout(tc, 20);
	tcase_add_test(tc, test_restore_answers_and_continues_identically);
	tcase_add_test(tc, test_bad_bytes_refused_store_unchanged);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return check_run(suite());
}
