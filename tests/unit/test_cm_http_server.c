/* test_cm_http_server.c: the HTTP server on a uv loop in a thread, driven over loopback by blocking libcurl. */
#include <check.h>
#include <curl/curl.h>
#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "common/buf.h"
#include "common/http_server.h"
#include "common/metrics.h"
#include "common/uv_alloc.h"
#include "tests/lib/check_run.h"

/* ---- the server side: runs on the loop thread only ---- */

struct fx {
	uv_loop_t loop;
	uv_thread_t thread;
	uv_async_t async;
	struct cm_http_server *s;
	struct cm_metrics *metrics;
	int port;
	int tls;
	char dir[64];
	atomic_int close_asked, closed;
	atomic_int slow_entered, forever_entered, done_calls, forever_done, forever_epipe, order, slow_done_at,
		closed_at;
};
static struct fx F;

/* A request answered or fed from a timer. */
struct job {
	uv_timer_t timer;
	struct cm_http_req *req;
	int i, n;
};

static void job_free(uv_handle_t *h)
{
	free(h->data);
}

static struct job *job_new(struct cm_http_req *req, int n)
{
	struct job *j = calloc(1, sizeof(*j));
	ck_assert_ptr_nonnull(j);
	j->req = req;
	j->n = n;
	uv_timer_init(&F.loop, &j->timer);
	j->timer.data = j;
	return j;
}

static void job_done(struct cm_http_req *req, void *ud)
{
	(void)req;
	struct job *j = ud;
	uv_close((uv_handle_t *)&j->timer, job_free);
	atomic_fetch_add(&F.done_calls, 1);
}

static void handle_echo(struct cm_http_req *req, void *ud)
{
	(void)ud;
	struct cm_buf b = CM_BUF_INIT;
	const char *q = cm_http_req_query(req, "q"), *flag = cm_http_req_query(req, "flag");
	const char *h = cm_http_req_header(req, "x-test");
	cm_buf_printf(&b, "%s a=%s rest=%s q=%s flag=%s none=%s h=%s", cm_http_req_method(req),
		      cm_http_req_param(req, "a"), cm_http_req_param(req, "rest"), q ? q : "(null)",
		      flag ? flag : "(null)", cm_http_req_query(req, "none") ? "set" : "(null)",
		      h ? h : "(null)");
	ck_assert_int_eq(cm_http_req_add_header(req, "X-Reply", "yes"), 0);
	cm_http_respond_buf(req, 200, "text/plain", &b);
	ck_assert_int_eq(cm_http_respond(req, 500, NULL, "", 0), -EALREADY);
	cm_buf_close(&b);
}

static void handle_body(struct cm_http_req *req, void *ud)
{
	(void)ud;
	size_t len;
	const char *body = cm_http_req_body(req, &len);
	cJSON *j = cJSON_CreateObject();
	cJSON_AddNumberToObject(j, "len", (double)len);
	cJSON_AddBoolToObject(j, "all_x", len > 0 && body[0] == 'x' && body[len - 1] == 'x');
	cm_http_respond_json(req, 200, j);
	cJSON_Delete(j);
}

static void defer_fire(uv_timer_t *t)
{
	struct job *j = t->data;
	if (j->n == 1)
		atomic_store(&F.slow_done_at, atomic_fetch_add(&F.order, 1) + 1);
	cm_http_respond(j->req, 202, "text/plain", "late", 4);
}

/* Answers from a timer: 30 ms for /defer, 300 ms for /slow (the close test). */
static void handle_defer(struct cm_http_req *req, void *ud)
{
	int slow = ud != NULL;
	struct job *j = job_new(req, slow);
	cm_http_req_on_done(req, job_done, j);
	uv_timer_start(&j->timer, defer_fire, slow ? 300 : 30, 0);
	if (slow)
		atomic_store(&F.slow_entered, 1);
}

static void stream_tick(uv_timer_t *t)
{
	struct job *j = t->data;
	for (int k = 0; k < 100 && j->i < j->n; k++, j->i++) {
		char line[32];
		int len = snprintf(line, sizeof(line), "line %d\n", j->i);
		ck_assert_int_eq(cm_http_stream_write(j->req, line, (size_t)len), 0);
	}
	ck_assert_uint_gt(cm_http_stream_pending(j->req), 0);
	if (j->i == j->n) {
		uv_timer_stop(t);
		cm_http_stream_end(j->req);
		ck_assert_int_eq(cm_http_stream_write(j->req, "x", 1), -EPIPE);
	}
}

