/* test_raft_replication.c: log replication, pipelining, fast back-off on mismatch, and the commit rule. */
#include <check.h>
#include <errno.h>
#include <stdlib.h>

#include "common/err.h"
#include "tests/lib/raft_sim_fixture.h"
#include "tests/lib/raft_sim.h"
#include "tests/lib/check_run.h"

/* Member id becomes leader of term hs.term+1 by votes fabricated from 2. */
static void make_leader(struct raft *r, uint64_t id)
{
	for (int i = 0; i < 30 && rf_role(r) != RAFT_CANDIDATE; i++)
		raft_tick(r);
	ck_assert_int_eq(rf_role(r), RAFT_CANDIDATE);
	struct rf_out o;
	rf_ready(r, &o);
	rf_out_free(&o);
	struct raft_msg v = {.type = RAFT_MSG_VOTE_RESP, .from = id == 2 ? 3 : 2, .to = id,
			     .term = rf_term(r)};
	ck_assert_int_eq(raft_step(r, &v), 0);
	ck_assert_int_eq(rf_role(r), RAFT_LEADER);
}

static struct raft_entry *terms_log(const uint64_t *terms, size_t n)
{
	struct raft_entry *e = calloc(n, sizeof(*e));
	for (size_t i = 0; i < n; i++) {
		e[i].term = terms[i];
		e[i].index = i + 1;
	}
	return e;
}

START_TEST(proposals_commit_and_apply_everywhere_in_order)
{
	struct rsim_opts o = {.n = 3, .seed = 42, .pre_vote = true, .check_quorum = true};
	struct rsim *s = rsim_new(&o);
	ck_assert_int_eq(rsim_run(s, 40), 0);
	int l = rsim_leader(s);
	ck_assert_int_ne(l, 0);
	for (int i = 0; i < 20; i++)
		ck_assert_int_eq(rsim_propose(s, l), 0);
	ck_assert_int_eq(rsim_run(s, 10), 0);
	for (int i = 1; i <= 3; i++)
		ck_assert_uint_eq(rsim_applied(s, i), 20);
	rsim_free(s);
}
END_TEST

START_TEST(follower_refuses_proposals)
{
	struct raft *r = rf_new(1, 3, true, true, NULL);
	uint64_t idx = 77;
	ck_assert_int_eq(raft_propose(r, "x", 1, &idx, NULL), -CM_ENOTLEADER);
	ck_assert_uint_eq(idx, 77);
	raft_free(r);
}
END_TEST

START_TEST(propose_returns_index_and_term)
{
	struct raft *r = rf_new(1, 3, false, false, NULL);
	make_leader(r, 1);
	uint64_t idx = 0, term = 0;
	ck_assert_int_eq(raft_propose(r, "abc", 3, &idx, &term), 0);
	ck_assert_uint_eq(idx, 2); /* after the no-op */
	ck_assert_uint_eq(term, 1);
	static char big[2u << 20];
	ck_assert_int_eq(raft_propose(r, big, sizeof(big), NULL, NULL), -CM_ETOOLARGE);
	raft_free(r);
}
END_TEST

/* An entry over max_msg_bytes is taken up to max_entry_bytes and goes alone in its append. */
START_TEST(entry_over_message_size_up_to_max_entry_bytes)
{
	uint64_t peers[2] = {1, 2};
	struct raft_config c = {.id = 1, .peers = peers, .n_peers = 2, .election_tick = 10,
				.heartbeat_tick = 1, .seed = 7, .max_msg_bytes = 64,
				.max_entry_bytes = 1000};
	struct raft *rs[3] = {NULL, NULL, rf_new(2, 2, false, false, NULL)};
	struct raft *r;
	static char big[1001];
	struct rf_out o;

	ck_assert_int_eq(raft_new(&c, &rs[1]), 0);
	r = rs[1];
	make_leader(r, 1);
	rf_pump(rs, 2); /* the follower matched: replicate state */
	ck_assert_int_eq(raft_propose(r, big, 1001, NULL, NULL), -CM_ETOOLARGE);
	ck_assert_int_eq(raft_propose(r, big, 1000, NULL, NULL), 0);
	ck_assert_int_eq(raft_propose(r, "x", 1, NULL, NULL), 0);
	rf_ready(r, &o);
	const struct raft_msg *m = rf_find(&o, RAFT_MSG_APPEND, 2);
	ck_assert_ptr_nonnull(m);
	ck_assert_uint_eq(m->n_entries, 1);
	ck_assert_uint_eq(m->entries[0].len, 1000);
	rf_out_free(&o);
	rf_pump(rs, 2);
	ck_assert_uint_eq(rf_commit(rs[2]), rf_commit(r));
	raft_free(r);
	raft_free(rs[2]);
}
END_TEST

