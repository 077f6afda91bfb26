/* test_el_watch.c: the watch hub: live order, catch-up, compacted watch, prev_kv, filters, cancel. */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/err.h"
#include "etcdlite/mvcc.h"
#include "etcdlite/watch.h"
#include "tests/lib/check_run.h"

static struct el_store *st;
static struct el_watch_hub *hub;

static void setup(void)
{
	ck_assert_int_eq(el_store_new(NULL, &st), 0);
	ck_assert_int_eq(el_watch_hub_new(st, &hub), 0);
}

static void teardown(void)
{
	el_watch_hub_free(hub);
	el_store_free(st);
}

static struct el_bytes S(const char *s)
{
	return (struct el_bytes){s, (uint32_t)strlen(s)};
}

/* A recorder renders each batch as "[P k=v@rev prev=v ...]" so tests compare strings. */
struct rec {
	struct cm_buf log;
	int batches;
	bool canceled;
	int64_t compact_rev;
	int64_t cancel_self; /* if >= 0, cancel this watch on first batch */
};

static int count_events(struct rec *r)
{
	int n = 0;

	for (const char *p = r->log.data; p && (p = strstr(p, "P ")); p++)
		n++;
	return n;
}

static void on_batch(void *arg, const struct el_watch_batch *b)
{
	struct rec *r = arg;

	r->batches++;
	if (b->canceled) {
		r->canceled = true;
		r->compact_rev = b->compact_revision;
		return;
	}
	cm_buf_putc(&r->log, '[');
	for (size_t i = 0; i < b->nevents; i++) {
		const struct el_event *e = &b->events[i];

		cm_buf_printf(&r->log, "%s%c %.*s", i ? " " : "", e->type == EL_EVENT_PUT ? 'P' : 'D',
			      (int)e->kv.klen, e->kv.key);
		if (e->type == EL_EVENT_PUT)
			cm_buf_printf(&r->log, "=%.*s", (int)e->kv.vlen, e->kv.value);
		cm_buf_printf(&r->log, "@%lld", (long long)e->kv.mod_revision);
		if (e->has_prev_kv)
			cm_buf_printf(&r->log, " prev=%.*s", (int)e->prev_kv.vlen, e->prev_kv.value);
	}
	cm_buf_putc(&r->log, ']');
	if (r->cancel_self >= 0) {
		ck_assert_int_eq(el_watch_cancel(hub, r->cancel_self), 0);
		r->cancel_self = -1;
	}
}

static const char *LOG(struct rec *r)
{
	return r->log.data ? r->log.data : "";
}

static void apply(struct el_request *req)
{
	struct el_response resp;

	el_response_init(&resp);
	ck_assert_int_eq(el_store_apply(st, req, 0, &resp), 0);
	el_response_close(&resp);
}

static void PUT(const char *k, const char *v)
{
	struct el_request r = {.type = EL_REQ_PUT, .u.put = {.key = S(k), .value = S(v)}};

	apply(&r);
}

static void DEL(const char *k, const char *end)
{
	struct el_request r = {.type = EL_REQ_DELETE, .u.del = {.key = S(k), .range_end = S(end)}};

	apply(&r);
}

static int64_t WATCH(struct el_watch_opts o, struct rec *r)
{
	int64_t id;

	cm_buf_init(&r->log);
	r->cancel_self = -1;
	ck_assert_int_eq(el_watch_create(hub, &o, on_batch, r, &id), 0);
	return id;
}

