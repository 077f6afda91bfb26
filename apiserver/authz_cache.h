/* authz_cache.h: the RBAC objects, pod placements and bound-object uids the authorizers and token checks read, kept current by storage watches. */
#ifndef API_AUTHZ_CACHE_H
#define API_AUTHZ_CACHE_H

#include <stdbool.h>
#include <stdint.h>

#include <uv.h>

#include "apiserver/auth.h"
#include "apiserver/storage.h"

struct api_authz_cache;

/* What a cache keeps (api_authz_cache_new's what, or-ed). */
#define API_AUTHZ_CACHE_RBAC 1u    /* the RBAC objects */
#define API_AUTHZ_CACHE_PODS 2u    /* each pod's node, ServiceAccount, uid, deletion and what it names */
#define API_AUTHZ_CACHE_SECRETS 4u /* each secret's uid (never its data) */
#define API_AUTHZ_CACHE_ACCOUNTS 8u /* each ServiceAccount's uid, and whether it is being deleted */

/*
 * Makes a cache reading from store, borrowed, the prefixes what names
 * (/registry/rbac.authorization.k8s.io/, /registry/pods/, /registry/secrets/,
 * /registry/serviceaccounts/):
 * it lists each, then watches from the list's revision, and lists again when
 * the watch is compacted away. on_ready (may be NULL) runs once, when every
 * prefix has been listed. Returns 0 and *out, or -ENOMEM.
 */
int api_authz_cache_new(uv_loop_t *loop, struct api_storage *store, unsigned what, void (*on_ready)(void *ud),
			void *ud, struct api_authz_cache **out);
/* Stops the watches; memory goes once calls in flight have ended (before the storage is freed). NULL does nothing. */
void api_authz_cache_free(struct api_authz_cache *c);
bool api_authz_cache_ready(const struct api_authz_cache *c);
/* The RBAC view of the cache, for api_rbac_allows (valid while c is). */
void api_authz_cache_rbac(struct api_authz_cache *c, struct api_rbac_source *out);
/* The node a pod is bound to ("" unscheduled) or NULL: api_node_graph's pod_node with ud = the cache. */
const char *api_authz_cache_pod_node(void *cache, const char *ns, const char *name);
/*
 * Whether a pod bound to node names the object kind (enum api_pod_ref) ns/name
 * (api_pod_refs: a Secret, ConfigMap or claim it uses, the ServiceAccount it
 * runs as): api_node_graph's node_refs with ud = the cache. One lookup in an
 * index kept with the pods, so it costs the same however many pods there are.
 */
bool api_authz_cache_node_refs(void *cache, const char *node, int kind, const char *ns, const char *name);
/*
 * Whether the object a ServiceAccount token is bound to lives: kind
 * API_SA_BOUND_POD or _SECRET named name in ns, with that uid, and (a pod)
 * not deleted more than 60 s before now_s, as Kubernetes' token authenticator
 * judges. False when the cache does not keep that kind or has not listed it.
 */
bool api_authz_cache_bound_alive(void *cache, int kind, const char *ns, const char *name, const char *uid,
				 int64_t now_s);
/*
 * Whether ServiceAccount ns/name exists with that uid and is not being
 * deleted: a token of it is good only then, as Kubernetes' authenticator
 * judges (a deleted or recreated account's tokens die). False when the cache
 * does not keep accounts or has not listed them.
 */
bool api_authz_cache_account_alive(void *cache, const char *ns, const char *name, const char *uid);

#endif
