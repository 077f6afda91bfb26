/* patch_strategic.c: PATCH with application/strategic-merge-patch+json, over common/smpatch. */
#include "apiserver/patch.h"

#include <errno.h>

#include "common/smpatch.h"

/*
 * The rules and the merge-key table live in common/ because minictl computes
 * the same patches client side (apply); the server only applies them. A
 * patch must not change what kind of object it patches, which the caller
 * checks after (it knows the kind and the name).
 */
int api_patch_strategic(const cJSON *doc, const cJSON *patch, cJSON **out, struct cm_buf *err)
{
	if (!doc)
		return -EINVAL;
	return cm_smpatch_apply(doc, patch, out, err);
}
