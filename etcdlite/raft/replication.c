/* replication.c: log replication: per-peer progress, pipelined appends, fast back-off, commit. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "etcdlite/raft/raft_int.h"

struct raft_progress *raft_progress(struct raft *r, uint64_t id)
{
	for (size_t i = 0; i < r->n_prs; i++)
		if (r->prs[i].id == id)
			return &r->prs[i];
	return NULL;
}

bool raft_committed_in_term(const struct raft *r)
{
	return raft_log_term(&r->log, r->log.committed) == r->term;
}

void raft_pr_become_probe(struct raft *r, struct raft_progress *pr)
{
	(void)r;
	if (pr->state == RAFT_PR_SNAPSHOT) {
		uint64_t ps = pr->pending_snapshot;
		pr->next = (pr->match + 1 > ps + 1) ? pr->match + 1 : ps + 1;
	} else {
		pr->next = pr->match + 1;
	}
	pr->state = RAFT_PR_PROBE;
	pr->paused = false;
	pr->pending_snapshot = 0;
	pr->in_start = pr->in_count = 0;
}

static void become_replicate(struct raft_progress *pr)
{
	pr->state = RAFT_PR_REPLICATE;
	pr->paused = false;
	pr->next = pr->match + 1;
	pr->in_start = pr->in_count = 0;
}

static void inflight_free_to(struct raft *r, struct raft_progress *pr, uint64_t index)
{
	while (pr->in_count && pr->inflight[pr->in_start] <= index) {
		pr->in_start = (pr->in_start + 1) % r->max_inflight;
		pr->in_count--;
	}
}

static int send_snapshot(struct raft *r, struct raft_progress *pr)
{
	struct raft_msg m = {
		.type = RAFT_MSG_SNAPSHOT,
		.to = pr->id,
		.term = r->term,
		.snapshot = r->log.snap,
	};
	pr->state = RAFT_PR_SNAPSHOT;
	pr->pending_snapshot = r->log.snap.index;
	pr->snap_stale = false;
	pr->in_start = pr->in_count = 0;
	return raft_send(r, &m);
}

int raft_send_append(struct raft *r, struct raft_progress *pr, bool send_empty)
{
	if (pr->id == r->id || pr->state == RAFT_PR_SNAPSHOT)
		return 0;
	if (pr->state == RAFT_PR_PROBE && pr->paused)
		return 0;
	if (pr->state == RAFT_PR_REPLICATE && pr->in_count >= r->max_inflight)
		return 0;
	uint64_t prev = pr->next - 1;
	if (prev < r->log.snap.index)
		return send_snapshot(r, pr);
	uint64_t last = raft_log_last_index(&r->log);
	size_t n = 0, bytes = 0;
	for (uint64_t i = pr->next; i <= last; i++) {
		size_t len = raft_log_entry(&r->log, i)->len;
		if (n > 0 && bytes + len > r->max_msg_bytes)
			break;
		bytes += len;
		n++;
	}
	if (n == 0 && !send_empty)
		return 0;
	struct raft_msg m = {
		.type = RAFT_MSG_APPEND,
		.to = pr->id,
		.term = r->term,
		.index = prev,
		.log_term = raft_log_term(&r->log, prev),
		.commit = r->log.committed,
		.n_entries = n,
	};
	int rc = raft_send(r, &m);
	if (rc)
		return rc;
	if (pr->state == RAFT_PR_REPLICATE) {
		if (n) {
			pr->next += n;
			size_t slot = (pr->in_start + pr->in_count) % r->max_inflight;
			pr->inflight[slot] = pr->next - 1;
			pr->in_count++;
		}
	} else {
		pr->paused = true;
	}
	return 0;
}

int raft_bcast_heartbeat(struct raft *r, uint64_t ctx)
{
	for (size_t i = 0; i < r->n_prs; i++) {
		struct raft_progress *pr = &r->prs[i];
		if (pr->id == r->id)
			continue;
		/* Never tell a follower to commit past what it is known to
		 * hold: its log beyond match may differ from ours. */
		uint64_t c = pr->match < r->log.committed ? pr->match : r->log.committed;
		struct raft_msg m = {
			.type = RAFT_MSG_HEARTBEAT,
			.to = pr->id,
			.term = r->term,
			.commit = c,
			.ctx = ctx,
		};
		int rc = raft_send(r, &m);
		if (rc)
			return rc;
	}
	return 0;
}

