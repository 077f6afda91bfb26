/* member_snapshot.c: snapshots of the store: taken every --snapshot-count entries, installed from the leader. */
#include "etcdlite/member_internal.h"

#include <inttypes.h>
#include <stdlib.h>

#include "common/err.h"
#include "common/log.h"
#include "etcdlite/snapfile.h"

static void save_work(uv_work_t *w)
{
	struct el_member *m = w->data;

	m->snap_err = el_snapfile_save(m->snap_dir, m->snap_pending_index, m->snap_pending_term,
				       m->snap_pending.data, m->snap_pending.len);
}

static void save_done(uv_work_t *w, int status)
{
	struct el_member *m = w->data;
	struct cm_buf old = m->snap;

	(void)status;
	m->snap_saving = false;
	if (m->snap_err) {
		cm_error("member %s: save snapshot at %" PRIu64 ": %s", m->cfg.name,
			 m->snap_pending_index, cm_strerror(m->snap_err));
		cm_buf_close(&m->snap_pending);
		el_member_kick(m);
		return;
	}
	m->snap = m->snap_pending;
	cm_buf_init(&m->snap_pending);
	cm_buf_close(&old);
	m->snap_index = m->snap_pending_index;
	m->snap_term = m->snap_pending_term;
	m->compact_due = true;
	cm_metric_inc(m->mx.snapshots);
	cm_info("member %s: saved snapshot at index %" PRIu64 " (%zu bytes)", m->cfg.name,
		m->snap_index, m->snap.len);
	el_member_kick(m);
}

void el_member_maybe_snapshot(struct el_member *m)
{
	int rc;

	if (m->snap_saving || m->stopping ||
	    m->applied_index < m->snap_index + (uint64_t)m->cfg.snapshot_count)
		return;
	cm_buf_reset(&m->snap_pending);
	rc = el_store_snapshot(m->store, &m->snap_pending);
	if (rc) {
		cm_error("member %s: snapshot the store: %s", m->cfg.name, cm_strerror(rc));
		return;
	}
	m->snap_pending_index = m->applied_index;
	m->snap_pending_term = m->applied_term;
	m->snap_saving = true;
	m->snap_work.data = m;
	if (uv_queue_work(m->loop, &m->snap_work, save_work, save_done)) {
		m->snap_saving = false;
		cm_buf_close(&m->snap_pending);
	}
}

void el_member_snapshot_finish(struct el_member *m)
{
	int rc = raft_compact(m->raft, m->snap_index);

	m->compact_due = false;
	if (rc && rc != -CM_ECOMPACTED) {
		cm_warn("member %s: compact raft log to %" PRIu64 ": %s", m->cfg.name, m->snap_index,
			cm_strerror(rc));
		return;
	}
	rc = el_wal_mark_snapshot(m->wal, m->snap_index, m->snap_term);
	/* Keep the WAL back to the older kept snapshot, in case the newest file is damaged. */
	if (!rc && m->prev_snap_index)
		rc = el_wal_release_to(m->wal, m->prev_snap_index);
	m->prev_snap_index = m->snap_index;
	if (rc)
		cm_error("member %s: mark snapshot in the WAL: %s", m->cfg.name, cm_strerror(rc));
}

int el_member_install_snapshot(struct el_member *m, const struct raft_snapshot *s)
{
	int rc = el_store_restore(m->store, s->data, s->len, el_now_ms());

	if (rc) {
		cm_error("member %s: restore snapshot %" PRIu64 " from the leader: %s", m->cfg.name,
			 s->meta.index, cm_strerror(rc));
		return rc;
	}
	cm_buf_reset(&m->snap);
	if (cm_buf_append(&m->snap, s->data, s->len) == 0) {
		m->snap_index = s->meta.index;
		m->snap_term = s->meta.term;
	}
	m->applied_index = s->meta.index;
	m->applied_term = s->meta.term;
	el_watch_hub_sync(m->hub, 0);
	cm_info("member %s: installed snapshot at index %" PRIu64 " from the leader", m->cfg.name,
		s->meta.index);
	return 0;
}
