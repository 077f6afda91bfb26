/* watch_cache.c: a ring of recent events per resource, fed by one storage watch, fanned out to watchers. */
#include "apiserver/watch_cache.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "apiserver/object.h"
#include "apiserver/rest.h"
#include "common/err.h"
#include "common/json.h"
#include "common/log.h"
#include "common/strmap.h"
#include "common/timeutil.h"

#define BOOKMARK_MS 5000
#define RESTART_MS 500

enum { EV_ADDED, EV_MODIFIED, EV_DELETED };
static const char *const ev_names[] = {"ADDED", "MODIFIED", "DELETED"};

struct wevent {
	int64_t rev;
	int type;
	char *key; /* the storage key, for the index */
	char *obj; /* JSON text with its resourceVersion */
	size_t len;
	char *prev; /* the object before (MODIFIED, DELETED), or NULL */
	size_t prev_len;
	cJSON *obj_tree, *prev_tree; /* parsed on first need, for selectors and tables */
};

struct api_watcher {
	struct api_wcache *wc;
	struct api_watcher *prev, *next;
	struct cm_http_req *req;
	struct api_watch_opts o;
	int64_t sent_rev; /* last revision delivered (or bookmarked) */
	uv_timer_t timer;
	bool ending;
};

struct api_wcache {
	uv_loop_t *loop;
	struct api_storage *store;
	const struct api_resource *res;
	struct cm_buf prefix;
	struct api_storage_watch *sw;
	struct wevent *ring;
	size_t cap, head, n;
	int64_t start_rev, last_rev;
	bool ready;
	struct api_watcher *watchers;
	struct cm_metric *gauge;
	size_t max_pending; /* bytes queued to one watcher before it is closed */
	uv_timer_t tick; /* bookmarks, and restarts after a compaction */
	bool restarting;
	const struct api_wcache_observer *obs;
	void *obs_ud;
	/* storage key -> the ring's newest event of that key: writes start from it (api_wcache_get) */
	struct cm_strmap index;
};

static void event_clear(struct wevent *e)
{
	free(e->key);
	free(e->obj);
	free(e->prev);
	cJSON_Delete(e->obj_tree);
	cJSON_Delete(e->prev_tree);
	memset(e, 0, sizeof(*e));
}

int api_watch_line(const char *type, const char *obj, size_t len, struct cm_buf *out)
{
	int rc = cm_buf_printf(out, "{\"type\":\"%s\",\"object\":", type);

	if (!rc)
		rc = cm_buf_append(out, obj, len);
	if (!rc)
		rc = cm_buf_puts(out, "}\n");
	return rc;
}

static void watcher_end(struct api_watcher *w)
{
	if (w->ending)
		return;
	w->ending = true;
	uv_timer_stop(&w->timer);
	cm_http_stream_end(w->req);
}

static int watcher_write(struct api_watcher *w, struct cm_buf *line)
{
	int rc = cm_http_stream_write(w->req, line->data, line->len);

	if (rc < 0 || cm_http_stream_pending(w->req) > w->wc->max_pending) {
		if (!rc)
			cm_warn("watch %s: a watcher fell behind (%zu bytes queued), closing it", w->wc->res->plural,
				cm_http_stream_pending(w->req));
		watcher_end(w);
	}
	return rc;
}

/* The object as this watcher wants it: the text, or a one-row Table. */
static int watcher_send_obj(struct api_watcher *w, const char *type, const char *text, size_t len, cJSON *tree)
{
	struct cm_buf line = CM_BUF_INIT, t = CM_BUF_INIT;
	int rc;

	if (w->o.table && tree) {
		cJSON *table = api_table_new(w->wc->res, api_obj_meta_str(tree, "resourceVersion"), NULL);

		rc = table ? api_table_add_row(table, w->wc->res, tree, cm_time_wall_ms(), w->o.table) : -ENOMEM;
		if (!rc)
			rc = cm_json_print(table, &t);
		cJSON_Delete(table);
		if (!rc)
			rc = api_watch_line(type, t.data, t.len, &line);
	} else {
		rc = api_watch_line(type, text, len, &line);
	}
	if (!rc)
		rc = watcher_write(w, &line);
	cm_buf_close(&line);
	cm_buf_close(&t);
	return rc;
}

static cJSON *tree_of(char *text, size_t len, cJSON **slot)
{
	if (!*slot && text)
		cm_json_parse(text, len, slot, NULL);
	return *slot;
}

