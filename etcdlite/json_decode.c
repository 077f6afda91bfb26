/* json_decode.c: etcd gateway JSON bodies decoded into etcdlite requests, with etcd's messages for bad input. */
#include "etcdlite/json_codec.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "common/base64.h"
#include "common/err.h"
#include "common/json.h"

struct dec {
	struct cm_arena *arena;
	struct cm_buf *err;
	int depth;
};

/* Records why the request is refused: what went wrong, and the field if there is one. */
static int fail(struct dec *d, const char *what, const char *field)
{
	cm_buf_reset(d->err);
	cm_buf_printf(d->err, "%s%s%s", what, field ? " " : "", field ? field : "");
	return -EINVAL;
}

/* Go's name for the JSON kind of it, as its decoder's messages say it. */
/* Go's message for a JSON value of the wrong kind, which etcd's gateway passes on. */
static int wrong_kind(struct dec *d, const cJSON *it, const char *go_type)
{
	cm_buf_reset(d->err);
	cm_buf_printf(d->err, "json: cannot unmarshal %s into Go value of type %s", cm_json_go_type_name(it), go_type);
	return -EINVAL;
}

/* base64 field -> bytes in the arena; absent -> empty. */
static int get_bytes(struct dec *d, const cJSON *obj, const char *name, struct el_bytes *out)
{
	const cJSON *it = cJSON_GetObjectItemCaseSensitive(obj, name);
	struct cm_buf tmp = CM_BUF_INIT;
	size_t bad_at;
	char *p;
	int rc;

	out->data = NULL;
	out->len = 0;
	if (!it || cJSON_IsNull(it))
		return 0;
	if (!cJSON_IsString(it))
		return wrong_kind(d, it, "[]uint8");
	/* Go's decoder, as etcd's gateway: padding required, newlines skipped. */
	rc = cm_base64_decode_std(it->valuestring, strlen(it->valuestring), &tmp, &bad_at);
	if (rc == -EINVAL) {
		cm_buf_close(&tmp);
		cm_buf_reset(d->err);
		cm_buf_printf(d->err, "illegal base64 data at input byte %zu", bad_at);
		return -EINVAL;
	}
	if (rc)
		return rc;
	if (tmp.len > UINT32_MAX) {
		cm_buf_close(&tmp);
		return -CM_ETOOLARGE;
	}
	p = cm_arena_dup(d->arena, tmp.data, tmp.len);
	out->len = (uint32_t)tmp.len;
	cm_buf_close(&tmp);
	if (!p)
		return -ENOMEM;
	out->data = p;
	return 0;
}

static int get_int(struct dec *d, const cJSON *obj, const char *name, int64_t *out)
{
	int rc = cm_json_get_int64(obj, name, out);

	if (rc == -ENOENT) {
		*out = 0;
		return 0;
	}
	if (rc)
		return fail(d, "json: invalid value for int64 field", name);
	return 0;
}

/* A uint64 (member ids use all 64 bits) given as a decimal string or a number. */
static int get_uint(struct dec *d, const cJSON *obj, const char *name, uint64_t *out)
{
	const cJSON *it = cJSON_GetObjectItemCaseSensitive(obj, name);
	char *end;

	*out = 0;
	if (!it || cJSON_IsNull(it))
		return 0;
	if (cJSON_IsNumber(it) && it->valuedouble >= 0 && it->valuedouble < 18446744073709551616.0) {
		*out = (uint64_t)it->valuedouble;
		return 0;
	}
	if (cJSON_IsString(it) && it->valuestring[0] >= '0' && it->valuestring[0] <= '9') {
		errno = 0;
		*out = strtoull(it->valuestring, &end, 10);
		if (errno == 0 && *end == '\0')
			return 0;
	}
	*out = 0;
	return fail(d, "json: invalid value for uint64 field", name);
}

static int get_bool(struct dec *d, const cJSON *obj, const char *name, bool *out)
{
	const cJSON *it = cJSON_GetObjectItemCaseSensitive(obj, name);

	*out = false;
	if (!it || cJSON_IsNull(it))
		return 0;
	if (!cJSON_IsBool(it))
		return wrong_kind(d, it, "bool");
	*out = cJSON_IsTrue(it);
	return 0;
}

