/* readindex.c: linearizable reads: the leader confirms its leadership with a heartbeat round. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "etcdlite/raft/raft_int.h"

/*
 * A follower's request to its leader, or the answer, can be lost (a dropped
 * message, a peer address that went stale, a leader change). The follower
 * sends it again with the SAME ctx, as etcd's server does, so whichever copy
 * is answered first serves the read: a fresh ctx per retry would make every
 * answer that is slower than the retry interval useless, and reads through a
 * lagging follower would never be served. Requests are given up after
 * FWD_READ_RETRIES sends (the caller has timed out by then); at most
 * FWD_READS_MAX are kept.
 */
#define FWD_READ_RETRIES 10
#define FWD_READS_MAX 1024

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

static int send_fwd(struct raft *r, uint64_t ctx)
{
	struct raft_msg m = {.type = RAFT_MSG_READ_INDEX, .to = r->lead, .term = r->term, .ctx = ctx};
	return raft_send(r, &m);
}

static int remember_fwd(struct raft *r, uint64_t ctx)
{
	for (size_t i = 0; i < r->n_fwd_reads; i++)
		if (r->fwd_reads[i].ctx == ctx)
			return 0;
	if (r->n_fwd_reads == FWD_READS_MAX) {
		memmove(r->fwd_reads, r->fwd_reads + 1, --r->n_fwd_reads * sizeof(*r->fwd_reads));
	} else if (r->n_fwd_reads == r->cap_fwd_reads) {
		size_t cap = r->cap_fwd_reads ? r->cap_fwd_reads * 2 : 16;
		struct raft_fwd_read *p = realloc(r->fwd_reads, cap * sizeof(*p));
		if (!p)
			return -ENOMEM;
		r->fwd_reads = p;
		r->cap_fwd_reads = cap;
	}
	r->fwd_reads[r->n_fwd_reads++] = (struct raft_fwd_read){.ctx = ctx};
	return 0;
}

int raft_handle_read_index(struct raft *r, uint64_t ctx, uint64_t from)
{
	if (r->role != RAFT_LEADER) {
		if (from != r->id)
			return 0; /* asked a non-leader: the asker sends it again */
		if (r->lead == 0)
			return -CM_ENOTLEADER;
		int rc = remember_fwd(r, ctx);
		return rc ? rc : send_fwd(r, ctx);
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

int raft_reads_on_resp(struct raft *r, const struct raft_msg *m)
{
	if (m->reject)
		return 0; /* sent again later */
	for (size_t i = 0; i < r->n_fwd_reads; i++) {
		if (r->fwd_reads[i].ctx != m->ctx)
			continue;
		int rc = raft_add_read_state(r, m->index, m->ctx);
		if (rc)
			return rc;
		memmove(r->fwd_reads + i, r->fwd_reads + i + 1,
			(r->n_fwd_reads - i - 1) * sizeof(*r->fwd_reads));
		r->n_fwd_reads--;
		return 0;
	}
	return 0; /* the answer to a copy already answered, or given up */
}

void raft_reads_tick(struct raft *r)
{
	int every = r->election_tick / 2 > 0 ? r->election_tick / 2 : 1;
	if (r->n_fwd_reads == 0 || ++r->read_retry_elapsed < every)
		return;
	r->read_retry_elapsed = 0;
	size_t k = 0;
	for (size_t i = 0; i < r->n_fwd_reads; i++) {
		struct raft_fwd_read *f = &r->fwd_reads[i];
		if (++f->retries > FWD_READ_RETRIES)
			continue;
		/* No leader known now: the next retry may find one. Sending
		 * is best effort; a failed one is retried like a lost one. */
		if (r->lead != 0)
			(void)send_fwd(r, f->ctx);
		r->fwd_reads[k++] = *f;
	}
	r->n_fwd_reads = k;
}

int raft_reads_take_over(struct raft *r)
{
	/* Served as this leader's own reads: its read index, taken once it has
	 * committed in its term, covers everything committed before they were
	 * asked. */
	size_t n = r->n_fwd_reads;
	r->n_fwd_reads = 0;
	for (size_t i = 0; i < n; i++) {
		int rc = raft_handle_read_index(r, r->fwd_reads[i].ctx, r->id);
		if (rc)
			return rc;
	}
	return 0;
}

int raft_read_index(struct raft *r, uint64_t ctx)
{
	return raft_handle_read_index(r, ctx, r->id);
}
