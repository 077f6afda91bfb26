/* http_loopback.c: the common HTTP server and client together on one loop over loopback. */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

static void on_tick(uv_timer_t *t)
{
	(void)t; /* only keeps UV_RUN_ONCE from blocking for long */
}

/* Runs the loop until cond holds, failing after 10 s. */
#define RUN_UNTIL(cond)                                                              \
	do {                                                                         \
		uint64_t deadline_ = uv_now(&loop) + 10000;                          \
		while (!(cond)) {                                                    \
			ck_assert_msg(uv_now(&loop) < deadline_, "timed out: " #cond); \
			uv_run(&loop, UV_RUN_ONCE);                                  \
		}                                                                    \
	} while (0)

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

static void setup(void)
{
	struct cm_http_server_opts sopts = {.port = 0};

	ck_assert_int_eq(uv_loop_init(&loop), 0);
	uv_timer_init(&loop, &tick);
	uv_timer_start(&tick, on_tick, 20, 20);
	ck_assert_int_eq(cm_http_server_new(&loop, &sopts, &server), 0);
	ck_assert_int_eq(cm_http_server_route(server, "GET", "/echo/{n}", h_echo, NULL), 0);
	ck_assert_int_eq(cm_http_server_route(server, "GET", "/stream", h_stream, NULL), 0);
	ck_assert_int_eq(cm_http_server_route(server, "GET", "/never", h_never, NULL), 0);
	ck_assert_int_eq(cm_http_server_route(server, "POST", "/upload", h_upload, NULL), 0);
	snprintf(base, sizeof(base), "http://127.0.0.1:%d", cm_http_server_port(server));
	ck_assert_int_eq(cm_http_client_new(&loop, NULL, &client), 0);
	held = NULL;
	held_ended = 0;
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
	uv_close((uv_handle_t *)&tick, NULL);
	uv_run(&loop, UV_RUN_DEFAULT);
	ck_assert_int_eq(uv_loop_close(&loop), 0);
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

static Suite *suite(void)
{
	Suite *s = suite_create("http_loopback");
	TCase *tc = tcase_create("loopback");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, thousand_concurrent_requests_all_answered);
	tcase_add_test(tc, streamed_lines_arrive_in_order);
	tcase_add_test(tc, timeout_against_silent_handler_then_server_still_serves);
	tcase_add_test(tc, oversized_body_gets_413);
	suite_add_tcase(s, tc);
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
