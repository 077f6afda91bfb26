/* target.h: what a verb's positional arguments name: "pods", "pods a b", "pod/a svc/b", "pods,svc", "all". */
#ifndef MC_TARGET_H
#define MC_TARGET_H

#include <stddef.h>

#include <cjson/cJSON.h>

#include "ctl/args.h"
#include "ctl/client.h"
#include "ctl/resource.h"

struct mc_target {
	const struct mc_resource *res;
	const char *name; /* borrowed from argv; NULL: every object of the type */
};

struct mc_targets {
	struct mc_target *v;
	size_t n, cap;
};

/*
 * Reads pos[first..] as kubectl does. Returns 0, or MC_FAIL after printing
 * kubectl's error (an unknown type: "error: the server doesn't have a
 * resource type \"x\""; mixing TYPE/NAME with TYPE NAME; no type given).
 */
int mc_targets_parse(struct mc_ctx *c, const struct mc_strv *pos, size_t first, struct mc_targets *out);
void mc_targets_close(struct mc_targets *t);

/*
 * For an object read from a manifest: its resource type and namespace. A
 * namespaced object without metadata.namespace gets the context's (written
 * into obj, as kubectl does before computing last-applied). *ns is borrowed
 * from obj (NULL for cluster-scoped types). Returns 0, or MC_FAIL after
 * printing the error (unknown kind, a namespace that contradicts -n).
 */
int mc_object_locate(struct mc_ctx *c, cJSON *obj, const struct mc_resource **res, const char **ns);
/* Appends "pod/web" or "deployment.apps/web" (kubectl's -o name and action lines). */
int mc_object_ref(const struct mc_resource *r, const char *name, struct cm_buf *out);

#endif
