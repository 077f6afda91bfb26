/* informer.c: list, watch, re-watch from the last resourceVersion, relist on 410, cache with indexes. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "common/informer.h"
#include "common/json.h"
#include "common/log.h"
#include "common/strmap.h"

#define BACKOFF_MIN_MS 100
#define BACKOFF_MAX_MS 5000

struct entry {
	void *view;
	char *rv;
	char *idx_val[CM_INFORMER_MAX_INDEXES]; /* copies: the view may change under the key */
	unsigned gen;                           /* the list that last saw it */
};

enum state { ST_IDLE, ST_LISTING, ST_WATCHING, ST_WAITING };

struct cm_informer {
	struct cm_api *api;
	struct cm_informer_opts o;
	struct cm_informer_handlers h;
	struct cm_strmap cache;                         /* key -> struct entry */
	struct cm_strmap idx[CM_INFORMER_MAX_INDEXES]; /* value -> struct cm_strmap (key -> entry) */
	int nidx;
	char *last_rv;
	enum state state;
	struct cm_http_call *call;
	uv_timer_t timer;
	int64_t backoff_ms;
	int relist;     /* the next start is a list (410 seen, or the first) */
	int fail_over;  /* the call ended on a transport error */
	const char *server; /* the apiserver of the last list or watch (cm_api_server's pointer) */
	bool synced;
	int freeing;    /* 1 freeing, 2 timer closed */
	unsigned lists, watches, gen;
};

static char *dup_or_null(const char *s)
{
	return s ? strdup(s) : NULL;
}

int cm_informer_key(const cJSON *obj, struct cm_buf *out)
{
	const char *name = cm_json_get_str(obj, "metadata.name");
	const char *ns = cm_json_get_str(obj, "metadata.namespace");

	if (!name || !*name)
		return -EINVAL;
	if (ns && *ns)
		return cm_buf_printf(out, "%s/%s", ns, name);
	return cm_buf_puts(out, name);
}

int cm_informer_new(struct cm_api *api, const struct cm_informer_opts *opts,
		    const struct cm_informer_handlers *handlers, struct cm_informer **out)
{
	struct cm_informer *inf;

	if (!opts || !opts->path)
		return -EINVAL;
	inf = calloc(1, sizeof(*inf));
	if (!inf)
		return -ENOMEM;
	inf->api = api;
	inf->o = *opts;
	inf->o.path = strdup(opts->path);
	inf->o.label_selector = dup_or_null(opts->label_selector);
	inf->o.field_selector = dup_or_null(opts->field_selector);
	inf->last_rv = strdup("");
	if (!inf->o.path || !inf->last_rv || (opts->label_selector && !inf->o.label_selector) ||
	    (opts->field_selector && !inf->o.field_selector)) {
		free((char *)inf->o.path);
		free((char *)inf->o.label_selector);
		free((char *)inf->o.field_selector);
		free(inf->last_rv);
		free(inf);
		return -ENOMEM;
	}
	if (inf->o.watch_timeout_s <= 0)
		inf->o.watch_timeout_s = 240;
	if (handlers)
		inf->h = *handlers;
	for (int i = 0; i < CM_INFORMER_MAX_INDEXES && opts->indexes[i].name; i++) {
		cm_strmap_init(&inf->idx[i]);
		inf->nidx = i + 1;
	}
	cm_strmap_init(&inf->cache);
	uv_timer_init(cm_api_loop(api), &inf->timer);
	inf->timer.data = inf;
	inf->relist = 1;
	*out = inf;
	return 0;
}

static void free_view(struct cm_informer *inf, void *view)
{
	if (inf->o.free_view)
		inf->o.free_view(view);
	else if (!inf->o.decode)
		cJSON_Delete(view);
}

