/* json_encode.c: etcdlite responses, errors and watch events written as etcd's JSON gateway writes them. */
#include "etcdlite/json_codec.h"

#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include "common/base64.h"
#include "common/err.h"
#include "common/json.h"

/* ,"name":"<int64>" when v != 0 (zero values are left out, as the gateway does). */
static int put_i64(struct cm_buf *o, bool *first, const char *name, int64_t v)
{
	if (v == 0)
		return 0;
	int rc = cm_buf_printf(o, "%s\"%s\":\"%" PRId64 "\"", *first ? "" : ",", name, v);
	*first = false;
	return rc;
}

static int put_u64(struct cm_buf *o, bool *first, const char *name, uint64_t v)
{
	if (v == 0)
		return 0;
	int rc = cm_buf_printf(o, "%s\"%s\":\"%" PRIu64 "\"", *first ? "" : ",", name, v);
	*first = false;
	return rc;
}

static int put_b64(struct cm_buf *o, bool *first, const char *name, const char *data, size_t len)
{
	int rc;

	if (len == 0)
		return 0;
	if ((rc = cm_buf_printf(o, "%s\"%s\":\"", *first ? "" : ",", name)) ||
	    (rc = cm_base64_encode(data, len, o)) || (rc = cm_buf_putc(o, '"')))
		return rc;
	*first = false;
	return 0;
}

static int put_bool(struct cm_buf *o, bool *first, const char *name, bool v)
{
	if (!v)
		return 0;
	int rc = cm_buf_printf(o, "%s\"%s\":true", *first ? "" : ",", name);
	*first = false;
	return rc;
}

/* Writes "name": (after a comma unless it is the first field). */
static int put_name(struct cm_buf *o, bool *first, const char *name)
{
	int rc = cm_buf_printf(o, "%s\"%s\":", *first ? "" : ",", name);
	*first = false;
	return rc;
}

/* Opens "name":[ after the fields before it. */
static int open_array(struct cm_buf *o, bool *first, const char *name)
{
	int rc = put_name(o, first, name);
	return rc ? rc : cm_buf_putc(o, '[');
}

static int put_kv(struct cm_buf *o, const struct el_kv *kv)
{
	bool first = true;
	int rc;

	if ((rc = cm_buf_putc(o, '{')) || (rc = put_b64(o, &first, "key", kv->key, kv->klen)) ||
	    (rc = put_i64(o, &first, "create_revision", kv->create_revision)) ||
	    (rc = put_i64(o, &first, "mod_revision", kv->mod_revision)) ||
	    (rc = put_i64(o, &first, "version", kv->version)) ||
	    (rc = put_b64(o, &first, "value", kv->value, kv->vlen)) ||
	    (rc = put_i64(o, &first, "lease", kv->lease)))
		return rc;
	return cm_buf_putc(o, '}');
}

static int put_kvs(struct cm_buf *o, bool *first, const char *name, const struct el_kv *kvs, size_t n)
{
	int rc;

	if (n == 0)
		return 0;
	if ((rc = open_array(o, first, name)))
		return rc;
	for (size_t i = 0; i < n; i++)
		if ((i && (rc = cm_buf_putc(o, ','))) || (rc = put_kv(o, &kvs[i])))
			return rc;
	return cm_buf_putc(o, ']');
}

int el_json_header(const struct el_header *h, struct cm_buf *out)
{
	bool first = true;
	int rc;

	if ((rc = cm_buf_puts(out, "\"header\":{")) ||
	    (rc = put_u64(out, &first, "cluster_id", h->cluster_id)) ||
	    (rc = put_u64(out, &first, "member_id", h->member_id)) ||
	    (rc = put_i64(out, &first, "revision", h->revision)) ||
	    (rc = put_u64(out, &first, "raft_term", h->raft_term)))
		return rc;
	return cm_buf_putc(out, '}');
}

static int put_op_resp(struct cm_buf *o, int64_t revision, const struct el_op_resp *r);

