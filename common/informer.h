/* informer.h: list-then-watch one resource into a local cache with indexes and add/update/delete handlers. */
#ifndef CM_INFORMER_H
#define CM_INFORMER_H

#include <stdbool.h>
#include <stddef.h>

#include <cjson/cJSON.h>

#include "common/apiclient.h"

/*
 * The one way a minik8s client follows the API (scheduler, controllers,
 * kubelet, kubeproxy, minictl get -w):
 *
 *   LIST path, then WATCH from the list's resourceVersion. A watch that ends
 *   (timeoutSeconds, a dropped connection, an apiserver gone) is started
 *   again from the last resourceVersion seen, on the next apiserver after a
 *   transport failure, with a back-off from 100 ms to 5 s. A 410 (an ERROR
 *   event with code 410, or an HTTP 410) means that resourceVersion is too
 *   old: the informer lists again and reconciles its cache with the list,
 *   calling add/update/delete for what changed in between.
 *
 * The cache is keyed "namespace/name" (just "name" for cluster-scoped
 * objects). What it stores per object is a "view": by default the parsed
 * JSON tree; with a decode function, a small typed struct the caller
 * defines (the scheduler keeps cpu/memory/nodeName, not whole pods), and the
 * tree is freed right after decoding. Named indexes map a value computed from
 * a view (a pod's node, its owner's uid) to the keys with that value.
 *
 * Everything runs on the apiclient's loop: handlers are called from it, never
 * concurrently, and must not free the informer. The views handed to them are
 * borrowed: valid during the call only for the old view of an update or
 * delete, and until the next event for that key otherwise.
 */
struct cm_informer;

/* Decodes obj into a view owned by the caller (*out). Returns 0 or a negative errno (the object is skipped). */
typedef int (*cm_view_decode_fn)(const cJSON *obj, void **out);
typedef void (*cm_view_free_fn)(void *view);
/* An index function: the value to file view under, borrowed from view, or NULL for none. */
typedef const char *(*cm_index_fn)(const void *view);

struct cm_informer_handlers {
	void (*on_add)(void *ud, const char *key, const void *view);
	void (*on_update)(void *ud, const char *key, const void *old_view, const void *new_view);
	void (*on_delete)(void *ud, const char *key, const void *old_view);
	/* Once, after the first list is in the cache. */
	void (*on_synced)(void *ud);
	void *ud;
};

#define CM_INFORMER_MAX_INDEXES 4

struct cm_informer_opts {
	/* Collection path without query: "/api/v1/pods", "/apis/apps/v1/namespaces/ns1/deployments". */
	const char *path;
	const char *label_selector; /* optional, as in ?labelSelector= */
	const char *field_selector; /* optional, as in ?fieldSelector= */
	int watch_timeout_s;        /* timeoutSeconds asked of each watch; 0 means 240 */
	cm_view_decode_fn decode;   /* NULL: the view is the cJSON tree (const cJSON *) */
	cm_view_free_fn free_view;  /* NULL with decode NULL: cJSON_Delete */
	struct {
		const char *name;
		cm_index_fn fn;
	} indexes[CM_INFORMER_MAX_INDEXES]; /* unused entries have name NULL */
};

/*
 * Makes an informer over api (borrowed; must outlive it). opts and its
 * strings are copied; handlers (may be NULL) are copied. Nothing is sent
 * until cm_informer_start. Returns 0 and *out, -EINVAL (no path), or -ENOMEM.
 */
int cm_informer_new(struct cm_api *api, const struct cm_informer_opts *opts,
		    const struct cm_informer_handlers *handlers, struct cm_informer **out);
/* Starts the first list. Returns 0 or -EALREADY. */
int cm_informer_start(struct cm_informer *inf);
/*
 * Stops (cancelling the list or watch in flight) and frees the informer and
 * its cache, later, from the loop; no handler runs once this is called. NULL
 * does nothing.
 */
void cm_informer_free(struct cm_informer *inf);

/* Whether the first list has been loaded. */
bool cm_informer_synced(const struct cm_informer *inf);
/* The last resourceVersion seen (list, event or bookmark); "" before the first list. Borrowed. */
const char *cm_informer_last_rv(const struct cm_informer *inf);
/* Lists done so far (1 after the first; each 410 adds one): tests and metrics read it. */
unsigned cm_informer_lists(const struct cm_informer *inf);
/* Watches started so far. */
unsigned cm_informer_watches(const struct cm_informer *inf);

/* The view cached for key, or NULL. Borrowed (see above). */
const void *cm_informer_get(const struct cm_informer *inf, const char *key);
/* Number of objects cached. */
size_t cm_informer_count(const struct cm_informer *inf);
/* Calls fn for every cached object until it returns nonzero. fn must not change the cache (it cannot: only events do). */
void cm_informer_foreach(const struct cm_informer *inf,
			 int (*fn)(const char *key, const void *view, void *ud), void *ud);
/*
 * Calls fn for every cached object whose index `index` has value `value`,
 * until fn returns nonzero. Returns 0, or -ENOENT for an unknown index name.
 */
int cm_informer_index_foreach(const struct cm_informer *inf, const char *index, const char *value,
			      int (*fn)(const char *key, const void *view, void *ud), void *ud);
/* Number of objects under value in index (0 for an unknown index). */
size_t cm_informer_index_count(const struct cm_informer *inf, const char *index, const char *value);

/* Appends the cache key of obj: "namespace/name" or "name". Returns 0, -EINVAL (no name) or -ENOMEM. */
int cm_informer_key(const cJSON *obj, struct cm_buf *out);

#endif
