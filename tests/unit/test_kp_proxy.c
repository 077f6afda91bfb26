/* test_kp_proxy.c: the engine on loopback: round robin, endpoint removal, back-pressure, UDP flows. */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "kubeproxy/proxy.h"
#include "tests/lib/check_run.h"

static uv_loop_t loop;
static struct kp_proxy *px;
static struct cm_metrics *metrics;

static struct kp_addr A(const char *ip, int port)
{
	struct kp_addr a;
	ck_assert_int_eq(kp_addr_parse(ip, port, &a), 0);
	return a;
}

/* A nonblocking socket bound to 127.0.0.1:0 (listening for TCP); its port in *port. */
static int bound(int type, int *port)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof(sa);
	int fd = socket(AF_INET, type | SOCK_NONBLOCK, 0);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&sa, len), 0);
	if (type == SOCK_STREAM)
		ck_assert_int_eq(listen(fd, 64), 0);
	ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&sa, &len), 0);
	*port = ntohs(sa.sin_port);
	return fd;
}

/* A port free right now, for the service's own address. */
static int free_port(int type)
{
	int port, fd = bound(type, &port);
	close(fd);
	return port;
}

/* Runs the loop until cond(arg) holds or 2 s pass; returns whether it held. */
static bool run_until(bool (*cond)(void *), void *arg)
{
	for (int i = 0; i < 2000; i++) {
		uv_run(&loop, UV_RUN_NOWAIT);
		if (cond(arg))
			return true;
		poll(NULL, 0, 1);
	}
	return false;
}

struct accept_ctx {
	int lfd, fd;
};

static bool accepted(void *arg)
{
	struct accept_ctx *a = arg;
	a->fd = accept4(a->lfd, NULL, NULL, SOCK_NONBLOCK);
	return a->fd >= 0;
}

static bool readable_eof(void *arg)
{
	char b[64];
	ssize_t n = recv(*(int *)arg, b, sizeof(b), 0);
	return n == 0 || (n < 0 && errno == ECONNRESET);
}

static int tcp_connect(int port)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port),
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);

	ck_assert_int_ge(fd, 0);
	int rc = connect(fd, (struct sockaddr *)&sa, sizeof(sa));
	ck_assert(rc == 0 || errno == EINPROGRESS);
	return fd;
}

static void set_tcp(const char *name, int port, const struct kp_addr *eps, size_t n, bool aff)
{
	struct kp_service_port sp = {.name = name, .protocol = IPPROTO_TCP,
				     .cluster = A("127.0.0.1", port), .affinity = aff,
				     .endpoints = eps, .nendpoints = n};
	ck_assert_int_eq(kp_proxy_set_service(px, "default/web", n || aff ? &sp : NULL, n || aff), 0);
}

static void setup(void)
{
	struct kp_proxy_opts o = {.buf_size = 4096, .udp_idle_ms = 200};

	ck_assert_int_eq(uv_loop_init(&loop), 0);
	ck_assert_int_eq(cm_metrics_new(&metrics), 0);
	o.metrics = metrics;
	ck_assert_int_eq(kp_proxy_new(&loop, &o, &px), 0);
}

static void teardown(void)
{
	kp_proxy_close(px, NULL, NULL);
	uv_run(&loop, UV_RUN_DEFAULT);
	ck_assert_int_eq(uv_loop_close(&loop), 0);
	cm_metrics_free(metrics);
}