static bool in_ns(const struct api_watcher *w, const cJSON *obj)
{
	const char *ns;

	if (!w->o.ns)
		return true;
	ns = api_obj_meta_str(obj, "namespace");
	return ns && !strcmp(ns, w->o.ns);
}

/* Whether key (prefix, namespace, '/', name) is in ns: the namespace is in the key, no parse needed. */
static bool key_in_ns(const struct api_wcache *wc, const char *key, const char *ns)
{
	size_t pl = wc->prefix.len, nl = strlen(ns);

	return !strncmp(key, wc->prefix.data, pl) && !strncmp(key + pl, ns, nl) && key[pl + nl] == '/';
}

/* Delivers e if the watcher wants it, turned as selectors require (leaving the set is DELETED). */
static void deliver(struct api_watcher *w, struct wevent *e)
{
	int type = e->type;
	const char *text = e->obj;
	size_t len = e->len;
	cJSON *cur = NULL, *old = NULL;

	if (w->ending || e->rev <= w->sent_rev)
		return;
	if (!w->o.match && !w->o.table && w->o.ns && e->key) {
		/* a namespace alone (an object never changes it): decided on the key */
		if (!key_in_ns(w->wc, e->key, w->o.ns))
			type = -1;
	} else if (w->o.match || w->o.ns || w->o.table) {
		bool cm, pm;

		cur = tree_of(e->obj, e->len, &e->obj_tree);
		old = tree_of(e->prev, e->prev_len, &e->prev_tree);
		cm = cur && in_ns(w, cur) && (!w->o.match || w->o.match(w->o.sel, cur));
		pm = old && in_ns(w, old) && (!w->o.match || w->o.match(w->o.sel, old));
		if (type == EV_MODIFIED) {
			if (cm && !pm)
				type = EV_ADDED;
			else if (!cm && pm)
				type = EV_DELETED;
			else if (!cm)
				type = -1;
		} else if (!cm) {
			type = -1;
		}
	}
	w->sent_rev = e->rev;
	if (type >= 0)
		watcher_send_obj(w, ev_names[type], text, len, cur);
}

static struct wevent *ring_at(struct api_wcache *wc, size_t i)
{
	return &wc->ring[(wc->head + i) % wc->cap];
}

static void on_event(int type, const struct api_kv *kv, const struct api_kv *prev, void *ud)
{
	struct api_wcache *wc = ud;
	struct wevent *e;
	struct cm_buf a = CM_BUF_INIT, b = CM_BUF_INIT;
	const struct api_kv *src = type ? prev : kv;

	if (!src) {
		cm_warn("watch %s: delete of %s without its previous value, skipped", wc->res->plural, kv->key);
		cm_strmap_del(&wc->index, kv->key);
		wc->last_rev = kv->mod_rev;
		if (wc->obs)
			wc->obs->on_event(wc->obs_ud, true, kv->key, kv->mod_rev, NULL, 0);
		return;
	}
	/* a deleted object carries the revision of its deletion, as Kubernetes sends it */
	if (api_obj_splice_rv(src->value, src->value_len, kv->mod_rev, &a) < 0 ||
	    (prev && !type && api_obj_splice_rv(prev->value, prev->value_len, prev->mod_rev, &b) < 0)) {
		cm_error("watch %s: out of memory, event at %lld lost", wc->res->plural, (long long)kv->mod_rev);
		cm_buf_close(&a);
		cm_buf_close(&b);
		return;
	}
	if (wc->n == wc->cap) {
		e = ring_at(wc, 0);
		wc->start_rev = e->rev;
		if (e->key && cm_strmap_get(&wc->index, e->key) == e)
			cm_strmap_del(&wc->index, e->key);
		event_clear(e);
		wc->head = (wc->head + 1) % wc->cap;
		wc->n--;
	}
	e = ring_at(wc, wc->n++);
	e->rev = kv->mod_rev;
	e->type = type ? EV_DELETED : kv->create_rev == kv->mod_rev ? EV_ADDED : EV_MODIFIED;
	/* without the index entry a write only reads the store: no memory is no shortcut */
	e->key = strdup(kv->key);
	if (!e->key || cm_strmap_put(&wc->index, e->key, e, NULL) < 0)
		cm_strmap_del(&wc->index, kv->key);
	e->len = a.len;
	e->obj = cm_buf_take(&a);
	if (type) {
		/* for DELETED the previous state is the object itself */
		e->prev_len = e->len;
		e->prev = strdup(e->obj ? e->obj : "");
	} else if (b.len) {
		e->prev_len = b.len;
		e->prev = cm_buf_take(&b);
	}
	cm_buf_close(&b);
	wc->last_rev = kv->mod_rev;
	if (wc->obs)
		wc->obs->on_event(wc->obs_ud, type != 0, kv->key, kv->mod_rev, e->obj, e->len);
	for (struct api_watcher *w = wc->watchers, *next; w; w = next) {
		next = w->next;
		deliver(w, e);
	}
	/* trees are only kept while fanning out: memory stays at the ring's text */
	cJSON_Delete(e->obj_tree);
	cJSON_Delete(e->prev_tree);
	e->obj_tree = e->prev_tree = NULL;
}

