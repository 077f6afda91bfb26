/* object.h: server-side edits of stored objects: resourceVersion splicing, metadata, spec comparison. */
#ifndef API_OBJECT_H
#define API_OBJECT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "common/buf.h"

/*
 * Objects are stored compact, without metadata.resourceVersion, with
 * apiVersion, kind and metadata first (api_obj_order). A read then puts the
 * revision in by text: the first `"metadata":{` of such a text is the
 * top-level one, since apiVersion and kind are plain names. This keeps a
 * list of ten thousand pods from parsing each of them.
 */

/* Appends text with "resourceVersion":"rv" as the first member of metadata. 0 or -ENOMEM. */
int api_obj_splice_rv(const char *text, size_t len, int64_t rv, struct cm_buf *out);
/* Parses a stored object and sets its resourceVersion. NULL if unreadable. Caller owns. */
cJSON *api_obj_parse_stored(const char *text, size_t len, int64_t rv);
/* Moves apiVersion, kind, metadata to the front (present ones). */
void api_obj_order(cJSON *obj);
/* The metadata object, created if missing or not an object; NULL on -ENOMEM. */
cJSON *api_obj_meta(cJSON *obj);
/* Sets metadata.<name> to a string, replacing. 0 or -ENOMEM. */
int api_obj_meta_set(cJSON *obj, const char *name, const char *value);
/* Sets metadata.resourceVersion to rv as a string. 0 or -ENOMEM. */
int api_obj_set_rv(cJSON *obj, int64_t rv);
/* A string member of metadata, or NULL. */
const char *api_obj_meta_str(const cJSON *obj, const char *name);
/* Whether a and b are equal outside metadata and status (the "spec" as generation sees it). */
bool api_obj_spec_equal(const cJSON *a, const cJSON *b);
/* Whether a and b are equal ignoring metadata.resourceVersion (a no-op write). */
bool api_obj_equal_ignoring_rv(const cJSON *a, const cJSON *b);
/* Number of metadata.finalizers. */
int api_obj_finalizers(const cJSON *obj);
/* Replaces member name of obj with a copy of the same member of from (or removes it). 0 or -ENOMEM. */
int api_obj_copy_member(cJSON *obj, const cJSON *from, const char *name);
/* Formats now as RFC3339 seconds into out (CM_RFC3339_LEN). */
void api_obj_now(int64_t now_ms, char *out);

#endif
