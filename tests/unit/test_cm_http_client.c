/* test_cm_http_client.c: the loop-driven HTTP client against a scripted fake server. */
#include <check.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "tests/lib/loop_until.h"
#include "common/buf.h"
#include "common/err.h"
#include "common/http_client.h"
#include "tests/lib/fake_http.h"
#include "tests/lib/check_run.h"

/* What one call saw: its done (counted, so twice would show) and its lines. */
struct result {
	int done;
	int err;
	long status;
	char *content_type;
	struct cm_buf body;
	struct cm_buf lines; /* each line followed by '|' */
	int nlines;
	size_t longest;
	int cancel_at_line;  /* cancel own call when this many lines arrived */
	struct cm_buf data;  /* a raw stream, as on_data got it */
	int pieces;          /* on_data calls */
	int cancel_at_piece; /* cancel own call at this on_data call */
	struct cm_http_call *call;
	struct cm_http_client *client;
	const char *chain_url; /* send this from done / on_line */
	struct result *chained;
};

static uv_loop_t loop;
static uv_timer_t tick;
static struct fake_http *fake;
static struct cm_http_client *client;
static int client_closed;

/* Runs the loop until cond holds, failing after 5 s. */
#define RUN_UNTIL(cond) LOOP_RUN_UNTIL(&loop, cond, 5000)

static void on_client_closed(void *ud)
{
	*(int *)ud = 1;
}

static void setup(void)
{
	ck_assert_int_eq(uv_loop_init(&loop), 0);
	loop_tick_start(&loop, &tick, 20);
	fake = fake_http_start();
	ck_assert_ptr_nonnull(fake);
	struct cm_http_client_opts opts = {.bearer_token = "tok"};
	ck_assert_int_eq(cm_http_client_new(&loop, &opts, &client), 0);
	client_closed = 0;
}

static void teardown(void)
{
	if (client) {
		cm_http_client_close(client, on_client_closed, &client_closed);
		RUN_UNTIL(client_closed);
	}
	loop_tick_close(&tick);
	uv_run(&loop, UV_RUN_DEFAULT);
	/* Every handle the client made is closed, or this fails with EBUSY. */
	ck_assert_int_eq(uv_loop_close(&loop), 0);
	fake_http_stop(fake);
}

static void url(char *out, size_t n, const char *path)
{
	snprintf(out, n, "http://127.0.0.1:%d%s", fake_http_port(fake), path);
}

static void on_done(const struct cm_http_response *resp, void *ud);

static void on_line(const char *line, size_t len, void *ud)
{
	struct result *r = ud;

	ck_assert_int_eq(line[len], '\0');
	ck_assert_int_eq(r->done, 0);
	cm_buf_append(&r->lines, line, len);
	cm_buf_putc(&r->lines, '|');
	r->nlines++;
	if (len > r->longest)
		r->longest = len;
	if (r->cancel_at_line && r->nlines == r->cancel_at_line) {
		cm_http_call_cancel(r->call);
		cm_http_call_cancel(r->call); /* twice is harmless */
	}
	if (r->chain_url && r->nlines == 1) {
		struct cm_http_request req = {.url = r->chain_url};
		ck_assert_int_eq(cm_http_client_send(r->client, &req, on_done, r->chained, NULL), 0);
	}
}

static void on_data(const char *data, size_t len, void *ud)
{
	struct result *r = ud;

	ck_assert_int_eq(r->done, 0);
	ck_assert_uint_gt(len, 0);
	cm_buf_append(&r->data, data, len);
	r->pieces++;
	if (r->cancel_at_piece && r->pieces == r->cancel_at_piece)
		cm_http_call_cancel(r->call);
}

static void on_done(const struct cm_http_response *resp, void *ud)
{
	struct result *r = ud;

	r->done++;
	r->err = resp->err;
	r->status = resp->status;
	ck_assert_ptr_nonnull(resp->body);
	ck_assert_int_eq(resp->body[resp->len], '\0');
	cm_buf_append(&r->body, resp->body, resp->len);
	free(r->content_type);
	r->content_type = resp->content_type ? strdup(resp->content_type) : NULL;
	if (r->chain_url && !r->lines.len) {
		struct cm_http_request req = {.url = r->chain_url};
		ck_assert_int_eq(cm_http_client_send(r->client, &req, on_done, r->chained, NULL), 0);
	}
}

