/* member_read.c: reads, linearizable through Raft's ReadIndex (batched), or serializable at once. */
#include "etcdlite/member_internal.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "common/log.h"

/* Raft itself sends a round again every half election timeout. */
#define READ_ASK_AGAIN_ELECTIONS 3

static void unlink_read(struct el_member *m, struct el_read *r)
{
	if (r->prev)
		r->prev->next = r->next;
	else
		m->reads_head = r->next;
	if (r->next)
		r->next->prev = r->prev;
	else
		m->reads_tail = r->prev;
}

static void free_read(struct el_read *r)
{
	if (r->req)
		cm_http_req_on_done(r->req, NULL, NULL);
	el_jreq_close(&r->jr);
	free(r);
}

static void serve(struct el_member *m, struct cm_http_req *req, const struct el_request *rq)
{
	struct el_response resp;
	struct el_header h;
	struct cm_buf out = CM_BUF_INIT;
	int rc;

	el_response_init(&resp);
	rc = el_store_apply(m->store, rq, el_now_ms(), &resp);
	el_member_header(m, &h);
	if (rc)
		el_member_respond_error(req, rc, NULL);
	else if ((rc = el_json_encode_response(&h, &resp, &out)))
		el_member_respond_error(req, rc, NULL);
	else
		cm_http_respond_buf(req, 200, "application/json", &out);
	cm_buf_close(&out);
	el_response_close(&resp);
}

static void on_client_gone(struct cm_http_req *req, void *ud)
{
	struct el_read *r = ud;

	(void)req;
	r->req = NULL;
}

void el_member_read(struct el_member *m, struct cm_http_req *req, struct el_jreq *jr)
{
	struct el_read *r;

	if (jr->req.type == EL_REQ_RANGE && jr->req.u.range.serializable) {
		serve(m, req, &jr->req);
		el_jreq_close(jr);
		return;
	}
	r = calloc(1, sizeof(*r));
	if (!r) {
		el_jreq_close(jr);
		el_member_respond_error(req, -ENOMEM, NULL);
		return;
	}
	r->m = m;
	r->req = req;
	r->jr = *jr; /* moved: the arena now belongs to r */
	memset(jr, 0, sizeof(*jr));
	r->deadline_ms = el_now_ms() + m->cfg.request_timeout_ms;
	r->prev = m->reads_tail;
	if (m->reads_tail)
		m->reads_tail->next = r;
	else
		m->reads_head = r;
	m->reads_tail = r;
	cm_http_req_on_done(req, on_client_gone, r);
	el_member_kick(m);
}

/* One read-index round at a time; reads that arrive meanwhile share the next one. */
void el_member_reads_ask(struct el_member *m)
{
	uint64_t ctx;
	bool waiting = false;

	if (m->read_ctx_asked)
		return;
	waiting = m->read_ask_again && m->reads_head;
	for (struct el_read *r = m->reads_tail; r && !waiting; r = r->prev)
		waiting = r->batch == 0;
	if (!waiting || !m->leader)
		return;
	ctx = m->next_read_ctx++;
	if (raft_read_index(m->raft, ctx))
		return;
	for (struct el_read *r = m->reads_head; r; r = r->next)
		if (r->batch == 0)
			r->batch = ctx;
	m->read_ctx_asked = ctx;
	m->read_ask_again = false;
	m->read_asked_ms = el_now_ms();
	cm_debug(2, "member %s: read index round %" PRIx64 " asked", m->cfg.name, ctx);
}

void el_member_reads_ready(struct el_member *m, const struct raft_read_state *rs, size_t n)
{
	uint64_t upto = 0;

	for (size_t i = 0; i < n; i++)
		if (rs[i].ctx > upto)
			upto = rs[i].ctx;
	cm_debug(2, "member %s: read index rounds up to %" PRIx64 " confirmed", m->cfg.name, upto);
	/* Applied >= the read index here: a round confirms every read batched in
	 * it or in an earlier round (all of them arrived before it was asked). */
	for (struct el_read *r = m->reads_head, *next; r; r = next) {
		next = r->next;
		if (r->batch == 0 || r->batch > upto)
			continue;
		unlink_read(m, r);
		if (r->req) {
			cm_http_req_on_done(r->req, NULL, NULL);
			serve(m, r->req, &r->jr.req);
			r->req = NULL;
		}
		free_read(r);
	}
	if (m->read_ctx_asked && m->read_ctx_asked <= upto)
		m->read_ctx_asked = 0;
	el_member_kick(m);
}

void el_member_reads_sweep(struct el_member *m, int64_t now)
{
	for (struct el_read *r = m->reads_head, *next; r; r = next) {
		next = r->next;
		if (r->deadline_ms > now && r->req)
			continue;
		unlink_read(m, r);
		if (r->req) {
			cm_http_req_on_done(r->req, NULL, NULL);
			el_member_respond_error(r->req, -ETIMEDOUT,
						m->leader ? "etcdserver: request timed out"
							  : "etcdserver: no leader");
			r->req = NULL;
		}
		free_read(r);
	}
	/*
	 * Raft sends an unanswered round to the leader again by itself; a round
	 * still open after that (Raft gave it up, or this member's leader
	 * changed under it) is asked anew. The reads keep their round: the
	 * answer to either serves them. (Moving them to the new round, as this
	 * did, threw away every answer slower than the retry interval, and reads
	 * through a lagging follower starved: the compose chaos run.)
	 */
	if (m->read_ctx_asked && now - m->read_asked_ms > READ_ASK_AGAIN_ELECTIONS * m->cfg.election_ms) {
		cm_warn("member %s: read index round %" PRIx64 " unanswered; asking again", m->cfg.name,
			m->read_ctx_asked);
		m->read_ctx_asked = 0;
		m->read_ask_again = true;
		el_member_kick(m);
	}
}

void el_member_reads_fail_all(struct el_member *m, int err)
{
	while (m->reads_head) {
		struct el_read *r = m->reads_head;
		unlink_read(m, r);
		if (r->req) {
			cm_http_req_on_done(r->req, NULL, NULL);
			el_member_respond_error(r->req, err, NULL);
			r->req = NULL;
		}
		free_read(r);
	}
}
