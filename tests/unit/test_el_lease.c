/* test_el_lease.c: leases: grant, attach, revoke as one revision, expiry, keepalive, timetolive, checkpoint. */
#include <check.h>
#include <errno.h>
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

static int do_req(struct el_request *r, int64_t now, struct el_response *resp)
{
	el_response_init(resp);
	return el_store_apply(st, r, now, resp);
}

static int64_t GRANT(int64_t id, int64_t ttl, int64_t now, int64_t *granted_ttl)
{
	struct el_request r = {.type = EL_REQ_LEASE_GRANT, .u.lease_grant = {id, ttl}};
	struct el_response resp;

	ck_assert_int_eq(do_req(&r, now, &resp), 0);
	if (granted_ttl)
		*granted_ttl = resp.u.lease_grant.ttl;
	id = resp.u.lease_grant.id;
	el_response_close(&resp);
	return id;
}

static int REVOKE(int64_t id)
{
	struct el_request r = {.type = EL_REQ_LEASE_REVOKE, .u.lease_revoke = {id}};
	struct el_response resp;
	int rc = do_req(&r, 0, &resp);

	el_response_close(&resp);
	return rc;
}

static int PUTL(const char *k, int64_t lease)
{
	struct el_request r = {.type = EL_REQ_PUT, .u.put = {.key = S(k), .value = S("v"), .lease = lease}};
	struct el_response resp;
	int rc = do_req(&r, 0, &resp);

	el_response_close(&resp);
	return rc;
}

static int64_t COUNT(void)
{
	struct el_request r = {.type = EL_REQ_RANGE,
			       .u.range = {.key = {"\0", 1}, .range_end = {"\0", 1}, .count_only = true}};
	struct el_response resp;
	int64_t n;

	ck_assert_int_eq(do_req(&r, 0, &resp), 0);
	n = resp.u.range.count;
	el_response_close(&resp);
	return n;
}

START_TEST(test_grant_ids_and_ttl)
{
	int64_t ttl, id1, id2;
	struct el_request r = {.type = EL_REQ_LEASE_GRANT, .u.lease_grant = {42, 10}};
	struct el_response resp;

	ck_assert_int_eq(GRANT(42, 10, 0, &ttl), 42);
	ck_assert_int_eq(ttl, 10);
	ck_assert_int_eq(do_req(&r, 0, &resp), -EL_ELEASEEXISTS);
	el_response_close(&resp);
	r.u.lease_grant = (struct el_lease_grant_req){43, EL_MAX_LEASE_TTL + 1};
	ck_assert_int_eq(do_req(&r, 0, &resp), -EL_ETTLTOOLARGE);
	el_response_close(&resp);
	GRANT(44, 1, 0, &ttl);
	ck_assert_int_eq(ttl, 2); /* raised to the minimum TTL, as etcd */
	id1 = GRANT(0, 10, 0, NULL);
	id2 = GRANT(0, 10, 0, NULL);
	ck_assert_int_gt(id1, 0);
	ck_assert_int_gt(id2, 0);
	ck_assert_int_ne(id1, id2);
	ck_assert_int_eq(el_store_revision(st), 1); /* grants make no revision */
	{
		/* another store given the same requests picks the same ids */
		struct el_store *st2;
		struct el_request g = {.type = EL_REQ_LEASE_GRANT, .u.lease_grant = {0, 10}};
		struct el_response r2;

		ck_assert_int_eq(el_store_new(NULL, &st2), 0);
		el_response_init(&r2);
		ck_assert_int_eq(el_store_apply(st2, &g, 0, &r2), 0);
		ck_assert_int_eq(r2.u.lease_grant.id, id1);
		el_response_close(&r2);
		el_store_free(st2);
	}
}
END_TEST

