/* test_el_config.c: etcd-style flags resolved: members and ids, and the TLS flags' consistency checks. */
#include <check.h>
#include <errno.h>
#include <string.h>

#include "etcdlite/config.h"
#include "tests/lib/check_run.h"

static struct el_config c;
static struct cm_buf err;

static void setup(void)
{
	el_config_defaults(&c);
	cm_buf_init(&err);
	c.name = "m1";
	c.listen_client_urls = "https://127.0.0.1:2379";
	c.listen_peer_urls = "https://127.0.0.1:2380";
	c.initial_cluster = "m1=https://127.0.0.1:2380,m2=https://127.0.0.1:12380";
	c.client_tls = (struct el_tls_conf){"s.crt", "s.key", "ca.crt", true};
	c.peer_tls = (struct el_tls_conf){"p.crt", "p.key", "ca.crt", true};
}

static void teardown(void)
{
	cm_buf_close(&err);
}

/* Resolving fails with -EINVAL and a message containing piece. */
#define RESOLVE_FAILS(piece)                                                         \
	do {                                                                         \
		ck_assert_int_eq(el_config_resolve(&c, &err), -EINVAL);              \
		ck_assert_msg(err.data && strstr(err.data, piece), "message: %s",    \
			      err.data ? err.data : "(none)");                       \
	} while (0)

START_TEST(https_cluster_resolves)
{
	ck_assert_int_eq(el_config_resolve(&c, &err), 0);
	ck_assert_uint_eq(c.n_members, 2);
	ck_assert_str_eq(c.members[1].peer_url, "https://127.0.0.1:12380");
	ck_assert(el_url_is_https(c.members[0].peer_url));
	ck_assert(!el_url_is_https("http://127.0.0.1:1"));
	ck_assert(!el_url_is_https(NULL));
}
END_TEST

START_TEST(https_needs_cert_and_key)
{
	c.client_tls.cert_file = c.client_tls.key_file = NULL;
	RESOLVE_FAILS("--listen-client-urls https://127.0.0.1:2379 is https: --cert-file and --key-file are required");
}
END_TEST

START_TEST(peer_https_needs_peer_cert)
{
	c.peer_tls.cert_file = c.peer_tls.key_file = NULL;
	RESOLVE_FAILS("--peer-cert-file and --peer-key-file are required");
}
END_TEST

START_TEST(cert_without_key)
{
	c.client_tls.key_file = NULL;
	RESOLVE_FAILS("--cert-file and --key-file go together");
}
END_TEST

START_TEST(cert_auth_needs_ca)
{
	c.peer_tls.trusted_ca_file = NULL;
	RESOLVE_FAILS("--peer-client-cert-auth needs --peer-trusted-ca-file");
}
END_TEST

START_TEST(plain_http_needs_no_files)
{
	c.listen_client_urls = "http://127.0.0.1:2379";
	c.listen_peer_urls = "http://127.0.0.1:2380";
	c.initial_cluster = "m1=http://127.0.0.1:2380";
	memset(&c.client_tls, 0, sizeof(c.client_tls));
	memset(&c.peer_tls, 0, sizeof(c.peer_tls));
	ck_assert_int_eq(el_config_resolve(&c, &err), 0);
}
END_TEST

static Suite *config_suite(void)
{
	Suite *s = suite_create("el_config");
	TCase *tc = tcase_create("tls");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, https_cluster_resolves);
	tcase_add_test(tc, https_needs_cert_and_key);
	tcase_add_test(tc, peer_https_needs_peer_cert);
	tcase_add_test(tc, cert_without_key);
	tcase_add_test(tc, cert_auth_needs_ca);
	tcase_add_test(tc, plain_http_needs_no_files);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return check_run(config_suite());
}
