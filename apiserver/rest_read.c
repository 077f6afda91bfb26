/* rest_read.c: get and list: one key, or a prefix read page by page with selectors, limit and continue. */
#include "apiserver/rest.h"

#include <errno.h>
#include <malloc.h>
#include <stdlib.h>
#include <string.h>

#include "apiserver/object.h"
#include "apiserver/status.h"
#include "common/base64.h"
#include "common/err.h"
#include "common/fieldsel.h"
#include "common/json.h"
#include "common/selector.h"
#include "common/timeutil.h"

#define LIST_BATCH 500

static void got_one(int err, const struct api_kv_result *r, void *ud)
{
	struct api_ctx *c = ud;
	cJSON *obj;

	if (err) {
		api_ctx_reply_err(c, err, NULL);
		return;
	}
	if (!c->table && !c->sub) {
		struct cm_buf b = CM_BUF_INIT;

		if (api_obj_splice_rv(r->kvs[0].value, r->kvs[0].value_len, r->kvs[0].mod_rev, &b) < 0) {
			cm_buf_close(&b);
			api_ctx_reply_err(c, -ENOMEM, NULL);
			return;
		}
		api_ctx_reply_buf(c, 200, &b);
		return;
	}
	obj = api_obj_parse_stored(r->kvs[0].value, r->kvs[0].value_len, r->kvs[0].mod_rev);
	if (!obj) {
		api_ctx_reply_err(c, -EIO, "stored object is not readable");
		return;
	}
	if (c->sub && !strcmp(c->sub, "scale")) {
		cJSON *scale = api_scale_from(c->res, obj);

		cJSON_Delete(obj);
		api_ctx_reply_obj(c, 200, scale);
		return;
	}
	if (c->table) {
		cJSON *t = api_table_new(c->res, api_obj_meta_str(obj, "resourceVersion"), NULL);

		if (t && api_table_add_row(t, c->res, obj, cm_time_wall_ms(), c->table) < 0) {
			cJSON_Delete(t);
			t = NULL;
		}
		cJSON_Delete(obj);
		api_ctx_reply_obj(c, 200, t);
		return;
	}
	api_ctx_reply_obj(c, 200, obj);
}

void api_rest_get(struct api_ctx *c)
{
	int rc = api_resource_key(c->res, c->ns, c->name, &c->key);

	if (!rc)
		rc = api_storage_get(c->srv->store, c->key.data, got_one, c);
	if (rc < 0)
		api_ctx_reply_err(c, rc, NULL);
}

/* A list in progress, possibly over several storage reads. */
struct api_listing {
	struct cm_selector *labels;
	struct cm_fieldsel *fields;
	struct cm_buf prefix;
	struct cm_buf start;
	struct cm_buf items; /* the JSON text of items so far, comma-separated */
	cJSON *table;
	int64_t limit, matched, rev;
	int64_t now_ms;
	char *cont;
};

static void listing_free(struct api_listing *l)
{
	if (!l)
		return;
	cm_selector_free(l->labels);
	cm_fieldsel_free(l->fields);
	cm_buf_close(&l->prefix);
	cm_buf_close(&l->start);
	cm_buf_close(&l->items);
	cJSON_Delete(l->table);
	free(l->cont);
	free(l);
}

static bool wanted(struct api_listing *l, cJSON **parsed, const struct api_kv *kv)
{
	if (!l->table && cm_selector_empty(l->labels) && cm_fieldsel_empty(l->fields))
		return true;
	*parsed = api_obj_parse_stored(kv->value, kv->value_len, kv->mod_rev);
	if (!*parsed)
		return false;
	return cm_selector_matches(l->labels, cm_json_get(*parsed, "metadata.labels")) &&
	       cm_fieldsel_matches(l->fields, *parsed);
}

static int make_continue(struct api_listing *l, const char *next_key, struct cm_buf *out)
{
	struct cm_buf raw = CM_BUF_INIT;
	cJSON *j = cJSON_CreateObject();
	int rc = -ENOMEM;

	if (j && cJSON_AddStringToObject(j, "v", "meta.k8s.io/v1") &&
	    cJSON_AddNumberToObject(j, "rv", (double)l->rev) &&
	    cJSON_AddStringToObject(j, "start", next_key + l->prefix.len))
		rc = cm_json_print(j, &raw);
	if (!rc)
		rc = cm_base64_encode(raw.data, raw.len, out);
	cJSON_Delete(j);
	cm_buf_close(&raw);
	return rc;
}

