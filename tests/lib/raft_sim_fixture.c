/* raft_sim_fixture.c: helpers for unit tests that drive single raft members by hand. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "etcdlite/raft/codec.h"
#include "tests/lib/raft_sim_fixture.h"

struct raft *rf_new(uint64_t id, int n, bool pre_vote, bool check_quorum,
		    const struct raft_persisted *p)
{
	uint64_t peers[16];
	for (int i = 0; i < n; i++)
		peers[i] = (uint64_t)(i + 1);
	struct raft_config c = {
		.id = id,
		.peers = peers,
		.n_peers = (size_t)n,
		.election_tick = 10,
		.heartbeat_tick = 1,
		.pre_vote = pre_vote,
		.check_quorum = check_quorum,
		.seed = id * 7919,
	};
	if (p)
		c.persisted = *p;
	struct raft *r = NULL;
	ck_assert_int_eq(raft_new(&c, &r), 0);
	return r;
}

void rf_ready(struct raft *r, struct rf_out *o)
{
	memset(o, 0, sizeof(*o));
	if (!raft_has_ready(r))
		return;
	struct raft_ready rd;
	raft_ready(r, &rd);
	o->n_entries = rd.n_entries;
	o->n_committed = rd.n_committed;
	if (rd.n_committed)
		o->last_committed = rd.committed[rd.n_committed - 1].index;
	o->has_hard_state = rd.has_hard_state;
	o->hs = rd.hard_state;
	if (rd.snapshot) {
		o->has_snapshot = true;
		o->snap = rd.snapshot->meta;
		o->snap_len = rd.snapshot->len;
	}
	for (size_t i = 0; i < rd.n_reads && i < 16; i++)
		o->reads[o->n_reads++] = rd.reads[i];
	if (rd.n_msgs) {
		/* The codec makes an owned deep copy. */
		struct cm_buf b = CM_BUF_INIT;
		ck_assert_int_eq(raft_codec_encode(rd.msgs, rd.n_msgs, &b), 0);
		ck_assert_int_eq(raft_codec_decode((const uint8_t *)b.data, b.len, &o->msgs,
						   &o->n_msgs),
				 0);
		cm_buf_close(&b);
	}
	raft_advance(r, &rd);
}

void rf_out_free(struct rf_out *o)
{
	raft_codec_free(o->msgs, o->n_msgs);
	memset(o, 0, sizeof(*o));
}

void rf_ticks(struct raft *r, int n)
{
	for (int i = 0; i < n; i++) {
		raft_tick(r);
		struct rf_out o;
		rf_ready(r, &o);
		rf_out_free(&o);
	}
}

size_t rf_count(const struct rf_out *o, int type, uint64_t to)
{
	size_t k = 0;
	for (size_t i = 0; i < o->n_msgs; i++)
		if (o->msgs[i].type == type && (!to || o->msgs[i].to == to))
			k++;
	return k;
}

const struct raft_msg *rf_find(const struct rf_out *o, int type, uint64_t to)
{
	for (size_t i = 0; i < o->n_msgs; i++)
		if (o->msgs[i].type == type && (!to || o->msgs[i].to == to))
			return &o->msgs[i];
	return NULL;
}

size_t rf_deliver(struct raft **rs, int n, const struct rf_out *o)
{
	size_t k = 0;
	for (size_t i = 0; i < o->n_msgs; i++) {
		uint64_t to = o->msgs[i].to;
		if (to < 1 || to > (uint64_t)n || !rs[to])
			continue;
		ck_assert_int_eq(raft_step(rs[to], &o->msgs[i]), 0);
		k++;
	}
	return k;
}

void rf_pump(struct raft **rs, int n)
{
	for (int round = 0; round < 1000; round++) {
		size_t moved = 0;
		for (int i = 1; i <= n; i++) {
			if (!rs[i])
				continue;
			struct rf_out o;
			rf_ready(rs[i], &o);
			moved += o.n_msgs + o.n_entries + o.n_committed;
			rf_deliver(rs, n, &o);
			rf_out_free(&o);
		}
		if (!moved)
			return;
	}
	ck_abort_msg("rf_pump: members never went quiet");
}

enum raft_role rf_role(const struct raft *r)
{
	struct raft_status st;
	raft_status(r, &st);
	return st.role;
}

uint64_t rf_term(const struct raft *r)
{
	struct raft_status st;
	raft_status(r, &st);
	return st.term;
}

uint64_t rf_commit(const struct raft *r)
{
	struct raft_status st;
	raft_status(r, &st);
	return st.commit;
}
