/*
 * fuzz_apipath.c: the apiserver's request paths. Input: a path (up to the
 * first newline). The gate (authz_path.c) lets a path through unauthorized
 * when api_path_is_resource says rest.c will authorize it, so such a path
 * must reach a route that authorizes: rest.c's, or a review route that
 * identifies its caller. rest.c's split of what follows the group-version
 * must give non-empty parts without '/' that put back give the path.
 */
#include <errno.h>
#include <string.h>

#include "apiserver/path.h"
#include "common/buf.h"
#include "common/http_router.h"
#include "tests/fuzz/fuzz_util.h"

enum route_kind { OPEN, REST_CORE, REST_GROUP, SELF_AUTHORIZING };

/* The apiserver's routes in the order rest.c adds them (discovery, openapi, reviews, resources): the first match wins. */
static const struct {
	const char *method, *pattern;
	enum route_kind kind;
} routes[] = {
	{"GET", "/version", OPEN},
	{"GET", "/api", OPEN},
	{"GET", "/api/v1", OPEN},
	{"GET", "/apis", OPEN},
	{"GET", "/apis/{group}", OPEN},
	{"GET", "/apis/{group}/{version}", OPEN},
	{"GET", "/readyz", OPEN},
	{"GET", "/livez", OPEN},
	{"GET", "/readyz/{check...}", OPEN},
	{"GET", "/livez/{check...}", OPEN},
	{"GET", "/openapi/v3", OPEN},
	{"GET", "/openapi/v3/{rest...}", OPEN},
	{"POST", "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews", SELF_AUTHORIZING},
	{"POST", "/apis/authorization.k8s.io/v1/selfsubjectrulesreviews", SELF_AUTHORIZING},
	{"POST", "/apis/authorization.k8s.io/v1/subjectaccessreviews", SELF_AUTHORIZING},
	{"POST", "/apis/authorization.k8s.io/v1/namespaces/{namespace}/localsubjectaccessreviews", SELF_AUTHORIZING},
	{"POST", "/apis/authentication.k8s.io/v1/selfsubjectreviews", SELF_AUTHORIZING},
	{"POST", "/apis/authentication.k8s.io/v1/tokenreviews", SELF_AUTHORIZING},
	{"*", "/api/v1/{rest...}", REST_CORE},
	{"*", "/apis/{group}/{version}/{rest...}", REST_GROUP},
};
#define NROUTES (sizeof(routes) / sizeof(routes[0]))

static struct cm_http_router router;
static enum route_kind kinds[NROUTES];

static void setup(void)
{
	static int done;

	if (done)
		return;
	done = 1;
	cm_http_router_init(&router);
	for (size_t i = 0; i < NROUTES; i++) {
		kinds[i] = routes[i].kind;
		FUZZ_CHECK(cm_http_router_add(&router, routes[i].method, routes[i].pattern, &kinds[i]) == 0);
	}
}

/* The value of parameter name in m, as a new string. */
static char *param(const struct cm_http_match *m, const char *path, const char *name)
{
	for (size_t i = 0; i < m->nparams; i++)
		if (!strcmp(m->params[i].name, name))
			return fuzz_strdup((const uint8_t *)path + m->params[i].off, m->params[i].len);
	return fuzz_strdup((const uint8_t *)"", 0);
}

static bool part_ok(const char *s)
{
	return s && *s && !strchr(s, '/');
}

/* rest's parts, split and put back, are rest without its empty segments. */
static void check_split(const char *rest)
{
	struct api_path p;
	struct cm_buf want = CM_BUF_INIT, got = CM_BUF_INIT;
	int rc = api_path_split(rest, &p);

	FUZZ_CHECK(rc == 0 || rc == -ENOENT || rc == -ENOMEM);
	if (rc < 0) {
		FUZZ_CHECK(!p.buf && !p.plural);
		return;
	}
	FUZZ_CHECK(part_ok(p.plural));
	FUZZ_CHECK(!p.ns || part_ok(p.ns));
	FUZZ_CHECK(!p.name || part_ok(p.name));
	FUZZ_CHECK(!p.sub || (p.name && part_ok(p.sub)));
	for (const char *s = rest; *s;) {
		size_t n = strcspn(s, "/");
		if (n && want.len)
			FUZZ_CHECK(cm_buf_putc(&want, '/') == 0);
		FUZZ_CHECK(cm_buf_append(&want, s, n) == 0);
		s += n + (s[n] == '/');
	}
	if (p.ns)
		FUZZ_CHECK(cm_buf_printf(&got, "namespaces/%s/", p.ns) == 0);
	FUZZ_CHECK(cm_buf_printf(&got, "%s%s%s%s%s", p.plural, p.name ? "/" : "", p.name ? p.name : "",
				 p.sub ? "/" : "", p.sub ? p.sub : "") == 0);
	FUZZ_CHECK(!strcmp(want.data ? want.data : "", got.data ? got.data : ""));
	cm_buf_close(&want);
	cm_buf_close(&got);
	api_path_close(&p);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const methods[] = {"GET", "POST", "PUT", "DELETE"};
	char *s = fuzz_strdup(data, size), *rest;
	char *path = fuzz_line(s, &rest);
	bool resource = api_path_is_resource(path);

	setup();
	for (size_t i = 0; i < sizeof(methods) / sizeof(methods[0]); i++) {
		struct cm_http_match m;
		int rc = cm_http_router_match(&router, methods[i], path, &m);

		FUZZ_CHECK(rc == 0 || rc == -ENOENT || rc == -EOPNOTSUPP);
		if (rc < 0)
			continue;
		enum route_kind kind = *(enum route_kind *)m.data;
		/* what the gate let through unjudged is judged where it lands */
		if (resource)
			FUZZ_CHECK(kind != OPEN);
		if (kind == REST_CORE || kind == REST_GROUP) {
			char *r = param(&m, path, "rest");
			check_split(r);
			free(r);
		}
	}
	free(s);
	return 0;
}
