/* ready.c: collects the work raft hands to the application (persist, send, apply) and its acknowledgement. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "etcdlite/raft/raft_int.h"

int raft_send(struct raft *r, struct raft_msg *m)
{
	if (r->n_msgs == r->cap_msgs) {
		size_t cap = r->cap_msgs ? r->cap_msgs * 2 : 16;
		struct raft_msg *p = realloc(r->msgs, cap * sizeof(*p));
		if (!p)
			return -ENOMEM;
		r->msgs = p;
		r->cap_msgs = cap;
	}
	m->from = r->id;
	/* Entries are pointed at when the ready is made: the log may grow
	 * (and move) before then. */
	m->entries = NULL;
	r->msgs[r->n_msgs++] = *m;
	return 0;
}

int raft_add_read_state(struct raft *r, uint64_t index, uint64_t ctx)
{
	if (r->n_reads == r->cap_reads) {
		size_t cap = r->cap_reads ? r->cap_reads * 2 : 16;
		struct raft_read_state *p = realloc(r->reads, cap * sizeof(*p));
		if (!p)
			return -ENOMEM;
		r->reads = p;
		r->cap_reads = cap;
	}
	r->reads[r->n_reads++] = (struct raft_read_state){.index = index, .ctx = ctx};
	return 0;
}

static struct raft_hard_state hard_state(const struct raft *r)
{
	return (struct raft_hard_state){r->term, r->vote, r->log.committed};
}

static uint64_t apply_from(const struct raft *r)
{
	uint64_t a = r->log.applied;
	return (a > r->log.snap.index ? a : r->log.snap.index) + 1;
}

bool raft_has_ready(const struct raft *r)
{
	struct raft_hard_state hs = hard_state(r);
	if (hs.term != r->prev_hs.term || hs.vote != r->prev_hs.vote ||
	    hs.commit != r->prev_hs.commit)
		return true;
	if (r->lead != r->prev_ss.leader || r->role != r->prev_ss.role)
		return true;
	if (r->has_snap || r->n_msgs || r->bcast_pending || r->bcast_commit || r->hb_pending)
		return true;
	if (r->log.stable < raft_log_last_index(&r->log))
		return true;
	if (apply_from(r) <= r->log.committed)
		return true;
	for (size_t i = 0; i < r->n_reads; i++)
		if (r->reads[i].index <= r->log.committed)
			return true;
	return false;
}

/* Points append messages at their entries, dropping those made stale by a
 * change of term or a compaction since they were queued. */
static size_t resolve_msgs(struct raft *r)
{
	size_t k = 0;
	uint64_t last = raft_log_last_index(&r->log);
	for (size_t i = 0; i < r->n_msgs; i++) {
		struct raft_msg *m = &r->msgs[i];
		if (m->type == RAFT_MSG_APPEND) {
			if (m->term != r->term || r->role != RAFT_LEADER)
				continue;
			if (m->n_entries) {
				if (m->index + 1 <= r->log.snap.index ||
				    m->index + m->n_entries > last)
					continue;
				m->entries = raft_log_entry(&r->log, m->index + 1);
			}
		}
		r->msgs[k++] = *m;
	}
	r->n_msgs = k;
	return k;
}

void raft_ready(struct raft *r, struct raft_ready *rd)
{
	memset(rd, 0, sizeof(*rd));
	/* An allocation failure here only delays the broadcast to a later
	 * ready: the heartbeat path retries. */
	(void)raft_flush_bcast(r);

	struct raft_soft_state ss = {r->lead, r->role};
	if (ss.leader != r->prev_ss.leader || ss.role != r->prev_ss.role) {
		rd->has_soft_state = true;
		rd->soft_state = ss;
	}
	struct raft_hard_state hs = hard_state(r);
	if (hs.term != r->prev_hs.term || hs.vote != r->prev_hs.vote ||
	    hs.commit != r->prev_hs.commit) {
		rd->has_hard_state = true;
		rd->hard_state = hs;
	}
	if (r->has_snap)
		rd->snapshot = &r->snap;
	uint64_t last = raft_log_last_index(&r->log);
	if (r->log.stable < last) {
		rd->entries = raft_log_entry(&r->log, r->log.stable + 1);
		rd->n_entries = (size_t)(last - r->log.stable);
	}
	uint64_t from = apply_from(r);
	if (from <= r->log.committed) {
		rd->committed = raft_log_entry(&r->log, from);
		rd->n_committed = (size_t)(r->log.committed - from + 1);
	}
	rd->n_msgs = resolve_msgs(r);
	rd->msgs = rd->n_msgs ? r->msgs : NULL;

	/* Read states whose index will be applied once this ready is. */
	if (r->cap_ready_reads < r->n_reads) {
		struct raft_read_state *p =
			realloc(r->ready_reads, r->n_reads * sizeof(*p));
		if (!p)
			return; /* served in a later ready */
		r->ready_reads = p;
		r->cap_ready_reads = r->n_reads;
	}
	size_t k = 0, out = 0;
	for (size_t i = 0; i < r->n_reads; i++) {
		if (r->reads[i].index <= r->log.committed)
			r->ready_reads[out++] = r->reads[i];
		else
			r->reads[k++] = r->reads[i];
	}
	r->n_reads = k;
	rd->reads = out ? r->ready_reads : NULL;
	rd->n_reads = out;
}

void raft_advance(struct raft *r, const struct raft_ready *rd)
{
	if (rd->has_soft_state)
		r->prev_ss = rd->soft_state;
	if (rd->has_hard_state)
		r->prev_hs = rd->hard_state;
	if (rd->snapshot) {
		if (r->log.applied < rd->snapshot->meta.index)
			r->log.applied = rd->snapshot->meta.index;
		r->has_snap = false;
		free(r->snap_buf);
		r->snap_buf = NULL;
		memset(&r->snap, 0, sizeof(r->snap));
	}
	if (rd->n_entries) {
		uint64_t hi = rd->entries[rd->n_entries - 1].index;
		if (hi > r->log.stable)
			r->log.stable = hi;
	}
	if (rd->n_committed)
		r->log.applied = rd->committed[rd->n_committed - 1].index;
	/* Messages not handed out (none, with the rule of no calls between
	 * ready and advance) would stay queued. */
	size_t left = r->n_msgs - rd->n_msgs;
	if (left)
		memmove(r->msgs, r->msgs + rd->n_msgs, left * sizeof(*r->msgs));
	r->n_msgs = left;
}
