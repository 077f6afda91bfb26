/* raft.h: the Raft consensus core of etcdlite, a pure state machine (no I/O, no clock). */
#ifndef RAFT_RAFT_H
#define RAFT_RAFT_H

/*
 * The core in one paragraph
 * -------------------------
 * A struct raft is one member's view of the consensus. It never reads a
 * clock, a socket or a disk: time arrives as raft_tick() calls, messages from
 * peers as raft_step(), client writes as raft_propose(); randomness comes from
 * a seed in the config. Everything the member must do in return (persist,
 * send, apply) is collected and handed out by raft_ready(), in the manner of
 * etcd's raft "Ready" loop, and acknowledged with raft_advance().
 *
 * The Ready loop (the rules the server MUST follow; breaking them can lose an
 * acknowledged write):
 *
 *   for (;;) {
 *       ...raft_tick() every tick, raft_step() for each peer message,
 *          raft_propose() / raft_read_index() for clients...
 *       if (!raft_has_ready(r)) continue;
 *       struct raft_ready rd;
 *       raft_ready(r, &rd);
 *       1. PERSIST, durably (fsync) and in this order within one batch:
 *          rd.snapshot (if not NULL: the snapshot data and its meta. Raft
 *          threw its whole log away for it, so EVERY entry the WAL holds
 *          is superseded: none may be given back to raft_new() later),
 *          rd.entries (appending; an entry whose index is already in the WAL
 *          REPLACES it and every entry after it: truncate the WAL's suffix
 *          from rd.entries[0].index first, logically),
 *          rd.hard_state if rd.has_hard_state.
 *       2. SEND rd.msgs (only after step 1 is durable: a vote or an append
 *          acknowledgement promises that the data is on disk). A message of
 *          type RAFT_MSG_SNAPSHOT carries only metadata: attach the bytes of
 *          the snapshot whose index is msg.snapshot.index (see "Snapshots").
 *          Sending may be asynchronous and may fail silently: Raft retries.
 *       3. INSTALL rd.snapshot into the state machine (if not NULL), then
 *          APPLY rd.committed in order. An entry with len 0 is the leader's
 *          no-op: apply nothing, but count the index as applied.
 *       4. SERVE rd.reads: each read state's index is already applied once
 *          step 3 is done, so the read at ctx may be answered now.
 *       raft_advance(r, &rd);
 *   }
 *
 * Between raft_ready() and raft_advance() the caller MUST NOT call any other
 * raft_* function on r (except raft_free); every pointer in the ready points
 * into r and stays valid exactly until raft_advance(). Steps 1-4 may be done
 * asynchronously (e.g. fsync on a worker thread) as long as raft is not
 * called meanwhile; an implementation that wants to overlap may copy what it
 * needs, but must still not send before its data is durable.
 *
 * A crash at any point is safe as long as only what step 1 made durable is
 * given back to raft_new() on restart (hard state, snapshot meta, entries
 * after the snapshot). Nothing is "acknowledged" before step 1 is durable:
 * a client write may be answered once its entry (index AND term, see
 * raft_propose) is applied in step 3, never earlier.
 *
 * Configure pre_vote and check_quorum both on (etcdlite does): together they
 * keep a member that was cut off from deposing a healthy leader on return.
 *
 * Snapshots
 * ---------
 * The application owns snapshot data; raft knows only the meta (index and
 * term). When the application has durably stored a snapshot of its state
 * machine covering entries 1..index (index <= applied), it calls
 * raft_compact(r, index): raft remembers that snapshot's meta and frees its
 * entries up to index. The application keeps that snapshot until it calls
 * raft_compact() again. When a follower needs entries raft no longer has, the
 * leader emits a RAFT_MSG_SNAPSHOT message with msg.snapshot = the meta of the
 * last compaction and snap_data == NULL; the application attaches the bytes
 * (in its transport; the codec encodes them) before step 2 ends, and later
 * reports the outcome with raft_report_snapshot() (advisory: a snapshot
 * whose outcome is never reported is presumed lost and sent again after one
 * to two election timeouts). On the follower,
 * raft_step() copies the message's data; the next ready carries it as
 * rd.snapshot (meta + data), to persist (step 1) and install (step 3).
 * Entries in rd.committed then continue from rd.snapshot->meta.index + 1.
 * On restart the application loads its latest snapshot into the state
 * machine and passes its meta (and the WAL's entries after it) to raft_new;
 * raft then hands out the committed entries after it again, to apply.
 *
 * Reads (ReadIndex)
 * -----------------
 * raft_read_index(r, ctx) asks for a linearizable read point. The leader
 * records its commit index, confirms it is still leader with a heartbeat
 * round (only once it has committed an entry of its own term; requests wait
 * until then), and then the
 * read state {index, ctx} comes out in a ready, no earlier than the ready in
 * which entry `index` is applied. A follower forwards the request to its
 * leader and receives the answer in the same way; until answered, it sends it
 * again every half election timeout, with the same ctx, to whoever leads then
 * (or serves it itself if it is elected), for ten sends at most. So a lost
 * request or answer costs a retry, a slow answer still serves, and no ctx is
 * answered twice. The caller still times reads out; ctx is its own id for
 * matching answers to requests, and asking again with a new ctx is allowed.
 *
 * Membership is static: the set of members is fixed in the config. There are
 * no configuration-change entries (RAFT_ENTRY_CONF is reserved).
 *
 * Errors: negative errno or -CM_E* codes from common/err.h.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct raft;

enum raft_role {
	RAFT_FOLLOWER = 0,
	RAFT_PRECANDIDATE, /* canvassing with pre-votes; term not yet raised */
	RAFT_CANDIDATE,
	RAFT_LEADER,
};

