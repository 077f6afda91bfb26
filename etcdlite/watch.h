/* watch.h: the watch hub: delivers the store's changes to watchers, with catch-up from older revisions. */
#ifndef EL_WATCH_H
#define EL_WATCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "etcdlite/mvcc.h"
#include "etcdlite/request.h"

enum el_event_type { EL_EVENT_PUT = 0, EL_EVENT_DELETE = 1 };

/*
 * One change. For a delete, kv has the key and mod_revision = the deletion's
 * revision, everything else 0 (as etcd). prev_kv is filled only when the
 * watcher asked for it and the previous revision is still kept.
 */
struct el_event {
	uint8_t type; /* enum el_event_type */
	bool has_prev_kv;
	struct el_kv kv;
	struct el_kv prev_kv;
};

/*
 * What a watcher gets: the events of one revision (one put, one delete
 * range, one txn, one revoke) that match it, in the order they were made; or
 * a cancellation (canceled, with compact_revision > 0 when the watcher asked
 * for history that was compacted). revision is the store's revision when
 * delivered (the response header). Pointers are valid during the callback only.
 */
struct el_watch_batch {
	int64_t watch_id;
	int64_t revision;
	const struct el_event *events;
	size_t nevents;
	bool canceled;
	int64_t compact_revision;
};

/* Called by el_watch_hub_sync. It may cancel watchers (any, itself too) but not create them or change the store. */
typedef void (*el_watch_cb)(void *arg, const struct el_watch_batch *batch);

struct el_watch_opts {
	struct el_bytes key, range_end; /* as in a Range (range_end "\0": every key >= key); copied */
	int64_t start_revision;         /* 0: from the next revision */
	bool prev_kv;
	bool no_put;    /* etcd's NOPUT filter */
	bool no_delete; /* etcd's NODELETE filter */
};

struct el_watch_hub;

/* A hub over st (which must outlive it). Returns 0 or -ENOMEM; *out set on success. */
int el_watch_hub_new(struct el_store *st, struct el_watch_hub **out);
/* Frees the hub and its watchers without calling their callbacks; NULL does nothing. */
void el_watch_hub_free(struct el_watch_hub *hub);

/*
 * Adds a watcher; *id_out gets its id (unique in this hub, from 0 up).
 * Nothing is delivered before the next el_watch_hub_sync, so the server can
 * answer "created" first. A start_revision that is compacted is not an error
 * here: the next sync cancels the watcher with the compact revision, as etcd.
 * Returns 0, -EL_EEMPTYKEY or -ENOMEM (nothing added, cb never called).
 */
int el_watch_create(struct el_watch_hub *hub, const struct el_watch_opts *opts, el_watch_cb cb,
		    void *arg, int64_t *id_out);

/* Removes a watcher; its callback is not called again. Returns 0 or -ENOENT. */
int el_watch_cancel(struct el_watch_hub *hub, int64_t id);

/*
 * Delivers what is pending: first the new revisions of the store to the
 * watchers that are up to date, then up to max_events events of history to
 * watchers still catching up (0: no limit). Call it after every apply (or
 * batch of applies) and after creating watchers. Returns 1 if some watcher
 * still has history to catch up (call again), else 0.
 */
int el_watch_hub_sync(struct el_watch_hub *hub, size_t max_events);

/* Number of watchers; and the revision a progress notification reports (the store's current). */
size_t el_watch_hub_count(const struct el_watch_hub *hub);
int64_t el_watch_hub_progress_revision(const struct el_watch_hub *hub);

#endif
