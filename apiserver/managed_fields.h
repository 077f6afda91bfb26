/* managed_fields.h: field sets as server-side apply tracks them, and Kubernetes' FieldsV1 encoding of them. */
#ifndef API_MANAGED_FIELDS_H
#define API_MANAGED_FIELDS_H

#include <stdbool.h>

#include <cjson/cJSON.h>

#include "common/buf.h"

/*
 * A field set is a tree of path elements, held as a cJSON object whose
 * member names are FieldsV1 path elements:
 *   "f:<name>"          a member of a map or struct
 *   "k:{<keys>}"        an item of a list keyed by its merge key(s), keys
 *                       sorted by name, as compact JSON
 *   "v:<json>"          a value of a set-like list of scalars
 * A node holding the member "." is itself in the set; a node without it
 * only leads to members below. (On the wire, FieldsV1 writes a member
 * without children as {} and keeps "." only beside children: see
 * api_mf_encode / api_mf_decode.)
 *
 * Which lists are keyed, and by what, comes from the strategic merge patch
 * table (common/smpatch.h): a list merged by key there is a keyed list here
 * (ports keyed by their port and protocol, protocol defaulting to TCP, as
 * Kubernetes' list-map keys), a list of scalars merged there is a set here,
 * every other list is atomic: one leaf.
 *
 * Every function leaves its inputs untouched unless it says otherwise and
 * returns 0 or -ENOMEM; results are owned by the caller.
 */

/*
 * The fields obj sets, as an applier owns them: every leaf (scalars, null,
 * empty maps and lists, atomic lists and maps), every list item (with its
 * "."), never the map fields holding them. Server-set metadata (name,
 * namespace, uid, resourceVersion, generation, creationTimestamp,
 * managedFields, selfLink), apiVersion and kind are left out, and so is
 * "status" when skip_status.
 */
int api_mf_set_of(const cJSON *obj, bool skip_status, cJSON **out);

/*
 * What changed from old (NULL: nothing) to new: *changed holds the fields
 * added or given another value (added maps, lists and items with their
 * "."), *removed the fields of old that new no longer has (whole subtrees).
 * The fields api_mf_set_of leaves out are not compared.
 */
int api_mf_compare(const cJSON *old, const cJSON *new, bool skip_status, cJSON **changed, cJSON **removed);

/* a gains the members of b (in place). */
int api_mf_union(cJSON *a, const cJSON *b);
/* a loses the members of b (in place); nodes left leading nowhere go. */
void api_mf_subtract(cJSON *a, const cJSON *b);
/* The members in both a and b. */
int api_mf_intersect(const cJSON *a, const cJSON *b, cJSON **out);
/* Whether s (NULL allowed) has no member. */
bool api_mf_empty(const cJSON *s);

/* The FieldsV1 form of a set (leaves as {}), and back. decode: -EINVAL for a malformed tree. */
int api_mf_encode(const cJSON *set, cJSON **out);
int api_mf_decode(const cJSON *fields, cJSON **out);

/*
 * Calls fn for each member of s, in sorted order, with its path as
 * Kubernetes prints one: ".spec.replicas", ".spec.containers[name=\"web\"].image",
 * ".metadata.finalizers[=\"x\"]". Stops at fn's first non-zero return and
 * returns it; -ENOMEM.
 */
int api_mf_each_path(const cJSON *s, int (*fn)(const char *path, void *ud), void *ud);

/*
 * Removes from obj (in place) the fields that are members of s: a member
 * map field or leaf goes, a member list item goes from its list, a member
 * set value from its set, except for what keep (NULL: nothing) still owns
 * inside them, which stays with the maps and items holding it. Maps and
 * lists emptied by it go as well.
 */
void api_mf_remove(cJSON *obj, const cJSON *s, const cJSON *keep);

#endif