static void list_finish(struct api_ctx *c)
{
	struct api_listing *l = c->listing;
	struct cm_buf b = CM_BUF_INIT;
	int rc = 0;

	if (l->table) {
		cJSON *t = l->table;

		char rv[24];

		l->table = NULL;
		snprintf(rv, sizeof(rv), "%lld", (long long)l->rev);
		if (cm_json_set_str(t, "metadata.resourceVersion", rv) < 0 ||
		    (l->cont && cm_json_set_str(t, "metadata.continue", l->cont) < 0)) {
			cJSON_Delete(t);
			t = NULL;
		}
		api_ctx_reply_obj(c, 200, t);
		return;
	}
	rc = cm_buf_puts(&b, "{\"kind\":\"");
	if (!rc)
		rc = cm_buf_printf(&b, "%sList\",\"apiVersion\":\"", c->res->kind);
	if (!rc)
		rc = api_resource_api_version(c->res, &b);
	if (!rc)
		rc = cm_buf_printf(&b, "\",\"metadata\":{\"resourceVersion\":\"%lld\"", (long long)l->rev);
	if (!rc && l->cont)
		rc = cm_buf_printf(&b, ",\"continue\":\"%s\"", l->cont);
	if (!rc)
		rc = cm_buf_puts(&b, "},\"items\":[");
	if (!rc && l->items.len)
		rc = cm_buf_append(&b, l->items.data, l->items.len);
	if (!rc)
		rc = cm_buf_puts(&b, "]}");
	if (rc < 0) {
		cm_buf_close(&b);
		api_ctx_reply_err(c, rc, NULL);
		return;
	}
	api_ctx_reply_buf(c, 200, &b);
}

static void list_fetch(struct api_ctx *c);

static void got_page(int err, const struct api_kv_result *r, void *ud)
{
	struct api_ctx *c = ud;
	struct api_listing *l = c->listing;
	size_t i;
	int rc = 0;

	if (err) {
		if (err == -CM_ECOMPACTED && l->rev)
			api_ctx_reply_status(c, api_status_expired(
							"The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter."));
		else
			api_ctx_reply_err(c, err, NULL);
		return;
	}
	if (!l->rev)
		l->rev = r->revision;
	for (i = 0; i < r->n && rc == 0; i++) {
		cJSON *parsed = NULL;

		if (l->limit && l->matched == l->limit)
			break;
		if (wanted(l, &parsed, &r->kvs[i])) {
			l->matched++;
			if (l->table) {
				rc = api_table_add_row(l->table, c->res, parsed, l->now_ms, c->table);
			} else {
				if (l->items.len)
					rc = cm_buf_putc(&l->items, ',');
				if (!rc)
					rc = api_obj_splice_rv(r->kvs[i].value, r->kvs[i].value_len, r->kvs[i].mod_rev,
							       &l->items);
			}
		}
		cJSON_Delete(parsed);
		cm_buf_reset(&l->start);
		if (!rc)
			rc = cm_buf_puts(&l->start, r->kvs[i].key);
		if (!rc)
			rc = cm_buf_putc(&l->start, '\x01'); /* just past this key: names hold no control bytes */
	}
	if (rc < 0) {
		api_ctx_reply_err(c, rc, NULL);
		return;
	}
	if (i < r->n || (r->more && l->limit && l->matched == l->limit)) {
		struct cm_buf tok = CM_BUF_INIT;

		l->start.data[--l->start.len] = '\0'; /* the token names the last key returned */
		if (make_continue(l, l->start.data, &tok) < 0) {
			cm_buf_close(&tok);
			api_ctx_reply_err(c, -ENOMEM, NULL);
			return;
		}
		l->cont = cm_buf_take(&tok);
		list_finish(c);
		return;
	}
	if (r->more) {
		list_fetch(c);
		return;
	}
	list_finish(c);
}

static void list_fetch(struct api_ctx *c)
{
	struct api_listing *l = c->listing;
	int64_t batch = l->limit ? l->limit - l->matched : 0;
	int rc;

	if (batch && batch < LIST_BATCH && (!cm_selector_empty(l->labels) || !cm_fieldsel_empty(l->fields)))
		batch = LIST_BATCH;
	rc = api_storage_range(c->srv->store, l->prefix.data, l->start.len ? l->start.data : NULL, batch + (batch ? 1 : 0),
			       l->rev, false, got_page, c);
	if (rc < 0)
		api_ctx_reply_err(c, rc, NULL);
}