START_TEST(fast_backoff_skips_a_whole_conflicting_term)
{
	uint64_t lt[52], ft[52];
	for (int i = 0; i < 52; i++) {
		lt[i] = i < 2 ? 1 : 3;
		ft[i] = i < 2 ? 1 : 2;
	}
	struct raft_entry *le = terms_log(lt, 52), *fe = terms_log(ft, 52);
	struct raft_persisted lp = {.hard_state = {.term = 3}, .entries = le, .n_entries = 52};
	struct raft_persisted fp = {.hard_state = {.term = 3}, .entries = fe, .n_entries = 52};
	struct raft *rs[4] = {NULL, rf_new(1, 3, false, false, &lp),
			      rf_new(2, 3, false, false, &fp), NULL};
	free(le);
	free(fe);
	make_leader(rs[1], 1);
	int rejects = 0;
	for (int round = 0; round < 50; round++) {
		for (int i = 1; i <= 2; i++) {
			struct rf_out o;
			rf_ready(rs[i], &o);
			for (size_t k = 0; k < o.n_msgs; k++)
				rejects += o.msgs[k].type == RAFT_MSG_APPEND_RESP && o.msgs[k].reject;
			rf_deliver(rs, 3, &o);
			rf_out_free(&o);
		}
	}
	ck_assert_int_le(rejects, 2); /* not one per conflicting entry */
	ck_assert_uint_eq(raft_term_at(rs[2], 52), 3);
	ck_assert_uint_eq(raft_term_at(rs[2], 53), rf_term(rs[1]));
	ck_assert_uint_eq(rf_commit(rs[2]), 53);
	raft_free(rs[1]);
	raft_free(rs[2]);
}
END_TEST

START_TEST(longer_divergent_follower_log_is_truncated)
{
	uint64_t lt[3] = {1, 3, 3}, ft[30];
	for (int i = 0; i < 30; i++)
		ft[i] = i ? 2 : 1;
	struct raft_entry *le = terms_log(lt, 3), *fe = terms_log(ft, 30);
	struct raft_persisted lp = {.hard_state = {.term = 3}, .entries = le, .n_entries = 3};
	struct raft_persisted fp = {.hard_state = {.term = 3}, .entries = fe, .n_entries = 30};
	struct raft *rs[4] = {NULL, rf_new(1, 3, false, false, &lp),
			      rf_new(2, 3, false, false, &fp), NULL};
	free(le);
	free(fe);
	make_leader(rs[1], 1);
	rf_pump(rs, 3);
	struct raft_status st;
	raft_status(rs[2], &st);
	ck_assert_uint_eq(st.last_index, 4);
	ck_assert_uint_eq(raft_term_at(rs[2], 2), 3);
	ck_assert_uint_eq(st.commit, 4);
	raft_free(rs[1]);
	raft_free(rs[2]);
}
END_TEST

START_TEST(commit_only_by_counting_current_term_entries)
{
	/* Figure 8: the new leader of term 3 holds an entry of term 2 that
	 * reached a majority; counting replicas of it must NOT commit it, only
	 * the commit of an entry of term 3 does. */
	uint64_t t[2] = {1, 2};
	struct raft_entry *e = terms_log(t, 2);
	struct raft_persisted p = {.hard_state = {.term = 2, .commit = 1}, .entries = e,
				   .n_entries = 2};
	struct raft *r = rf_new(1, 3, false, false, &p);
	free(e);
	make_leader(r, 1); /* term 3, no-op at index 3 */
	ck_assert_uint_eq(rf_term(r), 3);
	struct raft_msg ack = {.type = RAFT_MSG_APPEND_RESP, .from = 2, .to = 1, .term = 3,
			       .index = 2};
	ck_assert_int_eq(raft_step(r, &ack), 0);
	ck_assert_uint_eq(rf_commit(r), 1);
	ack.index = 3;
	ck_assert_int_eq(raft_step(r, &ack), 0);
	ck_assert_uint_eq(rf_commit(r), 3);
	raft_free(r);
}
END_TEST

