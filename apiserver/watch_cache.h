/* watch_cache.h: per resource, the recent events from one storage watch, fanned out to every API watcher. */
#ifndef API_WATCH_CACHE_H
#define API_WATCH_CACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "apiserver/resources.h"
#include "apiserver/storage.h"
#include "apiserver/table.h"
#include "common/http_server.h"
#include "common/metrics.h"

/*
 * The cache keeps the last `capacity` events of its resource. It covers the
 * revisions (start_rev, last_rev]: a watcher from any revision in that window
 * gets every later event, once and in order; older ones get 410 Gone. N
 * watchers cost one etcd watch. A watcher whose client does not read fast
 * enough (more than max_pending bytes queued) is closed and must re-watch.
 */
struct api_wcache;
struct api_watcher;

/*
 * Makes a cache (not yet started) of capacity events (0: 1024) whose
 * watchers may have max_pending bytes queued (0: 4 MiB). Returns 0 and *out
 * or -ENOMEM. The storage and metrics are borrowed.
 */
int api_wcache_new(uv_loop_t *loop, struct api_storage *store, const struct api_resource *res, size_t capacity,
		   size_t max_pending, struct cm_metric *watchers_gauge, struct api_wcache **out);
/* Starts the storage watch after revision rev (the store's revision when the server started). */
int api_wcache_start(struct api_wcache *wc, int64_t rev);
bool api_wcache_ready(const struct api_wcache *wc);
/*
 * Told of every event after the ring has it (key and obj borrowed for the
 * call; obj is NULL for a delete whose last value the store did not send),
 * and of every reset, after which events may have been missed.
 */
struct api_wcache_observer {
	void (*on_event)(void *ud, bool deleted, const char *key, int64_t rev, const char *obj, size_t len);
	void (*on_reset)(void *ud);
};
/* Sets the one observer (obs and ud borrowed; NULL obs removes it). */
void api_wcache_observe(struct api_wcache *wc, const struct api_wcache_observer *obs, void *ud);
/* Ends every watcher's stream, stops the storage watch, frees (handles close on the loop). */
void api_wcache_free(struct api_wcache *wc);

/* What a watcher asks for. */
struct api_watch_opts {
	int64_t from_rev;   /* events after this revision */
	bool bookmarks;     /* allowWatchBookmarks */
	enum api_table_mode table; /* one-row meta.k8s.io Tables as objects, unless OFF */
	int64_t timeout_ms; /* the stream ends after this */
	const char *ns;     /* only this namespace (NULL: all) */
	bool (*match)(const void *sel, const cJSON *obj); /* NULL: everything */
	const void *sel;
	void (*on_end)(void *ud); /* the watcher is gone (client left, timeout, too slow) */
	void *ud;
};

/*
 * Registers a watcher on a request whose stream has begun; events after
 * from_rev follow. Returns 0, -CM_ECOMPACTED when from_rev is older than the
 * cache's window (the caller answers 410), -EAGAIN before the cache is
 * ready, or -ENOMEM. on_end runs exactly once after a 0 return, after which
 * the watcher is gone.
 */
int api_wcache_watch(struct api_wcache *wc, struct cm_http_req *req, const struct api_watch_opts *o,
		     struct api_watcher **out);
/* The cache's window start, for messages. */
int64_t api_wcache_start_rev(const struct api_wcache *wc);
/*
 * The newest value of key the cache's window holds (as of its last event:
 * maybe older than the store's), for a write to start from and check with
 * its mod_revision. Returns 0 with *obj (JSON text with resourceVersion,
 * borrowed until the cache next changes), *len and *mod_rev; -ENOENT when
 * the window holds no event of key, its newest is a delete, or the cache is
 * not ready.
 */
int api_wcache_get(const struct api_wcache *wc, const char *key, const char **obj, size_t *len, int64_t *mod_rev);
/* Appends the event line {"type":type,"object":obj}\n. 0 or -ENOMEM. */
int api_watch_line(const char *type, const char *obj, size_t len, struct cm_buf *out);

#endif
