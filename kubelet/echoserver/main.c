/* echoserver: the project's test workload: answers who it is (pod, namespace, IP) and the request; /healthz can be made to fail. */
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <uv.h>

#include "common/flags.h"
#include "common/http_server.h"
#include "common/log.h"

struct echo {
	uv_loop_t loop;
	uv_signal_t sigterm, sigint;
	uv_timer_t exit_timer;
	struct cm_http_server *http;
	bool failing; /* set by /fail: /healthz answers 500 from then on */
	long requests;
};

static const char *env_or(const char *name, const char *def)
{
	const char *v = getenv(name);

	return v && *v ? v : def;
}

static void handle_echo(struct cm_http_req *req, void *ud)
{
	struct echo *e = ud;
	struct cm_buf b = CM_BUF_INIT;
	char host[256] = "";

	e->requests++;
	gethostname(host, sizeof(host) - 1);
	cm_buf_printf(&b, "pod: %s\nnamespace: %s\nip: %s\nnode: %s\nhostname: %s\nrequest: %s %s\n",
		      env_or("POD_NAME", "-"), env_or("POD_NAMESPACE", "-"), env_or("POD_IP", "-"),
		      env_or("NODE_NAME", "-"), host, cm_http_req_method(req), cm_http_req_path(req));
	if (cm_http_req_header(req, "Host"))
		cm_buf_printf(&b, "host: %s\n", cm_http_req_header(req, "Host"));
	cm_info("%s %s", cm_http_req_method(req), cm_http_req_path(req));
	cm_http_respond_buf(req, 200, "text/plain", &b);
	cm_buf_close(&b);
}

static void handle_healthz(struct cm_http_req *req, void *ud)
{
	struct echo *e = ud;

	if (e->failing)
		cm_http_respond(req, 500, "text/plain", "failing\n", 8);
	else
		cm_http_respond(req, 200, "text/plain", "ok\n", 3);
}

static void handle_fail(struct cm_http_req *req, void *ud)
{
	struct echo *e = ud;

	e->failing = true;
	cm_info("/healthz fails from now on");
	cm_http_respond(req, 200, "text/plain", "failing from now on\n", 20);
}

static void closed(void *ud)
{
	struct echo *e = ud;

	uv_close((uv_handle_t *)&e->sigterm, NULL);
	uv_close((uv_handle_t *)&e->sigint, NULL);
	uv_close((uv_handle_t *)&e->exit_timer, NULL);
}

static void stop(struct echo *e)
{
	if (e->http) {
		cm_http_server_close(e->http, closed, e);
		e->http = NULL;
	}
}

static void on_signal(uv_signal_t *h, int sig)
{
	cm_info("signal %d: stopping", sig);
	stop(h->data);
}

static void on_exit_timer(uv_timer_t *t)
{
	cm_info("--exit-after reached: exiting");
	stop(t->data);
}

int main(int argc, char **argv)
{
	struct echo e = {0};
	/* Pods that share the host's network (several nodes on one machine) each own only their IP. */
	const char *bind = getenv("POD_IP") && *getenv("POD_IP") ? getenv("POD_IP") : "0.0.0.0";
	int port = 8080, v = 0, nargs, rc;
	int64_t exit_after = 0;
	const struct cm_flag flags[] = {
		{"port", CM_FLAG_INT, &port, "the port to serve HTTP on"},
		{"bind-address", CM_FLAG_STRING, &bind, "the address to listen on ($POD_IP when set)"},
		{"exit-after", CM_FLAG_DURATION, &exit_after, "exit (code 0) after this long; 0 never"},
		{"v", CM_FLAG_INT, &v, "log verbosity"},
	};
	struct cm_http_server_opts opts = {0};

	cm_flags_parse_or_exit(flags, sizeof(flags) / sizeof(flags[0]), "echoserver [flags]", argc, argv, &nargs);
	cm_log_init("echoserver", v);
	cm_log_set_output(stdout); /* a container's story belongs on stdout */
	setvbuf(stdout, NULL, _IOLBF, 0);
	uv_loop_init(&e.loop);
	opts.bind_address = bind;
	opts.port = port;
	opts.own_healthz = 1;
	if ((rc = cm_http_server_new(&e.loop, &opts, &e.http)) < 0) {
		cm_error("listen on %s:%d failed: %s", bind, port, strerror(-rc));
		return 1;
	}
	cm_http_server_route(e.http, "GET", "/healthz", handle_healthz, &e);
	cm_http_server_route(e.http, "*", "/fail", handle_fail, &e);
	cm_http_server_route(e.http, "*", "/", handle_echo, &e);
	cm_http_server_route(e.http, "*", "/{path...}", handle_echo, &e);
	uv_signal_init(&e.loop, &e.sigterm);
	uv_signal_init(&e.loop, &e.sigint);
	uv_timer_init(&e.loop, &e.exit_timer);
	e.sigterm.data = e.sigint.data = e.exit_timer.data = &e;
	uv_signal_start(&e.sigterm, on_signal, SIGTERM);
	uv_signal_start(&e.sigint, on_signal, SIGINT);
	if (exit_after > 0)
		uv_timer_start(&e.exit_timer, on_exit_timer, (uint64_t)exit_after, 0);
	cm_info("echoserver pod %s/%s listening on %s:%d", env_or("POD_NAMESPACE", "-"), env_or("POD_NAME", "-"),
		bind, cm_http_server_port(e.http));
	uv_run(&e.loop, UV_RUN_DEFAULT);
	uv_loop_close(&e.loop);
	return 0;
}