/* Streams ?n= lines, a hundred per millisecond tick. */
static void handle_stream(struct cm_http_req *req, void *ud)
{
	(void)ud;
	const char *n = cm_http_req_query(req, "n");
	struct job *j = job_new(req, n ? atoi(n) : 10);
	cm_http_req_on_done(req, job_done, j);
	ck_assert_int_eq(cm_http_stream_begin(req, 200, "text/plain"), 0);
	uv_timer_start(&j->timer, stream_tick, 1, 1);
}

static void idle_tick(uv_timer_t *t)
{
	struct job *j = t->data;
	cm_http_stream_write(j->req, "b\n", 2);
	cm_http_stream_end(j->req);
}

/* Sends a line, then nothing for 300 ms: the connection must sleep meanwhile. */
static void handle_idle(struct cm_http_req *req, void *ud)
{
	(void)ud;
	struct job *j = job_new(req, 0);
	cm_http_req_on_done(req, job_done, j);
	cm_http_stream_begin(req, 200, "text/plain");
	cm_http_stream_write(req, "a\n", 2);
	uv_timer_start(&j->timer, idle_tick, 300, 0);
}

static void forever_tick(uv_timer_t *t)
{
	struct job *j = t->data;
	int rc = cm_http_stream_write(j->req, "tick\n", 5);

	/* Once the server's close has ended the stream, a tick already due gets -EPIPE. */
	ck_assert(rc == 0 || rc == -EPIPE);
	if (rc == -EPIPE)
		uv_timer_stop(t);
}

static void forever_done(struct cm_http_req *req, void *ud)
{
	atomic_store(&F.forever_epipe, cm_http_stream_write(req, "x", 1) == -EPIPE);
	atomic_store(&F.forever_done, 1);
	job_done(req, ud);
}

static void handle_forever(struct cm_http_req *req, void *ud)
{
	(void)ud;
	struct job *j = job_new(req, 0);
	cm_http_req_on_done(req, forever_done, j);
	cm_http_stream_begin(req, 200, "text/plain");
	atomic_store(&F.forever_entered, 1);
	uv_timer_start(&j->timer, forever_tick, 5, 5);
}

static void handle_any(struct cm_http_req *req, void *ud)
{
	(void)ud;
	cm_http_respond(req, 200, "text/plain", "any", 3);
}

static void on_server_closed(void *ud)
{
	(void)ud;
	atomic_store(&F.closed_at, atomic_fetch_add(&F.order, 1) + 1);
	atomic_store(&F.closed, 1);
	uv_close((uv_handle_t *)&F.async, NULL);
}

static void on_async(uv_async_t *a)
{
	(void)a;
	if (atomic_load(&F.close_asked) && F.s) {
		cm_http_server_close(F.s, on_server_closed, NULL);
		F.s = NULL;
	}
}

static void run_loop(void *arg)
{
	(void)arg;
	uv_run(&F.loop, UV_RUN_DEFAULT);
}

static void make_cert(void)
{
	char cmd[512];
	snprintf(cmd, sizeof(cmd),
		 "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes "
		 "-keyout %s/key.pem -out %s/cert.pem -days 1 -subj /CN=localhost "
		 "-addext subjectAltName=IP:127.0.0.1 >/dev/null 2>&1",
		 F.dir, F.dir);
	ck_assert_int_eq(system(cmd), 0);
}

/* The owner's refusals: 404, 405 and 413 in its own words. */
static void on_refuse(struct cm_http_req *req, int status, void *ud)
{
	char msg[64];
	int n = snprintf(msg, sizeof(msg), "refused %d %s\n", status, (const char *)ud);

	cm_http_respond(req, status, "text/plain", msg, (size_t)n);
}

/* An upgraded connection that echoes what it reads, until the peer ends it. */
struct echo_conn {
	struct cm_http_upgraded *up;
	uv_stream_t *st;
};

static void echo_written(uv_write_t *w, int status)
{
	(void)status;
	free(w->data);
	free(w);
}

static void echo_send(struct echo_conn *e, const char *data, size_t len)
{
	uv_write_t *w = malloc(sizeof(*w));
	char *copy = malloc(len);
	ck_assert_ptr_nonnull(w);
	ck_assert_ptr_nonnull(copy);
	memcpy(copy, data, len);
	w->data = copy;
	uv_buf_t b = uv_buf_init(copy, (unsigned)len);
	ck_assert_int_eq(uv_write(w, e->st, &b, 1, echo_written), 0);
}

