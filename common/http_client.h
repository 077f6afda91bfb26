/* http_client.h: the HTTP client of every daemon: libcurl multi-socket on the daemon's libuv loop. */
#ifndef CM_HTTP_CLIENT_H
#define CM_HTTP_CLIENT_H

#include <stddef.h>

#include <uv.h>

#include "common/buf.h"

struct cm_http_client;
struct cm_http_call;

struct cm_http_client_opts {
	const char *bearer_token;  /* sent as "Authorization: Bearer ..." when set */
	const char *ca_file;       /* TLS: trusted CA bundle */
	const char *cert_file;     /* TLS: client certificate and key */
	const char *key_file;
	int insecure_skip_verify;  /* TLS: do not verify the server */
	long connect_timeout_ms;   /* 0 means 3000 */
};

struct cm_http_response {
	int err;                  /* 0, or negative: -ETIMEDOUT, -ECONNREFUSED, -ECANCELED, CM_EHTTP... */
	long status;              /* HTTP status, 0 if no response arrived */
	const char *content_type; /* may be NULL */
	const char *body;         /* NUL-terminated; empty when on_line took the body */
	size_t len;
};

/* Called once per call when it ends; the response is borrowed for the call only. */
typedef void (*cm_http_done_cb)(const struct cm_http_response *resp, void *ud);
/* Streaming: called per line of the body as it arrives, without the newline. */
typedef void (*cm_http_line_cb)(const char *line, size_t len, void *ud);

struct cm_http_request {
	const char *method;       /* "GET" if NULL */
	const char *url;
	const char *content_type; /* for the body; "application/json" if NULL and body is set */
	const void *body;         /* copied */
	size_t body_len;
	long timeout_ms;          /* whole call; 0 means none (watches) */
	const char *const *headers; /* NULL-terminated "Name: value" strings, copied */
	cm_http_line_cb on_line;  /* set: the body is delivered line by line */
};

/* Returns 0 and *out, or -ENOMEM / -EINVAL (bad TLS files). */
int cm_http_client_new(uv_loop_t *loop, const struct cm_http_client_opts *opts,
		       struct cm_http_client **out);
/*
 * Starts a request; connections are kept alive and reused. Returns 0 (done
 * will be called exactly once, never from inside this call) or a negative
 * error (done is never called). *call, if call is non-NULL, can cancel it.
 */
int cm_http_client_send(struct cm_http_client *c, const struct cm_http_request *req,
			cm_http_done_cb done, void *ud, struct cm_http_call **call);
/* Cancels a call in flight: done is called with err -ECANCELED, from the loop. */
void cm_http_call_cancel(struct cm_http_call *call);
/* Cancels every call (each done gets -ECANCELED), closes handles, frees, then calls done. */
void cm_http_client_close(struct cm_http_client *c, void (*done)(void *ud), void *ud);

/*
 * Blocking helper for command-line tools: one request, the body appended to
 * out, the status in *status. Returns 0 (any HTTP status) or a negative
 * transport error (-ETIMEDOUT, -ECONNREFUSED, ...).
 */
int cm_http_fetch(const struct cm_http_client_opts *opts, const struct cm_http_request *req,
		  long *status, struct cm_buf *out);

#endif
