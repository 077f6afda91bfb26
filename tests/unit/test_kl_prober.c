/* test_kl_prober.c: when a readiness probe is in its first, quickly retried phase. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "kubelet/worker.h"
#include "tests/lib/check_run.h"

/* A running container started at t=1000 ms with a readiness probe of the given period and delay. */
static struct kl_ctr ctr(int64_t period_ms, int64_t delay_ms)
{
	struct kl_ctr c;

	memset(&c, 0, sizeof(c));
	c.st.state = KL_CSTATE_RUNNING;
	c.st.started_ms = 1000;
	c.probes[KL_READINESS].kind = KL_PROBE_HTTP;
	c.probes[KL_READINESS].period_ms = period_ms;
	c.probes[KL_READINESS].initial_delay_ms = delay_ms;
	return c;
}

START_TEST(test_early_from_the_delay_for_ten_seconds)
{
	struct kl_ctr c = ctr(1000, 2000);

	ck_assert(!kl_prober_early(&c, 2999));  /* within initialDelaySeconds */
	ck_assert(kl_prober_early(&c, 3000));
	ck_assert(kl_prober_early(&c, 4500));   /* past one period: a slow server still gets quick retries */
	ck_assert(kl_prober_early(&c, 12999));
	ck_assert(!kl_prober_early(&c, 13000)); /* 10 s on: the probe's own period again */
}
END_TEST

START_TEST(test_early_a_whole_period_when_longer)
{
	struct kl_ctr c = ctr(30000, 0);

	ck_assert(kl_prober_early(&c, 20000));
	ck_assert(kl_prober_early(&c, 30999));
	ck_assert(!kl_prober_early(&c, 31000));
}
END_TEST

START_TEST(test_not_early_once_ready_or_not_running)
{
	struct kl_ctr c = ctr(1000, 0);

	c.pst[KL_READINESS].result = KL_PROBE_SUCCESS;
	ck_assert(!kl_prober_early(&c, 2000));
	c = ctr(1000, 0);
	c.st.state = KL_CSTATE_CREATED;
	ck_assert(!kl_prober_early(&c, 2000));
	c = ctr(1000, 0);
	c.killing = true;
	ck_assert(!kl_prober_early(&c, 2000));
	c = ctr(1000, 0);
	c.probes[KL_READINESS].kind = KL_PROBE_NONE;
	ck_assert(!kl_prober_early(&c, 2000));
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("kl_prober");
	TCase *tc = tcase_create("early");

	tcase_add_test(tc, test_early_from_the_delay_for_ten_seconds);
	tcase_add_test(tc, test_early_a_whole_period_when_longer);
	tcase_add_test(tc, test_not_early_once_ready_or_not_running);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return check_run(suite());
}