START_TEST(follower_commits_only_what_the_append_vouched_for)
{
	/* The follower's entry 3 (term 2) is stale; the leader (term 3) has
	 * committed its own entry 3. An append covering only up to 2 must not
	 * let the follower commit its stale 3. */
	uint64_t t[3] = {1, 2, 2};
	struct raft_entry *e = terms_log(t, 3);
	struct raft_persisted p = {.hard_state = {.term = 2, .commit = 1}, .entries = e,
				   .n_entries = 3};
	struct raft *r = rf_new(2, 3, false, false, &p);
	struct raft_entry two = {.term = 2, .index = 2};
	struct raft_msg a = {.type = RAFT_MSG_APPEND, .from = 1, .to = 2, .term = 3,
			     .index = 1, .log_term = 1, .commit = 3, .n_entries = 1,
			     .entries = &two};
	ck_assert_int_eq(raft_step(r, &a), 0);
	ck_assert_uint_eq(rf_commit(r), 2);
	/* A heartbeat says commit 3 only for followers matched that far; a
	 * correct leader would send min(match, commit). Either way, never
	 * beyond the log. */
	struct rf_out o;
	rf_ready(r, &o);
	ck_assert_uint_eq(o.last_committed, 2);
	rf_out_free(&o);
	free(e);
	raft_free(r);
}
END_TEST

START_TEST(appends_are_pipelined_once_replicating)
{
	struct raft *rs[4] = {NULL, rf_new(1, 3, false, false, NULL),
			      rf_new(2, 3, false, false, NULL), rf_new(3, 3, false, false, NULL)};
	make_leader(rs[1], 1);
	rf_pump(rs, 3); /* followers matched: replicate state */
	struct rf_out o1, o2;
	ck_assert_int_eq(raft_propose(rs[1], "a", 1, NULL, NULL), 0);
	rf_ready(rs[1], &o1);
	ck_assert_int_eq(raft_propose(rs[1], "b", 1, NULL, NULL), 0);
	rf_ready(rs[1], &o2);
	/* The second append went out before the first was acknowledged. */
	ck_assert_uint_eq(rf_count(&o1, RAFT_MSG_APPEND, 2), 1);
	ck_assert_uint_eq(rf_count(&o2, RAFT_MSG_APPEND, 2), 1);
	ck_assert_uint_eq(rf_find(&o2, RAFT_MSG_APPEND, 2)->index,
			  rf_find(&o1, RAFT_MSG_APPEND, 2)->index + 1);
	rf_out_free(&o1);
	rf_out_free(&o2);
	for (int i = 1; i <= 3; i++)
		raft_free(rs[i]);
}
END_TEST

START_TEST(probing_sends_one_append_at_a_time)
{
	struct raft *r = rf_new(1, 3, false, false, NULL);
	make_leader(r, 1);
	struct rf_out o;
	rf_ready(r, &o);
	ck_assert_uint_eq(rf_count(&o, RAFT_MSG_APPEND, 2), 1);
	rf_out_free(&o);
	ck_assert_int_eq(raft_propose(r, "a", 1, NULL, NULL), 0);
	rf_ready(r, &o);
	ck_assert_uint_eq(rf_count(&o, RAFT_MSG_APPEND, 2), 0); /* paused */
	rf_out_free(&o);
	raft_free(r);
}
END_TEST

START_TEST(heartbeat_commit_never_exceeds_follower_match)
{
	struct raft *r = rf_new(1, 3, false, false, NULL);
	make_leader(r, 1);
	struct raft_msg ack = {.type = RAFT_MSG_APPEND_RESP, .from = 2, .to = 1, .term = 1,
			       .index = 1};
	ck_assert_int_eq(raft_step(r, &ack), 0);
	ck_assert_uint_eq(rf_commit(r), 1);
	struct rf_out o;
	rf_ready(r, &o);
	rf_out_free(&o);
	raft_tick(r); /* heartbeat_tick 1 */
	rf_ready(r, &o);
	ck_assert_uint_eq(rf_find(&o, RAFT_MSG_HEARTBEAT, 2)->commit, 1);
	ck_assert_uint_eq(rf_find(&o, RAFT_MSG_HEARTBEAT, 3)->commit, 0);
	rf_out_free(&o);
	raft_free(r);
}
END_TEST

