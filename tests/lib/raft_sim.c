/* raft_sim.c: deterministic multi-member raft simulator: fake disks, a faulty network, the Ready loop. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/err.h"
#include "etcdlite/raft/codec.h"
#include "tests/lib/raft_sim_int.h"

/* ---- disk ---- */

static void disk_truncate(struct rsim_disk *d, uint64_t from)
{
	while (d->n && d->snap.index + d->n >= from) {
		free(d->ents[d->n - 1].data);
		d->n--;
	}
}

static void disk_append(struct rsim *s, struct rsim_disk *d, const struct raft_entry *e)
{
	if (e->index != d->snap.index + d->n + 1) {
		rsim_fail(s, "persisted entries not contiguous: got %llu after %llu",
		     (unsigned long long)e->index, (unsigned long long)(d->snap.index + d->n));
		return;
	}
	if (d->n == d->cap) {
		d->cap = d->cap ? d->cap * 2 : 64;
		d->ents = realloc(d->ents, d->cap * sizeof(*d->ents));
		if (!d->ents)
			abort();
	}
	struct raft_entry c = *e;
	c.data = NULL;
	if (e->len) {
		c.data = malloc(e->len);
		memcpy(c.data, e->data, e->len);
	}
	d->ents[d->n++] = c;
}

/* Drops entries up to index (they are in the snapshot). */
static void disk_compact(struct rsim_disk *d, uint64_t index)
{
	size_t k = 0;
	while (k < d->n && d->ents[k].index <= index)
		free(d->ents[k++].data);
	if (k)
		memmove(d->ents, d->ents + k, (d->n - k) * sizeof(*d->ents));
	d->n -= k;
}

static void disk_close(struct rsim_disk *d)
{
	disk_truncate(d, 0);
	free(d->ents);
	free(d->snap_data);
	memset(d, 0, sizeof(*d));
}

/* ---- network ---- */

static void net_push(struct rsim *s, int to, const uint8_t *buf, size_t len, uint64_t due)
{
	if (s->n_net == s->cap_net) {
		s->cap_net = s->cap_net ? s->cap_net * 2 : 64;
		s->net = realloc(s->net, s->cap_net * sizeof(*s->net));
		if (!s->net)
			abort();
	}
	uint8_t *c = malloc(len);
	memcpy(c, buf, len);
	s->net[s->n_net++] = (struct rsim_net_msg){due, to, c, len};
}

/* Returns true if the message will reach the network (before loss). */
static bool send_msg(struct rsim *s, struct rsim_node *nd, const struct raft_msg *m)
{
	int to = (int)m->to;
	if (to < 1 || to > s->o.n || m->from != (uint64_t)nd->id) {
		rsim_fail(s, "member %d sent a message to bad member %d", nd->id, to);
		return false;
	}
	s->sent[m->type]++;
	struct cm_buf b = CM_BUF_INIT;
	if (raft_codec_encode(m, 1, &b))
		abort();
	bool lost = s->cut[nd->id][to] || rsim_pct(s, s->o.drop_pct);
	rsim_vlog(s, "%d -> %d %s term=%llu idx=%llu lterm=%llu commit=%llu n=%zu rej=%d hint=%llu/%llu ctx=%llu%s",
	     nd->id, to, raft_msg_type_name(m->type), (unsigned long long)m->term,
	     (unsigned long long)m->index, (unsigned long long)m->log_term,
	     (unsigned long long)m->commit, m->n_entries, m->reject,
	     (unsigned long long)m->reject_hint, (unsigned long long)m->reject_hint_term,
	     (unsigned long long)m->ctx, lost ? " LOST" : "");
	if (!lost) {
		int copies = rsim_pct(s, s->o.dup_pct) ? 2 : 1;
		for (int c = 0; c < copies; c++) {
			uint64_t delay = 1 + rsim_rnd(s) % (uint64_t)(s->o.max_delay > 0 ? s->o.max_delay : 1);
			/* A long tail: a few messages arrive very late, long
			 * after the state that sent them is gone. */
			if (s->o.max_delay > 1 && rsim_pct(s, 2))
				delay += 20 + rsim_rnd(s) % 60;
			net_push(s, to, (const uint8_t *)b.data, b.len, s->now + delay);
		}
	}
	cm_buf_close(&b);
	return !lost;
}

/* ---- members ---- */

static void sm_snapshot_bytes(const struct rsim_node *nd, uint8_t out[24])
{
	uint64_t v[3] = {nd->sm_index, nd->sm_chain, nd->sm_count};
	memcpy(out, v, sizeof(v));
}