/* The body of a response (after the header), for a range/put/delete/txn. */
static int put_body(struct cm_buf *o, bool *first, int64_t revision, uint8_t type,
		    const void *u)
{
	int rc = 0;

	switch (type) {
	case EL_OP_RANGE: {
		const struct el_range_resp *r = u;
		if ((rc = put_kvs(o, first, "kvs", r->kvs, r->nkvs)) ||
		    (rc = put_bool(o, first, "more", r->more)) ||
		    (rc = put_i64(o, first, "count", r->count)))
			return rc;
		break;
	}
	case EL_OP_PUT: {
		const struct el_put_resp *r = u;
		if (r->has_prev_kv) {
			if ((rc = put_name(o, first, "prev_kv")))
				return rc;
			rc = put_kv(o, &r->prev_kv);
		}
		break;
	}
	case EL_OP_DELETE: {
		const struct el_delete_resp *r = u;
		if ((rc = put_i64(o, first, "deleted", r->deleted)) ||
		    (rc = put_kvs(o, first, "prev_kvs", r->prev_kvs, r->nprev_kvs)))
			return rc;
		break;
	}
	case EL_OP_TXN: {
		const struct el_txn_resp *r = u;
		if ((rc = put_bool(o, first, "succeeded", r->succeeded)))
			return rc;
		if (r->nresponses) {
			if ((rc = open_array(o, first, "responses")))
				return rc;
			for (size_t i = 0; i < r->nresponses; i++)
				if ((i && (rc = cm_buf_putc(o, ','))) ||
				    (rc = put_op_resp(o, revision, &r->responses[i])))
					return rc;
			rc = cm_buf_putc(o, ']');
		}
		break;
	}
	}
	return rc;
}

/*
 * A txn's inner response: {"response_put":{"header":{"revision":"5"},...}}.
 * etcd sets the revision in the headers of range, put and delete answers
 * only: a nested txn's header stays empty.
 */
static int put_op_resp(struct cm_buf *o, int64_t revision, const struct el_op_resp *r)
{
	static const char *const names[] = {"response_range", "response_put",
					    "response_delete_range", "response_txn"};
	bool first = false;
	int rc;

	if (r->type == EL_OP_TXN)
		rc = cm_buf_printf(o, "{\"%s\":{\"header\":{}", names[r->type]);
	else
		rc = cm_buf_printf(o, "{\"%s\":{\"header\":{\"revision\":\"%" PRId64 "\"}",
				   names[r->type], revision);
	if (rc ||
	    (rc = put_body(o, &first, revision, r->type, &r->u)))
		return rc;
	return cm_buf_puts(o, "}}");
}

int el_json_encode_response(const struct el_header *h, const struct el_response *resp,
			    struct cm_buf *out)
{
	bool first = false;
	int rc;

	if ((rc = cm_buf_putc(out, '{')) || (rc = el_json_header(h, out)))
		return rc;
	switch (resp->type) {
	case EL_REQ_RANGE:
		rc = put_body(out, &first, h->revision, EL_OP_RANGE, &resp->u.range);
		break;
	case EL_REQ_PUT:
		rc = put_body(out, &first, h->revision, EL_OP_PUT, &resp->u.put);
		break;
	case EL_REQ_DELETE:
		rc = put_body(out, &first, h->revision, EL_OP_DELETE, &resp->u.del);
		break;
	case EL_REQ_TXN:
		rc = put_body(out, &first, h->revision, EL_OP_TXN, &resp->u.txn);
		break;
	case EL_REQ_LEASE_GRANT:
		if ((rc = put_i64(out, &first, "ID", resp->u.lease_grant.id)))
			return rc;
		rc = put_i64(out, &first, "TTL", resp->u.lease_grant.ttl);
		break;
	default:
		break;
	}
	if (rc)
		return rc;
	return cm_buf_putc(out, '}');
}

int el_grpc_http_status(int code)
{
	switch (code) {
	case 0: return 200;
	case 1: return 408;  /* Canceled */
	case 3: return 400;  /* InvalidArgument */
	case 4: return 504;  /* DeadlineExceeded */
	case 5: return 404;  /* NotFound */
	case 6: return 409;  /* AlreadyExists */
	case 7: return 403;  /* PermissionDenied */
	case 8: return 429;  /* ResourceExhausted */
	case 9: return 412;  /* FailedPrecondition (grpc-gateway v1, as etcd 3.4 answers) */
	case 10: return 409; /* Aborted */
	case 11: return 400; /* OutOfRange */
	case 12: return 501; /* Unimplemented */
	case 14: return 503; /* Unavailable */
	case 16: return 401; /* Unauthenticated */
	default: return 500;
	}
}