int api_listing_prepare(struct api_ctx *c)
{
	const char *ls = cm_http_req_query(c->req, "labelSelector");
	const char *fs = cm_http_req_query(c->req, "fieldSelector");
	const char *limit = cm_http_req_query(c->req, "limit");
	const char *cont = cm_http_req_query(c->req, "continue");
	const char *rv = cm_http_req_query(c->req, "resourceVersion");
	const char *match = cm_http_req_query(c->req, "resourceVersionMatch");
	const char *ns_sel;
	struct api_listing *l = calloc(1, sizeof(*l));
	struct cm_buf err = CM_BUF_INIT;
	int rc;

	if (!l)
		return -ENOMEM;
	c->listing = l;
	l->now_ms = cm_time_wall_ms();
	struct cm_buf byname = CM_BUF_INIT;

	/* GET .../pods/web?watch=1, the old single-object watch, is a watch by metadata.name */
	if (c->name && (!fs || !*fs) && cm_buf_printf(&byname, "metadata.name=%s", c->name) == 0)
		fs = byname.data;
	rc = cm_selector_parse(ls ? ls : "", &l->labels, &err) < 0 || cm_fieldsel_parse(fs ? fs : "", &l->fields, &err) < 0 ||
	     cm_fieldsel_check_allowed(l->fields, api_resource_field_labels(c->res), &err) < 0;
	cm_buf_close(&byname);
	if (rc) {
		api_ctx_reply_status(c, api_status_bad_request(err.data ? err.data : "invalid selector"));
		cm_buf_close(&err);
		return 1;
	}
	if (limit && *limit) {
		char *end;

		l->limit = strtoll(limit, &end, 10);
		if (*end || l->limit < 0)
			l->limit = 0;
	}
	ns_sel = cm_fieldsel_required(l->fields, "metadata.namespace");
	rc = api_resource_key(c->res, c->ns ? c->ns : (c->res->namespaced ? ns_sel : NULL), NULL, &l->prefix);
	if (rc < 0)
		return rc;
	if (rv && *rv && strcmp(rv, "0") && match && !strcmp(match, "Exact")) {
		char *end;

		l->rev = strtoll(rv, &end, 10);
		if (*end || l->rev <= 0) {
			api_ctx_reply_status(c, api_status_bad_request("invalid resourceVersion"));
			return 1;
		}
	}
	if (cont && *cont) {
		struct cm_buf raw = CM_BUF_INIT;
		cJSON *j = NULL;
		const char *start;

		if (cm_base64_decode(cont, strlen(cont), &raw) < 0 || cm_json_parse(raw.data, raw.len, &j, NULL) < 0 ||
		    !(start = cm_json_get_str(j, "start")) || cm_json_get_int64(j, "rv", &l->rev) < 0) {
			cJSON_Delete(j);
			cm_buf_close(&raw);
			api_ctx_reply_status(c, api_status_bad_request("continue key is not valid"));
			return 1;
		}
		rc = cm_buf_printf(&l->start, "%s%s", l->prefix.data, start);
		if (!rc)
			rc = cm_buf_putc(&l->start, '\x01');
		cJSON_Delete(j);
		cm_buf_close(&raw);
		if (rc < 0)
			return rc;
	}
	if (c->table && !(l->table = api_table_new(c->res, "", NULL)))
		return -ENOMEM;
	return 0;
}

bool api_listing_match(const struct api_listing *l, const cJSON *obj)
{
	return cm_selector_matches(l->labels, cm_json_get(obj, "metadata.labels")) && cm_fieldsel_matches(l->fields, obj);
}

bool api_listing_selects_all(const struct api_listing *l)
{
	return !l || (cm_selector_empty(l->labels) && cm_fieldsel_empty(l->fields));
}

void api_listing_free(struct api_listing *l)
{
	bool big = l && l->matched >= 1000;

	listing_free(l);
	/*
	 * A big list freed tens of MB in small blocks (etcd's answer, parsed, and
	 * the items' text) spread over the heap, which glibc keeps unless asked:
	 * hand those pages back so the server's size follows what it holds.
	 */
	if (big)
		malloc_trim(0);
}

void api_rest_list(struct api_ctx *c)
{
	int rc = api_listing_prepare(c);

	if (rc > 0)
		return;
	if (rc < 0) {
		api_ctx_reply_err(c, rc, NULL);
		return;
	}
	list_fetch(c);
}
