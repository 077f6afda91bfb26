/* apply.c: what kubectl apply computes: the manifest annotated with its last-applied form, and the patch against the live object. */
#include "ctl/apply.h"

#include <errno.h>
#include <string.h>

#include "common/json.h"
#include "common/smpatch.h"
#include "ctl/print.h"

/*
 * The object with the last-applied annotation set to its own JSON without
 * that annotation: json.Marshal's compact, key-sorted form plus "\n", so
 * the annotation kubectl writes and the one minictl writes are the same
 * bytes. Returns a new tree or NULL on -ENOMEM.
 */
cJSON *mc_apply_annotated(const cJSON *obj)
{
	cJSON *copy = cJSON_Duplicate(obj, 1), *ann;
	struct cm_buf text = CM_BUF_INIT;

	if (!copy)
		return NULL;
	/* kubectl serializes with an empty annotations map rather than none */
	ann = cm_json_get(copy, "metadata.annotations");
	if (ann)
		cJSON_DeleteItemFromObjectCaseSensitive(ann, MC_LAST_APPLIED);
	else if (cm_json_set(copy, "metadata.annotations", cJSON_CreateObject()))
		goto fail;
	if (mc_json_compact(copy, &text) || cm_buf_putc(&text, '\n'))
		goto fail;
	cJSON_AddStringToObject(cm_json_get(copy, "metadata.annotations"), MC_LAST_APPLIED, text.data);
	cm_buf_close(&text);
	return copy;
fail:
	cJSON_Delete(copy);
	cm_buf_close(&text);
	return NULL;
}

int mc_apply_patch(const cJSON *modified, const cJSON *live, cJSON **out, struct cm_buf *err)
{
	const char *la = cm_json_get_str(live, "metadata.annotations.kubectl\\.kubernetes\\.io/last-applied-configuration");
	cJSON *original = NULL;
	int rc;

	/* an unreadable annotation counts as none: nothing is deleted, as kubectl does */
	if (la && cm_json_parse(la, strlen(la), &original, NULL))
		original = NULL;
	rc = cm_smpatch_three_way(original, modified, live, out, err);
	cJSON_Delete(original);
	return rc;
}
