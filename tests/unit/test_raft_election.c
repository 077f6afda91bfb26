/* test_raft_election.c: leader election, pre-vote, the leader lease, check-quorum and leader transfer. */
#include <check.h>
#include <errno.h>
#include <stdlib.h>

#include "common/err.h"
#include "tests/lib/raft_sim_fixture.h"
#include "tests/lib/raft_sim.h"
#include "tests/lib/check_run.h"

static struct rsim *sim3(bool pre_vote, bool check_quorum, uint64_t seed)
{
	struct rsim_opts o = {.n = 3, .seed = seed, .pre_vote = pre_vote,
			      .check_quorum = check_quorum, .max_delay = 1};
	struct rsim *s = rsim_new(&o);
	ck_assert_ptr_nonnull(s);
	return s;
}

/* Steps until a leader exists (bounded), returns it. */
static int elect(struct rsim *s)
{
	for (int t = 0; t < 200; t++) {
		ck_assert_int_eq(rsim_step(s), 0);
		if (rsim_leader(s))
			return rsim_leader(s);
	}
	ck_abort_msg("no leader elected");
	return 0;
}

START_TEST(single_member_elects_itself_and_commits_noop)
{
	struct raft *r = rf_new(1, 1, true, true, NULL);
	for (int i = 0; i < 20 && rf_role(r) != RAFT_LEADER; i++)
		rf_ticks(r, 1);
	ck_assert_int_eq(rf_role(r), RAFT_LEADER);
	ck_assert_uint_eq(rf_term(r), 1);
	ck_assert_uint_eq(rf_commit(r), 1); /* the no-op */
	raft_free(r);
}
END_TEST

START_TEST(timeout_is_randomized_within_bounds)
{
	/* A follower campaigns no sooner than election_tick and no later than
	 * 2*election_tick - 1 ticks. */
	for (uint64_t id = 1; id <= 3; id++) {
		struct raft *r = rf_new(id, 3, false, false, NULL);
		int t = 0;
		while (rf_role(r) == RAFT_FOLLOWER && t < 100) {
			rf_ticks(r, 1);
			t++;
		}
		ck_assert_int_ge(t, 10);
		ck_assert_int_le(t, 19);
		ck_assert_int_eq(rf_role(r), RAFT_CANDIDATE);
		raft_free(r);
	}
}
END_TEST

START_TEST(advance_at_boot_campaigns_within_one_election_tick)
{
	/* After the boot advance a follower campaigns after 1 to election_tick ticks. */
	for (uint64_t id = 1; id <= 3; id++) {
		struct raft *r = rf_new(id, 3, false, false, NULL);
		int t = 0;
		raft_advance_election(r);
		while (rf_role(r) == RAFT_FOLLOWER && t < 100) {
			rf_ticks(r, 1);
			t++;
		}
		ck_assert_int_ge(t, 1);
		ck_assert_int_le(t, 10);
		ck_assert_int_eq(rf_role(r), RAFT_CANDIDATE);
		raft_free(r);
	}
}
END_TEST

START_TEST(three_members_elect_one_leader)
{
	for (uint64_t seed = 1; seed <= 20; seed++) {
		struct rsim *s = sim3(seed % 2, seed % 3 != 0, seed);
		int l = elect(s);
		ck_assert_int_eq(rsim_run(s, 50), 0);
		ck_assert_int_eq(rsim_leader(s), l); /* stable without faults */
		int leaders = 0;
		for (int i = 1; i <= 3; i++)
			leaders += rf_role(rsim_raft(s, i)) == RAFT_LEADER;
		ck_assert_int_eq(leaders, 1);
		rsim_free(s);
	}
}
END_TEST

