/* test_cm_http_client_unix.c: the HTTP client over a unix socket (the Docker Engine API's transport) against the scripted fake server. */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "tests/lib/loop_until.h"
#include "common/buf.h"
#include "common/err.h"
#include "common/http_client.h"
#include "tests/lib/fake_http.h"
#include "tests/lib/check_run.h"

/* What one call saw. */
struct result {
	int done;
	int err;
	long status;
	struct cm_buf body;
	struct cm_buf lines; /* each line followed by '|' */
	struct cm_buf data;  /* the raw stream, as delivered */
	int pieces;
};

static uv_loop_t loop;
static uv_timer_t tick;
static struct fake_http *fake;
static struct cm_http_client *client;
static char dir[64];
static char sock[128];

/* Runs the loop until cond holds, failing after 5 s. */
#define RUN_UNTIL(cond) LOOP_RUN_UNTIL(&loop, cond, 5000)

static void on_closed(void *ud)
{
	*(int *)ud = 1;
}

static void setup(void)
{
	struct cm_http_client_opts opts = {0};

	snprintf(dir, sizeof(dir), "/tmp/test_cm_http_client_unix.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(sock, sizeof(sock), "%s/engine.sock", dir);
	ck_assert_int_eq(uv_loop_init(&loop), 0);
	loop_tick_start(&loop, &tick, 20);
	fake = fake_http_start_unix(sock);
	ck_assert_ptr_nonnull(fake);
	opts.unix_socket = sock;
	ck_assert_int_eq(cm_http_client_new(&loop, &opts, &client), 0);
}

static void teardown(void)
{
	int closed = 0;

	cm_http_client_close(client, on_closed, &closed);
	RUN_UNTIL(closed);
	loop_tick_close(&tick);
	uv_run(&loop, UV_RUN_DEFAULT);
	ck_assert_int_eq(uv_loop_close(&loop), 0);
	fake_http_stop(fake);
	unlink(sock);
	rmdir(dir);
}

static void on_done(const struct cm_http_response *resp, void *ud)
{
	struct result *r = ud;

	r->done++;
	r->err = resp->err;
	r->status = resp->status;
	cm_buf_append(&r->body, resp->body, resp->len);
}

static void on_line(const char *line, size_t len, void *ud)
{
	struct result *r = ud;

	cm_buf_append(&r->lines, line, len);
	cm_buf_putc(&r->lines, '|');
}

static void on_data(const char *data, size_t len, void *ud)
{
	struct result *r = ud;

	ck_assert_int_eq(r->done, 0);
	cm_buf_append(&r->data, data, len);
	r->pieces++;
}

static void result_close(struct result *r)
{
	cm_buf_close(&r->body);
	cm_buf_close(&r->lines);
	cm_buf_close(&r->data);
}

/* Sends req (url's host is whatever: the socket is the address) and runs the loop until done. */
static void call(struct cm_http_request *req, struct result *r)
{
	ck_assert_int_eq(cm_http_client_send(client, req, on_done, r, NULL), 0);
	ck_assert_int_eq(r->done, 0);
	RUN_UNTIL(r->done);
	ck_assert_int_eq(r->done, 1);
}

START_TEST(get_goes_over_the_socket_whatever_the_host)
{
	struct cm_http_request req = {.url = "http://docker/ok", .timeout_ms = 3000};
	struct result r = {0};

	call(&req, &r);
	ck_assert_int_eq(r.err, 0);
	ck_assert_int_eq(r.status, 200);
	ck_assert_str_eq(r.body.data, "hello");
	result_close(&r);
}
END_TEST

START_TEST(post_body_and_host_header_arrive)
{
	static const char body[] = "{\"Image\":\"busybox\"}";
	struct cm_http_request req = {.method = "POST", .url = "http://docker/echo", .body = body,
				      .body_len = sizeof(body) - 1, .timeout_ms = 3000};
	struct result r = {0};

	call(&req, &r);
	ck_assert_int_eq(r.status, 200);
	ck_assert_ptr_nonnull(strstr(r.body.data, "POST /echo HTTP/1.1\r\n"));
	ck_assert_ptr_nonnull(strstr(r.body.data, "Host: docker\r\n"));
	ck_assert_ptr_nonnull(strstr(r.body.data, "Content-Type: application/json\r\n"));
	ck_assert_ptr_nonnull(strstr(r.body.data, "\r\n\r\n{\"Image\":\"busybox\"}"));
	result_close(&r);
}
END_TEST

START_TEST(connection_is_kept_and_reused)
{
	struct cm_http_request req = {.url = "http://docker/ok", .timeout_ms = 3000};
	struct result a = {0}, b = {0}, c = {0};

	call(&req, &a);
	call(&req, &b);
	call(&req, &c);
	ck_assert_int_eq(c.status, 200);
	ck_assert_int_eq(fake_http_accepted(fake), 1);
	result_close(&a);
	result_close(&b);
	result_close(&c);
}
END_TEST

START_TEST(error_status_is_an_answer)
{
	struct cm_http_request req = {.url = "http://docker/status/404", .timeout_ms = 3000};
	struct result r = {0};

	call(&req, &r);
	ck_assert_int_eq(r.err, 0);
	ck_assert_int_eq(r.status, 404);
	ck_assert_str_eq(r.body.data, "status 404");
	result_close(&r);
}
END_TEST

START_TEST(lines_stream_over_the_socket)
{
	static const char *const script[] = {"{\"a\":1}\n{\"b\"", ":2}\n", "{\"c\":3}\n", NULL};
	struct cm_http_request req = {.url = "http://docker/script", .on_line = on_line};
	struct result r = {0};

	fake_http_set_script(fake, script, 20);
	call(&req, &r);
	ck_assert_int_eq(r.err, 0);
	ck_assert_str_eq(r.lines.data, "{\"a\":1}|{\"b\":2}|{\"c\":3}|");
	result_close(&r);
}
END_TEST

START_TEST(raw_stream_over_the_socket)
{
	static const char *const script[] = {"\x01\x02\x03", "x\ny", "\xff", NULL};
	struct cm_http_request req = {.url = "http://docker/script", .on_data = on_data};
	struct result r = {0};

	fake_http_set_script(fake, script, 30);
	call(&req, &r);
	ck_assert_int_eq(r.err, 0);
	ck_assert_uint_eq(r.data.len, 7);
	ck_assert_int_eq(memcmp(r.data.data, "\x01\x02\x03x\ny\xff", 7), 0);
	ck_assert_int_ge(r.pieces, 2); /* 30 ms apart: not held back until the end */
	ck_assert_uint_eq(r.body.len, 0);
	result_close(&r);
}
END_TEST

/* A GET through a client on path: the transport error. */
static int error_on(const char *path)
{
	struct cm_http_client *c;
	struct cm_http_client_opts opts = {.unix_socket = path};
	struct cm_http_request req = {.url = "http://docker/ok", .timeout_ms = 3000};
	struct result r = {0};
	int closed = 0;

	ck_assert_int_eq(cm_http_client_new(&loop, &opts, &c), 0);
	ck_assert_int_eq(cm_http_client_send(c, &req, on_done, &r, NULL), 0);
	RUN_UNTIL(r.done);
	ck_assert_int_eq(r.status, 0);
	cm_http_client_close(c, on_closed, &closed);
	RUN_UNTIL(closed);
	result_close(&r);
	return r.err;
}

START_TEST(missing_or_dead_socket_is_a_transport_error)
{
	struct sockaddr_un a = {.sun_family = AF_UNIX};
	char dead[100];
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);

	/* no engine there at all: the OS's word for it */
	ck_assert_int_eq(error_on("/nonexistent/minik8s-test.sock"), -ENOENT);
	/* a socket left behind by an engine that is gone */
	snprintf(dead, sizeof(dead), "%s/dead.sock", dir);
	memcpy(a.sun_path, dead, strlen(dead) + 1);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	close(fd);
	ck_assert_int_eq(error_on(dead), -ECONNREFUSED);
	unlink(dead);
}
END_TEST

START_TEST(fetch_over_the_socket)
{
	struct cm_http_client_opts opts = {.unix_socket = sock};
	struct cm_http_request req = {.url = "http://docker/ok", .timeout_ms = 3000};
	struct cm_buf out = CM_BUF_INIT;
	long status = 0;

	ck_assert_int_eq(cm_http_fetch(&opts, &req, &status, &out), 0);
	ck_assert_int_eq(status, 200);
	ck_assert_str_eq(out.data, "hello");
	cm_buf_close(&out);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("cm_http_client_unix");
	TCase *tc = tcase_create("unix");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 15);
	tcase_add_test(tc, get_goes_over_the_socket_whatever_the_host);
	tcase_add_test(tc, post_body_and_host_header_arrive);
	tcase_add_test(tc, connection_is_kept_and_reused);
	tcase_add_test(tc, error_status_is_an_answer);
	tcase_add_test(tc, lines_stream_over_the_socket);
	tcase_add_test(tc, raw_stream_over_the_socket);
	tcase_add_test(tc, missing_or_dead_socket_is_a_transport_error);
	tcase_add_test(tc, fetch_over_the_socket);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return check_run(suite());
}
