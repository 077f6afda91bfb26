/* test_api_impersonate.c: Impersonate-* headers: what each asks the authorizer, the user that results, and refusals. */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "apiserver/auth.h"
#include "tests/lib/check_run.h"

/* An authorizer that records what it was asked and refuses one resource/name (or nothing). */
struct fake {
	const char *deny_resource, *deny_name;
	char asked[1024];
};

static bool fake_allow(void *ud, const struct api_authz_attrs *at, const char **reason)
{
	struct fake *f = ud;
	size_t n = strlen(f->asked);

	ck_assert_str_eq(at->verb, "impersonate");
	ck_assert(at->resource_request);
	snprintf(f->asked + n, sizeof(f->asked) - n, "%s%s:%s%s%s/%s/%s", n ? " " : "", at->user->name, at->resource,
		 at->subresource ? "/" : "", at->subresource ? at->subresource : "", at->ns ? at->ns : "",
		 at->name ? at->name : "");
	*reason = NULL;
	return !(f->deny_resource && !strcmp(at->resource, f->deny_resource) &&
		 (!f->deny_name || !strcmp(at->name, f->deny_name)));
}

static struct api_user alice(void)
{
	return (struct api_user){.name = "alice", .uid = "", .groups = {"dev", "system:authenticated"}, .ngroups = 2};
}

static char *groups_of(const struct api_user *u)
{
	static char s[512];

	s[0] = '\0';
	for (int i = 0; i < u->ngroups; i++)
		snprintf(s + strlen(s), sizeof(s) - strlen(s), "%s%s", i ? "," : "", u->groups[i]);
	return s;
}

#define H(n, v) {n, v}
#define RUN(u, f, d, err, ...)                                                                                      \
	({                                                                                                          \
		const struct api_header hs_[] = {__VA_ARGS__};                                                      \
		api_impersonate(&(u), hs_, sizeof(hs_) / sizeof(hs_[0]), fake_allow, &(f), &(d), &(err));          \
	})

START_TEST(no_headers_leave_the_caller)
{
	struct api_user u = alice();
	struct fake f = {0};
	struct api_impersonate_denial d;
	struct cm_buf err = CM_BUF_INIT;

	ck_assert_int_eq(RUN(u, f, d, err, H("Accept", "application/json"), H("Impersonate-User", "")), 0);
	ck_assert_str_eq(u.name, "alice");
	ck_assert_str_eq(f.asked, "");
	cm_buf_close(&err);
}
END_TEST

START_TEST(user_gets_system_authenticated)
{
	struct api_user u = alice();
	struct fake f = {0};
	struct api_impersonate_denial d;
	struct cm_buf err = CM_BUF_INIT;

	ck_assert_int_eq(RUN(u, f, d, err, H("impersonate-user", "bob")), 0);
	ck_assert_str_eq(u.name, "bob");
	ck_assert_str_eq(u.uid, "");
	ck_assert_str_eq(groups_of(&u), "system:authenticated");
	ck_assert_str_eq(f.asked, "alice:users//bob");
	cm_buf_close(&err);
}
END_TEST

START_TEST(groups_uid_and_extras_each_checked)
{
	struct api_user u = alice();
	struct fake f = {0};
	struct api_impersonate_denial d;
	struct cm_buf err = CM_BUF_INIT;

	ck_assert_int_eq(RUN(u, f, d, err, H("Impersonate-User", "bob"), H("Impersonate-Group", "ops"),
			     H("Impersonate-Group", "qa"), H("Impersonate-Uid", "u-1"),
			     H("Impersonate-Extra-Scopes", "view"), H("Impersonate-Extra-acme.com%2Fproject", "p1"),
			     H("Impersonate-Extra-scopes", "edit")),
			 0);
	ck_assert_str_eq(u.name, "bob");
	ck_assert_str_eq(u.uid, "u-1");
	ck_assert_str_eq(groups_of(&u), "ops,qa,system:authenticated");
	ck_assert_int_eq(u.nextra, 3);
	ck_assert_str_eq(u.extra_keys[0], "scopes");
	ck_assert_str_eq(u.extra_values[0], "view");
	ck_assert_str_eq(u.extra_keys[1], "acme.com/project");
	ck_assert_str_eq(u.extra_keys[2], "scopes");
	ck_assert_str_eq(f.asked, "alice:users//bob alice:groups//ops alice:groups//qa "
				  "alice:userextras/scopes//view alice:userextras/acme.com/project//p1 "
				  "alice:userextras/scopes//edit alice:uids//u-1");
	cm_buf_close(&err);
}
END_TEST

