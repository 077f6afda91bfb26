/* test_cm_workqueue.c: de-duplication, one worker per key, delays and back-off of the work queue. */
#include <check.h>
#include <errno.h>
#include <string.h>

#include "common/workqueue.h"
#include "tests/lib/check_run.h"

static int64_t fake_now;
static int64_t clock_fn(void *ud)
{
	(void)ud;
	return fake_now;
}

static struct cm_workqueue *q;

static void setup(void)
{
	struct cm_workqueue_opts o = {.base_delay_ms = 10, .max_delay_ms = 80, .now_ms = clock_fn};
	fake_now = 1000;
	ck_assert_int_eq(cm_workqueue_new(NULL, &o, NULL, NULL, &q), 0);
}

static void teardown(void)
{
	cm_workqueue_free(q);
}

/* GET(k): the next key is k. */
#define GET(k)                                                  \
	do {                                                    \
		const char *got_;                               \
		ck_assert_int_eq(cm_workqueue_get(q, &got_), 0); \
		ck_assert_str_eq(got_, (k));                    \
	} while (0)
#define GET_NONE()                                                   \
	do {                                                         \
		const char *got_;                                    \
		ck_assert_int_eq(cm_workqueue_get(q, &got_), -EAGAIN); \
	} while (0)

START_TEST(keys_come_out_in_order_once)
{
	cm_workqueue_add(q, "a");
	cm_workqueue_add(q, "b");
	cm_workqueue_add(q, "a");
	ck_assert_uint_eq(cm_workqueue_len(q), 2);
	GET("a");
	GET("b");
	GET_NONE();
}
END_TEST

START_TEST(key_in_process_is_not_handed_out_again)
{
	cm_workqueue_add(q, "a");
	GET("a");
	cm_workqueue_add(q, "a");
	cm_workqueue_add(q, "a");
	GET_NONE(); /* still in process */
	cm_workqueue_done(q, "a", 0);
	GET("a"); /* dirty: queued again, once */
	cm_workqueue_done(q, "a", 0);
	GET_NONE();
	ck_assert_uint_eq(cm_workqueue_size(q), 0);
}
END_TEST

START_TEST(failure_backs_off_exponentially_and_caps)
{
	int64_t expect[] = {10, 20, 40, 80, 80};

	cm_workqueue_add(q, "a");
	for (int i = 0; i < 5; i++) {
		GET("a");
		cm_workqueue_done(q, "a", -EIO);
		ck_assert_int_eq(cm_workqueue_failures(q, "a"), i + 1);
		fake_now += expect[i] - 1;
		cm_workqueue_tick(q);
		GET_NONE();
		fake_now += 1;
		cm_workqueue_tick(q);
	}
	GET("a");
	cm_workqueue_done(q, "a", 0);
	ck_assert_int_eq(cm_workqueue_failures(q, "a"), 0);
	ck_assert_uint_eq(cm_workqueue_size(q), 0);
}
END_TEST

START_TEST(add_after_waits_and_earlier_add_wins)
{
	cm_workqueue_add_after(q, "a", 50);
	cm_workqueue_tick(q);
	GET_NONE();
	cm_workqueue_add(q, "a"); /* an event now: no need to wait */
	GET("a");
	cm_workqueue_done(q, "a", 0);
	fake_now += 100;
	cm_workqueue_tick(q);
	GET_NONE(); /* the delayed add was absorbed */
	cm_workqueue_add_after(q, "b", 50);
	cm_workqueue_add_after(q, "b", 20);
	fake_now += 20;
	cm_workqueue_tick(q);
	GET("b");
}
END_TEST

START_TEST(forget_resets_backoff)
{
	cm_workqueue_add_rate_limited(q, "a");
	cm_workqueue_add_rate_limited(q, "a");
	ck_assert_int_eq(cm_workqueue_failures(q, "a"), 2);
	cm_workqueue_forget(q, "a");
	ck_assert_int_eq(cm_workqueue_failures(q, "a"), 0);
}
END_TEST

/* Loop mode: process() is called by the queue, at most `workers` keys at once. */
static int in_flight, max_in_flight, processed;
static const char *pending[8];
static int npending;

static void process(struct cm_workqueue *wq, const char *key, void *ud)
{
	(void)wq;
	(void)ud;
	in_flight++;
	processed++;
	if (in_flight > max_in_flight)
		max_in_flight = in_flight;
	pending[npending++] = key; /* finished later, as an HTTP reply would */
}

START_TEST(loop_mode_limits_workers)
{
	uv_loop_t loop;
	struct cm_workqueue *lq;
	struct cm_workqueue_opts o = {.workers = 2};

	uv_loop_init(&loop);
	ck_assert_int_eq(cm_workqueue_new(&loop, &o, process, NULL, &lq), 0);
	cm_workqueue_add(lq, "a");
	cm_workqueue_add(lq, "b");
	cm_workqueue_add(lq, "c");
	uv_run(&loop, UV_RUN_NOWAIT);
	ck_assert_int_eq(processed, 2);
	cm_workqueue_add(lq, "a"); /* in process: waits for done */
	while (npending) {
		const char *k = pending[--npending];
		in_flight--;
		cm_workqueue_done(lq, k, 0);
		uv_run(&loop, UV_RUN_NOWAIT);
	}
	ck_assert_int_eq(processed, 4); /* a, b, c, and a again */
	ck_assert_int_eq(max_in_flight, 2);
	cm_workqueue_free(lq);
	uv_run(&loop, UV_RUN_DEFAULT);
	ck_assert_int_eq(uv_loop_close(&loop), 0);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("workqueue");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, keys_come_out_in_order_once);
	tcase_add_test(tc, key_in_process_is_not_handed_out_again);
	tcase_add_test(tc, failure_backs_off_exponentially_and_caps);
	tcase_add_test(tc, add_after_waits_and_earlier_add_wins);
	tcase_add_test(tc, forget_resets_backoff);
	tcase_add_test(tc, loop_mode_limits_workers);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return check_run(suite());
}
