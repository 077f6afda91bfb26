/* member.c: the Raft Ready loop of a member: inputs, persistence off the loop, then send, apply, read. */
#include "etcdlite/member_internal.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common/err.h"
#include "common/log.h"
#include "common/timeutil.h"
#include "etcdlite/lease.h"
#include "etcdlite/raft/codec.h"
#include "etcdlite/snapfile.h"

int64_t el_now_ms(void)
{
	return cm_time_mono_ms();
}

void el_member_header(const struct el_member *m, struct el_header *h)
{
	h->cluster_id = m->cfg.cluster_id;
	h->member_id = m->cfg.id;
	h->revision = el_store_revision(m->store);
	h->raft_term = m->st.term;
}

void el_member_respond_error(struct cm_http_req *req, int err, const char *message)
{
	struct cm_buf out = CM_BUF_INIT;
	int status = 500;

	if (el_json_encode_error(err, message, &out, &status) == 0)
		cm_http_respond_buf(req, status, "application/json", &out);
	else
		cm_http_respond_error(req, 500, "out of memory");
	cm_buf_close(&out);
}

/* Inputs -------------------------------------------------------------------- */

static void drain_inputs(struct el_member *m)
{
	while (m->missed_ticks) {
		m->missed_ticks--;
		raft_tick(m->raft);
	}
	while (m->in_head) {
		struct el_input *in = m->in_head;
		m->in_head = in->next;
		switch (in->type) {
		case EL_IN_MSGS:
			for (size_t i = 0; i < in->n; i++) {
				int rc = raft_step(m->raft, &in->msgs[i]);
				if (rc)
					cm_debug(1, "member %s: dropped %s from %" PRIx64 ": %s", m->cfg.name,
						 raft_msg_type_name(in->msgs[i].type), in->msgs[i].from,
						 cm_strerror(rc));
			}
			break;
		case EL_IN_PROPOSE:
			if (raft_propose(m->raft, in->data.data, in->data.len, NULL, NULL))
				cm_metric_inc(m->mx.proposals_failed);
			break;
		case EL_IN_UNREACHABLE:
			raft_report_unreachable(m->raft, in->peer);
			break;
		case EL_IN_SNAP_REPORT:
			raft_report_snapshot(m->raft, in->peer, in->ok);
			break;
		}
		raft_codec_free(in->msgs, in->n);
		cm_buf_close(&in->data);
		free(in);
	}
	m->in_tail = NULL;
}

void el_member_input(struct el_member *m, struct el_input *in)
{
	in->next = NULL;
	if (m->in_tail)
		m->in_tail->next = in;
	else
		m->in_head = in;
	m->in_tail = in;
	el_member_kick(m);
}

/* The Ready loop ----------------------------------------------------------- */

static void run(struct el_member *m);

static void fatal(struct el_member *m, const char *what, int err)
{
	/* What reached the disk is unknown: stop rather than acknowledge anything more. */
	cm_error("member %s: %s: %s; stopping", m->cfg.name, what, cm_strerror(err));
	m->failed = true;
	el_member_pending_fail_all(m, -CM_ESTOPPED);
	el_member_reads_fail_all(m, -CM_ESTOPPED);
	uv_stop(m->loop);
}

static void on_soft_state(struct el_member *m, const struct raft_soft_state *ss)
{
	if (ss->leader == m->leader)
		return;
	cm_metric_inc(m->mx.leader_changes);
	cm_metric_set(m->mx.has_leader, ss->leader ? 1 : 0);
	if (ss->leader == m->cfg.id) {
		cm_info("member %s: became leader", m->cfg.name);
		/* Time without a leader must not expire leases (etcd's Promote). */
		el_lease_promote(m->store, el_now_ms());
	} else if (ss->leader) {
		struct el_peer *p = el_member_peer(m, ss->leader);
		cm_info("member %s: leader is %s", m->cfg.name, p ? p->name : "unknown");
	} else {
		cm_warn("member %s: lost the leader", m->cfg.name);
	}
	m->leader = ss->leader;
}

enum send_which { SEND_ALL, SEND_BEFORE_PERSIST, SEND_AFTER_PERSIST };

/*
 * Appends and heartbeats are a leader's own messages: they promise nothing
 * about what this member has persisted, so the leader sends them while its
 * fsync runs (Raft thesis 10.2.1; etcd does the same) and the followers'
 * fsyncs overlap its own. Safety does not move: a follower's answer is an
 * input, and inputs are stepped only once the Ready in flight is durable
 * (run() returns while busy), so no entry is counted committed, and no client
 * answered, before the leader's copy is on disk. Every other message (votes,
 * append answers) says something about our disk and waits for the fsync.
 */
