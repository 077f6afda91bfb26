/* http_client.h: the HTTP client of every daemon: libcurl multi-socket on the daemon's libuv loop. */
#ifndef CM_HTTP_CLIENT_H
#define CM_HTTP_CLIENT_H

#include <stddef.h>

#include <uv.h>

#include "common/buf.h"

/*
 * One client per daemon (or per upstream): its calls share one libcurl multi
 * handle, so connections are kept alive and reused between calls. Everything
 * runs on the loop given to cm_http_client_new(): no threads, no locks.
 */
struct cm_http_client;
struct cm_http_call;

struct cm_http_client_opts {
	const char *bearer_token;  /* sent as "Authorization: Bearer ..." when set */
	const char *ca_file;       /* TLS: trusted CA bundle */
	const char *cert_file;     /* TLS: client certificate and key */
	const char *key_file;
	int insecure_skip_verify;  /* TLS: do not verify the server */
	long connect_timeout_ms;   /* 0 means 3000 */
	const char *unix_socket;   /* set: every call goes over this unix socket (the URL's host is ignored) */
};

/*
 * err is about the transport only: 0 means a response arrived, whatever its
 * status (a 404 or 500 comes with err 0). Otherwise err is negative:
 * -ETIMEDOUT (connect or call timeout), -ECONNREFUSED, -EHOSTUNREACH (name not
 * resolved), the OS's connect error otherwise (-ENOENT: no such unix socket), -ECONNRESET (the peer closed or reset mid-exchange), -ECANCELED
 * (cm_http_call_cancel or cm_http_client_close), -ENOMEM, -EPROTO (TLS), or
 * -CM_EHTTP for any other failed exchange.
 */
struct cm_http_response {
	int err;
	long status;              /* HTTP status, 0 if no response arrived */
	const char *content_type; /* may be NULL */
	const char *body;         /* NUL-terminated, never NULL; empty when on_line took the body */
	size_t len;
};

/*
 * Called exactly once per call when it ends; the response is borrowed for the
 * callback only, and the call handle is gone once done starts. It may send new
 * calls, cancel others, or close the client.
 */
typedef void (*cm_http_done_cb)(const struct cm_http_response *resp, void *ud);
/*
 * Streaming: called per line of the body as it arrives, without its "\n" (or
 * "\r\n"); a last line without a newline is delivered before done. Only a 2xx
 * response is streamed: any other status collects its body for done, so an
 * error Status object reaches the caller whole. line is borrowed and
 * NUL-terminated. It may cancel its own call (no line follows) or others.
 */
typedef void (*cm_http_line_cb)(const char *line, size_t len, void *ud);
/*
 * Streaming bytes: as on_line, but the body of a 2xx response is handed over
 * in the pieces it arrives in, unsplit (binary streams such as Docker's
 * multiplexed logs). data is borrowed. It may cancel its own call.
 */
typedef void (*cm_http_data_cb)(const char *data, size_t len, void *ud);

struct cm_http_request {
	const char *method;       /* "GET" if NULL */
	const char *url;
	const char *content_type; /* for the body; "application/json" if NULL and body is set */
	const void *body;         /* copied */
	size_t body_len;
	long timeout_ms;          /* whole call; 0 means none (watches) */
	const char *const *headers; /* NULL-terminated "Name: value" strings, copied */
	cm_http_line_cb on_line;  /* set: the body is delivered line by line */
	cm_http_data_cb on_data;  /* set (and on_line not): the body is delivered as it arrives */
};

/*
 * Makes a client on loop; opts (may be NULL) are copied. Returns 0 and *out,
 * -EINVAL (a TLS file is not readable, or loop is NULL), or -ENOMEM.
 */
int cm_http_client_new(uv_loop_t *loop, const struct cm_http_client_opts *opts,
		       struct cm_http_client **out);
/*
 * Starts a request; everything in req is copied. Returns 0 (done will be
 * called exactly once, never from inside this call) or a negative error (done
 * is never called): -EINVAL (no url), -ENOMEM, -CM_ESTOPPED (client closing).
 * *call, if call is non-NULL, can cancel it until done starts.
 */
int cm_http_client_send(struct cm_http_client *c, const struct cm_http_request *req,
			cm_http_done_cb done, void *ud, struct cm_http_call **call);
/*
 * Cancels a call in flight: no on_line follows, and done is called with err
 * -ECANCELED, later, from the loop. Calling it again is harmless; calling it
 * once done has started is a bug (the handle is freed).
 */
void cm_http_call_cancel(struct cm_http_call *call);
/*
 * Cancels every call (each done gets -ECANCELED from the loop), closes the
 * connections and handles, frees the client, then calls done (may be NULL).
 * New sends fail with -CM_ESTOPPED meanwhile.
 */
void cm_http_client_close(struct cm_http_client *c, void (*done)(void *ud), void *ud);

/*
 * Blocking helper for command-line tools (never on a daemon's loop): one
 * request, the body appended to out, the status in *status. on_line is
 * ignored: a tool that follows a stream runs a loop with the client instead.
 * Returns 0 (any HTTP status) or a negative transport error as in struct
 * cm_http_response; out may hold part of the body then.
 */
int cm_http_fetch(const struct cm_http_client_opts *opts, const struct cm_http_request *req,
		  long *status, struct cm_buf *out);

#endif
