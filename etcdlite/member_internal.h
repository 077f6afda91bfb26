/* member_internal.h: the state of a member, shared by member*.c, transport.c and the gateway files. */
#ifndef EL_MEMBER_INTERNAL_H
#define EL_MEMBER_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include <uv.h>

#include "common/buf.h"
#include "common/http_client.h"
#include "common/http_server.h"
#include "common/metrics.h"
#include "etcdlite/config.h"
#include "etcdlite/json_codec.h"
#include "etcdlite/member.h"
#include "etcdlite/mvcc.h"
#include "etcdlite/raft/raft.h"
#include "etcdlite/wal.h"
#include "etcdlite/watch.h"

#define EL_PENDING_BUCKETS 1024
/* An entry's payload: origin member id, request id (0: nobody waits), then the request. */
#define EL_PAYLOAD_HEADER 16

/*
 * The largest entry Raft takes: a request of --max-request-bytes (as etcd
 * counts it, in protobuf bytes) in etcdlite's encoding, which is never much
 * larger, behind the payload header.
 */
static inline size_t el_member_max_entry(const struct el_config *cfg)
{
	return (size_t)cfg->max_request_bytes + EL_PAYLOAD_HEADER + 4096;
}
#define EL_PEER_MAX_INFLIGHT 4
#define EL_PEER_MAX_QUEUED 256
/*
 * What a peer may send in one body: a batch of appends (up to 1 MiB of
 * entries each) or a whole snapshot, which is as large as the store. The
 * client limit (--max-request-bytes) must not apply here, or a follower that
 * fell behind a store larger than it could never catch up.
 */
#define EL_PEER_MAX_BODY ((size_t)2 << 30)
/* Client bodies read whole at least up to this (see el_member_client_max_body). */
#define EL_CLIENT_MIN_BODY ((size_t)16 << 20)

/*
 * A write waiting for its entry to be applied here. Every proposal carries
 * (origin member id, request id) in front of the encoded request; the member
 * that applies an entry it originated answers the client with its own apply's
 * result, which is the same on every member (the store is deterministic).
 */
struct el_pending {
	uint64_t id;
	struct el_member *m;
	struct cm_http_req *req; /* NULL once the client has gone */
	int64_t deadline_ms;
	struct cm_buf payload;   /* kept until handed to a leader */
	bool proposed;
	struct el_pending *hnext;      /* hash chain */
	struct el_pending *prev, *next; /* age list, oldest first */
};

/* A linearizable read waiting for a read index, or a serializable one served at once. */
struct el_read {
	struct el_member *m;
	struct cm_http_req *req;
	struct el_jreq jr;
	int64_t deadline_ms;
	uint64_t batch; /* read-index context it waits for; 0: not yet asked */
	struct el_read *prev, *next;
};

/* Inputs for Raft that arrive while a Ready is being persisted. */
enum el_input_type { EL_IN_MSGS, EL_IN_PROPOSE, EL_IN_UNREACHABLE, EL_IN_SNAP_REPORT };
struct el_input {
	enum el_input_type type;
	struct raft_msg *msgs;
	size_t n;
	struct cm_buf data;
	uint64_t peer;
	bool ok;
	struct el_input *next;
};

struct el_peer_body {
	struct cm_buf body;
	bool snapshot;
	struct el_peer_body *next;
};

struct el_peer {
	struct el_member *m;
	uint64_t id;
	char name[64];
	char url[256];
	char client_urls[512]; /* learned from the peer's requests */
	int inflight;
	size_t nqueued;
	struct el_peer_body *head, *tail;
};

struct el_member {
	uv_loop_t *loop;
	struct el_config cfg;
	char wal_dir[1024], snap_dir[1024];

	struct raft *raft;
	struct el_wal *wal;
	struct el_store *store;
	struct el_watch_hub *hub;
	struct cm_metrics *metrics;
	struct cm_http_server *client_srv, *peer_srv;
	struct cm_http_server *metrics_srv; /* --listen-metrics-urls; NULL without */
	struct cm_http_client *http;