static void index_remove(struct cm_informer *inf, const char *key, struct entry *e)
{
	for (int i = 0; i < inf->nidx; i++) {
		struct cm_strmap *set;
		if (!e->idx_val[i])
			continue;
		set = cm_strmap_get(&inf->idx[i], e->idx_val[i]);
		if (set) {
			cm_strmap_del(set, key);
			if (!cm_strmap_count(set)) {
				cm_strmap_del(&inf->idx[i], e->idx_val[i]);
				cm_strmap_close(set);
				free(set);
			}
		}
		free(e->idx_val[i]);
		e->idx_val[i] = NULL;
	}
}

static void index_add(struct cm_informer *inf, const char *key, struct entry *e)
{
	for (int i = 0; i < inf->nidx; i++) {
		const char *v = inf->o.indexes[i].fn(e->view);
		struct cm_strmap *set;
		if (!v)
			continue;
		set = cm_strmap_get(&inf->idx[i], v);
		if (!set) {
			set = calloc(1, sizeof(*set));
			if (!set || cm_strmap_put(&inf->idx[i], v, set, NULL)) {
				free(set);
				cm_error("informer %s: out of memory indexing %s", inf->o.path, key);
				continue;
			}
		}
		e->idx_val[i] = strdup(v);
		if (!e->idx_val[i] || cm_strmap_put(set, key, e, NULL)) {
			free(e->idx_val[i]);
			e->idx_val[i] = NULL;
			cm_error("informer %s: out of memory indexing %s", inf->o.path, key);
		}
	}
}

static void set_rv(struct cm_informer *inf, const char *rv)
{
	char *c;

	if (!rv || !*rv || strcmp(rv, inf->last_rv) == 0)
		return;
	c = strdup(rv);
	if (c) {
		free(inf->last_rv);
		inf->last_rv = c;
	}
}

/* Adds or replaces obj in the cache and tells the handlers. */
static void upsert(struct cm_informer *inf, const cJSON *obj)
{
	struct cm_buf key = CM_BUF_INIT;
	const char *rv = cm_json_str_or(obj, "metadata.resourceVersion", "");
	struct entry *e;
	void *view = NULL;
	char *rvc;

	if (cm_informer_key(obj, &key))
		goto out;
	e = cm_strmap_get(&inf->cache, key.data);
	if (e) {
		e->gen = inf->gen;
		if (*rv && strcmp(e->rv, rv) == 0)
			goto out; /* a relist brought back what we have */
	}
	if (inf->o.decode) {
		if (inf->o.decode(obj, &view)) {
			cm_warn("informer %s: %s: cannot decode, skipped", inf->o.path, key.data);
			goto out;
		}
	} else {
		view = cm_json_copy(obj);
	}
	rvc = strdup(rv);
	if (!view || !rvc) {
		free(rvc);
		if (view)
			free_view(inf, view);
		goto out;
	}
	if (e) {
		void *old = e->view;
		index_remove(inf, key.data, e);
		e->view = view;
		free(e->rv);
		e->rv = rvc;
		index_add(inf, key.data, e);
		if (inf->h.on_update)
			inf->h.on_update(inf->h.ud, key.data, old, view);
		free_view(inf, old);
	} else {
		e = calloc(1, sizeof(*e));
		if (!e || cm_strmap_put(&inf->cache, key.data, e, NULL)) {
			free(e);
			free(rvc);
			free_view(inf, view);
			goto out;
		}
		e->view = view;
		e->rv = rvc;
		e->gen = inf->gen;
		index_add(inf, key.data, e);
		if (inf->h.on_add)
			inf->h.on_add(inf->h.ud, key.data, view);
	}
out:
	cm_buf_close(&key);
}

static void remove_key(struct cm_informer *inf, const char *key)
{
	struct entry *e = cm_strmap_get(&inf->cache, key);
	char *k;

	if (!e)
		return;
	k = strdup(key); /* key may be the map's own copy */
	if (!k)
		return;
	index_remove(inf, k, e);
	cm_strmap_del(&inf->cache, k);
	if (inf->h.on_delete)
		inf->h.on_delete(inf->h.ud, k, e->view);
	free_view(inf, e->view);
	free(e->rv);
	free(e);
	free(k);
}

