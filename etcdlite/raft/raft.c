/* raft.c: making and freeing a member, client proposals, compaction, status and names. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "etcdlite/raft/raft_int.h"

static int check_config(const struct raft_config *c)
{
	if (c->id == 0 || !c->peers || c->n_peers == 0 || c->election_tick < 2 ||
	    c->heartbeat_tick < 1 || c->heartbeat_tick >= c->election_tick)
		return -EINVAL;
	bool self = false;
	for (size_t i = 0; i < c->n_peers; i++) {
		if (c->peers[i] == 0)
			return -EINVAL;
		for (size_t j = 0; j < i; j++)
			if (c->peers[j] == c->peers[i])
				return -EINVAL;
		self |= c->peers[i] == c->id;
	}
	if (!self)
		return -EINVAL;
	const struct raft_persisted *p = &c->persisted;
	if (p->n_entries && !p->entries)
		return -EINVAL;
	uint64_t prev_term = p->snapshot.term;
	for (size_t i = 0; i < p->n_entries; i++) {
		const struct raft_entry *e = &p->entries[i];
		if (e->index != p->snapshot.index + 1 + i || e->term < prev_term ||
		    e->term > p->hard_state.term || (e->len && !e->data))
			return -EINVAL;
		prev_term = e->term;
	}
	uint64_t last = p->snapshot.index + p->n_entries;
	if (p->hard_state.commit > last || p->snapshot.term > p->hard_state.term)
		return -EINVAL;
	if (c->applied > p->hard_state.commit && c->applied > p->snapshot.index)
		return -EINVAL;
	return 0;
}

int raft_new(const struct raft_config *c, struct raft **out)
{
	int rc = check_config(c);
	if (rc)
		return rc;
	struct raft *r = calloc(1, sizeof(*r));
	if (!r)
		return -ENOMEM;
	r->id = c->id;
	r->election_tick = c->election_tick;
	r->heartbeat_tick = c->heartbeat_tick;
	r->pre_vote = c->pre_vote;
	r->check_quorum = c->check_quorum;
	r->max_msg_bytes = c->max_msg_bytes ? c->max_msg_bytes : 1u << 20;
	r->max_entry_bytes = c->max_entry_bytes ? c->max_entry_bytes : r->max_msg_bytes;
	r->max_inflight = c->max_inflight ? c->max_inflight : 256;
	r->rng = c->seed ^ (c->id * 0x2545f4914f6cdd1dull);
	rc = -ENOMEM;
	r->prs = calloc(c->n_peers, sizeof(*r->prs));
	if (!r->prs)
		goto fail;
	r->n_prs = c->n_peers;
	for (size_t i = 0; i < c->n_peers; i++) {
		r->prs[i].id = c->peers[i];
		r->prs[i].inflight = calloc(r->max_inflight, sizeof(uint64_t));
		if (!r->prs[i].inflight)
			goto fail;
	}
	const struct raft_persisted *p = &c->persisted;
	r->log.snap = p->snapshot;
	r->log.stable = p->snapshot.index;
	for (size_t i = 0; i < p->n_entries; i++) {
		if (raft_log_append(&r->log, &p->entries[i]))
			goto fail;
	}
	r->log.stable = raft_log_last_index(&r->log);
	r->log.committed = p->hard_state.commit > p->snapshot.index ? p->hard_state.commit
								     : p->snapshot.index;
	r->log.applied = c->applied > p->snapshot.index ? c->applied : p->snapshot.index;
	raft_become_follower(r, p->hard_state.term, 0);
	r->vote = p->hard_state.vote;
	r->prev_hs = (struct raft_hard_state){r->term, r->vote, r->log.committed};
	r->prev_ss = (struct raft_soft_state){0, RAFT_FOLLOWER};
	*out = r;
	return 0;
fail:
	raft_free(r);
	return rc;
}

void raft_free(struct raft *r)
{
	if (!r)
		return;
	if (r->prs)
		for (size_t i = 0; i < r->n_prs; i++)
			free(r->prs[i].inflight);
	free(r->prs);
	raft_log_close(&r->log);
	free(r->preads);
	free(r->fwd_reads);
	free(r->msgs);
	free(r->reads);
	free(r->ready_reads);
	free(r->snap_buf);
	free(r);
}

int raft_propose(struct raft *r, const void *data, size_t len, uint64_t *index,
		 uint64_t *term)
{
	if (r->role != RAFT_LEADER)
		return -CM_ENOTLEADER;
	if (r->transferee)
		return -EBUSY;
	if (len > r->max_entry_bytes || len > UINT32_MAX)
		return -CM_ETOOLARGE;
	struct raft_entry e = {
		.term = r->term,
		.type = RAFT_ENTRY_NORMAL,
		.len = (uint32_t)len,
		.data = (uint8_t *)data,
	};
	int rc = raft_log_append(&r->log, &e);
	if (rc)
		return rc;
	uint64_t last = raft_log_last_index(&r->log);
	raft_progress(r, r->id)->match = last;
	r->bcast_pending = true;
	raft_maybe_commit(r); /* a single member commits at once */
	if (index)
		*index = last;
	if (term)
		*term = r->term;
	return 0;
}

