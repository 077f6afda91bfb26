/* step.c: raft_step: checks a peer's message, applies Raft's term rules, dispatches by role. */
#include <errno.h>

#include "common/err.h"
#include "etcdlite/raft/raft_int.h"

static bool valid(const struct raft *r, const struct raft_msg *m)
{
	if (m->type < RAFT_MSG_APPEND || m->type > RAFT_MSG_TYPE_MAX)
		return false;
	if (m->to != r->id || m->from == r->id || m->from == 0)
		return false;
	bool known = false;
	for (size_t i = 0; i < r->n_prs; i++)
		known |= r->prs[i].id == m->from;
	if (!known)
		return false;
	if (m->n_entries && (m->type != RAFT_MSG_APPEND || !m->entries))
		return false;
	if (m->type == RAFT_MSG_SNAPSHOT && m->snapshot.term > m->term)
		return false;
	for (size_t i = 0; i < m->n_entries; i++) {
		const struct raft_entry *e = &m->entries[i];
		if (e->index != m->index + 1 + i || (e->len && !e->data) || e->term > m->term)
			return false;
		if (e->type != RAFT_ENTRY_NORMAL)
			return false;
	}
	return true;
}

/* Raft's rules on terms, with pre-vote and the leader lease. Returns true
 * when the message should be processed further. */
static bool check_term(struct raft *r, const struct raft_msg *m, int *rc)
{
	bool vote_req = m->type == RAFT_MSG_VOTE || m->type == RAFT_MSG_PREVOTE;
	if (m->term > r->term) {
		if (vote_req && !m->force && r->check_quorum && r->lead != 0 &&
		    r->election_elapsed < r->election_tick) {
			/* Lease: we heard from a live leader within an election
			 * timeout, so this candidate is likely just cut off and
			 * must not disrupt it. */
			return false;
		}
		if (m->type == RAFT_MSG_PREVOTE)
			return true; /* pre-votes never change our term */
		if (m->type == RAFT_MSG_PREVOTE_RESP && !m->reject)
			return true; /* the granted term is the one we asked for */
		bool from_leader = m->type == RAFT_MSG_APPEND || m->type == RAFT_MSG_HEARTBEAT ||
				   m->type == RAFT_MSG_SNAPSHOT;
		raft_become_follower(r, m->term, from_leader ? m->from : 0);
		return true;
	}
	if (m->term < r->term) {
		if ((r->check_quorum || r->pre_vote) &&
		    (m->type == RAFT_MSG_APPEND || m->type == RAFT_MSG_HEARTBEAT)) {
			/* A stale leader (back from a partition) learns our term
			 * and steps down; without this it would keep its
			 * followers from electing through its lease. */
			struct raft_msg resp = {
				.type = RAFT_MSG_APPEND_RESP, .to = m->from, .term = r->term};
			*rc = raft_send(r, &resp);
		} else if (m->type == RAFT_MSG_PREVOTE) {
			struct raft_msg resp = {.type = RAFT_MSG_PREVOTE_RESP,
						.to = m->from,
						.term = r->term,
						.reject = true};
			*rc = raft_send(r, &resp);
		}
		return false;
	}
	return true;
}

static int step_leader(struct raft *r, const struct raft_msg *m)
{
	switch (m->type) {
	case RAFT_MSG_APPEND_RESP:
		return raft_handle_append_resp(r, m);
	case RAFT_MSG_HEARTBEAT_RESP:
		return raft_handle_heartbeat_resp(r, m);
	case RAFT_MSG_READ_INDEX:
		return raft_handle_read_index(r, m->ctx, m->from);
	default:
		return 0;
	}
}

static int step_candidate(struct raft *r, const struct raft_msg *m)
{
	switch (m->type) {
	case RAFT_MSG_APPEND:
	case RAFT_MSG_HEARTBEAT:
	case RAFT_MSG_SNAPSHOT:
		/* A leader of our term exists: we lost. */
		raft_become_follower(r, m->term, m->from);
		return -EAGAIN; /* process again as follower */
	case RAFT_MSG_VOTE_RESP:
	case RAFT_MSG_PREVOTE_RESP:
		return raft_handle_vote_resp(r, m);
	case RAFT_MSG_READ_INDEX_RESP:
		/* From the leader of our term, answering what we asked as a
		 * follower before campaigning: still a valid read point. */
		return raft_reads_on_resp(r, m);
	default:
		return 0;
	}
}

static int step_follower(struct raft *r, const struct raft_msg *m)
{
	switch (m->type) {
	case RAFT_MSG_APPEND:
	case RAFT_MSG_HEARTBEAT:
	case RAFT_MSG_SNAPSHOT:
		r->election_elapsed = 0;
		r->lead = m->from;
		if (m->type == RAFT_MSG_APPEND)
			return raft_handle_append(r, m);
		if (m->type == RAFT_MSG_HEARTBEAT)
			return raft_handle_heartbeat(r, m);
		return raft_handle_snapshot(r, m);
	case RAFT_MSG_TIMEOUT_NOW:
		return raft_campaign(r, false, true);
	case RAFT_MSG_READ_INDEX_RESP:
		return raft_reads_on_resp(r, m);
	default:
		return 0;
	}
}

int raft_step(struct raft *r, const struct raft_msg *m)
{
	if (!valid(r, m))
		return -EINVAL;
	int rc = 0;
	if (!check_term(r, m, &rc))
		return rc;
	if (m->type == RAFT_MSG_VOTE || m->type == RAFT_MSG_PREVOTE)
		return raft_handle_vote(r, m);
	switch (r->role) {
	case RAFT_LEADER:
		return step_leader(r, m);
	case RAFT_CANDIDATE:
	case RAFT_PRECANDIDATE:
		rc = step_candidate(r, m);
		if (rc != -EAGAIN)
			return rc;
		return step_follower(r, m);
	default:
		return step_follower(r, m);
	}
}
