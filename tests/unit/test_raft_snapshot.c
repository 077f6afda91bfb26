/* test_raft_snapshot.c: log compaction, snapshot sending and InstallSnapshot, restart from a snapshot. */
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

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
	struct raft_msg v = {.type = RAFT_MSG_VOTE_RESP, .from = 3, .to = 1, .term = rf_term(r)};
	ck_assert_int_eq(raft_step(r, &v), 0);
	ck_assert_int_eq(rf_role(r), RAFT_LEADER);
}

START_TEST(compact_frees_entries_up_to_index)
{
	struct raft *r = rf_new(1, 1, false, false, NULL);
	rf_ticks(r, 20);
	for (int i = 0; i < 10; i++)
		ck_assert_int_eq(raft_propose(r, "abcd", 4, NULL, NULL), 0);
	struct rf_out o;
	rf_ready(r, &o);
	ck_assert_uint_eq(o.last_committed, 11);
	rf_out_free(&o);
	ck_assert_int_eq(raft_compact(r, 12), -EINVAL); /* beyond applied */
	ck_assert_int_eq(raft_compact(r, 8), 0);
	struct raft_status st;
	raft_status(r, &st);
	ck_assert_uint_eq(st.first_index, 9);
	ck_assert_uint_eq(st.last_index, 11);
	ck_assert_uint_eq(st.snapshot.index, 8);
	ck_assert_uint_eq(st.snapshot.term, 1);
	ck_assert_uint_eq(raft_term_at(r, 8), 1);
	ck_assert_uint_eq(raft_term_at(r, 7), 0);
	ck_assert_int_eq(raft_compact(r, 8), -CM_ECOMPACTED);
	ck_assert_int_eq(raft_compact(r, 11), 0);
	raft_status(r, &st);
	ck_assert_uint_gt(st.first_index, st.last_index); /* nothing held */
	/* It still works on top of the snapshot. */
	ck_assert_int_eq(raft_propose(r, "x", 1, NULL, NULL), 0);
	rf_ready(r, &o);
	ck_assert_uint_eq(o.last_committed, 12);
	rf_out_free(&o);
	raft_free(r);
}
END_TEST

START_TEST(follower_installs_a_snapshot)
{
	struct raft *r = rf_new(2, 3, false, false, NULL);
	struct raft_msg m = {.type = RAFT_MSG_SNAPSHOT, .from = 1, .to = 2, .term = 2,
			     .snapshot = {10, 2}};
	char data[] = "state";
	m.snap_data = (const uint8_t *)data;
	m.snap_len = 5;
	ck_assert_int_eq(raft_step(r, &m), 0);
	memset(data, 0, sizeof(data)); /* raft kept its own copy */
	struct raft_ready rd;
	raft_ready(r, &rd);
	ck_assert_ptr_nonnull(rd.snapshot);
	ck_assert_uint_eq(rd.snapshot->meta.index, 10);
	ck_assert_uint_eq(rd.snapshot->len, 5);
	ck_assert_mem_eq(rd.snapshot->data, "state", 5);
	ck_assert(rd.has_hard_state);
	ck_assert_uint_eq(rd.hard_state.commit, 10);
	ck_assert_uint_eq(rd.hard_state.term, 2);
	ck_assert_uint_eq(rd.n_committed, 0); /* the snapshot is the state */
	ck_assert_uint_eq(rd.n_msgs, 1);
	ck_assert_int_eq(rd.msgs[0].type, RAFT_MSG_APPEND_RESP);
	ck_assert_uint_eq(rd.msgs[0].index, 10);
	raft_advance(r, &rd);
	struct raft_status st;
	raft_status(r, &st);
	ck_assert_uint_eq(st.applied, 10);
	ck_assert_uint_eq(st.first_index, 11);
	/* Entries continue after it. */
	struct raft_entry e = {.term = 2, .index = 11, .data = (uint8_t *)"n", .len = 1};
	struct raft_msg a = {.type = RAFT_MSG_APPEND, .from = 1, .to = 2, .term = 2,
			     .index = 10, .log_term = 2, .commit = 11, .n_entries = 1,
			     .entries = &e};
	ck_assert_int_eq(raft_step(r, &a), 0);
	struct rf_out o;
	rf_ready(r, &o);
	ck_assert_uint_eq(o.n_entries, 1);
	ck_assert_uint_eq(o.n_committed, 1);
	ck_assert_uint_eq(o.last_committed, 11);
	ck_assert(!rf_find(&o, RAFT_MSG_APPEND_RESP, 1)->reject);
	rf_out_free(&o);
	raft_free(r);
}
END_TEST

