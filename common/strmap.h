/* strmap.h: a hash map from copied C strings to borrowed pointers, for caches and queues. */
#ifndef CM_STRMAP_H
#define CM_STRMAP_H

#include <stddef.h>

/*
 * Keys are copied into the map; values are the caller's pointers and are
 * never freed by the map. Iteration order is unspecified. Not thread-safe:
 * everything in minik8s runs on one loop.
 */
struct cm_strmap_ent {
	char *key;
	void *val;
	struct cm_strmap_ent *next;
	size_t hash;
};

struct cm_strmap {
	struct cm_strmap_ent **slots;
	size_t nslots;
	size_t count;
};

#define CM_STRMAP_INIT {NULL, 0, 0}

void cm_strmap_init(struct cm_strmap *m);
/* Frees the entries and the keys, not the values. The map is left empty and reusable. */
void cm_strmap_close(struct cm_strmap *m);
/* The value for key, or NULL if absent. */
void *cm_strmap_get(const struct cm_strmap *m, const char *key);
/* The map's copy of key (live while the entry is), or NULL if absent. */
const char *cm_strmap_key(const struct cm_strmap *m, const char *key);
/*
 * Sets key to val. *old (if old is not NULL) receives the value replaced, or
 * NULL for a new key. Returns 0 or -ENOMEM (map unchanged).
 */
int cm_strmap_put(struct cm_strmap *m, const char *key, void *val, void **old);
/* Removes key; returns its value, or NULL if absent. */
void *cm_strmap_del(struct cm_strmap *m, const char *key);
static inline size_t cm_strmap_count(const struct cm_strmap *m) { return m->count; }

/*
 * Calls fn for every entry; fn returns nonzero to stop. fn must not add or
 * remove entries (collect keys first to change the map).
 */
void cm_strmap_foreach(const struct cm_strmap *m, int (*fn)(const char *key, void *val, void *ud),
		       void *ud);

#endif
