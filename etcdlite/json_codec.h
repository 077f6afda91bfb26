/* json_codec.h: etcd v3 JSON gateway shapes <-> etcdlite requests and responses. */
#ifndef EL_JSON_CODEC_H
#define EL_JSON_CODEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/arena.h"
#include "common/buf.h"
#include "etcdlite/lease.h"
#include "etcdlite/request.h"
#include "etcdlite/watch.h"

/*
 * The gateway writes as etcd 3.4's grpc-gateway does: int64 as strings, bytes
 * as base64, fields at their zero value left out, enums accepted as names or
 * numbers. Fields we do not know are ignored, as etcd ignores them.
 */

/* The response header every answer carries. */
struct el_header {
	uint64_t cluster_id;
	uint64_t member_id;
	int64_t revision; /* 0: left out (as in member list) */
	uint64_t raft_term;
};

/* A request decoded from JSON: req points into arena, which owns everything. */
struct el_jreq {
	struct el_request req;
	/* Lease and watch calls that are not store requests. */
	int64_t lease_id;
	bool lease_keys;
	struct el_watch_opts watch;
	bool watch_progress_notify;
	int64_t watch_id; /* the client's, echoed in every answer on the stream */
	bool watch_cancel;
	int64_t watch_cancel_id;
	/* Maintenance and cluster calls. */
	uint8_t alarm_action; /* enum el_alarm_action */
	uint8_t alarm_type;   /* etcd's AlarmType: 0 NONE, 1 NOSPACE, 2 CORRUPT */
	uint64_t member_id;   /* member remove/update/promote: "ID" */
	uint32_t n_peer_urls; /* member add/update: "peerURLs" given */
	int64_t revision;     /* hashkv */
	struct cm_arena arena;
};

enum el_alarm_action { EL_ALARM_GET = 0, EL_ALARM_ACTIVATE = 1, EL_ALARM_DEACTIVATE = 2 };

/* What a body is decoded as. */
enum el_jkind {
	EL_J_RANGE,
	EL_J_PUT,
	EL_J_DELETE,
	EL_J_TXN,
	EL_J_COMPACTION,
	EL_J_LEASE_GRANT,
	EL_J_LEASE_REVOKE,
	EL_J_LEASE_ID, /* keepalive, timetolive: ID (and keys) */
	EL_J_WATCH,    /* {"create_request":{...}} or {"cancel_request":{...}} */
	EL_J_ALARM,    /* action, alarm, memberID */
	EL_J_MEMBER,   /* ID, peerURLs */
	EL_J_HASHKV,   /* revision */
	EL_J_OBJECT,   /* any object: fields we do not read (auth calls) */
};

/*
 * Decodes body[0..len) as kind into *out (initialise it zeroed; close with
 * el_jreq_close, also after a failure). Returns 0, or -EINVAL with etcd's
 * message in err (bad JSON, bad base64, wrong types), or -ENOMEM.
 */
int el_json_decode(enum el_jkind kind, const char *body, size_t len, struct el_jreq *out,
		   struct cm_buf *err);
void el_jreq_close(struct el_jreq *r);

/* True if req (a txn, recursively) writes nothing: it can be served as a read. */
bool el_request_is_read_only(const struct el_request *req);

/* Appends {"header":{...}} members (without the braces) to out. */
int el_json_header(const struct el_header *h, struct cm_buf *out);
/* Appends the whole JSON answer to a KV, compaction or lease grant/revoke request. */
int el_json_encode_response(const struct el_header *h, const struct el_response *resp,
			    struct cm_buf *out);
/* Appends etcd's error object for err (negative) and gives the HTTP status in *status. */
int el_json_encode_error(int err, const char *message, struct cm_buf *out, int *status);
/* The HTTP status etcd's gateway gives a gRPC code. */
int el_grpc_http_status(int code);
/* Appends a lease time-to-live answer. */
int el_json_encode_ttl(const struct el_header *h, const struct el_lease_ttl *t, struct cm_buf *out);
/* Appends one line of a watch stream: {"result":{...}}\n. */
int el_json_encode_watch(const struct el_header *h, const struct el_watch_batch *b, bool created,
			 struct cm_buf *out);

#endif
