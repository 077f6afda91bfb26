/* test_cm_http_router.c: route patterns, parameters, first-match order, 404 and 405, without sockets. */
#include <check.h>
#include <errno.h>
#include <string.h>

#include "common/http_router.h"
#include "tests/lib/check_run.h"

static struct cm_http_router r;
static int ids[16];

static void setup(void)
{
	cm_http_router_init(&r);
	for (int i = 0; i < 16; i++)
		ids[i] = i;
}

static void teardown(void)
{
	cm_http_router_close(&r);
}

#define ADD(id, method, pattern) ck_assert_int_eq(cm_http_router_add(&r, method, pattern, &ids[id]), 0)
#define ADD_ERROR(err, method, pattern) ck_assert_int_eq(cm_http_router_add(&r, method, pattern, NULL), err)

/* Matches and checks the route id; returns the match for param checks. */
static struct cm_http_match match_ok(const char *method, const char *path, int id)
{
	struct cm_http_match m;
	memset(&m, 0, sizeof(m));
	int rc = cm_http_router_match(&r, method, path, &m);
	ck_assert_msg(rc == 0, "%s %s: rc %d", method, path, rc);
	ck_assert_int_eq(*(int *)m.data, id);
	return m;
}

#define MATCH_ERROR(err, method, path)                                                 \
	do {                                                                           \
		struct cm_http_match m_;                                               \
		ck_assert_int_eq(cm_http_router_match(&r, method, path, &m_), err);    \
	} while (0)

static void check_param(const struct cm_http_match *m, const char *path, size_t i,
			const char *name, const char *value)
{
	ck_assert_uint_gt(m->nparams, i);
	ck_assert_str_eq(m->params[i].name, name);
	ck_assert_uint_eq(m->params[i].len, strlen(value));
	ck_assert_int_eq(memcmp(path + m->params[i].off, value, strlen(value)), 0);
}

START_TEST(literal_paths)
{
	ADD(0, "GET", "/healthz");
	ADD(1, "GET", "/");
	ADD(2, "POST", "/v3/kv/put");
	match_ok("GET", "/healthz", 0);
	match_ok("GET", "/", 1);
	match_ok("POST", "/v3/kv/put", 2);
	MATCH_ERROR(-ENOENT, "GET", "/healthz/");
	MATCH_ERROR(-ENOENT, "GET", "/health");
	MATCH_ERROR(-ENOENT, "POST", "/v3/kv");
	MATCH_ERROR(-ENOENT, "POST", "/v3/kv/put/x");
	MATCH_ERROR(-ENOENT, "GET", "");
	MATCH_ERROR(-ENOENT, "GET", "healthz");
}
END_TEST

START_TEST(params)
{
	ADD(0, "GET", "/api/v1/namespaces/{ns}/pods/{name}");
	ADD(1, "GET", "/api/v1/namespaces/{ns}/pods");
	const char *p = "/api/v1/namespaces/default/pods/web-1";
	struct cm_http_match m = match_ok("GET", p, 0);
	ck_assert_uint_eq(m.nparams, 2);
	check_param(&m, p, 0, "ns", "default");
	check_param(&m, p, 1, "name", "web-1");
	p = "/api/v1/namespaces/kube-system/pods";
	m = match_ok("GET", p, 1);
	ck_assert_uint_eq(m.nparams, 1);
	check_param(&m, p, 0, "ns", "kube-system");
	/* A parameter takes exactly one non-empty segment. */
	MATCH_ERROR(-ENOENT, "GET", "/api/v1/namespaces//pods");
	MATCH_ERROR(-ENOENT, "GET", "/api/v1/namespaces/a/b/pods");
}
END_TEST

START_TEST(rest_of_path)
{
	ADD(0, "GET", "/files/{path...}");
	ADD(1, "*", "/{all...}");
	const char *p = "/files/a/b/c.txt";
	struct cm_http_match m = match_ok("GET", p, 0);
	check_param(&m, p, 0, "path", "a/b/c.txt");
	p = "/files/";
	m = match_ok("GET", p, 0);
	check_param(&m, p, 0, "path", "");
	/* "/files" has no slash after the literal: the catch-all takes it. */
	p = "/files";
	m = match_ok("GET", p, 1);
	check_param(&m, p, 0, "all", "files");
	match_ok("DELETE", "/anything/at/all", 1);
}
END_TEST