/* Sends req to path and checks done did not run inside send. */
static void send_to(struct result *r, struct cm_http_request *req, const char *path)
{
	char u[128];

	url(u, sizeof(u), path);
	req->url = u;
	if (!r->client)
		r->client = client;
	ck_assert_int_eq(cm_http_client_send(client, req, on_done, r, &r->call), 0);
	ck_assert_int_eq(r->done, 0);
}

static void get(struct result *r, const char *path)
{
	struct cm_http_request req = {.timeout_ms = 3000};

	send_to(r, &req, path);
	RUN_UNTIL(r->done);
}

static void result_close(struct result *r)
{
	cm_buf_close(&r->body);
	cm_buf_close(&r->lines);
	cm_buf_close(&r->data);
	free(r->content_type);
}

START_TEST(get_returns_body_status_and_type)
{
	struct result r = {0};

	get(&r, "/ok");
	ck_assert_int_eq(r.err, 0);
	ck_assert_int_eq(r.status, 200);
	ck_assert_str_eq(r.body.data, "hello");
	ck_assert_str_eq(r.content_type, "text/plain");
	result_close(&r);
}
END_TEST

START_TEST(error_status_is_not_a_transport_error)
{
	struct result r = {0};

	get(&r, "/status/404");
	ck_assert_int_eq(r.err, 0);
	ck_assert_int_eq(r.status, 404);
	ck_assert_str_eq(r.body.data, "status 404");
	result_close(&r);
}
END_TEST

START_TEST(post_sends_body_token_and_headers)
{
	const char *headers[] = {"X-Test: 1", NULL};
	struct cm_http_request req = {.method = "POST", .body = "{\"a\":1}", .body_len = 7,
				      .headers = headers, .timeout_ms = 3000};
	struct result r = {0};

	send_to(&r, &req, "/echo");
	RUN_UNTIL(r.done);
	ck_assert_int_eq(r.err, 0);
	ck_assert_ptr_nonnull(strstr(r.body.data, "POST /echo HTTP/1.1\r\n"));
	ck_assert_ptr_nonnull(strstr(r.body.data, "\r\nAuthorization: Bearer tok\r\n"));
	ck_assert_ptr_nonnull(strstr(r.body.data, "\r\nX-Test: 1\r\n"));
	ck_assert_ptr_nonnull(strstr(r.body.data, "\r\nContent-Type: application/json\r\n"));
	ck_assert_ptr_nonnull(strstr(r.body.data, "\r\n\r\n{\"a\":1}"));
	result_close(&r);
}
END_TEST

START_TEST(other_methods_are_sent_as_given)
{
	struct cm_http_request req = {.method = "PATCH", .body = "x", .body_len = 1,
				      .content_type = "application/merge-patch+json"};
	struct cm_http_request del = {.method = "DELETE"};
	struct result r = {0}, d = {0};

	send_to(&r, &req, "/echo");
	send_to(&d, &del, "/echo");
	RUN_UNTIL(r.done && d.done);
	ck_assert_ptr_nonnull(strstr(r.body.data, "PATCH /echo HTTP/1.1\r\n"));
	ck_assert_ptr_nonnull(strstr(r.body.data, "Content-Type: application/merge-patch+json"));
	ck_assert_ptr_nonnull(strstr(d.body.data, "DELETE /echo HTTP/1.1\r\n"));
	result_close(&r);
	result_close(&d);
}
END_TEST