enum raft_entry_type {
	RAFT_ENTRY_NORMAL = 0, /* application data; len 0 is the leader's no-op */
	RAFT_ENTRY_CONF = 1,   /* reserved: membership changes are not supported */
};

/* One log entry. In structs handed out by raft, data is owned by raft. */
struct raft_entry {
	uint64_t term;
	uint64_t index;
	uint8_t type; /* enum raft_entry_type */
	uint32_t len;
	uint8_t *data; /* NULL when len == 0 */
};

/* What must survive a crash besides the entries. */
struct raft_hard_state {
	uint64_t term;
	uint64_t vote; /* member voted for in term, 0 for none */
	uint64_t commit;
};

/* Identifies a snapshot: it covers entries 1..index; index 0 means none. */
struct raft_snapshot_meta {
	uint64_t index;
	uint64_t term; /* term of entry index */
};

/* A snapshot to persist and install (follower side). Owned by raft. */
struct raft_snapshot {
	struct raft_snapshot_meta meta;
	const uint8_t *data;
	size_t len;
};

/* Volatile state worth showing: who leads, and this member's role. */
struct raft_soft_state {
	uint64_t leader; /* 0 when unknown */
	enum raft_role role;
};

/* A linearizable read point: serve the read tagged ctx at applied >= index. */
struct raft_read_state {
	uint64_t index;
	uint64_t ctx;
};

enum raft_msg_type {
	RAFT_MSG_APPEND = 1,    /* entries after (index, log_term); commit */
	RAFT_MSG_APPEND_RESP,   /* index: last matching index, or reject + hint */
	RAFT_MSG_VOTE,          /* index/log_term: candidate's last entry */
	RAFT_MSG_VOTE_RESP,     /* reject: vote denied */
	RAFT_MSG_PREVOTE,       /* term: the term the candidate would use */
	RAFT_MSG_PREVOTE_RESP,
	RAFT_MSG_HEARTBEAT,     /* commit; ctx: read-index round, 0 for none */
	RAFT_MSG_HEARTBEAT_RESP,/* ctx echoed */
	RAFT_MSG_SNAPSHOT,      /* snapshot meta; snap_data attached by the app */
	RAFT_MSG_READ_INDEX,    /* follower -> leader: ctx */
	RAFT_MSG_READ_INDEX_RESP, /* leader -> follower: index, ctx; reject if refused */
	RAFT_MSG_TIMEOUT_NOW,   /* leader -> transferee: campaign now */
	RAFT_MSG_TYPE_MAX = RAFT_MSG_TIMEOUT_NOW,
};

