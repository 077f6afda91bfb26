/* watch.c: the watch hub: after each apply, matching events to up-to-date watchers; history to those catching up. */
#include "etcdlite/watch.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "etcdlite/mvcc_int.h"

/*
 * As etcd's watchable store: a watcher is "synced" when it has seen every
 * revision up to hub->delivered_rev and gets new ones as they come, or
 * "unsynced" while it reads history from the store's log from next_rev on.
 * Both read the same log, so no event is copied and none is lost between
 * catch-up and live delivery.
 */
struct watcher {
	int64_t id;
	int64_t next_rev; /* first revision not yet delivered */
	char *key, *end;
	uint32_t klen, elen;
	bool single, unbounded;
	bool prev_kv, no_put, no_delete;
	bool synced, dead;
	el_watch_cb cb;
	void *arg;
};

struct el_watch_hub {
	struct el_store *st;
	struct watcher **ws; /* ordered by id (ids only grow) */
	size_t n, cap;
	int64_t next_id;
	int64_t delivered_rev;
	uint64_t generation;
	struct el_event *scratch;
	size_t capscratch;
	bool busy; /* inside callbacks: cancellations only mark */
	bool has_dead;
};

int el_watch_hub_new(struct el_store *st, struct el_watch_hub **out)
{
	struct el_watch_hub *hub = calloc(1, sizeof(*hub));

	if (!hub)
		return -ENOMEM;
	hub->st = st;
	hub->delivered_rev = st->rev;
	hub->generation = st->generation;
	*out = hub;
	return 0;
}

static void watcher_free(struct watcher *w)
{
	free(w->key);
	free(w->end);
	free(w);
}

void el_watch_hub_free(struct el_watch_hub *hub)
{
	if (!hub)
		return;
	for (size_t i = 0; i < hub->n; i++)
		watcher_free(hub->ws[i]);
	free(hub->ws);
	free(hub->scratch);
	free(hub);
}

static char *dup_bytes(struct el_bytes b)
{
	char *p = malloc(b.len ? b.len : 1);

	if (p && b.len)
		memcpy(p, b.data, b.len);
	return p;
}

int el_watch_create(struct el_watch_hub *hub, const struct el_watch_opts *opts, el_watch_cb cb,
		    void *arg, int64_t *id_out)
{
	struct watcher *w;

	if (opts->key.len == 0)
		return -EL_EEMPTYKEY;
	if (hub->n == hub->cap) {
		size_t cap = hub->cap ? hub->cap * 2 : 16;
		struct watcher **p = realloc(hub->ws, cap * sizeof(*p));

		if (!p)
			return -ENOMEM;
		hub->ws = p;
		hub->cap = cap;
	}
	w = calloc(1, sizeof(*w));
	if (!w)
		return -ENOMEM;
	w->key = dup_bytes(opts->key);
	w->end = dup_bytes(opts->range_end);
	if (!w->key || !w->end) {
		watcher_free(w);
		return -ENOMEM;
	}
	w->klen = opts->key.len;
	w->elen = opts->range_end.len;
	w->single = w->elen == 0;
	w->unbounded = w->elen == 1 && w->end[0] == '\0';
	w->prev_kv = opts->prev_kv;
	w->no_put = opts->no_put;
	w->no_delete = opts->no_delete;
	w->next_rev = opts->start_revision > 0 ? opts->start_revision : hub->st->rev + 1;
	w->cb = cb;
	w->arg = arg;
	w->id = hub->next_id++;
	hub->ws[hub->n++] = w;
	*id_out = w->id;
	return 0;
}

