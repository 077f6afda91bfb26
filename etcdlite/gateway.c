/* gateway.c: etcd's v3 JSON API for KV, leases, maintenance and cluster calls. */
#include "etcdlite/member_internal.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "common/log.h"
#include "etcdlite/lease.h"

#define EL_VERSION "3.4.0"

int el_gateway_decode(struct el_member *m, struct cm_http_req *req, enum el_jkind kind, struct el_jreq *jr)
{
	struct cm_buf err = CM_BUF_INIT;
	size_t len;
	const char *body = cm_http_req_body(req, &len);
	int rc;

	memset(jr, 0, sizeof(*jr));
	/* An empty body is an empty request, as the gateway reads it. */
	rc = el_json_decode(kind, len ? body : "{}", len ? len : 2, jr, &err);
	if (rc) {
		el_member_respond_error(req, rc, err.len ? err.data : NULL);
		el_jreq_close(jr);
	} else if (kind <= EL_J_LEASE_REVOKE && /* a store request: its size is known */
		   el_gateway_over_grpc_limit(m, req, el_request_pb_size(&jr->req))) {
		el_jreq_close(jr);
		rc = -EMSGSIZE;
	}
	cm_buf_close(&err);
	return rc;
}

static void on_range(struct cm_http_req *req, void *ud)
{
	struct el_jreq jr;

	if (el_gateway_decode(ud, req, EL_J_RANGE, &jr) == 0)
		el_member_read(ud, req, &jr);
}

static void propose_kind(struct cm_http_req *req, struct el_member *m, enum el_jkind kind)
{
	struct el_jreq jr;

	if (el_gateway_decode(m, req, kind, &jr))
		return;
	if (kind == EL_J_TXN && el_request_is_read_only(&jr.req)) {
		el_member_read(m, req, &jr);
		return;
	}
	el_member_propose(m, req, &jr.req);
	el_jreq_close(&jr);
}

static void on_put(struct cm_http_req *req, void *ud)
{
	propose_kind(req, ud, EL_J_PUT);
}

static void on_delete(struct cm_http_req *req, void *ud)
{
	propose_kind(req, ud, EL_J_DELETE);
}

static void on_txn(struct cm_http_req *req, void *ud)
{
	propose_kind(req, ud, EL_J_TXN);
}

static void on_compaction(struct cm_http_req *req, void *ud)
{
	propose_kind(req, ud, EL_J_COMPACTION);
}

static void on_lease_grant(struct cm_http_req *req, void *ud)
{
	propose_kind(req, ud, EL_J_LEASE_GRANT);
}

static void on_lease_revoke(struct cm_http_req *req, void *ud)
{
	propose_kind(req, ud, EL_J_LEASE_REVOKE);
}

void el_gateway_respond(struct cm_http_req *req, int rc, struct cm_buf *out)
{
	if (rc)
		el_member_respond_error(req, rc, NULL);
	else
		cm_http_respond_buf(req, 200, "application/json", out);
	cm_buf_close(out);
}

/* Lease expiry is the leader's clock: a follower relays these calls to it. */
static bool relay_to_leader(struct el_member *m, struct cm_http_req *req)
{
	if (m->leader == m->cfg.id)
		return false;
	el_transport_proxy(m, req);
	return true;
}

static void on_lease_keepalive(struct cm_http_req *req, void *ud)
{
	struct el_member *m = ud;
	struct cm_buf out = CM_BUF_INIT;
	struct el_header h;
	struct el_jreq jr;
	int64_t ttl = 0;
	int rc;

	if (el_gateway_decode(ud, req, EL_J_LEASE_ID, &jr))
		return;
	if (relay_to_leader(m, req)) {
		el_jreq_close(&jr);
		return;
	}
	rc = el_lease_keepalive(m->store, jr.lease_id, el_now_ms(), &ttl);
	/* etcd answers a keepalive of an unknown lease with TTL 0, not an error. */
	if (rc == -EL_ELEASENOTFOUND)
		rc = 0;
	el_member_header(m, &h);
	if (!rc)
		rc = cm_buf_puts(&out, "{\"result\":{");
	if (!rc)
		rc = el_json_header(&h, &out);
	if (!rc && jr.lease_id)
		rc = cm_buf_printf(&out, ",\"ID\":\"%" PRId64 "\"", jr.lease_id);
	if (!rc && ttl)
		rc = cm_buf_printf(&out, ",\"TTL\":\"%" PRId64 "\"", ttl);
	if (!rc)
		rc = cm_buf_puts(&out, "}}\n");
	el_gateway_respond(req, rc, &out);
	el_jreq_close(&jr);
}