/* An enum given as a name or as its number; go_type names it in etcd's message. */
static int get_enum(struct dec *d, const cJSON *obj, const char *name, const char *go_type,
		    const char *const *names, int n, uint8_t *out)
{
	const cJSON *it = cJSON_GetObjectItemCaseSensitive(obj, name);

	*out = 0;
	if (!it || cJSON_IsNull(it))
		return 0;
	if (cJSON_IsNumber(it) && it->valuedouble >= 0 && it->valuedouble < n) {
		*out = (uint8_t)it->valuedouble;
		return 0;
	}
	if (!cJSON_IsString(it))
		return fail(d, "json: unknown value for enum field", name);
	for (int i = 0; i < n; i++)
		if (strcmp(it->valuestring, names[i]) == 0) {
			*out = (uint8_t)i;
			return 0;
		}
	cm_buf_reset(d->err);
	cm_buf_printf(d->err, "unknown value \"%s\" for enum etcdserverpb.%s", it->valuestring, go_type);
	return -EINVAL;
}

static const char *const sort_orders[] = {"NONE", "ASCEND", "DESCEND"};
static const char *const sort_targets[] = {"KEY", "VERSION", "CREATE", "MOD", "VALUE"};
static const char *const cmp_targets[] = {"VERSION", "CREATE", "MOD", "VALUE", "LEASE"};
static const char *const cmp_results[] = {"EQUAL", "GREATER", "LESS", "NOT_EQUAL"};
static const char *const alarm_actions[] = {"GET", "ACTIVATE", "DEACTIVATE"};
static const char *const alarm_types[] = {"NONE", "NOSPACE", "CORRUPT"};

static int dec_range(struct dec *d, const cJSON *o, struct el_range_req *r)
{
	int rc;

	if ((rc = get_bytes(d, o, "key", &r->key)) || (rc = get_bytes(d, o, "range_end", &r->range_end)) ||
	    (rc = get_int(d, o, "limit", &r->limit)) || (rc = get_int(d, o, "revision", &r->revision)) ||
	    (rc = get_enum(d, o, "sort_order", "RangeRequest_SortOrder", sort_orders, 3, &r->sort_order)) ||
	    (rc = get_enum(d, o, "sort_target", "RangeRequest_SortTarget", sort_targets, 5, &r->sort_target)) ||
	    (rc = get_bool(d, o, "serializable", &r->serializable)) ||
	    (rc = get_bool(d, o, "keys_only", &r->keys_only)) ||
	    (rc = get_bool(d, o, "count_only", &r->count_only)) ||
	    (rc = get_int(d, o, "min_mod_revision", &r->min_mod_revision)) ||
	    (rc = get_int(d, o, "max_mod_revision", &r->max_mod_revision)) ||
	    (rc = get_int(d, o, "min_create_revision", &r->min_create_revision)) ||
	    (rc = get_int(d, o, "max_create_revision", &r->max_create_revision)))
		return rc;
	return 0;
}

static int dec_put(struct dec *d, const cJSON *o, struct el_put_req *p)
{
	int rc;

	if ((rc = get_bytes(d, o, "key", &p->key)) || (rc = get_bytes(d, o, "value", &p->value)) ||
	    (rc = get_int(d, o, "lease", &p->lease)) || (rc = get_bool(d, o, "prev_kv", &p->prev_kv)) ||
	    (rc = get_bool(d, o, "ignore_value", &p->ignore_value)) ||
	    (rc = get_bool(d, o, "ignore_lease", &p->ignore_lease)))
		return rc;
	return 0;
}

static int dec_delete(struct dec *d, const cJSON *o, struct el_delete_req *r)
{
	int rc;

	if ((rc = get_bytes(d, o, "key", &r->key)) || (rc = get_bytes(d, o, "range_end", &r->range_end)) ||
	    (rc = get_bool(d, o, "prev_kv", &r->prev_kv)))
		return rc;
	return 0;
}

static int dec_txn(struct dec *d, const cJSON *o, struct el_txn_req *t);

static int dec_ops(struct dec *d, const cJSON *arr, struct el_op **ops, uint32_t *n)
{
	const cJSON *it;
	uint32_t i = 0;
	int rc;

	*ops = NULL;
	*n = 0;
	if (!arr || cJSON_IsNull(arr))
		return 0;
	if (!cJSON_IsArray(arr))
		return fail(d, "json: expected an array for field", "success/failure");
	*n = (uint32_t)cJSON_GetArraySize(arr);
	if (*n == 0)
		return 0;
	*ops = cm_arena_alloc(d->arena, sizeof(**ops) * *n);
	if (!*ops)
		return -ENOMEM;
	cJSON_ArrayForEach(it, arr) {
		struct el_op *op = &(*ops)[i++];
		const cJSON *x;

		if ((x = cJSON_GetObjectItemCaseSensitive(it, "request_range"))) {
			op->type = EL_OP_RANGE;
			rc = dec_range(d, x, &op->u.range);
		} else if ((x = cJSON_GetObjectItemCaseSensitive(it, "request_put"))) {
			op->type = EL_OP_PUT;
			rc = dec_put(d, x, &op->u.put);
		} else if ((x = cJSON_GetObjectItemCaseSensitive(it, "request_delete_range"))) {
			op->type = EL_OP_DELETE;
			rc = dec_delete(d, x, &op->u.del);
		} else if ((x = cJSON_GetObjectItemCaseSensitive(it, "request_txn"))) {
			op->type = EL_OP_TXN;
			if (++d->depth > EL_MAX_NESTING)
				return fail(d, "etcdserver: too many nested txns", NULL);
			rc = dec_txn(d, x, &op->u.txn);
			d->depth--;
		} else {
			/* etcd's check of a RequestOp with no request in it says this. */
			return fail(d, "etcdserver: key not found", NULL);
		}
		if (rc)
			return rc;
	}
	return 0;
}

