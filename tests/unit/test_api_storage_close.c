/* test_api_storage_close.c: freeing the storage ends every op once with -ECANCELED, also one
 * waiting to retry, and leaves nothing open on the loop (the apiserver's SIGTERM path). */
#include <check.h>
#include <errno.h>
#include <stdlib.h>

#include <uv.h>

#include "apiserver/storage.h"
#include "tests/lib/loop_until.h"
#include "tests/lib/check_run.h"

struct seen {
	int calls;
	int err;
};

static void on_result(int err, const struct api_kv_result *r, void *ud)
{
	struct seen *s = ud;

	(void)r;
	s->calls++;
	s->err = err;
}

/* Runs the loop for about ms milliseconds. */
static void run_for(uv_loop_t *loop, uint64_t ms)
{
	uv_timer_t t;
	uint64_t end;

	loop_tick_start(loop, &t, 5);
	uv_update_time(loop);
	end = uv_now(loop) + ms;
	while (uv_now(loop) < end)
		uv_run(loop, UV_RUN_ONCE);
	loop_tick_close(&t);
	uv_run(loop, UV_RUN_NOWAIT);
}

/* Port 1 refuses: each op fails over, then waits on its retry timer (100 ms) between rounds. */
START_TEST(free_while_retrying)
{
	const char *urls[] = {"http://127.0.0.1:1"};
	struct api_storage *s = NULL;
	struct seen a = {0, 0}, b = {0, 0};
	uv_loop_t loop;

	ck_assert_int_eq(uv_loop_init(&loop), 0);
	ck_assert_int_eq(api_storage_new(&loop, urls, 1, 10000, NULL, NULL, &s), 0);
	ck_assert_int_eq(api_storage_get(s, "/registry/a", on_result, &a), 0);
	run_for(&loop, 30); /* refused at once: now on its timer */
	ck_assert_int_eq(api_storage_get(s, "/registry/b", on_result, &b), 0);
	api_storage_free(s);
	uv_run(&loop, UV_RUN_DEFAULT);
	ck_assert_int_eq(a.calls, 1);
	ck_assert_int_eq(a.err, -ECANCELED);
	ck_assert_int_eq(b.calls, 1);
	ck_assert_int_eq(b.err, -ECANCELED);
	ck_assert_int_eq(uv_loop_close(&loop), 0);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("api_storage_close");
	TCase *tc = tcase_create("close");
	tcase_add_test(tc, free_while_retrying);
	suite_add_tcase(s, tc);
	return check_run(s);
}