START_TEST(test_round_robin_over_backends)
{
	int p1, p2, port = free_port(SOCK_STREAM);
	int l1 = bound(SOCK_STREAM, &p1), l2 = bound(SOCK_STREAM, &p2);
	struct kp_addr eps[2] = {A("127.0.0.1", p1), A("127.0.0.1", p2)};

	set_tcp("default/web:80", port, eps, 2, false);
	for (int i = 0; i < 4; i++) {
		struct accept_ctx a = {.lfd = i % 2 ? l2 : l1};
		int c = tcp_connect(port);
		ck_assert_msg(run_until(accepted, &a), "connection %d did not reach backend %d", i, i % 2);
		/* bytes flow both ways */
		ck_assert_int_eq(send(c, "ping", 4, 0), 4);
		char b[8] = {0};
		for (int k = 0; k < 1000 && recv(a.fd, b, sizeof(b), 0) < 0; k++)
			uv_run(&loop, UV_RUN_NOWAIT), poll(NULL, 0, 1);
		ck_assert_str_eq(b, "ping");
		ck_assert_int_eq(send(a.fd, "pong", 4, 0), 4);
		memset(b, 0, sizeof(b));
		for (int k = 0; k < 1000 && recv(c, b, sizeof(b), 0) < 0; k++)
			uv_run(&loop, UV_RUN_NOWAIT), poll(NULL, 0, 1);
		ck_assert_str_eq(b, "pong");
		close(c);
		ck_assert(run_until(readable_eof, &a.fd)); /* the close is passed on */
		close(a.fd);
	}
	close(l1);
	close(l2);
}
END_TEST

static bool no_conns(void *arg)
{
	(void)arg;
	return kp_proxy_active_conns(px) == 0;
}

START_TEST(test_removed_endpoint_closes_connections)
{
	int p1, p2, port = free_port(SOCK_STREAM);
	int l1 = bound(SOCK_STREAM, &p1), l2 = bound(SOCK_STREAM, &p2);
	struct kp_addr eps[2] = {A("127.0.0.1", p1), A("127.0.0.1", p2)};
	struct accept_ctx a1 = {.lfd = l1}, a2 = {.lfd = l2};

	set_tcp("default/web:80", port, eps, 2, false);
	int c1 = tcp_connect(port);
	ck_assert(run_until(accepted, &a1));
	int c2 = tcp_connect(port);
	ck_assert(run_until(accepted, &a2));
	ck_assert_uint_eq(kp_proxy_active_conns(px), 2);
	set_tcp("default/web:80", port, &eps[1], 1, false); /* endpoint 1 leaves */
	ck_assert(run_until(readable_eof, &c1));
	ck_assert(run_until(readable_eof, &a1.fd));
	ck_assert_uint_eq(kp_proxy_active_conns(px), 1);
	/* new connections all go to the one left */
	for (int i = 0; i < 3; i++) {
		struct accept_ctx a = {.lfd = l2};
		int c = tcp_connect(port);
		ck_assert(run_until(accepted, &a));
		close(a.fd);
		close(c);
	}
	/* the service going away closes the rest */
	set_tcp("default/web:80", port, NULL, 0, false);
	ck_assert(run_until(readable_eof, &c2));
	ck_assert(run_until(no_conns, NULL));
	close(c1), close(c2), close(a1.fd), close(a2.fd), close(l1), close(l2);
}
END_TEST

START_TEST(test_dead_endpoint_retried)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof(sa);
	int p1, l1 = bound(SOCK_STREAM, &p1), d = socket(AF_INET, SOCK_STREAM, 0);

	/* bound, never listening: connections to it are refused, and the port stays taken */
	ck_assert_int_eq(bind(d, (struct sockaddr *)&sa, len), 0);
	ck_assert_int_eq(getsockname(d, (struct sockaddr *)&sa, &len), 0);
	int dead = ntohs(sa.sin_port), port = free_port(SOCK_STREAM);
	struct kp_addr eps[2] = {A("127.0.0.1", dead), A("127.0.0.1", p1)};

	set_tcp("default/web:80", port, eps, 2, false);
	for (int i = 0; i < 4; i++) {
		struct accept_ctx a = {.lfd = l1};
		int c = tcp_connect(port);
		ck_assert_msg(run_until(accepted, &a), "connection %d not moved to the live endpoint", i);
		ck_assert_int_eq(send(a.fd, "x", 1, 0), 1);
		char b = 0;
		for (int k = 0; k < 1000 && recv(c, &b, 1, 0) < 0; k++)
			uv_run(&loop, UV_RUN_NOWAIT), poll(NULL, 0, 1);
		ck_assert_int_eq(b, 'x');
		close(a.fd);
		close(c);
	}
	close(l1), close(d);
}
END_TEST

