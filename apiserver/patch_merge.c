/* patch_merge.c: RFC 7386 JSON merge patch. */
#include "apiserver/patch.h"

#include <errno.h>

/*
 * Merges the members of the object patch into the object target, in place,
 * keeping target's member order (new members go last). Returns 0 or -ENOMEM
 * (target then half merged; the caller drops it).
 */
static int merge_into(cJSON *target, const cJSON *patch)
{
	const cJSON *p;
	cJSON_ArrayForEach(p, patch)
	{
		cJSON *old = cJSON_GetObjectItemCaseSensitive(target, p->string);
		if (cJSON_IsNull(p)) {
			cJSON_DeleteItemFromObjectCaseSensitive(target, p->string);
			continue;
		}
		if (cJSON_IsObject(p) && cJSON_IsObject(old)) {
			if (merge_into(old, p))
				return -ENOMEM;
			continue;
		}
		/* a new or replaced member: an object patch merges into {} so its nulls vanish */
		cJSON *v = cJSON_IsObject(p) ? cJSON_CreateObject() : cJSON_Duplicate(p, 1);
		if (!v || (cJSON_IsObject(p) && merge_into(v, p))) {
			cJSON_Delete(v);
			return -ENOMEM;
		}
		if (old)
			cJSON_ReplaceItemInObjectCaseSensitive(target, p->string, v);
		else if (!cJSON_AddItemToObject(target, p->string, v)) {
			cJSON_Delete(v);
			return -ENOMEM;
		}
	}
	return 0;
}

int api_patch_merge(const cJSON *doc, const cJSON *patch, cJSON **out)
{
	cJSON *res;
	if (!patch)
		return -EINVAL;
	if (!cJSON_IsObject(patch)) {
		/* RFC 7386: a patch that is not an object replaces the whole document */
		if (!(res = cJSON_Duplicate(patch, 1)))
			return -ENOMEM;
		*out = res;
		return 0;
	}
	res = cJSON_IsObject(doc) ? cJSON_Duplicate(doc, 1) : cJSON_CreateObject();
	if (!res || merge_into(res, patch)) {
		cJSON_Delete(res);
		return -ENOMEM;
	}
	*out = res;
	return 0;
}
