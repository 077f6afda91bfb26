/* apiclient.h: calls to the Kubernetes API with failover across apiservers, for every daemon that is a client. */
#ifndef CM_APICLIENT_H
#define CM_APICLIENT_H

#include <stddef.h>

#include <cjson/cJSON.h>
#include <uv.h>

#include "common/http_client.h"

/*
 * One per daemon. It holds the list of apiserver base URLs
 * ("http://127.0.0.1:8080") and the index of the one in use: a transport
 * failure moves every later call to the next one, and a call that failed on
 * the transport is tried once on each other server before it fails. Statuses
 * (404, 409, 410, 500) are answers, not failures, and never fail over.
 */
struct cm_api;

/*
 * The answer to a call. err is a transport error as in struct
 * cm_http_response (0 if a response arrived); body is the raw body and obj
 * its parsed JSON (NULL if empty or not JSON). Everything is borrowed for the
 * callback only.
 */
struct cm_api_resp {
	int err;
	long status;
	const char *body;
	size_t len;
	const cJSON *obj;
};
typedef void (*cm_api_cb)(const struct cm_api_resp *r, void *ud);

/*
 * Makes a client for servers[0..n) (copied; n >= 1) on loop. A trailing "/"
 * is dropped. Returns 0 and *out, -EINVAL (no server), or -ENOMEM.
 */
int cm_api_new(uv_loop_t *loop, const char *const *servers, size_t n, struct cm_api **out);
/*
 * As cm_api_new, with the HTTP client's options (copied; may be NULL): a CA
 * and a client certificate for https:// apiservers. Also -EINVAL when a file
 * in opts is not readable.
 */
int cm_api_new_opts(uv_loop_t *loop, const char *const *servers, size_t n, const struct cm_http_client_opts *opts,
		    struct cm_api **out);
/*
 * The client flags of every daemon that talks to the apiservers, as kubectl
 * names them: rows of a struct cm_flag table filling opts (a struct
 * cm_http_client_opts) for cm_api_new_opts.
 */
#define CM_API_TLS_FLAGS(opts)                                                                          \
	{"certificate-authority", CM_FLAG_STRING, &(opts)->ca_file, "CA bundle verifying https:// apiservers"}, \
	{"client-certificate", CM_FLAG_STRING, &(opts)->cert_file,                                        \
	 "client certificate (PEM) presented to the apiservers (CN the user, O its groups)"},               \
	{"client-key", CM_FLAG_STRING, &(opts)->key_file, "the client certificate's private key (PEM)"}
/* Cancels calls in flight (their callbacks get -ECANCELED), then frees the client from the loop. NULL does nothing. */
void cm_api_free(struct cm_api *a);

/* The base URL in use now (borrowed; the same pointer for a server as long as the client lives). */
const char *cm_api_server(const struct cm_api *a);
/*
 * Moves to the next server if failed (a pointer cm_api_server returned) is
 * still the one in use, so that calls failing together on a dead server move
 * on once instead of each flipping the choice back to it; failed NULL moves
 * unconditionally. The informer calls it when a list or watch broke.
 */
void cm_api_failover(struct cm_api *a, const char *failed);
/* The loop the client runs on (borrowed). */
uv_loop_t *cm_api_loop(struct cm_api *a);
/* The underlying HTTP client, for streams (borrowed). */
struct cm_http_client *cm_api_http(struct cm_api *a);

/*
 * Sends method path (with query, starting with "/") with an optional body
 * (copied; content_type NULL means application/json). cb is called exactly
 * once, later, from the loop. timeout_ms 0 means 10 s. Returns 0, or -ENOMEM
 * / -CM_ESTOPPED and cb is never called.
 */
int cm_api_call(struct cm_api *a, const char *method, const char *path, const char *content_type,
		const char *body, size_t len, long timeout_ms, cm_api_cb cb, void *ud);
/* As cm_api_call with j printed as the body (j stays the caller's). */
int cm_api_call_json(struct cm_api *a, const char *method, const char *path, const cJSON *j, cm_api_cb cb,
		     void *ud);

/*
 * Appends "/api/v1" or "/apis/{group}/{version}", then "/namespaces/{ns}" if
 * ns is set, then "/{resource}", then "/{name}" if name is set.
 * api_version is "v1" or "apps/v1". Returns 0 or -ENOMEM.
 */
int cm_api_path(struct cm_buf *out, const char *api_version, const char *resource, const char *ns,
		const char *name);
/* Appends s percent-encoded for a query value. Returns 0 or -ENOMEM. */
int cm_api_query_escape(struct cm_buf *out, const char *s);

/* The message of a Status body (or the raw body), for logs; borrowed, never NULL. */
const char *cm_api_resp_message(const struct cm_api_resp *r);

#endif