static void echo_read(uv_stream_t *st, ssize_t n, const uv_buf_t *buf)
{
	struct echo_conn *e = st->data;
	if (n > 0)
		echo_send(e, buf->base, (size_t)n);
	free(buf->base);
	if (n < 0) {
		cm_http_upgraded_close(e->up);
		free(e);
	}
}

static void on_upgraded(struct cm_http_upgraded *up, uv_stream_t *st, const char *head, size_t len, void *ud)
{
	(void)ud;
	if (!st)
		return; /* never switched: nothing held */
	struct echo_conn *e = calloc(1, sizeof(*e));
	ck_assert_ptr_nonnull(e);
	e->up = up;
	e->st = st;
	st->data = e;
	if (len)
		echo_send(e, head, len); /* bytes the client sent before the 101 come first */
	ck_assert_int_eq(uv_read_start(st, cm_uv_alloc, echo_read), 0);
}

static void handle_upgrade(struct cm_http_req *req, void *ud)
{
	(void)ud;
	ck_assert_int_eq(cm_http_req_add_header(req, "Upgrade", "echo"), 0);
	ck_assert_int_eq(cm_http_respond_upgrade(req, on_upgraded, NULL), 0);
}

static void start_with(int tls, unsigned idle_s, int own_refusals)
{
	memset(&F, 0, sizeof(F));
	F.tls = tls;
	strcpy(F.dir, "/tmp/cm_http_XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(F.dir));
	char cert[128], key[128];
	snprintf(cert, sizeof(cert), "%s/cert.pem", F.dir);
	snprintf(key, sizeof(key), "%s/key.pem", F.dir);
	if (tls)
		make_cert();
	ck_assert_int_eq(uv_loop_init(&F.loop), 0);
	ck_assert_int_eq(cm_metrics_new(&F.metrics), 0);
	struct cm_http_server_opts opts = {.metrics = F.metrics, .idle_timeout_s = idle_s,
					   /* the short-timeout case also tests the header deadline */
					   .header_timeout_s = idle_s == 1 ? 3 : 0};
	if (tls) {
		opts.tls_cert_file = cert;
		opts.tls_key_file = key;
	}
	if (own_refusals) {
		opts.refuse = on_refuse;
		opts.refuse_ud = (void *)"here";
	}
	ck_assert_int_eq(cm_http_server_new(&F.loop, &opts, &F.s), 0);
	F.port = cm_http_server_port(F.s);
	ck_assert_int_gt(F.port, 0);
	struct cm_http_server *s = F.s;
	ck_assert_int_eq(cm_http_server_route(s, "GET", "/echo/{a}/{rest...}", handle_echo, NULL), 0);
	ck_assert_int_eq(cm_http_server_route(s, "GET", "/upgrade", handle_upgrade, NULL), 0);
	ck_assert_int_eq(cm_http_server_route(s, "POST", "/body", handle_body, NULL), 0);
	ck_assert_int_eq(cm_http_server_route(s, "GET", "/defer", handle_defer, NULL), 0);
	ck_assert_int_eq(cm_http_server_route(s, "GET", "/slow", handle_defer, &F), 0);
	ck_assert_int_eq(cm_http_server_route(s, "GET", "/stream", handle_stream, NULL), 0);
	ck_assert_int_eq(cm_http_server_route(s, "GET", "/idle", handle_idle, NULL), 0);
	ck_assert_int_eq(cm_http_server_route(s, "GET", "/forever", handle_forever, NULL), 0);
	ck_assert_int_eq(cm_http_server_route(s, "*", "/any", handle_any, NULL), 0);
	ck_assert_int_eq(cm_http_server_route(s, "GET", "/bad/{", handle_any, NULL), -EINVAL);
	uv_async_init(&F.loop, &F.async, on_async);
	ck_assert_int_eq(uv_thread_create(&F.thread, run_loop, NULL), 0);
}

static void start(int tls, unsigned idle_s)
{
	start_with(tls, idle_s, 0);
}

static void setup(void)
{
	start(0, 5);
}

static void setup_own_refusals(void)
{
	start_with(0, 5, 1);
}

static void setup_tls(void)
{
	start(1, 5);
}

static void setup_short_timeout(void)
{
	start(0, 1);
}

static void ask_close(void)
{
	atomic_store(&F.close_asked, 1);
	uv_async_send(&F.async);
}

static void teardown(void)
{
	ask_close();
	uv_thread_join(&F.thread);
	ck_assert_int_eq(atomic_load(&F.closed), 1);
	ck_assert_int_eq(uv_loop_close(&F.loop), 0);
	cm_metrics_free(F.metrics);
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", F.dir);
	ck_assert_int_eq(system(cmd), 0);
}

/* ---- the client side: blocking libcurl on the test thread ---- */

struct resp {
	long code;
	struct cm_buf body;
	struct cm_buf headers;
	size_t stop_after; /* abort the transfer once this much body came (0: never) */
};

static size_t on_body(char *p, size_t size, size_t n, void *ud)
{
	struct resp *r = ud;
	cm_buf_append(&r->body, p, size * n);
	if (r->stop_after && r->body.len >= r->stop_after)
		return 0;
	return size * n;
}

static size_t on_header(char *p, size_t size, size_t n, void *ud)
{
	struct resp *r = ud;
	cm_buf_append(&r->headers, p, size * n);
	return size * n;
}

/* Chunked uploads read from here: n bytes of 'x'. */
struct upload {
	size_t left;
};

static size_t on_read(char *p, size_t size, size_t n, void *ud)
{
	struct upload *u = ud;
	size_t k = size * n < u->left ? size * n : u->left;
	memset(p, 'x', k);
	u->left -= k;
	return k;
}

static CURLcode http_full(const char *method, const char *path, const char *body, size_t blen,
			  struct curl_slist *hdrs, struct upload *up, struct resp *r)
{
	memset(r, 0, sizeof(*r));
	char url[512];
	snprintf(url, sizeof(url), "%s://127.0.0.1:%d%s", F.tls ? "https" : "http", F.port, path);
	CURL *c = curl_easy_init();
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
	if (strcmp(method, "HEAD") == 0)
		curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, r);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, r);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 10L);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	if (body) {
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)blen);
	}
	if (up) {
		curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
		curl_easy_setopt(c, CURLOPT_READFUNCTION, on_read);
		curl_easy_setopt(c, CURLOPT_READDATA, up);
	}
	if (hdrs)
		curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
	if (F.tls) {
		char ca[128];
		snprintf(ca, sizeof(ca), "%s/cert.pem", F.dir);
		curl_easy_setopt(c, CURLOPT_CAINFO, ca);
	}
	CURLcode rc = curl_easy_perform(c);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r->code);
	curl_easy_cleanup(c);
	cm_buf_putc(&r->body, '\0');
	r->body.len--;
	cm_buf_putc(&r->headers, '\0');
	r->headers.len--;
	return rc;
}