START_TEST(test_live_events_in_order_one_batch_per_revision)
{
	struct rec a = {0}, b = {0};
	struct el_op ops[2] = {
		{.type = EL_OP_PUT, .u.put = {.key = S("p/2"), .value = S("x")}},
		{.type = EL_OP_PUT, .u.put = {.key = S("p/1"), .value = S("y")}},
	};
	struct el_request txn = {.type = EL_REQ_TXN, .u.txn = {.nsuccess = 2, .success = ops}};

	WATCH((struct el_watch_opts){.key = S("p/"), .range_end = S("p0")}, &a);
	WATCH((struct el_watch_opts){.key = S("p/1")}, &b);
	ck_assert_int_eq(el_watch_hub_sync(hub, 0), 0);
	PUT("p/1", "a");
	PUT("q", "no");
	ck_assert_int_eq(el_watch_hub_sync(hub, 0), 0);
	apply(&txn);
	DEL("p/", "p0");
	el_watch_hub_sync(hub, 0);
	ck_assert_str_eq(LOG(&a), "[P p/1=a@2][P p/2=x@4 P p/1=y@4][D p/1@5 D p/2@5]");
	ck_assert_str_eq(LOG(&b), "[P p/1=a@2][P p/1=y@4][D p/1@5]");
	ck_assert_int_eq(el_watch_hub_progress_revision(hub), 5);
	cm_buf_close(&a.log);
	cm_buf_close(&b.log);
}
END_TEST

START_TEST(test_catch_up_from_old_revision)
{
	struct rec a = {0}, all = {0};

	PUT("k", "1"); /* 2 */
	PUT("x", "1"); /* 3 */
	PUT("k", "2"); /* 4 */
	WATCH((struct el_watch_opts){.key = S("k"), .start_revision = 3, .prev_kv = true}, &a);
	WATCH((struct el_watch_opts){.key = {"\0", 1}, .range_end = {"\0", 1}, .start_revision = 1}, &all);
	PUT("k", "3"); /* 5: applied before the watcher synced, must come once, in order */
	ck_assert_int_eq(el_watch_hub_sync(hub, 0), 0);
	PUT("k", "4");
	el_watch_hub_sync(hub, 0);
	/* History comes as one batch of many revisions (as etcd sends it), live ones one by one. */
	ck_assert_str_eq(LOG(&a), "[P k=2@4 prev=1 P k=3@5 prev=2][P k=4@6 prev=3]");
	ck_assert_str_eq(LOG(&all), "[P k=1@2 P x=1@3 P k=2@4 P k=3@5][P k=4@6]");
	cm_buf_close(&a.log);
	cm_buf_close(&all.log);
}
END_TEST

START_TEST(test_catch_up_in_steps)
{
	struct rec a = {0};

	for (int i = 0; i < 10; i++)
		PUT("k", "v");
	WATCH((struct el_watch_opts){.key = S("k"), .start_revision = 2}, &a);
	ck_assert_int_eq(el_watch_hub_sync(hub, 4), 1);
	ck_assert_int_eq(a.batches, 1); /* four revisions in one batch */
	PUT("k", "w");
	ck_assert_int_eq(el_watch_hub_sync(hub, 4), 1);
	ck_assert_int_eq(el_watch_hub_sync(hub, 4), 0);
	ck_assert_int_eq(a.batches, 3); /* 11 events in batches of 4, 4, 3 */
	ck_assert(strstr(LOG(&a), "P k=w@12]") != NULL);
	cm_buf_close(&a.log);
}
END_TEST

START_TEST(test_compacted_watch_canceled)
{
	struct rec a = {0}, ok = {0};
	struct el_request c = {.type = EL_REQ_COMPACTION, .u.compaction = {4}};

	PUT("k", "1");
	PUT("k", "2");
	PUT("k", "3"); /* 4 */
	apply(&c);
	WATCH((struct el_watch_opts){.key = S("k"), .start_revision = 3}, &a);
	WATCH((struct el_watch_opts){.key = S("k"), .start_revision = 4}, &ok);
	el_watch_hub_sync(hub, 0);
	ck_assert(a.canceled);
	ck_assert_int_eq(a.compact_rev, 4);
	ck_assert_uint_eq(el_watch_hub_count(hub), 1);
	ck_assert_str_eq(LOG(&ok), "[P k=3@4]");
	cm_buf_close(&a.log);
	cm_buf_close(&ok.log);
}
END_TEST

