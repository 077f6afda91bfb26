/* test_api_path.c: which request paths are resources, and the parts of a resource path. */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "apiserver/path.h"
#include "tests/lib/check_run.h"

START_TEST(test_is_resource)
{
	ck_assert(api_path_is_resource("/api/v1/pods"));
	ck_assert(api_path_is_resource("/api/v1/namespaces/default/pods/x/status"));
	ck_assert(api_path_is_resource("/apis/apps/v1/deployments"));
	ck_assert(!api_path_is_resource("/api"));
	ck_assert(!api_path_is_resource("/api/v1"));
	ck_assert(!api_path_is_resource("/api/v1/"));
	ck_assert(!api_path_is_resource("/apis"));
	ck_assert(!api_path_is_resource("/apis/x"));
	ck_assert(!api_path_is_resource("/apis/apps/v1"));
	ck_assert(!api_path_is_resource("/apis/apps/v1/"));
	ck_assert(!api_path_is_resource("/healthz"));
}
END_TEST

/* "ns plural name sub" of rest, "-" for absent parts, or "ENOENT". */
static const char *split(const char *rest)
{
	static char s[256];
	struct api_path p;
	int rc = api_path_split(rest, &p);

	if (rc == -ENOENT)
		return "ENOENT";
	ck_assert_int_eq(rc, 0);
	snprintf(s, sizeof(s), "%s %s %s %s", p.ns ? p.ns : "-", p.plural, p.name ? p.name : "-", p.sub ? p.sub : "-");
	api_path_close(&p);
	return s;
}

START_TEST(test_split)
{
	ck_assert_str_eq(split("pods"), "- pods - -");
	ck_assert_str_eq(split("namespaces/default/pods/web/status"), "default pods web status");
	ck_assert_str_eq(split("namespaces/default/pods"), "default pods - -");
	ck_assert_str_eq(split("namespaces/default"), "- namespaces default -");
	/* a namespace's own subresources */
	ck_assert_str_eq(split("namespaces/ns1/status"), "- namespaces ns1 status");
	ck_assert_str_eq(split("namespaces/ns1/finalize"), "- namespaces ns1 finalize");
	/* empty segments are skipped */
	ck_assert_str_eq(split("//namespaces//default/pods/"), "default pods - -");
	ck_assert_str_eq(split(""), "ENOENT");
	ck_assert_str_eq(split(NULL), "ENOENT");
	ck_assert_str_eq(split("a/b/c/d"), "ENOENT");
	ck_assert_str_eq(split("namespaces/n/a/b/c/d/e"), "ENOENT");
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("api_path");
	TCase *tc = tcase_create("path");

	tcase_add_test(tc, test_is_resource);
	tcase_add_test(tc, test_split);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return check_run(suite());
}
