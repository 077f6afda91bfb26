/* readindex.c: linearizable reads: the leader confirms its leadership with a heartbeat round. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "etcdlite/raft/raft_int.h"

void raft_reads_reset(struct raft *r)
{
	/* Requests die with the leadership that took them; callers time out. */
	r->n_preads = 0;
	r->hb_pending = false;
}

static int resolve(struct raft *r, const struct raft_pending_read *p)
{
	if (p->from == r->id)
		return raft_add_read_state(r, p->index, p->ctx);
	struct raft_msg m = {
		.type = RAFT_MSG_READ_INDEX_RESP,
		.to = p->from,
		.term = r->term,
		.index = p->index,
		.ctx = p->ctx,
	};
	return raft_send(r, &m);
}

int raft_handle_read_index(struct raft *r, uint64_t ctx, uint64_t from)
{
	if (r->role != RAFT_LEADER) {
		if (from != r->id)
			return 0; /* asked a non-leader: the asker will time out */
		if (r->lead == 0)
			return -CM_ENOTLEADER;
		struct raft_msg m = {
			.type = RAFT_MSG_READ_INDEX, .to = r->lead, .term = r->term, .ctx = ctx};
		return raft_send(r, &m);
	}
	struct raft_pending_read p = {.ctx = ctx, .from = from};
	if (raft_quorum(r) == 1) {
		p.index = r->log.committed;
		return resolve(r, &p);
	}
	if (r->n_preads == r->cap_preads) {
		size_t cap = r->cap_preads ? r->cap_preads * 2 : 16;
		struct raft_pending_read *np = realloc(r->preads, cap * sizeof(*np));
		if (!np)
			return -ENOMEM;
		r->preads = np;
		r->cap_preads = cap;
	}
	/* Until the leader has committed an entry of its term, its commit index
	 * may lag what earlier leaders committed: wait for the no-op. */
	if (raft_committed_in_term(r)) {
		p.index = r->log.committed;
		p.seq = ++r->read_seq;
		r->hb_pending = true;
	}
	r->preads[r->n_preads++] = p;
	return 0;
}

int raft_reads_on_commit(struct raft *r)
{
	bool any = false;
	for (size_t i = 0; i < r->n_preads; i++) {
		if (r->preads[i].seq == 0) {
			r->preads[i].index = r->log.committed;
			r->preads[i].seq = ++r->read_seq;
			any = true;
		}
	}
	if (any)
		r->hb_pending = true;
	return 0;
}

int raft_reads_on_ack(struct raft *r)
{
	size_t done = 0;
	while (done < r->n_preads) {
		const struct raft_pending_read *p = &r->preads[done];
		if (p->seq == 0)
			break;
		size_t acks = 0;
		for (size_t i = 0; i < r->n_prs; i++)
			if (r->prs[i].id == r->id || r->prs[i].read_ack >= p->seq)
				acks++;
		if (acks < raft_quorum(r))
			break;
		int rc = resolve(r, p);
		if (rc)
			return rc;
		done++;
	}
	if (done)
		memmove(r->preads, r->preads + done, (r->n_preads - done) * sizeof(*r->preads));
	r->n_preads -= done;
	return 0;
}

int raft_read_index(struct raft *r, uint64_t ctx)
{
	return raft_handle_read_index(r, ctx, r->id);
}
