/* transport.c: Raft messages between members over HTTP on the peer port, batched and pipelined. */
#include "etcdlite/member_internal.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "common/log.h"
#include "etcdlite/raft/codec.h"

#define HDR_CLIENT_URLS "X-Etcdlite-Client-Urls"
#define PEER_TIMEOUT_MS 3000
#define SNAPSHOT_TIMEOUT_MS 60000

struct el_peer *el_member_peer(struct el_member *m, uint64_t id)
{
	for (size_t i = 0; i < m->n_peers; i++)
		if (m->peers[i].id == id)
			return &m->peers[i];
	return NULL;
}

int el_transport_init(struct el_member *m)
{
	/* Towards peers this member presents its peer certificate and trusts the peer CA, as etcd does. */
	const struct el_tls_conf *t = &m->cfg.peer_tls;
	struct cm_http_client_opts o = {.ca_file = t->trusted_ca_file, .cert_file = t->cert_file,
					.key_file = t->key_file};
	int rc = cm_http_client_new(m->loop, &o, &m->http);

	if (rc)
		return rc;
	for (size_t i = 0; i < m->cfg.n_members; i++) {
		struct el_peer *p = &m->peers[m->n_peers++];
		memset(p, 0, sizeof(*p));
		p->m = m;
		p->id = m->cfg.members[i].id;
		snprintf(p->name, sizeof(p->name), "%s", m->cfg.members[i].name);
		snprintf(p->url, sizeof(p->url), "%s", m->cfg.members[i].peer_url);
		if (p->id == m->cfg.id)
			snprintf(p->client_urls, sizeof(p->client_urls), "%s",
				 m->cfg.advertise_client_urls);
	}
	return 0;
}

static void free_bodies(struct el_peer *p)
{
	while (p->head) {
		struct el_peer_body *b = p->head;
		p->head = b->next;
		cm_buf_close(&b->body);
		free(b);
	}
	p->tail = NULL;
	p->nqueued = 0;
}

static void on_client_closed(void *ud)
{
	struct el_member *m = ud;

	el_member_closed_one(m);
}

void el_transport_close(struct el_member *m)
{
	for (size_t i = 0; i < m->n_peers; i++)
		free_bodies(&m->peers[i]);
	if (m->http) {
		if (m->stopping)
			cm_http_client_close(m->http, on_client_closed, m);
		else
			cm_http_client_close(m->http, NULL, NULL);
		m->http = NULL;
	}
}

static int queue_input(struct el_member *m, enum el_input_type type, uint64_t peer, bool ok)
{
	struct el_input *in = calloc(1, sizeof(*in));

	if (!in)
		return -ENOMEM;
	in->type = type;
	in->peer = peer;
	in->ok = ok;
	el_member_input(m, in);
	return 0;
}

static void pump(struct el_peer *p);

struct sent {
	struct el_peer *peer;
	bool snapshot;
};

static void on_sent(const struct cm_http_response *resp, void *ud)
{
	struct sent *s = ud;
	struct el_peer *p = s->peer;
	struct el_member *m = p->m;
	bool ok = resp->err == 0 && resp->status == 204;

	p->inflight--;
	if (resp->err == -ECANCELED || m->stopping) {
		free(s);
		return;
	}
	if (!ok) {
		/* A peer that is down is routine; one that refuses our bytes is not. */
		if (resp->err == 0)
			cm_warn("member %s: %s refused raft messages: status %ld %.*s", m->cfg.name,
				p->name, resp->status, (int)(resp->len > 200 ? 200 : resp->len), resp->body);
		else
			cm_debug(2, "member %s: send to %s: %s", m->cfg.name, p->name,
				 cm_strerror(resp->err));
		queue_input(m, EL_IN_UNREACHABLE, p->id, false);
	}
	if (s->snapshot)
		queue_input(m, EL_IN_SNAP_REPORT, p->id, ok);
	free(s);
	pump(p);
}