START_TEST(vote_once_per_term_and_only_for_up_to_date_logs)
{
	struct raft_entry ents[2] = {{.term = 1, .index = 1}, {.term = 2, .index = 2}};
	struct raft_persisted p = {.hard_state = {.term = 2}, .entries = ents, .n_entries = 2};
	struct raft *r = rf_new(1, 3, false, false, &p);
	/* Candidate 2 at term 3 with a shorter log (last term 1): rejected. */
	struct raft_msg v = {.type = RAFT_MSG_VOTE, .from = 2, .to = 1, .term = 3,
			     .index = 5, .log_term = 1};
	ck_assert_int_eq(raft_step(r, &v), 0);
	struct rf_out o;
	rf_ready(r, &o);
	const struct raft_msg *resp = rf_find(&o, RAFT_MSG_VOTE_RESP, 2);
	ck_assert_ptr_nonnull(resp);
	ck_assert(resp->reject);
	ck_assert_uint_eq(o.hs.term, 3); /* the term still moved */
	rf_out_free(&o);
	/* Candidate 3, same term, up-to-date log: granted, vote persisted. */
	v.from = 3;
	v.index = 2;
	v.log_term = 2;
	ck_assert_int_eq(raft_step(r, &v), 0);
	rf_ready(r, &o);
	resp = rf_find(&o, RAFT_MSG_VOTE_RESP, 3);
	ck_assert(!resp->reject);
	ck_assert(o.has_hard_state);
	ck_assert_uint_eq(o.hs.vote, 3);
	rf_out_free(&o);
	/* Candidate 2 again, same term, now up to date: one vote per term. */
	v.from = 2;
	ck_assert_int_eq(raft_step(r, &v), 0);
	rf_ready(r, &o);
	ck_assert(rf_find(&o, RAFT_MSG_VOTE_RESP, 2)->reject);
	rf_out_free(&o);
	raft_free(r);
}
END_TEST

START_TEST(persisted_vote_survives_restart)
{
	struct raft_persisted p = {.hard_state = {.term = 4, .vote = 3}};
	struct raft *r = rf_new(1, 3, false, false, &p);
	struct raft_msg v = {.type = RAFT_MSG_VOTE, .from = 2, .to = 1, .term = 4};
	ck_assert_int_eq(raft_step(r, &v), 0);
	struct rf_out o;
	rf_ready(r, &o);
	ck_assert(rf_find(&o, RAFT_MSG_VOTE_RESP, 2)->reject);
	rf_out_free(&o);
	raft_free(r);
}
END_TEST

START_TEST(prevote_does_not_raise_term_of_isolated_member)
{
	struct rsim *s = sim3(true, true, 7);
	int l = elect(s);
	int f = l % 3 + 1;
	uint64_t term = rf_term(rsim_raft(s, l));
	rsim_isolate(s, f, true);
	ck_assert_int_eq(rsim_run(s, 200), 0);
	ck_assert_uint_eq(rf_term(rsim_raft(s, f)), term); /* canvassed, never raised */
	ck_assert_uint_gt(rsim_sent(s, RAFT_MSG_PREVOTE), 0);
	rsim_isolate(s, f, false);
	ck_assert_int_eq(rsim_run(s, 50), 0);
	/* Its return disturbed nobody. */
	ck_assert_int_eq(rsim_leader(s), l);
	ck_assert_uint_eq(rf_term(rsim_raft(s, l)), term);
	rsim_free(s);
}
END_TEST

START_TEST(without_prevote_isolated_member_raises_term)
{
	struct rsim *s = sim3(false, false, 7);
	int l = elect(s);
	int f = l % 3 + 1;
	uint64_t term = rf_term(rsim_raft(s, l));
	rsim_isolate(s, f, true);
	ck_assert_int_eq(rsim_run(s, 200), 0);
	ck_assert_uint_gt(rf_term(rsim_raft(s, f)), term + 3);
	rsim_free(s);
}
END_TEST