static bool sendable_before_persist(const struct raft_msg *msg)
{
	return msg->type == RAFT_MSG_APPEND || msg->type == RAFT_MSG_HEARTBEAT;
}

static void send_msgs(struct el_member *m, enum send_which which)
{
	const struct raft_ready *rd = &m->rd;
	struct raft_msg *some;
	size_t k = 0;

	if (which == SEND_ALL) {
		el_transport_send(m, rd->msgs, rd->n_msgs);
		return;
	}
	some = malloc(rd->n_msgs * sizeof(*some));
	if (!some)
		return; /* lost like dropped packets: Raft retransmits */
	for (size_t i = 0; i < rd->n_msgs; i++)
		if (sendable_before_persist(&rd->msgs[i]) == (which == SEND_BEFORE_PERSIST))
			some[k++] = rd->msgs[i];
	if (k)
		el_transport_send(m, some, k);
	free(some);
}

/* Steps 2-4 of the Ready loop, once step 1 is durable. */
static void finish_ready(struct el_member *m)
{
	struct raft_ready *rd = &m->rd;

	if (rd->n_msgs)
		send_msgs(m, m->rd_sent_early ? SEND_AFTER_PERSIST : SEND_ALL);
	m->rd_sent_early = false;
	if (rd->snapshot && el_member_install_snapshot(m, rd->snapshot)) {
		fatal(m, "install snapshot", -CM_ECORRUPT);
		return;
	}
	if (rd->n_committed)
		el_member_apply(m, rd->committed, rd->n_committed);
	if (m->failed)
		return;
	if (rd->n_reads)
		el_member_reads_ready(m, rd->reads, rd->n_reads);
	if (rd->has_soft_state)
		on_soft_state(m, &rd->soft_state);
	raft_advance(m->raft, rd);
	raft_status(m->raft, &m->st);
	m->busy = false;
	cm_metric_set(m->mx.apply_lag, (double)(m->st.commit - m->applied_index));
	if (m->leader)
		el_member_flush_proposals(m);
	el_member_maybe_snapshot(m);
	if (raft_has_ready(m->raft) || m->in_head || m->missed_ticks)
		el_member_kick(m);
}

static void sync_work(uv_work_t *w)
{
	struct el_member *m = w->data;
	int64_t t0 = cm_time_mono_ns();
	int rc = 0;

	if (m->rd.snapshot)
		rc = el_snapfile_save(m->snap_dir, m->rd.snapshot->meta.index, m->rd.snapshot->meta.term,
				      m->rd.snapshot->data, m->rd.snapshot->len);
	if (!rc)
		rc = el_wal_do_sync(m->wal);
	m->work_err = rc;
	/* The histogram is only read on the loop after this work completes. */
	cm_metric_observe(m->mx.fsync_seconds, (double)(cm_time_mono_ns() - t0) / 1e9);
}

static void sync_done(uv_work_t *w, int status)
{
	struct el_member *m = w->data;
	int rc = el_wal_end_sync(m->wal);

	(void)status;
	if (m->work_err || rc) {
		fatal(m, "persist raft state", m->work_err ? m->work_err : rc);
		return;
	}
	finish_ready(m);
}

/* Entries, a snapshot, a new term or a vote must be durable before Raft acts on them. */
static bool must_sync(struct el_member *m)
{
	const struct raft_ready *rd = &m->rd;
	bool sync = rd->snapshot || rd->n_entries ||
		    (rd->has_hard_state && (rd->hard_state.term != m->synced_hs.term ||
					    rd->hard_state.vote != m->synced_hs.vote));

	if (rd->has_hard_state)
		m->synced_hs = rd->hard_state;
	return sync;
}

static int buffer_ready(struct el_member *m)
{
	struct raft_ready *rd = &m->rd;
	int rc = 0;

	if (rd->snapshot)
		rc = el_wal_mark_snapshot(m->wal, rd->snapshot->meta.index, rd->snapshot->meta.term);
	if (!rc && rd->n_entries) {
		struct el_wal_entry *ents = malloc(sizeof(*ents) * rd->n_entries);
		if (!ents)
			return -ENOMEM;
		for (size_t i = 0; i < rd->n_entries; i++) {
			ents[i].index = rd->entries[i].index;
			ents[i].term = rd->entries[i].term;
			ents[i].len = rd->entries[i].len;
			ents[i].data = rd->entries[i].data;
		}
		rc = el_wal_append_entries(m->wal, ents, rd->n_entries);
		free(ents);
	}
	if (!rc && rd->has_hard_state) {
		struct el_wal_hardstate hs = {rd->hard_state.term, rd->hard_state.vote,
					      rd->hard_state.commit};
		rc = el_wal_set_hardstate(m->wal, &hs);
	}
	return rc;
}