START_TEST(refused_connection_is_econnrefused)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t alen = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct cm_http_request req = {0};
	struct result r = {0};
	char u[64];

	/* Bound but not listening: the port is ours and refuses. */
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	getsockname(fd, (struct sockaddr *)&a, &alen);
	snprintf(u, sizeof(u), "http://127.0.0.1:%d/", ntohs(a.sin_port));
	req.url = u;
	ck_assert_int_eq(cm_http_client_send(client, &req, on_done, &r, NULL), 0);
	RUN_UNTIL(r.done);
	ck_assert_int_eq(r.err, -ECONNREFUSED);
	ck_assert_int_eq(r.status, 0);
	close(fd);
	result_close(&r);
}
END_TEST

START_TEST(call_timeout_is_etimedout)
{
	struct cm_http_request req = {.timeout_ms = 150};
	struct result r = {0};
	uint64_t start;

	uv_update_time(&loop);
	start = uv_now(&loop);
	send_to(&r, &req, "/stall");
	RUN_UNTIL(r.done);
	ck_assert_int_eq(r.err, -ETIMEDOUT);
	ck_assert_uint_ge(uv_now(&loop) - start, 140);
	result_close(&r);
}
END_TEST

START_TEST(connect_timeout_is_etimedout)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t alen = sizeof(a);
	int lfd = socket(AF_INET, SOCK_STREAM, 0);
	int fill[4];
	struct cm_http_client_opts opts = {.connect_timeout_ms = 200};
	struct cm_http_client *c;
	struct cm_http_request req = {0};
	struct result r = {0};
	int closed = 0;
	char u[64];

	/* A listener that never accepts, its queue full: Linux drops further SYNs. */
	ck_assert_int_eq(bind(lfd, (struct sockaddr *)&a, sizeof(a)), 0);
	ck_assert_int_eq(listen(lfd, 0), 0);
	getsockname(lfd, (struct sockaddr *)&a, &alen);
	for (int i = 0; i < 4; i++) {
		fill[i] = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
		connect(fill[i], (struct sockaddr *)&a, sizeof(a));
	}
	snprintf(u, sizeof(u), "http://127.0.0.1:%d/", ntohs(a.sin_port));
	req.url = u;
	ck_assert_int_eq(cm_http_client_new(&loop, &opts, &c), 0);
	ck_assert_int_eq(cm_http_client_send(c, &req, on_done, &r, NULL), 0);
	RUN_UNTIL(r.done);
	ck_assert_int_eq(r.err, -ETIMEDOUT);
	cm_http_client_close(c, on_client_closed, &closed);
	RUN_UNTIL(closed);
	for (int i = 0; i < 4; i++)
		close(fill[i]);
	close(lfd);
	result_close(&r);
}
END_TEST

START_TEST(closed_without_answer_is_econnreset)
{
	struct result r = {0};

	get(&r, "/close");
	ck_assert_int_eq(r.err, -ECONNRESET);
	result_close(&r);
}
END_TEST

START_TEST(connections_are_reused)
{
	for (int i = 0; i < 5; i++) {
		struct result r = {0};

		get(&r, "/ok");
		ck_assert_int_eq(r.status, 200);
		result_close(&r);
	}
	ck_assert_int_eq(fake_http_accepted(fake), 1);
}
END_TEST

START_TEST(lines_split_across_reads_are_joined)
{
	static const char *const script[] = {"a", "b\nc", "d\n", "e\r\n", "\n", "f", NULL};
	struct cm_http_request req = {.on_line = on_line};
	struct result r = {0};

	fake_http_set_script(fake, script, 30);
	send_to(&r, &req, "/script");
	RUN_UNTIL(r.done);
	ck_assert_int_eq(r.err, 0);
	ck_assert_int_eq(r.status, 200);
	/* The empty line stays a line; the last one had no newline. */
	ck_assert_str_eq(r.lines.data, "ab|cd|e||f|");
	ck_assert_int_eq(r.nlines, 5);
	ck_assert_uint_eq(r.body.len, 0);
	result_close(&r);
}
END_TEST

