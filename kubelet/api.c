/* api.c: the kubelet's own HTTP API: /pods, /containerLogs (tail, timestamps, follow); /healthz and /metrics come with the server. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/json.h"
#include "common/log.h"
#include "kubelet/runtime/crilog.h"
#include "kubelet/worker.h"

static void handle_pods(struct cm_http_req *req, void *ud)
{
	struct kl_server *s = ud;
	cJSON *list = cJSON_CreateObject(), *items;

	cJSON_AddStringToObject(list, "kind", "PodList");
	cJSON_AddStringToObject(list, "apiVersion", "v1");
	cJSON_AddObjectToObject(list, "metadata");
	items = cJSON_AddArrayToObject(list, "items");
	for (struct kl_pod_worker *w = s->workers; w; w = w->next)
		cJSON_AddItemToArray(items, cJSON_Duplicate(kl_worker_pod(w), 1));
	cm_http_respond_json(req, 200, list);
	cJSON_Delete(list);
}

/* A follow stream: the log file read from offset as it grows. */
struct follow {
	struct kl_server *s;
	struct cm_http_req *req;
	uv_timer_t timer;
	char *path;
	off_t offset;
	bool timestamps;
	struct cm_buf partial; /* bytes after the last newline, kept for the next read */
};

static void follow_closed(uv_handle_t *h)
{
	struct follow *f = h->data;

	free(f->path);
	cm_buf_close(&f->partial);
	free(f);
}

static void follow_done(struct cm_http_req *req, void *ud)
{
	struct follow *f = ud;

	(void)req;
	f->req = NULL;
	uv_close((uv_handle_t *)&f->timer, follow_closed);
}

/* Sends what the file gained since the last read, whole records only. */
static void follow_tick(uv_timer_t *t)
{
	struct follow *f = t->data;
	char chunk[16384];
	struct cm_buf out = CM_BUF_INIT;
	ssize_t n;
	int fd;

	if (!f->req || f->s->stopping) {
		if (f->req)
			cm_http_stream_end(f->req);
		return;
	}
	if (cm_http_stream_pending(f->req) > (1 << 20))
		return; /* a slow reader: wait instead of buffering */
	if ((fd = open(f->path, O_RDONLY | O_CLOEXEC)) < 0)
		return;
	while ((n = pread(fd, chunk, sizeof(chunk), f->offset)) > 0) {
		f->offset += n;
		cm_buf_append(&f->partial, chunk, (size_t)n);
	}
	close(fd);
	if (f->partial.len) {
		char *last = memrchr(f->partial.data, '\n', f->partial.len);

		if (last) {
			size_t whole = (size_t)(last - f->partial.data) + 1;

			kl_crilog_render(f->partial.data, whole, f->timestamps, -1, &out);
			cm_buf_consume(&f->partial, whole);
			if (out.len)
				cm_http_stream_write(f->req, out.data, out.len);
		}
	}
	cm_buf_close(&out);
}

