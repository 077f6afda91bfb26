/* loop_until.c: the do-nothing repeating timer that keeps a test's UV_RUN_ONCE from blocking. */
#include "tests/lib/loop_until.h"

static void on_tick(uv_timer_t *t)
{
	(void)t;
}

void loop_tick_start(uv_loop_t *loop, uv_timer_t *tick, uint64_t period_ms)
{
	ck_assert_int_eq(uv_timer_init(loop, tick), 0);
	ck_assert_int_eq(uv_timer_start(tick, on_tick, period_ms, period_ms), 0);
}

void loop_tick_close(uv_timer_t *tick)
{
	uv_close((uv_handle_t *)tick, NULL);
}
