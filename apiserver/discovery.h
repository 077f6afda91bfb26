/* discovery.h: the discovery documents, plain (APIGroupList, APIResourceList) and aggregated (APIGroupDiscoveryList). */
#ifndef API_DISCOVERY_H
#define API_DISCOVERY_H

#include <stdbool.h>
#include <stddef.h>

#include <cjson/cJSON.h>

#include "common/http_server.h"

/*
 * The i-th group /apis serves (besides the core group, which /api serves), or
 * NULL past the last; *version gets its one version. Static strings.
 */
const char *api_discovery_group(size_t i, const char **version);

/*
 * The APIResourceList of group ("" for core) and version, built from the
 * resource table (resources.c) and the reviews: what /api/v1 and
 * /apis/{group}/{version} answer. The caller frees it; NULL on -ENOMEM.
 */
cJSON *api_discovery_resource_list(const char *group, const char *version);

/*
 * The aggregated form of one APIResourceList: an APIGroupDiscovery version
 * entry ({"version","resources":[...],"freshness":"Current"}), each resource
 * with its subresources folded in (responseKind, scope, singularResource...).
 * list is borrowed; the caller frees the result; NULL on -ENOMEM.
 */
cJSON *api_discovery_aggregate_version(const cJSON *list);

/* Aggregated discovery versions a client may ask for in Accept. */
enum api_discovery_as { API_DISCOVERY_PLAIN, API_DISCOVERY_V2BETA1, API_DISCOVERY_V2 };

/*
 * What an Accept header asks of /api and /apis: the first media range that
 * is application/json as APIGroupDiscoveryList of apidiscovery.k8s.io v2 or
 * v2beta1, or PLAIN when a plain one (or nothing we serve) comes first.
 */
enum api_discovery_as api_discovery_accept(const char *accept);

/* The aggregated documents of /api and /apis in both versions, built once. */
struct api_discovery;

/* Builds them; 0 and *out (freed with api_discovery_free) or -ENOMEM. */
int api_discovery_new(struct api_discovery **out);
/* Frees d; NULL does nothing. */
void api_discovery_free(struct api_discovery *d);

/*
 * Answers req from d when its Accept asks for aggregated discovery: the
 * document of /api (core, the core group alone) or /apis (every other group)
 * with its ETag, or 304 when If-None-Match names it. Returns false, having
 * answered nothing, when the client wants the plain form.
 */
bool api_discovery_serve(const struct api_discovery *d, struct cm_http_req *req, bool core);

#endif