START_TEST(unreachable_peer_drops_back_to_probing)
{
	struct raft *rs[4] = {NULL, rf_new(1, 3, false, false, NULL),
			      rf_new(2, 3, false, false, NULL), rf_new(3, 3, false, false, NULL)};
	make_leader(rs[1], 1);
	rf_pump(rs, 3);
	raft_report_unreachable(rs[1], 2);
	struct rf_out o;
	ck_assert_int_eq(raft_propose(rs[1], "a", 1, NULL, NULL), 0);
	rf_ready(rs[1], &o);
	ck_assert_uint_eq(rf_count(&o, RAFT_MSG_APPEND, 2), 1);
	rf_out_free(&o);
	ck_assert_int_eq(raft_propose(rs[1], "b", 1, NULL, NULL), 0);
	rf_ready(rs[1], &o);
	ck_assert_uint_eq(rf_count(&o, RAFT_MSG_APPEND, 2), 0); /* probing: one at a time */
	ck_assert_uint_eq(rf_count(&o, RAFT_MSG_APPEND, 3), 1); /* still pipelined */
	rf_out_free(&o);
	for (int i = 1; i <= 3; i++)
		raft_free(rs[i]);
}
END_TEST

START_TEST(ack_beyond_the_leaders_log_is_ignored)
{
	struct raft *r = rf_new(1, 3, false, false, NULL);
	make_leader(r, 1);
	struct raft_msg ack = {.type = RAFT_MSG_APPEND_RESP, .from = 2, .to = 1, .term = 1,
			       .index = 1000};
	ck_assert_int_eq(raft_step(r, &ack), 0);
	ck_assert_uint_eq(rf_commit(r), 0);
	raft_free(r);
}
END_TEST

START_TEST(lossy_network_converges)
{
	for (uint64_t seed = 1; seed <= 10; seed++) {
		struct rsim_opts o = {.n = 5, .seed = seed, .pre_vote = true, .check_quorum = true,
				      .drop_pct = 20, .dup_pct = 10, .max_delay = 4,
				      .max_msg_bytes = 64, .max_inflight = 3};
		struct rsim *s = rsim_new(&o);
		for (int t = 0; t < 300; t++) {
			int l = rsim_leader(s);
			if (l && t % 3 == 0)
				rsim_propose(s, l);
			ck_assert_int_eq(rsim_step(s), 0);
		}
		rsim_set_faults(s, 0, 0, 1);
		ck_assert_int_eq(rsim_run(s, 100), 0);
		for (int i = 2; i <= 5; i++)
			ck_assert_uint_eq(rsim_applied_index(s, i), rsim_applied_index(s, 1));
		ck_assert_uint_gt(rsim_applied(s, 1), 30);
		rsim_free(s);
	}
}
END_TEST

int main(void)
{
	Suite *s = suite_create("raft_replication");
	TCase *tc = tcase_create("replication");
	tcase_add_test(tc, proposals_commit_and_apply_everywhere_in_order);
	tcase_add_test(tc, follower_refuses_proposals);
	tcase_add_test(tc, propose_returns_index_and_term);
	tcase_add_test(tc, entry_over_message_size_up_to_max_entry_bytes);
	tcase_add_test(tc, fast_backoff_skips_a_whole_conflicting_term);
	tcase_add_test(tc, longer_divergent_follower_log_is_truncated);
	tcase_add_test(tc, commit_only_by_counting_current_term_entries);
	tcase_add_test(tc, follower_commits_only_what_the_append_vouched_for);
	tcase_add_test(tc, appends_are_pipelined_once_replicating);
	tcase_add_test(tc, probing_sends_one_append_at_a_time);
	tcase_add_test(tc, heartbeat_commit_never_exceeds_follower_match);
	tcase_add_test(tc, unreachable_peer_drops_back_to_probing);
	tcase_add_test(tc, ack_beyond_the_leaders_log_is_ignored);
	tcase_add_test(tc, lossy_network_converges);
	suite_add_tcase(s, tc);
	return check_run(s);
}