START_TEST(first_match_wins)
{
	ADD(0, "GET", "/v3/kv/range");
	ADD(1, "GET", "/v3/kv/{op}");
	ADD(2, "GET", "/v3/kv/range");
	match_ok("GET", "/v3/kv/range", 0);
	const char *p = "/v3/kv/put";
	struct cm_http_match m = match_ok("GET", p, 1);
	check_param(&m, p, 0, "op", "put");
}
END_TEST

START_TEST(method_not_allowed)
{
	ADD(0, "GET", "/pods/{name}");
	ADD(1, "PUT", "/pods/{name}");
	ADD(2, "*", "/any");
	match_ok("GET", "/pods/a", 0);
	match_ok("PUT", "/pods/a", 1);
	MATCH_ERROR(-EOPNOTSUPP, "POST", "/pods/a");
	MATCH_ERROR(-EOPNOTSUPP, "DELETE", "/pods/a");
	MATCH_ERROR(-ENOENT, "POST", "/pods");
	/* HEAD is served by GET routes, "*" takes every method. */
	match_ok("HEAD", "/pods/a", 0);
	match_ok("PATCH", "/any", 2);
}
END_TEST

START_TEST(later_route_of_right_method_wins_over_405)
{
	ADD(0, "POST", "/x/{a}");
	ADD(1, "GET", "/x/{b}");
	const char *p = "/x/1";
	struct cm_http_match m = match_ok("GET", p, 1);
	check_param(&m, p, 0, "b", "1");
}
END_TEST

START_TEST(match_leaves_output_on_failure)
{
	ADD(0, "GET", "/a");
	struct cm_http_match m;
	memset(&m, 0x5a, sizeof(m));
	struct cm_http_match before = m;
	ck_assert_int_eq(cm_http_router_match(&r, "GET", "/b", &m), -ENOENT);
	ck_assert_int_eq(memcmp(&m, &before, sizeof(m)), 0);
}
END_TEST

START_TEST(malformed_patterns)
{
	ADD_ERROR(-EINVAL, "GET", "");
	ADD_ERROR(-EINVAL, "GET", "noslash");
	ADD_ERROR(-EINVAL, "", "/a");
	ADD_ERROR(-EINVAL, "GET", "/a/{}");
	ADD_ERROR(-EINVAL, "GET", "/a/{x");
	ADD_ERROR(-EINVAL, "GET", "/a/x}");
	ADD_ERROR(-EINVAL, "GET", "/a/pre{x}");
	ADD_ERROR(-EINVAL, "GET", "/a/{x y}");
	ADD_ERROR(-EINVAL, "GET", "/a/{rest...}/b");
	ADD_ERROR(-EINVAL, "GET", "/{a}/{b}/{c}/{d}/{e}/{f}/{g}/{h}/{i}");
	ck_assert_uint_eq(r.n, 0);
	ADD(0, "GET", "/{a}/{b}/{c}/{d}/{e}/{f}/{g}/{h}");
	const char *p = "/1/2/3/4/5/6/7/8";
	struct cm_http_match m = match_ok("GET", p, 0);
	ck_assert_uint_eq(m.nparams, 8);
	check_param(&m, p, 7, "h", "8");
}
END_TEST

static Suite *router_suite(void)
{
	Suite *s = suite_create("cm_http_router");
	TCase *tc = tcase_create("core");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, literal_paths);
	tcase_add_test(tc, params);
	tcase_add_test(tc, rest_of_path);
	tcase_add_test(tc, first_match_wins);
	tcase_add_test(tc, method_not_allowed);
	tcase_add_test(tc, later_route_of_right_method_wins_over_405);
	tcase_add_test(tc, match_leaves_output_on_failure);
	tcase_add_test(tc, malformed_patterns);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return check_run(router_suite());
}