/*
 * A message between members. Field use depends on type (see the enum). When
 * raft hands a message out, entries point into raft's log (valid until
 * raft_advance); when raft_step() takes one, raft copies what it keeps.
 */
struct raft_msg {
	uint8_t type; /* enum raft_msg_type */
	bool reject;
	bool force; /* vote requests from a leader transfer: ignore the lease */
	uint64_t from, to;
	uint64_t term;
	uint64_t log_term; /* APPEND: term of entry index; VOTE: last log term */
	uint64_t index;    /* APPEND: previous index; RESP: match or rejected index */
	uint64_t commit;
	uint64_t reject_hint;      /* APPEND_RESP reject: a probe index... */
	uint64_t reject_hint_term; /* ...and the follower's term there */
	uint64_t ctx;              /* heartbeat round / read-index context */
	size_t n_entries;
	struct raft_entry *entries;
	struct raft_snapshot_meta snapshot; /* SNAPSHOT */
	const uint8_t *snap_data;           /* SNAPSHOT: attached by the app */
	size_t snap_len;
};

/* What raft_ready() hands out; see the loop at the top for the order. */
struct raft_ready {
	bool has_soft_state;
	struct raft_soft_state soft_state;
	bool has_hard_state;
	struct raft_hard_state hard_state;
	const struct raft_snapshot *snapshot; /* NULL, or one to persist+install */
	const struct raft_entry *entries;     /* to persist, contiguous */
	size_t n_entries;
	const struct raft_entry *committed;   /* to apply, contiguous */
	size_t n_committed;
	const struct raft_msg *msgs;          /* to send after persisting */
	size_t n_msgs;
	const struct raft_read_state *reads;  /* to serve after applying */
	size_t n_reads;
};

/* The state a member was in when it stopped, as persisted by Ready step 1. */
struct raft_persisted {
	struct raft_hard_state hard_state;
	struct raft_snapshot_meta snapshot; /* index 0: none */
	/* Entries after snapshot.index, contiguous, in order; copied by raft_new. */
	const struct raft_entry *entries;
	size_t n_entries;
};

struct raft_config {
	uint64_t id;           /* this member, nonzero, one of peers */
	const uint64_t *peers; /* every member's id, this one included; copied */
	size_t n_peers;
	int election_tick;  /* election timeout: random in [election, 2*election) */
	int heartbeat_tick; /* leader heartbeat interval, < election_tick */
	bool pre_vote;      /* canvass before raising the term */
	bool check_quorum;  /* leader steps down without a live quorum; lease */
	uint64_t seed;      /* seeds this member's random election timeouts */
	size_t max_msg_bytes; /* entry bytes per append message; 0: 1 MiB */
	/* The largest entry raft_propose takes (a larger one than max_msg_bytes
	 * goes alone in its append message); 0: max_msg_bytes. */
	size_t max_entry_bytes;
	size_t max_inflight;  /* append messages in flight per peer; 0: 256 */
	/* Index the application's state machine already reflects (its loaded
	 * snapshot); 0 means persisted.snapshot.index. */
	uint64_t applied;
	struct raft_persisted persisted; /* zeroed for a brand-new member */
};

/*
 * Makes a member from config (which is copied; nothing in it is kept).
 * Returns 0 and *out (free with raft_free), or -EINVAL (bad ids, ticks,
 * entries not contiguous after the snapshot, commit beyond the last entry)
 * or -ENOMEM.
 */
int raft_new(const struct raft_config *config, struct raft **out);
/* Frees r and everything it owns; raft_free(NULL) does nothing. */
void raft_free(struct raft *r);

