/* fuzz_http_router.c: route patterns and path matching. Input: method, pattern, then path lines. */
#include <errno.h>

#include "common/http_router.h"
#include "tests/fuzz/fuzz_util.h"

/* Routes like those the daemons register, so paths meet realistic patterns. */
static const char *const fixed[][2] = {
	{"GET", "/healthz"},
	{"POST", "/v3/kv/{op}"},
	{"*", "/v3/lease/{op...}"},
	{"GET", "/api/v1/namespaces/{ns}/pods/{name}/log"},
	{"GET", "/api/v1/namespaces/{ns}/{resource}/{name}"},
	{"PUT", "/apis/{group}/{version}/namespaces/{ns}/{resource}/{name}/{sub}"},
	{"GET", "/static/{rest...}"},
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = fuzz_strdup(data, size), *rest;
	char *method = fuzz_line(s, &rest);
	char *pattern = fuzz_line(rest, &rest);
	struct cm_http_router r;
	cm_http_router_init(&r);
	int tag[8];
	int rc = cm_http_router_add(&r, method, pattern, &tag[0]);
	FUZZ_CHECK(rc == 0 || rc == -EINVAL);
	for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++)
		FUZZ_CHECK(cm_http_router_add(&r, fixed[i][0], fixed[i][1], &tag[1]) == 0);
	while (*rest) {
		char *path = fuzz_line(rest, &rest);
		size_t plen = strlen(path);
		struct cm_http_match m;
		rc = cm_http_router_match(&r, method, path, &m);
		FUZZ_CHECK(rc == 0 || rc == -ENOENT || rc == -EOPNOTSUPP);
		if (rc == 0) {
			FUZZ_CHECK(m.nparams <= CM_HTTP_MAX_PARAMS);
			for (size_t i = 0; i < m.nparams; i++)
				FUZZ_CHECK(m.params[i].off <= plen && m.params[i].len <= plen - m.params[i].off);
		}
		(void)cm_http_router_match(&r, "HEAD", path, &m);
	}
	cm_http_router_close(&r);
	free(s);
	return 0;
}