int raft_flush_bcast(struct raft *r)
{
	if (r->role != RAFT_LEADER) {
		r->bcast_pending = r->bcast_commit = r->hb_pending = false;
		return 0;
	}
	if (r->bcast_pending || r->bcast_commit) {
		for (size_t i = 0; i < r->n_prs; i++) {
			int rc = raft_send_append(r, &r->prs[i], r->bcast_commit);
			if (rc)
				return rc;
		}
		r->bcast_pending = r->bcast_commit = false;
	}
	if (r->hb_pending) {
		r->hb_pending = false;
		return raft_bcast_heartbeat(r, r->read_seq);
	}
	return 0;
}

static int cmp_u64_desc(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? 1 : x > y ? -1 : 0;
}

bool raft_maybe_commit(struct raft *r)
{
	uint64_t m[64], *matches = m;
	if (r->n_prs > 64) {
		matches = malloc(r->n_prs * sizeof(*matches));
		if (!matches)
			return false; /* retried on the next acknowledgement */
	}
	for (size_t i = 0; i < r->n_prs; i++)
		matches[i] = r->prs[i].match;
	qsort(matches, r->n_prs, sizeof(*matches), cmp_u64_desc);
	uint64_t mci = matches[raft_quorum(r) - 1];
	if (matches != m)
		free(matches);
	/* Only an entry of the current term is committed by counting; older
	 * ones follow it (Raft §5.4.2, the "figure 8" case). */
	if (mci > r->log.committed && raft_log_term(&r->log, mci) == r->term) {
		bool first = !raft_committed_in_term(r);
		r->log.committed = mci;
		r->bcast_commit = true;
		if (first)
			raft_reads_on_commit(r);
		return true;
	}
	return false;
}

static void commit_to(struct raft *r, uint64_t index)
{
	if (index > r->log.committed)
		r->log.committed = index;
}

int raft_handle_append(struct raft *r, const struct raft_msg *m)
{
	struct raft_msg resp = {.type = RAFT_MSG_APPEND_RESP, .to = m->from, .term = r->term};
	if (m->index < r->log.committed) {
		resp.index = r->log.committed;
		return raft_send(r, &resp);
	}
	if (raft_log_term(&r->log, m->index) != m->log_term ||
	    m->index > raft_log_last_index(&r->log)) {
		uint64_t hint = raft_log_find_conflict_by_term(&r->log, m->index, m->log_term);
		resp.reject = true;
		resp.index = m->index;
		resp.reject_hint = hint;
		resp.reject_hint_term = raft_log_term(&r->log, hint);
		return raft_send(r, &resp);
	}
	for (size_t i = 0; i < m->n_entries; i++) {
		const struct raft_entry *e = &m->entries[i];
		uint64_t idx = m->index + 1 + i;
		uint64_t t = raft_log_term(&r->log, idx);
		if (t == e->term && idx <= raft_log_last_index(&r->log))
			continue;
		if (idx <= r->log.committed)
			return -EINVAL; /* a leader may never rewrite committed entries */
		raft_log_truncate(&r->log, idx);
		for (size_t j = i; j < m->n_entries; j++) {
			int rc = raft_log_append(&r->log, &m->entries[j]);
			if (rc)
				return rc;
		}
		break;
	}
	uint64_t last_new = m->index + m->n_entries;
	commit_to(r, m->commit < last_new ? m->commit : last_new);
	resp.index = last_new;
	return raft_send(r, &resp);
}