static void on_progress(int64_t rev, void *ud)
{
	struct api_wcache *wc = ud;

	if (rev > wc->last_rev)
		wc->last_rev = rev;
}

static void reset(struct api_wcache *wc)
{
	cm_strmap_close(&wc->index);
	for (size_t i = 0; i < wc->n; i++)
		event_clear(ring_at(wc, i));
	wc->n = wc->head = 0;
	for (struct api_watcher *w = wc->watchers; w; w = w->next)
		watcher_end(w);
	if (wc->obs)
		wc->obs->on_reset(wc->obs_ud);
}

void api_wcache_observe(struct api_wcache *wc, const struct api_wcache_observer *obs, void *ud)
{
	wc->obs = obs;
	wc->obs_ud = ud;
}

static void on_rev_for_restart(int err, const struct api_kv_result *r, void *ud)
{
	struct api_wcache *wc = ud;

	if (err == -ECANCELED)
		return;
	wc->restarting = false;
	if (err) {
		cm_warn("watch cache %s: cannot read the store's revision (%s), retrying", wc->res->plural,
			cm_strerror(err));
		return;
	}
	api_wcache_start(wc, r->revision);
}

static void on_error(int err, void *ud)
{
	struct api_wcache *wc = ud;

	cm_warn("watch cache %s: storage watch lost (%s), resetting", wc->res->plural, cm_strerror(err));
	wc->sw = NULL;
	wc->ready = false;
	reset(wc);
	wc->restarting = true;
	if (api_storage_range(wc->store, wc->prefix.data, NULL, 1, 0, true, on_rev_for_restart, wc) < 0)
		wc->restarting = false;
}

static void on_tick(uv_timer_t *t)
{
	struct api_wcache *wc = t->data;

	if (!wc->ready && !wc->restarting && !wc->sw) {
		wc->restarting = true;
		if (api_storage_range(wc->store, wc->prefix.data, NULL, 1, 0, true, on_rev_for_restart, wc) < 0)
			wc->restarting = false;
		return;
	}
	for (struct api_watcher *w = wc->watchers, *next; w; w = next) {
		struct cm_buf obj = CM_BUF_INIT, av = CM_BUF_INIT;
		int64_t rev = wc->last_rev > w->sent_rev ? wc->last_rev : w->sent_rev;

		next = w->next;
		if (!w->o.bookmarks || w->ending)
			continue;
		api_resource_api_version(wc->res, &av);
		if (cm_buf_printf(&obj, "{\"kind\":\"%s\",\"apiVersion\":\"%s\",\"metadata\":{\"resourceVersion\":\"%lld\"}}",
				  wc->res->kind, av.data ? av.data : "v1", (long long)rev) == 0) {
			struct cm_buf line = CM_BUF_INIT;

			if (api_watch_line("BOOKMARK", obj.data, obj.len, &line) == 0)
				watcher_write(w, &line);
			cm_buf_close(&line);
			w->sent_rev = rev;
		}
		cm_buf_close(&obj);
		cm_buf_close(&av);
	}
}

int api_wcache_new(uv_loop_t *loop, struct api_storage *store, const struct api_resource *res, size_t capacity,
		   size_t max_pending, struct cm_metric *watchers_gauge, struct api_wcache **out)
{
	struct api_wcache *wc = calloc(1, sizeof(*wc));

	if (!wc)
		return -ENOMEM;
	wc->cap = capacity ? capacity : 1024;
	wc->ring = calloc(wc->cap, sizeof(*wc->ring));
	if (!wc->ring || api_resource_key(res, NULL, NULL, &wc->prefix) < 0) {
		free(wc->ring);
		cm_buf_close(&wc->prefix);
		free(wc);
		return -ENOMEM;
	}
	cm_strmap_init(&wc->index);
	wc->loop = loop;
	wc->store = store;
	wc->res = res;
	wc->gauge = watchers_gauge;
	wc->max_pending = max_pending ? max_pending : 4u << 20;
	uv_timer_init(loop, &wc->tick);
	wc->tick.data = wc;
	uv_timer_start(&wc->tick, on_tick, BOOKMARK_MS, BOOKMARK_MS);
	*out = wc;
	return 0;
}

