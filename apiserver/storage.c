/* storage.c: reads, transactions and retries over the etcd v3 JSON API, failing over between members. */
#include "apiserver/storage.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "apiserver/storage_codec.h"
#include "common/base64.h"
#include "common/err.h"
#include "common/http_client.h"
#include "common/json.h"
#include "common/log.h"
#include "common/timeutil.h"

#define RETRY_DELAY_MS 100

struct api_storage {
	uv_loop_t *loop;
	struct cm_http_client *http;
	char **urls;
	size_t n, cur;
	long timeout_ms;
	struct cm_metrics *metrics;
	struct api_storage_watch *watches; /* linked through next */
	struct op *waiting;                /* ops between two attempts, on their retry timer */
};

enum op_kind { OP_RANGE, OP_GET, OP_TXN, OP_COMPACT, OP_LEASE };

struct op {
	struct api_storage *s;
	enum op_kind kind;
	const char *path;
	struct cm_buf body;
	api_kv_cb cb;
	void *ud;
	int attempts;
	int64_t start_ms;
	uv_timer_t timer; /* retry delay, initialised on first use */
	bool timer_used;
	bool cancelled;       /* the storage was freed while this op waited on its timer */
	struct op *next_wait; /* in s->waiting */
};

static void op_send(struct op *o);

static void op_free_cb(uv_handle_t *h)
{
	struct op *o = h->data;

	cm_buf_close(&o->body);
	free(o);
}

static void op_finish(struct op *o, int err, const struct api_kv_result *r)
{
	static const char *const names[] = {"range", "get", "txn", "compact", "lease_grant"};

	if (o->s->metrics) {
		struct cm_buf l = CM_BUF_INIT;

		if (cm_buf_printf(&l, "operation=\"%s\"", names[o->kind]) == 0)
			cm_metric_observe(cm_metrics_histogram(o->s->metrics, "etcd_request_duration_seconds",
							       "etcd request latency by operation", l.data,
							       NULL, 0),
					  (double)(cm_time_mono_ms() - o->start_ms) / 1000.0);
		cm_buf_close(&l);
	}
	o->cb(err, r, o->ud);
	if (o->timer_used) {
		uv_close((uv_handle_t *)&o->timer, op_free_cb);
		return;
	}
	cm_buf_close(&o->body);
	free(o);
}

static void op_retry_timer(uv_timer_t *t)
{
	struct op *o = t->data, **pp;

	if (o->cancelled) {
		/* as the HTTP client ends the calls in flight when the storage goes: later, touching nothing */
		o->cb(-ECANCELED, NULL, o->ud);
		uv_close((uv_handle_t *)&o->timer, op_free_cb);
		return;
	}
	for (pp = &o->s->waiting; *pp != o; pp = &(*pp)->next_wait)
		;
	*pp = o->next_wait;
	op_send(o);
}

/* A failure worth another member: the transport, or a member without a leader. */
static bool retryable(int err)
{
	return err == -ECONNREFUSED || err == -ECONNRESET || err == -ETIMEDOUT || err == -EHOSTUNREACH ||
	       err == -CM_ENOQUORUM || err == -CM_ENOTLEADER || err == -CM_EHTTP;
}

static void op_done(const struct cm_http_response *resp, void *ud)
{
	struct op *o = ud;
	struct api_storage *s = o->s;
	struct api_kv_result r;
	int err = resp->err;

	memset(&r, 0, sizeof(r));
	if (err == -ECANCELED) {
		/* The client is closing with the storage: report, touch nothing else. */
		o->cb(err, NULL, o->ud);
		if (o->timer_used) {
			uv_close((uv_handle_t *)&o->timer, op_free_cb);
			return;
		}
		cm_buf_close(&o->body);
		free(o);
		return;
	}
	if (!err)
		err = api_codec_parse_response(resp->status, resp->body, resp->len, o->kind == OP_TXN, &r);
	if (err && retryable(err) && cm_time_mono_ms() - o->start_ms < s->timeout_ms) {
		cm_debug(1, "etcd %s%s: %s, trying another member", s->urls[s->cur], o->path, cm_strerror(err));
		s->cur = (s->cur + 1) % s->n;
		if (++o->attempts % (int)s->n == 0) {
			if (!o->timer_used) {
				uv_timer_init(s->loop, &o->timer);
				o->timer.data = o;
				o->timer_used = true;
			}
			uv_timer_start(&o->timer, op_retry_timer, RETRY_DELAY_MS, 0);
			o->next_wait = s->waiting;
			s->waiting = o;
		} else {
			op_send(o);
		}
		return;
	}
	if (!err && o->kind == OP_GET && r.n == 0)
		err = -ENOENT;
	op_finish(o, err, err && err != -CM_ECONFLICT ? NULL : &r);
	api_codec_result_close(&r);
}