START_TEST(test_filters_and_prev_kv_on_delete)
{
	struct rec noput = {0}, nodel = {0};

	PUT("k", "1");
	WATCH((struct el_watch_opts){.key = S("k"), .no_put = true, .prev_kv = true}, &noput);
	WATCH((struct el_watch_opts){.key = S("k"), .no_delete = true}, &nodel);
	PUT("k", "2");
	DEL("k", "");
	PUT("k", "3");
	el_watch_hub_sync(hub, 0);
	ck_assert_str_eq(LOG(&noput), "[D k@4 prev=2]");
	ck_assert_str_eq(LOG(&nodel), "[P k=2@3 P k=3@5]");
	cm_buf_close(&noput.log);
	cm_buf_close(&nodel.log);
}
END_TEST

START_TEST(test_cancel)
{
	struct rec a = {0}, self = {0};
	int64_t id = WATCH((struct el_watch_opts){.key = S("k")}, &a);
	int64_t id2 = WATCH((struct el_watch_opts){.key = S("k")}, &self);

	self.cancel_self = id2;
	ck_assert_int_ne(id, id2);
	el_watch_hub_sync(hub, 0);
	ck_assert_int_eq(el_watch_cancel(hub, id), 0);
	ck_assert_int_eq(el_watch_cancel(hub, id), -ENOENT);
	PUT("k", "1");
	PUT("k", "2");
	el_watch_hub_sync(hub, 0);
	ck_assert_str_eq(LOG(&a), "");
	ck_assert_str_eq(LOG(&self), "[P k=1@2]"); /* cancelled itself in its callback */
	ck_assert_uint_eq(el_watch_hub_count(hub), 0);
	cm_buf_close(&self.log);
}
END_TEST

START_TEST(test_restore_resyncs_watchers)
{
	struct rec a = {0};
	struct cm_buf snap = CM_BUF_INIT;

	PUT("k", "1");
	ck_assert_int_eq(el_store_snapshot(st, &snap), 0);
	WATCH((struct el_watch_opts){.key = S("k")}, &a);
	el_watch_hub_sync(hub, 0);
	PUT("k", "2"); /* 3, lost by the restore below */
	ck_assert_int_eq(el_store_restore(st, snap.data, snap.len, 0), 0);
	PUT("k", "3"); /* 3 again, in the restored history */
	el_watch_hub_sync(hub, 0);
	ck_assert_str_eq(LOG(&a), "[P k=3@3]");
	cm_buf_close(&a.log);
	cm_buf_close(&snap);
}
END_TEST

START_TEST(test_many_prefix_watchers)
{
	static struct rec r[200];

	for (int i = 0; i < 200; i++) {
		char *p = malloc(16);

		snprintf(p, 16, "/r/%03d/", i);
		WATCH((struct el_watch_opts){.key = S(p), .range_end = S("/r0")}, &r[i]);
		free(p); /* the hub copies the key */
	}
	for (int i = 0; i < 2000; i++) {
		char k[32];

		snprintf(k, sizeof(k), "/r/%03d/x", i % 200);
		PUT(k, "v");
	}
	el_watch_hub_sync(hub, 0);
	/* Written before the first sync: history, in batches of up to 1000 revisions. */
	ck_assert_int_eq(r[0].batches, 2);
	ck_assert_int_eq(count_events(&r[0]), 2000);
	ck_assert_int_eq(count_events(&r[199]), 10);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("el_watch");
	TCase *tc = tcase_create("watch");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_live_events_in_order_one_batch_per_revision);
	tcase_add_test(tc, test_catch_up_from_old_revision);
	tcase_add_test(tc, test_catch_up_in_steps);
	tcase_add_test(tc, test_compacted_watch_canceled);
	tcase_add_test(tc, test_filters_and_prev_kv_on_delete);
	tcase_add_test(tc, test_cancel);
	tcase_add_test(tc, test_restore_resyncs_watchers);
	tcase_add_test(tc, test_many_prefix_watchers);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return check_run(suite());
}