static void remove_obj(struct cm_informer *inf, const cJSON *obj)
{
	struct cm_buf key = CM_BUF_INIT;

	if (cm_informer_key(obj, &key) == 0)
		remove_key(inf, key.data);
	cm_buf_close(&key);
}

static void start_next(struct cm_informer *inf);

static void on_timer(uv_timer_t *t)
{
	struct cm_informer *inf = t->data;

	if (!inf->freeing)
		start_next(inf);
}

/* Waits before the next list or watch; doubles the wait each failure in a row. */
static void retry_later(struct cm_informer *inf)
{
	if (inf->fail_over) {
		cm_api_failover(inf->api, inf->server);
		inf->fail_over = 0;
	}
	inf->backoff_ms = inf->backoff_ms ? inf->backoff_ms * 2 : BACKOFF_MIN_MS;
	if (inf->backoff_ms > BACKOFF_MAX_MS)
		inf->backoff_ms = BACKOFF_MAX_MS;
	inf->state = ST_WAITING;
	uv_timer_start(&inf->timer, on_timer, (uint64_t)inf->backoff_ms, 0);
}

static void finish_free(struct cm_informer *inf);

static int build_url(struct cm_informer *inf, int watch, struct cm_buf *url)
{
	int rc;

	inf->server = cm_api_server(inf->api);
	rc = cm_buf_printf(url, "%s%s?", inf->server, inf->o.path);

	if (!rc && inf->o.label_selector) {
		rc = cm_buf_puts(url, "labelSelector=");
		rc = rc ? rc : cm_api_query_escape(url, inf->o.label_selector);
		rc = rc ? rc : cm_buf_putc(url, '&');
	}
	if (!rc && inf->o.field_selector) {
		rc = cm_buf_puts(url, "fieldSelector=");
		rc = rc ? rc : cm_api_query_escape(url, inf->o.field_selector);
		rc = rc ? rc : cm_buf_putc(url, '&');
	}
	if (!rc && watch)
		rc = cm_buf_printf(url, "watch=1&allowWatchBookmarks=true&timeoutSeconds=%d&resourceVersion=%s",
				   inf->o.watch_timeout_s, inf->last_rv);
	return rc;
}

struct purge {
	unsigned gen;
	char **keys;
	size_t n, cap;
};

static int collect_stale(const char *key, void *val, void *ud)
{
	struct purge *p = ud;
	struct entry *e = val;

	if (e->gen == p->gen)
		return 0;
	if (p->n == p->cap) {
		size_t cap = p->cap ? p->cap * 2 : 16;
		char **k = realloc(p->keys, cap * sizeof(*k));
		if (!k)
			return 1;
		p->keys = k;
		p->cap = cap;
	}
	p->keys[p->n] = strdup(key);
	if (p->keys[p->n])
		p->n++;
	return 0;
}

static void on_list(const struct cm_http_response *resp, void *ud)
{
	struct cm_informer *inf = ud;
	cJSON *root = NULL, *items, *it;
	struct purge p = {0};

	inf->call = NULL;
	if (inf->freeing) {
		finish_free(inf);
		return;
	}
	if (resp->err || resp->status != 200) {
		cm_warn("informer %s: list failed: %s (status %ld)", inf->o.path,
			resp->err ? cm_strerror(resp->err) : "", resp->status);
		inf->fail_over = resp->err != 0;
		retry_later(inf);
		return;
	}
	if (cm_json_parse(resp->body, resp->len, &root, NULL)) {
		cm_warn("informer %s: list answer is not JSON", inf->o.path);
		retry_later(inf);
		return;
	}
	inf->lists++;
	inf->gen++;
	items = cJSON_GetObjectItemCaseSensitive(root, "items");
	cJSON_ArrayForEach(it, items)
		upsert(inf, it);
	/* What the list no longer holds was deleted while we were not watching. */
	p.gen = inf->gen;
	cm_strmap_foreach(&inf->cache, collect_stale, &p);
	for (size_t i = 0; i < p.n; i++) {
		remove_key(inf, p.keys[i]);
		free(p.keys[i]);
	}
	free(p.keys);
	set_rv(inf, cm_json_get_str(root, "metadata.resourceVersion"));
	cJSON_Delete(root);
	inf->relist = 0;
	inf->backoff_ms = 0;
	if (!inf->synced) {
		inf->synced = true;
		if (inf->h.on_synced)
			inf->h.on_synced(inf->h.ud);
	}
	if (!inf->freeing)
		start_next(inf);
}