int raft_handle_append_resp(struct raft *r, const struct raft_msg *m)
{
	struct raft_progress *pr = raft_progress(r, m->from);
	pr->recent_active = true;
	/* No follower can hold more of this term's log than the leader sent. */
	if (!m->reject && m->index > raft_log_last_index(&r->log))
		return 0;
	if (m->reject) {
		uint64_t rejected = m->index;
		if (pr->state == RAFT_PR_REPLICATE) {
			if (rejected <= pr->match)
				return 0; /* stale */
			raft_pr_become_probe(r, pr);
		} else if (pr->state == RAFT_PR_PROBE) {
			if (pr->next - 1 != rejected)
				return 0; /* stale */
			uint64_t probe = m->reject_hint;
			if (m->reject_hint_term > 0)
				probe = raft_log_find_conflict_by_term(&r->log, m->reject_hint,
								       m->reject_hint_term);
			uint64_t next = probe + 1 < rejected ? probe + 1 : rejected;
			if (next < pr->match + 1)
				next = pr->match + 1;
			if (next < 1)
				next = 1;
			pr->next = next;
			pr->paused = false;
		} else {
			return 0;
		}
		return raft_send_append(r, pr, true);
	}
	bool was_paused = pr->paused;
	bool updated = false;
	if (m->index > pr->match) {
		pr->match = m->index;
		updated = true;
	}
	if (pr->next < m->index + 1)
		pr->next = m->index + 1;
	pr->paused = false;
	if (pr->state == RAFT_PR_PROBE && updated)
		become_replicate(pr);
	else if (pr->state == RAFT_PR_SNAPSHOT && pr->match >= pr->pending_snapshot)
		raft_pr_become_probe(r, pr);
	else if (pr->state == RAFT_PR_REPLICATE)
		inflight_free_to(r, pr, m->index);
	if (updated && raft_maybe_commit(r)) {
		/* the broadcast of the new commit goes out with the ready */
	} else if (was_paused || updated) {
		int rc = raft_send_append(r, pr, false);
		if (rc)
			return rc;
	}
	if (m->from == r->transferee && pr->match == raft_log_last_index(&r->log)) {
		struct raft_msg tn = {.type = RAFT_MSG_TIMEOUT_NOW, .to = pr->id, .term = r->term};
		return raft_send(r, &tn);
	}
	return 0;
}

int raft_handle_heartbeat(struct raft *r, const struct raft_msg *m)
{
	uint64_t c = m->commit;
	uint64_t last = raft_log_last_index(&r->log);
	commit_to(r, c < last ? c : last);
	struct raft_msg resp = {
		.type = RAFT_MSG_HEARTBEAT_RESP, .to = m->from, .term = r->term, .ctx = m->ctx};
	return raft_send(r, &resp);
}

int raft_handle_heartbeat_resp(struct raft *r, const struct raft_msg *m)
{
	struct raft_progress *pr = raft_progress(r, m->from);
	pr->recent_active = true;
	pr->paused = false;
	if (pr->state == RAFT_PR_REPLICATE && pr->in_count >= r->max_inflight) {
		pr->in_start = (pr->in_start + 1) % r->max_inflight;
		pr->in_count--;
	}
	if (pr->match < raft_log_last_index(&r->log)) {
		int rc = raft_send_append(r, pr, true);
		if (rc)
			return rc;
	}
	if (m->ctx > pr->read_ack) {
		pr->read_ack = m->ctx;
		return raft_reads_on_ack(r);
	}
	return 0;
}

int raft_handle_snapshot(struct raft *r, const struct raft_msg *m)
{
	struct raft_msg resp = {.type = RAFT_MSG_APPEND_RESP, .to = m->from, .term = r->term};
	struct raft_snapshot_meta s = m->snapshot;
	if (s.index <= r->log.committed) {
		resp.index = r->log.committed;
		return raft_send(r, &resp);
	}
	if (raft_log_term(&r->log, s.index) == s.term && s.index <= raft_log_last_index(&r->log)) {
		/* We hold the entries already: the snapshot only says they are
		 * committed. */
		commit_to(r, s.index);
		resp.index = r->log.committed;
		return raft_send(r, &resp);
	}
	if (m->snap_len && !m->snap_data)
		return -EINVAL;
	uint8_t *copy = NULL;
	if (m->snap_len) {
		copy = malloc(m->snap_len);
		if (!copy)
			return -ENOMEM;
		memcpy(copy, m->snap_data, m->snap_len);
	}
	free(r->snap_buf);
	r->snap_buf = copy;
	r->snap.meta = s;
	r->snap.data = copy;
	r->snap.len = m->snap_len;
	r->has_snap = true;
	raft_log_restore(&r->log, s);
	resp.index = s.index;
	return raft_send(r, &resp);
}