static void on_lease_ttl(struct cm_http_req *req, void *ud)
{
	struct el_member *m = ud;
	struct cm_buf out = CM_BUF_INIT;
	struct el_lease_ttl t;
	struct el_header h;
	struct el_jreq jr;
	int rc;

	if (el_gateway_decode(ud, req, EL_J_LEASE_ID, &jr))
		return;
	if (relay_to_leader(m, req)) {
		el_jreq_close(&jr);
		return;
	}
	memset(&t, 0, sizeof(t));
	rc = el_lease_timetolive(m->store, jr.lease_id, jr.lease_keys, el_now_ms(), &t);
	el_member_header(m, &h);
	if (!rc)
		rc = el_json_encode_ttl(&h, &t, &out);
	el_lease_ttl_close(&t);
	el_gateway_respond(req, rc, &out);
	el_jreq_close(&jr);
}

static void on_lease_leases(struct cm_http_req *req, void *ud)
{
	struct el_member *m = ud;
	struct cm_buf out = CM_BUF_INIT;
	struct el_header h;
	size_t n = el_lease_list(m->store, NULL, 0);
	int64_t *ids = calloc(n ? n : 1, sizeof(*ids));
	int rc = ids ? 0 : -ENOMEM;

	el_member_header(m, &h);
	if (!rc)
		n = el_lease_list(m->store, ids, n);
	if (!rc && !(rc = cm_buf_putc(&out, '{')) && !(rc = el_json_header(&h, &out)) && n) {
		rc = cm_buf_puts(&out, ",\"leases\":[");
		for (size_t i = 0; i < n && !rc; i++)
			rc = cm_buf_printf(&out, "%s{\"ID\":\"%" PRId64 "\"}", i ? "," : "", ids[i]);
		if (!rc)
			rc = cm_buf_putc(&out, ']');
	}
	if (!rc)
		rc = cm_buf_putc(&out, '}');
	free(ids);
	el_gateway_respond(req, rc, &out);
}

static void on_status(struct cm_http_req *req, void *ud)
{
	struct el_member *m = ud;
	struct cm_buf out = CM_BUF_INIT;
	struct el_store_stats stats;
	struct el_header h;
	int rc;

	el_store_stats(m->store, &stats);
	el_member_header(m, &h);
	if (!(rc = cm_buf_putc(&out, '{')) && !(rc = el_json_header(&h, &out)))
		rc = cm_buf_printf(&out,
				   ",\"version\":\"" EL_VERSION "\",\"dbSize\":\"%zu\",\"leader\":\"%" PRIu64
				   "\",\"raftIndex\":\"%" PRIu64 "\",\"raftTerm\":\"%" PRIu64
				   "\",\"raftAppliedIndex\":\"%" PRIu64 "\",\"dbSizeInUse\":\"%zu\"}",
				   stats.bytes, m->leader, m->st.commit, m->st.term, m->applied_index,
				   stats.bytes);
	el_gateway_respond(req, rc, &out);
}

static int put_urls(struct cm_buf *out, const char *urls)
{
	const char *p = urls;
	int rc = cm_buf_putc(out, '[');

	while (!rc && p && *p) {
		size_t n = strcspn(p, ",");
		rc = cm_buf_printf(out, "%s\"%.*s\"", p == urls ? "" : ",", (int)n, p);
		p = p[n] ? p + n + 1 : NULL;
	}
	return rc ? rc : cm_buf_putc(out, ']');
}