START_TEST(test_no_endpoint_closes_client)
{
	int port = free_port(SOCK_STREAM);
	struct kp_service_port sp = {.name = "default/web:80", .protocol = IPPROTO_TCP,
				     .cluster = A("127.0.0.1", port)};
	struct cm_buf out = CM_BUF_INIT;

	ck_assert_int_eq(kp_proxy_set_service(px, "default/web", &sp, 1), 0);
	int c = tcp_connect(port);
	ck_assert(run_until(readable_eof, &c));
	close(c);
	ck_assert_int_eq(cm_metrics_render(metrics, &out), 0);
	ck_assert_ptr_nonnull(strstr(out.data, "kubeproxy_errors_total{service=\"default/web:80\",protocol=\"tcp\"} 1"));
	cm_buf_close(&out);
}
END_TEST

struct fill_ctx {
	int fd;
	size_t written;
	int stuck; /* consecutive rounds where nothing could be written */
};

static bool client_blocked(void *arg)
{
	static char chunk[65536];
	struct fill_ctx *f = arg;
	ssize_t n = send(f->fd, chunk, sizeof(chunk), MSG_NOSIGNAL);

	if (n > 0) {
		f->written += (size_t)n;
		f->stuck = 0;
	} else {
		f->stuck++;
	}
	return f->stuck > 50;
}

START_TEST(test_slow_reader_pushes_back)
{
	int p1, port = free_port(SOCK_STREAM), l1 = bound(SOCK_STREAM, &p1);
	struct kp_addr ep = A("127.0.0.1", p1);
	struct accept_ctx a = {.lfd = l1};

	set_tcp("default/web:80", port, &ep, 1, false);
	int c = tcp_connect(port);
	ck_assert(run_until(accepted, &a));
	/* The backend never reads: the client must end up blocked, not absorbed by the proxy. */
	struct fill_ctx f = {.fd = c};
	ck_assert(run_until(client_blocked, &f));
	ck_assert_uint_lt(f.written, 32u << 20);
	/* Drain the backend: the stream resumes and arrives whole. */
	size_t got = 0;
	char buf[65536];
	for (int idle = 0; idle < 2000 && got < f.written;) {
		ssize_t n = recv(a.fd, buf, sizeof(buf), 0);
		uv_run(&loop, UV_RUN_NOWAIT);
		if (n > 0) {
			got += (size_t)n;
			idle = 0;
		} else {
			idle++;
			poll(NULL, 0, 1);
		}
	}
	ck_assert_uint_eq(got, f.written);
	close(c), close(a.fd), close(l1);
}
END_TEST

START_TEST(test_affinity_same_backend)
{
	int p1, p2, port = free_port(SOCK_STREAM);
	int l1 = bound(SOCK_STREAM, &p1), l2 = bound(SOCK_STREAM, &p2);
	struct kp_addr eps[2] = {A("127.0.0.1", p1), A("127.0.0.1", p2)};

	set_tcp("default/web:80", port, eps, 2, true);
	for (int i = 0; i < 4; i++) {
		struct accept_ctx a = {.lfd = l1};
		int c = tcp_connect(port);
		ck_assert_msg(run_until(accepted, &a), "connection %d left its endpoint", i);
		close(a.fd);
		close(c);
	}
	close(l1), close(l2);
}
END_TEST

struct udp_ctx {
	int backend, client;
	char got[64];
};

