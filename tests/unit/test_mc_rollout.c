/* test_mc_rollout.c: rollout status lines for deployments and daemon sets, as kubectl's status viewers print them. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "ctl/rollout.h"
#include "tests/lib/check_run.h"

#define STATUS(json, want_rc, want_text)                                            \
	do {                                                                        \
		cJSON *o_ = cJSON_Parse(json);                                      \
		struct cm_buf b_ = CM_BUF_INIT;                                     \
		ck_assert_ptr_nonnull(o_);                                          \
		ck_assert_int_eq(mc_rollout_status_text(o_, &b_), want_rc);         \
		ck_assert_str_eq(b_.data, want_text);                               \
		cm_buf_close(&b_);                                                  \
		cJSON_Delete(o_);                                                   \
	} while (0)

#define DEPLOY(gen, obs, want, upd, tot, avail)                                                   \
	"{\"kind\":\"Deployment\",\"metadata\":{\"name\":\"web\",\"generation\":" #gen "},"         \
	"\"spec\":{\"replicas\":" #want "},\"status\":{\"observedGeneration\":" #obs ","            \
	"\"updatedReplicas\":" #upd ",\"replicas\":" #tot ",\"availableReplicas\":" #avail "}}"

START_TEST(test_deployment_steps)
{
	STATUS(DEPLOY(2, 1, 3, 3, 3, 3), MC_ROLLOUT_WAITING, "Waiting for deployment spec update to be observed...\n");
	STATUS(DEPLOY(2, 2, 3, 1, 3, 3), MC_ROLLOUT_WAITING,
	       "Waiting for deployment \"web\" rollout to finish: 1 out of 3 new replicas have been updated...\n");
	STATUS(DEPLOY(2, 2, 3, 3, 4, 3), MC_ROLLOUT_WAITING,
	       "Waiting for deployment \"web\" rollout to finish: 1 old replicas are pending termination...\n");
	STATUS(DEPLOY(2, 2, 3, 3, 3, 2), MC_ROLLOUT_WAITING,
	       "Waiting for deployment \"web\" rollout to finish: 2 of 3 updated replicas are available...\n");
	STATUS(DEPLOY(2, 2, 3, 3, 3, 3), MC_ROLLOUT_DONE, "deployment \"web\" successfully rolled out\n");
}
END_TEST

START_TEST(test_deployment_deadline)
{
	STATUS("{\"kind\":\"Deployment\",\"metadata\":{\"name\":\"web\",\"generation\":1},\"spec\":{\"replicas\":1},"
	       "\"status\":{\"observedGeneration\":1,\"conditions\":[{\"type\":\"Progressing\",\"status\":\"False\","
	       "\"reason\":\"ProgressDeadlineExceeded\"}]}}",
	       MC_ROLLOUT_FAILED, "deployment \"web\" exceeded its progress deadline");
}
END_TEST

START_TEST(test_daemonset)
{
	STATUS("{\"kind\":\"DaemonSet\",\"metadata\":{\"name\":\"ds\",\"generation\":1},\"status\":{\"observedGeneration\":1,"
	       "\"desiredNumberScheduled\":2,\"updatedNumberScheduled\":1,\"numberAvailable\":1}}",
	       MC_ROLLOUT_WAITING, "Waiting for daemon set \"ds\" rollout to finish: 1 out of 2 new pods have been updated...\n");
	STATUS("{\"kind\":\"DaemonSet\",\"metadata\":{\"name\":\"ds\",\"generation\":1},\"status\":{\"observedGeneration\":1,"
	       "\"desiredNumberScheduled\":2,\"updatedNumberScheduled\":2,\"numberAvailable\":2}}",
	       MC_ROLLOUT_DONE, "daemon set \"ds\" successfully rolled out\n");
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("mc_rollout");
	TCase *tc = tcase_create("rollout");

	tcase_add_test(tc, test_deployment_steps);
	tcase_add_test(tc, test_deployment_deadline);
	tcase_add_test(tc, test_daemonset);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return check_run(suite());
}
