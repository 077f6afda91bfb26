/* gateway_refuse.c: etcd's answers for unknown paths, wrong methods and requests over gRPC's size limit. */
#include "etcdlite/member_internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* etcd's gRPC server takes messages up to --max-request-bytes plus this. */
#define GRPC_OVERHEAD_BYTES (512 * 1024)

static const char text_plain[] = "text/plain; charset=utf-8";

static size_t grpc_limit(const struct el_member *m)
{
	return (size_t)m->cfg.max_request_bytes + GRPC_OVERHEAD_BYTES;
}

/* gRPC's own words, which etcd's gateway passes on with code 8 (429). */
static void respond_too_large(struct cm_http_req *req, size_t size, size_t max)
{
	char msg[96];

	snprintf(msg, sizeof(msg), "grpc: received message larger than max (%zu vs. %zu)", size, max);
	el_member_respond_error(req, -EMSGSIZE, msg);
}

bool el_gateway_over_grpc_limit(struct el_member *m, struct cm_http_req *req, size_t size)
{
	if (size <= grpc_limit(m))
		return false;
	respond_too_large(req, size, grpc_limit(m));
	return true;
}

/*
 * A body over the listener's limit was not kept, so its protobuf size is not
 * known: it is estimated from the declared length (base64 carries 3 bytes in
 * 4), or from the limit for a chunked body. The listener's limit is well over
 * gRPC's bound, so either estimate is too.
 */
static void too_large(struct el_member *m, struct cm_http_req *req)
{
	const char *cl = cm_http_req_header(req, "Content-Length");
	size_t len = cl ? (size_t)strtoull(cl, NULL, 10) : el_member_client_max_body(&m->cfg);
	size_t est = len / 4 * 3;

	respond_too_large(req, est > grpc_limit(m) ? est : grpc_limit(m) + 1, grpc_limit(m));
}

static bool is_gateway_path(const char *path)
{
	return strncmp(path, "/v3/", 4) == 0 || strncmp(path, "/v3beta/", 8) == 0;
}

void el_gateway_refuse(struct cm_http_req *req, int status, void *ud)
{
	const char *path = cm_http_req_path(req);
	static const char not_found[] = "Not Found\n", go_not_found[] = "404 page not found\n",
			  not_allowed[] = "Method Not Allowed\n";

	if (status == 413) {
		too_large(ud, req);
	} else if (status == 405) {
		/* A CORS preflight: etcd's gateway answers every OPTIONS with 200. */
		if (strcmp(cm_http_req_method(req), "OPTIONS") == 0 && is_gateway_path(path))
			cm_http_respond(req, 200, NULL, "", 0);
		else
			cm_http_respond(req, 405, text_plain, not_allowed, sizeof(not_allowed) - 1);
	} else if (is_gateway_path(path)) {
		/* The gateway's mux says it this way; Go's default mux, the other. */
		cm_http_respond(req, status, text_plain, not_found, sizeof(not_found) - 1);
	} else {
		cm_http_respond(req, status, text_plain, go_not_found, sizeof(go_not_found) - 1);
	}
}