/* The backend echoes with a prefix; the client's answer is the condition. */
static bool udp_answered(void *arg)
{
	struct udp_ctx *u = arg;
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	char b[64], out[80];
	ssize_t n = recvfrom(u->backend, b, sizeof(b) - 1, 0, (struct sockaddr *)&ss, &len);

	if (n > 0) {
		b[n] = 0;
		int m = snprintf(out, sizeof(out), "echo:%s", b);
		sendto(u->backend, out, (size_t)m, 0, (struct sockaddr *)&ss, len);
	}
	n = recv(u->client, u->got, sizeof(u->got) - 1, 0);
	if (n > 0)
		u->got[n] = 0;
	return n > 0;
}

static bool no_flows(void *arg)
{
	(void)arg;
	return kp_proxy_active_flows(px) == 0;
}

START_TEST(test_udp_flow_and_idle_timeout)
{
	int pb, port = free_port(SOCK_DGRAM);
	struct udp_ctx u = {.backend = bound(SOCK_DGRAM, &pb)};
	struct kp_addr ep = A("127.0.0.1", pb);
	struct kp_service_port sp = {.name = "default/dns:53", .protocol = IPPROTO_UDP,
				     .cluster = A("127.0.0.1", port), .endpoints = &ep, .nendpoints = 1};
	struct sockaddr_in to = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port),
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};

	ck_assert_int_eq(kp_proxy_set_service(px, "default/dns", &sp, 1), 0);
	u.client = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
	ck_assert_int_eq(connect(u.client, (struct sockaddr *)&to, sizeof(to)), 0);
	for (int i = 0; i < 3; i++) {
		ck_assert_int_eq(send(u.client, "q", 1, 0), 1);
		ck_assert(run_until(udp_answered, &u));
		ck_assert_str_eq(u.got, "echo:q");
	}
	ck_assert_uint_eq(kp_proxy_active_flows(px), 1); /* one client, one flow */
	ck_assert(run_until(no_flows, NULL));            /* 200 ms idle: closed */
	ck_assert_int_eq(send(u.client, "r", 1, 0), 1);  /* and made again */
	ck_assert(run_until(udp_answered, &u));
	ck_assert_str_eq(u.got, "echo:r");
	close(u.client), close(u.backend);
}
END_TEST

START_TEST(test_bad_port_refused)
{
	struct kp_service_port sp = {.name = "x", .protocol = 99};

	ck_assert_int_eq(kp_proxy_set_service(px, "default/x", &sp, 1), -EINVAL);
	sp.protocol = IPPROTO_TCP;
	sp.name = NULL;
	ck_assert_int_eq(kp_proxy_set_service(px, "default/x", &sp, 1), -EINVAL);
}
END_TEST

START_TEST(test_bind_hint_for_low_ports_only)
{
	/* a normal user's make up: ClusterIP ports and DNS below 1024 are refused with EACCES */
	ck_assert_ptr_nonnull(strstr(kp_bind_hint(-EACCES, 443), "CAP_NET_BIND_SERVICE"));
	ck_assert_ptr_nonnull(strstr(kp_bind_hint(-EACCES, 53), "ip_unprivileged_port_start"));
	ck_assert_str_eq(kp_bind_hint(-EACCES, 1024), "");
	ck_assert_str_eq(kp_bind_hint(-EADDRINUSE, 80), "");
	ck_assert_str_eq(kp_bind_hint(-EACCES, 0), "");
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("kp_proxy");
	TCase *tc = tcase_create("proxy");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 15);
	tcase_add_test(tc, test_round_robin_over_backends);
	tcase_add_test(tc, test_removed_endpoint_closes_connections);
	tcase_add_test(tc, test_dead_endpoint_retried);
	tcase_add_test(tc, test_no_endpoint_closes_client);
	tcase_add_test(tc, test_slow_reader_pushes_back);
	tcase_add_test(tc, test_affinity_same_backend);
	tcase_add_test(tc, test_udp_flow_and_idle_timeout);
	tcase_add_test(tc, test_bad_port_refused);
	tcase_add_test(tc, test_bind_hint_for_low_ports_only);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return check_run(suite());
}