static void handle_logs(struct cm_http_req *req, void *ud)
{
	struct kl_server *s = ud;
	const char *ns = cm_http_req_param(req, "ns"), *pod = cm_http_req_param(req, "pod");
	const char *ctr = cm_http_req_param(req, "container");
	const char *tail = cm_http_req_query(req, "tailLines"), *ts = cm_http_req_query(req, "timestamps");
	const char *follow = cm_http_req_query(req, "follow"), *prev = cm_http_req_query(req, "previous");
	struct kl_pod_worker *w = kl_worker_find(s, ns, pod);
	bool previous = prev && !strcmp(prev, "true");
	struct cm_buf path = CM_BUF_INIT, text = CM_BUF_INIT, out = CM_BUF_INIT;
	bool timestamps = ts && !strcmp(ts, "true");
	char chunk[16384];
	ssize_t n;
	int fd, found = w ? kl_worker_log_path(w, ctr, previous, &path) : -ENOENT;

	if (found == -ESRCH) {
		/* the container runs its first attempt (or its previous log is gone): Kubernetes' own wording, as a 400 */
		cm_buf_printf(&text, "previous terminated container \"%s\" in pod \"%s\" not found", ctr, pod);
		cm_http_respond_error(req, 400, text.data ? text.data : "previous terminated container not found");
		goto out;
	}
	if (found < 0) {
		cm_http_respond_error(req, 404, "no such pod or container on this node");
		goto out;
	}
	if ((fd = open(path.data, O_RDONLY | O_CLOEXEC)) >= 0) {
		while ((n = read(fd, chunk, sizeof(chunk))) > 0)
			cm_buf_append(&text, chunk, (size_t)n);
		close(fd);
	}
	kl_crilog_render(text.data ? text.data : "", text.len, timestamps, tail ? atol(tail) : -1, &out);
	if (follow && !strcmp(follow, "true")) {
		struct follow *f = calloc(1, sizeof(*f));

		if (!f || cm_http_stream_begin(req, 200, "text/plain") < 0) {
			free(f);
			cm_http_respond_error(req, 500, "out of memory");
			goto out;
		}
		f->s = s;
		f->req = req;
		f->path = cm_buf_take(&path);
		f->offset = (off_t)text.len;
		f->timestamps = timestamps;
		cm_buf_init(&f->partial);
		/* a last record without its newline yet is sent once it is whole */
		if (text.len && text.data[text.len - 1] != '\n') {
			char *nl = memrchr(text.data, '\n', text.len);

			f->offset = nl ? (off_t)(nl - text.data + 1) : 0;
		}
		uv_timer_init(s->loop, &f->timer);
		f->timer.data = f;
		cm_http_req_on_done(req, follow_done, f);
		if (out.len)
			cm_http_stream_write(req, out.data, out.len);
		uv_timer_start(&f->timer, follow_tick, 100, 100);
		goto out;
	}
	cm_http_respond_buf(req, 200, "text/plain", &out);
out:
	cm_buf_close(&path);
	cm_buf_close(&text);
	cm_buf_close(&out);
}

/*
 * The identity kube-apiserver presents to kubelets (kubeadm's CN for
 * --kubelet-client-certificate). Kubernetes' kubelet asks the apiserver
 * (SubjectAccessReview, --authorization-mode=Webhook) whether a caller may get
 * nodes/proxy, and kubeadm's RBAC grants that to this user and to
 * system:masters; here the decision is made locally for exactly those two,
 * so the kubelet needs no call back to the apiserver per request.
 */
#define APISERVER_KUBELET_CLIENT "kube-apiserver-kubelet-client"

static bool allowed(const struct cm_http_peer_identity *id)
{
	if (!id)
		return false;
	if (!strcmp(id->common_name, APISERVER_KUBELET_CLIENT))
		return true;
	for (size_t i = 0; i < id->n_organizations; i++)
		if (!strcmp(id->organizations[i], "system:masters"))
			return true;
	return false;
}

int kl_api_gate(struct cm_http_req *req, void *ud)
{
	struct kl_server *s = ud;
	const struct cm_http_peer_identity *id = cm_http_req_peer_identity(req);
	struct cm_buf msg = CM_BUF_INIT;

	if (id && !*id->common_name)
		id = NULL; /* a certificate without a CN names nobody */
	/* liveness, as the kubelet's separate healthz port: no credentials needed */
	if (!strcmp(cm_http_req_path(req), "/healthz"))
		return 0;
	if (!id && !s->cfg.anonymous_auth) {
		cm_http_respond(req, 401, "text/plain", "Unauthorized", 12);
		return 1;
	}
	if (!s->cfg.authz_webhook || allowed(id))
		return 0;
	/* the kubelet's own words for a refusal (everything here is nodes/proxy in Kubernetes' terms) */
	if (cm_buf_printf(&msg, "Forbidden (user=%s, verb=%s, resource=nodes, subresource=proxy)",
			  id ? id->common_name : "system:anonymous", strcmp(cm_http_req_method(req), "GET") ? "create" : "get") < 0)
		cm_http_respond(req, 403, "text/plain", "Forbidden", 9);
	else
		cm_http_respond_buf(req, 403, "text/plain", &msg);
	cm_buf_close(&msg);
	return 1;
}

int kl_api_routes(struct kl_server *s)
{
	int rc;

	if ((rc = cm_http_server_route(s->api, "GET", "/pods", handle_pods, s)) < 0 ||
	    (rc = cm_http_server_route(s->api, "GET", "/containerLogs/{ns}/{pod}/{container}", handle_logs, s)) < 0 ||
	    (rc = kl_exec_routes(s)) < 0)
		return rc;
	return 0;
}
