/* gateway_watch.c: /v3/watch: one watcher per HTTP stream, events as {"result":...} lines. */
#include "etcdlite/member_internal.h"

#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "common/log.h"

/* A client that leaves this much unread is cut off; it re-watches from its last revision. */
#define SLOW_WATCHER_BYTES (16u << 20)

struct el_watch_stream {
	struct el_member *m;
	struct cm_http_req *req;
	int64_t watch_id;
	int64_t client_watch_id;
	bool progress;
	int64_t next_progress_ms;
	bool ended;
	struct sockaddr_storage peer; /* family AF_UNSPEC when unknown */
	struct el_watch_stream *prev, *next;
};

static bool same_host(const struct sockaddr_storage *a, const struct sockaddr_storage *b)
{
	if (a->ss_family != b->ss_family)
		return false;
	if (a->ss_family == AF_INET)
		return ((const struct sockaddr_in *)a)->sin_addr.s_addr == ((const struct sockaddr_in *)b)->sin_addr.s_addr;
	if (a->ss_family == AF_INET6)
		return !memcmp(&((const struct sockaddr_in6 *)a)->sin6_addr, &((const struct sockaddr_in6 *)b)->sin6_addr,
			       sizeof(struct in6_addr));
	return false;
}

/*
 * etcd bounds the gRPC streams of one client connection; over the JSON
 * gateway each watch is its own HTTP connection, so the bound is per client
 * address. Where gRPC would make the client wait for a free stream, an HTTP
 * client is told 429 and retries.
 */
static bool streams_exhausted(const struct el_member *m, const struct sockaddr_storage *peer)
{
	int64_t n = 0;

	if (peer->ss_family == AF_UNSPEC)
		return false;
	for (const struct el_watch_stream *w = m->watches; w; w = w->next)
		if (!w->ended && same_host(&w->peer, peer) && ++n >= m->cfg.max_concurrent_streams)
			return true;
	return false;
}

static void unlink_stream(struct el_member *m, struct el_watch_stream *ws)
{
	if (ws->prev)
		ws->prev->next = ws->next;
	else
		m->watches = ws->next;
	if (ws->next)
		ws->next->prev = ws->prev;
	ws->prev = ws->next = NULL;
}

/* Ends the stream and the watcher; ws is freed by the request's done callback. */
static void end_stream(struct el_watch_stream *ws)
{
	if (ws->ended)
		return;
	ws->ended = true;
	el_watch_cancel(ws->m->hub, ws->watch_id);
	cm_metric_set(ws->m->mx.watchers, (double)el_watch_hub_count(ws->m->hub));
	cm_http_stream_end(ws->req);
}

static void on_done(struct cm_http_req *req, void *ud)
{
	struct el_watch_stream *ws = ud;

	(void)req;
	if (!ws->ended) {
		el_watch_cancel(ws->m->hub, ws->watch_id);
		cm_metric_set(ws->m->mx.watchers, (double)el_watch_hub_count(ws->m->hub));
	}
	unlink_stream(ws->m, ws);
	free(ws);
}

static void write_line(struct el_watch_stream *ws, const struct el_watch_batch *b, bool created)
{
	struct el_member *m = ws->m;
	struct cm_buf out = CM_BUF_INIT;
	struct el_watch_batch line = *b;
	struct el_header h;

	el_member_header(m, &h);
	if (b->revision)
		h.revision = b->revision;
	/* etcd numbers watchers per stream from 0 unless the client chose the id, and each
	 * of our streams carries one. */
	line.watch_id = ws->client_watch_id;
	/* etcd's cancellation for a compacted revision carries no revision. */
	if (b->canceled)
		h.revision = 0;
	if (el_json_encode_watch(&h, &line, created, &out) == 0 &&
	    cm_http_stream_write(ws->req, out.data, out.len) == 0 &&
	    cm_http_stream_pending(ws->req) > SLOW_WATCHER_BYTES) {
		cm_warn("member %s: watch %" PRId64 ": client too slow (%zu bytes unread); closing",
			m->cfg.name, ws->watch_id, cm_http_stream_pending(ws->req));
		end_stream(ws);
	}
	cm_buf_close(&out);
}