START_TEST(large_lines_arrive_whole)
{
	size_t big = 1 << 20;
	char *line = malloc(big + 2);
	const char *script[] = {line, "tail", NULL};
	struct cm_http_request req = {.on_line = on_line};
	struct result r = {0};

	memset(line, 'x', big);
	strcpy(line + big, "\n");
	fake_http_set_script(fake, script, 0);
	send_to(&r, &req, "/script");
	RUN_UNTIL(r.done);
	ck_assert_int_eq(r.err, 0);
	ck_assert_int_eq(r.nlines, 2);
	ck_assert_uint_eq(r.longest, big);
	ck_assert_str_eq(r.lines.data + big, "|tail|");
	result_close(&r);
	free(line);
}
END_TEST

START_TEST(error_status_body_is_not_streamed)
{
	struct cm_http_request req = {.on_line = on_line};
	struct result r = {0};

	send_to(&r, &req, "/status/410");
	RUN_UNTIL(r.done);
	ck_assert_int_eq(r.status, 410);
	ck_assert_int_eq(r.nlines, 0);
	ck_assert_str_eq(r.body.data, "status 410");
	result_close(&r);
}
END_TEST

START_TEST(cancel_from_on_line_stops_the_stream)
{
	static const char *const script[] = {"one\ntwo\n", "three\n", NULL};
	struct cm_http_request req = {.on_line = on_line};
	struct result r = {.cancel_at_line = 1};

	fake_http_set_script(fake, script, 10);
	send_to(&r, &req, "/script-stall");
	RUN_UNTIL(r.done);
	ck_assert_int_eq(r.err, -ECANCELED);
	ck_assert_int_eq(r.nlines, 1);
	ck_assert_str_eq(r.lines.data, "one|");
	/* The cancelled connection is dropped, not returned to the pool. */
	RUN_UNTIL(fake_http_closed(fake) == 1);
	ck_assert_int_eq(r.done, 1);
	result_close(&r);
}
END_TEST

START_TEST(raw_stream_arrives_in_its_pieces_unsplit)
{
	static const char *const script[] = {"ab", "c\nd", "\n", "ef", NULL};
	struct cm_http_request req = {.on_data = on_data};
	struct result r = {0};

	fake_http_set_script(fake, script, 20);
	/* the answer never ends: what arrived was handed over as it came, not at the end */
	send_to(&r, &req, "/script-stall");
	RUN_UNTIL(r.data.len == 8);
	ck_assert_int_eq(r.done, 0);
	ck_assert_int_eq(memcmp(r.data.data, "abc\nd\nef", 8), 0); /* newlines are bytes like others */
	ck_assert_int_ge(r.pieces, 2);
	ck_assert_int_le(r.pieces, 4);
	cm_http_call_cancel(r.call);
	RUN_UNTIL(r.done);
	ck_assert_int_eq(r.err, -ECANCELED);
	ck_assert_uint_eq(r.body.len, 0);
	result_close(&r);
}
END_TEST

START_TEST(raw_stream_that_ends_is_whole_before_done)
{
	static const char *const script[] = {"\x01\x02", "\x7f\xfe\n", "z", NULL};
	struct cm_http_request req = {.on_data = on_data, .timeout_ms = 3000};
	struct result r = {0};

	fake_http_set_script(fake, script, 10);
	send_to(&r, &req, "/script");
	RUN_UNTIL(r.done);
	ck_assert_int_eq(r.err, 0);
	ck_assert_int_eq(r.status, 200);
	ck_assert_uint_eq(r.data.len, 6);
	ck_assert_int_eq(memcmp(r.data.data, "\x01\x02\x7f\xfe\nz", 6), 0);
	ck_assert_uint_eq(r.body.len, 0);
	result_close(&r);
}
END_TEST

START_TEST(raw_stream_error_status_body_goes_to_done)
{
	struct cm_http_request req = {.on_data = on_data};
	struct result r = {0};

	send_to(&r, &req, "/status/503");
	RUN_UNTIL(r.done);
	ck_assert_int_eq(r.status, 503);
	ck_assert_int_eq(r.pieces, 0);
	ck_assert_str_eq(r.body.data, "status 503");
	result_close(&r);
}
END_TEST

