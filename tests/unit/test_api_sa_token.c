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

static char *sign_bound(const char *k, const char *ns, const char *name, const struct api_sa_bound *bound, int64_t now,
			int64_t ttl)
{
	struct cm_buf b = CM_BUF_INIT;

	ck_assert_int_eq(api_sa_token_sign(k, strlen(k), ns, name, "uid-1", bound, now, ttl, &b), 0);
	return cm_buf_take(&b);
}

static char *sign(const char *k, const char *ns, const char *name, int64_t now, int64_t ttl)
{
	return sign_bound(k, ns, name, NULL, now, ttl);
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
	ck_assert_int_eq(c.bound, API_SA_UNBOUND);
	ck_assert_ptr_null(c.bound_name);
	api_sa_claims_close(&c);
	free(t);
}
END_TEST

START_TEST(bound_token_names_its_object)
{
	const struct api_sa_bound pod = {API_SA_BOUND_POD, "web-1", "pod-uid-7"};
	const struct api_sa_bound secret = {API_SA_BOUND_SECRET, "s", "secret-uid"};
	char *t = sign_bound(key, "team", "builder", &pod, NOW, 3600);
	char *u = sign_bound(key, "team", "builder", &secret, NOW, 3600);
	struct api_sa_claims c;

	ck_assert_int_eq(api_sa_token_verify(key, KEYLEN, t, NOW, &c), 0);
	ck_assert_int_eq(c.bound, API_SA_BOUND_POD);
	ck_assert_str_eq(c.bound_name, "web-1");
	ck_assert_str_eq(c.bound_uid, "pod-uid-7");
	ck_assert_str_eq(c.name, "builder");
	api_sa_claims_close(&c);
	ck_assert_int_eq(api_sa_token_verify(key, KEYLEN, u, NOW, &c), 0);
	ck_assert_int_eq(c.bound, API_SA_BOUND_SECRET);
	ck_assert_str_eq(c.bound_name, "s");
	ck_assert_str_eq(c.bound_uid, "secret-uid");
	api_sa_claims_close(&c);
	free(t);
	free(u);
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
	ck_assert_int_eq(api_sa_token_sign("short", 5, "a", "b", "", NULL, NOW, 60, &b), -EINVAL);
	free(t);
	free(other);
}
END_TEST

/* The fake cluster's ServiceAccounts: team/builder with uid uid-1; team/gone was deleted; team/reborn has a new uid. */
static bool account(void *ud, const char *ns, const char *name, const char *uid)
{
	(void)ud;
	return !strcmp(ns, "team") && !strcmp(name, "builder") && !strcmp(uid, "uid-1");
}

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
	in.account_alive = account;
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

/* The fake cluster authn asks: pod team/web-1 lives with uid pod-uid-7, nothing else does. */
static int alive_calls;
static bool alive(void *ud, int kind, const char *ns, const char *name, const char *uid)
{
	(void)ud;
	alive_calls++;
	return kind == API_SA_BOUND_POD && !strcmp(ns, "team") && !strcmp(name, "web-1") && !strcmp(uid, "pod-uid-7");
}

static int resolve(const char *token, bool with_check, struct api_user *u)
{
	struct cm_buf hdr = CM_BUF_INIT;
	struct api_authn_input in = {0};
	int rc;

	cm_buf_printf(&hdr, "Bearer %s", token);
	in.authorization = hdr.data;
	in.sa_key = key;
	in.sa_keylen = KEYLEN;
	in.now_s = NOW;
	in.account_alive = account;
	in.bound_alive = with_check ? alive : NULL;
	rc = api_authn_resolve(&in, u);
	cm_buf_close(&hdr);
	return rc;
}