int raft_compact(struct raft *r, uint64_t index)
{
	if (index > r->log.applied || index > raft_log_last_index(&r->log))
		return -EINVAL;
	if (index <= r->log.snap.index)
		return -CM_ECOMPACTED;
	raft_log_compact(&r->log, index);
	if (r->log.stable < index)
		r->log.stable = index;
	return 0;
}

void raft_report_unreachable(struct raft *r, uint64_t peer)
{
	struct raft_progress *pr = raft_progress(r, peer);
	if (r->role != RAFT_LEADER || !pr || peer == r->id)
		return;
	if (pr->state == RAFT_PR_REPLICATE)
		raft_pr_become_probe(r, pr);
}

void raft_report_snapshot(struct raft *r, uint64_t peer, bool ok)
{
	struct raft_progress *pr = raft_progress(r, peer);
	if (r->role != RAFT_LEADER || !pr || pr->state != RAFT_PR_SNAPSHOT)
		return;
	if (!ok)
		pr->pending_snapshot = 0;
	raft_pr_become_probe(r, pr);
	/* Wait for the follower's answer (or a heartbeat) before probing. */
	pr->paused = true;
}

int raft_transfer_leader(struct raft *r, uint64_t peer)
{
	if (r->role != RAFT_LEADER)
		return -CM_ENOTLEADER;
	struct raft_progress *pr = raft_progress(r, peer);
	if (!pr || peer == r->id)
		return -EINVAL;
	r->transferee = peer;
	r->election_elapsed = 0;
	if (pr->match == raft_log_last_index(&r->log)) {
		struct raft_msg m = {.type = RAFT_MSG_TIMEOUT_NOW, .to = peer, .term = r->term};
		return raft_send(r, &m);
	}
	return raft_send_append(r, pr, false);
}

void raft_status(const struct raft *r, struct raft_status *st)
{
	st->id = r->id;
	st->term = r->term;
	st->vote = r->vote;
	st->commit = r->log.committed;
	st->applied = r->log.applied;
	st->first_index = raft_log_first_index(&r->log);
	st->last_index = raft_log_last_index(&r->log);
	st->snapshot = r->log.snap;
	st->leader = r->lead;
	st->role = r->role;
}

uint64_t raft_term_at(const struct raft *r, uint64_t index)
{
	return raft_log_term(&r->log, index);
}

const char *raft_msg_type_name(int type)
{
	static const char *const names[] = {
		[RAFT_MSG_APPEND] = "append",
		[RAFT_MSG_APPEND_RESP] = "append_resp",
		[RAFT_MSG_VOTE] = "vote",
		[RAFT_MSG_VOTE_RESP] = "vote_resp",
		[RAFT_MSG_PREVOTE] = "prevote",
		[RAFT_MSG_PREVOTE_RESP] = "prevote_resp",
		[RAFT_MSG_HEARTBEAT] = "heartbeat",
		[RAFT_MSG_HEARTBEAT_RESP] = "heartbeat_resp",
		[RAFT_MSG_SNAPSHOT] = "snapshot",
		[RAFT_MSG_READ_INDEX] = "read_index",
		[RAFT_MSG_READ_INDEX_RESP] = "read_index_resp",
		[RAFT_MSG_TIMEOUT_NOW] = "timeout_now",
	};
	if (type < RAFT_MSG_APPEND || type > RAFT_MSG_TYPE_MAX)
		return "unknown";
	return names[type];
}

const char *raft_role_name(enum raft_role role)
{
	switch (role) {
	case RAFT_FOLLOWER:
		return "follower";
	case RAFT_PRECANDIDATE:
		return "precandidate";
	case RAFT_CANDIDATE:
		return "candidate";
	case RAFT_LEADER:
		return "leader";
	}
	return "unknown";
}