static void on_member_list(struct cm_http_req *req, void *ud)
{
	struct el_member *m = ud;
	struct cm_buf out = CM_BUF_INIT;
	struct el_header h;
	int rc;

	el_member_header(m, &h);
	h.revision = 0; /* etcd's member list header has no revision */
	if (!(rc = cm_buf_putc(&out, '{')) && !(rc = el_json_header(&h, &out)))
		rc = cm_buf_puts(&out, ",\"members\":[");
	/* In id order, as etcd lists them; a cluster has a handful of members. */
	for (size_t i = 0, prev = SIZE_MAX; i < m->n_peers && !rc; i++) {
		struct el_peer *p = NULL;

		for (size_t j = 0; j < m->n_peers; j++)
			if ((prev == SIZE_MAX || m->peers[j].id > m->peers[prev].id) &&
			    (!p || m->peers[j].id < p->id))
				p = &m->peers[j];
		prev = (size_t)(p - m->peers);
		rc = cm_buf_printf(&out, "%s{\"ID\":\"%" PRIu64 "\",\"name\":\"%s\",\"peerURLs\":",
				   i ? "," : "", p->id, p->name);
		if (!rc)
			rc = put_urls(&out, p->url);
		if (!rc && p->client_urls[0]) {
			rc = cm_buf_puts(&out, ",\"clientURLs\":");
			if (!rc)
				rc = put_urls(&out, p->client_urls);
		}
		if (!rc)
			rc = cm_buf_putc(&out, '}');
	}
	if (!rc)
		rc = cm_buf_puts(&out, "]}");
	el_gateway_respond(req, rc, &out);
}

static void on_health(struct cm_http_req *req, void *ud)
{
	struct el_member *m = ud;

	if (m->leader)
		cm_http_respond(req, 200, "application/json", "{\"health\":\"true\"}", 17);
	else
		cm_http_respond(req, 503, "application/json", "{\"health\":\"false\"}", 18);
}

static void on_version(struct cm_http_req *req, void *ud)
{
	static const char v[] = "{\"etcdserver\":\"" EL_VERSION "\",\"etcdcluster\":\"3.4.0\"}";

	(void)ud;
	cm_http_respond(req, 200, "application/json", v, sizeof(v) - 1);
}

int el_gateway_health_route(struct el_member *m, struct cm_http_server *s)
{
	return cm_http_server_route(s, "GET", "/health", on_health, m);
}

int el_gateway_route(struct el_member *m, struct cm_http_server *s, const char *method, const char *path,
		     cm_http_handler h)
{
	char beta[128];
	int rc = cm_http_server_route(s, method, path, h, m);

	/* etcd 3.4 serves its gateway under /v3beta too (the v3.3 name). */
	if (!rc && strncmp(path, "/v3/", 4) == 0) {
		snprintf(beta, sizeof(beta), "/v3beta%s", path + 3);
		rc = cm_http_server_route(s, method, beta, h, m);
	}
	return rc;
}

int el_gateway_routes(struct el_member *m, struct cm_http_server *s)
{
	static const struct {
		const char *method, *path;
		cm_http_handler h;
	} routes[] = {
		{"POST", "/v3/kv/range", on_range},
		{"POST", "/v3/kv/put", on_put},
		{"POST", "/v3/kv/deleterange", on_delete},
		{"POST", "/v3/kv/txn", on_txn},
		{"POST", "/v3/kv/compaction", on_compaction},
		{"POST", "/v3/lease/grant", on_lease_grant},
		{"POST", "/v3/lease/revoke", on_lease_revoke},
		{"POST", "/v3/kv/lease/revoke", on_lease_revoke},
		{"POST", "/v3/lease/keepalive", on_lease_keepalive},
		{"POST", "/v3/lease/timetolive", on_lease_ttl},
		{"POST", "/v3/kv/lease/timetolive", on_lease_ttl},
		{"POST", "/v3/lease/leases", on_lease_leases},
		{"POST", "/v3/kv/lease/leases", on_lease_leases},
		{"POST", "/v3/maintenance/status", on_status},
		{"POST", "/v3/cluster/member/list", on_member_list},
		{"GET", "/health", on_health},
		{"GET", "/version", on_version},
	};
	for (size_t i = 0; i < sizeof(routes) / sizeof(routes[0]); i++) {
		int rc = el_gateway_route(m, s, routes[i].method, routes[i].path, routes[i].h);
		if (rc)
			return rc;
	}
	return el_gateway_maint_routes(m, s);
}
