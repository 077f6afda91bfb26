/* http_loopback.c: the common HTTP server and client together on one loop over loopback. */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "tests/lib/loop_until.h"
#include "common/buf.h"
#include "common/http_client.h"
#include "common/http_server.h"

#define NREQ 1000
#define NLINES 10000

static uv_loop_t loop;
static uv_timer_t tick;
static struct cm_http_server *server;
static struct cm_http_client *client;
static struct cm_http_req *held; /* the request /never keeps unanswered */
static int held_ended;
static char base[64];
static char tls_dir[64]; /* the temp dir holding the HTTPS fixture's cert and key */
static char tls_cert[128], tls_key[128];

/* Runs the loop until cond holds, failing after 10 s. */
#define RUN_UNTIL(cond) LOOP_RUN_UNTIL(&loop, cond, 10000)

/* GET /echo/{n}: answers n, so each caller can check it got its own answer. */
static void h_echo(struct cm_http_req *req, void *ud)
{
	const char *n = cm_http_req_param(req, "n");

	(void)ud;
	cm_http_respond(req, 200, "text/plain", n, strlen(n));
}

/* GET /stream: NLINES numbered lines, chunked. */
static void h_stream(struct cm_http_req *req, void *ud)
{
	char line[32];

	(void)ud;
	ck_assert_int_eq(cm_http_stream_begin(req, 200, "application/json"), 0);
	for (int i = 0; i < NLINES; i++) {
		int n = snprintf(line, sizeof(line), "{\"n\":%d}\n", i);

		ck_assert_int_eq(cm_http_stream_write(req, line, (size_t)n), 0);
	}
	cm_http_stream_end(req);
}

static void on_held_done(struct cm_http_req *req, void *ud)
{
	(void)req;
	(void)ud;
	held = NULL;
	held_ended = 1;
}

/* GET /never: keeps the request and never answers it (until teardown). */
static void h_never(struct cm_http_req *req, void *ud)
{
	(void)ud;
	held = req;
	cm_http_req_on_done(req, on_held_done, NULL);
}

struct later {
	uv_timer_t timer;
	struct cm_http_req *req;
};

static void on_later_closed(uv_handle_t *h)
{
	free(h->data);
}

static void on_later(uv_timer_t *t)
{
	struct later *l = t->data;

	cm_http_respond(l->req, 200, "text/plain", "later", 5);
	uv_close((uv_handle_t *)t, on_later_closed);
}

/* GET /later/{ms}: answers "later" from a timer ms after the request came. */
static void h_later(struct cm_http_req *req, void *ud)
{
	struct later *l = malloc(sizeof(*l));

	(void)ud;
	ck_assert_ptr_nonnull(l);
	l->req = req;
	uv_timer_init(&loop, &l->timer);
	l->timer.data = l;
	uv_timer_start(&l->timer, on_later, strtoull(cm_http_req_param(req, "n"), NULL, 10), 0);
}

/* POST /upload: answers the size it got; bodies over the limit never reach it. */
static void h_upload(struct cm_http_req *req, void *ud)
{
	char n[32];
	size_t len;

	(void)ud;
	cm_http_req_body(req, &len);
	snprintf(n, sizeof(n), "%zu", len);
	cm_http_respond(req, 200, "text/plain", n, strlen(n));
}

/* Starts server and client on one loop; with tls, over HTTPS with a fresh self-signed cert. */
static void start(int tls)
{
	struct cm_http_server_opts sopts = {.port = 0};
	struct cm_http_client_opts copts = {0};

	if (tls) {
		sopts.tls_cert_file = copts.ca_file = tls_cert;
		sopts.tls_key_file = tls_key;
	}
	ck_assert_int_eq(uv_loop_init(&loop), 0);
	loop_tick_start(&loop, &tick, 20);
	ck_assert_int_eq(cm_http_server_new(&loop, &sopts, &server), 0);
	ck_assert_int_eq(cm_http_server_route(server, "GET", "/echo/{n}", h_echo, NULL), 0);
	ck_assert_int_eq(cm_http_server_route(server, "GET", "/stream", h_stream, NULL), 0);
	ck_assert_int_eq(cm_http_server_route(server, "GET", "/never", h_never, NULL), 0);
	ck_assert_int_eq(cm_http_server_route(server, "POST", "/upload", h_upload, NULL), 0);
	ck_assert_int_eq(cm_http_server_route(server, "GET", "/later/{n}", h_later, NULL), 0);
	snprintf(base, sizeof(base), "%s://127.0.0.1:%d", tls ? "https" : "http",
		 cm_http_server_port(server));
	ck_assert_int_eq(cm_http_client_new(&loop, &copts, &client), 0);
	held = NULL;
	held_ended = 0;
}