static int dec_txn(struct dec *d, const cJSON *o, struct el_txn_req *t)
{
	const cJSON *cmps = cJSON_GetObjectItemCaseSensitive(o, "compare"), *it;
	uint32_t i = 0;
	int rc;

	memset(t, 0, sizeof(*t));
	if (cmps && !cJSON_IsNull(cmps)) {
		if (!cJSON_IsArray(cmps))
			return fail(d, "json: expected an array for field", "compare");
		t->ncompares = (uint32_t)cJSON_GetArraySize(cmps);
		if (t->ncompares) {
			t->compares = cm_arena_alloc(d->arena, sizeof(*t->compares) * t->ncompares);
			if (!t->compares)
				return -ENOMEM;
		}
		cJSON_ArrayForEach(it, cmps) {
			struct el_compare *c = &t->compares[i++];
			static const char *const num_field[] = {"version", "create_revision",
								"mod_revision", NULL, "lease"};

			if ((rc = get_enum(d, it, "target", "Compare_CompareTarget", cmp_targets, 5, &c->target)) ||
			    (rc = get_enum(d, it, "result", "Compare_CompareResult", cmp_results, 4, &c->result)) ||
			    (rc = get_bytes(d, it, "key", &c->key)) ||
			    (rc = get_bytes(d, it, "range_end", &c->range_end)))
				return rc;
			if (c->key.len == 0)
				return fail(d, "etcdserver: key is not provided", NULL);
			if (c->target == EL_CMP_VALUE)
				rc = get_bytes(d, it, "value", &c->value);
			else
				rc = get_int(d, it, num_field[c->target], &c->number);
			if (rc)
				return rc;
		}
	}
	if ((rc = dec_ops(d, cJSON_GetObjectItemCaseSensitive(o, "success"), &t->success, &t->nsuccess)) ||
	    (rc = dec_ops(d, cJSON_GetObjectItemCaseSensitive(o, "failure"), &t->failure, &t->nfailure)))
		return rc;
	return 0;
}

static int dec_watch(struct dec *d, const cJSON *o, struct el_jreq *out)
{
	const cJSON *c = cJSON_GetObjectItemCaseSensitive(o, "create_request");
	const cJSON *x = cJSON_GetObjectItemCaseSensitive(o, "cancel_request");
	const cJSON *filters, *f;
	int rc;

	if (x) {
		out->watch_cancel = true;
		return get_int(d, x, "watch_id", &out->watch_cancel_id);
	}
	if (!c || !cJSON_IsObject(c))
		return fail(d, "etcdserver: a watch request needs create_request", NULL);
	if ((rc = get_bytes(d, c, "key", &out->watch.key)) ||
	    (rc = get_bytes(d, c, "range_end", &out->watch.range_end)) ||
	    (rc = get_int(d, c, "start_revision", &out->watch.start_revision)) ||
	    (rc = get_bool(d, c, "prev_kv", &out->watch.prev_kv)) ||
	    (rc = get_bool(d, c, "progress_notify", &out->watch_progress_notify)) ||
	    (rc = get_int(d, c, "watch_id", &out->watch_id)))
		return rc;
	filters = cJSON_GetObjectItemCaseSensitive(c, "filters");
	cJSON_ArrayForEach(f, filters) {
		if ((cJSON_IsString(f) && strcmp(f->valuestring, "NOPUT") == 0) ||
		    (cJSON_IsNumber(f) && f->valueint == 0))
			out->watch.no_put = true;
		else if ((cJSON_IsString(f) && strcmp(f->valuestring, "NODELETE") == 0) ||
			 (cJSON_IsNumber(f) && f->valueint == 1))
			out->watch.no_delete = true;
	}
	return 0;
}