static void run(struct el_member *m)
{
	int rc;

	/* A snapshot save shares the snapshot folder with installs: one at a time. */
	if (m->busy || m->stopping || m->failed || m->snap_saving)
		return;
	drain_inputs(m);
	if (m->compact_due)
		el_member_snapshot_finish(m);
	el_member_reads_ask(m);
	if (!raft_has_ready(m->raft))
		return;
	raft_ready(m->raft, &m->rd);
	m->busy = true;
	if (!m->rd.snapshot && !m->rd.n_entries && !m->rd.has_hard_state) {
		finish_ready(m);
		return;
	}
	rc = buffer_ready(m);
	if (!rc && !must_sync(m)) {
		/* Only the commit index moved: it is buffered and reaches the
		 * disk with the next sync (a stale one after a crash is only
		 * relearned from the leader), as etcd's MustSync decides. */
		finish_ready(m);
		return;
	}
	if (!rc)
		rc = el_wal_begin_sync(m->wal);
	if (!rc) {
		m->work.data = m;
		rc = uv_queue_work(m->loop, &m->work, sync_work, sync_done);
	}
	if (rc) {
		fatal(m, "queue raft state for the disk", rc);
		return;
	}
	if (m->rd.n_msgs) {
		send_msgs(m, SEND_BEFORE_PERSIST);
		m->rd_sent_early = true;
	}
}

static void on_kick(uv_idle_t *h)
{
	struct el_member *m = h->data;

	uv_idle_stop(h);
	m->kicked = false;
	run(m);
	el_member_flush_forwards(m);
}

void el_member_kick(struct el_member *m)
{
	if (m->kicked || m->stopping)
		return;
	m->kicked = true;
	uv_idle_start(&m->kick, on_kick);
}

static void on_tick(uv_timer_t *t)
{
	struct el_member *m = t->data;

	m->missed_ticks++;
	el_member_kick(m);
}

static void on_sweep(uv_timer_t *t)
{
	struct el_member *m = t->data;
	int64_t now = el_now_ms();

	el_member_pending_sweep(m, now);
	el_member_reads_sweep(m, now);
	el_watch_streams_tick(m, now);
}

static void on_lease_timer(uv_timer_t *t)
{
	struct el_member *m = t->data;
	int64_t ids[64], now = el_now_ms();
	size_t n;

	if (m->leader != m->cfg.id)
		return;
	n = el_lease_expired(m->store, now, ids, 64);
	for (size_t i = 0; i < n; i++) {
		size_t slot = (size_t)ids[i] % 64;
		struct el_request r = {.type = EL_REQ_LEASE_REVOKE};

		/* Propose each revoke once per two seconds: the first may be lost. */
		if (m->revoke_proposed[slot] == ids[i] && now - m->revoke_proposed_at[slot] < 2000)
			continue;
		r.u.lease_revoke.id = ids[i];
		if (el_member_propose_internal(m, &r) == 0) {
			m->revoke_proposed[slot] = ids[i];
			m->revoke_proposed_at[slot] = now;
			cm_debug(1, "member %s: lease %" PRId64 " expired, revoking", m->cfg.name, ids[i]);
		}
	}
}

void el_member_loop_start(struct el_member *m)
{
	uv_idle_init(m->loop, &m->kick);
	uv_timer_init(m->loop, &m->tick_timer);
	uv_timer_init(m->loop, &m->sweep_timer);
	uv_timer_init(m->loop, &m->lease_timer);
	m->kick.data = m->tick_timer.data = m->sweep_timer.data = m->lease_timer.data = m;
	uv_timer_start(&m->tick_timer, on_tick, (uint64_t)m->cfg.heartbeat_ms,
		       (uint64_t)m->cfg.heartbeat_ms);
	uv_timer_start(&m->sweep_timer, on_sweep, 50, 50);
	uv_timer_start(&m->lease_timer, on_lease_timer, 500, 500);
}
