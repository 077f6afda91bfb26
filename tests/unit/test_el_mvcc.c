/* test_el_mvcc.c: the MVCC store: revisions, versions, Range semantics, Txn, Delete, Compaction. */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "etcdlite/lease.h"
#include "etcdlite/mvcc.h"
#include "tests/lib/check_run.h"

static struct el_store *st;

static void setup(void)
{
	ck_assert_int_eq(el_store_new(NULL, &st), 0);
}

static void teardown(void)
{
	el_store_free(st);
}

static struct el_bytes S(const char *s)
{
	return (struct el_bytes){s, (uint32_t)strlen(s)};
}

static const struct el_bytes ALL = {"\0", 1};

static int apply(const struct el_request *req, struct el_response *resp)
{
	el_response_init(resp);
	return el_store_apply(st, req, 0, resp);
}

/* PUT(k, v) asserts success and returns the header revision. */
static int64_t PUT(const char *k, const char *v)
{
	struct el_request r = {.type = EL_REQ_PUT, .u.put = {.key = S(k), .value = S(v)}};
	struct el_response resp;
	int64_t rev;

	ck_assert_int_eq(apply(&r, &resp), 0);
	rev = resp.revision;
	el_response_close(&resp);
	return rev;
}

static void PUT_ERROR(int err, const struct el_put_req *p)
{
	struct el_request r = {.type = EL_REQ_PUT, .u.put = *p};
	struct el_response resp;
	int64_t before = el_store_revision(st);

	ck_assert_int_eq(apply(&r, &resp), err);
	ck_assert_int_eq(el_store_revision(st), before);
	el_response_close(&resp);
}

static int64_t DEL(const char *k, struct el_bytes end, int64_t want_deleted)
{
	struct el_request r = {.type = EL_REQ_DELETE, .u.del = {.key = S(k), .range_end = end}};
	struct el_response resp;
	int64_t rev;

	ck_assert_int_eq(apply(&r, &resp), 0);
	ck_assert_int_eq(resp.u.del.deleted, want_deleted);
	rev = resp.revision;
	el_response_close(&resp);
	return rev;
}

/* Range and render keys as "k1,k2" into out. */
static int RANGE(struct el_range_req q, struct el_response *resp, char *out, size_t n)
{
	struct el_request r = {.type = EL_REQ_RANGE, .u.range = q};
	int rc = apply(&r, resp);

	out[0] = '\0';
	if (rc == 0)
		for (size_t i = 0; i < resp->u.range.nkvs; i++)
			snprintf(out + strlen(out), n - strlen(out), "%s%.*s", i ? "," : "",
				 (int)resp->u.range.kvs[i].klen, resp->u.range.kvs[i].key);
	return rc;
}

static void KEYS(struct el_range_req q, const char *want)
{
	struct el_response resp;
	char got[1024];

	ck_assert_int_eq(RANGE(q, &resp, got, sizeof(got)), 0);
	ck_assert_str_eq(got, want);
	el_response_close(&resp);
}

START_TEST(test_fresh_store_is_revision_1)
{
	ck_assert_int_eq(el_store_revision(st), 1);
	ck_assert_int_eq(el_store_compact_revision(st), -1);
	ck_assert_int_eq(PUT("a", "1"), 2);
	ck_assert_int_eq(PUT("b", "1"), 3);
}
END_TEST