START_TEST(authenticated_group_rules)
{
	struct api_user u = alice(), v = alice(), w = alice();
	struct fake f = {0};
	struct api_impersonate_denial d;
	struct cm_buf err = CM_BUF_INIT;

	/* system:unauthenticated given: not authenticated too */
	ck_assert_int_eq(RUN(u, f, d, err, H("Impersonate-User", "bob"), H("Impersonate-Group", "system:unauthenticated")),
			 0);
	ck_assert_str_eq(groups_of(&u), "system:unauthenticated");
	/* the anonymous user is unauthenticated */
	ck_assert_int_eq(RUN(v, f, d, err, H("Impersonate-User", "system:anonymous")), 0);
	ck_assert_str_eq(groups_of(&v), "system:unauthenticated");
	/* system:authenticated given is not repeated */
	ck_assert_int_eq(RUN(w, f, d, err, H("Impersonate-User", "bob"), H("Impersonate-Group", "system:authenticated")),
			 0);
	ck_assert_str_eq(groups_of(&w), "system:authenticated");
	cm_buf_close(&err);
}
END_TEST

START_TEST(serviceaccount_checked_in_its_namespace)
{
	struct api_user u = alice(), v = alice();
	struct fake f = {0};
	struct api_impersonate_denial d;
	struct cm_buf err = CM_BUF_INIT;

	ck_assert_int_eq(RUN(u, f, d, err, H("Impersonate-User", "system:serviceaccount:ns1:robot")), 0);
	ck_assert_str_eq(u.name, "system:serviceaccount:ns1:robot");
	ck_assert_str_eq(groups_of(&u), "system:serviceaccounts,system:serviceaccounts:ns1,system:authenticated");
	ck_assert_str_eq(f.asked, "alice:serviceaccounts/ns1/robot");
	/* groups given replace the ServiceAccount's; a malformed name is a plain user */
	f.asked[0] = '\0';
	ck_assert_int_eq(RUN(v, f, d, err, H("Impersonate-User", "system:serviceaccount:ns1:a:b"),
			     H("Impersonate-Group", "g")),
			 0);
	ck_assert_str_eq(groups_of(&v), "g,system:authenticated");
	ck_assert_str_eq(f.asked, "alice:users//system:serviceaccount:ns1:a:b alice:groups//g");
	cm_buf_close(&err);
}
END_TEST

START_TEST(refusal_names_what_and_keeps_the_caller)
{
	struct api_user u = alice();
	struct fake f = {.deny_resource = "userextras"};
	struct api_impersonate_denial d;
	struct cm_buf err = CM_BUF_INIT, why = CM_BUF_INIT;

	ck_assert_int_eq(RUN(u, f, d, err, H("Impersonate-User", "bob"), H("Impersonate-Extra-Scopes", "view")), -EACCES);
	ck_assert_str_eq(u.name, "alice");
	ck_assert_int_eq(u.ngroups, 2);
	ck_assert_int_eq(api_authz_forbidden_message(&d.at, d.reason, &why), 0);
	ck_assert_str_eq(why.data, "userextras.authentication.k8s.io \"view\" is forbidden: User \"alice\" cannot "
				   "impersonate resource \"userextras/scopes\" in API group \"authentication.k8s.io\" "
				   "at the cluster scope");
	cm_buf_close(&why);
	cm_buf_close(&err);
}
END_TEST

