/* http_easy.h: internal to the HTTP client: one libcurl easy handle set up from a request. */
#ifndef CM_HTTP_EASY_H
#define CM_HTTP_EASY_H

#include <curl/curl.h>

#include "common/http_client.h"

/*
 * What a request needs to outlive curl_easy_setopt: libcurl keeps pointers to
 * the header list and the body rather than copies.
 */
struct cm_http_easy {
	CURL *easy;
	struct curl_slist *headers;
	char *body;
	char errbuf[CURL_ERROR_SIZE];
};

/*
 * Makes e->easy for req with the client options (opts may be NULL): method,
 * body (copied), headers, bearer token, TLS and timeouts. The caller sets the
 * write callback and private data. Returns 0, -EINVAL (no url) or -ENOMEM;
 * on failure e holds nothing.
 */
int cm_http_easy_init(struct cm_http_easy *e, const struct cm_http_client_opts *opts,
		      const struct cm_http_request *req);
/* Frees the easy handle, header list and body copy; e must not be in a multi handle. */
void cm_http_easy_close(struct cm_http_easy *e);
/* The negative error of a failed transfer (see struct cm_http_response). */
int cm_http_easy_error(struct cm_http_easy *e, CURLcode code);

/* http_client.c: a client's options and loop, for the other users of its settings (http_tunnel.c). */
const struct cm_http_client_opts *cm_http_client_options(const struct cm_http_client *c);
uv_loop_t *cm_http_client_loop(const struct cm_http_client *c);

#endif
