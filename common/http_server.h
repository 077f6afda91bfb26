/* http_server.h: the HTTP server of every daemon: libmicrohttpd driven by the daemon's libuv loop. */
#ifndef CM_HTTP_SERVER_H
#define CM_HTTP_SERVER_H

#include <stddef.h>

#include <cjson/cJSON.h>
#include <uv.h>

#include "common/buf.h"
#include "common/metrics.h"

/*
 * MHD runs without threads of its own: its epoll fd is watched by a uv_poll
 * and its timeout by a uv_timer, so handlers run on the loop and need no locks.
 *
 * A handler answers now or later: it may return without answering and call
 * cm_http_respond*() from a later loop callback (the connection is suspended
 * meanwhile). Each request is answered exactly once, or streamed.
 */
struct cm_http_server;
struct cm_http_req;

typedef void (*cm_http_handler)(struct cm_http_req *req, void *ud);
/*
 * Called once when the request ends: answered and sent, or the client went
 * away. The req pointer is invalid once the callback returns, so a handler that
 * answers later (or streams) must register one and forget req in it.
 */
typedef void (*cm_http_req_done_cb)(struct cm_http_req *req, void *ud);

struct cm_http_server_opts {
	const char *bind_address; /* "127.0.0.1" if NULL; "0.0.0.0" for all */
	int port;                 /* 0 picks an ephemeral port: see cm_http_server_port() */
	size_t max_body;          /* larger bodies get 413; 0 means 3 MiB */
	unsigned idle_timeout_s;  /* an idle or slow connection is closed; 0 means 60 */
	unsigned header_timeout_s; /* a new connection's request headers must be in by then; 0 means 32 */
	const char *tls_cert_file; /* both set: serve HTTPS (GnuTLS) */
	const char *tls_key_file;
	/*
	 * With TLS: client certificates are asked for and verified against this
	 * CA bundle (chain, validity period, clientAuth usage). A request on a
	 * connection whose certificate fails gets 401; see cm_http_req_peer_identity.
	 */
	const char *tls_client_ca_file;
	int tls_client_cert_required; /* set: no certificate fails the handshake (401 if it gets through) */
	struct cm_metrics *metrics; /* optional: served at /metrics, request counts recorded */
	int own_healthz;            /* set: no built-in /healthz, the caller routes its own */
	/*
	 * Optional: called for every request once its body is in, before its route
	 * is looked up (so the built-in /healthz and /metrics, and unknown paths,
	 * pass it too). Returns nonzero when it answered (401, 403, ...) and no
	 * route runs; 0 lets the request through. Access control lives here.
	 */
	int (*gate)(struct cm_http_req *req, void *ud);
	void *gate_ud;
	/*
	 * Optional: answers what the server refuses itself, in the caller's shape
	 * (a server that copies another's answers, as etcdlite copies etcd's):
	 * status is 404 (no route has the path), 405 (a route has the path, not the
	 * method) or 413 (a body over max_body: it is not kept, and the connection
	 * closes after the answer). It must answer req before it returns. Without
	 * it these get {"code":status,"message":...}.
	 */
	void (*refuse)(struct cm_http_req *req, int status, void *ud);
	void *refuse_ud;
};

/*
 * Starts listening on loop. Returns 0 and *out, -EADDRINUSE, -EACCES,
 * -EINVAL (bad options, unreadable TLS files, TLS not built in), or -ENOMEM.
 * /healthz answers "ok" (unless own_healthz), and /metrics serves opts->metrics if set: both are
 * routed before any route added later. opts is copied; metrics is borrowed
 * and must outlive the server.
 */
int cm_http_server_new(uv_loop_t *loop, const struct cm_http_server_opts *opts,
		       struct cm_http_server **out);
/* The port bound (useful with port 0). */
int cm_http_server_port(const struct cm_http_server *s);
/*
 * Adds a route. method is "GET", "POST", ... or "*" for any. pattern is a path
 * whose segments may be parameters, "/v3/kv/{op}", or end in "{name...}" to
 * take the rest of the path. The first route that matches wins; an unmatched
 * path gets 404 and a known path with another method 405. The pattern is
 * copied. Returns 0, -EINVAL on a malformed pattern, or -ENOMEM.
 */
int cm_http_server_route(struct cm_http_server *s, const char *method, const char *pattern,
			 cm_http_handler handler, void *ud);
/*
 * Stops accepting, ends open streams, waits (on the loop) for answers in flight
 * (responses sent meanwhile carry "Connection: close"), closes the handles and
 * frees the server, then calls done (may be NULL). A handler still holding a
 * deferred request delays the close until it answers. May be called from a
 * handler; s is invalid once done runs.
 */
void cm_http_server_close(struct cm_http_server *s, void (*done)(void *ud), void *ud);

/* Request accessors: strings are borrowed and live until the request ends. */
const char *cm_http_req_method(const struct cm_http_req *req);
const char *cm_http_req_path(const struct cm_http_req *req);
/* A path parameter named in the route's pattern, or NULL. */
const char *cm_http_req_param(const struct cm_http_req *req, const char *name);
/* A query argument (decoded), or NULL; "" for a key with no value. */
const char *cm_http_req_query(const struct cm_http_req *req, const char *name);
/*
 * Calls fn with each value of the query argument name, in the order sent (a
 * repeated argument, as exec's command=, once per value), until fn returns
 * nonzero; that value is returned, else 0.
 */
