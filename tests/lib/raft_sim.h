/* raft_sim.h: a deterministic simulator that drives several raft members through a faulty network. */
#ifndef TESTS_RAFT_SIM_H
#define TESTS_RAFT_SIM_H

/*
 * The simulator owns N members (ids 1..N), each with a fake disk that keeps
 * exactly what raft handed out "to persist", a tiny state machine (a running
 * hash of applied entries) and snapshots of it. Messages travel through the
 * real codec over a network that can drop, duplicate, delay (and so reorder)
 * and partition. Every rsim_step() is one tick for every live member; after
 * each step the simulator checks Raft's safety properties and records the
 * first violation in rsim_error().
 */

#include <stdbool.h>
#include <stdint.h>

#include "etcdlite/raft/raft.h"

#define RSIM_MAX 7

struct rsim_opts {
	int n;
	uint64_t seed;
	bool verbose;
	bool pre_vote, check_quorum;
	int election_tick, heartbeat_tick;
	int drop_pct;      /* chance a message is lost */
	int dup_pct;       /* chance a message is delivered twice */
	int max_delay;     /* delivery after 1..max_delay ticks (reordering) */
	int compact_every; /* take a snapshot after this many applied entries; 0: never */
	int skew_pct;      /* chance a member misses a tick (clock drift) */
	size_t max_msg_bytes, max_inflight;
	bool boot_advance; /* raft_advance_election at every restart, as etcdlite's boot does */
	/* Messages to a crashed member wait for its restart, as in a transport
	 * that queues them for a peer it cannot reach (late and stale). */
	bool queue_while_down;
};

struct rsim;

/* Makes a simulator; NULL on -ENOMEM or bad options. */
struct rsim *rsim_new(const struct rsim_opts *o);
void rsim_free(struct rsim *s);

/* One tick for every live member, then deliveries and readies, then checks.
 * Returns 0, or -1 once a safety violation was seen (see rsim_error). */
int rsim_step(struct rsim *s);
/* Runs rsim_step n times or until a violation. */
int rsim_run(struct rsim *s, int n);
/* Delivers due messages and processes readies without ticking. */
int rsim_settle(struct rsim *s);
const char *rsim_error(const struct rsim *s);

/* Member i is 1-based. The raft of a crashed member is NULL. */
struct raft *rsim_raft(struct rsim *s, int i);
/* The live leader with the highest term, 0 if none. */
int rsim_leader(struct rsim *s);
/* Proposes a unique payload at member i; returns raft_propose's result. */
int rsim_propose(struct rsim *s, int i);
/* Asks member i for a read index; answers are checked for linearizability. */
int rsim_read(struct rsim *s, int i, uint64_t *ctx);
/* True once the read tagged ctx was answered. */
bool rsim_read_done(const struct rsim *s, uint64_t ctx);
/* Number of entries member i's state machine applied (excluding no-ops). */
uint64_t rsim_applied(const struct rsim *s, int i);
uint64_t rsim_applied_index(const struct rsim *s, int i);

void rsim_crash(struct rsim *s, int i);
int rsim_restart(struct rsim *s, int i);
bool rsim_is_up(const struct rsim *s, int i);
/* Cuts (or restores) both directions between a and b. */
void rsim_cut(struct rsim *s, int a, int b, bool cut);
/* Cuts (or restores) the direction from -> to only: an asymmetric link. */
void rsim_cut_one(struct rsim *s, int from, int to, bool cut);
/* Isolates member i from all others (or heals it). */
void rsim_isolate(struct rsim *s, int i, bool cut);
void rsim_heal(struct rsim *s);
/* Changes the loss/dup/delay settings (e.g. 0 to calm the network). */
void rsim_set_faults(struct rsim *s, int drop_pct, int dup_pct, int max_delay);
/* Drops all messages in flight. */
void rsim_flush_network(struct rsim *s);
/* Counts messages of type sent so far (all members). */
uint64_t rsim_sent(const struct rsim *s, int type);

/*
 * The randomized scenario: chaos (faults, partitions, crashes, client writes
 * and reads) for chaos_ticks, then a calm network with every member up, in
 * which a leader must be elected and a fresh write must commit everywhere.
 * Returns 0 or -1 (message in err, at least 256 bytes).
 */
int rsim_random_run(int n, uint64_t seed, int chaos_ticks, bool verbose, char *err,
		    size_t errlen);

#endif