static void pump(struct el_peer *p)
{
	struct el_member *m = p->m;
	char url[300];
	char hdr[600];
	const char *headers[] = {hdr, NULL};

	snprintf(url, sizeof(url), "%s/raft/msgs", p->url);
	snprintf(hdr, sizeof(hdr), HDR_CLIENT_URLS ": %s", m->cfg.advertise_client_urls);
	while (p->head && p->inflight < EL_PEER_MAX_INFLIGHT && m->http) {
		struct el_peer_body *b = p->head;
		struct cm_http_request rq = {0};
		struct sent *s = malloc(sizeof(*s));

		if (!s)
			return;
		p->head = b->next;
		if (!p->head)
			p->tail = NULL;
		p->nqueued--;
		s->peer = p;
		s->snapshot = b->snapshot;
		rq.method = "POST";
		rq.url = url;
		rq.content_type = "application/octet-stream";
		rq.body = b->body.data;
		rq.body_len = b->body.len;
		rq.timeout_ms = b->snapshot ? SNAPSHOT_TIMEOUT_MS : PEER_TIMEOUT_MS;
		rq.headers = headers;
		if (cm_http_client_send(m->http, &rq, on_sent, s, NULL) == 0)
			p->inflight++;
		else
			free(s);
		cm_buf_close(&b->body);
		free(b);
	}
}

static void enqueue(struct el_peer *p, struct el_peer_body *b)
{
	/* A peer that does not keep up loses old batches: Raft retransmits what matters. */
	if (p->nqueued >= EL_PEER_MAX_QUEUED && p->head) {
		struct el_peer_body *old = p->head;
		p->head = old->next;
		if (!p->head)
			p->tail = NULL;
		p->nqueued--;
		cm_buf_close(&old->body);
		free(old);
	}
	b->next = NULL;
	if (p->tail)
		p->tail->next = b;
	else
		p->head = b;
	p->tail = b;
	p->nqueued++;
}

/* Queues one body holding msgs[0..n) (one codec header: the receiver decodes a batch whole). */
static int enqueue_batch(struct el_peer *p, const struct raft_msg *msgs, size_t n, bool snapshot)
{
	struct el_peer_body *b = calloc(1, sizeof(*b));

	if (!b)
		return -ENOMEM;
	b->snapshot = snapshot;
	if (raft_codec_encode(msgs, n, &b->body)) {
		cm_buf_close(&b->body);
		free(b);
		return -ENOMEM;
	}
	enqueue(p, b);
	return 0;
}

void el_transport_send(struct el_member *m, const struct raft_msg *msgs, size_t n)
{
	struct raft_msg *batch = n ? malloc(n * sizeof(*batch)) : NULL;

	if (n && !batch)
		return; /* lost like a dropped packet: Raft retransmits */
	for (size_t pi = 0; pi < m->n_peers; pi++) {
		struct el_peer *p = &m->peers[pi];
		size_t k = 0;

		if (p->id == m->cfg.id)
			continue;
		for (size_t i = 0; i < n; i++) {
			struct raft_msg msg;

			if (msgs[i].to != p->id)
				continue;
			msg = msgs[i];
			if (msg.type != RAFT_MSG_SNAPSHOT) {
				batch[k++] = msg;
				continue;
			}
			/* Snapshots travel alone, in order, with the bytes Raft leaves to us. */
			if (msg.snapshot.index != m->snap_index) {
				cm_warn("member %s: raft wants snapshot %" PRIu64 " but %" PRIu64
					" is held", m->cfg.name, msg.snapshot.index, m->snap_index);
				queue_input(m, EL_IN_SNAP_REPORT, p->id, false);
				continue;
			}
			msg.snap_data = (const uint8_t *)m->snap.data;
			msg.snap_len = m->snap.len;
			if (k)
				enqueue_batch(p, batch, k, false);
			k = 0;
			enqueue_batch(p, &msg, 1, true);
		}
		if (k)
			enqueue_batch(p, batch, k, false);
		pump(p);
	}
	free(batch);
}

/* Receiving ------------------------------------------------------------------ */

static void note_client_urls(struct el_member *m, struct cm_http_req *req, uint64_t from)
{
	const char *urls = cm_http_req_header(req, HDR_CLIENT_URLS);
	struct el_peer *p = el_member_peer(m, from);

	if (urls && p && strcmp(p->client_urls, urls) != 0)
		snprintf(p->client_urls, sizeof(p->client_urls), "%s", urls);
}

