/* docker.c: the docker runtime backend: its making (endpoint, adoption) and end, and its calls to the Docker Engine API. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "common/fileio.h"
#include "kubelet/runtime/docker.h"

#define RESYNC_MS 3000

/* ---- plumbing ---- */

int dk_send(struct dk *d, const char *method, const char *path, const char *body, long timeout_ms,
	    cm_http_line_cb on_line, cm_http_data_cb on_data, cm_http_done_cb done, void *ud,
	    struct cm_http_call **call)
{
	struct cm_buf url = CM_BUF_INIT;
	struct cm_http_request req = {0};
	int rc;

	if (d->closing)
		return -CM_ESTOPPED;
	if (cm_buf_printf(&url, "%s%s", d->base, path) < 0)
		return -ENOMEM;
	req.method = method;
	req.url = url.data;
	req.body = body;
	req.body_len = body ? strlen(body) : 0;
	req.timeout_ms = timeout_ms;
	req.on_line = on_line;
	req.on_data = on_data;
	rc = cm_http_client_send(d->http, &req, done, ud, call);
	cm_buf_close(&url);
	return rc;
}

int dk_query_escape(const char *s, struct cm_buf *out)
{
	static const char hex[] = "0123456789ABCDEF";

	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;
		int rc = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
				 strchr("-_.~", ch)
			 ? cm_buf_putc(out, (char)ch)
			 : cm_buf_printf(out, "%%%c%c", hex[ch >> 4], hex[ch & 15]);

		if (rc < 0)
			return -ENOMEM;
	}
	return 0;
}

/* ---- lifecycle ---- */

static void http_closed(void *ud)
{
	((struct dk *)ud)->http_closed = true;
}

static void d_shutdown(struct kl_runtime *rt)
{
	struct dk *d = rt->impl;

	if (d->closing)
		return;
	d->closing = true;
	uv_close((uv_handle_t *)&d->timer, NULL);
	cm_http_client_close(d->http, http_closed, d);
}

static void d_free(struct kl_runtime *rt)
{
	struct dk *d = rt->impl;

	d_shutdown(rt);
	while (d->ctrs) {
		struct dk_ctr *c = d->ctrs;

		d->ctrs = c->next;
		kl_docker_demux_close(&c->demux);
		free(c->name);
		free(c);
	}
	while (d->images) {
		struct dk_image *i = d->images;

		d->images = i->next;
		free(i->name);
		free(i);
	}
	free(d->base);
	free(d->root);
	free(d->network);
	free(d->node);
	free(d->infra);
	free(d);
}

static const struct kl_runtime_ops docker_ops = {
	.name = "docker",
	.sandbox_create = dk_sandbox_create,
	.sandbox_check = dk_sandbox_check,
	.sandbox_remove = dk_sandbox_remove,
	.sandbox_remove_any_thread = dk_sandbox_remove_files,
	.sandbox_release = dk_sandbox_release,
	.container_start = dk_container_start,
	.container_signal = dk_container_signal,
	.container_status = dk_container_status,
	.container_remove = dk_container_remove,
	.log_path = dk_log_path,
	.log_path_before = dk_log_path_before,
	.list = dk_list,
	.free = d_free,
	.last_error = dk_last_error,
	.exec = dk_exec,
	.shutdown = d_shutdown,
};

static int set_endpoint(struct dk *d, const char *endpoint, struct cm_http_client_opts *hopts)
{
	if (!strncmp(endpoint, "unix://", 7)) {
		hopts->unix_socket = endpoint + 7;
		d->base = strdup("http://docker");
	} else if (!strncmp(endpoint, "tcp://", 6) || !strncmp(endpoint, "http://", 7)) {
		struct cm_buf b = CM_BUF_INIT;

		cm_buf_printf(&b, "http://%s", endpoint + (endpoint[0] == 't' ? 6 : 7));
		d->base = cm_buf_take(&b);
	} else {
		return -EINVAL;
	}
	return d->base ? 0 : -ENOMEM;
}

int kl_runtime_docker_new(uv_loop_t *loop, const struct kl_docker_opts *opts, struct kl_runtime **out)
{
	struct dk *d;
	struct cm_http_client_opts hopts = {.connect_timeout_ms = 3000};
	struct cm_buf root = CM_BUF_INIT;
	int rc = -ENOMEM;

	if (!loop || !opts->root_dir || !opts->node_name)
		return -EINVAL;
	if (!(d = calloc(1, sizeof(*d))))
		return -ENOMEM;
	d->loop = loop;
	d->host_only = opts->host_network_only;
	if ((rc = set_endpoint(d, opts->endpoint ? opts->endpoint : "unix:///var/run/docker.sock", &hopts)) < 0)
		goto fail;
	rc = -ENOMEM;
	if (cm_buf_printf(&root, "%s/pods", opts->root_dir) < 0 || !(d->root = cm_buf_take(&root)) ||
	    !(d->network = strdup(opts->network ? opts->network : "bridge")) || !(d->node = strdup(opts->node_name)) ||
	    !(d->infra = strdup(opts->infra_image ? opts->infra_image : "minik8s:latest")))
		goto fail;
	if ((rc = cm_mkdir_p(d->root, 0755)) < 0 || (rc = cm_http_client_new(loop, &hopts, &d->http)) < 0)
		goto fail;
	d->rt.ops = &docker_ops;
	d->rt.impl = d;
	uv_timer_init(loop, &d->timer);
	d->timer.data = d;
	if ((rc = dk_adopt(d)) < 0) {
		/* the cancelled calls end from the loop: let them, then free what they held */
		d_shutdown(&d->rt);
		while (!d->http_closed)
			uv_run(loop, UV_RUN_ONCE);
		uv_run(loop, UV_RUN_NOWAIT);
		d_free(&d->rt);
		return rc;
	}
	dk_events_start(d);
	uv_timer_start(&d->timer, dk_resync, RESYNC_MS, RESYNC_MS);
	*out = &d->rt;
	return 0;
fail:
	free(d->base);
	free(d->root);
	free(d->network);
	free(d->node);
	free(d->infra);
	free(d);
	return rc;
}