static void handle_ready(struct rsim *s, struct rsim_node *nd)
{
	for (int guard = 0; nd->up && raft_has_ready(nd->r); guard++) {
		if (guard > 100) {
			rsim_fail(s, "member %d: ready never drains", nd->id);
			return;
		}
		struct raft_ready rd;
		raft_ready(nd->r, &rd);
		struct rsim_disk *d = &nd->d;
		/* 1. persist */
		if (rd.snapshot) {
			d->snap = rd.snapshot->meta;
			free(d->snap_data);
			d->snap_data = malloc(rd.snapshot->len ? rd.snapshot->len : 1);
			if (rd.snapshot->len)
				memcpy(d->snap_data, rd.snapshot->data, rd.snapshot->len);
			d->snap_len = rd.snapshot->len;
			disk_truncate(d, 0);
		}
		if (rd.n_entries) {
			disk_truncate(d, rd.entries[0].index);
			for (size_t i = 0; i < rd.n_entries; i++)
				disk_append(s, d, &rd.entries[i]);
		}
		if (rd.has_hard_state)
			d->hs = rd.hard_state;
		/* 2. send */
		for (size_t i = 0; i < rd.n_msgs; i++) {
			struct raft_msg m = rd.msgs[i];
			if (m.type == RAFT_MSG_SNAPSHOT) {
				if (m.snapshot.index != d->snap.index) {
					rsim_fail(s, "member %d: snapshot message at %llu but app holds %llu",
					     nd->id, (unsigned long long)m.snapshot.index,
					     (unsigned long long)d->snap.index);
					continue;
				}
				m.snap_data = d->snap_data;
				m.snap_len = d->snap_len;
			}
			bool ok = send_msg(s, nd, &m);
			/* Some outcomes go unreported, as when a transport
			 * gives up silently: raft must recover by itself. */
			if (m.type == RAFT_MSG_SNAPSHOT && nd->n_reports < RSIM_MAX * 4 &&
			    !rsim_pct(s, 20))
				nd->reports[nd->n_reports++] = (struct rsim_report){m.to, ok};
		}
		/* 3. install, apply */
		if (rd.snapshot)
			rsim_install_snapshot(s, nd, rd.snapshot);
		for (size_t i = 0; i < rd.n_committed; i++)
			rsim_apply_entry(s, nd, &rd.committed[i]);
		/* 4. serve reads */
		for (size_t i = 0; i < rd.n_reads; i++) {
			const struct raft_read_state *rs = &rd.reads[i];
			if (rs->ctx == 0 || rs->ctx > s->n_reads) {
				rsim_fail(s, "member %d: read state for unknown ctx %llu", nd->id,
				     (unsigned long long)rs->ctx);
				continue;
			}
			struct rsim_read_req *rq = &s->reads[rs->ctx - 1];
			if (rs->index < rq->min_index)
				rsim_fail(s, "linearizability: read %llu at index %llu, but %llu was committed before it was asked",
				     (unsigned long long)rs->ctx, (unsigned long long)rs->index,
				     (unsigned long long)rq->min_index);
			if (nd->sm_index < rs->index)
				rsim_fail(s, "member %d: read state %llu handed out before applied (%llu)",
				     nd->id, (unsigned long long)rs->index,
				     (unsigned long long)nd->sm_index);
			rq->done = true;
		}
		raft_advance(nd->r, &rd);
		if (rd.has_soft_state) {
			rsim_vlog(s, "member %d: %s, leader %llu, term %llu", nd->id,
			     raft_role_name(rd.soft_state.role),
			     (unsigned long long)rd.soft_state.leader,
			     (unsigned long long)nd->d.hs.term);
			rsim_check_role(s, nd);
		}
		for (size_t i = 0; i < nd->n_reports; i++)
			raft_report_snapshot(nd->r, nd->reports[i].peer, nd->reports[i].ok);
		nd->n_reports = 0;
		/* Take a snapshot now and then, as the application would. */
		if (s->o.compact_every && nd->sm_index >= d->snap.index + (uint64_t)s->o.compact_every) {
			uint64_t idx = nd->sm_index;
			uint8_t b[24];
			sm_snapshot_bytes(nd, b);
			free(d->snap_data);
			d->snap_data = malloc(sizeof(b));
			memcpy(d->snap_data, b, sizeof(b));
			d->snap_len = sizeof(b);
			d->snap.term = raft_term_at(nd->r, idx);
			d->snap.index = idx;
			disk_compact(d, idx);
			int rc = raft_compact(nd->r, idx);
			if (rc)
				rsim_fail(s, "member %d: raft_compact(%llu) = %d", nd->id,
				     (unsigned long long)idx, rc);
		}
	}
}

