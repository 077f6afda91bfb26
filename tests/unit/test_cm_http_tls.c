/* test_cm_http_tls.c: client-certificate authentication in the HTTP server: who is verified, who is refused. */
#include <check.h>
#include <errno.h>
#include <curl/curl.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/http_server.h"
#include "tests/lib/check_run.h"

/* Certificates made once by deploy/certs.sh (and openssl for the odd ones), before the cases fork. */
static char pki[64], foreign[64];

struct fx {
	uv_loop_t loop;
	uv_thread_t thread;
	uv_async_t async;
	struct cm_http_server *s;
	int port;
	atomic_int closed;
};
static struct fx F;

static void sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void sh(const char *fmt, ...)
{
	char cmd[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	/* Runs outside any test case: Check's asserts are not available here. */
	if (system(cmd) != 0) {
		fprintf(stderr, "test_cm_http_tls: failed: %s\n", cmd);
		exit(1);
	}
}

static void make_pki(void)
{
	strcpy(pki, "/tmp/cm_tls_XXXXXX");
	strcpy(foreign, "/tmp/cm_tls_foreign_XXXXXX");
	if (!mkdtemp(pki) || !mkdtemp(foreign)) {
		perror("test_cm_http_tls: mkdtemp");
		exit(1);
	}
	sh("ETCD_MEMBERS= NODES=n1 deploy/certs.sh %s >/dev/null", pki);
	/* A client certificate of another CA (self-signed), with the same subject as admin's. */
	sh("cd %s && openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes "
	   "-keyout admin.key -out admin.crt -days 1 -subj /O=system:masters/CN=admin "
	   "-addext extendedKeyUsage=clientAuth >/dev/null 2>&1",
	   foreign);
	/* An expired client certificate from the right CA. */
	sh("cd %s && openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out old.key 2>/dev/null && "
	   "openssl req -new -key old.key -subj /CN=old -out old.csr && "
	   "printf 'extendedKeyUsage=clientAuth\\n' >ext && "
	   "openssl x509 -req -in old.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days -1 "
	   "-extfile ext -out old.crt 2>/dev/null",
	   pki);
}

static void remove_pki(void)
{
	sh("rm -rf %s %s", pki, foreign);
}

/* /who answers "CN [O1,O2]" for a verified client, "anonymous" otherwise. */
static void handle_who(struct cm_http_req *req, void *ud)
{
	(void)ud;
	const struct cm_http_peer_identity *id = cm_http_req_peer_identity(req);
	struct cm_buf b = CM_BUF_INIT;
	if (!id) {
		cm_buf_puts(&b, "anonymous");
	} else {
		cm_buf_printf(&b, "%s [", id->common_name);
		for (size_t i = 0; i < id->n_organizations; i++)
			cm_buf_printf(&b, "%s%s", i ? "," : "", id->organizations[i]);
		cm_buf_putc(&b, ']');
	}
	cm_http_respond_buf(req, 200, "text/plain", &b);
	cm_buf_close(&b);
}

static void on_closed(void *ud)
{
	(void)ud;
	uv_close((uv_handle_t *)&F.async, NULL);
	atomic_store(&F.closed, 1);
}

static void on_async(uv_async_t *a)
{
	(void)a;
	cm_http_server_close(F.s, on_closed, NULL);
}

static void run_loop(void *arg)
{
	(void)arg;
	uv_run(&F.loop, UV_RUN_DEFAULT);
}

static void start(int required)
{
	char cert[128], key[128], ca[128];
	memset(&F, 0, sizeof(F));
	snprintf(cert, sizeof(cert), "%s/apiserver.crt", pki);
	snprintf(key, sizeof(key), "%s/apiserver.key", pki);
	snprintf(ca, sizeof(ca), "%s/ca.crt", pki);
	struct cm_http_server_opts o = {.tls_cert_file = cert, .tls_key_file = key,
					.tls_client_ca_file = ca, .tls_client_cert_required = required,
					.idle_timeout_s = 5};
	ck_assert_int_eq(uv_loop_init(&F.loop), 0);
	ck_assert_int_eq(cm_http_server_new(&F.loop, &o, &F.s), 0);
	ck_assert_int_eq(cm_http_server_route(F.s, "*", "/who", handle_who, NULL), 0);
	F.port = cm_http_server_port(F.s);
	uv_async_init(&F.loop, &F.async, on_async);
	ck_assert_int_eq(uv_thread_create(&F.thread, run_loop, NULL), 0);
}

static void setup_optional(void)
{
	start(0);
}

static void setup_required(void)
{
	start(1);
}

static void teardown(void)
{
	uv_async_send(&F.async);
	uv_thread_join(&F.thread);
	ck_assert_int_eq(atomic_load(&F.closed), 1);
	ck_assert_int_eq(uv_loop_close(&F.loop), 0);
}

static size_t on_body(char *p, size_t size, size_t n, void *ud)
{
	cm_buf_append(ud, p, size * n);
	return size * n;
}

/*
 * GET /who presenting dir/name.{crt,key} (name NULL: no certificate), trusting
 * our CA. Returns the status (0 if the exchange failed, e.g. in the handshake)
 * and the body in *body.
 */
static long who(const char *dir, const char *name, const char *method, struct cm_buf *body)
{
	char url[128], ca[128], cert[128], key[128];
	snprintf(url, sizeof(url), "https://127.0.0.1:%d/who", F.port);
	snprintf(ca, sizeof(ca), "%s/ca.crt", pki);
	cm_buf_reset(body);
	CURL *c = curl_easy_init();
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_CAINFO, ca);
	curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
	if (strcmp(method, "POST") == 0)
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, "{\"some\":\"body\"}");
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, body);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 10L);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	if (name) {
		snprintf(cert, sizeof(cert), "%s/%s.crt", dir, name);
		snprintf(key, sizeof(key), "%s/%s.key", dir, name);
		curl_easy_setopt(c, CURLOPT_SSLCERT, cert);
		curl_easy_setopt(c, CURLOPT_SSLKEY, key);
	}
	long code = 0;
	if (curl_easy_perform(c) == CURLE_OK)
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
	curl_easy_cleanup(c);
	cm_buf_putc(body, '\0');
	return code;
}