static void op_send(struct op *o)
{
	struct api_storage *s = o->s;
	struct cm_buf url = CM_BUF_INIT;
	struct cm_http_request req = {
		.method = "POST",
		.body = o->body.data,
		.body_len = o->body.len,
		/* an attempt gets a third of the deadline: a member stuck in an election leaves time for another */
		.timeout_ms = s->timeout_ms / 3 > 1000 ? s->timeout_ms / 3 : 1000,
	};
	int rc;

	if (cm_buf_printf(&url, "%s%s", s->urls[s->cur], o->path) < 0) {
		op_finish(o, -ENOMEM, NULL);
		return;
	}
	req.url = url.data;
	rc = cm_http_client_send(s->http, &req, op_done, o, NULL);
	cm_buf_close(&url);
	if (rc < 0)
		op_finish(o, rc, NULL);
}

/* Takes body over and starts the call; on failure frees body and never calls cb. */
static int op_start(struct api_storage *s, enum op_kind kind, const char *path, struct cm_buf *body,
		    api_kv_cb cb, void *ud)
{
	struct op *o = calloc(1, sizeof(*o));

	if (!o) {
		cm_buf_close(body);
		return -ENOMEM;
	}
	o->s = s;
	o->kind = kind;
	o->path = path;
	o->body = *body;
	cm_buf_init(body);
	o->cb = cb;
	o->ud = ud;
	o->start_ms = cm_time_mono_ms();
	op_send(o);
	return 0;
}

int api_storage_new(uv_loop_t *loop, const char *const *urls, size_t n, long timeout_ms,
		    const struct cm_http_client_opts *tls, struct cm_metrics *metrics, struct api_storage **out)
{
	struct api_storage *s;
	int rc;

	if (!n)
		return -EINVAL;
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->urls = calloc(n, sizeof(char *));
	if (!s->urls) {
		free(s);
		return -ENOMEM;
	}
	for (size_t i = 0; i < n; i++) {
		size_t l = strlen(urls[i]);

		while (l && urls[i][l - 1] == '/')
			l--;
		s->urls[i] = strndup(urls[i], l);
		if (!s->urls[i]) {
			rc = -ENOMEM;
			goto fail;
		}
		s->n++;
	}
	rc = cm_http_client_new(loop, tls, &s->http);
	if (rc < 0)
		goto fail;
	s->loop = loop;
	s->timeout_ms = timeout_ms > 0 ? timeout_ms : 10000;
	s->metrics = metrics;
	*out = s;
	return 0;
fail:
	for (size_t i = 0; i < s->n; i++)
		free(s->urls[i]);
	free(s->urls);
	free(s);
	return rc;
}

int api_storage_get(struct api_storage *s, const char *key, api_kv_cb cb, void *ud)
{
	struct cm_buf b = CM_BUF_INIT;
	int rc = api_codec_range_request(key, NULL, NULL, 0, 0, false, &b);

	if (rc < 0) {
		cm_buf_close(&b);
		return rc;
	}
	return op_start(s, OP_GET, "/v3/kv/range", &b, cb, ud);
}

int api_storage_range(struct api_storage *s, const char *prefix, const char *start, int64_t limit,
		      int64_t rev, bool count_only, api_kv_cb cb, void *ud)
{
	struct cm_buf b = CM_BUF_INIT, end = CM_BUF_INIT;
	int rc = api_storage_prefix_end(prefix, &end);

	if (!rc)
		rc = api_codec_range_request(start ? start : prefix, end.data, NULL, limit, rev, count_only, &b);
	cm_buf_close(&end);
	if (rc < 0) {
		cm_buf_close(&b);
		return rc;
	}
	return op_start(s, OP_RANGE, "/v3/kv/range", &b, cb, ud);
}