static void on_watch_line(const char *line, size_t len, void *ud)
{
	struct cm_informer *inf = ud;
	cJSON *ev = NULL, *obj;
	const char *type;

	if (inf->freeing || inf->relist || !len)
		return;
	if (cm_json_parse(line, len, &ev, NULL)) {
		cm_warn("informer %s: watch event is not JSON, re-watching", inf->o.path);
		cm_http_call_cancel(inf->call);
		return;
	}
	type = cm_json_str_or(ev, "type", "");
	obj = cJSON_GetObjectItemCaseSensitive(ev, "object");
	inf->backoff_ms = 0; /* the stream works */
	if (strcmp(type, "ERROR") == 0) {
		int64_t code = cm_json_int64_or(obj, "code", 0);
		if (code == 410) {
			cm_info("informer %s: resourceVersion %s is too old, listing again", inf->o.path,
				inf->last_rv);
			inf->relist = 1;
		} else {
			cm_warn("informer %s: watch error %lld: %s", inf->o.path, (long long)code,
				cm_json_str_or(obj, "message", ""));
		}
		cm_http_call_cancel(inf->call);
	} else if (obj) {
		if (strcmp(type, "ADDED") == 0 || strcmp(type, "MODIFIED") == 0)
			upsert(inf, obj);
		else if (strcmp(type, "DELETED") == 0)
			remove_obj(inf, obj);
		set_rv(inf, cm_json_get_str(obj, "metadata.resourceVersion"));
	}
	cJSON_Delete(ev);
}

static void on_watch_done(const struct cm_http_response *resp, void *ud)
{
	struct cm_informer *inf = ud;

	inf->call = NULL;
	if (inf->freeing) {
		finish_free(inf);
		return;
	}
	if (resp->status == 410)
		inf->relist = 1;
	if (inf->relist) {
		start_next(inf);
		return;
	}
	if (resp->err == 0 && resp->status == 200) {
		start_next(inf); /* timeoutSeconds ran out: watch on from where we are */
		return;
	}
	if (resp->err != -ECANCELED)
		cm_debug(1, "informer %s: watch ended: %s (status %ld)", inf->o.path,
			 resp->err ? cm_strerror(resp->err) : "", resp->status);
	inf->fail_over = resp->err != 0 && resp->err != -ECANCELED;
	retry_later(inf);
}

static void start_next(struct cm_informer *inf)
{
	struct cm_buf url = CM_BUF_INIT;
	struct cm_http_request req = {0};
	static const char *const hdrs[] = {"Accept: application/json", NULL};
	int watch = !inf->relist, rc;

	if (build_url(inf, watch, &url)) {
		retry_later(inf);
		return;
	}
	req.url = url.data;
	req.headers = hdrs;
	if (watch) {
		req.on_line = on_watch_line;
		req.timeout_ms = 0;
		inf->watches++;
		inf->state = ST_WATCHING;
	} else {
		req.timeout_ms = 60000;
		inf->state = ST_LISTING;
	}
	rc = cm_http_client_send(cm_api_http(inf->api), &req, watch ? on_watch_done : on_list, inf,
				 &inf->call);
	cm_buf_close(&url);
	if (rc) {
		inf->call = NULL;
		retry_later(inf);
	}
}