	/* The Ready loop: busy while a Ready is being made durable off the loop. */
	uv_timer_t tick_timer, sweep_timer, lease_timer;
	uv_idle_t kick;
	uv_work_t work;
	bool busy, kicked, stopping, failed;
	struct raft_ready rd;
	bool rd_needs_sync;
	bool rd_sent_early;                /* its leader messages went before the fsync */
	struct raft_hard_state synced_hs;  /* the term and vote last written to the WAL */
	int work_err;
	struct el_input *in_head, *in_tail;
	unsigned missed_ticks;
	struct raft_status st; /* as of the last Ready handled */
	uint64_t leader;
	uint64_t applied_index, applied_term;

	/* Writes. */
	uint64_t next_req_id;
	struct el_pending *buckets[EL_PENDING_BUCKETS];
	struct el_pending *oldest, *newest;
	size_t npending;
	struct cm_buf fwd;   /* forwards of this loop pass: [u32 len][payload]... */
	uint64_t fwd_leader; /* the leader they go to */

	/* Reads. */
	struct el_read *reads_head, *reads_tail;
	uint64_t next_read_ctx, read_ctx_asked;
	int64_t read_asked_ms;
	bool read_ask_again; /* the open round was given up: ask a new one */

	/* Snapshots: the newest one, kept in memory for lagging peers. */
	struct cm_buf snap;
	uint64_t snap_index, snap_term;
	bool snap_saving;
	uv_work_t snap_work;
	struct cm_buf snap_pending; /* being saved */
	uint64_t snap_pending_index, snap_pending_term;
	int snap_err;
	bool compact_due;
	uint64_t prev_snap_index;

	/* Leases being revoked (so expiry proposes each once per interval). */
	int64_t revoke_proposed[64];
	int64_t revoke_proposed_at[64];

	/* Watch streams. */
	struct el_watch_stream *watches;

	struct el_peer peers[EL_MAX_MEMBERS];
	size_t n_peers;

	struct {
		struct cm_metric *leader_changes, *proposals_committed, *proposals_failed,
			*fsync_seconds, *apply_lag, *has_leader, *snapshots, *watchers;
	} mx;

	void (*stop_done)(void *ud);
	void *stop_ud;
	int close_pending;
};

/* member.c */
void el_member_kick(struct el_member *m);
/*
 * Queues in (taken over) for Raft: inputs are handed to Raft in order by the
 * next run of the loop, after the Ready in flight, if any, is durable.
 */
void el_member_input(struct el_member *m, struct el_input *in);
/* Initialises and starts the loop's idle and timers (ticks, sweeps, lease expiry). */
void el_member_loop_start(struct el_member *m);
/* One of the handles closed by el_member_stop is closed; the last frees the member. */
void el_member_closed_one(struct el_member *m);
void el_member_header(const struct el_member *m, struct el_header *h);
/* Answers req with etcd's error JSON for err (message NULL: etcd's wording). */
void el_member_respond_error(struct cm_http_req *req, int err, const char *message);
int64_t el_now_ms(void);

/* member_write.c: proposals and their answers. */
/* Proposes jr's request for req; the answer comes when it is applied (or times out). */
void el_member_propose(struct el_member *m, struct cm_http_req *req, const struct el_request *r);
/* Proposes a request no client waits for (lease revokes on expiry). */
int el_member_propose_internal(struct el_member *m, const struct el_request *r);
/* A proposal forwarded by a follower (payload as made by el_member_propose). */
int el_member_propose_payload(struct el_member *m, const void *data, size_t len);
void el_member_apply(struct el_member *m, const struct raft_entry *ents, size_t n);
void el_member_pending_sweep(struct el_member *m, int64_t now);
/* Sends the forwards gathered in this loop pass to the leader in one request. */
void el_member_flush_forwards(struct el_member *m);
/* A batch of forwarded payloads ([u32 len][payload]...): proposes each; 0, -EINVAL, or the first error. */
int el_member_propose_batch(struct el_member *m, const void *data, size_t len);
/* A leader is now known: hand it what waited. */
void el_member_flush_proposals(struct el_member *m);
void el_member_pending_fail_all(struct el_member *m, int err);