static void resp_close(struct resp *r)
{
	cm_buf_close(&r->body);
	cm_buf_close(&r->headers);
}

/* Asserts one exchange's status and exact body. */
static void expect(const char *method, const char *path, long code, const char *body)
{
	struct resp r;
	ck_assert_int_eq(http_full(method, path, NULL, 0, NULL, NULL, &r), CURLE_OK);
	ck_assert_int_eq(r.code, code);
	if (body)
		ck_assert_str_eq(r.body.data, body);
	resp_close(&r);
}

/* Asserts a status and that the body contains a piece. */
static void expect_has(const char *method, const char *path, long code, const char *piece)
{
	struct resp r;
	ck_assert_int_eq(http_full(method, path, NULL, 0, NULL, NULL, &r), CURLE_OK);
	ck_assert_int_eq(r.code, code);
	ck_assert_msg(strstr(r.body.data, piece), "body %s lacks %s", r.body.data, piece);
	resp_close(&r);
}

#define GET(path, code, body) expect("GET", path, code, body)

static double now_s(clockid_t clock)
{
	struct timespec ts;
	clock_gettime(clock, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Polls an atomic flag for up to 5 s. */
static int wait_flag(atomic_int *flag)
{
	double end = now_s(CLOCK_MONOTONIC) + 5;
	while (!atomic_load(flag)) {
		if (now_s(CLOCK_MONOTONIC) > end)
			return 0;
		usleep(1000);
	}
	return 1;
}

/* ---- the cases ---- */

START_TEST(healthz)
{
	GET("/healthz", 200, "ok");
}
END_TEST

START_TEST(params_query_headers)
{
	struct curl_slist *h = curl_slist_append(NULL, "X-Test: hello");
	struct resp r;
	ck_assert_int_eq(http_full("GET", "/echo/one/two/three?q=a%20b%26c&flag", NULL, 0, h, NULL, &r),
			 CURLE_OK);
	curl_slist_free_all(h);
	ck_assert_int_eq(r.code, 200);
	ck_assert_str_eq(r.body.data, "GET a=one rest=two/three q=a b&c flag= none=(null) h=hello");
	ck_assert_ptr_nonnull(strcasestr(r.headers.data, "x-reply: yes"));
	ck_assert_ptr_nonnull(strcasestr(r.headers.data, "content-type: text/plain"));
	resp_close(&r);
	GET("/echo/one/?q=", 200, "GET a=one rest= q= flag=(null) none=(null) h=(null)");
}
END_TEST

START_TEST(not_found_and_method_not_allowed)
{
	expect_has("GET", "/nope", 404, "\"code\":404");
	expect_has("GET", "/echo/one", 404, "not found");
	expect_has("DELETE", "/echo/one/two", 405, "\"code\":405");
	expect_has("GET", "/body", 405, "method not allowed");
	expect("PATCH", "/any", 200, "any");
	/* HEAD is answered by the GET route, without a body. */
	struct resp r;
	ck_assert_int_eq(http_full("HEAD", "/healthz", NULL, 0, NULL, NULL, &r), CURLE_OK);
	resp_close(&r);
}
END_TEST

START_TEST(body_accumulated)
{
	size_t n = 1024 * 1024;
	char *big = malloc(n);
	memset(big, 'x', n);
	struct resp r;
	ck_assert_int_eq(http_full("POST", "/body", big, n, NULL, NULL, &r), CURLE_OK);
	ck_assert_int_eq(r.code, 200);
	ck_assert_str_eq(r.body.data, "{\"len\":1048576,\"all_x\":true}");
	resp_close(&r);
	ck_assert_int_eq(http_full("POST", "/body", "", 0, NULL, NULL, &r), CURLE_OK);
	ck_assert_str_eq(r.body.data, "{\"len\":0,\"all_x\":false}");
	resp_close(&r);
	free(big);
}
END_TEST

/* A 4 MiB POST, declared then chunked: both get 413 with body want. */
static void refused_too_large(const char *want)
{
	size_t n = 4 * 1024 * 1024;
	char *big = malloc(n);
	struct resp r;

	ck_assert_ptr_nonnull(big);
	memset(big, 'x', n);
	/* Content-Length over the limit: refused before the body is sent. */
	ck_assert_int_eq(http_full("POST", "/body", big, n, NULL, NULL, &r), CURLE_OK);
	ck_assert_int_eq(r.code, 413);
	ck_assert_str_eq(r.body.data, want);
	resp_close(&r);
	/* A chunked body over the limit is read, dropped and refused. */
	struct curl_slist *h = curl_slist_append(NULL, "Transfer-Encoding: chunked");
	h = curl_slist_append(h, "Expect:");
	struct upload up = {n};
	ck_assert_int_eq(http_full("POST", "/body", NULL, 0, h, &up, &r), CURLE_OK);
	curl_slist_free_all(h);
	ck_assert_int_eq(r.code, 413);
	ck_assert_str_eq(r.body.data, want);
	resp_close(&r);
	free(big);
	/* The server goes on serving. */
	GET("/healthz", 200, "ok");
}

START_TEST(too_large_body_gets_413)
{
	refused_too_large("{\"code\":413,\"message\":\"request body too large\"}");
}
END_TEST

START_TEST(refusals_in_the_owners_words)
{
	expect("GET", "/nope", 404, "refused 404 here\n");
	expect("DELETE", "/echo/one/two", 405, "refused 405 here\n");
	expect("GET", "/echo/one/two", 200, "GET a=one rest=two q=(null) flag=(null) none=(null) h=(null)");
	refused_too_large("refused 413 here\n");
}
END_TEST

START_TEST(deferred_answer)
{
	GET("/defer", 202, "late");
	ck_assert(wait_flag(&F.done_calls));
	GET("/defer", 202, "late");
	for (double end = now_s(CLOCK_MONOTONIC) + 5;
	     atomic_load(&F.done_calls) < 2 && now_s(CLOCK_MONOTONIC) < end;)
		usleep(1000);
	ck_assert_int_eq(atomic_load(&F.done_calls), 2);
}
END_TEST

START_TEST(streaming_many_lines)
{
	struct resp r;
	ck_assert_int_eq(http_full("GET", "/stream?n=5000", NULL, 0, NULL, NULL, &r), CURLE_OK);
	ck_assert_int_eq(r.code, 200);
	ck_assert_ptr_nonnull(strcasestr(r.headers.data, "transfer-encoding: chunked"));
	struct cm_buf want = CM_BUF_INIT;
	for (int i = 0; i < 5000; i++)
		cm_buf_printf(&want, "line %d\n", i);
	ck_assert_uint_eq(r.body.len, want.len);
	ck_assert_int_eq(memcmp(r.body.data, want.data, want.len), 0);
	cm_buf_close(&want);
	resp_close(&r);
	ck_assert(wait_flag(&F.done_calls));
}
END_TEST

START_TEST(idle_stream_sleeps)
{
	double cpu0 = now_s(CLOCK_PROCESS_CPUTIME_ID), t0 = now_s(CLOCK_MONOTONIC);
	GET("/idle", 200, "a\nb\n");
	double cpu = now_s(CLOCK_PROCESS_CPUTIME_ID) - cpu0, wall = now_s(CLOCK_MONOTONIC) - t0;
	ck_assert_double_ge(wall, 0.3);
	/* A busy loop would burn the 300 ms of waiting. */
	ck_assert_msg(cpu < 0.15, "cpu %.3f s over %.3f s", cpu, wall);
}
END_TEST

START_TEST(client_gone_mid_stream)
{
	struct resp r;
	CURLcode rc = CURLE_OK;
	memset(&r, 0, sizeof(r));
	r.stop_after = 1; /* the write callback fails at the first byte: curl drops the connection */
	char url[128];
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/forever", F.port);
	CURL *c = curl_easy_init();
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &r);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 10L);
	rc = curl_easy_perform(c);
	curl_easy_cleanup(c);
	ck_assert_int_eq(rc, CURLE_WRITE_ERROR);
	ck_assert_ptr_nonnull(strstr(r.body.data, "tick"));
	resp_close(&r);
	ck_assert(wait_flag(&F.forever_done));
	ck_assert_int_eq(atomic_load(&F.forever_epipe), 1);
	GET("/healthz", 200, "ok");
}
END_TEST