START_TEST(refused_user_message)
{
	struct api_user u = alice(), v = alice();
	struct fake f = {.deny_resource = "users", .deny_name = "bob"}, g = {.deny_resource = "serviceaccounts"};
	struct api_impersonate_denial d;
	struct cm_buf err = CM_BUF_INIT, why = CM_BUF_INIT;

	ck_assert_int_eq(RUN(u, f, d, err, H("Impersonate-User", "bob")), -EACCES);
	ck_assert_int_eq(api_authz_forbidden_message(&d.at, d.reason, &why), 0);
	ck_assert_str_eq(why.data, "users \"bob\" is forbidden: User \"alice\" cannot impersonate resource \"users\" in "
				   "API group \"\" at the cluster scope");
	cm_buf_reset(&why);
	ck_assert_int_eq(RUN(v, g, d, err, H("Impersonate-User", "system:serviceaccount:ns1:robot")), -EACCES);
	ck_assert_int_eq(api_authz_forbidden_message(&d.at, d.reason, &why), 0);
	ck_assert_str_eq(why.data, "serviceaccounts \"robot\" is forbidden: User \"alice\" cannot impersonate resource "
				   "\"serviceaccounts\" in API group \"\" in the namespace \"ns1\"");
	cm_buf_close(&why);
	cm_buf_close(&err);
}
END_TEST

START_TEST(groups_without_user_refused)
{
	struct api_user u = alice();
	struct fake f = {0};
	struct api_impersonate_denial d;
	struct cm_buf err = CM_BUF_INIT;

	ck_assert_int_eq(RUN(u, f, d, err, H("Impersonate-Group", "ops")), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err.data, "without impersonating a user"));
	ck_assert_str_eq(u.name, "alice");
	ck_assert_str_eq(f.asked, "");
	cm_buf_reset(&err);
	ck_assert_int_eq(RUN(u, f, d, err, H("Impersonate-Uid", "u-1")), -EINVAL);
	ck_assert_int_eq(RUN(u, f, d, err, H("Impersonate-Extra-x", "y")), -EINVAL);
	cm_buf_close(&err);
}
END_TEST

START_TEST(too_many_groups)
{
	struct api_user u = alice();
	struct fake f = {0};
	struct api_impersonate_denial d;
	struct cm_buf err = CM_BUF_INIT;
	struct api_header hs[API_AUTH_MAX_GROUPS + 2];

	hs[0] = (struct api_header){"Impersonate-User", "bob"};
	for (int i = 1; i < API_AUTH_MAX_GROUPS + 2; i++)
		hs[i] = (struct api_header){"Impersonate-Group", "g"};
	ck_assert_int_eq(api_impersonate(&u, hs, API_AUTH_MAX_GROUPS + 2, fake_allow, &f, &d, &err), -E2BIG);
	ck_assert_str_eq(u.name, "alice");
	/* sixteen groups leave no room for system:authenticated */
	ck_assert_int_eq(api_impersonate(&u, hs, API_AUTH_MAX_GROUPS + 1, fake_allow, &f, &d, &err), -E2BIG);
	ck_assert_int_eq(api_impersonate(&u, hs, API_AUTH_MAX_GROUPS, fake_allow, &f, &d, &err), 0);
	ck_assert_int_eq(u.ngroups, API_AUTH_MAX_GROUPS);
	cm_buf_close(&err);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("api_impersonate");
	TCase *tc = tcase_create("impersonate");

	tcase_add_test(tc, no_headers_leave_the_caller);
	tcase_add_test(tc, user_gets_system_authenticated);
	tcase_add_test(tc, groups_uid_and_extras_each_checked);
	tcase_add_test(tc, authenticated_group_rules);
	tcase_add_test(tc, serviceaccount_checked_in_its_namespace);
	tcase_add_test(tc, refusal_names_what_and_keeps_the_caller);
	tcase_add_test(tc, refused_user_message);
	tcase_add_test(tc, groups_without_user_refused);
	tcase_add_test(tc, too_many_groups);
	suite_add_tcase(s, tc);
	return check_run(s);
}