START_TEST(test_revoke_deletes_keys_in_one_revision)
{
	int64_t id = GRANT(7, 60, 0, NULL);
	struct el_lease_ttl t;

	ck_assert_int_eq(PUTL("c", id), 0);
	ck_assert_int_eq(PUTL("a", id), 0);
	ck_assert_int_eq(PUTL("b", id), 0);
	ck_assert_int_eq(PUTL("free", 0), 0);
	ck_assert_int_eq(PUTL("b", 0), 0); /* b leaves the lease */
	ck_assert_int_eq(el_lease_timetolive(st, id, true, 0, &t), 0);
	ck_assert_int_eq(t.nkeys, 2);
	ck_assert(t.keys[0].len == 1 && t.keys[0].data[0] == 'a');
	ck_assert(t.keys[1].len == 1 && t.keys[1].data[0] == 'c');
	ck_assert_int_eq(t.granted_ttl, 60);
	ck_assert_int_eq(t.ttl, 60);
	el_lease_ttl_close(&t);
	ck_assert_int_eq(el_store_revision(st), 6);
	ck_assert_int_eq(REVOKE(id), 0);
	ck_assert_int_eq(el_store_revision(st), 7);
	ck_assert_int_eq(COUNT(), 2); /* b and free */
	ck_assert_int_eq(REVOKE(id), -EL_ELEASENOTFOUND);
	ck_assert_int_eq(PUTL("x", id), -EL_ELEASENOTFOUND);
	ck_assert_int_eq(el_lease_timetolive(st, id, true, 0, &t), 0);
	ck_assert_int_eq(t.ttl, -1);
	/* a lease with no keys: revoking makes no revision */
	id = GRANT(8, 60, 0, NULL);
	ck_assert_int_eq(REVOKE(id), 0);
	ck_assert_int_eq(el_store_revision(st), 7);
}
END_TEST

START_TEST(test_delete_detaches)
{
	int64_t id = GRANT(7, 60, 0, NULL);
	struct el_request d = {.type = EL_REQ_DELETE, .u.del = {.key = S("a")}};
	struct el_response resp;
	struct el_lease_ttl t;

	ck_assert_int_eq(PUTL("a", id), 0);
	ck_assert_int_eq(do_req(&d, 0, &resp), 0);
	el_response_close(&resp);
	ck_assert_int_eq(PUTL("a", 0), 0);
	ck_assert_int_eq(el_lease_timetolive(st, id, true, 0, &t), 0);
	ck_assert_int_eq(t.nkeys, 0);
	ck_assert_int_eq(REVOKE(id), 0);
	ck_assert_int_eq(COUNT(), 1); /* the new a is not on the lease */
}
END_TEST

START_TEST(test_expiry_and_keepalive)
{
	int64_t ids[4], ttl;

	GRANT(1, 10, 1000, NULL); /* expires at 11000 */
	GRANT(2, 5, 1000, NULL);  /* 6000 */
	GRANT(3, 20, 1000, NULL); /* 21000 */
	ck_assert_uint_eq(el_lease_expired(st, 5999, ids, 4), 0);
	ck_assert_uint_eq(el_lease_expired(st, 12000, ids, 4), 2);
	ck_assert_int_eq(ids[0], 2); /* soonest first */
	ck_assert_int_eq(ids[1], 1);
	ck_assert_uint_eq(el_lease_expired(st, 30000, ids, 1), 1);
	ck_assert_int_eq(ids[0], 2);
	ck_assert_int_eq(el_lease_keepalive(st, 1, 10000, &ttl), 0);
	ck_assert_int_eq(ttl, 10);
	ck_assert_uint_eq(el_lease_expired(st, 12000, ids, 4), 1);
	ck_assert_int_eq(el_lease_keepalive(st, 99, 0, &ttl), -EL_ELEASENOTFOUND);
	{
		struct el_lease_ttl t;

		ck_assert_int_eq(el_lease_timetolive(st, 1, false, 15500, &t), 0);
		ck_assert_int_eq(t.ttl, 4); /* 4.5 s left: whole seconds, as etcd */
		ck_assert_int_eq(el_lease_timetolive(st, 2, false, 15500, &t), 0);
		ck_assert_int_eq(t.ttl, 0);
	}
	ck_assert_uint_eq(el_lease_list(st, ids, 4), 3);
	ck_assert(ids[0] == 1 && ids[1] == 2 && ids[2] == 3);
}
END_TEST

START_TEST(test_checkpoint_and_promote)
{
	struct el_lease_checkpoint cp = {1, 3};
	struct el_request r = {.type = EL_REQ_LEASE_CHECKPOINT, .u.lease_checkpoint = {&cp, 1}};
	struct el_response resp;
	int64_t ids[2];

	GRANT(1, 100, 0, NULL);
	ck_assert_int_eq(do_req(&r, 0, &resp), 0);
	el_response_close(&resp);
	el_lease_promote(st, 50000);
	ck_assert_uint_eq(el_lease_expired(st, 52999, ids, 2), 0);
	ck_assert_uint_eq(el_lease_expired(st, 53000, ids, 2), 1);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("el_lease");
	TCase *tc = tcase_create("lease");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_grant_ids_and_ttl);
	tcase_add_test(tc, test_revoke_deletes_keys_in_one_revision);
	tcase_add_test(tc, test_delete_detaches);
	tcase_add_test(tc, test_expiry_and_keepalive);
	tcase_add_test(tc, test_checkpoint_and_promote);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return check_run(suite());
}