/* member_read.c */
/* Takes jr (moved) and answers req once the read is linearizable, or now if serializable. */
void el_member_read(struct el_member *m, struct cm_http_req *req, struct el_jreq *jr);
void el_member_reads_ask(struct el_member *m);
void el_member_reads_ready(struct el_member *m, const struct raft_read_state *rs, size_t n);
void el_member_reads_sweep(struct el_member *m, int64_t now);
void el_member_reads_fail_all(struct el_member *m, int err);

/* member_snapshot.c */
void el_member_maybe_snapshot(struct el_member *m);
int el_member_install_snapshot(struct el_member *m, const struct raft_snapshot *s);
/* Called when not busy: finishes a saved snapshot by compacting Raft and the WAL. */
void el_member_snapshot_finish(struct el_member *m);

/* transport.c */
int el_transport_init(struct el_member *m);
void el_transport_send(struct el_member *m, const struct raft_msg *msgs, size_t n);
int el_transport_routes(struct el_member *m);
/* Forwards a batch of proposal payloads (see el_member_propose_batch) to the leader's peer URL. Returns 0 if sent. */
int el_transport_forward(struct el_member *m, uint64_t leader, const struct cm_buf *payload);
/* Relays req (its method, path and body) to the leader's peer listener and its answer back. */
void el_transport_proxy(struct el_member *m, struct cm_http_req *req);
struct el_peer *el_member_peer(struct el_member *m, uint64_t id);
void el_transport_close(struct el_member *m);

/* The client listener's body limit: what etcd reads and answers rather than cuts off. */
size_t el_member_client_max_body(const struct el_config *cfg);

/* gateway*.c */
int el_gateway_routes(struct el_member *m, struct cm_http_server *s);
/* Routes method path to h (ud m), and under /v3beta/ too for a /v3/ path, as etcd 3.4 does. */
int el_gateway_route(struct el_member *m, struct cm_http_server *s, const char *method, const char *path,
		     cm_http_handler h);
/*
 * Decodes req's body as kind into *jr (close it after a success). On failure,
 * also for a store request over the size etcd's gRPC server takes, answers
 * req itself and returns nonzero (jr closed).
 */
int el_gateway_decode(struct el_member *m, struct cm_http_req *req, enum el_jkind kind, struct el_jreq *jr);
/* Answers out (200, JSON) if rc is 0, else etcd's error for rc; out is emptied. */
void el_gateway_respond(struct cm_http_req *req, int rc, struct cm_buf *out);
/* Maintenance, cluster and auth calls beyond status and member list (gateway_maint.c). */
int el_gateway_maint_routes(struct el_member *m, struct cm_http_server *s);
/*
 * What etcd answers for what its gateway has no route for, and for bodies
 * over the limit: the cm_http_server_opts.refuse hook of the client listener
 * (ud: the member).
 */
void el_gateway_refuse(struct cm_http_req *req, int status, void *ud);
/*
 * If a request of size protobuf bytes is over what etcd's gRPC server takes
 * (--max-request-bytes + 512 KiB), answers it as etcd does (429, code 8) and
 * returns true.
 */
bool el_gateway_over_grpc_limit(struct el_member *m, struct cm_http_req *req, size_t size);
/* Only /health, for the --listen-metrics-urls server (its /metrics is the server's own). */
int el_gateway_health_route(struct el_member *m, struct cm_http_server *s);
int el_gateway_watch_routes(struct el_member *m, struct cm_http_server *s);
void el_watch_streams_close(struct el_member *m);
/* Sends progress notifications that are due. */
void el_watch_streams_tick(struct el_member *m, int64_t now);

#endif