static void slow_client(void *arg)
{
	http_full("GET", "/slow", NULL, 0, NULL, NULL, arg);
}

START_TEST(graceful_close_waits_for_in_flight)
{
	struct resp r;
	uv_thread_t t;
	ck_assert_int_eq(uv_thread_create(&t, slow_client, &r), 0);
	ck_assert(wait_flag(&F.slow_entered));
	ask_close();
	/* New connections are refused while the slow answer is still pending. */
	double end = now_s(CLOCK_MONOTONIC) + 5;
	struct resp r2;
	CURLcode rc;
	while ((rc = http_full("GET", "/healthz", NULL, 0, NULL, NULL, &r2)) != CURLE_COULDNT_CONNECT &&
	       now_s(CLOCK_MONOTONIC) < end) {
		resp_close(&r2);
		usleep(1000);
	}
	ck_assert_int_eq(rc, CURLE_COULDNT_CONNECT);
	resp_close(&r2);
	uv_thread_join(&t);
	ck_assert_int_eq(r.code, 202);
	ck_assert_str_eq(r.body.data, "late");
	ck_assert_ptr_nonnull(strcasestr(r.headers.data, "connection: close"));
	resp_close(&r);
	ck_assert(wait_flag(&F.closed));
	ck_assert_int_gt(atomic_load(&F.closed_at), atomic_load(&F.slow_done_at));
}
END_TEST