static void setup(void)
{
	start(0);
}

/* A self-signed EC cert for 127.0.0.1, made with the openssl tool in a temp dir. */
static void setup_tls(void)
{
	struct cm_buf cmd = CM_BUF_INIT;

	strcpy(tls_dir, "/tmp/cm_tls_XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(tls_dir));
	snprintf(tls_cert, sizeof(tls_cert), "%s/cert.pem", tls_dir);
	snprintf(tls_key, sizeof(tls_key), "%s/key.pem", tls_dir);
	ck_assert_int_eq(cm_buf_printf(&cmd,
				       "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1"
				       " -nodes -days 1 -subj /CN=127.0.0.1"
				       " -addext subjectAltName=IP:127.0.0.1"
				       " -keyout %s -out %s 2>/dev/null",
				       tls_key, tls_cert),
			 0);
	ck_assert_int_eq(system(cmd.data), 0);
	cm_buf_close(&cmd);
	start(1);
}

static void on_closed(void *ud)
{
	++*(int *)ud;
}

static void teardown(void)
{
	int closed = 0;

	/* The server waits for deferred answers: give the held one its answer. */
	if (held)
		cm_http_respond(held, 503, "text/plain", "bye", 3);
	cm_http_client_close(client, on_closed, &closed);
	cm_http_server_close(server, on_closed, &closed);
	RUN_UNTIL(closed == 2);
	loop_tick_close(&tick);
	uv_run(&loop, UV_RUN_DEFAULT);
	ck_assert_int_eq(uv_loop_close(&loop), 0);
}

static void teardown_tls(void)
{
	teardown();
	unlink(tls_cert);
	unlink(tls_key);
	rmdir(tls_dir);
}

struct result {
	int done;
	int err;
	long status;
	struct cm_buf body;
	int nlines;
	int out_of_order;
};

static void on_done(const struct cm_http_response *resp, void *ud)
{
	struct result *r = ud;

	r->done++;
	r->err = resp->err;
	r->status = resp->status;
	cm_buf_append(&r->body, resp->body, resp->len);
}

static void send_req(struct result *r, const char *method, const char *path,
		     const void *body, size_t len, long timeout_ms, cm_http_line_cb on_line)
{
	char url[128];
	struct cm_http_request req = {.method = method, .url = url, .body = body,
				      .body_len = len, .timeout_ms = timeout_ms,
				      .on_line = on_line};

	snprintf(url, sizeof(url), "%s%s", base, path);
	ck_assert_int_eq(cm_http_client_send(client, &req, on_done, r, NULL), 0);
}

START_TEST(thousand_concurrent_requests_all_answered)
{
	struct result *r = calloc(NREQ, sizeof(*r));
	int done = 0;

	for (int i = 0; i < NREQ; i++) {
		char path[32];

		snprintf(path, sizeof(path), "/echo/%d", i);
		send_req(&r[i], "GET", path, NULL, 0, 8000, NULL);
	}
	uint64_t deadline = uv_now(&loop) + 10000;
	while (done < NREQ) {
		ck_assert_msg(uv_now(&loop) < deadline, "only %d of %d answered", done, NREQ);
		uv_run(&loop, UV_RUN_ONCE);
		done = 0;
		for (int i = 0; i < NREQ; i++)
			done += r[i].done;
	}
	for (int i = 0; i < NREQ; i++) {
		char want[16];

		snprintf(want, sizeof(want), "%d", i);
		ck_assert_int_eq(r[i].done, 1);
		ck_assert_int_eq(r[i].err, 0);
		ck_assert_int_eq(r[i].status, 200);
		ck_assert_str_eq(r[i].body.data, want);
		cm_buf_close(&r[i].body);
	}
	free(r);
}
END_TEST

static struct result stream_result;

static void on_stream_line(const char *line, size_t len, void *ud)
{
	struct result *r = ud;
	char want[32];
	int n = snprintf(want, sizeof(want), "{\"n\":%d}", r->nlines);

	if ((size_t)n != len || memcmp(line, want, len) != 0)
		r->out_of_order++;
	r->nlines++;
}

START_TEST(streamed_lines_arrive_in_order)
{
	struct result *r = &stream_result;

	memset(r, 0, sizeof(*r));
	send_req(r, "GET", "/stream", NULL, 0, 0, on_stream_line);
	RUN_UNTIL(r->done);
	ck_assert_int_eq(r->err, 0);
	ck_assert_int_eq(r->status, 200);
	ck_assert_int_eq(r->nlines, NLINES);
	ck_assert_int_eq(r->out_of_order, 0);
}
END_TEST

START_TEST(timeout_against_silent_handler_then_server_still_serves)
{
	struct result slow = {0}, after = {0};

	send_req(&slow, "GET", "/never", NULL, 0, 300, NULL);
	RUN_UNTIL(slow.done);
	ck_assert_int_eq(slow.err, -ETIMEDOUT);
	ck_assert_int_eq(slow.status, 0);
	send_req(&after, "GET", "/echo/7", NULL, 0, 3000, NULL);
	RUN_UNTIL(after.done);
	ck_assert_int_eq(after.err, 0);
	ck_assert_int_eq(after.status, 200);
	ck_assert_str_eq(after.body.data, "7");
	cm_buf_close(&slow.body);
	cm_buf_close(&after.body);
}
END_TEST

START_TEST(oversized_body_gets_413)
{
	size_t len = 10u << 20;
	char *big = malloc(len);
	struct result r = {0}, small = {0};

	memset(big, 'a', len);
	send_req(&r, "POST", "/upload", big, len, 8000, NULL);
	free(big); /* the client copied it */
	RUN_UNTIL(r.done);
	ck_assert_int_eq(r.err, 0);
	ck_assert_int_eq(r.status, 413);
	/* A body under the limit still gets through. */
	send_req(&small, "POST", "/upload", "12345", 5, 3000, NULL);
	RUN_UNTIL(small.done);
	ck_assert_int_eq(small.status, 200);
	ck_assert_str_eq(small.body.data, "5");
	cm_buf_close(&r.body);
	cm_buf_close(&small.body);
}
END_TEST

static uv_prepare_t turns_counter;
static int turns;

static void on_turn(uv_prepare_t *p)
{
	(void)p;
	turns++;
}

static void turns_count_start(void)
{
	turns = 0;
	uv_prepare_init(&loop, &turns_counter);
	uv_prepare_start(&turns_counter, on_turn);
}

static void turns_count_stop(void)
{
	uv_prepare_stop(&turns_counter);
	uv_close((uv_handle_t *)&turns_counter, NULL);
}

/* Several calls at once, then one after another on kept-alive connections. */
START_TEST(tls_requests_answered)
{
	struct result r[20] = {0};

	for (int round = 0; round < 2; round++) {
		for (int i = 0; i < 10; i++) {
			char path[32];

			snprintf(path, sizeof(path), "/echo/%d", round * 10 + i);
			send_req(&r[round * 10 + i], "GET", path, NULL, 0, 5000, NULL);
			if (round == 1)
				RUN_UNTIL(r[round * 10 + i].done);
		}
		for (int i = 0; i < 10; i++)
			RUN_UNTIL(r[round * 10 + i].done);
	}
	for (int i = 0; i < 20; i++) {
		char want[16];

		snprintf(want, sizeof(want), "%d", i);
		ck_assert_int_eq(r[i].err, 0);
		ck_assert_int_eq(r[i].status, 200);
		ck_assert_str_eq(r[i].body.data, want);
		cm_buf_close(&r[i].body);
	}
}
END_TEST

/*
 * An answer deferred 300 ms: meanwhile the loop must sleep in epoll, so it
 * turns about once per 20 ms tick, not thousands of times.
 */
START_TEST(deferred_answer_leaves_loop_idle)
{
	struct result warm = {0}, r = {0};

	/* The first call pays for the handshake; the idle wait comes after. */
	send_req(&warm, "GET", "/echo/1", NULL, 0, 5000, NULL);
	RUN_UNTIL(warm.done);
	ck_assert_int_eq(warm.status, 200);
	turns_count_start();
	send_req(&r, "GET", "/later/300", NULL, 0, 5000, NULL);
	RUN_UNTIL(r.done);
	turns_count_stop();
	ck_assert_int_eq(r.err, 0);
	ck_assert_int_eq(r.status, 200);
	ck_assert_str_eq(r.body.data, "later");
	ck_assert_msg(turns < 200, "the loop turned %d times in 300 ms", turns);
	cm_buf_close(&warm.body);
	cm_buf_close(&r.body);
}
END_TEST

static void on_quiet_over(uv_timer_t *t)
{
	*(int *)t->data = 1;
}

/* Opens a TCP connection to the server, writes head (may be empty) and leaves it silent. */
static int connect_silent(const void *head, size_t len)
{
	struct sockaddr_in sin = {.sin_family = AF_INET};
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	ck_assert_int_ge(fd, 0);
	sin.sin_port = htons((uint16_t)cm_http_server_port(server));
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_eq(connect(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	if (len)
		ck_assert_int_eq(write(fd, head, len), (ssize_t)len);
	return fd;
}

/*
 * Clients that connect and stall (before or inside the TLS handshake) must
 * not make the server poll them: over 300 ms the loop turns about once per
 * 20 ms tick.
 */
START_TEST(stalled_clients_leave_loop_idle)
{
	/* A TLS record header announcing a handshake message that never comes. */
	static const unsigned char partial_hello[] = {0x16, 0x03, 0x01, 0x00, 0xc8, 0x01};
	uv_timer_t quiet;
	int over = 0;
	int silent = connect_silent(NULL, 0);
	int partial = connect_silent(partial_hello, sizeof(partial_hello));
	struct result r = {0};

	uv_timer_init(&loop, &quiet);
	quiet.data = &over;
	turns_count_start();
	uv_timer_start(&quiet, on_quiet_over, 300, 0);
	RUN_UNTIL(over);
	turns_count_stop();
	uv_close((uv_handle_t *)&quiet, NULL);
	ck_assert_msg(turns < 200, "the loop turned %d times in 300 ms", turns);
	/* The server still serves others meanwhile. */
	send_req(&r, "GET", "/echo/3", NULL, 0, 5000, NULL);
	RUN_UNTIL(r.done);
	ck_assert_int_eq(r.status, 200);
	ck_assert_str_eq(r.body.data, "3");
	cm_buf_close(&r.body);
	close(silent);
	close(partial);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("http_loopback");
	TCase *tc = tcase_create("loopback");
	TCase *tls = tcase_create("https");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, thousand_concurrent_requests_all_answered);
	tcase_add_test(tc, streamed_lines_arrive_in_order);
	tcase_add_test(tc, timeout_against_silent_handler_then_server_still_serves);
	tcase_add_test(tc, oversized_body_gets_413);
	tcase_add_test(tc, deferred_answer_leaves_loop_idle);
	tcase_add_test(tc, stalled_clients_leave_loop_idle);
	suite_add_tcase(s, tc);
	tcase_add_checked_fixture(tls, setup_tls, teardown_tls);
	tcase_set_timeout(tls, 30);
	tcase_add_test(tls, tls_requests_answered);
	tcase_add_test(tls, streamed_lines_arrive_in_order);
	tcase_add_test(tls, deferred_answer_leaves_loop_idle);
	tcase_add_test(tls, stalled_clients_leave_loop_idle);
	suite_add_tcase(s, tls);
	return s;
}
int main(void)
{
	SRunner *sr = srunner_create(suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