static void deliver(struct rsim *s)
{
	/* Deliveries may send more (due later), so walk a snapshot of the count. */
	size_t i = 0;
	while (i < s->n_net) {
		if (s->net[i].due > s->now ||
		    (s->o.queue_while_down && !s->nodes[s->net[i].to].up)) {
			i++;
			continue;
		}
		struct rsim_net_msg nm = s->net[i];
		memmove(s->net + i, s->net + i + 1, (s->n_net - i - 1) * sizeof(*s->net));
		s->n_net--;
		struct rsim_node *nd = &s->nodes[nm.to];
		if (nd->up) {
			struct raft_msg *ms;
			size_t n;
			int rc = raft_codec_decode(nm.buf, nm.len, &ms, &n);
			if (rc) {
				rsim_fail(s, "codec could not decode its own output: %d", rc);
			} else {
				for (size_t k = 0; k < n; k++) {
					rc = raft_step(nd->r, &ms[k]);
					if (rc)
						rsim_fail(s, "member %d: raft_step(%s) = %d", nd->id,
						     raft_msg_type_name(ms[k].type), rc);
				}
				raft_codec_free(ms, n);
			}
			handle_ready(s, nd);
		}
		free(nm.buf);
	}
}

/* ---- public ---- */

int rsim_restart(struct rsim *s, int i)
{
	struct rsim_node *nd = &s->nodes[i];
	if (nd->up)
		return 0;
	uint64_t peers[RSIM_MAX];
	for (int k = 0; k < s->o.n; k++)
		peers[k] = (uint64_t)(k + 1);
	struct raft_config c = {
		.id = (uint64_t)i,
		.peers = peers,
		.n_peers = (size_t)s->o.n,
		.election_tick = s->o.election_tick,
		.heartbeat_tick = s->o.heartbeat_tick,
		.pre_vote = s->o.pre_vote,
		.check_quorum = s->o.check_quorum,
		.seed = rsim_rnd(s),
		.max_msg_bytes = s->o.max_msg_bytes,
		.max_inflight = s->o.max_inflight,
		.persisted = {nd->d.hs, nd->d.snap, nd->d.ents, nd->d.n},
	};
	int rc = raft_new(&c, &nd->r);
	if (rc) {
		rsim_fail(s, "member %d: restart from its disk failed: %d", i, rc);
		return rc;
	}
	nd->up = true;
	if (s->o.boot_advance)
		raft_advance_election(nd->r);
	nd->sm_index = nd->sm_chain = nd->sm_count = 0;
	if (nd->d.snap.index) {
		struct raft_snapshot sn = {nd->d.snap, nd->d.snap_data, nd->d.snap_len};
		rsim_install_snapshot(s, nd, &sn);
	}
	nd->checked_commit = 0;
	nd->leader_checked_term = 0;
	nd->n_reports = 0;
	rsim_vlog(s, "member %d: restarted (term %llu, commit %llu, snap %llu, %zu entries)", i,
	     (unsigned long long)nd->d.hs.term, (unsigned long long)nd->d.hs.commit,
	     (unsigned long long)nd->d.snap.index, nd->d.n);
	return 0;
}

struct rsim *rsim_new(const struct rsim_opts *o)
{
	if (o->n < 1 || o->n > RSIM_MAX)
		return NULL;
	struct rsim *s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	s->o = *o;
	if (!s->o.election_tick)
		s->o.election_tick = 10;
	if (!s->o.heartbeat_tick)
		s->o.heartbeat_tick = 1;
	if (!s->o.max_delay)
		s->o.max_delay = 1;
	s->rng = o->seed * 0x9e3779b97f4a7c15ull + 1;
	for (int i = 1; i <= o->n; i++) {
		s->nodes[i].id = i;
		if (rsim_restart(s, i)) {
			rsim_free(s);
			return NULL;
		}
	}
	return s;
}

void rsim_free(struct rsim *s)
{
	if (!s)
		return;
	for (int i = 1; i <= s->o.n; i++) {
		raft_free(s->nodes[i].r);
		disk_close(&s->nodes[i].d);
	}
	for (size_t i = 0; i < s->n_net; i++)
		free(s->net[i].buf);
	free(s->net);
	free(s->truth);
	free(s->leaders);
	free(s->reads);
	free(s);
}

int rsim_settle(struct rsim *s)
{
	for (int i = 1; i <= s->o.n; i++)
		if (s->nodes[i].up)
			handle_ready(s, &s->nodes[i]);
	deliver(s);
	rsim_check_all(s);
	return s->failed ? -1 : 0;
}