START_TEST(bound_token_refused_once_its_object_is_gone)
{
	const struct api_sa_bound live = {API_SA_BOUND_POD, "web-1", "pod-uid-7"};
	const struct api_sa_bound recreated = {API_SA_BOUND_POD, "web-1", "pod-uid-OLD"};
	const struct api_sa_bound other = {API_SA_BOUND_POD, "web-2", "pod-uid-7"};
	char *t = sign_bound(key, "team", "builder", &live, NOW, 3600);
	char *old = sign_bound(key, "team", "builder", &recreated, NOW, 3600);
	char *t2 = sign_bound(key, "team", "builder", &other, NOW, 3600);
	char *plain = sign(key, "team", "builder", NOW, 3600);
	struct api_user u;

	alive_calls = 0;
	ck_assert_int_eq(resolve(t, true, &u), 0);
	ck_assert_str_eq(u.name, "system:serviceaccount:team:builder");
	/* as Kubernetes: the pod is in the user's extra */
	ck_assert_int_eq(u.nextra, 2);
	ck_assert_str_eq(u.extra_keys[0], "authentication.kubernetes.io/pod-name");
	ck_assert_str_eq(u.extra_values[0], "web-1");
	ck_assert_str_eq(u.extra_keys[1], "authentication.kubernetes.io/pod-uid");
	ck_assert_str_eq(u.extra_values[1], "pod-uid-7");
	/* a pod of the same name but another uid does not revive a token; nor does another pod */
	ck_assert_int_eq(resolve(old, true, &u), -EACCES);
	ck_assert_int_eq(resolve(t2, true, &u), -EACCES);
	/* with nothing to check against, a bound token is refused */
	ck_assert_int_eq(resolve(t, false, &u), -EACCES);
	/* an unbound token asks nothing */
	alive_calls = 0;
	ck_assert_int_eq(resolve(plain, true, &u), 0);
	ck_assert_int_eq(u.nextra, 0);
	ck_assert_int_eq(alive_calls, 0);
	free(t);
	free(old);
	free(t2);
	free(plain);
}
END_TEST

/* A token of a deleted account, or of one deleted and made again (another uid), is refused; so without the check. */
START_TEST(token_dies_with_its_account)
{
	char *gone = sign(key, "team", "gone", NOW, 3600), *live = sign(key, "team", "builder", NOW, 3600);
	struct cm_buf b = CM_BUF_INIT, hdr = CM_BUF_INIT;
	struct api_authn_input in = {0};
	struct api_user u;

	/* team/builder signed with the uid of an earlier account of that name */
	ck_assert_int_eq(api_sa_token_sign(key, KEYLEN, "team", "builder", "uid-0", NULL, NOW, 3600, &b), 0);
	in.sa_key = key;
	in.sa_keylen = KEYLEN;
	in.now_s = NOW;
	in.account_alive = account;
	cm_buf_printf(&hdr, "Bearer %s", gone);
	in.authorization = hdr.data;
	ck_assert_int_eq(api_authn_resolve(&in, &u), -EACCES);
	cm_buf_reset(&hdr);
	cm_buf_printf(&hdr, "Bearer %s", b.data);
	in.authorization = hdr.data;
	ck_assert_int_eq(api_authn_resolve(&in, &u), -EACCES);
	cm_buf_reset(&hdr);
	cm_buf_printf(&hdr, "Bearer %s", live);
	in.authorization = hdr.data;
	ck_assert_int_eq(api_authn_resolve(&in, &u), 0);
	in.account_alive = NULL;
	ck_assert_int_eq(api_authn_resolve(&in, &u), -EACCES);
	cm_buf_close(&hdr);
	cm_buf_close(&b);
	free(gone);
	free(live);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("api_sa_token");
	TCase *tc = tcase_create("sa_token");
	tcase_add_test(tc, signed_token_verifies);
	tcase_add_test(tc, bound_token_names_its_object);
	tcase_add_test(tc, bound_token_refused_once_its_object_is_gone);
	tcase_add_test(tc, refused_when_expired_tampered_or_foreign);
	tcase_add_test(tc, authn_gives_the_serviceaccount_identity);
	tcase_add_test(tc, token_dies_with_its_account);
	suite_add_tcase(s, tc);
	return check_run(s);
}
