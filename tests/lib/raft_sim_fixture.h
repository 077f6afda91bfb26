/* raft_sim_fixture.h: helpers for unit tests that drive single raft members by hand. */
#ifndef TESTS_RAFT_SIM_FIXTURE_H
#define TESTS_RAFT_SIM_FIXTURE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "etcdlite/raft/raft.h"

/* Everything one ready handed out, deep-copied so it outlives raft_advance. */
struct rf_out {
	struct raft_msg *msgs; /* from raft_codec_decode: owned */
	size_t n_msgs;
	size_t n_entries;    /* entries to persist */
	size_t n_committed;  /* entries to apply */
	uint64_t last_committed;
	bool has_hard_state;
	struct raft_hard_state hs;
	bool has_snapshot;
	struct raft_snapshot_meta snap;
	size_t snap_len;
	struct raft_read_state reads[16];
	size_t n_reads;
};

/*
 * Makes member id of members 1..n with election 10, heartbeat 1, the given
 * flags and persisted state (may be NULL). Aborts the test on failure.
 */
struct raft *rf_new(uint64_t id, int n, bool pre_vote, bool check_quorum,
		    const struct raft_persisted *p);
/* Runs one ready/advance cycle (if any) and captures it; free with rf_out_free. */
void rf_ready(struct raft *r, struct rf_out *o);
void rf_out_free(struct rf_out *o);
/* Ticks r n times, draining readies in between, and discards the output. */
void rf_ticks(struct raft *r, int n);
/* Counts messages of type (to `to`, or any when 0) in o. */
size_t rf_count(const struct rf_out *o, int type, uint64_t to);
/* Returns the first message of type in o, or NULL. */
const struct raft_msg *rf_find(const struct rf_out *o, int type, uint64_t to);
/* Delivers every message in o to the member in rs[] it is addressed to
 * (rs indexed by id; NULL entries drop). Returns the number delivered. */
size_t rf_deliver(struct raft **rs, int n, const struct rf_out *o);
/* Runs readies and deliveries among rs[1..n] until nothing moves (bounded). */
void rf_pump(struct raft **rs, int n);
/* The role of r. */
enum raft_role rf_role(const struct raft *r);
uint64_t rf_term(const struct raft *r);
uint64_t rf_commit(const struct raft *r);

#endif
