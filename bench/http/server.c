/* server.c: the smallest server on common/http_server, GET /ping -> {"ok":true}, for wrk to measure. */
#include <stdio.h>
#include <stdlib.h>

#include "common/http_server.h"

static void handle_ping(struct cm_http_req *req, void *ud)
{
	(void)ud;
	static const char body[] = "{\"ok\":true}";
	cm_http_respond(req, 200, "application/json", body, sizeof(body) - 1);
}

static void on_closed(void *ud)
{
	uv_signal_t *sig = ud;
	uv_close((uv_handle_t *)sig, NULL);
}

static void on_signal(uv_signal_t *sig, int signum)
{
	(void)signum;
	uv_signal_stop(sig);
	cm_http_server_close(sig->data, on_closed, sig);
}

int main(int argc, char **argv)
{
	uv_loop_t *loop = uv_default_loop();
	struct cm_http_server_opts opts = {.port = argc > 1 ? atoi(argv[1]) : 0};
	struct cm_http_server *s;
	int rc = cm_http_server_new(loop, &opts, &s);
	if (rc < 0) {
		fprintf(stderr, "http_server: start failed: %s\n", uv_strerror(rc));
		return 1;
	}
	if (cm_http_server_route(s, "GET", "/ping", handle_ping, NULL) < 0)
		return 1;
	uv_signal_t sig;
	uv_signal_init(loop, &sig);
	sig.data = s;
	uv_signal_start(&sig, on_signal, SIGTERM);
	printf("%d\n", cm_http_server_port(s));
	fflush(stdout);
	uv_run(loop, UV_RUN_DEFAULT);
	uv_loop_close(loop);
	return 0;
}