int cm_informer_start(struct cm_informer *inf)
{
	if (inf->state != ST_IDLE)
		return -EALREADY;
	start_next(inf);
	return 0;
}

static int free_entry(const char *key, void *val, void *ud)
{
	struct cm_informer *inf = ud;
	struct entry *e = val;

	(void)key;
	for (int i = 0; i < inf->nidx; i++)
		free(e->idx_val[i]);
	free_view(inf, e->view);
	free(e->rv);
	free(e);
	return 0;
}

static int free_set(const char *key, void *val, void *ud)
{
	(void)key;
	(void)ud;
	cm_strmap_close(val);
	free(val);
	return 0;
}

static void finish_free(struct cm_informer *inf)
{
	if (inf->call || inf->freeing < 2)
		return; /* the call's done or the timer's close comes later */
	cm_strmap_foreach(&inf->cache, free_entry, inf);
	cm_strmap_close(&inf->cache);
	for (int i = 0; i < inf->nidx; i++) {
		cm_strmap_foreach(&inf->idx[i], free_set, NULL);
		cm_strmap_close(&inf->idx[i]);
	}
	free((char *)inf->o.path);
	free((char *)inf->o.label_selector);
	free((char *)inf->o.field_selector);
	free(inf->last_rv);
	free(inf);
}

static void on_timer_closed(uv_handle_t *h)
{
	struct cm_informer *inf = h->data;

	inf->freeing = 2;
	finish_free(inf);
}

void cm_informer_free(struct cm_informer *inf)
{
	if (!inf)
		return;
	inf->freeing = 1;
	if (inf->call)
		cm_http_call_cancel(inf->call);
	uv_close((uv_handle_t *)&inf->timer, on_timer_closed);
}

bool cm_informer_synced(const struct cm_informer *inf)
{
	return inf->synced;
}

const char *cm_informer_last_rv(const struct cm_informer *inf)
{
	return inf->last_rv;
}

unsigned cm_informer_lists(const struct cm_informer *inf)
{
	return inf->lists;
}

unsigned cm_informer_watches(const struct cm_informer *inf)
{
	return inf->watches;
}

const void *cm_informer_get(const struct cm_informer *inf, const char *key)
{
	struct entry *e = cm_strmap_get(&inf->cache, key);
	return e ? e->view : NULL;
}

size_t cm_informer_count(const struct cm_informer *inf)
{
	return cm_strmap_count(&inf->cache);
}

struct each {
	int (*fn)(const char *key, const void *view, void *ud);
	void *ud;
};

static int each_entry(const char *key, void *val, void *ud)
{
	struct each *x = ud;
	return x->fn(key, ((struct entry *)val)->view, x->ud);
}

void cm_informer_foreach(const struct cm_informer *inf,
			 int (*fn)(const char *key, const void *view, void *ud), void *ud)
{
	struct each x = {fn, ud};
	cm_strmap_foreach(&inf->cache, each_entry, &x);
}

static int find_index(const struct cm_informer *inf, const char *index)
{
	for (int i = 0; i < inf->nidx; i++)
		if (strcmp(inf->o.indexes[i].name, index) == 0)
			return i;
	return -1;
}

int cm_informer_index_foreach(const struct cm_informer *inf, const char *index, const char *value,
			      int (*fn)(const char *key, const void *view, void *ud), void *ud)
{
	int i = find_index(inf, index);
	struct cm_strmap *set;
	struct each x = {fn, ud};

	if (i < 0)
		return -ENOENT;
	set = cm_strmap_get(&inf->idx[i], value);
	if (set)
		cm_strmap_foreach(set, each_entry, &x);
	return 0;
}

size_t cm_informer_index_count(const struct cm_informer *inf, const char *index, const char *value)
{
	int i = find_index(inf, index);
	struct cm_strmap *set = i < 0 ? NULL : cm_strmap_get(&inf->idx[i], value);

	return set ? cm_strmap_count(set) : 0;
}