START_TEST(test_versions_and_revisions)
{
	struct el_response resp;
	char got[64];

	PUT("k", "v1");
	PUT("k", "v2");
	PUT("k", "v3");
	ck_assert_int_eq(RANGE((struct el_range_req){.key = S("k")}, &resp, got, sizeof(got)), 0);
	ck_assert_int_eq(resp.u.range.count, 1);
	ck_assert_int_eq(resp.u.range.kvs[0].create_revision, 2);
	ck_assert_int_eq(resp.u.range.kvs[0].mod_revision, 4);
	ck_assert_int_eq(resp.u.range.kvs[0].version, 3);
	ck_assert_int_eq(resp.u.range.kvs[0].vlen, 2);
	ck_assert(memcmp(resp.u.range.kvs[0].value, "v3", 2) == 0);
	ck_assert_int_eq(resp.revision, 4);
	el_response_close(&resp);
	/* delete then put: a new generation */
	ck_assert_int_eq(DEL("k", (struct el_bytes){0}, 1), 5);
	PUT("k", "again");
	ck_assert_int_eq(RANGE((struct el_range_req){.key = S("k")}, &resp, got, sizeof(got)), 0);
	ck_assert_int_eq(resp.u.range.kvs[0].create_revision, 6);
	ck_assert_int_eq(resp.u.range.kvs[0].version, 1);
	el_response_close(&resp);
	/* at an old revision */
	ck_assert_int_eq(RANGE((struct el_range_req){.key = S("k"), .revision = 3}, &resp, got,
			       sizeof(got)), 0);
	ck_assert_int_eq(resp.u.range.kvs[0].version, 2);
	ck_assert(memcmp(resp.u.range.kvs[0].value, "v2", 2) == 0);
	ck_assert_int_eq(resp.revision, 6); /* the header is the current revision */
	el_response_close(&resp);
	ck_assert_int_eq(RANGE((struct el_range_req){.key = S("k"), .revision = 5}, &resp, got,
			       sizeof(got)), 0);
	ck_assert_int_eq(resp.u.range.nkvs, 0);
	el_response_close(&resp);
	ck_assert_int_eq(RANGE((struct el_range_req){.key = S("k"), .revision = 7}, &resp, got,
			       sizeof(got)), -CM_EFUTUREREV);
	el_response_close(&resp);
}
END_TEST

START_TEST(test_range_end_semantics)
{
	PUT("a", "");
	PUT("b", "");
	PUT("b/1", "");
	PUT("b/2", "");
	PUT("c", "");
	KEYS((struct el_range_req){.key = S("b")}, "b");
	KEYS((struct el_range_req){.key = S("b"), .range_end = S("c")}, "b,b/1,b/2");
	KEYS((struct el_range_req){.key = S("b/"), .range_end = S("b0")}, "b/1,b/2"); /* prefix */
	KEYS((struct el_range_req){.key = S("b"), .range_end = ALL}, "b,b/1,b/2,c");
	KEYS((struct el_range_req){.key = ALL, .range_end = ALL}, "a,b,b/1,b/2,c");
	KEYS((struct el_range_req){.key = S("c"), .range_end = S("b")}, ""); /* end before key */
	KEYS((struct el_range_req){.key = S("zz")}, "");
}
END_TEST

START_TEST(test_limit_more_count)
{
	struct el_response resp;
	char got[256];

	for (int i = 0; i < 10; i++) {
		char k[8];

		snprintf(k, sizeof(k), "k%d", i);
		PUT(k, "v");
	}
	ck_assert_int_eq(RANGE((struct el_range_req){.key = S("k"), .range_end = S("l"), .limit = 3},
			       &resp, got, sizeof(got)), 0);
	ck_assert_str_eq(got, "k0,k1,k2");
	ck_assert(resp.u.range.more);
	ck_assert_int_eq(resp.u.range.count, 10);
	el_response_close(&resp);
	ck_assert_int_eq(RANGE((struct el_range_req){.key = S("k"), .range_end = S("l"), .limit = 10},
			       &resp, got, sizeof(got)), 0);
	ck_assert(!resp.u.range.more);
	ck_assert_int_eq(resp.u.range.nkvs, 10);
	el_response_close(&resp);
	ck_assert_int_eq(RANGE((struct el_range_req){.key = S("k"), .range_end = S("l"),
						     .count_only = true}, &resp, got, sizeof(got)), 0);
	ck_assert_int_eq(resp.u.range.nkvs, 0);
	ck_assert_int_eq(resp.u.range.count, 10);
	el_response_close(&resp);
	ck_assert_int_eq(RANGE((struct el_range_req){.key = S("k5"), .keys_only = true}, &resp, got,
			       sizeof(got)), 0);
	ck_assert_str_eq(got, "k5");
	ck_assert_int_eq(resp.u.range.kvs[0].vlen, 0);
	ck_assert_int_eq(resp.u.range.kvs[0].version, 1);
	el_response_close(&resp);
	/* k<i> was made at revision i + 2. The filters prune what was found: count is before them,
	 * limit and more after. */
	ck_assert_int_eq(RANGE((struct el_range_req){.key = S("k"), .range_end = S("l"), .limit = 2,
						     .min_mod_revision = 5}, &resp, got, sizeof(got)), 0);
	ck_assert_str_eq(got, "k3,k4");
	ck_assert(resp.u.range.more);
	ck_assert_int_eq(resp.u.range.count, 10);
	el_response_close(&resp);
	ck_assert_int_eq(RANGE((struct el_range_req){.key = S("k"), .range_end = S("l"), .limit = 3,
						     .min_create_revision = 9, .max_mod_revision = 10},
			       &resp, got, sizeof(got)), 0);
	ck_assert_str_eq(got, "k7,k8");
	ck_assert(!resp.u.range.more);
	el_response_close(&resp);
	ck_assert_int_eq(RANGE((struct el_range_req){.key = S("k"), .range_end = S("l"),
						     .max_create_revision = 3}, &resp, got, sizeof(got)), 0);
	ck_assert_str_eq(got, "k0,k1");
	ck_assert_int_eq(resp.u.range.count, 10);
	el_response_close(&resp);
}
END_TEST