START_TEST(cancel_from_on_data_stops_the_stream)
{
	static const char *const script[] = {"one", "two", "three", NULL};
	struct cm_http_request req = {.on_data = on_data};
	struct result r = {.cancel_at_piece = 1};

	fake_http_set_script(fake, script, 20);
	send_to(&r, &req, "/script-stall");
	RUN_UNTIL(r.done);
	ck_assert_int_eq(r.err, -ECANCELED);
	ck_assert_int_eq(r.pieces, 1);
	ck_assert_str_eq(r.data.data, "one");
	RUN_UNTIL(fake_http_closed(fake) == 1);
	result_close(&r);
}
END_TEST

START_TEST(on_line_wins_over_on_data)
{
	static const char *const script[] = {"a\nb", "\n", NULL};
	struct cm_http_request req = {.on_line = on_line, .on_data = on_data, .timeout_ms = 3000};
	struct result r = {0};

	fake_http_set_script(fake, script, 10);
	send_to(&r, &req, "/script");
	RUN_UNTIL(r.done);
	ck_assert_str_eq(r.lines.data, "a|b|");
	ck_assert_int_eq(r.pieces, 0);
	result_close(&r);
}
END_TEST

START_TEST(cancel_right_after_send_is_reported_from_the_loop)
{
	struct cm_http_request req = {0};
	struct result r = {0};

	send_to(&r, &req, "/stall");
	cm_http_call_cancel(r.call);
	ck_assert_int_eq(r.done, 0);
	RUN_UNTIL(r.done);
	ck_assert_int_eq(r.err, -ECANCELED);
	/* The client still works afterwards. */
	struct result r2 = {0};
	get(&r2, "/ok");
	ck_assert_int_eq(r2.status, 200);
	ck_assert_int_eq(r.done, 1);
	result_close(&r);
	result_close(&r2);
}
END_TEST

START_TEST(watch_without_timeout_outlives_slow_lines)
{
	static const char *const script[] = {"1\n", "2\n", "3\n", NULL};
	struct cm_http_request req = {.on_line = on_line, .timeout_ms = 0};
	struct result r = {0};

	fake_http_set_script(fake, script, 150);
	send_to(&r, &req, "/script");
	RUN_UNTIL(r.done);
	ck_assert_int_eq(r.err, 0);
	ck_assert_str_eq(r.lines.data, "1|2|3|");
	result_close(&r);
}
END_TEST

START_TEST(close_cancels_every_call)
{
	struct cm_http_request req = {0};
	struct result r[3] = {{0}};

	for (int i = 0; i < 3; i++)
		send_to(&r[i], &req, "/stall");
	RUN_UNTIL(fake_http_accepted(fake) == 3);
	cm_http_client_close(client, on_client_closed, &client_closed);
	ck_assert_int_eq(r[0].done, 0);
	RUN_UNTIL(client_closed);
	for (int i = 0; i < 3; i++) {
		ck_assert_int_eq(r[i].done, 1);
		ck_assert_int_eq(r[i].err, -ECANCELED);
		result_close(&r[i]);
	}
	client = NULL;
}
END_TEST

START_TEST(send_while_closing_fails)
{
	struct cm_http_request req = {.url = "http://127.0.0.1:1/"};
	struct result r = {0};

	cm_http_client_close(client, on_client_closed, &client_closed);
	ck_assert_int_eq(cm_http_client_send(client, &req, on_done, &r, NULL), -CM_ESTOPPED);
	RUN_UNTIL(client_closed);
	ck_assert_int_eq(r.done, 0);
	client = NULL;
}
END_TEST

