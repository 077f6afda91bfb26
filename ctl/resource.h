/* resource.h: the resource types minictl knows (names, short names, kinds, API paths), as discovery would list them. */
#ifndef MC_RESOURCE_H
#define MC_RESOURCE_H

#include <stdbool.h>

#include "common/buf.h"

struct mc_resource {
	const char *group;    /* "" for the core group */
	const char *version;
	const char *name;     /* plural: "deployments" */
	const char *singular;
	const char *kind;
	const char *shortname; /* NULL if none */
	bool namespaced;
	bool in_all;          /* listed by "get all" */
};

/*
 * The resource a user typed: plural, singular, short name or kind, in any
 * case, optionally qualified by group ("deployments.apps", "deploy.apps").
 * NULL when unknown.
 */
const struct mc_resource *mc_resource_find(const char *word);
/* The resource of a manifest's apiVersion and kind; NULL when unknown. */
const struct mc_resource *mc_resource_by_kind(const char *api_version, const char *kind);
/* The i-th known resource (for api-resources, "all", completion); NULL past the end. */
const struct mc_resource *mc_resource_at(int i);
/* "pod" or "deployment.apps", as kubectl prefixes names with -o name. */
int mc_resource_qualified(const struct mc_resource *r, struct cm_buf *out);
/* "v1" or "apps/v1". Static storage. */
const char *mc_resource_api_version(const struct mc_resource *r);
/*
 * Appends the path of a collection or object: /api/v1/namespaces/NS/pods[/NAME].
 * ns NULL or "" for every namespace (ignored for cluster-scoped types); name
 * may be NULL. Returns 0 or -ENOMEM.
 */
int mc_resource_path(const struct mc_resource *r, const char *ns, const char *name, struct cm_buf *out);

#endif
