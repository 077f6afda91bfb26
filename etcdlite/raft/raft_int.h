/* raft_int.h: the internals shared by the raft/ source files (not for users of raft.h). */
#ifndef RAFT_RAFT_INT_H
#define RAFT_RAFT_INT_H

#include "etcdlite/raft/raft.h"

/* The log: entries after the snapshot, plus the indexes that track them. */
struct raft_log {
	struct raft_entry *ents; /* ents[i].index == snap.index + 1 + i */
	size_t n, cap;
	struct raft_snapshot_meta snap;
	uint64_t committed;
	uint64_t applied; /* last index the application has applied */
	uint64_t stable;  /* last index handed out to persist */
};

enum raft_pr_state {
	RAFT_PR_PROBE = 0, /* one append at a time until we find the match */
	RAFT_PR_REPLICATE, /* pipelined appends, up to max_inflight */
	RAFT_PR_SNAPSHOT,  /* a snapshot is on its way; send nothing else */
};

/* The leader's view of one peer. */
struct raft_progress {
	uint64_t id;
	uint64_t match, next;
	enum raft_pr_state state;
	bool paused; /* probe: an append is out, wait for its answer */
	bool recent_active;
	uint64_t pending_snapshot;
	bool snap_stale; /* in snapshot state across an election timeout */
	uint64_t *inflight; /* ring of last indexes of appends in flight */
	size_t in_start, in_count;
	uint64_t read_ack; /* highest read-index round this peer confirmed */
	int vote;          /* 0 none, 1 granted, -1 rejected (this election) */
};

/* A ReadIndex request this member (a follower) sent its leader, not yet
 * answered: sent again, with the same ctx, until an answer comes. */
struct raft_fwd_read {
	uint64_t ctx;
	int retries;
};

/* A ReadIndex request waiting for its heartbeat round (leader side). */
struct raft_pending_read {
	uint64_t ctx, from, index, seq; /* seq 0: waits for a commit in term */
};

struct raft {
	uint64_t id;
	int election_tick, heartbeat_tick;
	bool pre_vote, check_quorum;
	size_t max_msg_bytes, max_entry_bytes, max_inflight;
	uint64_t rng;

	struct raft_progress *prs; /* every member, self included */
	size_t n_prs;

	uint64_t term, vote, lead;
	enum raft_role role;
	struct raft_log log;

	int election_elapsed, heartbeat_elapsed, randomized_timeout;
	uint64_t transferee;

	struct raft_pending_read *preads;
	size_t n_preads, cap_preads;
	uint64_t read_seq;
	bool hb_pending;    /* a read-index heartbeat round is to be sent */
	struct raft_fwd_read *fwd_reads; /* follower side, oldest first */
	size_t n_fwd_reads, cap_fwd_reads;
	int read_retry_elapsed;
	bool bcast_pending; /* new entries or commit to push to followers */
	bool bcast_commit;

	/* Output collected for the next ready. */
	struct raft_msg *msgs;
	size_t n_msgs, cap_msgs;
	struct raft_read_state *reads; /* resolved, waiting to be applied */
	size_t n_reads, cap_reads;
	struct raft_read_state *ready_reads; /* handed out in the current ready */
	size_t cap_ready_reads;
	bool has_snap; /* a received snapshot to persist and install */
	struct raft_snapshot snap;
	uint8_t *snap_buf;

	struct raft_hard_state prev_hs;
	struct raft_soft_state prev_ss;
};

/* log.c */
uint64_t raft_log_last_index(const struct raft_log *l);
uint64_t raft_log_last_term(const struct raft_log *l);
uint64_t raft_log_first_index(const struct raft_log *l);
/* Term at index; 0 if not held (the snapshot index yields its term). */
uint64_t raft_log_term(const struct raft_log *l, uint64_t index);
struct raft_entry *raft_log_entry(const struct raft_log *l, uint64_t index);
/* Appends a copy of e (index must be last + 1). 0 or -ENOMEM. */
int raft_log_append(struct raft_log *l, const struct raft_entry *e);
/* Drops entries from index on. */
void raft_log_truncate(struct raft_log *l, uint64_t index);
/* Drops entries up to index and records the snapshot meta. */
void raft_log_compact(struct raft_log *l, uint64_t index);
/* Drops everything and starts after meta. */
void raft_log_restore(struct raft_log *l, struct raft_snapshot_meta meta);
void raft_log_close(struct raft_log *l);
/* Largest index <= index whose term <= term (stops at the snapshot). */
uint64_t raft_log_find_conflict_by_term(const struct raft_log *l, uint64_t index,
					uint64_t term);

/* ready.c */
/* Queues m to send (entries resolved at ready time). 0 or -ENOMEM. */
int raft_send(struct raft *r, struct raft_msg *m);
int raft_add_read_state(struct raft *r, uint64_t index, uint64_t ctx);

/* election.c */
void raft_become_follower(struct raft *r, uint64_t term, uint64_t lead);
int raft_campaign(struct raft *r, bool pre, bool force);
int raft_handle_vote(struct raft *r, const struct raft_msg *m);
int raft_handle_vote_resp(struct raft *r, const struct raft_msg *m);
size_t raft_quorum(const struct raft *r);
uint64_t raft_rand(struct raft *r);
void raft_reset_timeout(struct raft *r);

/* replication.c */
struct raft_progress *raft_progress(struct raft *r, uint64_t id);
void raft_pr_become_probe(struct raft *r, struct raft_progress *pr);
int raft_send_append(struct raft *r, struct raft_progress *pr, bool send_empty);
int raft_bcast_heartbeat(struct raft *r, uint64_t ctx);
int raft_flush_bcast(struct raft *r);
bool raft_maybe_commit(struct raft *r);
int raft_handle_append(struct raft *r, const struct raft_msg *m);
int raft_handle_append_resp(struct raft *r, const struct raft_msg *m);
int raft_handle_heartbeat(struct raft *r, const struct raft_msg *m);
int raft_handle_heartbeat_resp(struct raft *r, const struct raft_msg *m);
int raft_handle_snapshot(struct raft *r, const struct raft_msg *m);
bool raft_committed_in_term(const struct raft *r);

/* readindex.c */
int raft_handle_read_index(struct raft *r, uint64_t ctx, uint64_t from);
int raft_reads_on_commit(struct raft *r);
int raft_reads_on_ack(struct raft *r);
void raft_reads_reset(struct raft *r);
/* Follower: an answer from the leader; a repeated one is dropped. */
int raft_reads_on_resp(struct raft *r, const struct raft_msg *m);
/* Follower: sends unanswered requests again now and then; drops old ones. */
void raft_reads_tick(struct raft *r);
/* New leader: the requests it had sent as a follower become its own. */
int raft_reads_take_over(struct raft *r);

#endif
