/* raft_sim_int.h: the simulator's internals, shared by raft_sim.c (driving) and raft_sim_check.c (checking). */
#ifndef TESTS_RAFT_SIM_INT_H
#define TESTS_RAFT_SIM_INT_H

#include "etcdlite/raft/raft_int.h"
#include "tests/lib/raft_sim.h"

struct rsim_disk {
	struct raft_hard_state hs;
	struct raft_snapshot_meta snap;
	uint8_t *snap_data;
	size_t snap_len;
	struct raft_entry *ents; /* after snap.index */
	size_t n, cap;
};

struct rsim_report {
	uint64_t peer;
	bool ok;
};

struct rsim_node {
	int id;
	bool up;
	struct raft *r;
	struct rsim_disk d;
	uint64_t sm_index, sm_chain, sm_count; /* the state machine */
	uint64_t checked_commit;
	uint64_t leader_checked_term;
	struct rsim_report reports[RSIM_MAX * 4];
	size_t n_reports;
};

struct rsim_net_msg {
	uint64_t due;
	int to;
	uint8_t *buf;
	size_t len;
};

/* The truth about one committed index, as first seen by any member. */
struct rsim_truth {
	uint64_t term, dhash, chain;
	bool set, chain_set;
};

struct rsim_read_req {
	uint64_t ctx, min_index;
	bool done;
};

struct rsim {
	struct rsim_opts o;
	uint64_t rng, now;
	struct rsim_node nodes[RSIM_MAX + 1];
	struct rsim_net_msg *net;
	size_t n_net, cap_net;
	bool cut[RSIM_MAX + 1][RSIM_MAX + 1];
	struct rsim_truth *truth;
	size_t cap_truth;
	uint64_t max_committed;
	uint64_t *leaders; /* by term */
	size_t cap_leaders;
	struct rsim_read_req *reads;
	size_t n_reads, cap_reads;
	uint64_t next_payload, next_ctx;
	uint64_t sent[RAFT_MSG_TYPE_MAX + 1];
	bool failed;
	char err[512];
};

uint64_t rsim_rnd(struct rsim *s);
/* True with probability p percent. */
int rsim_pct(struct rsim *s, int p);
void rsim_vlog(struct rsim *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Records the first violation (later ones are dropped). */
void rsim_fail(struct rsim *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
uint64_t rsim_hash_bytes(const uint8_t *p, size_t n);
uint64_t rsim_chain_next(uint64_t chain, uint64_t dhash);
/* The truth slot of index, grown on demand. */
struct rsim_truth *rsim_truth_at(struct rsim *s, uint64_t index);
/* Election safety for member nd, if it leads. */
void rsim_check_role(struct rsim *s, struct rsim_node *nd);
/* Applies e to nd's state machine, checking state machine safety. */
void rsim_apply_entry(struct rsim *s, struct rsim_node *nd, const struct raft_entry *e);
/* Loads a snapshot into nd's state machine, checking it against history. */
void rsim_install_snapshot(struct rsim *s, struct rsim_node *nd, const struct raft_snapshot *sn);
/* Log matching, leader completeness, commit agreement over live members. */
void rsim_check_all(struct rsim *s);

#endif
