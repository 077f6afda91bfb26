/* election.c: roles, randomized election timeouts, pre-vote and vote handling. */
#include <errno.h>

#include "common/err.h"
#include "common/log.h"
#include "etcdlite/raft/raft_int.h"

size_t raft_quorum(const struct raft *r)
{
	return r->n_prs / 2 + 1;
}

/* splitmix64: tiny, seedable and good enough to spread election timeouts. */
uint64_t raft_rand(struct raft *r)
{
	uint64_t z = (r->rng += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

void raft_reset_timeout(struct raft *r)
{
	r->election_elapsed = 0;
	r->heartbeat_elapsed = 0;
	r->randomized_timeout =
		r->election_tick + (int)(raft_rand(r) % (uint64_t)r->election_tick);
}

static void reset(struct raft *r, uint64_t term)
{
	if (term != r->term) {
		r->term = term;
		r->vote = 0;
	}
	r->lead = 0;
	r->transferee = 0;
	raft_reset_timeout(r);
	raft_reads_reset(r);
	uint64_t last = raft_log_last_index(&r->log);
	for (size_t i = 0; i < r->n_prs; i++) {
		struct raft_progress *pr = &r->prs[i];
		pr->match = pr->id == r->id ? last : 0;
		pr->next = last + 1;
		pr->state = RAFT_PR_PROBE;
		pr->paused = false;
		pr->recent_active = pr->id == r->id;
		pr->pending_snapshot = 0;
		pr->in_start = pr->in_count = 0;
		pr->read_ack = 0;
		pr->vote = 0;
	}
}

void raft_become_follower(struct raft *r, uint64_t term, uint64_t lead)
{
	reset(r, term);
	r->role = RAFT_FOLLOWER;
	r->lead = lead;
}

static int become_leader(struct raft *r)
{
	reset(r, r->term);
	r->role = RAFT_LEADER;
	r->lead = r->id;
	for (size_t i = 0; i < r->n_prs; i++)
		r->prs[i].recent_active = true;
	cm_debug(1, "raft %llu: became leader at term %llu",
		 (unsigned long long)r->id, (unsigned long long)r->term);
	/* The no-op lets the new leader commit an entry of its own term, which
	 * is what commits its predecessors' entries (Raft §5.4.2) and what
	 * ReadIndex waits for. */
	struct raft_entry e = {.term = r->term, .type = RAFT_ENTRY_NORMAL};
	int rc = raft_log_append(&r->log, &e);
	if (rc)
		return rc;
	raft_progress(r, r->id)->match = raft_log_last_index(&r->log);
	r->bcast_pending = true;
	raft_maybe_commit(r);
	return raft_reads_take_over(r);
}

static int poll_votes(struct raft *r, size_t *granted, size_t *rejected)
{
	*granted = *rejected = 0;
	for (size_t i = 0; i < r->n_prs; i++) {
		if (r->prs[i].vote > 0)
			(*granted)++;
		else if (r->prs[i].vote < 0)
			(*rejected)++;
	}
	return 0;
}

static int request_votes(struct raft *r, bool pre, bool force)
{
	uint64_t term = pre ? r->term + 1 : r->term;
	for (size_t i = 0; i < r->n_prs; i++) {
		if (r->prs[i].id == r->id)
			continue;
		struct raft_msg m = {
			.type = pre ? RAFT_MSG_PREVOTE : RAFT_MSG_VOTE,
			.to = r->prs[i].id,
			.term = term,
			.index = raft_log_last_index(&r->log),
			.log_term = raft_log_last_term(&r->log),
			.force = force,
		};
		int rc = raft_send(r, &m);
		if (rc)
			return rc;
	}
	return 0;
}

int raft_campaign(struct raft *r, bool pre, bool force)
{
	if (r->role == RAFT_LEADER)
		return 0;
	if (pre) {
		/* Keep term and vote: a member cut off from the others must not
		 * raise its term, or on return it would depose a healthy leader. */
		uint64_t term = r->term, vote = r->vote;
		reset(r, term);
		r->vote = vote;
		r->role = RAFT_PRECANDIDATE;
	} else {
		reset(r, r->term + 1);
		r->vote = r->id;
		r->role = RAFT_CANDIDATE;
	}
	raft_progress(r, r->id)->vote = 1;
	if (raft_quorum(r) == 1)
		return pre ? raft_campaign(r, false, force) : become_leader(r);
	return request_votes(r, pre, force);
}

static bool up_to_date(const struct raft *r, uint64_t index, uint64_t term)
{
	uint64_t lt = raft_log_last_term(&r->log);
	return term > lt || (term == lt && index >= raft_log_last_index(&r->log));
}

int raft_handle_vote(struct raft *r, const struct raft_msg *m)
{
	bool pre = m->type == RAFT_MSG_PREVOTE;
	bool can = r->vote == m->from || (r->vote == 0 && r->lead == 0) ||
		   (pre && m->term > r->term);
	struct raft_msg resp = {
		.type = pre ? RAFT_MSG_PREVOTE_RESP : RAFT_MSG_VOTE_RESP,
		.to = m->from,
	};
	if (can && up_to_date(r, m->index, m->log_term)) {
		/* A pre-vote answer carries the term it was asked about, so the
		 * asker can tell it from a stale answer. */
		resp.term = m->term;
		if (!pre) {
			r->election_elapsed = 0;
			r->vote = m->from;
		}
	} else {
		resp.term = r->term;
		resp.reject = true;
	}
	return raft_send(r, &resp);
}

int raft_handle_vote_resp(struct raft *r, const struct raft_msg *m)
{
	bool pre = m->type == RAFT_MSG_PREVOTE_RESP;
	if ((pre && r->role != RAFT_PRECANDIDATE) || (!pre && r->role != RAFT_CANDIDATE))
		return 0;
	struct raft_progress *pr = raft_progress(r, m->from);
	if (pr->vote == 0)
		pr->vote = m->reject ? -1 : 1;
	size_t granted, rejected;
	poll_votes(r, &granted, &rejected);
	if (granted >= raft_quorum(r))
		return pre ? raft_campaign(r, false, false) : become_leader(r);
	if (rejected >= raft_quorum(r))
		raft_become_follower(r, r->term, 0);
	return 0;
}

static void tick_leader(struct raft *r)
{
	r->heartbeat_elapsed++;
	r->election_elapsed++;
	if (r->election_elapsed >= r->election_tick) {
		r->election_elapsed = 0;
		if (r->check_quorum) {
			size_t active = 0;
			for (size_t i = 0; i < r->n_prs; i++) {
				struct raft_progress *pr = &r->prs[i];
				if (pr->id == r->id || pr->recent_active)
					active++;
				pr->recent_active = pr->id == r->id;
			}
			if (active < raft_quorum(r)) {
				cm_debug(1, "raft %llu: lost quorum at term %llu, stepping down",
					 (unsigned long long)r->id,
					 (unsigned long long)r->term);
				raft_become_follower(r, r->term, 0);
				return;
			}
		}
		r->transferee = 0; /* a transfer that took this long failed */
		for (size_t i = 0; i < r->n_prs; i++) {
			/* A snapshot whose outcome was never reported is
			 * presumed lost after one to two election timeouts. */
			struct raft_progress *pr = &r->prs[i];
			if (pr->state != RAFT_PR_SNAPSHOT)
				continue;
			if (pr->snap_stale) {
				pr->pending_snapshot = 0; /* probe from match */
				raft_pr_become_probe(r, pr);
			}
			else
				pr->snap_stale = true;
		}
	}
	if (r->heartbeat_elapsed >= r->heartbeat_tick) {
		r->heartbeat_elapsed = 0;
		/* Every heartbeat carries the latest read round, so a round
		 * whose own heartbeats were lost completes with the next. */
		raft_bcast_heartbeat(r, r->n_preads ? r->read_seq : 0);
	}
}

void raft_advance_election(struct raft *r)
{
	if (r->role != RAFT_LEADER)
		r->election_elapsed = r->election_tick - 1;
}

void raft_tick(struct raft *r)
{
	if (r->role == RAFT_LEADER) {
		tick_leader(r);
		return;
	}
	raft_reads_tick(r);
	r->election_elapsed++;
	if (r->election_elapsed >= r->randomized_timeout)
		raft_campaign(r, r->pre_vote, false);
}
