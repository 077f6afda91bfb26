/* storage_codec.c: etcd v3 JSON bodies: base64 keys, int64 as strings, txns, watch messages. */
#include "apiserver/storage_codec.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "common/base64.h"
#include "common/err.h"
#include "common/json.h"

static int put_b64(struct cm_buf *out, const char *name, const void *data, size_t len)
{
	int rc = cm_buf_printf(out, "\"%s\":\"", name);

	if (!rc)
		rc = cm_base64_encode(data, len, out);
	if (!rc)
		rc = cm_buf_putc(out, '"');
	return rc;
}

int api_codec_range_request(const char *key, const char *range_end, const char *unused, int64_t limit,
			    int64_t rev, bool count_only, struct cm_buf *out)
{
	int rc;

	(void)unused;
	rc = cm_buf_putc(out, '{');
	if (!rc)
		rc = put_b64(out, "key", key, strlen(key));
	if (!rc && range_end) {
		rc = cm_buf_putc(out, ',');
		if (!rc)
			rc = put_b64(out, "range_end", range_end, strlen(range_end));
	}
	if (!rc && limit > 0)
		rc = cm_buf_printf(out, ",\"limit\":\"%lld\"", (long long)limit);
	if (!rc && rev > 0)
		rc = cm_buf_printf(out, ",\"revision\":\"%lld\"", (long long)rev);
	if (!rc && count_only)
		rc = cm_buf_puts(out, ",\"count_only\":true");
	if (!rc)
		rc = cm_buf_putc(out, '}');
	return rc;
}

static int put_compare(struct cm_buf *out, const char *key, const char *target, int64_t rev, bool *first)
{
	int rc = cm_buf_puts(out, *first ? "{" : ",{");

	*first = false;
	if (!rc)
		rc = put_b64(out, "key", key, strlen(key));
	if (!rc)
		rc = cm_buf_printf(out, ",\"target\":\"%s\",\"result\":\"EQUAL\",\"%s\":\"%lld\"}", target,
				   strcmp(target, "MOD") ? "create_revision" : "mod_revision", (long long)rev);
	return rc;
}

static int put_put(struct cm_buf *out, const char *key, const char *value, size_t len, int64_t lease, bool *first)
{
	int rc = cm_buf_puts(out, *first ? "{\"request_put\":{" : ",{\"request_put\":{");

	*first = false;
	if (!rc)
		rc = put_b64(out, "key", key, strlen(key));
	if (!rc)
		rc = cm_buf_putc(out, ',');
	if (!rc)
		rc = put_b64(out, "value", value, len);
	if (!rc && lease > 0)
		rc = cm_buf_printf(out, ",\"lease\":\"%lld\"", (long long)lease);
	if (!rc)
		rc = cm_buf_puts(out, "}}");
	return rc;
}

static int put_op_key(struct cm_buf *out, const char *op, const char *key, bool *first)
{
	int rc = cm_buf_printf(out, "%s{\"%s\":{", *first ? "" : ",", op);

	*first = false;
	if (!rc)
		rc = put_b64(out, "key", key, strlen(key));
	if (!rc)
		rc = cm_buf_puts(out, "}}");
	return rc;
}

int api_codec_txn_request(const char *key, const char *value, size_t len, int64_t lease, int64_t mod_rev, bool is_delete,
			  const struct api_txn_put *extra, size_t nextra, const char *const *delete_keys,
			  size_t ndelete, struct cm_buf *out)
{
	bool first = true;
	int rc = cm_buf_puts(out, "{\"compare\":[");

	if (!rc && (mod_rev > 0 || !is_delete))
		rc = put_compare(out, key, mod_rev > 0 ? "MOD" : "CREATE", mod_rev, &first);
	for (size_t i = 0; !rc && i < nextra; i++)
		rc = put_compare(out, extra[i].key, "CREATE", 0, &first);
	if (!rc)
		rc = cm_buf_puts(out, "],\"success\":[");
	first = true;
	if (!rc)
		rc = is_delete ? put_op_key(out, "request_delete_range", key, &first)
			       : put_put(out, key, value, len, lease, &first);
	for (size_t i = 0; !rc && i < nextra; i++)
		rc = put_put(out, extra[i].key, extra[i].value, extra[i].value_len, 0, &first);
	for (size_t i = 0; !rc && i < ndelete; i++)
		rc = put_op_key(out, "request_delete_range", delete_keys[i], &first);
	if (!rc)
		rc = cm_buf_puts(out, "],\"failure\":[");
	first = true;
	if (!rc)
		rc = put_op_key(out, "request_range", key, &first);
	if (!rc)
		rc = cm_buf_puts(out, "]}");
	return rc;
}