int cm_http_req_query_each(const struct cm_http_req *req, const char *name,
			   int (*fn)(const char *value, void *arg), void *arg);
/* A request header (case-insensitive name), or NULL. */
const char *cm_http_req_header(const struct cm_http_req *req, const char *name);
/*
 * Calls fn for each request header in the order sent (a repeated header once
 * per line) until fn returns nonzero; that value is returned, else 0.
 */
int cm_http_req_headers(const struct cm_http_req *req, int (*fn)(const char *name, const char *value, void *arg),
			void *arg);
/* The whole body (NUL-terminated for convenience), length in *len. */
const char *cm_http_req_body(const struct cm_http_req *req, size_t *len);
/* The subject of a verified client certificate: Kubernetes reads CN as the user, O as the groups. */
struct cm_http_peer_identity {
	const char *common_name;          /* "" if the subject has no CN */
	const char *const *organizations; /* the subject's O values, in order */
	size_t n_organizations;
};
/*
 * The verified client certificate of req's connection, or NULL: plain HTTP, no
 * tls_client_ca_file, or no certificate presented. Borrowed until the request ends.
 */
const struct cm_http_peer_identity *cm_http_req_peer_identity(const struct cm_http_req *req);
/*
 * The client's address (IPv4 or IPv6) into *out. Returns 0, or -ENOTCONN when
 * the connection's address is unknown (*out unchanged).
 */
struct sockaddr_storage;
int cm_http_req_peer_addr(const struct cm_http_req *req, struct sockaddr_storage *out);
/* Whether req came over TLS. */
int cm_http_req_is_tls(const struct cm_http_req *req);
/* Registers the one callback run when the request ends (answered or abandoned); replaces any earlier one. */
void cm_http_req_on_done(struct cm_http_req *req, cm_http_req_done_cb cb, void *ud);

/* Adds a response header; call before answering. Returns 0 or -ENOMEM. */
int cm_http_req_add_header(struct cm_http_req *req, const char *name, const char *value);
/*
 * Answers with a copy of body. Returns 0, -EALREADY if answered before, or
 * -ENOMEM (then the server answers 500 itself).
 */
int cm_http_respond(struct cm_http_req *req, int status, const char *content_type,
		    const void *body, size_t len);
/* Answers with body's storage, taken over (body is left empty). */
int cm_http_respond_buf(struct cm_http_req *req, int status, const char *content_type,
			struct cm_buf *body);
/* Answers with the compact JSON of j (application/json); j stays the caller's. */
int cm_http_respond_json(struct cm_http_req *req, int status, const cJSON *j);
/*
 * Answers with the server's JSON error shape, {"code":status,"message":message}
 * (the one the server itself uses for 404, 405, 413 and 500). Errors as cm_http_respond.
 */
int cm_http_respond_error(struct cm_http_req *req, int status, const char *message);

/*
 * Streaming (chunked transfer): begin sends the status and headers, write
 * queues bytes and resumes the connection, end finishes the response after
 * what is queued has been sent. While nothing is queued the connection is
 * suspended and costs no CPU. begin errors as cm_http_respond. write returns
 * 0, -ENOMEM, or -EPIPE once the stream is over: after end, or when called
 * from the done callback. A client that goes away is noticed when the next
 * bytes are sent (a suspended connection is not watched), and then the done
 * callback runs: a producer stops writing there.
 */
int cm_http_stream_begin(struct cm_http_req *req, int status, const char *content_type);
int cm_http_stream_write(struct cm_http_req *req, const void *data, size_t len);
/* Bytes queued and not yet taken by the socket, so producers can bound slow clients. */
size_t cm_http_stream_pending(const struct cm_http_req *req);
/* Finishes the stream once the queue drains; later calls do nothing. */
void cm_http_stream_end(struct cm_http_req *req);

/*
 * Connection upgrade (101 Switching Protocols, as for WebSocket): answers req
 * with 101, the headers added with cm_http_req_add_header and "Connection:
 * Upgrade". Once the answer is sent the connection stops being HTTP and cb is
 * called from the loop with a libuv stream over it (through TLS when the
 * server serves HTTPS) and the bytes the client sent after its request (head,
 * borrowed for the call). The stream's data field is the callee's. The callee
 * owns up from then on and must end it with cm_http_upgraded_close, once. If
 * the connection never switches (the client left before the answer was sent)
 * or the stream could not be made, cb gets stream NULL, once, and up is
 * already gone: the callee frees what it holds. Errors as cm_http_respond.
 */
struct cm_http_upgraded;
typedef void (*cm_http_upgraded_cb)(struct cm_http_upgraded *up, uv_stream_t *stream, const char *head,
				    size_t len, void *ud);
int cm_http_respond_upgrade(struct cm_http_req *req, cm_http_upgraded_cb cb, void *ud);
/* Closes the stream and the connection under it, then frees up (later, on the loop). */
void cm_http_upgraded_close(struct cm_http_upgraded *up);

#endif