static void forever_client(void *arg)
{
	struct resp *r = arg;
	if (http_full("GET", "/forever", NULL, 0, NULL, NULL, r) != CURLE_OK)
		r->code = -1;
}

START_TEST(close_ends_open_streams)
{
	/* /forever never ends by itself: close ends it cleanly for the client. */
	struct resp r;
	uv_thread_t t;
	ck_assert_int_eq(uv_thread_create(&t, forever_client, &r), 0);
	ck_assert(wait_flag(&F.forever_entered));
	ask_close();
	uv_thread_join(&t);
	/* A clean end of the chunked body (CURLE_OK), whatever ticks came first. */
	ck_assert_int_eq(r.code, 200);
	resp_close(&r);
	ck_assert(wait_flag(&F.closed));
	ck_assert_int_eq(atomic_load(&F.forever_done), 1);
}
END_TEST

START_TEST(metrics_count_requests)
{
	GET("/healthz", 200, "ok");
	GET("/nope", 404, NULL);
	expect_has("GET", "/metrics", 200, "http_requests_total{method=\"GET\",code=\"200\"} 1");
	expect_has("GET", "/metrics", 200, "http_requests_total{method=\"GET\",code=\"404\"} 1");
}
END_TEST

START_TEST(tls_serves_https)
{
	GET("/healthz", 200, "ok");
	GET("/echo/a/b?q=x", 200, "GET a=a rest=b q=x flag=(null) none=(null) h=(null)");
	GET("/defer", 202, "late");
}
END_TEST