int api_codec_watch_request(const char *key, const char *range_end, int64_t start_rev, struct cm_buf *out)
{
	int rc = cm_buf_puts(out, "{\"create_request\":{");

	if (!rc)
		rc = put_b64(out, "key", key, strlen(key));
	if (!rc)
		rc = cm_buf_putc(out, ',');
	if (!rc)
		rc = put_b64(out, "range_end", range_end, strlen(range_end));
	if (!rc)
		rc = cm_buf_printf(out, ",\"start_revision\":\"%lld\",\"prev_kv\":true,\"progress_notify\":true}}",
				   (long long)start_rev);
	return rc;
}

static char *decode(const cJSON *j, const char *name, size_t *len)
{
	const char *s = cm_json_get_str(j, name);
	struct cm_buf b = CM_BUF_INIT;

	if (!s)
		s = "";
	if (cm_base64_decode(s, strlen(s), &b) < 0) {
		cm_buf_close(&b);
		return NULL;
	}
	if (len)
		*len = b.len;
	return cm_buf_take(&b);
}

static void kv_close(struct api_kv *kv)
{
	free(kv->key);
	free(kv->value);
	memset(kv, 0, sizeof(*kv));
}

static int read_kv(const cJSON *j, struct api_kv *kv)
{
	memset(kv, 0, sizeof(*kv));
	kv->key = decode(j, "key", NULL);
	kv->value = decode(j, "value", &kv->value_len);
	if (!kv->key || !kv->value) {
		kv_close(kv);
		return -EPROTO;
	}
	kv->create_rev = cm_json_int64_or(j, "create_revision", 0);
	kv->mod_rev = cm_json_int64_or(j, "mod_revision", 0);
	kv->version = cm_json_int64_or(j, "version", 0);
	kv->lease = cm_json_int64_or(j, "lease", 0);
	return 0;
}

static int read_kvs(const cJSON *range, struct api_kv_result *r)
{
	const cJSON *kvs = cJSON_GetObjectItemCaseSensitive(range, "kvs");
	int n = cJSON_IsArray(kvs) ? cJSON_GetArraySize(kvs) : 0;
	const cJSON *it;

	r->more = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(range, "more"));
	r->count = cm_json_int64_or(range, "count", 0);
	if (!n)
		return 0;
	r->kvs = calloc((size_t)n, sizeof(*r->kvs));
	if (!r->kvs)
		return -ENOMEM;
	cJSON_ArrayForEach(it, kvs) {
		int rc = read_kv(it, &r->kvs[r->n]);

		if (rc < 0)
			return rc;
		r->n++;
	}
	return 0;
}

/* etcd's error answers carry gRPC codes and messages; map those the apiserver acts on. */
static int etcd_error(const cJSON *j)
{
	const char *msg = cm_json_str_or(j, "error", cm_json_str_or(j, "message", ""));

	if (strstr(msg, "compacted"))
		return -CM_ECOMPACTED;
	if (strstr(msg, "future revision"))
		return -CM_EFUTUREREV;
	if (strstr(msg, "leader") || strstr(msg, "not capable") || strstr(msg, "stopped"))
		return -CM_ENOQUORUM;
	if (strstr(msg, "timed out") || strstr(msg, "timeout"))
		return -ETIMEDOUT;
	/*
	 * Over --max-request-bytes (400, code 3), or over the gRPC limit above
	 * it (429, code 8: "grpc: received message larger than max"): no other
	 * member or retry takes it.
	 */
	if (strstr(msg, "request is too large") || strstr(msg, "larger than max"))
		return -CM_ESTORETOOLARGE;
	return -EIO;
}

