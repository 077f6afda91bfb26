/* loop_until.h: turns a libuv loop until a condition holds, failing the Check test past a deadline. */
#ifndef TEST_LOOP_UNTIL_H
#define TEST_LOOP_UNTIL_H

#include <stdint.h>

#include <check.h>
#include <uv.h>

/* The loop needs a repeating timer (loop_tick_start, or other activity) so that each UV_RUN_ONCE returns soon. */
#define LOOP_RUN_UNTIL(loopp, cond, ms)                                              \
	do {                                                                         \
		uint64_t deadline_ = uv_now(loopp) + (ms);                           \
		while (!(cond)) {                                                    \
			ck_assert_msg(uv_now(loopp) < deadline_, "timed out: " #cond); \
			uv_run((loopp), UV_RUN_ONCE);                                \
		}                                                                    \
	} while (0)

/*
 * Starts tick (the caller's, uninitialised) as a timer on loop that fires
 * every period_ms and does nothing: it only wakes UV_RUN_ONCE when nothing
 * else would for long. Close it with loop_tick_close() before the loop.
 */
void loop_tick_start(uv_loop_t *loop, uv_timer_t *tick, uint64_t period_ms);
/* Closes tick; the loop is done with it after its next turn. */
void loop_tick_close(uv_timer_t *tick);

#endif