#define WHO(dir, name, want_code, want_body)                                        \
	do {                                                                        \
		struct cm_buf b_ = CM_BUF_INIT;                                     \
		ck_assert_int_eq(who(dir, name, "GET", &b_), want_code);            \
		if (want_body)                                                      \
			ck_assert_str_eq(b_.data, (const char *)want_body);         \
		cm_buf_close(&b_);                                                  \
	} while (0)

START_TEST(verified_subject_is_exposed)
{
	WHO(pki, "admin", 200, "admin [system:masters]");
	WHO(pki, "kubelet-n1", 200, "system:node:n1 [system:nodes]");
	WHO(pki, "scheduler", 200, "system:kube-scheduler []");
}
END_TEST

START_TEST(no_certificate_is_anonymous_when_optional)
{
	WHO(pki, NULL, 200, "anonymous");
}
END_TEST

START_TEST(foreign_ca_is_refused)
{
	WHO(foreign, "admin", 401, NULL);
	struct cm_buf b = CM_BUF_INIT;
	/* Refused before the body is read; the server stays usable. */
	ck_assert_int_eq(who(foreign, "admin", "POST", &b), 401);
	ck_assert_ptr_nonnull(strstr(b.data, "invalid client certificate"));
	cm_buf_close(&b);
	WHO(pki, "admin", 200, "admin [system:masters]");
}
END_TEST

START_TEST(expired_certificate_is_refused)
{
	WHO(pki, "old", 401, NULL);
}
END_TEST

START_TEST(server_certificate_is_not_a_client_certificate)
{
	/* apiserver.crt has serverAuth only: it must not log in as kube-apiserver. */
	WHO(pki, "apiserver", 401, NULL);
}
END_TEST

START_TEST(required_refuses_no_certificate)
{
	struct cm_buf b = CM_BUF_INIT;
	/* The handshake fails (0) or, at worst, the request gets 401: never 200. */
	long code = who(pki, NULL, "GET", &b);
	ck_assert_msg(code == 0 || code == 401, "got %ld", code);
	cm_buf_close(&b);
	WHO(foreign, "admin", 401, NULL);
	WHO(pki, "admin", 200, "admin [system:masters]");
}
END_TEST

START_TEST(client_ca_needs_tls)
{
	uv_loop_t loop;
	struct cm_http_server *s = NULL;
	struct cm_http_server_opts o = {.tls_client_ca_file = "/nonexistent"};
	uv_loop_init(&loop);
	ck_assert_int_eq(cm_http_server_new(&loop, &o, &s), -EINVAL);
	ck_assert_ptr_null(s);
	uv_loop_close(&loop);
}
END_TEST

static Suite *tls_suite(void)
{
	Suite *s = suite_create("cm_http_tls");
	TCase *opt = tcase_create("optional");
	tcase_add_checked_fixture(opt, setup_optional, teardown);
	tcase_set_timeout(opt, 30);
	tcase_add_test(opt, verified_subject_is_exposed);
	tcase_add_test(opt, no_certificate_is_anonymous_when_optional);
	tcase_add_test(opt, foreign_ca_is_refused);
	tcase_add_test(opt, expired_certificate_is_refused);
	tcase_add_test(opt, server_certificate_is_not_a_client_certificate);
	suite_add_tcase(s, opt);
	TCase *req = tcase_create("required");
	tcase_add_checked_fixture(req, setup_required, teardown);
	tcase_set_timeout(req, 30);
	tcase_add_test(req, required_refuses_no_certificate);
	suite_add_tcase(s, req);
	TCase *bad = tcase_create("options");
	tcase_add_test(bad, client_ca_needs_tls);
	suite_add_tcase(s, bad);
	return s;
}

int main(void)
{
	curl_global_init(CURL_GLOBAL_ALL);
	make_pki();
	int rc = check_run(tls_suite());

	remove_pki();
	curl_global_cleanup();
	return rc;
}