static void on_batch(void *arg, const struct el_watch_batch *b)
{
	struct el_watch_stream *ws = arg;

	if (ws->ended)
		return;
	write_line(ws, b, false);
	if (b->canceled)
		end_stream(ws);
	else if (ws->progress)
		ws->next_progress_ms = el_now_ms() + ws->m->cfg.progress_notify_ms;
}

static void on_watch(struct cm_http_req *req, void *ud)
{
	struct el_member *m = ud;
	struct cm_buf err = CM_BUF_INIT;
	struct el_watch_stream *ws;
	struct el_watch_batch created = {0};
	struct el_jreq jr;
	size_t len;
	const char *body = cm_http_req_body(req, &len);
	int rc;

	struct sockaddr_storage peer = {.ss_family = AF_UNSPEC};

	memset(&jr, 0, sizeof(jr));
	if (cm_http_req_peer_addr(req, &peer) < 0)
		peer.ss_family = AF_UNSPEC;
	if (streams_exhausted(m, &peer)) {
		el_member_respond_error(req, -EBUSY, "etcdserver: too many requests");
		return;
	}
	rc = el_json_decode(EL_J_WATCH, len ? body : "{}", len ? len : 2, &jr, &err);
	if (!rc && jr.watch_cancel)
		rc = -EINVAL; /* nothing to cancel on a new stream */
	if (rc) {
		el_member_respond_error(req, rc, err.len ? err.data : NULL);
		goto out;
	}
	ws = calloc(1, sizeof(*ws));
	if (!ws) {
		el_member_respond_error(req, -ENOMEM, NULL);
		goto out;
	}
	ws->m = m;
	ws->req = req;
	ws->peer = peer;
	ws->progress = jr.watch_progress_notify;
	ws->client_watch_id = jr.watch_id;
	rc = el_watch_create(m->hub, &jr.watch, on_batch, ws, &ws->watch_id);
	if (rc) {
		free(ws);
		el_member_respond_error(req, rc, NULL);
		goto out;
	}
	ws->next = m->watches;
	if (m->watches)
		m->watches->prev = ws;
	m->watches = ws;
	cm_http_req_on_done(req, on_done, ws);
	cm_metric_set(m->mx.watchers, (double)el_watch_hub_count(m->hub));
	if (cm_http_stream_begin(req, 200, "application/json") == 0) {
		created.watch_id = ws->watch_id;
		write_line(ws, &created, true);
		ws->next_progress_ms = el_now_ms() + m->cfg.progress_notify_ms;
	}
	/* Catch-up from an old revision is delivered now, after "created". */
	el_watch_hub_sync(m->hub, 0);
out:
	el_jreq_close(&jr);
	cm_buf_close(&err);
}

void el_watch_streams_tick(struct el_member *m, int64_t now)
{
	for (struct el_watch_stream *ws = m->watches; ws; ws = ws->next) {
		struct el_watch_batch b = {0};

		if (!ws->progress || ws->ended || now < ws->next_progress_ms)
			continue;
		b.watch_id = ws->watch_id;
		b.revision = el_watch_hub_progress_revision(m->hub);
		write_line(ws, &b, false);
		ws->next_progress_ms = now + m->cfg.progress_notify_ms;
	}
}

void el_watch_streams_close(struct el_member *m)
{
	for (struct el_watch_stream *ws = m->watches; ws; ws = ws->next)
		end_stream(ws);
}

int el_gateway_watch_routes(struct el_member *m, struct cm_http_server *s)
{
	return el_gateway_route(m, s, "POST", "/v3/watch", on_watch);
}