START_TEST(sends_from_done_and_on_line_work)
{
	static const char *const script[] = {"x\n", "y\n", NULL};
	struct cm_http_request req = {.on_line = on_line};
	struct result second = {0}, third = {0};
	struct result first = {.chained = &second};
	struct result stream = {.chained = &third};
	char u[128];

	url(u, sizeof(u), "/ok");
	first.chain_url = stream.chain_url = u;
	get(&first, "/ok");
	RUN_UNTIL(second.done);
	ck_assert_int_eq(second.status, 200);
	fake_http_set_script(fake, script, 10);
	send_to(&stream, &req, "/script");
	RUN_UNTIL(stream.done && third.done);
	ck_assert_int_eq(third.status, 200);
	ck_assert_str_eq(third.body.data, "hello");
	ck_assert_str_eq(stream.lines.data, "x|y|");
	result_close(&first);
	result_close(&second);
	result_close(&third);
	result_close(&stream);
}
END_TEST

START_TEST(bad_input_is_rejected_without_done)
{
	struct cm_http_client_opts opts = {.ca_file = "/nonexistent/ca.pem"};
	struct cm_http_client *c = NULL;
	struct cm_http_request req = {0};
	struct result r = {0};

	ck_assert_int_eq(cm_http_client_new(&loop, &opts, &c), -EINVAL);
	ck_assert_ptr_null(c);
	ck_assert_int_eq(cm_http_client_send(client, &req, on_done, &r, NULL), -EINVAL);
	uv_run(&loop, UV_RUN_NOWAIT);
	ck_assert_int_eq(r.done, 0);
}
END_TEST

START_TEST(fetch_blocks_for_one_answer)
{
	struct cm_http_client_opts opts = {.bearer_token = "t2"};
	struct cm_http_request req = {.timeout_ms = 3000};
	struct cm_buf out = CM_BUF_INIT;
	long status = 0;
	char u[128];

	url(u, sizeof(u), "/echo");
	req.url = u;
	ck_assert_int_eq(cm_http_fetch(&opts, &req, &status, &out), 0);
	ck_assert_int_eq(status, 200);
	ck_assert_ptr_nonnull(strstr(out.data, "Authorization: Bearer t2\r\n"));
	cm_buf_reset(&out);
	url(u, sizeof(u), "/stall");
	req.timeout_ms = 100;
	ck_assert_int_eq(cm_http_fetch(NULL, &req, &status, &out), -ETIMEDOUT);
	cm_buf_close(&out);
}
END_TEST

/* A free loopback port: bound, read, released (the small race is acceptable in a test). */
static int free_port(void)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t alen = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	ck_assert_int_eq(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	getsockname(fd, (struct sockaddr *)&a, &alen);
	close(fd);
	return ntohs(a.sin_port);
}

static int can_connect(int port)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK),
				.sin_port = htons((uint16_t)port)};
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	int ok = connect(fd, (struct sockaddr *)&a, sizeof(a)) == 0;

	close(fd);
	return ok;
}

/* openssl s_server -www on port with cert/key, killed with the test process. */
static pid_t start_tls_server(const char *cert, const char *key, int port)
{
	char accept_arg[32];
	struct timespec step = {0, 10 * 1000000L};
	pid_t pid;

	snprintf(accept_arg, sizeof(accept_arg), "127.0.0.1:%d", port);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		freopen("/dev/null", "w", stdout);
		freopen("/dev/null", "w", stderr);
		execlp("openssl", "openssl", "s_server", "-quiet", "-www", "-accept", accept_arg,
		       "-cert", cert, "-key", key, (char *)NULL);
		_exit(127);
	}
	for (int i = 0; i < 500 && !can_connect(port); i++)
		nanosleep(&step, NULL); /* polling for readiness, with a deadline */
	ck_assert_msg(can_connect(port), "openssl s_server did not start");
	return pid;
}

static void tls_get(const struct cm_http_client_opts *opts, int port, struct result *r)
{
	struct cm_http_client *c;
	struct cm_http_request req = {.timeout_ms = 4000};
	int closed = 0;
	char u[64];

	snprintf(u, sizeof(u), "https://127.0.0.1:%d/", port);
	req.url = u;
	ck_assert_int_eq(cm_http_client_new(&loop, opts, &c), 0);
	ck_assert_int_eq(cm_http_client_send(c, &req, on_done, r, NULL), 0);
	RUN_UNTIL(r->done);
	cm_http_client_close(c, on_client_closed, &closed);
	RUN_UNTIL(closed);
}

