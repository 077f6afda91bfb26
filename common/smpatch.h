/* smpatch.h: Kubernetes strategic merge patch: applying one, computing one (two- and three-way). */
#ifndef CM_SMPATCH_H
#define CM_SMPATCH_H

#include <stdbool.h>

#include <cjson/cJSON.h>

#include "common/buf.h"

/*
 * A strategic merge patch is a JSON merge patch in which some lists merge
 * element by element instead of being replaced:
 *   - lists of objects with a merge key (containers and volumes by "name",
 *     container ports by "containerPort", service ports by "port", env by
 *     "name", volumeMounts by "mountPath", ...): a patch element updates the
 *     element with the same key or is appended;
 *   - lists of scalars with the merge strategy (metadata.finalizers): union;
 *   - every other list is replaced whole.
 * A field is recognised by its name and the name of the field holding it
 * (its "parent": for an element of a list, the list's name), e.g.
 * ("containers", "ports") or ("spec", "ports") for a Service.
 *
 * Directives:
 *   null                             deletes the key
 *   "$patch": "replace"              in a map: the map becomes the patch's map
 *   "$patch": "delete"               in a map: the map becomes {}; as a list
 *                                    element {"name": "x", "$patch": "delete"}:
 *                                    removes the element with that key
 *   {"$patch": "replace"} element    the list becomes the patch's other elements
 *   "$patch": "merge"                the default; accepted and ignored
 *   "$setElementOrder/<list>": [...] the order of the merged list: the listed
 *                                    elements in that order, the others kept
 *                                    where they were relative to them
 *   "$retainKeys": [...]             the map keeps only these keys (and what the
 *                                    patch sets)
 *   "$deleteFromPrimitiveList/<list>": [...]  removes these values from a
 *                                    merged list of scalars
 */

enum cm_sm_strategy {
	CM_SM_REPLACE,        /* the list is replaced whole */
	CM_SM_MERGE_KEY,      /* a list of objects merged by *merge_key */
	CM_SM_MERGE_SCALARS,  /* a list of scalars merged as a set */
};

/*
 * The strategy for the list field `field` found under `parent` (NULL or ""
 * at the top). For CM_SM_MERGE_KEY *merge_key (when not NULL) is set to a
 * static string.
 */
enum cm_sm_strategy cm_smpatch_strategy(const char *parent, const char *field, const char **merge_key);

/*
 * Whether the object at field under parent (for a list: each of its
 * elements) has Kubernetes' retainKeys strategy: a Deployment's
 * spec.strategy, each entry of volumes. Computed patches carry
 * "$retainKeys" for them.
 */
bool cm_smpatch_retain_keys(const char *parent, const char *field);

/*
 * Applies patch (an object) to doc. doc and patch are left untouched; on
 * success *out is a new tree owned by the caller. Returns 0, -EINVAL with a
 * message in err (when not NULL) for a malformed patch (not an object, an
 * unknown $patch value, a merge-list element without its merge key, keys
 * outside $retainKeys, a directive of the wrong type), or -ENOMEM; *out is
 * unchanged on failure.
 */
int cm_smpatch_apply(const cJSON *doc, const cJSON *patch, cJSON **out, struct cm_buf *err);

/*
 * The two-way patch that turns original into modified (both objects):
 * changed and added fields, null for removed ones, merge lists diffed by
 * key with "$setElementOrder" and "$patch": "delete" elements. An empty
 * object when they are equal. Returns 0 (*out owned by the caller), -EINVAL
 * with a message in err (a merge-list element without its key), or -ENOMEM.
 */
int cm_smpatch_diff(const cJSON *original, const cJSON *modified, cJSON **out, struct cm_buf *err);

/*
 * What `kubectl apply` sends: the patch that takes current (the live
 * object) to modified (the new manifest) while deleting only what the user
 * removed from original (the last-applied configuration): fields of current
 * that the user never set are kept. Changes made by others to fields the
 * manifest sets are overwritten, as kubectl does by default. An empty
 * object means "unchanged". original may be NULL (no last-applied: nothing
 * is deleted). Returns 0 (*out owned by the caller), -EINVAL with a message
 * in err, or -ENOMEM.
 */
int cm_smpatch_three_way(const cJSON *original, const cJSON *modified, const cJSON *current, cJSON **out,
			 struct cm_buf *err);

#endif
