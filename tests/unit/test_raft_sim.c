/* test_raft_sim.c: thousands of seeded chaos runs of 3 and 5 raft members, checking safety and liveness. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>

#include "tests/lib/raft_sim.h"
#include "tests/lib/check_run.h"

/* RAFT_SEEDS scales the counts (e.g. under ASan); RAFT_SEED=N replays one
 * seed verbosely (with RAFT_N=3|5, default 3). */
static int seeds(int dflt)
{
	const char *e = getenv("RAFT_SEEDS");
	if (e)
		return atoi(e);
#ifdef __SANITIZE_ADDRESS__
	dflt /= 10; /* ASan runs ~10x slower; keep `make asan` short */
#endif
	return dflt;
}

static void run_seeds(int n, int count, uint64_t base)
{
	int failures = 0;
	char err[512];
	for (int i = 0; i < count; i++) {
		uint64_t seed = base + (uint64_t)i;
		if (rsim_random_run(n, seed, 1000, false, err, sizeof(err)) != 0) {
			fprintf(stderr, "raft sim FAILED: n=%d seed=%llu: %s\n"
					"  replay: RAFT_SEED=%llu RAFT_N=%d build/tests/test_raft_sim\n",
				n, (unsigned long long)seed, err, (unsigned long long)seed, n);
			if (++failures >= 5)
				break;
		}
	}
	ck_assert_int_eq(failures, 0);
}

START_TEST(three_members)
{
	run_seeds(3, seeds(4000), 1);
}
END_TEST

START_TEST(five_members)
{
	run_seeds(5, seeds(4000) / 2, 100001);
}
END_TEST

START_TEST(replay_one)
{
	const char *e = getenv("RAFT_SEED");
	const char *nn = getenv("RAFT_N");
	char err[512];
	int rc = rsim_random_run(nn ? atoi(nn) : 3, strtoull(e, NULL, 10), 1000, true, err,
				 sizeof(err));
	if (rc)
		fprintf(stderr, "FAILED: %s\n", err);
	ck_assert_int_eq(rc, 0);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("raft_sim");
	TCase *tc = tcase_create("chaos");
	tcase_set_timeout(tc, 120);
	if (getenv("RAFT_SEED")) {
		tcase_add_test(tc, replay_one);
	} else {
		tcase_add_test(tc, three_members);
		tcase_add_test(tc, five_members);
	}
	suite_add_tcase(s, tc);
	return check_run(s);
}