START_TEST(test_sort)
{
	PUT("b", "3");
	PUT("a", "1");
	PUT("c", "2");
	PUT("a", "4"); /* a: version 2, newest mod */
	KEYS((struct el_range_req){.key = ALL, .range_end = ALL, .sort_order = EL_SORT_DESCEND}, "c,b,a");
	KEYS((struct el_range_req){.key = ALL, .range_end = ALL, .sort_target = EL_SORT_MOD}, "b,c,a");
	KEYS((struct el_range_req){.key = ALL, .range_end = ALL, .sort_order = EL_SORT_DESCEND,
				   .sort_target = EL_SORT_CREATE}, "c,a,b");
	KEYS((struct el_range_req){.key = ALL, .range_end = ALL, .sort_order = EL_SORT_ASCEND,
				   .sort_target = EL_SORT_VALUE}, "c,b,a");
	KEYS((struct el_range_req){.key = ALL, .range_end = ALL, .sort_order = EL_SORT_DESCEND,
				   .sort_target = EL_SORT_VERSION, .limit = 1}, "a");
}
END_TEST

START_TEST(test_put_options)
{
	struct el_request r = {.type = EL_REQ_PUT};
	struct el_response resp;

	PUT_ERROR(-EL_EEMPTYKEY, &(struct el_put_req){.key = S(""), .value = S("v")});
	PUT_ERROR(-EL_EKEYNOTFOUND, &(struct el_put_req){.key = S("k"), .ignore_value = true});
	PUT_ERROR(-EL_EKEYNOTFOUND, &(struct el_put_req){.key = S("k"), .ignore_lease = true});
	PUT_ERROR(-EL_ELEASENOTFOUND, &(struct el_put_req){.key = S("k"), .value = S("v"), .lease = 5});
	PUT("k", "old");
	PUT_ERROR(-EL_EVALUEPROVIDED,
		  &(struct el_put_req){.key = S("k"), .value = S("x"), .ignore_value = true});
	PUT_ERROR(-EL_ELEASEPROVIDED,
		  &(struct el_put_req){.key = S("k"), .lease = 1, .ignore_lease = true});
	r.u.put = (struct el_put_req){.key = S("k"), .ignore_value = true, .prev_kv = true};
	ck_assert_int_eq(apply(&r, &resp), 0);
	ck_assert(resp.u.put.has_prev_kv);
	ck_assert_int_eq(resp.u.put.prev_kv.version, 1);
	ck_assert(memcmp(resp.u.put.prev_kv.value, "old", 3) == 0);
	el_response_close(&resp);
	r.u.put = (struct el_put_req){.key = S("k"), .value = S("new")};
	ck_assert_int_eq(apply(&r, &resp), 0);
	ck_assert(!resp.u.put.has_prev_kv); /* not asked */
	el_response_close(&resp);
	r.type = EL_REQ_RANGE;
	r.u.range = (struct el_range_req){.key = S("k")};
	ck_assert_int_eq(apply(&r, &resp), 0);
	ck_assert_int_eq(resp.u.range.kvs[0].version, 3);
	ck_assert(memcmp(resp.u.range.kvs[0].value, "old", 3) != 0);
	el_response_close(&resp);
}
END_TEST

