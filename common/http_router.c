/* http_router.c: route patterns parsed once, matched segment by segment against request paths. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/http_router.h"

enum seg_kind { SEG_LIT, SEG_PARAM, SEG_REST };

struct cm_http_route_seg {
	enum seg_kind kind;
	const char *text; /* literal text or parameter name, inside the route's pattern copy */
	size_t len;
};

void cm_http_router_init(struct cm_http_router *r)
{
	r->routes = NULL;
	r->n = r->cap = 0;
}

static void route_free(struct cm_http_route *rt)
{
	free(rt->method);
	free(rt->pattern);
	free(rt->segs);
}

void cm_http_router_close(struct cm_http_router *r)
{
	for (size_t i = 0; i < r->n; i++)
		route_free(&r->routes[i]);
	free(r->routes);
	cm_http_router_init(r);
}

static int valid_name_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '_' || c == '-';
}

/*
 * Splits the copy of the pattern (after its leading '/') into segments,
 * cutting it at each '/' and at each parameter's closing brace so that
 * parameter names are NUL-terminated strings a match can hand out.
 */
static int parse_pattern(char *p, struct cm_http_route_seg **out, size_t *nout)
{
	size_t n = 1, nparams = 0;
	for (const char *c = p; *c; c++)
		n += *c == '/';
	struct cm_http_route_seg *segs = calloc(n, sizeof(*segs));
	if (!segs)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		char *end = strchr(p, '/');
		size_t len = end ? (size_t)(end - p) : strlen(p);
		struct cm_http_route_seg *sg = &segs[i];
		if (len > 0 && p[0] == '{') {
			if (p[len - 1] != '}' || len < 3)
				goto bad;
			size_t nlen = len - 2;
			sg->kind = SEG_PARAM;
			if (nlen > 3 && memcmp(p + 1 + nlen - 3, "...", 3) == 0) {
				if (i != n - 1)
					goto bad; /* the rest of the path can only come last */
				sg->kind = SEG_REST;
				nlen -= 3;
			}
			for (size_t k = 0; k < nlen; k++)
				if (!valid_name_char(p[1 + k]))
					goto bad;
			if (++nparams > CM_HTTP_MAX_PARAMS)
				goto bad;
			p[1 + nlen] = '\0';
			sg->text = p + 1;
			sg->len = nlen;
		} else {
			if (memchr(p, '{', len) || memchr(p, '}', len))
				goto bad;
			sg->kind = SEG_LIT;
			sg->text = p;
			sg->len = len;
		}
		p += len + (end != NULL);
	}
	*out = segs;
	*nout = n;
	return 0;
bad:
	free(segs);
	return -EINVAL;
}

int cm_http_router_add(struct cm_http_router *r, const char *method, const char *pattern,
		       void *data)
{
	if (!method || !*method || !pattern || pattern[0] != '/')
		return -EINVAL;
	struct cm_http_route rt = {.data = data};
	int rc = -ENOMEM;
	rt.method = strdup(method);
	rt.pattern = strdup(pattern);
	if (!rt.method || !rt.pattern)
		goto fail;
	rc = parse_pattern(rt.pattern + 1, &rt.segs, &rt.nsegs);
	if (rc < 0)
		goto fail;
	if (r->n == r->cap) {
		size_t cap = r->cap ? r->cap * 2 : 8;
		struct cm_http_route *nr = realloc(r->routes, cap * sizeof(*nr));
		rc = -ENOMEM;
		if (!nr)
			goto fail;
		r->routes = nr;
		r->cap = cap;
	}
	r->routes[r->n++] = rt;
	return 0;
fail:
	route_free(&rt);
	return rc;
}

/* Matches path (starting after its leading '/') against rt's segments, filling m's params. */
static int path_matches(const struct cm_http_route *rt, const char *path, const char *p,
			struct cm_http_match *m)
{
	m->nparams = 0;
	for (size_t i = 0; i < rt->nsegs; i++) {
		const struct cm_http_route_seg *sg = &rt->segs[i];
		if (sg->kind == SEG_REST) {
			m->params[m->nparams++] =
				(struct cm_http_param){sg->text, (size_t)(p - path), strlen(p)};
			return 1;
		}
		const char *end = strchr(p, '/');
		size_t len = end ? (size_t)(end - p) : strlen(p);
		if (sg->kind == SEG_LIT) {
			if (len != sg->len || memcmp(p, sg->text, len) != 0)
				return 0;
		} else {
			if (len == 0)
				return 0;
			m->params[m->nparams++] =
				(struct cm_http_param){sg->text, (size_t)(p - path), len};
		}
		int last = i == rt->nsegs - 1;
		if (last)
			return end == NULL;
		if (!end)
			return 0;
		p = end + 1;
	}
	return 0;
}

static int method_matches(const char *route_method, const char *method)
{
	if (strcmp(route_method, "*") == 0 || strcmp(route_method, method) == 0)
		return 1;
	return strcmp(method, "HEAD") == 0 && strcmp(route_method, "GET") == 0;
}

int cm_http_router_match(const struct cm_http_router *r, const char *method, const char *path,
			 struct cm_http_match *m)
{
	if (!path || path[0] != '/')
		return -ENOENT;
	int path_known = 0;
	struct cm_http_match tmp;
	for (size_t i = 0; i < r->n; i++) {
		const struct cm_http_route *rt = &r->routes[i];
		int mm = method_matches(rt->method, method);
		/* A route of another method only matters if nothing else matches. */
		if (!mm && path_known)
			continue;
		if (!path_matches(rt, path, path + 1, &tmp))
			continue;
		if (!mm) {
			path_known = 1;
			continue;
		}
		tmp.data = rt->data;
		*m = tmp;
		return 0;
	}
	return path_known ? -EOPNOTSUPP : -ENOENT;
}