/* Advances logical time by one tick: elections, heartbeats, quorum checks. */
void raft_tick(struct raft *r);
/*
 * At boot, before the first tick: moves the election clock forward so that a
 * follower campaigns after 1 to election_tick ticks instead of election_tick
 * to 2*election_tick, as etcd's initial election tick advance does: a fresh
 * cluster elects its first leader about twice as soon. Harmless in a cluster
 * that has a leader: its heartbeat resets the clock, and a pre-vote to members
 * that hear a leader is refused without raising the term.
 */
void raft_advance_election(struct raft *r);

/*
 * Takes a message from a peer; msg stays the caller's (raft copies entries
 * and snapshot data it keeps). Stale or irrelevant messages are dropped
 * silently and return 0. Returns -EINVAL for a malformed message (unknown
 * type or sender, to != this member, entries not contiguous) or -ENOMEM.
 */
int raft_step(struct raft *r, const struct raft_msg *msg);

/*
 * Appends data (copied) as a new entry, if this member is the leader.
 * Returns 0 with *index and *term of the new entry (either may be NULL): the
 * write succeeded once an entry with that index AND term is applied; if a
 * different term shows up at that index, it was lost and may be retried.
 * (len 0 is allowed; such an entry applies as a no-op, like the leader's.)
 * Errors: -CM_ENOTLEADER (the caller forwards to raft_status().leader),
 * -EBUSY (a leader transfer is under way), -CM_ETOOLARGE (len over
 * max_entry_bytes), -ENOMEM.
 */
int raft_propose(struct raft *r, const void *data, size_t len, uint64_t *index,
		 uint64_t *term);

/*
 * Requests a linearizable read point tagged ctx (see "Reads" above); the
 * answer, if any, comes as a read state in a later ready. Returns 0,
 * -CM_ENOTLEADER when no leader is known, -ENOMEM.
 */
int raft_read_index(struct raft *r, uint64_t ctx);

/* The transport could not reach peer: the leader stops pipelining to it. */
void raft_report_unreachable(struct raft *r, uint64_t peer);
/* The snapshot message to peer was delivered (ok) or failed (!ok). */
void raft_report_snapshot(struct raft *r, uint64_t peer, bool ok);

/*
 * The application durably holds a snapshot covering entries 1..index
 * (index <= applied): raft takes it as the snapshot to send lagging peers
 * and frees entries up to index; the WAL may then drop its entries up to
 * index too (a restart passes the snapshot meta and the entries after it).
 * Returns 0, -EINVAL (index > applied), or
 * -CM_ECOMPACTED (index at or below the current snapshot: nothing done).
 */
int raft_compact(struct raft *r, uint64_t index);

/*
 * Asks the leader to hand leadership to peer once it has caught up (proposals
 * fail with -EBUSY meanwhile, for at most an election timeout). Returns 0,
 * -CM_ENOTLEADER, -EINVAL (unknown peer or self).
 */
int raft_transfer_leader(struct raft *r, uint64_t peer);

/* True if raft_ready() would hand out anything. */
bool raft_has_ready(const struct raft *r);
/*
 * Fills *rd with the work to do (see the loop at the top). Always succeeds;
 * rd may be empty. Until raft_advance(r, rd), call no other raft function.
 */
void raft_ready(struct raft *r, struct raft_ready *rd);
/* Marks all of rd done (persisted, sent, applied); frees what it held. */
void raft_advance(struct raft *r, const struct raft_ready *rd);

/* A snapshot of the member's state for status pages and tests. */
struct raft_status {
	uint64_t id;
	uint64_t term, vote, commit, applied;
	uint64_t first_index, last_index; /* entries held; first > last if none */
	struct raft_snapshot_meta snapshot;
	uint64_t leader;
	enum raft_role role;
};
void raft_status(const struct raft *r, struct raft_status *st);

/* Term of the entry at index, or 0 when raft does not hold it (compacted or
 * beyond the log); the snapshot's index yields the snapshot's term. */
uint64_t raft_term_at(const struct raft *r, uint64_t index);

/* Name of a message type or role, for logs ("append", "leader"). */
const char *raft_msg_type_name(int type);
const char *raft_role_name(enum raft_role role);

#endif