static void on_msgs(struct cm_http_req *req, void *ud)
{
	struct el_member *m = ud;
	struct el_input *in;
	size_t len;
	const char *body = cm_http_req_body(req, &len);
	int rc;

	if (m->stopping) {
		cm_http_respond_error(req, 503, "stopping");
		return;
	}
	in = calloc(1, sizeof(*in));
	if (!in) {
		cm_http_respond_error(req, 500, "out of memory");
		return;
	}
	in->type = EL_IN_MSGS;
	rc = raft_codec_decode((const uint8_t *)body, len, &in->msgs, &in->n);
	if (rc) {
		free(in);
		cm_http_respond_error(req, 400, "malformed raft messages");
		return;
	}
	if (in->n)
		note_client_urls(m, req, in->msgs[0].from);
	el_member_input(m, in);
	cm_http_respond(req, 204, NULL, NULL, 0);
}

static void on_propose(struct cm_http_req *req, void *ud)
{
	struct el_member *m = ud;
	size_t len;
	const char *body = cm_http_req_body(req, &len);
	int rc = el_member_propose_batch(m, body, len);

	if (rc == 0)
		cm_http_respond(req, 204, NULL, NULL, 0);
	else
		cm_http_respond_error(req, rc == -CM_ENOTLEADER ? 503 : 500, cm_strerror(rc));
}

int el_transport_routes(struct el_member *m)
{
	int rc = cm_http_server_route(m->peer_srv, "POST", "/raft/msgs", on_msgs, m);

	return rc ? rc : cm_http_server_route(m->peer_srv, "POST", "/raft/propose", on_propose, m);
}

/* Forwarding to the leader ---------------------------------------------------- */

static void on_forwarded(const struct cm_http_response *resp, void *ud)
{
	(void)ud;
	/* A lost forward times out at the proposer; a retry could apply a write twice. */
	if (resp->err || resp->status != 204)
		cm_debug(1, "forward to leader: %s (status %ld)", cm_strerror(resp->err), resp->status);
}

int el_transport_forward(struct el_member *m, uint64_t leader, const struct cm_buf *payload)
{
	struct el_peer *p = el_member_peer(m, leader);
	struct cm_http_request rq = {0};
	char url[300];

	if (!p || !m->http)
		return -CM_ENOTLEADER;
	snprintf(url, sizeof(url), "%s/raft/propose", p->url);
	rq.method = "POST";
	rq.url = url;
	rq.content_type = "application/octet-stream";
	rq.body = payload->data;
	rq.body_len = payload->len;
	rq.timeout_ms = m->cfg.request_timeout_ms;
	return cm_http_client_send(m->http, &rq, on_forwarded, NULL, NULL);
}

struct proxy {
	struct cm_http_req *req;
	struct cm_http_call *call;
};

static void on_proxy_client_gone(struct cm_http_req *req, void *ud)
{
	struct proxy *px = ud;

	(void)req;
	px->req = NULL;
	cm_http_call_cancel(px->call);
}

static void on_proxied(const struct cm_http_response *resp, void *ud)
{
	struct proxy *px = ud;

	if (px->req) {
		cm_http_req_on_done(px->req, NULL, NULL);
		if (resp->err)
			el_member_respond_error(px->req, -ETIMEDOUT, "etcdserver: leader unreachable");
		else
			cm_http_respond(px->req, (int)resp->status,
					resp->content_type ? resp->content_type : "application/json",
					resp->body, resp->len);
	}
	free(px);
}

void el_transport_proxy(struct el_member *m, struct cm_http_req *req)
{
	struct el_peer *p = el_member_peer(m, m->leader);
	struct cm_http_request rq = {0};
	struct proxy *px;
	char url[600];
	size_t len;

	if (!p || !m->http) {
		el_member_respond_error(req, -ETIMEDOUT, "etcdserver: no leader");
		return;
	}
	px = calloc(1, sizeof(*px));
	if (!px) {
		el_member_respond_error(req, -ENOMEM, NULL);
		return;
	}
	snprintf(url, sizeof(url), "%s%s", p->url, cm_http_req_path(req));
	rq.method = cm_http_req_method(req);
	rq.url = url;
	rq.content_type = "application/json";
	rq.body = cm_http_req_body(req, &len);
	rq.body_len = len;
	rq.timeout_ms = m->cfg.request_timeout_ms;
	px->req = req;
	if (cm_http_client_send(m->http, &rq, on_proxied, px, &px->call)) {
		free(px);
		el_member_respond_error(req, -ENOMEM, NULL);
		return;
	}
	cm_http_req_on_done(req, on_proxy_client_gone, px);
}
