/* patch.h: the three PATCH body formats: JSON merge patch, JSON patch, strategic merge patch. */
#ifndef API_PATCH_H
#define API_PATCH_H

#include <cjson/cJSON.h>

#include "common/buf.h"

/*
 * All three leave doc and patch untouched and build a new tree: on success
 * *out is owned by the caller; on failure *out is unchanged.
 */

/*
 * RFC 7386 JSON merge patch (application/merge-patch+json): objects merge
 * member by member, null deletes a member, anything else replaces (lists
 * included). Returns 0, -EINVAL if patch is NULL, or -ENOMEM.
 */
int api_patch_merge(const cJSON *doc, const cJSON *patch, cJSON **out);

/*
 * RFC 6902 JSON patch (application/json-patch+json): a list of operations
 * add, remove, replace, move, copy, test over RFC 6901 pointers ("~0" is '~',
 * "~1" is '/', "-" appends to a list). All or nothing. Returns 0, -EINVAL
 * with a message in err (when not NULL) for a malformed patch, a path that
 * does not resolve, a failed test, or more than API_JSON_PATCH_MAX_OPS
 * operations, or -ENOMEM.
 */
#define API_JSON_PATCH_MAX_OPS 10000
int api_patch_json(const cJSON *doc, const cJSON *patch, cJSON **out, struct cm_buf *err);

/*
 * Strategic merge patch (application/strategic-merge-patch+json) as kubectl
 * sends it; see common/smpatch.h for the rules. Returns 0, -EINVAL with a
 * message in err for a malformed patch (a bad $patch directive, a list
 * element without its merge key), or -ENOMEM.
 */
int api_patch_strategic(const cJSON *doc, const cJSON *patch, cJSON **out, struct cm_buf *err);

#endif
