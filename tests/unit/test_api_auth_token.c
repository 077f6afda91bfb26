/* test_api_auth_token.c: the static token file parser (Kubernetes' CSV) and authentication from a request's credentials. */
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "apiserver/auth.h"
#include "apiserver/authz.h"
#include "tests/lib/check_run.h"

static struct api_tokens *parse_ok(const char *text)
{
	struct api_tokens *t = NULL;
	struct cm_buf err = CM_BUF_INIT;

	ck_assert_msg(api_tokens_parse(text, strlen(text), &t, &err) == 0, "parse failed: %s", err.data ? err.data : "");
	cm_buf_close(&err);
	return t;
}

/* PARSE_ERROR(line message, text): the parse fails with -EINVAL and names the line and why. */
#define PARSE_ERROR(want, text)                                                                   \
	do {                                                                                      \
		struct api_tokens *t_ = NULL;                                                     \
		struct cm_buf e_ = CM_BUF_INIT;                                                   \
		ck_assert_int_eq(api_tokens_parse(text, strlen(text), &t_, &e_), -EINVAL);        \
		ck_assert_ptr_null(t_);                                                           \
		ck_assert_str_eq(e_.data, want);                                                  \
		cm_buf_close(&e_);                                                                \
	} while (0)

START_TEST(parses_users_uids_and_groups)
{
	struct api_tokens *t = parse_ok("# comment\n"
					"\n"
					"tok1,alice,u1,\"system:masters,devs\"\n"
					"tok2,bob,u2\r\n"
					"tok3, carol , u3 ,\"a, b ,,c\"\n"
					"tok4,dave,u4,single\n");
	const struct api_user *u;

	ck_assert_uint_eq(api_tokens_count(t), 4);
	u = api_tokens_lookup(t, "tok1");
	ck_assert_ptr_nonnull(u);
	ck_assert_str_eq(u->name, "alice");
	ck_assert_str_eq(u->uid, "u1");
	ck_assert_int_eq(u->ngroups, 2);
	ck_assert_str_eq(u->groups[0], "system:masters");
	ck_assert_str_eq(u->groups[1], "devs");
	u = api_tokens_lookup(t, "tok2");
	ck_assert_str_eq(u->name, "bob");
	ck_assert_str_eq(u->uid, "u2");
	ck_assert_int_eq(u->ngroups, 0);
	u = api_tokens_lookup(t, "tok3");
	ck_assert_str_eq(u->name, "carol");
	ck_assert_int_eq(u->ngroups, 3);
	ck_assert_str_eq(u->groups[2], "c");
	ck_assert_str_eq(api_tokens_lookup(t, "tok4")->groups[0], "single");
	api_tokens_free(t);
}
END_TEST

START_TEST(lookup_needs_the_exact_token)
{
	struct api_tokens *t = parse_ok("secret,alice,1\n");

	ck_assert_ptr_nonnull(api_tokens_lookup(t, "secret"));
	ck_assert_ptr_null(api_tokens_lookup(t, "secre"));
	ck_assert_ptr_null(api_tokens_lookup(t, "secrets"));
	ck_assert_ptr_null(api_tokens_lookup(t, "Secret"));
	ck_assert_ptr_null(api_tokens_lookup(t, ""));
	ck_assert_ptr_null(api_tokens_lookup(t, NULL));
	ck_assert_ptr_null(api_tokens_lookup(NULL, "secret"));
	api_tokens_free(t);
	api_tokens_free(NULL);
}
END_TEST

START_TEST(quoted_fields)
{
	struct api_tokens *t = parse_ok("\"tok,en\",\"a \"\"quoted\"\" user\",3\n");

	ck_assert_str_eq(api_tokens_lookup(t, "tok,en")->name, "a \"quoted\" user");
	api_tokens_free(t);
}
END_TEST