static size_t find(const struct el_watch_hub *hub, int64_t id)
{
	size_t lo = 0, hi = hub->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (hub->ws[mid]->id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

int el_watch_cancel(struct el_watch_hub *hub, int64_t id)
{
	size_t i = find(hub, id);

	if (i >= hub->n || hub->ws[i]->id != id || hub->ws[i]->dead)
		return -ENOENT;
	if (hub->busy) {
		hub->ws[i]->dead = true;
		hub->has_dead = true;
		return 0;
	}
	watcher_free(hub->ws[i]);
	memmove(hub->ws + i, hub->ws + i + 1, (hub->n - i - 1) * sizeof(*hub->ws));
	hub->n--;
	return 0;
}

static void reap(struct el_watch_hub *hub)
{
	size_t j = 0;

	for (size_t i = 0; i < hub->n; i++) {
		if (hub->ws[i]->dead)
			watcher_free(hub->ws[i]);
		else
			hub->ws[j++] = hub->ws[i];
	}
	hub->n = j;
	hub->has_dead = false;
}

static bool matches(const struct watcher *w, const struct el_ver *v)
{
	const struct el_key *k = v->key;
	int c;

	if (v->create == 0 ? w->no_delete : w->no_put)
		return false;
	c = el_bytes_cmp(el_key_bytes(k), k->klen, w->key, w->klen);
	if (w->single)
		return c == 0;
	if (c < 0)
		return false;
	return w->unbounded || el_bytes_cmp(el_key_bytes(k), k->klen, w->end, w->elen) < 0;
}

static void make_event(struct el_event *e, const struct el_ver *v, bool want_prev)
{
	memset(e, 0, sizeof(*e));
	if (v->create == 0) {
		e->type = EL_EVENT_DELETE;
		e->kv.key = el_key_bytes(v->key);
		e->kv.klen = v->key->klen;
		e->kv.mod_revision = v->mod;
	} else {
		e->type = EL_EVENT_PUT;
		el_kv_from_ver(&e->kv, v, false);
	}
	if (want_prev) {
		const struct el_ver *p = el_ver_prev(v);

		if (p && p->create != 0) {
			e->has_prev_kv = true;
			el_kv_from_ver(&e->prev_kv, p, false);
		}
	}
}

/* Log entries gathered into one batch for a watcher catching up. */
#define CATCHUP_BATCH 1000

/* First log index with mod >= rev. */
static size_t log_seek(const struct el_store *st, int64_t rev)
{
	size_t lo = 0, hi = st->nlog;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (st->log[mid]->mod < rev)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static int reserve_scratch(struct el_watch_hub *hub, size_t n)
{
	if (n > hub->capscratch) {
		size_t cap = hub->capscratch ? hub->capscratch : 16;
		struct el_event *p;

		while (cap < n)
			cap *= 2;
		p = realloc(hub->scratch, cap * sizeof(*p));
		if (!p)
			return -ENOMEM;
		hub->scratch = p;
		hub->capscratch = cap;
	}
	return 0;
}

/* Delivers the log entries [from, to) (whole revisions) that match w, as one batch. */
static void deliver(struct el_watch_hub *hub, struct watcher *w, size_t from, size_t to)
{
	const struct el_store *st = hub->st;
	struct el_watch_batch b = {.watch_id = w->id, .revision = st->rev};
	size_t n = 0;

	if (w->dead || st->log[from]->mod < w->next_rev)
		return;
	for (size_t i = from; i < to; i++)
		if (matches(w, st->log[i]))
			make_event(&hub->scratch[n++], st->log[i], w->prev_kv);
	w->next_rev = st->log[to - 1]->mod + 1;
	if (n == 0)
		return;
	b.events = hub->scratch;
	b.nevents = n;
	w->cb(w->arg, &b);
}

static size_t group_end(const struct el_store *st, size_t i)
{
	int64_t rev = st->log[i]->mod;

	while (i < st->nlog && st->log[i]->mod == rev)
		i++;
	return i;
}

int el_watch_hub_sync(struct el_watch_hub *hub, size_t max_events)
{
	struct el_store *st = hub->st;
	size_t budget = max_events ? max_events : SIZE_MAX;
	int more = 0;

	/* After a restore, or a compaction past what was delivered, everyone re-reads the log. */
	if (hub->generation != st->generation || st->compact_rev > hub->delivered_rev + 1) {
		for (size_t i = 0; i < hub->n; i++)
			hub->ws[i]->synced = false;
		hub->generation = st->generation;
		hub->delivered_rev = st->rev;
	}
	hub->busy = true;
	if (hub->delivered_rev < st->rev) {
		size_t i = log_seek(st, hub->delivered_rev + 1);

		while (i < st->nlog) {
			size_t end = group_end(st, i);

			if (reserve_scratch(hub, end - i) == 0)
				for (size_t j = 0; j < hub->n; j++)
					if (hub->ws[j]->synced)
						deliver(hub, hub->ws[j], i, end);
			i = end;
		}
	}
	hub->delivered_rev = st->rev;
	for (size_t j = 0; j < hub->n; j++) {
		struct watcher *w = hub->ws[j];
		size_t i;

		if (w->synced || w->dead)
			continue;
		if (w->next_rev < st->compact_rev) {
			struct el_watch_batch b = {.watch_id = w->id,
						   .revision = st->rev,
						   .canceled = true,
						   .compact_revision = st->compact_rev};

			w->dead = true;
			hub->has_dead = true;
			w->cb(w->arg, &b);
			continue;
		}
		i = log_seek(st, w->next_rev);
		while (i < st->nlog && budget > 0 && !w->dead) {
			size_t end = group_end(st, i);

			/* History goes out in batches of many revisions, as etcd sends it. */
			while (end < st->nlog && end - i < CATCHUP_BATCH && end - i < budget)
				end = group_end(st, end);

			if (reserve_scratch(hub, end - i))
				break;
			deliver(hub, w, i, end);
			budget = budget > end - i ? budget - (end - i) : 0;
			i = end;
		}
		if (i >= st->nlog) {
			w->synced = true;
			if (w->next_rev <= st->rev)
				w->next_rev = st->rev + 1;
		} else {
			more = 1;
		}
	}
	hub->busy = false;
	if (hub->has_dead)
		reap(hub);
	return more;
}

size_t el_watch_hub_count(const struct el_watch_hub *hub)
{
	size_t n = 0;

	for (size_t i = 0; i < hub->n; i++)
		n += !hub->ws[i]->dead;
	return n;
}

int64_t el_watch_hub_progress_revision(const struct el_watch_hub *hub)
{
	return hub->st->rev;
}
