/* ns_cache.h: which namespaces are known to exist and not be terminating, so a create need not read etcd. */
#ifndef API_NS_CACHE_H
#define API_NS_CACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * NamespaceLifecycle admits a create only into a namespace that exists and is
 * not terminating. Reading the namespace from etcd before every create costs a
 * quorum read; Kubernetes answers from an informer instead, and so do we: the
 * namespaces' watch cache feeds this table with every event, and the reads the
 * create path still makes (for a namespace not known yet) add to it.
 *
 * Each name keeps the revision of the state it records, so a read that
 * answers after a newer event (a delete the watch delivered first) cannot
 * bring back an old state. Only "active" answers come from here: an unknown,
 * deleted or terminating namespace still goes to etcd, which words the error.
 * Like Kubernetes' admission, it is as fresh as the watch: a namespace deleted
 * a few milliseconds ago through another apiserver may still admit a create,
 * which the namespace controller then removes with the rest of the namespace.
 * A delete through this one is recorded when it is stored (rest_write.c).
 */
struct api_nscache {
	struct api_nsentry *v;
	size_t n, cap;
};

/* An empty table. */
void api_nscache_init(struct api_nscache *nc);
/* Frees every entry; the table is empty and usable again. */
void api_nscache_close(struct api_nscache *nc);
/* True if name is known to exist and not be terminating. */
bool api_nscache_active(const struct api_nscache *nc, const char *name);
/*
 * Records name's state as of revision rev (the object's mod_revision for a
 * read, the event's revision for a watch), unless a state at a later revision
 * is recorded already. name is copied. Returns 0 or -ENOMEM (then the entry is
 * dropped, so the table never answers from a state it could not update).
 */
int api_nscache_set(struct api_nscache *nc, const char *name, int64_t rev, bool active);
/*
 * The namespaces' watch cache observer: a stored namespace (JSON text obj of
 * len bytes at key "/registry/namespaces/NAME") changed at rev, or was deleted.
 * Terminating means metadata.deletionTimestamp is set.
 */
void api_nscache_on_event(void *nc, bool deleted, const char *key, int64_t rev, const char *obj, size_t len);
/* The watch was lost (events may be missing): forget everything. */
void api_nscache_on_reset(void *nc);

#endif