START_TEST(test_delete_range_and_prev_kv)
{
	struct el_request r = {.type = EL_REQ_DELETE};
	struct el_response resp;

	PUT("a", "1");
	PUT("b", "2");
	PUT("c", "3");
	/* deleting nothing makes no revision */
	ck_assert_int_eq(DEL("zz", (struct el_bytes){0}, 0), 4);
	r.u.del = (struct el_delete_req){S("a"), S("c"), true};
	ck_assert_int_eq(apply(&r, &resp), 0);
	ck_assert_int_eq(resp.u.del.deleted, 2);
	ck_assert_int_eq(resp.u.del.nprev_kvs, 2);
	ck_assert(memcmp(resp.u.del.prev_kvs[1].value, "2", 1) == 0);
	ck_assert_int_eq(resp.revision, 5); /* one revision for the range */
	el_response_close(&resp);
	KEYS((struct el_range_req){.key = ALL, .range_end = ALL}, "c");
	ck_assert_int_eq(DEL("a", ALL, 1), 6);
	KEYS((struct el_range_req){.key = ALL, .range_end = ALL}, "");
	KEYS((struct el_range_req){.key = ALL, .range_end = ALL, .revision = 4}, "a,b,c");
}
END_TEST

static struct el_compare CMP(uint8_t target, uint8_t result, const char *key, int64_t num,
			     const char *val)
{
	return (struct el_compare){target, result, S(key), {0}, num, val ? S(val) : (struct el_bytes){0}};
}

/* Runs a txn with compare c and a put of "t" on success; returns whether it succeeded. */
static bool TXN1(struct el_compare c)
{
	struct el_op ok = {.type = EL_OP_RANGE, .u.range = {.key = S("k")}};
	struct el_request r = {.type = EL_REQ_TXN};
	struct el_response resp;
	bool s;

	r.u.txn = (struct el_txn_req){&c, 1, 1, 0, &ok, NULL};
	ck_assert_int_eq(apply(&r, &resp), 0);
	s = resp.u.txn.succeeded;
	ck_assert_int_eq(resp.u.txn.nresponses, s ? 1 : 0);
	el_response_close(&resp);
	return s;
}

START_TEST(test_txn_compares)
{
	struct el_request g = {.type = EL_REQ_LEASE_GRANT, .u.lease_grant = {77, 60}};
	struct el_request p = {.type = EL_REQ_PUT, .u.put = {.key = S("k"), .value = S("m"), .lease = 77}};
	struct el_response resp;

	/* missing key: zeros, and VALUE compares fail */
	ck_assert(TXN1(CMP(EL_CMP_VERSION, EL_CMP_EQUAL, "k", 0, NULL)));
	ck_assert(TXN1(CMP(EL_CMP_CREATE, EL_CMP_EQUAL, "k", 0, NULL)));
	ck_assert(!TXN1(CMP(EL_CMP_VALUE, EL_CMP_EQUAL, "k", 0, "")));
	ck_assert(!TXN1(CMP(EL_CMP_VALUE, EL_CMP_NOT_EQUAL, "k", 0, "x")));
	ck_assert_int_eq(apply(&g, &resp), 0);
	el_response_close(&resp);
	PUT("k", "a");                                  /* rev 2 */
	ck_assert_int_eq(apply(&p, &resp), 0);          /* rev 3, version 2, lease 77 */
	el_response_close(&resp);
	ck_assert(TXN1(CMP(EL_CMP_VERSION, EL_CMP_EQUAL, "k", 2, NULL)));
	ck_assert(TXN1(CMP(EL_CMP_VERSION, EL_CMP_GREATER, "k", 1, NULL)));
	ck_assert(!TXN1(CMP(EL_CMP_VERSION, EL_CMP_LESS, "k", 2, NULL)));
	ck_assert(TXN1(CMP(EL_CMP_VERSION, EL_CMP_NOT_EQUAL, "k", 3, NULL)));
	ck_assert(TXN1(CMP(EL_CMP_CREATE, EL_CMP_EQUAL, "k", 2, NULL)));
	ck_assert(TXN1(CMP(EL_CMP_MOD, EL_CMP_EQUAL, "k", 3, NULL)));
	ck_assert(TXN1(CMP(EL_CMP_MOD, EL_CMP_LESS, "k", 4, NULL)));
	ck_assert(!TXN1(CMP(EL_CMP_MOD, EL_CMP_GREATER, "k", 3, NULL)));
	ck_assert(TXN1(CMP(EL_CMP_LEASE, EL_CMP_EQUAL, "k", 77, NULL)));
	ck_assert(TXN1(CMP(EL_CMP_VALUE, EL_CMP_EQUAL, "k", 0, "m")));
	ck_assert(TXN1(CMP(EL_CMP_VALUE, EL_CMP_GREATER, "k", 0, "a")));
	ck_assert(TXN1(CMP(EL_CMP_VALUE, EL_CMP_LESS, "k", 0, "n")));
	ck_assert(!TXN1(CMP(EL_CMP_VALUE, EL_CMP_NOT_EQUAL, "k", 0, "m")));
	ck_assert_int_eq(el_store_revision(st), 3); /* read-only txns make no revision */
}
END_TEST