/* Reads from fd until want (a NUL-terminated piece) has come or 5 s passed; what came is in out. */
static int read_until(int fd, struct cm_buf *out, const char *want)
{
	struct timeval tv = {.tv_sec = 5};
	char b[4096];
	ssize_t n;
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	while (!(out->len && memmem(out->data, out->len, want, strlen(want)))) {
		if ((n = read(fd, b, sizeof(b))) <= 0)
			return 0;
		cm_buf_append(out, b, (size_t)n);
	}
	return 1;
}

static int connect_loopback(void)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons((uint16_t)F.port)};
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(connect(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	return fd;
}

START_TEST(upgrade_hands_over_the_connection)
{
	static const char req[] = "GET /upgrade HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: echo\r\n\r\nearly;";
	struct cm_buf in = CM_BUF_INIT;
	int fd = connect_loopback();
	ck_assert_int_eq(write(fd, req, sizeof(req) - 1), (ssize_t)sizeof(req) - 1);
	ck_assert(read_until(fd, &in, "\r\n\r\n"));
	ck_assert_msg(!strncmp(in.data, "HTTP/1.1 101", 12), "%.*s", (int)in.len, in.data);
	ck_assert_ptr_nonnull(memmem(in.data, in.len, "Upgrade: echo", 13));
	ck_assert(read_until(fd, &in, "early;"));
	ck_assert_int_eq(write(fd, "then more", 9), 9);
	ck_assert(read_until(fd, &in, "early;then more"));
	close(fd);
	cm_buf_close(&in);
	GET("/healthz", 200, "ok");
}
END_TEST

START_TEST(close_ends_upgraded_connections)
{
	static const char req[] = "GET /upgrade HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: echo\r\n\r\n";
	struct cm_buf in = CM_BUF_INIT;
	int fd = connect_loopback();
	ck_assert_int_eq(write(fd, req, sizeof(req) - 1), (ssize_t)sizeof(req) - 1);
	ck_assert(read_until(fd, &in, "\r\n\r\n"));
	/* the client keeps its end open: the server's close must not wait for it */
	double t0 = now_s(CLOCK_MONOTONIC);
	ask_close();
	ck_assert(wait_flag(&F.closed));
	ck_assert_double_lt(now_s(CLOCK_MONOTONIC) - t0, 4);
	close(fd);
	cm_buf_close(&in);
}
END_TEST

START_TEST(idle_connection_is_closed)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons((uint16_t)F.port)};
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_eq(connect(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	/* Half a request line, then silence: the server hangs up after its 1 s timeout. */
	ck_assert_int_eq(write(fd, "GET /hea", 8), 8);
	struct timeval tv = {.tv_sec = 5};
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	double t0 = now_s(CLOCK_MONOTONIC);
	char b[64];
	ck_assert_int_le(read(fd, b, sizeof(b)), 0);
	double waited = now_s(CLOCK_MONOTONIC) - t0;
	ck_assert_msg(waited > 0.5 && waited < 4, "closed after %.2f s", waited);
	close(fd);
	GET("/healthz", 200, "ok");
}
END_TEST

/* A loopback connection that has sent the start of a request and nothing more. */
static int partial_request(const char *partial)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons((uint16_t)F.port)};
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(connect(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	ck_assert_int_eq(write(fd, partial, strlen(partial)), (ssize_t)strlen(partial));
	return fd;
}

/* Whether the server has closed fd (EOF or reset) without waiting. */
static int closed_by_server(int fd)
{
	char b[256];
	ssize_t n = recv(fd, b, sizeof(b), MSG_DONTWAIT);
	return n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK);
}

#define NSLOW 200