START_TEST(tls_verifies_with_ca_or_skips_when_asked)
{
	char dir[] = "/tmp/test_cm_http_client.XXXXXX";
	char cert[128], key[128], cmd[512];
	struct result ok = {0}, unverified = {0}, insecure = {0};
	int port = free_port();
	pid_t pid;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(cert, sizeof(cert), "%s/cert.pem", dir);
	snprintf(key, sizeof(key), "%s/key.pem", dir);
	snprintf(cmd, sizeof(cmd),
		 "openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=127.0.0.1 "
		 "-addext subjectAltName=IP:127.0.0.1 -keyout %s -out %s >/dev/null 2>&1",
		 key, cert);
	ck_assert_int_eq(system(cmd), 0);
	pid = start_tls_server(cert, key, port);

	struct cm_http_client_opts with_ca = {.ca_file = cert};
	tls_get(&with_ca, port, &ok);
	/* A self-signed certificate nobody vouches for. */
	struct cm_http_client_opts no_ca = {.ca_file = "/dev/null"};
	tls_get(&no_ca, port, &unverified);
	struct cm_http_client_opts skip = {.insecure_skip_verify = 1, .ca_file = "/dev/null"};
	tls_get(&skip, port, &insecure);

	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	unlink(cert);
	unlink(key);
	rmdir(dir);
	ck_assert_int_eq(ok.err, 0);
	ck_assert_int_eq(ok.status, 200);
	ck_assert_int_eq(unverified.err, -EPROTO);
	ck_assert_int_eq(insecure.err, 0);
	ck_assert_int_eq(insecure.status, 200);
	result_close(&ok);
	result_close(&unverified);
	result_close(&insecure);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("cm_http_client");
	TCase *tc = tcase_create("client");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 15);
	tcase_add_test(tc, get_returns_body_status_and_type);
	tcase_add_test(tc, error_status_is_not_a_transport_error);
	tcase_add_test(tc, post_sends_body_token_and_headers);
	tcase_add_test(tc, other_methods_are_sent_as_given);
	tcase_add_test(tc, refused_connection_is_econnrefused);
	tcase_add_test(tc, call_timeout_is_etimedout);
	tcase_add_test(tc, connect_timeout_is_etimedout);
	tcase_add_test(tc, closed_without_answer_is_econnreset);
	tcase_add_test(tc, connections_are_reused);
	tcase_add_test(tc, lines_split_across_reads_are_joined);
	tcase_add_test(tc, large_lines_arrive_whole);
	tcase_add_test(tc, error_status_body_is_not_streamed);
	tcase_add_test(tc, cancel_from_on_line_stops_the_stream);
	tcase_add_test(tc, raw_stream_arrives_in_its_pieces_unsplit);
	tcase_add_test(tc, raw_stream_that_ends_is_whole_before_done);
	tcase_add_test(tc, raw_stream_error_status_body_goes_to_done);
	tcase_add_test(tc, cancel_from_on_data_stops_the_stream);
	tcase_add_test(tc, on_line_wins_over_on_data);
	tcase_add_test(tc, cancel_right_after_send_is_reported_from_the_loop);
	tcase_add_test(tc, watch_without_timeout_outlives_slow_lines);
	tcase_add_test(tc, close_cancels_every_call);
	tcase_add_test(tc, send_while_closing_fails);
	tcase_add_test(tc, sends_from_done_and_on_line_work);
	tcase_add_test(tc, bad_input_is_rejected_without_done);
	tcase_add_test(tc, fetch_blocks_for_one_answer);
	suite_add_tcase(s, tc);

	TCase *tls = tcase_create("tls");
	tcase_add_checked_fixture(tls, setup, teardown);
	tcase_set_timeout(tls, 15);
	tcase_add_test(tls, tls_verifies_with_ca_or_skips_when_asked);
	suite_add_tcase(s, tls);
	return s;
}

int main(void)
{
	return check_run(suite());
}