START_TEST(lease_follower_ignores_vote_while_leader_is_live)
{
	struct raft *r = rf_new(1, 3, false, true, NULL);
	/* Hear from leader 2 at term 1. */
	struct raft_msg hb = {.type = RAFT_MSG_HEARTBEAT, .from = 2, .to = 1, .term = 1};
	ck_assert_int_eq(raft_step(r, &hb), 0);
	rf_ticks(r, 0);
	struct rf_out o;
	rf_ready(r, &o);
	rf_out_free(&o);
	struct raft_msg v = {.type = RAFT_MSG_VOTE, .from = 3, .to = 1, .term = 2,
			     .index = 10, .log_term = 5};
	ck_assert_int_eq(raft_step(r, &v), 0);
	rf_ready(r, &o);
	ck_assert_ptr_null(rf_find(&o, RAFT_MSG_VOTE_RESP, 0));
	rf_out_free(&o);
	ck_assert_uint_eq(rf_term(r), 1);
	/* A forced request (leader transfer) overrides the lease. */
	v.force = true;
	ck_assert_int_eq(raft_step(r, &v), 0);
	rf_ready(r, &o);
	ck_assert(!rf_find(&o, RAFT_MSG_VOTE_RESP, 3)->reject);
	rf_out_free(&o);
	raft_free(r);
}
END_TEST

START_TEST(lease_expires_after_election_timeout)
{
	struct raft *r = rf_new(1, 3, false, true, NULL);
	struct raft_msg hb = {.type = RAFT_MSG_HEARTBEAT, .from = 2, .to = 1, .term = 1};
	ck_assert_int_eq(raft_step(r, &hb), 0);
	struct rf_out o;
	rf_ready(r, &o);
	rf_out_free(&o);
	for (int i = 0; i < 10; i++)
		raft_tick(r); /* election_elapsed reaches election_tick */
	rf_ready(r, &o);
	rf_out_free(&o);
	struct raft_msg v = {.type = RAFT_MSG_VOTE, .from = 3, .to = 1,
			     .term = rf_term(r) + 1, .index = 10, .log_term = 5};
	ck_assert_int_eq(raft_step(r, &v), 0);
	rf_ready(r, &o);
	ck_assert_ptr_nonnull(rf_find(&o, RAFT_MSG_VOTE_RESP, 3));
	ck_assert(!rf_find(&o, RAFT_MSG_VOTE_RESP, 3)->reject);
	rf_out_free(&o);
	raft_free(r);
}
END_TEST

START_TEST(check_quorum_leader_steps_down_when_cut_off)
{
	struct rsim *s = sim3(true, true, 11);
	int l = elect(s);
	rsim_isolate(s, l, true);
	ck_assert_int_eq(rsim_run(s, 21), 0);
	ck_assert_int_ne(rf_role(rsim_raft(s, l)), RAFT_LEADER);
	/* The other two elect a new leader of a higher term. */
	ck_assert_int_eq(rsim_run(s, 60), 0);
	int l2 = rsim_leader(s);
	ck_assert_int_ne(l2, 0);
	ck_assert_int_ne(l2, l);
	rsim_free(s);
}
END_TEST

START_TEST(without_check_quorum_cut_off_leader_stays)
{
	struct rsim *s = sim3(false, false, 11);
	int l = elect(s);
	rsim_isolate(s, l, true);
	ck_assert_int_eq(rsim_run(s, 100), 0);
	ck_assert_int_eq(rf_role(rsim_raft(s, l)), RAFT_LEADER);
	/* ...but it can no longer commit anything. */
	uint64_t c = rf_commit(rsim_raft(s, l));
	ck_assert_int_eq(rsim_propose(s, l), 0);
	ck_assert_int_eq(rsim_run(s, 20), 0);
	ck_assert_uint_eq(rf_commit(rsim_raft(s, l)), c);
	rsim_free(s);
}
END_TEST

START_TEST(stale_leader_steps_down_on_higher_term)
{
	struct rsim *s = sim3(true, true, 5);
	int l = elect(s);
	uint64_t term = rf_term(rsim_raft(s, l));
	rsim_isolate(s, l, true);
	ck_assert_int_eq(rsim_run(s, 80), 0);
	rsim_isolate(s, l, false);
	ck_assert_int_eq(rsim_run(s, 30), 0);
	ck_assert_uint_gt(rf_term(rsim_raft(s, l)), term);
	ck_assert_int_ne(rsim_leader(s), l);
	rsim_free(s);
}
END_TEST

