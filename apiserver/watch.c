/* watch.c: ?watch=1 requests: options, the initial ADDED events of a watch from now, 410 as an ERROR event. */
#include "apiserver/rest.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "apiserver/object.h"
#include "apiserver/status.h"
#include "apiserver/watch_cache.h"
#include "common/err.h"
#include "common/json.h"
#include "common/timeutil.h"

#define DEFAULT_TIMEOUT_S 1800

static bool match_listing(const void *sel, const cJSON *obj)
{
	return api_listing_match(sel, obj);
}

static void watch_ended(void *ud)
{
	struct api_ctx *c = ud;

	c->req = NULL;
	api_ctx_unref(c); /* the request's part */
	api_ctx_unref(c); /* the handler's part */
}

static void fill_opts(struct api_ctx *c, struct api_watch_opts *o, int64_t from)
{
	const char *bm = cm_http_req_query(c->req, "allowWatchBookmarks");
	const char *ts = cm_http_req_query(c->req, "timeoutSeconds");
	int64_t t = ts ? strtoll(ts, NULL, 10) : 0;

	memset(o, 0, sizeof(*o));
	o->from_rev = from;
	o->bookmarks = api_query_bool(bm);
	o->table = c->table;
	o->timeout_ms = (t > 0 ? t : DEFAULT_TIMEOUT_S) * 1000;
	o->ns = c->ns;
	o->match = api_listing_selects_all(c->listing) ? NULL : match_listing;
	o->sel = c->listing;
	o->on_end = watch_ended;
	o->ud = c;
}

/* One initial event, written straight to the stream (before the watcher joins the cache). */
static int send_initial(struct api_ctx *c, const struct api_kv *kv)
{
	struct cm_buf text = CM_BUF_INIT, line = CM_BUF_INIT;
	cJSON *obj = api_obj_parse_stored(kv->value, kv->value_len, kv->mod_rev);
	int rc = 0;

	if (!obj)
		return 0;
	if (!api_listing_match(c->listing, obj))
		goto out;
	if (c->table) {
		cJSON *t = api_table_new(c->res, api_obj_meta_str(obj, "resourceVersion"), NULL);

		rc = t ? api_table_add_row(t, c->res, obj, cm_time_wall_ms(), c->table) : -ENOMEM;
		if (!rc)
			rc = cm_json_print(t, &text);
		cJSON_Delete(t);
	} else {
		rc = api_obj_splice_rv(kv->value, kv->value_len, kv->mod_rev, &text);
	}
	if (!rc)
		rc = api_watch_line("ADDED", text.data, text.len, &line);
	if (!rc)
		rc = cm_http_stream_write(c->req, line.data, line.len);
out:
	cJSON_Delete(obj);
	cm_buf_close(&text);
	cm_buf_close(&line);
	return rc;
}

static void gone(struct api_ctx *c, int64_t from)
{
	struct cm_buf msg = CM_BUF_INIT, text = CM_BUF_INIT, line = CM_BUF_INIT;
	cJSON *st;

	cm_buf_printf(&msg, "too old resource version: %lld (%lld)", (long long)from,
		      (long long)api_wcache_start_rev(c->srv->caches[c->res->index]));
	st = api_status_expired(msg.data ? msg.data : "too old resource version");
	if (st && cm_json_print(st, &text) == 0 && api_watch_line("ERROR", text.data, text.len, &line) == 0 &&
	    cm_http_stream_begin(c->req, 200, "application/json") == 0) {
		cm_http_stream_write(c->req, line.data, line.len);
		cm_http_stream_end(c->req);
		c->released = true;
		c->srv->inflight--;
		api_ctx_unref(c);
	} else {
		api_ctx_reply_status(c, st);
		st = NULL;
	}
	cJSON_Delete(st);
	cm_buf_close(&msg);
	cm_buf_close(&text);
	cm_buf_close(&line);
}

/* Joins the cache from revision from; the stream has begun if begun. */
static void join(struct api_ctx *c, int64_t from, bool begun)
{
	struct api_wcache *wc = c->srv->caches[c->res->index];
	struct api_watch_opts o;
	struct api_watcher *w;
	int rc;

	fill_opts(c, &o, from);
	if (!begun && api_wcache_ready(wc) && from < api_wcache_start_rev(wc)) {
		gone(c, from);
		return;
	}
	if (!begun && (rc = cm_http_stream_begin(c->req, 200, "application/json")) < 0) {
		api_ctx_reply_err(c, rc, NULL);
		return;
	}
	rc = api_wcache_watch(wc, c->req, &o, &w);
	if (rc < 0) {
		/* the stream has begun: end it; the client re-watches */
		cm_http_stream_end(c->req);
		c->released = true;
		c->srv->inflight--;
		api_ctx_unref(c);
		return;
	}
	c->released = true;
	c->srv->inflight--;
}

static void listed_for_watch(int err, const struct api_kv_result *r, void *ud)
{
	struct api_ctx *c = ud;
	int rc;

	if (!c->req)
		err = -ECANCELED;
	if (err) {
		api_ctx_reply_err(c, err, NULL);
		return;
	}
	rc = cm_http_stream_begin(c->req, 200, "application/json");
	if (rc < 0) {
		api_ctx_reply_err(c, rc, NULL);
		return;
	}
	for (size_t i = 0; i < r->n; i++)
		if (send_initial(c, &r->kvs[i]) < 0)
			break;
	join(c, r->revision, true);
}

void api_rest_watch(struct api_ctx *c)
{
	const char *rv = cm_http_req_query(c->req, "resourceVersion");
	struct api_wcache *wc = c->srv->caches[c->res->index];
	int64_t from = 0;
	int rc;

	rc = api_listing_prepare(c);
	if (rc > 0)
		return;
	if (rc < 0) {
		api_ctx_reply_err(c, rc, NULL);
		return;
	}
	if (rv && *rv && strcmp(rv, "0")) {
		char *end;

		from = strtoll(rv, &end, 10);
		if (*end || from < 0) {
			struct cm_buf m = CM_BUF_INIT;

			cm_buf_printf(&m, "invalid resource version: %s", rv);
			api_ctx_reply_status(c, api_status_bad_request(m.data ? m.data : "invalid resource version"));
			cm_buf_close(&m);
			return;
		}
	}
	if (!api_wcache_ready(wc)) {
		api_ctx_reply_status(c, api_status_too_many_requests("the watch cache is initializing", 1));
		return;
	}
	if (from > 0) {
		join(c, from, false);
		return;
	}
	{
		struct cm_buf prefix = CM_BUF_INIT;

		rc = api_resource_key(c->res, c->ns, NULL, &prefix);
		if (!rc)
			rc = api_storage_range(c->srv->store, prefix.data, NULL, 0, 0, false, listed_for_watch, c);
		cm_buf_close(&prefix);
		if (rc < 0)
			api_ctx_reply_err(c, rc, NULL);
	}
}
