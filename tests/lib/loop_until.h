/* loop_until.h: turns a libuv loop until a condition holds, failing the Check test past a deadline. */
#ifndef TEST_LOOP_UNTIL_H
#define TEST_LOOP_UNTIL_H

#include <stdint.h>

#include <check.h>
#include <uv.h>

/* The loop needs a repeating timer (or other activity) so that each UV_RUN_ONCE returns soon. */
#define LOOP_RUN_UNTIL(loopp, cond, ms)                                              \
	do {                                                                         \
		uint64_t deadline_ = uv_now(loopp) + (ms);                           \
		while (!(cond)) {                                                    \
			ck_assert_msg(uv_now(loopp) < deadline_, "timed out: " #cond); \
			uv_run((loopp), UV_RUN_ONCE);                                \
		}                                                                    \
	} while (0)

#endif
