/* apply.h: kubectl apply's computation (client side): the last-applied annotation and the three-way strategic merge patch. */
#ifndef MC_APPLY_H
#define MC_APPLY_H

#include <cjson/cJSON.h>

#include "common/buf.h"

#define MC_LAST_APPLIED "kubectl.kubernetes.io/last-applied-configuration"

/*
 * The manifest with the last-applied annotation set to its own JSON without
 * that annotation: json.Marshal's compact, key-sorted form plus "\n", with
 * an empty annotations map kept, so the annotation kubectl writes and the
 * one minictl writes are the same bytes. Returns a new tree (caller owns) or
 * NULL on -ENOMEM.
 */
cJSON *mc_apply_annotated(const cJSON *manifest);

/*
 * The patch apply sends: a three-way strategic merge patch from live to
 * modified (an annotated manifest) that deletes only fields the previous
 * last-applied configuration (read from live's annotation) set and the new
 * one does not. An empty object means "unchanged". Returns 0 (*out owned by
 * the caller), -EINVAL with a message in err, or -ENOMEM.
 */
int mc_apply_patch(const cJSON *modified, const cJSON *live, cJSON **out, struct cm_buf *err);

#endif