START_TEST(test_txn_range_compare)
{
	struct el_compare c = {EL_CMP_VERSION, EL_CMP_EQUAL, S("p/"), S("p0"), 1, {0}};

	PUT("p/a", "");
	PUT("p/b", "");
	ck_assert(TXN1(c));
	PUT("p/b", "");
	ck_assert(!TXN1(c)); /* every key of the range must match */
	c.range_end = ALL;
	c.result = EL_CMP_GREATER;
	c.number = 0;
	ck_assert(TXN1(c));
}
END_TEST

START_TEST(test_txn_one_revision_and_reads_see_writes)
{
	struct el_op ops[4] = {
		{.type = EL_OP_PUT, .u.put = {.key = S("a"), .value = S("1")}},
		{.type = EL_OP_PUT, .u.put = {.key = S("b"), .value = S("2")}},
		{.type = EL_OP_DELETE, .u.del = {.key = S("old")}},
		{.type = EL_OP_RANGE, .u.range = {.key = S("a"), .range_end = S("c")}},
	};
	struct el_compare c = CMP(EL_CMP_VERSION, EL_CMP_EQUAL, "a", 0, NULL);
	struct el_request r = {.type = EL_REQ_TXN};
	struct el_response resp;

	PUT("old", "x");
	r.u.txn = (struct el_txn_req){&c, 1, 4, 0, ops, NULL};
	ck_assert_int_eq(apply(&r, &resp), 0);
	ck_assert(resp.u.txn.succeeded);
	ck_assert_int_eq(resp.revision, 3);
	ck_assert_int_eq(resp.u.txn.responses[2].u.del.deleted, 1);
	ck_assert_int_eq(resp.u.txn.responses[3].u.range.count, 2);
	ck_assert_int_eq(resp.u.txn.responses[3].u.range.kvs[1].mod_revision, 3);
	el_response_close(&resp);
	ck_assert_int_eq(el_store_revision(st), 3);
	/* failure branch taken now: nothing written, no revision */
	ck_assert_int_eq(apply(&r, &resp), 0);
	ck_assert(!resp.u.txn.succeeded);
	ck_assert_int_eq(resp.revision, 3);
	el_response_close(&resp);
}
END_TEST

START_TEST(test_txn_duplicate_key_and_atomic_errors)
{
	struct el_op dup[2] = {
		{.type = EL_OP_PUT, .u.put = {.key = S("a"), .value = S("1")}},
		{.type = EL_OP_PUT, .u.put = {.key = S("a"), .value = S("2")}},
	};
	struct el_op putdel[2] = {
		{.type = EL_OP_DELETE, .u.del = {.key = S("a"), .range_end = S("b")}},
		{.type = EL_OP_PUT, .u.put = {.key = S("a/x"), .value = S("2")}},
	};
	struct el_op nested_ok[1] = {{.type = EL_OP_TXN}};
	struct el_op badlease[2] = {
		{.type = EL_OP_PUT, .u.put = {.key = S("x"), .value = S("1")}},
		{.type = EL_OP_PUT, .u.put = {.key = S("y"), .value = S("1"), .lease = 9}},
	};
	struct el_request r = {.type = EL_REQ_TXN};
	struct el_response resp;

	r.u.txn = (struct el_txn_req){.nsuccess = 2, .success = dup};
	ck_assert_int_eq(apply(&r, &resp), -EL_EDUPKEY);
	el_response_close(&resp);
	r.u.txn = (struct el_txn_req){.nsuccess = 2, .success = putdel};
	ck_assert_int_eq(apply(&r, &resp), -EL_EDUPKEY);
	el_response_close(&resp);
	/* the same key in the two branches of a nested txn is fine */
	nested_ok[0].u.txn = (struct el_txn_req){.nsuccess = 1, .success = dup, .nfailure = 1,
						 .failure = dup + 1};
	r.u.txn = (struct el_txn_req){.nsuccess = 1, .success = nested_ok};
	ck_assert_int_eq(apply(&r, &resp), 0);
	el_response_close(&resp);
	ck_assert_int_eq(el_store_revision(st), 2);
	/* an invalid op later in the txn: nothing of it applied */
	r.u.txn = (struct el_txn_req){.nsuccess = 2, .success = badlease};
	ck_assert_int_eq(apply(&r, &resp), -EL_ELEASENOTFOUND);
	el_response_close(&resp);
	ck_assert_int_eq(el_store_revision(st), 2);
	KEYS((struct el_range_req){.key = S("x")}, "");
}
END_TEST