int el_json_decode(enum el_jkind kind, const char *body, size_t len, struct el_jreq *out,
		   struct cm_buf *err)
{
	struct dec d = {&out->arena, err, 0};
	cJSON *root = NULL;
	int rc;

	rc = cm_json_parse(body, len, &root, err);
	if (rc)
		return rc;
	/* A null body is an empty request to etcd's gateway, as an empty one is. */
	if (cJSON_IsNull(root)) {
		cJSON_Delete(root);
		root = cJSON_CreateObject();
		if (!root)
			return -ENOMEM;
	}
	if (!cJSON_IsObject(root)) {
		rc = wrong_kind(&d, root, "map[string]json.RawMessage");
		cJSON_Delete(root);
		return rc;
	}
	switch (kind) {
	case EL_J_RANGE:
		out->req.type = EL_REQ_RANGE;
		rc = dec_range(&d, root, &out->req.u.range);
		break;
	case EL_J_PUT:
		out->req.type = EL_REQ_PUT;
		rc = dec_put(&d, root, &out->req.u.put);
		break;
	case EL_J_DELETE:
		out->req.type = EL_REQ_DELETE;
		rc = dec_delete(&d, root, &out->req.u.del);
		break;
	case EL_J_TXN:
		out->req.type = EL_REQ_TXN;
		rc = dec_txn(&d, root, &out->req.u.txn);
		break;
	case EL_J_COMPACTION:
		out->req.type = EL_REQ_COMPACTION;
		rc = get_int(&d, root, "revision", &out->req.u.compaction.revision);
		if (!rc)
			rc = get_bool(&d, root, "physical", &out->req.u.compaction.physical);
		break;
	case EL_J_LEASE_GRANT:
		out->req.type = EL_REQ_LEASE_GRANT;
		rc = get_int(&d, root, "TTL", &out->req.u.lease_grant.ttl);
		if (!rc)
			rc = get_int(&d, root, "ID", &out->req.u.lease_grant.id);
		break;
	case EL_J_LEASE_REVOKE:
		out->req.type = EL_REQ_LEASE_REVOKE;
		rc = get_int(&d, root, "ID", &out->req.u.lease_revoke.id);
		break;
	case EL_J_LEASE_ID:
		rc = get_int(&d, root, "ID", &out->lease_id);
		if (!rc)
			rc = get_bool(&d, root, "keys", &out->lease_keys);
		break;
	case EL_J_WATCH:
		rc = dec_watch(&d, root, out);
		break;
	case EL_J_ALARM:
		rc = get_enum(&d, root, "action", "AlarmRequest_AlarmAction", alarm_actions, 3, &out->alarm_action);
		if (!rc)
			rc = get_enum(&d, root, "alarm", "AlarmType", alarm_types, 3, &out->alarm_type);
		if (!rc)
			rc = get_uint(&d, root, "memberID", &out->member_id);
		break;
	case EL_J_MEMBER: {
		const cJSON *urls = cJSON_GetObjectItemCaseSensitive(root, "peerURLs");

		rc = get_uint(&d, root, "ID", &out->member_id);
		if (!rc && urls && !cJSON_IsNull(urls)) {
			if (!cJSON_IsArray(urls))
				rc = wrong_kind(&d, urls, "[]string");
			else
				out->n_peer_urls = (uint32_t)cJSON_GetArraySize(urls);
		}
		break;
	}
	case EL_J_HASHKV:
		rc = get_int(&d, root, "revision", &out->revision);
		break;
	case EL_J_OBJECT:
		break;
	default:
		rc = -EINVAL;
	}
	cJSON_Delete(root);
	return rc;
}

void el_jreq_close(struct el_jreq *r)
{
	cm_arena_close(&r->arena);
}

static bool ops_read_only(const struct el_op *ops, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++) {
		if (ops[i].type == EL_OP_PUT || ops[i].type == EL_OP_DELETE)
			return false;
		if (ops[i].type == EL_OP_TXN &&
		    (!ops_read_only(ops[i].u.txn.success, ops[i].u.txn.nsuccess) ||
		     !ops_read_only(ops[i].u.txn.failure, ops[i].u.txn.nfailure)))
			return false;
	}
	return true;
}

bool el_request_is_read_only(const struct el_request *req)
{
	if (req->type == EL_REQ_RANGE)
		return true;
	if (req->type != EL_REQ_TXN)
		return false;
	return ops_read_only(req->u.txn.success, req->u.txn.nsuccess) &&
	       ops_read_only(req->u.txn.failure, req->u.txn.nfailure);
}