static int put_json_string(struct cm_buf *o, const char *s)
{
	cJSON *str = cJSON_CreateString(s);
	char *p;
	int rc;

	if (!str)
		return -ENOMEM;
	p = cJSON_PrintUnformatted(str);
	cJSON_Delete(str);
	if (!p)
		return -ENOMEM;
	rc = cm_buf_puts(o, p);
	cJSON_free(p);
	return rc;
}

int el_json_encode_error(int err, const char *message, struct cm_buf *out, int *status)
{
	const char *msg = message ? message : el_strerror(err);
	int code = el_err_grpc_code(err);
	int rc;

	*status = el_grpc_http_status(code);
	if ((rc = cm_buf_puts(out, "{\"error\":")) || (rc = put_json_string(out, msg)) ||
	    (rc = cm_buf_puts(out, ",\"message\":")) || (rc = put_json_string(out, msg)))
		return rc;
	return cm_buf_printf(out, ",\"code\":%d}", code);
}

int el_json_encode_ttl(const struct el_header *h, const struct el_lease_ttl *t, struct cm_buf *out)
{
	bool first = false;
	int rc;

	if ((rc = cm_buf_putc(out, '{')) || (rc = el_json_header(h, out)) ||
	    (rc = put_i64(out, &first, "ID", t->id)) || (rc = put_i64(out, &first, "TTL", t->ttl)) ||
	    (rc = put_i64(out, &first, "grantedTTL", t->granted_ttl)))
		return rc;
	if (t->nkeys) {
		if ((rc = open_array(out, &first, "keys")))
			return rc;
		for (size_t i = 0; i < t->nkeys; i++)
			if ((i && (rc = cm_buf_putc(out, ','))) || (rc = cm_buf_putc(out, '"')) ||
			    (rc = cm_base64_encode(t->keys[i].data, t->keys[i].len, out)) ||
			    (rc = cm_buf_putc(out, '"')))
				return rc;
		rc = cm_buf_putc(out, ']');
	}
	if (rc)
		return rc;
	return cm_buf_putc(out, '}');
}

static int put_event(struct cm_buf *o, const struct el_event *ev)
{
	bool first = true;
	int rc;

	if ((rc = cm_buf_putc(o, '{')))
		return rc;
	if (ev->type == EL_EVENT_DELETE) {
		if ((rc = cm_buf_puts(o, "\"type\":\"DELETE\"")))
			return rc;
		first = false;
	}
	if ((rc = put_name(o, &first, "kv")) || (rc = put_kv(o, &ev->kv)))
		return rc;
	if (ev->has_prev_kv) {
		if ((rc = cm_buf_puts(o, ",\"prev_kv\":")) || (rc = put_kv(o, &ev->prev_kv)))
			return rc;
	}
	return cm_buf_putc(o, '}');
}

int el_json_encode_watch(const struct el_header *h, const struct el_watch_batch *b, bool created,
			 struct cm_buf *out)
{
	bool first = false;
	int rc;

	if ((rc = cm_buf_puts(out, "{\"result\":{")) || (rc = el_json_header(h, out)) ||
	    (rc = put_i64(out, &first, "watch_id", b->watch_id)) ||
	    (rc = put_bool(out, &first, "created", created)) ||
	    (rc = put_bool(out, &first, "canceled", b->canceled)) ||
	    (rc = put_i64(out, &first, "compact_revision", b->compact_revision)))
		return rc;
	if (b->nevents) {
		if ((rc = open_array(out, &first, "events")))
			return rc;
		for (size_t i = 0; i < b->nevents; i++)
			if ((i && (rc = cm_buf_putc(out, ','))) || (rc = put_event(out, &b->events[i])))
				return rc;
		if ((rc = cm_buf_putc(out, ']')))
			return rc;
	}
	return cm_buf_puts(out, "}}\n");
}