int api_wcache_start(struct api_wcache *wc, int64_t rev)
{
	static const struct api_watch_handlers h = {on_event, on_error, on_progress};
	int rc = api_storage_watch(wc->store, wc->prefix.data, rev + 1, &h, wc, &wc->sw);

	if (rc < 0)
		return rc;
	wc->start_rev = wc->last_rev = rev;
	wc->ready = true;
	return 0;
}

bool api_wcache_ready(const struct api_wcache *wc)
{
	return wc->ready;
}

int64_t api_wcache_start_rev(const struct api_wcache *wc)
{
	return wc->start_rev;
}

int api_wcache_get(const struct api_wcache *wc, const char *key, const char **obj, size_t *len, int64_t *mod_rev)
{
	const struct wevent *e = wc->ready ? cm_strmap_get(&wc->index, key) : NULL;

	if (!e || e->type == EV_DELETED || !e->obj)
		return -ENOENT;
	*obj = e->obj;
	*len = e->len;
	*mod_rev = e->rev;
	return 0;
}

static void watcher_closed(uv_handle_t *h)
{
	free(h->data);
}

static void watcher_req_done(struct cm_http_req *req, void *ud)
{
	struct api_watcher *w = ud;
	struct api_wcache *wc = w->wc;

	(void)req;
	if (w->prev)
		w->prev->next = w->next;
	else if (wc)
		wc->watchers = w->next;
	if (w->next)
		w->next->prev = w->prev;
	if (wc)
		cm_metric_add(wc->gauge, -1);
	w->o.on_end(w->o.ud);
	uv_close((uv_handle_t *)&w->timer, watcher_closed);
}

static void watcher_timeout(uv_timer_t *t)
{
	watcher_end(t->data);
}

int api_wcache_watch(struct api_wcache *wc, struct cm_http_req *req, const struct api_watch_opts *o,
		     struct api_watcher **out)
{
	struct api_watcher *w;

	if (!wc->ready)
		return -EAGAIN;
	if (o->from_rev < wc->start_rev)
		return -CM_ECOMPACTED;
	w = calloc(1, sizeof(*w));
	if (!w)
		return -ENOMEM;
	w->wc = wc;
	w->req = req;
	w->o = *o;
	w->sent_rev = o->from_rev;
	uv_timer_init(wc->loop, &w->timer);
	w->timer.data = w;
	if (o->timeout_ms > 0)
		uv_timer_start(&w->timer, watcher_timeout, (uint64_t)o->timeout_ms, 0);
	w->next = wc->watchers;
	if (wc->watchers)
		wc->watchers->prev = w;
	wc->watchers = w;
	cm_metric_add(wc->gauge, 1);
	cm_http_req_on_done(req, watcher_req_done, w);
	*out = w;
	/* replay what the ring holds past from_rev */
	for (size_t i = 0; i < wc->n && !w->ending; i++) {
		struct wevent *e = ring_at(wc, i);

		if (e->rev > o->from_rev) {
			deliver(w, e);
			cJSON_Delete(e->obj_tree);
			cJSON_Delete(e->prev_tree);
			e->obj_tree = e->prev_tree = NULL;
		}
	}
	return 0;
}

static void cache_closed(uv_handle_t *h)
{
	struct api_wcache *wc = h->data;

	cm_strmap_close(&wc->index);
	for (size_t i = 0; i < wc->n; i++)
		event_clear(ring_at(wc, i));
	free(wc->ring);
	cm_buf_close(&wc->prefix);
	free(wc);
}

void api_wcache_free(struct api_wcache *wc)
{
	if (!wc)
		return;
	api_storage_watch_stop(wc->sw);
	for (struct api_watcher *w = wc->watchers, *next; w; w = next) {
		next = w->next;
		w->wc = NULL;
		w->prev = w->next = NULL;
		watcher_end(w);
	}
	wc->watchers = NULL;
	uv_close((uv_handle_t *)&wc->tick, cache_closed);
}