START_TEST(test_txn_too_many_ops)
{
	static struct el_op ops[EL_MAX_TXN_OPS + 1];
	struct el_request r = {.type = EL_REQ_TXN};
	struct el_response resp;

	for (int i = 0; i <= EL_MAX_TXN_OPS; i++)
		ops[i] = (struct el_op){.type = EL_OP_RANGE, .u.range = {.key = S("k")}};
	r.u.txn = (struct el_txn_req){.nsuccess = EL_MAX_TXN_OPS + 1, .success = ops};
	ck_assert_int_eq(apply(&r, &resp), -EL_ETOOMANYOPS);
	el_response_close(&resp);
}
END_TEST

/* etcd 3.4: a store never compacted takes one compaction at 0; then 0 is compacted. */
START_TEST(test_compaction_at_zero_once)
{
	struct el_request c = {.type = EL_REQ_COMPACTION};
	struct el_response resp;

	c.u.compaction.revision = -1;
	ck_assert_int_eq(apply(&c, &resp), -CM_ECOMPACTED);
	el_response_close(&resp);
	c.u.compaction.revision = 0;
	ck_assert_int_eq(apply(&c, &resp), 0);
	ck_assert_int_eq(resp.revision, 1);
	el_response_close(&resp);
	ck_assert_int_eq(el_store_compact_revision(st), 0);
	ck_assert_int_eq(apply(&c, &resp), -CM_ECOMPACTED);
	el_response_close(&resp);
	ck_assert_int_eq(PUT("a", "1"), 2);
	KEYS((struct el_range_req){.key = ALL, .range_end = ALL, .revision = 1}, "");
	c.u.compaction.revision = 1;
	ck_assert_int_eq(apply(&c, &resp), 0);
	el_response_close(&resp);
}
END_TEST

START_TEST(test_hash_kv)
{
	struct el_request c = {.type = EL_REQ_COMPACTION};
	struct el_response resp;
	uint32_t h2, h3, h, other;
	int64_t crev = 7;

	ck_assert_int_eq(el_store_hash_kv(st, 0, &h, &crev), 0);
	ck_assert_int_eq(crev, -1); /* as etcd: never compacted */
	PUT("a", "1"); /* 2 */
	ck_assert_int_eq(el_store_hash_kv(st, 0, &h2, &crev), 0);
	PUT("b", "1"); /* 3 */
	ck_assert_int_eq(el_store_hash_kv(st, 3, &h3, &crev), 0);
	ck_assert_uint_ne(h2, h3);
	/* a revision's hash does not change with later writes */
	PUT("a", "2"); /* 4 */
	ck_assert_int_eq(el_store_hash_kv(st, 2, &h, &crev), 0);
	ck_assert_uint_eq(h, h2);
	ck_assert_int_eq(el_store_hash_kv(st, 5, &h, &crev), -CM_EFUTUREREV);
	/* the same keys with another value hash differently */
	{
		struct el_store *o;

		ck_assert_int_eq(el_store_new(NULL, &o), 0);
		struct el_request p = {.type = EL_REQ_PUT, .u.put = {.key = {"a", 1}, .value = {"9", 1}}};
		el_response_init(&resp);
		ck_assert_int_eq(el_store_apply(o, &p, 0, &resp), 0);
		el_response_close(&resp);
		ck_assert_int_eq(el_store_hash_kv(o, 2, &other, &crev), 0);
		ck_assert_uint_ne(other, h2);
		el_store_free(o);
	}
	c.u.compaction.revision = 3;
	ck_assert_int_eq(apply(&c, &resp), 0);
	el_response_close(&resp);
	ck_assert_int_eq(el_store_hash_kv(st, 3, &h, &crev), -CM_ECOMPACTED);
	ck_assert_int_eq(el_store_hash_kv(st, 4, &h, &crev), 0);
	ck_assert_int_eq(crev, 3);
}
END_TEST

