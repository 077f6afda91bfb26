/* test_kl_teardown.c: deleted pods' removals run off the loop, two at a time, in order, and a stop drops those not begun. */
#include <check.h>
#include <errno.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "kubelet/runtime/runtime.h"
#include "kubelet/teardown.h"
#include "tests/lib/check_run.h"

static atomic_int in_flight, most, removed;
static int sync_removed;
static uv_loop_t loop;
static struct kl_teardowns *t;

/* A removal that takes a few ms on a pool thread and notes how many ran at once. */
static int slow_remove(struct kl_runtime *rt, const char *uid)
{
	struct timespec ms5 = {0, 5 * 1000 * 1000};
	int now = atomic_fetch_add(&in_flight, 1) + 1, m = atomic_load(&most);

	(void)rt;
	(void)uid;
	while (now > m && !atomic_compare_exchange_weak(&most, &m, now))
		;
	nanosleep(&ms5, NULL);
	atomic_fetch_sub(&in_flight, 1);
	atomic_fetch_add(&removed, 1);
	return 0;
}

static int loop_remove(struct kl_runtime *rt, const char *uid)
{
	(void)rt;
	(void)uid;
	sync_removed++;
	return 0;
}

static const struct kl_runtime_ops threaded_ops = {.name = "t", .sandbox_remove = loop_remove,
						   .sandbox_remove_any_thread = slow_remove};
static const struct kl_runtime_ops loop_ops = {.name = "l", .sandbox_remove = loop_remove};
static struct kl_runtime threaded = {&threaded_ops, NULL}, on_loop = {&loop_ops, NULL};

struct seen {
	int n;
	int rc[16];
	int order[16];
};

static struct seen seen;

static void done(int rc, void *ud)
{
	seen.order[seen.n] = (int)(intptr_t)ud;
	seen.rc[seen.n++] = rc;
}

static void setup(void)
{
	memset(&seen, 0, sizeof(seen));
	atomic_store(&in_flight, 0);
	atomic_store(&most, 0);
	atomic_store(&removed, 0);
	sync_removed = 0;
	ck_assert_int_eq(uv_loop_init(&loop), 0);
	ck_assert_int_eq(kl_teardowns_new(&loop, &t), 0);
}

static void teardown(void)
{
	uv_run(&loop, UV_RUN_DEFAULT);
	ck_assert_int_eq(uv_loop_close(&loop), 0);
}

START_TEST(test_off_the_loop_two_at_a_time_in_order)
{
	char uid[16];

	for (int i = 0; i < 8; i++) {
		snprintf(uid, sizeof(uid), "uid-%d", i);
		ck_assert_int_eq(kl_teardown_start(t, &threaded, NULL, uid, done, (void *)(intptr_t)i), -EINPROGRESS);
	}
	ck_assert(kl_teardown_busy(t, "uid-0"));
	ck_assert(kl_teardown_busy(t, "uid-7"));
	ck_assert(!kl_teardown_busy(t, "uid-8"));
	ck_assert_int_eq(seen.n, 0); /* nothing on the loop yet */
	uv_run(&loop, UV_RUN_DEFAULT);
	ck_assert_int_eq(seen.n, 8);
	ck_assert_int_eq(atomic_load(&removed), 8);
	ck_assert_int_eq(sync_removed, 0);
	ck_assert_int_le(atomic_load(&most), 2);
	for (int i = 0; i < 8; i++)
		ck_assert_int_eq(seen.rc[i], 0);
	ck_assert_int_le(seen.order[0], 1); /* one of the first two ends first: the third began after it */
	ck_assert(!kl_teardown_busy(t, "uid-0"));
	kl_teardowns_free(t);
}
END_TEST

START_TEST(test_a_runtime_bound_to_the_loop_removes_at_once)
{
	ck_assert_int_eq(kl_teardown_start(t, &on_loop, NULL, "uid-a", done, NULL), 0);
	ck_assert_int_eq(sync_removed, 1);
	ck_assert_int_eq(seen.n, 0); /* done is not called when it is done at once */
	ck_assert(!kl_teardown_busy(t, "uid-a"));
	kl_teardowns_free(t);
}
END_TEST

START_TEST(test_stop_drops_those_not_begun)
{
	char uid[16];

	for (int i = 0; i < 5; i++) {
		snprintf(uid, sizeof(uid), "uid-%d", i);
		ck_assert_int_eq(kl_teardown_start(t, &threaded, NULL, uid, done, (void *)(intptr_t)i), -EINPROGRESS);
	}
	kl_teardowns_free(t); /* two run; three are dropped at once */
	ck_assert_int_eq(seen.n, 3);
	for (int i = 0; i < 3; i++)
		ck_assert_int_eq(seen.rc[i], -ECANCELED);
	uv_run(&loop, UV_RUN_DEFAULT); /* the running two end, then the queue is freed */
	ck_assert_int_eq(seen.n, 5);
	ck_assert_int_eq(seen.rc[3], 0);
	ck_assert_int_eq(seen.rc[4], 0);
	ck_assert_int_eq(atomic_load(&removed), 2);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("kl_teardown");
	TCase *tc = tcase_create("core");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_off_the_loop_two_at_a_time_in_order);
	tcase_add_test(tc, test_a_runtime_bound_to_the_loop_removes_at_once);
	tcase_add_test(tc, test_stop_drops_those_not_begun);
	suite_add_tcase(s, tc);
	return check_run(s);
}