START_TEST(stale_snapshot_is_ignored)
{
	uint64_t t[5] = {1, 1, 1, 1, 1};
	struct raft_entry e[5];
	for (int i = 0; i < 5; i++)
		e[i] = (struct raft_entry){.term = t[i], .index = (uint64_t)i + 1};
	struct raft_persisted p = {.hard_state = {.term = 1, .commit = 5}, .entries = e,
				   .n_entries = 5};
	struct raft *r = rf_new(2, 3, false, false, &p);
	struct rf_out o;
	rf_ready(r, &o); /* applies 1..5 */
	rf_out_free(&o);
	struct raft_msg m = {.type = RAFT_MSG_SNAPSHOT, .from = 1, .to = 2, .term = 1,
			     .snapshot = {3, 1}};
	ck_assert_int_eq(raft_step(r, &m), 0);
	rf_ready(r, &o);
	ck_assert(!o.has_snapshot);
	ck_assert_uint_eq(rf_find(&o, RAFT_MSG_APPEND_RESP, 1)->index, 5);
	rf_out_free(&o);
	raft_free(r);
}
END_TEST

START_TEST(restart_from_snapshot_and_entries)
{
	struct raft_entry e[3] = {{.term = 2, .index = 6}, {.term = 2, .index = 7},
				  {.term = 3, .index = 8}};
	struct raft_persisted p = {.hard_state = {.term = 3, .vote = 1, .commit = 7},
				   .snapshot = {5, 1}, .entries = e, .n_entries = 3};
	struct raft *r = rf_new(1, 3, false, false, &p);
	struct raft_ready rd;
	raft_ready(r, &rd);
	ck_assert(!rd.has_hard_state); /* nothing new to persist */
	ck_assert_uint_eq(rd.n_entries, 0);
	ck_assert_uint_eq(rd.n_committed, 2); /* 6 and 7 replayed */
	ck_assert_uint_eq(rd.committed[0].index, 6);
	raft_advance(r, &rd);
	ck_assert_uint_eq(raft_term_at(r, 5), 1);
	ck_assert_uint_eq(raft_term_at(r, 8), 3);
	raft_free(r);
	/* Entries not continuing the snapshot are refused. */
	struct raft_persisted bad = p;
	bad.snapshot.index = 4;
	uint64_t peers[] = {1, 2, 3};
	struct raft_config c = {.id = 1, .peers = peers, .n_peers = 3, .election_tick = 10,
				.heartbeat_tick = 1, .persisted = bad};
	ck_assert_int_eq(raft_new(&c, &r), -EINVAL);
}
END_TEST

START_TEST(leader_sends_snapshot_and_retries_after_failure)
{
	struct raft_persisted p = {.hard_state = {.term = 1, .commit = 10}, .snapshot = {10, 1}};
	struct raft *r = rf_new(1, 3, false, false, &p);
	make_leader(r);
	struct rf_out o;
	rf_ready(r, &o);
	const struct raft_msg *a = rf_find(&o, RAFT_MSG_APPEND, 2);
	ck_assert_uint_eq(a->index, 10);
	rf_out_free(&o);
	/* Follower 2 is empty: it rejects with hint 0. */
	struct raft_msg rej = {.type = RAFT_MSG_APPEND_RESP, .from = 2, .to = 1, .term = 2,
			       .index = 10, .reject = true};
	ck_assert_int_eq(raft_step(r, &rej), 0);
	rf_ready(r, &o);
	const struct raft_msg *sm = rf_find(&o, RAFT_MSG_SNAPSHOT, 2);
	ck_assert_ptr_nonnull(sm);
	ck_assert_uint_eq(sm->snapshot.index, 10);
	ck_assert_uint_eq(sm->snapshot.term, 1);
	ck_assert_uint_eq(sm->snap_len, 0); /* the application attaches data */
	rf_out_free(&o);
	raft_report_snapshot(r, 2, false);
	struct raft_msg hbr = {.type = RAFT_MSG_HEARTBEAT_RESP, .from = 2, .to = 1, .term = 2};
	ck_assert_int_eq(raft_step(r, &hbr), 0);
	rf_ready(r, &o);
	/* Probing again from its match (0) finds the entries gone: a new
	 * snapshot goes out at the next sign of life. */
	ck_assert_ptr_nonnull(rf_find(&o, RAFT_MSG_SNAPSHOT, 2));
	rf_out_free(&o);
	/* The follower installed it and acknowledges: replication resumes. */
	raft_report_snapshot(r, 2, true);
	struct raft_msg ok = {.type = RAFT_MSG_APPEND_RESP, .from = 2, .to = 1, .term = 2,
			      .index = 10};
	ck_assert_int_eq(raft_step(r, &ok), 0);
	rf_ready(r, &o);
	a = rf_find(&o, RAFT_MSG_APPEND, 2);
	ck_assert_ptr_nonnull(a);
	ck_assert_uint_eq(a->index, 10);
	ck_assert_uint_eq(a->n_entries, 1);
	rf_out_free(&o);
	raft_free(r);
}
END_TEST

