/* test_raft_readindex.c: linearizable reads through ReadIndex on leaders and followers. */
#include <check.h>
#include <errno.h>
#include <stdlib.h>

#include "common/err.h"
#include "tests/lib/raft_sim_fixture.h"
#include "tests/lib/raft_sim.h"
#include "tests/lib/check_run.h"

static void make_leader(struct raft *r)
{
	for (int i = 0; i < 30 && rf_role(r) != RAFT_CANDIDATE; i++)
		raft_tick(r);
	struct rf_out o;
	rf_ready(r, &o);
	rf_out_free(&o);
	struct raft_msg v = {.type = RAFT_MSG_VOTE_RESP, .from = 2, .to = 1, .term = rf_term(r)};
	ck_assert_int_eq(raft_step(r, &v), 0);
	ck_assert_int_eq(rf_role(r), RAFT_LEADER);
}

START_TEST(leader_answers_after_a_heartbeat_round)
{
	struct raft *rs[4] = {NULL, rf_new(1, 3, false, false, NULL),
			      rf_new(2, 3, false, false, NULL), rf_new(3, 3, false, false, NULL)};
	make_leader(rs[1]);
	rf_pump(rs, 3);
	ck_assert_uint_eq(rf_commit(rs[1]), 1);
	ck_assert_int_eq(raft_read_index(rs[1], 42), 0);
	struct rf_out o;
	rf_ready(rs[1], &o);
	ck_assert_uint_eq(o.n_reads, 0); /* not before a quorum confirms */
	const struct raft_msg *hb = rf_find(&o, RAFT_MSG_HEARTBEAT, 2);
	ck_assert_ptr_nonnull(hb);
	ck_assert_uint_ne(hb->ctx, 0);
	struct raft *only2[4] = {NULL, NULL, rs[2], NULL};
	rf_deliver(only2, 3, &o);
	rf_out_free(&o);
	rf_ready(rs[2], &o);
	rf_deliver(rs, 3, &o); /* the ack reaches the leader */
	rf_out_free(&o);
	rf_ready(rs[1], &o);
	ck_assert_uint_eq(o.n_reads, 1);
	ck_assert_uint_eq(o.reads[0].ctx, 42);
	ck_assert_uint_eq(o.reads[0].index, 1);
	rf_out_free(&o);
	for (int i = 1; i <= 3; i++)
		raft_free(rs[i]);
}
END_TEST

START_TEST(lost_round_completes_with_next_heartbeat)
{
	struct raft *rs[4] = {NULL, rf_new(1, 3, false, false, NULL),
			      rf_new(2, 3, false, false, NULL), rf_new(3, 3, false, false, NULL)};
	make_leader(rs[1]);
	rf_pump(rs, 3);
	ck_assert_int_eq(raft_read_index(rs[1], 9), 0);
	struct rf_out o;
	rf_ready(rs[1], &o); /* the round's heartbeats are lost */
	rf_out_free(&o);
	raft_tick(rs[1]); /* a plain heartbeat, carrying the round */
	rf_ready(rs[1], &o);
	ck_assert_uint_ne(rf_find(&o, RAFT_MSG_HEARTBEAT, 2)->ctx, 0);
	rf_deliver(rs, 3, &o);
	rf_out_free(&o);
	for (int i = 2; i <= 3; i++) {
		rf_ready(rs[i], &o);
		rf_deliver(rs, 3, &o);
		rf_out_free(&o);
	}
	rf_ready(rs[1], &o);
	ck_assert_uint_eq(o.n_reads, 1);
	ck_assert_uint_eq(o.reads[0].ctx, 9);
	rf_out_free(&o);
	raft_free(rs[2]);
	raft_free(rs[3]);
	raft_free(rs[1]);
}
END_TEST

