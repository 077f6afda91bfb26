/* test_api_sa_token.c: ServiceAccount tokens: signed, verified, refused when tampered, foreign or expired; authn's identity. */
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "apiserver/authz.h"
#include "apiserver/sa_token.h"
#include "tests/lib/check_run.h"

static const char key[] = "0123456789abcdef0123456789abcdef-test-key";
#define KEYLEN (sizeof(key) - 1)
#define NOW 1700000000

static char *sign(const char *k, const char *ns, const char *name, int64_t now, int64_t ttl)
{
	struct cm_buf b = CM_BUF_INIT;

	ck_assert_int_eq(api_sa_token_sign(k, strlen(k), ns, name, "uid-1", now, ttl, &b), 0);
	return cm_buf_take(&b);
}

START_TEST(signed_token_verifies)
{
	char *t = sign(key, "team", "builder", NOW, 3600);
	struct api_sa_claims c;

	ck_assert(api_sa_token_is_jwt(t));
	ck_assert_int_eq(api_sa_token_verify(key, KEYLEN, t, NOW + 10, &c), 0);
	ck_assert_str_eq(c.ns, "team");
	ck_assert_str_eq(c.name, "builder");
	ck_assert_str_eq(c.uid, "uid-1");
	ck_assert_int_eq(c.exp, NOW + 3600);
	api_sa_claims_close(&c);
	free(t);
}
END_TEST

START_TEST(refused_when_expired_tampered_or_foreign)
{
	char *t = sign(key, "team", "builder", NOW, 3600);
	char *other = sign("another-key-of-at-least-32-bytes!!", "team", "builder", NOW, 3600);
	struct api_sa_claims c;
	size_t n = strlen(t);

	ck_assert_int_eq(api_sa_token_verify(key, KEYLEN, t, NOW + 3600, &c), -EACCES);
	ck_assert_int_eq(api_sa_token_verify(key, KEYLEN, other, NOW, &c), -EACCES);
	t[n - 1] = t[n - 1] == 'A' ? 'B' : 'A';
	ck_assert_int_eq(api_sa_token_verify(key, KEYLEN, t, NOW, &c), -EACCES);
	ck_assert_int_eq(api_sa_token_verify(key, KEYLEN, "a.b.c", NOW, &c), -EACCES);
	ck_assert_int_eq(api_sa_token_verify(key, KEYLEN, "...", NOW, &c), -EACCES);
	ck_assert_int_eq(api_sa_token_verify(key, KEYLEN, "not-a-jwt", NOW, &c), -EACCES);
	/* a short key signs nothing */
	struct cm_buf b = CM_BUF_INIT;
	ck_assert_int_eq(api_sa_token_sign("short", 5, "a", "b", "", NOW, 60, &b), -EINVAL);
	free(t);
	free(other);
}
END_TEST

START_TEST(authn_gives_the_serviceaccount_identity)
{
	char *t = sign(key, "team", "builder", NOW, 3600);
	struct cm_buf hdr = CM_BUF_INIT;
	struct api_user u;
	struct api_authn_input in = {0};

	cm_buf_printf(&hdr, "Bearer %s", t);
	in.authorization = hdr.data;
	in.sa_key = key;
	in.sa_keylen = KEYLEN;
	in.now_s = NOW;
	ck_assert_int_eq(api_authn_resolve(&in, &u), 0);
	ck_assert_str_eq(u.name, "system:serviceaccount:team:builder");
	ck_assert_str_eq(u.uid, "uid-1");
	ck_assert(api_user_in_group(&u, "system:serviceaccounts"));
	ck_assert(api_user_in_group(&u, "system:serviceaccounts:team"));
	ck_assert(api_user_in_group(&u, "system:authenticated"));
	/* expired: 401 even with anonymous requests allowed */
	in.anonymous = true;
	in.now_s = NOW + 7200;
	ck_assert_int_eq(api_authn_resolve(&in, &u), -EACCES);
	cm_buf_close(&hdr);
	free(t);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("api_sa_token");
	TCase *tc = tcase_create("sa_token");
	tcase_add_test(tc, signed_token_verifies);
	tcase_add_test(tc, refused_when_expired_tampered_or_foreign);
	tcase_add_test(tc, authn_gives_the_serviceaccount_identity);
	suite_add_tcase(s, tc);
	return check_run(s);
}