int rsim_step(struct rsim *s)
{
	s->now++;
	for (int i = 1; i <= s->o.n; i++) {
		/* Clocks drift: a member now and then misses a tick. Safety
		 * must not depend on time at all. */
		if (s->nodes[i].up && !rsim_pct(s, s->o.skew_pct))
			raft_tick(s->nodes[i].r);
	}
	return rsim_settle(s);
}

int rsim_run(struct rsim *s, int n)
{
	for (int i = 0; i < n && !s->failed; i++)
		rsim_step(s);
	return s->failed ? -1 : 0;
}

const char *rsim_error(const struct rsim *s)
{
	return s->failed ? s->err : NULL;
}

struct raft *rsim_raft(struct rsim *s, int i)
{
	return s->nodes[i].up ? s->nodes[i].r : NULL;
}

int rsim_leader(struct rsim *s)
{
	int best = 0;
	uint64_t term = 0;
	for (int i = 1; i <= s->o.n; i++) {
		if (!s->nodes[i].up)
			continue;
		struct raft_status st;
		raft_status(s->nodes[i].r, &st);
		if (st.role == RAFT_LEADER && st.term >= term) {
			best = i;
			term = st.term;
		}
	}
	return best;
}

int rsim_propose(struct rsim *s, int i)
{
	struct rsim_node *nd = &s->nodes[i];
	if (!nd->up)
		return -CM_ENOTLEADER;
	uint8_t buf[64];
	uint64_t id = ++s->next_payload;
	size_t len = 8 + rsim_rnd(s) % 40;
	memset(buf, (int)(id & 0xff), sizeof(buf));
	memcpy(buf, &id, sizeof(id));
	int rc = raft_propose(nd->r, buf, len, NULL, NULL);
	if (rc == 0)
		handle_ready(s, nd);
	return rc;
}

int rsim_read(struct rsim *s, int i, uint64_t *ctx)
{
	struct rsim_node *nd = &s->nodes[i];
	if (!nd->up)
		return -CM_ENOTLEADER;
	if (s->n_reads == s->cap_reads) {
		s->cap_reads = s->cap_reads ? s->cap_reads * 2 : 64;
		s->reads = realloc(s->reads, s->cap_reads * sizeof(*s->reads));
		if (!s->reads)
			abort();
	}
	uint64_t c = s->n_reads + 1;
	int rc = raft_read_index(nd->r, c);
	if (rc)
		return rc;
	s->reads[s->n_reads++] = (struct rsim_read_req){c, s->max_committed, false};
	if (ctx)
		*ctx = c;
	handle_ready(s, nd);
	return 0;
}

bool rsim_read_done(const struct rsim *s, uint64_t ctx)
{
	return ctx >= 1 && ctx <= s->n_reads && s->reads[ctx - 1].done;
}

uint64_t rsim_applied(const struct rsim *s, int i)
{
	return s->nodes[i].sm_count;
}

uint64_t rsim_applied_index(const struct rsim *s, int i)
{
	return s->nodes[i].sm_index;
}

void rsim_crash(struct rsim *s, int i)
{
	struct rsim_node *nd = &s->nodes[i];
	if (!nd->up)
		return;
	raft_free(nd->r);
	nd->r = NULL;
	nd->up = false;
	rsim_vlog(s, "member %d: crashed", i);
}

bool rsim_is_up(const struct rsim *s, int i)
{
	return s->nodes[i].up;
}

void rsim_cut(struct rsim *s, int a, int b, bool cut)
{
	s->cut[a][b] = s->cut[b][a] = cut;
}

void rsim_cut_one(struct rsim *s, int from, int to, bool cut)
{
	s->cut[from][to] = cut;
	rsim_vlog(s, "link %d -> %d: %s", from, to, cut ? "cut" : "restored");
}

void rsim_isolate(struct rsim *s, int i, bool cut)
{
	for (int j = 1; j <= s->o.n; j++)
		if (j != i)
			rsim_cut(s, i, j, cut);
	rsim_vlog(s, "member %d: %s", i, cut ? "isolated" : "reconnected");
}

void rsim_heal(struct rsim *s)
{
	memset(s->cut, 0, sizeof(s->cut));
	rsim_vlog(s, "network healed");
}

void rsim_set_faults(struct rsim *s, int drop_pct, int dup_pct, int max_delay)
{
	s->o.drop_pct = drop_pct;
	s->o.dup_pct = dup_pct;
	s->o.max_delay = max_delay > 0 ? max_delay : 1;
}

void rsim_flush_network(struct rsim *s)
{
	for (size_t i = 0; i < s->n_net; i++)
		free(s->net[i].buf);
	s->n_net = 0;
}

uint64_t rsim_sent(const struct rsim *s, int type)
{
	return type >= 0 && type <= RAFT_MSG_TYPE_MAX ? s->sent[type] : 0;
}
