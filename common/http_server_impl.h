/* http_server_impl.h: the server's and request's private structs, shared by http_server.c and http_request.c only. */
#ifndef CM_HTTP_SERVER_IMPL_H
#define CM_HTTP_SERVER_IMPL_H

#include <microhttpd.h>

#include "common/http_router.h"
#include "common/http_server.h"

/* A recycled request keeps buffers up to this size, so the hot path does not allocate. */
#define CM_HTTP_KEEP_BUF (16 * 1024)
/* Requests kept for reuse once they end. */
#define CM_HTTP_FREELIST 64
/* Distinct (method, code) pairs whose request counter is looked up once. */
#define CM_HTTP_COUNTERS 32

struct cm_http_counter {
	char method[12];
	int code;
	struct cm_metric *m;
};

struct cm_http_route_target {
	cm_http_handler handler;
	void *ud;
};

struct cm_http_server {
	uv_loop_t *loop;
	struct MHD_Daemon *mhd;
	uv_poll_t poll;
	uv_timer_t timer;
	uv_idle_t idle; /* a run on the next loop turn */
	uv_timer_t header_timer; /* closes connections that are slow to send headers */
	uint64_t header_timeout_ms;
	struct cm_http_conn *conns; /* every connection with a context */
	struct cm_http_upgraded *upgrades; /* upgraded connections handed to their owners */
	int port;
	size_t max_body;
	struct cm_metrics *metrics;
	struct cm_http_router router;
	char *tls_cert, *tls_key; /* file contents, kept for MHD while it runs */
	char *tls_trust;          /* the client CA's PEM, or NULL: no client certificates */
	int tls_client_required;  /* a request without a valid client certificate is refused */
	int (*gate)(struct cm_http_req *req, void *ud);
	void *gate_ud;
	void (*refuse)(struct cm_http_req *req, int status, void *ud);
	void *refuse_ud;

	struct cm_http_req *active; /* every request between its headers and its end */
	size_t nactive;
	struct cm_http_req *free_reqs;
	size_t nfree;
	struct cm_http_counter counters[CM_HTTP_COUNTERS];
	size_t ncounters;

	int in_run;  /* inside MHD_run: MHD may not be stopped from a callback */
	int kick;    /* a connection was resumed during MHD_run: run again at once */
	unsigned long progress; /* bumped whenever MHD moves bytes or requests: see run_mhd */
	int closing; /* close asked for */
	int handles_open;
	void (*done)(void *ud);
	void *done_ud;
};

struct cm_http_req {
	struct cm_http_server *s;
	struct MHD_Connection *conn;
	const char *method, *path; /* MHD's, live until the request ends */
	struct cm_buf body;
	struct cm_buf params; /* the values, each NUL-terminated */
	const char *param_names[CM_HTTP_MAX_PARAMS];
	size_t param_offs[CM_HTTP_MAX_PARAMS];
	size_t nparams;
	struct cm_buf headers; /* response headers, "name\0value\0" pairs */

	struct MHD_Response *resp; /* made by respond, not yet queued */
	int status;
	struct cm_buf stream; /* bytes queued for a chunked response */
	size_t stream_off;    /* how much of stream the socket has taken */

	cm_http_req_done_cb done_cb;
	void *done_ud;
	struct cm_http_upgraded *upgrade; /* answered with a 101: handed over, or abandoned at the end */
	struct cm_http_req *prev, *next; /* in s->active, or next in s->free_reqs */
	const struct cm_http_peer_identity *peer; /* the connection's, or NULL */

	unsigned in_handler : 1; /* the handler is running: respond must not resume */
	unsigned dispatched : 1;
	unsigned answered : 1;
	unsigned queued : 1;
	unsigned suspended : 1;
	unsigned streaming : 1;
	unsigned stream_ended : 1;
	unsigned too_large : 1;
	unsigned refused : 1; /* answered before its body: the body is discarded */
	unsigned failed : 1; /* could not build an answer: the connection is dropped */
	unsigned over : 1;   /* ended: only the done callback may still see it */
};

/*
 * A connection's state (MHD's socket context): when it began and whether its
 * first request's headers came (the header deadline); over TLS its transport
 * and the client certificate's verdict, made once per connection.
 */
struct cm_http_conn {
	struct cm_http_server *s;
	struct cm_http_conn *prev, *next; /* in s->conns */
	int fd;
	uint64_t started_ms; /* uv_now when accepted */
	int headers_done;    /* the first request's headers arrived (or it was shut) */
	uv_poll_t poll;  /* the socket, watched while a read would block: see tls_pull */
	int poll_ok;     /* poll initialised: closed (and tc freed) asynchronously */
	int polling;
	int checked;     /* the client certificate has been looked at */
	int verdict;     /* 1 valid, 0 none presented, -1 invalid */
	const char *why; /* static: why it is refused, when it is */
	char *cn;
	char *orgs[16];
	struct cm_http_peer_identity id; /* points into cn and orgs */
};

/* http_tls.c: frees tc and the subject it holds; NULL does nothing. */
void cm_http_conn_free(struct cm_http_conn *tc);
/*
 * Checks the client certificate of conn's TLS session against the client CA
 * (once per connection). Returns 0 with *id the verified subject (or NULL when
 * none was presented, or the server has no client CA), or -EACCES with the
 * reason in *why (static) when the request must be refused: an invalid
 * certificate, or none while one is required.
 */
int cm_http_tls_check_peer(struct cm_http_server *s, struct MHD_Connection *conn,
			   const struct cm_http_peer_identity **id, const char **why);

/* http_request.c: called by the server on its requests. */
struct cm_http_req *cm_http_req_get(struct cm_http_server *s);
void cm_http_req_put(struct cm_http_server *s, struct cm_http_req *req);
/* http_upgrade.c: the request answered with up ended; if it never switched, its owner hears so (stream NULL). */
void cm_http_upgrade_request_ended(struct cm_http_upgraded *up);
/* http_upgrade.c: ends every upgraded connection's reads (their owners see EOF and close them). */
void cm_http_upgrades_shutdown(struct cm_http_server *s);
/* http_server.c: has MHD run again soon, after a connection was resumed. */
void cm_http_server_kick(struct cm_http_server *s);
/*
 * Adds the handler's headers to resp and makes it req's answer; resp is taken
 * (NULL: answers 500 for want of memory). Returns 0 or -ENOMEM.
 */
int cm_http_req_answer(struct cm_http_req *req, int status, const char *content_type,
		       struct MHD_Response *resp);
/* Queues a response made by respond; returns MHD's verdict. */
enum MHD_Result cm_http_req_queue(struct cm_http_req *req);

#endif
