/* http_router.h: matching of a request's method and path against route patterns, without sockets. */
#ifndef CM_HTTP_ROUTER_H
#define CM_HTTP_ROUTER_H

#include <stddef.h>

/* A route may name at most this many parameters. */
#define CM_HTTP_MAX_PARAMS 8

struct cm_http_route_seg;

struct cm_http_route {
	char *method;  /* "GET", ... or "*" */
	char *pattern; /* owned copy; segs point into it */
	struct cm_http_route_seg *segs;
	size_t nsegs;
	void *data; /* the caller's, returned by a match */
};

/* An ordered list of routes; the first that matches wins. */
struct cm_http_router {
	struct cm_http_route *routes;
	size_t n, cap;
};

/* One parameter of a match: name borrowed from the route, value a span of the path. */
struct cm_http_param {
	const char *name;
	size_t off, len;
};

struct cm_http_match {
	void *data;
	size_t nparams;
	struct cm_http_param params[CM_HTTP_MAX_PARAMS];
};

void cm_http_router_init(struct cm_http_router *r);
/* Frees every route; the router is empty and reusable afterwards. */
void cm_http_router_close(struct cm_http_router *r);

/*
 * Appends a route. method and pattern are copied; data is the caller's. A
 * pattern starts with '/'; a segment is literal text, "{name}" (one non-empty
 * segment) or, as the last segment only, "{name...}" (the rest of the path,
 * slashes included, possibly empty). Returns 0, -EINVAL on a malformed method
 * or pattern (or more than CM_HTTP_MAX_PARAMS parameters), or -ENOMEM.
 */
int cm_http_router_add(struct cm_http_router *r, const char *method, const char *pattern,
		       void *data);

/*
 * Finds the first route matching method and path (the path without its query,
 * already percent-decoded). A HEAD request also matches GET routes. Returns 0
 * and fills *m, -ENOENT if no route's pattern matches the path, or -EOPNOTSUPP
 * if some pattern matches but for other methods (HTTP 405). *m is unchanged on
 * failure.
 */
int cm_http_router_match(const struct cm_http_router *r, const char *method, const char *path,
			 struct cm_http_match *m);

#endif
