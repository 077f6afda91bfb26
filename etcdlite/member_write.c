/* member_write.c: proposals (local or forwarded to the leader), their answers at apply, timeouts. */
#include "etcdlite/member_internal.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "common/log.h"

/* Bytes of forwarded payloads sent to the leader in one request. */
#define EL_FWD_BATCH_MAX (1024 * 1024)

static void put_u64(unsigned char *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

static uint64_t get_u64(const unsigned char *p)
{
	uint64_t v = 0;

	for (int i = 0; i < 8; i++)
		v |= (uint64_t)p[i] << (8 * i);
	return v;
}

static int make_payload(struct el_member *m, uint64_t id, const struct el_request *r,
			struct cm_buf *out)
{
	unsigned char hdr[EL_PAYLOAD_HEADER];
	int rc;

	put_u64(hdr, m->cfg.id);
	put_u64(hdr + 8, id);
	/* etcd's bound, on its encoding of the request, so the same writes pass. */
	if (el_request_raft_pb_size(r, m->cfg.id) > (size_t)m->cfg.max_request_bytes)
		return -CM_ETOOLARGE;
	if ((rc = cm_buf_append(out, hdr, sizeof(hdr))) || (rc = el_request_encode(r, out)))
		return rc;
	/* Ours is as compact; this only guards Raft's bound on an entry. */
	if (out->len > el_member_max_entry(&m->cfg))
		return -CM_ETOOLARGE;
	return 0;
}

/* The pending table: a hash by id plus a list by age (deadlines are in age order). */

static struct el_pending **bucket(struct el_member *m, uint64_t id)
{
	return &m->buckets[id % EL_PENDING_BUCKETS];
}

static struct el_pending *pending_find(struct el_member *m, uint64_t id)
{
	struct el_pending *p = *bucket(m, id);

	while (p && p->id != id)
		p = p->hnext;
	return p;
}

static void pending_remove(struct el_member *m, struct el_pending *p)
{
	struct el_pending **pp = bucket(m, p->id);

	while (*pp != p)
		pp = &(*pp)->hnext;
	*pp = p->hnext;
	if (p->prev)
		p->prev->next = p->next;
	else
		m->oldest = p->next;
	if (p->next)
		p->next->prev = p->prev;
	else
		m->newest = p->prev;
	m->npending--;
	if (p->req)
		cm_http_req_on_done(p->req, NULL, NULL);
	cm_buf_close(&p->payload);
	free(p);
}

static void on_client_gone(struct cm_http_req *req, void *ud)
{
	struct el_pending *p = ud;

	(void)req;
	p->req = NULL; /* the entry still commits; nobody is told */
}

/* Hands p's payload to Raft (leader) or to the leader; keeps it for later without one. */
static void submit(struct el_member *m, struct el_pending *p)
{
	int rc;

	if (!m->leader || p->proposed)
		return;
	if (m->leader != m->cfg.id) {
		/* Forwards made in one loop pass share one request to the leader. */
		unsigned char len[4];
		/* A batch stays under the peer listener's body limit, one request
		 * (at most --max-request-bytes) goes alone if it must. */
		if (m->fwd.len && (m->fwd_leader != m->leader ||
				   m->fwd.len + 4 + p->payload.len > EL_FWD_BATCH_MAX))
			el_member_flush_forwards(m);
		for (int i = 0; i < 4; i++)
			len[i] = (unsigned char)(p->payload.len >> (8 * i));
		if (cm_buf_append(&m->fwd, len, 4) == 0 &&
		    cm_buf_append(&m->fwd, p->payload.data, p->payload.len) == 0) {
			p->proposed = true;
			m->fwd_leader = m->leader;
			el_member_kick(m);
		}
		return;
	}
	rc = el_member_propose_payload(m, p->payload.data, p->payload.len);
	if (rc == 0) {
		p->proposed = true;
	} else if (rc != -CM_ENOTLEADER) {
		/* Raft refused it for good: the client hears why now, not at its deadline. */
		cm_warn("member %s: propose request %" PRIu64 ": %s", m->cfg.name, p->id,
			cm_strerror(rc));
		cm_metric_inc(m->mx.proposals_failed);
		if (p->req) {
			cm_http_req_on_done(p->req, NULL, NULL);
			el_member_respond_error(p->req, rc, NULL);
			p->req = NULL;
		}
		pending_remove(m, p);
	}
}

void el_member_propose(struct el_member *m, struct cm_http_req *req, const struct el_request *r)
{
	struct el_pending *p = calloc(1, sizeof(*p));
	int rc;

	if (!p) {
		el_member_respond_error(req, -ENOMEM, NULL);
		return;
	}
	p->m = m;
	p->id = m->next_req_id++;
	p->req = req;
	p->deadline_ms = el_now_ms() + m->cfg.request_timeout_ms;
	rc = make_payload(m, p->id, r, &p->payload);
	if (rc) {
		cm_buf_close(&p->payload);
		free(p);
		el_member_respond_error(req, rc, NULL);
		return;
	}
	p->hnext = *bucket(m, p->id);
	*bucket(m, p->id) = p;
	p->prev = m->newest;
	if (m->newest)
		m->newest->next = p;
	else
		m->oldest = p;
	m->newest = p;
	m->npending++;
	cm_http_req_on_done(req, on_client_gone, p);
	submit(m, p);
}

int el_member_propose_internal(struct el_member *m, const struct el_request *r)
{
	struct cm_buf payload = CM_BUF_INIT;
	int rc = make_payload(m, 0, r, &payload);

	if (!rc)
		rc = el_member_propose_payload(m, payload.data, payload.len);
	cm_buf_close(&payload);
	return rc;
}

int el_member_propose_payload(struct el_member *m, const void *data, size_t len)
{
	struct el_input *in;
	int rc;

	if (m->leader != m->cfg.id)
		return -CM_ENOTLEADER;
	if (!m->busy) {
		rc = raft_propose(m->raft, data, len, NULL, NULL);
		if (rc == 0)
			el_member_kick(m);
		return rc;
	}
	/* Raft is not to be called until the Ready in flight is durable: queue it. */
	in = calloc(1, sizeof(*in));
	if (!in)
		return -ENOMEM;
	in->type = EL_IN_PROPOSE;
	if (cm_buf_append(&in->data, data, len)) {
		free(in);
		return -ENOMEM;
	}
	el_member_input(m, in);
	return 0;
}

void el_member_flush_forwards(struct el_member *m)
{
	if (!m->fwd.len)
		return;
	/* Lost, the batch times out at this member, like a lost single forward. */
	if (el_transport_forward(m, m->fwd_leader, &m->fwd))
		cm_debug(1, "member %s: forward to the leader failed", m->cfg.name);
	cm_buf_reset(&m->fwd);
}

int el_member_propose_batch(struct el_member *m, const void *data, size_t len)
{
	const unsigned char *p = data;
	int rc = 0;

	while (len >= 4 && rc == 0) {
		size_t n = (size_t)p[0] | (size_t)p[1] << 8 | (size_t)p[2] << 16 | (size_t)p[3] << 24;
		if (n > len - 4)
			return -EINVAL;
		rc = el_member_propose_payload(m, p + 4, n);
		p += 4 + n;
		len -= 4 + n;
	}
	return rc ? rc : len ? -EINVAL : 0;
}

void el_member_flush_proposals(struct el_member *m)
{
	for (struct el_pending *p = m->oldest, *next; p; p = next) {
		next = p->next; /* submit may drop p */
		if (!p->proposed)
			submit(m, p);
	}
}

static void answer(struct el_member *m, struct el_pending *p, int rc, const struct el_response *resp,
		   uint64_t term)
{
	struct cm_buf out = CM_BUF_INIT;
	struct el_header h = {m->cfg.cluster_id, m->cfg.id, resp->revision, term};

	if (!p->req)
		return;
	if (rc) {
		cm_http_req_on_done(p->req, NULL, NULL);
		el_member_respond_error(p->req, rc, NULL);
		p->req = NULL;
		return;
	}
	if (el_json_encode_response(&h, resp, &out) == 0) {
		cm_http_req_on_done(p->req, NULL, NULL);
		cm_http_respond_buf(p->req, 200, "application/json", &out);
		p->req = NULL;
	}
	cm_buf_close(&out);
}

void el_member_apply(struct el_member *m, const struct raft_entry *ents, size_t n)
{
	int64_t now = el_now_ms();

	for (size_t i = 0; i < n; i++) {
		const struct raft_entry *e = &ents[i];
		struct el_request req;
		struct el_response resp;
		uint64_t origin, id;
		int rc;

		m->applied_index = e->index;
		m->applied_term = e->term;
		if (e->len < EL_PAYLOAD_HEADER)
			continue; /* a new leader's no-op */
		origin = get_u64(e->data);
		id = get_u64(e->data + 8);
		rc = el_request_decode(e->data + EL_PAYLOAD_HEADER, e->len - EL_PAYLOAD_HEADER, &req);
		if (rc) {
			/* Every member decodes the same bytes the same way: skipping keeps them equal. */
			cm_error("member %s: entry %" PRIu64 " does not decode: %s; skipped", m->cfg.name,
				 e->index, cm_strerror(rc));
			continue;
		}
		el_response_init(&resp);
		rc = el_store_apply(m->store, &req, now, &resp);
		if (rc == -ENOMEM) {
			el_response_close(&resp);
			el_request_close(&req);
			cm_error("member %s: out of memory applying entry %" PRIu64, m->cfg.name, e->index);
			m->failed = true;
			uv_stop(m->loop);
			return;
		}
		cm_metric_inc(m->mx.proposals_committed);
		if (origin == m->cfg.id && id) {
			struct el_pending *p = pending_find(m, id);
			if (p) {
				answer(m, p, rc, &resp, e->term);
				pending_remove(m, p);
			}
		}
		el_response_close(&resp);
		el_request_close(&req);
	}
	el_watch_hub_sync(m->hub, 0);
}

void el_member_pending_sweep(struct el_member *m, int64_t now)
{
	while (m->oldest && m->oldest->deadline_ms <= now) {
		struct el_pending *p = m->oldest;

		cm_metric_inc(m->mx.proposals_failed);
		if (p->req) {
			cm_http_req_on_done(p->req, NULL, NULL);
			el_member_respond_error(p->req, -ETIMEDOUT,
						m->leader ? "etcdserver: request timed out"
							  : "etcdserver: no leader");
			p->req = NULL;
		}
		pending_remove(m, p);
	}
}

void el_member_pending_fail_all(struct el_member *m, int err)
{
	while (m->oldest) {
		struct el_pending *p = m->oldest;
		if (p->req) {
			cm_http_req_on_done(p->req, NULL, NULL);
			el_member_respond_error(p->req, err, NULL);
			p->req = NULL;
		}
		pending_remove(m, p);
	}
}