int api_storage_put(struct api_storage *s, const char *key, const char *value, size_t len, int64_t lease, int64_t mod_rev,
		    const struct api_txn_put *extra, size_t nextra, const char *const *delete_keys,
		    size_t ndelete, api_kv_cb cb, void *ud)
{
	struct cm_buf b = CM_BUF_INIT;
	int rc = api_codec_txn_request(key, value, len, lease, mod_rev, false, extra, nextra, delete_keys, ndelete, &b);

	if (rc < 0) {
		cm_buf_close(&b);
		return rc;
	}
	return op_start(s, OP_TXN, "/v3/kv/txn", &b, cb, ud);
}

int api_storage_delete(struct api_storage *s, const char *key, int64_t mod_rev, const char *const *delete_keys,
		       size_t ndelete, api_kv_cb cb, void *ud)
{
	struct cm_buf b = CM_BUF_INIT;
	int rc = api_codec_txn_request(key, NULL, 0, 0, mod_rev, true, NULL, 0, delete_keys, ndelete, &b);

	if (rc < 0) {
		cm_buf_close(&b);
		return rc;
	}
	return op_start(s, OP_TXN, "/v3/kv/txn", &b, cb, ud);
}

int api_storage_lease_grant(struct api_storage *s, int64_t ttl_s, api_kv_cb cb, void *ud)
{
	struct cm_buf b = CM_BUF_INIT;

	if (cm_buf_printf(&b, "{\"TTL\":\"%lld\"}", (long long)ttl_s) < 0) {
		cm_buf_close(&b);
		return -ENOMEM;
	}
	return op_start(s, OP_LEASE, "/v3/lease/grant", &b, cb, ud);
}

int api_storage_compact(struct api_storage *s, int64_t rev, api_kv_cb cb, void *ud)
{
	struct cm_buf b = CM_BUF_INIT;

	if (cm_buf_printf(&b, "{\"revision\":\"%lld\",\"physical\":true}", (long long)rev) < 0) {
		cm_buf_close(&b);
		return -ENOMEM;
	}
	return op_start(s, OP_COMPACT, "/v3/kv/compaction", &b, cb, ud);
}

int api_storage_prefix_end(const char *prefix, struct cm_buf *out)
{
	size_t l = strlen(prefix);
	size_t start = out->len;
	int rc = cm_buf_append(out, prefix, l);

	if (rc < 0)
		return rc;
	/* The smallest key greater than every key with this prefix. */
	for (size_t i = l; i > 0; i--) {
		unsigned char c = (unsigned char)out->data[start + i - 1];

		if (c < 0xff) {
			out->data[start + i - 1] = (char)(c + 1);
			out->len = start + i;
			out->data[out->len] = '\0';
			return 0;
		}
	}
	out->len = start;
	return cm_buf_putc(out, '\0');
}

/* ---- watches ---- */

struct api_storage_watch {
	struct api_storage *s;
	struct api_storage_watch *next;
	char *prefix;
	int64_t next_rev;
	struct api_watch_handlers h;
	void *ud;
	struct cm_http_call *call;
	uv_timer_t timer;
	bool stopped, timer_closed, in_line;
};

static void watch_open(struct api_storage_watch *w);

static void watch_maybe_free(struct api_storage_watch *w)
{
	if (w->stopped && !w->call && w->timer_closed) {
		free(w->prefix);
		free(w);
	}
}

static void watch_timer_closed(uv_handle_t *h)
{
	struct api_storage_watch *w = h->data;

	w->timer_closed = true;
	watch_maybe_free(w);
}

static void watch_unlink(struct api_storage_watch *w)
{
	struct api_storage_watch **pp = &w->s->watches;

	while (*pp && *pp != w)
		pp = &(*pp)->next;
	if (*pp)
		*pp = w->next;
}

void api_storage_watch_stop(struct api_storage_watch *w)
{
	if (!w || w->stopped)
		return;
	w->stopped = true;
	watch_unlink(w);
	if (w->call)
		cm_http_call_cancel(w->call);
	uv_close((uv_handle_t *)&w->timer, watch_timer_closed);
}

static void watch_retry_timer(uv_timer_t *t)
{
	watch_open(t->data);
}