START_TEST(unreported_snapshot_is_retried)
{
	struct raft_persisted p = {.hard_state = {.term = 1, .commit = 10}, .snapshot = {10, 1}};
	struct raft *r = rf_new(1, 3, false, false, &p);
	make_leader(r);
	struct rf_out o;
	rf_ready(r, &o);
	rf_out_free(&o);
	struct raft_msg rej = {.type = RAFT_MSG_APPEND_RESP, .from = 2, .to = 1, .term = 2,
			       .index = 10, .reject = true};
	ck_assert_int_eq(raft_step(r, &rej), 0);
	rf_ready(r, &o);
	ck_assert_ptr_nonnull(rf_find(&o, RAFT_MSG_SNAPSHOT, 2));
	rf_out_free(&o);
	/* No report ever comes; heartbeats are answered. */
	int again = 0;
	for (int t = 0; t < 25 && !again; t++) {
		raft_tick(r);
		struct raft_msg hbr = {.type = RAFT_MSG_HEARTBEAT_RESP, .from = 2, .to = 1,
				       .term = 2};
		ck_assert_int_eq(raft_step(r, &hbr), 0);
		rf_ready(r, &o);
		again = rf_find(&o, RAFT_MSG_SNAPSHOT, 2) != NULL;
		rf_out_free(&o);
	}
	ck_assert(again);
	raft_free(r);
}
END_TEST

START_TEST(lagging_member_catches_up_through_snapshot)
{
	struct rsim_opts opt = {.n = 3, .seed = 4, .pre_vote = true, .check_quorum = true,
				.compact_every = 5};
	struct rsim *s = rsim_new(&opt);
	ck_assert_int_eq(rsim_run(s, 40), 0);
	int l = rsim_leader(s), f = l % 3 + 1;
	rsim_crash(s, f);
	for (int i = 0; i < 40; i++) {
		ck_assert_int_eq(rsim_propose(s, l), 0);
		ck_assert_int_eq(rsim_step(s), 0);
	}
	ck_assert_int_eq(rsim_restart(s, f), 0);
	ck_assert_int_eq(rsim_run(s, 30), 0);
	ck_assert_uint_ge(rsim_sent(s, RAFT_MSG_SNAPSHOT), 1);
	ck_assert_uint_eq(rsim_applied_index(s, f), rsim_applied_index(s, l));
	ck_assert_uint_eq(rsim_applied(s, f), 40);
	/* And it keeps up afterwards. */
	ck_assert_int_eq(rsim_propose(s, l), 0);
	ck_assert_int_eq(rsim_run(s, 5), 0);
	ck_assert_uint_eq(rsim_applied(s, f), 41);
	rsim_free(s);
}
END_TEST

START_TEST(crash_restart_keeps_everything_acknowledged)
{
	struct rsim_opts opt = {.n = 3, .seed = 8, .pre_vote = true, .check_quorum = true,
				.compact_every = 7};
	struct rsim *s = rsim_new(&opt);
	ck_assert_int_eq(rsim_run(s, 40), 0);
	for (int round = 0; round < 5; round++) {
		int l = rsim_leader(s);
		ck_assert_int_ne(l, 0);
		for (int i = 0; i < 10; i++)
			ck_assert_int_eq(rsim_propose(s, l), 0);
		ck_assert_int_eq(rsim_run(s, 5), 0);
		for (int i = 1; i <= 3; i++)
			rsim_crash(s, i);
		for (int i = 1; i <= 3; i++)
			ck_assert_int_eq(rsim_restart(s, i), 0);
		ck_assert_int_eq(rsim_run(s, 60), 0);
		for (int i = 1; i <= 3; i++)
			ck_assert_uint_eq(rsim_applied(s, i), (uint64_t)(round + 1) * 10);
	}
	rsim_free(s);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("raft_snapshot");
	TCase *tc = tcase_create("snapshot");
	tcase_add_test(tc, compact_frees_entries_up_to_index);
	tcase_add_test(tc, follower_installs_a_snapshot);
	tcase_add_test(tc, stale_snapshot_is_ignored);
	tcase_add_test(tc, restart_from_snapshot_and_entries);
	tcase_add_test(tc, leader_sends_snapshot_and_retries_after_failure);
	tcase_add_test(tc, unreported_snapshot_is_retried);
	tcase_add_test(tc, lagging_member_catches_up_through_snapshot);
	tcase_add_test(tc, crash_restart_keeps_everything_acknowledged);
	suite_add_tcase(s, tc);
	return check_run(s);
}