START_TEST(test_compaction)
{
	struct el_request c = {.type = EL_REQ_COMPACTION};
	struct el_response resp;
	struct el_store_stats s;

	PUT("a", "1"); /* 2 */
	PUT("a", "2"); /* 3 */
	PUT("b", "1"); /* 4 */
	DEL("b", (struct el_bytes){0}, 1); /* 5 */
	PUT("a", "3"); /* 6 */
	c.u.compaction.revision = 7;
	ck_assert_int_eq(apply(&c, &resp), -CM_EFUTUREREV);
	el_response_close(&resp);
	c.u.compaction.revision = 5;
	ck_assert_int_eq(apply(&c, &resp), 0);
	ck_assert_int_eq(resp.revision, 6);
	el_response_close(&resp);
	ck_assert_int_eq(el_store_compact_revision(st), 5);
	ck_assert_int_eq(apply(&c, &resp), -CM_ECOMPACTED);
	el_response_close(&resp);
	KEYS((struct el_range_req){.key = ALL, .range_end = ALL, .revision = 5}, "a");
	KEYS((struct el_range_req){.key = ALL, .range_end = ALL}, "a");
	{
		struct el_response r2;
		char got[32];

		ck_assert_int_eq(RANGE((struct el_range_req){.key = S("a"), .revision = 4}, &r2, got,
				       sizeof(got)), -CM_ECOMPACTED);
		el_response_close(&r2);
	}
	el_store_stats(st, &s);
	/* a@3 (visible at 5), a@6, b's tombstone at 5 (kept for watchers starting at 5) */
	ck_assert_uint_eq(s.revisions, 3);
	c.u.compaction.revision = 6;
	ck_assert_int_eq(apply(&c, &resp), 0);
	el_response_close(&resp);
	el_store_stats(st, &s);
	ck_assert_uint_eq(s.revisions, 1);
	ck_assert_uint_eq(s.keys, 1);
	PUT("b", "new");
	KEYS((struct el_range_req){.key = ALL, .range_end = ALL}, "a,b");
}
END_TEST

START_TEST(test_many_keys_random_order)
{
	struct el_store_stats s;
	struct el_response resp;
	char got[64];
	uint64_t x = 12345;

	for (int i = 0; i < 100000; i++) {
		char k[48];

		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		snprintf(k, sizeof(k), "/registry/pods/ns/%016llx", (unsigned long long)x);
		PUT(k, "value-of-a-pod");
	}
	el_store_stats(st, &s);
	ck_assert_uint_eq(s.live_keys, 100000);
	ck_assert_int_eq(RANGE((struct el_range_req){.key = S("/registry/pods/"),
						     .range_end = S("/registry/pods0"), .limit = 2},
			       &resp, got, sizeof(got)), 0);
	ck_assert_int_eq(resp.u.range.count, 100000);
	ck_assert(memcmp(resp.u.range.kvs[0].key, resp.u.range.kvs[1].key, 32) < 0);
	el_response_close(&resp);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("el_mvcc");
	TCase *tc = tcase_create("mvcc");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 20);
	tcase_add_test(tc, test_fresh_store_is_revision_1);
	tcase_add_test(tc, test_versions_and_revisions);
	tcase_add_test(tc, test_range_end_semantics);
	tcase_add_test(tc, test_limit_more_count);
	tcase_add_test(tc, test_sort);
	tcase_add_test(tc, test_put_options);
	tcase_add_test(tc, test_delete_range_and_prev_kv);
	tcase_add_test(tc, test_txn_compares);
	tcase_add_test(tc, test_txn_range_compare);
	tcase_add_test(tc, test_txn_one_revision_and_reads_see_writes);
	tcase_add_test(tc, test_txn_duplicate_key_and_atomic_errors);
	tcase_add_test(tc, test_txn_too_many_ops);
	tcase_add_test(tc, test_compaction_at_zero_once);
	tcase_add_test(tc, test_hash_kv);
	tcase_add_test(tc, test_compaction);
	tcase_add_test(tc, test_many_keys_random_order);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return check_run(suite());
}
