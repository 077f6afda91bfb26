/* authz_cache.h: the RBAC objects and pod placements the authorizers read, kept current by storage watches. */
#ifndef API_AUTHZ_CACHE_H
#define API_AUTHZ_CACHE_H

#include <stdbool.h>

#include <uv.h>

#include "apiserver/auth.h"
#include "apiserver/storage.h"

struct api_authz_cache;

/*
 * Makes a cache reading /registry/rbac.authorization.k8s.io/ and (with pods
 * set) /registry/pods/ from store, borrowed: it lists each prefix, then
 * watches from the list's revision, and lists again when the watch is
 * compacted away. on_ready (may be NULL) runs once, when every prefix has
 * been listed. Returns 0 and *out, or -ENOMEM.
 */
int api_authz_cache_new(uv_loop_t *loop, struct api_storage *store, bool pods, void (*on_ready)(void *ud),
			void *ud, struct api_authz_cache **out);
/* Stops the watches; memory goes once calls in flight have ended (before the storage is freed). NULL does nothing. */
void api_authz_cache_free(struct api_authz_cache *c);
bool api_authz_cache_ready(const struct api_authz_cache *c);
/* The RBAC view of the cache, for api_rbac_allows (valid while c is). */
void api_authz_cache_rbac(struct api_authz_cache *c, struct api_rbac_source *out);
/* The node a pod is bound to ("" unscheduled) or NULL: api_node_graph's pod_node with ud = the cache. */
const char *api_authz_cache_pod_node(void *cache, const char *ns, const char *name);
/* Whether a pod bound to node in ns runs as ServiceAccount sa (none named: "default"); ud = the cache. */
bool api_authz_cache_node_runs_sa(void *cache, const char *node, const char *ns, const char *sa);

#endif