START_TEST(new_leader_waits_for_commit_in_its_term)
{
	struct raft *r = rf_new(1, 3, false, false, NULL);
	make_leader(r);
	ck_assert_int_eq(raft_read_index(r, 7), 0);
	struct rf_out o;
	rf_ready(r, &o);
	ck_assert_ptr_null(rf_find(&o, RAFT_MSG_HEARTBEAT, 0)); /* no round yet */
	rf_out_free(&o);
	struct raft_msg hbr = {.type = RAFT_MSG_HEARTBEAT_RESP, .from = 2, .to = 1,
			       .term = rf_term(r), .ctx = 1000};
	ck_assert_int_eq(raft_step(r, &hbr), 0);
	rf_ready(r, &o);
	ck_assert_uint_eq(o.n_reads, 0);
	rf_out_free(&o);
	/* The no-op commits: the round starts. */
	struct raft_msg ack = {.type = RAFT_MSG_APPEND_RESP, .from = 2, .to = 1,
			       .term = rf_term(r), .index = 1};
	ck_assert_int_eq(raft_step(r, &ack), 0);
	rf_ready(r, &o);
	const struct raft_msg *hb = rf_find(&o, RAFT_MSG_HEARTBEAT, 3);
	ck_assert_ptr_nonnull(hb);
	ck_assert_uint_ne(hb->ctx, 0);
	hbr.from = 3;
	hbr.ctx = hb->ctx;
	rf_out_free(&o);
	ck_assert_int_eq(raft_step(r, &hbr), 0);
	rf_ready(r, &o);
	ck_assert_uint_eq(o.n_reads, 1);
	ck_assert_uint_eq(o.reads[0].index, 1);
	ck_assert_uint_eq(o.reads[0].ctx, 7);
	rf_out_free(&o);
	raft_free(r);
}
END_TEST

START_TEST(single_member_answers_at_once)
{
	struct raft *r = rf_new(1, 1, false, false, NULL);
	rf_ticks(r, 20);
	ck_assert_int_eq(raft_read_index(r, 5), 0);
	struct rf_out o;
	rf_ready(r, &o);
	ck_assert_uint_eq(o.n_reads, 1);
	ck_assert_uint_eq(o.reads[0].index, 1);
	rf_out_free(&o);
	raft_free(r);
}
END_TEST

START_TEST(follower_without_leader_refuses)
{
	struct raft *r = rf_new(1, 3, false, false, NULL);
	ck_assert_int_eq(raft_read_index(r, 5), -CM_ENOTLEADER);
	raft_free(r);
}
END_TEST

static struct rsim *elected(bool cq)
{
	struct rsim_opts o = {.n = 3, .seed = 9, .pre_vote = true, .check_quorum = cq};
	struct rsim *s = rsim_new(&o);
	ck_assert_int_eq(rsim_run(s, 40), 0);
	ck_assert_int_ne(rsim_leader(s), 0);
	return s;
}

START_TEST(follower_read_is_forwarded_and_answered)
{
	struct rsim *s = elected(true);
	int l = rsim_leader(s), f = l % 3 + 1;
	for (int i = 0; i < 5; i++)
		ck_assert_int_eq(rsim_propose(s, l), 0);
	uint64_t ctx;
	ck_assert_int_eq(rsim_read(s, f, &ctx), 0);
	ck_assert_int_eq(rsim_run(s, 6), 0); /* the simulator checks the index */
	ck_assert(rsim_read_done(s, ctx));
	ck_assert_uint_gt(rsim_sent(s, RAFT_MSG_READ_INDEX), 0);
	rsim_free(s);
}
END_TEST

START_TEST(cut_off_leader_cannot_serve_reads)
{
	struct rsim *s = elected(false);
	int l = rsim_leader(s);
	rsim_isolate(s, l, true);
	uint64_t ctx;
	ck_assert_int_eq(rsim_read(s, l, &ctx), 0);
	ck_assert_int_eq(rsim_run(s, 100), 0);
	ck_assert(!rsim_read_done(s, ctx));
	ck_assert_int_eq(rf_role(rsim_raft(s, l)), RAFT_LEADER); /* still thinks so */
	rsim_free(s);
}
END_TEST

START_TEST(many_reads_share_rounds)
{
	struct rsim *s = elected(true);
	int l = rsim_leader(s);
	uint64_t ctx[20];
	for (int i = 0; i < 20; i++)
		ck_assert_int_eq(rsim_read(s, 1 + i % 3, &ctx[i]), 0);
	ck_assert_int_eq(rsim_run(s, 6), 0);
	for (int i = 0; i < 20; i++)
		ck_assert(rsim_read_done(s, ctx[i]));
	(void)l;
	rsim_free(s);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("raft_readindex");
	TCase *tc = tcase_create("readindex");
	tcase_add_test(tc, leader_answers_after_a_heartbeat_round);
	tcase_add_test(tc, lost_round_completes_with_next_heartbeat);
	tcase_add_test(tc, new_leader_waits_for_commit_in_its_term);
	tcase_add_test(tc, single_member_answers_at_once);
	tcase_add_test(tc, follower_without_leader_refuses);
	tcase_add_test(tc, follower_read_is_forwarded_and_answered);
	tcase_add_test(tc, cut_off_leader_cannot_serve_reads);
	tcase_add_test(tc, many_reads_share_rounds);
	suite_add_tcase(s, tc);
	return check_run(s);
}