START_TEST(slow_clients_do_not_starve_others)
{
	static const char partial[] = "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: a";
	int fds[NSLOW];
	for (int i = 0; i < NSLOW; i++)
		fds[i] = partial_request(partial);
	/* Served while every slow client holds its connection open. */
	GET("/healthz", 200, "ok");
	GET("/echo/a/b", 200, NULL);
	int open_now = 0;
	for (int i = 0; i < NSLOW; i++)
		open_now += !closed_by_server(fds[i]);
	ck_assert_msg(open_now > NSLOW / 2, "only %d slow clients still connected", open_now);
	/* A client that trickles a header byte every 200 ms never idles (the idle
	 * timeout is 1 s), yet the 3 s header deadline ends it, and the others. */
	int trickler = partial_request("GET /healthz HTTP/1.1\r\nX-Trickle: ");
	double t0 = now_s(CLOCK_MONOTONIC), waited = 0;
	while (!closed_by_server(trickler) && (waited = now_s(CLOCK_MONOTONIC) - t0) < 10) {
		if (send(trickler, "a", 1, MSG_NOSIGNAL) < 0)
			break;
		struct timespec ts = {0, 200 * 1000 * 1000};
		nanosleep(&ts, NULL); /* the trickle's pace, not a wait for the server */
	}
	ck_assert_msg(waited > 2 && waited < 8, "trickler closed after %.2f s", waited);
	double deadline = now_s(CLOCK_MONOTONIC) + 5;
	int still_open;
	do {
		still_open = 0;
		for (int i = 0; i < NSLOW; i++)
			still_open += !closed_by_server(fds[i]);
	} while (still_open && now_s(CLOCK_MONOTONIC) < deadline);
	ck_assert_int_eq(still_open, 0);
	for (int i = 0; i < NSLOW; i++)
		close(fds[i]);
	close(trickler);
	GET("/healthz", 200, "ok");
}
END_TEST

START_TEST(oversized_headers_are_refused)
{
	/* 100 KiB of headers: past the 64 KiB a connection may hold. */
	struct curl_slist *h = NULL;
	char *big = malloc(1024 + 16);
	for (int i = 0; i < 100; i++) {
		snprintf(big, 32, "X-Big-%d: ", i);
		size_t n = strlen(big);
		memset(big + n, 'x', 1000);
		big[n + 1000] = '\0';
		h = curl_slist_append(h, big);
	}
	struct resp r;
	CURLcode rc = http_full("GET", "/healthz", NULL, 0, h, NULL, &r);
	ck_assert_msg(rc != CURLE_OK || r.code >= 400, "served with %ld", r.code);
	resp_close(&r);
	curl_slist_free_all(h);
	free(big);
	GET("/healthz", 200, "ok");
}
END_TEST

static Suite *server_suite(void)
{
	Suite *s = suite_create("cm_http_server");
	TCase *tc = tcase_create("plain");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 15);
	tcase_add_test(tc, healthz);
	tcase_add_test(tc, params_query_headers);
	tcase_add_test(tc, not_found_and_method_not_allowed);
	tcase_add_test(tc, body_accumulated);
	tcase_add_test(tc, too_large_body_gets_413);
	tcase_add_test(tc, deferred_answer);
	tcase_add_test(tc, streaming_many_lines);
	tcase_add_test(tc, idle_stream_sleeps);
	tcase_add_test(tc, client_gone_mid_stream);
	tcase_add_test(tc, graceful_close_waits_for_in_flight);
	tcase_add_test(tc, close_ends_open_streams);
	tcase_add_test(tc, metrics_count_requests);
	tcase_add_test(tc, upgrade_hands_over_the_connection);
	tcase_add_test(tc, close_ends_upgraded_connections);
	suite_add_tcase(s, tc);
	TCase *own = tcase_create("own_refusals");
	tcase_add_checked_fixture(own, setup_own_refusals, teardown);
	tcase_set_timeout(own, 15);
	tcase_add_test(own, refusals_in_the_owners_words);
	suite_add_tcase(s, own);
	TCase *tls = tcase_create("tls");
	tcase_add_checked_fixture(tls, setup_tls, teardown);
	tcase_set_timeout(tls, 15);
	tcase_add_test(tls, tls_serves_https);
	suite_add_tcase(s, tls);
	TCase *idle = tcase_create("timeout");
	tcase_add_checked_fixture(idle, setup_short_timeout, teardown);
	tcase_set_timeout(idle, 15);
	tcase_add_test(idle, idle_connection_is_closed);
	tcase_add_test(idle, slow_clients_do_not_starve_others);
	tcase_add_test(idle, oversized_headers_are_refused);
	suite_add_tcase(s, idle);
	return s;
}

int main(void)
{
	curl_global_init(CURL_GLOBAL_ALL);
	int rc = check_run(server_suite());

	curl_global_cleanup();
	return rc;
}