START_TEST(errors_name_the_line)
{
	PARSE_ERROR("line 2: want token,user,uid[,\"groups\"]", "a,b,c\nonly,two\n");
	PARSE_ERROR("line 1: empty token or user", ",bob,1\n");
	PARSE_ERROR("line 1: empty token or user", "tok,,1\n");
	PARSE_ERROR("line 3: duplicate token", "t1,a,1\nt2,b,2\nt1,c,3\n");
	PARSE_ERROR("line 1: bad quoting or more than 4 columns", "\"unterminated,a,1\n");
	PARSE_ERROR("line 1: bad quoting or more than 4 columns", "t,a,1,g,extra\n");
	PARSE_ERROR("line 1: more than 16 groups",
		    "t,a,1,\"g1,g2,g3,g4,g5,g6,g7,g8,g9,g10,g11,g12,g13,g14,g15,g16,g17\"\n");
}
END_TEST

START_TEST(empty_file_is_no_users)
{
	struct api_tokens *t = parse_ok("");

	ck_assert_uint_eq(api_tokens_count(t), 0);
	api_tokens_free(t);
}
END_TEST

START_TEST(load_missing_file)
{
	struct api_tokens *t = NULL;
	struct cm_buf err = CM_BUF_INIT;

	ck_assert_int_eq(api_tokens_load("/nonexistent/tokens.csv", &t, &err), -ENOENT);
	ck_assert_ptr_null(t);
	ck_assert_ptr_nonnull(strstr(err.data, "/nonexistent/tokens.csv"));
	cm_buf_close(&err);
}
END_TEST

/* authentication over the parsed table */
START_TEST(authn_bearer_certificate_anonymous)
{
	struct api_tokens *t = parse_ok("tok,alice,u1,devs\n");
	static const char *const orgs[] = {"system:nodes"};
	struct cm_http_peer_identity peer = {"system:node:n1", orgs, 1};
	struct api_authn_input in = {.authorization = "Bearer tok", .tokens = t};
	struct api_user u;

	ck_assert_int_eq(api_authn_resolve(&in, &u), 0);
	ck_assert_str_eq(u.name, "alice");
	ck_assert(api_user_in_group(&u, "devs"));
	ck_assert(api_user_in_group(&u, "system:authenticated"));
	/* a wrong token is refused even with anonymous allowed and a certificate present */
	in.authorization = "Bearer nope";
	in.anonymous = true;
	in.peer = &peer;
	ck_assert_int_eq(api_authn_resolve(&in, &u), -EACCES);
	in.authorization = "Basic dXNlcjpwYXNz";
	ck_assert_int_eq(api_authn_resolve(&in, &u), -EACCES);
	/* the certificate: CN user, O groups */
	in.authorization = NULL;
	ck_assert_int_eq(api_authn_resolve(&in, &u), 0);
	ck_assert_str_eq(u.name, "system:node:n1");
	ck_assert(api_user_in_group(&u, "system:nodes"));
	ck_assert(api_user_in_group(&u, "system:authenticated"));
	/* nothing: anonymous, or 401 */
	in.peer = NULL;
	ck_assert_int_eq(api_authn_resolve(&in, &u), 0);
	ck_assert_str_eq(u.name, "system:anonymous");
	ck_assert(api_user_in_group(&u, "system:unauthenticated"));
	ck_assert(!api_user_in_group(&u, "system:authenticated"));
	in.anonymous = false;
	ck_assert_int_eq(api_authn_resolve(&in, &u), -EACCES);
	/* without a token file a bearer header is ignored: anonymous when allowed */
	in.tokens = NULL;
	in.authorization = "Bearer anything";
	ck_assert_int_eq(api_authn_resolve(&in, &u), -EACCES);
	in.anonymous = true;
	ck_assert_int_eq(api_authn_resolve(&in, &u), 0);
	ck_assert_str_eq(u.name, "system:anonymous");
	api_tokens_free(t);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("api_auth_token");
	TCase *tc = tcase_create("tokens");
	tcase_add_test(tc, parses_users_uids_and_groups);
	tcase_add_test(tc, lookup_needs_the_exact_token);
	tcase_add_test(tc, quoted_fields);
	tcase_add_test(tc, errors_name_the_line);
	tcase_add_test(tc, empty_file_is_no_users);
	tcase_add_test(tc, load_missing_file);
	tcase_add_test(tc, authn_bearer_certificate_anonymous);
	suite_add_tcase(s, tc);
	return check_run(s);
}