int api_codec_parse_response(long status, const char *body, size_t len, bool is_txn, struct api_kv_result *r)
{
	cJSON *j = NULL;
	int rc;

	memset(r, 0, sizeof(*r));
	if (cm_json_parse(body, len, &j, NULL) < 0 || !cJSON_IsObject(j)) {
		cJSON_Delete(j);
		return status >= 500 ? -CM_ENOQUORUM : -EPROTO;
	}
	if (status != 200 || cJSON_GetObjectItemCaseSensitive(j, "error")) {
		rc = etcd_error(j);
		cJSON_Delete(j);
		return rc;
	}
	r->revision = cm_json_int64_or(j, "header.revision", 0);
	r->lease_id = cm_json_int64_or(j, "ID", 0);
	if (!is_txn) {
		rc = read_kvs(j, r);
	} else {
		bool ok = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(j, "succeeded"));
		const cJSON *range = cm_json_get(j, "responses.0.response_range");

		rc = 0;
		if (!ok) {
			rc = range ? read_kvs(range, r) : 0;
			if (!rc)
				rc = -CM_ECONFLICT;
		}
	}
	cJSON_Delete(j);
	if (rc < 0 && rc != -CM_ECONFLICT)
		api_codec_result_close(r);
	return rc;
}

void api_codec_result_close(struct api_kv_result *r)
{
	for (size_t i = 0; i < r->n; i++)
		kv_close(&r->kvs[i]);
	free(r->kvs);
	memset(r, 0, sizeof(*r));
}

int api_codec_parse_watch(const char *line, size_t len, struct api_codec_watch_msg *m)
{
	cJSON *j = NULL;
	const cJSON *res, *evs, *it;
	int rc = 0, n;

	memset(m, 0, sizeof(*m));
	if (len == 0)
		return -EPROTO;
	if (cm_json_parse(line, len, &j, NULL) < 0 || !cJSON_IsObject(j)) {
		cJSON_Delete(j);
		return -EPROTO;
	}
	res = cJSON_GetObjectItemCaseSensitive(j, "result");
	if (!res) {
		m->error = true;
		cJSON_Delete(j);
		return 0;
	}
	m->revision = cm_json_int64_or(res, "header.revision", 0);
	m->compact_revision = cm_json_int64_or(res, "compact_revision", 0);
	m->created = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(res, "created"));
	m->canceled = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(res, "canceled"));
	evs = cJSON_GetObjectItemCaseSensitive(res, "events");
	n = cJSON_IsArray(evs) ? cJSON_GetArraySize(evs) : 0;
	if (n) {
		m->events = calloc((size_t)n, sizeof(*m->events));
		if (!m->events) {
			cJSON_Delete(j);
			return -ENOMEM;
		}
	}
	cJSON_ArrayForEach(it, evs) {
		struct api_codec_event *e = &m->events[m->n];
		const cJSON *prev = cJSON_GetObjectItemCaseSensitive(it, "prev_kv");

		e->type = strcmp(cm_json_str_or(it, "type", "PUT"), "DELETE") == 0;
		rc = read_kv(cJSON_GetObjectItemCaseSensitive(it, "kv"), &e->kv);
		if (!rc && prev) {
			rc = read_kv(prev, &e->prev);
			e->has_prev = rc == 0;
		}
		if (rc < 0) {
			kv_close(&e->kv);
			break;
		}
		m->n++;
	}
	cJSON_Delete(j);
	if (rc < 0)
		api_codec_watch_msg_close(m);
	return rc;
}

void api_codec_watch_msg_close(struct api_codec_watch_msg *m)
{
	for (size_t i = 0; i < m->n; i++) {
		kv_close(&m->events[i].kv);
		kv_close(&m->events[i].prev);
	}
	free(m->events);
	memset(m, 0, sizeof(*m));
}