static void watch_line(const char *line, size_t len, void *ud)
{
	struct api_storage_watch *w = ud;
	struct api_codec_watch_msg m;
	int rc;

	if (w->stopped)
		return;
	rc = api_codec_parse_watch(line, len, &m);
	if (rc < 0) {
		cm_warn("etcd watch %s: unreadable message (%s), re-watching", w->prefix, cm_strerror(rc));
		cm_http_call_cancel(w->call);
		return;
	}
	if (m.compact_revision > 0 && m.compact_revision >= w->next_rev) {
		void (*on_error)(int, void *) = w->h.on_error;
		void *wud = w->ud;

		api_codec_watch_msg_close(&m);
		api_storage_watch_stop(w);
		on_error(-CM_ECOMPACTED, wud);
		return;
	}
	if (m.canceled || m.error) {
		api_codec_watch_msg_close(&m);
		cm_http_call_cancel(w->call);
		return;
	}
	for (size_t i = 0; i < m.n && !w->stopped; i++) {
		struct api_codec_event *e = &m.events[i];

		if (e->kv.mod_rev < w->next_rev)
			continue; /* already delivered before a re-watch */
		w->next_rev = e->kv.mod_rev + 1;
		w->h.on_event(e->type, &e->kv, e->has_prev ? &e->prev : NULL, w->ud);
	}
	if (!w->stopped && m.n == 0 && !m.created && m.revision > 0) {
		if (m.revision + 1 > w->next_rev)
			w->next_rev = m.revision + 1;
		if (w->h.on_progress)
			w->h.on_progress(m.revision, w->ud);
	}
	api_codec_watch_msg_close(&m);
}

static void watch_done(const struct cm_http_response *resp, void *ud)
{
	struct api_storage_watch *w = ud;

	w->call = NULL;
	if (w->stopped) {
		watch_maybe_free(w);
		return;
	}
	cm_debug(1, "etcd watch %s: stream ended (%s, status %ld), re-watching from %lld", w->prefix,
		 cm_strerror(resp->err), resp->status, (long long)w->next_rev);
	w->s->cur = (w->s->cur + 1) % w->s->n;
	uv_timer_start(&w->timer, watch_retry_timer, RETRY_DELAY_MS, 0);
}

static void watch_open(struct api_storage_watch *w)
{
	struct api_storage *s = w->s;
	struct cm_buf body = CM_BUF_INIT, url = CM_BUF_INIT, end = CM_BUF_INIT;
	struct cm_http_request req = {.method = "POST", .on_line = watch_line};
	int rc;

	rc = api_storage_prefix_end(w->prefix, &end);
	if (!rc)
		rc = api_codec_watch_request(w->prefix, end.data, w->next_rev, &body);
	if (!rc)
		rc = cm_buf_printf(&url, "%s/v3/watch", s->urls[s->cur]);
	if (!rc) {
		req.url = url.data;
		req.body = body.data;
		req.body_len = body.len;
		rc = cm_http_client_send(s->http, &req, watch_done, w, &w->call);
	}
	if (rc < 0) {
		cm_warn("etcd watch %s: cannot open (%s), retrying", w->prefix, cm_strerror(rc));
		uv_timer_start(&w->timer, watch_retry_timer, RETRY_DELAY_MS * 10, 0);
	}
	cm_buf_close(&body);
	cm_buf_close(&url);
	cm_buf_close(&end);
}

int api_storage_watch(struct api_storage *s, const char *prefix, int64_t from_rev,
		      const struct api_watch_handlers *h, void *ud, struct api_storage_watch **out)
{
	struct api_storage_watch *w = calloc(1, sizeof(*w));

	if (!w)
		return -ENOMEM;
	w->prefix = strdup(prefix);
	if (!w->prefix) {
		free(w);
		return -ENOMEM;
	}
	w->s = s;
	w->next_rev = from_rev > 0 ? from_rev : 1;
	w->h = *h;
	w->ud = ud;
	uv_timer_init(s->loop, &w->timer);
	w->timer.data = w;
	w->next = s->watches;
	s->watches = w;
	watch_open(w);
	*out = w;
	return 0;
}

void api_storage_free(struct api_storage *s)
{
	if (!s)
		return;
	while (s->watches)
		api_storage_watch_stop(s->watches);
	/* an op waiting to retry is in no HTTP call the client could cancel: its timer ends it */
	for (struct op *o = s->waiting; o; o = o->next_wait) {
		o->cancelled = true;
		uv_timer_start(&o->timer, op_retry_timer, 0, 0);
	}
	s->waiting = NULL;
	cm_http_client_close(s->http, NULL, NULL);
	for (size_t i = 0; i < s->n; i++)
		free(s->urls[i]);
	free(s->urls);
	free(s);
}