START_TEST(leader_transfer_hands_over)
{
	struct rsim *s = sim3(true, true, 3);
	int l = elect(s);
	int to = l % 3 + 1;
	ck_assert_int_eq(rsim_propose(s, l), 0);
	ck_assert_int_eq(raft_transfer_leader(rsim_raft(s, l), (uint64_t)to), 0);
	ck_assert_int_eq(rsim_propose(s, l), -EBUSY);
	ck_assert_int_eq(rsim_run(s, 10), 0);
	ck_assert_int_eq(rsim_leader(s), to);
	ck_assert_int_eq(raft_transfer_leader(rsim_raft(s, l), 2), -CM_ENOTLEADER);
	rsim_free(s);
}
END_TEST

START_TEST(bad_config_is_refused)
{
	uint64_t peers[] = {1, 2, 3};
	struct raft *r = NULL;
	struct raft_config c = {.id = 4, .peers = peers, .n_peers = 3, .election_tick = 10,
				.heartbeat_tick = 1};
	ck_assert_int_eq(raft_new(&c, &r), -EINVAL); /* not a member */
	c.id = 1;
	c.heartbeat_tick = 10;
	ck_assert_int_eq(raft_new(&c, &r), -EINVAL);
	c.heartbeat_tick = 1;
	c.persisted.hard_state.commit = 5; /* beyond the (empty) log */
	ck_assert_int_eq(raft_new(&c, &r), -EINVAL);
	ck_assert_ptr_null(r);
	raft_free(NULL);
}
END_TEST

START_TEST(bad_messages_are_refused)
{
	struct raft *r = rf_new(1, 3, false, false, NULL);
	struct raft_msg m = {.type = 99, .from = 2, .to = 1, .term = 1};
	ck_assert_int_eq(raft_step(r, &m), -EINVAL);
	m.type = RAFT_MSG_HEARTBEAT;
	m.from = 9;
	ck_assert_int_eq(raft_step(r, &m), -EINVAL);
	m.from = 2;
	m.to = 3;
	ck_assert_int_eq(raft_step(r, &m), -EINVAL);
	struct raft_entry e = {.term = 1, .index = 7};
	struct raft_msg a = {.type = RAFT_MSG_APPEND, .from = 2, .to = 1, .term = 1,
			     .index = 0, .n_entries = 1, .entries = &e};
	ck_assert_int_eq(raft_step(r, &a), -EINVAL); /* index not contiguous */
	raft_free(r);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("raft_election");
	TCase *tc = tcase_create("election");
	tcase_add_test(tc, single_member_elects_itself_and_commits_noop);
	tcase_add_test(tc, timeout_is_randomized_within_bounds);
	tcase_add_test(tc, advance_at_boot_campaigns_within_one_election_tick);
	tcase_add_test(tc, three_members_elect_one_leader);
	tcase_add_test(tc, vote_once_per_term_and_only_for_up_to_date_logs);
	tcase_add_test(tc, persisted_vote_survives_restart);
	tcase_add_test(tc, prevote_does_not_raise_term_of_isolated_member);
	tcase_add_test(tc, without_prevote_isolated_member_raises_term);
	tcase_add_test(tc, lease_follower_ignores_vote_while_leader_is_live);
	tcase_add_test(tc, lease_expires_after_election_timeout);
	tcase_add_test(tc, check_quorum_leader_steps_down_when_cut_off);
	tcase_add_test(tc, without_check_quorum_cut_off_leader_stays);
	tcase_add_test(tc, stale_leader_steps_down_on_higher_term);
	tcase_add_test(tc, leader_transfer_hands_over);
	tcase_add_test(tc, bad_config_is_refused);
	tcase_add_test(tc, bad_messages_are_refused);
	suite_add_tcase(s, tc);
	return check_run(s);
}
